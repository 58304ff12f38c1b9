"""Phase 2, scale estimation: the learner's assumptions, their results, and ours.

The tutor recomputes every result from the learner's own assumptions (and, for the
report, from the problem's givens) and compares figure by figure, so a slip is found at
the step where it happened. Answer shape, version 2 (``docs/answers.md``)::

    {
      "version": 2,
      "assumptions": {"writes": "100M/day", "reads": "", "read_write_ratio": "10:1",
                      "object_size": "200 B", "objects_kept": "", "retention": "5 years",
                      "peak_factor": "2x", "overhead": "3x", "cache_fraction": "20%",
                      "daily_active_users": "", "writes_per_user": ""},
      "extra_assumptions": [{"name": "...", "value": "..."}],
      "results": {"writes_per_s": "1,157/s", "peak_writes_per_s": "2,300/s", ...},
      "conclusion": {"pressure": "storage", "implication": "..."}
    }

The load may be stated from either side: a write rate (or users × writes per user), a
read rate, or both. Reads follow from writes × ratio unless stated; writes follow from
reads ÷ ratio when only reads are stated; when both rates are stated the ratio is implied
by them, and a stated ratio that disagrees is reported (EST-010). Storage is writes ×
retention × size, or, when each key keeps one current value (a counter per user, a
session, a driver's position), the objects kept at once × size.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal, Never, TypedDict

from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Hit, Severity
from phases.engine.unit import Layout, PhaseUnit, Rows, choice_field, longtext_field, text_field
from phases.knowledge.reference import CAPACITIES_BY_KEY, RESOURCES
from phases.reading import units
from phases.reading.quantities import Quantity, format_value, parse_quantity
from phases.rendering.markdown import cell, field_line, figure, inline, table

if TYPE_CHECKING:
    from phases.engine.design import Design

# 2: a read rate (``reads``) and the objects kept at once (``objects_kept``) among the
# assumptions; version 1 documents have neither key and are read, and graded, as they are.
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str
    example: str
    help: str = ""


ASSUMPTIONS: tuple[Field, ...] = (
    Field("daily_active_users", "Daily active users", "count", "4.2M"),
    Field("writes_per_user", "Writes per user per day", "count", "0.4"),
    Field("writes", "Writes (events created)", "rate", "37M/day"),
    Field(
        "reads",
        "Reads (requests served)",
        "rate",
        "6,300/s",
        "Optional. State it when the load is mostly or only reads (a cache in front of a "
        "search service, a lookup): reads then come from it, not from writes × ratio.",
    ),
    Field("read_write_ratio", "Read:write ratio", "ratio", "4:1"),
    Field("object_size", "Size of one object", "size", "800 B"),
    Field(
        "objects_kept",
        "Objects kept at once (state per key)",
        "count",
        "2.6M",
        "Optional. When each key holds one current value (a counter per user, a session, a "
        "driver's last position), storage is this count × object size; retention is then "
        "not needed for storage.",
    ),
    Field("retention", "Retention", "duration", "7 years"),
    Field("peak_factor", "Peak factor", "factor", "1.5x"),
    Field("overhead", "Replication and index overhead", "factor", "2.5x"),
    Field("cache_fraction", "Hot set cached (share of a day's reads)", "factor", "15%"),
)
RESULTS: tuple[Field, ...] = (
    Field("writes_per_s", "Average writes", "rate", "428/s"),
    Field("peak_writes_per_s", "Peak writes", "rate", "642/s"),
    Field("reads_per_s", "Average reads", "rate", "1,713/s"),
    Field("peak_reads_per_s", "Peak reads", "rate", "2,570/s"),
    Field(
        "storage",
        "Storage over retention (raw)",
        "size",
        "76 TB",
        "Writes × retention × object size; or objects kept × object size when each key "
        "keeps one value.",
    ),
    Field("storage_with_overhead", "Storage with overhead", "size", "189 TB"),
    Field("bandwidth_in", "Bandwidth in (peak)", "bandwidth", "514 KB/s"),
    Field("bandwidth_out", "Bandwidth out (peak)", "bandwidth", "2.1 MB/s"),
    Field("cache_memory", "Cache memory for the hot set", "size", "18 GB"),
)
ASSUMPTIONS_BY_KEY = {f.key: f for f in ASSUMPTIONS}
RESULTS_BY_KEY = {f.key: f for f in RESULTS}
PRESSURES = tuple(c.key for c in RESOURCES)
DEFAULT_CACHE_FRACTION = 0.2

# Back-of-envelope tolerance: within 2x is agreement, 2x-10x a warning, beyond an error.
WARNING_RATIO = 2.0
ERROR_RATIO = 10.0
# How far a given may move before an assumption contradicts it.
GIVEN_TOLERANCE = 1.25


@dataclass(frozen=True)
class Estimate:
    assumptions: dict[str, Quantity]
    extra: tuple[tuple[str, str], ...]
    results: dict[str, Quantity]
    raw_results: dict[str, str]
    pressure: str
    implication: str

    @property
    def is_empty(self) -> bool:
        return not (self.assumptions or self.results)


def empty() -> JSON:
    return {
        "version": SCHEMA_VERSION,
        "assumptions": {f.key: "" for f in ASSUMPTIONS},
        "extra_assumptions": [],
        "results": {f.key: "" for f in RESULTS},
        "conclusion": {"pressure": "", "implication": ""},
    }


# The form: a text input per assumption and result, then the conclusion.
LAYOUT = Layout(
    fields=(
        *(
            text_field(
                f"{group}.{item.key}", item.label, help_text=item.help, placeholder=item.example
            )
            for group, items in (("assumptions", ASSUMPTIONS), ("results", RESULTS))
            for item in items
        ),
        choice_field(
            "conclusion.pressure",
            "Resource under pressure",
            PRESSURES,
            {
                "writes": "write throughput",
                "reads": "read throughput",
                "storage": "storage",
                "bandwidth": "network bandwidth",
                "memory": "cache memory",
            },
        ),
        longtext_field("conclusion.implication", "What it implies for the design"),
    ),
    lists=(
        Rows(
            "extra_assumptions",
            (
                text_field("name", "Assumption", placeholder="e.g. books per loan"),
                text_field("value", "Value", placeholder="e.g. N books"),
            ),
        ),
    ),
)


def _parse_value(field: Field, text: str) -> Quantity:
    """Percentages are shares (20% → 0.2); everything else goes to the quantity parser."""
    stripped = text.strip()
    if field.kind == "factor" and stripped.endswith("%"):
        number = units.parse_number(stripped[:-1].strip())
        return Quantity(units.check_magnitude(number / 100, "factor", text), "factor", text)
    return parse_quantity(stripped, expect=field.kind)


def parse(data: JSON) -> Estimate:
    r = Reader(data)
    d = r.data
    values: dict[str, dict[str, Quantity]] = {}
    for group, fields, prefix in (
        ("assumptions", ASSUMPTIONS, "assumptions"),
        ("results", RESULTS, "results"),
    ):
        obj = r.object(d, group, prefix)
        parsed: dict[str, Quantity] = {}
        for field in fields:
            text = r.text(obj, field.key, f"{prefix}.{field.key}")
            if text:
                quantity = r.parsed(f"{prefix}.{field.key}", partial(_parse_value, field), text)
                if quantity is not None:
                    parsed[field.key] = quantity
        values[group] = parsed
    raw_results = {
        f.key: r.text(r.object(d, "results", "results"), f.key, f"results.{f.key}") for f in RESULTS
    }
    extra = tuple(
        (r.text(row, "name", f"{path}.name"), r.text(row, "value", f"{path}.value"))
        for path, row in r.rows(d, "extra_assumptions", "extra_assumptions")
    )
    conclusion = r.object(d, "conclusion", "conclusion")
    estimate = Estimate(
        assumptions=values["assumptions"],
        extra=extra,
        results=values["results"],
        raw_results=raw_results,
        pressure=r.text(conclusion, "pressure", "conclusion.pressure", choices=PRESSURES),
        implication=r.text(conclusion, "implication", "conclusion.implication"),
    )
    for key in ("peak_factor", "overhead"):
        quantity = estimate.assumptions.get(key)
        if quantity is not None and quantity.value <= 0:
            r.error(f"assumptions.{key}", "A factor is positive, for example 2x.")
    r.raise_if_errors()
    return estimate


# -- Recomputation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    arithmetic: str


# -- The report's shape (docs/answers.md) -------------------------------------------------------

Verdict = Literal["missing", "unchecked", "ok", "warning", "error"]


class ResultRow(TypedDict):
    """One result side by side: the learner's figure, ours from their assumptions and
    from the problem's givens, their ratio, the verdict and the likely slip."""

    key: str
    label: str
    kind: str
    learner: float | None
    learner_text: str
    from_assumptions: float | None
    arithmetic: str
    from_givens: float | None
    ratio: float | None
    verdict: Verdict
    slip: str


