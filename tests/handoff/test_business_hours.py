"""Opening hours in the tenant's own time zone: boundaries, closed days, DST, overnight hours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.demo.firms import FIRMS
from bot.handoff.business_hours import InvalidBusinessHours, parse_business_hours

FIRM = {firm.slug: firm for firm in FIRMS}


def _hours(slug: str):  # type: ignore[no-untyped-def]
    firm = FIRM[slug]
    return parse_business_hours(firm.business_hours, firm.time_zone)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2025-01-15T06:59:59", False),  # 07:59:59 in Oslo (winter, UTC+1)
        ("2025-01-15T07:00:00", True),  # 08:00 opens, inclusive
        ("2025-01-15T14:59:59", True),
        ("2025-01-15T15:00:00", False),  # 16:00 closes, exclusive
        ("2025-07-16T05:59:00", False),  # 07:59 in Oslo (summer, UTC+2)
        ("2025-07-16T06:00:00", True),
        ("2025-07-16T13:59:00", True),
        ("2025-07-16T14:00:00", False),
        ("2025-01-18T10:00:00", False),  # Saturday: empty list
        ("2025-01-19T10:00:00", False),  # Sunday
    ],
)
def test_nordlys_opens_8_to_16_on_weekdays_in_oslo_time(moment: str, is_open: bool) -> None:
    assert _hours("nordlys").is_open(utc(moment)) is is_open


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2025-01-15T17:29:00", True),  # London winter = UTC
        ("2025-01-15T17:30:00", False),
        ("2025-07-16T16:29:00", True),  # 17:29 BST
        ("2025-07-16T16:30:00", False),
        ("2025-01-18T12:59:00", True),  # Saturday 09-13
        ("2025-01-18T13:00:00", False),
    ],
)
def test_lighthouse_follows_london_time(moment: str, is_open: bool) -> None:
    assert _hours("lighthouse").is_open(utc(moment)) is is_open


def test_the_same_moment_is_open_for_one_tenant_and_closed_for_another() -> None:
    moment = utc("2025-01-15T16:30:00")  # 17:30 in Oslo, 16:30 in London
    assert not _hours("nordlys").is_open(moment)
    assert _hours("fjordnett").is_open(moment)  # open until 20:00
    assert _hours("lighthouse").is_open(moment)


def test_hours_past_midnight_continue_into_the_next_day() -> None:
    hours = parse_business_hours({"fri": [["22:00", "02:00"]]}, "UTC")
    assert not hours.is_open(utc("2025-01-17T21:59:00"))
    assert hours.is_open(utc("2025-01-17T22:00:00"))
    assert hours.is_open(utc("2025-01-18T01:59:00"))  # Saturday night
    assert not hours.is_open(utc("2025-01-18T02:00:00"))
    assert not hours.is_open(utc("2025-01-18T22:30:00"))  # only Friday nights


def test_sunday_night_hours_continue_into_monday() -> None:
    hours = parse_business_hours({"sun": [["23:00", "01:00"]]}, "UTC")
    assert hours.is_open(utc("2025-01-20T00:30:00"))  # Monday 00:30


def test_24_00_ends_the_day() -> None:
    hours = parse_business_hours({"mon": [["20:00", "24:00"]]}, "UTC")
    assert hours.is_open(utc("2025-01-13T23:59:59"))
    assert not hours.is_open(utc("2025-01-14T00:00:00"))


def test_missing_days_are_closed() -> None:
    hours = parse_business_hours({"mon": [["08:00", "16:00"]]}, "Europe/Oslo")
    assert not hours.is_open(utc("2025-01-14T10:00:00"))  # Tuesday


def test_several_intervals_a_day() -> None:
    hours = parse_business_hours({"wed": [["08:00", "11:00"], ["12:00", "16:00"]]}, "UTC")
    assert hours.is_open(utc("2025-01-15T10:59:00"))
    assert not hours.is_open(utc("2025-01-15T11:30:00"))  # lunch
    assert hours.is_open(utc("2025-01-15T12:00:00"))


def test_next_opening_after_friday_closing_is_monday_morning_local_time() -> None:
    after_closing = utc("2025-01-17T15:30:00")  # Friday 16:30 in Oslo
    assert _hours("nordlys").next_opening(after_closing) == utc("2025-01-20T07:00:00")


def test_next_opening_crosses_the_switch_to_summer_time() -> None:
    # Daylight saving starts on Sunday 2025-03-30: Monday 08:00 is 06:00 UTC.
    assert _hours("nordlys").next_opening(utc("2025-03-28T17:00:00")) == utc("2025-03-31T06:00:00")


def test_next_opening_later_the_same_day_and_while_open() -> None:
    hours = _hours("nordlys")
    assert hours.next_opening(utc("2025-01-15T05:00:00")) == utc("2025-01-15T07:00:00")
    open_now = utc("2025-01-15T10:00:00")
    assert hours.next_opening(open_now) == open_now


def test_next_opening_of_a_tenant_that_never_opens_is_none() -> None:
    assert parse_business_hours({"mon": []}, "UTC").next_opening(utc("2025-01-15T10:00:00")) is None


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        _hours("nordlys").is_open(datetime(2025, 1, 15, 10, 0))


@pytest.mark.parametrize(
    ("raw", "zone", "problem"),
    [
        ({"monday": [["08:00", "16:00"]]}, "UTC", "unknown day"),
        ({"mon": [["8:00", "16:00"]]}, "UTC", "not a time"),
        ({"mon": [["08:00", "25:00"]]}, "UTC", "not a time"),
        ({"mon": [["08:00", "24:30"]]}, "UTC", "past midnight"),
        ({"mon": [["24:00", "02:00"]]}, "UTC", "cannot start at 24:00"),
        ({"mon": [["08:00"]]}, "UTC", "each interval"),
        ({"mon": [["08:00", "08:00"]]}, "UTC", "empty"),
        ({"mon": "08:00-16:00"}, "UTC", "list"),
        (["mon"], "UTC", "must be an object"),
        ({"mon": [["08:00", "16:00"]]}, "Mars/Olympus_Mons", "unknown time zone"),
        ({"mon": [["08:00", "16:00"]]}, "", "unknown time zone"),
    ],
)
def test_bad_business_hours_are_refused_with_a_clear_reason(raw: object, zone: str, problem: str) -> None:
    with pytest.raises(InvalidBusinessHours, match=problem):
        parse_business_hours(raw, zone)  # type: ignore[arg-type]


def test_a_holiday_closure_closes_the_whole_local_day_and_opening_moves_past_it() -> None:
    hours = parse_business_hours(
        {"mon": [["08:00", "16:00"]], "tue": [["08:00", "16:00"]], "closed": ["2025-12-22"]}, "Europe/Oslo")
    assert not hours.is_open(utc("2025-12-22T09:00:00"))  # Monday 10:00 in Oslo, a closed day
    assert hours.is_open(utc("2025-12-15T09:00:00"))  # the Monday before is a normal day
    assert hours.next_opening(utc("2025-12-22T09:00:00")) == utc("2025-12-23T07:00:00")


def test_closures_longer_than_a_week_still_find_the_next_opening() -> None:
    closed = [f"2025-12-{day:02d}" for day in range(15, 31)]
    hours = parse_business_hours({"mon": [["08:00", "16:00"]], "closed": closed}, "UTC")
    assert hours.next_opening(utc("2025-12-15T09:00:00")) == utc("2026-01-05T08:00:00")


@pytest.mark.parametrize("closed", [["24.12.2025"], "2025-12-24", ["2025-02-30"], [20251224]])
def test_a_closure_that_is_not_a_date_is_refused(closed: object) -> None:
    with pytest.raises(InvalidBusinessHours, match="closed"):
        parse_business_hours({"closed": closed}, "UTC")
