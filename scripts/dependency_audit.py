"""Known vulnerabilities of the pinned packages, from the vulnerability records PyPI publishes.

    .venv/app/bin/python scripts/dependency_audit.py requirements/app.lock requirements/engine.lock

Why not plain pip-audit: it asks PyPI per release (/pypi/<name>/<version>/json) or OSV, and
neither answers from the build machines (404, and no DNS for OSV). What does answer is the
project page, /pypi/<name>/json, whose `vulnerabilities` are PyPI's records (fed by OSV, the
PyPA advisory database and GitHub's) for the project's *newest* release. So:

- a pin that is the newest release is audited exactly, with data as PyPI serves it now;
- an older pin cannot be audited here: it is listed as NOT AUDITED, never as clean. An
  advisory of the newest release that has no fix (`fixed_in` empty) is reported against the
  older pin too, since nothing released fixes it;
- a finding written in requirements/audit-exceptions.txt (id or alias, package, reason) is
  shown as accepted instead of failing; so is a pin that cannot be the newest release, written
  as `NOT-AUDITED <lock file name>:<package> <reason>` (or `NOT-AUDITED <lock file name>
  <reason>` for every pin of a lock). AUDIT_REQUIRED=1 fails on a pin not audited *and* not explained there.

Exit status: 1 when a finding is not accepted, or when AUDIT_REQUIRED=1 and a pin could not be
audited without a written reason; 2 when PyPI could not be reached at all; 3 for a malformed
exceptions file; else 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

DEFAULT_INDEX = "https://pypi.org"
NOT_AUDITED = "NOT-AUDITED"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#\\]+)")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    lock: str


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str

    @property
    def names(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))


@dataclass(frozen=True)
class Accepted:
    """A line of audit-exceptions.txt: an advisory (or NOT-AUDITED) accepted for a package."""

    id: str
    package: str  # canonical name, "<lock>:<name>", or "<lock>" (NOT-AUDITED only)
    reason: str


@dataclass
class PinReport:
    pin: Pin
    newest: str | None = None
    audited: bool = False
    held_back: str | None = None  # the written reason it is not the newest release
    findings: list[Advisory] = field(default_factory=list)  # apply (or may apply) to the pin
    accepted: list[tuple[Advisory, Accepted]] = field(default_factory=list)
    error: str | None = None


def read_pins(lock: Path) -> list[Pin]:
    pins = []
    for line in lock.read_text().splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins.append(Pin(canonicalize_name(match[1]), match[2], lock.name))
    return pins


def read_exceptions(path: Path) -> list[Accepted]:
    exceptions = []
    if not path.exists():
        return exceptions
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            raise ValueError(f"{path}:{number}: write '<id> <package> <reason>', got {line!r}")
        lock, _, package = parts[1].rpartition(":")
        if package.endswith(".lock"):
            lock, package = package, ""
        key = f"{lock}:{canonicalize_name(package)}" if lock else canonicalize_name(package)
        exceptions.append(Accepted(parts[0], key.rstrip(":"), parts[2]))
    return exceptions


def held_back_reason(pin: Pin, exceptions: list[Accepted]) -> str | None:
    """Why this pin is knowingly not the newest release (so not audited), if written down."""
    for exception in exceptions:
        if exception.id == NOT_AUDITED and exception.package in (f"{pin.lock}:{pin.name}", pin.lock):
            return exception.reason
    return None


def fetch_project(index: str, name: str, timeout: float = 60.0) -> dict:
    request = urllib.request.Request(
        f"{index.rstrip('/')}/pypi/{name}/json",
        headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
    return json.loads(body)


def advisories(project: dict) -> list[Advisory]:
    found = []
    for record in project.get("vulnerabilities") or []:
        if record.get("withdrawn"):
            continue
        text = record.get("summary") or record.get("details") or ""
        found.append(
            Advisory(
                id=str(record.get("id")),
                aliases=tuple(str(alias) for alias in record.get("aliases") or ()),
                fixed_in=tuple(str(version) for version in record.get("fixed_in") or ()),
                summary=" ".join(text.split())[:160],
            )
        )
    return _without_duplicates(found)


def _without_duplicates(found: list[Advisory]) -> list[Advisory]:
    """PyPI lists one vulnerability once per source (PYSEC-…, GHSA-…) with each other as aliases."""
    kept: list[Advisory] = []
    for advisory in found:
        if not any(advisory.names & other.names for other in kept):
            kept.append(advisory)
    return kept


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def audit_pin(pin: Pin, project: dict, exceptions: list[Accepted]) -> PinReport:
    newest = str(project.get("info", {}).get("version") or "")
    audited = _same_version(pin.version, newest)
    report = PinReport(pin, newest=newest, audited=audited,
                       held_back=None if audited else held_back_reason(pin, exceptions))
    for advisory in advisories(project):
        # The records are those of the newest release: they apply to the pin when the pin is
        # that release, and may apply to an older pin when no release fixes them.
        if not (report.audited or not advisory.fixed_in):
            continue
        accepted = next(
            (e for e in exceptions if e.package == pin.name and e.id in advisory.names), None
        )
        if accepted:
            report.accepted.append((advisory, accepted))
        else:
            report.findings.append(advisory)
    return report


def audit(pins: list[Pin], exceptions: list[Accepted], index: str, workers: int = 4) -> list[PinReport]:
    def one(pin: Pin) -> PinReport:
        try:
            return audit_pin(pin, fetch_project(index, pin.name), exceptions)
        except (OSError, ValueError) as error:  # URLError, HTTPError, timeouts, bad JSON
            return PinReport(pin, error=str(error), held_back=held_back_reason(pin, exceptions))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pins))


def render(reports: list[PinReport], exceptions: list[Accepted], when: datetime) -> tuple[str, int]:
    lines = [
        f"Advisory data: PyPI's vulnerability records as served at {when:%Y-%m-%d %H:%M} UTC, "
        "for each project's newest release only (PyPI's per-release records and OSV are not "
        "reachable from here)."
    ]
    failed = False
    for lock in dict.fromkeys(report.pin.lock for report in reports):
        mine = [report for report in reports if report.pin.lock == lock]
        audited = [report for report in mine if report.audited and not report.error]
        not_audited = [report for report in mine if not report.audited or report.error]
        lines.append(f"\n== {lock}: {len(audited)} of {len(mine)} pins audited")
        for report in mine:
            for advisory in report.findings:
                failed = True
                fix = ", ".join(advisory.fixed_in) or "no fixed release"
                how = "" if report.audited else f" (unfixed in the newest release {report.newest}; may apply)"
                lines.append(
                    f"VULNERABLE {report.pin.name}=={report.pin.version}: {advisory.id} "
                    f"[{', '.join(advisory.aliases)}] fixed in: {fix}{how} — {advisory.summary}"
                )
            for advisory, exception in report.accepted:
                lines.append(
                    f"accepted   {report.pin.name}=={report.pin.version}: {advisory.id} — {exception.reason}"
                )
        explained = [r for r in not_audited if r.held_back]
        unexplained = [r for r in not_audited if not r.held_back]
        for reason in dict.fromkeys(r.held_back for r in explained):
            held = [r for r in explained if r.held_back == reason]
            lines.append(f"not audited: {', '.join(_pin_and_newest(r) for r in held)} — {reason}")
        if unexplained:
            lines.append(
                f"NOT AUDITED, no reason written ({len(unexplained)}): not the newest release, "
                "so PyPI gives no records for it here:"
            )
            lines.append("  " + ", ".join(_pin_and_newest(r) for r in unexplained))
    findings = {(r.pin.name, a.names) for r in reports for a, _ in r.accepted}
    unused = [
        e for e in exceptions
        if e.id != NOT_AUDITED and not any(e.package == name and e.id in names for name, names in findings)
    ]
    for exception in unused:
        lines.append(f"note: exception {exception.id} ({exception.package}) matched nothing this run")
    unaudited = [r for r in reports if not r.audited or r.error]
    unexplained = sum(1 for r in unaudited if not r.held_back)
    lines.append(
        f"\n{'VULNERABILITIES FOUND' if failed else 'No unaccepted known vulnerability'} in the "
        f"{len(reports) - len(unaudited)} audited pins; {len(unaudited)} pins not audited "
        f"({unexplained} without a written reason)."
    )
    status = 1 if failed else 0
    if unexplained and os.environ.get("AUDIT_REQUIRED") == "1":
        status = 1
    return "\n".join(lines), status


def _pin_and_newest(report: PinReport) -> str:
    detail = f"newest {report.newest}" if report.newest else report.error
    return f"{report.pin.name}=={report.pin.version} ({detail})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("locks", nargs="+", type=Path)
    parser.add_argument("--exceptions", type=Path, default=Path("requirements/audit-exceptions.txt"))
    parser.add_argument("--index", default=os.environ.get("AUDIT_INDEX_URL", DEFAULT_INDEX))
    args = parser.parse_args(argv)

    try:
        exceptions = read_exceptions(args.exceptions)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 3
    pins = [pin for lock in args.locks for pin in read_pins(lock)]
    reports = audit(pins, exceptions, args.index)
    if all(report.error for report in reports):
        print(
            f"DEPENDENCY AUDIT NOT DONE: {args.index} did not answer for any package "
            f"({reports[0].error if reports else 'no pins'}).",
            file=sys.stderr,
        )
        return 2
    text, status = render(reports, exceptions, datetime.now(timezone.utc))
    print(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
