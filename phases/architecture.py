"""Phase 5, architecture: components, and the write and read paths drawn separately.

Answer shape, version 1 (documented in ``docs/answers.md``)::

    {
      "version": 1,
      "components": [
        {"name": "lb", "type": "load_balancer_l7", "count": "2",
         "why": "spreads 23,000 reads/s over the app servers",
         "without": "one app server takes all traffic and is a single point of failure",
         "stateful": false}
      ],
      "write_path": [{"component": "lb", "action": "forward", "branch": "", "async": false}],
      "read_path":  [{"component": "cache", "action": "look up the code", "branch": "",
                      "async": false},
                     {"component": "db", "action": "query by code", "branch": "miss",
                      "async": false}]
    }

Each path is an ordered list of steps from the client inward. A step may belong to the
cache-hit or cache-miss branch, and may be asynchronous (after the user has their answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict

from phases import capacity
from phases.engine.answers import JSON, AnswerShapeError, Reader
from phases.engine.findings import Evidence, Hit, Severity
from phases.engine.unit import (
    Expectation,
    Layout,
    PhaseUnit,
    Problems,
    Rows,
    checkbox_field,
    choice_field,
    is_text_list,
    text_field,
)
from phases.knowledge.components import COMPONENT_TYPES, DURABLE_TYPES, LOAD_BALANCERS
from phases.knowledge.reference import CAPACITIES_BY_KEY
from phases.reading.quantities import format_value, parse_quantity
from phases.reading.text import has_figure, stem, stems, words
from phases.rendering import diagram
from phases.rendering.markdown import cell, inline, table, yes

if TYPE_CHECKING:
    from phases.engine.design import Design
    from phases.requirements import Requirements

# 2: components may state what one instance handles (``capacity``); version 1 documents
# have no such key and are read as they are.
SCHEMA_VERSION = 2

BRANCHES = ("hit", "miss")
PATHS = ("write_path", "read_path")


@dataclass(frozen=True)
class Component:
    field: str
    name: str
    type: str
    count_text: str
    count: int | None
    why: str
    without: str
    stateful: bool
    # What one instance handles a second, as the learner states it ("" when not).
    capacity_text: str = ""
    capacity_per_s: float | None = None

    @property
    def label(self) -> str:
        return self.name or COMPONENT_TYPES.get(self.type, "(unnamed component)")


@dataclass(frozen=True)
class Step:
    field: str
    component: str
    action: str
    branch: str
    is_async: bool


@dataclass(frozen=True)
class Architecture:
    components: tuple[Component, ...]
    write_path: tuple[Step, ...]
    read_path: tuple[Step, ...]

    def component(self, name: str) -> Component | None:
        """The declared component a step names (case and spacing ignored)."""
        return self._by_name.get(" ".join(name.lower().split()))

    @cached_property
    def _by_name(self) -> dict[str, Component]:
        """Normalised name to the first component declared with it; built once."""
        found: dict[str, Component] = {}
        for c in self.components:
            found.setdefault(" ".join(c.name.lower().split()), c)
        return found

    def path(self, key: str) -> tuple[Step, ...]:
        steps: tuple[Step, ...] = getattr(self, key)  # write_path or read_path
        return steps


# A step of the write or the read path; the component is suggested from those declared.
STEP_FIELDS = (
    text_field(
        "component",
        "Component",
        placeholder="a component named above",
        suggest="declared-components",
    ),
    text_field("action", "What happens", placeholder="e.g. reserve the copy"),
    choice_field("branch", "Branch", BRANCHES, {"hit": "cache hit", "miss": "cache miss"}),
    checkbox_field("async", "Asynchronous", "Happens after the user has their answer."),
)

# The form: the components, then the write path and the read path.
LAYOUT = Layout(
    lists=(
        Rows(
            "components",
            (
                text_field("name", "Name", placeholder="e.g. loans-db"),
                choice_field("type", "Kind", tuple(COMPONENT_TYPES), COMPONENT_TYPES),
                text_field("count", "How many", placeholder="N"),
                text_field(
                    "why",
                    "Why it exists",
                    placeholder="e.g. N reads/s to serve",
                ),
                text_field(
                    "without", "What breaks without it", placeholder="e.g. renewals time out"
                ),
                checkbox_field(
                    "stateful",
                    "Keeps state",
                    "Sessions or data in the server's own memory or disk.",
                ),
                text_field(
                    "capacity",
                    "One instance handles",
                    help_text="Optional. Phase 7 uses it instead of the tutor's figure.",
                    placeholder="e.g. N requests/s",
                ),
            ),
        ),
        Rows("write_path", STEP_FIELDS),
        Rows("read_path", STEP_FIELDS),
    ),
)


def empty() -> JSON:
    return {"version": SCHEMA_VERSION, "components": [], "write_path": [], "read_path": []}


def parse(data: JSON) -> Architecture:
    r = Reader(data)
    d = r.data
    components = []
    for path, row in r.rows(d, "components", "components"):
        count_text = r.text(row, "count", f"{path}.count")
        count = None
        if count_text:
            if count_text.isdigit() and 0 < int(count_text) <= 100_000:
                count = int(count_text)
            else:
                r.error(
                    f"{path}.count",
                    f"Write how many as a whole number, e.g. 3 (got {count_text!r}).",
                )
        capacity_text = r.text(row, "capacity", f"{path}.capacity")
        capacity = (
            r.parsed(
                f"{path}.capacity",
                lambda t: parse_quantity(t, expect="rate"),
                capacity_text,
            )
            if capacity_text
            else None
        )
        components.append(
            Component(
                field=path,
                name=r.text(row, "name", f"{path}.name"),
                type=r.text(row, "type", f"{path}.type", choices=tuple(COMPONENT_TYPES)),
                count_text=count_text,
                count=count,
                why=r.text(row, "why", f"{path}.why"),
                without=r.text(row, "without", f"{path}.without"),
                stateful=r.flag(row, "stateful", f"{path}.stateful"),
                capacity_text=capacity_text,
                capacity_per_s=capacity.value if capacity is not None else None,
            )
        )
    paths = {}
    for key in PATHS:
        paths[key] = tuple(
            Step(
                field=path,
                component=r.text(row, "component", f"{path}.component"),
                action=r.text(row, "action", f"{path}.action"),
                branch=r.text(row, "branch", f"{path}.branch", choices=BRANCHES),
                is_async=r.flag(row, "async", f"{path}.async"),
            )
            for path, row in r.rows(d, key, key)
        )
    architecture = Architecture(components=tuple(components), **paths)
    r.raise_if_errors()
    return architecture


class Figures(TypedDict):
    write_svg: str
    read_svg: str
    write_steps: list[str]  # the steps in words, for the list beside each drawing
    read_steps: list[str]


def figures(arch: Architecture | None) -> Figures:
    """The two paths drawn as SVG, with their steps in words."""
    return {
        "write_svg": diagram.path_svg(arch, "write_path", "Write path"),
        "read_svg": diagram.path_svg(arch, "read_path", "Read path"),
        "write_steps": diagram.steps_in_words(arch, "write_path"),
        "read_steps": diagram.steps_in_words(arch, "read_path"),
    }


def computed(design: Design) -> Figures:
    """The two paths drawn as SVG, for the page and the export."""
    return figures(design.architecture)


# -- Rules ----------------------------------------------------------------------------------
#
# Each rule takes a Design and yields Hits; the registry gives each its code and severity.
# A step "reaches" a component when its ``component`` names a declared one
# (``Architecture.component``); steps naming nothing known are reported once, by
# ``undeclared_step``, and ignored by every other rule.

# Where a cache miss may go: stores that hold the data for real.
SYSTEMS_OF_RECORD = ("db_primary", "db_replica", "object_storage", "search")
# Components that serve no single operation, so need not appear on a path: DNS resolves
# the name before the first step, a CDN serves static files in front of everything, and
# batch jobs run on a timer, not on a user's request.
OFF_PATH_TYPES = ("dns", "cdn", "batch")
# Kinds of component that count as one more service to build, deploy and watch.
SERVICE_TYPES = ("app_server", "worker")
# Below this many reads per write, a cache has little to repeat.
READ_HEAVY_RATIO = 2.0
# Below this many requests a second at peak, one database and one service suffice.
SMALL_SCALE_PER_S = 1_000.0
# More services than this is "many".
MANY_SERVICES = 5

_CLAUSE = re.compile(r"[.;,:!?()]|\bbut\b|\bwhile\b|\bwhereas\b")
_NEGATION = re.compile(r"\b(no|not|never|without|nothing|none|stateless|instead of)\b|n't\b")
_STATE = re.compile(r"\b(sessions?|state|logged[- ]in users?|shopping carts?)\b")
_LOCAL = re.compile(
    r"\b(in[- ]memory|in (its|their|local|process) memory|in the memory of|in[- ]process|"
    r"locally|local|"
    r"on (the|each|that|one) (server|instance|machine|box|node|host)|on (local )?disk)\b"
)
_STICKY = re.compile(
    r"\b(sticky|stateful|session affinity|affinity)\b|"
    r"\bpin(s|ned|ning)? [^,;.]{0,40}\bto (a|one|the same|that|its) (server|instance|node)\b"
)
_SHARD = re.compile(r"\bshard(s|ed|ing)?\b")

# Words that add nothing to a reason: "we need a cache here" says no more than "cache".
_FILLER = frozenset(
    stems(
        "we need needs needed use uses using used have has add added adding it this that "
        "these there here our us standard practice best common usual usually always every "
        "good idea layer component box part tier thing things required necessary because "
        "so just some do does provide provides providing one main our own also very we'll "
        "i you your basic simple typical typically normal normally default",
        keep_stopwords=True,
    )
)
# Words that tie a reason to the workload or to an operation.
_OPERATION_WORDS = frozenset(
    stems(
        "read reads write writes request requests traffic lookup lookups query queries "
        "redirect redirects upload uploads download downloads latency durable durability "
        "available availability failover failure fails outage spike spikes peak bursts "
        "throughput hot miss misses hit hits visitor visitors client clients response "
        "respond responds fast slow expire expiry expired delete deletes create creates "
        "counts count counting click clicks view views event events search searches "
        "retry retries backlog lag replica replicate replication",
        keep_stopwords=True,
    )
)
# Requirement words too common to tie a reason to one requirement.
_GENERIC = frozenset(stems("see get make new how mani time one own want", keep_stopwords=True))
# A "without" that says nothing is lost.
_NOTHING_WORDS = frozenset(
    [
        "nothing",
        "none",
        "n",
        "a",
        "na",
        "no",
        "not",
        "really",
        "much",
        "breaks",
        "break",
        "happens",
        "happen",
        "would",
        "will",
        "it",
        "be",
        "is",
        "fine",
        "ok",
        "okay",
        "problem",
        "problems",
        "issue",
        "issues",
    ]
)
_NOTHING_MARKS = frozenset(("nothing", "none", "na", "n", "no", "fine", "ok", "okay"))


def _name(c: Component) -> str:
    return f'"{c.name}"' if c.name else f"the {COMPONENT_TYPES.get(c.type, 'unnamed')} component"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _count(c: Component) -> int:
    """How many of a component; an empty count is taken as one."""
    return c.count or 1


def _path_label(key: str) -> str:
    return "write path" if key == "write_path" else "read path"


def _resolved(arch: Architecture, key: str) -> list[tuple[int, Step, Component]]:
    """A path's steps that name a declared component, with their positions."""
    found = []
    for index, step in enumerate(arch.path(key)):
        component = arch.component(step.component) if step.component else None
        if component is not None:
            found.append((index, step, component))
    return found


