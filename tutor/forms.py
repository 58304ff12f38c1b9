"""Forms: they check the shape of what was typed; the rules in ``phases/`` judge quality.

A phase's page is one main form plus a formset per list (requirements, latency targets
and so on), built from the layout the phase declares (``UNIT.layout`` in its module in
``phases/``: field names, labels, help, choices, placeholders); ``forms_for(number)``
gives them. ``PhaseForms`` turns them into the phase's JSON document and back, and maps
the field paths the phase uses (``latency[1].unit``) onto form fields and anchors.
"""

import copy
import re
from functools import cache, cached_property
from typing import cast

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.forms import BaseFormSet, formset_factory
from django.http import QueryDict

from phases.engine.answers import MAX_ROWS, is_blank_row  # the forms offer the rows parse() allows
from phases.engine.registry import PHASES
from phases.engine.unit import MAX_TEXT, Field, PhaseUnit
from tutor.models import User

TEXT = MAX_TEXT  # longest free-text answer, in characters


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="Optional; only for password resets.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # not in django-stubs
        model = User
        fields = ("username", "email")


class JoinForm(forms.Form):
    code = forms.CharField(
        max_length=16,
        required=False,
        label="Join code",
        help_text="Closed problem sets need the code your instructor gave you.",
    )


class FinishForm(forms.Form):
    """Finishing is final, so the learner says so: a box the form requires, which works
    without JavaScript (the browser refuses an unticked box; the server checks again)."""

    confirm = forms.BooleanField(
        label="I understand that my answers can no longer change once I finish.",
        error_messages={
            "required": "Not finished: tick the box to confirm that your answers can no "
            "longer change once you finish. Nothing was changed."
        },
    )


MAX_DISPUTE_REASON = 500  # characters: the Dispute model's column


class DisputeForm(forms.Form):
    """A learner's "I think this is wrong" on one finding of their answer (the finding
    is named by its dispute key, which the view looks up among the answer's findings)."""

    reason = forms.CharField(
        label="Your reason",
        max_length=MAX_DISPUTE_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Your reason is empty: say what this finding gets wrong about your answer.",
            "max_length": f"Your reason is too long: keep it to {MAX_DISPUTE_REASON} "
            "characters (it has %(show_value)s).",
        },
    )