class Headroom(TypedDict):
    """One resource's peak load against one machine's capacity."""

    resource: str
    label: str
    kind: str
    load: float
    capacity: float
    headroom: float


class Constants(TypedDict):
    seconds_per_day: int
    seconds_per_month: int
    seconds_per_year: int


class EstimateReport(TypedDict):
    results: list[ResultRow]  # in the order of RESULTS
    headroom: list[Headroom]  # least headroom first
    constants: Constants


class Move(TypedDict):
    result: str
    label: str
    when: str  # doubled or halved
    factor: float


class Sensitivity(TypedDict):
    assumption: str
    label: str
    moves: list[Move]
    largest: float


class FullReport(EstimateReport):
    """The report a background task stores after each save: with the sensitivity table."""

    sensitivity: list[Sensitivity]  # the assumption that moves the results most first


# What a reader that tolerates a report that cannot be worked out has instead: ``{}``.
NoReport = dict[str, Never]


def _n(value: float) -> str:
    if not math.isfinite(value):
        return units.TOO_LARGE
    return f"{value:,.0f}" if value >= 100 else f"{value:,.3g}"


def states_writes(assumptions: Collection[str]) -> bool:
    """Whether these assumptions state a write rate: the rate, or users × writes per user."""
    return "writes" in assumptions or (
        "daily_active_users" in assumptions and "writes_per_user" in assumptions
    )


def stated_writes(assumptions: Mapping[str, float]) -> tuple[float | None, str]:
    """The write rate the learner states, a second, with how it was stated: the rate
    itself, or daily active users × writes per user; (None, "") when neither is given."""
    writes = assumptions.get("writes")
    if writes is not None:
        return writes, f"{_n(writes * units.SECONDS_PER_DAY)}/day ÷ 86,400 s"
    if "daily_active_users" in assumptions and "writes_per_user" in assumptions:
        users, per_user = assumptions["daily_active_users"], assumptions["writes_per_user"]
        return (
            users * per_user / units.SECONDS_PER_DAY,
            f"{_n(users)} users × {_n(per_user)}/day ÷ 86,400 s",
        )
    return None, ""


def rates(assumptions: Mapping[str, float]) -> tuple[float | None, str, float | None, str]:
    """(writes a second, its arithmetic, reads a second, its arithmetic) as far as the
    assumptions give them.

    Writes are the stated rate (or users × writes per user); reads the stated read rate,
    else writes × ratio. With reads and a ratio but no write rate, writes are reads ÷
    ratio: that is what such an answer states. With both rates stated the ratio is
    implied by them and not used here (EST-010 reports a stated ratio that disagrees).
    """
    writes, writes_text = stated_writes(assumptions)
    ratio = assumptions.get("read_write_ratio")
    reads = assumptions.get("reads")
    reads_text = ""
    if reads is not None:
        reads_text = f"{_n(reads * units.SECONDS_PER_DAY)} reads/day ÷ 86,400 s"
        if writes is None and ratio:
            writes = reads / ratio
            writes_text = f"{_n(reads)} reads/s ÷ {ratio:g} reads per write"
    elif writes is not None and ratio is not None:
        reads = writes * ratio
        reads_text = f"{_n(writes)}/s × {ratio:g} reads per write"
    return writes, writes_text, reads, reads_text


def recompute(assumptions: dict[str, float], *, explain: bool = True) -> dict[str, Figure]:
    """Every result from assumptions in base units (per second, bytes, seconds), each
    with its arithmetic written out unless ``explain`` is false (values only).

    The rates come from :func:`rates` (writes, reads, or both). Missing peak factor and
    overhead count as 1 (their rules say so); a missing cache share counts as 20% of a
    day's reads, the usual hot-set rule of thumb (of the objects kept, when that count is
    stated and smaller: a day's reads touch no more objects than exist). Storage is the
    objects kept at once × object size when the learner states that count (state kept
    per key), else writes × retention × object size. Results that need an assumption
    that is missing are left out, and so is a result too large for a float (the limits
    on what can be typed keep every result well inside one).
    """
    figures: dict[str, Figure] = {}
    writes, writes_text, reads, reads_text = rates(assumptions)
    peak = assumptions.get("peak_factor", 1.0)
    size = assumptions.get("object_size")
    retention = assumptions.get("retention")
    kept = assumptions.get("objects_kept")
    overhead = assumptions.get("overhead", 1.0)
    share = assumptions.get("cache_fraction", DEFAULT_CACHE_FRACTION)

    def put(key: str, value: float, arithmetic: str) -> None:
        if not math.isfinite(value):
            return
        text = f"{arithmetic} = {format_value(value, key_kind(key))}" if explain else ""
        figures[key] = Figure(key, value, text)

    if writes is not None:
        put("writes_per_s", writes, writes_text)
        put("peak_writes_per_s", writes * peak, f"{_n(writes)}/s × peak {peak:g}")
    if reads is not None:
        put("reads_per_s", reads, reads_text)
        put("peak_reads_per_s", reads * peak, f"{_n(reads)}/s × peak {peak:g}")
    if size is not None:
        if writes is not None:
            put("bandwidth_in", writes * peak * size, f"{_n(writes * peak)}/s × {_n(size)} B")
        if reads is not None:
            reads_peak = reads * peak
            put("bandwidth_out", reads_peak * size, f"{_n(reads_peak)}/s × {_n(size)} B")
            daily_reads = reads * units.SECONDS_PER_DAY
            if kept is not None and kept < daily_reads:
                # A day's reads cannot touch more objects than there are.
                put(
                    "cache_memory",
                    kept * size * share,
                    f"{_n(kept)} objects kept (fewer than {_n(daily_reads)} reads/day) × "
                    f"{_n(size)} B × {share:g} hot",
                )
            else:
                put(
                    "cache_memory",
                    daily_reads * size * share,
                    f"{_n(daily_reads)} reads/day × {_n(size)} B × {share:g} hot",
                )
        storage = None
        if kept is not None:
            storage = kept * size
            put("storage", storage, f"{_n(kept)} objects kept × {_n(size)} B")
        elif writes is not None and retention is not None:
            objects = writes * retention
            storage = objects * size
            put(
                "storage",
                storage,
                f"{_n(writes)}/s × {_n(retention)} s retained = {_n(objects)} objects × "
                f"{_n(size)} B",
            )
        if storage is not None:
            put("storage_with_overhead", storage * overhead, f"{_n(storage)} B × {overhead:g}")
    return figures


