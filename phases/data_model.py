"""Phase 3, data model: access patterns first, then entities, then storage.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "access_patterns": [
        {"requirement": "A visitor can open a short link ...",   # a phase 1 requirement
         "name": "resolve a short code", "entity": "Link",
         "data": "long URL, expiry", "key": "short code",
         "kind": "read", "lookup": "by_key", "rate": "20,000/s",
         "records": "one", "storage": "key_value",
         "transactional": false, "large_objects": false}
      ],
      "entities": [{"name": "Link", "fields": "code, long_url, owner_id, created_at",
                    "key": "code"}],
      "modelling": [{"choice": "denormalise", "fanout": "none", "what": "...",
                     "reason": "..."}]
    }
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Hit, Severity
from phases.engine.unit import (
    Expectation,
    Layout,
    PhaseUnit,
    Problems,
    Rows,
    checkbox_field,
    choice_field,
    is_text_list,
    requirement_field,
    text_field,
)
from phases.knowledge import storage
from phases.knowledge.reference import CAPACITIES_BY_KEY
from phases.reading import units
from phases.reading.quantities import UnitError, parse_quantity
from phases.reading.text import has_number, stem, stems, words
from phases.reading.units import durations_in
from phases.rendering.markdown import cell, table, yes
from phases.requirements import capability_rows, covered_capabilities

if TYPE_CHECKING:
    from phases.engine.design import Design
    from phases.requirements import Requirements

SCHEMA_VERSION = 1

KINDS = ("read", "write")
LOOKUPS = ("by_key", "by_range", "text_search", "traversal", "ad_hoc", "aggregate")
RECORDS = ("one", "few", "many", "aggregate")
STORAGE = (
    "relational",
    "document",
    "key_value",
    "wide_column",
    "search",
    "graph",
    "object",
    "time_series",
)
CHOICES = ("normalise", "denormalise")
FANOUTS = ("none", "write", "read", "hybrid")


@dataclass(frozen=True)
class AccessPattern:
    field: str
    requirement: str
    name: str
    entity: str
    data: str
    key: str
    kind: str
    lookup: str
    rate: str
    rate_per_s: float | None
    records: str
    storage: str
    transactional: bool
    large_objects: bool

    @property
    def label(self) -> str:
        return self.name or self.requirement or "(unnamed access pattern)"


@dataclass(frozen=True)
class Entity:
    field: str
    name: str
    fields: str
    key: str


@dataclass(frozen=True)
class Modelling:
    field: str
    choice: str
    fanout: str
    what: str
    reason: str


@dataclass(frozen=True)
class DataModel:
    access_patterns: tuple[AccessPattern, ...]
    entities: tuple[Entity, ...]
    modelling: tuple[Modelling, ...]


# The form: access patterns first, then entities, then how the data is modelled.
LAYOUT = Layout(
    lists=(
        Rows(
            "access_patterns",
            (
                requirement_field(),
                text_field("name", "Access pattern", placeholder="e.g. list a member's loans"),
                text_field("entity", "Entity", placeholder="e.g. Loan"),
                text_field("data", "Data needed", placeholder="e.g. book title, due date"),
                text_field("key", "Looked up by", placeholder="e.g. member id"),
                choice_field("kind", "Read or write", KINDS),
                choice_field(
                    "lookup",
                    "Lookup",
                    LOOKUPS,
                    {
                        "by_key": "by key",
                        "by_range": "by range",
                        "text_search": "text search",
                        "ad_hoc": "ad-hoc query",
                    },
                ),
                text_field("rate", "Rate", placeholder="a rate, e.g. N/s"),
                choice_field("records", "Records touched", RECORDS),
                choice_field(
                    "storage",
                    "Storage",
                    STORAGE,
                    {
                        "key_value": "key-value",
                        "wide_column": "wide-column",
                        "object": "object storage",
                        "time_series": "time-series",
                    },
                ),
                checkbox_field(
                    "transactional",
                    "Needs a transaction",
                    "Money, inventory: a partial write is a disaster.",
                ),
                checkbox_field(
                    "large_objects",
                    "Large objects",
                    "Files, images, big text: megabytes, not bytes.",
                ),
            ),
        ),
        Rows(
            "entities",
            (
                text_field("name", "Entity", placeholder="e.g. Loan"),
                text_field(
                    "fields", "Fields", placeholder="e.g. loan_id, book_id, member_id, due_on"
                ),
                text_field("key", "Key", placeholder="e.g. loan_id"),
            ),
        ),
        Rows(
            "modelling",
            (
                choice_field("choice", "Choice", CHOICES),
                choice_field(
                    "fanout", "Fan-out", FANOUTS, {"write": "on write", "read": "on read"}
                ),
                text_field("what", "What", placeholder="e.g. due dates copied into each loan"),
                text_field("reason", "Why", placeholder="e.g. read far more often than written"),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {"version": SCHEMA_VERSION, "access_patterns": [], "entities": [], "modelling": []}


def parse(data: JSON) -> DataModel:
    r = Reader(data)
    d = r.data
    patterns = []
    for path, row in r.rows(d, "access_patterns", "access_patterns"):
        rate = r.text(row, "rate", f"{path}.rate")
        quantity = (
            r.parsed(f"{path}.rate", lambda t: parse_quantity(t, expect="rate"), rate)
            if rate
            else None
        )
        patterns.append(
            AccessPattern(
                field=path,
                requirement=r.text(row, "requirement", f"{path}.requirement"),
                name=r.text(row, "name", f"{path}.name"),
                entity=r.text(row, "entity", f"{path}.entity"),
                data=r.text(row, "data", f"{path}.data"),
                key=r.text(row, "key", f"{path}.key"),
                kind=r.text(row, "kind", f"{path}.kind", choices=KINDS),
                lookup=r.text(row, "lookup", f"{path}.lookup", choices=LOOKUPS),
                rate=rate,
                rate_per_s=quantity.value if quantity else None,
                records=r.text(row, "records", f"{path}.records", choices=RECORDS),
                storage=r.text(row, "storage", f"{path}.storage", choices=STORAGE),
                transactional=r.flag(row, "transactional", f"{path}.transactional"),
                large_objects=r.flag(row, "large_objects", f"{path}.large_objects"),
            )
        )
    model = DataModel(
        access_patterns=tuple(patterns),
        entities=tuple(
            Entity(
                field=path,
                name=r.text(row, "name", f"{path}.name"),
                fields=r.text(row, "fields", f"{path}.fields"),
                key=r.text(row, "key", f"{path}.key"),
            )
            for path, row in r.rows(d, "entities", "entities")
        ),
        modelling=tuple(
            Modelling(
                field=path,
                choice=r.text(row, "choice", f"{path}.choice", choices=CHOICES),
                fanout=r.text(row, "fanout", f"{path}.fanout", choices=FANOUTS),
                what=r.text(row, "what", f"{path}.what"),
                reason=r.text(row, "reason", f"{path}.reason"),
            )
            for path, row in r.rows(d, "modelling", "modelling")
        ),
    )
    r.raise_if_errors()
    return model


class Figures(TypedDict):
    stores_by_entity: dict[str, list[str]]


def computed(design: Design) -> Figures:
    """Which storage each entity ends up in, from the access patterns that touch it."""
    stores: dict[str, set[str]] = {}
    for pattern in design.data_model.access_patterns:
        if pattern.entity and pattern.storage:
            stores.setdefault(pattern.entity, set()).add(pattern.storage)
    return {"stores_by_entity": {name: sorted(kinds) for name, kinds in sorted(stores.items())}}


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits. The registry (phases/engine/registry.py) gives each its
# code and severity; the docstring is what the rules page shows. What each store serves
# well or badly comes from the storage decision table (phases/knowledge/storage.py), never from
# here.

# A follower count from which pushing every post to every follower's feed is ruinous.
CELEBRITY_FOLLOWERS = 1_000_000


def _requirement_key(text: str) -> str:
    """A requirement's text with case, spacing and punctuation ignored."""
    return " ".join(words(text))


