"""Phase 9, review: the design read as one document, its trade-offs named.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "tradeoffs": [{"wanted": "lower read latency", "gave_up": "freshness",
                     "mechanism": "cache with a 5-minute TTL"}],
      "revisit_at_10x": "...",
      "why_simple": "..."
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, overload

from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Evidence, Hit, Severity
from phases.engine.unit import Layout, PhaseUnit, Rows, longtext_field, text_field
from phases.knowledge.components import COMPONENT_TYPES
from phases.reading.text import has_figure, mentions, stems
from phases.rendering.markdown import block, cell, code, inline, table

if TYPE_CHECKING:
    from phases.architecture import Architecture
    from phases.bottlenecks import Bottlenecks
    from phases.checklist import ChecklistItem
    from phases.data_model import DataModel
    from phases.engine.design import Design
    from phases.requirements import Requirements
    from phases.technology import Technologies

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TradeOff:
    field: str
    wanted: str
    gave_up: str
    mechanism: str


@dataclass(frozen=True)
class Review:
    tradeoffs: tuple[TradeOff, ...]
    revisit_at_10x: str
    why_simple: str


# The form: the trade-offs made, then what to revisit and why it starts simple.
LAYOUT = Layout(
    fields=(
        longtext_field("revisit_at_10x", "What you would revisit at ten times the scale"),
        longtext_field("why_simple", "Why the design starts as simple as it does"),
    ),
    lists=(
        Rows(
            "tradeoffs",
            (
                text_field("wanted", "You wanted", placeholder="e.g. instant renewals"),
                text_field("gave_up", "You gave up", placeholder="e.g. exact shelf counts"),
                text_field("mechanism", "By", placeholder="e.g. a counter updated in batches"),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {"version": SCHEMA_VERSION, "tradeoffs": [], "revisit_at_10x": "", "why_simple": ""}


def parse(data: JSON) -> Review:
    r = Reader(data)
    d = r.data
    review = Review(
        tradeoffs=tuple(
            TradeOff(
                field=path,
                wanted=r.text(row, "wanted", f"{path}.wanted"),
                gave_up=r.text(row, "gave_up", f"{path}.gave_up"),
                mechanism=r.text(row, "mechanism", f"{path}.mechanism"),
            )
            for path, row in r.rows(d, "tradeoffs", "tradeoffs")
        ),
        revisit_at_10x=r.text(d, "revisit_at_10x", "revisit_at_10x"),
        why_simple=r.text(d, "why_simple", "why_simple"),
    )
    r.raise_if_errors()
    return review


class Figures(TypedDict):
    checklist: list[ChecklistItem]


def computed(design: Design) -> Figures:
    """The checklist of properties good designs share, each computed from earlier phases."""
    return {"checklist": design.checklist()}


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits; the registry gives each its code and severity.
# A mechanism is "chosen" in an earlier phase when that phase's answers say so (a cache
# component in phase 5, a denormalised model in phase 3...); its trade-off is "stated" when
# a phase 9 row mentions it, in any inflection, in its mechanism, wanted or gave_up text.
# Earlier phases that are missing or malformed choose nothing; no rule here ever raises.


@dataclass(frozen=True)
class Mechanism:
    key: str
    label: str
    cost: str  # what it usually costs, in a few words
    detail: str  # the cost explained in one sentence
    phrases: tuple[str, ...]  # any of these in a trade-off row names the mechanism


# The usual price of each mechanism (cf. the trade-off reference in the playbook).
MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "cache",
        "a cache",
        "freshness",
        "a cached copy can be out of date until it expires or is invalidated, and a cold "
        "or failed cache sends every read to the store behind it",
        ("cache", "caching", "cached", "ttl"),
    ),
    Mechanism(
        "replicas",
        "read replicas",
        "replication lag",
        "a replica applies the primary's changes a moment later, so a read sent to it can "
        "miss a write that just succeeded",
        ("replica", "replicas", "replication", "replicated"),
    ),
    Mechanism(
        "queue",
        "a queue",
        "delay and duplicate delivery",
        "queued work finishes after the user has their answer, and a message can arrive "
        "twice, so its consumer has to be idempotent",
        ("queue", "queued", "queueing", "async", "asynchronous", "message broker"),
    ),
    Mechanism(
        "denormalisation",
        "denormalisation",
        "slower, costlier writes",
        "every copy of a duplicated value has to be written when the source changes, and "
        "the copies can disagree in between",
        (
            "denormalise",
            "denormalize",
            "denormalized",
            "denormalisation",
            "denormalization",
            "duplicate",
            "precompute",
            "fan out on write",
            "fanout on write",
        ),
    ),
    Mechanism(
        "sharding",
        "sharding",
        "query flexibility",
        "a query that does not carry the shard key has to ask every shard, and a "
        "transaction across shards is slow or impossible",
        ("shard", "sharding", "sharded", "partition", "partitioned", "partitioning"),
    ),
    Mechanism(
        "eventual",
        "eventual consistency",
        "stale reads",
        "for a while after a write, readers may be shown the previous value",
        # The price is as often named as what the reader sees: stale or late figures.
        (
            "eventual",
            "eventually consistent",
            "stale",
            "staleness",
            "out of date",
            "delay",
            "delayed",
            "late",
        ),
    ),
)
MECHANISMS_BY_KEY = {m.key: m for m in MECHANISMS}
PHASE_NAMES = {
    1: "requirements",
    2: "estimation",
    3: "data model",
    4: "API",
    5: "architecture",
    6: "technology choices",
    7: "bottlenecks",
    8: "failure",
}
# Phase 7 mitigation kinds that amount to choosing a mechanism.
_MITIGATION_MECHANISMS = {
    "cache": "cache",
    "read_replicas": "replicas",
    "queue": "queue",
    "denormalise": "denormalisation",
    "shard": "sharding",
}
_SHARD = re.compile(r"\b(shard(s|ed|ing)?|partition(s|ed|ing)?)\b")
_CLAUSE = re.compile(r"[.;,:!?()]|\bbut\b|\bwhile\b|\bwhereas\b|\buntil\b|\bthen\b|\bif\b")
_NEGATION = re.compile(r"\b(no|not|never|without|unsharded|later|future|when|once)\b|n't\b")


@dataclass(frozen=True)
class Choice:
    """Where a mechanism was chosen: the first place found, in phase order."""

    mechanism: Mechanism
    phase: int
    field: str
    what: str  # the component, data or row that chose it, for the message
    names: tuple[str, ...] = ()  # component or product names that also name it


@overload
def _phase(design: Design, number: int, attr: Literal["requirements"]) -> Requirements | None: ...
@overload
def _phase(design: Design, number: int, attr: Literal["data_model"]) -> DataModel | None: ...
@overload
def _phase(design: Design, number: int, attr: Literal["architecture"]) -> Architecture | None: ...
@overload
def _phase(design: Design, number: int, attr: Literal["technology"]) -> Technologies | None: ...
@overload
def _phase(design: Design, number: int, attr: Literal["bottlenecks"]) -> Bottlenecks | None: ...


def _phase(
    design: Design, number: int, attr: str
) -> Requirements | DataModel | Architecture | Technologies | Bottlenecks | None:
    """A phase's parsed answers, or None when it is missing or malformed."""
    if not design.has(number):
        return None
    try:
        parsed: Requirements | DataModel | Architecture | Technologies | Bottlenecks = getattr(
            design, attr
        )
    except (AnswerShapeError, ImportError):
        return None
    return parsed


