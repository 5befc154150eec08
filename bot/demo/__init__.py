"""Demo content: three client firms of different trades with customers, tickets and FAQs.

Load it with `python -m bot seed-demo` (idempotent). Documented demo customers
(verify with either the postcode or the e-mail):

    nordlys     10000001  Ola Nordmann    0150     ola.nordmann@example.no   ticket NRD-1042 (open)
    fjordnett   20000001  Kari Hansen     5003     kari.hansen@example.no    ticket FJN-1218 (open)
    lighthouse  30000001  Oliver Bennett  BS1 4DJ  oliver.bennett@example.co.uk  ticket LHI-2304 (open)

In every firm account no. 2 is suspended with arrears, no. 3 owes nothing,
no. 4 has never paid and no. 5 is closed (e.g. 10000002 ... 10000005).
"""

from bot.demo.firms import FIRMS, FJORDNETT, LIGHTHOUSE, NORDLYS
from bot.demo.seed import SeedSummary, seed_demo
from bot.demo.specs import DemoCustomer

DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = tuple(firm.demo_customer for firm in FIRMS)

__all__ = [
    "DEMO_CUSTOMERS",
    "FIRMS",
    "FJORDNETT",
    "LIGHTHOUSE",
    "NORDLYS",
    "DemoCustomer",
    "SeedSummary",
    "seed_demo",
]