def _entity_key(name: str) -> str:
    """An entity's name with case, spacing and plurals ignored ("Links" is "link")."""
    return " ".join(stems(name, keep_stopwords=True))


def _phase1(design: Design) -> Requirements | None:
    """Phase 1's answers, or None when there are none or they cannot be read."""
    if not design.has(1):
        return None
    try:
        return design.requirements
    except AnswerShapeError:
        return None


def _store(code: str) -> str:
    """``a key-value store``: a storage type's name inside a sentence."""
    return storage.phrase(code)


def _a(noun: str) -> str:
    """``an ad-hoc query``: a noun with its indefinite article."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _quoted(p: AccessPattern) -> str:
    return f'"{p.label}"'


def missing_access_pattern(design: Design) -> Iterator[Hit]:
    """A functional requirement from phase 1 that no access pattern serves.

    Why it matters:
        Every operation a user performs reads or writes data somewhere. An operation
        without an access pattern has no key, no rate and no store chosen for it, so the
        data model cannot serve it, and the gap surfaces only when someone builds it.
    Triggers:
        Phase 1 says a link owner can delete their short link, and no access pattern
        names that requirement.
    Better:
        At least one access pattern per requirement, naming it: "delete a link", a
        write by short code in the relational store.
    """
    req = _phase1(design)
    if req is None:
        return
    functional = [fr for fr in req.functional if fr.text]
    if not functional:
        return
    named = {_requirement_key(p.requirement) for p in design.data_model.access_patterns}
    missing = [fr for fr in functional if _requirement_key(fr.text) not in named]
    for fr in missing:
        yield Hit(
            field=f"{fr.field}.text",
            field_phase=1,
            message=f'No access pattern serves the requirement "{fr.text}".',
            hint="Which data does this operation read or write, and by what key?",
            fix="Add an access pattern that names this requirement, with its data, key, "
            "read or write, lookup, rate and store.",
        )
    if not missing:
        yield Hit(
            field="access_patterns",
            message=f"Each of the {len(functional)} functional requirements has an access pattern.",
            severity=Severity.PASS,
        )


def unknown_requirement(design: Design) -> Iterator[Hit]:
    """An access pattern that names no requirement, or one phase 1 does not list.

    Why it matters:
        A pattern is only worth storing data for if some operation needs it. One tied
        to nothing is either a requirement missing from phase 1 or work the system
        does not have to do; either way the two phases disagree.
    Triggers:
        An access pattern "export all links as CSV" whose requirement is empty, or
        names an export that phase 1 never mentions.
    Better:
        Pick the requirement from phase 1's list; if the operation is truly needed, add
        it to phase 1 first.
    """
    req = _phase1(design)
    known = {_requirement_key(fr.text) for fr in req.functional if fr.text} if req else set()
    for p in design.data_model.access_patterns:
        if not p.requirement:
            yield Hit(
                field=f"{p.field}.requirement",
                message=f"The access pattern {_quoted(p)} names no requirement.",
                hint="Which phase 1 operation needs this data?",
                fix="Choose the phase 1 requirement this pattern serves.",
            )
        elif known and _requirement_key(p.requirement) not in known:
            yield Hit(
                field=f"{p.field}.requirement",
                message=f'The access pattern {_quoted(p)} names "{p.requirement}", which is '
                "not one of phase 1's functional requirements.",
                hint="Compare it with the requirements you listed in phase 1.",
                fix="Choose one of phase 1's requirements, or add this operation to "
                "phase 1 if the system must do it.",
            )


_PATTERN_PARTS = (
    ("entity", "entity", "Which record does it read or write?"),
    ("kind", "read or write", "Does this operation change data, or only look at it?"),
    ("lookup", "lookup", "How is the data found: by key, by range, by words in it?"),
    ("storage", "storage type", "Which kind of store serves this lookup best?"),
)


def incomplete_pattern(design: Design) -> Iterator[Hit]:
    """An access pattern without its entity, read or write, lookup, or storage type.

    Why it matters:
        The storage choice follows from the lookup, and every later check (does the
        store fit? is an entity left without a home?) needs these parts. A pattern
        missing one of them cannot be checked, so its mistakes stay hidden.
    Triggers:
        "Resolve a short code" with the lookup chosen but no storage type.
    Better:
        Resolve a short code: entity Link, read, by key, key-value store.
    """
    for p in design.data_model.access_patterns:
        for attr, name, hint in _PATTERN_PARTS:
            if not getattr(p, attr):
                yield Hit(
                    field=f"{p.field}.{attr}",
                    message=f"The access pattern {_quoted(p)} has no {name}.",
                    hint=hint,
                    fix=f"Choose the {name} for this pattern.",
                )


def text_search_without_index(design: Design) -> Iterator[Hit]:
    """Full-text search served by a store without a search index.

    Why it matters:
        Finding records by the words inside them needs an inverted index: a list, for
        each word, of the records that contain it. Without one, every search reads
        every record, and results come back unranked and without typo tolerance.
    Triggers:
        "Search pastes by keyword": text search, relational database.
    Better:
        Keep the records in their primary store and feed a search engine such as
        Elasticsearch from it; the search results carry ids that the primary store
        resolves.
    """
    need = "text_search"
    for p in design.data_model.access_patterns:
        if p.lookup == need and p.storage and not storage.fits(p.storage, need):
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_quoted(p)} searches text in {_store(p.storage)}. "
                f"{storage.why_not(p.storage, need)}",
                hint="How would this store find every record containing a given word?",
                fix="Serve the search from a search index fed by the primary store: "
                f"{storage.suggestion(need)}.",
            )


def search_only_store(design: Design) -> Iterator[Hit]:
    """A search index is the only store of an entity.

    Why it matters:
        A search index is a copy built for finding things. It shows new writes only
        after a refresh, offers no transactions, and is rebuilt from elsewhere when it
        breaks. If it holds the only copy, there is nothing to rebuild it from.
    Triggers:
        Every access pattern of the entity Paste uses the search engine.
    Better:
        Keep the entity in a durable store (relational, document, wide-column) and
        index a copy of it for search.
    """
    need = "system_of_record"
    by_entity: dict[str, list[AccessPattern]] = {}
    for p in design.data_model.access_patterns:
        if p.entity and p.storage:
            by_entity.setdefault(_entity_key(p.entity), []).append(p)
    for patterns in by_entity.values():
        fragile = [p for p in patterns if storage.bad_fit(p.storage, need)]
        durable = [p for p in patterns if not storage.bad_fit(p.storage, need)]
        if fragile and not durable:
            p = fragile[0]
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_store(p.storage).capitalize()} is the only store of "
                f"{p.entity}. {storage.why_not(p.storage, need)}",
                hint=f"If the index were lost, where would {p.entity} be rebuilt from?",
                fix=f"Add the pattern that writes {p.entity} to a durable store, and feed "
                "the index from it.",
            )


def transaction_without_acid(design: Design) -> Iterator[Hit]:
    """A transactional access pattern on a store without ACID transactions.

    Why it matters:
        Where a half-finished write does damage (money moved out but not in, stock sold
        twice, one name given to two owners), the changes must commit together or not
        at all. Only an ACID store promises that; elsewhere the application has to
        rebuild it, and usually gets it subtly wrong.
    Triggers:
        "Place an order and decrement stock", marked transactional, in a key-value
        store.
    Better:
        Keep the records that change together in a relational database and change them
        in one transaction.
    """
    need = "transactions"
    for p in design.data_model.access_patterns:
        if p.transactional and p.storage and not storage.fits(p.storage, need):
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_quoted(p)} needs a transaction, but it uses {_store(p.storage)}. "
                f"{storage.why_not(p.storage, need)}",
                hint="What happens if the write stops halfway?",
                fix=f"Use a store with ACID transactions: {storage.suggestion(need)}.",
            )


def blobs_outside_object_storage(design: Design) -> Iterator[Hit]:
    """Large objects (files, images, videos) kept in a database instead of object storage.

    Why it matters:
        Files of megabytes in database rows make every backup, replica and cache
        carry them, and crowd the small, hot rows out of memory. Object storage keeps
        files cheaply and durably and hands them to a CDN; the database keeps only
        their key and metadata.
    Triggers:
        "Upload a photo" marked as large objects, stored in a relational database.
    Better:
        The photo in object storage under a generated key; the key, size and owner in
        a database row.
    """
    need = "large_objects"
    for p in design.data_model.access_patterns:
        if p.large_objects and p.storage and not storage.fits(p.storage, need):
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_quoted(p)} keeps large objects in {_store(p.storage)}. "
                f"{storage.why_not(p.storage, need)}",
                hint="Where would a 5 MB file be cheapest to keep and to serve?",
                fix=f"Put the files in {storage.suggestion(need)}, and keep their keys and "
                "metadata in a database.",
            )


def object_storage_queried(design: Design) -> Iterator[Hit]:
    """Object storage asked for something other than a file by its key.

    Why it matters:
        Object storage finds a file by its key and nothing else: it cannot filter,
        count, search or join. Listing, filtering and totals need the files' metadata
        in a database that can answer them.
    Triggers:
        "List a user's photos from last month": a range lookup on object storage.
    Better:
        The photos' metadata (owner, date, key) in a relational or document store
        answers the list; object storage then serves each file by its key.
    """
    for p in design.data_model.access_patterns:
        if p.storage == "object" and p.lookup and storage.bad_fit("object", p.lookup):
            yield Hit(
                field=f"{p.field}.lookup",
                message=f"{_quoted(p)} asks object storage for "
                f"{_a(storage.NEED_LABELS[p.lookup])}. {storage.why_not('object', p.lookup)}",
                hint="Which store holds what you know about each file?",
                fix="Answer this lookup from the files' metadata in a database, and "
                "fetch each file from object storage by its key.",
            )


def traversal_without_graph(design: Design) -> Iterator[Hit]:
    """Relationship traversal on a store that cannot follow relationships.

    Why it matters:
        Walking relationships (friends of friends, who is connected to whom) takes one
        lookup per hop. A graph store follows each edge in constant time; a store
        without joins makes the application issue one query per hop, and the number
        of queries explodes with depth. A relational join handles one hop well, so
        relational storage is accepted here; deep walks belong in a graph store.
    Triggers:
        "Suggest friends of friends": traversal in a key-value store.
    Better:
        A graph database for multi-hop queries, or a relational join when only one hop
        is ever needed.
    """
    need = "traversal"
    for p in design.data_model.access_patterns:
        if p.lookup == need and p.storage and not storage.fits(p.storage, need):
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_quoted(p)} walks relationships in {_store(p.storage)}. "
                f"{storage.why_not(p.storage, need)}",
                hint="How many queries does a walk two or three hops deep take here?",
                fix=f"Use {storage.suggestion(need)}.",
            )


def wide_column_off_partition(design: Design) -> Iterator[Hit]:
    """A wide-column store asked for an ad-hoc query or an aggregate.

    Why it matters:
        A wide-column store is fast because every query names a partition key that
        says which nodes hold the answer. A query that does not (filter on any field,
        totals across partitions) has to ask every node, or is refused outright. Its
        tables are designed one per query, up front. (Text search on it is reported
        by the text search rule.)
    Triggers:
        "Find links created by any user last week": an ad-hoc lookup on Cassandra.
    Better:
        A table partitioned by exactly the key the query names, or the query served by
        a relational database or an analytics copy.
    """
    for p in design.data_model.access_patterns:
        if (
            p.storage == "wide_column"
            and p.lookup
            and p.lookup != "text_search"
            and storage.bad_fit("wide_column", p.lookup)
        ):
            yield Hit(
                field=f"{p.field}.lookup",
                message=f"{_quoted(p)} is {_a(storage.NEED_LABELS[p.lookup])} on a "
                f"wide-column store. {storage.why_not('wide_column', p.lookup)}",
                hint="Which partition key would this query name?",
                fix="Design a table keyed by the value the query names, precompute the "
                "totals, or serve it from a store with a query engine: "
                f"{storage.suggestion(p.lookup)}.",
            )


def _reported_elsewhere(p: AccessPattern) -> bool:
    """Whether a more specific rule already speaks about this store and lookup."""
    return p.lookup in ("text_search", "traversal") or p.storage in ("object", "wide_column")


# A "nearby" lookup on a key-value store is no scan: Redis answers radius queries with its
# geo index, and any key-value store answers them when positions are keyed by a
# geographic cell (geohash, H3, S2), read together with the neighbouring cells.
_GEO = re.compile(
    r"\b(geo\w*|h3|s2|quadtree|cells?|grid|tiles?|nearby|nearest|radius|"
    r"lat(itude)?|lng|lon(gitude)?)\b",
    re.IGNORECASE,
)


def _geo_on_key_value(p: AccessPattern) -> bool:
    return (
        p.storage == "key_value"
        and p.lookup in ("by_range", "ad_hoc")
        and bool(_GEO.search(f"{p.name} {p.key}"))
    )


def lookup_fits_badly(design: Design) -> Iterator[Hit]:
    """A lookup the chosen store serves badly, by the storage decision table.

    Why it matters:
        Each store is fast at a few lookups and slow or helpless at the others. Choose
        the store for the lookup, not the lookup for the store; a store picked because
        it is popular makes every pattern it does not fit fight the data layer.
    Triggers:
        "Clicks per day over the last month": a range lookup on a key-value store (but
        not "drivers near a point": a geo index or geographic cells as keys serve it).
    Better:
        A store whose strengths include the lookup: a relational or time-series
        database for ranges, or totals kept up to date as the writes arrive.
    """
    for p in design.data_model.access_patterns:
        if not (p.storage and p.lookup) or _reported_elsewhere(p) or _geo_on_key_value(p):
            continue
        if storage.bad_fit(p.storage, p.lookup):
            better = storage.suggestion(p.lookup)
            yield Hit(
                field=f"{p.field}.storage",
                message=f"{_quoted(p)} is {_a(storage.NEED_LABELS[p.lookup])} on "
                f"{_store(p.storage)}. {storage.why_not(p.storage, p.lookup)}",
                hint="Look this store up in the storage decision table.",
                fix=f"Choose a store that serves this lookup well: {better}."
                if better
                else "Choose a store that serves this lookup well.",
            )


def unused_entity(design: Design) -> Iterator[Hit]:
    """An entity that no access pattern reads or writes.

    Why it matters:
        Entities follow from access patterns, not the other way round. An entity that
        no pattern touches is either not needed, or an operation that uses it is
        missing from the patterns, and then from the storage choice too.
    Triggers:
        An entity User when no access pattern is on User, nor names it in its name, data
        or key.
    Better:
        Remove the entity, or add the access patterns that read and write it.
    """
    patterns = design.data_model.access_patterns
    used = {_entity_key(p.entity) for p in patterns if p.entity}
    # A pattern that names it in its words uses it too ("read an event's seat map").
    said = {s for p in patterns for s in stems(f"{p.name} {p.data} {p.key}")}
    for entity in design.data_model.entities:
        named = set(stems(entity.name))
        if entity.name and _entity_key(entity.name) not in used and not (named and named <= said):
            yield Hit(
                field=f"{entity.field}.name",
                message=f"No access pattern reads or writes the entity {entity.name}.",
                hint="Which operation creates it, and which one reads it?",
                fix=f"Add the access patterns that use {entity.name}, or remove it.",
            )


def _max_followers(givens: JSON) -> tuple[str, float] | None:
    """The problem's largest follower count (``givens.max_followers``), as typed and parsed."""
    given = givens.get("max_followers")
    text = given.get("value") if isinstance(given, dict) else given
    if text is None or isinstance(text, bool):
        return None
    text = str(text)
    try:
        return text, parse_quantity(text, expect="count").value
    except UnitError:
        return None


