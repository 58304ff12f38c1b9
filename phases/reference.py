"""Reference numbers: the latencies and capacities the rules compare designs against.

These are orders of magnitude for back-of-envelope work, not benchmarks of any
particular machine. Where a range is usual (a PostgreSQL primary takes 5,000 to 10,000
writes a second) the rules use the cautious end and say so. The reference page of the
site shows this table.
"""

from dataclasses import dataclass

from phases import units


@dataclass(frozen=True)
class Capacity:
    key: str
    label: str
    value: float  # in the base unit of ``kind``
    kind: str  # rate (per second), size (bytes), bandwidth (bytes per second)
    note: str


# What one ordinary machine of each kind can carry; the estimate report compares the
# learner's peak figures against these to find the resource with the least headroom.
CAPACITIES: tuple[Capacity, ...] = (
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
CAPACITIES_BY_KEY = {c.key: c for c in CAPACITIES}

LATENCIES: tuple[tuple[str, str], ...] = (
    ("L1 cache hit", "~0.5 ns"),
    ("L2 cache hit", "~7 ns"),
    ("Main memory read", "~100 ns"),
    ("SSD random read", "~100 µs"),
    ("Round trip inside one datacenter", "~500 µs"),
    ("Hard disk seek", "~10 ms"),
    ("Round trip between regions", "~100-150 ms"),
)

PERIODS: tuple[tuple[str, int], ...] = (
    ("minute", units.SECONDS_PER_MINUTE),
    ("hour", units.SECONDS_PER_HOUR),
    ("day", units.SECONDS_PER_DAY),
    ("month (30 days)", units.SECONDS_PER_MONTH),
    ("year (365 days)", units.SECONDS_PER_YEAR),
)
