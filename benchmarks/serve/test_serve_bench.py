"""The benchmark's own arithmetic and inputs (`pytest benchmarks/serve`; no stack needed)."""

from __future__ import annotations

import pytest

from bot.demo import FIRMS

from benchmarks.serve.conversations import all_conversations
from benchmarks.serve.profile import package_of, summarise_raw
from benchmarks.serve.report import goals
from benchmarks.serve.stats import latency_summary, percentile


def test_percentile_is_nearest_rank_and_always_a_measured_value() -> None:
    samples = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert percentile(samples, 50) == 0.5
    assert percentile(samples, 95) == 1.0
    assert percentile(samples, 10) == 0.1
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(samples, 0)


def test_latency_summary_reports_milliseconds() -> None:
    summary = latency_summary([0.010, 0.020, 0.030, 0.040])
    assert summary == {"count": 4, "mean_ms": 25.0, "p50_ms": 20.0, "p95_ms": 40.0,
                       "p99_ms": 40.0, "max_ms": 40.0}


def test_every_account_conversation_verifies_with_data_the_demo_seed_holds() -> None:
    accounts = {(firm.slug, a.account_number): a for firm in FIRMS for a in firm.accounts}
    tickets = {f"{firm.ticket_prefix}-{t.number}" for firm in FIRMS for t in firm.tickets}
    conversations = all_conversations()
    assert {c.tenant for c in conversations} == {firm.slug for firm in FIRMS}
    assert {c.kind for c in conversations} == {"account", "faq", "ticket"}
    for conversation in (c for c in conversations if c.kind == "account"):
        number = conversation.turns[2].rsplit(" ", 1)[1]
        account = accounts[(conversation.tenant, number)]
        assert conversation.turns[3] in (account.postcode, account.email)
    for conversation in conversations:
        for turn in conversation.turns:
            for word in turn.rstrip("?").split():
                if "-" in word and word[:3].isupper():
                    assert word in tickets


def test_profile_shares_are_of_busy_samples_by_package() -> None:
    raw = (
        'process 7:"python -m bot.gateway";run (/v/lib/python3.11/asyncio/events.py:80);'
        "handle (/work/main/bot/gateway/handlers/chat_socket.py:50);"
        "execute (/v/lib/python3.11/site-packages/sqlalchemy/engine/base.py:10) 3\n"
        "run (/v/lib/python3.11/asyncio/events.py:80) 1\n"
    )
    summary = summarise_raw(raw)
    assert summary["busy_samples"] == 4
    assert summary["self_percent_by_package"] == [["sqlalchemy", 75.0], ["stdlib:asyncio", 25.0]]
    assert ["bot.gateway", 75.0] in summary["inclusive_percent_by_package"]
    assert package_of("/w/actions/verification.py") == "actions.verification"


def _level(concurrency: int, gateway_p50: float, direct_p50: float, gateway_tps: float,
           errors: int = 0) -> dict:
    def phase(p50: float, tps: float, errs: int) -> dict:
        return {"latency": {"p50_ms": p50, "p95_ms": p50}, "throughput_turns_per_s": tps, "errors": errs}

    return {
        "concurrency": concurrency,
        "gateway": phase(gateway_p50, gateway_tps, errors),
        "direct": phase(direct_p50, gateway_tps, 0),
        "gateway_over_direct": {"p50": round(gateway_p50 / direct_p50, 3)},
    }


def test_goals_compare_the_measurements_with_issue_6() -> None:
    results = {"turns": [_level(1, 105.0, 100.0, 20.0), _level(4, 130.0, 100.0, 47.0, errors=2)]}
    checks = goals(results)
    overhead = checks["gateway_p50_overhead_at_most_10_percent"]
    assert overhead == {"measured_ratio_by_concurrency": {"1": 1.05, "4": 1.3}, "met": False}
    assert checks["full_stack_throughput_at_least_46_turns_per_s"] == {"measured": 47.0, "met": True}
    assert checks["zero_errors"] == {"measured": 2, "met": False}


def test_model_comparison_takes_each_rounds_first_model_as_its_baseline() -> None:
    from benchmarks.serve.compare_models import rasa_cpu, summarise

    result = {"turns": [
        {"concurrency": 1, "direct": {"cpu_ms_per_turn": {"rasa": 40.0}}, "gateway": {"cpu_ms_per_turn": {"rasa": 44.0}}},
        {"concurrency": 4, "direct": {"cpu_ms_per_turn": {"rasa": 42.0}}, "gateway": {"cpu_ms_per_turn": {"rasa": 46.0}}},
    ]}
    assert rasa_cpu(result) == {"direct 1": 40.0, "gateway 1": 44.0, "direct 4": 42.0, "gateway 4": 46.0}
    runs = [{"round": 1, "model": "base", "mean_ms": 50.0}, {"round": 1, "model": "new", "mean_ms": 55.0},
            {"round": 2, "model": "base", "mean_ms": 40.0}, {"round": 2, "model": "new", "mean_ms": 60.0}]
    summary = summarise(runs)
    assert summary["baseline"] == "base"
    assert [run["ratio_to_baseline"] for run in runs] == [1.0, 1.1, 1.0, 1.5]
    # the mean of the rounds' ratios, not the ratio of the means (which would be 115/90)
    assert summary["mean_over_rounds"]["new"] == {"mean_ms": 57.5, "ratio_to_baseline": 1.3, "rounds": 2}


def test_a_compared_model_may_carry_environment_variables_for_its_stack() -> None:
    from benchmarks.serve.compare_models import parse_model

    assert parse_model("e5=models/e5.tar.gz") == ("e5", "models/e5.tar.gz", {})
    assert parse_model("before=models/m.tar.gz@OPENBLAS_NUM_THREADS=2,TF_INTRA_OP_PARALLELISM_THREADS=0") == (
        "before", "models/m.tar.gz", {"OPENBLAS_NUM_THREADS": "2", "TF_INTRA_OP_PARALLELISM_THREADS": "0"})
    with pytest.raises(SystemExit):
        parse_model("models/m.tar.gz")
