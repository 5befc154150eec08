"""The live preview's configuration: what the widget on a settings page shows (pure).

The page embeds the real widget (bot/gateway/static/widget.js) in preview mode: it reads this
configuration from a JSON data block on the page (not executed, so the strict CSP holds),
renders inside the page's preview box, and neither connects nor stores anything.
"""

from __future__ import annotations

from typing import Any

from bot.firm_settings.use_cases import FirmSettings
from bot.firm_settings.validation import Branding

PREVIEW_ELEMENT = "widget-preview-config"  # the data block's id, named by the script's data-preview
SAMPLE_QUESTION = {"en": "I have a question about {topic}.", "nb": "Jeg har et spørsmål om {topic}."}
MAX_MESSAGE_CHARS = 2000


def widget_preview(
    settings: FirmSettings,
    branding: Branding,
    *,
    language: str | None = None,
    exchange: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The widget's configuration (the shape of GET /widget) plus the messages to show:
    the greeting, and for an FAQ answer a customer's question and that answer."""
    language = language or settings.language
    greeting = branding.greeting or (
        f"Hei! Hvordan kan {settings.name} hjelpe deg i dag?" if language == "nb"
        else f"Hi! How can {settings.name} help you today?"
    )
    messages = [{"role": "bot", "text": greeting}]
    if exchange is not None:
        topic, answer = exchange
        messages += [
            {"role": "customer", "text": SAMPLE_QUESTION[language].format(topic=topic_label(topic))},
            {"role": "bot", "text": answer},
        ]
    return {
        "tenant": settings.tenant.slug,
        "name": settings.name,
        "language": language,
        "branding": {
            "color": branding.color, "title": branding.title or settings.name,
            "greeting": greeting, "avatar_url": branding.avatar_url,
        },
        "limits": {"max_message_chars": MAX_MESSAGE_CHARS},
        "messages": messages,
    }


def topic_label(key: str) -> str:
    """'opening_hours' -> 'opening hours'."""
    return key.replace("_", " ")
