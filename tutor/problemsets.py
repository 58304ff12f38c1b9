"""Problem sets as files: reading, validating, importing and exporting them.

A problem set file is YAML (JSON is valid YAML too); ``docs/problemsets.md`` documents
the format as a schema. Import checks the whole file first and reports every error with
its location (``problems[2].givens.writes.max: ...``); it changes nothing unless the
file is valid, and then makes the set match the file. Export writes the set back in the
same format, so export, import, export gives the same text.
"""

from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from phases import estimation
from phases.corpus import samples
from phases.engine.registry import PHASES, RULES_BY_CODE
from phases.engine.unit import is_number, is_text_list
from phases.engine.variants import range_error
from phases.reading import units
from phases.reading.quantities import parse_quantity
from tutor.models import Problem, ProblemSet

FORMAT_VERSION = 1
HEADER = "# A problem set file: see docs/problemsets.md for the format.\n"

SET_KEYS = (
    "format",
    "slug",
    "title",
    "description",
    "is_open",
    "is_published",
    "release_scores",
    "release_reference",
    "problems",
)
PROBLEM_KEYS = (
    "slug",
    "title",
    "summary",
    "statement",
    "givens",
    "expectations",
    "reference_solution",
    "is_published",
    "samples",
)
SAMPLE_KEYS = ("name", "reference", "seed", "must", "must_not", "answers")
GIVEN_KEYS = ("label", "value", "min", "max")
EXPECTATION_KEYS = (*(f"phase{phase.number}" for phase in PHASES), "rules")
# Phases whose expectations the rules read, each with the keys, and the checks, its unit
# declares (``UNIT.expectations`` in its module in phases/).
EXPECTING = {f"phase{phase.number}": phase for phase in PHASES if phase.expectations}
OVERRIDES = ("off", "error", "warning", "info")
SET_BOOLEANS = ("is_open", "is_published", "release_scores", "release_reference")
# Field lengths of the models, so a long value is an error here, not in the database.
MAX_LENGTHS = {"slug": 80, "title": 200, "summary": 300}


