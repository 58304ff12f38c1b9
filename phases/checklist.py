"""The checklist of properties that good designs share, read from the earlier phases.

``evaluate(design)`` returns one item per property::

    {"key": "components_explained", "label": "Every component explained", "ok": False,
     "explanation": "...",
     "where": [{"phase": 5, "field": "components[3].why", "code": "ARC-003",
                "message": "Redis cache has no reason: why does it exist?"}]}

Each item is computed from phases 1 to 8: mostly from the findings of their own rules,
read from the design (``Design.findings``, worked out once per design), so the checklist
agrees with what each phase's page says, and for "failure modes named" and "trade-offs
explicit" from the answers themselves. It never reads phase 9's findings (phase 9's rules
read this checklist, through ``Design.checklist``), and never raises: a missing phase makes
the items that need it fall short with a link to that phase, and a malformed one is
reported as such. Results are kept per ``Design`` object, so the page, the rules and
``computed()`` share one evaluation.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, cast, overload

from phases import architecture, review
from phases.engine.answers import AnswerShapeError
from phases.engine.findings import Finding, Severity

if TYPE_CHECKING:
    from phases.architecture import Architecture
    from phases.data_model import DataModel
    from phases.engine.design import Design
    from phases.failure import Failure

# Findings of these rules mark where an item falls short.
SIMPLE_CODES = ("ARC-013", "TEC-007")
EXPLAINED_CODES = ("ARC-003", "ARC-004", "ARC-005", "ARC-008", "TEC-001")
FIT_CODES = (
    "DAT-001",
    "DAT-004",
    "DAT-005",
    "DAT-006",
    "DAT-007",
    "DAT-008",
    "DAT-009",
    "DAT-010",
    "DAT-011",
    "DAT-013",
    "DAT-014",
    "TEC-006",
)
TRADEOFF_CODES = ("DAT-015", "API-008", "TEC-004")
# A component unclassified, or classified without what users see or how it is mitigated.
FAILURE_CODES = ("FAIL-001", "FAIL-003")
# Every code named above, for the test that keeps them in step with the registry.
CODES = (*SIMPLE_CODES, *EXPLAINED_CODES, *FIT_CODES, *TRADEOFF_CODES, *FAILURE_CODES)

# Below this many requests a second at peak, more than this many components is "many".
SMALL_SCALE_PER_S = 1_000.0
MANY_COMPONENTS = 8

_BLOCKING = (Severity.ERROR, Severity.WARNING)


class Link(TypedDict):
    """Where an item falls short: a field of a phase, and what is wrong there."""

    phase: int
    field: str
    message: str
    code: NotRequired[str]  # the rule whose finding it is, if any


class ChecklistItem(TypedDict):
    key: str
    label: str
    ok: bool
    explanation: str
    where: list[Link]


@dataclass
class _Phase:
    answered: bool
    invalid: bool
    findings: list[Finding]
    error: str = ""


# Per design: each earlier phase's _Phase by ("phase", number), and the "items".
_cache: weakref.WeakKeyDictionary[Design, dict[object, Any]] = weakref.WeakKeyDictionary()


def _phase(design: Design, number: int) -> _Phase:
    """One earlier phase's findings, computed once per design."""
    assert number != 9, "the checklist must not check phase 9"
    per_design = _cache.setdefault(design, {})
    key = ("phase", number)
    if key not in per_design:
        if not design.has(number):
            per_design[key] = _Phase(False, False, [])
        else:
            try:
                per_design[key] = _Phase(True, False, design.findings(number))
            except AnswerShapeError as exc:
                per_design[key] = _Phase(True, True, [], str(exc))
            except Exception as exc:  # noqa: BLE001 - a phase in progress must not break review
                per_design[key] = _Phase(True, False, [], f"{type(exc).__name__}: {exc}")
    return cast(_Phase, per_design[key])


def _link(phase: int, field: str, message: str, code: str = "") -> Link:
    link: Link = {"phase": phase, "field": field, "message": message}
    if code:
        link["code"] = code
    return link


def _missing(phase: int, what: str) -> Link:
    return _link(phase, "", f"Phase {phase} ({what}) has no answers yet.")


def _invalid(phase: int, state: _Phase) -> Link:
    return _link(phase, "", f"Phase {phase}'s answers could not be read: {state.error}")


def _from_findings(design: Design, phase: int, codes: tuple[str, ...]) -> list[Link]:
    state = _phase(design, phase)
    if state.invalid:
        return [_invalid(phase, state)]
    return [
        _link(f.field_phase or f.phase, f.field, f.message, f.code)
        for f in state.findings
        if f.code in codes and f.severity in _BLOCKING
    ]


def _item(key: str, label: str, where: list[Link], ok_text: str, short_text: str) -> ChecklistItem:
    ok = not where
    return {
        "key": key,
        "label": label,
        "ok": ok,
        "explanation": ok_text if ok else short_text,
        "where": where,
    }


@overload
def _parsed(design: Design, number: int, attr: Literal["data_model"]) -> DataModel | None: ...
@overload
def _parsed(design: Design, number: int, attr: Literal["architecture"]) -> Architecture | None: ...
@overload
def _parsed(design: Design, number: int, attr: Literal["failure"]) -> Failure | None: ...


def _parsed(design: Design, number: int, attr: str) -> DataModel | Architecture | Failure | None:
    if not design.has(number):
        return None
    try:
        parsed: DataModel | Architecture | Failure = getattr(design, attr)
    except AnswerShapeError:
        return None
    return parsed


