"""The Markdown export of a whole design."""

import json
import re
from pathlib import Path

import markdown as md

from phases.engine.design import Design
from phases.engine.registry import PHASES
from phases.rendering import export
from tests.phases.cases import problem_specs
from tests.phases.test_checklist import answers

HOSTILE = '<script>alert("x")</script> | a | b\n# not a heading\n<img src=x onerror=alert(1)>'


def design(docs=None) -> Design:
    return Design(answers() if docs is None else docs, problem_specs()["url-shortener"])


def render(d: Design, **meta) -> str:
    return export.markdown(d, "URL shortener", meta)


def table_rows(text: str, header: str) -> list[str]:
    """The lines of the table whose header row starts with ``| header |``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def cells(row: str) -> list[str]:
    """A GFM table row split on its unescaped pipes."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_every_phase_heading_present():
    text = render(design())
    for phase in PHASES:
        assert f"\n## Phase {phase.number}: {phase.title}\n" in text
    assert text.startswith("# URL shortener\n")


def test_every_phase_heading_present_with_only_phase1():
    d = design({1: answers()[1]})
    text = render(d)
    for phase in PHASES:
        assert f"## Phase {phase.number}: {phase.title}" in text
    assert text.count("_Not answered._") == 8
    assert "```mermaid" not in text
    assert "| Requirement | Path |" in text


def test_mermaid_blocks_for_both_paths():
    text = render(design())
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    assert all(b.startswith("flowchart LR\n") for b in blocks)
    assert "Client → Load balancer" in text  # the path in words as well


def test_tables_for_lists():
    text = render(design())
    for header in (
        "Requirement",
        "Operation",
        "Assumption",
        "Result",
        "Method",
        "Name",
        "Technology",
        "Component",
        "Wanted",
        "Code",
    ):
        assert table_rows(text, header), header
    assert "1,157/s" in text  # recomputed from the learner's assumptions


def test_findings_and_status_per_phase():
    text = render(design())
    assert text.count("**Status:**") == 8  # phase 7 is not answered
    assert "REV-006" in text
    assert "| REQ-001 | pass |" in text


def test_checklist_in_phase9():
    text = render(design())
    assert "### Checklist" in text
    assert "✅ **Started simple**" in text


def test_hostile_text_is_escaped():
    docs = answers()
    docs[1]["functional"][0]["text"] = HOSTILE
    docs[5]["components"][3]["why"] = HOSTILE
    docs[9]["tradeoffs"][0]["mechanism"] = HOSTILE
    docs[9]["why_simple"] = HOSTILE
    text = export.markdown(design(docs), HOSTILE, {"learner": HOSTILE, "problem": HOSTILE})
    assert "<script" not in text
    assert "<img" not in text
    assert "&lt;script&gt;" in text
    html = md.markdown(text, extensions=["tables", "fenced_code"])
    assert "<script" not in html and "<img" not in html
    assert "<h1>not a heading" not in html


def test_pipes_and_newlines_do_not_break_tables():
    docs = answers()
    docs[1]["functional"][0]["text"] = "one | two\nthree"
    text = render(design(docs))
    rows = table_rows(text, "Requirement")
    assert len(rows) == 2 + len(docs[1]["functional"])
    assert all(len(cells(r)) == 2 for r in rows)
    assert cells(rows[2])[0] == r"one \| two three"
    html = md.markdown(text, extensions=["tables"])
    assert "<td>one | two three</td>" in html


def test_table_cells_have_the_header_width():
    text = render(design())
    for header in ("Operation", "Method", "Name", "Technology", "Wanted", "Component"):
        rows = table_rows(text, header)
        widths = {len(cells(r)) for r in rows if not r.startswith("|---")}
        assert len(widths) == 1, (header, widths)


def test_scores_only_when_finished():
    d = design()
    assert "## Scores" not in render(d)
    text = render(d, finished=True, scores={1: {"score": 8, "max": 10}, "2": 7})
    assert "## Scores" in text
    assert "| 1. Requirements | passed | 8 / 10 |" in text
    assert "| 2. Scale estimation | passed | 7 |" in text
    assert "| 7. Bottlenecks | not answered | — |" in text


