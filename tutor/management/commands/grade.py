"""Grade an answer file from the command line, printing the findings as JSON.

    python manage.py grade --problem url-shortener answers.json

The file holds one JSON document per phase under "phases" (docs/answers.md). A file
that cannot be read exits with status 2 and a one-line error; so does one larger than
:data:`MAX_FILE_BYTES`, one nested deeper than ``phases.engine.answers.MAX_DEPTH`` or one with a
list longer than ``phases.engine.answers.MAX_ROWS`` (the most rows the forms offer). What is
printed is always valid JSON: no ``Infinity`` or ``NaN``.
"""

import json
import sys
from typing import NoReturn

from django.core.management.base import BaseCommand

from phases.engine import variants
from phases.engine.answers import oversized
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import grade
from phases.engine.registry import PHASE_NUMBERS
from tutor.models import Problem

# Real answer files are tens of kilobytes; a whole attempt typed to the forms' limits
# (every list at 50 rows, every field at 500 characters) is about 1.4 million characters.
MAX_FILE_BYTES = 4 * 1024 * 1024


class Command(BaseCommand):
    help = "Check an answer file against a problem and print the findings as JSON."

    def add_arguments(self, parser):
        parser.add_argument(
            "--problem", required=True, help="Problem slug, or SET/PROBLEM when ambiguous."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help="Draw ranged givens with this seed, as an attempt with that seed did.",
        )
        parser.add_argument("answers_file", metavar="ANSWERS_FILE")

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(f"grade: {message}")
        sys.exit(2)

    def handle(self, *args, problem, answers_file, seed, **options):
        problem_obj = self.find_problem(problem)
        answers = self.read_answers(answers_file)
        spec = ProblemSpec(
            slug=problem_obj.slug,
            title=problem_obj.title,
            givens=variants.draw(problem_obj.givens, seed),
            expectations=problem_obj.expectations,
        )
        report = grade(Design(answers, spec))
        try:
            text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
        except ValueError:  # engine.grade keeps every figure finite; never print Infinity
            self.fail("the report holds a number too large to write as JSON.")
        self.stdout.write(text)

    def find_problem(self, slug: str) -> Problem:
        problems = Problem.objects.select_related("problem_set")
        if "/" in slug:
            set_slug, _, slug = slug.partition("/")
            problems = problems.filter(problem_set__slug=set_slug)
        matches = list(problems.filter(slug=slug)[:2])
        if not matches:
            self.fail(f"no problem with slug {slug!r} (import its problem set first).")
        if len(matches) > 1:
            self.fail(f"several problem sets have {slug!r}; write it as SET/{slug}.")
        return matches[0]

    def read_answers(self, path: str) -> dict[int, dict]:
        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.fail(f"cannot read {path}: {exc.strerror}.")
        if len(content) > MAX_FILE_BYTES:
            self.fail(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        try:
            data = json.loads(content.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = (
                f" at line {exc.lineno}, column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            self.fail(f"{path} is not valid JSON{where}.")
        except RecursionError:
            self.fail(f"{path} nests lists or objects too deeply.")
        if not isinstance(data, dict) or not isinstance(data.get("phases"), dict):
            self.fail(f'{path} must be a JSON object with a "phases" object inside.')
        answers = {}
        for key, document in data["phases"].items():
            if not str(key).isdigit() or int(key) not in PHASE_NUMBERS:
                self.fail(f'{path}: "phases" keys are phase numbers 1 to 9 (got {key!r}).')
            if not isinstance(document, dict):
                self.fail(f"{path}: phase {key} must be a JSON object.")
            problem = oversized(document)
            if problem is not None:
                field, message = problem
                self.fail(f"{path}: phase {key}, {field}: {message}")
            answers[int(key)] = document
        return answers
