"""Phase 8, failure: every component classified, every call bounded, retries made safe.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "components": [
        {"component": "db", "dependency": "hard",
         "user_sees": "no new links can be made; redirects still served from the cache",
         "mitigation": "failover", "replication": "sync", "automatic_failover": true}
      ],
      "calls": [{"caller": "app", "callee": "db", "timeout": "200 ms",
                 "circuit_breaker": true}],
      "retries": {"enabled": true, "operations": "create link (idempotency key)",
                  "backoff": true, "jitter": true, "max_attempts": "3"}
    }
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypedDict, overload

from phases.capacity import assumption as capacity_assumption
from phases.capacity import read_target
from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Hit, Severity
from phases.engine.unit import Layout, PhaseUnit, Rows, checkbox_field, choice_field, text_field
from phases.reading import units
from phases.reading.text import stems
from phases.rendering.markdown import capacity_model, cell, field_line, plain, table, yes
from phases.requirements import allowed_downtime

if TYPE_CHECKING:
    from phases.api import Api
    from phases.architecture import Architecture, Component
    from phases.capacity import Availability, CapacityModel, NoModel
    from phases.engine.design import Design
    from phases.requirements import Requirements

SCHEMA_VERSION = 1

DEPENDENCIES = ("hard", "soft", "transparent")
MITIGATIONS = ("replication", "failover", "degradation", "fallback", "none")
REPLICATION = ("sync", "async", "none")


@dataclass(frozen=True)
class ComponentFailure:
    field: str
    component: str
    dependency: str
    user_sees: str
    mitigation: str
    replication: str
    automatic_failover: bool


@dataclass(frozen=True)
class Call:
    field: str
    caller: str
    callee: str
    timeout: str
    timeout_ms: float | None
    circuit_breaker: bool


@dataclass(frozen=True)
class Retries:
    enabled: bool
    operations: str
    backoff: bool
    jitter: bool
    max_attempts: str


@dataclass(frozen=True)
class Failure:
    components: tuple[ComponentFailure, ...]
    calls: tuple[Call, ...]
    retries: Retries

    def for_component(self, name: str) -> ComponentFailure | None:
        wanted = " ".join(name.lower().split())
        return next(
            (c for c in self.components if " ".join(c.component.lower().split()) == wanted), None
        )


# The form: each component's failure, the calls between components, the retry policy.
LAYOUT = Layout(
    fields=(
        checkbox_field("retries.enabled", "Clients or servers retry failed calls"),
        text_field(
            "retries.operations",
            "Which operations are retried",
            placeholder="e.g. renew a loan (keyed)",
        ),
        checkbox_field("retries.backoff", "Exponential backoff"),
        checkbox_field("retries.jitter", "Jitter"),
        text_field("retries.max_attempts", "Attempts at most", placeholder="a whole number"),
    ),
    lists=(
        Rows(
            "components",
            (
                text_field(
                    "component",
                    "Component",
                    placeholder="a component of your design",
                    suggest="declared-components",
                ),
                choice_field("dependency", "Dependency", DEPENDENCIES),
                text_field(
                    "user_sees",
                    "What users see when it fails",
                    placeholder="e.g. renewals fail for N s",
                ),
                choice_field("mitigation", "Mitigation", MITIGATIONS),
                choice_field(
                    "replication",
                    "Replication",
                    REPLICATION,
                    {"sync": "synchronous", "async": "asynchronous"},
                ),
                checkbox_field("automatic_failover", "Automatic failover"),
            ),
        ),
        Rows(
            "calls",
            (
                text_field(
                    "caller", "Caller", placeholder="a component", suggest="declared-components"
                ),
                text_field(
                    "callee", "Calls", placeholder="a component", suggest="declared-components"
                ),
                text_field("timeout", "Timeout", placeholder="a duration, e.g. N ms"),
                checkbox_field("circuit_breaker", "Circuit breaker"),
            ),
        ),
    ),
)


def empty() -> JSON:
    return {
        "version": SCHEMA_VERSION,
        "components": [],
        "calls": [],
        "retries": {
            "enabled": False,
            "operations": "",
            "backoff": False,
            "jitter": False,
            "max_attempts": "",
        },
    }


def _timeout(text: str) -> float | None:
    """A timeout in milliseconds from ``200 ms``, ``2 s``, ``200`` (ms)."""
    value, unit = units.parse_latency(text)
    if value is None:
        raise units.UnitError(f"Write the timeout with a number, e.g. 200 ms (got {text!r}).")
    return units.to_milliseconds(value, unit or "ms")


def parse(data: JSON) -> Failure:
    r = Reader(data)
    d = r.data
    calls = []
    for path, row in r.rows(d, "calls", "calls"):
        timeout = r.text(row, "timeout", f"{path}.timeout")
        calls.append(
            Call(
                field=path,
                caller=r.text(row, "caller", f"{path}.caller"),
                callee=r.text(row, "callee", f"{path}.callee"),
                timeout=timeout,
                timeout_ms=r.parsed(f"{path}.timeout", _timeout, timeout) if timeout else None,
                circuit_breaker=r.flag(row, "circuit_breaker", f"{path}.circuit_breaker"),
            )
        )
    retries = r.object(d, "retries", "retries")
    max_attempts = r.text(retries, "max_attempts", "retries.max_attempts")
    if max_attempts and not (max_attempts.isdigit() and 0 < int(max_attempts) <= 100):
        r.error("retries.max_attempts", f"Write a whole number, e.g. 3 (got {max_attempts!r}).")
    failure = Failure(
        components=tuple(
            ComponentFailure(
                field=path,
                component=r.text(row, "component", f"{path}.component"),
                dependency=r.text(row, "dependency", f"{path}.dependency", choices=DEPENDENCIES),
                user_sees=r.text(row, "user_sees", f"{path}.user_sees"),
                mitigation=r.text(row, "mitigation", f"{path}.mitigation", choices=MITIGATIONS),
                replication=r.text(row, "replication", f"{path}.replication", choices=REPLICATION),
                automatic_failover=r.flag(row, "automatic_failover", f"{path}.automatic_failover"),
            )
            for path, row in r.rows(d, "components", "components")
        ),
        calls=tuple(calls),
        retries=Retries(
            enabled=r.flag(retries, "enabled", "retries.enabled"),
            operations=r.text(retries, "operations", "retries.operations"),
            backoff=r.flag(retries, "backoff", "retries.backoff"),
            jitter=r.flag(retries, "jitter", "retries.jitter"),
            max_attempts=max_attempts,
        ),
    )
    r.raise_if_errors()
    return failure


class Figures(TypedDict):
    availability: Availability


def computed(design: Design) -> Figures:
    """Availability of the synchronous chain, from the capacity model's availability part."""
    return {"availability": design.capacity.get("availability", {})}


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits; the registry gives each its code and severity.
# Rows are matched to phase 5 components by name (``Failure.for_component`` and
# ``Architecture.component``: case and spacing ignored). A rule that needs another phase
# (1, 4, 5, or the capacity model of phase 7) says nothing when that phase is missing or
# cannot be read.