def key_kind(key: str) -> str:
    field = RESULTS_BY_KEY.get(key) or ASSUMPTIONS_BY_KEY.get(key)
    return field.kind if field else "count"


def base_values(quantities: dict[str, Quantity]) -> dict[str, float]:
    return {key: q.value for key, q in quantities.items()}


def given_text(givens: JSON, key: str) -> str:
    """A given as the problem states it ("100M/day"), for messages."""
    given = (givens or {}).get(key)
    return str(given.get("value") if isinstance(given, dict) else given)


def givens_values(givens: JSON) -> dict[str, float]:
    """The problem's givens that name an assumption, in base units; unreadable ones are
    skipped (the problem-set import reports them)."""
    values: dict[str, float] = {}
    for key, given in (givens or {}).items():
        field = ASSUMPTIONS_BY_KEY.get(key)
        text = given.get("value") if isinstance(given, dict) else given
        if field is None or not isinstance(text, str | int | float):
            continue
        try:
            values[key] = _parse_value(field, str(text)).value
        except units.UnitError:
            continue
    return values


# The assumptions that state the load: writes (or users × writes per user), reads, ratio.
_RATE_KEYS = ("writes", "daily_active_users", "writes_per_user", "reads", "read_write_ratio")


def with_givens(assumptions: Mapping[str, float], givens: JSON) -> dict[str, float]:
    """The learner's assumptions with the problem's givens in their place: what the
    report's "from the givens" column is recomputed from.

    Writes (or users × writes per user), reads and the ratio are one fact stated from
    any two of them: when the givens settle two, the learner's figures for all three
    step aside, so the column follows the problem and not a rate of the learner's.
    """
    theirs = givens_values(givens)
    settled = [
        states_writes(theirs),
        "reads" in theirs,
        "read_write_ratio" in theirs,
    ].count(True)
    mine = dict(assumptions)
    if settled >= 2:
        for key in _RATE_KEYS:
            mine.pop(key, None)
    return {**mine, **theirs}


# -- Diagnosis ----------------------------------------------------------------------------------

# Factors by which a figure is typically off, with the slip that produces each. A ratio
# within 10% (on a log scale) of a factor is that slip; where two windows overlap (10 and
# 12 between 10.9 and 11) the nearer factor is named, and on a tie the earlier one.
_SLIPS: tuple[tuple[float, str], ...] = (
    (86_400, "a per-day figure used as per-second, or the reverse (86,400 seconds a day)"),
    (2_592_000, "a per-month figure used as per-second (2,592,000 seconds a month)"),
    (31_536_000, "a per-year figure used as per-second (31,536,000 seconds a year)"),
    (24, "hours mixed up with days: 3,600 seconds an hour instead of 86,400 a day"),
    (3_600, "a per-hour figure used as per-second (3,600 seconds an hour)"),
    (8, "bits mixed up with bytes (8 bits to a byte)"),
    (1_000_000, "a unit prefix off by two steps (mega for unit, or giga for kilo)"),
    (1_000, "a unit prefix off by one step (kilo, mega, giga, tera are 1,000 apart)"),
    (365, "a year multiplier (365 days) forgotten or applied twice"),
    (30, "a month multiplier (30 days) forgotten or applied twice"),
    (12, "a month-to-year multiplier (12) forgotten or applied twice"),
    (10, "a zero too many or too few (a factor of 10)"),
)
_CLOSE = math.log(1.10)
_BITS_SLIP = 8
# A factor this close to 1 is no slip anyone could tell from rounding.
_SMALLEST_SLIP = 1.5


@dataclass(frozen=True)
class Slip:
    """A named slip: the factor it puts a figure off by, and what it is."""

    factor: float
    text: str

    @property
    def verdict(self) -> Verdict:
        """The verdict on a figure off by this slip, the same whichever way it goes: the
        slip's own factor is judged, not the ratio seen (10.4x and 1/9.65 are one slip).
        A named slip is a mistake, so never ``ok``; one of an order of magnitude or more
        (a zero too many or too few, a unit prefix, a day's seconds) is an error."""
        return "error" if self.factor >= ERROR_RATIO else "warning"


def _storage_slips(assumptions: Mapping[str, float]) -> list[tuple[float, str]]:
    """The slips that only storage can make, from the answer's own figures."""
    candidates: list[tuple[float, str]] = []
    retention = assumptions.get("retention", 0)
    kept = assumptions.get("objects_kept")
    writes = rates(assumptions)[0]
    if kept is not None:
        if writes and retention and kept:
            objects = writes * retention
            candidates.append(
                (
                    objects / kept,
                    f"storage sized as every write kept for the whole retention ({_n(objects)} "
                    f"objects) rather than the {_n(kept)} objects kept at once, one per key, or "
                    "the reverse",
                )
            )
        return candidates  # retention does not size this storage
    retention_years = retention / units.SECONDS_PER_YEAR
    if retention_years >= 2:
        candidates.append(
            (retention_years, f"the retention period ({retention_years:g} years) left out")
        )
    if retention:
        months = retention / units.SECONDS_PER_MONTH
        candidates.append(
            (
                months,
                "one month's storage mixed up with the total over the retention "
                f"({format_value(retention, 'duration')} is {_factor(months)} months), or the "
                "reverse",
            )
        )
    return candidates


def slip(ratio: float, key: str, assumptions: Mapping[str, float]) -> Slip | None:
    """The likely slip behind a ratio between the learner's figure and ours, or None.

    The answer's own factors come first (the overhead, the peak factor, the retention in
    years, a month against the retention, every write against the objects kept), then
    the usual mechanical slips; of those whose window holds the ratio the nearest is
    named, and of two as near the first.
    """
    if not (0 < ratio < math.inf):
        return None
    candidates: list[tuple[float, str]] = []
    overhead = assumptions.get("overhead", 1.0)
    if key == "storage_with_overhead" and overhead >= 1.5:
        candidates.append((overhead, f"the overhead factor ({overhead:g}) left out"))
    peak = assumptions.get("peak_factor", 1.0)
    if key.startswith("peak") and peak >= 1.5:
        candidates.append((peak, f"the peak factor ({peak:g}) left out or applied twice"))
    if key.startswith("storage"):
        candidates += _storage_slips(assumptions)
    candidates += _SLIPS
    kind = key_kind(key)
    best: Slip | None = None
    best_distance = _CLOSE
    for factor, text in candidates:
        if not math.isfinite(factor) or factor <= 0:
            continue
        factor = max(factor, 1 / factor)
        if factor < _SMALLEST_SLIP:
            continue
        if factor == _BITS_SLIP and kind not in ("size", "bandwidth"):
            continue  # counts and rates have no bits or bytes to confuse
        distance = abs(abs(math.log(ratio)) - math.log(factor))
        if distance < best_distance:
            best, best_distance = Slip(factor, text), distance
    return best