def fanout_on_write_with_celebrities(design: Design) -> Iterator[Hit]:
    """Fan-out on write when some accounts have a million followers or more.

    Why it matters:
        Fan-out on write copies each new post into every follower's feed so that
        reading a feed is one lookup. For most accounts that is a few hundred writes;
        for an account with ten million followers, one post becomes ten million writes
        and followers see it minutes late. The usual answer is a hybrid: push for
        ordinary accounts, pull the few huge ones in when the feed is read.
    Triggers:
        Fan-out "write" for a problem whose givens say the largest account has 10M
        followers.
    Better:
        Fan-out "hybrid": push to followers' feeds below a follower threshold, and
        merge posts of accounts above it at read time.
    """
    found = _max_followers(design.problem.givens)
    if found is None:
        return
    text, followers = found
    if followers < CELEBRITY_FOLLOWERS:
        return
    for row in design.data_model.modelling:
        if row.fanout == "write":
            yield Hit(
                field=f"{row.field}.fanout",
                message=f"Fan-out on write, while the problem's largest account has {text} "
                "followers: each of its posts becomes that many feed writes.",
                arithmetic=f"1 post × {followers:,.0f} followers = {followers:,.0f} feed writes",
                hint="What does one post by the most followed account cost here?",
                fix="Use a hybrid: fan out on write for ordinary accounts, and fetch the "
                "posts of accounts above a follower threshold when a feed is read.",
            )