def html_name(path: str) -> str:
    """``latency[1].unit`` → ``latency-1-unit``; ``scale.users`` → ``scale__users``."""
    name = re.sub(r"\[(\d+)\]\.", r"-\1-", path)
    name = re.sub(r"\[(\d+)\]$", r"-\1", name)
    return name.replace(".", "__")


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
    row_classes: dict[str, type["RowForm"]] = {}
    # The formset class of each list, made once per phase (build_forms), not per request.
    formset_classes: dict[str, type[BaseFormSet]] = {}
    unit: PhaseUnit

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
            formset_class = self.formset_classes[name]
            rows = [r for r in document.get(name, []) if isinstance(r, dict)] or [{}]
            self.formsets[name] = formset_class(
                data=data,
                prefix=name,
                initial=None if data is not None else rows,
                form_kwargs={"requirement_choices": requirement_choices}
                if form_class.requirement_fields
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
            _put(doc, name, value)
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

    def html_names(self) -> list[str]:
        """Every field's name on the page, and each list's (its section's)."""
        names = [field.html_name for field in self.main]
        for prefix, formset in self.formsets.items():
            names.append(prefix)
            names.extend(field.html_name for form in formset.forms for field in form)
        return names

    @property
    def errors_count(self) -> int:
        count = len(self.main.errors)
        for formset in self.formsets.values():
            count += len(formset.non_form_errors()) + sum(len(f.errors) for f in formset.forms)
        return count


def _put(document: dict, name: str, value) -> None:
    """Set a main field's value in a phase document (``group__key`` names a nested key)."""
    *parents, leaf = name.split("__")
    for key in parents:
        document = document.setdefault(key, {})
    document[leaf] = value


class StoredForms:
    """A stored answer's forms, built only when something reads them: a phase page whose
    fields come from the fragment cache (see ``views._stored_page``) never builds them.
    Unbound, so without errors; ``base_revision`` is known without building."""

    is_bound = False
    errors_count = 0
    out_of_date = False

    def __init__(
        self,
        forms_class: type[PhaseForms],
        document: dict,
        requirement_choices: tuple[str, ...],
        base_revision: int,
    ):
        self.forms_class = forms_class
        self.stored_document = document
        self.requirement_choices = requirement_choices
        self.base_revision = base_revision

    @cached_property
    def built(self) -> PhaseForms:
        return self.forms_class(
            document=self.stored_document,
            requirement_choices=self.requirement_choices,
            base_revision=self.base_revision,
        )

    def __getattr__(self, name: str):  # main, formsets: the built forms'
        return getattr(self.built, name)


class PostedForms:
    """A posted phase form read straight from the POST data, without building Django's
    forms, when every value is one the forms would accept as it is; ``read`` returns
    None otherwise, and the forms judge it (with their messages).

    What it reads is what ``PhaseForms.document`` gives for the same data, key for key
    (``tests/tutor/test_posted_forms.py`` compares the two on every sample answer and on
    generated posts): the same fields, cleaned as their Django fields clean them (text
    stripped, a box ticked or not, choices among the field's own), and a row added past
    the form's initial ones left blank as a formset leaves it. The forms build a dozen
    Django forms and copy sixty fields to read one phase 1 document; under the profiler
    they took 4.5 ms a save and this 0.7 ms (timed without it, 0.26 ms). What a page
    reads of it: no errors, the revision."""

    is_bound = True
    errors_count = 0
    out_of_date = False

    def __init__(
        self,
        forms_class: type[PhaseForms],
        document: dict,
        rows: dict[str, int],
        base_revision: int,
    ):
        self.forms_class = forms_class
        self.document_read = document
        self.rows = rows  # rows posted per list, blank ones included
        self.base_revision = base_revision

    @classmethod
    def read(
        cls, forms_class: type[PhaseForms], data: QueryDict, requirement_choices: tuple[str, ...]
    ) -> "PostedForms | None":
        base_revision = parse_revision(data.get("base_revision"))
        if base_revision is None:
            return None
        document: dict = {}
        for name, field in forms_class.main_class.base_fields.items():
            value = _cleaned(field, data, name, requirement_choices, requirement=False)
            if value is _REFUSED:
                return None
            _put(document, name, value)
        rows: dict[str, int] = {}
        for prefix, row_class in forms_class.row_classes.items():
            counts = _row_counts(data, prefix)
            if counts is None:
                return None
            total, initial = counts
            rows[prefix] = total
            document[prefix] = []
            for index in range(total):
                row = _cleaned_row(row_class, data, f"{prefix}-{index}-", requirement_choices)
                if row is None:
                    return None
                if index >= initial and not any(_changed(v) for v in row.values()):
                    row = dict.fromkeys(row, "")  # an extra row left blank: not cleaned
                document[prefix].append(row)
        return cls(forms_class, document, rows, base_revision)

    def is_valid(self) -> bool:
        return True

    def document(self, version: int) -> dict:
        return {"version": version, **self.document_read}

    def html_names(self) -> list[str]:
        """Every field's name on the page, and each list's, as the forms would give them."""
        names = list(self.forms_class.main_class.base_fields)
        for prefix, row_class in self.forms_class.row_classes.items():
            names.append(prefix)
            for index in range(self.rows[prefix]):
                names.extend(f"{prefix}-{index}-{name}" for name in row_class.base_fields)
        return names


@cache
def _choice_values(field: forms.ChoiceField) -> frozenset[str]:
    """The values a phase's choice field offers (its declared pairs, fixed per process)."""
    pairs = cast(list[tuple[object, object]], field.choices)
    return frozenset(str(key) for key, _ in pairs)


_REFUSED = object()  # a value the Django field would refuse: let the forms say why


def _row_counts(data: QueryDict, prefix: str) -> tuple[int, int] | None:
    """A list's management data (total and initial rows), or None unless every count is
    plain digits (the optional ones may be empty) and the total within what the formset
    allows."""

    def count(key: str, required: bool) -> int | None:
        value = data.get(f"{prefix}-{key}")
        if not required and value in (None, ""):
            return 0
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
            return int(value)
        return None

    total, initial = count("TOTAL_FORMS", True), count("INITIAL_FORMS", True)
    optional = count("MIN_NUM_FORMS", False), count("MAX_NUM_FORMS", False)
    if total is None or initial is None or None in optional or total > MAX_ROWS:
        return None
    return total, initial


def _cleaned_row(row_class, data: QueryDict, prefix: str, choices: tuple[str, ...]) -> dict | None:
    row = {}
    for name, field in row_class.base_fields.items():
        requirement = name in row_class.requirement_fields
        value = _cleaned(field, data, prefix + name, choices, requirement)
        if value is _REFUSED:
            return None
        row[name] = value
    return row


def _changed(value) -> bool:
    """Whether a cleaned value differs from an empty field's (a formset's test for a row
    added past the initial ones)."""
    return value not in ("", False, [])


def _cleaned(
    field: forms.Field, data: QueryDict, name: str, choices: tuple[str, ...], requirement: bool
):
    """The value Django's ``field`` cleans ``data[name]`` to, or ``_REFUSED``."""
    if isinstance(field, forms.BooleanField):
        if name not in data:
            return False
        value = data.get(name)  # as CheckboxInput reads it: "false" is False, "0" is True
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return bool(value)
    if isinstance(field, forms.MultipleChoiceField):
        values = data.getlist(name)
        allowed = _choice_values(field)
        return values if all(v in allowed for v in values) else _REFUSED
    if isinstance(field, forms.ChoiceField):
        value = data.get(name)
        if value is None or value == "":
            return ""
        if requirement:  # the learner's own phase 1 list, or a value kept from before
            return value if value in choices or _storable(value) else _REFUSED
        return value if value in _choice_values(field) else _REFUSED
    if type(field) is forms.CharField and field.strip and field.max_length:
        value = data.get(name)
        text = "" if value is None else value.strip()
        return text if len(text) <= field.max_length and "\x00" not in text else _REFUSED
    return _REFUSED


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


# -- The forms of a phase, built from its declared layout (phases/engine/unit.py) ------------------


class PhaseChoiceField(forms.ChoiceField):
    """A choice field whose copy for each form shares its (value, label) pairs.

    Django deep-copies every field of a form for each form built, and a choice field's
    choices with it; ours are pairs of strings, which nothing changes in place (a row's
    requirement choices are replaced, never edited), so a copy of the list is the same
    copy for less: a phase page builds a dozen forms with hundreds of options.
    """

    # Field's copy (widget, messages, validators), then the choices as a new list of
    # the same pairs; django-stubs declares neither.
    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)  # type: ignore[attr-defined]
        result._choices = copy.copy(self._choices)  # type: ignore[attr-defined]
        return result


