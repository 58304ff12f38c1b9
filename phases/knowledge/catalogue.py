"""The technology catalogue: what each named product is, what it is good and bad at.

This is data, not prose in the rules. Phase 6's rules ask it questions ("which
downsides does PostgreSQL have?", "is Cassandra the same kind of component as
PostgreSQL?", "how many writes a second does one primary take?"); the site shows it as
the catalogue page and beside the phase 6 form.

Categories for stores use the storage codes of :mod:`phases.knowledge.storage` (``relational``,
``document``, ``key_value``, ``wide_column``, ``search``, ``graph``, ``object``,
``time_series``), so a choice can be compared with the storage types of phase 3. The
other categories are ``cache``, ``queue``, ``load_balancer`` and ``cdn``.

A category belongs to a *kind* of component (:data:`KINDS`): every database category is
the kind ``database``, since the honest alternatives to a database are often other data
models (the playbook weighs PostgreSQL against Cassandra and DynamoDB).

Capacities quote the playbook's component table where it gives a figure
(``cited=True``); elsewhere the text is qualitative. ``limits`` holds the numbers the
rules compare against, always the cautious end of a range. Numbers shared with the
reference page are read from :mod:`phases.knowledge.reference`, never typed twice.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from phases.knowledge import storage
from phases.knowledge.reference import (
    CAPACITIES_BY_KEY,
    KAFKA_MESSAGES_PER_S,
    KINESIS_RECORDS_PER_SHARD,
    NGINX_PROXIED_PER_S,
    NGINX_STATIC_PER_S,
    OBJECT_GET_LATENCY_MS,
    REDIS_OPS_PER_S,
)
from phases.reading.text import mentions

# -- Categories -----------------------------------------------------------------------------

OTHER_CATEGORIES = {
    "cache": "Cache",
    "queue": "Message queue",
    "load_balancer": "Load balancer",
    "cdn": "CDN",
}
CATEGORIES: dict[str, str] = {s.code: s.label for s in storage.TABLE} | OTHER_CATEGORIES
STORE_CATEGORIES = tuple(s.code for s in storage.TABLE)

# The kind of component a category fills; alternatives are compared by kind.
KINDS: dict[str, str] = {
    "relational": "database",
    "document": "database",
    "key_value": "database",
    "wide_column": "database",
    "graph": "database",
    "time_series": "database",
    "search": "search engine",
    "object": "object storage",
    "cache": "cache",
    "queue": "message queue",
    "load_balancer": "load balancer",
    "cdn": "CDN",
}

# Numbers from the reference table (phases.knowledge.reference), so both pages read one place.
_PRIMARY_WRITES = CAPACITIES_BY_KEY["writes"].value
_PRIMARY_READS = CAPACITIES_BY_KEY["reads"].value


@dataclass(frozen=True)
class Downside:
    """A known weakness, with the short phrases that show a learner has named it.

    A trade-off text names the downside when it mentions every word of any one phrase,
    in any inflection (:func:`phases.reading.text.mentions`).
    """

    text: str
    keywords: tuple[str, ...]

    def named_in(self, text: str) -> bool:
        return any(mentions(text, phrase) for phrase in self.keywords)


@dataclass(frozen=True, eq=False)
class Technology:
    """One product. Entries are singletons, compared and hashed by identity."""

    key: str
    name: str
    aliases: tuple[str, ...]
    category: str
    strengths: tuple[str, ...]
    downsides: tuple[Downside, ...]
    capacity: str
    triggers: tuple[str, ...]
    # Other categories it commonly serves as (Redis: a cache and a key-value store).
    also: tuple[str, ...] = ()
    limits: dict[str, float] = field(default_factory=dict)
    # True when capacity quotes the playbook's component table.
    cited: bool = False
    # True when one primary node takes every write (no built-in write scale-out).
    single_primary: bool = False
    # True for a queue that keeps each message on disk on several nodes before it
    # acknowledges it (a replicated log), so a write acknowledged there is durable.
    durable: bool = False
    # True for a managed service that adds capacity as its load grows (DynamoDB, S3, SQS,
    # a cloud load balancer, a CDN): the capacity model sets no per-instance limit for it.
    scales: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        return (self.category, *self.also)

    @property
    def category_label(self) -> str:
        return " / ".join(CATEGORIES[c] for c in self.categories)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(KINDS[c] for c in self.categories)

    @property
    def kind_label(self) -> str:
        return " / ".join(sorted(self.kinds))

    @property
    def store_categories(self) -> tuple[str, ...]:
        """The phase 3 storage types this technology can stand for."""
        return tuple(c for c in self.categories if c in STORE_CATEGORIES)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def same_kind(self, other: "Technology") -> bool:
        return bool(self.kinds & other.kinds)

    def downsides_named_in(self, text: str) -> list[Downside]:
        return [d for d in self.downsides if d.named_in(text)]


def _d(text: str, *keywords: str) -> Downside:
    return Downside(text, keywords)


# -- The catalogue --------------------------------------------------------------------------

_SINGLE_PRIMARY = _d(
    "One primary accepts every write; more write capacity means a bigger machine, then sharding.",
    "single primary",
    "one primary",
    "single writer",
    "vertical scaling",
    "scale vertically",
    "bigger machine",
    "shard",
    "write scaling",
)
_REPLICA_LAG = _d(
    "Read replicas trail the primary, so a read just after a write may see old data.",
    "replica lag",
    "replication lag",
    "stale replica",
    "stale read",
    "eventually consistent replica",
)

TECHNOLOGIES: tuple[Technology, ...] = (
    # Relational
    Technology(
        key="postgresql",
        name="PostgreSQL",
        aliases=("Postgres", "Postgre", "PG", "psql", "RDS PostgreSQL", "Aurora PostgreSQL"),
        category="relational",
        strengths=(
            "ACID transactions, so a multi-row change lands completely or not at all",
            "joins, aggregations and ad-hoc SQL over indexed columns",
            "foreign keys and a strict schema keep the data consistent",
            "read replicas take read load off the primary",
        ),
        downsides=(
            _SINGLE_PRIMARY,
            _d(
                "There is no built-in sharding; splitting data over machines is "
                "application work or an extension.",
                "shard",
                "partition",
                "split data",
                "citus",
            ),
            _REPLICA_LAG,
            _d(
                "Schema changes on very large tables need care to avoid long locks.",
                "schema migration",
                "schema change",
                "alter table",
                "migration lock",
            ),
            _d(
                "Connections are heavyweight; many app servers need a pooler.",
                "connection limit",
                "connection pool",
                "pgbouncer",
            ),
        ),
        capacity=(
            f"~{_PRIMARY_WRITES:,.0f}-10,000 writes/s and ~{_PRIMARY_READS:,.0f} reads/s on "
            "one well-tuned primary (playbook table); reads grow with replicas."
        ),
        limits={"writes_per_s": _PRIMARY_WRITES, "reads_per_s": _PRIMARY_READS},
        cited=True,
        single_primary=True,
        triggers=(
            "sustained writes near 10,000/s, past what one primary takes",
            "writes needed in several regions at once (active-active)",
            "a data set too large for one server even after archiving",
        ),
    ),
    Technology(
        key="mysql",
        name="MySQL",
        aliases=("MariaDB", "RDS MySQL", "Aurora MySQL", "InnoDB"),
        category="relational",
        strengths=(
            "ACID transactions with InnoDB",
            "mature replication and a large pool of operators who know it",
            "fast primary-key lookups on a clustered index",
        ),
        downsides=(
            _SINGLE_PRIMARY,
            _REPLICA_LAG,
            _d(
                "Weaker at complex queries and analytics than PostgreSQL.",
                "complex queries",
                "analytic",
                "query planner",
            ),
            _d(
                "Online schema changes on big tables need extra tooling.",
                "schema change",
                "schema migration",
                "alter table",
            ),
        ),
        capacity=(
            "Same order as PostgreSQL (the playbook groups them): a few thousand writes/s "
            f"on one primary, the rules assume {_PRIMARY_WRITES:,.0f}/s."
        ),
        limits={"writes_per_s": _PRIMARY_WRITES, "reads_per_s": _PRIMARY_READS},
        single_primary=True,
        triggers=(
            "sustained writes near 10,000/s on the primary",
            "multi-region writes",
            "heavy analytical queries competing with the transactional load",
        ),
    ),
    Technology(
        key="cockroachdb",
        name="CockroachDB",
        aliases=("Cockroach", "CRDB"),
        category="relational",
        strengths=(
            "SQL and serialisable transactions spread over many nodes",
            "shards and rebalances itself automatically",
            "built for writes in several regions",
        ),
        downsides=(
            _d(
                "Each write needs a consensus round, so single-row latency is higher "
                "than on one PostgreSQL primary.",
                "latency",
                "consensus",
                "slower writes",
            ),
            _d(
                "More nodes, more cost and more operational work than one database.",
                "cost",
                "operational",
                "complexity",
                "more nodes",
            ),
            _d(
                "Contended rows cause transaction retries that the app must handle.",
                "retry",
                "contention",
                "hot row",
            ),
        ),
        capacity="Write capacity grows with node count; no single-node figure in the playbook.",
        triggers=(
            "write latency targets below what a consensus round allows",
            "a workload small enough for one PostgreSQL primary (under a few thousand writes/s)",
        ),
    ),
    Technology(
        key="spanner",
        name="Spanner",
        aliases=("Cloud Spanner", "Google Spanner"),
        category="relational",
        strengths=(
            "globally consistent SQL transactions",
            "automatic sharding across regions",
        ),
        downsides=(
            _d(
                "Expensive, and tied to one cloud.",
                "cost",
                "expensive",
                "lock-in",
                "vendor",
            ),
            _d("Writes pay for synchronous replication.", "latency", "commit wait"),
        ),
        capacity="Scales out with nodes; no figure in the playbook.",
        triggers=(
            "a budget that cannot carry a minimum multi-node deployment",
            "leaving Google Cloud",
        ),
    ),
    # Document
    Technology(
        key="mongodb",
        name="MongoDB",
        aliases=("Mongo", "DocumentDB"),
        category="document",
        strengths=(
            "flexible schema for records that change shape",
            "a whole nested record in one read, without joins",
            "built-in sharding by a shard key",
        ),
        downsides=(
            _d(
                "Transactions across documents are slower and more limited than in a "
                "relational database.",
                "transaction",
                "multi-document",
                "acid",
            ),
            _d(
                "Denormalised copies must be kept in step by the application.",
                "duplicate",
                "denormalise",
                "denormalize",
                "consistency",
            ),
            _d("A document is capped at 16 MB.", "16 mb", "document size", "size limit"),
            _d(
                "A badly chosen shard key creates hot shards that are hard to undo.",
                "shard key",
                "hot shard",
                "hot partition",
            ),
        ),
        capacity="Scales writes by sharding; no single-node figure in the playbook.",
        triggers=(
            "queries that join across many collections",
            "money or stock changes that need multi-record transactions",
        ),
    ),
    Technology(
        key="dynamodb",
        scales=True,
        name="DynamoDB",
        aliases=("Dynamo", "Amazon DynamoDB", "AWS DynamoDB", "DDB"),
        category="key_value",
        also=("document",),
        strengths=(
            "single-digit millisecond reads and writes by key at any scale",
            "fully managed: no servers, patches or failover to run",
            "capacity grows by partition automatically",
        ),
        downsides=(
            _d(
                "Only the access patterns the keys were designed for are cheap; new "
                "queries need new indexes or a scan.",
                "access pattern",
                "secondary index",
                "scan",
                "ad hoc",
                "query flexibility",
            ),
            _d("An item is capped at 400 KB.", "400 kb", "item size", "size limit"),
            _d(
                "A hot partition key throttles, whatever the table's total capacity.",
                "hot partition",
                "hot key",
                "throttling",
            ),
            _d(
                "Cost grows with every read and write unit, and it ties you to AWS.",
                "cost",
                "expensive",
                "lock-in",
                "vendor",
            ),
        ),
        capacity=(
            "Grows by partition; the playbook gives no figure, so check the provisioned "
            "or on-demand limits of your account."
        ),
        triggers=(
            "access patterns that need joins, aggregates or ad-hoc filters",
            "monthly cost of read and write units above a self-run cluster's",
            "items above 400 KB",
        ),
    ),
    # Wide-column
    Technology(
        key="cassandra",
        name="Cassandra",
        aliases=("Apache Cassandra", "Amazon Keyspaces", "DataStax"),
        category="wide_column",
        strengths=(
            "write throughput that grows linearly with nodes",
            "no primary: any node accepts writes, across regions",
            "time-ordered rows inside a partition",
        ),
        downsides=(
            _d(
                "Every query must name the partition key; the schema is designed "
                "around the queries.",
                "partition key",
                "ad hoc",
                "query flexibility",
                "schema design",
                "data model",
            ),
            _d(
                "No joins and no transactions across partitions.",
                "transaction",
                "join",
                "acid",
            ),
            _d(
                "Tunable consistency: the defaults are eventually consistent.",
                "eventual",
                "consistency",
                "stale",
            ),
            _d(
                "Compaction, repair and tombstones take real operational skill.",
                "compaction",
                "repair",
                "tombstone",
                "operational",
            ),
        ),
        capacity="Writes grow linearly with nodes (playbook decision map); no per-node figure.",
        triggers=(
            "queries that do not start from a partition key",
            "writes below a few thousand a second, where one relational primary suffices",
            "transactions across several records",
        ),
    ),
    Technology(
        key="scylladb",
        name="ScyllaDB",
        aliases=("Scylla",),
        category="wide_column",
        strengths=(
            "Cassandra's data model and protocol, rewritten for more throughput per node",
            "low tail latency under write-heavy load",
        ),
        downsides=(
            _d(
                "Same partition-key-only queries as Cassandra.",
                "partition key",
                "ad hoc",
                "query flexibility",
            ),
            _d("No transactions across partitions.", "transaction", "acid"),
            _d("A smaller community and fewer operators.", "community", "ecosystem", "hiring"),
        ),
        capacity="Scales out like Cassandra; no figure in the playbook.",
        triggers=("queries not keyed by partition", "transactions across records"),
    ),
    Technology(
        key="hbase",
        name="HBase",
        aliases=("Apache HBase",),
        category="wide_column",
        strengths=(
            "strongly consistent reads per row over huge tables",
            "sorted row keys make range scans cheap",
            "sits on the Hadoop ecosystem for batch analytics",
        ),
        downsides=(
            _d(
                "Needs HDFS and ZooKeeper (or a managed service): many moving parts.",
                "zookeeper",
                "hdfs",
                "hadoop",
                "operational",
                "complexity",
            ),
            _d(
                "Sequential row keys pile writes onto one region server.",
                "hotspot",
                "hot region",
                "row key design",
                "hot key",
            ),
            _d("No secondary indexes or SQL.", "secondary index", "sql", "ad hoc"),
        ),
        capacity="Scales with region servers; no figure in the playbook.",
        triggers=("small data that fits one relational database", "ad-hoc queries"),
    ),
    # Key-value and caches
    Technology(
        key="redis",
        name="Redis",
        aliases=("ElastiCache", "Valkey", "Redis Cluster", "KeyDB"),
        category="cache",
        also=("key_value",),
        strengths=(
            "in-memory reads and writes in well under a millisecond",
            "rich types: sorted sets, counters, streams, pub/sub",
            "atomic increments for counters and rate limits",
            "optional persistence and replication",
        ),
        downsides=(
            _d(
                "Everything lives in memory, so the data set is bounded by RAM and "
                "memory is costly.",
                "memory",
                "ram",
                "eviction",
            ),
            _d(
                "Replication is asynchronous: a failover can lose the latest writes.",
                "lose writes",
                "data loss",
                "asynchronous replication",
                "async replication",
                "durability",
                "persistence",
            ),
            _d(
                "A cache can serve stale values until they expire or are invalidated.",
                "stale",
                "invalidation",
                "ttl",
                "expir",
                "consistency",
            ),
            _d(
                "Commands run on one thread per node, so one hot key caps throughput.",
                "single thread",
                "single-threaded",
                "hot key",
            ),
            _d(
                "When it is down or cold, every miss falls through to the database.",
                "cache miss",
                "cold cache",
                "thundering herd",
                "stampede",
                "falls through",
                "outage",
            ),
        ),
        capacity=f"~{REDIS_OPS_PER_S:,}-1,000,000 operations/s on one instance (playbook table).",
        limits={"ops_per_s": REDIS_OPS_PER_S},
        cited=True,
        triggers=(
            "a hot set larger than the memory you are willing to pay for",
            f"more than ~{REDIS_OPS_PER_S:,} operations/s on one node (shard with Redis Cluster)",
            "data that must never be lost on a crash",
        ),
    ),
    Technology(
        key="memcached",
        name="Memcached",
        aliases=("Memcache",),
        category="cache",
        also=("key_value",),
        strengths=(
            "plain key-value caching, multi-threaded and simple to run",
            "predictable memory use for small values",
        ),
        downsides=(
            _d(
                "No persistence or replication: a restart empties it.",
                "persistence",
                "replication",
                "restart",
                "durability",
                "data loss",
            ),
            _d(
                "Only opaque values: no sorted sets, streams or pub/sub.",
                "data types",
                "sorted set",
                "pub/sub",
            ),
            _d(
                "Stale values until expiry or invalidation.",
                "stale",
                "invalidation",
                "ttl",
                "expir",
            ),
            _d("Bounded by memory.", "memory", "ram", "eviction"),
        ),
        capacity="In-memory, the same order as Redis; the playbook gives no separate figure.",
        triggers=(
            "needing sorted sets, counters or pub/sub",
            "a cache that must survive restarts",
        ),
    ),
    # Search
    Technology(
        key="elasticsearch",
        name="Elasticsearch",
        aliases=("Elastic Search", "ELK"),
        category="search",
        strengths=(
            "full-text search with relevance ranking, stemming and typo tolerance",
            "faceted filtering on many fields at once",
            "aggregations for log analytics",
        ),
        downsides=(
            _d(
                "Not a system of record: it must be fed from, and rebuildable from, another store.",
                "system of record",
                "primary storage",
                "source of truth",
                "rebuild",
                "reindex",
                "durability",
            ),
            _d(
                "New documents appear only after a refresh (near real time).",
                "refresh",
                "near real time",
                "delay",
                "lag",
                "eventual",
            ),
            _d(
                "Memory-hungry clusters that need tuning of shards and mappings.",
                "memory",
                "heap",
                "shard",
                "mapping",
                "operational",
                "cost",
            ),
            _d("No transactions.", "transaction", "acid"),
        ),
        capacity="Scales by shards and replicas; no figure in the playbook.",
        triggers=(
            "search that is only exact matches on one field (an index in the database does)",
            "an index so small that PostgreSQL full-text search would do",
        ),
    ),
    Technology(
        key="opensearch",
        name="OpenSearch",
        aliases=("Amazon OpenSearch",),
        category="search",
        strengths=(
            "the Elasticsearch feature set under an open licence",
            "managed on AWS",
        ),
        downsides=(
            _d(
                "Not a system of record.",
                "system of record",
                "primary storage",
                "source of truth",
                "reindex",
            ),
            _d("Near-real-time refresh delay.", "refresh", "delay", "lag", "eventual"),
            _d("Memory-hungry and needs shard tuning.", "memory", "heap", "shard", "cost"),
        ),
        capacity="Scales by shards and replicas; no figure in the playbook.",
        triggers=("exact-match lookups only", "a corpus small enough for database text search"),
    ),
    Technology(
        key="solr",
        name="Solr",
        aliases=("Apache Solr",),
        category="search",
        strengths=(
            "mature full-text search and faceting",
            "strong for document and catalogue search",
        ),
        downsides=(
            _d(
                "Not a system of record.",
                "system of record",
                "primary storage",
                "source of truth",
                "reindex",
            ),
            _d(
                "SolrCloud needs ZooKeeper and more setup than Elasticsearch.",
                "zookeeper",
                "operational",
                "complexity",
                "setup",
            ),
            _d("Commits make new documents visible with a delay.", "commit", "delay", "lag"),
        ),
        capacity="Scales by shards and replicas; no figure in the playbook.",
        triggers=("log analytics and dashboards, where Elasticsearch's tooling is stronger",),
    ),
    # Graph
    Technology(
        key="neo4j",
        name="Neo4j",
        aliases=("Neo 4j",),
        category="graph",
        strengths=(
            "multi-hop traversals (friends of friends, shortest path) at constant cost per hop",
            "a query language (Cypher) shaped like the graph",
        ),
        downsides=(
            _d(
                "Hard to split across machines: writes go to one leader.",
                "shard",
                "single leader",
                "one leader",
                "single primary",
                "write scaling",
                "partition",
            ),
            _d(
                "Poor at aggregates over the whole data set.",
                "aggregate",
                "analytics",
                "full scan",
            ),
            _d("Fewer operators and tools than relational databases.", "ecosystem", "hiring"),
        ),
        capacity="One leader takes the writes; no figure in the playbook.",
        triggers=(
            "queries that are one hop deep (a join does)",
            "a graph too large or too write-heavy for one leader",
        ),
    ),
    Technology(
        key="neptune",
        name="Neptune",
        aliases=("Amazon Neptune", "AWS Neptune"),
        category="graph",
        strengths=("managed graph database with Gremlin and SPARQL", "read replicas"),
        downsides=(
            _d("Tied to AWS.", "lock-in", "vendor", "cost"),
            _d("One writer instance takes every write.", "single writer", "one writer", "shard"),
        ),
        capacity="One writer and up to 15 read replicas; no figure in the playbook.",
        triggers=("leaving AWS", "write load beyond one writer instance"),
    ),
    # Object storage
    Technology(
        key="s3",
        scales=True,
        name="S3",
        aliases=("Amazon S3", "AWS S3", "Simple Storage Service", "MinIO"),
        category="object",
        strengths=(
            "practically unlimited, cheap and very durable file storage",
            "serves files directly or through a CDN with signed URLs",
        ),
        downsides=(
            _d(
                "Each GET takes about 100-200 ms: not for low-latency reads.",
                "latency",
                "slow",
                "100 ms",
                "200 ms",
            ),
            _d(
                "Only get and put by key; the metadata needs a database.",
                "metadata",
                "query",
                "list",
                "index",
            ),
            _d(
                "Every request and every byte out is billed.",
                "cost",
                "egress",
                "request pricing",
                "billed",
            ),
            _d("An object is replaced whole; no partial updates.", "overwrite", "whole object"),
        ),
        capacity=(
            f"Storage effectively unlimited; ~{OBJECT_GET_LATENCY_MS[0]}-"
            f"{OBJECT_GET_LATENCY_MS[1]} ms per GET (playbook decision map)."
        ),
        cited=True,
        triggers=(
            "reads that must answer in under ~100 ms without a CDN",
            "small records updated often",
        ),
    ),
    Technology(
        key="gcs",
        scales=True,
        name="GCS",
        aliases=("Google Cloud Storage", "Cloud Storage"),
        category="object",
        strengths=("cheap, durable object storage on Google Cloud", "signed URLs and a CDN"),
        downsides=(
            _d("About 100-200 ms per GET.", "latency", "slow"),
            _d("Only get and put by key; metadata elsewhere.", "metadata", "query", "index"),
            _d("Billed per request and per byte out.", "cost", "egress"),
        ),
        capacity=(
            f"Effectively unlimited; ~{OBJECT_GET_LATENCY_MS[0]}-{OBJECT_GET_LATENCY_MS[1]} ms "
            "per GET (playbook decision map)."
        ),
        cited=True,
        triggers=("low-latency reads", "leaving Google Cloud"),
    ),
    Technology(
        key="azure_blob",
        scales=True,
        name="Azure Blob Storage",
        aliases=("Azure Blob", "Blob Storage"),
        category="object",
        strengths=("cheap, durable object storage on Azure",),
        downsides=(
            _d("Per-request latency too high for hot reads.", "latency", "slow"),
            _d("Metadata needs a database.", "metadata", "query", "index"),
            _d("Billed per request and per byte out.", "cost", "egress"),
        ),
        capacity="Effectively unlimited; latency of the same order as S3.",
        triggers=("low-latency reads", "leaving Azure"),
    ),
    # Time series
    Technology(
        key="timescaledb",
        name="TimescaleDB",
        aliases=("Timescale",),
        category="time_series",
        also=("relational",),
        strengths=(
            "time-series tables inside PostgreSQL, queried in SQL",
            "automatic partitioning by time, compression and rollups",
        ),
        downsides=(
            _d(
                "Still one PostgreSQL primary for writes unless you run the multi-node edition.",
                "single primary",
                "one primary",
                "shard",
                "write scaling",
            ),
            _d(
                "Compressed chunks are awkward to update.",
                "compression",
                "update",
                "backfill",
            ),
        ),
        capacity="Inherits PostgreSQL's single primary, with far cheaper batched inserts.",
        triggers=("write rates beyond one primary even with batching",),
    ),
    Technology(
        key="influxdb",
        name="InfluxDB",
        aliases=("Influx DB",),
        category="time_series",
        strengths=(
            "high-rate ingest of timestamped points",
            "downsampling and retention policies built in",
        ),
        downsides=(
            _d(
                "High-cardinality tags blow up memory and index size.",
                "cardinality",
                "memory",
                "tag",
            ),
            _d(
                "No joins or transactions; its own query languages.",
                "join",
                "transaction",
                "query language",
                "sql",
            ),
            _d("Clustering is in the paid edition.", "cluster", "enterprise", "cost"),
        ),
        capacity="No figure in the playbook.",
        triggers=("series with millions of distinct tag values", "relational queries over metrics"),
    ),
    # Queues
    Technology(
        key="kafka",
        name="Kafka",
        durable=True,
        aliases=("Apache Kafka", "MSK", "Amazon MSK", "Redpanda", "Confluent"),
        category="queue",
        strengths=(
            "durable, partitioned log with replay for new consumers",
            "very high throughput per broker",
            "several independent consumer groups on one stream",
        ),
        downsides=(
            _d(
                "Brokers, partitions and consumer groups take real operational work.",
                "operational",
                "complexity",
                "zookeeper",
                "cluster",
            ),
            _d(
                "Ordering holds only within a partition.",
                "ordering",
                "order",
                "partition",
            ),
            _d(
                "Consumers see events later than the write: eventual consistency.",
                "lag",
                "later",
                "eventual",
                "delay",
            ),
            _d(
                "No per-message routing or delayed delivery like a task queue.",
                "routing",
                "delay queue",
                "per-message",
            ),
            _d(
                "Consumers must tolerate duplicates (at-least-once delivery).",
                "duplicate",
                "at least once",
                "idempotent",
                "exactly once",
            ),
        ),
        capacity=(
            "Millions of messages/s and hundreds of MB/s per broker (playbook table); "
            f"the rules assume {KAFKA_MESSAGES_PER_S:,}/s."
        ),
        limits={"messages_per_s": KAFKA_MESSAGES_PER_S},
        cited=True,
        triggers=(
            "a few hundred messages/s of simple jobs, where a managed task queue is less work",
            "routing rules per message",
        ),
    ),
    Technology(
        key="rabbitmq",
        name="RabbitMQ",
        aliases=("Rabbit", "AMQP"),
        category="queue",
        strengths=(
            "flexible routing with exchanges and bindings",
            "acknowledgements, retries and dead-letter queues per message",
        ),
        downsides=(
            _d(
                "Messages are gone once consumed: no replay.",
                "replay",
                "consumed",
                "retention",
            ),
            _d(
                "Throughput well below Kafka's; long queues hurt it.",
                "throughput",
                "backlog",
                "long queue",
            ),
            _d("Clustering and mirrored queues need care.", "cluster", "operational", "partition"),
        ),
        capacity="Tens of thousands of messages/s per node is common; no figure in the playbook.",
        triggers=(
            "events that several consumers must replay later",
            "sustained rates in the hundreds of thousands of messages/s",
        ),
    ),
    Technology(
        key="sqs",
        scales=True,
        name="SQS",
        durable=True,
        aliases=("Amazon SQS", "AWS SQS", "Simple Queue Service"),
        category="queue",
        strengths=(
            "fully managed task queue with no servers to run",
            "scales with load, with visibility timeouts and dead-letter queues",
        ),
        downsides=(
            _d(
                "Standard queues may deliver twice and out of order.",
                "duplicate",
                "order",
                "at least once",
                "idempotent",
            ),
            _d("No replay once a message is deleted.", "replay", "retention"),
            _d("Tied to AWS, billed per request.", "lock-in", "vendor", "cost"),
            _d("Polling adds latency.", "polling", "latency"),
        ),
        capacity="Managed, practically unlimited for standard queues; no figure in the playbook.",
        triggers=("replay for new consumers", "leaving AWS", "strict ordering at high rates"),
    ),
    Technology(
        key="kinesis",
        name="Kinesis",
        durable=True,
        aliases=("Amazon Kinesis", "Kinesis Data Streams"),
        category="queue",
        strengths=("managed, ordered stream with replay on AWS",),
        downsides=(
            _d("Per-shard throughput caps; shards must be sized.", "shard", "throughput"),
            _d("Short retention by default.", "retention", "replay"),
            _d("Tied to AWS.", "lock-in", "vendor", "cost"),
        ),
        capacity=(
            "Capacity is set by the number of shards: AWS documents 1,000 records/s (or "
            "1 MB/s) written per shard; no figure in the playbook."
        ),
        limits={"messages_per_s": KINESIS_RECORDS_PER_SHARD},
        triggers=("long retention or many consumers", "leaving AWS"),
    ),
    # Load balancers
    Technology(
        key="nginx",
        name="Nginx",
        aliases=("NGINX Plus", "OpenResty"),
        category="load_balancer",
        strengths=(
            "L7 reverse proxy, TLS termination and static files in one process",
            "simple, well-known configuration",
        ),
        downsides=(
            _d(
                "One instance is a single point of failure unless paired (keepalived, DNS).",
                "single point of failure",
                "spof",
                "redundancy",
                "failover",
            ),
            _d(
                "Configuration reloads for changes; little service discovery built in.",
                "reload",
                "service discovery",
                "dynamic",
                "configuration",
            ),
            _d(
                f"Proxied traffic tops out near {NGINX_PROXIED_PER_S:,} requests/s per instance.",
                "throughput",
                "capacity",
                "requests per second",
                "rps",
            ),
        ),
        capacity=(
            f"~{NGINX_STATIC_PER_S:,}+ requests/s for static files, ~{NGINX_PROXIED_PER_S:,} "
            "requests/s proxied, per instance (playbook table)."
        ),
        limits={
            "requests_per_s": NGINX_PROXIED_PER_S,
            "static_requests_per_s": NGINX_STATIC_PER_S,
        },
        cited=True,
        triggers=(
            f"proxied traffic above ~{NGINX_PROXIED_PER_S:,} requests/s per instance",
            "needing managed health checks and autoscaling without running servers",
        ),
    ),
    Technology(
        key="haproxy",
        name="HAProxy",
        aliases=("HA Proxy",),
        category="load_balancer",
        strengths=(
            "fast L4 and L7 balancing with detailed health checks",
            "fine-grained traffic control and statistics",
        ),
        downsides=(
            _d(
                "A single instance is a single point of failure without a standby.",
                "single point of failure",
                "spof",
                "redundancy",
                "failover",
            ),
            _d("Does not serve static files or cache.", "static", "cache"),
            _d("Servers to run, patch and scale yourself.", "operational", "manage", "patch"),
        ),
        capacity="Same order as Nginx; no separate figure in the playbook.",
        triggers=("a managed balancer being cheaper than running pairs yourself",),
    ),
    Technology(
        key="aws_alb",
        scales=True,
        name="AWS ALB",
        aliases=(
            "ALB",
            "Application Load Balancer",
            "Elastic Load Balancer",
            "ELB",
            "AWS ELB",
        ),
        category="load_balancer",
        strengths=(
            "managed L7 balancing across zones, with health checks and autoscaling",
            "TLS certificates managed for you",
        ),
        downsides=(
            _d("Tied to AWS, billed per hour and per capacity unit.", "cost", "lock-in", "vendor"),
            _d(
                "Scales up gradually; a sudden spike may need pre-warming.",
                "warm",
                "spike",
                "gradual",
            ),
            _d("Less control over balancing algorithms.", "control", "algorithm", "custom"),
        ),
        capacity="Managed, grows with traffic; no figure in the playbook.",
        triggers=("leaving AWS", "raw TCP or UDP at very high rates (an NLB fits better)"),
    ),
    Technology(
        key="aws_nlb",
        scales=True,
        name="AWS NLB",
        aliases=("NLB", "Network Load Balancer"),
        category="load_balancer",
        strengths=("managed L4 balancing with very low latency and static IPs",),
        downsides=(
            _d("No HTTP routing, TLS only as pass-through or basic.", "http", "routing", "l7"),
            _d("Tied to AWS.", "cost", "lock-in", "vendor"),
        ),
        capacity="Managed, millions of requests/s; no figure in the playbook.",
        triggers=("routing by path or header",),
    ),
    # CDNs
    Technology(
        key="cloudfront",
        scales=True,
        name="CloudFront",
        aliases=("Amazon CloudFront", "AWS CloudFront"),
        category="cdn",
        strengths=(
            "edge caches close to users for static files and cacheable responses",
            "works with S3 origins and signed URLs",
        ),
        downsides=(
            _d(
                "Invalidations are slow and cached copies stay stale until they expire.",
                "invalidation",
                "stale",
                "ttl",
                "expir",
            ),
            _d("Billed per byte out and per request.", "cost", "egress"),
            _d("Little help for dynamic, per-user responses.", "dynamic", "personal", "per-user"),
        ),
        capacity="Edge network; no figure in the playbook.",
        triggers=("mostly dynamic, per-user traffic", "users in one region near the servers"),
    ),
    Technology(
        key="cloudflare",
        scales=True,
        name="Cloudflare",
        aliases=("Cloudflare CDN",),
        category="cdn",
        strengths=("large edge network with DDoS protection", "edge compute for simple logic"),
        downsides=(
            _d("Stale copies until purge or expiry.", "stale", "purge", "ttl", "invalidation"),
            _d("Traffic passes through a third party.", "third party", "privacy", "vendor"),
        ),
        capacity="Edge network; no figure in the playbook.",
        triggers=("dynamic per-user traffic",),
    ),
    Technology(
        key="fastly",
        scales=True,
        name="Fastly",
        aliases=(),
        category="cdn",
        strengths=("instant purges and programmable edge caching",),
        downsides=(
            _d("Cost per byte out.", "cost", "egress"),
            _d("Stale copies until purge.", "stale", "purge", "ttl"),
        ),
        capacity="Edge network; no figure in the playbook.",
        triggers=("mostly dynamic traffic",),
    ),
)

BY_KEY: dict[str, Technology] = {t.key: t for t in TECHNOLOGIES}


@cache
def _by_name() -> dict[str, Technology]:
    names: dict[str, Technology] = {}
    for tech in TECHNOLOGIES:
        for name in tech.names:
            names.setdefault(name.lower(), tech)
    return names


@cache
def _name_pattern() -> re.Pattern[str]:
    # Longest names first, so "Amazon S3" wins over "S3" and "Redis Cluster" over "Redis".
    names = sorted(_by_name(), key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in names)
    return re.compile(rf"(?<![a-z0-9])({alternatives})(?![a-z0-9])")


def _normal(name: str) -> str:
    return re.sub(r"[\s-]+", " ", name.strip().lower())


def find(name: str) -> Technology | None:
    """The catalogue entry for ``name``: exact name or alias first, in any case.

    Failing that, the first catalogue technology the text names ("PostgreSQL 16 on
    RDS" is PostgreSQL). None when it names none.
    """
    if not name or not name.strip():
        return None
    exact = _by_name().get(_normal(name))
    if exact:
        return exact
    found = mentioned_in(name)
    return found[0][0] if found else None


def mentioned_in(text: str) -> list[tuple[Technology, int, int]]:
    """Every catalogue technology a text names, with its span, in order of appearance."""
    lowered = (text or "").lower()
    return [
        (_by_name()[_normal(m.group(1))], m.start(1), m.end(1))
        for m in _name_pattern().finditer(lowered)
    ]


def in_category(code: str) -> tuple[Technology, ...]:
    """Every technology whose categories include ``code``, in catalogue order."""
    return tuple(t for t in TECHNOLOGIES if code in t.categories)


def of_kind(kind: str) -> tuple[Technology, ...]:
    return tuple(t for t in TECHNOLOGIES if kind in t.kinds)


def alternatives_to(tech: Technology, limit: int = 3) -> list[Technology]:
    """Other catalogue technologies of the same kind, same category first."""
    others = [t for t in TECHNOLOGIES if t is not tech and tech.same_kind(t)]
    others.sort(key=lambda t: (t.category != tech.category,))
    return others[:limit]


def as_rows() -> list[dict[str, object]]:
    """The catalogue for templates and JSON, grouped by category in table order."""
    rows = []
    for code, label in CATEGORIES.items():
        for tech in TECHNOLOGIES:
            if tech.category != code:
                continue
            rows.append(
                {
                    "key": tech.key,
                    "name": tech.name,
                    "aliases": list(tech.aliases),
                    "category": tech.category,
                    "category_label": label,
                    "categories": list(tech.categories),
                    "kind": tech.kind_label,
                    "strengths": list(tech.strengths),
                    "downsides": [d.text for d in tech.downsides],
                    "capacity": tech.capacity,
                    "cited": tech.cited,
                    "limits": dict(tech.limits),
                    "triggers": list(tech.triggers),
                    "single_primary": tech.single_primary,
                    "scales": tech.scales,
                }
            )
    return rows
