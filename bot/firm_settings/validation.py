"""What a firm may enter, checked before anything is stored (pure).

Each function returns the normalised value or raises InvalidSettings naming the form field,
so a page can show the problem next to the field and keep what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from bot.db.faq_admin import FAQ_ANSWER_MAX_CHARS
from bot.db.models import LANGUAGES
from bot.firm_settings.errors import InvalidSettings
from bot.handoff.business_hours import (
    CLOSED,
    MAX_CLOSURES,
    WEEKDAYS,
    InvalidBusinessHours,
    parse_business_hours,
)

# WCAG AA for normal text. The widget writes white or near-black text on the brand colour,
# whichever contrasts more (widget.js `palette`, tests/browser/test_accessibility.py); a colour
# on which neither reaches AA (mid-tones like #777777) cannot be made readable and is refused.
MIN_CONTRAST = 4.5
WHITE, INK = "#ffffff", "#111827"  # widget.js's two text colours
TITLE_MAX = 80
GREETING_MAX = 300
URL_MAX = 500
MAX_ORIGINS = 20
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
_LOCAL_HOSTS = {"localhost", "127.0.0.1"}  # plain http only for a developer's own machine
_INTERVAL = re.compile(r"\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*")


@dataclass(frozen=True)
class Branding:
    color: str
    title: str
    greeting: str | None
    avatar_url: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Hours:
    """Business hours as stored (bot.handoff.business_hours format) with their time zone."""

    time_zone: str
    weekly: dict[str, list[list[str]]]
    closed: tuple[str, ...]

    def stored(self) -> dict[str, Any]:
        return {**self.weekly, CLOSED: list(self.closed)}


# --- branding -------------------------------------------------------------------------

def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_contrast(brand: str) -> tuple[str, float]:
    """The text colour the widget puts on `brand` and its contrast ratio."""
    return max(((text, contrast(brand, text)) for text in (WHITE, INK)), key=lambda pair: pair[1])


def brand_colour(raw: str) -> str:
    """'#0f5f63' from '#0F5F63', '0f5f63' or '#0f6'; a colour no text is readable on is refused."""
    match = _HEX.fullmatch((raw or "").strip())
    if match is None:
        raise InvalidSettings({"color": "use a hex colour like #0f5f63"})
    digits = match.group(1).lower()
    colour = "#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits))
    _text, ratio = text_contrast(colour)
    if ratio < MIN_CONTRAST:
        raise InvalidSettings({"color": (
            f"{colour} is hard to read: neither white nor dark text on it reaches a contrast of "
            f"{MIN_CONTRAST}:1 (the best is {ratio:.2f}:1); choose a darker or a lighter colour"
        )})
    return colour


def https_url(raw: str | None, field: str) -> str | None:
    """An absolute https URL (or None for an empty field)."""
    value = (raw or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if len(value) > URL_MAX or parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise InvalidSettings({field: f"use an https:// address of at most {URL_MAX} characters"})
    return value


def branding(raw: Mapping[str, str | None]) -> Branding:
    """Every branding field checked at once, so the form shows every problem together."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, check in (
        ("color", lambda: brand_colour(raw.get("color") or "")),
        ("title", lambda: _text(raw.get("title"), "title", TITLE_MAX, required=True)),
        ("greeting", lambda: _text(raw.get("greeting"), "greeting", GREETING_MAX, required=False)),
        ("avatar_url", lambda: https_url(raw.get("avatar_url"), "avatar_url")),
    ):
        try:
            values[field] = check()
        except InvalidSettings as error:
            problems.update(error.problems)
    if problems:
        raise InvalidSettings(problems)
    return Branding(**values)


def _text(raw: str | None, field: str, limit: int, *, required: bool) -> str | None:
    value = " ".join((raw or "").split())  # one line: it is a heading or a greeting
    if not value:
        if required:
            raise InvalidSettings({field: "cannot be empty"})
        return None
    if len(value) > limit:
        raise InvalidSettings({field: f"at most {limit} characters (this has {len(value)})"})
    return value


# --- FAQ answers ------------------------------------------------------------------------

def faq_answer(language: str, raw: str | None) -> str:
    if language not in LANGUAGES:
        raise InvalidSettings({"language": f"must be one of {', '.join(LANGUAGES)}"})
    # Line breaks are kept (answers may list steps); trailing spaces on lines are not.
    answer = "\n".join(line.rstrip() for line in (raw or "").strip().replace("\r\n", "\n").split("\n"))
    if not answer:
        raise InvalidSettings({"answer": "cannot be empty"})
    if len(answer) > FAQ_ANSWER_MAX_CHARS:
        raise InvalidSettings({"answer": f"at most {FAQ_ANSWER_MAX_CHARS} characters (this has {len(answer)})"})
    return answer


