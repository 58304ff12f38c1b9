"""Reference numbers: the latencies and capacities the rules compare designs against.

These are orders of magnitude for back-of-envelope work, not benchmarks of any
particular machine. Where a range is usual (a PostgreSQL primary takes 5,000 to 10,000
writes a second) the rules use the cautious end and say so. The reference page of the
site shows :data:`CAPACITIES`: phase 2's resources (:data:`RESOURCES`, its pressure
points) and the capacity model's per-component fallbacks (:data:`COMPONENT_CAPACITIES`).

Phase 7's capacity model reads :data:`COMPONENTS` (one row per phase 5 component type)
and :data:`STORES` (one row per kind of store, keyed by the catalogue's category, so that
a store is priced, timed and sized by what the phase 6 technology chosen for it is).
"""

from dataclasses import dataclass, replace

from phases.reading import units


@dataclass(frozen=True)
class Capacity:
    key: str
    label: str
    value: float  # in the base unit of ``kind``
    kind: str  # rate (per second), size (bytes), bandwidth (bytes per second)
    note: str


# What one ordinary machine of each kind can carry; the estimate report compares the
# learner's peak figures against these to find the resource with the least headroom
# (phase 2's pressure point is one of these keys).
RESOURCES: tuple[Capacity, ...] = (
    Capacity(
        "writes",
        "Writes on one relational primary",
        5_000,
        "rate",
        "A well-tuned PostgreSQL primary takes about 5,000-10,000 writes/s; the low end is used.",
    ),
    Capacity(
        "reads",
        "Reads on one relational database",
        50_000,
        "rate",
        "About 50,000 simple indexed reads/s on one well-tuned PostgreSQL server.",
    ),
    Capacity(
        "storage",
        "Storage on one database server",
        10e12,
        "size",
        "About 10 TB of fast local disk on one server before it must be split or tiered.",
    ),
    Capacity(
        "bandwidth",
        "Network on one server",
        1.25e9,
        "bandwidth",
        "One 10 Gbit/s network interface moves about 1.25 GB/s.",
    ),
    Capacity(
        "memory",
        "Memory on one cache node",
        64e9,
        "size",
        "A typical cache node holds about 64 GB of data in memory.",
    ),
)

# Figures from the playbook's component table that the capacity model reads per
# component type (the catalogue quotes the same constants for its products).
ROUND_TRIP_MS = 0.5  # one round trip inside a datacenter, ~500 µs
REDIS_OPS_PER_S = 100_000  # ~100,000-1,000,000 ops/s on one instance; the low end
NGINX_PROXIED_PER_S = 10_000  # ~10,000 proxied requests/s; ~50,000+ for static files
NGINX_STATIC_PER_S = 50_000
KAFKA_MESSAGES_PER_S = 1_000_000  # "millions of messages/s" on one broker; the low end
OBJECT_GET_LATENCY_MS = (100, 200)
# AWS's documented write limit of one Kinesis shard (not in the playbook).
KINESIS_RECORDS_PER_SHARD = 1_000
# Where the playbook gives no figure the model uses the tutor's own cautious assumption.
APP_SERVER_PER_S = 2_000
WORKER_EVENTS_PER_S = 10_000
# One node of a store that spreads writes over nodes (Cassandra, HBase): the playbook
# says writes grow linearly with nodes but gives no per-node figure.
WIDE_COLUMN_WRITES_PER_S = 10_000
WIDE_COLUMN_READS_PER_S = 10_000
SEARCH_QUERIES_PER_S = 1_000
SINGLE_INSTANCE_AVAILABILITY = 99.9
MANAGED_SERVICE_AVAILABILITY = 99.99

TUTOR = "the tutor's assumption"

