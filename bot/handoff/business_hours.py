"""A tenant's opening hours in its own time zone (pure).

Format (tenants.business_hours): {"mon": [["08:00", "16:00"]], ..., "sun": []}.
- Days are mon..sun; a missing day or an empty list means closed all day.
- An interval opens at its start (inclusive) and closes at its end (exclusive).
- "24:00" may end an interval; an end at or before the start runs past
  midnight (["22:00", "02:00"] on fri is open fri 22:00 until sat 02:00).
- Times are local wall-clock times in the tenant's IANA zone, so opening hours
  follow daylight saving time.
- Optional "closed": ["2026-12-25", ...] lists holiday closures: each closes that whole
  local calendar day (00:00-24:00 in the tenant's zone), whatever the weekday says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = "closed"  # the key of holiday closures beside the weekdays
MAX_CLOSURES = 200
DAY_MINUTES = 24 * 60
_CLOCK = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")


class InvalidBusinessHours(ValueError):
    """The business hours (or time zone) cannot be understood; the message says where."""


@dataclass(frozen=True)
class OpeningHours:
    zone: ZoneInfo
    # Per weekday (0 = Monday), the open minutes of that local day as [start, end)
    # ranges, after splitting intervals that run past midnight.
    minutes: tuple[tuple[tuple[int, int], ...], ...]
    closed: frozenset[date] = frozenset()  # local calendar days closed all day

    def is_open(self, at: datetime) -> bool:
        local = _local(at, self.zone)
        if local.date() in self.closed:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(start <= minute < end for start, end in self.minutes[local.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """`at` itself when open, else the next moment it opens (UTC); None if never open."""
        if self.is_open(at):
            return at
        local = _local(at, self.zone)
        for days_ahead in range(8 + len(self.closed)):  # a week past every closed day
            day: date = local.date() + timedelta(days=days_ahead)
            if day in self.closed:
                continue
            for start, _end in sorted(self.minutes[day.weekday()]):
                opening = datetime.combine(day, _clock_time(start), tzinfo=self.zone)
                # Skip the carried-over part of an overnight interval (start 0) when it
                # merely continues opening hours that began the evening before.
                if opening > local and not (start == 0 and self._open_before_midnight(day)):
                    return opening.astimezone(UTC)
        return None

    def _open_before_midnight(self, day: date) -> bool:
        if day - timedelta(days=1) in self.closed:
            return False
        previous = self.minutes[(day.weekday() - 1) % 7]
        return any(end == DAY_MINUTES for _start, end in previous)


def parse_business_hours(raw: Mapping[str, Any], time_zone: str) -> OpeningHours:
    """Validate the stored format (see module doc); InvalidBusinessHours says what is wrong."""
    zone = parse_time_zone(time_zone)
    if not isinstance(raw, Mapping):
        raise InvalidBusinessHours("business hours must be an object like {\"mon\": [[\"08:00\", \"16:00\"]]}")
    unknown = sorted(set(raw) - set(WEEKDAYS) - {CLOSED})
    if unknown:
        raise InvalidBusinessHours(f"unknown day(s) {unknown}; use {', '.join(WEEKDAYS)}")
    per_day: list[list[tuple[int, int]]] = [[] for _ in WEEKDAYS]
    for index, day in enumerate(WEEKDAYS):
        intervals = raw.get(day) or []
        if not isinstance(intervals, list):
            raise InvalidBusinessHours(f"{day}: expected a list of [start, end] pairs")
        for interval in intervals:
            start, end = _interval(day, interval)
            if end > start:
                per_day[index].append((start, end))
            else:  # past midnight: the rest of today, then the start of tomorrow
                per_day[index].append((start, DAY_MINUTES))
                if end > 0:
                    per_day[(index + 1) % 7].append((0, end))
    return OpeningHours(
        zone, tuple(tuple(sorted(ranges)) for ranges in per_day), _closures(raw.get(CLOSED) or [])
    )


def _closures(raw: Any) -> frozenset[date]:
    if not isinstance(raw, list):
        raise InvalidBusinessHours(f"{CLOSED}: expected a list of dates like \"2026-12-25\"")
    if len(raw) > MAX_CLOSURES:
        raise InvalidBusinessHours(f"{CLOSED}: at most {MAX_CLOSURES} closed days")
    return frozenset(_closed_day(value) for value in raw)


def _closed_day(value: Any) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidBusinessHours(f"{CLOSED}: {value!r} is not a date like \"2026-12-25\"")


def parse_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise InvalidBusinessHours(f"unknown time zone {name!r} (use an IANA name like Europe/Oslo)") from error


def _interval(day: str, interval: Any) -> tuple[int, int]:
    if not (isinstance(interval, list | tuple) and len(interval) == 2):
        raise InvalidBusinessHours(f"{day}: each interval must be [\"HH:MM\", \"HH:MM\"]")
    start, end = (_minutes(day, value) for value in interval)
    if start == DAY_MINUTES:
        raise InvalidBusinessHours(f"{day}: an interval cannot start at 24:00")
    if start == end:
        raise InvalidBusinessHours(f"{day}: interval {interval} is empty")
    return start, end


def _minutes(day: str, value: Any) -> int:
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidBusinessHours(f"{day}: {value!r} is not a time like \"08:00\"")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        raise InvalidBusinessHours(f"{day}: {value!r} is past midnight")
    return hours * 60 + minutes


def _clock_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _local(at: datetime, zone: ZoneInfo) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use an aware datetime (UTC)")
    return at.astimezone(zone)