def _says_sharded(text: str) -> bool:
    for clause in _CLAUSE.split((text or "").lower()):
        if _SHARD.search(clause) and not _NEGATION.search(clause):
            return True
    return False


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def chosen_mechanisms(design: Design) -> list[Choice]:
    """Each mechanism the earlier phases chose, once, in the order of ``MECHANISMS``."""
    found: dict[str, Choice] = {}
    extra_names: dict[str, list[str]] = {}

    def add(key: str, phase: int, field: str, what: str, names: tuple[str, ...] = ()) -> None:
        extra_names.setdefault(key, []).extend(n for n in names if n)
        if key not in found:
            found[key] = Choice(MECHANISMS_BY_KEY[key], phase, field, what)

    req = _phase(design, 1, "requirements")
    if req is not None:
        for row in req.consistency:
            if row.model == "eventual":
                add("eventual", 1, f"{row.field}.model", row.data or "some data")
    model = _phase(design, 3, "data_model")
    if model is not None:
        for entry in model.modelling:
            if entry.choice == "denormalise" or entry.fanout in ("write", "hybrid"):
                add("denormalisation", 3, f"{entry.field}.choice", entry.what or "a modelling row")
    arch = _phase(design, 5, "architecture")
    tech = _phase(design, 6, "technology")
    tech_names: dict[str, list[str]] = {}
    if tech is not None:
        for choice in tech.choices:
            if choice.technology and choice.component:
                tech_names.setdefault(" ".join(choice.component.lower().split()), []).append(
                    choice.technology
                )
    if arch is not None:
        types = {"cache": "cache", "db_replica": "replicas", "queue": "queue"}
        for c in arch.components:
            key = types.get(c.type)
            if key:
                names = (c.name, *tech_names.get(" ".join(c.name.lower().split()), []))
                add(key, 5, f"{c.field}.type", c.name or c.type, names)
        primaries = [c for c in arch.components if c.type == "db_primary"]
        if len(primaries) > 1 or sum(c.count or 1 for c in primaries) > 1:
            where = primaries[0].field if len(primaries) == 1 else "components"
            add("sharding", 5, f"{where}.count" if len(primaries) == 1 else where, "primaries")
        for c in arch.components:
            if _says_sharded(f"{c.name}. {c.why}"):
                add("sharding", 5, f"{c.field}.why", c.name or "a component")
    if tech is not None:
        for choice in tech.choices:
            if _says_sharded(f"{choice.technology}. {choice.component}. {choice.problem}"):
                add("sharding", 6, f"{choice.field}.problem", choice.label)
    bottlenecks = _phase(design, 7, "bottlenecks")
    if bottlenecks is not None:
        for m in bottlenecks.mitigations:
            key = _MITIGATION_MECHANISMS.get(m.kind)
            if key:
                add(key, 7, f"{m.field}.kind", m.target or m.detail or m.kind)
    order = [m.key for m in MECHANISMS]
    return [
        Choice(f.mechanism, f.phase, f.field, f.what, tuple(extra_names.get(k, ())))
        for k in order
        if (f := found.get(k))
    ]


