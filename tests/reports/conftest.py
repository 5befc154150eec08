"""The portal's HTTP fixtures (tests/portal/conftest.py), for the reports pages' tests here."""

from tests.portal.conftest import (  # noqa: F401 - fixtures, registered by being imported
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
