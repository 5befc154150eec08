"""Puts the action-server retry (`action_retry`) and the failure message (`action_failures`)
into Rasa: `python -m bot.engine` calls `install()` before Rasa starts, as it applies the
speed-ups. Rasa 3.6 has no setting for the action endpoint's client, so two methods are
wrapped, each calling Rasa's own:

- `RemoteAction.run`, which every custom action call goes through (policy-predicted actions,
  form validation, custom slot mappings): its endpoint retries a refused connection, and a
  failure is noted for the turn;
- `MessageProcessor._run_action`, which runs each step of a turn: after a step in which a
  custom action failed, the customer is told and offered a person.
"""

from __future__ import annotations

from typing import Any

from bot.engine import action_failures
from bot.engine.action_retry import RetryPolicy, retrying

_policy = RetryPolicy()
_originals: dict[str, Any] = {}


def install(policy: RetryPolicy | None = None) -> None:
    """Patch Rasa in this process; a second call only changes the retry policy."""
    global _policy
    _policy = policy or RetryPolicy()
    if _originals:
        return
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    _originals["run"] = original_run = RemoteAction.run
    _originals["_run_action"] = original_run_action = MessageProcessor._run_action

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        self.action_endpoint = retrying(self.action_endpoint, _policy)
        return await action_failures.run_remote_action(
            original_run, self, output_channel, nlg, tracker, domain
        )

    async def _run_action(
        self: MessageProcessor, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any
    ) -> bool:
        return await action_failures.run_action(
            original_run_action, self, action, tracker, output_channel, nlg, prediction
        )

    RemoteAction.run = run
    MessageProcessor._run_action = _run_action


def installed_policy() -> RetryPolicy | None:
    return _policy if _originals else None