# Where the noun a data name is about ends: "seat map shown to fans" is about a map.
_PHRASE_END = re.compile(
    r"\b(in|of|to|for|on|by|from|with|that|which|per|shown|seen|read|written|as)\b"
)
_GENERIC_HEADS = frozenset(stems("data record records row rows item items info details value"))


# What a view or a figure derived from the data is called: a seat map, a feed, a count may
# lag while the rows behind them are written in transactions.
_DERIVED = frozenset(
    stems(
        "map maps feed feeds view views count counts counter counters total totals stats "
        "statistics summary summaries search index cache list lists timeline timelines "
        "report reports dashboard dashboards chart charts position positions location "
        "locations score scores ranking rankings history metrics"
    )
)


def _noun_phrases(text: str) -> list[list[str]]:
    """The stems of each noun phrase a data name lists, up to where it stops naming the
    thing: "seat status and holds" gives [seat, status] and [hold]; "seat map shown to
    fans" gives [seat, map]."""
    phrases = []
    for part in re.split(r",|\band\b|/", (text or "").lower()):
        said = [stem(w) for w in words(_PHRASE_END.split(part)[0])]
        if said:
            phrases.append(said)
    return phrases


def _head_nouns(text: str) -> set[str]:
    """The stem of the last word of each noun phrase: what the name is about."""
    return {phrase[-1] for phrase in _noun_phrases(text)} - _GENERIC_HEADS


def eventual_but_transactional(design: Design) -> Iterator[Hit]:
    """Data phase 1 calls eventually consistent that phase 3 writes in a transaction.

    Why it matters:
        A transaction is there because two writers must not both succeed (two fans
        holding one seat, two riders claiming one driver). Eventual consistency says the
        opposite: readers, and writers deciding from what they read, may see an old value
        for a while. Both cannot be true of the same data; one of the two answers is wrong.
    Triggers:
        A phase 1 consistency row with the eventual model naming the entity of a phase 3
        access pattern marked transactional ("seat status and holds" and the entity Seat),
        unless what it names is a view or a figure derived from that entity ("seat map
        shown to fans", "current driver positions", "click counts"), which may lag.
    Better:
        Strong (or read-your-writes) consistency for the data the transaction protects;
        eventual for what may lag, such as counts and feeds.
    """
    req = _phase1(design)
    if req is None:
        return
    transactional = [p for p in design.data_model.access_patterns if p.transactional]
    for row in req.consistency:
        if row.model != "eventual" or not row.data:
            continue
        nouns = _noun_phrases(row.data)
        pattern = next(
            (
                p
                for p in transactional
                if any(
                    _head_nouns(p.entity) & set(phrase) and phrase[-1] not in _DERIVED
                    for phrase in nouns
                )
            ),
            None,
        )
        if pattern is not None:
            yield Hit(
                field=f"{row.field}.model",
                field_phase=1,
                message=f'Phase 1 says "{row.data}" is eventually consistent, but phase 3 '
                f'writes it in a transaction ("{pattern.label}"). Does any writer decide from '
                "what it reads (hold only if still free)? Then it must read the latest value.",
                hint="Must two writers be kept from both succeeding on this data? Then "
                "readers cannot be allowed to see it late either.",
                fix="Make the data the transaction protects strongly consistent in phase 1, "
                "or say why the transaction is not needed.",
            )


# A store that says it spreads writes over nodes by a key: its write rate is not one
# primary's.
_SPREAD = re.compile(r"\b(shard|partition|citus|vitess|spann|cockroach)", re.IGNORECASE)