def _says(text: str, *patterns: re.Pattern[str]) -> bool:
    """Whether one clause of ``text`` matches every pattern and negates nothing."""
    for clause in _CLAUSE.split((text or "").lower()):
        if all(p.search(clause) for p in patterns) and not _NEGATION.search(clause):
            return True
    return False


def _type_words(c: Component) -> set[str]:
    label = COMPONENT_TYPES.get(c.type, "")
    return set(stems(f"{label} {c.type.replace('_', ' ')} {c.name}", keep_stopwords=True))


def _reason_words(c: Component) -> set[str]:
    """The words of a component's reason beyond its own type and name and filler."""
    return set(stems(c.why)) - _type_words(c) - _FILLER


def _phase1(design: Design) -> Requirements | None:
    """Phase 1's answers, or None when there are none or they cannot be read."""
    if not design.has(1):
        return None
    try:
        return design.requirements
    except AnswerShapeError:
        return None


def _requirement_words(design: Design) -> set[str]:
    req = _phase1(design)
    if req is None:
        return set()
    return {w for fr in req.functional for w in stems(fr.text)} - _GENERIC


def _peaks(design: Design) -> tuple[float, float] | None:
    """Phase 2's peak writes and reads a second, recomputed from its assumptions; None
    unless phase 2 has answers from which both follow."""
    if not design.has(2):
        return None
    try:
        rows = {
            row["key"]: row.get("from_assumptions") for row in design.estimate_report["results"]
        }
    except AnswerShapeError:
        return None
    writes, reads = rows.get("peak_writes_per_s"), rows.get("peak_reads_per_s")
    if writes is None or reads is None:
        return None
    return writes, reads


