"""Phase 1, requirements: what the system must do, and how well.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "functional": [{"text": "A visitor can open a short link", "path": "read"}],
      "clarifications": {"region": "global", "ordering": "not_applicable",
                         "left_out": ["search"], "notes": ""},
      "read_write_ratio": "10:1",
      "scale": {"users": "...", "requests": "...", "data_growth": "..."},
      "latency": [{"operation": "redirect", "percentile": "p99", "target": "100",
                   "unit": "ms"}],
      "availability": "99.9%",
      "consistency": [{"data": "links", "model": "eventual", "staleness": "5 s"}],
      "durability": [{"data": "links", "cost_of_loss": "high", "notes": ""}],
      "throughput": "..."
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypedDict

from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Evidence, Hit, Severity
from phases.engine.unit import (
    Expectation,
    Layout,
    PhaseUnit,
    Problems,
    Rows,
    choice_field,
    is_text_list,
    longtext_field,
    multichoice_field,
    text_field,
)
from phases.reading import units
from phases.reading.text import has_figure, match_strength, stem, stems, words
from phases.rendering.markdown import cell, field_line, table

if TYPE_CHECKING:
    from phases.engine.design import Design

SCHEMA_VERSION = 1

PATHS = ("read", "write", "both")
REGIONS = ("global", "single_region")
ORDERINGS = ("chronological", "ranked", "not_applicable")
LEFT_OUT = ("analytics", "search", "notifications")
PERCENTILES = ("p50", "p90", "p95", "p99", "p99.9")
CONSISTENCY_MODELS = ("strong", "read_your_writes", "eventual")
LOSS_COSTS = ("catastrophic", "high", "moderate", "low")
SCALE_FIELDS = ("users", "requests", "data_growth")

# Reference latencies (milliseconds) the network imposes; see the reference page.
SAME_DATACENTER_RTT_MS = 0.5
CROSS_REGION_RTT_MS = 100.0
HIGH_AVAILABILITY = 99.99
# Percentiles that include the users farthest from the servers.
TAIL = ("p95", "p99", "p99.9")
# An operation inside the datacenter (a cache or database read, a call between
# services) is not a user's round trip, and a target served from the edge or from each
# region has its plan for distance: neither is held to the cross-region floor.
_NEAR_OPERATION = re.compile(
    r"\b(cache|caches|cached|redis|memcached|database|db|replica|replicas|queue|internal|"
    r"rpc|service[- ]to[- ]service|between services|edge|cdn|regional|per region|"
    r"in[- ]region|nearest region|each region|same region)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FunctionalRequirement:
    field: str
    text: str
    path: str


@dataclass(frozen=True)
class LatencyTarget:
    field: str
    operation: str
    percentile: str
    target: str
    unit: str
    value: float | None  # in ``unit``; None when the target has no figure

    @property
    def milliseconds(self) -> float | None:
        if self.value is None or not self.unit:
            return None
        return units.to_milliseconds(self.value, self.unit)

    @property
    def label(self) -> str:
        return self.operation or "(unnamed operation)"


@dataclass(frozen=True)
class ConsistencyTarget:
    field: str
    data: str
    model: str
    staleness: str


@dataclass(frozen=True)
class DurabilityTarget:
    field: str
    data: str
    cost_of_loss: str
    notes: str


@dataclass(frozen=True)
class Requirements:
    functional: tuple[FunctionalRequirement, ...]
    region: str
    ordering: str
    left_out: tuple[str, ...]
    notes: str
    read_write_ratio: str
    reads_per_write: float | None
    scale: dict[str, str]
    latency: tuple[LatencyTarget, ...]
    availability: str
    availability_percent: float | None
    consistency: tuple[ConsistencyTarget, ...]
    durability: tuple[DurabilityTarget, ...]
    throughput: str

    @property
    def is_empty(self) -> bool:
        return not (
            self.functional
            or self.latency
            or self.availability
            or self.read_write_ratio
            or any(self.scale.values())
        )


def empty() -> JSON:
    return {
        "version": SCHEMA_VERSION,
        "functional": [],
        "clarifications": {"region": "", "ordering": "", "left_out": [], "notes": ""},
        "read_write_ratio": "",
        "scale": dict.fromkeys(SCALE_FIELDS, ""),
        "latency": [],
        "availability": "",
        "consistency": [],
        "durability": [],
        "throughput": "",
    }


# The form: what each key of the document is called on the page.
LAYOUT = Layout(
    fields=(
        choice_field(
            "clarifications.region",
            "Users are",
            REGIONS,
            {"global": "around the world", "single_region": "in one region"},
        ),
        choice_field(
            "clarifications.ordering",
            "Lists are",
            ORDERINGS,
            {"not_applicable": "not applicable (no lists)"},
        ),
        multichoice_field("clarifications.left_out", "Left out on purpose", LEFT_OUT),
        longtext_field("clarifications.notes", "Other clarifications"),
        text_field(
            "read_write_ratio",
            "Read:write ratio",
            placeholder="N:1",
            help_text="Reads for every write, e.g. 4:1.",
        ),
        text_field("scale.users", "Users", placeholder="e.g. 4.2M members"),
        text_field(
            "scale.requests",
            "Requests",
            placeholder="e.g. N loans a day",
        ),
        text_field("scale.data_growth", "Data growth", placeholder="a size a day, e.g. N GB a day"),
        text_field(
            "availability",
            "Availability",
            placeholder="a percentage, or N nines",
            help_text="A percentage, or a number of nines.",
        ),
        text_field("throughput", "Throughput", placeholder="e.g. N loans/s at peak"),
    ),
    lists=(
        Rows(
            "functional",
            (
                text_field(
                    "text",
                    "Requirement",
                    placeholder="e.g. A member can reserve a book",
                ),
                choice_field("path", "Path", PATHS, {"both": "read and write"}),
            ),
        ),
        Rows(
            "latency",
            (
                text_field("operation", "Operation", placeholder="e.g. reserve a book"),
                choice_field("percentile", "Percentile", PERCENTILES),
                text_field("target", "Target", placeholder="a number"),
                choice_field("unit", "Unit", ("us", "ms", "s"), {"us": "µs"}),
            ),
        ),
        Rows(
            "consistency",
            (
                text_field("data", "Data", placeholder="e.g. copies on the shelf"),
                choice_field(
                    "model",
                    "Model",
                    CONSISTENCY_MODELS,
                    {"read_your_writes": "read your writes"},
                ),
                text_field("staleness", "Staleness bound", placeholder="e.g. within N s"),
            ),
        ),
        Rows(
            "durability",
            (
                text_field("data", "Data", placeholder="e.g. loan records"),
                choice_field("cost_of_loss", "Cost of loss", LOSS_COSTS),
                text_field(
                    "notes",
                    "Notes",
                    placeholder="e.g. fines for returned books",
                ),
            ),
        ),
    ),
)


def _in_unit(value: float, unit: str, text: str) -> float:
    """A target typed without its unit, in the unit chosen beside it: within the limits."""
    return units.check_magnitude(units.to_milliseconds(value, unit), "latency", f"{text} {unit}")


def parse(data: JSON) -> Requirements:
    """Read a phase 1 document, raising AnswerShapeError listing every malformed field."""
    r = Reader(data)
    d = r.data
    functional = tuple(
        FunctionalRequirement(
            field=path,
            text=r.text(row, "text", f"{path}.text"),
            path=r.text(row, "path", f"{path}.path", choices=PATHS),
        )
        for path, row in r.rows(d, "functional", "functional")
    )
    clar = r.object(d, "clarifications", "clarifications")
    ratio = r.text(d, "read_write_ratio", "read_write_ratio")
    scale_obj = r.object(d, "scale", "scale")
    availability = r.text(d, "availability", "availability")

    latency = []
    for path, row in r.rows(d, "latency", "latency"):
        target = r.text(row, "target", f"{path}.target")
        unit = r.text(row, "unit", f"{path}.unit")
        value, typed_unit = r.parsed(f"{path}.target", units.parse_latency, target) or (None, None)
        if unit:
            normalised = units.normalise_time_unit(unit)
            if normalised is None:
                r.error(f"{path}.unit", f"Use one of {', '.join(units.LATENCY_UNITS)}.")
            elif typed_unit and typed_unit != normalised:
                r.error(
                    f"{path}.unit",
                    f"The target says {typed_unit} but the unit says {normalised}; keep one.",
                )
            unit = normalised or ""
        if value is not None and unit and not typed_unit:
            # "200" with the unit chosen beside it: the limit applies in that unit.
            r.parsed(f"{path}.target", partial(_in_unit, value, unit), target)
        latency.append(
            LatencyTarget(
                field=path,
                operation=r.text(row, "operation", f"{path}.operation"),
                percentile=r.text(row, "percentile", f"{path}.percentile", choices=PERCENTILES),
                target=target,
                unit=unit or typed_unit or "",
                value=value,
            )
        )

    requirements = Requirements(
        functional=functional,
        region=r.text(clar, "region", "clarifications.region", choices=REGIONS),
        ordering=r.text(clar, "ordering", "clarifications.ordering", choices=ORDERINGS),
        left_out=tuple(r.texts(clar, "left_out", "clarifications.left_out", choices=LEFT_OUT)),
        notes=r.text(clar, "notes", "clarifications.notes"),
        read_write_ratio=ratio,
        reads_per_write=r.parsed("read_write_ratio", units.parse_ratio, ratio),
        scale={name: r.text(scale_obj, name, f"scale.{name}") for name in SCALE_FIELDS},
        latency=tuple(latency),
        availability=availability,
        availability_percent=r.parsed("availability", units.parse_availability, availability),
        consistency=tuple(
            ConsistencyTarget(
                field=path,
                data=r.text(row, "data", f"{path}.data"),
                model=r.text(row, "model", f"{path}.model", choices=CONSISTENCY_MODELS),
                staleness=r.text(row, "staleness", f"{path}.staleness"),
            )
            for path, row in r.rows(d, "consistency", "consistency")
        ),
        durability=tuple(
            DurabilityTarget(
                field=path,
                data=r.text(row, "data", f"{path}.data"),
                cost_of_loss=r.text(
                    row, "cost_of_loss", f"{path}.cost_of_loss", choices=LOSS_COSTS
                ),
                notes=r.text(row, "notes", f"{path}.notes"),
            )
            for path, row in r.rows(d, "durability", "durability")
        ),
        throughput=r.text(d, "throughput", "throughput"),
    )
    if requirements.availability_percent is not None and not (
        0 < requirements.availability_percent <= 100
    ):
        r.error("availability", "A percentage lies between 0 and 100, for example 99.9%.")
    r.raise_if_errors()
    return requirements


# -- Computations shown on the page -------------------------------------------------------


@dataclass(frozen=True)
class Downtime:
    percent: float
    per_year_s: float
    per_month_s: float

    @property
    def per_year(self) -> str:
        return units.format_duration(self.per_year_s)

    @property
    def per_month(self) -> str:
        return units.format_duration(self.per_month_s)

    @property
    def arithmetic(self) -> str:
        unavailable = 1 - self.percent / 100
        return (
            f"(1 − {self.percent:g}%) × {units.SECONDS_PER_YEAR:,} s/year = "
            f"{self.per_year_s:,.0f} s ≈ {self.per_year} a year; "
            f"× {units.SECONDS_PER_MONTH:,} s/month = {self.per_month_s:,.0f} s ≈ "
            f"{self.per_month} a month (unavailable fraction {unavailable:.6g})"
        )


def allowed_downtime(percent: float) -> Downtime:
    unavailable = 1 - percent / 100
    return Downtime(
        percent=percent,
        per_year_s=unavailable * units.SECONDS_PER_YEAR,
        per_month_s=unavailable * units.SECONDS_PER_MONTH,
    )


class Availability(TypedDict):
    percent: float
    label: str
    downtime_per_year_seconds: float
    downtime_per_month_seconds: float
    downtime_per_year: str
    downtime_per_month: str


class Figures(TypedDict, total=False):
    availability: Availability
    reads_per_write: float


def computed(design: Design) -> Figures:
    """Figures derived from the answers: shown beside the form, printed by the grader."""
    req = design.requirements
    result: Figures = {}
    if req.availability_percent is not None and 0 < req.availability_percent <= 100:
        downtime = allowed_downtime(req.availability_percent)
        result["availability"] = {
            "percent": downtime.percent,
            "label": f"{downtime.percent:g}%",
            "downtime_per_year_seconds": round(downtime.per_year_s, 1),
            "downtime_per_month_seconds": round(downtime.per_month_s, 1),
            "downtime_per_year": downtime.per_year,
            "downtime_per_month": downtime.per_month,
        }
    if req.reads_per_write is not None:
        result["reads_per_write"] = req.reads_per_write
    return result


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits. The registry (phases/engine/registry.py) gives
# each its code and severity; the docstring is what the rules page shows.


def missing_capabilities(design: Design) -> Iterator[Hit]:
    """A capability the problem requires is not among the functional requirements.

    Why it matters:
        Building the wrong thing is the most expensive mistake in design, and every later
        phase (access patterns, endpoints, paths) is derived from this list. A capability
        missed here is missing from the whole design.
    Triggers:
        A URL shortener whose requirements cover creating short links but say nothing
        about a visitor following one; or one row naming two capabilities ("a user can
        shorten a link and see its clicks"), which counts for one.
    Better:
        One requirement per capability, phrased as an operation: "A visitor can open a
        short link and be redirected to the original URL".
    """
    capabilities = design.problem.expect(1).get("capabilities", [])
    if not capabilities:
        return
    functional = design.requirements.functional
    covered = covered_capabilities(capabilities, [fr.text for fr in functional])
    missed = [cap for index, cap in enumerate(capabilities) if index not in covered]
    for cap in missed:
        phrases = [cap["label"], *cap.get("synonyms", [])]
        shared = next(
            (fr for fr in functional if any(match_strength(fr.text, p) for p in phrases)), None
        )
        if shared is not None:
            # The capability is named, but inside a row that already counts for another.
            yield Hit(
                field=f"{shared.field}.text",
                message=f"“{shared.text}” also names {cap['label']}, but a row is one "
                "operation, so it counts for one capability only.",
                hint="How many things does the actor do in this row?",
                fix=f'Split it, one operation per row: add "{cap.get("example", cap["label"])}".',
            )
            continue
        yield Hit(
            field="functional",
            message=f"None of your functional requirements covers: {cap['label']}.",
            hint=cap.get(
                "hint", "Reread the problem statement for operations you have not listed."
            ),
            fix=f'Add a requirement such as "{cap.get("example", cap["label"])}".',
        )
    if not missed:
        yield Hit(
            field="functional",
            message=f"All {len(capabilities)} capabilities the problem requires are covered.",
            severity=Severity.PASS,
        )


def covered_capabilities(capabilities: list[JSON], texts: list[str]) -> set[int]:
    """Indexes of the capabilities the requirements cover, one capability per requirement.

    A requirement may mention phrases of several capabilities ("the owner sees how many
    times a link was opened" mentions both opening a link and counting opens). Each
    requirement is one operation, so it covers one capability: this finds the largest
    set of capabilities that distinct requirements can cover (a maximum bipartite
    matching), trying each requirement's most specific match (longest phrase) first.
    """
    options = []
    for text in texts:
        strengths = []
        for index, cap in enumerate(capabilities):
            phrases = [cap["label"], *cap.get("synonyms", [])]
            strength = max(match_strength(text, phrase) for phrase in phrases)
            if strength:
                strengths.append((-strength, index))
        options.append([index for _, index in sorted(strengths)])

    covered_by: dict[int, int] = {}

    def assign(requirement: int, tried: set[int]) -> bool:
        for cap in options[requirement]:
            if cap in tried:
                continue
            tried.add(cap)
            if cap not in covered_by or assign(covered_by[cap], tried):
                covered_by[cap] = requirement
                return True
        return False

    for requirement in range(len(texts)):
        assign(requirement, set())
    return set(covered_by)


def left_out_but_required(design: Design) -> Iterator[Hit]:
    """A feature marked as left out on purpose is one the problem requires.

    Why it matters:
        Naming what is out of scope is good practice, but dropping something the
        problem asks for changes the problem. Analytics, search and notifications each
        add their own write path and storage.
    Triggers:
        Ticking "analytics" as left out when the problem asks for click statistics.
    Better:
        Keep the required feature in scope and leave out only what the statement does
        not ask for.
    """
    req = design.requirements
    capabilities = design.problem.expect(1).get("capabilities", [])
    for feature in req.left_out:
        for cap in capabilities:
            if cap.get("feature") == feature:
                yield Hit(
                    field="clarifications.left_out",
                    message=f"You left out {feature}, but the problem requires: {cap['label']}.",
                    hint="Compare what you left out with the problem statement.",
                    fix=f"Untick {feature}, and cover it with a functional requirement.",
                )


_MODAL = re.compile(r"\b(can|may|must|should|will|able to|is able|are able|gets?|receives?)\b")


# Subjects that name the system being designed rather than someone who calls it.
_SYSTEM_SUBJECTS = frozenset(
    stem(w) for w in ("system", "service", "platform", "pipeline", "backend", "server")
)
_DETERMINERS = frozenset({"the", "our", "this", "each", "every"})


def performed_by_system(text: str, design: Design) -> bool:
    """Whether a requirement is something the system does by itself ("The crawler
    revisits popular pages daily", "The system releases expired holds"), not an operation
    someone calls: its subject (the noun after "the") is "the system", a word of the
    problem's title, or a word of a phase 5 component's name. No endpoint serves such a
    requirement; a job, a worker or a pipeline does."""
    lowered = words(text)
    if len(lowered) < 2 or lowered[0] not in _DETERMINERS:
        return False
    named = set(_SYSTEM_SUBJECTS) | set(stems(getattr(design.problem, "title", "") or ""))
    if design.has(5):
        try:
            components = design.architecture.components
        except AnswerShapeError:
            components = ()
        for component in components:
            named |= set(stems(component.name))
    return stem(lowered[1]) in named


# "The crawler fetches each page", "Each gateway checks the limit": a subject and a verb
# in the present tense say who does what as well as a modal does.
_ACTS = re.compile(r"^(the|a|an|each|every|any|our)\s+[\w'-]+(\s+[\w'-]+)?\s+[a-z]+(s|es)\s+\w")


def not_an_operation(design: Design) -> Iterator[Hit]:
    """A functional requirement that does not read as "actor can verb object".

    Why it matters:
        A requirement phrased as an operation names who acts and what changes, which is
        exactly what tells you whether it is a read path or a write path and what data
        it touches. Nouns ("link statistics") hide all three.
    Triggers:
        "URL shortening" or "Statistics page". "The crawler fetches each page" says who
        does what, as "A user can ..." does.
    Better:
        "A link owner can see how many times their short link was opened."
    """
    for fr in design.requirements.functional:
        if fr.text and not _MODAL.search(fr.text.lower()) and not _ACTS.match(fr.text.lower()):
            yield Hit(
                field=f"{fr.field}.text",
                message=f'"{fr.text}" does not say who does what.',
                hint="Who performs this, and what do they do?",
                fix='Rewrite it as "<actor> can <verb> <object>", for example '
                '"A visitor can open a short link".',
            )


def untagged_path(design: Design) -> Iterator[Hit]:
    """A functional requirement not tagged as read path, write path or both.

    Why it matters:
        Reads and writes scale differently and are designed separately in phase 5; the
        tag is what carries each requirement to the right path.
    Triggers:
        "A user can shorten a URL" with no path chosen.
    Better:
        Tag it "write": it creates a record.
    """
    for fr in design.requirements.functional:
        if fr.text and not fr.path:
            yield Hit(
                field=f"{fr.field}.path",
                message=f'"{fr.text}" is not tagged as a read path, a write path or both.',
                hint="Does this operation change stored data, only read it, or both?",
                fix="Choose read, write or both for it.",
            )


# Words that describe qualities, not operations.
_QUALITY = re.compile(
    r"\b(fast|quick(ly)?|latenc(y|ies)|highly available|availability|uptime|downtime|"
    r"scalab(le|ility)|scales? to|reliab(le|ility)|durab(le|ility)|performan(ce|t)|"
    r"responsive|throughput|nines|milliseconds?|\d+\s*ms|\d+(\.\d+)?\s*%)"
)


def quality_filed_as_function(design: Design) -> Iterator[Hit]:
    """A non-functional statement (a quality or target) listed as a functional requirement.

    Why it matters:
        Functional requirements become access patterns and endpoints; qualities become
        numeric targets that constrain every phase. Mixing them loses the target's number
        and invents an operation that does not exist.
    Triggers:
        "The system should be highly available" or "Redirects must be fast" under
        functional requirements.
    Better:
        Move it to the non-functional targets with a number: availability 99.9%, redirect
        latency p99 under 100 ms.
    """
    for fr in design.requirements.functional:
        if _QUALITY.search(fr.text.lower()):
            yield Hit(
                field=f"{fr.field}.text",
                message=f'"{fr.text}" describes a quality, not an operation.',
                hint="Is this something a user does, or how well the system does it?",
                fix="Remove it from the functional list and state it as a non-functional "
                "target with a number (latency, availability, scale).",
            )


_VAGUE_WORDS = (
    "fast",
    "quick",
    "low latency",
    "real-time",
    "realtime",
    "scalable",
    "massive",
    "huge",
    "lots",
    "many",
    "highly available",
    "always",
    "reliable",
    "high",
    "low",
)


def vague_targets(design: Design) -> Iterator[Hit]:
    """A non-functional target written as an adjective instead of a number.

    Why it matters:
        "Fast" and "scalable" cannot be checked, and they cannot rule anything out. A
        number can: 99.99% closes the door on any single point of failure; 10 ms at p99
        rules out a cross-region call. Targets exist to eliminate options.
    Triggers:
        Availability "highly available"; users "lots"; redirect latency "fast".
    Better:
        Availability 99.9%; 100 million new links a day; redirect p99 under 100 ms.
    """
    req = design.requirements
    candidates = [
        (f"scale.{name}", f"scale ({name.replace('_', ' ')})", req.scale[name])
        for name in SCALE_FIELDS
    ]
    candidates.append(("throughput", "throughput", req.throughput))
    if req.availability and req.availability_percent is None:
        candidates.append(("availability", "availability", req.availability))
    if req.read_write_ratio and req.reads_per_write is None:
        candidates.append(("read_write_ratio", "read:write ratio", req.read_write_ratio))
    for target in req.latency:
        if target.target and target.value is None:
            candidates.append(
                (f"{target.field}.target", f"latency of {target.label}", target.target)
            )
    for field, label, text in candidates:
        if text and not has_figure(text) and not _is_nines(text):
            word = next(
                (w for w in _VAGUE_WORDS if re.search(rf"\b{re.escape(w)}\b", text.lower())), None
            )
            quoted = f'"{word}"' if word else f'"{text}"'
            yield Hit(
                field=field,
                message=f"The {label} target is {quoted}, with no number to check against.",
                hint="What figure would tell you this target is met, or missed?",
                fix='Give a number with its unit, for example "99.9%", '
                '"20,000 reads/s at peak" or "p99 under 200 ms".',
            )

    # A staleness bound may rightly be words: "at once", "only after it is stored", "the
    # author sees their own paste the moment it is returned" bound it as well as a number
    # does. Only a vague word is worth a question, and reading words is textual evidence.
    for row in req.consistency:
        vague = _vague_word(row.staleness)
        if row.staleness and not has_figure(row.staleness) and vague:
            yield Hit(
                field=f"{row.field}.staleness",
                message=f'How stale may {row.data or "this data"} be? "{vague}" gives no bound '
                "to design against.",
                hint='Seconds, minutes, or a guarantee such as "the writer sees their own '
                'change at once": which would tell you it is met?',
                fix='Give a bound: "under 5 s", "within a minute", or the guarantee in words.',
                evidence=Evidence.TEXTUAL,
            )


# Words that promise freshness without bounding it ("later" is left out: "no later
# message" is a guarantee).
_STALENESS_VAGUE = (
    "eventually",
    "soon",
    "a while",
    "some time",
    "fast",
    "quick",
    "quickly",
    "real-time",
    "realtime",
    "reasonable",
    "low",
)


def _vague_word(text: str) -> str:
    lowered = (text or "").lower()
    for word in _STALENESS_VAGUE:
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return word
    return ""


def _is_nines(text: str) -> bool:
    try:
        return units.parse_availability(text) is not None
    except units.UnitError:
        return False


def latency_missing_percentile_or_unit(design: Design) -> Iterator[Hit]:
    """A latency target without a percentile, or a number without a unit.

    Why it matters:
        An average hides the slow tail that users feel; "p99 under 200 ms" says that 99 of
        every 100 requests must be faster. And "200" alone could be microseconds or
        seconds, six orders of magnitude apart.
    Triggers:
        Redirect latency "100" with no unit, or with no percentile chosen.
    Better:
        Redirect: p99, 100, ms.
    """
    for target in design.requirements.latency:
        if target.value is None:
            continue  # vague_targets speaks about it
        if not target.percentile:
            yield Hit(
                field=f"{target.field}.percentile",
                message=f"The latency target for {target.label} has no percentile.",
                hint="Is this the typical request (p50) or the slow tail (p99)?",
                fix="Choose the percentile the target applies to; user-facing calls "
                "usually state p99.",
                severity=Severity.WARNING,
            )
        if not target.unit:
            yield Hit(
                field=f"{target.field}.unit",
                message=f"The latency target for {target.label} is {target.target:s} with no unit.",
                hint="Microseconds, milliseconds or seconds?",
                fix="Choose the unit, for example ms.",
            )


def tail_below_median(design: Design) -> Iterator[Hit]:
    """A p99 (or other high percentile) target lower than the p50 for the same operation.

    Why it matters:
        Percentiles are ordered: by definition 99% of requests are at or below the p99, so
        it can never be below the median. Swapped targets usually mean the numbers were
        written without thinking about the tail.
    Triggers:
        Feed load p50 300 ms and p99 200 ms.
    Better:
        p50 200 ms, p99 500 ms.
    """
    by_operation: dict[str, list[LatencyTarget]] = {}
    for target in design.requirements.latency:
        key = " ".join(words(target.operation))
        if key and target.milliseconds is not None and target.percentile:
            by_operation.setdefault(key, []).append(target)
    for targets in by_operation.values():
        ordered = sorted(targets, key=lambda t: PERCENTILES.index(t.percentile))
        for low, high in zip(ordered, ordered[1:], strict=False):
            if (  # every target kept above has its milliseconds
                high.milliseconds is not None
                and low.milliseconds is not None
                and high.milliseconds < low.milliseconds
            ):
                yield Hit(
                    field=f"{high.field}.target",
                    message=f"For {high.label}, the {high.percentile} target ({high.target} "
                    f"{high.unit}) is faster than the {low.percentile} target "
                    f"({low.target} {low.unit}).",
                    arithmetic=f"{high.percentile} = {high.milliseconds:g} ms < "
                    f"{low.percentile} = {low.milliseconds:g} ms",
                    hint="Which requests does each percentile describe?",
                    fix=f"Make the {high.percentile} target at least as large as the "
                    f"{low.percentile} one.",
                )


# A tail this many times its median is more likely a unit slip than a target.
TAIL_SPREAD = 100.0


def tail_far_above_median(design: Design) -> Iterator[Hit]:
    """A high-percentile target a hundred times or more its operation's p50.

    Why it matters:
        The tail of one operation is rarely more than ten or twenty times its median; a
        hundredfold gap (p50 40 ms, p99 250 s) is nearly always a unit written wrong, and
        every later phase that checks a path against it checks against the wrong number.
    Triggers:
        For one operation, a higher percentile target at least 100 times a lower one.
    Better:
        Check the unit of the tail target: "p99 250 ms", not "250 s".
    """
    by_operation: dict[str, list[LatencyTarget]] = {}
    for target in design.requirements.latency:
        key = " ".join(words(target.operation))
        if key and target.milliseconds and target.percentile:
            by_operation.setdefault(key, []).append(target)
    for targets in by_operation.values():
        ordered = sorted(targets, key=lambda t: PERCENTILES.index(t.percentile))
        for low, high in zip(ordered, ordered[1:], strict=False):
            if not (low.milliseconds and high.milliseconds):
                continue
            spread = high.milliseconds / low.milliseconds
            if spread >= TAIL_SPREAD:
                yield Hit(
                    field=f"{high.field}.unit",
                    message=f"For {high.label}, the {high.percentile} target ({high.target} "
                    f"{high.unit}) is {spread:,.0f} times the {low.percentile} "
                    f"({low.target} {low.unit}). Is its unit right?",
                    arithmetic=f"{high.milliseconds:g} ms ÷ {low.milliseconds:g} ms = "
                    f"{spread:,.0f}",
                    hint="How much slower than a typical request may the slowest 1% be?",
                    fix="Check the tail target's unit; a tail is usually a few times the "
                    "median, rarely more than twenty.",
                )


# Words a given's label and an operation share that say nothing of which one it is.
_GENERIC_STEMS = frozenset(stems("time how long take takes one each every request user"))
UNIT_SLIP = 10  # a target this many times off the given's duration is not a rounding


def target_in_another_unit_than_given(design: Design) -> Iterator[Hit]:
    """A latency target with the number of a duration the problem gives for the same
    operation, in another unit: 15 s where the problem allows 15 minutes.

    Why it matters:
        The same number in another unit is nearly always the unit written wrong, and it
        is never a small difference: seconds for minutes is sixty times, milliseconds for
        seconds a thousand. Every later phase sizes the design to this target, so one slip
        makes it either impossible to meet or far too loose.
    Triggers:
        A latency row whose number equals that of a duration among the problem's givens,
        whose operation shares a word with that given's label, and which is at least ten
        times shorter or longer than the given.
    Better:
        Write the target in the problem's unit ("15 minutes"), or say why yours differs.
    """
    givens = design.problem.givens or {}
    stated = []
    for key, given in givens.items():
        if not isinstance(given, dict):
            continue
        durations = units.stated_durations(str(given.get("value", "")))
        if len(durations) == 1:
            label = str(given.get("label") or key.replace("_", " "))
            stated.append((label, str(given.get("value")), durations[0]))
    for target in design.requirements.latency:
        ms = target.milliseconds
        if not ms or target.value is None:
            continue
        operation = set(stems(target.operation)) - _GENERIC_STEMS
        for label, value, duration in stated:
            factor = duration.seconds * 1000 / ms
            if duration.number != target.value or 1 / UNIT_SLIP < factor < UNIT_SLIP:
                continue
            if not operation & set(stems(label)):
                continue
            how = "tighter" if factor > 1 else "looser"
            times = factor if factor > 1 else 1 / factor
            yield Hit(
                field=f"{target.field}.unit",
                message=f"The problem gives {value} for {label.lower()}; your target for "
                f"{target.label} is {target.target} {target.unit}: the same number in "
                f"another unit, {times:,.0f} times {how}. Is the unit right?",
                arithmetic=f"{value} = {duration.seconds * 1000:,.6g} ms; {target.target} "
                f"{target.unit} = {ms:,.6g} ms; ratio {times:,.0f}",
                hint=f"In which unit does the problem state {label.lower()}?",
                fix=f"Write the target in the problem's unit ({value}), or say in the "
                "operation why yours differs.",
            )
            break


def below_network_floor(design: Design) -> Iterator[Hit]:
    """A latency target faster than the network can carry a request.

    Why it matters:
        A round trip inside one datacenter costs about 0.5 ms and one across regions
        100-150 ms. A target below the first is impossible for any networked call; a
        tail target (p95 and above) below the second, for users around the world, means
        serving them from several regions, which must then be in the design.
    Triggers:
        p99 of 0.2 ms for an API call; or p99 50 ms for a global audience from one region
        (not for an operation inside the datacenter, such as a cache read, nor one the
        row says is served from the edge or each region).
    Better:
        p99 100 ms for users in one region; or 200 ms globally, or an explicit plan for
        edge or multi-region serving.
    """
    req = design.requirements
    for target in req.latency:
        ms = target.milliseconds
        if ms is None:
            continue
        if ms < SAME_DATACENTER_RTT_MS:
            yield Hit(
                field=f"{target.field}.target",
                message=f"{target.label}: {target.target} {target.unit} is less than one "
                "network round trip inside a datacenter.",
                arithmetic=f"{ms:g} ms < {SAME_DATACENTER_RTT_MS:g} ms "
                "(same-datacenter round trip)",
                hint="How long does a packet take to go to another machine and back?",
                fix="Set a target the network allows: a few milliseconds inside a datacenter, "
                "tens to hundreds for users on the internet.",
            )
        elif (
            req.region == "global"
            and target.percentile in TAIL
            and ms < CROSS_REGION_RTT_MS
            and not _NEAR_OPERATION.search(target.operation)
        ):
            yield Hit(
                field=f"{target.field}.target",
                message=f"{target.label}: {target.target} {target.unit} for users around the "
                "world is below one cross-region round trip.",
                arithmetic=f"{ms:g} ms < {CROSS_REGION_RTT_MS:g} ms (cross-region round trip)",
                hint="Where are the users farthest from your servers, and how far is that?",
                fix="Either raise the target above the cross-region round trip, or plan to "
                "serve each region locally (CDN, regional deployments) and say so.",
                severity=Severity.WARNING,
            )


def no_read_write_ratio(design: Design) -> Iterator[Hit]:
    """No read:write ratio stated.

    Why it matters:
        A read-heavy and a write-heavy system of the same size need different designs:
        caches and replicas help the first, sharding and queues the second. The ratio
        decides which tools are even worth considering.
    Triggers:
        The read:write ratio left empty.
    Better:
        "10:1": each link is opened about ten times for every link created.
    """
    if not design.requirements.read_write_ratio:
        yield Hit(
            field="read_write_ratio",
            message="You have not stated a read:write ratio.",
            hint="For every write, how many reads happen?",
            fix="Estimate it from the problem, e.g. 10:1, and write it as reads:writes.",
        )


# How far a stated ratio may be from the problem's before the two disagree.
RATIO_TOLERANCE = 2.0


def ratio_contradicts_givens(design: Design) -> Iterator[Hit]:
    """A read:write ratio that contradicts the one the problem gives.

    Why it matters:
        The ratio decides what the design is for: caches and replicas for a read-heavy
        system, batching and sharding for a write-heavy one. Written the wrong way round
        (4:1 where the business says one read for every four updates), it points every
        later phase at the wrong problem.
    Triggers:
        The problem gives a read:write ratio, and phase 1's is more than twice or less
        than half of it (reads per write).
    Better:
        The problem's ratio, written as reads:writes: "1:4" when updates outnumber reads.
    """
    mine = design.requirements.reads_per_write
    given = (design.problem.givens or {}).get("read_write_ratio")
    text = given.get("value") if isinstance(given, dict) else given
    if mine is None or not mine or text is None:
        return
    try:
        theirs = units.parse_ratio(str(text))
    except units.UnitError:
        return
    if not theirs or max(mine / theirs, theirs / mine) <= RATIO_TOLERANCE:
        return
    label = given.get("label", "") if isinstance(given, dict) else ""
    flipped = (mine > 1) != (theirs > 1) and abs(mine * theirs - 1) < 0.25
    yield Hit(
        field="read_write_ratio",
        message=f'Your read:write ratio "{design.requirements.read_write_ratio}" is '
        f"{mine:g} reads per write, but the problem gives {text}"
        + (f" ({label})" if label else "")
        + f": {theirs:g} reads per write."
        + (" It looks written the wrong way round." if flipped else ""),
        arithmetic=f"{max(mine, theirs) / min(mine, theirs):.3g}x apart",
        hint="Which happens more often here, a read or a write?",
        fix=f"Use the problem's ratio, {text}, written as reads:writes.",
    )


def missing_targets(design: Design) -> Iterator[Hit]:
    """A kind of non-functional target left out entirely (scale, latency, availability,
    consistency, durability).

    Why it matters:
        Each kind rules out part of the design space; one left out is a decision made by
        accident later. The scale numbers feed phase 2, availability feeds phase 8,
        consistency and durability decide the storage in phase 3.
    Triggers:
        No availability target, or no latency targets at all.
    Better:
        Every kind stated, each with a number, even if the number is modest.
    """
    req = design.requirements
    checks = [
        (
            "scale.users",
            "scale",
            any(req.scale.values()),
            "How many users, how many requests, how much new data a day?",
        ),
        (
            "latency",
            "latency",
            bool(req.latency),
            "How long may the most frequent operation take for the slowest 1% of users?",
        ),
        (
            "availability",
            "availability",
            bool(req.availability),
            "How much downtime a year would the business accept?",
        ),
        (
            "consistency",
            "consistency",
            bool(req.consistency),
            "After a write, how soon must others see it?",
        ),
        (
            "durability",
            "durability",
            bool(req.durability),
            "What does losing each kind of data cost?",
        ),
    ]
    for field, kind, present, hint in checks:
        if not present:
            yield Hit(
                field=field,
                message=f"No {kind} target is stated.",
                hint=hint,
                fix=f"Add a {kind} target with a number or an explicit choice.",
            )


def staleness_unbounded(design: Design) -> Iterator[Hit]:
    """Eventual consistency chosen for some data with no bound on how stale it may be.

    Why it matters:
        Eventual consistency is a fine choice, but "eventually" could mean a second or a
        day. The bound is what tells you whether asynchronous replicas, caches with a
        time-to-live, or queues are acceptable.
    Triggers:
        Like counts: eventual, staleness left empty.
    Better:
        Like counts: eventual, at most 5 seconds behind.
    """
    for row in design.requirements.consistency:
        if row.model == "eventual" and not row.staleness:
            yield Hit(
                field=f"{row.field}.staleness",
                message=f"{row.data or 'This data'} is eventually consistent with no "
                "staleness bound.",
                hint="How old may a value be when a user reads it?",
                fix='State a bound, for example "within 1 s" or "within a minute".',
            )


def availability_beyond_reach(design: Design) -> Iterator[Hit]:
    """An availability of 100%, or one so low it is unlikely to be meant.

    Why it matters:
        Nothing is up 100% of the time: hardware, networks and deployments all fail.
        Each extra nine costs far more than the one before, so the target must be a
        conscious figure. Below 99% a service may be down more than three days a year.
    Triggers:
        Availability 100%, or 95%.
    Better:
        99.9% (about 8.8 hours a year) for most consumer products; 99.99% where money
        moves.
    """
    percent = design.requirements.availability_percent
    if percent is None:
        return
    if percent >= 100:
        yield Hit(
            field="availability",
            message="100% availability cannot be built: it allows no failure at all.",
            hint="How many minutes of downtime a year could the business live with?",
            fix="Pick a number of nines, such as 99.9% or 99.99%.",
        )
    elif percent < 99:
        downtime = allowed_downtime(percent)
        yield Hit(
            field="availability",
            message=f"{percent:g}% allows {downtime.per_year} of downtime a year; "
            "is that intended?",
            arithmetic=downtime.arithmetic,
            hint="Would users accept the service being down that long?",
            fix="Most consumer products aim for 99.9%.",
            severity=Severity.WARNING,
        )


def high_availability_noted(design: Design) -> Iterator[Hit]:
    """An availability target of 99.99% or more, carried forward to the failure phase.

    Why it matters:
        At four nines the whole year's budget is under an hour, less than one manual
        failover can take. Such a target forbids any single point of failure, and phase 8
        will check every component against it.
    Triggers:
        Availability 99.99% (shown as information, not a fault).
    Better:
        Nothing to change here; plan redundancy and automatic failover for every hard
        dependency.
    """
    percent = design.requirements.availability_percent
    if percent is not None and HIGH_AVAILABILITY <= percent < 100:
        downtime = allowed_downtime(percent)
        yield Hit(
            field="availability",
            message=f"{percent:g}% leaves {downtime.per_year} of downtime a year "
            f"({downtime.per_month} a month): phase 8 will require every hard dependency "
            "to be redundant with automatic failover.",
            arithmetic=downtime.arithmetic,
        )


# -- Expectations: the capabilities a problem needs ---------------------------------------

CAPABILITY_KEYS = ("id", "label", "feature", "synonyms", "hint", "example")


def check_capabilities(
    problems: Problems, where: str, capabilities: object, expectations: JSON
) -> None:
    """``phase1.capabilities``: each a mapping with a label, ids unique."""
    if capabilities is None:
        return
    if not isinstance(capabilities, list):
        problems.add(where, "expected a list.")
        return
    ids: set[str] = set()
    for index, cap in enumerate(capabilities):
        path = f"{where}[{index}]"
        if not isinstance(cap, dict):
            problems.add(path, "expected a mapping with a label.")
            continue
        problems.unknown_keys(path, cap, CAPABILITY_KEYS)
        problems.text(path, cap, "label", required=True)
        for key in ("id", "hint", "example"):
            problems.text(path, cap, key)
        if isinstance(cap.get("id"), str):
            if cap["id"] in ids:
                problems.add(f"{path}.id", f"{cap['id']!r} appears twice.")
            ids.add(cap["id"])
        if "synonyms" in cap and not is_text_list(cap["synonyms"]):
            problems.add(f"{path}.synonyms", "expected a list of phrases.")
        if "feature" in cap and cap["feature"] not in LEFT_OUT:
            problems.add(
                f"{path}.feature",
                f"expected one of {', '.join(LEFT_OUT)} (got {cap['feature']!r}).",
            )


def capability_rows(
    problems: Problems, where: str, rows: object, expectations: JSON, keys: tuple[str, ...]
) -> Iterator[tuple[str, JSON]]:
    """Rows of a later phase's expectations that name a phase 1 capability by its id
    (``phase3.patterns``, ``phase4.endpoints``): checks the list, each row's keys and
    capability, and yields ``(path, row)`` for the phase's own checks of the row."""
    if rows is None:
        return
    if not isinstance(rows, list):
        problems.add(where, "expected a list.")
        return
    phase1 = expectations.get("phase1")
    capabilities = phase1.get("capabilities") if isinstance(phase1, dict) else None
    ids = {
        cap["id"]
        for cap in (capabilities if isinstance(capabilities, list) else [])
        if isinstance(cap, dict) and isinstance(cap.get("id"), str)
    }
    for index, row in enumerate(rows):
        path = f"{where}[{index}]"
        if not isinstance(row, dict):
            problems.add(path, f"expected a mapping with {' and '.join(keys)}.")
            continue
        problems.unknown_keys(path, row, keys)
        capability = row.get("capability")
        if not isinstance(capability, str) or not capability:
            problems.add(f"{path}.capability", "required: the id of a phase1 capability.")
        elif capability not in ids:
            known = ", ".join(sorted(ids)) or "none have an id"
            problems.add(
                f"{path}.capability",
                f"no phase1 capability has the id {capability!r} (ids: {known}).",
            )
        yield path, row


def export_section(design: Design) -> list[str]:
    """Phase 1's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    req = design.requirements
    out = ["### Functional requirements", ""]
    out.append(
        table(
            ["Requirement", "Path"],
            [
                [cell(f.text), cell(LAYOUT.label("path", f.path, "functional"))]
                for f in req.functional
            ],
            empty="_None listed._",
        )
    )
    out += ["", "### Clarifications", ""]
    out.append(field_line("Users are", LAYOUT.label("clarifications.region", req.region)))
    out.append(field_line("Lists are", LAYOUT.label("clarifications.ordering", req.ordering)))
    out.append(field_line("Left out", ", ".join(req.left_out)))
    if req.notes:
        out.append(field_line("Notes", req.notes))
    out += ["", "### Scale and targets", ""]
    out.append(field_line("Read:write ratio", req.read_write_ratio))
    for key in SCALE_FIELDS:
        out.append(field_line(key.replace("_", " ").capitalize(), req.scale.get(key, "")))
    availability = req.availability
    try:
        downtime = computed(design).get("availability")
    except Exception:  # noqa: BLE001
        downtime = None
    if downtime:
        availability = (
            f"{availability} (allows {downtime['downtime_per_year']} of downtime a year, "
            f"{downtime['downtime_per_month']} a month)"
        )
    out.append(field_line("Availability", availability))
    out.append(field_line("Throughput", req.throughput))
    out += ["", "#### Latency targets", ""]
    out.append(
        table(
            ["Operation", "Percentile", "Target"],
            [
                [
                    cell(t.operation),
                    cell(t.percentile),
                    cell(f"{t.target} {LAYOUT.label('unit', t.unit, 'latency')}".strip()),
                ]
                for t in req.latency
            ],
            empty="_None stated._",
        )
    )
    out += ["", "#### Consistency", ""]
    out.append(
        table(
            ["Data", "Model", "Staleness"],
            [
                [
                    cell(c.data),
                    cell(LAYOUT.label("model", c.model, "consistency")),
                    cell(c.staleness),
                ]
                for c in req.consistency
            ],
            empty="_None stated._",
        )
    )
    out += ["", "#### Durability", ""]
    out.append(
        table(
            ["Data", "Cost of loss", "Notes"],
            [
                [
                    cell(d.data),
                    cell(LAYOUT.label("cost_of_loss", d.cost_of_loss, "durability")),
                    cell(d.notes),
                ]
                for d in req.durability
            ],
            empty="_None stated._",
        )
    )
    return out


UNIT = PhaseUnit(
    number=1,
    slug="requirements",
    title="Requirements",
    goal="Pin down what the system must do and how well, before drawing anything. Each "
    "operation you list becomes a read or write path later; each target becomes a "
    "constraint that rules designs out.",
    questions=(
        "Who are the actors, and what exactly can each one do?",
        "Which operations read, which write, and which do both?",
        "One region or the whole world? Ranked or chronological?",
        "What is deliberately out of scope: analytics, search, notifications?",
        "How many reads for every write?",
        "How many users and requests, how much new data a day?",
        "How fast must each key operation be, at which percentile?",
        "How much downtime is acceptable a year?",
        "How stale may each kind of data be, and what does losing it cost?",
    ),
    rule_prefix="REQ",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    expectations=(Expectation("capabilities", check_capabilities, CAPABILITY_KEYS),),
    export=export_section,
)