# What one machine of each kind of component carries, when neither the learner (phase 5's
# "One instance handles") nor the catalogue gives a figure: the capacity model's fallbacks,
# listed on the reference page beside the resources above.
COMPONENT_CAPACITIES: tuple[Capacity, ...] = (
    Capacity(
        "in_memory_ops",
        "Operations on one in-memory store (Redis, Memcached)",
        REDIS_OPS_PER_S,
        "rate",
        "Reads and writes alike, from memory: ~100,000-1,000,000 ops/s on one Redis "
        "instance (playbook table); the low end is used.",
    ),
    Capacity(
        "wide_column_writes",
        "Writes on one wide-column node (Cassandra, HBase)",
        WIDE_COLUMN_WRITES_PER_S,
        "rate",
        f"Appends to a commit log and memory, so writes grow with every node added; "
        f"~{WIDE_COLUMN_WRITES_PER_S:,}/s per node and as many reads by partition key is "
        f"{TUTOR} (the playbook gives no per-node figure).",
    ),
    Capacity(
        "log_messages",
        "Messages on one log broker (Kafka)",
        KAFKA_MESSAGES_PER_S,
        "rate",
        "Appends to a partitioned log: millions of messages/s and hundreds of MB/s per "
        "broker (playbook table); the low end is used.",
    ),
    Capacity(
        "proxied_requests",
        "Proxied requests on one load balancer (Nginx)",
        NGINX_PROXIED_PER_S,
        "rate",
        f"~{NGINX_PROXIED_PER_S:,} proxied requests/s, ~{NGINX_STATIC_PER_S:,}+ for static "
        "files (playbook table). A managed balancer (ALB, NLB) grows with traffic: no limit "
        "is set for it.",
    ),
    Capacity(
        "app_requests",
        "Requests on one application server",
        APP_SERVER_PER_S,
        "rate",
        f"~{APP_SERVER_PER_S:,} simple requests/s per stateless server, kept cautious "
        f"({TUTOR}; the playbook gives no figure). State your own in phase 5.",
    ),
    Capacity(
        "worker_events",
        "Events on one queue worker",
        WORKER_EVENTS_PER_S,
        "rate",
        f"~{WORKER_EVENTS_PER_S:,} small events/s per worker ({TUTOR}).",
    ),
    Capacity(
        "search_queries",
        "Queries on one search node",
        SEARCH_QUERIES_PER_S,
        "rate",
        f"~{SEARCH_QUERIES_PER_S:,} full-text queries/s per node ({TUTOR}).",
    ),
)
# The reference page's table: the resources, then the components.
CAPACITIES: tuple[Capacity, ...] = RESOURCES + COMPONENT_CAPACITIES
CAPACITIES_BY_KEY = {c.key: c for c in CAPACITIES}
DISK_PER_NODE = CAPACITIES_BY_KEY["storage"].value
MEMORY_PER_NODE = CAPACITIES_BY_KEY["memory"].value

LATENCIES: tuple[tuple[str, str], ...] = (
    ("L1 cache hit", "~0.5 ns"),
    ("L2 cache hit", "~7 ns"),
    ("Main memory read", "~100 ns"),
    ("SSD random read", "~100 µs"),
    ("Round trip inside one datacenter", "~500 µs"),
    ("Hard disk seek", "~10 ms"),
    ("Round trip between regions", "~100-150 ms"),
)


@dataclass(frozen=True)
class ComponentFigures:
    """What one instance of a phase 5 component type carries, adds to latency and is up.

    ``capacity`` is requests a second for one instance (None: scales without a practical
    limit, such as object storage or a CDN); a database's is split into ``reads`` and
    ``writes``. ``latency_ms`` is one step through it, round trip included, on a typical
    request. ``availability`` is the percentage of time one instance is up. Each note
    says where the figure comes from: the playbook's tables or the tutor's assumption.
    """

    type: str
    capacity: float | None
    capacity_note: str
    latency_ms: float
    latency_note: str
    availability: float
    availability_note: str
    reads: float | None = None
    writes: float | None = None


_ONE_BOX = f"{SINGLE_INSTANCE_AVAILABILITY:g}% for one instance ({TUTOR})"
_MANAGED = f"{MANAGED_SERVICE_AVAILABILITY:g}% for a managed, replicated service ({TUTOR})"
_WRITES = CAPACITIES_BY_KEY["writes"].value
_READS = CAPACITIES_BY_KEY["reads"].value
_DB_CAPACITY = (
    f"{_WRITES:,.0f} writes/s and {_READS:,.0f} reads/s on one well-tuned PostgreSQL-class "
    "server (playbook table; the low end of 5,000-10,000 writes/s)"
)
_DB_LATENCY = f"an indexed query from SSD plus a round trip, ~10 ms at the tail ({TUTOR})"

# One relational database server, primary or replica.
_DATABASE = ComponentFigures(
    "db_primary",
    None,
    _DB_CAPACITY,
    10.0,
    _DB_LATENCY,
    SINGLE_INSTANCE_AVAILABILITY,
    _ONE_BOX,
    reads=_READS,
    writes=_WRITES,
)