def _rate(value: float) -> str:
    return f"{value:,.0f}/s" if value >= 10 else f"{value:.2g}/s"


def unbalanced_app_servers(design: Design) -> Iterator[Hit]:
    """More than one application server, and no load balancer in front of them.

    Why it matters:
        Clients know one address. With several servers behind it, something must pick a
        server for each request, notice when one dies and stop sending it traffic; that
        is the load balancer's job. Without one, extra servers sit idle or clients are
        pinned to one machine, and its failure takes their requests down with it.
    Triggers:
        Application servers with a count of 4, or two application-server components, and
        no load balancer (L4 or L7) among the components.
    Better:
        Add a load balancer (L7 for HTTP) in front of the application servers, two of
        them so that it is no single point of failure itself.
    """
    arch = design.architecture
    servers = [c for c in arch.components if c.type == "app_server"]
    total = sum(_count(c) for c in servers)
    if total < 2 or any(c.type in LOAD_BALANCERS for c in arch.components):
        return
    first = servers[0]
    what = (
        f"{len(servers)} application-server components ({total} servers)"
        if len(servers) > 1
        else f"{total} application servers ({_name(first)})"
    )
    yield Hit(
        field=f"{first.field}.count" if len(servers) == 1 else "components",
        message=f"You have {what} and no load balancer to spread requests over them.",
        hint="Which address does a client call, and who picks the server that answers?",
        fix="Add a load balancer in front of the application servers and put it first on "
        "both paths.",
    )


def stateful_app_servers(design: Design) -> Iterator[Hit]:
    """Application servers that keep state of their own: sessions, carts, sticky users.

    Why it matters:
        A server that remembers something between requests cannot be swapped for
        another. Users must stick to it, the load balancer cannot spread load freely,
        adding servers does not help the users already pinned, and a crash or a deploy
        loses what it held. Keeping state outside the servers is what lets you add,
        remove and restart them at will. Some state belongs on a server (the open
        WebSockets of a chat server), so this is a question, not an error.
    Triggers:
        An application server marked stateful, or whose reason or "without it" speaks
        of keeping sessions or state in memory, locally, or of sticky sessions (a
        clause that says "not", "no" or "stateless" does not count). A server marked
        stateful whose words speak of no sessions or sticky users (the open WebSockets of
        a chat server) is not asked when phase 8 already says what users see when one
        fails and how that is coped with.
    Better:
        Stateless servers: sessions and other per-user state live in a shared store
        (Redis, the database), so any server can answer any request.
    """
    for c in design.architecture.components:
        if c.type != "app_server":
            continue
        said_in = next(
            (
                key
                for key in ("why", "without")
                if _says(getattr(c, key), _STATE, _LOCAL) or _says(getattr(c, key), _STICKY)
            ),
            None,
        )
        if c.stateful and said_in is None and _failure_answered(design, c):
            continue  # what it holds is not sessions, and phase 8 says how a loss is met
        if c.stateful:
            field = f"{c.field}.stateful"
            said = "is marked stateful"
        elif said_in is not None:
            field = f"{c.field}.{said_in}"
            said = f'keeps state of its own ("{getattr(c, said_in)}")'
        else:
            continue
        yield Hit(
            field=field,
            message=f"The application server {_name(c)} {said}. What happens to that state "
            "when one of them restarts, and how does a request find the one that holds it?",
            hint="Connections a server must hold (WebSockets) can be re-opened elsewhere; "
            "sessions, carts and drafts are lost with the server unless they live in a "
            "shared store.",
            fix="Move sessions and other state to a shared store (a cache or the database) "
            "and make the servers stateless, so the load balancer can send any request "
            "anywhere.",
        )


def _failure_answered(design: Design, component: Component) -> bool:
    """Whether phase 8 already says what users see when one of these fails and how it is
    coped with: the question about the state it holds is answered there."""
    if not design.has(8):
        return False
    try:
        row = design.failure.for_component(component.name)
    except AnswerShapeError:
        return False
    return row is not None and bool(row.user_sees.strip()) and row.mitigation not in ("", "none")


def unexplained_component(design: Design) -> Iterator[Hit]:
    """A component without a reason, or whose reason only repeats what it is.

    Why it matters:
        Every box costs money, operations work and a new way to fail. If you cannot say
        which requirement needs it, it should not be in the design; "it is a cache"
        says what the box is, not why this system needs one.
    Triggers:
        A component whose "why" is empty, or uses only its own type, its name and
        filler words: "caching", "we need a load balancer", "standard practice".
    Better:
        Name the need: "keeps the hot 20% of links in memory so 99% of 23,000
        redirects/s never reach the database".
    """
    for c in design.architecture.components:
        if not c.why:
            yield Hit(
                field=f"{c.field}.why",
                message=f"{_cap(_name(c))} has no reason: why does it exist?",
                hint="Which requirement or which figure from your estimate needs this box?",
                fix="Say which operation or load it serves, or remove the component.",
            )
        elif not _reason_words(c):
            yield Hit(
                evidence=Evidence.TEXTUAL,
                field=f"{c.field}.why",
                message=f'Does the reason for {_name(c)} ("{c.why}") say why this system '
                "needs it? Read on its own, it only says what it is.",
                hint="What would go wrong, for which operation, without it?",
                fix="Name the operation or figure it serves, or remove the component.",
            )


