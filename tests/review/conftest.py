"""Review fixtures: the real redactor and the assistant's real intent catalog, built once; the
portal's fixtures (tests/portal/conftest.py: a real gateway with /portal on a real database,
demo firm users signed in) for the pages."""

from __future__ import annotations

import pytest

from bot.review.catalog import IntentCatalog, load_intent_catalog
from tests.portal.conftest import (  # noqa: F401  (fixtures, used by name)
    browser,
    fake_rasa,
    firm_admin,
    firm_viewer,
    gateway,
    make_gateway,
    other_firm_admin,
    portal_db,
    redactor,
    settings,
    sign_in,
    supervisor,
)


@pytest.fixture(scope="session")
def catalog() -> IntentCatalog:
    return load_intent_catalog()