# What one machine of anything is assumed to manage on its own, a year round.
SINGLE_INSTANCE_PERCENT = 99.9
HIGH_AVAILABILITY = 99.99
# Components that hold data: a second instance only helps if the data is copied to it.
STATEFUL_TYPES = ("db_primary", "cache", "queue", "object_storage", "search")
REPLICATED = ("sync", "async")
# Methods that create or change something and are not idempotent by their HTTP meaning.
WRITE_METHODS = ("POST", "PATCH")
NOT_IDEMPOTENT = ("", "none")
DATABASE_TYPES = ("db_primary", "db_replica")
# The capacity model's what-if that each kind of transparent component's failure is.
WHAT_IF_FOR_TYPE = {"cache": "cache_down"}
# Where an acknowledged write lives: losing the tail of its replication loses data.
SYSTEM_OF_RECORD_TYPES = ("db_primary", "object_storage", "queue")
# Words too common in component names to tie one to a phase 1 durability row.
_GENERIC_NAME_WORDS = frozenset(stems("db database primary replica store storage data"))


@overload
def _other(
    design: Design, phase: int, attribute: Literal["requirements"]
) -> Requirements | None: ...
@overload
def _other(design: Design, phase: int, attribute: Literal["api"]) -> Api | None: ...
@overload
def _other(
    design: Design, phase: int, attribute: Literal["architecture"]
) -> Architecture | None: ...


def _other(design: Design, phase: int, attribute: str) -> Requirements | Api | Architecture | None:
    """Another phase's parsed answers, or None when absent or unreadable."""
    if not design.has(phase):
        return None
    try:
        parsed: Requirements | Api | Architecture = getattr(design, attribute)
    except AnswerShapeError:
        return None
    return parsed


def _capacity(design: Design) -> CapacityModel | NoModel:
    """Phase 7's capacity model, or an empty dict when it cannot be computed."""
    try:
        model = design.capacity
    except (ImportError, AnswerShapeError, LookupError, TypeError, ValueError, ArithmeticError):
        return {}
    return model if isinstance(model, dict) else {}


def _quoted(name: str) -> str:
    return f'"{name}"' if name else "an unnamed component"


def _component(arch: Architecture | None, name: str) -> Component | None:
    return arch.component(name) if arch is not None and name else None


def _redundant(
    row: ComponentFailure, component: Component | None, arch: Architecture | None
) -> bool:
    """Whether something can take over from this component: a replica, or a twin.

    A replicated row counts; so does a database primary with a phase 5 read replica.
    Otherwise a stateless component needs a count of two or more, and a stateful one
    (whose twins would not share its data) is never redundant without replication.
    """
    if row.replication in REPLICATED:
        return True
    if component is None:
        return False
    if (
        component.type == "db_primary"
        and arch is not None
        and any(c.type == "db_replica" for c in arch.components)
    ):
        return True
    if component.type in STATEFUL_TYPES:
        return False
    return (component.count or 1) >= 2


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _percent(value: object) -> float | None:
    """An availability from the capacity model, as a percentage (0.999 and 99.9 alike)."""
    number = _number(value)
    if number is None or number <= 0:
        return None
    return number * 100 if number <= 1 else number


def _overloaded(row: object) -> bool:
    if not isinstance(row, dict):
        return False
    load, capacity = _number(row.get("load")), _number(row.get("capacity"))
    if load is not None and capacity:
        return load > capacity
    headroom = _number(row.get("headroom"))
    return headroom is not None and headroom < 1


def _same(name: object) -> str:
    return " ".join(str(name or "").lower().split())


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def unclassified_component(design: Design) -> Iterator[Hit]:
    """A phase 5 component left unclassified: no row, or no hard, soft or transparent.

    Why it matters:
        Every box in the design will fail one day. Until you have said whether a request
        can still complete without it, you cannot tell which ones need a standby, which
        need a degraded answer and which need nothing at all. The one left out is
        usually the one that takes the service down.
    Triggers:
        A named phase 5 component with no row here (reported on the phase 5 component),
        or a row that names it but leaves the dependency empty.
    Better:
        One row per component: the cache is transparent (reads fall back to the
        database), the click queue soft (counts pause), the database hard.
    """
    arch = _other(design, 5, "architecture")
    if arch is None:
        return
    failure = design.failure
    for c in arch.components:
        if not c.name:
            continue
        row = failure.for_component(c.name)
        if row is None:
            yield Hit(
                field=f"{c.field}.name",
                field_phase=5,
                message=f"{_quoted(c.name)} has no row saying what happens when it fails.",
                hint="If it stopped right now, could a request still finish? What would "
                "the user notice?",
                fix="Add a row for it: hard, soft or transparent, what users see, and "
                "the mitigation.",
            )
        elif not row.dependency:
            yield Hit(
                field=f"{row.field}.dependency",
                message=f"{_quoted(c.name)} is not classified as a hard, soft or "
                "transparent dependency.",
                hint="Does a request fail, degrade, or carry on unnoticed without it?",
                fix="Choose hard, soft or transparent for it.",
            )


def unknown_component(design: Design) -> Iterator[Hit]:
    """A row that names no component declared in phase 5.

    Why it matters:
        The failure analysis is about the architecture you drew. A row for a box that
        does not exist there (a typo, a renamed component, a part dropped since) checks
        nothing, and the component it was meant for stays unclassified.
    Triggers:
        A row whose component is empty, or matches no phase 5 component name (case and
        spacing ignored). Nothing is said about names when phase 5 has no components.
    Better:
        Name each component exactly as phase 5 does: "Links DB primary", "Redis cache".
    """
    arch = _other(design, 5, "architecture")
    declared = [c.name for c in arch.components if c.name] if arch is not None else []
    for row in design.failure.components:
        if not row.component:
            if row.dependency or row.user_sees or row.mitigation:
                yield Hit(
                    field=f"{row.field}.component",
                    message="A row describes a failure but names no component.",
                    hint="Which phase 5 component is this row about?",
                    fix="Write the component's phase 5 name, or remove the row.",
                )
            continue
        if declared and arch is not None and arch.component(row.component) is None:
            yield Hit(
                field=f"{row.field}.component",
                message=f"{_quoted(row.component)} is not a component of phase 5.",
                hint=f"The phase 5 components are: {', '.join(declared)}.",
                fix="Use the name phase 5 gives it, or add the component to phase 5.",
            )