# -- The items ------------------------------------------------------------------------------


def started_simple(design: Design) -> ChecklistItem:
    where: list[Link] = []
    if not design.has(5):
        where.append(_missing(5, "architecture"))
    else:
        where += _from_findings(design, 5, ("ARC-013",))
        where += _many_components(design)
    if design.has(6):
        where += _from_findings(design, 6, ("TEC-007",))
    return _item(
        "started_simple",
        "Started simple",
        where,
        "The architecture is no bigger than the estimated load needs.",
        "Parts of the design look bigger than phase 2's load calls for: fewer boxes are "
        "easier to build, run and reason about, and can be split once the numbers demand it.",
    )


def _many_components(design: Design) -> list[Link]:
    """More than ``MANY_COMPONENTS`` components while phase 2's peaks are small."""
    arch = _parsed(design, 5, "architecture")
    if arch is None or len(arch.components) <= MANY_COMPONENTS:
        return []
    try:
        peaks = architecture._peaks(design)
    except Exception:  # noqa: BLE001 - phase 2 unreadable: nothing to compare with
        peaks = None
    if not peaks or sum(peaks) >= SMALL_SCALE_PER_S:
        return []
    total = sum(peaks)
    return [
        _link(
            5,
            "components",
            f"{len(arch.components)} components for about {total:,.0f} requests/s at peak.",
        )
    ]


def components_explained(design: Design) -> ChecklistItem:
    where: list[Link] = []
    if not design.has(5):
        where.append(_missing(5, "architecture"))
    else:
        where += _from_findings(design, 5, ("ARC-003", "ARC-004", "ARC-005", "ARC-008"))
    if design.has(6):
        where += _from_findings(design, 6, ("TEC-001",))
    return _item(
        "components_explained",
        "Every component explained",
        where,
        "Every component says which requirement or figure needs it and what breaks without it.",
        "Some components have no reason tied to a requirement or figure, or are on no "
        "path; a box nobody can justify should not be in the design.",
    )


def failure_modes_named(design: Design) -> ChecklistItem:
    where: list[Link] = []
    if not design.has(5):
        where.append(_missing(5, "architecture"))
    elif _parsed(design, 5, "architecture") is None:
        where.append(_invalid(5, _phase(design, 5)))
    if not design.has(8):
        where.append(_missing(8, "failure"))
    else:
        where += _from_findings(design, 8, FAILURE_CODES)
    return _item(
        "failure_modes_named",
        "Failure modes named",
        where,
        "Every component has an answer to what happens when it fails.",
        "Some components have no answer yet to what happens when they fail.",
    )


def data_model_fits(design: Design) -> ChecklistItem:
    where: list[Link] = []
    if not design.has(3):
        where.append(_missing(3, "data model"))
    else:
        model = _parsed(design, 3, "data_model")
        if model is not None and not model.access_patterns:
            where.append(_link(3, "access_patterns", "No access patterns are listed."))
        where += _from_findings(design, 3, tuple(c for c in FIT_CODES if c.startswith("DAT")))
    if design.has(6):
        where += _from_findings(design, 6, ("TEC-006",))
    return _item(
        "data_model_fits",
        "Data model fits the access patterns",
        where,
        "Each access pattern is served by a store that suits its lookup.",
        "Some access patterns are missing or stored where their lookup fights the store.",
    )


def tradeoffs_explicit(design: Design) -> ChecklistItem:
    where: list[Link] = []
    for choice in review.untraded(design):
        m = choice.mechanism
        where.append(
            _link(
                9,
                "tradeoffs",
                f"{m.label[0].upper()}{m.label[1:]} (chosen in phase {choice.phase}, "
                f"{choice.what}) has no trade-off row; it usually costs {m.cost}.",
                "REV-001",  # the same computation as that rule (review.untraded)
            )
        )
    parsed = review._review(design) if design.has(9) else None
    if parsed is not None:
        for row in parsed.tradeoffs:
            if not (row.wanted and row.gave_up and row.mechanism):
                where.append(_link(9, row.field, "This trade-off row is incomplete.", "REV-002"))
    for phase, codes in ((3, ("DAT-015",)), (4, ("API-008",)), (6, ("TEC-004",))):
        if design.has(phase):
            where += _from_findings(design, phase, codes)
    return _item(
        "tradeoffs_explicit",
        "Trade-offs explicit",
        where,
        "Every mechanism you chose comes with what it costs.",
        "Some choices are stated without their price.",
    )


ITEMS = (
    started_simple,
    components_explained,
    failure_modes_named,
    data_model_fits,
    tradeoffs_explicit,
)


def evaluate(design: Design) -> list[ChecklistItem]:
    """One item per property, in a fixed order; the same design gives the same list."""
    per_design = _cache.setdefault(design, {})
    if "items" not in per_design:
        items: list[ChecklistItem] = []
        for item in ITEMS:
            try:
                items.append(item(design))
            except Exception as exc:  # noqa: BLE001 - never break the review page
                name = item.__name__
                items.append(
                    {
                        "key": name,
                        "label": name.replace("_", " ").capitalize(),
                        "ok": False,
                        "explanation": f"This item could not be computed ({type(exc).__name__}).",
                        "where": [],
                    }
                )
        per_design["items"] = items
    kept: list[ChecklistItem] = per_design["items"]
    return [{**item, "where": [{**w} for w in item["where"]]} for item in kept]
