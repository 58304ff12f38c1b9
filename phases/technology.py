"""Phase 6, technology choices: each justified four ways.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "choices": [
        {"technology": "PostgreSQL", "component": "db",
         "problem": "stores links and answers lookups by short code with ACID writes",
         "alternatives": "Cassandra: ...; DynamoDB: ...",
         "tradeoffs": "a single primary takes all writes; sharding later is work",
         "trigger": "sustained writes above 10,000/s, or multi-region writes"}
      ]
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Evidence, Hit, Severity
from phases.engine.unit import Layout, PhaseUnit, Rows, longtext_field, text_field
from phases.knowledge import catalogue, storage
from phases.reading.quantities import format_value
from phases.reading.text import STOPWORDS, has_figure, names_something_concrete, stems, words
from phases.rendering.markdown import cell, table

if TYPE_CHECKING:
    from phases.engine.design import Design

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Choice:
    field: str
    technology: str
    component: str
    problem: str
    alternatives: str
    tradeoffs: str
    trigger: str

    @property
    def label(self) -> str:
        return self.technology or "(unnamed technology)"


@dataclass(frozen=True)
class Technologies:
    choices: tuple[Choice, ...]


# The form: one row per technology, justified four ways.
LAYOUT = Layout(
    lists=(
        Rows(
            "choices",
            (
                text_field(
                    "technology",
                    "Technology",
                    placeholder="a product, e.g. from the catalogue",
                    suggest="catalogue-technologies",
                ),
                text_field(
                    "component", "Component it serves", placeholder="a component of your design"
                ),
                longtext_field("problem", "Problem it solves"),
                longtext_field(
                    "alternatives",
                    "Alternatives, and why each fits worse",
                    placeholder="Name: why it fits worse; Name: ...",
                ),
                longtext_field("tradeoffs", "Trade-offs"),
                text_field(
                    "trigger",
                    "What would make you choose differently",
                    placeholder="a measurable condition, e.g. loans above N/s",
                ),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {"version": SCHEMA_VERSION, "choices": []}


def parse(data: JSON) -> Technologies:
    r = Reader(data)
    choices = tuple(
        Choice(
            field=path,
            technology=r.text(row, "technology", f"{path}.technology"),
            component=r.text(row, "component", f"{path}.component"),
            problem=r.text(row, "problem", f"{path}.problem"),
            alternatives=r.text(row, "alternatives", f"{path}.alternatives"),
            tradeoffs=r.text(row, "tradeoffs", f"{path}.tradeoffs"),
            trigger=r.text(row, "trigger", f"{path}.trigger"),
        )
        for path, row in r.rows(r.data, "choices", "choices")
    )
    r.raise_if_errors()
    return Technologies(choices=choices)


class KnownChoice(TypedDict):
    technology: str
    known: bool
    category: str
    capacity: str


class Figures(TypedDict):
    choices: list[KnownChoice]


def computed(design: Design) -> Figures:
    """Each chosen technology as the catalogue knows it (category, typical capacity)."""
    rows: list[KnownChoice] = []
    for choice in design.technology.choices:
        entry = catalogue.find(choice.technology)
        rows.append(
            {
                "technology": choice.technology,
                "known": entry is not None,
                "category": entry.category_label if entry else "",
                "capacity": entry.capacity if entry else "",
            }
        )
    return {"choices": rows}


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits. The registry (phases/engine/registry.py) gives each its
# code and severity; the docstring is what the rules page shows. What a technology is good
# and bad at comes from the catalogue (phases/knowledge/catalogue.py), never from here.

# The four parts of a justification, with the question each answers.
PARTS: tuple[tuple[str, str], ...] = (
    ("problem", "the problem it solves"),
    ("alternatives", "the alternatives and why each fits worse"),
    ("tradeoffs", "its trade-offs"),
    ("trigger", "what would make you choose differently"),
)
# A part with fewer meaningful words than this says nothing beyond the question.
MIN_MEANINGFUL_WORDS = 3
# Words that carry no content in a justification: the question's own words, generic
# nouns for the component and placeholders.
FILLER = frozenset(
    [
        "database",
        "databases",
        "db",
        "cache",
        "queue",
        "store",
        "storage",
        "data",
        "use",
        "used",
        "uses",
        "using",
        "good",
        "great",
        "best",
        "nice",
        "fine",
        "solid",
        "popular",
        "choice",
        "option",
        "technology",
        "tool",
        "problem",
        "problems",
        "solves",
        "solve",
        "alternative",
        "alternatives",
        "tradeoff",
        "tradeoffs",
        "trade",
        "off",
        "offs",
        "trigger",
        "na",
        "n",
        "tbd",
        "todo",
        "none",
        "nothing",
        "other",
        "others",
        "yes",
        "no",
        "not",
        "because",
        "this",
        "that",
        "we",
        "i",
        "our",
        "my",
        "if",
        "when",
        "why",
        "what",
        "vs",
        "over",
        "instead",
        "etc",
        "also",
    ]
)
# Words that join names in a list of alternatives ("Cassandra or DynamoDB: ...").
_CONNECTORS = frozenset(["and", "or", "nor", "vs", "versus", "why", "not", "over", "also"])
# A clause ends at a semicolon, a question or exclamation mark, a line break, a bullet,
# or a full stop followed by a space (so "e.g." inside a number like "1.5" is safe).
_CLAUSE_END = re.compile(r"[;?!\n]|\.(?:\s|$)|^\s*[-*•]\s", re.MULTILINE)

# Appeals to scale or fashion that stand in for an argument unless a figure backs them.
_BUZZWORDS = re.compile(
    r"\b("
    r"(?:it|that|this|which|postgres\w*|\w+db)\s+scales?\b(?!\s+(?:to|up\s+to|past|beyond)\s+\d)"
    r"|scales?\s+(?:well|easily|infinitely|horizontally|linearly|massively|nicely)"
    r"|(?:highly\s+|very\s+|massively\s+|infinitely\s+)?scalable"
    r"|web[\s-]+scale"
    r"|industry[\s-]+standard"
    r"|battle[\s-]+tested"
    r"|everyone\s+(?:uses|is\s+using)"
    r"|everybody\s+uses"
    r"|(?:widely|commonly)\s+used"
    r"|most\s+popular"
    r"|proven\s+at\s+scale"
    r")\b",
    re.IGNORECASE,
)
# Words in a choice that say the store is already split over several primaries.
_SHARDED = ("shard", "citus", "partit", "vitess")


def _choices(design: Design) -> tuple[Choice, ...]:
    try:
        return design.technology.choices
    except AnswerShapeError:
        return ()


def _storage_types_used(design: Design) -> list[tuple[str, str]]:
    """(storage code, field) of every phase 3 access pattern that names a store."""
    if not design.has(3):
        return []
    try:
        patterns = design.data_model.access_patterns
    except AnswerShapeError:
        return []
    return [(p.storage, f"{p.field}.storage") for p in patterns if p.storage]


def _peak_writes(design: Design) -> tuple[float, str] | None:
    """Phase 2's peak writes/s recomputed from the learner's assumptions, with arithmetic.

    Falls back to the learner's own figure when the assumptions do not give one.
    """
    if not design.has(2):
        return None
    try:
        rows = design.estimate_report["results"]
    except (AnswerShapeError, KeyError, TypeError):
        return None
    row = next((r for r in rows if r.get("key") == "peak_writes_per_s"), None)
    if not row:
        return None
    if row["from_assumptions"]:
        return row["from_assumptions"], row.get("arithmetic", "")
    if row["learner"]:
        return row["learner"], f"your phase 2 result, {row.get('learner_text', '')}"
    return None


_SOURCE_OF_WRITES = {True: "phase 3 sends it", False: "phase 2's peak is"}


def _reported_in_phase_3(design: Design, code: str) -> bool:
    """Whether phase 3's own check raised ``code`` (as a warning or an error)."""
    if not design.has(3):
        return False
    try:
        found = design.findings(3)
    except AnswerShapeError:
        return False
    return any(f.code == code and f.severity in (Severity.ERROR, Severity.WARNING) for f in found)


