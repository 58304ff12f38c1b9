"""The whole design as one Markdown document: what the review page shows, to take away.

``markdown(design, title, meta)`` renders every phase's answers (tables for lists), both
paths as Mermaid ``flowchart`` blocks with the same path in words, each phase's findings
and status, phase 9's checklist, and, once the attempt is finished, a score per phase.

``meta`` (every key optional):

``problem``
    The problem statement (instructor Markdown); its headings are demoted below the
    document's own.
``learner``, ``date``
    Printed under the title when given; nothing time-dependent is added otherwise, so
    the same design and meta always give the same text.
``finished``
    True once the attempt is finished: adds the "Scores" section.
``scores``
    Phase number (int or str) -> a number, text, or ``{"score": x, "max": y}``.
``findings``
    Phase number -> a list of finding dicts (``code``, ``severity``, ``field``,
    ``message``) to print instead of running the rules again (e.g. the stored checks).

Safety: learner text never reaches the output as HTML or Markdown syntax. ``&``, ``<``
and ``>`` become entities, Markdown punctuation is backslash-escaped, table cells keep
one line and escape ``|``, and Mermaid labels are escaped by :mod:`phases.diagram`. The
result renders in GitHub, GitLab and VS Code's preview (Mermaid needs a viewer that
draws it; GitHub and GitLab do, and the path is also written out in words).
"""

from __future__ import annotations

import math
import re

from phases import checklist, diagram, estimation, requirements, units
from phases.answers import AnswerShapeError
from phases.components import COMPONENT_TYPES
from phases.engine import check_phase
from phases.findings import Severity, phase_status
from phases.quantities import format_value
from phases.registry import PHASES

# -- Escaping -------------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Markdown punctuation that could start emphasis, code, links, images or strike-through.
_PUNCTUATION = set("\\`*_[]#~|")
_BULLET = re.compile(r"^(\s*)([-=])")
_NUMBERED = re.compile(r"^(\s*\d+)([.)])")


def _char(c: str) -> str:
    if c in _ENTITIES:
        return _ENTITIES[c]
    if c in _PUNCTUATION:
        return "\\" + c
    return c


def inline(text: object) -> str:
    """Learner text for one line of Markdown (a table cell, a list item): inert, one line."""
    text = diagram.clean(text)  # XML-legal characters, whitespace collapsed to one space
    return "".join(_char(c) for c in text)


def cell(text: object) -> str:
    """A table cell: inline text, or an em dash when empty (an empty cell reads as a gap)."""
    out = inline(text)
    return out or "—"


