"""Problem set files: validation with located errors, exact round trips, the commands."""

import copy
import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from tests.factories import FIXTURES
from tutor.models import Problem, ProblemSet
from tutor.problemsets import (
    ProblemSetFileError,
    dump_yaml,
    export_problem_set,
    import_problem_set,
    load_text,
    normalise,
    read_file,
    validate,
)
from tutor.services import start_attempt

SHIPPED = sorted(
    path
    for pattern in ("*.yaml", "*.yml", "*.json")
    for path in (FIXTURES / "problemsets").glob(pattern)
)
EXAMPLE = json.loads((FIXTURES / "answers" / "url-shortener.json").read_text())["phases"]


def foundations_data() -> dict:
    return read_file(FIXTURES / "problemsets" / "foundations.yaml")


def without_redirect() -> dict:
    phase1 = copy.deepcopy(EXAMPLE["1"])
    phase1["functional"] = [fr for fr in phase1["functional"] if "redirect" not in fr["text"]]
    return phase1


def with_samples(samples: list[dict]) -> dict:
    """foundations.yaml with ``samples`` as the URL shortener's and no others."""
    data = foundations_data()
    for problem in data["problems"]:
        problem["samples"] = []
    data["problems"][0]["samples"] = samples
    return data


def export_text(slug: str) -> str:
    return dump_yaml(export_problem_set(ProblemSet.objects.get(slug=slug)))


# -- Round trips --------------------------------------------------------------------------


