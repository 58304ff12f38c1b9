"""The accuracy benchmark: how often the rules catch a planted mistake, and how often they
accuse a sound design. Pure: no Django; ``scripts/accuracy.py`` reads the files.

A design file (``fixtures/accuracy/<problem>/sound.json`` or ``flawed-<name>.json``, the
format is in ``fixtures/accuracy/README.md``) is an answer file with labels: its kind
(``sound`` or ``flawed``), the seed its givens are drawn with, and for a flawed design the
mistakes planted in it, each ``{id, phase, field, meaning}``.

A planted mistake is *caught* when the flawed design has an error or warning finding in
the label's phase (the phase a finding's field belongs to: its ``field_phase`` when it
points across phases), on the label's field or inside it (``results`` covers
``results.writes_per_s``; an empty field covers the whole phase), that the sound design of
the same problem does not have (same code, phase and field, at any severity that fires;
nor the same code with the same message, which is the sound design's finding on a row
renumbered because the flawed copy dropped an earlier one).
Every error finding on a sound design is a *false error*; its warnings are counted too.
"""

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict

from phases.corpus import samples
from phases.engine import variants
from phases.engine.answers import JSON
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import grade

FORMAT_VERSION = 1
KINDS = ("sound", "flawed")
DESIGN_KEYS = ("format", "problem", "kind", "seed", "based_on", "phases", "planted")
LABEL_KEYS = ("id", "phase", "field", "meaning")
MIN_PLANTED = 6
PHASES = range(1, 10)
# Severities that count as the design "having" a finding, and those that can catch.
FIRED = ("error", "warning", "info")
CATCHING = ("error", "warning")


class Label(TypedDict):
    """A planted mistake: where it is and what a reviewer would say."""

    id: str
    phase: int
    field: str
    meaning: str


class Found(TypedDict):
    """A finding of a graded design; ``phase`` is the phase its field belongs to."""

    code: str
    severity: str
    phase: int
    field: str
    message: str


class Caught(Label):
    caught_by: list[Found]


class SoundJudgement(TypedDict):
    errors: list[Found]
    warnings: list[Found]


class FlawedJudgement(TypedDict):
    planted: int
    caught: list[Caught]
    missed: list[Label]


class SoundResult(SoundJudgement):
    file: str


class FlawedResult(FlawedJudgement):
    file: str


class ProblemResult(TypedDict):
    problem: str
    sound: SoundResult
    flawed: list[FlawedResult]


class Totals(TypedDict):
    problems: int
    sound_designs: int
    flawed_designs: int
    planted: int
    caught: int
    caught_percent: float | None
    false_errors: int
    sound_warnings: int


@dataclass
class DesignFile:
    """One corpus file, read and checked; ``errors`` are corpus errors (not findings)."""

    path: str
    problem: str = ""
    kind: str = ""
    seed: int = 0
    based_on: str = ""
    answers: dict[int, JSON] = field(default_factory=dict)
    planted: list[Label] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_design(path: str | Path) -> DesignFile:
    """A design file, with every way it breaks the format listed in ``errors``."""
    design = DesignFile(path=str(path))
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        design.errors.append(f"cannot read the file ({exc.strerror}).")
        return design
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f" at line {exc.lineno}, column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        design.errors.append(f"not valid JSON{where}.")
        return design
    check_design(design, data, Path(path).name)
    return design


