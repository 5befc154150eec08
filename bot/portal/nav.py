"""The portal's navigation: one entry per area, in order. Each area adds its line here.

`path` is relative to the tenant's portal (/portal/t/{slug}/); `writers_only` hides the
entry from viewers (the pages themselves still check with require_portal_access).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.portal.access import PortalAccess


@dataclass(frozen=True)
class NavEntry:
    key: str  # the page's `nav_key` marks it current
    label: str
    path: str
    writers_only: bool = False


NAV: list[NavEntry] = [
    NavEntry("dashboard", "Dashboard", ""),
    NavEntry("reports", "Reports", "reports"),
    NavEntry("review", "Conversations", "review"),
    NavEntry("users", "Users", "users", writers_only=True),
    NavEntry("faq", "FAQ answers", "settings/faq"),
    NavEntry("settings", "Settings", "settings"),
    NavEntry("changes", "Changes", "settings/changes"),
    NavEntry("webhooks", "Webhooks", "webhooks"),
]


def nav_for(access: PortalAccess) -> list[NavEntry]:
    return [entry for entry in NAV if access.can_write or not entry.writers_only]