def _form_field(field: Field) -> forms.Field:
    """The Django field for one declared answer field."""
    if field.kind in ("text", "longtext"):
        widget = (
            forms.Textarea(attrs={"rows": 2}) if field.kind == "longtext" else forms.TextInput()
        )
        if field.placeholder:
            widget.attrs["placeholder"] = field.placeholder
        text = forms.CharField(
            label=field.label,
            required=False,
            max_length=TEXT,
            help_text=field.help_text,
            widget=widget,
        )
        if field.suggest:  # after max_length, so the attributes keep their order
            text.widget.attrs["list"] = field.suggest
        return text
    if field.kind == "choice":
        return PhaseChoiceField(
            label=field.label,
            required=False,
            choices=[("", "—"), *field.choices],
            help_text=field.help_text,
        )
    if field.kind == "multichoice":
        return forms.MultipleChoiceField(
            label=field.label,
            required=False,
            choices=list(field.choices),
            help_text=field.help_text,
            widget=forms.CheckboxSelectMultiple,
        )
    if field.kind == "checkbox":
        return forms.BooleanField(label=field.label, required=False, help_text=field.help_text)
    if field.kind == "requirement":
        # The choices are the learner's own phase 1 requirements: see RowForm.
        return PhaseChoiceField(label=field.label, required=False, choices=[])
    raise ValueError(f"{field.key}: no form field for kind {field.kind!r}")


class RowForm(forms.Form):
    """One row of a list. Its ``requirement`` fields choose from the learner's own
    phase 1 list (``requirement_choices``)."""

    requirement_fields: tuple[str, ...] = ()

    def __init__(self, *args, requirement_choices: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.requirement_fields:
            current = self.initial.get(name) or (
                self.data.get(self.add_prefix(name), "") if self.is_bound else ""
            )
            choices = [("", "— choose from phase 1 —")]
            choices += [(text, text) for text in requirement_choices]
            if current and current not in requirement_choices and _storable(current):
                # Keep what was chosen even if phase 1 has changed since; a rule says so.
                choices.append((current, f"{current} (not in phase 1 any more)"))
            cast(forms.ChoiceField, self.fields[name]).choices = choices  # requirement_field


def _storable(text: str) -> bool:
    """A value kept although it is not among the choices must still fit a text answer."""
    return isinstance(text, str) and len(text) <= TEXT and "\x00" not in text


def _class_name(slug: str, part: str) -> str:
    return "".join(word.capitalize() for word in slug.split("-")) + part


def build_forms(unit: PhaseUnit) -> type[PhaseForms]:
    """The ``PhaseForms`` class of a phase: its main form and a row form per list, with
    the field names, labels, help, choices and placeholders its layout declares."""
    layout = unit.layout
    main_class = type(
        _class_name(unit.slug, "MainForm"),
        (forms.Form,),
        {html_name(field.key): _form_field(field) for field in layout.fields},
    )
    row_classes = {}
    for rows in layout.lists:
        attrs: dict = {field.key: _form_field(field) for field in rows.fields}
        attrs["requirement_fields"] = tuple(
            field.key for field in rows.fields if field.kind == "requirement"
        )
        row_classes[rows.key] = type(
            _class_name(unit.slug, f"{rows.key.title().replace('_', '')}RowForm"),
            (RowForm,),
            attrs,
        )
    formset_classes: dict[str, type[BaseFormSet]] = {
        # absolute_max bounds the work a forged TOTAL_FORMS can cause.
        name: formset_factory(
            form_class, extra=0, max_num=MAX_ROWS, absolute_max=MAX_ROWS, validate_max=True
        )
        for name, form_class in row_classes.items()
    }
    return type(
        _class_name(unit.slug, "Forms"),
        (PhaseForms,),
        {
            "main_class": main_class,
            "row_classes": row_classes,
            "formset_classes": formset_classes,
            "unit": unit,
        },
    )


# Derived from the units, built once: phase number -> its forms.
_FORMS: dict[int, type[PhaseForms]] = {unit.number: build_forms(unit) for unit in PHASES}


def forms_for(number: int) -> type[PhaseForms]:
    """The forms of phase ``number`` (1 to 9)."""
    return _FORMS[number]