def diagnose(ratio: float, key: str, assumptions: Mapping[str, float]) -> str:
    """The likely slip behind a ratio between the learner's figure and ours, or ""."""
    found = slip(ratio, key, assumptions)
    return found.text if found else ""


def forgot_peak(ratio: float, key: str, assumptions: dict[str, float]) -> bool:
    """A peak figure that equals the average: the peak factor was never applied."""
    peak = assumptions.get("peak_factor", 1.0)
    return key.startswith("peak") and peak >= 1.5 and abs(math.log(ratio) + math.log(peak)) < _CLOSE


def compare(learner: float, ours: float) -> tuple[float, Verdict]:
    """(ratio of learner to ours, verdict: ok, warning, error, or unchecked when either
    figure is not a finite number)."""
    if not (math.isfinite(learner) and math.isfinite(ours)):
        return math.nan, "unchecked"
    if ours == 0:
        return (1.0, "ok") if learner == 0 else (math.inf, "error")
    if learner <= 0:
        return 0.0, "error"
    ratio = learner / ours
    spread = max(ratio, 1 / ratio)
    if spread > ERROR_RATIO:
        return ratio, "error"
    if spread > WARNING_RATIO:
        return ratio, "warning"
    return ratio, "ok"


def headroom(figures: dict[str, float]) -> list[Headroom]:
    """Each resource's load against one machine's capacity, least headroom first."""
    loads = {
        "writes": figures.get("peak_writes_per_s"),
        "reads": figures.get("peak_reads_per_s"),
        "storage": figures.get("storage_with_overhead", figures.get("storage")),
        "bandwidth": max(
            (v for v in (figures.get("bandwidth_in"), figures.get("bandwidth_out")) if v),
            default=None,
        ),
        "memory": figures.get("cache_memory"),
    }
    rows: list[Headroom] = []
    for key, load in loads.items():
        if not load:
            continue
        capacity = CAPACITIES_BY_KEY[key]
        if units.finite(capacity.value / load) is None:
            continue  # a load too close to zero (or too large) to divide by
        rows.append(
            {
                "resource": key,
                "label": capacity.label,
                "kind": capacity.kind,
                "load": load,
                "capacity": capacity.value,
                "headroom": capacity.value / load,
            }
        )
    return sorted(rows, key=lambda row: row["headroom"])


def report(estimate: Estimate, givens: JSON) -> EstimateReport:
    """The estimate report: side by side, headroom and sensitivity. Pure and fast."""
    mine = base_values(estimate.assumptions)
    ours = recompute(mine)
    theirs = recompute(with_givens(mine, givens)) if givens_values(givens) else {}
    rows: list[ResultRow] = []
    for field in RESULTS:
        learner = estimate.results.get(field.key)
        figure = ours.get(field.key)
        row: ResultRow = {
            "key": field.key,
            "label": field.label,
            "kind": field.kind,
            "learner": learner.value if learner else None,
            "learner_text": estimate.raw_results.get(field.key, ""),
            "from_assumptions": figure.value if figure else None,
            "arithmetic": figure.arithmetic if figure else "",
            "from_givens": theirs[field.key].value if field.key in theirs else None,
            "ratio": None,
            "verdict": "missing" if learner is None else "unchecked",
            "slip": "",
        }
        if learner is not None and figure is not None:
            ratio, verdict = compare(learner.value, figure.value)
            row.update({"ratio": ratio if math.isfinite(ratio) else None, "verdict": verdict})
            if verdict == "ok" and forgot_peak(ratio, field.key, mine):
                # Within the 2x tolerance, but a 2x peak left out is exactly 2x.
                row.update({"verdict": "warning", "slip": "the peak factor left out"})
            elif verdict in ("warning", "error") and (found := slip(ratio, field.key, mine)):
                # A named slip is judged by its own factor, the same both ways.
                row.update({"verdict": found.verdict, "slip": found.text})
        rows.append(row)
    result: EstimateReport = {
        "results": rows,
        "headroom": headroom({k: f.value for k, f in ours.items()}),
        "constants": {
            "seconds_per_day": units.SECONDS_PER_DAY,
            "seconds_per_month": units.SECONDS_PER_MONTH,
            "seconds_per_year": units.SECONDS_PER_YEAR,
        },
    }
    return units.finite_tree(result)


def sensitivity(assumptions: dict[str, float]) -> list[Sensitivity]:
    """For each assumption: which results move when it is doubled or halved, and how much."""
    base = {k: f.value for k, f in recompute(assumptions, explain=False).items()}
    table: list[Sensitivity] = []
    for key in assumptions:
        moves: list[Move] = []
        for label, factor in (("doubled", 2.0), ("halved", 0.5)):
            changed = {
                k: f.value
                for k, f in recompute(
                    {**assumptions, key: assumptions[key] * factor}, explain=False
                ).items()
            }
            for result, value in changed.items():
                if base.get(result) and not math.isclose(value, base[result], rel_tol=1e-9):
                    moves.append(
                        {
                            "result": result,
                            "label": RESULTS_BY_KEY[result].label,
                            "when": label,
                            "factor": value / base[result],
                        }
                    )
        moves = [
            m
            for m in moves
            if m["factor"] > 0 and math.isfinite(m["factor"]) and math.isfinite(1 / m["factor"])
        ]
        if moves:
            largest = max(max(m["factor"], 1 / m["factor"]) for m in moves)
            table.append(
                {
                    "assumption": key,
                    "label": ASSUMPTIONS_BY_KEY[key].label,
                    "moves": moves,
                    "largest": largest,
                }
            )
    return sorted(table, key=lambda row: -row["largest"])


def computed(design: Design) -> FullReport:
    """The whole estimate report: side by side, headroom and sensitivity.

    Computed by a background task after each save, and in process by the grader.
    """
    report: FullReport = {
        **design.estimate_report,
        "sensitivity": sensitivity(base_values(design.estimate.assumptions)),
    }
    return units.finite_tree(report)


# -- Rules ----------------------------------------------------------------------------------


def _check_rows(design: Design) -> list[ResultRow]:
    return design.estimate_report["results"]


