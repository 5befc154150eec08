"""StructuredEntityExtractor as Rasa runs it, on rasa Message objects (engine environment)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from bot.nlu.rasa_extractor import StructuredEntityExtractor  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _shared_cases() -> list:
    """The app environment's case table, so spaCy 3.4 here is held to the same answers."""
    spec = importlib.util.spec_from_file_location("nlu_entity_cases", REPO / "tests" / "nlu" / "test_entities.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


CASES = _shared_cases()


def make_component(**config) -> StructuredEntityExtractor:
    return StructuredEntityExtractor.create(config, model_storage=None, resource=None, execution_context=None)


@pytest.fixture(scope="module")
def component() -> StructuredEntityExtractor:
    return make_component()


@pytest.mark.parametrize(("message", "expected"), CASES, ids=[c[0] for c in CASES])
def test_same_entities_as_in_the_app_environment(component, message, expected):
    [processed] = component.process([Message(data={"text": message})])
    entities = processed.get("entities", [])
    assert [(e["entity"], message[e["start"] : e["end"]], e["value"]) for e in entities] == expected


def test_entities_carry_rasa_fields_and_are_in_the_output(component):
    text = "my acct is 12 345 678"
    [message] = component.process([Message(data={"text": text})])
    assert message.get("entities") == [
        {
            "entity": "account_number",
            "value": "12345678",
            "start": 11,
            "end": 21,
            "confidence": 1.0,
            "extractor": "StructuredEntityExtractor",
        }
    ]
    assert "entities" in message.as_dict(only_output_properties=True)


def test_amount_entity_keeps_amount_and_currency_apart(component):
    [message] = component.process([Message(data={"text": "NOK 1 200,50"})])
    [amount] = message.get("entities")
    assert amount["value"] == "1200.50 NOK"
    assert amount["additional_info"] == {"amount": "1200.50", "currency": "NOK"}


def test_entities_of_earlier_extractors_are_kept(component):
    earlier = {"entity": "name", "value": "Ola", "start": 0, "end": 3, "extractor": "DIETClassifier"}
    message = Message(data={"text": "Ola, ticket NRD-1042", "entities": [earlier]})
    [message] = component.process([message])
    assert [e["entity"] for e in message.get("entities")] == ["name", "ticket_ref"]


def test_dimensions_limit_the_labels(component):
    only_tickets = make_component(dimensions=["ticket_ref"])
    [message] = only_tickets.process([Message(data={"text": "account 12345678, ticket NRD-1042"})])
    assert [e["entity"] for e in message.get("entities")] == ["ticket_ref"]


def test_unknown_dimension_fails_at_creation():
    with pytest.raises(ValueError, match="unknown entity labels"):
        make_component(dimensions=["iban"])


def test_messages_without_text_are_left_alone(component):
    message = Message(data={"intent": "greet"})
    [message] = component.process([message])
    assert message.get("entities") is None


def test_spacy_pipeline_is_built_once_per_component(component):
    nlp = component._extractor.nlp
    component.process([Message(data={"text": "ticket NRD-1042"}), Message(data={"text": "450 kr"})])
    assert component._extractor.nlp is nlp


def test_importing_the_component_loads_no_other_bot_code():
    """Rasa imports the module by name; it must not drag in our SQLAlchemy 2 / aiohttp code."""
    probe = (
        "import sys, bot.nlu.rasa_extractor; "
        "print(sorted(m for m in sys.modules if m.startswith('bot.') and not m.startswith('bot.nlu')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


# --- the entities as the domain's slot mappings use them -------------------------------------


def _slots_extracted_in_verification(component, text: str, intent: str) -> dict:
    """Runs Rasa's slot extraction on `text` while verify_form asks for the postcode or email."""
    import asyncio

    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(REPO / "domain.yml"))
    [message] = component.process([Message(data={"text": text})])
    tracker = DialogueStateTracker.from_events(
        "customer",
        [
            ActiveLoop("verify_form"),
            SlotSet("requested_slot", "verification_factor"),
            UserUttered(text, intent={"name": intent, "confidence": 0.9}, entities=message.get("entities", [])),
        ],
        slots=domain.slots,
    )
    events = asyncio.run(
        ActionExtractSlots(None).run(
            CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain
        )
    )
    return {e.key: e.value for e in events if isinstance(e, SlotSet)}


@pytest.mark.parametrize(
    ("text", "postcode"),
    [("postnummeret er 0150", "0150"), ("postnr: 0150", "0150"), ("my postcode is bs1 4dj", "BS1 4DJ")],
)
def test_a_postcode_answer_fills_the_verification_factor_even_when_taken_for_a_faq(component, text, postcode):
    # from_text ignores faq answers; the postcode entity is what still fills the slot
    slots = _slots_extracted_in_verification(component, text, intent="faq")
    assert slots.get("verification_factor") == postcode


def test_a_message_without_postcode_or_email_taken_for_a_faq_fills_nothing(component):
    slots = _slots_extracted_in_verification(component, "når har dere åpent", intent="faq")
    assert "verification_factor" not in slots


def test_an_email_answer_fills_the_factor_with_the_address_alone(component):
    slots = _slots_extracted_in_verification(component, "e-posten min er kåre@example.no", intent="inform")
    assert slots.get("verification_factor") == "kåre@example.no"
