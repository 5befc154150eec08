"""A review search as the list page's query string carries it, validated once.

    ?handed_off=1&not_understood=1&low_rating=1&annotated=1&language=nb
    &from=2026-11-30&to=2026-12-06&q=faktura&after=<cursor>

Dates are days in the tenant's time zone, both inclusive; `q` matches any message text of
the conversation, case-insensitively (the stored, redacted text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.db.models import LANGUAGES
from bot.review.errors import InvalidFilter

LOW_RATING_AT_MOST = 2  # a rating of 1 or 2 (of 5) is "low"
SEARCH_MAX_CHARS = 200
_FLAGS = ("handed_off", "not_understood", "low_rating", "annotated")
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})


@dataclass(frozen=True)
class ReviewFilter:
    handed_off: bool = False  # a handoff was asked for (queued, or left as a ticket)
    not_understood: bool = False  # at least one customer message the assistant did not understand
    low_rating: bool = False  # rated LOW_RATING_AT_MOST or less
    annotated: bool = False  # at least one message marked by a reviewer
    language: str | None = None
    first_day: date | None = None  # started on or after this day (tenant's time zone)
    last_day: date | None = None  # started on or before this day
    text: str | None = None

    def started_from(self, time_zone: str) -> datetime | None:
        return _start_of(self.first_day, time_zone) if self.first_day else None

    def started_before(self, time_zone: str) -> datetime | None:
        return _start_of(self.last_day + timedelta(days=1), time_zone) if self.last_day else None

    def as_query(self) -> dict[str, str]:
        """The query string that gives this filter back (for links to the next page)."""
        query: dict[str, str] = {}
        for name in _FLAGS:
            if getattr(self, name):
                query[name] = "1"
        if self.language:
            query["language"] = self.language
        if self.first_day:
            query["from"] = self.first_day.isoformat()
        if self.last_day:
            query["to"] = self.last_day.isoformat()
        if self.text:
            query["q"] = self.text
        return query

    @property
    def is_empty(self) -> bool:
        return self == ReviewFilter()


def parse_filter(query: Mapping[str, str]) -> ReviewFilter:
    """The filter of a query string, or InvalidFilter naming the first bad field."""
    flags = {name: _flag(name, query.get(name, "")) for name in _FLAGS}
    language = query.get("language", "").strip() or None
    if language is not None and language not in LANGUAGES:
        raise InvalidFilter("language", f"must be one of {', '.join(LANGUAGES)}")
    first_day = _day("from", query.get("from", ""))
    last_day = _day("to", query.get("to", ""))
    if first_day and last_day and last_day < first_day:
        raise InvalidFilter("to", "must not be before 'from'")
    text = " ".join(query.get("q", "").split()) or None
    if text is not None and len(text) > SEARCH_MAX_CHARS:
        raise InvalidFilter("q", f"at most {SEARCH_MAX_CHARS} characters")
    return ReviewFilter(**flags, language=language, first_day=first_day, last_day=last_day, text=text)


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidFilter(name, "must be 1 or 0")


def _day(name: str, raw: str) -> date | None:
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidFilter(name, "must be a date like 2026-12-06") from None


def _start_of(day: date, time_zone: str) -> datetime:
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day, time.min, tzinfo=zone)