def _factor(value: float) -> str:
    if not math.isfinite(value):
        return units.TOO_LARGE
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def result_off(design: Design) -> Iterator[Hit]:
    """A result that does not follow from your own assumptions.

    Why it matters:
        Estimates exist to tell you which resource is under pressure; a figure off by an
        order of magnitude points the whole design at the wrong problem. Most slips are
        mechanical (hours for days, bits for bytes, a prefix, a forgotten multiplier), and
        each leaves a tell-tale factor.
    Triggers:
        100M writes a day written as 100,000 writes/s (dividing by 1,000 instead of
        86,400); storage of 7 TB for five years of 200-byte objects at 1,157/s.
    Better:
        Recompute the step the finding names: 100,000,000 / 86,400 ≈ 1,157 writes/s.
    """
    rows = _check_rows(design)
    roots = echoes(rows, derived_from(base_values(design.estimate.assumptions)))
    labels = {row["key"]: row["label"] for row in rows}
    for row in rows:
        # A warning or an error compares two figures, so ours is never None here.
        if row["verdict"] not in ("warning", "error") or row["from_assumptions"] is None:
            continue
        root = roots.get(row["key"])
        if root is not None:
            # One slip, counted once: this figure is off only because it was worked out
            # from an earlier one that is.
            yield Hit(
                field=f"results.{row['key']}",
                message=f"{row['label']} ({row['learner_text']}) follows from your "
                f"{labels[root].lower()}, so it is off by the same factor; the slip is "
                "counted once, there.",
                severity=Severity.INFO,
            )
            continue
        followers = [labels[k] for k, r in roots.items() if r == row["key"]]
        ratio = row["ratio"]
        ours = format_value(row["from_assumptions"], row["kind"])
        if not ratio:
            how = f"is zero or infinite, but your assumptions give {ours}"
        elif ratio >= 1:
            how = f"is {_factor(ratio)}x what your assumptions give ({ours})"
        else:
            how = f"is 1/{_factor(1 / ratio)} of what your assumptions give ({ours})"
        slip = f" Likely slip: {row['slip']}." if row["slip"] else ""
        if followers:
            slip += (
                f" {len(followers)} result{'s' if len(followers) > 1 else ''} worked out from "
                f"it {'are' if len(followers) > 1 else 'is'} off by the same factor: "
                f"{', '.join(f.lower() for f in followers)}."
            )
        unstated = _unstated(design, row["key"])
        # Only a guess about what a read returns stands between the two figures, and no
        # slip explains the gap: a note, not a verdict (a feed page is not one post).
        note = bool(unstated) and "one object" in unstated and not row["slip"]
        yield Hit(
            assumes=unstated,
            field=f"results.{row['key']}",
            message=f"{row['label']} ({row['learner_text']}) {how}.{slip}",
            arithmetic=row["arithmetic"],
            hint="Redo this one step from your assumptions, writing the units at each step.",
            fix=f"From your assumptions: {row['arithmetic']}.",
            severity=Severity.INFO
            if note
            else Severity.ERROR
            if row["verdict"] == "error"
            else Severity.WARNING,
        )


# Which results a learner usually works out from which: the peak from the average, reads
# from writes, bandwidth from the peaks, and so on (:func:`derived_from` adjusts it to an
# answer that states reads, or the objects kept).
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "peak_writes_per_s": ("writes_per_s",),
    "reads_per_s": ("writes_per_s",),
    "peak_reads_per_s": ("reads_per_s", "peak_writes_per_s"),
    "storage": ("writes_per_s",),
    "storage_with_overhead": ("storage",),
    "bandwidth_in": ("peak_writes_per_s",),
    "bandwidth_out": ("peak_reads_per_s",),
    "cache_memory": ("reads_per_s",),
}
# How close two ratios must be for one figure to be an echo of the other's slip.
_SAME_FACTOR = math.log(1.1)


def derived_from(assumptions: Mapping[str, float]) -> dict[str, tuple[str, ...]]:
    """:data:`DERIVED_FROM` for an answer with these assumptions (base values): stated
    reads come from no other result (and writes from them, when no write rate is
    stated); storage from the objects kept comes from no rate, and a cache bounded by
    those objects from storage."""
    derived = dict(DERIVED_FROM)
    reads = rates(assumptions)[2]
    if "reads" in assumptions:
        derived["reads_per_s"] = ()
        derived["peak_reads_per_s"] = ("reads_per_s",)
        if not states_writes(assumptions):
            derived["writes_per_s"] = ("reads_per_s",)
    kept = assumptions.get("objects_kept")
    if kept is not None:
        derived["storage"] = ()
        if reads is not None and kept < reads * units.SECONDS_PER_DAY:
            derived["cache_memory"] = ("storage",)
    return derived


def echoes(
    rows: Sequence[ResultRow], derived: Mapping[str, tuple[str, ...]] = DERIVED_FROM
) -> dict[str, str]:
    """Each off result that only repeats the slip of one it is worked out from, mapped to
    the result where that slip was made (its root cause).

    A result is an echo when none of the results it is worked out from (``derived``,
    :data:`DERIVED_FROM` by default) is right and one of them, or one further back, is
    off by the same factor: the learner's later arithmetic was right, on a wrong input.
    """
    off = {
        row["key"]: row["ratio"]
        for row in rows
        if row["verdict"] in ("warning", "error") and row["ratio"] and 0 < row["ratio"] < math.inf
    }
    checked = {row["key"] for row in rows if row["verdict"] in ("ok", "warning", "error")}
    roots: dict[str, str] = {}
    order = list(RESULTS_BY_KEY)
    # Inputs first, so an input is settled before what uses it (stated reads come before
    # the writes derived from them).
    for key in sorted(order, key=lambda k: (len(_ancestors(k, derived)), order.index(k))):
        parents = [p for p in derived.get(key, ()) if p in checked]
        # A right input beside a wrong result means a slip of its own.
        if key not in off or not parents or any(p not in off for p in parents):
            continue
        same = [
            a
            for a in _ancestors(key, derived)
            if a in off and abs(math.log(off[key] / off[a])) <= _SAME_FACTOR
        ]
        if same:
            first = min(same, key=lambda a: (len(_ancestors(a, derived)), order.index(a)))
            roots[key] = roots.get(first, first)
    return roots


def _declares_no_cache(design: Design) -> bool:
    """Whether phase 5 is answered and declares no cache."""
    if not design.has(5):
        return False
    try:
        components = design.architecture.components
    except AnswerShapeError:
        return False
    return bool(components) and not any(c.type == "cache" for c in components)


def _ancestors(key: str, derived: Mapping[str, tuple[str, ...]] = DERIVED_FROM) -> set[str]:
    found: set[str] = set()
    todo = list(derived.get(key, ()))
    while todo:
        parent = todo.pop()
        if parent not in found:
            found.add(parent)
            todo.extend(derived.get(parent, ()))
    return found


def _unstated(design: Design, key: str) -> str:
    """What the recomputation of one result takes for granted that the learner did not
    state, or "": bandwidth out and the cache assume each read returns one stored object,
    and the cache a hot set of 20% of a day's reads unless a share is given."""
    assumptions = design.estimate.assumptions
    parts = []
    if key in ("bandwidth_out", "cache_memory") and "object_size" in assumptions:
        parts.append(
            f"each read returning one object of {assumptions['object_size'].text} (the "
            "tutor's assumption: a read that returns a page of items, or a summary, is larger "
            "or smaller; say so among your other assumptions)"
        )
    if key == "cache_memory" and "cache_fraction" not in assumptions:
        parts.append(
            f"a hot set of {DEFAULT_CACHE_FRACTION:.0%} of a day's reads (the tutor's rule of "
            'thumb; state your own under "Hot set cached")'
        )
    return " and ".join(parts)


def results_agree(design: Design) -> Iterator[Hit]:
    """Every result you gave follows from your assumptions (within back-of-envelope tolerance).

    Why it matters:
        Agreement within a factor of two is all an estimate needs: the point is the order
        of magnitude, not the third digit.
    Triggers:
        Shown as a pass when all the results you filled in agree.
    Better:
        Nothing to change.
    """
    rows = [r for r in _check_rows(design) if r["verdict"] != "missing"]
    if rows and all(r["verdict"] == "ok" for r in rows):
        yield Hit(
            field="results",
            message=f"All {len(rows)} results agree with your assumptions within 2x.",
            severity=Severity.PASS,
        )


