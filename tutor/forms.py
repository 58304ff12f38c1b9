"""Forms: they check the shape of what was typed; the rules in ``phases/`` judge quality.

A phase's page is one main form plus a formset per list (requirements, latency targets
and so on). ``PhaseForms`` turns them into the phase's JSON document and back, and maps
the field paths the phase uses (``latency[1].unit``) onto form fields and anchors.
"""

import re

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.forms import formset_factory
from django.http import QueryDict

from phases import (
    api,
    architecture,
    bottlenecks,
    data_model,
    estimation,
    failure,
    requirements,
)
from phases.answers import MAX_ROWS, is_blank_row  # the forms offer the rows parse() allows
from tutor.models import User

TEXT = 500  # longest free-text answer, in characters


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only for password resets.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class JoinForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        required=False,
        label="Join code",
        help_text="Closed problem sets need the code your instructor gave you.",
    )


def html_name(path: str) -> str:
    """``latency[1].unit`` → ``latency-1-unit``; ``scale.users`` → ``scale__users``."""
    name = re.sub(r"\[(\d+)\]\.", r"-\1-", path)
    name = re.sub(r"\[(\d+)\]$", r"-\1", name)
    return name.replace(".", "__")


def _choices(values, labels=None):
    labels = labels or {}
    return [("", "—")] + [(v, labels.get(v, v.replace("_", " "))) for v in values]


def _text(label, *, help_text="", placeholder="", long=False):
    widget = forms.Textarea(attrs={"rows": 2}) if long else forms.TextInput()
    if placeholder:
        widget.attrs["placeholder"] = placeholder
    return forms.CharField(
        label=label, required=False, max_length=TEXT, help_text=help_text, widget=widget
    )


def _choice(label, values, labels=None, help_text=""):
    return forms.ChoiceField(
        label=label, required=False, choices=_choices(values, labels), help_text=help_text
    )


# The largest revision a PhaseAnswer can hold (a PostgreSQL integer).
MAX_REVISION = 2**31 - 1

OUT_OF_DATE_FORM = (
    "Not saved: this form is out of date (it carries no valid record of which saved "
    "version of the phase it was built from), so saving it could overwrite newer work. "
    "Everything you typed is kept below: copy what you need, reload the page and save again."
)


def parse_revision(value) -> int | None:
    """The ``base_revision`` a form carries, or None when it is missing or not a revision
    (not plain ASCII digits, or beyond what a revision can be)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        revision = int(value)
        if revision <= MAX_REVISION:
            return revision
    return None


class PhaseForms:
    """A phase's main form and list formsets, bound to POST data or built from a document.

    ``base_revision`` is the stored answer's revision the form was built from; the page
    sends it back (a hidden input) so a save can tell whether someone saved in between.
    Bound forms read it from the data unless it is given. Every page's form carries it,
    so a bound form without a valid one is not valid: saving it would skip that check.
    """

    main_class: type[forms.Form]
    row_classes: dict[str, type[forms.Form]] = {}

    def __init__(
        self,
        data: QueryDict | None = None,
        document: dict | None = None,
        requirement_choices: tuple[str, ...] = (),
        base_revision: int | None = None,
    ):
        document = document or {}
        self.is_bound = data is not None
        if base_revision is None and data is not None:
            base_revision = parse_revision(data.get("base_revision"))
        self.base_revision = base_revision
        self.main = self.main_class(data=data, initial=self._main_initial(document), prefix=None)
        self.formsets = {}
        for name, form_class in self.row_classes.items():
            # absolute_max bounds the work a forged TOTAL_FORMS can cause.
            formset_class = formset_factory(
                form_class, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS, validate_max=True
            )
            rows = [r for r in document.get(name, []) if isinstance(r, dict)] or [{}]
            self.formsets[name] = formset_class(
                data=data,
                prefix=name,
                initial=None if data is not None else rows,
                form_kwargs={"requirement_choices": requirement_choices}
                if "requirement" in form_class.base_fields
                else {},
            )

    def _main_initial(self, document: dict) -> dict:
        initial = {}
        for name in self.main_class.base_fields:
            value = document
            for key in name.split("__"):
                value = value.get(key, "") if isinstance(value, dict) else ""
            initial[name] = value
        return initial

    def is_valid(self) -> bool:
        results = [self.main.is_valid()] + [fs.is_valid() for fs in self.formsets.values()]
        return all(results) and not self.out_of_date

    @property
    def out_of_date(self) -> bool:
        """Posted without a usable ``base_revision``: missing, not a number, out of range."""
        return self.is_bound and self.base_revision is None

    def document(self, version: int) -> dict:
        """The phase document from cleaned data, blank rows kept so paths line up."""
        doc: dict = {"version": version}
        for name, value in self.main.cleaned_data.items():
            target = doc
            *parents, leaf = name.split("__")
            for key in parents:
                target = target.setdefault(key, {})
            target[leaf] = value
        for name, formset in self.formsets.items():
            doc[name] = [
                {key: form.cleaned_data.get(key, "") for key in form.fields}
                for form in formset.forms
            ]
        return doc

    def add_shape_errors(self, errors: list[tuple[str, str]]) -> None:
        """Attach the phase's own shape errors to the fields they name."""
        for path, message in errors:
            match = re.match(r"^(\w+)\[(\d+)\]\.(\w+)$", path)
            if match and match.group(1) in self.formsets:
                forms_ = self.formsets[match.group(1)].forms
                index = int(match.group(2))
                if index < len(forms_) and match.group(3) in forms_[index].fields:
                    forms_[index].add_error(match.group(3), message)
                    continue
            name = html_name(path)
            if name in self.main.fields:
                self.main.add_error(name, message)
            else:
                self.main.add_error(None, f"{path}: {message}" if path else message)

    @property
    def errors_count(self) -> int:
        count = len(self.main.errors)
        for formset in self.formsets.values():
            count += len(formset.non_form_errors()) + sum(len(f.errors) for f in formset.forms)
        return count