def test_deterministic():
    assert render(design()) == render(design())
    assert render(design(), finished=True) == render(design(), finished=True)


def test_malformed_phase_reported_not_raised():
    docs = answers()
    docs[5] = {"version": 1, "components": "nope"}
    text = render(design(docs))
    assert "**Status:** invalid" in text
    assert "## Phase 6: Technology choices" in text


def test_given_findings_are_used():
    d = design({1: answers()[1]})
    text = render(
        d, findings={1: [{"code": "REQ-010", "severity": "warning", "field": "x", "message": "m"}]}
    )
    assert "| REQ-010 | warning | x | m |" in text
    assert "**Status:** warnings" in text


def test_empty_design():
    text = export.markdown(Design({}, problem_specs()["url-shortener"]), "", {})
    assert text.startswith("# System design\n")
    assert text.count("_Not answered._") == 9


def test_phase_2_shows_a_stated_read_rate_and_the_objects_kept():
    docs = answers()
    docs[2] = {
        **docs[2],
        "assumptions": {
            "reads": "50k/s",
            "object_size": "2 KB",
            "objects_kept": "10M",
            "peak_factor": "2x",
        },
        "results": {"reads_per_s": "50,000/s", "storage": "20 GB"},
    }
    text = render(design(docs))
    rows = [cells(row) for row in table_rows(text, "Assumption")]
    assert ["Reads (requests served)", "50k/s"] in rows
    assert ["Objects kept at once (state per key)", "10M"] in rows
    assert ["Writes", "none stated: a read-only load"] in rows
    results = {row[0]: row for row in (cells(r) for r in table_rows(text, "Result"))}
    assert results["Storage over retention (raw)"][2] == "20 GB"
    assert results["Average reads"][4] == "ok"


def test_phase_2_shows_what_two_stated_rates_imply():
    docs = answers()
    docs[2] = {
        **docs[2],
        "assumptions": {**docs[2]["assumptions"], "reads": "1B/day", "read_write_ratio": ""},
    }
    rows = [cells(row) for row in table_rows(render(design(docs)), "Assumption")]
    assert ["Read:write ratio (implied by your two rates)", "10:1"] in rows
    docs[2]["assumptions"].update({"writes": "", "read_write_ratio": "10:1"})
    rows = [cells(row) for row in table_rows(render(design(docs)), "Assumption")]
    assert ["Writes (your reads ÷ ratio)", "1,157/s"] in rows


# -- Labels, not codes: what a choice field holds is written as the form shows it ---------------

LABELLED_PHASES = tuple(range(1, 10))


def _sample_exports() -> list[str]:
    """The export of every sample design of every shipped problem."""
    from pathlib import Path

    import yaml

    from phases.corpus.samples import parse_answers
    from phases.engine import variants
    from phases.engine.design import ProblemSpec

    texts = []
    folder = Path(__file__).resolve().parents[2] / "fixtures" / "problemsets"
    for path in sorted(folder.glob("*.yaml")):
        for problem in yaml.safe_load(path.read_text())["problems"]:
            for sample in problem.get("samples") or []:
                docs, _ = parse_answers(sample["answers"])
                spec = ProblemSpec(
                    slug=problem["slug"],
                    givens=variants.draw(problem.get("givens") or {}, sample.get("seed", 0)),
                    expectations=problem.get("expectations") or {},
                )
                texts.append(export.markdown(Design(docs, spec), problem["title"], {}))
    return texts


def _coded_choices() -> dict[str, str]:
    """Each choice value whose label differs from it (``read_your_writes``), by its
    value as the export escapes it, with its label."""
    coded = {}
    for phase in PHASES:
        if phase.number not in LABELLED_PHASES:
            continue
        fields = [*phase.layout.fields, *(f for rows in phase.layout.lists for f in rows.fields)]
        for field in fields:
            for value, label in field.choices:
                if value != label and "_" in value:
                    coded[value.replace("_", "\\_")] = label
    return coded


