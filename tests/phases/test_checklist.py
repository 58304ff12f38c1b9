"""The checklist of properties good designs share, computed from the earlier phases."""

import copy

import pytest

from phases import checklist
from phases.engine.design import Design
from phases.engine.registry import RULES_BY_CODE
from tests.phases.cases import problem_specs
from tests.phases.test_review_rules import EARLIER, good_review

KEYS = [
    "started_simple",
    "components_explained",
    "failure_modes_named",
    "data_model_fits",
    "tradeoffs_explicit",
]


def answers(**changes) -> dict[int, dict]:
    """The good URL shortener, phases 1-6, 8 and 9; ``p5=None`` drops phase 5."""
    docs = {n: copy.deepcopy(good()) for n, (good, _, default) in EARLIER.items() if default}
    docs[9] = copy.deepcopy(good_review())
    for key, value in changes.items():
        number = int(key[1:])
        if value is None:
            docs.pop(number, None)
        else:
            docs[number] = value
    return docs


def design(**changes) -> Design:
    return Design(answers(**changes), problem_specs()["url-shortener"])


def items(d: Design) -> dict[str, dict]:
    return {item["key"]: item for item in checklist.evaluate(d)}


def test_good_design_meets_every_item():
    result = checklist.evaluate(design())
    assert [item["key"] for item in result] == KEYS
    for item in result:
        assert item["ok"], item
        assert item["where"] == []
        assert item["label"] and item["explanation"]


def test_item_shape():
    for item in checklist.evaluate(design(p8=None)):
        assert set(item) == {"key", "label", "ok", "explanation", "where"}
        assert isinstance(item["ok"], bool)
        for link in item["where"]:
            assert {"phase", "field", "message"} <= set(link)
            assert 1 <= link["phase"] <= 9


def test_missing_phase_links_to_it():
    result = items(design(p5=None, p8=None))
    for key in ("started_simple", "components_explained", "failure_modes_named"):
        assert not result[key]["ok"]
        assert any(w["phase"] == 5 and "no answers" in w["message"] for w in result[key]["where"])
    assert any(w["phase"] == 8 for w in result["failure_modes_named"]["where"])


def test_unexplained_component_links_to_phase5_finding():
    arch = copy.deepcopy(EARLIER[5][0]())
    arch["components"][3]["why"] = ""
    item = items(design(p5=arch))["components_explained"]
    assert not item["ok"]
    assert {"phase": 5, "field": "components[3].why", "code": "ARC-003"}.items() <= (
        item["where"][0].items()
    )


def test_unclassified_component_is_the_failure_rules_finding():
    """The checklist reads FAIL-001's finding (shown on the phase 5 component it names),
    so the two can never disagree."""
    failure = copy.deepcopy(EARLIER[8][0]())
    del failure["components"][6]  # the click queue
    item = items(design(p8=failure))["failure_modes_named"]
    assert not item["ok"]
    assert [w["code"] for w in item["where"]] == ["FAIL-001"]
    assert "Click queue" in item["where"][0]["message"]


def test_unfit_data_model_links_to_phase3():
    model = copy.deepcopy(EARLIER[3][0]())
    model["access_patterns"][0]["lookup"] = "text_search"
    item = items(design(p3=model))["data_model_fits"]
    assert not item["ok"]
    assert all(w["phase"] == 3 for w in item["where"])
    assert {w["code"] for w in item["where"]} <= set(checklist.FIT_CODES)


def test_over_engineering_at_small_scale_is_not_simple():
    estimate = copy.deepcopy(EARLIER[2][0]())
    estimate["assumptions"]["writes"] = "1M/day"
    arch = copy.deepcopy(EARLIER[5][0]())
    arch["components"][4]["count"] = "2"
    item = items(design(p2=estimate, p5=arch))["started_simple"]
    assert not item["ok"]
    assert item["where"][0]["code"] == "ARC-013"


def test_missing_tradeoff_links_to_phase9():
    review = copy.deepcopy(good_review())
    del review["tradeoffs"][0]  # the cache's row
    item = items(design(p9=review))["tradeoffs_explicit"]
    assert not item["ok"]
    assert item["where"][0]["phase"] == 9
    assert "cache" in item["where"][0]["message"].lower()
    assert "freshness" in item["where"][0]["message"]


def test_incomplete_row_falls_short():
    review = copy.deepcopy(good_review())
    review["tradeoffs"][1]["gave_up"] = ""
    item = items(design(p9=review))["tradeoffs_explicit"]
    assert not item["ok"]
    assert item["where"] == [
        {
            "phase": 9,
            "field": "tradeoffs[1]",
            "message": "This trade-off row is incomplete.",
            "code": "REV-002",
        }
    ]


def test_malformed_earlier_phase_does_not_raise():
    result = items(design(p5={"version": 1, "components": "not a list"}))
    assert not result["components_explained"]["ok"]
    assert "could not be read" in result["components_explained"]["where"][0]["message"]


@pytest.mark.parametrize("phase", range(1, 10))
def test_only_one_phase_answered_never_raises(phase):
    docs = answers()
    result = checklist.evaluate(
        Design({phase: docs[phase]} if phase in docs else {}, problem_specs()["url-shortener"])
    )
    assert [item["key"] for item in result] == KEYS


def test_empty_design():
    result = checklist.evaluate(Design({}, problem_specs()["url-shortener"]))
    assert not any(item["ok"] for item in result if item["key"] != "tradeoffs_explicit")


def test_never_checks_phase9(monkeypatch):
    seen = []
    real = Design.findings

    def spy(d, number):
        seen.append(number)
        return real(d, number)

    monkeypatch.setattr(Design, "findings", spy)
    checklist.evaluate(design())
    assert seen and 9 not in seen


def test_evaluated_once_per_design_and_copies_returned():
    d = design()
    first = checklist.evaluate(d)
    first[0]["where"].append({"phase": 1})
    assert checklist.evaluate(d)[0]["where"] == []


def test_codes_exist_in_the_registry():
    for code in checklist.CODES:
        assert code in RULES_BY_CODE, code


def test_review_computed_gives_the_checklist():
    from phases import review

    assert review.computed(design()) == {"checklist": checklist.evaluate(design())}
