"""The capacity model of phase 7: load against capacity, component by component.

Phase 2's peaks (recomputed from its assumptions) are routed along phase 5's paths:

* every read-path step carries the peak reads, except on a branch: a step on the "hit"
  branch carries reads × hit rate and a step on the "miss" branch reads × (1 − hit rate)
  (so a cache's hit rate cuts what reaches the store behind it; a miss branch with no
  cache before it carries every read);
* every write-path step carries the peak writes;
* a component met several times on one path (the app servers before and after the
  cache) carries the largest of its steps there, once; its two paths add up;
* asynchronous steps load their component too, but stay out of the latency chain; on
  the read path they record something after the answer (a click), so a database counts
  them as writes; behind a queue whose consumers say they work in batches, a store sees
  one write per :data:`BATCH` events (the tutor's assumption);
* a store that phase 3 keeps none of the written data in (:func:`holds_no_written_data`)
  is only looked up on the write path: its steps there count as reads;
* when the write path writes to several stores, each carries the whole write rate, and
  a verdict on one of them says it rests on that (:func:`shared_writes`).

Capacity is per instance times the component's count (replicas share reads): the
learner's own figure when phase 5 states what one instance handles, else the phase 6
technology chosen for the component when the catalogue has its limits, else (for a
store) the figures of the kind of store that technology is
(:data:`phases.knowledge.reference.STORES`: Redis holding counters is an in-memory store),
none for a managed service that grows with its load (``scales`` in the catalogue), else
the reference figure for its type (:data:`phases.knowledge.reference.COMPONENTS`); an
instructor's override in the problem's phase 7 expectations wins::

    expectations: {phase7: {capacities: {db_primary: {reads_per_s: 30000}}}}

keyed by component name or type, per instance. A database's reads and writes use up one
capacity together: its utilisation is reads ÷ read capacity + writes ÷ write capacity, and
its ``capacity`` is the load it would carry at 100% with today's mix. Headroom is capacity
÷ load.

Storage: when the write path fills exactly one store (and phase 3, when it says, keeps no
written data in another kind of store), that store holds phase 2's storage (with overhead)
at the end of the retention, against the bytes one node of its kind holds times its nodes
(its replicas too when it is the only primary: phase 2's overhead counts their copies);
its ``storage_headroom`` is that room ÷ those bytes. The smallest headroom, of load or of
storage, is where the design breaks (``first_to_run_out`` says which).

The what-ifs rerun the routing with the hit rate at 80%, with the cache down (every read
takes the miss branch) and with one replica of each replica set lost. The latency chain
sums one latency per component on the synchronous read path's cache-hit route (a store's
by the kind of store its technology is, :func:`latency_of`);
the availability chain multiplies, over the synchronous write path's components, each
one's availability with redundancy, 1 − (1 − a)^count.

:func:`model` never raises: what it cannot compute it leaves empty and says why in
``missing``.
"""

from __future__ import annotations

import math
import re
from typing import (
    TYPE_CHECKING,
    Literal,
    Never,
    NotRequired,
    TypedDict,
    TypeGuard,
    Unpack,
    overload,
)

from phases.engine.answers import JSON, AnswerShapeError
from phases.knowledge import catalogue, reference
from phases.reading import units
from phases.reading.quantities import format_value
from phases.reading.text import stems

if TYPE_CHECKING:
    from phases.architecture import Architecture, Component, Step
    from phases.bottlenecks import Bottlenecks
    from phases.data_model import DataModel
    from phases.engine.design import Design
    from phases.failure import Failure
    from phases.requirements import LatencyTarget, Requirements
    from phases.technology import Technologies

ASSUMED_HIT_RATE = 0.99
WHAT_IF_HIT_RATE = 0.80
# Events per write when the consumers behind a queue say they batch (the tutor's assumption).
BATCH = 100
DATABASE_TYPES = ("db_primary", "db_replica")
STORE_TYPES = ("db_primary", "db_replica", "object_storage", "search")
# The catalogue categories that may fill each component type, and the limit key to read.
_TECH_FITS = {
    "cache": ({"cache"}, "ops_per_s"),
    "queue": ({"queue"}, "messages_per_s"),
    "load_balancer_l4": ({"load_balancer"}, "requests_per_s"),
    "load_balancer_l7": ({"load_balancer"}, "requests_per_s"),
    "db_primary": (set(catalogue.STORE_CATEGORIES) - {"object", "search"}, ""),
    "db_replica": (set(catalogue.STORE_CATEGORIES) - {"object", "search"}, ""),
    "object_storage": ({"object"}, ""),
    "search": ({"search"}, ""),
    "cdn": ({"cdn"}, ""),
}
_BATCH_WORDS = re.compile(r"\bbatch(es|ed|ing)?\b", re.IGNORECASE)
_READ_WORDS = frozenset(
    stems("read get view open redirect lookup fetch load search feed resolve visit show")
)


# -- The model's shape (docs/answers.md) --------------------------------------------------------

Kind = Literal["reads", "writes"]


class Inputs(TypedDict):
    peak_reads_per_s: float | None
    peak_writes_per_s: float | None
    hit_rate: float
    hit_rate_source: str


