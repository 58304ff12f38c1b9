"""In-process timing of the rules on the shipped example answer.

    DEBUG=1 .venv/bin/python scripts/bench_rules.py [RUNS] [--profile]

Prints the median and p99 of one ``check_phase(1, ...)`` call, and of grading the whole
nine-phase answer set (``grade(Design(...))`` on ``fixtures/answers/url-shortener.json``,
a fresh ``Design`` each run, as the grader and a save do). Issue 8's goal for the latter
is a median under 5 ms. ``--profile`` adds the top of a cProfile (or pyinstrument, when
installed) run of the grading. Not a test: timings on a shared machine are noisy, so
they are reported, never asserted.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from phases.engine.design import Design, ProblemSpec  # noqa: E402
from phases.engine.engine import check_phase, grade  # noqa: E402

GRADE_GOAL_MS = 5.0


def summary(timings: list[float]) -> tuple[float, float]:
    """Median and p99 in milliseconds."""
    ordered = sorted(timings)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.99)] * 1e3


def load() -> tuple[dict[int, dict], ProblemSpec]:
    document = json.loads((ROOT / "fixtures/answers/url-shortener.json").read_text())
    problems = yaml.safe_load((ROOT / "fixtures/problemsets/foundations.yaml").read_text())
    problem = next(p for p in problems["problems"] if p["slug"] == "url-shortener")
    spec = ProblemSpec(
        "url-shortener",
        givens=problem.get("givens", {}) or {},
        expectations=problem.get("expectations", {}) or {},
    )
    return {int(k): v for k, v in document["phases"].items()}, spec


def profile(answers: dict[int, dict], spec: ProblemSpec, runs: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler()
        profiler.start()
        for _ in range(runs):
            grade(Design(answers, spec))
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        grade(Design(answers, spec))
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main(runs: int, with_profile: bool) -> None:
    answers, spec = load()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        check_phase(1, Design({1: answers[1]}, spec))
        timings.append(time.perf_counter() - start)
    median, p99 = summary(timings)
    print(
        f"check_phase(1), example answer: median {median * 1e3:.0f} µs, "
        f"p99 {p99 * 1e3:.0f} µs, {runs} runs"
    )

    grade_runs = max(50, runs // 4)
    grade(Design(answers, spec))  # warm imports and caches of constant tables
    timings = []
    for _ in range(grade_runs):
        start = time.perf_counter()
        grade(Design(answers, spec))
        timings.append(time.perf_counter() - start)
    median, p99 = summary(timings)
    verdict = "meets" if median < GRADE_GOAL_MS else "misses"
    print(
        f"grade(Design(all {len(answers)} phases)), example answer: median {median:.2f} ms, "
        f"p99 {p99:.2f} ms, {grade_runs} runs ({verdict} the {GRADE_GOAL_MS:.0f} ms goal)"
    )
    if with_profile:
        profile(answers, spec, min(grade_runs, 100))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--profile"]
    main(int(args[0]) if args else 2000, "--profile" in sys.argv[1:])
