"""In-process timing of the phase 1 rules on the shipped example answer.

    DEBUG=1 .venv/bin/python scripts/bench_rules.py [RUNS]

Prints the median and p99 of one ``check_phase(1, ...)`` call. Not a test: timings on a
shared machine are noisy, so they are reported, never asserted.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from phases.design import Design, ProblemSpec  # noqa: E402
from phases.engine import check_phase  # noqa: E402


def main(runs: int) -> None:
    document = json.loads((ROOT / "fixtures/answers/url-shortener.json").read_text())
    problem = yaml.safe_load((ROOT / "fixtures/problemsets/foundations.yaml").read_text())
    spec = ProblemSpec("url-shortener", expectations=problem["problems"][0]["expectations"])
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        check_phase(1, Design({1: document["phases"]["1"]}, spec))
        timings.append(time.perf_counter() - start)
    timings.sort()
    median = statistics.median(timings) * 1e6
    p99 = timings[int(len(timings) * 0.99)] * 1e6
    print(f"check_phase(1), example answer: median {median:.0f} µs, p99 {p99:.0f} µs, {runs} runs")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