class ProblemSetFileError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def read_file(path: str | Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemSetFileError([f"{path}: cannot read the file ({exc.strerror})."]) from None
    return load_text(text, str(path))


class AliasNotAllowed(yaml.composer.ComposerError):
    """A YAML alias (``*name``) in a problem-set text."""


class _NoAliases(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases: an anchor used ten times at each of nine
    levels fits in a few hundred bytes and stands for a billion values once anything
    walks the result (validation, storage, export)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise AliasNotAllowed(None, None, "aliases are not allowed", mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str):
    """Problem-set YAML (or JSON) text as Python values, without aliases. Raises
    ``yaml.YAMLError`` (``AliasNotAllowed`` for an alias), and ``ValueError`` or
    ``RecursionError`` for numbers thousands of digits long or nesting thousands deep."""
    return yaml.load(text, Loader=_NoAliases)  # noqa: S506 - a SafeLoader subclass


def yaml_error_text(exc: yaml.YAMLError) -> str:
    """Why a text is not acceptable YAML, and where, for people."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    if isinstance(exc, AliasNotAllowed):
        return f"uses an alias (*name){where}; write the value out in full instead."
    return f"is not valid YAML{where}."


def load_text(text: str, name: str = "(text)"):
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ProblemSetFileError([f"{name}: {yaml_error_text(exc)}"]) from None
    except (ValueError, RecursionError):
        raise ProblemSetFileError([f"{name}: a number too long or nesting too deep."]) from None


# -- Validation ---------------------------------------------------------------------------


class _Errors(list):
    def add(self, where: str, message: str) -> None:
        self.append(f"{where}: {message}" if where else message)

    def unknown_keys(self, where: str, mapping: dict, known) -> None:
        for key in mapping:
            if key not in known:
                self.add(
                    _join(where, str(key)),
                    f"unknown key (expected one of {', '.join(known)}).",
                )

    def text(self, where: str, mapping: dict, key: str, *, required=False, slug=False) -> None:
        value = mapping.get(key)
        path = _join(where, key)
        if value is None and not required:
            if key in mapping:
                self.add(path, "expected text (leave the key out instead of writing null).")
            return
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(path, "required text." if required else "expected text.")
            return
        if key in MAX_LENGTHS and len(value) > MAX_LENGTHS[key]:
            self.add(path, f"at most {MAX_LENGTHS[key]} characters (got {len(value)}).")
        if slug and slugify(value) != value:
            self.add(path, "use lowercase letters, digits and hyphens only.")

    def boolean(self, where: str, mapping: dict, key: str) -> None:
        if key in mapping and not isinstance(mapping[key], bool):
            self.add(_join(where, key), f"expected true or false (got {mapping[key]!r}).")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def validate(data) -> list[str]:
    """Every problem in the document, each as 'location: what is wrong'."""
    if not isinstance(data, dict):
        return ["(top): expected a mapping with format, slug, title and problems."]
    errors = _Errors()
    errors.unknown_keys("", data, SET_KEYS)
    if data.get("format") != FORMAT_VERSION:
        errors.add("format", f"expected {FORMAT_VERSION} (got {data.get('format')!r}).")
    errors.text("", data, "slug", required=True, slug=True)
    errors.text("", data, "title", required=True)
    errors.text("", data, "description")
    for key in SET_BOOLEANS:
        errors.boolean("", data, key)
    problems = data.get("problems")
    if not isinstance(problems, list) or not problems:
        errors.add("problems", "expected a non-empty list.")
        return list(errors)
    seen: set[str] = set()
    for index, problem in enumerate(problems):
        _validate_problem(errors, f"problems[{index}]", problem, seen)
    return list(errors)


def _validate_problem(errors: _Errors, where: str, problem, seen: set[str]) -> None:
    if not isinstance(problem, dict):
        errors.add(where, "expected a mapping.")
        return
    errors.unknown_keys(where, problem, PROBLEM_KEYS)
    errors.text(where, problem, "slug", required=True, slug=True)
    errors.text(where, problem, "title", required=True)
    errors.text(where, problem, "statement", required=True)
    for key in ("summary", "reference_solution"):
        errors.text(where, problem, key)
    errors.boolean(where, problem, "is_published")
    slug = problem.get("slug")
    if isinstance(slug, str):
        if slug in seen:
            errors.add(f"{where}.slug", f"{slug!r} appears twice in this set.")
        seen.add(slug)
    _validate_givens(errors, f"{where}.givens", problem.get("givens", {}))
    expectations = problem.get("expectations", {})
    _validate_expectations(errors, f"{where}.expectations", expectations)
    overrides = expectations.get("rules") if isinstance(expectations, dict) else None
    _validate_samples(
        errors,
        f"{where}.samples",
        problem.get("samples", []),
        overrides if isinstance(overrides, dict) else {},
    )


def _validate_givens(errors: _Errors, where: str, givens) -> None:
    if not isinstance(givens, dict):
        errors.add(where, "expected a mapping of givens ({name: {label, value}}).")
        return
    for key, given in givens.items():
        path = f"{where}.{key}"
        if not isinstance(key, str):
            errors.add(path, "name a given with text.")
            continue
        if not isinstance(given, dict):
            errors.add(path, "expected {label, value} or {label, min, max}.")
            continue
        errors.unknown_keys(path, given, GIVEN_KEYS)
        errors.text(path, given, "label", required=True)
        ranged = "min" in given or "max" in given
        if ranged and "value" in given:
            errors.add(path, "give either value (fixed) or min and max (drawn), not both.")
            continue
        ends = ("min", "max") if ranged else ("value",)
        bad = False
        for end in ends:
            value = given.get(end)
            if value is None:
                errors.add(f"{path}.{end}", "required.")
                bad = True
            elif not isinstance(value, str) and not is_number(value):
                errors.add(f"{path}.{end}", "expected text such as 100M/day.")
                bad = True
            elif (message := _given_value_error(key, str(value))) is not None:
                errors.add(f"{path}.{end}", message)
                bad = True
        if ranged and not bad and (message := range_error(given)):
            errors.add(f"{path}.max", message)


def _given_value_error(key: str, text: str) -> str | None:
    """Why a given the rules read cannot be read, or None."""
    field = estimation.ASSUMPTIONS_BY_KEY.get(key)
    try:
        if field is not None:
            estimation._parse_value(field, text)
        elif key == "max_followers":
            parse_quantity(text, expect="count")
    except units.UnitError as exc:
        return str(exc)
    return None


def _validate_expectations(errors: _Errors, where: str, expectations) -> None:
    if not isinstance(expectations, dict):
        errors.add(where, "expected a mapping.")
        return
    errors.unknown_keys(where, expectations, EXPECTATION_KEYS)
    for key, value in expectations.items():
        if key not in EXPECTATION_KEYS:
            continue
        path = f"{where}.{key}"
        if not isinstance(value, dict):
            errors.add(path, "expected a mapping.")
            continue
        if key in EXPECTING:
            errors.unknown_keys(path, value, EXPECTING[key].expectation_keys)
    # Each phase checks its own keys, in phase order (phase 3 and 4 rows name phase 1 ids).
    for key, phase in EXPECTING.items():
        mapping = expectations.get(key)
        if not isinstance(mapping, dict):
            continue
        for expectation in phase.expectations:
            if expectation.key in mapping:
                expectation.check(
                    errors,
                    f"{where}.{key}.{expectation.key}",
                    mapping[expectation.key],
                    expectations,
                )
    rules = expectations.get("rules")
    if isinstance(rules, dict):
        for code, severity in rules.items():
            if code not in RULES_BY_CODE:
                errors.add(f"{where}.rules.{code}", "no rule has this code.")
            elif severity not in OVERRIDES:
                errors.add(
                    f"{where}.rules.{code}",
                    f"expected one of {', '.join(OVERRIDES)} (got {severity!r}).",
                )
            elif severity == "error" and not RULES_BY_CODE[code].evidence.may_be_error:
                errors.add(
                    f"{where}.rules.{code}",
                    f"{code} reads the learner's words, which can be read wrongly, so it can "
                    "be at most a warning (see the rules page); use warning or info.",
                )


def _validate_samples(errors: _Errors, where: str, sample_list, overrides: dict) -> None:
    if not isinstance(sample_list, list):
        errors.add(where, "expected a list of sample answers.")
        return
    names: set[str] = set()
    reference: str | None = None  # where the reference design is, once one is named
    for index, sample in enumerate(sample_list):
        path = f"{where}[{index}]"
        if not isinstance(sample, dict):
            errors.add(path, "expected a mapping with name, answers, must and must_not.")
            continue
        errors.unknown_keys(path, sample, SAMPLE_KEYS)
        errors.text(path, sample, "name", required=True)
        errors.boolean(path, sample, "reference")
        if sample.get("reference") is True:
            if reference is not None:
                errors.add(
                    f"{path}.reference",
                    f"{reference} is already this problem's reference design; "
                    "name at most one sample as the reference.",
                )
            else:
                reference = path
        name = sample.get("name")
        if isinstance(name, str):
            if name in names:
                errors.add(f"{path}.name", f"{name!r} appears twice in this problem.")
            names.add(name)
        seed = sample.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
            errors.add(f"{path}.seed", f"expected a whole number from 0 (got {seed!r}).")
        answers = sample.get("answers")
        if not isinstance(answers, dict) or not answers:
            errors.add(f"{path}.answers", 'expected a mapping of phases ("1".."9") to answers.')
        else:
            _, invalid = samples.parse_answers(answers)
            for error in invalid:
                if error["phase"] is None:
                    errors.add(f"{path}.answers.{error['field']}", error["message"])
                else:
                    field = f".{error['field']}" if error["field"] else ""
                    errors.add(f"{path}.answers.{error['phase']}{field}", error["message"])
        lists = {}
        for key in ("must", "must_not"):
            codes = sample.get(key, [])
            if not is_text_list(codes):
                errors.add(f"{path}.{key}", "expected a list of rule codes such as REQ-001.")
                continue
            lists[key] = codes
            for code in codes:
                if code not in RULES_BY_CODE:
                    errors.add(f"{path}.{key}", f"no rule has the code {code!r}.")
                elif key == "must" and overrides.get(code) == "off":
                    errors.add(f"{path}.{key}", f"{code} is off for this problem; it cannot fire.")
        if len(lists) == 2:
            for code in sorted(set(lists["must"]) & set(lists["must_not"])):
                errors.add(f"{path}.must_not", f"{code} is also in must.")
        if not sample.get("must") and not sample.get("must_not") and len(lists) == 2:
            errors.add(path, "give must or must_not codes; a sample without them tests nothing.")


# -- The canonical form, import and export -----------------------------------------------


def _ordered(mapping: dict, keys) -> dict:
    """Known keys first in the documented order, then any others as they come."""
    result = {key: mapping[key] for key in keys if key in mapping}
    result.update((key, value) for key, value in mapping.items() if key not in result)
    return result


def _canonical_givens(givens: dict) -> dict:
    return {key: _ordered(given, GIVEN_KEYS) for key, given in givens.items()}


def _canonical_expectations(expectations: dict) -> dict:
    result = {key: expectations[key] for key in EXPECTATION_KEYS if key in expectations}
    for key, phase in EXPECTING.items():
        value = result.get(key)
        if not isinstance(value, dict):
            continue
        value = dict(value)
        for expectation in phase.expectations:
            rows = value.get(expectation.key)
            if expectation.row_keys and isinstance(rows, list):
                value[expectation.key] = [
                    _ordered(row, expectation.row_keys) if isinstance(row, dict) else row
                    for row in rows
                ]
        result[key] = _ordered(value, phase.expectation_keys)
    return result


def _canonical_sample(sample: dict) -> dict:
    answers = sample.get("answers") or {}
    # ``reference`` is written only when true, so files that name no reference design
    # export exactly as they did before the key existed.
    reference = {"reference": True} if sample.get("reference") else {}
    return {
        "name": sample["name"],
        **reference,
        "seed": sample.get("seed", 0),
        "must": list(sample.get("must", [])),
        "must_not": list(sample.get("must_not", [])),
        "answers": {str(k): answers[k] for k in sorted(answers, key=lambda k: int(str(k)))},
    }


def normalise(data: dict) -> dict:
    """A valid file's contents in canonical form: every key, defaults filled in.

    This is exactly what import stores and what export gives back.
    """
    return {
        "format": FORMAT_VERSION,
        "slug": data["slug"],
        "title": data["title"],
        "description": data.get("description", ""),
        "is_open": data.get("is_open", True),
        "is_published": data.get("is_published", True),
        "release_scores": data.get("release_scores", True),
        "release_reference": data.get("release_reference", True),
        "problems": [
            {
                "slug": item["slug"],
                "title": item["title"],
                "summary": item.get("summary", ""),
                "statement": item["statement"],
                "givens": _canonical_givens(item.get("givens", {})),
                "expectations": _canonical_expectations(item.get("expectations", {})),
                "reference_solution": item.get("reference_solution", ""),
                "is_published": item.get("is_published", True),
                "samples": [_canonical_sample(s) for s in item.get("samples", [])],
            }
            for item in data["problems"]
        ],
    }


@transaction.atomic
def import_problem_set(data: dict) -> ProblemSet:
    """Create or update a problem set (matched by slug) so that it matches the file.

    Problems are matched by slug within the set. A problem the file no longer lists is
    deleted when no attempt uses it, else kept unpublished after the file's problems.
    A problem whose statement, givens or expectations change gets its version raised.
    """
    errors = validate(data)
    if errors:
        raise ProblemSetFileError(errors)
    data = normalise(data)
    problem_set, _ = ProblemSet.objects.update_or_create(
        slug=data["slug"],
        defaults={key: data[key] for key in ("title", "description", *SET_BOOLEANS)},
    )
    slugs = []
    for position, item in enumerate(data["problems"]):
        slugs.append(item["slug"])
        existing = problem_set.problems.filter(slug=item["slug"]).first()
        save_problem(problem_set, item, existing, position=position)
    leftovers = problem_set.problems.exclude(slug__in=slugs).order_by("position", "slug")
    position = len(slugs)
    for problem in leftovers:
        if problem.attempts.exists():
            problem.is_published = False
            problem.position = position
            problem.save(update_fields=["is_published", "position", "updated_at"])
            position += 1
        else:
            problem.delete()
    return problem_set


PROBLEM_FIELDS = (
    "slug",
    "title",
    "summary",
    "statement",
    "givens",
    "expectations",
    "reference_solution",
    "is_published",
    "samples",
)


def save_problem(
    problem_set: ProblemSet, item: dict, problem: Problem | None = None, *, position=None
) -> Problem:
    """Store one problem from its file form (already validated): update ``problem``, or
    create one (last in the set unless ``position`` is given). The version goes up when
    the statement, givens or expectations change."""
    item = normalise({"slug": problem_set.slug, "title": problem_set.title, "problems": [item]})
    item = item["problems"][0]
    if problem is None:
        problem = Problem(problem_set=problem_set)
        if position is None:
            last = problem_set.problems.order_by("-position").first()
            position = last.position + 1 if last else 0
    elif (
        problem.givens != item["givens"]
        or problem.expectations != item["expectations"]
        or problem.statement != item["statement"]
    ):
        problem.version += 1
    for key in PROBLEM_FIELDS:
        setattr(problem, key, item[key])
    if position is not None:
        problem.position = position
    problem.save()
    return problem


def export_problem_set(problem_set: ProblemSet) -> dict:
    """The set in the file format, canonical form (see :func:`normalise`)."""
    return {
        "format": FORMAT_VERSION,
        "slug": problem_set.slug,
        "title": problem_set.title,
        "description": problem_set.description,
        **{key: getattr(problem_set, key) for key in SET_BOOLEANS},
        "problems": [
            {
                "slug": problem.slug,
                "title": problem.title,
                "summary": problem.summary,
                "statement": problem.statement,
                "givens": _canonical_givens(problem.givens or {}),
                "expectations": _canonical_expectations(problem.expectations or {}),
                "reference_solution": problem.reference_solution,
                "is_published": problem.is_published,
                "samples": [_canonical_sample(s) for s in problem.samples or []],
            }
            for problem in problem_set.problems.order_by("position", "slug")
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line text; short collections of plain values on one line;
    lists indented under their key."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _inline(values, limit: int = 72) -> bool:
    values = list(values)
    if not values:
        return True
    if not all(isinstance(v, str | int | float | bool) or v is None for v in values):
        return False
    return not any(isinstance(v, str) and "\n" in v for v in values) and (
        sum(len(str(v)) + 4 for v in values) <= limit
    )


def _represent_dict(dumper, value: dict):
    flow = _inline(value.values()) and sum(len(str(k)) for k in value) <= 30
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=flow)


def _represent_list(dumper, value: list):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_inline(value, 240))


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def dump_yaml(data: dict) -> str:
    """YAML text for a problem set; loading it gives back ``data`` exactly."""
    body = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER + body