def block(text: object) -> str:
    """Free learner text as paragraphs: line breaks kept, nothing interpreted."""
    raw = "" if text is None else str(text)
    paragraphs = []
    for para in re.split(r"\n\s*\n", raw.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [inline(line) for line in para.split("\n")]
        lines = [_NUMBERED.sub(r"\1\\\2", _BULLET.sub(r"\1\\\2", ln)) for ln in lines if ln]
        if lines:
            paragraphs.append("  \n".join(lines))
    return "\n\n".join(paragraphs)


def table(headers: list[str], rows: list[list[str]], empty: str | None = None) -> str:
    """A GFM table; ``rows`` are already escaped cells. With no rows, ``empty`` instead
    (a sentence in italics) when given."""
    if not rows and empty is not None:
        return empty
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _num(value) -> str:
    """A figure from a computed model, printed the same way every time."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _yes(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return units.TOO_LARGE if value > 0 else "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return cell(value)


def _fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    try:
        return inline(format_value(value, kind))
    except Exception:  # noqa: BLE001 - an odd figure is printed plainly
        return _num(value)


def _field_line(label: str, value: object) -> str:
    return f"- **{label}:** {cell(value)}"


# -- Phases ---------------------------------------------------------------------------------


def _phase1(design) -> list[str]:
    req = design.requirements
    out = ["### Functional requirements", ""]
    out.append(
        table(
            ["Requirement", "Path"],
            [[cell(f.text), cell(f.path)] for f in req.functional],
            empty="_None listed._",
        )
    )
    out += ["", "### Clarifications", ""]
    out.append(_field_line("Region", req.region))
    out.append(_field_line("Ordering", req.ordering))
    out.append(_field_line("Left out", ", ".join(req.left_out)))
    if req.notes:
        out.append(_field_line("Notes", req.notes))
    out += ["", "### Scale and targets", ""]
    out.append(_field_line("Read:write ratio", req.read_write_ratio))
    for key in requirements.SCALE_FIELDS:
        out.append(_field_line(key.replace("_", " ").capitalize(), req.scale.get(key, "")))
    availability = req.availability
    try:
        downtime = requirements.computed(design).get("availability")
    except Exception:  # noqa: BLE001
        downtime = None
    if downtime:
        availability = (
            f"{availability} (allows {downtime['downtime_per_year']} of downtime a year, "
            f"{downtime['downtime_per_month']} a month)"
        )
    out.append(_field_line("Availability", availability))
    out.append(_field_line("Throughput", req.throughput))
    out += ["", "#### Latency targets", ""]
    out.append(
        table(
            ["Operation", "Percentile", "Target"],
            [
                [cell(t.operation), cell(t.percentile), cell(f"{t.target} {t.unit}".strip())]
                for t in req.latency
            ],
            empty="_None stated._",
        )
    )
    out += ["", "#### Consistency", ""]
    out.append(
        table(
            ["Data", "Model", "Staleness"],
            [[cell(c.data), cell(c.model), cell(c.staleness)] for c in req.consistency],
            empty="_None stated._",
        )
    )
    out += ["", "#### Durability", ""]
    out.append(
        table(
            ["Data", "Cost of loss", "Notes"],
            [[cell(d.data), cell(d.cost_of_loss), cell(d.notes)] for d in req.durability],
            empty="_None stated._",
        )
    )
    return out


def _phase2(design) -> list[str]:
    est = design.estimate
    out = ["### Assumptions", ""]
    rows = [
        [cell(f.label), cell(est.assumptions[f.key].text)]
        for f in estimation.ASSUMPTIONS
        if f.key in est.assumptions
    ]
    rows += [[cell(name), cell(value)] for name, value in est.extra]
    out.append(table(["Assumption", "Value"], rows, empty="_None stated._"))
    out += ["", "### Results, recomputed", ""]
    try:
        report = design.estimate_report
    except Exception:  # noqa: BLE001
        report = {}
    result_rows = []
    for row in report.get("results", []):
        result_rows.append(
            [
                cell(row["label"]),
                cell(row.get("learner_text")),
                _fmt(row.get("from_assumptions"), row["kind"]),
                _fmt(row.get("from_givens"), row["kind"]),
                cell(row.get("verdict")) + (f" ({inline(row['slip'])})" if row.get("slip") else ""),
            ]
        )
    if result_rows:
        out.append(
            table(
                ["Result", "Yours", "From your assumptions", "From the givens", "Verdict"],
                result_rows,
            )
        )
    else:
        out.append("_No results._")
    out += ["", "### Conclusion", ""]
    out.append(_field_line("Resource under most pressure", est.pressure))
    out.append(_field_line("What it forces on the design", est.implication))
    return out


def _phase3(design) -> list[str]:
    model = design.data_model
    out = ["### Access patterns", ""]
    out.append(
        table(
            [
                "Operation",
                "Requirement",
                "Entity",
                "Data",
                "Key",
                "Kind",
                "Lookup",
                "Rate",
                "Records",
                "Storage",
                "ACID",
                "Large objects",
            ],
            [
                [
                    cell(p.name),
                    cell(p.requirement),
                    cell(p.entity),
                    cell(p.data),
                    cell(p.key),
                    cell(p.kind),
                    cell(p.lookup),
                    cell(p.rate),
                    cell(p.records),
                    cell(p.storage),
                    _yes(p.transactional),
                    _yes(p.large_objects),
                ]
                for p in model.access_patterns
            ],
            empty="_None listed._",
        )
    )
    out += ["", "### Entities", ""]
    out.append(
        table(
            ["Entity", "Fields", "Key"],
            [[cell(e.name), cell(e.fields), cell(e.key)] for e in model.entities],
            empty="_None listed._",
        )
    )
    out += ["", "### Modelling choices", ""]
    out.append(
        table(
            ["Choice", "Fan-out", "What", "Why"],
            [
                [cell(m.choice), cell(m.fanout), cell(m.what), cell(m.reason)]
                for m in model.modelling
            ],
            empty="_None stated._",
        )
    )
    return out


def _phase4(design) -> list[str]:
    api = design.api
    out = ["### Protocols", ""]
    out.append(
        table(
            ["Client", "Protocol", "Why"],
            [[cell(p.client), cell(p.protocol), cell(p.reason)] for p in api.protocols],
            empty="_None stated._",
        )
    )
    out += ["", "### Endpoints", ""]
    out.append(
        table(
            [
                "Method",
                "Path",
                "Requirement",
                "Request",
                "Response",
                "Status",
                "Idempotency",
                "Redirect",
                "Pagination",
                "Notes",
            ],
            [
                [
                    cell(e.method),
                    cell(e.path),
                    cell(e.requirement),
                    cell(e.request),
                    cell(e.response),
                    cell(e.status),
                    cell(e.idempotency),
                    cell(e.redirect),
                    cell(e.pagination),
                    cell(e.notes),
                ]
                for e in api.endpoints
            ],
            empty="_None listed._",
        )
    )
    return out


def _phase5(design) -> list[str]:
    arch = design.architecture
    out = ["### Components", ""]
    out.append(
        table(
            ["Name", "Type", "Count", "Why", "Without it", "Stateful"],
            [
                [
                    cell(c.name),
                    cell(COMPONENT_TYPES.get(c.type, c.type)),
                    cell(c.count_text or "1"),
                    cell(c.why),
                    cell(c.without),
                    _yes(c.stateful),
                ]
                for c in arch.components
            ],
            empty="_None listed._",
        )
    )
    for key, label in (("write_path", "Write path"), ("read_path", "Read path")):
        out += ["", f"### {label}", ""]
        out.append(inline(diagram.describe(arch, key)))
        out += ["", "```mermaid", diagram.mermaid(arch, key).rstrip("\n"), "```"]
    return out


def _capacity(design) -> dict:
    try:
        model = design.capacity
    except Exception:  # noqa: BLE001 - the capacity model may not exist yet
        return {}
    return model if isinstance(model, dict) else {}


def _phase7(design) -> list[str]:
    out = ["### Capacity", ""]
    model = _capacity(design)
    components = [c for c in model.get("components") or [] if isinstance(c, dict)]
    if components:
        out.append(
            table(
                ["Component", "Type", "Count", "Load", "Capacity", "Headroom", "Notes"],
                [
                    [
                        cell(c.get("name")),
                        cell(c.get("type")),
                        _num(c.get("count")),
                        _num(c.get("load")),
                        _num(c.get("capacity")),
                        _num(c.get("headroom")),
                        cell(
                            "; ".join(
                                str(n) for n in (c.get("load_note"), c.get("capacity_note")) if n
                            )
                        ),
                    ]
                    for c in components
                ],
            )
        )
        if model.get("first_to_run_out"):
            out += ["", _field_line("First to run out", model.get("first_to_run_out"))]
        if model.get("breaks_at") is not None:
            out.append(_field_line("Breaks at", _plain(model.get("breaks_at"))))
    else:
        missing = model.get("missing") or []
        text = "_No capacity table yet._"
        if missing:
            text += " Missing: " + ", ".join(inline(m) for m in map(str, missing)) + "."
        out.append(text)
    out += ["", "### Your analysis", ""]
    b = design.bottlenecks
    out.append(_field_line("Bottleneck", b.bottleneck))
    out.append(_field_line("Cache hit rate assumed", b.hit_rate_text))
    out.append(_field_line("Database survives a cache outage", b.cache_outage))
    out.append(_field_line("Reasoning", b.reasoning))
    out += ["", "#### Mitigations", ""]
    out.append(
        table(
            ["Target", "Kind", "Detail"],
            [[cell(m.target), cell(m.kind), cell(m.detail)] for m in b.mitigations],
            empty="_None stated._",
        )
    )
    return out


def _plain(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _num(value)
    return "" if value is None else str(value)


def _phase8(design) -> list[str]:
    f = design.failure
    out = ["### Components", ""]
    out.append(
        table(
            [
                "Component",
                "Dependency",
                "What users see",
                "Mitigation",
                "Replication",
                "Automatic failover",
            ],
            [
                [
                    cell(c.component),
                    cell(c.dependency),
                    cell(c.user_sees),
                    cell(c.mitigation),
                    cell(c.replication),
                    _yes(c.automatic_failover),
                ]
                for c in f.components
            ],
            empty="_None classified._",
        )
    )
    out += ["", "### Calls", ""]
    out.append(
        table(
            ["Caller", "Callee", "Timeout", "Circuit breaker"],
            [
                [cell(c.caller), cell(c.callee), cell(c.timeout), _yes(c.circuit_breaker)]
                for c in f.calls
            ],
            empty="_None listed._",
        )
    )
    r = f.retries
    out += ["", "### Retries", ""]
    out.append(_field_line("Retries", _yes(r.enabled)))
    out.append(_field_line("Operations retried", r.operations))
    out.append(_field_line("Exponential backoff", _yes(r.backoff)))
    out.append(_field_line("Jitter", _yes(r.jitter)))
    out.append(_field_line("Maximum attempts", r.max_attempts))
    availability = _capacity(design).get("availability")
    if isinstance(availability, dict) and availability:
        out += ["", "### Availability of the synchronous chain", ""]
        for key in sorted(availability):
            value = availability[key]
            if isinstance(value, dict | list):
                continue
            out.append(_field_line(key.replace("_", " ").capitalize(), _plain(value)))
    return out


def _phase9(design) -> list[str]:
    review = design.review
    out = ["### Trade-offs", ""]
    out.append(
        table(
            ["Wanted", "Gave up", "Mechanism"],
            [[cell(t.wanted), cell(t.gave_up), cell(t.mechanism)] for t in review.tradeoffs],
            empty="_None stated._",
        )
    )
    out += ["", "### What I would revisit at ten times the scale", ""]
    out.append(block(review.revisit_at_10x) or "_Not answered._")
    out += ["", "### Why the design starts this simple", ""]
    out.append(block(review.why_simple) or "_Not answered._")
    out += ["", "### Checklist", ""]
    for item in checklist.evaluate(design):
        mark = "✅" if item["ok"] else "❌"
        out.append(f"- {mark} **{inline(item['label'])}**: {inline(item['explanation'])}")
        for w in item["where"]:
            where = f"phase {w['phase']}" + (f", `{_code(w['field'])}`" if w.get("field") else "")
            out.append(f"  - {where}: {inline(w['message'])}")
    return out


def _phase6(design) -> list[str]:
    tech = design.technology
    if not tech.choices:
        return ["_None listed._"]
    return [
        table(
            [
                "Technology",
                "Component",
                "Problem it solves",
                "Alternatives",
                "Trade-offs",
                "Trigger",
            ],
            [
                [
                    cell(c.technology),
                    cell(c.component),
                    cell(c.problem),
                    cell(c.alternatives),
                    cell(c.tradeoffs),
                    cell(c.trigger),
                ]
                for c in tech.choices
            ],
        )
    ]


RENDERERS = {
    1: _phase1,
    2: _phase2,
    3: _phase3,
    4: _phase4,
    5: _phase5,
    6: _phase6,
    7: _phase7,
    8: _phase8,
    9: _phase9,
}


# -- Findings -------------------------------------------------------------------------------


def _code(text: object) -> str:
    """Text for inside a one-backtick code span: no backticks, one line."""
    return diagram.clean(text).replace("`", "'")


class _Severe:
    """A finding dict seen as ``phase_status`` sees a Finding: only its severity."""

    def __init__(self, severity: str):
        try:
            self.severity = Severity(severity)
        except ValueError:
            self.severity = Severity.INFO


def _findings(design, number: int, meta: dict) -> tuple[str, list[dict], list[tuple[str, str]]]:
    """(status, findings as dicts, shape errors) for one answered phase."""
    given = (meta.get("findings") or {}).get(number, (meta.get("findings") or {}).get(str(number)))
    if given is not None:
        return phase_status([_Severe(f.get("severity", "")) for f in given]), list(given), []
    try:
        found = check_phase(number, design)
    except AnswerShapeError as exc:
        return "invalid", [], list(exc.errors)
    except Exception as exc:  # noqa: BLE001 - a phase whose rules are unfinished
        return "not checked", [], [("", f"the rules could not run ({type(exc).__name__})")]
    return phase_status(found), [f.as_dict() for f in found], []


def _findings_section(status: str, findings: list[dict], errors) -> list[str]:
    out = []
    if status:
        out.append(f"**Status:** {inline(status)}")
    if errors:
        out += ["", "Answers that could not be read:", ""]
        out += [f"- `{_code(f) or '(document)'}`: {inline(m)}" for f, m in errors]
    if findings:
        out += ["", "#### Findings", ""]
        rows = []
        for f in findings:
            field = f.get("field") or ""
            fphase = f.get("field_phase")
            if field and fphase and fphase != f.get("phase"):
                field = f"phase {fphase}: {field}"
            rows.append(
                [
                    cell(f.get("code")),
                    cell(f.get("severity")),
                    f"`{_code(field)}`" if field else "—",
                    cell(f.get("message")),
                ]
            )
        out.append(table(["Code", "Severity", "Field", "Message"], rows))
    elif not errors and status:
        out += ["", "_No findings._"]
    return out


# -- The document ---------------------------------------------------------------------------


def _score(value) -> str:
    if isinstance(value, dict):
        score, most = value.get("score"), value.get("max")
        if most is not None:
            return f"{_num(score)} / {_num(most)}"
        return _num(score)
    return _num(value)


def _problem(text: str) -> str:
    """Instructor Markdown under our own headings: headings demoted, HTML made inert."""
    lines = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        line = "".join(_ENTITIES.get(c, c) for c in line)
        if re.match(r"^#{1,4}\s", line):
            line = "##" + line
        lines.append(line)
    return "\n".join(lines).strip()


def markdown(design, title: str, meta: dict | None = None) -> str:
    """The whole design as one Markdown document; the same input gives the same text."""
    meta = meta or {}
    out = [f"# {inline(title) or 'System design'}", ""]
    byline = [inline(meta[k]) for k in ("learner", "date") if meta.get(k)]
    if byline:
        out += [" · ".join(byline), ""]
    if meta.get("finished"):
        out += ["_Attempt finished._", ""]
    if meta.get("problem"):
        out += ["## Problem", "", _problem(meta["problem"]), ""]
    statuses: dict[int, str] = {}
    for phase in PHASES:
        out += [f"## Phase {phase.number}: {phase.title}", ""]
        if not design.has(phase.number):
            statuses[phase.number] = "not answered"
            out += ["_Not answered._", ""]
            continue
        status, findings, errors = _findings(design, phase.number, meta)
        statuses[phase.number] = status
        body: list[str] = []
        if status != "invalid":
            try:
                body = RENDERERS[phase.number](design)
            except AnswerShapeError as exc:
                status, errors = "invalid", list(exc.errors)
        out += body
        if body:
            out.append("")
        out += _findings_section(status, findings, errors)
        out.append("")
    if meta.get("finished"):
        scores = meta.get("scores") or {}
        out += ["## Scores", ""]
        rows = []
        for phase in PHASES:
            score = scores.get(phase.number, scores.get(str(phase.number)))
            rows.append(
                [
                    f"{phase.number}. {phase.title}",
                    cell(statuses.get(phase.number, "")),
                    _score(score) if score is not None else "—",
                ]
            )
        out += [table(["Phase", "Status", "Score"], rows), ""]
    return "\n".join(out).rstrip("\n") + "\n"