def test_the_export_writes_choice_labels_not_their_codes():
    sections = [
        section
        for export_text in _sample_exports()
        for section in re.split(r"^(?=## )", export_text, flags=re.M)
        if re.match(rf"## Phase ({'|'.join(map(str, LABELLED_PHASES))}):", section)
    ]
    text = "\n".join(sections)
    coded = _coded_choices()
    assert "read\\_your\\_writes" in coded and "not\\_applicable" in coded  # the issue's
    leaked = sorted(
        code
        for code in coded
        if re.search(rf"\| {re.escape(code)} \||: {re.escape(code)}$", text, re.M)
    )
    assert leaked == []
    for label in ("read your writes", "by key", "key-value", "not applicable (no lists)"):
        assert label in text, label


def test_no_python_value_reaches_the_export():
    """What the capacity model keeps as a row or a list is written as words: the first
    component to run out by its name, never a dict or list as Python prints it."""
    texts = _sample_exports()
    assert any("**First to run out:**" in text for text in texts)
    for text in texts:
        assert not re.search(r"\{'\w+': |\[\{'", text), re.search(r".{60}\{'\w+': .{60}", text)


def test_a_store_that_runs_out_of_room_first_says_so():
    """The example URL shortener's links database runs out of storage (110 TB on one
    node's 10 TB) before any component runs out of throughput."""
    docs = answers()
    docs[7] = {"version": 1, "bottleneck": "", "hit_rate": "", "mitigations": []}
    assert "**First to run out:** Links DB primary (its storage)" in render(design(docs))


def test_a_choice_label_is_what_the_form_shows_and_an_unknown_value_stays():
    layout = PHASES[0].layout
    assert layout.label("model", "read_your_writes", "consistency") == "read your writes"
    assert layout.label("clarifications.region", "single_region") == "in one region"
    assert layout.label("model", "something else", "consistency") == "something else"
    assert layout.label("no.such.field", "x_y") == "x_y"


def test_findings_name_their_field_by_its_label():
    assert PHASES[2].layout.describe("access_patterns[2].storage") == (
        "Storage (access patterns, row 3)"
    )
    assert PHASES[0].layout.describe("clarifications.region") == "Users are"
    assert PHASES[0].layout.describe("functional") == "functional"
    assert PHASES[0].layout.describe("made.up[0]") == "made.up[0]"
    d = design({1: answers()[1]})
    text = render(
        d,
        findings={
            1: [
                {
                    "code": "REQ-006",
                    "severity": "warning",
                    "phase": 1,
                    "field": "latency[0].target",
                    "message": "m",
                }
            ]
        },
    )
    assert "| REQ-006 | warning | Target (latency, row 1) | m |" in text


def flawed_design() -> Design:
    path = Path(__file__).resolve().parents[2] / "fixtures/accuracy/url-shortener"
    phases = json.loads((path / "flawed-classic-slips.json").read_text())["phases"]
    return design({int(n): doc for n, doc in phases.items()})


def test_each_finding_is_written_once_and_the_checklist_names_it_by_its_code():
    text = render(flawed_design())
    messages = [cells(line)[3] for line in text.splitlines() if re.match(r"^\| [A-Z]{3}-\d", line)]
    assert messages
    for message in messages:
        assert text.count(message) == 1, message
    checklist = text.split("### Checklist", 1)[1].split("#### Findings", 1)[0]
    assert "API-008, in that phase's findings" in checklist
    # Three trade-offs missing in phase 9: one line for the field and rule, with the count.
    assert "phase 9, `tradeoffs`: REV-001 (3 findings), in that phase's findings" in checklist


def test_a_page_that_lists_a_phases_findings_beside_its_form_gets_a_pointer_instead():
    d = flawed_design()
    own = render(d, findings_elsewhere=9).split("## Phase 9: Review", 1)[1]
    assert "#### Findings" not in own
    assert "_Its findings are listed beside the form._" in own
    assert "#### Findings" in render(d).split("## Phase 9: Review", 1)[1]  # the file keeps them