def contradicts_givens(design: Design) -> Iterator[Hit]:
    """An assumption that contradicts a number the problem gives.

    Why it matters:
        The givens are the problem. An estimate built on a different write rate or object
        size answers a different question, however careful its arithmetic.
    Triggers:
        The problem says 100M new links a day; the assumption says 10M/day. Or a rate
        left to follow from the others disagrees with the given one: reads of 10B/day
        and a 10:1 ratio make 1B writes a day where the problem gives 100M.
    Better:
        Use the given figure, and state your own assumptions only where the problem is
        silent.
    """
    givens = givens_values(design.problem.givens)
    for key, given in givens.items():
        quantity = design.estimate.assumptions.get(key)
        field = ASSUMPTIONS_BY_KEY[key]
        stated = given_text(design.problem.givens, key)
        if quantity is None:
            derived = _derived_rate(design.estimate.assumptions, key)
            if derived is not None:
                value, source = derived
                if given and not (1 / GIVEN_TOLERANCE <= value / given <= GIVEN_TOLERANCE):
                    yield Hit(
                        field=f"assumptions.{key}",
                        message=f"Your {source} give {_rate_or_ratio(value, field.kind)} for "
                        f"{field.label.lower()}, but the problem gives {stated}.",
                        arithmetic=f"{_rate_or_ratio(value, field.kind)} vs "
                        f"{_rate_or_ratio(given, field.kind)}: {_times(value / given)}",
                        hint="Compare the figures your rates rest on with the problem statement.",
                        fix=f"Use the given {stated}, and derive the other rates from it.",
                    )
                continue
            if key != "writes" or "daily_active_users" not in design.estimate.assumptions:
                yield Hit(
                    field=f"assumptions.{key}",
                    message=f"{field.label} is given by the problem ({stated}) but missing "
                    "from your assumptions.",
                    hint="Which numbers does the problem statement hand you?",
                    fix=f"Write it in as {stated}.",
                    severity=Severity.WARNING,
                )
            continue
        if given and not (1 / GIVEN_TOLERANCE <= quantity.value / given <= GIVEN_TOLERANCE):
            yield Hit(
                field=f"assumptions.{key}",
                message=f"{field.label} is {quantity.text}, but the problem gives {stated}.",
                arithmetic=f"{format_value(quantity.value, field.kind)} vs "
                f"{format_value(given, field.kind)}: {_times(quantity.value / given)}",
                hint="Compare this assumption with the problem statement.",
                fix=f"Use the given {stated}.",
            )


def _derived_rate(assumptions: Mapping[str, Quantity], key: str) -> tuple[float, str] | None:
    """A rate the learner did not state but whose value their other rates fix: writes
    from reads ÷ ratio, reads from writes × ratio, the ratio from reads ÷ writes; with the
    figures it came from. None otherwise (and for writes from users × writes per user,
    which EST-002 has always left alone)."""
    values = base_values(dict(assumptions))
    writes = stated_writes(values)[0]
    reads, ratio = values.get("reads"), values.get("read_write_ratio")
    if key == "writes" and "daily_active_users" not in values and reads is not None and ratio:
        return reads / ratio, "reads and read:write ratio"
    if key == "reads" and writes is not None and ratio is not None:
        return writes * ratio, "writes and read:write ratio"
    if key == "read_write_ratio" and writes and reads is not None:
        return reads / writes, "reads and writes"
    return None


def _rate_or_ratio(value: float, kind: str) -> str:
    if kind != "ratio":
        return format_value(value, kind)
    if value >= 1 or value <= 0:
        return f"{value:.3g}:1"
    return f"1:{1 / value:.3g}"


def cores_do_not_follow(design: Design) -> Iterator[Hit]:
    """Cores said to carry a load that the CPU time per item and the rate do not give.

    Why it matters:
        Work arriving at a steady rate keeps rate × time-per-item workers busy at once
        (Little's law): 17.4 videos a second at 48 CPU-minutes each is 17.4 × 2,880 s ≈
        50,000 cores, all busy, all the time. Taking CPU-minutes a second for cores, or
        dropping a factor of 60, sizes the fleet tens of times too small, and every later
        phase plans machines, queues and cost for the wrong fleet.
    Triggers:
        An extra assumption that states a CPU time per item ("48 CPU-minutes a video"),
        then a rate a second, then a number of cores, where the cores are more than twice
        or less than half of rate × CPU time.
    Better:
        "48 CPU-minutes a video × 17.4 videos/s = 2,880 s × 17.4 ≈ 50,000 cores busy."
    """
    for index, (name, value) in enumerate(design.estimate.extra):
        sizing = units.compute_sizing(value)
        if sizing is None:
            continue
        busy = sizing.rate * sizing.cpu_seconds
        ratio, verdict = compare(sizing.cores, busy)
        if verdict in ("ok", "unchecked"):
            continue
        yield Hit(
            field=f"extra_assumptions[{index}].value",
            message=f"{name or 'This assumption'}: {sizing.rate:,.4g} items a second at "
            f"{sizing.cpu_text} each keep about {busy:,.0f} cores busy; {sizing.cores_text} "
            f"is {max(ratio, 1 / ratio):,.0f} times {'too few' if ratio < 1 else 'too many'}.",
            arithmetic=f"{sizing.rate:,.4g}/s × {sizing.cpu_seconds:,.6g} CPU-seconds = "
            f"{busy:,.0f} cores busy at once",
            hint="How many items are being worked on at any moment, if each takes that "
            "long and that many arrive every second?",
            fix="Multiply the rate a second by the CPU time of one item in seconds: that is "
            "how many cores are busy at once; add headroom for the peak.",
        )


def rates_disagree(design: Design) -> Iterator[Hit]:
    """Your write rate, read rate and read:write ratio, all three stated, do not agree.

    Why it matters:
        The three are one fact said three ways: reads = writes × ratio. When they
        disagree, the figures built on reads (bandwidth out, the cache) and those built on
        writes (storage, bandwidth in) describe two different systems, and one of the
        three is wrong.
    Triggers:
        1,157 writes/s and a 10:1 ratio beside 500,000 reads/s, which is 432 reads per
        write; or a 1:4 ratio beside reads that are four times the writes (the ratio
        turned round).
    Better:
        State two of them and let the third follow, or correct the one that is off:
        1,157 writes/s × 10 = 11,574 reads/s.
    """
    a = design.estimate.assumptions
    values = base_values(dict(a))
    writes = stated_writes(values)[0]
    reads, ratio = a.get("reads"), a.get("read_write_ratio")
    if writes is None or reads is None or ratio is None:
        return
    expected = writes * ratio.value
    found, verdict = compare(reads.value, expected)
    if verdict in ("ok", "unchecked"):
        return
    implied = reads.value / writes if writes else math.inf
    named = ""
    if 0 < found < math.inf:
        if ratio.value > 0 and ratio.value != 1 and abs(math.log(implied * ratio.value)) < _CLOSE:
            named = (
                f"the ratio turned round: your rates give {_rate_or_ratio(implied, 'ratio')}, "
                f"the other way round from {ratio.text}"
            )
            verdict = Slip(max(ratio.value**2, ratio.value**-2), named).verdict
        elif (found_slip := slip(found, "reads_per_s", values)) is not None:
            named, verdict = found_slip.text, found_slip.verdict
    writes_text = a["writes"].text if "writes" in a else format_value(writes, "rate")
    yield Hit(
        field="assumptions.reads",
        message=f"Your reads ({reads.text}) are {_times(found)} what your writes "
        f"({writes_text}) × your read:write ratio ({ratio.text}) give "
        f"({format_value(expected, 'rate')})." + (f" Likely slip: {named}." if named else ""),
        arithmetic=f"{format_value(writes, 'rate')} × {ratio.value:g} = "
        f"{format_value(expected, 'rate')} vs {format_value(reads.value, 'rate')}: "
        f"{_rate_or_ratio(implied, 'ratio')} implied",
        hint="Reads = writes × reads per write: which of the three figures is off?",
        fix="Correct the figure that is off, or leave one of the three empty and let it "
        "follow from the other two.",
        severity=Severity.ERROR if verdict == "error" else Severity.WARNING,
    )


