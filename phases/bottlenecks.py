"""Phase 7, bottlenecks: load against capacity, component by component.

The capacity model (``phases/capacity.py``) routes phase 2's peaks along phase 5's paths
and sets each component's load against its capacity; a background task stores it after
each save, and the rules read the same model. The learner's side, version 1
(documented in ``docs/answers.md``)::

    {
      "version": 1,
      "bottleneck": "db",                 # a phase 5 component name
      "hit_rate": "99%",                  # the cache hit rate they assume
      "mitigations": [{"target": "db", "kind": "read_replicas", "detail": "two replicas"}],
      "cache_outage": "no",               # does the database survive the cache going down?
      "reasoning": "..."
    }
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phases import capacity
from phases.capacity import (
    BoundedLoad,
    CapacityModel,
    ComponentLoad,
    NoModel,
    WhatIf,
    is_bounded,
    least_headroom,
    storage_bound,
)
from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Hit, Severity
from phases.engine.unit import (
    Expectation,
    Layout,
    PhaseUnit,
    Problems,
    Rows,
    choice_field,
    is_number,
    longtext_field,
    text_field,
)
from phases.knowledge.components import COMPONENT_TYPES
from phases.reading import units
from phases.rendering.markdown import capacity_model, cell, field_line, inline, num, plain, table

if TYPE_CHECKING:
    from phases.engine.design import Design

SCHEMA_VERSION = 1

# Mitigations and the family of bottleneck each one relieves.
MITIGATIONS = {
    "read_replicas": ("read", "Add read replicas"),
    "cache": ("read", "Add or grow a cache"),
    "index": ("read", "Index the hot queries"),
    "denormalise": ("read", "Denormalise to avoid joins"),
    "batch_writes": ("write", "Batch writes"),
    "bigger_primary": ("write", "A bigger primary"),
    "shard": ("write", "Shard by a well-spread key"),
    "queue": ("write", "Queue non-urgent writes"),
    "more_app_servers": ("application", "More application servers"),
    "cdn": ("network", "Serve static content from a CDN"),
    "compression": ("network", "Compress payloads"),
    "colocation": ("network", "Move compute next to the data"),
}
FAMILIES = ("read", "write", "application", "network")
OUTAGE_ANSWERS = ("yes", "no")


@dataclass(frozen=True)
class Mitigation:
    field: str
    target: str
    kind: str
    detail: str

    @property
    def family(self) -> str:
        return MITIGATIONS[self.kind][0] if self.kind in MITIGATIONS else ""


@dataclass(frozen=True)
class Bottlenecks:
    bottleneck: str
    hit_rate_text: str
    hit_rate: float | None  # a share between 0 and 1
    mitigations: tuple[Mitigation, ...]
    cache_outage: str
    reasoning: str


# The form: the component that runs out first, the cache's part, the mitigations.
LAYOUT = Layout(
    fields=(
        text_field(
            "bottleneck",
            "The component that runs out first",
            placeholder="a component from phase 5",
            suggest="declared-components",
        ),
        text_field("hit_rate", "Cache hit rate you assume", placeholder="e.g. 87%"),
        choice_field(
            "cache_outage",
            "Does the database survive the cache going down?",
            OUTAGE_ANSWERS,
            {"yes": "yes", "no": "no"},
        ),
        longtext_field("reasoning", "Your reasoning"),
    ),
    lists=(
        Rows(
            "mitigations",
            (
                text_field(
                    "target",
                    "Component",
                    placeholder="a phase 5 component",
                    suggest="declared-components",
                ),
                choice_field(
                    "kind",
                    "Mitigation",
                    tuple(MITIGATIONS),
                    {key: label for key, (_, label) in MITIGATIONS.items()},
                ),
                text_field("detail", "Detail", placeholder="two replicas behind the primary"),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {
        "version": SCHEMA_VERSION,
        "bottleneck": "",
        "hit_rate": "",
        "mitigations": [],
        "cache_outage": "",
        "reasoning": "",
    }


def parse_share(text: str) -> float | None:
    """A hit rate as a share: ``99%`` or ``0.99`` give 0.99; raises UnitError otherwise."""
    text = text.strip()
    if not text:
        return None
    if text.endswith("%"):
        value = units.parse_number(text[:-1].strip()) / 100
    else:
        value = units.parse_number(text)
        if value > 1:
            value /= 100  # "99" meant as a percentage
    if not 0 <= value <= 1:
        raise units.UnitError(f"A hit rate lies between 0% and 100%, e.g. 95% (got {text!r}).")
    return value


def parse(data: JSON) -> Bottlenecks:
    r = Reader(data)
    d = r.data
    hit_rate_text = r.text(d, "hit_rate", "hit_rate")
    result = Bottlenecks(
        bottleneck=r.text(d, "bottleneck", "bottleneck"),
        hit_rate_text=hit_rate_text,
        hit_rate=r.parsed("hit_rate", parse_share, hit_rate_text),
        mitigations=tuple(
            Mitigation(
                field=path,
                target=r.text(row, "target", f"{path}.target"),
                kind=r.text(row, "kind", f"{path}.kind", choices=tuple(MITIGATIONS)),
                detail=r.text(row, "detail", f"{path}.detail"),
            )
            for path, row in r.rows(d, "mitigations", "mitigations")
        ),
        cache_outage=r.text(d, "cache_outage", "cache_outage", choices=OUTAGE_ANSWERS),
        reasoning=r.text(d, "reasoning", "reasoning"),
    )
    r.raise_if_errors()
    return result


def computed(design: Design) -> CapacityModel:
    """The capacity model: computed by a background task after each save."""
    return design.capacity


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits; the registry gives each its code and severity.
# They read the capacity model (``design.capacity``, phases/capacity.py), which never
# raises and leaves out what it cannot compute; a rule whose figures are missing says
# nothing.

# A named bottleneck counts as right when its headroom is within this factor of the least.
MARGIN = 1.5
# A hit rate above this share is more than a cache keeps up in practice.
MAX_HIT_RATE = 0.999
DATABASES = ("db_primary", "db_replica")
# The family of mitigation each kind of component needs when it saturates; stores
# depend on which load uses up more of them (see ``_family``).
_TYPE_FAMILY = {
    "cache": "read",
    "queue": "write",
    "app_server": "application",
    "worker": "application",
    "batch": "application",
    "load_balancer_l4": "network",
    "load_balancer_l7": "network",
    "cdn": "network",
    "dns": "network",
}
_FAMILY_LABELS = {
    "read": "read load (replicas, a cache, indexes, denormalising)",
    "write": "write load (batching, a bigger primary, sharding, a queue)",
    "application": "application servers (more of them)",
    "network": "the network (a CDN, compression, moving compute next to the data)",
    "storage": "storage (sharding the data over more nodes, or bigger disks)",
}
# The mitigations that give a store whose disks fill up first more room.
STORAGE_MITIGATIONS = ("shard", "bigger_primary")


def _normal(name: str) -> str:
    return " ".join((name or "").lower().split())


def _x(value: float) -> str:
    return f"{value:.2g}×" if value < 10 else f"{value:,.0f}×"


def _answer(design: Design) -> Bottlenecks | None:
    try:
        return design.bottlenecks
    except AnswerShapeError:
        return None


def _rows(design: Design) -> list[ComponentLoad]:
    return list(design.capacity.get("components") or [])


def _row_named(rows: list[ComponentLoad], name: str) -> ComponentLoad | None:
    """The model's row for a name: a component's name first, else its type or label."""
    wanted = _normal(name)
    if not wanted:
        return None
    for row in rows:
        if _normal(row["name"]) == wanted:
            return row
    for row in rows:
        if wanted in (row["type"], _normal(COMPONENT_TYPES.get(row["type"], ""))):
            return row
    return None


def _least(rows: list[ComponentLoad]) -> BoundedLoad | None:
    """The row that runs out first: of its load, or of its storage (``least_headroom``)."""
    bounded = [r for r in rows if is_bounded(r)]
    return min(bounded, key=least_headroom) if bounded else None


def _runs_out(row: BoundedLoad) -> str:
    """What a row runs out of, with its arithmetic: its load's or its storage's."""
    if storage_bound(row):
        return f'"{row["name"]}": {row.get("storage_note", "")}'
    return f'"{row["name"]}": {row["capacity_note"]}; load {row["load_note"]}'


def _assumes(design: Design, *rows: ComponentLoad | BoundedLoad) -> str:
    """The figures a verdict about these rows rests on: per-instance capacities for the
    ones judged by their load, bytes per node for the ones judged by their storage."""
    by_load = [r["name"] for r in rows if not storage_bound(r)]
    by_storage = [r["name"] for r in rows if storage_bound(r)]
    parts = [
        capacity.assumption(design, *by_load) if by_load else "",
        capacity.storage_assumption(design, *by_storage) if by_storage else "",
    ]
    return "; ".join(p for p in parts if p)


def _family(row: ComponentLoad) -> str:
    """The family of mitigation a saturated component needs (its load's; a store whose
    disks fill up first also takes the storage mitigations, ``STORAGE_MITIGATIONS``)."""
    if row["type"] in _TYPE_FAMILY:
        return _TYPE_FAMILY[row["type"]]
    return "write" if row.get("saturates") == "writes" else "read"


# A store whose reads and writes each make at least this share of its use is relieved by
# a cure for either (an in-memory store taking as many reads as writes).
BALANCED = 1 / 3


def _families(row: ComponentLoad) -> set[str]:
    """Every family of mitigation that relieves a component: a store's reads and writes
    both count when each makes a fair share of its use."""
    share = row.get("write_share")
    if row["type"] in _TYPE_FAMILY or share is None:
        return {_family(row)}
    return {f for f, used in (("read", 1 - share), ("write", share)) if used >= BALANCED}


# The mitigations that relieve every load of a store that spreads its data over its nodes.
PARTITIONED_MITIGATIONS = ("shard",)


def _has_cache(design: Design) -> bool:
    if not design.has(5):
        return False
    try:
        arch = design.architecture
    except AnswerShapeError:
        return False
    return any(
        (c := arch.component(step.component)) is not None and c.type == "cache"
        for step in arch.read_path
    )


# Components whose capacity is the cost of one task (a transcode, a page fetch).
WORK_TYPES = frozenset({"worker", "batch"})
# Compute tiers: what one instance carries is the cost of the code it runs per request or
# task, which the model does not know unless the learner states it in phase 5.
COMPUTE_TYPES = WORK_TYPES | {"app_server"}


def _guessed(design: Design, row: ComponentLoad | BoundedLoad) -> bool:
    """A compute tier whose capacity is the tutor's guess (the learner states none)."""
    if row["type"] not in COMPUTE_TYPES:
        return False
    try:
        component = design.architecture.component(row["name"]) if design.has(5) else None
    except AnswerShapeError:
        return False
    return component is not None and component.capacity_per_s is None


