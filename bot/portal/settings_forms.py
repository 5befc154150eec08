"""What the settings pages share: reading form fields, names shown for codes, redirects after a save."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.portal.access import PortalAccess
from bot.portal.keys import DATABASE
from bot.portal.settings_preview import topic_label

SETTINGS = "/t/{tenant_slug}/settings"  # every settings page lives under it
LANGUAGE_NAMES = {"en": "English", "nb": "Norwegian (Bokmål)"}
# Pages shared by every settings template.
COMMON = {"language_names": LANGUAGE_NAMES, "topic_label": topic_label}


def sessionmaker(request: web.Request) -> async_sessionmaker[AsyncSession]:
    return request.app[DATABASE].sessionmaker


def text(form: Mapping[str, Any], name: str) -> str:
    """A text field as typed ('' when missing or not text): a form comes back exactly as sent."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def lines(value: str) -> list[str]:
    return value.replace("\r\n", "\n").split("\n")


def saved(access: PortalAccess, page: str, flag: str = "saved") -> web.HTTPSeeOther:
    """After a change, back to the page (a reload does not send the form again)."""
    return web.HTTPSeeOther(f"{access.path(page)}?{flag}=1")
