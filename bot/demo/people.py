"""Deterministic, realistic-looking demo customers (fixed seed per tenant).

All e-mail domains are example.* and UK mobile numbers come from Ofcom's
drama range (07700 900xxx), so no real person is addressed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import product

from bot.demo.specs import AccountSpec

REFERENCE_DAY = date(2025, 11, 1)  # "today" of the demo data; keeps it deterministic

NORWEGIAN_FIRST_NAMES = (
    "Kari", "Ingrid", "Lars", "Nora", "Emma", "Jakob", "Sofie", "Henrik", "Maja", "Aksel",
    "Ida", "Magnus", "Thea", "Sindre", "Hedda", "Eirik", "Solveig", "Håkon", "Marit", "Øyvind",
    "Åse", "Tor", "Astrid", "Sigrid",
)
NORWEGIAN_LAST_NAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg",
    "Haugen", "Hagen", "Bakken", "Solberg", "Strand", "Dahl", "Lie", "Sæther", "Bjørnstad",
    "Østby", "Aasen", "Myhre",
)
NORWEGIAN_POSTCODES = (
    "0150", "0182", "0256", "0468", "0556", "0661", "1530", "1606", "2317", "2815", "3015",
    "3510", "4006", "4610", "5003", "5067", "6002", "7010", "7030", "8006", "9008",
)
BRITISH_FIRST_NAMES = (
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Charlie", "Grace",
    "Thomas", "Poppy", "James", "Evie", "William", "Freya", "Alfie", "Florence", "Arthur",
    "Ruby", "Priya", "Aisha", "Connor", "Siobhan",
)
BRITISH_LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas",
    "Roberts", "Walker", "Wright", "Patel", "Khan", "Hughes", "Edwards", "Green", "Hall",
    "Wood", "Murphy", "Campbell", "MacDonald",
)
BRITISH_POSTCODES = (
    "BS1 4DJ", "M1 1AE", "LS1 4AP", "B2 4QA", "EH1 1YZ", "CF10 1EP", "NE1 7RU", "G1 1XQ",
    "L1 8JQ", "SW1A 2AA", "N1 9GU", "SE1 7PB", "OX1 2JD", "CB2 1TN", "BT1 5GS", "YO1 7HH",
    "NG1 5FS", "S1 2HE", "PL1 2AA", "EX4 3LS",
)
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})


def make_accounts(
    *,
    seed: str,
    region: str,
    first_number: int,
    count: int,
    plans: tuple[str, ...],
    amount_range: tuple[int, int],
    first: AccountSpec,
) -> tuple[AccountSpec, ...]:
    """`first` (the documented demo customer) plus count-1 generated accounts.

    Account 2 is suspended with arrears, 3 owes nothing, 4 has never paid and
    5 is closed, so every case the bot handles exists; the rest vary at random.
    """
    rng = random.Random(seed)
    norwegian = region == "no"
    firsts, lasts = (
        (NORWEGIAN_FIRST_NAMES, NORWEGIAN_LAST_NAMES)
        if norwegian
        else (BRITISH_FIRST_NAMES, BRITISH_LAST_NAMES)
    )
    names = [f"{a} {b}" for a, b in product(firsts, lasts) if f"{a} {b}" != first.name]
    rng.shuffle(names)
    postcodes = NORWEGIAN_POSTCODES if norwegian else BRITISH_POSTCODES
    domains = ("example.no", "example.com") if norwegian else ("example.co.uk", "example.com")
    low, high = amount_range

    accounts = [first]
    for index in range(1, count):
        name = names[index]
        status = "active"
        amount_due = _money(rng.randint(low, high) + rng.choice((0, 0.5, 0.9)))
        paid_days_ago: int | None = rng.randint(3, 75)
        if index == 1:
            status, amount_due = "suspended", _money(high * 2.5 + 17.4)  # months of arrears
        elif index == 2:
            amount_due = _money(0)
        elif index == 3:
            paid_days_ago = None  # a new customer, first bill not paid yet
        elif index == 4:
            status, amount_due = "closed", _money(0)
        elif rng.random() < 0.12:
            status = "suspended"
        elif rng.random() < 0.2:
            amount_due = _money(0)
        joined_days_ago = rng.randint(10, 40) if paid_days_ago is None else rng.randint(120, 2400)
        accounts.append(
            AccountSpec(
                account_number=str(first_number + index),
                name=name,
                email=_email(name, rng.choice(domains)),
                phone=_phone(rng, norwegian),
                postcode=rng.choice(postcodes),
                plan=rng.choice(plans),
                amount_due=amount_due,
                status=status,
                last_payment_amount=(
                    None
                    if paid_days_ago is None
                    else _money(rng.randint(low, high) + rng.choice((0, 0.5)))
                ),
                last_payment_at=(
                    None if paid_days_ago is None else REFERENCE_DAY - timedelta(days=paid_days_ago)
                ),
                created_at=datetime.combine(
                    REFERENCE_DAY - timedelta(days=joined_days_ago), datetime.min.time(), UTC
                ),
            )
        )
    return tuple(accounts)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _email(name: str, domain: str) -> str:
    return f"{name.translate(_ASCII).lower().replace(' ', '.')}@{domain}"


def _phone(rng: random.Random, norwegian: bool) -> str:
    if norwegian:
        return f"+47 {rng.choice('49')}{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(100, 999)}"
    return f"+44 7700 900{rng.randint(0, 999):03d}"
