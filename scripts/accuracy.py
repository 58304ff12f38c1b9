"""The accuracy benchmark: the rules against a labelled corpus of designs.

    .venv/bin/python scripts/accuracy.py [-v] [--json] [--strict] [PROBLEM ...]

Reads every design under ``fixtures/accuracy/`` (format: ``fixtures/accuracy/README.md``)
and the problems they answer, from ``fixtures/problemsets/*.yaml`` and
``fixtures/accuracy/problems-*.yaml``, checked by the problem-set importer's own
validator. Prints, per problem and in total, the planted mistakes caught (and the ones
missed), the false errors on sound designs and their warnings (listed with ``-v``).
PROBLEM limits the run to those slugs (the corpus folders' names).

Exit status: 0; 1 with ``--strict`` when a sound design has an error finding; 2 when the
corpus itself is broken (a file that breaks the format, an answer document that fails its
shape check, a problem file the importer refuses), whatever the options.

No database: Django is set up only because the validator lives beside the models; no
query is made. Without SECRET_KEY it runs with DEBUG on, as ``make run`` does.
"""

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from phases.corpus import accuracy  # noqa: E402
from phases.engine.design import ProblemSpec  # noqa: E402

CORPUS = ROOT / "fixtures" / "accuracy"
PROBLEM_FILES = (
    *sorted((ROOT / "fixtures" / "problemsets").glob("*.yaml")),
    *sorted(CORPUS.glob("problems-*.yaml")),
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def load_problems(paths, errors: list[str]) -> dict:
    """Every problem of the valid files, as ``{"SET/slug": problem dict}``."""
    from tutor import problemsets

    problems = {}
    for path in paths:
        name = os.path.relpath(path, ROOT)
        try:
            data = problemsets.read_file(path)
        except problemsets.ProblemSetFileError as exc:
            errors.extend(f"{name}: {e}" for e in exc.errors)
            continue
        invalid = problemsets.validate(data)
        if invalid:
            errors.extend(f"{name}: {e}" for e in invalid)
            continue
        for problem in data["problems"]:
            problems[f"{data['slug']}/{problem['slug']}"] = problem
    return problems


def find_problem(problems: dict, wanted: str) -> tuple[str | None, str]:
    """The key of the problem a design names (slug or SET/slug), or None and why."""
    if "/" in wanted:
        return (wanted, "") if wanted in problems else (None, f"no problem {wanted!r}.")
    matches = [key for key in problems if key.split("/", 1)[1] == wanted]
    if not matches:
        return None, f"no problem {wanted!r} in the problem-set files."
    if len(matches) > 1:
        return None, f"several sets have {wanted!r}; write it as SET/{wanted}."
    return matches[0], ""


def run(corpus: Path = CORPUS, problem_files=PROBLEM_FILES, only=()) -> dict:
    """The whole benchmark as one JSON-ready report."""
    errors: list[str] = []
    problems = load_problems(problem_files, errors)
    results = []
    folders = sorted(p for p in corpus.iterdir() if p.is_dir()) if corpus.is_dir() else []
    for folder in folders:
        if only and folder.name not in only:
            continue
        designs = []
        for path in sorted(folder.iterdir()):
            if path.suffix != ".json":
                continue
            design = accuracy.read_design(path)
            design.path = os.path.relpath(path, ROOT)
            if design.problem and not design.errors:
                key, why = find_problem(problems, design.problem)
                if key is None:
                    design.errors.append(f"problem: {why}")
                elif key.split("/", 1)[1] != folder.name:
                    design.errors.append(
                        f"problem: {design.problem!r} lives in a folder named after it, "
                        f"not {folder.name}/."
                    )
                else:
                    design.problem = key
            errors.extend(f"{design.path}: {e}" for e in design.errors)
            designs.append(design)
        good = [d for d in designs if not d.errors]
        sound = [d for d in good if d.kind == "sound"]
        flawed = [d for d in good if d.kind == "flawed"]
        if not sound:
            if not any(d.kind == "sound" for d in designs):
                errors.append(f"{os.path.relpath(folder, ROOT)}: no sound.json to compare with.")
            continue
        key = sound[0].problem
        for design in flawed:
            if design.problem != key:
                errors.append(f"{design.path}: answers {design.problem}, sound.json {key}.")
        problem = problems[key]
        spec = ProblemSpec(
            slug=problem["slug"],
            title=problem["title"],
            givens=problem.get("givens") or {},
            expectations=problem.get("expectations") or {},
        )
        flawed = [d for d in flawed if d.problem == key]
        results.append(accuracy.run_problem(key, spec, sound[0], flawed))
    return {"results": results, "totals": accuracy.totals(results), "corpus_errors": errors}


# -- Output --------------------------------------------------------------------------------


def _finding(f: dict) -> str:
    where = f"phase {f['phase']} {f['field'] or '(phase)'}"
    return f"{f['code']} {where}: {f['message']}"


def text(report: dict, verbose: bool = False) -> str:
    lines = []
    for result in report["results"]:
        sound = result["sound"]
        planted = sum(f["planted"] for f in result["flawed"])
        caught = sum(len(f["caught"]) for f in result["flawed"])
        lines.append(
            f"{result['problem']}: caught {caught} of {planted} planted; "
            f"sound design: {len(sound['errors'])} false errors, "
            f"{len(sound['warnings'])} warnings"
        )
        for f in sound["errors"]:
            lines.append(f"  false error  {_finding(f)}")
        if verbose:
            for f in sound["warnings"]:
                lines.append(f"  warning      {_finding(f)}")
        for design in result["flawed"]:
            name = Path(design["file"]).name
            lines.append(f"  {name}: caught {len(design['caught'])} of {design['planted']}")
            for label in design["missed"]:
                field = f" {label['field']}" if label["field"] else ""
                lines.append(
                    f"    missed  {label['id']} (phase {label['phase']}{field}): {label['meaning']}"
                )
            if verbose:
                for label in design["caught"]:
                    codes = ", ".join(sorted({f["code"] for f in label["caught_by"]}))
                    lines.append(f"    caught  {label['id']} (phase {label['phase']}) by {codes}")
    t = report["totals"]
    percent = f" ({t['caught_percent']}%)" if t["caught_percent"] is not None else ""
    lines.append("")
    lines.append(
        f"Total: {t['problems']} problems, {t['sound_designs']} sound and "
        f"{t['flawed_designs']} flawed designs."
    )
    lines.append(f"  planted mistakes caught: {t['caught']} of {t['planted']}{percent}")
    lines.append(f"  false errors on sound designs: {t['false_errors']}")
    lines.append(f"  warnings on sound designs: {t['sound_warnings']}")
    if report["corpus_errors"]:
        lines.append("")
        lines.append(f"Corpus errors ({len(report['corpus_errors'])}): fix these first.")
        lines.extend(f"  {e}" for e in report["corpus_errors"])
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("problems", nargs="*", metavar="PROBLEM", help="only these folders")
    parser.add_argument("-v", "--verbose", action="store_true", help="list warnings and catches")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a sound design has an error finding"
    )
    args = parser.parse_args(argv)
    setup_django()
    report = run(only=set(args.problems))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(text(report, verbose=args.verbose))
    if report["corpus_errors"]:
        return 2
    if args.strict and report["totals"]["false_errors"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