def incomplete_classification(design: Design) -> Iterator[Hit]:
    """A classified component whose row does not say what users see or how it is mitigated.

    Why it matters:
        "Hard" alone does not tell anyone what the outage looks like or what limits it.
        Writing down what users see forces you to follow the failure to the screen, and
        the mitigation is the part of the design that answers it.
    Triggers:
        A row with a dependency chosen but "what users see" empty, or no mitigation
        chosen (choosing "none" is an answer and is not reported here).
    Better:
        Redis cache: transparent; users see slower redirects while reads go to the
        replicas; mitigation: fallback.
    """
    for row in design.failure.components:
        if not row.dependency:
            continue
        missing = [
            (key, label)
            for key, label in (("user_sees", "what users see"), ("mitigation", "the mitigation"))
            if not getattr(row, key)
        ]
        if missing:
            yield Hit(
                field=f"{row.field}.{missing[0][0]}",
                message=f"The row for {_quoted(row.component)} does not say "
                f"{' or '.join(label for _key, label in missing)}.",
                hint="When it fails, what appears on the user's screen, and what in the "
                "design limits it?",
                fix="Describe what the user sees, and choose replication, failover, "
                "degradation, fallback or none.",
            )


def hard_without_failover(design: Design) -> Iterator[Hit]:
    """A hard dependency without a second copy to take over, or without automatic failover.

    Why it matters:
        When a hard dependency is down, requests that need it fail. Only two things keep
        that short: something that can take over (a replica, a second instance) and a
        machine that notices the failure and switches on its own. A person woken at night
        to promote a replica turns seconds into many minutes.
    Triggers:
        A row classified hard whose component is not redundant (no replication, and a
        count of one, or several instances of a stateful kind without replication; a
        database primary with a phase 5 read replica counts as redundant), or whose
        automatic failover is not ticked.
    Better:
        Database primary with a synchronous standby and automatic promotion; application
        servers, two or more behind a load balancer that drops unhealthy ones.
    """
    arch = _other(design, 5, "architecture")
    spofs = _single_points(design)
    for row in design.failure.components:
        if row.dependency != "hard":
            continue
        redundant = _redundant(row, _component(arch, row.component), arch)
        if redundant and row.automatic_failover:
            continue
        if not redundant and _same(row.component) in spofs:
            continue  # single_point_of_failure reports it, with the downtime arithmetic
        name = _quoted(row.component)
        if not redundant and not row.automatic_failover:
            message = f"{name} is a hard dependency with no second copy and no automatic failover."
        elif not redundant:
            message = (
                f"{name} is a hard dependency marked for automatic failover, but there is "
                "nothing to fail over to: one instance and no replication."
            )
        else:
            message = (
                f"{name} is a hard dependency with a second copy, but switching to it "
                "waits for a person."
            )
        field, field_phase = _where_to_add_a_copy(row, _component(arch, row.component))
        yield Hit(
            field=field if not redundant else f"{row.field}.automatic_failover",
            field_phase=field_phase if not redundant else None,
            message=message,
            hint="When it dies at 3 a.m., what takes over, and who or what decides that?",
            fix="Give it a replica or a second instance, and have health checks switch "
            "traffic to it without a person.",
        )


def _single_points(design: Design) -> set[str]:
    """The components single_point_of_failure reports (by normalised name)."""
    return {_same(hit_row.component) for hit_row, _own in _spof_rows(design)}


def _spof_rows(design: Design) -> list[tuple[ComponentFailure, float]]:
    """Hard, non-redundant rows whose one instance misses a 99.99%-or-more target, with
    that instance's availability."""
    req = _other(design, 1, "requirements")
    percent = req.availability_percent if req is not None else None
    if percent is None or percent < HIGH_AVAILABILITY:
        return []
    arch = _other(design, 5, "architecture")
    figures, _total = _chain(design)
    found = []
    for row in design.failure.components:
        if row.dependency != "hard":
            continue
        if _redundant(row, _component(arch, row.component), arch):
            continue
        own_percent = figures.get(_same(row.component), SINGLE_INSTANCE_PERCENT)
        if own_percent < percent:
            found.append((row, own_percent))
    return found


def _where_to_add_a_copy(
    row: ComponentFailure, component: Component | None
) -> tuple[str, int | None]:
    """Where a missing second copy is added: a stateless component's count in phase 5
    (one more instance behind the balancer), else this row's replication."""
    if component is not None and component.type not in STATEFUL_TYPES:
        return f"{component.field}.count", 5
    return f"{row.field}.replication", None


def _chain(design: Design) -> tuple[dict[str, float], float | None]:
    """Each component's availability in the capacity model's chain, and the total."""
    availability = _capacity(design).get("availability")
    if not isinstance(availability, dict):
        return {}, None
    chain = availability.get("chain")
    figures = {}
    for row in chain if isinstance(chain, list) else []:
        if isinstance(row, dict) and row.get("name"):
            percent = _percent(row.get("availability"))
            if percent is not None:
                figures[_same(row["name"])] = percent
    return figures, _percent(availability.get("total_percent"))


def single_point_of_failure(design: Design) -> Iterator[Hit]:
    """A single point of failure while phase 1's availability target is 99.99% or more.

    Why it matters:
        Four nines leave under an hour of downtime a year. One machine on its own
        manages about 99.9%, nearly nine hours a year once hardware, kernels and
        deployments are counted, so any hard dependency that runs as one unreplicated
        instance spends the whole budget about ten times over by itself.
    Triggers:
        Phase 1's availability at 99.99% or above, and a row classified hard whose
        component is not redundant (as in the failover rule). The arithmetic uses 99.9%
        for one instance, or the component's figure in phase 7's availability chain when
        the capacity model has one, and shows the chain's total when it is known.
    Better:
        Two or more of every hard dependency, in different zones, with automatic
        failover; or a lower target, if the business can live with it.
    """
    req = _other(design, 1, "requirements")
    percent = req.availability_percent if req is not None else None
    if percent is None or percent < HIGH_AVAILABILITY:
        return
    arch = _other(design, 5, "architecture")
    target = allowed_downtime(percent)
    _figures, total = _chain(design)
    for row, own_percent in _spof_rows(design):
        own = allowed_downtime(own_percent)
        arithmetic = (
            f"one instance: (1 − {own_percent:g}%) × 31,536,000 s = {own.per_year_s:,.0f} s "
            f"≈ {own.per_year} a year > target: (1 − {percent:g}%) × 31,536,000 s = "
            f"{target.per_year_s:,.0f} s ≈ {target.per_year} a year"
        )
        if total is not None:
            chain = allowed_downtime(total)
            arithmetic += (
                f"; the synchronous chain as drawn: {total:.4g}% ≈ {chain.per_year} a year"
            )
        field, field_phase = _where_to_add_a_copy(row, _component(arch, row.component))
        yield Hit(
            field=field,
            field_phase=field_phase,
            message=f"{_quoted(row.component)} is a single point of failure: one instance "
            f"at {own_percent:g}% is down about {own.per_year} a year, while your "
            f"{percent:g}% target allows {target.per_year}.",
            arithmetic=arithmetic,
            hint="How long a year is one machine down, counting hardware faults and deployments?",
            fix="Run it as two or more instances (or replicate it) with automatic failover, "
            "or lower the availability target in phase 1.",
        )