def _names(text: str, name: str) -> bool:
    """Whether a text names a component by its whole name ("the nearest load balancer")."""
    return bool(re.search(rf"\b{re.escape(name.lower())}\b", text.lower()))


def reason_without_requirement(design: Design) -> Iterator[Hit]:
    """A component's reason that names no operation, requirement or figure.

    Why it matters:
        A reason that names no operation and no number ("improves performance",
        "for scalability") could be pasted into any design. Tying each box to an
        operation or a figure from the estimate is what shows it is needed here, and
        what tells you when it stops being needed.
    Triggers:
        A reason that has words beyond the component's own type but none of them an
        operation (reads, writes, redirects, traffic, latency, failover...), a word of a
        phase 1 requirement, a figure, or the name of another declared component (its
        role among them: "sends apps to the nearest load balancer"). "Spreads load over
        the servers" triggers: the load is the balancer's own name, not a figure.
    Better:
        "Spreads 23,000 redirects/s at peak over four servers and drops unhealthy ones."
    """
    components = design.architecture.components
    required = _requirement_words(design)
    tied = 0
    for c in components:
        reason = _reason_words(c)
        if not c.why or not reason:
            continue  # reported by unexplained_component
        # Its role among the other boxes ("sends apps to the nearest load balancer",
        # "serves follower lists to the fan-out workers") explains it as well.
        others = [o.name for o in components if o is not c and o.name]
        if (
            has_figure(c.why)
            or reason & (_OPERATION_WORDS | required)
            or any(_names(c.why, name) for name in others)
        ):
            tied += 1
            continue
        yield Hit(
            field=f"{c.field}.why",
            message=f'The reason for {_name(c)} ("{c.why}") names no operation, '
            "requirement or figure.",
            hint="Which operation from phase 1 needs it, and how much load does it take?",
            fix="Name the operation it serves and the figure from phase 2 that justifies it.",
        )
    if components and tied == len(components):
        yield Hit(
            field="components",
            message=f"Each of the {len(components)} components has a reason tied to an "
            "operation or a figure.",
            severity=Severity.PASS,
        )


def nothing_breaks_without(design: Design) -> Iterator[Hit]:
    """A component whose "what breaks without it" is empty, or says nothing breaks.

    Why it matters:
        Asking what fails when a box is removed is the quickest test of whether it is
        needed, and the answer becomes the failure analysis later. If nothing breaks,
        the box is there for show.
    Triggers:
        An empty "without it", or one that says nothing would break ("nothing",
        "n/a", "it would be fine").
    Better:
        "Every redirect queries the database: 23,000 reads/s, more than one replica
        serves."
    """
    for c in design.architecture.components:
        tokens = set(words(c.without))
        if not tokens:
            yield Hit(
                field=f"{c.field}.without",
                message=f"You do not say what breaks without {_name(c)}.",
                hint="Remove it in your head: which operation fails or slows down?",
                fix="Say what fails, for which operation, if this component is removed.",
            )
        elif tokens <= _NOTHING_WORDS and tokens & _NOTHING_MARKS:
            yield Hit(
                field=f"{c.field}.without",
                message=f'You say nothing breaks without {_name(c)} ("{c.without}"): then '
                "it does not belong in the design.",
                hint="If removing it changes nothing, what is it for?",
                fix="Remove the component, or name what would fail without it.",
            )


def missing_parts(design: Design) -> Iterator[Hit]:
    """No components declared, or a write or read path with no steps.

    Why it matters:
        The architecture is the components and the two paths through them. Drawing the
        write path and the read path separately is what shows where data becomes
        durable and where reads are served fast; without a path, neither can be
        checked.
    Triggers:
        An empty component list, an empty write path or an empty read path.
    Better:
        Declare the components, then list each path's steps from the client inward.
    """
    arch = design.architecture
    if not arch.components:
        yield Hit(
            field="components",
            message="No components are declared.",
            hint="What sits between the client and the data?",
            fix="Declare the components from the catalogue, each with a count and a reason.",
        )
    for key in PATHS:
        if not arch.path(key):
            yield Hit(
                field=key,
                message=f"The {_path_label(key)} has no steps.",
                hint=f"Which components does a {key.split('_')[0]} pass through, in order?",
                fix=f"List the {_path_label(key)}'s steps from the client inward.",
            )


def undeclared_step(design: Design) -> Iterator[Hit]:
    """A path step that names no component, or one that is not declared.

    Why it matters:
        A path is only as real as the components it passes through. A step through a
        box that is not declared has no count, no reason and no failure plan, and
        later phases (capacity, failure) cannot account for it.
    Triggers:
        A read-path step through "memcached" while the components list only "Redis
        cache"; a step with an action and no component.
    Better:
        Declare the component, or name one of the declared components in the step
        (case and spacing are ignored).
    """
    arch = design.architecture
    declared = ", ".join(f'"{c.name}"' for c in arch.components if c.name) or "none yet"
    for key in PATHS:
        for index, step in enumerate(arch.path(key), start=1):
            if not step.component:
                yield Hit(
                    field=f"{step.field}.component",
                    message=f"Step {index} of the {_path_label(key)} names no component.",
                    hint="Which box does this step happen in?",
                    fix=f"Choose one of the declared components ({declared}).",
                )
            elif arch.component(step.component) is None:
                yield Hit(
                    field=f"{step.field}.component",
                    message=f"Step {index} of the {_path_label(key)} goes through "
                    f'"{step.component}", which is not a declared component.',
                    hint=f"The declared components are: {declared}.",
                    fix="Declare it with a count and a reason, or name a declared component.",
                )