def _tightest_known(design: Design, rows: list[ComponentLoad]) -> BoundedLoad | None:
    """The row that runs out first among those whose capacity is known (sourced figures,
    the catalogue's or the learner's), leaving out compute tiers sized by a guess."""
    return _least([r for r in rows if not _guessed(design, r)])


def wrong_bottleneck(design: Design) -> Iterator[Hit]:
    """The bottleneck you name is not the component that runs out of headroom first.

    Why it matters:
        The capacity model puts each component's load against what it can carry. The
        part with the least headroom decides when the whole design stops coping; effort
        spent on any other part buys nothing until that one is fixed.
    Triggers:
        No bottleneck named, a name that is no phase 5 component, or a component whose
        headroom is more than 1.5 times the least headroom in the model. A store's
        headroom is the smaller of its load's and its storage's: phase 2's storage
        against the disks (or, in memory, the RAM) of the one store the write path
        fills, so "the primary runs out of room first" can be right. When the design
        does not say which store holds phase 2's storage and the one named would be
        within 1.5 times of the least headroom if it held it all (and no other written
        store is unlimited, like object storage), this is a note giving both readings.
        Nothing is said until phases 2 and 5 give the model loads to compare. A
        verdict that weighs a worker or a batch job is a note: their capacity is the
        cost of one task, which the model does not know. Nothing is said when the only
        components that run out sooner are compute tiers (application servers, workers)
        whose capacity you did not state, and the one you name is the first to run out
        of the rest.
    Better:
        Name the component the model shows first to run out (or one within 1.5 times
        its headroom) and say at how many times today's load it breaks.
    """
    answer = _answer(design)
    rows = _rows(design)
    least = _least(rows)
    if answer is None or least is None:
        return
    arithmetic = _runs_out(least)
    if not answer.bottleneck:
        yield Hit(
            field="bottleneck",
            message="You do not name the bottleneck.",
            hint="Which component has the least headroom between its load and its capacity?",
            fix=f'Name the component that runs out first ("{least["name"]}" by the model).',
        )
        return
    row = _row_named(rows, answer.bottleneck)
    if row is None:
        yield Hit(
            field="bottleneck",
            message=f'"{answer.bottleneck}" is not a component of your phase 5 architecture.',
            hint="The bottleneck is one of the boxes the paths go through.",
            fix=f'Name a phase 5 component; the model says "{least["name"]}" runs out first.',
        )
        return
    first = least_headroom(least)
    mine = least_headroom(row) if is_bounded(row) else None
    if mine is not None and mine <= first * MARGIN:
        return
    known = _tightest_known(design, rows)
    if (
        _guessed(design, least)
        and mine is not None
        and known is not None
        and row["name"] == known["name"]
    ):
        # Only a compute tier sized by the tutor's guess runs out before the component
        # named, which is the first to run out of those whose capacity is known: the
        # model cannot say the learner is wrong.
        return
    full = capacity.storage_if_it_held_all(design, row["name"])
    if full is not None and full[0] <= first * MARGIN:
        # Which store holds phase 2's storage is not said; if it is the one named, its
        # disks run out first and the learner is right: a note, not a verdict.
        yield Hit(
            severity=Severity.INFO,
            assumes=capacity.storage_assumption(design, row["name"]),
            field="bottleneck",
            message=f"Your design does not say which store holds phase 2's storage. If \""
            f'{row["name"]}" holds all of it, it has {_x(full[0])} the room its data needs, '
            f'{"less than" if full[0] < first else "within 1.5 times of"} the headroom of "'
            f'{least["name"]}" ({_x(first)}), and naming it is fair; if not, "'
            f'{least["name"]}" runs out first.',
            arithmetic=f'"{row["name"]}" {full[1]}; {arithmetic}',
            hint="Which data lives in which store, and how much of it?",
            fix="Say in your reasoning how much of the stored data this store holds.",
        )
        return
    theirs = f"has headroom {_x(mine)}" if mine is not None else "carries no bounded load"
    what = "of storage " if storage_bound(least) else ""
    # A worker's capacity is its task's cost, which the model does not know: a verdict
    # that weighs workers is a note.
    unsized = {row["type"], least["type"]} & WORK_TYPES
    when = (
        f"with {_x(first)} the room its data needs"
        if storage_bound(least)
        else f"at {_x(first)} today's peak load"
    )
    yield Hit(
        severity=Severity.INFO if unsized else None,
        assumes=_assumes(design, row, least),
        margin=(mine / first / MARGIN) if mine is not None and first else None,
        field="bottleneck",
        message=f'You name "{row["name"]}", which {theirs}; "{least["name"]}" runs out '
        f"{what}first, {when}.",
        arithmetic=arithmetic,
        hint="Divide each component's capacity by its load: which ratio is smallest?",
        fix=f'Name "{least["name"]}" and plan for it, or change the design so that another '
        "part runs out first.",
    )