def write_path_below_target(design: Design) -> Iterator[Hit]:
    """The synchronous write path, as drawn, is less available than phase 1's target.

    Why it matters:
        A write succeeds only if every component it passes through is up, so the path's
        availability is the product of theirs. Each box can look redundant enough and the
        chain still miss the target: five steps at 99.9% each are about 99.5% together.
    Triggers:
        The availability chain of phase 7's capacity model (the synchronous write path,
        each component counted with its instances, a primary with its promotable replicas)
        below phase 1's availability target. Left to the single-point-of-failure rule when
        every component under the target is one that rule reports. The per-instance
        figures are the tutor's reference, so the finding says so and stays a warning.
    Better:
        Add instances (or replicas with failover) to the weakest steps, move steps that
        need not be synchronous off the write path, or revisit the target.
    """
    req = _other(design, 1, "requirements")
    target = req.availability_percent if req is not None else None
    availability = _capacity(design).get("availability")
    if target is None or not isinstance(availability, dict):
        return
    total = _percent(availability.get("total_percent"))
    chain = [r for r in availability.get("chain") or [] if isinstance(r, dict)]
    if total is None or not chain or total >= target:
        return
    weak = [r for r in chain if (_percent(r.get("availability")) or 0) < target]
    if weak and target >= HIGH_AVAILABILITY:
        arch = _other(design, 5, "architecture")
        reported = {  # what single_point_of_failure reports
            _same(row.component)
            for row in design.failure.components
            if row.dependency == "hard"
            and not _redundant(row, _component(arch, row.component), arch)
        }
        if all(_same(r["name"]) in reported for r in weak):
            return  # single_point_of_failure names each of them, with the same figures
    have, allowed = allowed_downtime(total), allowed_downtime(target)
    steps = " × ".join(f"{r['name']} {_percent(r.get('availability')):.6g}%" for r in chain)
    weakest = min(chain, key=lambda r: _percent(r.get("availability")) or 0)
    yield Hit(
        field="write_path",
        field_phase=5,
        message=f"The synchronous write path is about {total:.4g}% available (down about "
        f"{have.per_year} a year), below your {target:g}% target ({allowed.per_year}); its "
        f'weakest step is "{weakest["name"]}".',
        arithmetic=f"{steps} = {total:.6g}% < {target:g}%",
        hint="Which step has the fewest copies, and does the write need to wait for it?",
        fix="Add instances or promotable replicas to the weakest steps, or take steps the "
        "user need not wait for off the synchronous path.",
        margin=(100 - total) / (100 - target) if target < 100 else None,
        assumes="the tutor's reference availability for one instance of each kind of "
        "component (the reference page lists them)",
    )


def cascading_fallback(design: Design) -> Iterator[Hit]:
    """A transparent failure that would cascade: the fallback sends the database more than
    it can take.

    Why it matters:
        A cache is transparent only if what stands behind it can carry the load the cache
        was absorbing. When a cache in front of thousands of reads a second goes down and
        the database cannot take them, the database falls over too, and a harmless
        outage becomes a complete one.
    Triggers:
        A component classified transparent whose failure has a what-if in phase 7's
        capacity model (a cache: the cache-down case) in which a database primary or
        replica has more load than capacity, while it copes in the normal case. Nothing
        is said when the capacity model cannot be computed.
    Better:
        Size the replicas for the cache-down load, shed or rate-limit reads when the
        cache is gone, or call the cache a soft dependency and describe the degraded
        answer users get.
    """
    arch = _other(design, 5, "architecture")
    if arch is None:
        return
    model = None
    for row in design.failure.components:
        if row.dependency != "transparent":
            continue
        component = _component(arch, row.component)
        key = WHAT_IF_FOR_TYPE.get(component.type) if component is not None else None
        if component is None or key is None:
            continue
        if model is None:
            model = _capacity(design)
        what_if = model.get("what_if")
        scenario = what_if.get(key) if isinstance(what_if, dict) else None
        rows = scenario.get("components") if isinstance(scenario, dict) else None
        if not isinstance(rows, list):
            continue
        normal = model.get("components")
        normal_rows = {
            _same(r.get("name")): r
            for r in (normal if isinstance(normal, list) else [])
            if isinstance(r, dict)
        }
        for db in rows:
            if not isinstance(db, dict) or db.get("type") not in DATABASE_TYPES:
                continue
            if not _overloaded(db) or _overloaded(normal_rows.get(_same(db.get("name")))):
                continue
            load, capacity = _number(db.get("load")), _number(db.get("capacity"))
            what = "reads/s" if db.get("type") == "db_replica" else "requests/s"
            if load is not None and capacity:
                figures = f"would get {_rate(load)} {what} against a capacity of {_rate(capacity)}"
                arithmetic = (
                    f"{_rate(load)}/s ÷ {_rate(capacity)}/s = {load / capacity:.2g}× capacity"
                )
            else:
                figures = f"would be past its capacity (headroom {db.get('headroom')})"
                arithmetic = ""
            yield Hit(
                assumes=capacity_assumption(design, str(db.get("name") or "")),
                margin=load / capacity if load is not None and capacity else None,
                field=f"{row.field}.dependency",
                message=f"When {_quoted(component.name)} is down, the database "
                f"({_quoted(str(db.get('name') or ''))}) {figures}: the fallback would take "
                "it down too.",
                arithmetic=arithmetic,
                hint="Phase 7's cache-down what-if: where do the cache's reads go, and "
                "can that component take them?",
                fix="Add replicas for the cache-down load, shed or rate-limit reads while the "
                "cache is down, or classify the cache as soft and say what degraded answer "
                "users get.",
            )


def retried_write_not_idempotent(design: Design) -> Iterator[Hit]:
    """Retries turned on while a phase 4 write is not idempotent.

    Why it matters:
        A client that times out cannot know whether its write happened. Sending it again
        is only safe if doing it twice has the effect of doing it once; otherwise one
        shortened URL becomes two links, or one payment two charges.
    Triggers:
        Retries enabled, and a POST or PATCH endpoint in phase 4 whose idempotency is
        "none" or empty (reported on the phase 4 endpoint).
    Better:
        An Idempotency-Key the client sends with each write, a deterministic id, or a
        conditional write; or leave that write out of the retry policy.
    """
    if not design.failure.retries.enabled:
        return
    api = _other(design, 4, "api")
    if api is None:
        return
    for endpoint in api.endpoints:
        if endpoint.method in WRITE_METHODS and endpoint.idempotency in NOT_IDEMPOTENT:
            yield Hit(
                field=f"{endpoint.field}.idempotency",
                field_phase=4,
                message=f"Retries are on, but {endpoint.label} is a write phase 4 did not "
                "make idempotent: a retry after a lost response can apply it twice.",
                hint="If the response to this call is lost, what does sending it again do?",
                fix="Make the endpoint idempotent in phase 4 (an idempotency key, a "
                "deterministic id, a conditional write), or do not retry it.",
            )


