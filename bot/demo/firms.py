"""The three demo client firms: configuration, accounts, tickets and FAQ answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.demo.faq_texts import FJORDNETT_FAQ, LIGHTHOUSE_FAQ, NORDLYS_FAQ
from bot.demo.people import make_accounts
from bot.demo.specs import AccountSpec, FirmSpec, TicketSpec

LOCAL_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _hours(weekday: tuple[str, str], saturday: tuple[str, str] | None = None) -> dict[str, list[list[str]]]:
    hours: dict[str, list[list[str]]] = {day: [list(weekday)] for day in WEEKDAYS}
    hours["sat"] = [list(saturday)] if saturday else []
    hours["sun"] = []
    return hours


def _at(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def _joined(day: str) -> datetime:
    return _at(day, "00:00:00")


NORDLYS = FirmSpec(
    slug="nordlys",
    name="Nordlys Energi",
    trade="electricity",
    language="nb",
    time_zone="Europe/Oslo",
    currency="NOK",
    ticket_prefix="NRD",
    business_hours=_hours(("08:00", "16:00")),
    branding={
        "color": "#0F5F63",  # dark teal, 7.4:1 against white text
        "title": "Nordlys kundeservice",
        "greeting": "Hei! Jeg er Nordlys sin digitale assistent. Hva kan jeg hjelpe deg med i dag?",
        "avatar_url": None,  # null: the widget shows its default avatar
    },
    allowed_origins=LOCAL_ORIGINS,
    accounts=make_accounts(
        seed="demo:nordlys",
        region="no",
        first_number=10000001,
        count=20,
        plans=("Spotpris", "Fastpris 12 mnd", "Grønn Spot"),
        amount_range=(380, 3400),
        first=AccountSpec(
            account_number="10000001",
            name="Ola Nordmann",
            email="ola.nordmann@example.no",
            phone="+47 912 34 567",
            postcode="0150",
            plan="Spotpris",
            amount_due=Decimal("1249.50"),
            status="active",
            last_payment_amount=Decimal("1187.20"),
            last_payment_at=date(2025, 10, 20),
            created_at=_joined("2021-03-15"),
        ),
    ),
    tickets=(
        TicketSpec(1038, "10000005", "Sluttavregning etter oppsigelse",
                   "Kunden har flyttet og ønsker sluttavregning sendt til ny adresse.",
                   "billing", "normal", "closed", _at("2025-10-02", "09:12:00"), _at("2025-10-06", "13:40:00")),
        TicketSpec(1039, "10000002", "Betalingsavtale etter stengevarsel",
                   "Kunden ber om nedbetalingsplan for utestående beløp før strømmen stenges.",
                   "billing", "high", "pending", _at("2025-10-14", "11:03:00"), _at("2025-10-15", "08:30:00")),
        TicketSpec(1040, "10000007", "Målerstand ikke registrert",
                   "Kunden sendte målerstand 14.10, men fakturaen er basert på stipulert forbruk.",
                   "technical", "normal", "resolved", _at("2025-10-21", "14:25:00"), _at("2025-10-23", "10:05:00")),
        TicketSpec(1041, None, "Spørsmål om strømstøtte",
                   "Anonym henvendelse om hvordan strømstøtten beregnes på fakturaen.",
                   "other", "low", "open", _at("2025-10-28", "19:47:00"), _at("2025-10-28", "19:47:00")),
        TicketSpec(1042, "10000001", "Feil målerstand på siste faktura",
                   "Kunden mener målerstanden på oktoberfakturaen er for høy (oppgitt 45 210, fakturert 45 902).",
                   "billing", "normal", "open", _at("2025-10-30", "08:15:00"), _at("2025-10-30", "08:15:00")),
    ),
    faq=NORDLYS_FAQ,
)

FJORDNETT = FirmSpec(
    slug="fjordnett",
    name="Fjordnett Broadband",
    trade="broadband",
    language="en",
    time_zone="Europe/Oslo",
    currency="NOK",
    ticket_prefix="FJN",
    business_hours=_hours(("08:00", "20:00"), saturday=("10:00", "16:00")),
    branding={
        "color": "#1F4E8C",  # deep fjord blue, 8.3:1 against white text
        "title": "Fjordnett Support",
        "greeting": "Hi! I'm Fjordnett's assistant. Ask me about your connection, your bill or your plan.",
        "avatar_url": None,
    },
    allowed_origins=LOCAL_ORIGINS,
    accounts=make_accounts(
        seed="demo:fjordnett",
        region="no",
        first_number=20000001,
        count=20,
        plans=("Fiber 100", "Fiber 500", "Fiber 1000", "Mobilt bredbånd"),
        amount_range=(449, 1299),
        first=AccountSpec(
            account_number="20000001",
            name="Kari Hansen",
            email="kari.hansen@example.no",
            phone="+47 934 56 781",
            postcode="5003",
            plan="Fiber 500",
            amount_due=Decimal("749.00"),
            status="active",
            last_payment_amount=Decimal("749.00"),
            last_payment_at=date(2025, 10, 15),
            created_at=_joined("2022-08-01"),
        ),
    ),
    tickets=(
        TicketSpec(1215, "20000004", "Invoice shows the wrong plan",
                   "Customer upgraded to Fiber 1000 but was invoiced for Fiber 500 and the upgrade fee twice.",
                   "billing", "normal", "closed", _at("2025-09-18", "10:20:00"), _at("2025-09-25", "15:00:00")),
        TicketSpec(1216, "20000006", "Slow speeds in the evening",
                   "Speed tests show about 40 Mbit/s between 19:00 and 23:00 on a Fiber 500 line.",
                   "technical", "normal", "resolved", _at("2025-10-09", "20:41:00"), _at("2025-10-13", "09:10:00")),
        TicketSpec(1217, "20000008", "Router keeps restarting",
                   "The router reboots several times a day; a replacement has been offered.",
                   "technical", "high", "pending", _at("2025-10-24", "17:05:00"), _at("2025-10-25", "11:30:00")),
        TicketSpec(1218, "20000001", "No internet since Monday",
                   "The fibre light on the router is red and nothing connects. Already restarted twice.",
                   "technical", "high", "open", _at("2025-10-29", "07:58:00"), _at("2025-10-29", "07:58:00")),
    ),
    faq=FJORDNETT_FAQ,
)

LIGHTHOUSE = FirmSpec(
    slug="lighthouse",
    name="Lighthouse Insurance",
    trade="insurance",
    language="en",
    time_zone="Europe/London",
    currency="GBP",
    ticket_prefix="LHI",
    business_hours=_hours(("09:00", "17:30"), saturday=("09:00", "13:00")),
    branding={
        "color": "#8A1538",  # lighthouse red, 9.4:1 against white text
        "title": "Lighthouse Insurance",
        "greeting": "Hello, I'm the Lighthouse assistant. I can help with claims, your policy and payments.",
        "avatar_url": None,
    },
    allowed_origins=LOCAL_ORIGINS,
    accounts=make_accounts(
        seed="demo:lighthouse",
        region="uk",
        first_number=30000001,
        count=20,
        plans=("Home Essentials", "Home Plus", "Motor Comprehensive", "Travel Annual"),
        amount_range=(18, 96),
        first=AccountSpec(
            account_number="30000001",
            name="Oliver Bennett",
            email="oliver.bennett@example.co.uk",
            phone="+44 7700 900123",
            postcode="BS1 4DJ",
            plan="Home Plus",
            amount_due=Decimal("42.75"),
            status="active",
            last_payment_amount=Decimal("42.75"),
            last_payment_at=date(2025, 10, 1),
            created_at=_joined("2020-11-23"),
        ),
    ),
    tickets=(
        TicketSpec(2301, "30000005", "Change of correspondence address",
                   "Policyholder asked for documents to go to a new address.",
                   "account", "low", "closed", _at("2025-08-12", "12:00:00"), _at("2025-08-13", "09:00:00")),
        TicketSpec(2302, "30000003", "Windscreen chip repair",
                   "Stone chip on the windscreen; repair booked with the approved glazier.",
                   "claim", "normal", "resolved", _at("2025-09-30", "16:22:00"), _at("2025-10-03", "10:45:00")),
        TicketSpec(2303, "30000008", "Suitcase lost on a flight to Málaga",
                   "Airline property irregularity report received; waiting for receipts from the customer.",
                   "claim", "normal", "pending", _at("2025-10-17", "13:31:00"), _at("2025-10-20", "09:12:00")),
        TicketSpec(2304, "30000001", "Water damage in the kitchen",
                   "A leaking pipe under the sink damaged the floor and two cabinets. Photos to follow.",
                   "claim", "high", "open", _at("2025-10-27", "21:14:00"), _at("2025-10-27", "21:14:00")),
        TicketSpec(2305, "30000010", "Rear-ended at a roundabout",
                   "Third party admitted fault at the scene; car not drivable and needs recovery.",
                   "claim", "urgent", "open", _at("2025-10-31", "08:02:00"), _at("2025-10-31", "08:02:00")),
    ),
    faq=LIGHTHOUSE_FAQ,
)

FIRMS: tuple[FirmSpec, ...] = (NORDLYS, FJORDNETT, LIGHTHOUSE)
