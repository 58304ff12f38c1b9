"""The storage decision table: which access patterns each kind of store serves well.

This is data, not prose in the rules. Phase 3's rules ask it questions ("can a
wide-column store answer an ad-hoc query?", "which store is ACID?") and quote its
reasons in their messages; the data model page shows it as the guidance panel.

Each storage type lists what it ``fits`` and what it ``fits_badly``, each with the
reason. A need is one of the phase 3 lookups (``by_key``, ``by_range``, ``text_search``,
``traversal``, ``ad_hoc``, ``aggregate``) or a property a pattern may ask of its store:

``transactions``
    Several records changed together, all or nothing (ACID).
``large_objects``
    Files, images, videos: values of megabytes or more.
``write_heavy``
    A sustained write rate far above what one machine takes.
``system_of_record``
    Holding the authoritative, durable copy of the data.

A need listed under neither is workable but unremarkable for that store; the rules only
speak about the two lists.
"""

from dataclasses import dataclass

LOOKUP_NEEDS = ("by_key", "by_range", "text_search", "traversal", "ad_hoc", "aggregate")
PROPERTY_NEEDS = ("transactions", "large_objects", "write_heavy", "system_of_record")
NEEDS = LOOKUP_NEEDS + PROPERTY_NEEDS

NEED_LABELS = {
    "by_key": "lookup by key",
    "by_range": "range scan",
    "text_search": "full-text search",
    "traversal": "relationship traversal",
    "ad_hoc": "ad-hoc query",
    "aggregate": "aggregation",
    "transactions": "ACID transactions",
    "large_objects": "large objects (files, media)",
    "write_heavy": "write-heavy load",
    "system_of_record": "the authoritative copy",
}


@dataclass(frozen=True)
class Fit:
    need: str
    reason: str

    @property
    def label(self) -> str:
        return NEED_LABELS[self.need]


@dataclass(frozen=True)
class StorageType:
    code: str
    label: str
    phrase: str  # the label inside a sentence: "a relational database", "object storage"
    examples: tuple[str, ...]
    summary: str
    fits: tuple[Fit, ...]
    fits_badly: tuple[Fit, ...]

    def fit(self, need: str) -> Fit | None:
        return next((f for f in self.fits if f.need == need), None)

    def bad_fit(self, need: str) -> Fit | None:
        return next((f for f in self.fits_badly if f.need == need), None)

    @property
    def display(self) -> str:
        """``a relational database (PostgreSQL, MySQL)``: the phrase with its examples."""
        return f"{self.phrase} ({', '.join(self.examples)})"


