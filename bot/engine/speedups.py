"""Speed-ups of Rasa 3.6 found by profiling a turn (benchmarks/serve --profile).

Each one keeps Rasa's behaviour exactly and is checked against the original in tests/engine.
"""

from __future__ import annotations

import functools
import os
from typing import Any, Dict, MutableMapping

_applied = False


@functools.lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once per process instead of once per custom action call
    return cls(schema)


def validate_action_result(self, result: Dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once.

    Rasa calls `jsonschema.validate(result, schema)` after every custom action; that re-checks
    the large events schema against the JSON-schema meta-schema each time: about 30 % of the
    Rasa server's CPU per turn (39 ms against 1.8 ms with the validator kept).
    """
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    # the same message Rasa adds
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


BLAS_THREADS_VARIABLE = "OPENBLAS_NUM_THREADS"


def one_blas_thread(environ: MutableMapping[str, str] = os.environ) -> None:
    """Serving: numpy's and scipy's OpenBLAS compute with one thread in this process.

    A Rasa server handles one message at a time and its products are tiny (the out-of-scope
    detector's kNN: one embedding against ~3,000 training examples; the linear classifiers). With
    OpenBLAS's default of one thread per core, each such call wakes a second thread that spins
    for work: measured on this machine, a (1, 384) x (384, 3000) product with its kNN costs
    0.50 ms of process CPU with two threads and 0.09 ms with one, at the same result (the other
    core belongs to the gateway, the action server and other Rasa servers anyway). An operator's
    own OPENBLAS_NUM_THREADS is kept.

    Libraries loaded later read the variable; those already loaded are limited through
    threadpoolctl (scikit-learn's dependency, present wherever Rasa is).
    """
    threads = environ.setdefault(BLAS_THREADS_VARIABLE, "1")
    if environ is os.environ:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(threads), user_api="blas")


TF_THREADS_VARIABLES = ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")


def one_tf_thread(environ: MutableMapping[str, str] = os.environ) -> None:
    """Serving: TensorFlow (the MiniLM featurizer) computes with one thread per pool.

    The same reason as one_blas_thread: one short message is a batch of one, and TensorFlow's
    default pools (one thread per core) wake and spin for it. Measured on this machine, MiniLM
    encoding one message costs 8.4-9.1 ms of process CPU with the default pools and 5.6-6.5 ms
    with one thread each, wall time no worse. Rasa's command line reads these variables
    (rasa.utils.tensorflow.environment) before TensorFlow builds its pools; an operator's own
    values are kept.
    """
    for variable in TF_THREADS_VARIABLES:
        environ.setdefault(variable, "1")


def serving_threads(environ: MutableMapping[str, str] = os.environ) -> None:
    """Both of the above: what `python -m bot.engine run` and the serving benchmarks use."""
    one_blas_thread(environ)
    one_tf_thread(environ)


def apply() -> None:
    """Patch Rasa in this process; idempotent."""
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result
    _applied = True
