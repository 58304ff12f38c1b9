"""A save reads its posted form without building Django's forms (``PostedForms``) when
every value is plainly acceptable. What it reads must be exactly what the forms give:
the same document, key for key and in the same order, and the same field names for the
findings' boxes; and whenever it reads anything, the forms must call the post valid.

Checked on every sample answer and corpus design of every phase, posted as a browser
posts it, and on posts generated from them with values changed, removed or made odd.
"""

import json

import pytest
from django import forms
from django.http import QueryDict
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phases.engine.registry import PHASE_NUMBERS, PHASES_BY_NUMBER
from tests.phases.test_agreement import SAMPLES
from tests.tutor.helpers import phase_post
from tutor.forms import TEXT, PostedForms, forms_for

CHOICES = ("Shorten a long URL", "Redirect to the long URL")


def post_of(number: int, document: dict, initial: int | None = None, blank: int = 0) -> QueryDict:
    """The POST data of the phase form drawn from ``document``, as the test client sends
    it (``phase_post``), each list's initial rows being all its rows unless ``initial``,
    and ``blank`` rows added to each list with nothing typed in them."""
    fields = phase_post(forms_for(number), document, base_revision=3)
    data = RequestFactory().post("/", fields).POST.copy()
    for prefix in forms_for(number).row_classes:
        total = int(data[f"{prefix}-TOTAL_FORMS"])
        data[f"{prefix}-INITIAL_FORMS"] = str(total if initial is None else initial)
        data[f"{prefix}-TOTAL_FORMS"] = str(total + blank)
    return data


def field_names(number: int, data: QueryDict) -> list[str]:
    """The names of every field the post's form has, sent or not (an unticked box)."""
    forms_class = forms_for(number)
    names = list(forms_class.main_class.base_fields)
    for prefix, row_class in forms_class.row_classes.items():
        for index in range(int(data[f"{prefix}-TOTAL_FORMS"])):
            names.extend(f"{prefix}-{index}-{name}" for name in row_class.base_fields)
    return names


def compare(number: int, data: QueryDict, choices=CHOICES) -> PostedForms | None:
    """Read ``data`` both ways; when the fast read gives a document, it is the forms'."""
    posted = PostedForms.read(forms_for(number), data, choices)
    forms = forms_for(number)(data=data, requirement_choices=choices)
    valid = forms.is_valid()
    if posted is not None:
        assert valid, f"read a post the forms refuse: {forms.main.errors} {forms.formsets}"
        version = PHASES_BY_NUMBER[number].schema_version
        ours, theirs = posted.document(version), forms.document(version)
        assert json.dumps(ours) == json.dumps(theirs)  # same keys, same order, same values
        assert posted.html_names() == forms.html_names()
        assert posted.base_revision == forms.base_revision
    return posted


CASES = [
    (
        f"{name} phase {number}",
        number,
        answers[str(number)] if str(number) in answers else answers[number],
    )
    for name, answers, _spec in SAMPLES
    for number in PHASE_NUMBERS
    if str(number) in answers or number in answers
]


@pytest.mark.parametrize(("name", "number", "document"), CASES, ids=[c[0] for c in CASES])
def test_every_sample_answer_is_read_as_the_forms_read_it(name, number, document):
    assert compare(number, post_of(number, document)) is not None, "the fast read declined"


@pytest.mark.parametrize("number", PHASE_NUMBERS)
def test_an_empty_form_and_blank_added_rows(number):
    empty = PHASES_BY_NUMBER[number].empty()
    assert compare(number, post_of(number, empty)) is not None
    assert compare(number, post_of(number, empty, blank=2)) is not None
    document = next(document for _name, n, document in CASES if n == number)
    assert compare(number, post_of(number, document, initial=0, blank=1)) is not None


def test_values_the_forms_refuse_are_left_to_them():
    document = SAMPLES[0][1]["1"]
    for key, value in (
        ("base_revision", "x"),
        ("functional-TOTAL_FORMS", "51"),
        ("functional-INITIAL_FORMS", ""),
        ("functional-MAX_NUM_FORMS", "many"),
        ("functional-0-text", "a" * (TEXT + 1)),
        ("functional-0-text", "nul \x00 inside"),
        ("latency-0-unit", "fortnights"),
        ("clarifications__region", "moon"),
    ):
        data = post_of(1, document)
        assert key in data
        data[key] = value
        assert compare(1, data) is None, (key, value)
        assert not forms_for(1)(data=data, requirement_choices=CHOICES).is_valid()
    # A count the forms would accept but that no page sends (" 2") is left to them too.
    data = post_of(1, document)
    data["functional-TOTAL_FORMS"] = " " + data["functional-TOTAL_FORMS"]
    assert compare(1, data) is None


BOXES = [
    (number, name)
    for number in PHASE_NUMBERS
    for name, field in forms_for(number).main_class.base_fields.items()
    if isinstance(field, forms.BooleanField)
] + [
    (number, f"{prefix}-0-{name}")
    for number in PHASE_NUMBERS
    for prefix, row_class in forms_for(number).row_classes.items()
    for name, field in row_class.base_fields.items()
    if isinstance(field, forms.BooleanField)
]


@pytest.mark.parametrize("value", ["on", "true", "True", "false", "FALSE", "0", "1", ""])
def test_a_box_reads_as_the_forms_read_it(value):
    assert BOXES, "no phase has a box to tick"
    for number, name in BOXES:
        data = post_of(number, PHASES_BY_NUMBER[number].empty())
        data[name] = value
        assert compare(number, data) is not None


ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "   ",
        "x",
        "  padded  ",
        "\x00",
        "a" * (TEXT + 1),
        " " + "a" * TEXT + "\n",
        "on",
        "true",
        "False",
        "0",
        "1",
        "-1",
        "2.0",
        "51",
        "read",
        "write",
        "days",
        "seconds",
        "strong",
        CHOICES[0],
        [],
        ["a", "b"],
    ]
)


@st.composite
def odd_posts(draw):
    """A sample's post with a few values replaced, removed or made odd: field values,
    the lists' row counts, the base revision."""
    _name, number, document = draw(st.sampled_from(CASES))
    initial = draw(st.sampled_from([None, 0, 1]))
    data = post_of(number, document, initial, blank=draw(st.integers(0, 2)))
    keys = sorted(set(data.keys()) | set(field_names(number, data)))
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(keys))
        value = draw(ODD_VALUES)
        if value is None:
            data.pop(key, None)
        elif isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return number, data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_posts())
def test_odd_posts_are_read_as_the_forms_read_them_or_left_to_them(case):
    number, data = case
    compare(number, data)