def _several_stores(design: Design) -> bool:
    """Whether phase 6 chooses more than one database, so the system's writes are shared."""
    stores = {
        tech.key
        for c in _choices(design)
        if (tech := catalogue.find(c.technology)) is not None
        and set(tech.store_categories) - {"object", "search"}
        and not _about_a_cache(c, tech)
    }
    return len(stores) > 1


def _about_a_cache(choice: Choice, tech: catalogue.Technology) -> bool:
    """A product that also serves as a cache (Redis), in a row about a cache."""
    return "cache" in tech.categories and "cach" in stems(f"{choice.component} {choice.problem}")


def _relational_writes(design: Design) -> tuple[float, str] | None:
    """The writes phase 3 sends to relational storage, a second: what one relational
    primary would take when the system's writes are shared among several stores."""
    if not design.has(3):
        return None
    try:
        patterns = design.data_model.access_patterns
    except AnswerShapeError:
        return None
    rated = [
        p
        for p in patterns
        if p.storage == "relational" and p.kind in ("write", "both") and p.rate_per_s
    ]
    if not rated:
        return None
    total = sum(p.rate_per_s or 0.0 for p in rated)
    return total, "phase 3's relational writes: " + " + ".join(p.rate for p in rated)


def _name_words(choice: Choice, tech: catalogue.Technology | None) -> set[str]:
    names = [choice.technology, choice.component, *(tech.names if tech else ())]
    return {w for name in names for w in words(name)}