def wrong_family(design: Design) -> Iterator[Hit]:
    """A mitigation from a family that does not relieve the component it targets.

    Why it matters:
        Each kind of saturation has its own cures. Replicas and caches spread reads but
        every write still lands on the primary; sharding and batching relieve writes but
        do nothing for a read-bound store; more servers help only when the servers are
        the limit. A cure from the wrong family costs money and leaves the bottleneck
        where it was.
    Triggers:
        A mitigation whose kind belongs to the read, write, application or network
        family while the component it targets (or, without a target, the bottleneck
        you name) saturates in another: a database counts as read- or write-bound by
        whichever load uses up more of its capacity, and as both when each uses a third
        or more (an in-memory store taking as many reads as writes); sharding relieves
        every load of a store that spreads its data over its nodes by key (a wide-column
        store, a Redis cluster, a search index). A store whose disks
        fill up before its throughput runs out also takes sharding or a bigger primary.
        Nothing is said about a managed store that grows by itself (DynamoDB, S3). More
        application servers while a database has the least headroom is left to its own
        rule.
    Better:
        Read-bound store: replicas, a cache, indexes. Write-bound primary: batching, a
        bigger primary, sharding, a queue. A store out of room: shard the data over more
        nodes. Application servers: more of them. Network: a CDN, compression, moving
        compute next to the data.
    """
    answer = _answer(design)
    rows = _rows(design)
    if answer is None or not rows:
        return
    least = _least(rows)
    database_saturated = (
        least is not None and least["type"] in DATABASES and not storage_bound(least)
    )
    for m in answer.mitigations:
        if not m.kind:
            continue
        row = _row_named(rows, m.target or answer.bottleneck)
        if row is None or row.get("load", 0) <= 0 or row["headroom"] is None:
            continue  # nothing bounded to relieve (a managed store that grows by itself)
        needed = _family(row)
        full = storage_bound(row)
        if m.family in _families(row) or (full and m.kind in STORAGE_MITIGATIONS):
            continue
        if row.get("partitioned") and m.kind in PARTITIONED_MITIGATIONS:
            continue  # more nodes of a partitioned store carry its reads and its writes
        if m.kind == "more_app_servers" and database_saturated:
            continue  # more_servers_for_database says more
        limits = " or by ".join(_FAMILY_LABELS[f] for f in FAMILIES if f in _families(row))
        limits += f" and by {_FAMILY_LABELS['storage']}" if full else ""
        yield Hit(
            assumes="; ".join(
                part
                for part in (
                    capacity.assumption(design, row["name"]),
                    capacity.storage_assumption(design, row["name"]) if full else "",
                )
                if part
            ),
            field=f"{m.field}.kind",
            message=f'"{MITIGATIONS[m.kind][1]}" relieves {_FAMILY_LABELS[m.family]}, but '
            f'"{row["name"]}" is limited by {limits}.',
            arithmetic=f'"{row["name"]}": {row["load_note"]}'
            + (f"; {row.get('storage_note', '')}" if full else ""),
            hint=f'What does "{row["name"]}" run out of first?',
            fix=f"Choose a mitigation for {_FAMILY_LABELS[needed]}.",
        )