def _row_text(row: TradeOff) -> str:
    return f"{row.mechanism}. {row.wanted}. {row.gave_up}"


def states(row: TradeOff, choice: Choice) -> bool:
    """Whether a trade-off row is about the chosen mechanism."""
    text = _row_text(row)
    phrases = (*choice.mechanism.phrases, *choice.names)
    return any(stems(p) and mentions(text, p) for p in phrases)


def _review(design: Design) -> Review | None:
    try:
        return design.review
    except AnswerShapeError:
        return None


def untraded(design: Design) -> list[Choice]:
    """The chosen mechanisms that no phase 9 trade-off row names (REV-002 and the
    checklist both ask, so it is worked out once per design)."""
    return design.memo(_untraded)


def _untraded(design: Design) -> list[Choice]:
    review = _review(design)
    rows = review.tradeoffs if review is not None else ()
    return [c for c in chosen_mechanisms(design) if not any(states(r, c) for r in rows)]


def _where(choice: Choice) -> str:
    return f"phase {choice.phase}, {PHASE_NAMES.get(choice.phase, '')},"


def mechanism_without_tradeoff(design: Design) -> Iterator[Hit]:
    """A mechanism chosen in an earlier phase with no trade-off row naming it.

    Why it matters:
        Caches, replicas, queues, duplicated data, shards and eventual consistency each
        buy something by giving something else up: freshness, lag, delay, write cost,
        query freedom. A design that takes the gain without naming the price has not
        really been decided; the price shows up later as a surprise in production.
    Triggers:
        A cache, read replicas or a queue among phase 5's components (or a phase 7
        mitigation of that kind), a denormalised or fan-out-on-write model in phase 3,
        sharding (several database primaries, or a shard named in phase 5 or 6), or
        data with eventual consistency in phase 1, while no phase 9 trade-off row
        mentions the mechanism (or the component's or product's name) in any of its
        three parts.
    Better:
        One row per mechanism: wanted "redirects under 20 ms", gave up "a deleted link
        may still redirect for up to 5 minutes", mechanism "Redis cache with a 5-minute
        TTL".
    """
    for choice in untraded(design):
        m = choice.mechanism
        yield Hit(
            field=choice.field,
            field_phase=choice.phase,
            message=f"You chose {m.label} ({choice.what}) in {_where(choice)} but state no "
            f"trade-off for it; it usually costs {m.cost}.",
            hint=f"What did {m.label} buy you here, and what did you accept for it: {m.detail}?",
            fix=f"Add a trade-off row whose mechanism names {m.label}, with what you wanted "
            f"and what you gave up ({m.cost}).",
        )


