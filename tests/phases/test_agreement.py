"""No two outcomes on one design disagree (issue: "no contradictions").

Every sample answer the project has (the shipped example, the problem sets' samples, the
accuracy corpus's sound and flawed designs) is checked, and for each:

* a pass finding never stands beside a finding that denies it (``DENIED_BY``);
* a checklist item is met exactly when none of the findings it reads says otherwise,
  and REV-005 reports exactly the items that are not met;
* where two rules judge one property from two phases (a retried write with no
  idempotency: FAIL-007 and API-004), one never fires without the other.
"""

import contextlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from phases import checklist
from phases.engine import variants
from phases.engine.answers import AnswerShapeError
from phases.engine.design import Design, ProblemSpec
from phases.engine.findings import Severity
from phases.engine.registry import DENIED_BY, PHASE_NUMBERS, RULES_BY_CODE

ROOT = Path(__file__).resolve().parents[2]


def _specs() -> dict[str, ProblemSpec]:
    files = [*(ROOT / "fixtures" / "problemsets").glob("*.yaml")]
    files += (ROOT / "fixtures" / "accuracy").glob("problems-*.yaml")
    specs = {}
    for path in sorted(files):
        for p in yaml.safe_load(path.read_text())["problems"]:
            specs[p["slug"]] = ProblemSpec(
                slug=p["slug"],
                title=p.get("title", ""),
                givens=p.get("givens") or {},
                expectations=p.get("expectations") or {},
            )
    return specs


def _samples() -> list[tuple[str, dict[int, dict], ProblemSpec]]:
    specs = _specs()
    found = []
    example = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())
    found.append(("fixtures/answers/url-shortener.json", example["phases"], specs["url-shortener"]))
    for path in sorted((ROOT / "fixtures" / "problemsets").glob("*.yaml")):
        for p in yaml.safe_load(path.read_text())["problems"]:
            for sample in p.get("samples") or []:
                spec = replace(
                    specs[p["slug"]],
                    givens=variants.draw(specs[p["slug"]].givens, sample.get("seed", 0)),
                )
                found.append((f"{path.name}:{p['slug']}:{sample['name']}", sample["answers"], spec))
    for path in sorted((ROOT / "fixtures" / "accuracy").glob("*/*.json")):
        data = json.loads(path.read_text())
        slug = data["problem"].split("/")[-1]
        spec = replace(specs[slug], givens=variants.draw(specs[slug].givens, data.get("seed", 0)))
        found.append((str(path.relative_to(ROOT)), data["phases"], spec))
    return found


SAMPLES = _samples()


def _all_findings(design: Design) -> list:
    found = []
    for number in PHASE_NUMBERS:
        if design.has(number):
            with contextlib.suppress(AnswerShapeError):
                found += design.findings(number)
    return found


def test_there_are_samples_of_every_kind():
    names = [name for name, _a, _s in SAMPLES]
    assert any("sound.json" in n for n in names) and any("flawed-" in n for n in names)
    assert any(".yaml:" in n for n in names)


@pytest.mark.parametrize(("name", "answers", "spec"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_no_two_outcomes_disagree(name, answers, spec):
    design = Design({int(k): v for k, v in answers.items()}, spec)
    found = _all_findings(design)
    serious = [f for f in found if f.severity in (Severity.ERROR, Severity.WARNING)]

    for f in found:
        if f.severity is Severity.PASS and f.code in DENIED_BY:
            deniers = [g for g in serious if g.code in DENIED_BY[f.code]]
            assert not deniers, f"{f.code} passes ({f.message}) but {deniers[0].code} says " + (
                deniers[0].message
            )

    items = checklist.evaluate(design)
    for item in items:
        codes = {w.get("code") for w in item["where"]}
        assert item["ok"] == (not item["where"]), item["key"]
        for code in codes - {None}:
            if design.has(RULES_BY_CODE[code].phase):  # an unanswered phase is not checked
                assert any(g.code == code for g in serious), (item["key"], code)
    if design.has(9):
        try:
            rev005 = {f.message for f in design.findings(9) if f.code == "REV-005"}
        except AnswerShapeError:
            rev005 = None
        if rev005 is not None:
            failing = [i for i in items if not i["ok"]]
            assert len(rev005) == len(failing), (rev005, [i["key"] for i in failing])

    # One cause, one count: writes beyond one primary reported in phase 3 (DAT-018) are
    # only pointed to from phase 6 (TEC-008).
    if any(f.code == "DAT-018" for f in serious):
        assert not [f for f in serious if f.code == "TEC-008"], name

    api004 = {f.field for f in serious if f.code == "API-004"}
    for f in serious:
        if f.code == "FAIL-007":
            assert f.field in api004, f"FAIL-007 on {f.field} but API-004 does not agree"