def component_on_no_path(design: Design) -> Iterator[Hit]:
    """A declared component that neither the write path nor the read path goes through.

    Why it matters:
        A box that no request passes through either serves no operation (and should
        go) or serves one whose path is not drawn (and that path is unchecked).
    Triggers:
        A search cluster declared and on neither path (a note only when its reason
        names the operation or the load it serves: phase 5 draws two paths, and
        a design has more operations than that). DNS, CDN and batch jobs are
        exempt: DNS resolves the name before the first step, a CDN serves static
        files in front of everything, and a batch job runs on a timer, not on a request.
    Better:
        Put the component on the path it serves (mark it async if it runs after the
        user has their answer), or remove it.
    """
    arch = design.architecture
    used = {id(component) for key in PATHS for _index, _step, component in _resolved(arch, key)}
    required = _requirement_words(design)
    for c in arch.components:
        if c.type in OFF_PATH_TYPES or id(c) in used:
            continue
        # Two paths cannot draw every operation: a box whose reason names the operation
        # or the load it serves is on a path not drawn, which is worth a note only.
        serves = bool(c.why) and (
            has_figure(c.why) or bool(_reason_words(c) & (_OPERATION_WORDS | required))
        )
        yield Hit(
            field=f"{c.field}.name",
            message=f"{_cap(_name(c))} is on neither the write path nor the read path."
            + ("" if c.name else " It has no name, so no step can name it.")
            + (" Its reason says what it serves; that path is not drawn." if serves else ""),
            hint="Which operation passes through it, and at which step?",
            fix="Add it to the path it serves, or remove it.",
            severity=Severity.INFO if serves else None,
        )


def cache_without_miss_path(design: Design) -> Iterator[Hit]:
    """A cache on the read path with no miss branch reaching the system of record.

    Why it matters:
        A cache holds copies, and a copy can be missing: evicted, expired, never loaded,
        or lost when the cache restarts. The read path must say where a miss goes; if
        nothing behind the cache holds the data, a miss is an error page.
    Triggers:
        A cache on the read path, and no later step marked "miss" at a database primary,
        replica, object storage or search index.
    Better:
        After the cache lookup: hit returns the cached value; miss reads the replica,
        then fills the cache.
    """
    arch = design.architecture
    steps = _resolved(arch, "read_path")
    for c in arch.components:
        if c.type != "cache":
            continue
        at = [(index, step) for index, step, component in steps if component is c]
        if not at:
            continue
        first, step = at[0]
        reaches = any(
            index > first and s.branch == "miss" and component.type in SYSTEMS_OF_RECORD
            for index, s, component in steps
        )
        if not reaches:
            yield Hit(
                field=f"{step.field}.component",
                message=f"The read path looks in {_name(c)}, but no step on the miss branch "
                "reaches a database, object storage or search index.",
                hint="Where does a read go when the value is not in the cache?",
                fix="Add steps after the cache marked 'miss': read the system of record, "
                "then fill the cache.",
            )


def cache_not_read_heavy(design: Design) -> Iterator[Hit]:
    """A cache while phase 1's read:write ratio says reads are not dominant.

    Why it matters:
        A cache pays off when the same data is read again and again before it changes.
        With about as many writes as reads, most cached copies are invalidated before
        anyone reads them, and the cache adds a hop, memory and stale data for little
        gain.
    Triggers:
        A cache component while phase 1's read:write ratio is below 2 reads per write
        (1:1, 1:4). Nothing is said when phase 1 has no ratio.
    Better:
        Drop the cache and size the database for the reads, or show in phase 1 that
        some data is read far more often than it is written.
    """
    req = _phase1(design)
    if req is None or req.reads_per_write is None or req.reads_per_write >= READ_HEAVY_RATIO:
        return
    arch = design.architecture
    on_read_path = {id(c) for _i, _s, c in _resolved(arch, "read_path")}
    for c in arch.components:
        # A cache-type box on the write path only (a seen set, a rate counter) keeps
        # state; it does not cache reads, and the ratio says nothing about it.
        if c.type == "cache" and id(c) in on_read_path:
            yield Hit(
                field=f"{c.field}.type",
                message=f"{_cap(_name(c))} caches reads, but phase 1's read:write "
                f"ratio ({req.read_write_ratio}) is not read-heavy. Which reads repeat often "
                "enough to be worth it?",
                arithmetic=f"{req.read_write_ratio} = {req.reads_per_write:.2g} reads per "
                f"write < {READ_HEAVY_RATIO:g}",
                hint="How often is a cached value read before a write replaces it?",
                fix="Remove the cache, or explain which data is read much more often than "
                "it is written.",
            )


def queue_user_waits(design: Design) -> Iterator[Hit]:
    """A message queue on a path where the user waits for the result.

    Why it matters:
        A queue decouples: the producer moves on and a consumer works through the
        backlog at its own pace. That is only useful if nobody waits. Put a queue where
        the user waits and the response is as slow as the backlog, with a poll or a
        callback to bring the answer back.
    Triggers:
        A queue step not marked async followed by a worker step that is not async
        either (the user waits for the consumer); or, after an async queue step, a
        worker step that is not async. Appending to a queue and then answering is what
        queues are for and says nothing; nor does a path that starts at a queue, a worker
        or a batch job (a pipeline nobody waits on, such as a crawler's frontier).
    Better:
        Keep the user's answer synchronous and put the queue after it: "publish a click
        event (async)", "workers count clicks (async)".
    """
    arch = design.architecture
    for key in PATHS:
        steps = _resolved(arch, key)
        if not _user_waits(steps):
            continue
        queued = False
        for index, (_position, step, component) in enumerate(steps):
            if component.type == "queue":
                # Appending to a queue and then answering is the point of a queue; the user
                # waits only when a consumer's step follows synchronously.
                consumer = next(
                    (
                        later
                        for _p, later_step, later in steps[index + 1 :]
                        if later.type == "worker" and not later_step.is_async
                    ),
                    None,
                )
                if not step.is_async and consumer is not None:
                    yield Hit(
                        field=f"{step.field}.async",
                        message=f"The {_path_label(key)} passes through the queue "
                        f"{_name(component)} before the user has their answer, and waits "
                        f"for {_name(consumer)} behind it: the response is as slow as the "
                        "backlog.",
                        hint="Does the user need what happens behind this queue before "
                        "they get a response?",
                        fix="Mark the step async if it happens after the response; if the "
                        "user needs the result, call the service directly instead.",
                    )
                queued = queued or step.is_async
            elif component.type == "worker" and queued and not step.is_async:
                yield Hit(
                    field=f"{step.field}.async",
                    message=f"On the {_path_label(key)}, {_name(component)} takes work off "
                    "an asynchronous queue, yet its step is not async: the user would wait "
                    "for it.",
                    hint="Does the user's response wait for this worker?",
                    fix="Mark the worker's step async, or do the work before the queue.",
                )


