"""Read an accounts CSV and validate every row before anything is written.

Row numbers are the file's line numbers as a spreadsheet shows them: the header is
row 1, the first account row 2.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.db.accounts import ACCOUNT_FIELDS, REQUIRED_ACCOUNT_FIELDS, AccountFields, InvalidAccount, parse_account


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.reason}"


@dataclass
class CheckedFile:
    accounts: list[AccountFields] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0  # account rows read (header not counted)

    @property
    def bad_rows(self) -> int:
        return len({problem.row for problem in self.problems if problem.row > 1})

    @property
    def header_is_bad(self) -> bool:
        return any(problem.row == 1 for problem in self.problems)


def check_rows(lines: Iterable[str]) -> CheckedFile:
    result = CheckedFile()
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = sorted(REQUIRED_ACCOUNT_FIELDS - set(header))
    unknown = [name for name in header if name not in ACCOUNT_FIELDS]
    result.problems += [RowProblem(1, name, "required column missing") for name in missing]
    result.problems += [RowProblem(1, name or "(empty)", "unknown column") for name in unknown]
    if result.problems:
        return result
    reader.fieldnames = header
    first_row_of: dict[str, int] = {}
    for row_number, row in enumerate(reader, start=2):
        result.rows += 1
        if None in row:  # more cells than columns
            result.problems.append(RowProblem(row_number, "(row)", "more cells than the header has columns"))
            continue
        try:
            account = parse_account({k: v for k, v in row.items() if v is not None})
        except InvalidAccount as error:
            result.problems += [RowProblem(row_number, f, reason) for f, reason in error.problems]
            continue
        earlier = first_row_of.setdefault(account.account_number, row_number)
        if earlier != row_number:
            result.problems.append(
                RowProblem(row_number, "account_number", f"the same account as row {earlier}")
            )
            continue
        result.accounts.append(account)
    return result