def writes_beyond_one_primary(design: Design) -> Iterator[Hit]:
    """A write access pattern on relational storage faster than one primary takes.

    Why it matters:
        A relational database takes every write on one primary: about 5,000 to 10,000
        small writes a second on one well-tuned machine. A pattern that writes more than
        that into one relational table needs batching, sharding by a key, or a store
        that spreads writes over nodes, and the data model is where that shows first.
    Triggers:
        A write (or read-and-write) access pattern with relational storage whose rate is
        above the reference write capacity of one relational primary, unless the
        pattern, its entity's key or the modelling notes say it is sharded or
        partitioned. The capacity is the tutor's reference, so this is a warning that
        says so.
    Better:
        Batch the writes (a queue in front, one write per hundred events), shard the
        table by a key from the start, or choose a wide-column or key-value store for it.
    """
    limit = CAPACITIES_BY_KEY["writes"].value
    notes = " ".join(f"{m.what} {m.reason}" for m in design.data_model.modelling)
    if _SPREAD.search(notes):
        return
    for p in design.data_model.access_patterns:
        if p.kind not in ("write", "both") or p.storage != "relational":
            continue
        if p.rate_per_s is None or p.rate_per_s <= limit:
            continue
        if _SPREAD.search(f"{p.name} {p.entity} {p.data} {p.key}"):
            continue
        yield Hit(
            field=f"{p.field}.rate",
            message=f'"{p.label}" writes {p.rate} into relational storage: '
            f"{p.rate_per_s / limit:.1f}x what one primary takes. Where do the writes above "
            "one machine go?",
            arithmetic=f"{p.rate_per_s:,.0f}/s ÷ {limit:,.0f}/s = {p.rate_per_s / limit:.1f}x",
            hint="Batch them, shard the table by a key, or store them where writes spread.",
            fix="Put a queue in front and write in batches, shard by a key from the start, "
            "or choose a wide-column or key-value store for this pattern.",
            margin=p.rate_per_s / limit,
            assumes=f"~{limit:,.0f} writes/s on one relational primary (the tutor's "
            "reference figure)",
        )


# Words by which a requirement says something is counted or recorded as it happens.
_RECORDS = re.compile(
    r"\b(how many|how often|counts?|counted|counting|number of times|tally|statistics|"
    r"stats|analytics)\b"
)


def recorded_but_never_written(design: Design) -> Iterator[Hit]:
    """A requirement that counts or records something, with no access pattern writing it.

    Why it matters:
        "An owner can see how many times their link was opened" is read on a page, but
        each opening has to be written somewhere first, usually at a far higher rate
        than the page is read. A design with only the read has no answer for the write
        that feeds it, which is often the heaviest load in the system.
    Triggers:
        A phase 1 requirement that speaks of counting ("how many", "how often", "count",
        "statistics", "analytics"), whose phase 3 access patterns include a read and no
        write, while no other pattern writes the entity it reads. Textual (it reads the
        requirement's words), so a warning that asks.
    Better:
        A write access pattern for the event that is counted ("count a click", 20,000/s,
        batched), beside the read that shows the total.
    """
    req = _phase1(design)
    if req is None:
        return
    patterns = design.data_model.access_patterns
    for fr in req.functional:
        if not fr.text or not _RECORDS.search(fr.text.lower()):
            continue
        mine = [p for p in patterns if _requirement_key(p.requirement) == _requirement_key(fr.text)]
        if not mine or any(p.kind in ("write", "both") for p in mine):
            continue
        entities = {_entity_key(p.entity) for p in mine if p.entity}
        if any(_entity_key(p.entity) in entities for p in patterns if p.kind in ("write", "both")):
            continue  # another requirement's pattern writes what this one reads
        yield Hit(
            field=f"{fr.field}.text",
            field_phase=1,
            message=f'"{fr.text}" is served by reads only. What writes each event it counts '
            "or records, and how many a second?",
            hint="Before a total can be read, every event behind it is written: where?",
            fix="Add a write access pattern for the event (its rate, key and store), "
            "beside the read that shows it.",
        )


# Above this many a second, an unindexed query over many records is a per-request scan,
# not an occasional report (the tutor's rule of thumb).
AD_HOC_PER_S = 100.0

# A rate written per this span instead of per second: its name, for messages.
_SPANS = (
    (units.SECONDS_PER_MINUTE, "minute"),
    (units.SECONDS_PER_HOUR, "hour"),
    (units.SECONDS_PER_DAY, "day"),
    (units.SECONDS_PER_MONTH, "month"),
    (units.SECONDS_PER_YEAR, "year"),
)
# Phase 2's rate figures an access pattern's rate may repeat.
_PHASE2_RATES = (
    ("peak_writes_per_s", "peak writes"),
    ("writes_per_s", "average writes"),
    ("peak_reads_per_s", "peak reads"),
    ("reads_per_s", "average reads"),
)
# Below this, equal digits are a coincidence worth nothing (1/day against 1/s).
_SAME_DIGITS_FROM_PER_S = 100.0


# A key ordered by the time on the writer's own device: "sent_at (the sender's phone
# clock)", "client timestamp".
_TIME_WORDS = re.compile(r"(?:\b|_)(?:time|timestamp|ts|clock|sent|created|at)(?:\b|_)", re.I)
_CLIENT_CLOCK = re.compile(
    r"\b(?:phones?|mobile|browsers?|clients?|senders?)(?:'s?)?"
    r"(?:\W+\w+)?\W+(?:clocks?|times?|timestamps?)\b"
    r"|\b(?:user|caller|sender)'s (?:own |local )?(?:clock|time)\b"
    r"|\b(?:from|by|on) the (?:phone|browser|client|sender|device of the sender)\b"
    r"|\bclient[_ ](?:time|timestamp|ts|clock)\b",
    re.I,
)


def key_on_a_client_clock(design: Design) -> Iterator[Hit]:
    """An entity keyed or ordered by the time on the writer's own device.

    Why it matters:
        Phones and browsers keep their own time, off by seconds or minutes and changed by
        their owners. A key ordered by it shows replies before the questions they answer,
        and two writes stamped with the same second collide on the key. Only a clock the
        system controls (or an id it assigns in order) orders what many devices write.
    Triggers:
        An entity's key that names a time taken from the client: "sent_at (the sender's
        phone clock)", "client timestamp", "the time from the phone".
    Better:
        Key by an id the server assigns in time order (per conversation, or a Snowflake
        style id); keep the device's time as a field to show, and a client-made id to
        drop a retried write.
    """
    for entity in design.data_model.entities:
        if _TIME_WORDS.search(entity.key) and _CLIENT_CLOCK.search(entity.key):
            yield Hit(
                field=f"{entity.field}.key",
                message=f"{entity.name or 'This entity'} is keyed by a time from the "
                f"writer's own device ({entity.key}): devices' clocks disagree by seconds "
                "or minutes, so the order is wrong across writers, and two writes in the "
                "same second collide on the key.",
                hint="Whose clock orders what many devices write, and what happens when "
                "two of them say the same time?",
                fix="Key by an id the server assigns in time order; keep the device's time "
                "as a field to show, and a client-made id to drop retries.",
            )