# A path that starts at one of these is a pipeline driven from inside (a crawler's
# frontier, a scheduled job): nobody waits on it for an answer.
_PIPELINE_STARTS = frozenset({"queue", "worker", "batch"})


def _user_waits(steps: list[tuple[int, Step, Component]]) -> bool:
    """Whether someone waits on this path for an answer."""
    return bool(steps) and steps[0][2].type not in _PIPELINE_STARTS


def write_not_durable(design: Design) -> Iterator[Hit]:
    """A write path that never reaches a durable store before the user is answered.

    Why it matters:
        A write is done when it survives a crash. Until the data is in a database
        primary or object storage, an acknowledged write can vanish with a server or a
        cache. Writing durably only after the response (async) tells the user "saved"
        before it is.
    Triggers:
        A write path with no step at a database primary or object storage, or whose
        every such step is marked async. A synchronous append to a queue whose phase 6
        technology replicates each message before acknowledging it (Kafka, Kinesis, SQS)
        counts as durable; a write path that starts at a queue, a worker or a batch job
        is a pipeline with nobody to answer, and is left alone.
    Better:
        A synchronous step that writes to the database primary (or object storage for
        large bodies) before the response; asynchronous work may follow it.
    """
    arch = design.architecture
    if not arch.write_path:
        return  # reported by missing_parts
    steps = _resolved(arch, "write_path")
    if not _user_waits(steps):
        return  # a pipeline: nobody is told "saved" before it is durable
    durable = [
        (step, component)
        for _index, step, component in steps
        if component.type in DURABLE_TYPES
        or (component.type == "queue" and _durable_log(design, component))
    ]
    if not durable:
        yield Hit(
            field="write_path",
            message="The write path reaches no durable store (a database primary or "
            "object storage).",
            hint="Where does the written data survive a server restart?",
            fix="Add a synchronous step that writes to the database primary or object storage.",
        )
    elif all(step.is_async for step, _component in durable):
        step, component = durable[0]
        yield Hit(
            field=f"{step.field}.async",
            message=f"The write path reaches {_name(component)} only asynchronously: the "
            "user is told the write succeeded before it is durable.",
            hint="What happens to an acknowledged write if a server crashes before this step?",
            fix="Make the write to the durable store synchronous, before the response.",
        )


def waits_after_durable(design: Design) -> Iterator[Hit]:
    """The user waits for work that could follow the answer: after the write is durable,
    or a write on the read path.

    Why it matters:
        Once the write is safe in its store, the user can be told. Every synchronous step
        after that (pushing the update to other users, filling a cache, calling another
        service) adds its latency, and its failures, to every write, although nothing
        the writer needs depends on it: it can run after the answer, from a queue. A
        reader waits the same way for a write done on the way (a view counter, an audit
        row, an analytics event): the read becomes as slow, and as fragile, as a write.
    Triggers:
        On a write path that someone waits on, a step not marked async after the first
        synchronous step at a durable store (a database primary, object storage, or a
        replicated log), at a cache, a worker, or an application server other than the
        one that received the write. Writing a second store, appending to a queue and
        answering from the first server are part of the write and say nothing. On a read
        path someone waits on, a synchronous step at a database primary, object storage
        or a queue whose action starts with a write ("increment the view count", "insert
        an audit row", "publish a click event"); cache fills are what reads do and are
        not counted, nor are writes the answer depends on (counting against a limit, a
        lock, a hold), and a queue a synchronous worker follows is the queue rule's. The
        read-path part reads the step's verb, so it asks (textual).
    Better:
        Answer once the write is durable; publish an event, and let workers push, fan
        out and refresh caches behind it (mark those steps async). On a read, publish
        the event after the answer (async) and count in batches.
    """
    yield from _write_on_read_path(design)
    arch = design.architecture
    steps = _resolved(arch, "write_path")
    if not _user_waits(steps):
        return
    entry = next((c for _i, _s, c in steps if c.type == "app_server"), None)
    durable_at = next(
        (
            i
            for i, (_p, step, c) in enumerate(steps)
            if not step.is_async
            and (c.type in DURABLE_TYPES or (c.type == "queue" and _durable_log(design, c)))
        ),
        None,
    )
    if durable_at is None:
        return
    queued = any(c.type == "queue" for _p, _s, c in steps[: durable_at + 1])
    for _p, step, component in steps[durable_at + 1 :]:
        queued = queued or component.type == "queue"
        if step.is_async or (component.type == "worker" and queued):
            continue  # a worker behind a queue the writer waits on is queue_user_waits'
        other_service = component.type == "app_server" and component is not entry
        if component.type in ("cache", "worker") or other_service:
            yield Hit(
                field=f"{step.field}.async",
                message=f"The writer still waits for {_name(component)} "
                f'("{step.action}") after the write is durable. Does it need to, or can it '
                "happen after the answer?",
                hint='What does the writer need from this step before they are told "saved"?',
                fix="Mark the step async and run it from a queue after the answer, or say "
                "why the writer must wait for it.",
            )
            return  # one finding: the first step the writer need not wait for


# The verbs a step that writes starts with (a clause of its action, in the imperative).
_WRITE_VERBS = frozenset(
    stems(
        "insert update upsert increment incr write append record log save add bump persist "
        "put store publish enqueue emit send produce push delete",
        keep_stopwords=True,
    )
)
_ACTION_PARTS = re.compile(r"[,;:]|\bthen\b|\band\b")
# A write the answer depends on: counting a request against a limit, taking a lock or a
# hold, claiming or reserving something.
_ANSWER_NEEDS = re.compile(
    r"\b(limit|quota|throttl|lock|hold|claim|reserv|lease)\w*", re.IGNORECASE
)
# Where a write on a read path costs the reader: a store that persists it, or a queue.
_WRITTEN_TYPES = (*DURABLE_TYPES, "queue")


