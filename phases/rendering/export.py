"""The whole design as one Markdown document: what the review page shows, to take away.

``markdown(design, title, meta)`` renders every phase's answers (tables for lists), both
paths as Mermaid ``flowchart`` blocks with the same path in words, each phase's findings
and status, phase 9's checklist, and, once the attempt is finished, a score per phase.
Each phase's section comes from its unit (``UNIT.export``, the ``export_section`` of its
module, written with the helpers of ``phases/rendering/markdown.py``); this module adds the title,
the problem, each phase's findings and status, and the scores.

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
``findings_elsewhere``
    A phase number whose findings the page showing this document already lists beside
    its form: its section says so instead of listing them again (the file leaves it out).

Safety: learner text never reaches the output as HTML or Markdown syntax. ``&``, ``<``
and ``>`` become entities, Markdown punctuation is backslash-escaped, table cells keep
one line and escape ``|`` (:mod:`phases.rendering.markdown`), and Mermaid labels are escaped by
:mod:`phases.rendering.diagram`. The result renders in GitHub, GitLab and VS Code's preview
(Mermaid needs a viewer that draws it; GitHub and GitLab do, and the path is also
written out in words).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from phases.engine.answers import JSON, AnswerShapeError
from phases.engine.engine import check_phase
from phases.engine.findings import Severity, phase_status
from phases.engine.registry import PHASES, PHASES_BY_NUMBER
from phases.rendering.markdown import ENTITIES, cell, code, inline, num, table

if TYPE_CHECKING:
    from phases.engine.design import Design

# -- Findings -------------------------------------------------------------------------------


class _Severe:
    """A finding dict seen as ``phase_status`` sees a Finding: only its severity."""

    def __init__(self, severity: str):
        try:
            self.severity = Severity(severity)
        except ValueError:
            self.severity = Severity.INFO


def _findings(
    design: Design, number: int, meta: JSON
) -> tuple[str, list[JSON], list[tuple[str, str]]]:
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


def _field(finding: JSON) -> str:
    """The field a finding concerns, by its label on the form (``Storage (access
    patterns, row 1)``), with its phase when that is not the finding's own."""
    path = str(finding.get("field") or "")
    if not path:
        return ""
    own, fphase = finding.get("phase"), finding.get("field_phase")
    number = fphase or own
    unit = PHASES_BY_NUMBER.get(number) if isinstance(number, int) else None
    label = unit.layout.describe(path) if unit is not None else path
    if fphase and fphase != own:
        label = f"phase {fphase}: {label}"
    return label


def _findings_section(
    status: str, findings: list[JSON], errors: list[tuple[str, str]]
) -> list[str]:
    out = []
    if status:
        out.append(f"**Status:** {inline(status)}")
    if errors:
        out += ["", "Answers that could not be read:", ""]
        out += [f"- `{code(f) or '(document)'}`: {inline(m)}" for f, m in errors]
    if findings:
        out += ["", "#### Findings", ""]
        rows = []
        for f in findings:
            field = _field(f)
            rows.append(
                [cell(f.get("code")), cell(f.get("severity")), cell(field), cell(f.get("message"))]
            )
        out.append(table(["Code", "Severity", "Field", "Message"], rows))
    elif not errors and status:
        out += ["", "_No findings._"]
    return out


# -- The document ---------------------------------------------------------------------------


def _score(value: object) -> str:
    if isinstance(value, dict):
        score, most = value.get("score"), value.get("max")
        if most is not None:
            return f"{num(score)} / {num(most)}"
        return num(score)
    return num(value)


def _problem(text: str) -> str:
    """Instructor Markdown under our own headings: headings demoted, HTML made inert."""
    lines = []
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        line = "".join(ENTITIES.get(c, c) for c in line)
        if re.match(r"^#{1,4}\s", line):
            line = "##" + line
        lines.append(line)
    return "\n".join(lines).strip()


def answer_markdown(design: Design, number: int) -> str:
    """One phase's answers as Markdown, its section of the document without heading or
    findings: what the comparison with the reference design shows for each side.

    Empty when the phase is not answered; raises ``AnswerShapeError`` when its document
    cannot be read.
    """
    if not design.has(number):
        return ""
    return "\n".join(PHASES_BY_NUMBER[number].export_section(design)).strip("\n") + "\n"


def markdown(design: Design, title: str, meta: JSON | None = None) -> str:
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
                body = phase.export_section(design)
            except AnswerShapeError as exc:
                status, errors = "invalid", list(exc.errors)
        out += body
        if body:
            out.append("")
        if phase.number == meta.get("findings_elsewhere") and findings:
            # The page that shows this document lists this phase's findings beside its
            # form: here, only a pointer to them (the downloaded file keeps them all).
            pointer = "_Its findings are listed beside the form._"
            out += [f"**Status:** {inline(status)}", "", pointer]
        else:
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