class _Row(TypedDict):
    name: str
    type: str
    count: int
    load: float
    reads: float
    writes: float
    saturates: Kind  # the load that uses up more of it
    # A store's share of its use that its writes make (0 to 1; absent without both figures).
    write_share: NotRequired[float]
    # A store that spreads its data over its nodes by key: more nodes relieve its reads too.
    partitioned: NotRequired[bool]
    capacity: float | None  # None: no practical limit
    load_note: str
    capacity_note: str
    # Storage: the bytes phase 2 says this store holds at the end of the retention, what
    # its nodes hold together, and the ratio (None: not the store that holds the data,
    # or no limit on what it holds).
    stored: NotRequired[float | None]
    storage_capacity: NotRequired[float | None]
    storage_headroom: NotRequired[float | None]
    storage_note: NotRequired[str]


class ComponentLoad(_Row):
    """One component's row: its load against its capacity."""

    headroom: float | None  # capacity ÷ load; None without a bounded load


class BoundedLoad(_Row):
    """A row with a headroom (``is_bounded``): what "first to run out" is chosen from."""

    headroom: float


def is_bounded(row: ComponentLoad) -> TypeGuard[BoundedLoad]:
    return row["headroom"] is not None


class RunsOut(TypedDict):
    name: str
    type: str
    headroom: float
    resource: NotRequired[Literal["load", "storage"]]  # what runs out; "load" when absent


def storage_bound(row: ComponentLoad | BoundedLoad) -> bool:
    """Whether a store runs out of room before it runs out of throughput."""
    room = row.get("storage_headroom")
    return room is not None and (row["headroom"] is None or room < row["headroom"])


def least_headroom(row: BoundedLoad) -> float:
    """A bounded row's headroom: the smaller of its load's and its storage's."""
    room = row.get("storage_headroom")
    return min(row["headroom"], room) if room is not None else row["headroom"]


class WhatIf(TypedDict):
    label: str
    components: list[ComponentLoad]
    first_to_run_out: RunsOut | None
    database_reads: float


class LatencyStep(TypedDict):
    name: str
    type: str
    ms: float
    note: str


class Latency(TypedDict):
    chain: list[LatencyStep]
    total_ms: float
    target_ms: float | None
    target_label: str
    route: str


class AvailabilityStep(TypedDict):
    name: str
    type: str
    count: int
    availability: float  # a percentage
    note: str


class Availability(TypedDict):
    chain: list[AvailabilityStep]
    total_percent: float
    target_percent: float | None
    route: str


class CapacityModel(TypedDict):
    missing: list[str]  # what could not be computed, and why
    inputs: Inputs
    components: list[ComponentLoad]
    first_to_run_out: RunsOut | None
    breaks_at: float | None
    what_if: dict[str, WhatIf]  # hit_rate_80, cache_down, replica_lost; {} without loads
    latency: Latency
    availability: Availability


# What a reader that tolerates a model that cannot be worked out has instead: ``{}``.
NoModel = dict[str, Never]


class Capacity(TypedDict):
    """One instance's capacity a second (None: no practical limit), and where it is from."""

    requests: float | None
    reads: float | None
    writes: float | None
    source: str


class Rates(TypedDict):
    """Phase 2's peak reads and writes a second, and the averages (None when unknown)."""

    reads: float
    writes: float
    average_reads: float | None
    average_writes: float | None


class _Load(TypedDict):
    """What reaches one component: its largest step on each path, and the sums."""

    paths: dict[str, tuple[Kind, str, float]]  # path key -> (kind, note, value)
    reads: float
    writes: float
    requests: NotRequired[float]


class _Changes(TypedDict, total=False):
    """A what-if: the cache down, or other counts of components (by ``id``)."""

    cache_down: bool
    counts: dict[int, int]


def _rate(value: float | None) -> str:
    if value is None:
        return "?"
    if not math.isfinite(value):
        return units.TOO_LARGE
    return f"{value:,.0f}/s" if value >= 10 else f"{value:.2g}/s"


def _share(value: float) -> str:
    return f"{value * 100:g}%"


def _normal(name: str) -> str:
    return " ".join((name or "").lower().split())


@overload
def _safe(design: Design, attribute: Literal["requirements"]) -> Requirements | None: ...
@overload
def _safe(design: Design, attribute: Literal["data_model"]) -> DataModel | None: ...
@overload
def _safe(design: Design, attribute: Literal["architecture"]) -> Architecture | None: ...
@overload
def _safe(design: Design, attribute: Literal["technology"]) -> Technologies | None: ...
@overload
def _safe(design: Design, attribute: Literal["bottlenecks"]) -> Bottlenecks | None: ...
@overload
def _safe(design: Design, attribute: Literal["failure"]) -> Failure | None: ...


def _safe(
    design: Design, attribute: str
) -> Requirements | DataModel | Architecture | Technologies | Bottlenecks | Failure | None:
    """A parsed phase, or None when it is absent or malformed."""
    phase = {
        "requirements": 1,
        "data_model": 3,
        "architecture": 5,
        "technology": 6,
        "bottlenecks": 7,
        "failure": 8,
    }[attribute]
    if not design.has(phase):
        return None
    try:
        answer: Requirements | DataModel | Architecture | Technologies | Bottlenecks | Failure = (
            getattr(design, attribute)
        )
    except AnswerShapeError:
        return None
    return answer


def _figures(design: Design) -> dict[str, float | None]:
    if not design.has(2):
        return {}
    try:
        return {r["key"]: r.get("from_assumptions") for r in design.estimate_report["results"]}
    except (AnswerShapeError, KeyError, TypeError):
        return {}


def peaks(design: Design) -> tuple[float | None, float | None]:
    """Phase 2's peak reads and writes a second, recomputed from its assumptions."""
    rows = _figures(design)
    return rows.get("peak_reads_per_s"), rows.get("peak_writes_per_s")