def more_servers_for_database(design: Design) -> Iterator[Hit]:
    """More application servers while a database is the part with the least headroom.

    Why it matters:
        Application servers are the easy part to scale, which makes them a tempting
        answer to every slowdown. When the database is the saturated part, each extra
        server opens more connections and sends more queries to it, so the database
        falls over sooner, not later.
    Triggers:
        A "more application servers" mitigation while the component with the least
        headroom in the capacity model is a database primary or replica.
    Better:
        Relieve the database itself: replicas or a cache for reads; batching, a bigger
        primary or sharding for writes.
    """
    answer = _answer(design)
    least = _least(_rows(design))
    if answer is None or least is None or least["type"] not in DATABASES or storage_bound(least):
        return  # a store whose disks fill up first is wrong_family's
    for m in answer.mitigations:
        if m.kind == "more_app_servers":
            yield Hit(
                assumes=capacity.assumption(design, least["name"]),
                field=f"{m.field}.kind",
                message=f'You add application servers, but the database "{least["name"]}" '
                f"is the saturated part (headroom {_x(least['headroom'])}): more servers "
                "send it more queries and make things worse.",
                arithmetic=f'"{least["name"]}": {least["capacity_note"]}',
                hint="Where do the extra servers' queries go?",
                fix="Relieve the database: replicas or a cache for reads, batching or "
                "sharding for writes.",
            )