def no_retries_though_safe(design: Design) -> Iterator[Hit]:
    """Retries turned off although every write phase 4 defines is safe to repeat.

    Why it matters:
        Networks drop packets and servers restart: a share of calls fail once and would
        succeed a moment later. Without a retry, each of those blips is an error the user
        sees, or a write lost for good (a batch of samples, an event). When every write
        is idempotent, retrying with backoff costs nothing but the wait.
    Triggers:
        Retries not enabled in phase 8, while phase 4 has writes (POST or PATCH; PUT and
        DELETE are idempotent by definition) and each of them is made idempotent.
    Better:
        Retry failed calls a few times with exponential backoff and jitter; the writes'
        idempotency makes the repeats harmless.
    """
    if design.failure.retries.enabled:
        return
    api = _other(design, 4, "api")
    if api is None:
        return
    writes = [e for e in api.endpoints if e.method in WRITE_METHODS]
    if writes and all(e.idempotency not in NOT_IDEMPOTENT for e in writes):
        yield Hit(
            field="retries.enabled",
            message="Retries are off, yet "
            + (f"all {len(writes)} writes" if len(writes) > 1 else "the write")
            + " of phase 4 "
            + ("are" if len(writes) > 1 else "is")
            + " safe to repeat: what happens to a request that fails once on a blip?",
            hint="Which failures go away if the call is simply made again a moment later?",
            fix="Turn retries on with exponential backoff and jitter, and a small maximum.",
        )


# More attempts than this turn a request that can never succeed into a load of its own.
MANY_ATTEMPTS = 10


# A wait longer than this on one call holds a request-serving thread for a whole request.
LONG_TIMEOUT_MS = 30_000


def long_wait_without_breaker(design: Design) -> Iterator[Hit]:
    """A server that answers requests waits a long time on a call, with no breaker.

    Why it matters:
        Each request waiting on a slow callee holds a thread or a connection. With a
        timeout of a minute and nothing to stop calling a node that has gone slow, one
        bad node ties up every server's connections within seconds, and the whole tier
        stops answering, including the requests that never needed that node.
    Triggers:
        A call from an application server with a timeout of 30 s or more and no circuit
        breaker, to a callee not classified hard (a hard callee is the breaker rule's).
    Better:
        A timeout near the callee's own p99 (hundreds of milliseconds), and a circuit
        breaker that fails fast while the callee is unhealthy.
    """
    arch = _other(design, 5, "architecture")
    failure = design.failure
    for call in failure.calls:
        if call.circuit_breaker or call.timeout_ms is None or call.timeout_ms < LONG_TIMEOUT_MS:
            continue
        caller = _component(arch, call.caller)
        if caller is None or caller.type != "app_server":
            continue
        row = failure.for_component(call.callee) if call.callee else None
        if row is not None and row.dependency == "hard":
            continue  # hard_call_without_breaker reports it
        yield Hit(
            field=f"{call.field}.timeout",
            message=f"{_quoted(call.caller)} may wait {call.timeout} on {_quoted(call.callee)} "
            "with no circuit breaker: while it is slow, every request holds a connection "
            "that long. What stops the callers piling up?",
            hint="How many requests arrive in the time one call may wait?",
            fix="Set a timeout near the callee's p99 and add a circuit breaker that fails "
            "fast while it is unhealthy.",
        )


# A call may wait this many times the whole request's p99 target before it is asked about.
TIMEOUT_OVER_TARGET = 10
# Components whose timeout is the outer one, around the whole request: not a call inside it.
_OUTER_TYPES = ("dns", "cdn", "load_balancer_l4", "load_balancer_l7")


def timeout_beyond_the_target(design: Design) -> Iterator[Hit]:
    """A call inside a request may wait ten times the request's whole p99 target.

    Why it matters:
        A timeout is how long one slow dependency can hold the request that made the
        call. When it is many times the request's own latency target, a callee that goes
        slow (not down) makes every request miss its target by that much before anything
        gives up, falls back or fails over; the target then holds only while every
        dependency is healthy.
    Triggers:
        A call with a timeout at least ten times phase 1's p99 target for the read path,
        made by a synchronous step of phase 5's read path to another synchronous step of
        it, or to a component on no path. Calls made by a load balancer, a CDN or DNS
        (the timeout around the whole request) are not asked about, nor calls to a
        component the paths reach only after the answer. Computed from the learner's own
        timeout and target.
    Better:
        A timeout inside the budget (a few times the callee's own p99, well under the
        request's target), with a fallback or a fast failure when it runs out.
    """
    arch = _other(design, 5, "architecture")
    if arch is None:
        return
    target = read_target(design, arch)
    if target is None or not target.milliseconds:
        return
    budget = target.milliseconds
    on_read = {s.component.strip().lower() for s in arch.read_path if not s.is_async}
    on_paths = on_read | {s.component.strip().lower() for s in (*arch.read_path, *arch.write_path)}
    for call in design.failure.calls:
        if call.timeout_ms is None or call.timeout_ms < TIMEOUT_OVER_TARGET * budget:
            continue
        caller, callee = call.caller.strip().lower(), call.callee.strip().lower()
        component = _component(arch, call.caller)
        if component is not None and component.type in _OUTER_TYPES:
            continue
        if caller not in on_read or (callee in on_paths and callee not in on_read):
            continue  # a call of another flow, or to a step after the answer
        times = call.timeout_ms / budget
        yield Hit(
            field=f"{call.field}.timeout",
            message=f"{_quoted(call.caller)} may wait {call.timeout} on "
            f"{_quoted(call.callee)}, {times:,.0f} times the {target.target} {target.unit} p99 "
            f'target of "{target.label}": while it is slow, every such request misses its '
            "target by that much before anything gives up. Is that the intent?",
            arithmetic=f"{call.timeout_ms:,.0f} ms ÷ {budget:,.4g} ms = {times:,.0f}×",
            hint="How much of the request's budget may this one call spend?",
            fix="Set the timeout inside the request's budget and say what happens when it "
            "runs out (a fallback, a default, a fast error).",
        )


def retries_without_end(design: Design) -> Iterator[Hit]:
    """Retries allowed so many times that a request that can never succeed keeps coming back.

    Why it matters:
        Most failures that a retry fixes are gone by the second or third attempt. A task
        that fails for good (a corrupt file, a malformed message) is retried as many times
        as allowed: at a hundred attempts, each poison task costs a hundred runs and comes
        back for hours, crowding out the work that could succeed. A few attempts, then a
        dead-letter queue for a person to look at, end it.
    Triggers:
        Retries enabled with a maximum of more than 10 attempts.
    Better:
        Three to five attempts with backoff, then the request or task goes to a
        dead-letter queue (or fails to the caller) and is looked at.
    """
    retries = design.failure.retries
    if not retries.enabled or not retries.max_attempts.isdigit():
        return
    attempts = int(retries.max_attempts)
    if attempts > MANY_ATTEMPTS:
        yield Hit(
            field="retries.max_attempts",
            message=f"Up to {attempts} attempts: a request or task that can never succeed "
            f"runs {attempts} times before anything gives up. Where does it go after a few?",
            hint="What happens to a message that fails every time, for a reason a retry "
            "cannot fix?",
            fix="Cap retries at three to five, then send the failure to a dead-letter queue "
            "(or back to the caller).",
        )