def check_design(design: DesignFile, data: object, filename: str = "") -> DesignFile:
    """Fill ``design`` from a parsed file, adding an error for each break of the format.

    ``filename`` ties the kind to the name: ``sound.json`` is sound, ``flawed-*.json``
    flawed.
    """
    errors = design.errors
    if not isinstance(data, dict):
        errors.append("expected a JSON object with format, problem, kind and phases.")
        return design
    for key in data:
        if key not in DESIGN_KEYS:
            errors.append(f"{key}: unknown key (expected one of {', '.join(DESIGN_KEYS)}).")
    if data.get("format") != FORMAT_VERSION:
        errors.append(f"format: expected {FORMAT_VERSION} (got {data.get('format')!r}).")
    problem = data.get("problem")
    if not isinstance(problem, str) or not problem.strip():
        errors.append("problem: required text, the problem's slug or SET/slug.")
    else:
        design.problem = problem.strip()
    kind = data.get("kind")
    if kind not in KINDS:
        errors.append(f"kind: expected sound or flawed (got {kind!r}).")
    else:
        design.kind = kind
        expected = "sound" if filename == "sound.json" else "flawed"
        if filename and (filename == "sound.json" or filename.startswith("flawed-")):
            if kind != expected:
                errors.append(f"kind: {filename} must be {expected} (got {kind!r}).")
        elif filename:
            errors.append(f"name the file sound.json or flawed-<name>.json (got {filename}).")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        errors.append(f"seed: expected a whole number from 0 (got {seed!r}).")
    else:
        design.seed = seed
    based_on = data.get("based_on")
    if not isinstance(based_on, str) or not based_on.strip():
        errors.append("based_on: required text, the published design(s) it follows.")
    else:
        design.based_on = based_on
    _check_phases(design, data.get("phases"))
    _check_planted(design, data.get("planted"))
    return design


def _check_phases(design: DesignFile, phases: object) -> None:
    if not isinstance(phases, dict):
        design.errors.append('phases: expected an object of phases "1" to "9".')
        return
    answers, invalid = samples.parse_answers(phases)
    for error in invalid:
        if error["phase"] is None:
            design.errors.append(f"phases.{error['field']}: {error['message']}")
        else:
            where = f".{error['field']}" if error["field"] else ""
            design.errors.append(f"phases.{error['phase']}{where}: {error['message']}")
    missing = [str(n) for n in PHASES if n not in answers and str(n) not in phases]
    if missing:
        design.errors.append(f"phases: every phase is answered; missing {', '.join(missing)}.")
    design.answers = answers


def _check_planted(design: DesignFile, planted: object) -> None:
    errors = design.errors
    if planted is None:
        planted = []
    if not isinstance(planted, list):
        errors.append("planted: expected a list of {id, phase, field, meaning}.")
        return
    if design.kind == "sound" and planted:
        errors.append("planted: a sound design plants no mistakes; leave the list out.")
    if design.kind == "flawed" and len(planted) < MIN_PLANTED:
        errors.append(
            f"planted: a flawed design plants at least {MIN_PLANTED} (got {len(planted)})."
        )
    ids: set[str] = set()
    for index, label in enumerate(planted):
        where = f"planted[{index}]"
        if not isinstance(label, dict):
            errors.append(f"{where}: expected {{id, phase, field, meaning}}.")
            continue
        for key in label:
            if key not in LABEL_KEYS:
                errors.append(
                    f"{where}.{key}: unknown key (expected one of {', '.join(LABEL_KEYS)})."
                )
        ok = True
        label_id = label.get("id")
        if not isinstance(label_id, str) or not label_id.strip():
            errors.append(f"{where}.id: required text.")
            ok = False
        elif label_id in ids:
            errors.append(f"{where}.id: {label_id!r} appears twice.")
        else:
            ids.add(label_id)
        phase = label.get("phase")
        if not isinstance(phase, int) or isinstance(phase, bool) or phase not in PHASES:
            errors.append(f"{where}.phase: expected a phase number 1 to 9 (got {phase!r}).")
            ok = False
        path = label.get("field", "")
        if not isinstance(path, str):
            errors.append(f"{where}.field: expected text, a field path or empty (got {path!r}).")
            ok = False
        meaning = label.get("meaning")
        if not isinstance(meaning, str) or not meaning.strip():
            errors.append(f"{where}.meaning: required text, what a reviewer would say.")
            ok = False
        # ok means each of them passed its check above (written out for the type checker)
        if ok and isinstance(label_id, str) and isinstance(phase, int) and isinstance(meaning, str):
            design.planted.append(
                {"id": label_id, "phase": phase, "field": path, "meaning": meaning}
            )