def outage_contradicted(design: Design) -> Iterator[Hit]:
    """Your answer on surviving a cache outage contradicts the capacity model.

    Why it matters:
        A cache is a soft dependency only if the store behind it can take every read
        when the cache is gone. If it cannot, a cache restart becomes a database outage
        (the cascade the failure phase must prevent); if it can, there is no need to
        plan for one.
    Triggers:
        "yes" while, with the cache down, a database's headroom falls below 1 (its load
        exceeds its capacity), or "no" while every database keeps headroom above 1.
        Nothing is said without a cache on the read path or a model to check against.
    Better:
        Read the cache-down what-if: compare the reads that reach the database with its
        capacity, then answer, and say what you would do if it does not survive.
    """
    answer = _answer(design)
    if answer is None or answer.cache_outage not in OUTAGE_ANSWERS or not _has_cache(design):
        return
    what_if: WhatIf | NoModel = (design.capacity.get("what_if") or {}).get("cache_down") or {}
    stores = [
        r for r in what_if.get("components") or [] if r["type"] in DATABASES and is_bounded(r)
    ]
    if not stores:
        return
    worst = min(stores, key=lambda r: r["headroom"])
    survives = worst["headroom"] >= 1
    arithmetic = (
        f'"{worst["name"]}" with the cache down: {worst["load_note"]}; {worst["capacity_note"]}'
    )
    if answer.cache_outage == "yes" and not survives:
        yield Hit(
            assumes=capacity.assumption(design, worst["name"]),
            margin=1 / worst["headroom"] if worst["headroom"] else None,
            field="cache_outage",
            message=f'You say the database survives a cache outage, but "{worst["name"]}" '
            f"would get more than it can carry (headroom {_x(worst['headroom'])}).",
            arithmetic=arithmetic,
            hint="How many reads a second reach the database when nothing is cached?",
            fix="Answer no, and plan for it: replicas enough for every read, a warm standby "
            "cache, or shedding load until the cache refills.",
        )
    elif answer.cache_outage == "no" and survives:
        yield Hit(
            assumes=capacity.assumption(design, worst["name"]),
            margin=worst["headroom"],
            field="cache_outage",
            message=f'You say the database does not survive a cache outage, but "'
            f'{worst["name"]}" keeps headroom {_x(worst["headroom"])} with every read.',
            arithmetic=arithmetic,
            hint="Compare the reads that reach the database with what it can carry.",
            fix="Answer yes: the store behind the cache can take every read, only slower.",
        )