def _meaningful(text: str, ignore: set[str]) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and w not in FILLER and w not in ignore]


def _concrete(text: str, ignore: set[str], own: catalogue.Technology | None) -> bool:
    """Whether a short part names something concrete beyond the row's own product and
    component: a figure, a mechanism, or another technology."""
    others = [t for t, _start, _end in catalogue.mentioned_in(text) if t is not own]
    if others:
        return True
    rest = " ".join(w for w in words(text) if w not in ignore)
    return names_something_concrete(rest)


def _joined(items: list[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _names(techs: Iterable[catalogue.Technology]) -> str:
    return _joined([t.name for t in techs], "or")


def missing_part(design: Design) -> Iterator[Hit]:
    """A justification with a part missing, or a part that only repeats the question.

    Why it matters:
        Naming a technology is easy; the skill is saying what it is for, what else could
        do the job, what it costs and when you would drop it. Each part left out, or
        answered with the technology's own name or a word or two, is a question an
        interviewer or a reviewer will ask, and the answer is not on the page.
    Triggers:
        A choice with no trigger; a problem of "database for the db"; alternatives of
        "Cassandra"; trade-offs of "none". A part counts as restating the question when,
        leaving out the technology's and component's names, filler ("database", "use",
        "good") and placeholders ("n/a", "tbd"), fewer than three words remain.
    Better:
        Answer all four in a sentence or more: the requirement it serves, two rivals and
        why each loses here, its weaknesses in this design, and the measurable point at
        which you would switch.
    """
    choices = _choices(design)
    if not choices:
        yield Hit(
            field="choices",
            message="No technology is chosen yet.",
            hint="Which product fills each storage, cache, queue and balancer box of phase 5?",
            fix="Add one row per technology, with its component and the four parts of "
            "the justification.",
        )
        return
    for choice in choices:
        tech = catalogue.find(choice.technology)
        if not choice.technology:
            yield Hit(
                field=f"{choice.field}.technology",
                message="This row names no technology.",
                hint="Which product is this row about?",
                fix="Name the product, e.g. PostgreSQL, Redis or Kafka.",
            )
        if not choice.component:
            yield Hit(
                field=f"{choice.field}.component",
                message=f"{choice.label}: no component named.",
                hint="Which box of your architecture does it fill?",
                fix="Name the phase 5 component it serves, e.g. db, cache or queue.",
            )
        ignore = _name_words(choice, tech)
        for part, question in PARTS:
            text = getattr(choice, part)
            if not text:
                yield Hit(
                    field=f"{choice.field}.{part}",
                    message=f"{choice.label}: {question} is missing.",
                    hint=f"Add {question}.",
                    fix=f"Write {question} for {choice.label} in a sentence, specific to "
                    "this design.",
                )
                continue
            content = _meaningful(text, ignore)
            if len(content) < MIN_MEANINGFUL_WORDS and not _concrete(text, ignore, tech):
                yield Hit(
                    field=f"{choice.field}.{part}",
                    message=f'{choice.label}: does "{text}" say {question}? Read on its '
                    "own, it seems to repeat the question.",
                    hint="What would a reviewer learn from this part that the row's "
                    "headings do not already say?",
                    fix=f"Say {question} in terms of this design: its requirements, rates "
                    "and data.",
                    evidence=Evidence.TEXTUAL,
                )


def no_same_kind_alternative(design: Design) -> Iterator[Hit]:
    """Alternatives that name no concrete technology of the same kind.

    Why it matters:
        A choice is only a choice if something else could have filled the same box. For
        a database that is another database (PostgreSQL against Cassandra or DynamoDB),
        for a cache another cache. Comparing a database with a queue, or with "NoSQL" in
        general, shows no alternative was weighed.
    Triggers:
        PostgreSQL with alternatives "a NoSQL store would not fit"; Redis as the cache
        with only Kafka named. The kind is the catalogue's: every database category
        (relational, document, key-value, wide-column, graph, time-series) is one kind,
        then search engine, object storage, cache, message queue, load balancer and CDN.
        When the text names no technology the catalogue knows at all, it is a warning,
        since it may name one the catalogue lacks. Technologies missing from the catalogue
        are not checked.
    Better:
        Name at least one product of the same kind and why it fits worse here:
        "Cassandra: every query must start from the partition key, and we need none of
        its write scale at 2,300 writes/s."
    """
    for choice in _choices(design):
        tech = catalogue.find(choice.technology)
        if tech is None or not choice.alternatives:
            continue
        named = [t for t, _, _ in catalogue.mentioned_in(choice.alternatives) if t is not tech]
        if any(tech.same_kind(t) for t in named):
            continue
        suggestions = _names(catalogue.alternatives_to(tech))
        kind = tech.kind_label
        if not named:
            yield Hit(
                field=f"{choice.field}.alternatives",
                message=f"{choice.label}: the alternatives name no technology the "
                f"catalogue knows, so none is a concrete {kind}.",
                hint=f"Which other {kind} could fill this box?",
                fix=f"Name a rival {kind}, such as {suggestions}, and why it fits worse here.",
                severity=Severity.WARNING,
            )
        else:
            others = _joined(
                [f"{t.name} ({t.category_label.lower()})" for t in dict.fromkeys(named)]
            )
            yield Hit(
                field=f"{choice.field}.alternatives",
                message=f"{choice.label} is a {kind}, but the alternatives name only "
                f"{others}: none could fill the same box.",
                hint=f"Which other {kind} could do this job?",
                fix=f"Compare it with another {kind}, such as {suggestions}.",
            )


def _reasons_by_alternative(
    text: str, chosen: catalogue.Technology | None
) -> dict[str, tuple[str, list[str]]]:
    """Each catalogue technology the text names, with the words given as its reason.

    The text is cut into clauses (at semicolons, question marks, full stops, line
    breaks and bullets). A clause's reason is its words other than the names it holds
    and the connectors between them ("Cassandra or DynamoDB: ..."), so names listed
    together share one reason. A clause naming nothing continues the reason of the
    clause before it ("Why not Cassandra? It needs ..."). Returns key -> (name, words).
    """
    reasons: dict[str, tuple[str, list[str]]] = {}
    current: list[str] = []
    start = 0
    ends = [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    for end in ends:
        clause = text[start:end]
        start = end
        if not clause.strip():
            continue
        named = [(t, a, b) for t, a, b in catalogue.mentioned_in(clause) if t is not chosen]
        if named:
            rest = clause
            for _, a, b in sorted(named, key=lambda n: -n[1]):
                rest = rest[:a] + " " + rest[b:]
            content = [w for w in _meaningful(rest, set()) if w not in _CONNECTORS]
            current = []
            for tech, _, _ in named:
                reasons.setdefault(tech.key, (tech.name, []))[1].extend(content)
                current.append(tech.key)
        else:
            for key in current:
                reasons[key][1].extend(_meaningful(clause, set()))
    return reasons


def alternative_without_reason(design: Design) -> Iterator[Hit]:
    """An alternative named with no reason why it fits worse.

    Why it matters:
        A list of rival products shows you know their names; the reasons show you
        compared them. "Why not Cassandra?" is exactly what a reviewer asks next.
    Triggers:
        "Cassandra; DynamoDB: adds cost and operational work for nothing we need":
        Cassandra has no reason. The alternatives are cut into clauses at semicolons,
        question marks, full stops and line breaks; each name's reason is the rest of
        its clause (names listed together with "and"/"or" share it) plus any following
        clauses that name no other product. Fewer than three meaningful words is no
        reason.
    Better:
        One clause per alternative: "Cassandra: queries must start from the partition
        key and nothing spans partitions in a transaction."
    """
    for choice in _choices(design):
        if not choice.alternatives:
            continue
        tech = catalogue.find(choice.technology)
        for name, reason in _reasons_by_alternative(choice.alternatives, tech).values():
            if len(reason) < MIN_MEANINGFUL_WORDS and not names_something_concrete(
                " ".join(reason)
            ):
                yield Hit(
                    field=f"{choice.field}.alternatives",
                    message=f"{choice.label}: why does {name} fit worse? It is named as an "
                    "alternative without a reason.",
                    hint=f"Why not {name}, for this design's access patterns and rates?",
                    fix=f"Follow {name} with what it would cost or lack here, e.g. "
                    f'"{name}: ..." in a clause of its own.',
                )


def tradeoffs_miss_downsides(design: Design) -> Iterator[Hit]:
    """Trade-offs that name none of the technology's known weaknesses.

    Why it matters:
        Every technology gives something up, and the catalogue lists what each one
        usually gives up: a single write primary, data bounded by memory, eventual
        consistency, cost. Trade-offs that name none of them ("none really", "a bit of
        learning") suggest the cost has not been looked at.
    Triggers:
        PostgreSQL with trade-offs "we have to learn its configuration": nothing about
        the single primary, sharding, replica lag or migrations. Matched on the
        catalogue's keywords for each downside, in any inflection. Technologies missing
        from the catalogue are not checked.
    Better:
        Name the weakness that bites in this design: "a single primary takes every
        write, so past its capacity we must shard; read replicas lag behind it."
    """
    for choice in _choices(design):
        tech = catalogue.find(choice.technology)
        if tech is None or not choice.tradeoffs:
            continue
        if tech.downsides_named_in(choice.tradeoffs):
            continue
        known = "; ".join(d.text for d in tech.downsides[:3])
        yield Hit(
            field=f"{choice.field}.tradeoffs",
            message=f"{choice.label}: the trade-offs name none of its known weaknesses.",
            hint=f"What does {tech.name} make harder in this design?",
            fix=f"Name the ones that apply here. The catalogue lists, among others: {known}",
        )


# Words of a trigger that promise a threshold without giving one ("when it gets slow",
# "if the load gets too heavy").
_VAGUE_TRIGGER = re.compile(
    r"\b(slow(s|er)?|heavy|too|high|higher|large|larger|big|bigger|grows?|growing|scale[sd]?|"
    r"scaling|needed|necessary|struggl\w*|a lot|lots|much|overload\w*|bottleneck\w*|"
    r"keep up|busy|popular|someday|eventually|later)\b"
)


def trigger_not_measurable(design: Design) -> Iterator[Hit]:
    """A trigger for choosing differently with no measurable condition.

    Why it matters:
        "When we outgrow it" cannot be watched on a dashboard, so nobody knows when it
        has happened. A number (writes a second, terabytes, a latency) turns the trigger
        into an alarm you can set today.
    Triggers:
        "If it stops scaling"; "when traffic gets big": a trigger with a vague threshold
        (slow, heavy, big, grows, scales, too much...) and no figure. Any figure counts,
        in digits or words ("ten times today's load"); a trigger that names an event
        instead ("a need to run outside AWS") can be watched and is left alone.
    Better:
        "Sustained writes above 10,000/s, or writes needed in two regions at once."
    """
    for choice in _choices(design):
        if not choice.trigger or has_figure(choice.trigger):
            continue
        tech = catalogue.find(choice.technology)
        # A condition named as an event ("a need to run outside AWS", "routing by header in
        # front of the gateways") can be watched too; only a vague one is asked about.
        if not _VAGUE_TRIGGER.search(choice.trigger.lower()):
            continue
        example = tech.triggers[0] if tech and tech.triggers else "sustained writes above 10,000/s"
        yield Hit(
            field=f"{choice.field}.trigger",
            message=f'{choice.label}: the trigger "{choice.trigger}" has no number you '
            "could watch.",
            hint="At what rate, size, latency or count would you switch?",
            fix=f"State the condition as a figure, for example: {example}.",
        )


def contradicts_storage_type(design: Design) -> Iterator[Hit]:
    """A store whose category matches no storage type chosen in phase 3.

    Why it matters:
        Phase 3 chose the storage from the access patterns; phase 6 names the products
        that provide it. A wide-column product when phase 3 asked only for relational
        and key-value stores means one of the two phases is wrong, and the access
        patterns will fight the store.
    Triggers:
        Cassandra chosen while phase 3's access patterns use only relational and
        key-value storage. Only stores are compared (not queues, balancers or CDNs); a
        product that also serves as a cache (Redis) is skipped when its row is about a
        cache. Skipped when phase 3 has no storage types or the product is not in the
        catalogue.
    Better:
        Pick a product of a storage type phase 3 uses, or go back and change the access
        patterns' storage if the product is right.
    """
    used = _storage_types_used(design)
    if not used:
        return
    codes = list(dict.fromkeys(code for code, _ in used))
    for choice in _choices(design):
        tech = catalogue.find(choice.technology)
        if tech is None or not tech.store_categories:
            continue
        if _about_a_cache(choice, tech):
            continue
        if set(tech.store_categories) & set(codes):
            continue
        theirs = _joined([storage.phrase(c) for c in tech.store_categories], "or")
        ours = _joined([storage.phrase(c) for c in codes])
        yield Hit(
            field=used[0][1],
            field_phase=3,
            message=f"{choice.label} is {theirs}, but phase 3's access patterns use only {ours}.",
            hint=f"Which access pattern is {choice.label} for, and what storage did "
            "phase 3 give it?",
            fix=f"Choose a product of a storage type phase 3 uses, or change that access "
            f"pattern's storage to {theirs} and say why.",
        )


def storage_without_technology(design: Design) -> Iterator[Hit]:
    """A storage type phase 3 gives an access pattern that no technology chosen here is.

    Why it matters:
        Phase 3 says how each access pattern is stored; phase 6 says which products do
        the storing. When phase 3 puts clicks in a wide-column store and phase 6 names
        only PostgreSQL and Redis, one of the two answers is wrong: either that data
        lives in PostgreSQL after all (and phase 3's fit checks judged the wrong store),
        or a product is missing.
    Triggers:
        An access pattern whose storage type (relational, key-value, wide-column,
        document, graph, time-series, search, object) none of phase 6's technologies
        provides, by the catalogue. One finding per storage type, on its first access
        pattern. Skipped when phase 6 names no store yet, or names a product the
        catalogue does not know (it may be the one).
    Better:
        Add the product that stores it, with its justification, or change the access
        pattern's storage to the store you chose.
    """
    used = _storage_types_used(design)
    choices = [c for c in _choices(design) if c.technology]
    if not used or not choices:
        return
    known = [catalogue.find(c.technology) for c in choices]
    if any(tech is None for tech in known):
        return
    provided = {cat for tech in known if tech is not None for cat in tech.store_categories}
    if not provided:
        return
    seen = set()
    for code, field in used:
        if code in provided or code in seen:
            continue
        seen.add(code)
        names = _joined([c.technology for c in choices], "and")
        yield Hit(
            field=field,
            field_phase=3,
            message=f"Phase 3 keeps this data in {storage.phrase(code)}, but none of the "
            f"technologies chosen here ({names}) is one. Which product stores it?",
            hint="Two answers disagree: the access pattern's storage, or the product list.",
            fix=f"Add the product that serves as {storage.phrase(code)}, with its "
            "justification, or change the access pattern's storage to a store you chose.",
        )


def scale_buzzword(design: Design) -> Iterator[Hit]:
    """ "Because it scales" or "industry standard" with no number behind it.

    Why it matters:
        Every database scales to some load, and popularity says nothing about this
        design. Choosing a product for its reputation rather than for your access
        patterns and rates is the classic mistake ("Cassandra, for scale"). A claim
        about scale means something only next to a figure.
    Triggers:
        A part of the justification (problem, alternatives or trade-offs) that says "it
        scales", "scalable", "scales well", "web scale", "industry standard",
        "battle-tested", "everyone uses it", "widely used" or "most popular", with no
        figure anywhere in that part.
    Better:
        Replace the claim with the numbers: "one primary takes ~5,000 writes/s and we
        need 2,300 at peak".
    """
    for choice in _choices(design):
        for part in ("problem", "alternatives", "tradeoffs"):
            text = getattr(choice, part)
            match = _BUZZWORDS.search(text or "")
            if not match or has_figure(text):
                continue
            yield Hit(
                field=f"{choice.field}.{part}",
                message=f'{choice.label}: "{match.group(1)}" with no number behind it.',
                hint="Scales to what load, against which of your phase 2 figures?",
                fix="Replace it with the figures: the rate or size this design needs and "
                "what one node of the product takes.",
            )


def single_primary_over_capacity(design: Design) -> Iterator[Hit]:
    """A single-primary database chosen while phase 2's peak writes exceed what it takes.

    Why it matters:
        Every write to a relational database goes through one primary. Replicas add
        read capacity only, so a write rate above the primary's ceiling cannot be met by
        adding machines: it needs sharding, batching through a queue, or a store that
        spreads writes over nodes, decided now rather than after the outage.
    Triggers:
        PostgreSQL as the database while phase 2's peak writes, recomputed from its
        assumptions, are 12,000/s: above the ~5,000/s the rules assume for one primary
        (the cautious end of ~5,000-10,000). When phase 6 chooses several databases,
        the system's writes are shared among them, so the writes phase 3 sends to
        relational storage are compared instead (and nothing is said without them).
        When the row's technology, component or problem says the store is sharded or
        partitioned, the writes are shared evenly over the primaries phase 5 declares
        for its component, and each share is compared instead.
    Better:
        Shard by a key from the start (and say so), put a queue in front to batch the
        writes, or choose a store that scales writes out, such as Cassandra or
        CockroachDB.
    """
    several = _several_stores(design)
    peak = _relational_writes(design) if several else _peak_writes(design)
    if peak is None:
        return
    writes, arithmetic = peak
    # Phase 3 may already report an access pattern writing more than one primary takes
    # (DAT-018): the same cause, so here it is a pointer to that finding.
    echo = _reported_in_phase_3(design, "DAT-018")
    for choice in _choices(design):
        tech = catalogue.find(choice.technology)
        if tech is None or not tech.single_primary or "writes_per_s" not in tech.limits:
            continue
        said = stems(f"{choice.technology} {choice.component} {choice.problem}")
        limit = tech.limits["writes_per_s"]
        if any(s.startswith(_SHARDED) for s in said):
            yield from _shards_over_capacity(design, choice, tech.name, limit, writes, arithmetic)
            continue
        if writes <= limit:
            continue
        shown = format_value(writes, "rate")
        yield Hit(
            margin=writes / limit,
            assumes=_primary_figure(limit, tech.name),
            field=f"{choice.field}.technology",
            message=f"{choice.label} has one primary for every write, and "
            f"{_SOURCE_OF_WRITES[several]} {shown}: "
            f"{writes / limit:.1f}x the ~{limit:,.0f} writes/s one primary takes."
            + (" Counted once, in phase 3 (DAT-018)." if echo else ""),
            arithmetic=f"{'' if several else 'peak writes: '}{arithmetic}; "
            f"{writes:,.0f} / {limit:,.0f} = "
            f"{writes / limit:.1f}x what one {tech.name} primary takes (the cautious end "
            "of its range in the catalogue)",
            hint="Where do the writes above one primary's ceiling go?",
            fix="Shard it by a key from the start and say so, batch the writes through a "
            "queue, or choose a store that spreads writes over nodes (Cassandra, "
            "CockroachDB).",
            severity=Severity.INFO if echo else None,
        )


def _primary_figure(limit: float, name: str) -> str:
    """What a verdict on one primary's writes rests on: the catalogue's figure, not the
    learner's."""
    return (
        f"~{limit:,.0f} writes/s for one {name} primary, the cautious end of the "
        "catalogue's range (the tutor's figure, not yours)"
    )


def _shards_over_capacity(
    design: Design, choice: Choice, name: str, limit: float, writes: float, arithmetic: str
) -> Iterator[Hit]:
    """A sharded single-primary store whose writes, shared evenly over the primaries phase
    5 gives its component, are still more than one primary takes."""
    shards = _primaries(design, choice.component)
    if shards < 2 or writes / shards <= limit:
        return
    each = writes / shards
    yield Hit(
        margin=each / limit,
        assumes=_primary_figure(limit, name),
        field=f"{choice.field}.technology",
        message=f"{choice.label} is sharded over {shards} primaries, and even shared "
        f"evenly the writes come to {format_value(each, 'rate')} on each: "
        f"{each / limit:.1f}x the ~{limit:,.0f} writes/s one primary takes.",
        arithmetic=f"{arithmetic}; {writes:,.0f} / {shards} primaries = {each:,.0f} a "
        f"primary; {each:,.0f} / {limit:,.0f} = {each / limit:.1f}x",
        hint="How many primaries does this write rate need, or is a primary that locks a "
        "row for each write the right store for it?",
        fix="Add shards until each takes under its ceiling with headroom, batch the writes, "
        "or choose a store built for this write rate (an in-memory store for counters, "
        "Cassandra for appends).",
    )


def _primaries(design: Design, component: str) -> int:
    """How many database primaries phase 5 declares for the named component (0 when it
    declares none by that name)."""
    if not design.has(5):
        return 0
    try:
        components = design.architecture.components
    except AnswerShapeError:
        return 0
    wanted = " ".join(component.lower().split())
    return sum(
        c.count or 1
        for c in components
        if c.type == "db_primary" and " ".join(c.name.lower().split()) == wanted
    )


def unknown_technology(design: Design) -> Iterator[Hit]:
    """A technology the catalogue does not know, so its catalogue checks are skipped.

    Why it matters:
        The checks on alternatives, known weaknesses and storage types read the
        catalogue. For a product it lacks, you are on your own: make sure the row names
        a rival of the same kind and the weaknesses that matter here.
    Triggers:
        "FoundationDB" or "in-house store", which the catalogue does not list.
    Better:
        Nothing to change if the product is right; spell its common name if the
        catalogue should know it (PostgreSQL, not "PSQL server").
    """
    for choice in _choices(design):
        if choice.technology and catalogue.find(choice.technology) is None:
            yield Hit(
                field=f"{choice.field}.technology",
                message=f'"{choice.technology}" is not in the technology catalogue; the '
                "checks that read the catalogue are skipped for it.",
            )


def export_section(design: Design) -> list[str]:
    """Phase 6's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
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


UNIT = PhaseUnit(
    number=6,
    slug="technology",
    title="Technology choices",
    goal="Justify each technology four ways: the problem it solves, the alternatives and "
    "why they fit worse, what it costs you, and what would change your mind.",
    questions=(
        "Which requirement does this technology answer?",
        "Which alternatives of the same kind did you reject, and why?",
        "What are its known weaknesses in this design?",
        "At what measurable point would you choose differently?",
    ),
    rule_prefix="TEC",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    export=export_section,
)