# --- allowed origins ----------------------------------------------------------------------

def origin(raw: str) -> str:
    """'https://www.example.com' (scheme and host, optional port; nothing else)."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    plain_local = parts.scheme == "http" and host in _LOCAL_HOSTS
    if (
        (parts.scheme != "https" and not plain_local)
        or not _HOST.fullmatch(host)
        or parts.username or parts.password or parts.path or parts.query or parts.fragment
        or port == -1 or "*" in value
    ):
        raise InvalidSettings({"allowed_origins": (
            f"{raw.strip()!r} is not an origin like https://www.example.com "
            "(https, a host name and an optional port; no path; http only for localhost)"
        )})
    default_port = {"https": 443, "http": 80}[parts.scheme]  # browsers leave it out of Origin
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


def origins(lines: Iterable[str]) -> tuple[str, ...]:
    """One origin per line; duplicates dropped, order kept; every bad line reported."""
    values = [line for line in lines if line.strip()]
    found: list[str] = []
    bad: list[str] = []
    for line in values:
        try:
            found.append(origin(line))
        except InvalidSettings as error:
            bad.append(error.problems["allowed_origins"])
    if bad:
        raise InvalidSettings({"allowed_origins": "; ".join(bad)})
    unique = tuple(dict.fromkeys(found))
    if len(unique) > MAX_ORIGINS:
        raise InvalidSettings({"allowed_origins": f"at most {MAX_ORIGINS} origins"})
    return unique


# --- business hours and closures -----------------------------------------------------------

def day_intervals(raw: str | None, day: str) -> list[list[str]]:
    """'08:00-16:00, 18:00-20:00' -> [["08:00", "16:00"], ["18:00", "20:00"]]; empty: closed."""
    text = (raw or "").strip()
    if not text or text.lower() == "closed":
        return []
    intervals = []
    for part in text.split(","):
        match = _INTERVAL.fullmatch(part)
        if match is None:
            raise InvalidSettings({day: f"{part.strip()!r} is not like 08:00-16:00 (or leave empty for closed)"})
        intervals.append([_clock(match.group(1)), _clock(match.group(2))])
    return intervals


def format_day(intervals: Iterable[Iterable[str]]) -> str:
    return ", ".join("-".join(interval) for interval in intervals)


def closed_days(lines: Iterable[str]) -> tuple[str, ...]:
    """One date (YYYY-MM-DD) per line, sorted, duplicates dropped."""
    found = {_calendar_day(line.strip()) for line in lines if line.strip()}
    if len(found) > MAX_CLOSURES:
        raise InvalidSettings({"closed": f"at most {MAX_CLOSURES} closed days"})
    return tuple(sorted(found))


def _calendar_day(value: str) -> str:
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise InvalidSettings({"closed": f"{value!r} is not a date like 2026-12-25"})


def time_zones() -> frozenset[str]:
    return _time_zones()


@cache
def _time_zones() -> frozenset[str]:
    # 'localtime' and 'posixrules' are files of the zone database, not zones a firm is in.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def hours(time_zone: str, days: Mapping[str, str | None], closed: Iterable[str]) -> Hours:
    """The hours form (a zone, one text field per weekday, closed dates) checked as a whole."""
    problems: dict[str, str] = {}
    zone = (time_zone or "").strip()
    if zone not in time_zones():  # IANA names only, not paths or 'localtime'
        problems["time_zone"] = f"{zone!r} is not a time zone; use an IANA name like Europe/Oslo"
    weekly: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        try:
            weekly[day] = day_intervals(days.get(day), day)
        except InvalidSettings as error:
            problems.update(error.problems)
    try:
        closures = closed_days(closed)
    except InvalidSettings as error:
        problems.update(error.problems)
        closures = ()
    if not problems:
        try:  # the stored format's own rules (empty intervals, 24:00 starts, ...)
            parse_business_hours({**weekly, CLOSED: list(closures)}, zone)
        except InvalidBusinessHours as error:
            day, _, problem = str(error).partition(": ")
            problems.update({day: problem} if day in WEEKDAYS else {"hours": str(error)})
    if problems:
        raise InvalidSettings(problems)
    return Hours(zone, weekly, closures)


def _clock(value: str) -> str:
    hours_part, minutes_part = value.split(":")
    return f"{int(hours_part):02d}:{minutes_part}"
