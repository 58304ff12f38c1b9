"""The accuracy benchmark's counting (phases/corpus/accuracy.py) and the corpus it reads
(fixtures/accuracy/); the corpus read through scripts/accuracy.py, which needs Django, is
checked in tests/tutor/test_accuracy_corpus.py."""

import copy
import json
from pathlib import Path

import pytest
import yaml

from phases.corpus import accuracy
from phases.engine.design import ProblemSpec

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())


@pytest.fixture(scope="module")
def spec() -> ProblemSpec:
    data = yaml.safe_load((ROOT / "fixtures" / "problemsets" / "foundations.yaml").read_text())
    problem = next(p for p in data["problems"] if p["slug"] == "url-shortener")
    return ProblemSpec(
        slug=problem["slug"], givens=problem["givens"], expectations=problem["expectations"]
    )


def design(kind: str, phases: dict, planted=None) -> accuracy.DesignFile:
    data = {
        "format": 1,
        "problem": "url-shortener",
        "kind": kind,
        "seed": 0,
        "based_on": "the shipped example answer",
        "phases": phases,
    }
    if planted is not None:
        data["planted"] = planted
    name = "sound.json" if kind == "sound" else "flawed-test.json"
    return accuracy.check_design(accuracy.DesignFile(path=name), data, name)


def label(id_, phase, field="", meaning="a reviewer would raise this"):
    return {"id": id_, "phase": phase, "field": field, "meaning": meaning}


def test_a_planted_slip_is_caught_and_an_unchanged_phase_is_missed(spec):
    sound = design("sound", EXAMPLE["phases"])
    phases = copy.deepcopy(EXAMPLE["phases"])
    phases["2"]["results"]["writes_per_s"] = "27,800/s"  # a day taken as 3,600 s
    planted = [
        label("hours-for-days", 2, "results"),
        label("nothing-changed", 3, "access_patterns"),
        *(label(f"other-{n}", n) for n in (4, 5, 6, 7)),
    ]
    flawed = design("flawed", phases, planted)
    assert sound.errors == [] and flawed.errors == []

    result = accuracy.run_problem("foundations/url-shortener", spec, sound, [flawed])

    judged = result["flawed"][0]
    assert judged["planted"] == 6
    assert [c["id"] for c in judged["caught"]] == ["hours-for-days"]
    assert {f["code"] for f in judged["caught"][0]["caught_by"]} >= {"EST-001"}
    assert [m["id"] for m in judged["missed"]][:1] == ["nothing-changed"]
    assert "caught_by" not in judged["missed"][0]
    totals = accuracy.totals([result])
    assert (totals["planted"], totals["caught"], totals["false_errors"]) == (6, 1, 0)


def test_an_error_on_a_sound_design_is_a_false_error(spec):
    phases = copy.deepcopy(EXAMPLE["phases"])
    phases["2"]["results"]["writes_per_s"] = "27,800/s"
    sound = design("sound", phases)

    result = accuracy.run_problem("foundations/url-shortener", spec, sound, [])

    errors = result["sound"]["errors"]
    assert errors and all(f["severity"] == "error" for f in errors)
    assert any(f["code"] == "EST-001" and f["phase"] == 2 for f in errors)
    assert accuracy.totals([result])["false_errors"] == len(errors)


def finding(code, severity, phase, field, message="a message"):
    return {"code": code, "severity": severity, "phase": phase, "field": field, "message": message}


def test_a_finding_the_sound_design_also_has_catches_nothing():
    shared = finding("ARC-004", "warning", 5, "components[1].why")
    new = finding("EST-001", "error", 2, "results.storage")
    across = finding("DAT-001", "error", 1, "functional[2].text", "No pattern serves A.")
    info = finding("TEC-009", "info", 6, "choices[0]")
    # The sound design's finding on functional[3], moved up a row in the flawed copy.
    moved = finding("API-005", "error", 4, "endpoints[1]", "No endpoint serves B.")
    planted = [
        label("shared", 5, "components"),
        label("storage", 2, "results"),
        label("elsewhere", 3),
        label("unserved", 1, "functional"),
        label("only-info", 6),
        label("narrow-field", 2, "results.storage_with_overhead"),
        label("renumbered", 4, "endpoints"),
    ]
    sound = [shared, finding("API-005", "error", 4, "endpoints[2]", "No endpoint serves B.")]

    judged = accuracy.judge_flawed(planted, [shared, new, across, info, moved], sound)

    assert [c["id"] for c in judged["caught"]] == ["storage", "unserved"]
    assert [m["id"] for m in judged["missed"]] == [
        "shared",
        "elsewhere",
        "only-info",
        "narrow-field",
        "renumbered",
    ]


def test_a_field_prefix_holds_only_whole_path_parts():
    assert accuracy.within("results.storage", "results")
    assert accuracy.within("latency[1].unit", "latency")
    assert accuracy.within("anything", "")
    assert not accuracy.within("functional[10].text", "functional[1]")
    assert not accuracy.within("results_extra", "results")


def test_labels_and_the_format_are_checked():
    broken = design(
        "flawed",
        {"1": {"version": 1, "availability": "2OO%"}},
        [label("a", 0), label("a", 2, meaning=" "), {"id": "b", "phase": 3}],
    )
    text = "\n".join(broken.errors)
    assert "planted: a flawed design plants at least 6 (got 3)." in text
    assert "planted[0].phase: expected a phase number 1 to 9 (got 0)." in text
    assert "planted[1].id: 'a' appears twice." in text
    assert "planted[1].meaning: required text" in text
    assert "planted[2].meaning: required text" in text
    assert "phases: every phase is answered; missing 2, 3, 4, 5, 6, 7, 8, 9." in text

    data = {"format": 1, "problem": "x", "kind": "sound", "based_on": "y", "phases": {}}
    misnamed = accuracy.check_design(accuracy.DesignFile(path="f"), data, "flawed-a.json")
    assert "kind: flawed-a.json must be flawed (got 'sound')." in misnamed.errors
