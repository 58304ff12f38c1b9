"""Problem sets as files: reading, validating and importing them.

A problem set file is YAML (JSON is valid YAML too); ``docs/problemsets.md`` documents
the format. Import checks the whole file first and reports every error with its
location; it changes nothing unless the file is valid.
"""

from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from tutor.models import Problem, ProblemSet

FORMAT_VERSION = 1


class ProblemSetFileError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def read_file(path: str | Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemSetFileError([f"{path}: cannot read the file ({exc.strerror})."]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProblemSetFileError([f"{path}: not valid YAML{where}."]) from None
    return data


def validate(data) -> list[str]:
    """Every problem in the document, each as 'location: what is wrong'."""
    if not isinstance(data, dict):
        return ["(top): expected a mapping with format, slug, title and problems."]
    errors = []
    if data.get("format") != FORMAT_VERSION:
        errors.append(f"format: expected {FORMAT_VERSION} (got {data.get('format')!r}).")
    for key in ("slug", "title"):
        if not isinstance(data.get(key), str) or not data.get(key).strip():
            errors.append(f"{key}: required text.")
    if isinstance(data.get("slug"), str) and slugify(data["slug"]) != data["slug"]:
        errors.append("slug: use lowercase letters, digits and hyphens only.")
    problems = data.get("problems")
    if not isinstance(problems, list) or not problems:
        errors.append("problems: expected a non-empty list.")
        return errors
    seen = set()
    for index, problem in enumerate(problems):
        where = f"problems[{index}]"
        if not isinstance(problem, dict):
            errors.append(f"{where}: expected a mapping.")
            continue
        for key in ("slug", "title", "statement"):
            if not isinstance(problem.get(key), str) or not problem[key].strip():
                errors.append(f"{where}.{key}: required text.")
        slug = problem.get("slug")
        if isinstance(slug, str):
            if slugify(slug) != slug:
                errors.append(f"{where}.slug: use lowercase letters, digits and hyphens only.")
            if slug in seen:
                errors.append(f"{where}.slug: {slug!r} appears twice in this set.")
            seen.add(slug)
        for key in ("givens", "expectations"):
            if not isinstance(problem.get(key, {}), dict):
                errors.append(f"{where}.{key}: expected a mapping.")
        capabilities = (problem.get("expectations") or {}).get("phase1", {}).get("capabilities", [])
        if not isinstance(capabilities, list):
            errors.append(f"{where}.expectations.phase1.capabilities: expected a list.")
            capabilities = []
        for cap_index, cap in enumerate(capabilities):
            cap_where = f"{where}.expectations.phase1.capabilities[{cap_index}]"
            if not isinstance(cap, dict) or not isinstance(cap.get("label"), str):
                errors.append(f"{cap_where}: expected a mapping with a label.")
            elif not isinstance(cap.get("synonyms", []), list):
                errors.append(f"{cap_where}.synonyms: expected a list of phrases.")
    return errors


@transaction.atomic
def import_problem_set(data: dict) -> ProblemSet:
    """Create or update a problem set (matched by slug) and its problems."""
    errors = validate(data)
    if errors:
        raise ProblemSetFileError(errors)
    problem_set, _ = ProblemSet.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "title": data["title"],
            "description": data.get("description", ""),
            "is_open": data.get("is_open", True),
            "is_published": data.get("is_published", True),
        },
    )
    for position, item in enumerate(data["problems"]):
        problem, created = Problem.objects.get_or_create(
            problem_set=problem_set,
            slug=item["slug"],
            defaults={"title": item["title"], "statement": item["statement"]},
        )
        changed = (
            problem.givens != item.get("givens", {})
            or problem.expectations != item.get("expectations", {})
            or problem.statement != item["statement"]
        )
        problem.title = item["title"]
        problem.summary = item.get("summary", "")
        problem.statement = item["statement"]
        problem.givens = item.get("givens", {})
        problem.expectations = item.get("expectations", {})
        problem.reference_solution = item.get("reference_solution", "")
        problem.is_published = item.get("is_published", True)
        problem.position = position
        if changed and not created:
            problem.version += 1
        problem.save()
    return problem_set