def _starts_with_a_write(action: str) -> bool:
    """Whether a clause of a step's action starts with a verb that writes."""
    for part in _ACTION_PARTS.split(action.lower()):
        said = words(part)
        if said and stem(said[0]) in _WRITE_VERBS:
            return True
    return False


def _write_on_read_path(design: Design) -> Iterator[Hit]:
    """ARC-015's read-path part: the first synchronous write a reader waits for."""
    steps = _resolved(design.architecture, "read_path")
    if not _user_waits(steps):
        return
    for index, (_p, step, component) in enumerate(steps):
        if step.is_async or component.type not in _WRITTEN_TYPES:
            continue
        if component.type == "queue" and any(
            later.type == "worker" and not later_step.is_async
            for _q, later_step, later in steps[index + 1 :]
        ):
            return  # the reader waits for the consumer: queue_user_waits reports it
        if not _starts_with_a_write(step.action) or _ANSWER_NEEDS.search(step.action):
            continue
        yield Hit(
            field=f"{step.field}.async",
            message=f"The reader waits for a write to {_name(component)} "
            f'("{step.action}") before getting the answer. Does the read need it, or can it '
            "happen after the answer?",
            hint="What does the reader get from this write? What happens to reads when "
            "this store is slow?",
            fix="Mark the step async (publish an event after the answer, count in batches), "
            "or say why the reader must wait for it.",
            evidence=Evidence.TEXTUAL,
        )
        return  # one finding: the first write the reader need not wait for


def _durable_log(design: Design, component: Component) -> bool:
    """A queue whose phase 6 technology keeps messages on several disks before it
    acknowledges them (Kafka, Kinesis, SQS): a write acknowledged there survives."""
    entry = capacity.technology_for(design, component)
    return entry is not None and entry.durable


def over_engineered(design: Design) -> Iterator[Hit]:
    """Sharding or many services while phase 2's peak load is small.

    Why it matters:
        Shards and services buy capacity and independent teams at the price of
        cross-shard queries, rebalancing, network hops and more to deploy and watch.
        Below about 1,000 requests a second one database primary and one service
        carry the load; start there and split when the numbers say so.
    Triggers:
        Phase 2's peak writes plus peak reads (recomputed from its assumptions) below
        1,000/s, and more than one database primary, a component whose name or reason
        speaks of sharding, or more than 5 application-server and worker components.
        Nothing is said without both peaks from phase 2.
    Better:
        One primary with a replica and one application service behind a load balancer,
        with a note on the load at which you would shard.
    """
    peaks = _peaks(design)
    if peaks is None:
        return
    writes, reads = peaks
    total = writes + reads
    if total >= SMALL_SCALE_PER_S:
        return
    arithmetic = (
        f"peak {_rate(writes)} writes + {_rate(reads)} reads = {_rate(total)} "
        f"< {SMALL_SCALE_PER_S:,.0f}/s"
    )
    arch = design.architecture
    primaries = [c for c in arch.components if c.type == "db_primary"]
    count = sum(_count(c) for c in primaries)
    if count > 1:
        yield Hit(
            field=f"{primaries[0].field}.count" if len(primaries) == 1 else "components",
            message=f"{count} database primaries (sharding) for {_rate(total)} at peak.",
            arithmetic=arithmetic,
            hint="How many requests a second does one primary take?",
            fix="Use one primary (with a replica for failover) and say at what load you "
            "would shard.",
        )
    else:
        for c in arch.components:
            if _says(f"{c.name}. {c.why}", _SHARD):
                yield Hit(
                    field=f"{c.field}.why",
                    message=f"{_cap(_name(c))} is sharded, for {_rate(total)} at peak.",
                    arithmetic=arithmetic,
                    hint="How many requests a second does one unsharded store take?",
                    fix="Keep one unsharded store and say at what load you would shard.",
                )
                break
    services = [c for c in arch.components if c.type in SERVICE_TYPES]
    if len(services) > MANY_SERVICES:
        yield Hit(
            field="components",
            message=f"{len(services)} separate services (application servers and workers) "
            f"for {_rate(total)} at peak.",
            arithmetic=arithmetic,
            hint="What does each extra service cost to deploy, call and watch?",
            fix="Start with one application service (and one worker pool if you need "
            "background work); split when a part's load or team demands it.",
        )


def expected_component_missing(design: Design) -> Iterator[Hit]:
    """A kind of component the instructor expects for this problem is absent.

    Why it matters:
        Some problems are set to practise a particular part: a cache in front of a
        read-heavy store, a queue that takes slow work off the request, object storage
        for large files. The instructor lists those component types with the problem;
        a design without one either solves the problem another way, which deserves a
        sentence, or has missed the pressure the part relieves.
    Triggers:
        The problem's ``expectations.phase5.components`` lists a component type (cache,
        queue, object storage...) and no declared component has that type.
    Better:
        Declare a component of that type with its count and reason, and put it on the
        write or read path where it does its work.
    """
    expected = design.problem.expect(5).get("components") or []
    have = {c.type for c in design.architecture.components}
    for code in expected:
        if not isinstance(code, str) or code in have or code not in COMPONENT_TYPES:
            continue
        label = COMPONENT_TYPES[code]
        yield Hit(
            field="components",
            message=f"No component is of the type {label}; the instructor expects one "
            "for this problem.",
            hint=f"Which requirement or phase 2 figure would the {label.lower()} serve here?",
            fix=f"Add a component of the type {label} with its count and reason, and place "
            "it on a path; or explain in the other components' reasons why it is not needed.",
        )


# Content this large is what a client should move straight to or from object storage.
LARGE_OBJECT_BYTES = 1e6
# An app-server step that carries the content itself: a verb that moves bytes, said of
# the content, not of a URL, a link or its metadata.
_CARRY_VERBS = frozenset(
    stems("receive receives stream streams proxy proxies relay relays pipe pipes upload uploads")
    + stems("download downloads buffer buffers")
)
_CONTENT_WORDS = frozenset(
    stems("file files video videos image images photo photos blob blobs content bytes body")
    + stems("media attachment attachments binary payload")
)
_NOT_CONTENT_WORDS = frozenset(stems("url urls link links metadata signed presigned"))


