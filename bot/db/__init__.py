"""The data layer: models, engine/session handling and tenant-scoped data functions.

Data functions take an AsyncSession first and never commit; the caller owns
the transaction (`async with database.sessionmaker.begin() as session:`).
"""

from bot.db.accounts import find_account, normalize_account_number, verify_account
from bot.db.engine import Database, create_engine, database_url
from bot.db.errors import (
    AccountNotFound,
    DomainError,
    IllegalTicketTransition,
    InvalidTicketData,
    TenantNotFound,
    TicketNotFound,
)
from bot.db.faq import faq_answer
from bot.db.models import Account, Base, FaqAnswer, Tenant, Ticket
from bot.db.tenants import TenantRef, get_tenant, list_tenants, tenant_ref
from bot.db.tickets import (
    TICKET_TRANSITIONS,
    change_ticket_status,
    get_ticket,
    list_tickets,
    normalize_reference,
    open_ticket,
)

__all__ = [
    "TICKET_TRANSITIONS",
    "Account",
    "AccountNotFound",
    "Base",
    "Database",
    "DomainError",
    "FaqAnswer",
    "IllegalTicketTransition",
    "InvalidTicketData",
    "Tenant",
    "TenantNotFound",
    "TenantRef",
    "Ticket",
    "TicketNotFound",
    "change_ticket_status",
    "create_engine",
    "database_url",
    "faq_answer",
    "find_account",
    "get_tenant",
    "get_ticket",
    "list_tenants",
    "list_tickets",
    "normalize_account_number",
    "normalize_reference",
    "open_ticket",
    "tenant_ref",
    "verify_account",
]