def chain_too_slow(design: Design) -> Iterator[Hit]:
    """The synchronous read chain takes longer than phase 1's p99 target.

    Why it matters:
        Every step the user waits for adds its latency; at the tail the delays add up
        rather than average out. If the sum of the steps on the read path is already
        over the target before any queueing, the design cannot meet it.
    Triggers:
        The sum of reference latencies along the synchronous read path (its cache-hit
        route, async steps left out) above phase 1's p99 target for the read operation.
        Nothing is said without a p99 target or a read path,
        nor when the read's target is not a number: the target is the one whose operation
        reads (its words match the read path and the read requirements more than the
        write ones), never a write's.
    Better:
        Take slow steps off the synchronous path (make them async, serve from a cache
        or a CDN, hand out a signed URL instead of proxying large objects), or argue
        for a looser target in phase 1.
    """
    latency = design.capacity.get("latency") or {}
    total, target = latency.get("total_ms"), latency.get("target_ms")
    if not latency.get("chain") or target is None or total is None or total <= target:
        return
    steps = " + ".join(f"{row['name']} {row['ms']:g} ms" for row in latency["chain"])
    yield Hit(
        assumes=capacity.LATENCY_ASSUMPTION,
        margin=total / target if target else None,
        field="read_path",
        field_phase=5,
        message=f"The synchronous read path takes about {total:g} ms, over the "
        f"{latency['target_label']}.",
        arithmetic=f"{steps} = {total:g} ms > {target:g} ms",
        hint="Which step on the path is slowest, and must the user wait for it?",
        fix="Move slow steps off the synchronous path or put a cache in front of them.",
    )


def hit_rate_unrealistic(design: Design) -> Iterator[Hit]:
    """The cache hit rate you assume is missing, or higher than a cache keeps up.

    Why it matters:
        Everything behind the cache is sized by the hit rate: at 99% the database sees
        1% of the reads, at 99.99% a hundredth of that. A rate no cache sustains
        (cold starts, evictions, new keys) hides the load the store really gets.
    Triggers:
        A cache on the read path and no hit rate in your answer (the model then assumes
        99%), or a hit rate above 99.9%.
    Better:
        Assume a rate you can defend from the access pattern (95-99% for hot keys) and
        check the 80% what-if.
    """
    answer = _answer(design)
    if answer is None:
        return
    if answer.hit_rate is not None and answer.hit_rate > MAX_HIT_RATE + 1e-9:
        yield Hit(
            field="hit_rate",
            message=f"A hit rate of {answer.hit_rate_text} is more than a cache keeps up "
            "once keys expire, get evicted or are new.",
            arithmetic=f"{answer.hit_rate:.6g} > {MAX_HIT_RATE:g}",
            hint="How often is a key read for the first time, or after it was evicted?",
            fix="Assume 99% or less, and check that the store behind the cache survives "
            "the 80% what-if.",
        )
    elif answer.hit_rate is None and _has_cache(design):
        yield Hit(
            field="hit_rate",
            message="Your design has a cache, but you do not say what hit rate you assume; "
            "the model uses 99%.",
            hint="What share of reads does the cache answer without the database?",
            fix="State the hit rate you assume, e.g. 95%.",
        )