# A "gave up" that denies any price.
_NOTHING_GIVEN_UP = re.compile(
    r"^(nothing( really| at all| much)?|none|no (cost|downside|drawback)s?|n/?a|-+|nil)\.?$"
)

_PARTS = (
    ("wanted", "what you wanted"),
    ("gave_up", "what you gave up"),
    ("mechanism", "the mechanism"),
)


def incomplete_tradeoff(design: Design) -> Iterator[Hit]:
    """A trade-off row missing what was wanted, what was given up, or the mechanism.

    Why it matters:
        A trade-off has three parts: the property you gained, the one you paid with, and
        the mechanism that exchanges them. Leave one out and the row is a slogan; the
        reader cannot tell whether the price was understood.
    Triggers:
        A trade-off row with its wanted, gave_up or mechanism text empty (one finding per
        row, naming every missing part).
    Better:
        Wanted "click counting never slows a redirect", gave up "counts lag by up to a
        minute and a click may be counted twice", mechanism "click events on a queue".
    """
    review = _review(design)
    if review is None:
        return
    for row in review.tradeoffs:
        missing = [(key, words) for key, words in _PARTS if not getattr(row, key)]
        if row.gave_up and _NOTHING_GIVEN_UP.match(row.gave_up.strip().lower()):
            yield Hit(
                field=f"{row.field}.gave_up",
                message=f'Does "{row.mechanism or "this choice"}" really cost nothing? The row '
                f'says what was given up is "{row.gave_up}".',
                hint="Every mechanism buys something by giving something else up: delay, "
                "freshness, money, a second copy to keep in step. Which is it here?",
                fix="Say what this choice costs, with the figure if there is one.",
                evidence=Evidence.TEXTUAL,
            )
            continue
        if missing:
            yield Hit(
                field=f"{row.field}.{missing[0][0]}",
                message=f"This trade-off does not say {_joined([w for _, w in missing])}.",
                hint="Gained what, paid with what, by which mechanism?",
                fix="Fill in all three parts of the row.",
            )


def _joined(items: list[str], last: str = "or") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def _component_words(design: Design) -> list[str]:
    arch = _phase(design, 5, "architecture")
    if arch is None:
        return []
    names = [c.name for c in arch.components if c.name]
    names += [COMPONENT_TYPES.get(c.type, "") for c in arch.components]
    return [n for n in names if stems(n)]


_GENERIC_PARTS = (
    "cache",
    "database",
    "primary",
    "replica",
    "queue",
    "shard",
    "load balancer",
    "server",
    "worker",
    "cdn",
    "index",
    "storage",
    "partition",
)


def revisit_vague(design: Design) -> Iterator[Hit]:
    """What you would revisit at ten times the scale, missing or naming no part or figure.

    Why it matters:
        Every design has a ceiling. Saying which part reaches it first at ten times the
        load, and at what figure, shows that the design was sized rather than guessed,
        and tells the next engineer where to look first.
    Triggers:
        ``revisit_at_10x`` empty, or a text that states no figure and names neither a
        phase 5 component nor a kind of component (database, cache, queue, shard...).
    Better:
        "At 23,000 writes/s the single primary is past its ceiling: shard links by short
        code, and grow the cache to 400 GB across a cluster."
    """
    review = _review(design)
    if review is None:
        return
    text = review.revisit_at_10x
    if not text:
        yield Hit(
            field="revisit_at_10x",
            message="You have not said what you would revisit at ten times the scale.",
            hint="Which component runs out first when the load grows tenfold?",
            fix="Name the part that breaks first at 10x, the figure where it breaks, and "
            "what you would change.",
        )
        return
    named = any(mentions(text, n) for n in (*_component_words(design), *_GENERIC_PARTS))
    if not named and not has_figure(text):
        yield Hit(
            field="revisit_at_10x",
            message="What you would revisit at 10x names no component and no figure.",
            hint="Which box, at what load, and what would you do about it?",
            fix="Name the component that saturates first and the figure at which it does.",
        )