def rate_in_another_unit(design: Design) -> Iterator[Hit]:
    """An access pattern whose rate has the digits of a phase 2 rate, per another span.

    Why it matters:
        Writing "69,000/day" where phase 2 worked out 69,000 a second is a slip of 86,400
        times, and every choice made from the access pattern (which store, how many
        nodes, whether a scan is affordable) is then made for a load that is tiny. The
        digits give it away: the same number, with the time unit changed.
    Triggers:
        An access pattern's rate that is phase 2's stated average or peak reads or writes
        (100 a second or more) divided by exactly a minute, an hour, a day, a month or a
        year (within 1%). Both figures are the learner's own.
    Better:
        The rate in the unit phase 2 used, or a note that this pattern really runs that
        rarely.
    """
    if not design.has(2):
        return
    try:
        results = design.estimate.results
    except AnswerShapeError:
        return
    stated = [(key, label, results[key]) for key, label in _PHASE2_RATES if key in results]
    for pattern in design.data_model.access_patterns:
        rate = pattern.rate_per_s
        if not rate or rate <= 0:
            continue
        found = next(
            (
                (label, quantity, seconds, span)
                for _key, label, quantity in stated
                for seconds, span in _SPANS
                if quantity.value >= _SAME_DIGITS_FROM_PER_S
                and abs(rate * seconds / quantity.value - 1) < 0.01
            ),
            None,
        )
        if found is None:
            continue
        label, quantity, seconds, span = found
        yield Hit(
            field=f"{pattern.field}.rate",
            message=f"{_quoted(pattern)} runs {pattern.rate}: the digits of phase 2's "
            f"{label} ({quantity.text}), per {span} instead of per second, {seconds:,} "
            "times less. Is it per second?",
            arithmetic=f"{quantity.text} ÷ {seconds:,} s a {span} ≈ {pattern.rate}",
            hint="Which unit did phase 2 work this figure out in?",
            fix="Write the rate in the unit phase 2 used, or say why this pattern runs that "
            "rarely.",
        )


def frequent_ad_hoc_scan(design: Design) -> Iterator[Hit]:
    """An ad-hoc query over many records, run at request rates.

    Why it matters:
        An ad-hoc lookup has no key to go to: the store reads every candidate row and
        filters them. Once in a while for a report, that is fine; on every request, tens
        of thousands of times a second (the distance to every driver, each expired
        sample deleted one by one), it is a full scan per call, and no store keeps up.
    Triggers:
        An access pattern with an ad-hoc lookup that touches many records at more than
        100 a second (the tutor's rule of thumb).
    Better:
        Give the pattern a key or an index that finds the few records it needs (a
        geospatial index by cell; expiry by whole time partitions, dropped at once).
    """
    for p in design.data_model.access_patterns:
        if p.lookup != "ad_hoc" or p.records != "many" or p.rate_per_s is None:
            continue
        if p.rate_per_s <= AD_HOC_PER_S:
            continue
        yield Hit(
            field=f"{p.field}.lookup",
            message=f'"{p.label}" is an ad-hoc query over many records, {p.rate} times: each '
            "one reads every candidate row. What key or index would find just the rows it "
            "needs?",
            hint="Which key narrows the search to the few records this call returns?",
            fix="Key or index the pattern by what it looks up (a geospatial cell, a time "
            "partition), so each call touches only its rows.",
            assumes="that an unindexed query over many rows is an occasional operation, "
            f"not one run more than {AD_HOC_PER_S:g} times a second (the tutor's rule of "
            "thumb)",
            margin=p.rate_per_s / AD_HOC_PER_S,
        )


_KEY_PARTS = re.compile(r",|\band\b|\bthen\b|\+|/")
_UNIQUE_ID = re.compile(r"\b(ids?|uuids?|guids?|hash(es)?)\b")


def range_over_a_unique_key(design: Design) -> Iterator[Hit]:
    """A range read on a wide-column store whose whole key is one unique ID.

    Why it matters:
        A wide-column store keeps rows in order only inside a partition. A key that is a
        single unique ID (a random message UUID) puts every row in a partition of its
        own, so "the last 50 messages of a conversation" has nothing to range over: the
        read asks every partition. The partition key groups what is read together, and
        a clustering key orders it within.
    Triggers:
        An access pattern with a range lookup on wide-column storage whose key has one
        part, and that part is an ID, a UUID or a hash.
    Better:
        Key by what is read together, then by order: "conversation ID, then a
        time-ordered message ID".
    """
    model = design.data_model
    entities = {_entity_key(e.name): e for e in model.entities if e.name}
    reported = set()
    for p in model.access_patterns:
        if p.lookup != "by_range" or p.storage != "wide_column":
            continue
        # The table's key decides the partitions: the entity's, else the pattern's.
        entity = entities.get(_entity_key(p.entity))
        key, field = (
            (entity.key, f"{entity.field}.key")
            if entity and entity.key
            else (
                p.key,
                f"{p.field}.key",
            )
        )
        parts = [part for part in _KEY_PARTS.split((key or "").lower()) if part.strip()]
        if field not in reported and len(parts) == 1 and _UNIQUE_ID.search(parts[0]):
            reported.add(field)
            yield Hit(
                field=field,
                message=f'"{p.label}" reads a range, but the key is one unique ID ("{key}"): '
                "each row sits in a partition of its own, so the range asks every partition. "
                "What is read together?",
                hint="Which partition holds all the rows this read returns, in order?",
                fix="Key it by what is read together first (a conversation, an owner), then "
                "by order within it.",
            )


def denormalised_write_heavy(design: Design) -> Iterator[Hit]:
    """Denormalising when phase 1 says writes outnumber reads.

    Why it matters:
        Denormalising copies data so that reads need no join; the price is paid on
        every write, which must update each copy. That trade pays off when reads
        dominate. When writes outnumber reads, it multiplies the busiest work to
        speed up the rarer one.
    Triggers:
        A read:write ratio of 1:4 in phase 1, and a modelling row that denormalises
        with a reason that gives no figure (a reason with numbers makes its own case).
    Better:
        Keep the data normalised and let the few reads join, or denormalise only data
        that is read far more often than it changes, and say why.
    """
    req = _phase1(design)
    if req is None or req.reads_per_write is None or req.reads_per_write >= 1:
        return
    for row in design.data_model.modelling:
        # A reason with numbers ("8,760 hourly points instead of 3.2 million samples")
        # is the case for the copy made from the learner's own figures: not asked.
        if row.choice == "denormalise" and not has_number(row.reason):
            yield Hit(
                field=f"{row.field}.choice",
                message=f"You denormalise {row.what or 'this data'}, but phase 1's "
                f"read:write ratio ({req.read_write_ratio}) makes the workload write-heavy.",
                arithmetic=f"{req.read_write_ratio} = {req.reads_per_write:g} reads per write < 1",
                hint="How many copies does each write have to update, and how often is "
                "each copy read?",
                fix="Keep this data normalised, or explain why its reads outweigh the "
                "extra writes.",
            )


def modelling_without_reason(design: Design) -> Iterator[Hit]:
    """A normalise or denormalise decision with no reason given.

    Why it matters:
        Neither choice is right in general: denormalising buys fast reads with costly
        writes and copies that can disagree. The reason (the read:write ratio, the
        join it avoids, the fan-out it implies) is what makes the choice checkable,
        and what tells you when to revisit it.
    Triggers:
        "Denormalise: copy the author's name into each post" with the reason empty.
    Better:
        "Feeds are read 100 times for each post written; copying the name saves a join
        on every read and costs one update when a name changes."
    """
    for row in design.data_model.modelling:
        if not row.reason:
            yield Hit(
                field=f"{row.field}.reason",
                message=f"The decision to {row.choice or 'model'} "
                f"{row.what or 'this data'} has no reason.",
                hint="What does this choice make cheaper, and what does it make dearer?",
                fix="Give the reason: the ratio, the join avoided, or the cost on writes.",
            )


# -- What a reviewer asks about what is not there -------------------------------------------

# Below this, a retention is a promise to delete (logs for 30 days, a session for an
# hour); from a year up it is the horizon of the storage estimate ("36.5 TB over five
# years"), and nobody is asked what deletes posts after five years.
EXPIRY_HORIZON_S = units.SECONDS_PER_YEAR