def retries_without_backoff(design: Design) -> Iterator[Hit]:
    """Retries without exponential backoff, or without jitter.

    Why it matters:
        Immediate retries multiply the load on a dependency at the moment it is already
        failing, and keep it down. Backoff spaces each client's attempts further apart;
        jitter spreads different clients so that they do not all come back in the same
        instant.
    Triggers:
        Retries enabled with backoff not ticked (an error), or with backoff but no
        jitter (a warning).
    Better:
        Three attempts at most, waiting about 100 ms, 200 ms, 400 ms, each with a random
        part added.
    """
    retries = design.failure.retries
    if not retries.enabled:
        return
    if not retries.backoff:
        yield Hit(
            field="retries.backoff",
            message="Retries are on without backoff: failed calls come straight back at a "
            "dependency that is already in trouble.",
            hint="How quickly would thousands of clients retry after the same failure?",
            fix="Wait longer before each attempt (doubling the delay), and add jitter.",
        )
    elif not retries.jitter:
        yield Hit(
            field="retries.jitter",
            message="Retries back off but without jitter: clients that failed together "
            "retry together, in waves.",
            hint="What spreads out clients that all failed at the same moment?",
            fix="Add a random part to each wait.",
            severity=Severity.WARNING,
        )


def call_without_timeout(design: Design) -> Iterator[Hit]:
    """A call between components with no timeout.

    Why it matters:
        Without a timeout, a caller waits as long as the callee takes, and a slow
        dependency holds on to the caller's threads and connections until none are left.
        The caller then fails although its own code is fine. A timeout turns slowness
        into a quick error that can be handled.
    Triggers:
        A call row with a caller or a callee and no timeout.
    Better:
        App servers to the database primary: 200 ms; to the cache: 20 ms; each a little
        above the callee's p99 and well under the caller's own target.
    """
    for call in design.failure.calls:
        if (call.caller or call.callee) and not call.timeout:
            yield Hit(
                field=f"{call.field}.timeout",
                message=f"The call from {_quoted(call.caller)} to {_quoted(call.callee)} "
                "has no timeout.",
                hint="How long should the caller wait before it gives up?",
                fix="Set a timeout a little above the callee's p99, e.g. 200 ms.",
            )


# Callers that stop sending to a failing backend by health checks of their own.
_HEALTH_CHECKING = frozenset({"load_balancer_l4", "load_balancer_l7", "cdn"})


def hard_call_without_breaker(design: Design) -> Iterator[Hit]:
    """A call to a hard dependency without a circuit breaker.

    Why it matters:
        Timeouts alone still send every request to a dependency that is down, and each
        one waits out its timeout. A circuit breaker notices the errors, stops calling
        for a while and fails at once, which frees the caller and gives the dependency
        room to recover.
    Triggers:
        A call whose callee is a component classified hard, with circuit breaker not
        ticked. A load balancer's or a CDN's calls are left out: their health checks
        take a failing backend out of rotation, which is what a breaker does.
    Better:
        A breaker on the app servers' calls to the database that opens after a burst of
        errors and lets one trial request through after a pause.
    """
    failure = design.failure
    arch = _other(design, 5, "architecture")
    for call in failure.calls:
        row = failure.for_component(call.callee) if call.callee else None
        caller = _component(arch, call.caller)
        if caller is not None and caller.type in _HEALTH_CHECKING:
            continue  # a balancer or a CDN takes a failing backend out by its health checks
        if row is not None and row.dependency == "hard" and not call.circuit_breaker:
            yield Hit(
                field=f"{call.field}.circuit_breaker",
                message=f"The call from {_quoted(call.caller)} to {_quoted(call.callee)}, "
                "a hard dependency, has no circuit breaker.",
                hint="While it is down, does every request still wait for its timeout?",
                fix="Wrap the call in a circuit breaker that fails fast while the "
                "dependency is unhealthy.",
            )


# The costs of loss for which an acknowledged write must survive a primary's failure.
CRITICAL_LOSS = ("catastrophic", "high")


def async_replication_of_critical_data(design: Design) -> Iterator[Hit]:
    """Asynchronous replication on a store whose data phase 1 says is catastrophic to lose.

    Why it matters:
        An asynchronous replica is always a little behind. When the primary dies and the
        replica is promoted, the writes it had not yet received are gone, even though
        users were told they succeeded. That can be a fair trade across regions, but it
        must be chosen knowingly for data whose loss phase 1 calls catastrophic.
    Triggers:
        A database primary, object storage or queue with replication "async", while a
        phase 1 durability row says losing some data is catastrophic or costly ("high"):
        the row whose data
        shares a word with the store's name or reason, or any such row when none matches
        any of these stores. Reported as a warning: it can be a deliberate trade-off.
    Better:
        Synchronous replication to a standby in another zone (no acknowledged write is
        lost), with asynchronous copies only across regions.
    """
    req = _other(design, 1, "requirements")
    arch = _other(design, 5, "architecture")
    if req is None or arch is None:
        return
    critical = [d for d in req.durability if d.cost_of_loss in CRITICAL_LOSS and d.data]
    if not critical:
        return

    def data_words(text: str) -> set[str]:
        return set(stems(text)) - _GENERIC_NAME_WORDS

    component_words = {
        c.name: data_words(f"{c.name} {c.why}")
        for c in arch.components
        if c.type in SYSTEM_OF_RECORD_TYPES
    }
    matched_any = any(
        data_words(d.data) & words for d in critical for words in component_words.values()
    )
    for row in design.failure.components:
        component = _component(arch, row.component)
        if component is None or row.replication != "async":
            continue
        if component.type not in SYSTEM_OF_RECORD_TYPES:
            continue
        words = component_words.get(component.name, set())
        matching = [d for d in critical if data_words(d.data) & words]
        durability = matching[0] if matching else (None if matched_any else critical[0])
        if durability is None:
            continue
        yield Hit(
            field=f"{row.field}.replication",
            message=f"{_quoted(component.name)} replicates asynchronously, but phase 1 says "
            f"losing {durability.data} "
            f"{'is catastrophic' if durability.cost_of_loss == 'catastrophic' else 'costs a lot'}"
            ": a failover can drop the writes the "
            "replica had not yet received.",
            hint="Which acknowledged writes are lost if the primary dies now?",
            fix="Replicate synchronously to a standby in another zone, keeping "
            "asynchronous copies for other regions; or say in phase 1 why some loss is "
            "acceptable.",
        )