def why_simple_missing(design: Design) -> Iterator[Hit]:
    """No reason given for why the design starts as simple as it does.

    Why it matters:
        Starting with one database and one service is a decision, not an omission:
        it is easier to split a system whose load you have measured than to run a
        distributed one you did not need. Saying so shows the simplicity is deliberate.
    Triggers:
        ``why_simple`` empty.
    Better:
        "2,300 writes/s fit one primary with room to spare, so there is no shard and no
        second service; we split when writes pass 10,000/s."
    """
    review = _review(design)
    if review is not None and not review.why_simple:
        yield Hit(
            field="why_simple",
            message="You have not said why the design starts as simple as it does.",
            hint="Which of your figures shows that fewer parts would carry the load?",
            fix="Say what you left out on purpose and at which load you would add it.",
        )


# "No queue", "no second store": what the design is said to leave out, and the component
# types that are that part. A claim narrowed by what follows ("no queue on the read path",
# "no cache for writes") claims less and is left alone.
_ABSENCES = (
    ("a queue", r"no (?:message )?(?:queues?|brokers?|streams?)", ("queue",)),
    ("a cache", r"no (?:separate |shared )?cach(?:e|es|ing)", ("cache",)),
    ("a CDN", r"no cdns?", ("cdn",)),
    ("workers", r"no (?:background )?workers", ("worker",)),
)
_SECOND_STORE = re.compile(r"\bno (?:second|other|extra|additional) (?:stores?|databases?)\b")
_NARROWED = re.compile(
    r"^\s*(?:on|in|inside|within|for|between|before|behind|at|per|of)\b", re.IGNORECASE
)
STORE_TYPES = ("db_primary", "object_storage")


def _claims(text: str, pattern: str) -> bool:
    for match in re.finditer(rf"\b{pattern}\b", text, re.IGNORECASE):
        if not _NARROWED.match(text[match.end() :]):
            return True
    return False


def why_simple_contradicted(design: Design) -> Iterator[Hit]:
    """Why the design is simple says it leaves out a part that phase 5 has.

    Why it matters:
        The argument for simplicity is only as good as its facts: "no queue and no second
        store" beside a design with a stream and three databases tells a reader that the
        review describes some other system, and they stop trusting the rest of it.
    Triggers:
        ``why_simple`` says there is no queue, no cache, no CDN, no workers or no second
        store (database), not narrowed to a place ("no queue on the read path"), while
        phase 5 declares a component of that kind (two or more stores for the last).
    Better:
        "One PostgreSQL and one Kafka stream carry 300 rides a second; there is no cache
        because every read is by key on the primary."
    """
    review = _review(design)
    arch = _phase(design, 5, "architecture")
    if review is None or arch is None or not review.why_simple:
        return
    text = review.why_simple
    said, seen = [], []
    for what, pattern, types in _ABSENCES:
        parts = [c.name for c in arch.components if c.type in types]
        if parts and _claims(text, pattern):
            said.append(f"no {what.removeprefix('a ')}")
            seen.append(f"{_joined(parts, 'and')} ({what.removeprefix('a ')})")
    stores = [c.name for c in arch.components if c.type in STORE_TYPES]
    if len(stores) >= 2 and any(
        not _NARROWED.match(text[m.end() :]) for m in _SECOND_STORE.finditer(text.lower())
    ):
        said.append("no second store")
        seen.append(f"{len(stores)} stores ({_joined(stores, 'and')})")
    if said:
        yield Hit(
            field="why_simple",
            message=f"Why the design is simple says {_joined(said, 'and')}, but phase 5 has "
            f"{_joined(seen, 'and')}.",
            hint="Which parts does the design really leave out, and which did it keep?",
            fix="Argue the simplicity from the design as it is: name what it leaves out on "
            "purpose, or take out the part you do not need.",
        )


