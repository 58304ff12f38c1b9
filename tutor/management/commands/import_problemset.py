"""Import problem set files: ``python manage.py import_problemset FILE [FILE ...]``.

Each file is checked whole first; a file with errors is not imported and every error is
printed with its location. The set then matches the file (docs/problemsets.md).
"""

from django.core.management.base import BaseCommand, CommandError

from tutor.problemsets import ProblemSetFileError, import_problem_set, read_file


class Command(BaseCommand):
    help = "Import (create or update) a problem set from a YAML or JSON file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        for path in files:
            try:
                problem_set = import_problem_set(read_file(path))
            except ProblemSetFileError as exc:
                raise CommandError(f"{path} was not imported:\n" + "\n".join(exc.errors)) from None
            count = problem_set.problems.count()
            self.stdout.write(f"Imported {problem_set.title} ({count} problems) from {path}")