_CLAUSES = re.compile(r"[.;!?\n]+")
# Data said to expire: "expires after 30 days", an "expires_at" field, "hold expiry".
_EXPIRES = re.compile(r"(?<![a-z])expir", re.IGNORECASE)
# Data said to be kept for a while: "kept for 30 days", "nothing is kept past one hour",
# "pastes last at most 30 days", "retained 90 days", "deleted after a week".
_KEPT = re.compile(
    r"\b(kept|keeps?|keeping|retain(s|ed|ing)?|retention|stored for|"
    r"lasts? (at most|up to|no more than)|(deleted|removed|purged|dropped|discarded) after)\b",
    re.IGNORECASE,
)
# Expiries that need nothing deleted: a signed URL or a token stops working by itself, and
# a cache or CDN entry expires by the cache's own TTL.
_EXPIRES_BY_ITSELF = re.compile(
    r"\b((pre-?)?signed|tokens?|jwts?|certificates?|passwords?|cookies?|cach\w*|cdn|"
    r"edges?)\b",
    re.IGNORECASE,
)
_NEVER = re.compile(
    r"\b(never|not|no|without|don't|doesn't|do not|does not|forever|indefinitely|permanent\w*)\b",
    re.IGNORECASE,
)
# A mechanism that deletes what has had its time: a TTL, a cleanup or compaction job,
# lifecycle rules, dropping old partitions, a retention policy on a store or a log.
_DELETER = re.compile(
    r"\bttls?\b|time[- ]to[- ]live|\bclean[- ]?(up|ups|er|ers|ing|s)\b|\bsweep(er|ers|s|ing)?\b|"
    r"\bpurg(e|es|ed|ing)\b|\breap(er|ers|s|ing)?\b|\bjanitor|\bhousekeeping\b|"
    r"\bgarbage[- ]collect|\bvacuum|\bcompact(ion|s|ed|ing)?\b|\blifecycle\b|"
    r"\bretention (polic|rule|setting|config|period)|\bauto[- ]?(expir|delet)|"
    r"\bexpire(s)? (keys?|automatically|itself|themselves|on (its|their) own)\b|"
    r"\bset (to|an?) expir|\bexpiring by\b",
    re.IGNORECASE,
)
_DELETE_VERB = re.compile(
    r"\b(delet|remov|drop|discard|evict|releas|trim|truncat|expung|eras|clear|prun)\w*",
    re.IGNORECASE,
)
# What a deletion verb must be said of to be a mechanism: old or expired data, a job that
# runs it, or whole partitions ("drop expired blocks", "a job removes it afterwards",
# "drops whole partitions"). "Drop a repeated message id" is not one.
_DELETE_WHAT = re.compile(
    r"(?<![a-z])expir|\bolder than\b|\bold(er)?\b|\bpast (its|their|the)\b|\bafter \d|"
    r"\bonce (its|their|the|it|they)\b|\bretention\b|\bstale\b|\baged?\b|\bjobs?\b|"
    r"\bworkers?\b|\bcron\b|\bschedul|\bnightly\b|\bperiodic|\bbackground\b|"
    r"\bin batches\b|\bscripts?\b|\bpartitions?\b|\bsegments?\b|\bchunks?\b|\bblocks?\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Expiry:
    """Where phases 1 to 3 say some data expires or is kept only a while."""

    phase: int
    field: str
    text: str
    # How the finding quotes it.
    said: str


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSES.split(text or "") if c.strip()]


def _says_expiry(text: str) -> bool:
    """Whether a text says some data expires, or is kept for less than a year."""
    for clause in _clauses(text):
        if _NEVER.search(clause) or _EXPIRES_BY_ITSELF.search(clause):
            continue
        if _EXPIRES.search(clause):
            return True
        if _KEPT.search(clause) and any(0 < s < EXPIRY_HORIZON_S for s in durations_in(clause)):
            return True
    return False


def _says_deletion(text: str) -> bool:
    """Whether a text names a mechanism that deletes data whose time is up."""
    for clause in _clauses(text):
        if _DELETER.search(clause):
            return True
        # "long URL, expiry, deleted flag" lists fields; a mechanism is said in one breath.
        if any(
            _DELETE_VERB.search(part) and _DELETE_WHAT.search(part) for part in clause.split(",")
        ):
            return True
    return False


def _expiries(design: Design) -> list[Expiry]:
    """Each place phases 1 to 3 state a retention or an expiry, in phase order."""
    found: list[Expiry] = []
    req = _phase1(design)
    if req is not None:
        texts = [(f"{fr.field}.text", fr.text) for fr in req.functional]
        texts += [("scale.data_growth", req.scale.get("data_growth", ""))]
        texts += [(f"{d.field}.notes", f"{d.data}: {d.notes}") for d in req.durability]
        texts += [("clarifications.notes", req.notes)]
        found += [
            Expiry(1, field, text, f'phase 1: "{text}"')
            for field, text in texts
            if _says_expiry(text)
        ]
    if design.has(2):
        try:
            retention = design.estimate.assumptions.get("retention")
        except AnswerShapeError:
            retention = None
        if retention is not None and 0 < retention.value < EXPIRY_HORIZON_S:
            found.append(
                Expiry(
                    2, "assumptions.retention", retention.text, f"a retention of {retention.text}"
                )
            )
    model = design.data_model
    quoted = [
        (f"{p.field}.data", f"{p.name}: {p.data}", f'{_quoted(p)} holds "{p.data}"')
        for p in model.access_patterns
    ]
    quoted += [
        (f"{e.field}.fields", e.fields, f'{e.name or "an entity"} has "{e.fields}"')
        for e in model.entities
    ]
    quoted += [
        (f"{m.field}.reason", f"{m.what}: {m.reason}", f'"{m.what}: {m.reason}"')
        for m in model.modelling
    ]
    found += [Expiry(3, field, text, said) for field, text, said in quoted if _says_expiry(text)]
    return found


def expiry_without_deletion(design: Design) -> Iterator[Hit]:
    """Data said to expire, or kept only for a while, that nothing in the design deletes.

    Why it matters:
        "Pastes expire after 30 days" is a promise twice over: readers must stop seeing
        the data, and the storage estimate counts only what is live. Neither holds by
        itself. Something has to delete the data when its time is up, and at millions of
        rows a day that something is part of the design: a TTL the store enforces, a
        cleanup job that deletes in batches off the request path, lifecycle rules on
        object storage, or whole time partitions dropped at once.
    Triggers:
        Phase 1 or phase 3 saying some data expires (an expiry field, "expires after 30
        days") or is kept for less than a year ("kept for 30 days", "nothing past one
        hour"), or phase 2's retention under a year, while no phase names a mechanism
        that deletes it (a TTL, a cleanup, sweeper or compaction job, lifecycle rules,
        dropping partitions, a retention policy, "delete expired rows"). A retention of a
        year or more is read as the horizon of the estimate; signed URLs, tokens and cache
        entries expire by themselves and are not counted. Textual, so a warning that
        asks.
    Better:
        An access pattern "delete expired pastes" run by an expiry job in batches, a TTL
        on each key, or lifecycle rules that delete the objects after 30 days.
    """
    found = _expiries(design)
    if not found:
        return
    if any(_says_deletion(text) for text in design.everything_said):
        return
    first = found[0]
    others = len(found) - 1
    also = f" ({others} more place{'s say' if others > 1 else ' says'} so too.)" if others else ""
    yield Hit(
        field=first.field,
        field_phase=first.phase if first.phase != 3 else None,
        message=f"Some data expires or is kept only for a while ({first.said}), but nothing "
        f"in the design deletes it. What removes it when its time is up?{also}",
        hint="When a record's time is up, which part of the system deletes it, and how "
        "many such deletes a day does it make?",
        fix="Name the mechanism: a TTL the store enforces, a cleanup job deleting expired "
        "rows in batches (an access pattern of its own), lifecycle rules on object "
        "storage, or time partitions dropped whole.",
    )