def _carries_content(action: str) -> bool:
    said = set(stems(action))
    return bool(said & _CARRY_VERBS and said & _CONTENT_WORDS and not said & _NOT_CONTENT_WORDS)


def content_through_app_servers(design: Design) -> Iterator[Hit]:
    """Large objects pass through the application servers on their way to or from
    object storage.

    Why it matters:
        An upload or a download of megabytes held by an application server ties up its
        network card and a connection for as long as the transfer takes, so the app
        tier is sized by bytes rather than by requests. A signed URL lets the client
        send to or fetch from object storage (or a CDN in front of it) directly, and the
        app servers only hand out the URL.
    Triggers:
        Phase 2's object size of 1 MB or more (or, without it, a phase 3 access pattern
        marked as large objects), and a synchronous step at an application server whose
        action moves the content itself (receives, streams, proxies, uploads a file, a
        video, an image...; not a URL, a link or metadata) on a path that also reaches
        object storage. The bytes per second each app server then carries (phase 2's
        peak rate × object size ÷ its count) are set against one 10 Gbit/s network
        card. A reading of the step's words, so a warning that asks.
    Better:
        The app server signs a URL; the client uploads (in parts, resumable) or
        downloads straight from object storage or the CDN.
    """
    arch = design.architecture
    size = _large_object_size(design)
    if size is None:
        return
    peak_reads, peak_writes = capacity.peaks(design)
    for key, rate in (("write_path", peak_writes), ("read_path", peak_reads)):
        steps = arch.path(key)
        if not any(_is_object_storage(arch, s) for s in steps):
            continue
        for step in steps:
            component = arch.component(step.component)
            if step.is_async or component is None or component.type != "app_server":
                continue
            if not _carries_content(step.action):
                continue
            arithmetic = ""
            if rate and component.count:
                through = rate * size
                each = through / component.count
                nic = CAPACITIES_BY_KEY["bandwidth"].value
                arithmetic = (
                    f"{format_value(rate, 'rate')} × {format_value(size, 'size')} = "
                    f"{format_value(through, 'bandwidth')} through the app tier; ÷ "
                    f"{component.count} = {format_value(each, 'bandwidth')} on each, "
                    f"{each / nic:.2g}x one 10 Gbit/s card ({format_value(nic, 'bandwidth')})"
                )
            yield Hit(
                field=f"{step.field}.action",
                message=f'"{step.component}" {step.action.strip().rstrip(".")}: each object '
                f"of {format_value(size, 'size')} passes through the app servers on its way "
                "to or from object storage. Could the client move it directly, with a "
                "signed URL?",
                arithmetic=arithmetic,
                hint="How many bytes a second would each app server carry at peak?",
                fix="Have the app server sign a URL and let the client upload (in parts) "
                "or download straight from object storage or its CDN.",
            )
            break  # one finding per path


def _large_object_size(design: Design) -> float | None:
    """Phase 2's object size when it is large; 1 MB when there is no phase 2 size but
    phase 3 says the objects are large; None otherwise."""
    size: float | None = None
    if design.has(2):
        try:
            quantity = design.estimate.assumptions.get("object_size")
        except AnswerShapeError:
            quantity = None
        size = quantity.value if quantity is not None else None
    if size is not None:
        return size if size >= LARGE_OBJECT_BYTES else None
    if design.has(3):
        try:
            patterns = design.data_model.access_patterns
        except AnswerShapeError:
            return None
        if any(p.large_objects for p in patterns):
            return LARGE_OBJECT_BYTES
    return None


def _is_object_storage(arch: Architecture, step: Step) -> bool:
    component = arch.component(step.component)
    return component is not None and component.type == "object_storage"


# -- Expectations: the component types a problem's design needs ---------------------------


def check_component_types(
    problems: Problems, where: str, components: object, expectations: JSON
) -> None:
    """``phase5.components``: a list of component types."""
    if components is None:
        return
    if not is_text_list(components):
        problems.add(where, "expected a list of component types.")
        return
    for index, code in enumerate(components):
        if code not in COMPONENT_TYPES:
            problems.add(
                f"{where}[{index}]",
                f"unknown component type {code!r} (expected {', '.join(COMPONENT_TYPES)}).",
            )


def export_section(design: Design) -> list[str]:
    """Phase 5's section of the Markdown export (``phases.rendering.export`` adds its findings)."""
    arch = design.architecture
    out = ["### Components", ""]
    out.append(
        table(
            ["Name", "Type", "Count", "One instance handles", "Why", "Without it", "Stateful"],
            [
                [
                    cell(c.name),
                    cell(COMPONENT_TYPES.get(c.type, c.type)),
                    cell(c.count_text or "1"),
                    cell(c.capacity_text),
                    cell(c.why),
                    cell(c.without),
                    yes(c.stateful),
                ]
                for c in arch.components
            ],
            empty="_None listed._",
        )
    )
    for key, label in (("write_path", "Write path"), ("read_path", "Read path")):
        out += ["", f"### {label}", ""]
        out.append(inline(diagram.describe(arch, key)))
        out += ["", "```mermaid", diagram.mermaid(arch, key).rstrip("\n"), "```"]
    return out


UNIT = PhaseUnit(
    number=5,
    slug="architecture",
    title="Architecture",
    goal="Draw the components from the client down to the data, then the write path and "
    "the read path separately. Every box must be explained by a requirement.",
    questions=(
        "Why does each component exist, and what breaks without it?",
        "How many of each, and who balances the load between them?",
        "Where does the write path become durable?",
        "On a cache miss, where does the read path go?",
        "Which steps can happen after the user has their answer?",
    ),
    rule_prefix="ARC",
    schema_version=SCHEMA_VERSION,
    parse=parse,
    empty=empty,
    layout=LAYOUT,
    computed=computed,
    expectations=(Expectation("components", check_component_types),),
    export=export_section,
)