TABLE: tuple[StorageType, ...] = (
    StorageType(
        code="relational",
        label="Relational database",
        phrase="a relational database",
        examples=("PostgreSQL", "MySQL"),
        summary="Tables with relationships between them, queried in SQL, with transactions.",
        fits=(
            Fit("by_key", "A primary key or unique index finds one row in milliseconds."),
            Fit(
                "by_range",
                "A B-tree index keeps keys in order, so ranges and sorted pages are cheap.",
            ),
            Fit(
                "ad_hoc",
                "SQL answers questions nobody planned for; indexes make the frequent ones fast.",
            ),
            Fit(
                "aggregate",
                "Counts, sums and GROUP BY run next to the data, which suits reports "
                "over indexed columns.",
            ),
            Fit(
                "traversal",
                "A join follows one hop of a relationship well (the accounts a user "
                "follows). Each further hop multiplies the rows, so deep walks such as "
                "friends of friends of friends are a graph store's job.",
            ),
            Fit(
                "transactions",
                "ACID: several rows change together or not at all, which money, stock "
                "levels and unique names depend on.",
            ),
            Fit(
                "system_of_record",
                "A write is on disk, and on replicas if you ask, before it is "
                "acknowledged: a natural home for the authoritative copy.",
            ),
        ),
        fits_badly=(
            Fit(
                "text_search",
                "LIKE '%word%' reads every row, and the built-in text indexes lack the "
                "relevance ranking, typo tolerance and facets of a search engine.",
            ),
            Fit(
                "large_objects",
                "Megabyte values bloat rows, backups and replication, and push hot rows "
                "out of memory.",
            ),
            Fit(
                "write_heavy",
                "Every write goes to one primary; beyond a few thousand a second you "
                "must shard it yourself.",
            ),
        ),
    ),
    StorageType(
        code="document",
        label="Document store",
        phrase="a document store",
        examples=("MongoDB", "DynamoDB (documents)", "Couchbase"),
        summary="Nested records read and written whole, with a flexible schema.",
        fits=(
            Fit(
                "by_key",
                "One read returns a whole nested record by its id, with no join.",
            ),
            Fit(
                "system_of_record",
                "Writes are replicated and durable, so it can hold the authoritative copy.",
            ),
        ),
        fits_badly=(
            Fit(
                "traversal",
                "References between documents are followed by the application, one query per hop.",
            ),
            Fit(
                "transactions",
                "Changes are atomic inside one document; across documents, transactions "
                "are limited, slower, or missing, depending on the product.",
            ),
            Fit(
                "large_objects",
                "Documents have a size cap (16 MB in MongoDB), and a big one slows every "
                "read of the record.",
            ),
        ),
    ),
    StorageType(
        code="key_value",
        label="Key-value store",
        phrase="a key-value store",
        examples=("Redis", "DynamoDB", "Memcached"),
        summary="One value per key: get, set, increment. Often a cache in front of a database.",
        fits=(
            Fit(
                "by_key",
                "Get and set by key in well under a millisecond: the simplest, fastest "
                "lookup there is.",
            ),
            Fit(
                "write_heavy",
                "Small writes spread evenly over partitions by key, and counters "
                "increment in place.",
            ),
        ),
        fits_badly=(
            Fit(
                "by_range",
                "Keys are hashed across partitions, so there is no order to scan (sorted "
                "sets and sort keys help only in narrow cases).",
            ),
            Fit("ad_hoc", "It answers the one question its key was designed for, no other."),
            Fit(
                "aggregate",
                "There is no query engine; any total has to be kept up to date as writes arrive.",
            ),
            Fit("text_search", "Values are opaque to the store; it never looks inside them."),
            Fit("traversal", "Every hop is another round trip from the application."),
            Fit(
                "transactions",
                "Atomic for one key at best; nothing rolls back a change spanning several keys.",
            ),
            Fit(
                "large_objects",
                "Values are meant to be small: Redis holds them in memory, and DynamoDB "
                "caps an item at 400 KB.",
            ),
        ),
    ),
    StorageType(
        code="wide_column",
        label="Wide-column store",
        phrase="a wide-column store",
        examples=("Cassandra", "HBase", "ScyllaDB"),
        summary="Rows grouped in partitions by a partition key and sorted inside each "
        "partition; built for huge write rates.",
        fits=(
            Fit("by_key", "A read by partition key goes straight to the nodes that own it."),
            Fit(
                "by_range",
                "Inside one partition rows are sorted by the clustering columns, so "
                '"the latest 50 events of this user" is one read.',
            ),
            Fit(
                "write_heavy",
                "A write is an append to a log and a memory table, and capacity grows "
                "with every node added.",
            ),
            Fit(
                "system_of_record",
                "Each write is copied to several nodes, with a consistency level chosen per query.",
            ),
        ),
        fits_badly=(
            Fit(
                "ad_hoc",
                "Every query must name the partition key; anything else scans the whole "
                "cluster or is refused.",
            ),
            Fit(
                "aggregate",
                "No joins and no GROUP BY across partitions: totals have to be computed "
                "ahead of time.",
            ),
            Fit(
                "text_search",
                "It can only find rows by partition key, never by words inside a value.",
            ),
            Fit("traversal", "No joins: each hop is another query by the application."),
            Fit(
                "transactions",
                "Lightweight transactions cover one partition at a steep latency cost; "
                "nothing spans partitions.",
            ),
            Fit("large_objects", "Big cells strain compaction and repair; keep blobs out."),
        ),
    ),
    StorageType(
        code="search",
        label="Search engine",
        phrase="a search engine",
        examples=("Elasticsearch", "OpenSearch", "Solr"),
        summary="An inverted index over words and fields, fed from the primary store.",
        fits=(
            Fit(
                "text_search",
                "The inverted index ranks matches by relevance, stems words and forgives typos.",
            ),
            Fit(
                "ad_hoc",
                "Filters on any mix of fields at once, with facets (price, brand and "
                "category together).",
            ),
            Fit("aggregate", "Counts per bucket over the matches, for facets and dashboards."),
        ),
        fits_badly=(
            Fit(
                "system_of_record",
                "New writes show up only after the next refresh, and a damaged index is "
                "rebuilt from another store: it must never hold the only copy.",
            ),
            Fit("transactions", "No transactions: each document is indexed on its own."),
            Fit("traversal", "Documents do not point at each other; there is nothing to walk."),
            Fit("large_objects", "It indexes text and fields, not files; store those elsewhere."),
        ),
    ),
    StorageType(
        code="graph",
        label="Graph database",
        phrase="a graph database",
        examples=("Neo4j", "Amazon Neptune"),
        summary="Nodes and the edges between them, walked from a starting point.",
        fits=(
            Fit(
                "traversal",
                "Following an edge costs the same however large the graph, so friends "
                "of friends and shortest paths stay fast several hops deep.",
            ),
            Fit("by_key", "A node is found by an indexed property before the walk starts."),
        ),
        fits_badly=(
            Fit(
                "aggregate",
                "Totals over every node mean visiting every node; it is built to walk "
                "outwards from one.",
            ),
            Fit(
                "write_heavy",
                "A graph is hard to split across machines: every edge cut by the split "
                "turns a hop into a network call.",
            ),
            Fit("text_search", "Property indexes match exact values, not words in text."),
            Fit("large_objects", "Properties are meant to be small values, not files."),
        ),
    ),
    StorageType(
        code="object",
        label="Object storage",
        phrase="object storage",
        examples=("Amazon S3", "Google Cloud Storage", "Azure Blob Storage"),
        summary="Whole files under a key, cheap and durable; the metadata lives in a database.",
        fits=(
            Fit(
                "by_key",
                "A whole file is fetched by its key, directly or through a CDN.",
            ),
            Fit(
                "large_objects",
                "Files of any size are kept cheaply and very durably, and streamed back.",
            ),
            Fit(
                "system_of_record",
                "Objects are copied across several facilities before a write returns.",
            ),
        ),
        fits_badly=(
            Fit(
                "by_range",
                "Listing keys by prefix is slow and paged; it is not a query. Keep an "
                "index of the objects in a database.",
            ),
            Fit(
                "ad_hoc",
                "It cannot filter on anything but the key; the metadata belongs in a database.",
            ),
            Fit("aggregate", "It cannot count or sum; totals come from the metadata store."),
            Fit("text_search", "It never reads inside the files it stores."),
            Fit("traversal", "Objects have no links between them that it could follow."),
            Fit(
                "transactions",
                "A write replaces one whole object; nothing commits several objects together.",
            ),
            Fit(
                "write_heavy",
                "Small frequent updates each rewrite a whole object and are billed per request.",
            ),
        ),
    ),
    StorageType(
        code="time_series",
        label="Time-series database",
        phrase="a time-series database",
        examples=("TimescaleDB", "InfluxDB", "Prometheus"),
        summary="Timestamped measurements appended in order and read back by time window.",
        fits=(
            Fit(
                "by_range",
                'Points are laid out by time, so "the last hour of this series" is one '
                "sequential read.",
            ),
            Fit(
                "aggregate",
                "Averages per minute, rollups and downsampling are built in.",
            ),
            Fit(
                "write_heavy",
                "Appending timestamped points is its whole job, at very high rates.",
            ),
        ),
        fits_badly=(
            Fit(
                "transactions",
                "Points are appended one by one; there is no all-or-nothing change to "
                "several records.",
            ),
            Fit("text_search", "It stores numbers and tags, not searchable text."),
            Fit("traversal", "There are no relationships between series to follow."),
            Fit("large_objects", "Each point is a small number with tags, never a file."),
        ),
    ),
)

