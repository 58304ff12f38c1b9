"""Run a problem set's sample answers: ``python manage.py test_problemset SLUG_OR_FILE``.

The argument is an imported set's slug or a problem set file (checked, not imported).
Prints one line per sample, PASS or FAIL with the codes missing or unexpected and any
shape errors, then a summary. Exit status: 0 when every sample passes, 1 when one fails,
2 when the argument names no set or the file is not valid.
"""

import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand

from phases.corpus.samples import Verdict, run_all
from phases.engine.design import ProblemSpec
from tutor.models import ProblemSet
from tutor.problemsets import ProblemSetFileError, normalise, read_file, validate


class Command(BaseCommand):
    help = "Run every problem's sample answers and say which pass."

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="SLUG_OR_FILE")

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(f"test_problemset: {message}")
        sys.exit(2)

    def handle(self, *args, target, **options):
        problems = self.problems(target)
        total = failed = 0
        for problem in problems:
            spec = ProblemSpec(
                slug=problem["slug"],
                title=problem["title"],
                givens=problem["givens"],
                expectations=problem["expectations"],
            )
            for result in run_all(spec, problem["samples"]):
                total += 1
                failed += not result["passed"]
                self.stdout.write(line(problem["slug"], result))
        self.stdout.write(f"{total - failed} of {total} samples passed.")
        if failed:
            sys.exit(1)

    def problems(self, target: str) -> list[dict]:
        """Each problem's slug, title, givens, expectations and samples."""
        problem_set = ProblemSet.objects.filter(slug=target).first()
        if problem_set is not None:
            return list(
                problem_set.problems.order_by("position", "slug").values(
                    "slug", "title", "givens", "expectations", "samples"
                )
            )
        if not Path(target).is_file():
            self.fail(f"{target!r} is neither a problem set slug nor a file.")
        try:
            data = read_file(target)
        except ProblemSetFileError as exc:
            self.fail("; ".join(exc.errors))
        errors = validate(data)
        if errors:
            self.fail(f"{target} is not a valid problem set file:\n" + "\n".join(errors))
        return normalise(data)["problems"]


def line(problem_slug: str, result: Verdict) -> str:
    verdict = "PASS" if result["passed"] else "FAIL"
    parts = [f"{verdict} {problem_slug}: {result['name']}"]
    if result["missing"]:
        parts.append(f"missing {', '.join(result['missing'])}")
    if result["unexpected"]:
        parts.append(f"unexpected {', '.join(result['unexpected'])}")
    for error in result["invalid"]:
        where = ".".join(str(p) for p in (error["phase"], error["field"]) if p not in (None, ""))
        parts.append(f"invalid {where}: {error['message']}")
    return " — ".join(parts)
