"""The ownership state machine: every (state, command) pair, legal or not."""

from __future__ import annotations

import itertools

import pytest

from bot.handoff.ownership import (
    BOT,
    COMMANDS,
    QUEUED,
    Assign,
    Command,
    CustomerReturned,
    HandBack,
    IllegalTransition,
    LeaveMessage,
    Ownership,
    RequestHandoff,
    Requeue,
    Resolve,
    Transfer,
    transition,
)

KARI, SAM = 1, 2
ASSIGNED = Ownership("assigned", KARI)
RESOLVED = Ownership("resolved", KARI)
OWNERSHIPS = {"bot": BOT, "queued": QUEUED, "assigned": ASSIGNED, "resolved": RESOLVED}


def _commands() -> dict[str, Command]:
    return {
        "request_handoff": RequestHandoff(),
        "assign": Assign(SAM),
        "transfer": Transfer(SAM),
        "requeue": Requeue(),
        "resolve": Resolve(),
        "hand_back": HandBack(),
        "leave_message": LeaveMessage(),
        "customer_returned": CustomerReturned(),
    }


# (state, command) -> (new ownership, event kinds); every pair not listed is illegal.
LEGAL: dict[tuple[str, str], tuple[Ownership, tuple[str, ...]]] = {
    ("bot", "request_handoff"): (QUEUED, ("queued",)),
    ("queued", "assign"): (Ownership("assigned", SAM), ("assigned",)),
    ("queued", "hand_back"): (BOT, ("handed_back", "bot_resumed")),
    ("queued", "leave_message"): (BOT, ("message_left", "bot_resumed")),
    ("assigned", "transfer"): (Ownership("assigned", SAM), ("transferred",)),
    ("assigned", "requeue"): (QUEUED, ("requeued",)),
    ("assigned", "resolve"): (RESOLVED, ("resolved", "rating_requested")),
    ("assigned", "hand_back"): (BOT, ("handed_back", "bot_resumed")),
    ("resolved", "customer_returned"): (BOT, ("reopened", "bot_resumed")),
}
MATRIX = list(itertools.product(OWNERSHIPS, _commands()))


def test_the_matrix_covers_every_state_and_every_command() -> None:
    assert {type(command) for command in _commands().values()} == set(COMMANDS)
    assert len(MATRIX) == 4 * len(COMMANDS)


@pytest.mark.parametrize(("state", "command"), MATRIX)
def test_transition_matrix(state: str, command: str) -> None:
    current, step = OWNERSHIPS[state], _commands()[command]
    expected = LEGAL.get((state, command))

    if expected is None:
        with pytest.raises(IllegalTransition) as raised:
            transition(current, step)
        assert raised.value.current == current
        assert raised.value.command == step
        return

    result = transition(current, step)
    new_ownership, event_kinds = expected
    assert result.before == current
    assert result.after == new_ownership
    assert tuple(event.kind for event in result.events) == event_kinds


def test_transfer_to_the_agent_who_already_owns_the_chat_is_illegal() -> None:
    with pytest.raises(IllegalTransition, match="already that agent's chat"):
        transition(ASSIGNED, Transfer(KARI))


def test_claiming_a_chat_another_agent_already_has_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        transition(ASSIGNED, Assign(SAM))


def test_events_name_the_agents_involved() -> None:
    transferred = transition(ASSIGNED, Transfer(SAM)).events[0]
    assert (transferred.agent_id, transferred.previous_agent_id) == (SAM, KARI)

    requeued = transition(ASSIGNED, Requeue()).events[0]
    assert requeued.previous_agent_id == KARI

    resolved, rating = transition(ASSIGNED, Resolve()).events
    assert resolved.agent_id == rating.agent_id == KARI

    reopened = transition(RESOLVED, CustomerReturned()).events[0]
    assert reopened.previous_agent_id == KARI


def test_resolved_keeps_the_agent_who_resolved_it() -> None:
    assert transition(ASSIGNED, Resolve()).after == Ownership("resolved", KARI)


@pytest.mark.parametrize(
    ("state", "agent_id"),
    [("assigned", None), ("bot", KARI), ("queued", KARI), ("lost", None)],
)
def test_inconsistent_ownership_cannot_be_built(state: str, agent_id: int | None) -> None:
    with pytest.raises(ValueError):
        Ownership(state, agent_id)  # type: ignore[arg-type]
