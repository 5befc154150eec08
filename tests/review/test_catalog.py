"""The intents a reviewer may choose come from the assistant's own files (bot/review/catalog.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.review.catalog import CatalogError, IntentCatalog, load_intent_catalog


def test_the_assistants_intents_and_faq_topics_are_the_choices(catalog: IntentCatalog) -> None:
    names = [choice.name for choice in catalog.intents]

    assert {"check_balance", "ticket_status", "request_human", "greet"} <= set(names)
    assert {"faq/opening_hours", "faq/payment_methods", "faq/moving_home"} <= set(names)
    assert "faq" not in names  # a retrieval intent is chosen by its topic
    assert "nlu_fallback" not in names
    # Plain intents first, then FAQ topics, each alphabetical: easy to find in a long list.
    faq_start = next(i for i, choice in enumerate(catalog.intents) if choice.is_faq)
    assert names[:faq_start] == sorted(names[:faq_start])
    assert names[faq_start:] == sorted(names[faq_start:]) and all(c.is_faq for c in catalog.intents[faq_start:])
    assert catalog.choice("faq/opening_hours").label == "FAQ: opening hours"  # type: ignore[union-attr]


def test_a_new_intent_or_faq_topic_in_the_files_is_a_choice_without_code_changes(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nintents:\n  - greet\n  - order_status:\n      use_entities: []\n  - faq\n  - help\n'
    )
    data = tmp_path / "data"
    (data / "nb").mkdir(parents=True)
    (data / "faq.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq/delivery_times\n  examples: |\n    - when do you deliver\n'
    )
    (data / "nb" / "faq.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: faq/returns\n  examples: |\n    - kan jeg returnere\n'
        "- intent: help/unknown_base\n  examples: |\n    - help me\n"
    )

    catalog = load_intent_catalog(tmp_path / "domain.yml", data)

    assert [choice.name for choice in catalog.intents] == [
        "greet", "order_status", "faq/delivery_times", "faq/returns", "help/unknown_base",
    ]


def test_a_domain_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "domain.yml").write_text("intents: [unclosed\n")
    with pytest.raises(CatalogError):
        load_intent_catalog(tmp_path / "domain.yml", tmp_path)
