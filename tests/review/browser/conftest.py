"""Review browser fixtures: the portal's (a real gateway on a free port, Debian's Chromium)."""

from __future__ import annotations

from tests.portal.browser.conftest import (  # noqa: F401 - fixtures, used by name
    DESKTOP,
    PHONE,
    browser,
    context,
    gateway,
    new_context,
    page,
    page_errors,
    screenshots,
)
