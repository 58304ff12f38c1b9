"""The grader's output for every answer the project ships, kept to catch any change.

    .venv/bin/python scripts/grader_snapshot.py            # compare; exit 1 on a difference
    .venv/bin/python scripts/grader_snapshot.py --write    # record the output as it is now

A refactoring must leave what the tutor says byte for byte the same. The answers are the
example answer files (``fixtures/answers/``), every sample of every shipped problem
(``samples`` in ``fixtures/problemsets/*.yaml``) and every design of the accuracy corpus
(``fixtures/accuracy/``). Each is graded as ``manage.py grade`` does, with its seed, and
the JSON text is compared with its file in ``tests/tutor/grader_output/``. A change that is
meant (a rule fixed, a message reworded) is recorded with ``--write`` in the same commit,
so the diff shows exactly what learners will now see differently.
"""

import argparse
import difflib
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SNAPSHOT = ROOT / "tests" / "tutor" / "grader_output"

from phases.engine import variants  # noqa: E402
from phases.engine.design import Design, ProblemSpec  # noqa: E402
from phases.engine.engine import grade  # noqa: E402
from scripts.accuracy import CORPUS, PROBLEM_FILES, find_problem, load_problems, setup_django  # noqa: E402


def graded_texts() -> dict[str, str]:
    """Each shipped answer's name and the grader's JSON text for it."""
    errors: list[str] = []
    problems = load_problems(PROBLEM_FILES, errors)
    if errors:
        raise SystemExit("grader_snapshot: the problem files do not load:\n" + "\n".join(errors))

    def text(problem_key: str, answers: dict, seed: int) -> str:
        problem = problems[problem_key]
        spec = ProblemSpec(
            slug=problem["slug"],
            title=problem["title"],
            givens=problem.get("givens") or {},
            expectations=problem.get("expectations") or {},
        )
        spec = replace(spec, givens=variants.draw(spec.givens, seed))
        answers = {int(number): document for number, document in answers.items()}
        return json.dumps(grade(Design(answers, spec)), indent=2, ensure_ascii=False)

    texts: dict[str, str] = {}
    for key, problem in problems.items():
        for index, sample in enumerate(problem.get("samples") or []):
            name = f"sample {key} #{index} {sample.get('name', '')}".strip()
            texts[name] = text(key, sample.get("answers") or {}, sample.get("seed", 0))
    files = sorted((ROOT / "fixtures" / "answers").glob("*.json"))
    files += sorted(CORPUS.glob("*/*.json"))
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        key, why = find_problem(problems, data.get("problem", ""))
        if key is None:
            raise SystemExit(f"grader_snapshot: {path.relative_to(ROOT)}: {why}")
        texts[str(path.relative_to(ROOT))] = text(key, data["phases"], data.get("seed", 0))
    return texts


def file_name(name: str) -> str:
    """``fixtures/accuracy/pastebin/sound.json`` → ``fixtures_accuracy_pastebin_sound.json``."""
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", name.removesuffix(".json")).strip("_")
    return f"{stem}.json"


def recorded_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in SNAPSHOT.glob("*.json")}


def differences(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """A unified diff per answer whose output changed, appeared or disappeared."""
    lines = []
    for name in sorted(set(recorded) | set(now)):
        before, after = recorded.get(name), now.get(name)
        if before == after:
            continue
        if before is None or after is None:
            lines.append(f"{name}: {'new' if before is None else 'no longer graded'}")
            continue
        diff = difflib.unified_diff(
            before.splitlines(), after.splitlines(), "recorded", "now", lineterm="", n=2
        )
        lines.append(f"{name}:\n" + "\n".join(diff))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the output as it is now")
    args = parser.parse_args()
    setup_django()
    now = {file_name(name): text + "\n" for name, text in graded_texts().items()}
    if args.write:
        SNAPSHOT.mkdir(exist_ok=True)
        for path in SNAPSHOT.glob("*.json"):
            path.unlink()
        for name, text in now.items():
            (SNAPSHOT / name).write_text(text, encoding="utf-8")
        print(f"recorded {len(now)} answers in {SNAPSHOT.relative_to(ROOT)}/")
        return 0
    recorded = recorded_texts()
    changed = differences(recorded, now)
    print("\n\n".join(changed) if changed else f"{len(now)} answers graded as recorded")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
