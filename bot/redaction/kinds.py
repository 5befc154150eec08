"""What the redactor replaces, and the placeholder each kind becomes."""

CARD = "card"
NATIONAL_ID = "national-id"
EMAIL = "email"
PHONE = "phone"
BANK_ACCOUNT = "bank-account"

KINDS = (CARD, NATIONAL_ID, EMAIL, PHONE, BANK_ACCOUNT)


def placeholder(kind: str) -> str:
    return f"[{kind}]"
