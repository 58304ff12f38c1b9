"""Write a problem set as a file: ``python manage.py export_problemset SLUG [--output FILE]``.

The output is the format ``import_problemset`` reads (docs/problemsets.md); importing it
reproduces the set, and exporting again gives the same text.
"""

import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand

from tutor.models import ProblemSet
from tutor.problemsets import dump_yaml, export_problem_set


class Command(BaseCommand):
    help = "Export a problem set, with its problems and samples, as YAML."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write here, not to stdout.")

    def fail(self, message: str) -> NoReturn:
        self.stderr.write(f"export_problemset: {message}")
        sys.exit(2)

    def handle(self, *args, slug, output=None, **options):
        problem_set = ProblemSet.objects.filter(slug=slug).first()
        if problem_set is None:
            self.fail(f"no problem set with slug {slug!r}.")
        text = dump_yaml(export_problem_set(problem_set))
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            self.fail(f"cannot write {output}: {exc.strerror}.")
        self.stderr.write(f"Exported {problem_set.title} to {output}")