def averages(design: Design) -> tuple[float | None, float | None]:
    """Phase 2's average reads and writes a second: what consumers behind a queue see."""
    rows = _figures(design)
    return rows.get("reads_per_s"), rows.get("writes_per_s")


def hit_rate(design: Design) -> tuple[float, str]:
    """The learner's phase 7 hit rate, or the assumed 99%."""
    answer = _safe(design, "bottlenecks")
    if answer is not None and answer.hit_rate is not None:
        return answer.hit_rate, "your phase 7 answer"
    return ASSUMED_HIT_RATE, "assumed 99%"


# -- Capacity per instance --------------------------------------------------------------------


def technology_for(design: Design, component: Component) -> catalogue.Technology | None:
    """The phase 6 technology chosen for a component: by name, else by a fitting kind."""
    tech = _safe(design, "technology")
    arch = _safe(design, "architecture")
    if tech is None or component.type not in _TECH_FITS:
        return None
    fits = _TECH_FITS[component.type][0]
    named = [c for c in tech.choices if _normal(c.component) == _normal(component.name)]
    if not named:
        # "db" or "cache" in phase 6: any choice not naming another declared component.
        named = [
            c
            for c in tech.choices
            if arch is None
            or arch.component(c.component) is None
            or _normal(c.component) == _normal(component.name)
        ]
    found = [
        entry
        for choice in named
        if (entry := catalogue.find(choice.technology)) is not None and fits & set(entry.categories)
    ]
    # A product whose own category fits comes before one that fits only as a sideline
    # (for an unnamed "db", PostgreSQL before Redis, which is first of all a cache).
    found.sort(key=lambda entry: entry.category not in fits)
    return found[0] if found else None


def _override(design: Design, component: Component) -> JSON:
    capacities = design.problem.expect(7).get("capacities") or {}
    if not isinstance(capacities, dict):
        return {}
    for key, value in capacities.items():
        if isinstance(value, dict) and _normal(key) in (
            _normal(component.name),
            component.type,
        ):
            return value
    return {}


