"""The out-of-scope benchmark replays the pipeline's decision and keeps its test data apart."""

from __future__ import annotations

import pytest
import yaml

pytest.importorskip("rasa")

from benchmarks.nlu import oos  # noqa: E402


def prediction(intent="check_balance", confidence=0.9, second=0.05, p_value=0.5):
    return {"intent": intent, "confidence": confidence, "second_confidence": second, "p_value": p_value}


def test_a_far_message_is_out_of_scope_even_when_the_fallback_fired():
    assert oos.decide(prediction(confidence=0.3, p_value=0.01), alpha=0.015, threshold=0.5, ambiguity=0.1) == "out_of_scope"


def test_a_near_message_keeps_the_fallbacks_verdict_or_its_intent():
    assert oos.decide(prediction(confidence=0.3), alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"
    assert oos.decide(prediction(confidence=0.55, second=0.5), alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"
    assert oos.decide(prediction(), alpha=0.015, threshold=0.5, ambiguity=0.1) == "check_balance"


def test_the_classifiers_own_out_of_scope_is_left_to_the_fallback():
    unsure = prediction(intent="out_of_scope", confidence=0.3, p_value=0.001)
    assert oos.decide(unsure, alpha=0.015, threshold=0.5, ambiguity=0.1) == "nlu_fallback"


def test_held_out_split_is_a_fifth_of_each_intent_and_never_in_training():
    examples = [(f"balance {i}", "check_balance") for i in range(10)] + [(f"ticket {i}", "open_ticket") for i in range(5)]
    train, test = oos.split_in_domain(examples)
    assert sorted(e.intent for e in test) == ["check_balance", "check_balance", "open_ticket"]
    assert not {e.text for e in train} & {e.text for e in test}
    assert oos.split_in_domain(examples) == (train, test)


def test_adding_examples_leaves_the_held_out_split_of_the_others_in_place():
    examples = [(f"what is my balance number {i}", "check_balance") for i in range(40)]
    _, before = oos.split_in_domain(examples)
    _, after = oos.split_in_domain(examples + [(f"balance please, case {i}", "check_balance") for i in range(5)])
    held_before, held_after = {e.text for e in before}, {e.text for e in after}
    # an added example sorting among the first fifth can push at most one old one out
    assert len(held_before - held_after) <= 5


def test_out_of_domain_test_questions_are_not_training_examples():
    written = yaml.safe_load(oos.OOD_TEST_FILE.read_text(encoding="utf-8"))
    test = {q.lower() for categories in written.values() for questions in categories.values() for q in questions}
    training = {text.lower() for language in oos.assistant_examples().values() for text, _ in language}
    assert test and not test & training


def test_the_grid_evaluation_agrees_with_the_pipelines_decision_at_every_point():
    import itertools

    import numpy as np

    predictions = [
        {**prediction(intent, confidence, second, p_value), "second_intent": "open_ticket"}
        for intent, confidence, second, p_value in itertools.product(
            ["check_balance", "out_of_scope"], [0.3, 0.55, 0.9], [0.05, 0.5], [None, 0.01, 0.5])
    ]
    scored = oos.Scored(predictions)
    gold = np.array(["check_balance"] * len(predictions), dtype=object)
    for alpha, threshold, ambiguity in [(0.015, 0.5, 0.1), (0.0, 0.0, 0.0), (0.3, 0.95, 0.2)]:
        refused, correct = scored.outcome(gold, alpha, threshold, ambiguity)
        labels = [oos.decide(p, alpha, threshold, ambiguity) for p in predictions]
        assert refused.tolist() == [label in oos.REFUSALS for label in labels]
        assert correct.tolist() == [label == "check_balance" for label in labels]


def test_a_did_you_mean_question_counts_only_when_its_buttons_hold_the_right_intent():
    import numpy as np

    offered = ({"check_balance", "check_last_payment", "open_ticket"}, 0.2, 0.1)
    close = {**prediction("check_last_payment", 0.45, 0.4), "second_intent": "check_balance"}
    second_too_weak = {**prediction("check_last_payment", 0.3, 0.15), "second_intent": "check_balance"}
    no_title = {**prediction("check_last_payment", 0.45, 0.4), "second_intent": "inform"}
    scored = oos.Scored([close, second_too_weak, no_title])
    gold = np.array(["check_balance"] * 3, dtype=object)
    refused, correct, with_buttons = oos.assistant_outcome(scored, gold, offered, 0.015, 0.5, 0.1)
    assert refused.all() and not correct.any()
    assert with_buttons.tolist() == [True, False, False]
    # the buttons follow the action's own gap, not the FallbackClassifier's ambiguity threshold
    _, _, with_buttons = oos.assistant_outcome(scored, gold, offered, 0.015, 0.5, 0.0)
    assert with_buttons.tolist() == [True, False, False]


def test_the_buttons_are_read_from_the_fallback_action():
    titles, least, gap = oos.fallback_buttons()
    assert {"check_balance", "open_ticket", "faq"} <= titles and "inform" not in titles
    assert 0 < least < 1 and 0 < gap < 1


def test_banking_calibration_uses_training_examples_and_plays_unknown_with_known_intents():
    from benchmarks.nlu.data import Example

    known = [f"intent_{i}" for i in range(8)]
    train = [Example(f"{intent} text {j}", intent) for intent in known for j in range(10)]
    inner_train, inner_test, inner_known = oos.banking_calibration_data(train, known, seed=1)
    assert len(inner_known) == 6  # a quarter of eight play the unknown ones
    pseudo_unknown = set(known) - inner_known
    assert {e.intent for e in inner_train} == inner_known
    assert {e.intent for e in inner_test} == set(known)
    assert not {e.text for e in inner_train} & {e.text for e in inner_test}
    assert all(sum(e.intent == i for e in inner_test) == 2 for i in inner_known)  # a fifth of each
    assert all(sum(e.intent == i for e in inner_test) == 10 for i in pseudo_unknown)


def test_the_assistants_choice_keeps_the_most_in_domain_among_points_reaching_the_goal():
    def point(alpha, in_domain, caught):
        return {"alpha": alpha, "threshold": 0.5, "ambiguity": 0.1, "min_in_domain_correct": in_domain, "min_ood_caught": caught}

    points = [point(0.0, 94.0, 85.0), point(0.01, 93.0, 91.0), point(0.05, 90.0, 97.0)]
    assert oos.choose_assistant(points)["alpha"] == 0.01
    assert oos.choose_assistant([point(0.0, 94.0, 85.0), point(0.05, 90.0, 88.0)])["alpha"] == 0.05


def test_each_message_is_replayed_with_the_threshold_of_its_language():
    import numpy as np

    languages = oos.language_groups(["how much do I owe on my bill", "hvor mye skylder jeg på regningen", "ok"])
    assert languages.tolist() == ["en", "nb", "und"]
    assert oos.per_message(languages, 0.5, {"en": 0.7, "nb": 0.3}).tolist() == [0.7, 0.3, 0.5]
    answered = [{**prediction(confidence=0.6), "pipeline_intent": label} for label in ("nlu_fallback", "check_balance", "check_balance")]
    settings = {"alpha": 0.0, "threshold": 0.5, "thresholds": {"en": 0.7, "nb": 0.3}, "ambiguity_threshold": 0.0}
    assert oos.replay_check(answered, settings, languages) == 0
    assert oos.replay_check(answered, {**settings, "thresholds": {}}, languages) == 1
    scored = oos.Scored(answered)
    refused, _ = scored.outcome(np.array(["check_balance"] * 3, dtype=object), 0.0,
                                oos.per_message(languages, 0.5, {"en": 0.7, "nb": 0.3}), 0.0)
    assert refused.tolist() == [True, False, False]


def scored_rows(rows):
    """(predictions, Scored, gold, groups, language groups) of rows (text, prediction, gold,
    group such as "en_in", "nb_out" or "en_unsure")."""
    import numpy as np

    predictions = [{**p, "second_intent": "open_ticket"} for _, p, _, _ in rows]
    gold = np.array([g for _, _, g, _ in rows], dtype=object)
    groups = {f"{lang}_{side}": np.array([r[3] == f"{lang}_{side}" for r in rows])
              for lang in ("en", "nb") for side in ("in", "out", oos.UNSURE)}
    return predictions, oos.Scored(predictions), gold, groups, oos.language_groups([t for t, _, _, _ in rows])


@pytest.fixture
def small_grid(monkeypatch):
    """choose_by_language tries every combination: a smaller grid keeps these tests fast."""
    monkeypatch.setattr(oos, "ALPHAS", [0.0, 0.005, 0.01, 0.05])
    monkeypatch.setattr(oos, "THRESHOLDS", [0.0, 0.3, 0.5, 0.65, 0.7, 0.9])
    monkeypatch.setattr(oos, "AMBIGUITIES", [0.0, 0.05, 0.1])


def test_thresholds_per_language_are_chosen_for_each_language_where_one_threshold_cannot_serve_both(small_grid):
    """English out-of-domain questions come with confidence 0.6 and English requests with 0.8:
    English needs a threshold between them. Norwegian requests come with 0.4 and Norwegian
    out-of-domain questions land on out_of_scope: any threshold over 0.4 turns Norwegian
    customers away. One threshold cannot keep both; one per language keeps everything."""
    english, norwegian = "how much do I owe on my bill", "hvor mye skylder jeg på regningen"
    rows = ([(english, prediction(confidence=0.8), "check_balance", "en_in")] * 10
            + [(english, prediction(confidence=0.6, p_value=0.9), "out_of_scope", "en_out")] * 10
            + [(norwegian, prediction(confidence=0.4), "check_balance", "nb_in")] * 10
            + [(norwegian, prediction("out_of_scope", 0.9, p_value=0.9), "out_of_scope", "nb_out")] * 10)
    predictions, scored, gold, groups, languages = scored_rows(rows)
    offered = ({"check_balance", "open_ticket"}, 0.2, 0.1)

    one = oos.choose_assistant(oos.assistant_points(scored, gold, groups, offered, oos.GRID))
    assert one["min_ood_caught"] >= 90 and one["nb_in_domain_correct"] == 0.0
    chosen = oos.choose_by_language(scored, gold, groups, languages, offered)
    assert 0.6 < chosen["thresholds"]["en"] <= 0.8 and chosen["thresholds"]["nb"] <= 0.4
    assert chosen["min_in_domain_correct"] == 100.0 and chosen["min_ood_caught"] == 100.0
    assert chosen["alphas"] == {"en": 0.0, "nb": 0.0}  # the smallest that do it
    assert chosen["ambiguity"] == 0.1  # asking costs nothing here: the most asked of the equals


def test_detector_alphas_per_language_are_chosen_where_one_alpha_cannot_serve_both(small_grid):
    """English out-of-domain questions come with confidence but far from the training data
    (p-value 0.01); Norwegian requests are right but as far (p 0.01); Norwegian out-of-domain
    questions land on out_of_scope. Any one alpha refusing the English ones refuses the
    Norwegian requests; an alpha per language keeps everything."""
    english, norwegian = "how much do I owe on my bill", "hvor mye skylder jeg på regningen"
    rows = ([(english, prediction(confidence=0.9, p_value=0.5), "check_balance", "en_in")] * 10
            + [(english, prediction(confidence=0.9, p_value=0.01), "out_of_scope", "en_out")] * 10
            + [(norwegian, prediction(confidence=0.9, p_value=0.01), "check_balance", "nb_in")] * 10
            + [(norwegian, prediction("out_of_scope", 0.9, p_value=0.9), "out_of_scope", "nb_out")] * 10)
    predictions, scored, gold, groups, languages = scored_rows(rows)
    offered = ({"check_balance", "open_ticket"}, 0.2, 0.1)

    one = oos.choose_assistant(oos.assistant_points(scored, gold, groups, offered, oos.GRID))
    assert one["min_in_domain_correct"] < 100.0
    chosen = oos.choose_by_language(scored, gold, groups, languages, offered)
    assert chosen["alphas"] == {"en": 0.01, "nb": 0.0}
    assert chosen["min_in_domain_correct"] == 100.0 and chosen["min_ood_caught"] == 100.0
    settings = {"alpha": 0.0, "alphas": chosen["alphas"], "threshold": 0.0, "thresholds": {}, "ambiguity_threshold": 0.0}
    answered = [{**p, "pipeline_intent": oos.decide(p, a, 0.0, 0.0)}
                for p, a in zip(predictions, oos.per_message(languages, 0.0, chosen["alphas"]))]
    assert oos.replay_check(answered, settings, languages) == 0


def test_calibration_folds_spread_every_intent_and_cover_the_training_set_once():
    from benchmarks.nlu.data import Example

    train = [Example(f"a{i}", "a") for i in range(10)] + [Example(f"b{i}", "b") for i in range(5)]
    parts = oos.calibration_folds(train, 5)
    assert sorted(e.text for part in parts for e in part) == sorted(e.text for e in train)
    assert all(sum(e.intent == "a" for e in part) == 2 and sum(e.intent == "b" for e in part) == 1 for part in parts)


def test_memoised_embeddings_come_back_from_disk_in_another_process(tmp_path, monkeypatch):
    import numpy as np

    from benchmarks.nlu import oos_worker
    from bot.nlu.multilingual_encoder import MultilingualEncoder

    calls = []

    def fake_encode(self, texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], np.float32)

    monkeypatch.setattr(MultilingualEncoder, "encode", fake_encode)
    flush = oos_worker.memoise_embeddings_on_disk(tmp_path)
    first = MultilingualEncoder.encode(None, ["ab", "abc", "ab"])
    flush()
    monkeypatch.setattr(MultilingualEncoder, "encode", fake_encode)  # a new process: the original again
    oos_worker.memoise_embeddings_on_disk(tmp_path)
    again = MultilingualEncoder.encode(None, ["abc", "ab"])
    assert calls == [["ab", "abc"]]  # each text embedded once, the second call served from disk
    assert first.tolist() == [[2, 1], [3, 1], [2, 1]] and again.tolist() == [[3, 1], [2, 1]]


def test_out_of_scope_examples_of_one_topic_are_held_out_together():
    from benchmarks.nlu.data import Example

    train = [Example(f"a{i}", "a") for i in range(10)] + [Example(f"oos{i}", "out_of_scope") for i in range(10)]
    topics = {f"oos{i}": i % 2 for i in range(10)}  # two topics
    parts = oos.calibration_folds(train, 5, topics=topics)
    assert sorted(e.text for part in parts for e in part) == sorted(e.text for e in train)
    held = [{topics[e.text] for e in part if e.intent == "out_of_scope"} for part in parts]
    assert held == [{0}, {1}, set(), set(), set()]
    assert all(sum(e.intent == "a" for e in part) == 2 for part in parts)


def test_topics_group_similar_texts():
    topics = oos.topics_of(["what's the weather in Oslo", "will it rain tomorrow in Bergen",
                            "who won the football match", "football results tonight"], 2, cache=None)
    assert topics["what's the weather in Oslo"] == topics["will it rain tomorrow in Bergen"]
    assert topics["who won the football match"] == topics["football results tonight"]
    assert topics["what's the weather in Oslo"] != topics["football results tonight"]


def test_the_worker_reports_which_calibration_judged_each_message():
    from benchmarks.nlu.oos_worker import view

    parsed = {"intent": {"name": "check_balance"}, "intent_ranking": [{"name": "check_balance", "confidence": 0.9}]}
    judged = {**parsed, "oos_detection": {"p_value": 0.4, "similarity": 0.8, "calibration": "check_balance#nb"}}
    assert view(judged)["calibration"] == "check_balance#nb"
    assert view({**parsed, "oos_detection": {"p_value": 0.4}})["calibration"] is None  # a model from before the key


def test_out_of_scope_topics_are_found_in_each_language_so_every_fold_holds_out_both(tmp_path):
    english = ["what's the weather tomorrow", "will it rain on saturday", "tell me a joke", "make me laugh",
               "who won the football", "how do I apply for a mortgage"]
    norwegian = ["hvordan blir været i morgen", "kommer det regn på lørdag", "fortell en vits", "få meg til å le",
                 "hvem vant fotballkampen", "hvordan søker jeg om boliglån"]
    topics = oos.topics_of(english + norwegian, 3, tmp_path)
    assert {topics[t] for t in english} == {0, 1, 2}
    assert {topics[t] for t in norwegian} == {0, 1, 2}


def test_requests_too_vague_to_act_on_make_the_choice_keep_a_confidence_threshold(small_grid):
    """Clear requests come with confidence 0.9, vague ones with 0.45: without the vague ones any
    threshold keeps every request, and the smallest (none) is chosen; with them, one that asks
    about the vague ones."""
    english, norwegian = "how much do I owe on my bill", "hvor mye skylder jeg på regningen"
    clear = ([(english, prediction(confidence=0.9), "check_balance", "en_in")] * 10
             + [(norwegian, prediction(confidence=0.9), "check_balance", "nb_in")] * 10
             + [(text, prediction("out_of_scope", 0.9), "out_of_scope", f"{lang}_out")
                for text, lang in ((english, "en"), (norwegian, "nb")) for _ in range(10)])
    vague = [(text, prediction(confidence=0.45), oos.UNSURE, f"{lang}_unsure")
             for text, lang in ((english, "en"), (norwegian, "nb")) for _ in range(10)]

    def chosen(rows):
        _, scored, gold, groups, languages = scored_rows(rows)
        return oos.choose_by_language(scored, gold, groups, languages, ({"check_balance"}, 0.2, 0.1))

    assert chosen(clear)["thresholds"] == {"en": 0.0, "nb": 0.0}
    asking = chosen(clear + vague)
    assert asking["thresholds"] == {"en": 0.5, "nb": 0.5}
    assert asking["min_unsure_asked"] == 100.0 and asking["min_in_domain_correct"] == 100.0
