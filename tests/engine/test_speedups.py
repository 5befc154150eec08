"""bot.engine.speedups: Rasa behaves exactly as without them, and `python -m bot.engine` is Rasa."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from jsonschema import ValidationError, validate  # noqa: E402
from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from bot.engine import speedups  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RESPONSES = {
    "events and responses": {
        "events": [{"event": "slot", "name": "verified", "value": True, "timestamp": None},
                   {"event": "followup", "name": "action_listen"}],
        "responses": [{"text": "Your balance is 120 NOK."}],
    },
    "nothing": {},
    "event without a name": {"events": [{"timestamp": 1}]},
    "unknown event type": {"events": [{"event": "no_such_event"}]},
    "responses not a list": {"responses": {"text": "hi"}},
    "events not a list": {"events": "slot"},
}


def original_outcome(response):
    try:
        validate(response, RemoteAction.action_response_format_spec())
        return None
    except ValidationError as error:
        return error.message


@pytest.mark.parametrize("case", sorted(RESPONSES))
def test_cached_validator_accepts_and_rejects_exactly_like_rasa(case):
    action = RemoteAction("action_open_ticket", EndpointConfig("http://127.0.0.1:1/webhook"))
    response = RESPONSES[case]
    expected = original_outcome(copy.deepcopy(response))
    if expected is None:
        assert speedups.validate_action_result(action, copy.deepcopy(response)) is True
    else:
        with pytest.raises(ValidationError) as raised:
            speedups.validate_action_result(action, copy.deepcopy(response))
        assert raised.value.message.startswith(expected)
        assert "Failed to validate Action server response from API" in raised.value.message


def test_invalid_cases_really_are_invalid():
    """The table above must exercise the error path, or the comparison proves nothing."""
    assert sum(original_outcome(r) is not None for r in RESPONSES.values()) >= 4


def test_apply_patches_rasas_remote_action():
    speedups.apply()
    speedups.apply()
    assert RemoteAction._validate_action_result is speedups.validate_action_result


def test_python_m_bot_engine_is_the_rasa_command_line():
    done = subprocess.run([sys.executable, "-m", "bot.engine", "--version"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Rasa Version" in done.stdout and "3.6." in done.stdout


BLAS_THREADS_PROBE = """
import json, numpy  # numpy's OpenBLAS is loaded before the call, scipy's after it
from bot.engine.speedups import one_blas_thread
one_blas_thread()
import scipy.linalg
from threadpoolctl import threadpool_info
print(json.dumps([(i["prefix"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]))
"""


def _blas_threads(environ):
    done = subprocess.run([sys.executable, "-c", BLAS_THREADS_PROBE], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_serving_computes_blas_with_one_thread_in_libraries_loaded_before_and_after():
    environ = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    environ["PYTHONPATH"] = str(REPO)
    libraries = _blas_threads(environ)
    assert len(libraries) >= 2  # numpy's and scipy's OpenBLAS both seen
    assert all(threads == 1 for _, threads in libraries), libraries


def test_an_operators_own_blas_thread_count_is_kept():
    environ = {"OPENBLAS_NUM_THREADS": "2"}
    speedups.one_blas_thread(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "2"}
    environ = {}
    speedups.one_blas_thread(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "1"}


TF_THREADS_PROBE = """
import json, os, sys
sys.argv = ["rasa", "--version"]
from bot.engine.speedups import one_tf_thread
one_tf_thread()
from rasa.utils.tensorflow.environment import setup_tf_environment
setup_tf_environment()  # what rasa's command line does before anything uses TensorFlow
import tensorflow as tf
print(json.dumps([tf.config.threading.get_intra_op_parallelism_threads(),
                  tf.config.threading.get_inter_op_parallelism_threads()]))
"""


def test_serving_runs_tensorflow_with_one_thread_per_pool_unless_the_operator_says_otherwise():
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    environ["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-c", TF_THREADS_PROBE], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 1]
    mine = {"TF_INTRA_OP_PARALLELISM_THREADS": "2"}
    speedups.one_tf_thread(mine)
    assert mine == {"TF_INTRA_OP_PARALLELISM_THREADS": "2", "TF_INTER_OP_PARALLELISM_THREADS": "1"}