def _number(value: object) -> float | None:
    """An instructor's capacity a second, if it is one a system could have."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and 0 < value <= units.LIMITS["rate"].value:
        return float(value)
    return None


# The component types a store's own figures apply to, and the kind of store each is
# taken to be when phase 6 names no technology for it.
_ROLE_BY_TYPE = {
    "db_primary": "relational",
    "db_replica": "relational",
    "cache": "cache",
    "object_storage": "object",
    "search": "search",
}


def store_figures(
    design: Design, component: Component
) -> tuple[reference.StoreFigures, catalogue.Technology | None] | None:
    """What kind of store a component is, by the phase 6 technology chosen for it (Redis
    holding counters is an in-memory store, whatever box it sits in), else by its type;
    None for a component that is no store."""
    if component.type not in _ROLE_BY_TYPE:
        return None
    entry = technology_for(design, component)
    if entry is not None and entry.category in reference.STORES_BY_CATEGORY:
        return reference.STORES_BY_CATEGORY[entry.category], entry
    return reference.STORES_BY_CATEGORY[_ROLE_BY_TYPE[component.type]], None


def per_instance(design: Design, component: Component) -> Capacity:
    """One instance's capacity: ``{"requests", "reads", "writes", "source"}`` per second.

    ``requests`` is None for a component without a practical limit; databases have
    ``reads`` and ``writes`` instead.
    """
    figures = reference.COMPONENTS_BY_TYPE.get(component.type)
    if figures is None:
        return {"requests": None, "reads": None, "writes": None, "source": "no type chosen"}
    cap: Capacity = {
        "requests": figures.capacity,
        "reads": figures.reads,
        "writes": figures.writes,
        "source": figures.capacity_note,
    }
    entry = technology_for(design, component)
    role = store_figures(design, component)
    if entry is not None:
        limit_key = _TECH_FITS[component.type][1]
        database = component.type in DATABASE_TYPES
        if entry.scales:
            # A managed service that adds capacity as its load grows.
            cap.update(
                {
                    "requests": None,
                    "reads": None,
                    "writes": None,
                    "source": f"{entry.name} is managed and grows with its load: {entry.capacity}",
                }
            )
        elif database and {"reads_per_s", "writes_per_s"} <= set(entry.limits):
            cap.update(
                {
                    "reads": entry.limits["reads_per_s"],
                    "writes": entry.limits["writes_per_s"],
                    "source": f"{entry.name}: {entry.capacity}",
                }
            )
        elif database and "ops_per_s" in entry.limits:
            # An in-memory store: a read and a write cost the same.
            ops = entry.limits["ops_per_s"]
            cap.update({"reads": ops, "writes": ops, "source": f"{entry.name}: {entry.capacity}"})
        elif limit_key and limit_key in entry.limits:
            cap.update(
                {"requests": entry.limits[limit_key], "source": f"{entry.name}: {entry.capacity}"}
            )
        elif role is not None and role[1] is entry:
            kind = role[0]
            source = f"{entry.name} is {kind.label}: {kind.capacity_note}"
            if database:
                cap.update({"reads": kind.reads, "writes": kind.writes, "source": source})
            else:
                cap.update({"requests": kind.reads, "source": source})
    stated = component.capacity_per_s
    if stated is not None:
        # The learner's own figure for one instance (phase 5): a database's is its reads
        # or its writes as the text says, else both.
        said = component.capacity_text.lower()
        if component.type in DATABASE_TYPES:
            if "write" in said and "read" not in said:
                cap["writes"] = stated
            elif "read" in said and "write" not in said:
                cap["reads"] = stated
            else:
                cap.update({"reads": stated, "writes": stated})
        else:
            cap["requests"] = stated
        cap["source"] = f"your phase 5 figure: {component.capacity_text} per instance"
    override = _override(design, component)
    changed = []
    fields: tuple[tuple[Literal["requests", "reads"], str], ...] = (
        ("requests", "requests_per_s"),
        ("reads", "reads_per_s"),
    )
    for key, field in fields:
        if _number(override.get(field)) is not None:
            cap[key] = _number(override[field])
            changed.append(f"{_rate(cap[key])} {key}")
    if _number(override.get("writes_per_s")) is not None:
        cap["writes"] = _number(override["writes_per_s"])
        changed.append(f"{_rate(cap['writes'])} writes")
    if changed:
        cap["source"] = f"set by the instructor for this problem: {', '.join(changed)}"
    return cap


def _origin(design: Design, component: Component) -> str:
    """Where a per-instance figure the learner did not state comes from."""
    if _override(design, component):
        return "the instructor's figure"
    entry = technology_for(design, component)
    if entry is not None and (entry.limits or entry.scales):
        return f"the catalogue's figure for {entry.name}"
    role = store_figures(design, component)
    if entry is not None and role is not None and role[1] is entry:
        return f"the tutor's figure for {role[0].label}, which {entry.name} is"
    return "the tutor's reference figure"


def _written_stores(design: Design, arch: Architecture) -> list[Component]:
    """The stores (not replicas) the write path writes to, in path order."""
    found: dict[int, Component] = {}
    for _step, component in _resolved(arch, "write_path"):
        if component.type in ("db_primary", "search") and not holds_no_written_data(
            design, component
        ):
            found.setdefault(id(component), component)
    return list(found.values())


def shared_writes(design: Design, component: Component) -> str:
    """What a store's write load rests on when the write path writes to several stores:
    each is taken to get every write of phase 2, which the design does not split ("")."""
    arch = _safe(design, "architecture")
    if arch is None:
        return ""
    stores = _written_stores(design, arch)
    if component not in stores or len(stores) < 2:
        return ""
    others = " and ".join(f'"{c.label}"' for c in stores if c is not component)
    return (
        f'the whole write rate taken to reach "{component.label}" (the write path also '
        f"writes to {others}, and nothing says what share of phase 2's writes each one "
        "holds)"
    )


def assumption(design: Design, *names: str) -> str:
    """The per-instance capacities a verdict about these components rests on, none of
    which the learner stated: 'figures you did not state: 2,000 requests/s per instance
    of "API servers" (the tutor's reference figure)'. Every finding built on the capacity
    model carries it, so the learner knows which figure to question."""
    arch = _safe(design, "architecture")
    if arch is None:
        return ""
    parts = []
    loads = []
    for name in dict.fromkeys(names):
        component = arch.component(name) if name else None
        if component is None:
            continue
        if shared := shared_writes(design, component):
            loads.append(shared)
        cap = per_instance(design, component)
        if component.capacity_per_s is not None and not _override(design, component):
            continue  # the learner's own figure: nothing to question
        if component.type in DATABASE_TYPES and cap["reads"] and cap["writes"]:
            figure = (
                f"{cap['reads']:,.0f} operations/s"
                if cap["reads"] == cap["writes"]
                else f"{cap['reads']:,.0f} reads/s or {cap['writes']:,.0f} writes/s"
            )
        elif cap["requests"]:
            figure = f"{cap['requests']:,.0f} requests/s"
        else:
            continue
        parts.append(f'{figure} per instance of "{component.label}" ({_origin(design, component)})')
    said = []
    if parts:
        said.append(
            "figures you did not state: "
            + " and ".join(parts)
            + '; state your own under "One instance handles" in phase 5'
        )
    if loads:
        said.append("; ".join(loads))
    return "; ".join(said)


LATENCY_ASSUMPTION = "the tutor's reference latency for each step (the reference page lists them)"


# -- Routing ----------------------------------------------------------------------------------


def _resolved(arch: Architecture, key: str) -> list[tuple[Step, Component]]:
    found = []
    for step in arch.path(key):
        component = arch.component(step.component) if step.component else None
        if component is not None:
            found.append((step, component))
    return found


def holds_no_written_data(design: Design, component: Component) -> str:
    """Why phase 3 says a store holds none of the data the system writes, or "".

    Phase 3's write access patterns say where each piece of written data lives (its
    storage type); a store whose phase 6 technology is none of those kinds, while other
    stores of the design are, only looks something up when the write path passes it.
    "" when it holds some, and when the structure does not say (no write pattern naming
    a store, no technology for it, a kind of data no store of the design holds).
    """
    if component.type not in STORE_TYPES:
        return ""
    model = _safe(design, "data_model")
    arch = _safe(design, "architecture")
    entry = technology_for(design, component)
    if model is None or arch is None or entry is None or not entry.store_categories:
        return ""
    written = {p.storage for p in model.access_patterns if p.kind == "write" and p.storage}
    if not written or written & set(entry.store_categories):
        return ""
    # Each kind of written data must live in another store of the design; else phases 3
    # and 6 disagree (PostgreSQL data in a Cassandra box), and the writes stay here.
    elsewhere: set[str] = set()
    for other in arch.components:
        # A replica holds a copy of its primary's data, not data of its own.
        mine = other is component or other.type == "db_replica"
        role = store_figures(design, other) if not mine else None
        if role is not None:
            kind, tech = role
            elsewhere |= set(tech.store_categories) if tech is not None else {kind.category}
    if written - elsewhere:
        return ""
    kinds = " or ".join(sorted(written))
    return (
        f"phase 3 writes its data to {kinds} storage, which other stores hold, and "
        f"{entry.name} ({entry.category_label.lower()}) is neither, so it is only read on the way"
    )


def _route(
    arch: Architecture,
    rates: Rates,
    rate: float,
    cache_down: bool,
    lookups: dict[int, str] | None = None,
) -> dict[int, _Load]:
    """Reads and writes per second reaching each component (by id), with the arithmetic.

    ``rates`` holds the peak and average reads and writes (``reads``, ``writes``,
    ``average_reads``, ``average_writes``; the averages may be None). ``lookups`` holds the
    stores (by id) that hold none of the written data, with why: their write-path steps
    count as reads.
    """
    lookups = lookups or {}
    loads: dict[int, _Load] = {}

    def add(component: Component, path: str, kind: Kind, value: float, note: str) -> None:
        entry = loads.setdefault(
            id(component), {"paths": {}, "reads": 0.0, "writes": 0.0, "requests": 0.0}
        )
        best = entry["paths"].get(path)
        if best is None or value > best[2]:
            entry["paths"][path] = (kind, note, value)

    kinds: tuple[tuple[str, Kind], ...] = (("read_path", "reads"), ("write_path", "writes"))
    for key, kind_name in kinds:
        peak = rates[kind_name]
        average = rates["average_reads"] if kind_name == "reads" else rates["average_writes"]
        steps = _resolved(arch, key)
        has_cache = any(c.type == "cache" for _s, c in steps)
        behind_queue = False
        batching = False
        for step, component in steps:
            if key == "read_path" and step.branch == "hit":
                value = 0.0 if cache_down else peak * rate
                note = (
                    "the cache is down, no hits"
                    if cache_down
                    else f"{_rate(peak)} × {_share(rate)} hits = {_rate(value)}"
                )
            elif key == "read_path" and step.branch == "miss" and has_cache:
                value = peak if cache_down else peak * (1 - rate)
                note = (
                    f"the cache is down, every read misses: {_rate(peak)}"
                    if cache_down
                    else f"{_rate(peak)} × (1 − {rate:g}) = {_rate(value)}"
                )
            else:
                value = peak
                note = f"{_rate(peak)} peak {'reads' if key == 'read_path' else 'writes'}"
            if component.type == "cache" and cache_down:
                value, note = 0.0, "the cache is down"
            kind = kind_name
            if key == "write_path" and id(component) in lookups:
                kind = "reads"
                note += f", counted as reads: {lookups[id(component)]}"
            if step.is_async:
                if behind_queue and average is not None and peak > 0:
                    # The queue holds the peak's excess; its consumers keep up with the average.
                    value *= average / peak
                    note = f"behind the queue the average counts: {_rate(average)} {kind_name}" + (
                        f", {note}" if value != average else ""
                    )
                if component.type == "queue":
                    behind_queue = True
                if _BATCH_WORDS.search(step.action):
                    batching = True
                if key == "read_path":
                    kind = "writes"  # recorded after the answer, e.g. a click
                if component.type in STORE_TYPES and behind_queue and batching:
                    value /= BATCH
                    note += f", ÷ {BATCH} events a batch ({reference.TUTOR}) = {_rate(value)}"
                note += " (async)"
            add(component, key, kind, value, note)
    for entry in loads.values():
        for kind, _note, value in entry["paths"].values():
            entry[kind] += value
            entry["requests"] += value
    return loads


def stored_bytes(design: Design) -> tuple[float, str] | None:
    """Phase 2's storage at the end of the retention (with overhead when it has one),
    recomputed from its assumptions, and its label."""
    rows = _figures(design)
    for key, label in (("storage_with_overhead", "with overhead"), ("storage", "raw")):
        value = rows.get(key)
        if value:
            return value, label
    return None


def _holder(design: Design, arch: Architecture, lookups: dict[int, str]) -> Component | None:
    """The one store that holds what the write path stores, or None when the design does
    not say which: several stores are written (phase 2 gives one total), or phase 3 keeps
    some written data in a kind of store this one is not (a position overwritten in an
    in-memory index while its history goes to a wide-column store)."""
    holders: dict[int, Component] = {}
    for _step, component in _resolved(arch, "write_path"):
        if component.type in ("db_primary", "object_storage", "search") and (
            id(component) not in lookups
        ):
            holders[id(component)] = component
    if len(holders) != 1:
        return None
    holder = next(iter(holders.values()))
    model = _safe(design, "data_model")
    role = store_figures(design, holder)
    if model is not None and role is not None:
        kinds = set(role[1].store_categories) if role[1] is not None else {role[0].category}
        written = {p.storage for p in model.access_patterns if p.kind == "write" and p.storage}
        if written - kinds:
            return None
    return holder


def _nodes(arch: Architecture, component: Component, counts: dict[int, int]) -> int:
    """The nodes that hold a store's data: its count, and its replicas when it is the only
    primary (phase 2's overhead counts their copies, and their disks hold them)."""
    nodes = counts.get(id(component), component.count or 1)
    primaries = [c for c in arch.components if c.type == "db_primary"]
    if component.type == "db_primary" and primaries == [component]:
        nodes += sum(
            counts.get(id(c), c.count or 1) for c in arch.components if c.type == "db_replica"
        )
    return nodes


def _storage(design: Design, component: Component, count: int) -> tuple[float | None, str]:
    """What a store's nodes hold together, in bytes (None: no practical limit), and why."""
    role = store_figures(design, component)
    if role is None:
        return None, ""
    kind, entry = role
    if entry is not None and entry.scales:
        return None, f"{entry.name} is managed and grows with its data"
    if kind.holds is None:
        return None, kind.holds_note
    what = f"{entry.name} is {kind.label}" if entry is not None else f"taken as {kind.label}"
    return kind.holds * count, f"{what}: {kind.holds_note}"


def storage_if_it_held_all(design: Design, name: str) -> tuple[float, str] | None:
    """A written store's storage headroom were it to hold all of phase 2's storage, and
    the arithmetic; None unless the model itself could not tell which store holds it
    (several stores written, or phase 3 keeping data in other kinds of store), and None
    when another written store has no size limit (object storage: the bulk goes there)."""
    arch = _safe(design, "architecture")
    component = arch.component(name) if arch is not None and name else None
    stored = stored_bytes(design)
    if arch is None or component is None or stored is None:
        return None
    if component not in _written_stores(design, arch):
        return None
    lookups = {id(c): why for c in arch.components if (why := holds_no_written_data(design, c))}
    if _holder(design, arch, lookups) is not None:
        return None  # the model placed the storage itself
    for _step, other in _resolved(arch, "write_path"):
        written = other is not component and other.type in STORE_TYPES
        if written and _storage(design, other, 1)[0] is None:
            return None  # the bulk likely lives in a store without a size limit
    nodes = _nodes(arch, component, {})
    room, why = _storage(design, component, nodes)
    if room is None:
        return None
    size, label = stored
    return (
        room / size,
        f"if it held all of phase 2's {format_value(size, 'size')} ({label}): "
        f"{format_value(size, 'size')} ÷ ({nodes} × {format_value(room / nodes, 'size')}) "
        f"= {room / size:.3g}×; {why}",
    )


def storage_assumption(design: Design, *names: str) -> str:
    """The bytes per node a storage verdict about these components rests on."""
    arch = _safe(design, "architecture")
    if arch is None:
        return ""
    parts = []
    for name in dict.fromkeys(names):
        component = arch.component(name) if name else None
        role = store_figures(design, component) if component is not None else None
        if component is None or role is None or role[0].holds is None:
            continue
        parts.append(f'{role[0].holds_note} for "{component.label}"')
    return ("figures you did not state: " + " and ".join(parts)) if parts else ""


def _headroom(capacity: float | None, load: float) -> float | None:
    if capacity is None or load <= 0:
        return None
    return units.finite(capacity / load)


def _rows(
    design: Design, arch: Architecture, rates: Rates, rate: float, **changes: Unpack[_Changes]
) -> list[ComponentLoad]:
    cache_down = changes.get("cache_down", False)
    counts = changes.get("counts", {})
    lookups = {id(c): why for c in arch.components if (why := holds_no_written_data(design, c))}
    loads = _route(arch, rates, rate, cache_down, lookups)
    holder = _holder(design, arch, lookups)
    stored = stored_bytes(design) if holder is not None else None
    rows: list[ComponentLoad] = []
    for component in arch.components:
        count = counts.get(id(component), component.count or 1)
        entry = loads.get(id(component), {"paths": {}, "reads": 0.0, "writes": 0.0})
        load = entry["reads"] + entry["writes"]
        parts = [
            f"{'read' if path == 'read_path' else 'write'} path: {note}"
            for path, (_kind, note, _value) in entry["paths"].items()
        ]
        load_note = "; ".join(parts) or "on neither path"
        if len(parts) > 1:
            load_note += f"; together {_rate(load)}"
        if entry["writes"] > 0 and (shared := shared_writes(design, component)):
            load_note += f"; {shared}"
        cap = per_instance(design, component)
        down = (cache_down and component.type == "cache") or count == 0
        capacity: float | None
        kind_share: tuple[float, float] | None
        if down:
            capacity, kind_share = 0.0, None
            capacity_note = "out of service in this what-if"
        elif component.type in DATABASE_TYPES and cap["reads"] and cap["writes"]:
            used_reads = entry["reads"] / (cap["reads"] * count)
            used_writes = entry["writes"] / (cap["writes"] * count)
            used = used_reads + used_writes
            capacity = units.finite(load / used) if used > 0 else cap["reads"] * count
            kind_share = (used_reads, used_writes)
            capacity_note = (
                f"{count} × ({_rate(cap['reads'])} reads or {_rate(cap['writes'])} writes): "
                f"{_rate(entry['reads'])} ÷ {_rate(cap['reads'] * count)} + "
                f"{_rate(entry['writes'])} ÷ {_rate(cap['writes'] * count)} = "
                f"{used * 100:.3g}% used, {_rate(capacity)} at today's mix; {cap['source']}"
            )
        elif cap["requests"] is None:
            capacity, kind_share = None, None
            capacity_note = f"no practical limit: {cap['source']}"
        else:
            capacity, kind_share = cap["requests"] * count, None
            capacity_note = (
                f"{count} × {_rate(cap['requests'])} = {_rate(capacity)}; {cap['source']}"
            )
        saturates: Kind
        if kind_share is not None:
            saturates = "writes" if kind_share[1] > kind_share[0] else "reads"
        else:
            saturates = "reads" if entry["reads"] >= entry["writes"] else "writes"
        headroom = _headroom(capacity, load) if not down else None
        row: ComponentLoad = {
            "name": component.label,
            "type": component.type,
            "count": count,
            "load": load,
            "reads": entry["reads"],
            "writes": entry["writes"],
            "saturates": saturates,
            "capacity": capacity,
            "headroom": headroom,
            "load_note": load_note,
            "capacity_note": capacity_note,
        }
        if kind_share is not None and sum(kind_share) > 0:
            row["write_share"] = kind_share[1] / sum(kind_share)
        role = store_figures(design, component)
        if role is not None and role[0].partitioned:
            row["partitioned"] = True
        if stored is not None and component is holder and count > 0:
            nodes = _nodes(arch, component, counts)
            room, why = _storage(design, component, nodes)
            size, label = stored
            if room is None:
                note = f"storage: {format_value(size, 'size')} {label}; {why}"
            else:
                per_node = room / nodes
                copies = f"{nodes} nodes with their replicas" if nodes != count else f"{nodes}"
                note = (
                    f"storage: {format_value(size, 'size')} ({label}, phase 2) ÷ "
                    f"({copies} × {format_value(per_node, 'size')} = "
                    f"{format_value(room, 'size')}) = "
                    f"{units.finite(room / size) or 0:.3g}× headroom; {why}"
                )
            row.update(
                {
                    "stored": size,
                    "storage_capacity": room,
                    "storage_headroom": _headroom(room, size),
                    "storage_note": note,
                    "capacity_note": f"{capacity_note}; {note}",
                }
            )
        rows.append(row)
    return rows


def _first(rows: list[ComponentLoad]) -> RunsOut | None:
    bounded = [r for r in rows if is_bounded(r)]
    if not bounded:
        return None
    row = min(bounded, key=least_headroom)
    first: RunsOut = {
        "name": row["name"],
        "type": row["type"],
        "headroom": least_headroom(row),
        "resource": "storage" if storage_bound(row) else "load",
    }
    return first


def _database_reads(rows: list[ComponentLoad]) -> float:
    return sum(r["reads"] for r in rows if r["type"] in DATABASE_TYPES)


def _what_if(label: str, rows: list[ComponentLoad]) -> WhatIf:
    return {
        "label": label,
        "components": rows,
        "first_to_run_out": _first(rows),
        "database_reads": _database_reads(rows),
    }


def _replica_lost(design: Design, arch: Architecture, rates: Rates, rate: float) -> WhatIf:
    replicas = [c for c in arch.components if c.type == "db_replica"]
    if not replicas:
        rows = _rows(design, arch, rates, rate)
        return _what_if("One replica lost: there are no replicas to lose", rows)
    counts = {id(c): (c.count or 1) - 1 for c in replicas}
    rows = _rows(design, arch, rates, rate, counts=counts)
    primary = next((r for r in rows if r["type"] == "db_primary"), None)
    for replica, row in zip(replicas, [r for r in rows if r["type"] == "db_replica"], strict=False):
        if counts[id(replica)] == 0 and row["load"] > 0 and primary is not None:
            # The last replica gone: its reads fall back on the primary.
            moved = row["reads"]
            primary["reads"] += moved
            primary["load"] += moved
            primary["load_note"] += f"; {_rate(moved)} reads from the lost replica"
            row["load_note"] += "; its reads move to the primary"
            row.update({"reads": 0.0, "load": 0.0})
    if primary is not None:
        cap = per_instance(design, arch.component(primary["name"]) or _first_of(arch, "db_primary"))
        if cap["reads"] and cap["writes"]:
            n = primary["count"]
            used = primary["reads"] / (cap["reads"] * n) + primary["writes"] / (cap["writes"] * n)
            if used > 0:
                primary["capacity"] = units.finite(primary["load"] / used)
                primary["headroom"] = units.finite(1 / used)
            else:
                primary["headroom"] = None
    names = ", ".join(f'"{c.label}"' for c in replicas)
    return _what_if(f"One replica lost ({names} one fewer each)", rows)


def _first_of(arch: Architecture, kind: str) -> Component:
    return next(c for c in arch.components if c.type == kind)


# -- Latency and availability -----------------------------------------------------------------


def read_target(design: Design, arch: Architecture) -> LatencyTarget | None:
    """Phase 1's p99 target of the operation the read path serves, or None.

    The target whose operation's words lean to the read side (they match the read path's
    steps and the read requirements more than the write ones); never a write's, and None
    when that target is not a number (nothing to compare with)."""
    req = _safe(design, "requirements")
    if req is None:
        return None
    read_words = set(_READ_WORDS)
    write_words: set[str] = set()
    for step in arch.read_path:
        read_words |= set(stems(step.action))
    for step in arch.write_path:
        write_words |= set(stems(step.action))
    for fr in req.functional:
        if fr.path in ("read", "both"):
            read_words |= set(stems(fr.text))
        if fr.path == "write":
            write_words |= set(stems(fr.text))
    write_words -= read_words

    def leans_read(target: LatencyTarget) -> int:
        said = set(stems(target.operation))
        return len(said & read_words) - len(said & write_words)

    p99 = [t for t in req.latency if t.percentile == "p99" and leans_read(t) > 0]
    chosen = max(p99, key=leans_read, default=None)
    return chosen if chosen is not None and chosen.milliseconds is not None else None


def latency_of(design: Design, component: Component) -> tuple[float, str]:
    """One step through a component, in ms, and where the figure comes from: a store's
    by what it is (the phase 6 technology's kind), else the reference figure for its type."""
    role = store_figures(design, component)
    if role is not None:
        kind, entry = role
        if entry is not None:
            return kind.latency_ms, f"{entry.name} is {kind.label}: {kind.latency_note}"
    figures = reference.COMPONENTS_BY_TYPE.get(component.type)
    if figures is None:
        return 0.0, "no type chosen"
    return figures.latency_ms, figures.latency_note


def _latency(design: Design, arch: Architecture) -> Latency:
    chain: list[LatencyStep] = []
    seen: set[int] = set()
    for step, component in _resolved(arch, "read_path"):
        if step.is_async or step.branch == "miss" or id(component) in seen:
            continue
        seen.add(id(component))
        ms, note = latency_of(design, component)
        chain.append({"name": component.label, "type": component.type, "ms": ms, "note": note})
    total = sum(row["ms"] for row in chain)
    target_ms: float | None = None
    label = "phase 1 gives no p99 latency target"
    chosen = read_target(design, arch)
    if chosen is not None and chosen.milliseconds is not None:
        target_ms = chosen.milliseconds
        label = f"p99 of {chosen.label}: {target_ms:g} ms (phase 1)"
    return {
        "chain": chain,
        "total_ms": total,
        "target_ms": target_ms,
        "target_label": label,
        "route": "the synchronous read path on a cache hit",
    }


def _replicated_with_failover(failure: Failure | None, component: Component) -> bool:
    """Whether phase 8 says this component keeps a second copy that takes over by itself."""
    if failure is None or not component.name:
        return False
    row = failure.for_component(component.name)
    return row is not None and row.replication in ("sync", "async") and row.automatic_failover


def _availability(design: Design, arch: Architecture) -> Availability:
    failure = _safe(design, "failure")
    chain: list[AvailabilityStep] = []
    seen: set[int] = set()
    total = 1.0
    for step, component in _resolved(arch, "write_path"):
        if step.is_async or id(component) in seen:
            continue
        seen.add(id(component))
        figures = reference.COMPONENTS_BY_TYPE.get(component.type)
        one = (figures.availability if figures else reference.SINGLE_INSTANCE_AVAILABILITY) / 100
        count = component.count or 1
        note = ""
        if component.type == "db_primary":
            standby = sum(c.count or 1 for c in arch.components if c.type == "db_replica")
            if standby:
                note = f" ({count} primary + {standby} replica(s) that can be promoted)"
                count += standby
        if count == 1 and _replicated_with_failover(failure, component):
            count, note = 2, " (replicated with automatic failover, by your phase 8 answer)"
        together = 1 - (1 - one) ** count
        total *= together
        chain.append(
            {
                "name": component.label,
                "type": component.type,
                "count": count,
                "availability": together * 100,
                "note": f"1 − (1 − {one:g})^{count} = {together * 100:.6g}%{note}",
            }
        )
    req = _safe(design, "requirements")
    target = req.availability_percent if req is not None else None
    return {
        "chain": chain,
        "total_percent": total * 100,
        "target_percent": target,
        "route": "the synchronous write path",
    }


# -- The model --------------------------------------------------------------------------------


def model(design: Design) -> CapacityModel:
    """The capacity model for one design (shape in ``docs/answers.md``); never raises.

    Every figure in it is a finite number or None (JSON has no infinity).
    """
    return units.finite_tree(_model(design))


def _model(design: Design) -> CapacityModel:
    reads, writes = peaks(design)
    rate, source = hit_rate(design)
    result: CapacityModel = {
        "missing": [],
        "inputs": {
            "peak_reads_per_s": reads,
            "peak_writes_per_s": writes,
            "hit_rate": rate,
            "hit_rate_source": source,
        },
        "components": [],
        "first_to_run_out": None,
        "breaks_at": None,
        "what_if": {},
        "latency": {
            "chain": [],
            "total_ms": 0.0,
            "target_ms": None,
            "target_label": "",
            "route": "the synchronous read path on a cache hit",
        },
        "availability": {
            "chain": [],
            "total_percent": 100.0,
            "target_percent": None,
            "route": "the synchronous write path",
        },
    }
    arch = _safe(design, "architecture")
    if arch is None or not arch.components:
        result["missing"].append("Phase 5 has no components yet, so there is nothing to load.")
    if reads is None or writes is None:
        result["missing"].append(
            "Phase 2 does not give both peak reads and peak writes a second, so no load "
            "can be routed."
        )
    if arch is None or not arch.components:
        return result
    result["latency"] = _latency(design, arch)
    result["availability"] = _availability(design, arch)
    if reads is None or writes is None:
        return result
    average_reads, average_writes = averages(design)
    rates: Rates = {
        "reads": reads,
        "writes": writes,
        "average_reads": average_reads,
        "average_writes": average_writes,
    }
    rows = _rows(design, arch, rates, rate)
    first = _first(rows)
    result.update(
        {
            "components": rows,
            "first_to_run_out": first,
            "breaks_at": first["headroom"] if first else None,
            "what_if": {
                "hit_rate_80": _what_if(
                    f"The hit rate falls to {_share(WHAT_IF_HIT_RATE)}",
                    _rows(design, arch, rates, WHAT_IF_HIT_RATE),
                ),
                "cache_down": _what_if(
                    "The cache is down: every read reaches the store behind it",
                    _rows(design, arch, rates, rate, cache_down=True),
                ),
                "replica_lost": _replica_lost(design, arch, rates, rate),
            },
        }
    )
    return result