def test_the_shipped_folder_has_problem_sets():
    assert any(path.name == "foundations.yaml" for path in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_export_then_import_of_every_shipped_set_is_exact(db, path):
    data = read_file(path)
    assert validate(data) == []
    problem_set = import_problem_set(data)
    exported = export_problem_set(problem_set)
    assert exported == normalise(data)
    text = dump_yaml(exported)
    assert load_text(text) == exported

    import_problem_set(load_text(text))
    assert export_text(problem_set.slug) == text
    versions = set(
        Problem.objects.filter(problem_set=problem_set).values_list("version", flat=True)
    )
    assert versions == {1}


def test_exported_text_is_readable_yaml_with_block_statements(db):
    import_problem_set(foundations_data())
    text = export_text("foundations")
    assert text.startswith("# A problem set file: see docs/problemsets.md")
    assert "\n    statement: |\n      Design a service that turns a long URL" in text
    assert "writes: {label: New short links a day, value: 100M/day}" in text


def test_round_trip_keeps_samples_ranges_flags_and_awkward_text(db):
    data = with_samples(
        [
            {
                "name": "forgets the redirect",
                "seed": 3,
                "answers": {1: without_redirect(), "2": EXAMPLE["2"]},
                "must": ["REQ-001"],
                "must_not": ["REQ-006"],
            }
        ]
    )
    data.update(is_open=False, release_scores=False, release_reference=False)
    problem = data["problems"][1]
    problem["givens"]["writes"] = {"label": "New pastes a day", "min": "5M/day", "max": "20M/day"}
    problem["statement"] = "Trailing spaces   \n\tand a tab, a colon: here, 'quotes' and ünïcode\n"
    problem["summary"] = "yes"
    problem["is_published"] = False
    problem["expectations"]["rules"] = {"REQ-003": "off", "REQ-011": "error"}
    problem["expectations"]["phase7"] = {"capacities": {"db_primary": {"reads_per_s": 30000}}}
    assert validate(data) == []

    problem_set = import_problem_set(data)
    assert (problem_set.is_open, problem_set.release_scores, problem_set.release_reference) == (
        False,
        False,
        False,
    )
    stored = problem_set.problems.get(slug="url-shortener").samples
    assert list(stored[0]["answers"]) == ["1", "2"]
    text = export_text("foundations")
    assert load_text(text) == normalise(data)
    import_problem_set(load_text(text))
    assert export_text("foundations") == text


# -- Rejection ----------------------------------------------------------------------------

BROKEN = """\
format: 1
slug: foundations
title: Foundations, broken
is_open: "yes"
colour: blue
problems:
  - slug: url-shortener
    title: URL shortener
    statment: typo
    givens:
      writes: {label: Links a day, min: 150M/day, max: 50M/day}
      object_size: {label: Size, min: 100 B, max: 4 KB}
      retention: {label: Kept for, value: 5 years, max: 10 years}
      read_write_ratio: {label: Reads per write, value: lots}
    expectations:
      phase1:
        capabilities:
          - {label: redirecting, synonym: [redirect]}
          - {id: x, label: counting, feature: statistics}
      phase10: {}
      rules: {REQ-999: off, REQ-003: sometimes, TEC-007: error}
    samples:
      - name: one
        answers: {"1": {latency: [{target: 2OO}]}, "12": {}}
        must: [REQ-001, NOPE-1]
        must_not: [REQ-001]
      - name: one
        seed: -1
        answers: {}
        must: REQ-001
  - slug: url-shortener
    title: Again
    statement: twice
    is_published: 1
"""

EXPECTED_LOCATIONS = [
    "colour: unknown key",
    "is_open: expected true or false",
    "problems[0].statment: unknown key",
    "problems[0].statement: required text",
    "problems[0].givens.writes.max: The minimum must be positive and below the maximum",
    "problems[0].givens.object_size.max: Write both ends with the same unit",
    "problems[0].givens.retention: give either value (fixed) or min and max",
    "problems[0].givens.read_write_ratio.value:",
    "problems[0].expectations.phase1.capabilities[0].synonym: unknown key",
    "problems[0].expectations.phase1.capabilities[1].feature: expected one of analytics",
    "problems[0].expectations.phase10: unknown key",
    "problems[0].expectations.rules.REQ-999: no rule has this code",
    "problems[0].expectations.rules.REQ-003: expected one of off, error, warning, info",
    "problems[0].expectations.rules.TEC-007: TEC-007 reads the learner's words",
    "problems[0].samples[0].answers.1.latency[0].target:",
    "problems[0].samples[0].answers.12: Expected a phase number 1 to 9",
    "problems[0].samples[0].must: no rule has the code 'NOPE-1'",
    "problems[0].samples[0].must_not: REQ-001 is also in must",
    "problems[0].samples[1].name: 'one' appears twice in this problem",
    "problems[0].samples[1].seed: expected a whole number",
    "problems[0].samples[1].answers: expected a mapping of phases",
    "problems[0].samples[1].must: expected a list of rule codes",
    "problems[1].slug: 'url-shortener' appears twice in this set",
    "problems[1].is_published: expected true or false",
]


def test_a_broken_file_is_rejected_whole_with_every_error_located(db, tmp_path):
    import_problem_set(foundations_data())
    before = export_text("foundations")
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_problemset", str(path))
    text = str(excinfo.value)
    for location in EXPECTED_LOCATIONS:
        assert location in text, location
    assert export_text("foundations") == before
    assert ProblemSet.objects.count() == 1
    assert Problem.objects.count() == 2


def test_import_raises_with_the_errors_listed(db):
    with pytest.raises(ProblemSetFileError) as excinfo:
        import_problem_set(load_text(BROKEN))
    assert len(excinfo.value.errors) >= len(EXPECTED_LOCATIONS)
    assert not ProblemSet.objects.exists()


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda d: d.update(descripton="x"), "descripton: unknown key"),
        (lambda d: d["problems"][0].update(sumary="x"), "problems[0].sumary: unknown key"),
        (lambda d: d["problems"][1]["givens"]["writes"].update(vale="1"), ".writes.vale:"),
        (lambda d: d["problems"][0].update(is_published="no"), "problems[0].is_published:"),
        (lambda d: d.update(release_scores=None), "release_scores: expected true or false"),
        (lambda d: d["problems"][0].update(title="x" * 201), "problems[0].title: at most 200"),
    ],
)
def test_typos_and_wrong_types_surface_with_their_location(change, location):
    data = foundations_data()
    change(data)
    assert any(error.startswith(location) or location in error for error in validate(data))


def test_ranged_givens_are_validated_and_accepted():
    data = foundations_data()
    givens = data["problems"][0]["givens"]
    givens["writes"] = {"label": "Links a day", "min": "50M/day", "max": "150M/day"}
    assert validate(data) == []
    givens["writes"] = {"label": "Links a day", "min": "50M/day"}
    assert "problems[0].givens.writes.max: required." in validate(data)
    givens["writes"] = {"label": "Links a day", "min": "50 GB", "max": "150 GB"}
    assert any(e.startswith("problems[0].givens.writes.min:") for e in validate(data))


