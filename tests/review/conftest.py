"""Review fixtures: the real redactor and the assistant's real intent catalog, built once."""

from __future__ import annotations

import pytest

from bot.redaction import Redactor
from bot.review.catalog import IntentCatalog, load_intent_catalog


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture(scope="session")
def catalog() -> IntentCatalog:
    return load_intent_catalog()