def bottleneck_unmitigated(design: Design) -> Iterator[Hit]:
    """No mitigation for the bottleneck you name.

    Why it matters:
        Finding the bottleneck is half the work; the other half is deciding how to live
        with it: relieve it now, or say at what load you will and how.
    Triggers:
        A named bottleneck and no mitigation whose target is that component (a
        mitigation with no target counts as aimed at it).
    Better:
        Add a mitigation from the right family targeting the bottleneck, with a detail
        that says when it is needed.
    """
    answer = _answer(design)
    if answer is None or not answer.bottleneck:
        return
    named = _normal(answer.bottleneck)
    if any(not m.target or _normal(m.target) == named for m in answer.mitigations if m.kind):
        return
    yield Hit(
        field="mitigations",
        message=f'You name "{answer.bottleneck}" as the bottleneck but give no mitigation for it.',
        hint="How will this component carry twice today's load?",
        fix=f'Add a mitigation targeting "{answer.bottleneck}".',
    )


def outage_unanswered(design: Design) -> Iterator[Hit]:
    """Your design has a cache, and you do not say whether the database survives its loss.

    Why it matters:
        A cache that the database cannot do without turns a cache restart into an
        outage. Answering the question is how you find out which kind of dependency the
        cache is.
    Triggers:
        A cache on the read path and no answer to "does the database survive a cache
        outage?".
    Better:
        Answer yes or no from the cache-down what-if.
    """
    answer = _answer(design)
    if answer is None or answer.cache_outage or not _has_cache(design):
        return
    yield Hit(
        field="cache_outage",
        message="You do not say whether the database survives the cache going down.",
        hint="With the cache down, how many reads reach the database, against its capacity?",
        fix="Answer yes or no from the cache-down what-if.",
    )


def _named_type(design: Design, name: str) -> str:
    """The phase 5 type of the component a name refers to: by name, else type or label."""
    if not design.has(5):
        return ""
    try:
        arch = design.architecture
    except AnswerShapeError:
        return ""
    component = arch.component(name)
    if component is not None:
        return component.type
    wanted = _normal(name)
    for code, label in COMPONENT_TYPES.items():
        if wanted in (code, _normal(label)) and any(c.type == code for c in arch.components):
            return code
    return ""


def not_the_expected_bottleneck(design: Design) -> Iterator[Hit]:
    """The bottleneck you name is of another kind than the one the instructor expects.

    Why it matters:
        For a problem built around one pressure point (the database for a read-heavy
        service, the message store for a chat), the instructor says which kind of
        component should give out first. Naming another kind may still be right for
        your design, since your capacity model is what BOT-001 checks against; this
        note asks you to see why the expected part is not the one that runs out.
    Triggers:
        The problem's ``expectations.phase7.bottleneck`` names a component type, and the
        phase 5 component you name as the bottleneck is of a different type. An empty
        or unknown name is left to BOT-001.
    Better:
        Compare your component's headroom with that of the expected kind; if yours
        really runs out first, say in the reasoning what in your design makes it so.
    """
    expected = design.problem.expect(7).get("bottleneck")
    answer = _answer(design)
    if not isinstance(expected, str) or not expected or answer is None:
        return
    if not answer.bottleneck:
        return
    named = _named_type(design, answer.bottleneck)
    if not named or named == expected:
        return
    theirs = COMPONENT_TYPES.get(named, named)
    wanted = COMPONENT_TYPES.get(expected, expected)
    yield Hit(
        field="bottleneck",
        message=f'You name "{answer.bottleneck}" ({theirs}); the instructor expects the '
        f"bottleneck of this problem to be the {wanted.lower()}. Your own capacity model is "
        "what decides whether your answer is right (BOT-001); this is a note, not an error.",
        hint=f"What keeps the {wanted.lower()} from running out first in your design?",
        fix=f"Check the headroom of the {wanted.lower()} against your choice, and say in the "
        "reasoning why yours gives out first.",
    )