def calls_not_listed(design: Design) -> Iterator[Hit]:
    """No calls listed, while the phase 5 paths have synchronous hops between components.

    Why it matters:
        Each synchronous hop is a place where the user's request can hang on a slow
        component. The call list is where each one gets its timeout and circuit breaker;
        an empty list means none of them has been thought about.
    Triggers:
        No call row with a caller or callee, and a phase 5 path with two consecutive
        steps, neither async, at different declared components.
    Better:
        One row per hop: load balancer to app servers, app servers to the cache, app
        servers to the database; each with its timeout.
    """
    if any(call.caller or call.callee for call in design.failure.calls):
        return
    arch = _other(design, 5, "architecture")
    if arch is None:
        return
    hops: list[str] = []
    for key in ("write_path", "read_path"):
        steps = [
            (step, arch.component(step.component))
            for step in arch.path(key)
            if step.component and not step.is_async
        ]
        declared = [(step, c) for step, c in steps if c is not None]
        for (_a, first), (_b, second) in zip(declared, declared[1:], strict=False):
            hop = f"{first.name} → {second.name}"
            if first is not second and hop not in hops:
                hops.append(hop)
    if hops:
        shown = ", ".join(hops[:3]) + (f" and {len(hops) - 3} more" if len(hops) > 3 else "")
        yield Hit(
            field="calls",
            message=f"No calls are listed, but phase 5's paths have {len(hops)} synchronous "
            f"hop(s): {shown}.",
            hint="Which component waits on which, and for how long at most?",
            fix="Add a row per hop with its timeout and whether a circuit breaker wraps it.",
        )


# -- A guard on every request ---------------------------------------------------------------