def test_sample_codes_are_validated():
    data = with_samples(
        [
            {"name": "a", "answers": {"1": EXAMPLE["1"]}, "must": ["REQ-1"]},
            {"name": "b", "answers": {"1": EXAMPLE["1"]}, "must_not": [7]},
            {"name": "c", "answers": {"1": EXAMPLE["1"]}},
        ]
    )
    data["problems"][0]["expectations"]["rules"] = {"REQ-003": "off"}
    data["problems"][0]["samples"].append(
        {"name": "d", "answers": {"1": EXAMPLE["1"]}, "must": ["REQ-003"]}
    )
    errors = validate(data)
    assert "problems[0].samples[0].must: no rule has the code 'REQ-1'." in errors
    assert any(e.startswith("problems[0].samples[1].must_not: expected a list") for e in errors)
    assert any(e.startswith("problems[0].samples[2]: give must or must_not") for e in errors)
    assert "problems[0].samples[3].must: REQ-003 is off for this problem; it cannot fire." in errors


def test_phase_expectations_are_validated_with_their_location():
    data = foundations_data()
    expectations = data["problems"][0]["expectations"]
    assert validate(data) == []
    expectations["phase3"]["patterns"] = [
        {"capability": "redirect", "storage": ["key_value", "flatfile"]},
        {"capability": "teleport", "storage": ["relational"]},
        {"capability": "shorten", "storage": []},
        {"capability": "delete", "storage": ["relational"], "stores": ["x"]},
    ]
    expectations["phase4"] = {
        "endpoints": [{"capability": "redirect", "method": "FETCH"}, {"method": "GET"}]
    }
    expectations["phase5"] = {"components": ["cache", "mainframe"], "servers": 3}
    expectations["phase7"]["bottleneck"] = "disk"
    errors = validate(data)
    where = "problems[0].expectations"
    assert f"{where}.phase3.patterns[0].storage: unknown storage type 'flatfile'" in " ".join(
        errors
    )
    assert any(e.startswith(f"{where}.phase3.patterns[1].capability: no phase1") for e in errors)
    assert any(
        e.startswith(f"{where}.phase3.patterns[2].storage: expected a non-empty") for e in errors
    )
    assert any(e.startswith(f"{where}.phase3.patterns[3].stores: unknown key") for e in errors)
    assert any(
        e.startswith(f"{where}.phase4.endpoints[0].method: expected one of GET") for e in errors
    )
    assert any(e.startswith(f"{where}.phase4.endpoints[1].capability: required") for e in errors)
    assert any(e.startswith(f"{where}.phase5.servers: unknown key") for e in errors)
    assert any(
        e.startswith(f"{where}.phase5.components[1]: unknown component type") for e in errors
    )
    assert any(
        e.startswith(f"{where}.phase7.bottleneck: expected a component type") for e in errors
    )
    assert len(errors) == 9, errors


def test_the_shipped_samples_pass(db):
    import_problem_set(foundations_data())
    status, out, _ = run_test_command("foundations")
    assert status == 0, out
    assert out.splitlines()[-1] == "4 of 4 samples passed."


# -- Import makes the set match the file ---------------------------------------------------


def test_problems_missing_from_the_file_are_deleted_or_unpublished(db, alice):
    problem_set = import_problem_set(foundations_data())
    start_attempt(alice, problem_set.problems.get(slug="url-shortener"))
    data = foundations_data()
    data["problems"] = [data["problems"][1]]
    import_problem_set(data)
    remaining = {p.slug: (p.is_published, p.position) for p in problem_set.problems.all()}
    assert remaining == {"pastebin": (True, 0), "url-shortener": (False, 1)}

    data = foundations_data()
    data["problems"] = [data["problems"][0]]
    import_problem_set(data)
    assert list(problem_set.problems.values_list("slug", flat=True)) == ["url-shortener"]


def test_a_changed_statement_raises_the_version(db):
    import_problem_set(foundations_data())
    data = foundations_data()
    data["problems"][0]["statement"] += "\nOne more line.\n"
    import_problem_set(data)
    versions = dict(Problem.objects.values_list("slug", "version"))
    assert versions == {"url-shortener": 2, "pastebin": 1}