# -- Instructor expectations ----------------------------------------------------------------


def covering_requirements(capabilities: list[JSON], texts: list[str]) -> dict[int, list[str]]:
    """For each capability (by index), the requirement texts that cover it.

    Built on ``requirements.covered_capabilities``, which gives each requirement one
    capability: a requirement covers a capability when it mentions it and some largest
    matching of requirements to capabilities pairs the two (the matching without both
    is exactly one smaller). A requirement that mentions two capabilities thus serves
    the one nothing else can cover, as it does for REQ-001.
    """
    texts = [t for t in texts if t]
    whole = len(covered_capabilities(capabilities, texts))
    result: dict[int, list[str]] = {}
    for index, cap in enumerate(capabilities):
        others = capabilities[:index] + capabilities[index + 1 :]
        for position, text in enumerate(texts):
            if not covered_capabilities([cap], [text]):
                continue
            rest = texts[:position] + texts[position + 1 :]
            if len(covered_capabilities(others, rest)) == whole - 1:
                result.setdefault(index, []).append(text)
    return result


_covering: weakref.WeakKeyDictionary[Design, dict[int, list[str]]] = weakref.WeakKeyDictionary()


def _weakrefable(design: Design) -> bool:
    try:
        weakref.ref(design)
    except TypeError:
        return False
    return True


def expected_capabilities(
    design: Design, phase: int, key: str
) -> list[tuple[JSON, JSON, list[str]]]:
    """The rows of ``expectations.phase<phase>.<key>``, each with its phase 1 capability
    and the learner's requirement texts that cover it.

    Rows naming an unknown capability, and capabilities no requirement covers (REQ-001
    reports those), are left out; so is everything when phase 1 cannot be read.
    """
    rows = design.problem.expect(phase).get(key) or []
    req = _phase1(design)
    if not rows or req is None:
        return []
    capabilities = [
        c for c in design.problem.expect(1).get("capabilities") or [] if isinstance(c, dict)
    ]
    by_id = {c.get("id"): index for index, c in enumerate(capabilities) if c.get("id")}
    covering = _covering.get(design) if _weakrefable(design) else None
    if covering is None:  # the same for phases 3 and 4: computed once per design
        covering = covering_requirements(capabilities, [fr.text for fr in req.functional])
        if _weakrefable(design):
            _covering[design] = covering
    found = []
    for row in rows:
        index = by_id.get(row.get("capability")) if isinstance(row, dict) else None
        if index is not None and covering.get(index):
            found.append((row, capabilities[index], covering[index]))
    return found


def _stores(codes: list[str]) -> str:
    """``a key-value store or a relational database``."""
    names = [_store(code) for code in codes]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def storage_not_expected(design: Design) -> Iterator[Hit]:
    """A capability served by none of the access patterns, or from a store the instructor
    does not accept for it.

    Why it matters:
        For some problems the instructor knows which stores suit each operation, say a
        key-value store or a relational database for following a short link, and
        lists them with the problem. A store outside that list may work, but it is
        not the design the problem is built to teach, and the later phases (the
        capacity model, failure, technology) are judged against the expected one.
    Triggers:
        The problem's ``expectations.phase3.patterns`` lists a capability with its
        acceptable stores, and no access pattern names the phase 1 requirement that
        covers it, or one that does uses a store outside the list. Capabilities phase 1
        does not cover are left to REQ-001.
    Better:
        Serve the capability from one of the stores the finding names, or argue for
        your choice in the modelling notes and be ready to defend it.
    """
    patterns = design.data_model.access_patterns
    for row, cap, texts in expected_capabilities(design, 3, "patterns"):
        acceptable = [s for s in row.get("storage") or [] if isinstance(s, str)]
        keys = {_requirement_key(text) for text in texts}
        serving = [p for p in patterns if _requirement_key(p.requirement) in keys]
        expects = f" The instructor expects {_stores(acceptable)} for it." if acceptable else ""
        if not serving:
            yield Hit(
                field="access_patterns",
                message=f'No access pattern serves {cap["label"]} ("{texts[0]}").{expects}',
                hint="Which data does this operation read or write, and by what key?",
                fix="Add an access pattern that names this requirement"
                + (f", served from {_stores(acceptable)}." if acceptable else "."),
            )
            continue
        for p in serving:
            if acceptable and p.storage and p.storage not in acceptable:
                yield Hit(
                    field=f"{p.field}.storage",
                    message=f"{_quoted(p)} serves {cap['label']} from {_store(p.storage)}."
                    f"{expects}",
                    hint="Which lookup does this pattern make, and which stores serve it best?",
                    fix=f"Serve it from {_stores(acceptable)}, or explain in the modelling "
                    "notes why your store fits better.",
                )


# -- Expectations: the storage each capability's access pattern should use -----------------

PATTERN_KEYS = ("capability", "storage")


def check_patterns(problems: Problems, where: str, rows: object, expectations: JSON) -> None:
    """``phase3.patterns``: rows of ``{capability, storage: [types]}``."""
    for path, row in capability_rows(problems, where, rows, expectations, PATTERN_KEYS):
        storage = row.get("storage")
        if not is_text_list(storage) or not storage:
            problems.add(f"{path}.storage", "expected a non-empty list of storage types.")
            continue
        for code in storage:
            if code not in STORAGE:
                problems.add(
                    f"{path}.storage",
                    f"unknown storage type {code!r} (expected {', '.join(STORAGE)}).",
                )


def export_section(design: Design) -> list[str]:
    """Phase 3's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
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
                    cell(LAYOUT.label("kind", p.kind, "access_patterns")),
                    cell(LAYOUT.label("lookup", p.lookup, "access_patterns")),
                    cell(p.rate),
                    cell(LAYOUT.label("records", p.records, "access_patterns")),
                    cell(LAYOUT.label("storage", p.storage, "access_patterns")),
                    yes(p.transactional),
                    yes(p.large_objects),
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
                [
                    cell(LAYOUT.label("choice", m.choice, "modelling")),
                    cell(LAYOUT.label("fanout", m.fanout, "modelling")),
                    cell(m.what),
                    cell(m.reason),
                ]
                for m in model.modelling
            ],
            empty="_None stated._",
        )
    )
    return out


UNIT = PhaseUnit(
    number=3,
    slug="data-model",
    title="Data model",
    goal="Start from how data is read and written, not from the entities. The access "
    "patterns choose the storage; the storage does not choose the patterns.",
    questions=(
        "For each operation: what data, looked up by what key, how often?",
        "Does it touch one record, a few, or millions aggregated?",
        "Which store fits each pattern, and which would fight it?",
        "Where do you duplicate data to avoid joins, and what does each write cost then?",
        "Fan-out on write, on read, or a mix for accounts with huge followings?",
    ),
    rule_prefix="DAT",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    expectations=(Expectation("patterns", check_patterns, PATTERN_KEYS),),
    export=export_section,
)
