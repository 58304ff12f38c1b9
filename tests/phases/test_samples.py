"""Sample answers: the codes a sample must and must not produce, checked without Django."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from phases.corpus.samples import parse_answers, run_all, run_sample
from phases.engine.design import ProblemSpec
from phases.engine.variants import draw

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


@pytest.fixture(scope="module")
def spec() -> ProblemSpec:
    data = yaml.safe_load((FIXTURES / "problemsets" / "foundations.yaml").read_text())
    problem = data["problems"][0]
    return ProblemSpec(
        slug=problem["slug"], givens=problem["givens"], expectations=problem["expectations"]
    )


def without_redirect() -> dict:
    phase1 = json.loads(json.dumps(EXAMPLE["1"]))
    phase1["functional"] = [fr for fr in phase1["functional"] if "redirect" not in fr["text"]]
    return phase1


def test_a_sample_whose_codes_fire_as_required_passes(spec):
    result = run_sample(
        spec,
        {
            "name": "forgets the redirect",
            "answers": {"1": without_redirect()},
            "must": ["REQ-001"],
            "must_not": ["REQ-006"],
        },
    )
    assert result == {
        "name": "forgets the redirect",
        "passed": True,
        "missing": [],
        "unexpected": [],
        "invalid": [],
        "codes": result["codes"],
    }
    assert "REQ-001" in result["codes"]


def test_a_sample_fails_with_the_codes_missing_and_unexpected(spec):
    result = run_sample(
        spec,
        {
            "name": "wrong expectations",
            "answers": {"1": without_redirect(), 2: EXAMPLE["2"]},
            "must": ["REQ-006", "EST-002"],
            "must_not": ["REQ-001"],
        },
    )
    assert not result["passed"]
    assert result["missing"] == ["REQ-006", "EST-002"]
    assert result["unexpected"] == ["REQ-001"]


def test_pass_findings_do_not_count_as_fired(spec):
    result = run_sample(spec, {"name": "clean", "answers": EXAMPLE, "must_not": ["REQ-001"]})
    assert result["passed"], result
    assert "REQ-001" not in result["codes"]


def test_an_invalid_phase_document_is_reported_and_fails_the_sample(spec):
    result = run_sample(
        spec,
        {
            "name": "typo",
            "answers": {"1": {"latency": [{"target": "2OO"}]}, "12": {}},
            "must_not": ["REQ-001"],
        },
    )
    assert not result["passed"]
    fields = [(e["phase"], e["field"]) for e in result["invalid"]]
    assert (1, "latency[0].target") in fields
    assert (None, "12") in fields
    assert all(e["message"] for e in result["invalid"])


def test_parse_answers_keeps_valid_documents_by_phase_number():
    valid, invalid = parse_answers({"1": EXAMPLE["1"], 2: EXAMPLE["2"]})
    assert set(valid) == {1, 2}
    assert invalid == []


def test_the_seed_draws_the_givens_the_sample_is_checked_against():
    givens = {"writes": {"label": "New links a day", "min": "1M/day", "max": "1000M/day"}}
    spec = ProblemSpec(slug="ranged", givens=givens)
    # The example states 100M/day: seed 6 draws 95M/day (agrees), seed 3 2.3M/day (not).
    assert draw(givens, 6)["writes"]["value"] == "95M/day"
    assert draw(givens, 3)["writes"]["value"] == "2.3M/day"
    sample = {"name": "states 100M/day", "answers": {"2": EXAMPLE["2"]}, "must": ["EST-002"]}
    agrees = run_sample(spec, {**sample, "seed": 6})
    contradicts = run_sample(spec, {**sample, "seed": 3})
    assert "EST-002" not in agrees["codes"] and not agrees["passed"]
    assert "EST-002" in contradicts["codes"] and contradicts["passed"]
    assert run_sample(spec, sample) == run_sample(spec, {**sample, "seed": 0})


def test_run_all_keeps_the_order_and_needs_no_django(spec):
    results = run_all(
        spec,
        [
            {"name": "a", "answers": {"1": without_redirect()}, "must": ["REQ-001"]},
            {"name": "b", "answers": {"1": without_redirect()}, "must_not": ["REQ-001"]},
        ],
    )
    assert [(r["name"], r["passed"]) for r in results] == [("a", True), ("b", False)]


def test_the_module_does_not_need_django():
    code = "import sys, phases.corpus.samples; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


SHIPPED_WITH_CORPUS = [
    "pastebin",
    "social-feed",
    "rate-limiter",
    "chat-service",
    "ride-sharing-location",
]


@pytest.mark.parametrize("slug", SHIPPED_WITH_CORPUS)
def test_every_shipped_problem_has_its_whole_sound_design_as_a_sample(slug):
    """The sample is the accuracy corpus's sound design, all nine phases, kept identical."""
    problems = {
        p["slug"]: p
        for path in sorted((FIXTURES / "problemsets").glob("*.yaml"))
        for p in yaml.safe_load(path.read_text())["problems"]
    }
    sample = next(s for s in problems[slug]["samples"] if s["name"].startswith("sound design"))
    corpus = json.loads((FIXTURES / "accuracy" / slug / "sound.json").read_text())
    assert sorted(sample["answers"], key=int) == [str(n) for n in range(1, 10)]
    assert sample["answers"] == corpus["phases"]
    assert sample.get("seed", 0) == corpus.get("seed", 0)