# -- The commands -------------------------------------------------------------------------


def test_export_command_prints_the_set_and_writes_a_file(db, tmp_path):
    call_command("import_problemset", str(FIXTURES / "problemsets" / "foundations.yaml"))
    out = io.StringIO()
    call_command("export_problemset", "foundations", stdout=out)
    assert out.getvalue() == export_text("foundations")
    target = tmp_path / "out.yaml"
    call_command("export_problemset", "foundations", "--output", str(target), stderr=io.StringIO())
    assert target.read_text() == out.getvalue()
    call_command("import_problemset", str(target), stdout=io.StringIO())
    assert export_text("foundations") == out.getvalue()


def test_export_command_unknown_slug_exits_2(db):
    err = io.StringIO()
    with pytest.raises(SystemExit) as excinfo:
        call_command("export_problemset", "nope", stderr=err)
    assert excinfo.value.code == 2
    assert "no problem set with slug 'nope'" in err.getvalue()


def write_set(tmp_path, samples) -> str:
    path = tmp_path / "set.yaml"
    path.write_text(yaml.safe_dump(with_samples(samples), allow_unicode=True))
    return str(path)


PASSING = [
    {"name": "forgets the redirect", "answers": {"1": without_redirect()}, "must": ["REQ-001"]},
    {"name": "clean", "answers": {"1": EXAMPLE["1"]}, "must_not": ["REQ-001", "REQ-006"]},
]


def run_test_command(target: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("test_problemset", target, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_test_command_passes_a_passing_file(db, tmp_path):
    status, out, _ = run_test_command(write_set(tmp_path, PASSING))
    assert status == 0
    assert out.splitlines() == [
        "PASS url-shortener: forgets the redirect",
        "PASS url-shortener: clean",
        "2 of 2 samples passed.",
    ]


def test_test_command_fails_with_missing_and_unexpected_codes(db, tmp_path):
    failing = [
        *PASSING,
        {
            "name": "wrong",
            "answers": {"1": without_redirect()},
            "must": ["REQ-006"],
            "must_not": ["REQ-001"],
        },
    ]
    status, out, _ = run_test_command(write_set(tmp_path, failing))
    assert status == 1
    assert "FAIL url-shortener: wrong — missing REQ-006 — unexpected REQ-001" in out
    assert out.splitlines()[-1] == "2 of 3 samples passed."


def test_test_command_runs_an_imported_set_by_slug(db, tmp_path):
    import_problem_set(with_samples(PASSING))
    status, out, _ = run_test_command("foundations")
    assert status == 0
    assert "2 of 2 samples passed." in out


def test_test_command_bad_argument_or_file_exits_2(db, tmp_path):
    status, _, err = run_test_command("no-such-set")
    assert status == 2
    assert "neither a problem set slug nor a file" in err
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN)
    status, _, err = run_test_command(str(path))
    assert status == 2
    assert "problems[0].statment: unknown key" in err


def test_save_problem_creates_last_and_updates_with_a_version(db):
    from tutor.problemsets import save_problem

    problem_set = import_problem_set(foundations_data())
    item = {"slug": "chat", "title": "Chat", "statement": "Design a chat."}
    problem = save_problem(problem_set, item)
    assert (problem.position, problem.version, problem.is_published) == (2, 1, True)
    problem = save_problem(problem_set, {**item, "statement": "Design a group chat."}, problem)
    assert problem.version == 2


def test_a_read_rate_and_the_objects_kept_are_givens_the_import_checks():
    data = foundations_data()
    givens = data["problems"][0]["givens"]
    givens["reads"] = {"label": "Link opens a day", "value": "1B/day"}
    givens["objects_kept"] = {"label": "Links kept", "min": "1B", "max": "3B"}
    assert validate(data) == []
    givens["reads"] = {"label": "Link opens a day", "value": "200 B"}
    givens["objects_kept"] = {"label": "Links kept", "value": "5 years"}
    errors = validate(data)
    assert any(e.startswith("problems[0].givens.reads.value:") for e in errors), errors
    assert any(e.startswith("problems[0].givens.objects_kept.value:") for e in errors), errors