# -- Expectations: capacities of the problem's components, and its bottleneck -------------

CAPACITY_KEYS = ("requests_per_s", "reads_per_s", "writes_per_s")


def check_capacities(
    problems: Problems, where: str, capacities: object, expectations: JSON
) -> None:
    """``phase7.capacities``: component name or type -> limits a second."""
    if capacities is None:
        return
    if not isinstance(capacities, dict):
        problems.add(where, "expected a mapping of component name or type to limits.")
        return
    for name, limits in capacities.items():
        path = f"{where}.{name}"
        if not isinstance(limits, dict):
            problems.add(path, f"expected a mapping of {', '.join(CAPACITY_KEYS)}.")
            continue
        problems.unknown_keys(path, limits, CAPACITY_KEYS)
        for key in CAPACITY_KEYS:
            if key in limits and not (is_number(limits[key]) and limits[key] > 0):
                problems.add(f"{path}.{key}", "expected a positive number a second.")


def check_bottleneck(
    problems: Problems, where: str, bottleneck: object, expectations: JSON
) -> None:
    """``phase7.bottleneck``: the component type that should run out first."""
    if bottleneck not in COMPONENT_TYPES:
        problems.add(
            where,
            f"expected a component type, one of {', '.join(COMPONENT_TYPES)} (got {bottleneck!r}).",
        )


def export_section(design: Design) -> list[str]:
    """Phase 7's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    out = ["### Capacity", ""]
    model = capacity_model(design)
    components = model.get("components") or []
    if components:
        out.append(
            table(
                ["Component", "Type", "Count", "Load", "Capacity", "Headroom", "Notes"],
                [
                    [
                        cell(c.get("name")),
                        cell(COMPONENT_TYPES.get(str(c.get("type")), c.get("type"))),
                        num(c.get("count")),
                        num(c.get("load")),
                        num(c.get("capacity")),
                        num(c.get("headroom")),
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
        first = model.get("first_to_run_out")
        if first:
            # The model names it as a row ({name, type, headroom, ...}): a person reads its name.
            name = first.get("name") if isinstance(first, dict) else first
            if isinstance(first, dict) and first.get("resource") == "storage":
                name = f"{name} (its storage)"
            out += ["", field_line("First to run out", str(name))]
        if model.get("breaks_at") is not None:
            out.append(field_line("Breaks at", plain(model.get("breaks_at"))))
    else:
        missing = model.get("missing") or []
        text = "_No capacity table yet._"
        if missing:
            text += " Missing: " + ", ".join(inline(m) for m in map(str, missing)) + "."
        out.append(text)
    out += ["", "### Your analysis", ""]
    b = design.bottlenecks
    out.append(field_line("Bottleneck", b.bottleneck))
    out.append(field_line("Cache hit rate assumed", b.hit_rate_text))
    out.append(
        field_line("Database survives a cache outage", LAYOUT.label("cache_outage", b.cache_outage))
    )
    out.append(field_line("Reasoning", b.reasoning))
    out += ["", "#### Mitigations", ""]
    out.append(
        table(
            ["Target", "Kind", "Detail"],
            [
                [cell(m.target), cell(LAYOUT.label("kind", m.kind, "mitigations")), cell(m.detail)]
                for m in b.mitigations
            ],
            empty="_None stated._",
        )
    )
    return out


UNIT = PhaseUnit(
    number=7,
    slug="bottlenecks",
    title="Bottlenecks",
    goal="Put the estimated load against each component's capacity and find where the "
    "headroom runs out first; then decide how to live with it.",
    questions=(
        "Which component saturates first, and at how many times today's load?",
        "What hit rate does the cache need, and what if it drops?",
        "Does the database survive the cache going down?",
        "Does the synchronous chain meet the latency target?",
    ),
    rule_prefix="BOT",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    background=True,
    expectations=(
        Expectation("capacities", check_capacities),
        Expectation("bottleneck", check_bottleneck),
    ),
    export=export_section,
)
