"""The NLU benchmark reads the classifier's own answer through both refusing components."""

from benchmarks.nlu.worker import classifier_view


def parsed(intent, ranking, oos=None):
    result = {"intent": {"name": intent}, "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
    if oos is not None:
        result["oos_detection"] = oos
    return result


def test_the_detectors_out_of_scope_verdict_is_not_taken_for_the_classifiers_answer():
    view = classifier_view(parsed("out_of_scope", [("out_of_scope", 0.99), ("card_arrival", 0.8), ("top_up", 0.1)],
                                  {"intent_replaced": True}))
    assert view["intent"] == "card_arrival" and view["second_confidence"] == 0.1
    assert view["pipeline_intent"] == "out_of_scope"


def test_through_the_fallback_and_the_detector_together():
    view = classifier_view(parsed("out_of_scope", [("out_of_scope", 0.99), ("nlu_fallback", 0.5), ("a", 0.4), ("b", 0.3)],
                                  {"intent_replaced": True}))
    assert view["intent"] == "a"


def test_the_classifiers_own_out_of_scope_stays_its_answer():
    view = classifier_view(parsed("out_of_scope", [("out_of_scope", 0.9), ("a", 0.05)], {"intent_replaced": False}))
    assert view["intent"] == "out_of_scope"