BY_CODE: dict[str, StorageType] = {s.code: s for s in TABLE}


def get(code: str) -> StorageType | None:
    return BY_CODE.get(code)


def fits(code: str, need: str) -> bool:
    """Whether storage ``code`` lists ``need`` among what it serves well."""
    store = BY_CODE.get(code)
    return bool(store and store.fit(need))


def bad_fit(code: str, need: str) -> Fit | None:
    """The reason storage ``code`` serves ``need`` badly, or None if it is not listed so."""
    store = BY_CODE.get(code)
    return store.bad_fit(need) if store else None


def stores_fitting(need: str) -> tuple[StorageType, ...]:
    """Every storage type that serves ``need`` well, in table order."""
    return tuple(s for s in TABLE if s.fit(need))


def label(code: str) -> str:
    store = BY_CODE.get(code)
    return store.label if store else code


def phrase(code: str) -> str:
    """``a key-value store``: the storage type's name inside a sentence."""
    store = BY_CODE.get(code)
    return store.phrase if store else code


def why_not(code: str, need: str) -> str:
    """A sentence saying why ``code`` does not serve ``need``, from the table."""
    reason = bad_fit(code, need)
    if reason:
        return reason.reason
    return f"{label(code)} is not among the stores that serve {NEED_LABELS[need]} well."


def suggestion(need: str) -> str:
    """``a search engine (Elasticsearch, OpenSearch, Solr)``: the stores that fit ``need``."""
    names = [s.display for s in stores_fitting(need)]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def as_rows() -> list[dict[str, object]]:
    """The table for templates and JSON: one dict per storage type."""
    return [
        {
            "code": s.code,
            "label": s.label,
            "phrase": s.phrase,
            "examples": list(s.examples),
            "summary": s.summary,
            "fits": [{"need": f.need, "label": f.label, "reason": f.reason} for f in s.fits],
            "fits_badly": [
                {"need": f.need, "label": f.label, "reason": f.reason} for f in s.fits_badly
            ],
        }
        for s in TABLE
    ]