# A count held against a caller's limit: "under the limit", "over their per-minute limit",
# "40 times the limit" (not "within the latency limit").
_AGAINST_A_LIMIT = (
    r"\b(over|under|against|exceeds?|times) (the |their |its |a )?"
    r"(caller's |client's |user's |customer's |tenant's |key's )?"
    r"(per-\S+ |rate |request |call |hourly |daily |minute |monthly )*limits?\b"
)
# What a check that guards requests speaks of: limits and quotas, sessions, tokens,
# authentication and authorisation ("add this request if under the limit", "check the
# session token", "the caller's permissions").
_GUARD = re.compile(
    r"rate[- ]?limit|\blimiter|throttl|\bquotas?\b|\blimit checks?\b|"
    rf"{_AGAINST_A_LIMIT}|"
    r"authori[sz]|authenticat|\bpermissions?\b|access control|\bacls?\b|entitlement|"
    r"\b(check|validat|verif|look(s|ing)? up)\w* (\S+ ){0,3}(sessions?|tokens?|api keys?|"
    r"credentials|signatures?)\b|"
    r"\b(sessions?|tokens?|api keys?|credentials) (check|validation|lookup|store)",
    re.IGNORECASE,
)
# Stores a guard may consult.
GUARD_STORE_TYPES = ("cache", "db_primary", "db_replica")
# A design saying what a guard does when it cannot check: fail open or closed, let the
# requests through, refuse them all, fall back to a local count.
_FAIL_MODE = re.compile(
    r"\bfail(s|ing|ed)?[- ](open|closed?|safe|secure|static)\b|"
    r"\blet(s|ting)? (\S+ ){0,3}through\b|\bdeny by default\b|"
    r"\b(allow|admit|accept|serve|pass)(s|es|ed|ing)? (all|every|each|any) (\S+ )?"
    r"(requests?|calls?)\b|"
    r"\b(reject|refuse|deny|denie|block|drop)(s|d|ed|ing)? (all|every|each|any) (\S+ )?"
    r"(requests?|calls?)\b",
    re.IGNORECASE,
)
# What a failure row says happens to the requests the guard checks: refused, errors,
# signed out, or let through.
_REQUEST_FATE = re.compile(
    r"\b(refus|reject|den(y|ied|ies)|block|turned away|fail|error|unavailable|logged out|"
    r"signed out|sign in again|log in again|through|unlimited|unthrottled|unchecked|"
    r"allowed|admitted|over (their|the|its) limits?)\w*|\b[45]\d\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Guard:
    component: Component
    # The words of the design that show it guards requests.
    said: str


def _every_request_reaches(arch: Architecture) -> list[str]:
    """The components every request passes through on its way in: on the synchronous
    steps of both branches of every path drawn (normalised names)."""
    paths = [arch.path(key) for key in ("write_path", "read_path") if arch.path(key)]
    if not paths:
        return []
    sets = [
        {_same(step.component) for step in path if not step.is_async and not step.branch}
        for path in paths
    ]
    common = set.intersection(*sets)
    return [name for name in sets[0] if name in common]


def _guard_stores(arch: Architecture) -> list[Guard]:
    """Stores that every request reaches, consulted by a check that guards requests: the
    store's name, its reason, its steps, or the step just before one of them speaks of a
    limit, a quota, a session or token check, authentication or permissions."""
    found = []
    for name in _every_request_reaches(arch):
        component = arch.component(name)
        if component is None or component.type not in GUARD_STORE_TYPES:
            continue
        said = ""
        for text in (component.name, component.why):
            match = _GUARD.search(text)
            if match and not said:
                said = text
        for key in ("write_path", "read_path"):
            steps = arch.path(key)
            for index, step in enumerate(steps):
                if said or _same(step.component) != name or step.is_async:
                    continue
                before = steps[index - 1].action if index else ""
                for text in (step.action, before):
                    if _GUARD.search(text) and not said:
                        said = text
        if said:
            found.append(Guard(component, said))
    return found


def guard_without_failure_behaviour(design: Design) -> Iterator[Hit]:
    """A store that a check on every request consults, with nothing said about what the
    check does when the store is down.

    Why it matters:
        A rate limiter's counters, a session or token store, a permissions lookup: every
        request waits on them, so their outage is everyone's outage unless the guard has
        a decided answer. Failing open lets requests through unchecked (the API stays up,
        abusers get a window); failing closed refuses them (nothing gets past, and the
        guard takes the service down with it). Either can be right: a rate limiter
        usually fails open, an authorisation check closed. Not deciding means the
        timeout decides, at 3 a.m.
    Triggers:
        A cache or database that every request reaches (a synchronous step on every path
        drawn in phase 5), whose name, reason or steps (or the step just before one)
        speak of a limit, a quota, a session or token check, authentication or
        permissions; its phase 8 row does not say what happens to the requests (refused,
        let through, errors, signed out) and does not fall back, and nowhere does the
        design say it fails open or closed. Textual, so a warning that asks.
    Better:
        "Counter store down: the gateways fail open after a 5 ms timeout, so callers may
        exceed their limit for the seconds a failover takes; abuse is bounded by the
        local per-gateway limit."
    """
    arch = _other(design, 5, "architecture")
    if arch is None:
        return
    guards = _guard_stores(arch)
    if not guards:
        return
    if any(_FAIL_MODE.search(text) for text in design.everything_said):
        return
    for guard in guards:
        row = design.failure.for_component(guard.component.name)
        if row is None or not row.dependency:
            continue  # unclassified_component asks for the row first
        if row.mitigation == "fallback" or _REQUEST_FATE.search(row.user_sees):
            continue
        name = _quoted(guard.component.name)
        if row.dependency == "hard":
            question = (
                "You classify it as hard, so when it is down every request fails: the guard "
                "takes the service down with it. Is failing closed what you want, and why?"
            )
        else:
            question = (
                "When it is unavailable, does the check let requests through (fail open) or "
                "refuse them (fail closed), and why?"
            )
        yield Hit(
            field=f"{row.field}.user_sees",
            message=f'{name} is consulted by a check on every request ("{guard.said}"). '
            + question,
            hint="If this store stopped answering for a minute, what would the check do "
            "with the requests waiting on it?",
            fix="Say whether the check fails open or closed when the store is unreachable, "
            "after what timeout, and why that is the lesser harm for this system.",
        )


# What a limiter's store is named or used for: counts held against a rate limit or a quota.
_LIMITER = re.compile(
    rf"rate[- ]?limit|\blimiter\b|throttl|\bquotas?\b|{_AGAINST_A_LIMIT}",
    re.IGNORECASE,
)
# A failure row saying the guarded requests are refused while the store is down.
_FAILS_CLOSED = re.compile(
    r"\bfail(s|ing|ed)?[- ]clos|"
    r"\b(refus|reject|den(y|ie)|block)\w* (all|every|each|any) (\S+ ){0,2}(requests?|calls?)\b|"
    r"\b(all|every|each) (\S+ ){0,5}(requests?|calls?) (\S+ ){0,4}(is|are|get|gets) "
    r"(refused|rejected|denied|blocked|an? error|errors|5\d\d)",
    re.IGNORECASE,
)
# A reason given in the same breath: "fails closed because the provider bills per call".
_BECAUSE = re.compile(r"\b(because|since|so that|to protect|otherwise|rather than)\b", re.I)


def _limiter_stores(arch: Architecture) -> list[Component]:
    """Stores named or used for counts held against a rate limit or a quota."""
    found = []
    for c in arch.components:
        if c.type not in GUARD_STORE_TYPES or not c.name:
            continue
        steps = [
            step.action
            for key in ("write_path", "read_path")
            for step in arch.path(key)
            if _same(step.component) == _same(c.name)
        ]
        if any(_LIMITER.search(text) for text in (c.name, c.why, c.without, *steps)):
            found.append(c)
    return found


def limiter_fails_closed(design: Design) -> Iterator[Hit]:
    """A rate limiter that refuses every request while its store is down, under a 99.99%
    availability target.

    Why it matters:
        A rate limiter protects the service from a few callers asking too much. If it
        refuses every request whenever its counter store is unavailable (a failover, a
        network blip), it turns a small outage of a helper into an outage of the whole
        API: the limiter takes down what it protects. For a limiter, letting requests
        through for the seconds a failover takes (callers briefly over their limit) is
        usually the lesser harm; an authorisation check is the opposite case and is not
        asked about here.
    Triggers:
        Phase 1's availability at 99.99% or more, and the phase 8 row of a cache or
        database named or used for rate limits or quotas (its name, reason, "what breaks
        without it" or its steps speak of a limit, a limiter, throttling or a quota)
        saying that requests are refused while it is down (fails closed, every call
        refused, every request gets a 500), with no reason in the same sentence. Textual,
        so a warning that asks.
    Better:
        "Counter store down: the gateways fail open after a 3 ms timeout, so callers may
        briefly exceed their limit; a local per-gateway limit bounds the abuse."
    """
    req = _other(design, 1, "requirements")
    percent = req.availability_percent if req is not None else None
    arch = _other(design, 5, "architecture")
    if percent is None or percent < HIGH_AVAILABILITY or arch is None:
        return
    for component in _limiter_stores(arch):
        row = design.failure.for_component(component.name)
        if row is None:
            continue
        closed = [
            clause
            for clause in re.split(r"[.;]", row.user_sees)
            if _FAILS_CLOSED.search(clause) and not _BECAUSE.search(clause)
        ]
        if not closed:
            continue
        target = allowed_downtime(percent)
        yield Hit(
            field=f"{row.field}.user_sees",
            message=f"{_quoted(component.name)} holds the counts of a rate limiter, and while "
            f'it is down the limiter refuses the requests it guards ("{closed[0].strip()}"): '
            f"the limiter takes down the API it protects, under a {percent:g}% target that "
            f"allows {target.per_year} of downtime a year. Is refusing them the lesser harm, "
            "and why?",
            hint="While the counter store fails over, what is worse: a few callers over "
            "their limit for a few seconds, or every caller refused?",
            fix="Let the requests through (fail open) after a short timeout while the store "
            "is unavailable, bounded by a local per-instance limit, or say why refusing "
            "them is right for this system.",
        )


def export_section(design: Design) -> list[str]:
    """Phase 8's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    f = design.failure
    out = ["### Components", ""]
    out.append(
        table(
            [
                "Component",
                "Dependency",
                "What users see",
                "Mitigation",
                "Replication",
                "Automatic failover",
            ],
            [
                [
                    cell(c.component),
                    cell(LAYOUT.label("dependency", c.dependency, "components")),
                    cell(c.user_sees),
                    cell(LAYOUT.label("mitigation", c.mitigation, "components")),
                    cell(LAYOUT.label("replication", c.replication, "components")),
                    yes(c.automatic_failover),
                ]
                for c in f.components
            ],
            empty="_None classified._",
        )
    )
    out += ["", "### Calls", ""]
    out.append(
        table(
            ["Caller", "Callee", "Timeout", "Circuit breaker"],
            [
                [cell(c.caller), cell(c.callee), cell(c.timeout), yes(c.circuit_breaker)]
                for c in f.calls
            ],
            empty="_None listed._",
        )
    )
    r = f.retries
    out += ["", "### Retries", ""]
    out.append(field_line("Retries", yes(r.enabled)))
    out.append(field_line("Operations retried", r.operations))
    out.append(field_line("Exponential backoff", yes(r.backoff)))
    out.append(field_line("Jitter", yes(r.jitter)))
    out.append(field_line("Maximum attempts", r.max_attempts))
    availability = capacity_model(design).get("availability")
    if isinstance(availability, dict) and availability:
        out += ["", "### Availability of the synchronous chain", ""]
        for key, value in sorted(availability.items()):
            if isinstance(value, dict | list):
                continue
            out.append(field_line(key.replace("_", " ").capitalize(), plain(value)))
    return out


UNIT = PhaseUnit(
    number=8,
    slug="failure",
    title="Failure",
    goal="Assume every component fails. Classify each dependency, and make sure that "
    "hard ones are redundant and that no fallback sets off a cascade.",
    questions=(
        "For each component: hard, soft or transparent dependency?",
        "What do users see when it fails?",
        "Replication, failover, degradation or fallback: which, and how fast?",
        "Does every external call have a timeout and a circuit breaker?",
        "Which retries are safe, and with what backoff and jitter?",
    ),
    rule_prefix="FAIL",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    export=export_section,
)