def no_peak_factor(design: Design) -> Iterator[Hit]:
    """No peak factor: the design is sized for the average.

    Why it matters:
        Traffic is not flat. Daily and weekly cycles, launches and news put the busiest
        hour at two or more times the average, and a system sized for the average falls
        over at exactly the moment it matters.
    Triggers:
        Peak factor left empty or 1x, or peak writes equal to average writes.
    Better:
        A peak factor of 2x-3x for ordinary consumer traffic, more for spiky workloads,
        applied to reads and writes.
    """
    peak = design.estimate.assumptions.get("peak_factor")
    if peak is None or peak.value <= 1:
        yield Hit(
            field="assumptions.peak_factor",
            message="No peak factor: every figure describes an average day's flat rate.",
            hint="How much busier is the busiest hour than the average one?",
            fix="Add a peak factor such as 2x and size peak reads and writes with it.",
        )
        return
    results = design.estimate.results
    for average, peak_key in (
        ("writes_per_s", "peak_writes_per_s"),
        ("reads_per_s", "peak_reads_per_s"),
    ):
        if _same(results.get(average), results.get(peak_key)):
            yield Hit(
                field=f"results.{peak_key}",
                message=f"{RESULTS_BY_KEY[peak_key].label} equal the average although your "
                f"peak factor is {peak.text}.",
                hint="What does the peak factor multiply?",
                fix=f"Multiply the average by {peak.text}.",
            )


def storage_without_overhead(design: Design) -> Iterator[Hit]:
    """Storage counted as raw objects only, with no overhead for indexes and replicas.

    Why it matters:
        Indexes, replicas, backups and free space easily double or triple the raw size;
        the raw figure is the floor, not the disk you buy.
    Triggers:
        Overhead left empty or 1x; or storage with overhead equal to raw storage.
    Better:
        Overhead 3x (indexes plus two replicas), so 36 TB raw becomes about 110 TB.
    """
    overhead = design.estimate.assumptions.get("overhead")
    if overhead is None or overhead.value <= 1:
        yield Hit(
            field="assumptions.overhead",
            message="Storage has no overhead for indexes, replicas or backups.",
            hint="How many copies of each object exist, and what do indexes add?",
            fix="Add an overhead factor such as 3x and compute storage with it.",
        )
        return
    results = design.estimate.results
    if _same(results.get("storage"), results.get("storage_with_overhead")):
        yield Hit(
            field="results.storage_with_overhead",
            message=f"Storage with overhead equals the raw storage although your overhead is "
            f"{overhead.text}.",
            hint="What does the overhead factor multiply?",
            fix=f"Multiply the raw storage by {overhead.text}.",
        )


def _times(value: float) -> str:
    return f"{value:.3g}x" if math.isfinite(value) else units.TOO_LARGE


def _same(a: Quantity | None, b: Quantity | None) -> bool:
    """Two of the learner's figures that are the same number (within 1%)."""
    return bool(a and b and a.value > 0 and math.isclose(a.value, b.value, rel_tol=0.01))


def missing_basics(design: Design) -> Iterator[Hit]:
    """An assumption every estimate needs is missing: a load (a write rate, users and
    writes per user, or a read rate), the size of one object, and what sizes storage (the
    retention period, or the objects kept at once).

    Why it matters:
        Without them no rate, storage or bandwidth can be derived, and the results are
        guesses rather than estimates.
    Triggers:
        Results filled in with no object size among the assumptions; a read rate for a
        lookup service with neither a write rate nor the number of objects kept, so its
        storage rests on nothing.
    Better:
        State each one with its unit: 100M/day (or 50k reads/s), 200 B, 5 years (or 1M
        objects kept, one per key).
    """
    a = design.estimate.assumptions
    givens = givens_values(design.problem.givens)
    reads_only = read_only(design)
    needed = [
        # contradicts_givens speaks about givens
        ("writes", states_writes(a) or "reads" in a, states_writes(givens) or "reads" in givens),
        ("object_size", "object_size" in a, "object_size" in givens),
        (
            "objects_kept" if reads_only else "retention",
            "retention" in a or "objects_kept" in a,
            "retention" in givens or "objects_kept" in givens,
        ),
    ]
    for key, present, given in needed:
        if present or given:
            continue
        field = ASSUMPTIONS_BY_KEY[key]
        yield Hit(
            field=f"assumptions.{key}",
            message=f"{field.label} is missing, so the results that depend on it cannot "
            "be checked.",
            hint="What would you need to know to compute storage and bandwidth?",
            fix=f"State it with its unit, for example {field.example}"
            f"{_BASIC_ALTERNATIVES.get(key, '')}.",
        )


# What a missing basic may be replaced with, for its fix.
_BASIC_ALTERNATIVES = {
    "writes": " (or, when the load is reads, the read rate under Reads)",
    "retention": " (or, when each key keeps one value, the objects kept at once)",
    "objects_kept": " (or a write rate and a retention)",
}


def read_only(design: Design) -> bool:
    """Whether the load is stated as reads alone, by the learner or by the problem: a
    read rate, and no write rate given or derivable (reads ÷ ratio)."""
    values = {**givens_values(design.problem.givens), **base_values(design.estimate.assumptions)}
    return "reads" in values and rates(values)[0] is None


# The results that only a write rate gives: a read-only estimate is not asked for them.
_WRITE_RESULTS = ("writes_per_s", "peak_writes_per_s", "bandwidth_in")


def missing_results(design: Design) -> Iterator[Hit]:
    """A result left empty.

    Why it matters:
        Each result is a question about one resource: throughput, storage, network or
        memory. One left out is a resource whose pressure you do not know.
    Triggers:
        Bandwidth out left empty. (A read-only estimate, a read rate with no write rate
        stated or given, is not asked for writes, peak writes or bandwidth in.)
    Better:
        Fill every result, even when it turns out to be small; "4 MB/s, trivial" is a
        finding too.
    """
    cacheless = _declares_no_cache(design)
    reads_only = read_only(design)
    for field in RESULTS:
        if field.key == "cache_memory" and cacheless:
            continue  # phase 5 has no cache to size
        if reads_only and field.key in _WRITE_RESULTS:
            continue  # reads only: no write rate to work these out from
        if not design.estimate.raw_results.get(field.key):
            yield Hit(
                field=f"results.{field.key}",
                message=f"{field.label} is not estimated.",
                hint="Which assumptions does this result follow from?",
                fix=f"Compute it and write it with its unit, for example {field.example}.",
            )


