"""What is wrong with a firm's input, field by field, so a form can say it next to each field."""

from __future__ import annotations

from collections.abc import Mapping

from bot.db.errors import DomainError


class InvalidSettings(DomainError, ValueError):
    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in self.problems.items()))


class UnknownFaqTopic(DomainError, LookupError):
    """The firm may only answer topics the assistant recognises (the tenant's existing keys)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no FAQ topic {key!r} for this firm")
        self.key = key
