"""The conversation's language follows the customer's: stored when a message changes it.

The same detector as the Rasa component (bot/nlu/language.py) decides, so the language the
assistant answers in, the one agents see and the one routing picks agents by agree. A
message that does not tell ("ok", "0150", a button) keeps the stored language.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import LANGUAGES, Conversation
from bot.db.tenants import TenantRef
from bot.nlu.language import detect_language

log = logging.getLogger(__name__)


async def set_conversation_language(
    session: AsyncSession, tenant: TenantRef, conversation_id: str, language: str
) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    await session.execute(
        update(Conversation)
        .where(Conversation.tenant_id == tenant.id, Conversation.id == conversation_id)
        .values(language=language)
        .execution_options(synchronize_session=False)
    )


async def follow_customer_language(
    database: Database, tenant: TenantRef, conversation_id: str, text: str, current: str
) -> str:
    """The conversation's language after the customer wrote `text` (stored when it changed)."""
    detected = detect_language(text)
    if detected is None or detected == current or detected not in LANGUAGES:
        return current
    try:
        async with database.sessionmaker.begin() as session:
            await set_conversation_language(session, tenant, conversation_id, detected)
    except SQLAlchemyError:
        # The reply still follows the customer; the next message that tells stores it.
        log.warning("storing the language of a conversation of tenant %s failed", tenant.slug)
    return detected
