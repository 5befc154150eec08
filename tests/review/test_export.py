"""`python -m bot export-annotations`: reviewers' marks as Rasa NLU data (bot/review/export.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import update

from bot.db import Database, TenantRef
from bot.db.engine import REPO_ROOT
from bot.db.models import Annotation
from bot.redaction import Redactor
from bot.review.annotations import Annotator, Mark, mark_message
from bot.review.export import ExportedMark, build_export, render_nlu_yaml, training_text
from bot.review.training_data import TrainingExamples, load_training_examples

from .support import Turn, message_id, seed_conversation

ENGINE_PYTHON = REPO_ROOT / ".venv" / "engine" / "bin" / "python"
ANNE = Annotator("portal_user", 7, "Anne Admin", "admin")
NO_TRAINING = TrainingExamples({})


def marked(text: str, intent: str | None, *, note: str | None = None, tenant: str = "nordlys") -> ExportedMark:
    return ExportedMark(
        tenant_slug=tenant, conversation_id="abcdefghijklmnopqrstuvwxyz012345", seq=2, text=text,
        kind="intent" if intent else "new_answer", intent=intent, note=note, marked_by_name="Anne Admin",
        updated_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
    )


def nlu_of(text: str) -> dict[str, list[str]]:
    content = YAML(typ="safe", pure=True).load(text)
    assert content["version"] == "3.1"
    return {
        entry["intent"]: [line[2:] for line in entry["examples"].splitlines()]
        for entry in content["nlu"] or []
    }


def test_marked_messages_become_examples_of_their_intent_and_faq_topics_keep_their_prefix() -> None:
    export = build_export(
        [marked("hvor mye skal jeg betale", "check_balance"), marked("kan jeg betale med vipps", "faq/payment_methods"),
         marked("what's left to pay", "check_balance")],
        NO_TRAINING,
    )

    assert nlu_of(render_nlu_yaml(export)) == {
        "check_balance": ["hvor mye skal jeg betale", "what's left to pay"],
        "faq/payment_methods": ["kan jeg betale med vipps"],
    }


def test_new_answers_conflicts_and_known_examples_are_comments_not_training_data() -> None:
    training = TrainingExamples({"when are you open": frozenset({"faq/opening_hours"}),
                                 "what do i owe": frozenset({"check_balance"})})
    export = build_export(
        [
            marked("can I pay with bitcoin", None, note="we take no crypto; say so"),
            marked("When are you OPEN", "check_balance"),  # data/ trains it as an FAQ
            marked("what do I owe", "check_balance"),  # already an example of that intent
            marked("my bill", "check_balance"),
            marked("my  bill", "check_plan"),  # the same text marked as two intents
            marked("hello", "greet"),
        ],
        training,
    )
    rendered = render_nlu_yaml(export, header=["exported for a test"])

    assert nlu_of(rendered) == {"greet": ["hello"]}
    assert rendered.startswith("# exported for a test\n")
    comments = [line for line in rendered.splitlines() if line.startswith("#")]
    assert "# NEEDS A NEW ANSWER (no intent or FAQ topic fits yet; not training data): 1" in comments
    assert any('"can I pay with bitcoin"  note: "we take no crypto; say so"' in line for line in comments)
    assert any('"When are you OPEN"  marked as check_balance; data/ trains it as faq/opening_hours' in line
               for line in comments)
    assert sum("marked as check_balance; also marked as check_plan" in line for line in comments) == 1
    assert any('"what do I owe"  check_balance' in line for line in comments)
    # Provenance names the firm and a prefix of the conversation, never the whole id (a bearer secret).
    assert any("nordlys, 2026-12-05, conversation abcdef… #2" in line for line in comments)
    assert "abcdefghijklmnopqrstuvwxyz012345" not in rendered


def test_a_text_is_one_printable_line_never_read_as_an_entity_annotation() -> None:
    assert training_text("mail me at [email](home)\nplease\x07 ") == "mail me at [email] (home) please"
    assert training_text('[x]{"entity": "y"}') == '[x] {"entity": "y"}'
    export = build_export([marked("same", "greet"), marked("SAME ", "greet"), marked("\x01 \n", "greet")], NO_TRAINING)
    assert export.examples == {"greet": ["same"]} and len(export.unusable) == 1


def test_nothing_marked_is_still_a_valid_file() -> None:
    assert nlu_of(render_nlu_yaml(build_export([], NO_TRAINING))) == {}


def test_the_repositorys_training_examples_are_read_without_entity_annotations() -> None:
    training = load_training_examples()

    assert "faq/opening_hours" in training.intents_of("When are you open")
    assert "inform" in training.intents_of("my account number is 12 345 678")  # was [12 345 678](account_number)


# --- the command on a real database ------------------------------------------------------------

async def seed_marks(database: Database, nordlys: TenantRef, fjordnett: TenantRef, redactor: Redactor) -> None:
    conversation = await seed_conversation(
        database, nordlys,
        Turn("kor mykje skuldar eg no", fallback="nlu"),
        # Stored as the transcript stores every message: redacted.
        Turn(redactor.redact("e-posten min er ola.nordmann@example.no, når er dere åpne i påska").text, fallback="nlu"),
        Turn("kan eg betale med bitcoin", fallback="nlu"),
        Turn("morn morn fra Tromsø i dag"),
        language="nb",
    )
    other = await seed_conversation(database, fjordnett, Turn("fiber til hytta?", fallback="nlu"))
    async with database.sessionmaker.begin() as session:
        for tenant, conversation_id, seq, mark in (
            (nordlys, conversation, 2, Mark("intent", "check_balance", None)),
            (nordlys, conversation, 4, Mark("intent", "faq/opening_hours", None)),
            (nordlys, conversation, 6, Mark("new_answer", None, "payments in crypto")),
            (fjordnett, other, 2, Mark("intent", "open_ticket", None)),
        ):
            await mark_message(session, tenant.id, await message_id(database, conversation_id, seq), mark, ANNE,
                               redact=lambda text: text)
        # One old mark, before --since.
        await mark_message(session, nordlys.id, await message_id(database, conversation, 8),
                           Mark("intent", "greet", None), ANNE, redact=lambda text: text)
        await session.execute(
            update(Annotation).where(Annotation.intent == "greet")
            .values(updated_at=datetime.now(UTC) - timedelta(days=30))
        )


def export_command(db_url: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "export-annotations", "--database-url", db_url, "--out", str(out), *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_command_exports_one_tenants_recent_marks_with_the_stored_redacted_text(
    db_url: str, tmp_path: Path, redactor: Redactor
) -> None:
    asyncio.run(_seed_with_tenants(db_url, redactor))
    out = tmp_path / "review" / "annotations.yml"
    since = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()

    result = export_command(db_url, out, "--tenant", "nordlys", "--since", since)

    assert result.returncode == 0, result.stderr
    assert "wrote 2 examples of 2 intents" in result.stdout and "1 need a new answer" in result.stdout
    exported = out.read_text()
    assert nlu_of(exported) == {
        "check_balance": ["kor mykje skuldar eg no"],
        "faq/opening_hours": ["e-posten min er [email], når er dere åpne i påska"],
    }
    assert '"kan eg betale med bitcoin"  note: "payments in crypto"' in exported
    assert "fiber til hytta" not in exported  # another tenant's
    assert "Tromsø" not in exported  # marked before --since

    everything = export_command(db_url, tmp_path / "all.yml")
    assert everything.returncode == 0, everything.stderr
    assert set(nlu_of((tmp_path / "all.yml").read_text())) == {"check_balance", "faq/opening_hours", "open_ticket", "greet"}


def test_an_unknown_tenant_is_an_error_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    result = export_command(db_url, tmp_path / "x.yml", "--tenant", "nosuchfirm")

    assert result.returncode == 2 and "no tenant 'nosuchfirm'" in result.stderr
    assert not (tmp_path / "x.yml").exists()


async def _seed_with_tenants(db_url: str, redactor: Redactor) -> None:
    from bot.db import tenant_ref

    database = Database(db_url)
    try:
        async with database.sessionmaker() as session:
            nordlys = await tenant_ref(session, "nordlys")
            fjordnett = await tenant_ref(session, "fjordnett")
        assert nordlys is not None and fjordnett is not None
        await seed_marks(database, nordlys, fjordnett, redactor)
    finally:
        await database.dispose()


def test_the_exported_file_passes_rasa_data_validate_with_the_assistants_data(
    backend: str, db_url: str, tmp_path: Path, redactor: Redactor
) -> None:
    """What the maintainers will run: `rasa data validate --fail-on-warnings` on the export next
    to data/, with the real domain and config. A control file that contradicts data/ must fail
    the same check, so a pass means something. (Once: the file does not depend on the backend.)"""
    if backend != "sqlite":
        pytest.skip("the export's database side runs on both backends above; validating once is enough")
    if not ENGINE_PYTHON.exists():
        pytest.fail(f"no engine environment at {ENGINE_PYTHON}: run scripts/ensure-env engine")
    asyncio.run(_seed_with_tenants(db_url, redactor))
    exported = tmp_path / "annotations.yml"
    assert export_command(db_url, exported).returncode == 0
    assert len(nlu_of(exported.read_text())) == 4
    control = tmp_path / "contradicts_data.yml"
    control.write_text('version: "3.1"\nnlu:\n- intent: check_balance\n  examples: |\n    - when are you open\n')

    result = subprocess.run(
        [str(ENGINE_PYTHON), str(Path(__file__).with_name("rasa_validate.py")), str(exported), str(control)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
    )

    verdicts = [line for line in result.stdout.splitlines() if line.startswith("validate-result ")]
    assert verdicts == [f"validate-result 0 {exported}", f"validate-result 1 {control}"], (
        result.stdout[-4000:] + result.stderr[-4000:]
    )
