"""Small helpers for reading what learners write: words, stems and numbers."""

import re
import threading
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d")
# Words that carry no meaning when matching a requirement against a capability.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "and",
        "or",
        "in",
        "on",
        "by",
        "with",
        "from",
        "into",
        "their",
        "its",
        "it",
        "his",
        "her",
        "them",
        "they",
        "can",
        "could",
        "may",
        "should",
        "must",
        "will",
        "would",
        "be",
        "is",
        "are",
        "was",
        "were",
        "able",
        "user",
        "users",
        "someone",
        "anyone",
        "people",
        "person",
        "system",
        "service",
        "app",
        "application",
    ]
)

# A Snowball stemmer keeps the word it is working on in the object, so two threads of one
# web process (gunicorn's threaded workers) sharing one stemmer corrupt each other's word
# (an IndexError mid-save). Each thread gets its own.
_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    stemmed: str = _stemmer().stemWord(word)  # snowballstemmer has no type information
    return stemmed


def stems(text: str, *, keep_stopwords: bool = False) -> list[str]:
    return list(_stems(text, keep_stopwords))


@lru_cache(maxsize=8192)
def _stems(text: str, keep_stopwords: bool) -> tuple[str, ...]:
    # Rules stem the same requirement texts and phrases many times in one check.
    return tuple(stem(w) for w in words(text) if keep_stopwords or w not in STOPWORDS)


@lru_cache(maxsize=8192)
def _stem_set(text: str) -> frozenset[str]:
    return frozenset(_stems(text, False))


def mentions(text: str, phrase: str) -> bool:
    """Whether every meaningful word of ``phrase`` appears in ``text``, in any form.

    "Users can shorten a long link" mentions "shortened link"; word order and
    inflection do not matter, so synonyms are listed as short phrases.
    """
    return match_strength(text, phrase) > 0


def match_strength(text: str, phrase: str) -> int:
    """How many meaningful words of ``phrase`` a text mentions: 0 unless it mentions all.

    Longer phrases are more specific, so when a text mentions phrases of several
    capabilities, the one with the most words is the best description of it.
    """
    needed = _stem_set(phrase)
    return len(needed) if needed and needed <= _stem_set(text) else 0


_FIGURE_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|immediately|instantly|zero|"
    r"(a|an)\s+(second|minute|hour|day|week|month|year))\b"
)


def has_figure(text: str) -> bool:
    """Whether a text states a quantity, in digits or in words ("within a minute")."""
    return has_number(text) or bool(_FIGURE_WORDS.search((text or "").lower()))


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text or ""))


def is_blank(text: str | None) -> bool:
    return not (text or "").strip()


# Words that name a mechanism or a property of a system (replication, a partition key, an
# eviction policy, a transaction...): a part that says one of these says something
# concrete, however short ("Memcached: no replication").
_MECHANISM_WORDS = """
    replication replica replicas replicated shard shards sharding partition partitioned
    partitions index indexes indexed cache cached caching queue queued batch batches ttl
    expiry expire failover consistency consistent transaction transactions acid join joins
    durability durable persistence persistent persist memory disk ssd latency throughput
    lock locking quorum leader primary eviction evicts compaction schema query queries
    range scan hash ordering ordered idempotent idempotency retry retries backoff timeout
    breaker region regions zone zones cluster clustering node nodes lag stale eventual
    atomic counter counters stream streams log offset offsets snapshot backup compression
    encryption websocket websockets polling push geo geospatial spatial fulltext search
    graph traversal blob multipart bandwidth cost costs license licence managed operations
    operational vendor lockin threaded protocol http grpc tcp udp dns certificate tls
    aggregation aggregate aggregates sort sorted secondary tombstones vacuum wal fsync
    rebalancing rebalance hotspot hot cold tier tiering archive retention
    """
MECHANISM_STEMS = frozenset(stem(w) for w in _MECHANISM_WORDS.split())


def names_something_concrete(text: str, names: tuple[str, ...] = ()) -> bool:
    """Whether a short text still says something concrete: a number, a mechanism or
    property (:data:`MECHANISM_STEMS`), or one of ``names`` (technologies, components).

    A textual rule uses it before calling a part empty or a repetition of the question.
    """
    if has_figure(text):
        return True
    said = set(stems(text))
    if said & MECHANISM_STEMS:
        return True
    lowered = (text or "").lower()
    return any(name and re.search(rf"\b{re.escape(name.lower())}\b", lowered) for name in names)
