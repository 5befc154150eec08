"""CSV files a spreadsheet opens safely, and SVG charts a screen reader can read."""

from __future__ import annotations

import csv as stdlib_csv
import io
import xml.etree.ElementTree as ET
from datetime import date

from bot.reports import charts, csv
from bot.reports.queries import (
    Counted,
    Csat,
    DayCounts,
    Fallbacks,
    FullReport,
    Handoffs,
    Percentiles,
    ReportScope,
    SelfService,
    Times,
    Totals,
)

SVG = "{http://www.w3.org/2000/svg}"


def report(**changes) -> FullReport:
    scope = ReportScope(1, "Europe/Oslo", date(2026, 11, 2), date(2026, 11, 3))
    days = [DayCounts(date(2026, 11, 2), 3, 2, 1, 0, 0), DayCounts(date(2026, 11, 3), 0)]
    base = dict(
        scope=scope,
        self_service=SelfService(Totals(3, 2, 1, 0, 0), days, 0.5),
        handoffs=Handoffs(dict.fromkeys(("asked_for_person", "complaint"), 1), 2, 0),
        times=Times(Percentiles(1, 42.5, 42.5), Percentiles(0, None, None), Percentiles(0, None, None)),
        agent_hours=[],
        csat=Csat(1, 1, 4.0, {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}),
        intents=[Counted("check_balance", 2)],
        faq=[],
        fallbacks=Fallbacks(4, 1, [Counted("=HYPERLINK(\"http://evil\")", 1)]),
    )
    return FullReport(**{**base, **changes})


def parse(text: str) -> list[list[str]]:
    return list(stdlib_csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_has_a_bom_a_header_crlf_lines_and_fractions() -> None:
    text = csv.report_csv("conversations", report())
    assert text.startswith("\ufeffday,conversations,") and "\r\n" in text
    assert parse(text)[1:] == [["2026-11-02", "3", "2", "1", "0", "0", "0.6667"], ["2026-11-03", "0", "0", "0", "0", "0", ""]]
    assert parse(csv.report_csv("times", report()))[1] == ["time_in_queue", "1", "42.5", "42.5"]


def test_a_customers_words_never_run_as_a_spreadsheet_formula() -> None:
    rows = parse(csv.report_csv("fallbacks", report()))
    assert ["message", "'=HYPERLINK(\"http://evil\")", "1"] in rows
    assert ["summary", "fallback_rate", "0.25"] in rows


def test_every_report_has_a_csv_and_an_unknown_name_is_refused() -> None:
    for name in ("conversations", "handoffs", "times", "agent_hours", "csat", "intents", "faq", "fallbacks"):
        assert parse(csv.report_csv(name, report()))[0]
    try:
        csv.report_csv("secrets", report())
    except csv.UnknownReport:
        pass
    else:
        raise AssertionError("an unknown report must be refused")


def _svg(markup: str) -> ET.Element:
    assert "style=" not in markup and "<script" not in markup  # strict CSP: nothing inline
    return ET.fromstring(markup)


def test_a_column_chart_is_an_accessible_image_that_says_its_numbers() -> None:
    markup = charts.stacked_columns(
        "Conversations <per> day",
        ["02.11", "03.11"],
        [charts.Series("Served & done", [2, 0], "#1f6feb"), charts.Series("Person", [1, 0], "#b35900")],
    )
    svg = _svg(markup)
    assert svg.get("role") == "img" and svg.get("viewBox").startswith("0 0 480 ")
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Conversations <per> day"  # escaped in the markup, text again when parsed
    assert desc.text == "02.11: Served & done 2, Person 1; 03.11: Served & done 0, Person 0"
    bars = svg.findall(f"{SVG}rect[{SVG}title]")
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["02.11: Served & done 2", "02.11: Person 1"]
    heights = [float(bar.get("height")) for bar in bars]
    assert abs(heights[0] - 2 * heights[1]) < 0.2  # proportional (drawn to a tenth of a unit)


def test_bars_and_lines_render_without_data_and_with_gaps() -> None:
    bars = _svg(charts.horizontal_bars("Reasons", []))
    assert bars.find(f"{SVG}desc").text == "no data"
    line = _svg(charts.line("Rate", ["a", "b", "c"], [0.5, None, 1.0]))
    assert line.find(f"{SVG}desc").text == "a: 50 %; b: no data; c: 100 %"
    assert len(line.findall(f"{SVG}polyline")) == 2  # no line drawn across the missing day
