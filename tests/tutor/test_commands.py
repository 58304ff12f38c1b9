import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.factories import FIXTURES, subprocess_env
from tutor.management.commands.grade import MAX_FILE_BYTES
from tutor.models import Problem, ProblemSet

EXAMPLE = FIXTURES / "answers" / "url-shortener.json"


def run_grade(*args):
    """The grader as a user runs it: a separate process, its exit status and output."""
    return subprocess.run(
        [sys.executable, "manage.py", "grade", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
    )


@pytest.fixture
def imported(transactional_db):
    call_command("import_problemset", str(FIXTURES / "problemsets" / "foundations.yaml"))


def test_grade_prints_findings_as_json_for_the_example_file(imported):
    result = run_grade("--problem", "url-shortener", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    phase = report["phases"]["1"]
    assert phase["status"] in {"passed", "warnings"}
    assert all(f["severity"] != "error" for f in phase["findings"])
    assert {"code", "severity", "field", "message"} <= set(phase["findings"][0])


def test_grade_reports_a_mistake(imported, tmp_path):
    answers = json.loads(EXAMPLE.read_text())
    answers["phases"]["1"]["availability"] = "highly available"
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    report = json.loads(run_grade("--problem", "foundations/url-shortener", str(path)).stdout)
    codes = [(f["code"], f["field"]) for f in report["phases"]["1"]["findings"]]
    assert ("REQ-006", "availability") in codes
    assert report["phases"]["1"]["status"] == "errors"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON at line 1"),
        ("[]", 'must be a JSON object with a "phases" object'),
        ('{"phases": {"ten": {}}}', "keys are phase numbers 1 to 9"),
        ('{"phases": {"1": []}}', "phase 1 must be a JSON object"),
    ],
)
def test_grade_rejects_a_malformed_file_with_one_line_and_status_2(
    imported, tmp_path, content, message
):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run_grade("--problem", "url-shortener", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_grade_reports_shape_errors_inside_a_phase(imported, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"phases": {"1": {"latency": [{"target": "2OO"}]}}}))
    result = run_grade("--problem", "url-shortener", str(path))
    phase = json.loads(result.stdout)["phases"]["1"]
    assert phase["status"] == "invalid"
    assert phase["errors"][0]["field"] == "latency[0].target"


def _reject_constant(name):
    raise AssertionError(f"{name} is not JSON")


def strict_loads(text: str) -> dict:
    """Parse as any strict JSON parser (and PostgreSQL) would: no Infinity, no NaN."""
    return json.loads(text, parse_constant=_reject_constant)


def test_grade_refuses_a_size_no_system_has_as_a_field_error(imported, tmp_path):
    answers = json.loads(EXAMPLE.read_text())
    answers["phases"]["2"]["assumptions"]["object_size"] = "1e308 B"
    answers["phases"]["2"]["assumptions"]["writes"] = "1e308/day"
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    result = run_grade("--problem", "url-shortener", str(path))
    assert result.returncode == 0, result.stderr
    phase = strict_loads(result.stdout)["phases"]["2"]
    assert phase["status"] == "invalid"
    fields = {e["field"]: e["message"] for e in phase["errors"]}
    assert set(fields) == {"assumptions.object_size", "assumptions.writes"}
    assert "larger than any system this tutor can reason about" in fields["assumptions.writes"]


def test_grade_prints_valid_json_when_a_division_would_overflow(imported, tmp_path):
    answers = json.loads(EXAMPLE.read_text())
    answers["phases"]["2"]["assumptions"]["writes"] = "1e-320/s"  # headroom: 5,000 ÷ 1e-320
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    result = run_grade("--problem", "url-shortener", str(path))
    assert result.returncode == 0, result.stderr
    assert "Infinity" not in result.stdout
    strict_loads(result.stdout)


def one_line_exit_2(result, message: str) -> None:
    assert result.returncode == 2, result.stderr[-500:]
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_grade_refuses_deeply_nested_json_with_one_line(imported, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"phases": {"1": {"functional": ' + "[" * 100_000 + "]" * 100_000 + "}}}")
    result = run_grade("--problem", "url-shortener", str(path))
    one_line_exit_2(result, "nests lists or objects too deeply")


def test_grade_refuses_nesting_deeper_than_an_answer_needs(imported, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"phases": {"1": {"notes": ' + "[" * 100 + "]" * 100 + "}}}")
    result = run_grade("--problem", "url-shortener", str(path))
    one_line_exit_2(result, f"phase 1, notes{'[0]' * 15}: Nested more than 16 levels deep.")


def test_grade_refuses_a_file_over_the_size_limit(imported, tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"phases": {}, "padding": "x" * MAX_FILE_BYTES}))
    result = run_grade("--problem", "url-shortener", str(path))
    one_line_exit_2(result, "is larger than 4 MB")


def test_grade_refuses_more_rows_than_the_forms_offer(imported, tmp_path):
    answers = json.loads(EXAMPLE.read_text())
    answers["phases"]["3"]["access_patterns"] *= 30
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers))
    result = run_grade("--problem", "url-shortener", str(path))
    count = len(answers["phases"]["3"]["access_patterns"])
    one_line_exit_2(result, f"phase 3, access_patterns: At most 50 rows (got {count:,}).")


def test_grade_unknown_problem_exits_2(imported):
    result = run_grade("--problem", "no-such-problem", str(EXAMPLE))
    assert result.returncode == 2
    assert "no problem with slug" in result.stderr


def test_import_is_idempotent_and_bumps_version_only_on_change(db):
    path = str(FIXTURES / "problemsets" / "foundations.yaml")
    call_command("import_problemset", path)
    call_command("import_problemset", path)
    assert ProblemSet.objects.count() == 1
    problem = Problem.objects.get(slug="url-shortener")
    assert problem.version == 1
    assert problem.expectations["phase1"]["capabilities"][0]["id"] == "shorten"


def test_import_rejects_a_broken_file_whole_with_located_errors(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(
        "format: 1\nslug: Bad Slug\ntitle: ''\nproblems:\n"
        "  - slug: a\n    title: A\n  - slug: a\n    title: B\n    statement: s\n"
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_problemset", str(path))
    text = str(excinfo.value)
    assert "slug: use lowercase" in text
    assert "title: required text" in text
    assert "problems[0].statement: required text" in text
    assert "problems[1].slug: 'a' appears twice" in text
    assert not ProblemSet.objects.exists()


def test_import_reports_yaml_syntax_errors_with_their_line(db, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("format: 1\nslug: [unclosed\n")
    with pytest.raises(CommandError, match="not valid YAML at line"):
        call_command("import_problemset", str(path))


def test_demo_accounts_have_each_role(db):
    from tutor.models import User

    call_command("import_problemset", str(FIXTURES / "problemsets" / "foundations.yaml"))
    call_command("create_demo_accounts")
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {"learner": "learner", "instructor": "instructor", "staff": "staff"}
    assert User.objects.get(username="staff").is_staff
    assert ProblemSet.objects.get().instructors.filter(username="instructor").exists()


def test_no_migration_creates_users(db):
    from tutor.models import User

    assert not User.objects.exists()