# A resource named as the pressure point that is itself beyond one machine, within this
# factor of the tightest one's headroom, is a fair call (a note names the tighter one).
CLOSE_PRESSURE = 10


def wrong_pressure_point(design: Design) -> Iterator[Hit]:
    """The resource named as under pressure is not the one with the least headroom.

    Why it matters:
        The conclusion is what the estimates are for: it tells the later phases where to
        spend complexity. Naming the wrong resource sends sharding, caching or queues to
        the part that did not need them.
    Triggers:
        Naming write throughput for a URL shortener whose 110 TB of storage is ten times
        what one server holds, while 2,300 writes/s fit one primary. When the resource
        named is beyond one machine too and within ten times the tightest's headroom (a
        real pressure point), only a note that another runs out sooner.
    Better:
        Compare each peak figure with one machine's capacity (reference numbers) and name
        the smallest ratio.
    """
    rows = design.estimate_report["headroom"]
    if "cache_fraction" not in design.estimate.assumptions:
        # Memory's load is the cache from the tutor's default hot share: a figure the
        # learner never gave cannot decide their conclusion.
        rows = [r for r in rows if r["resource"] != "memory"]
    if not rows:
        return
    named = design.estimate.pressure
    least = rows[0]
    table = "; ".join(
        f"{r['resource']}: {format_value(r['capacity'], r['kind'])} / "
        f"{format_value(r['load'], r['kind'])} = {r['headroom']:.3g}x"
        for r in rows
    )
    if not named:
        yield Hit(
            field="conclusion.pressure",
            message="The conclusion does not name the resource under pressure.",
            arithmetic=table,
            hint="Divide each resource's capacity by its load: which ratio is smallest?",
            fix=f"Name {least['resource']}, and say what it implies for the design.",
        )
        return
    mine = next((r for r in rows if r["resource"] == named), None)
    # Within 1.5x of the tightest counts as a fair call between close contenders.
    if mine is None or mine["headroom"] > least["headroom"] * 1.5:
        if (
            mine is not None
            and mine["headroom"] < 1
            and mine["headroom"] <= least["headroom"] * CLOSE_PRESSURE
        ):
            # What they name is beyond one machine too, within an order of magnitude of
            # the tightest: a real pressure point, so a note that another runs out
            # sooner, not a verdict that theirs is wrong.
            theirs = LAYOUT.label("conclusion.pressure", named)
            tighter = LAYOUT.label("conclusion.pressure", least["resource"])
            yield Hit(
                severity=Severity.INFO,
                field="conclusion.pressure",
                message=f"{theirs.capitalize()} is beyond one machine ({mine['headroom']:.3g}x "
                f"of its capacity), and {tighter} further still ({least['headroom']:.3g}x): "
                f"both shape the design, {tighter} first.",
                arithmetic=table,
                hint="Which of the two does the design have to answer first?",
                fix=f"Name {least['resource']} too, and what it forces on the design.",
            )
            return
        yield Hit(
            margin=mine["headroom"] / least["headroom"] / 1.5
            if mine is not None and least["headroom"]
            else None,
            assumes="one machine's capacity for each resource, the tutor's reference figures "
            "(the reference page lists them)",
            field="conclusion.pressure",
            message=f"You name {named} as the pressure point, but {least['resource']} has the "
            f"least headroom ({least['headroom']:.3g}x of one machine's capacity).",
            arithmetic=table,
            hint="Divide each resource's capacity by its load: which ratio is smallest?",
            fix=f"Name {least['resource']} and say what it forces on the design.",
        )


def no_implication(design: Design) -> Iterator[Hit]:
    """A pressure point named without what it implies for the design.

    Why it matters:
        "Storage is the constraint" is half a conclusion; the other half is what it
        forces: sharding or tiering storage, caching reads, batching writes.
    Triggers:
        Pressure point chosen, implication left empty.
    Better:
        "Storage: 110 TB cannot live on one server and grows daily, so plan partitioned
        or tiered storage; writes stay on one primary."
    """
    if design.estimate.pressure and not design.estimate.implication:
        yield Hit(
            field="conclusion.implication",
            message="You name the pressure point but not what it implies for the design.",
            hint="What does this pressure force you to build, or allow you to skip?",
            fix="Add one or two sentences: what the design must do about it.",
        )


def implied(assumptions: Mapping[str, Quantity]) -> list[tuple[str, str]]:
    """The rate an answer that states reads leaves to follow from the others, as the
    recomputation takes it: the ratio implied by both rates, or writes from reads ÷
    ratio. Empty for an answer stated from writes and a ratio (reads × ratio is a result)."""
    if "reads" not in assumptions:
        return []
    writes, _, reads, _ = rates(base_values(dict(assumptions)))
    if states_writes(assumptions):
        if "read_write_ratio" in assumptions or not writes or reads is None:
            return []
        return [
            (
                "Read:write ratio (implied by your two rates)",
                _rate_or_ratio(reads / writes, "ratio"),
            )
        ]
    if writes is None:
        return [("Writes", "none stated: a read-only load")]
    return [("Writes (your reads ÷ ratio)", format_value(writes, "rate"))]


def export_section(design: Design) -> list[str]:
    """Phase 2's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    est = design.estimate
    out = ["### Assumptions", ""]
    rows = [
        [cell(f.label), cell(est.assumptions[f.key].text)]
        for f in ASSUMPTIONS
        if f.key in est.assumptions
    ]
    rows += [[cell(label), cell(value)] for label, value in implied(est.assumptions)]
    rows += [[cell(name), cell(value)] for name, value in est.extra]
    out.append(table(["Assumption", "Value"], rows, empty="_None stated._"))
    out += ["", "### Results, recomputed", ""]
    report: EstimateReport | NoReport
    try:
        report = design.estimate_report
    except Exception:  # noqa: BLE001
        report = NoReport()
    result_rows = []
    for row in report.get("results") or []:
        result_rows.append(
            [
                cell(row["label"]),
                cell(row.get("learner_text")),
                figure(row.get("from_assumptions"), row["kind"]),
                figure(row.get("from_givens"), row["kind"]),
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
    out.append(
        field_line(
            "Resource under most pressure", LAYOUT.label("conclusion.pressure", est.pressure)
        )
    )
    out.append(field_line("What it forces on the design", est.implication))
    return out


UNIT = PhaseUnit(
    number=2,
    slug="estimation",
    title="Scale estimation",
    goal="Turn the targets into rates, storage and bandwidth, so you know which resource "
    "is under pressure before you choose any component.",
    questions=(
        "How many writes and reads a second, on average and at peak?",
        "How big is one object, and how long is it kept?",
        "How much storage over the retention period, with indexes and replicas?",
        "How much bandwidth comes in and goes out?",
        "How much memory would the hot set need in a cache?",
        "Which resource runs out first, and what does that force on the design?",
    ),
    rule_prefix="EST",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    background=True,
    export=export_section,
)