def compact(document: dict, lists) -> dict:
    """Drop rows in which nothing was typed."""
    result = dict(document)
    for name in lists:
        result[name] = [row for row in document.get(name, []) if not is_blank_row(row)]
    return result


ROW_ACTION = re.compile(r"^(add|remove|up|down):(\w+)(?::(\d{1,4}))?$")


def apply_row_action(data: QueryDict, action: str, row_classes: dict) -> QueryDict | None:
    """Add, remove or move a row in the raw POST data, keeping everything typed.

    The buttons are plain submit buttons, so lists grow and reorder without JavaScript.
    Returns None when the action is not one this form knows.
    """
    match = ROW_ACTION.match(action or "")
    if not match or match.group(2) not in row_classes:
        return None
    verb, prefix, index = match.group(1), match.group(2), match.group(3)
    fields = list(row_classes[prefix].base_fields)
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), MAX_ROWS)
    except ValueError:
        total = 0
    rows = [
        {field: data.getlist(f"{prefix}-{i}-{field}") for field in fields} for i in range(total)
    ]
    position = int(index) if index is not None else None
    if verb == "add" and len(rows) < MAX_ROWS:
        rows.append({field: [] for field in fields})
    elif position is not None and 0 <= position < len(rows):
        if verb == "remove":
            rows.pop(position)
        elif verb == "up" and position > 0:
            rows[position - 1], rows[position] = rows[position], rows[position - 1]
        elif verb == "down" and position < len(rows) - 1:
            rows[position + 1], rows[position] = rows[position], rows[position + 1]
    result = data.copy()
    for key in list(result):
        if key.startswith(f"{prefix}-") and not key.endswith("_FORMS"):
            del result[key]
    for i, row in enumerate(rows):
        for field, values in row.items():
            result.setlist(f"{prefix}-{i}-{field}", values)
    result[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
    result[f"{prefix}-INITIAL_FORMS"] = "0"
    result.setdefault(f"{prefix}-MIN_NUM_FORMS", "0")
    result.setdefault(f"{prefix}-MAX_NUM_FORMS", str(MAX_ROWS))
    return result


# -- Phase 1: requirements ------------------------------------------------------------------


class FunctionalRowForm(forms.Form):
    text = _text("Requirement", placeholder="A visitor can open a short link")
    path = _choice(
        "Path",
        requirements.PATHS,
        {"read": "read", "write": "write", "both": "read and write"},
    )


class LatencyRowForm(forms.Form):
    operation = _text("Operation", placeholder="redirect")
    percentile = _choice("Percentile", requirements.PERCENTILES)
    target = _text("Target", placeholder="100")
    unit = _choice("Unit", ("us", "ms", "s"), {"us": "µs"})


class ConsistencyRowForm(forms.Form):
    data = _text("Data", placeholder="click counts")
    model = _choice(
        "Model", requirements.CONSISTENCY_MODELS, {"read_your_writes": "read your writes"}
    )
    staleness = _text("Staleness bound", placeholder="within 5 s")


class DurabilityRowForm(forms.Form):
    data = _text("Data", placeholder="links")
    cost_of_loss = _choice("Cost of loss", requirements.LOSS_COSTS)
    notes = _text("Notes", placeholder="a lost link breaks every page that embeds it")


class RequirementsMainForm(forms.Form):
    clarifications__region = _choice(
        "Users are",
        requirements.REGIONS,
        {"global": "around the world", "single_region": "in one region"},
    )
    clarifications__ordering = _choice(
        "Lists are",
        requirements.ORDERINGS,
        {"not_applicable": "not applicable (no lists)"},
    )
    clarifications__left_out = forms.MultipleChoiceField(
        label="Left out on purpose",
        required=False,
        choices=[(v, v) for v in requirements.LEFT_OUT],
        widget=forms.CheckboxSelectMultiple,
    )
    clarifications__notes = _text("Other clarifications", long=True)
    read_write_ratio = _text(
        "Read:write ratio", placeholder="10:1", help_text="Reads for every write, e.g. 10:1."
    )
    scale__users = _text("Users", placeholder="50M monthly active users")
    scale__requests = _text("Requests", placeholder="100M new links a day")
    scale__data_growth = _text("Data growth", placeholder="20 GB a day")
    availability = _text(
        "Availability", placeholder="99.9%", help_text="A percentage, or a number of nines."
    )
    throughput = _text("Throughput", placeholder="20,000 redirects/s at peak")


class RequirementsForms(PhaseForms):
    main_class = RequirementsMainForm
    row_classes = {
        "functional": FunctionalRowForm,
        "latency": LatencyRowForm,
        "consistency": ConsistencyRowForm,
        "durability": DurabilityRowForm,
    }


# -- Phase 2: scale estimation --------------------------------------------------------------


class ExtraAssumptionRowForm(forms.Form):
    name = _text("Assumption", placeholder="average feed size")
    value = _text("Value", placeholder="20 posts")


def _estimation_fields() -> dict:
    fields = {}
    for group, items in (("assumptions", estimation.ASSUMPTIONS), ("results", estimation.RESULTS)):
        for item in items:
            fields[f"{group}__{item.key}"] = _text(item.label, placeholder=item.example)
    fields["conclusion__pressure"] = _choice(
        "Resource under pressure",
        estimation.PRESSURES,
        {
            "writes": "write throughput",
            "reads": "read throughput",
            "storage": "storage",
            "bandwidth": "network bandwidth",
            "memory": "cache memory",
        },
    )
    fields["conclusion__implication"] = _text("What it implies for the design", long=True)
    return fields


EstimationMainForm = type("EstimationMainForm", (forms.Form,), _estimation_fields())


class EstimationForms(PhaseForms):
    main_class = EstimationMainForm
    row_classes = {"extra_assumptions": ExtraAssumptionRowForm}


# -- Phases 3 and 4: rows that name a phase 1 requirement ----------------------------------


class RequirementRowForm(forms.Form):
    """A row whose ``requirement`` is chosen from the learner's own phase 1 list."""

    requirement = forms.ChoiceField(label="Requirement", required=False, choices=[])

    def __init__(self, *args, requirement_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("requirement") or (
            self.data.get(self.add_prefix("requirement"), "") if self.is_bound else ""
        )
        choices = [("", "— choose from phase 1 —")] + [(text, text) for text in requirement_choices]
        if current and current not in requirement_choices and _storable(current):
            # Keep what was chosen even if phase 1 has changed since; a rule says so.
            choices.append((current, f"{current} (not in phase 1 any more)"))
        self.fields["requirement"].choices = choices


def _storable(text: str) -> bool:
    """A value kept although it is not among the choices must still fit a text answer."""
    return isinstance(text, str) and len(text) <= TEXT and "\x00" not in text


def _check(label, help_text=""):
    return forms.BooleanField(label=label, required=False, help_text=help_text)


class AccessPatternRowForm(RequirementRowForm):
    name = _text("Access pattern", placeholder="resolve a short code")
    entity = _text("Entity", placeholder="Link")
    data = _text("Data needed", placeholder="long URL, expiry")
    key = _text("Looked up by", placeholder="short code")
    kind = _choice("Read or write", data_model.KINDS)
    lookup = _choice(
        "Lookup",
        data_model.LOOKUPS,
        {
            "by_key": "by key",
            "by_range": "by range",
            "text_search": "text search",
            "ad_hoc": "ad-hoc query",
        },
    )
    rate = _text("Rate", placeholder="20,000/s")
    records = _choice("Records touched", data_model.RECORDS)
    storage = _choice(
        "Storage",
        data_model.STORAGE,
        {
            "key_value": "key-value",
            "wide_column": "wide-column",
            "object": "object storage",
            "time_series": "time-series",
        },
    )
    transactional = _check(
        "Needs a transaction", "Money, inventory: a partial write is a disaster."
    )
    large_objects = _check("Large objects", "Files, images, big text: megabytes, not bytes.")


class EntityRowForm(forms.Form):
    name = _text("Entity", placeholder="Link")
    fields = _text("Fields", placeholder="code, long_url, owner_id, created_at")
    key = _text("Key", placeholder="code")


class ModellingRowForm(forms.Form):
    choice = _choice("Choice", data_model.CHOICES)
    fanout = _choice("Fan-out", data_model.FANOUTS, {"write": "on write", "read": "on read"})
    what = _text("What", placeholder="click counts kept per link")
    reason = _text("Why", placeholder="read 10x more than written")


class DataModelMainForm(forms.Form):
    pass


class DataModelForms(PhaseForms):
    main_class = DataModelMainForm
    row_classes = {
        "access_patterns": AccessPatternRowForm,
        "entities": EntityRowForm,
        "modelling": ModellingRowForm,
    }


class ProtocolRowForm(forms.Form):
    client = _text("Client", placeholder="browsers and mobile apps")
    protocol = _choice(
        "Protocol",
        api.PROTOCOLS,
        {
            "rest": "REST",
            "grpc": "gRPC",
            "websocket": "WebSocket",
            "sse": "Server-Sent Events",
            "graphql": "GraphQL",
        },
    )
    reason = _text("Why", placeholder="public, cacheable, every client speaks HTTP")


class EndpointRowForm(RequirementRowForm):
    method = _choice("Method", api.METHODS)
    path = _text("Path", placeholder="/v1/urls")
    request = _text("Request fields", placeholder="long_url, alias")
    response = _text("Response fields", placeholder="short_url, expires_at")
    status = _text("Success status", placeholder="201")
    idempotency = _choice(
        "Idempotency",
        api.IDEMPOTENCY,
        {
            "idempotency_key": "idempotency key",
            "deterministic_id": "deterministic id",
            "conditional_write": "conditional write",
            "natural": "naturally idempotent",
        },
    )
    redirect = _choice("Redirect", api.REDIRECTS)
    pagination = _choice("Pagination", api.PAGINATION)
    notes = _text("Notes", placeholder="302 so every click is counted")


class ApiMainForm(forms.Form):
    pass


class ApiForms(PhaseForms):
    main_class = ApiMainForm
    row_classes = {"protocols": ProtocolRowForm, "endpoints": EndpointRowForm}


# -- Phase 5: architecture -----------------------------------------------------------------


class ComponentRowForm(forms.Form):
    name = _text("Name", placeholder="cache")
    type = _choice("Kind", tuple(architecture.COMPONENT_TYPES), architecture.COMPONENT_TYPES)
    count = _text("How many", placeholder="2")
    why = _text("Why it exists", placeholder="99% of 23,000 reads/s never reach the database")
    without = _text("What breaks without it", placeholder="the database takes every read")
    stateful = _check("Keeps state", "Sessions or data in the server's own memory or disk.")


def _step_form():
    """A path step; built with type() because one of its fields is named ``async``."""
    component = _text("Component", placeholder="app")
    component.widget.attrs["list"] = "declared-components"
    return type(
        "StepRowForm",
        (forms.Form,),
        {
            "component": component,
            "action": _text("What happens", placeholder="look up the short code"),
            "branch": _choice(
                "Branch", architecture.BRANCHES, {"hit": "cache hit", "miss": "cache miss"}
            ),
            "async": _check("Asynchronous", "Happens after the user has their answer."),
        },
    )


StepRowForm = _step_form()


class ArchitectureMainForm(forms.Form):
    pass


class ArchitectureForms(PhaseForms):
    main_class = ArchitectureMainForm
    row_classes = {
        "components": ComponentRowForm,
        "write_path": StepRowForm,
        "read_path": StepRowForm,
    }


# -- Phase 6: technology choices ----------------------------------------------------------


class TechnologyRowForm(forms.Form):
    technology = _text("Technology", placeholder="PostgreSQL")
    component = _text("Component it serves", placeholder="db")
    problem = _text("Problem it solves", long=True)
    alternatives = _text(
        "Alternatives, and why each fits worse",
        long=True,
        placeholder="Cassandra: ...; DynamoDB: ...",
    )
    tradeoffs = _text("Trade-offs", long=True)
    trigger = _text("What would make you choose differently", placeholder="writes above 10,000/s")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technology"].widget.attrs["list"] = "catalogue-technologies"


class TechnologyMainForm(forms.Form):
    pass


class TechnologyForms(PhaseForms):
    main_class = TechnologyMainForm
    row_classes = {"choices": TechnologyRowForm}


# -- Phase 7: bottlenecks ------------------------------------------------------------------


def _component_input(label, placeholder="db"):
    """A text input suggesting the components declared in phase 5."""
    field = _text(label, placeholder=placeholder)
    field.widget.attrs["list"] = "declared-components"
    return field


class MitigationRowForm(forms.Form):
    target = _component_input("Component")
    kind = _choice(
        "Mitigation",
        tuple(bottlenecks.MITIGATIONS),
        {key: label for key, (_, label) in bottlenecks.MITIGATIONS.items()},
    )
    detail = _text("Detail", placeholder="two replicas behind the primary")


class BottlenecksMainForm(forms.Form):
    bottleneck = _component_input("The component that runs out first")
    hit_rate = _text("Cache hit rate you assume", placeholder="99%")
    cache_outage = _choice(
        "Does the database survive the cache going down?",
        bottlenecks.OUTAGE_ANSWERS,
        {"yes": "yes", "no": "no"},
    )
    reasoning = _text("Your reasoning", long=True)


class BottlenecksForms(PhaseForms):
    main_class = BottlenecksMainForm
    row_classes = {"mitigations": MitigationRowForm}


# -- Phase 8: failure ----------------------------------------------------------------------


class FailureRowForm(forms.Form):
    component = _component_input("Component")
    dependency = _choice("Dependency", failure.DEPENDENCIES)
    user_sees = _text("What users see when it fails", placeholder="no new links for 30 s")
    mitigation = _choice("Mitigation", failure.MITIGATIONS)
    replication = _choice(
        "Replication", failure.REPLICATION, {"sync": "synchronous", "async": "asynchronous"}
    )
    automatic_failover = _check("Automatic failover")


class CallRowForm(forms.Form):
    caller = _component_input("Caller", placeholder="app")
    callee = _component_input("Calls", placeholder="db")
    timeout = _text("Timeout", placeholder="200 ms")
    circuit_breaker = _check("Circuit breaker")


class FailureMainForm(forms.Form):
    retries__enabled = _check("Clients or servers retry failed calls")
    retries__operations = _text("Which operations are retried", placeholder="create link (keyed)")
    retries__backoff = _check("Exponential backoff")
    retries__jitter = _check("Jitter")
    retries__max_attempts = _text("Attempts at most", placeholder="3")


class FailureForms(PhaseForms):
    main_class = FailureMainForm
    row_classes = {"components": FailureRowForm, "calls": CallRowForm}


# -- Phase 9: review -----------------------------------------------------------------------


class TradeOffRowForm(forms.Form):
    wanted = _text("You wanted", placeholder="fast redirects")
    gave_up = _text("You gave up", placeholder="fresh click counts")
    mechanism = _text("By", placeholder="a cache in front of the database")


class ReviewMainForm(forms.Form):
    revisit_at_10x = _text("What you would revisit at ten times the scale", long=True)
    why_simple = _text("Why the design starts as simple as it does", long=True)


class ReviewForms(PhaseForms):
    main_class = ReviewMainForm
    row_classes = {"tradeoffs": TradeOffRowForm}


PHASE_FORMS: dict[int, type[PhaseForms]] = {
    1: RequirementsForms,
    2: EstimationForms,
    3: DataModelForms,
    4: ApiForms,
    5: ArchitectureForms,
    6: TechnologyForms,
    7: BottlenecksForms,
    8: FailureForms,
    9: ReviewForms,
}