def checklist_item_failing(design: Design) -> Iterator[Hit]:
    """A property good designs share that this design does not have yet.

    Why it matters:
        Strong designs have little to do with picking fashionable products: they begin
        small, justify every part, say what happens when each part fails, store data the
        way it is read and written, and name their trade-offs. The checklist reads
        these properties from your earlier phases so you can see where each falls short.
    Triggers:
        One finding per checklist item that is not met, computed from the earlier
        phases' answers and findings (see the checklist on the page); its fix lists
        where it falls short.
    Better:
        Follow each link, mend the answer there, and check that phase again.
    """
    for item in design.checklist():
        if item["ok"]:
            continue
        links = " ".join(
            f"Phase {w['phase']}{', ' + w['field'] if w.get('field') else ''}: {w['message']}"
            for w in item["where"]
        )
        # When every shortfall is already a finding of an earlier phase, this is a pointer
        # to them (info), not a second count of the same slips.
        echoes = bool(item["where"]) and all(w.get("code") for w in item["where"])
        codes = sorted({w["code"] for w in item["where"] if w.get("code")})
        yield Hit(
            field="",
            message=f"Checklist: {item['label']} - not yet. {item['explanation']}"
            + (f" Counted once, where it was found: {', '.join(codes)}." if echoes else ""),
            fix=links or item["explanation"],
            severity=Severity.INFO if echoes else None,
        )


def all_explicit(design: Design) -> Iterator[Hit]:
    """Every mechanism has its trade-off, and the review is complete.

    Why it matters:
        A design whose every mechanism comes with its price, whose ceiling is named and
        whose simplicity is argued can be defended, and changed, by someone else.
    Triggers:
        A pass when phase 9 has at least one complete trade-off row, no mechanism lacks
        one, what to revisit at 10x and why the design is simple are both answered, and
        every checklist item is met.
    Better:
        Nothing to change; compare your trade-offs with the reference solution.
    """
    review = _review(design)
    if review is None or not any(r.wanted and r.gave_up and r.mechanism for r in review.tradeoffs):
        return
    for rule in (
        mechanism_without_tradeoff,
        incomplete_tradeoff,
        revisit_vague,
        why_simple_missing,
        why_simple_contradicted,
        checklist_item_failing,
    ):
        if next(iter(rule(design)), None) is not None:
            return
    yield Hit(
        field="tradeoffs",
        message="Every mechanism you chose comes with its trade-off, and every checklist "
        "item is met.",
        severity=Severity.PASS,
    )


class Pointer(TypedDict):
    """An item's shortfalls as the page and the export list them: one per field and rule
    (``count`` findings of ``code`` there), the message only where no finding says it."""

    phase: int
    field: str
    code: str
    count: int
    message: str


def pointers(where: Sequence[Mapping[str, Any]]) -> list[Pointer]:
    """A shortfall that is a finding is named by its rule's code, once per field and code:
    the finding itself is listed in full with its phase's findings."""
    out: list[Pointer] = []
    seen: dict[tuple[int, str, str], Pointer] = {}
    for w in where:
        rule = w.get("code", "")
        key = (w["phase"], w["field"], rule)
        if rule and key in seen:
            seen[key]["count"] += 1
            continue
        pointer: Pointer = {
            "phase": w["phase"],
            "field": w["field"],
            "code": rule,
            "count": 1,
            "message": "" if rule else w["message"],
        }
        out.append(pointer)
        if rule:
            seen[key] = pointer
    return out


def export_section(design: Design) -> list[str]:
    """Phase 9's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
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
    for item in design.checklist():
        mark = "✅" if item["ok"] else "❌"
        out.append(f"- {mark} **{inline(item['label'])}**: {inline(item['explanation'])}")
        for w in pointers(item["where"]):
            where = f"phase {w['phase']}" + (f", `{code(w['field'])}`" if w["field"] else "")
            if w["code"]:  # findings of that phase, listed in full in its section
                times = f" ({w['count']} findings)" if w["count"] > 1 else ""
                out.append(f"  - {where}: {inline(w['code'])}{times}, in that phase's findings")
            else:
                out.append(f"  - {where}: {inline(w['message'])}")
    return out


UNIT = PhaseUnit(
    number=9,
    slug="review",
    title="Review",
    goal="Read the design as one document. Name each trade-off you made, what you would "
    "revisit at ten times the scale, and why it starts as simple as it does.",
    questions=(
        "What did you gain, what did you give up, and by which mechanism?",
        "Is every component explained, every failure named?",
        "Does the data model fit the access patterns?",
        "What breaks first at ten times the load?",
    ),
    rule_prefix="REV",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    export=export_section,
)
