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

from dataclasses import dataclass

from phases.answers import Reader
from phases.quantities import parse_quantity

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


def empty() -> dict:
    return {"version": SCHEMA_VERSION, "access_patterns": [], "entities": [], "modelling": []}


def _flag(r: Reader, row: dict, key: str, field: str) -> bool:
    value = row.get(key, False)
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "on", "yes", "1", "false", "no", "0"):
        return value.lower() in ("true", "on", "yes", "1")
    r.error(field, "Expected true or false.")
    return False


def parse(data: dict) -> DataModel:
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
                transactional=_flag(r, row, "transactional", f"{path}.transactional"),
                large_objects=_flag(r, row, "large_objects", f"{path}.large_objects"),
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


def computed(design) -> dict:
    """Which storage each entity ends up in, from the access patterns that touch it."""
    stores: dict[str, set[str]] = {}
    for pattern in design.data_model.access_patterns:
        if pattern.entity and pattern.storage:
            stores.setdefault(pattern.entity, set()).add(pattern.storage)
    return {"stores_by_entity": {name: sorted(kinds) for name, kinds in sorted(stores.items())}}