# One row per phase 5 component type (phases.knowledge.components.COMPONENT_TYPES).
COMPONENTS: tuple[ComponentFigures, ...] = (
    ComponentFigures(
        "dns",
        None,
        f"managed DNS answers from many servers and caches; not a limit here ({TUTOR})",
        0.0,
        "resolved once and cached by the client before the first step",
        MANAGED_SERVICE_AVAILABILITY,
        _MANAGED,
    ),
    ComponentFigures(
        "cdn",
        None,
        f"edge servers in many places scale with the provider ({TUTOR})",
        5.0,
        f"an edge server near the user, ~5 ms ({TUTOR})",
        MANAGED_SERVICE_AVAILABILITY,
        _MANAGED,
    ),
    ComponentFigures(
        "load_balancer_l4",
        NGINX_STATIC_PER_S,
        f"~{NGINX_STATIC_PER_S:,} requests/s: TCP forwarding does less than HTTP proxying, so "
        f"the static-file figure of one Nginx instance is used ({TUTOR})",
        ROUND_TRIP_MS,
        f"one round trip inside a datacenter, ~{ROUND_TRIP_MS:g} ms (playbook table)",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "load_balancer_l7",
        NGINX_PROXIED_PER_S,
        f"~{NGINX_PROXIED_PER_S:,} proxied requests/s per Nginx instance (playbook table)",
        1.0,
        f"a round trip (~{ROUND_TRIP_MS:g} ms, playbook table) plus reading the HTTP request "
        f"({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "app_server",
        APP_SERVER_PER_S,
        f"~{APP_SERVER_PER_S:,} simple requests/s per stateless server, kept cautious "
        f"({TUTOR}; the playbook gives no figure)",
        5.0,
        f"a round trip plus a few milliseconds of work, ~5 ms ({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "cache",
        REDIS_OPS_PER_S,
        f"~{REDIS_OPS_PER_S:,} operations/s on one Redis instance (playbook table; the low "
        "end of 100,000-1,000,000)",
        1.0,
        f"a round trip (~{ROUND_TRIP_MS:g} ms, playbook table) plus a memory read ({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "queue",
        KAFKA_MESSAGES_PER_S,
        f"~{KAFKA_MESSAGES_PER_S:,} messages/s on one Kafka broker (playbook table: "
        "millions a second)",
        2.0,
        f"publishing and waiting for the acknowledgement, ~2 ms ({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    _DATABASE,
    replace(_DATABASE, type="db_replica"),  # a replica is the same server, read-only
    ComponentFigures(
        "object_storage",
        None,
        f"object storage scales without a practical request limit ({TUTOR})",
        float(OBJECT_GET_LATENCY_MS[1]),
        f"{OBJECT_GET_LATENCY_MS[0]}-{OBJECT_GET_LATENCY_MS[1]} ms per get (playbook); the "
        "slow end is used",
        MANAGED_SERVICE_AVAILABILITY,
        f"{MANAGED_SERVICE_AVAILABILITY:g}%, the figure the playbook quotes for S3",
    ),
    ComponentFigures(
        "search",
        SEARCH_QUERIES_PER_S,
        f"~{SEARCH_QUERIES_PER_S:,} queries/s per search node ({TUTOR})",
        50.0,
        f"a full-text query with ranking, ~50 ms ({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "worker",
        WORKER_EVENTS_PER_S,
        f"~{WORKER_EVENTS_PER_S:,} small events/s per worker taking them off a queue; the "
        f"writes it makes are counted at the store ({TUTOR})",
        5.0,
        f"as an application server, ~5 ms ({TUTOR})",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
    ComponentFigures(
        "batch",
        None,
        f"runs on a timer, not per request ({TUTOR})",
        0.0,
        "runs on a timer, not on a request",
        SINGLE_INSTANCE_AVAILABILITY,
        _ONE_BOX,
    ),
)
COMPONENTS_BY_TYPE = {c.type: c for c in COMPONENTS}

PERIODS: tuple[tuple[str, int], ...] = (
    ("minute", units.SECONDS_PER_MINUTE),
    ("hour", units.SECONDS_PER_HOUR),
    ("day", units.SECONDS_PER_DAY),
    ("month (30 days)", units.SECONDS_PER_MONTH),
    ("year (365 days)", units.SECONDS_PER_YEAR),
)


@dataclass(frozen=True)
class StoreFigures:
    """What one node of a kind of store carries, adds to latency and holds, by what it is.

    Keyed by the catalogue's category (``relational``, ``cache``, ``wide_column``...), so a
    store is priced by the phase 6 technology chosen for it: Redis holding counters is an
    in-memory store whatever box it sits in. ``reads`` and ``writes`` are a second on one
    node (None: it grows with load, without a practical per-node limit); ``holds`` is the
    bytes one node keeps (on disk, or in memory for an in-memory store; None: no limit).
    """

    category: str
    label: str
    reads: float | None
    writes: float | None
    capacity_note: str
    latency_ms: float
    latency_note: str
    holds: float | None
    holds_note: str
    # True for a store that spreads its data over its nodes by key, so that more nodes
    # carry more reads as well as more writes (Cassandra, a Redis cluster, a search index).
    partitioned: bool = False


_DISK_NOTE = f"{DISK_PER_NODE / 1e12:g} TB of disk per node ({TUTOR}; the reference table)"
_MEMORY_NOTE = f"{MEMORY_PER_NODE / 1e9:g} GB of memory per node (the reference table)"
_RELATIONAL_NOTE = (
    f"{_WRITES:,.0f} writes/s and {_READS:,.0f} reads/s on one primary (playbook table; the "
    "low end of 5,000-10,000 writes/s)"
)
_IN_MEMORY_NOTE = (
    f"~{REDIS_OPS_PER_S:,} operations/s, reads and writes alike, on one in-memory node "
    "(playbook table; the low end of 100,000-1,000,000)"
)
_IN_MEMORY_LATENCY = (
    f"a round trip (~{ROUND_TRIP_MS:g} ms, playbook table) plus a memory read ({TUTOR})"
)

STORES: tuple[StoreFigures, ...] = (
    StoreFigures(
        "relational",
        "a relational database",
        _READS,
        _WRITES,
        _RELATIONAL_NOTE,
        10.0,
        _DB_LATENCY,
        DISK_PER_NODE,
        _DISK_NOTE,
    ),
    StoreFigures(
        "document",
        "a document store",
        _READS,
        _WRITES,
        f"one primary per shard, taken as a relational primary: {_RELATIONAL_NOTE}",
        10.0,
        _DB_LATENCY,
        DISK_PER_NODE,
        _DISK_NOTE,
    ),
    StoreFigures(
        "key_value",
        "a key-value store",
        _READS,
        _WRITES,
        f"one node, taken as a relational primary: {_RELATIONAL_NOTE}",
        10.0,
        f"a lookup by key plus a round trip, ~10 ms at the tail ({TUTOR})",
        DISK_PER_NODE,
        _DISK_NOTE,
    ),
    StoreFigures(
        "wide_column",
        "a wide-column store",
        WIDE_COLUMN_READS_PER_S,
        WIDE_COLUMN_WRITES_PER_S,
        f"~{WIDE_COLUMN_WRITES_PER_S:,} writes/s and ~{WIDE_COLUMN_READS_PER_S:,} reads/s by "
        f"partition key per node, growing with every node ({TUTOR}; the playbook gives no "
        "per-node figure)",
        10.0,
        f"a read by partition key plus a round trip, ~10 ms at the tail ({TUTOR})",
        DISK_PER_NODE,
        _DISK_NOTE,
        partitioned=True,
    ),
    StoreFigures(
        "graph",
        "a graph database",
        _READS,
        _WRITES,
        f"one leader takes the writes, taken as a relational primary: {_RELATIONAL_NOTE}",
        10.0,
        _DB_LATENCY,
        DISK_PER_NODE,
        _DISK_NOTE,
    ),
    StoreFigures(
        "time_series",
        "a time-series database",
        _READS,
        _WRITES,
        f"no figure in the playbook, so a relational primary's: {_RELATIONAL_NOTE}",
        10.0,
        _DB_LATENCY,
        DISK_PER_NODE,
        _DISK_NOTE,
    ),
    StoreFigures(
        "search",
        "a search engine",
        SEARCH_QUERIES_PER_S,
        SEARCH_QUERIES_PER_S,
        f"~{SEARCH_QUERIES_PER_S:,} queries/s per search node ({TUTOR})",
        50.0,
        f"a full-text query with ranking, ~50 ms ({TUTOR})",
        DISK_PER_NODE,
        _DISK_NOTE,
        partitioned=True,
    ),
    StoreFigures(
        "cache",
        "an in-memory store",
        REDIS_OPS_PER_S,
        REDIS_OPS_PER_S,
        _IN_MEMORY_NOTE,
        1.0,
        _IN_MEMORY_LATENCY,
        MEMORY_PER_NODE,
        _MEMORY_NOTE,
        partitioned=True,
    ),
    StoreFigures(
        "object",
        "object storage",
        None,
        None,
        f"object storage scales without a practical request limit ({TUTOR})",
        float(OBJECT_GET_LATENCY_MS[1]),
        f"{OBJECT_GET_LATENCY_MS[0]}-{OBJECT_GET_LATENCY_MS[1]} ms per get (playbook); the slow "
        "end is used",
        None,
        "object storage has no practical size limit (playbook: unlimited scale)",
    ),
)
STORES_BY_CATEGORY = {s.category: s for s in STORES}
