"""Reviewers' marks as Rasa NLU training data (YAML, version "3.1") for the model maintainers.

The file holds, as training data, each customer message marked "should have been
understood as <intent>" under that intent (FAQ topics as `faq/<topic>`), with the stored
(redacted) text. Everything a maintainer must decide on is kept out of the training data and
listed in comments at the end of the same file:
- messages marked "we need a new answer" (no intent fits yet) with the reviewer's note,
- contradictions: one text marked as two intents, or marked as an intent other than the one
  data/ already trains it as (Rasa would refuse such data),
- marks that add nothing: the text is already a training example of that intent.
So the file passes `rasa data validate` together with data/ as it stands, and a maintainer
copies the examples they agree with into data/ (nlu.yml, nlu_nb.yml, faq.yml, faq_nb.yml).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Annotation, Message, Tenant
from bot.review.training_data import TrainingExamples, example_key

NLU_VERSION = "3.1"


@dataclass(frozen=True)
class ExportedMark:
    tenant_slug: str
    conversation_id: str
    seq: int
    text: str  # the stored, redacted customer message
    kind: str  # "intent" | "new_answer"
    intent: str | None
    note: str | None
    marked_by_name: str
    updated_at: datetime

    @property
    def where(self) -> str:
        # A prefix only: the full id is the customer's browser's key to the conversation.
        return f"{self.tenant_slug}, {self.updated_at:%Y-%m-%d}, conversation {self.conversation_id[:6]}… #{self.seq}"


@dataclass(frozen=True)
class NluExport:
    examples: dict[str, list[str]]  # intent -> training texts, in the order marked
    new_answers: list[ExportedMark] = field(default_factory=list)
    conflicts: list[tuple[ExportedMark, str]] = field(default_factory=list)  # the mark, why
    already_trained: list[ExportedMark] = field(default_factory=list)
    unusable: list[ExportedMark] = field(default_factory=list)  # nothing left of the text

    @property
    def example_count(self) -> int:
        return sum(len(texts) for texts in self.examples.values())


async def marks_for_export(
    session: AsyncSession, *, tenant_id: int | None = None, since: datetime | None = None
) -> list[ExportedMark]:
    """Marks of one tenant (or all), changed at or after `since`, oldest first."""
    query = (
        select(Annotation, Message.conversation_id, Message.seq, Message.text, Tenant.slug)
        .join(Message, Message.id == Annotation.message_id)
        .join(Tenant, Tenant.id == Annotation.tenant_id)
        .where(Message.tenant_id == Annotation.tenant_id)
        .order_by(Annotation.updated_at, Annotation.id)
    )
    if tenant_id is not None:
        query = query.where(Annotation.tenant_id == tenant_id)
    if since is not None:
        query = query.where(Annotation.updated_at >= since)
    rows = (await session.execute(query)).all()
    return [
        ExportedMark(
            tenant_slug=slug, conversation_id=conversation_id, seq=seq, text=text, kind=annotation.kind,
            intent=annotation.intent, note=annotation.note, marked_by_name=annotation.marked_by_name,
            updated_at=annotation.updated_at,
        )
        for annotation, conversation_id, seq, text, slug in rows
    ]


def training_text(text: str) -> str:
    """The message as one line of a Rasa examples block: one line, printable, and never read
    as an entity annotation ("[email](home)" would make Rasa look for an entity "home")."""
    printable = "".join(
        " " if unicodedata.category(char) == "Cc" or char in "\ufffe\uffff" else char for char in text
    )
    line = " ".join(printable.split())
    return line.replace("](", "] (").replace("]{", "] {")


def build_export(marks: Iterable[ExportedMark], training: TrainingExamples) -> NluExport:
    marks = list(marks)
    export = NluExport(examples={})
    intent_marks = [mark for mark in marks if mark.kind == "intent" and mark.intent]
    export.new_answers.extend(mark for mark in marks if mark.kind == "new_answer")
    marked_as: dict[str, set[str]] = {}
    for mark in intent_marks:
        marked_as.setdefault(example_key(training_text(mark.text)), set()).add(str(mark.intent))
    seen: set[tuple[str, str]] = set()
    for mark in intent_marks:
        intent = str(mark.intent)
        text = training_text(mark.text)
        key = example_key(text)
        trained_as = training.intents_of(text)
        if not key:
            export.unusable.append(mark)
        elif len(marked_as[key]) > 1:
            export.conflicts.append((mark, "also marked as " + ", ".join(sorted(marked_as[key] - {intent}))))
        elif trained_as - {intent}:
            export.conflicts.append((mark, "data/ trains it as " + ", ".join(sorted(trained_as))))
        elif intent in trained_as:
            export.already_trained.append(mark)
        elif (intent, key) not in seen:
            seen.add((intent, key))
            export.examples.setdefault(intent, []).append(text)
    return export


def render_nlu_yaml(export: NluExport, *, header: Iterable[str] = ()) -> str:
    lines = [f"# {line}" for line in header]
    lines.append(f'version: "{NLU_VERSION}"')
    if not export.examples:
        lines.append("nlu: []")
    else:
        lines.append("nlu:")
        for intent in sorted(export.examples):
            lines.append(f"- intent: {intent}")
            lines.append("  examples: |")
            lines.extend(f"    - {text}" for text in export.examples[intent])
    lines.extend(_comment_section(
        "NEEDS A NEW ANSWER (no intent or FAQ topic fits yet; not training data)",
        (f"{_quoted(mark.text)}  note: {_quoted(mark.note or '')}  ({mark.where}, by {mark.marked_by_name})"
         for mark in export.new_answers),
    ))
    lines.extend(_comment_section(
        "CONFLICTING MARKS (left out: decide, then fix data/ or the marks)",
        (f"{_quoted(mark.text)}  marked as {mark.intent}; {why}  ({mark.where})" for mark, why in export.conflicts),
    ))
    lines.extend(_comment_section(
        "ALREADY TRAINING EXAMPLES OF THE MARKED INTENT (left out)",
        (f"{_quoted(mark.text)}  {mark.intent}  ({mark.where})" for mark in export.already_trained),
    ))
    lines.extend(_comment_section(
        "NO TEXT LEFT TO TRAIN ON (left out)",
        (f"{mark.intent}  ({mark.where})" for mark in export.unusable),
    ))
    return "\n".join(lines) + "\n"


def _comment_section(title: str, entries: Iterable[str]) -> list[str]:
    body = [f"#   - {entry}" for entry in entries]
    if not body:
        return []
    return ["", f"# {title}: {len(body)}", *body]


def _quoted(text: str) -> str:
    # JSON quoting keeps a comment on one line whatever the text holds.
    return json.dumps(" ".join(text.split()), ensure_ascii=False)
