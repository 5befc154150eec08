"""Personal-data redaction: `Redactor().redact(text) -> Redacted(text, kinds)`."""

from bot.redaction.kinds import BANK_ACCOUNT, CARD, EMAIL, KINDS, NATIONAL_ID, PHONE
from bot.redaction.redactor import Redacted, Redactor

__all__ = ["BANK_ACCOUNT", "CARD", "EMAIL", "KINDS", "NATIONAL_ID", "PHONE", "Redacted", "Redactor"]