# -- Grading and counting ------------------------------------------------------------------


def findings(answers: dict[int, JSON], spec: ProblemSpec) -> list[Found]:
    """Every finding of a design as ``{code, severity, phase, field, message}``, where
    ``phase`` is the phase the field belongs to (the grader's ``field_phase`` if given)."""
    report = grade(Design(answers, spec))
    result: list[Found] = []
    for number, phase in report["phases"].items():
        for finding in phase["findings"]:
            result.append(
                {
                    "code": finding["code"],
                    "severity": finding["severity"],
                    "phase": finding.get("field_phase") or int(number),
                    "field": finding["field"],
                    "message": finding["message"],
                }
            )
    return result


def _key(finding: Found) -> tuple[str, int, str]:
    return finding["code"], finding["phase"], finding["field"]


def within(field_path: str, prefix: str) -> bool:
    """Whether ``field_path`` is ``prefix`` or lies inside it (``results`` holds
    ``results.storage``, ``latency`` holds ``latency[1].unit``); "" holds everything."""
    if not prefix or field_path == prefix:
        return True
    return field_path.startswith(prefix) and field_path[len(prefix)] in ".["


def judge_sound(found: list[Found]) -> SoundJudgement:
    """A sound design's false errors and warnings."""
    return {
        "errors": [f for f in found if f["severity"] == "error"],
        "warnings": [f for f in found if f["severity"] == "warning"],
    }


def judge_flawed(
    planted: list[Label], found: list[Found], sound_found: list[Found]
) -> FlawedJudgement:
    """Each planted mistake caught or missed, with the findings that caught it."""
    fired = [f for f in sound_found if f["severity"] in FIRED]
    baseline = {_key(f) for f in fired}
    # The same message under the same code is the sound design's finding at a shifted
    # index (a flawed copy that drops a row renumbers the rows after it).
    said = {(f["code"], f["message"]) for f in fired}
    new = [
        f
        for f in found
        if f["severity"] in CATCHING
        and _key(f) not in baseline
        and (f["code"], f["message"]) not in said
    ]
    caught: list[Caught] = []
    missed: list[Label] = []
    for label in planted:
        by = [f for f in new if f["phase"] == label["phase"] and within(f["field"], label["field"])]
        if by:
            caught.append({**label, "caught_by": by})
        else:
            missed.append({**label})
    return {"planted": len(planted), "caught": caught, "missed": missed}


def totals(results: list[ProblemResult]) -> Totals:
    """The whole corpus's counts from per-problem results (see :func:`run_problem`)."""
    planted = sum(f["planted"] for r in results for f in r["flawed"])
    caught = sum(len(f["caught"]) for r in results for f in r["flawed"])
    sound = [r["sound"] for r in results if r["sound"]]
    return {
        "problems": len(results),
        "sound_designs": len(sound),
        "flawed_designs": sum(len(r["flawed"]) for r in results),
        "planted": planted,
        "caught": caught,
        "caught_percent": round(100 * caught / planted, 1) if planted else None,
        "false_errors": sum(len(s["errors"]) for s in sound),
        "sound_warnings": sum(len(s["warnings"]) for s in sound),
    }


def run_problem(
    name: str, spec: ProblemSpec, sound: DesignFile, flawed: list[DesignFile]
) -> ProblemResult:
    """One problem's result: its sound design judged, and each flawed one against it.

    ``spec`` carries the problem's givens as written; each design draws its own with its
    seed, as ``grade --seed`` does.
    """

    def graded(design: DesignFile) -> list[Found]:
        drawn = replace(spec, givens=variants.draw(spec.givens, design.seed))
        return findings(design.answers, drawn)

    sound_found = graded(sound)
    result: ProblemResult = {
        "problem": name,
        "sound": {"file": sound.path, **judge_sound(sound_found)},
        "flawed": [],
    }
    for design in flawed:
        judged = judge_flawed(design.planted, graded(design), sound_found)
        result["flawed"].append({"file": design.path, **judged})
    return result
