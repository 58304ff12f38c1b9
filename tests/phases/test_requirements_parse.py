"""Reading a phase 1 document (``requirements.parse``) and the unit parsers under it."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from phases import requirements
from phases.engine.answers import AnswerShapeError
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.reading import units

GOOD_ANSWER = Path(__file__).resolve().parents[2] / "fixtures" / "answers" / "url-shortener.json"
TOP_LEVEL_KEYS = (
    "version",
    "functional",
    "clarifications",
    "read_write_ratio",
    "scale",
    "latency",
    "availability",
    "consistency",
    "durability",
    "throughput",
)


def good() -> dict:
    return copy.deepcopy(json.loads(GOOD_ANSWER.read_text())["phases"]["1"])


def shape_errors(data) -> dict[str, str]:
    with pytest.raises(AnswerShapeError) as info:
        requirements.parse(data)
    return dict(info.value.errors)


# -- The good fixture and the empty form ---------------------------------------------------


def test_good_fixture_parses():
    req = requirements.parse(good())
    assert [fr.path for fr in req.functional] == ["write", "read", "both", "write"]
    assert req.region == "global"
    assert req.left_out == ("search", "notifications")
    assert req.reads_per_write == 10
    assert req.availability_percent == pytest.approx(99.9)
    assert [(t.operation, t.percentile, t.milliseconds) for t in req.latency] == [
        ("redirect", "p50", 20),
        ("redirect", "p99", 150),
        ("shorten", "p99", 300),
    ]
    assert [c.model for c in req.consistency] == ["read_your_writes", "eventual"]
    assert [d.cost_of_loss for d in req.durability] == ["high", "low"]
    assert not req.is_empty


@pytest.mark.parametrize("data", [{}, requirements.empty()], ids=["{}", "empty()"])
def test_blank_documents_parse_as_empty(data):
    assert requirements.parse(data).is_empty


def test_blank_rows_are_dropped():
    doc = good()
    doc["latency"].append({"operation": "", "percentile": "", "target": "", "unit": ""})
    doc["functional"].append({"text": "  ", "path": None})
    req = requirements.parse(doc)
    assert len(req.latency) == 3
    assert len(req.functional) == 4


def test_numbers_are_accepted_as_text():
    doc = good()
    doc["availability"] = 99.9
    doc["read_write_ratio"] = 10
    doc["latency"][0]["target"] = 20
    req = requirements.parse(doc)
    assert req.availability_percent == pytest.approx(99.9)
    assert req.reads_per_write == 10
    assert req.latency[0].value == 20


def test_unit_in_target_fills_empty_unit():
    doc = good()
    doc["latency"][0].update(target="0.02 s", unit="")
    target = requirements.parse(doc).latency[0]
    assert (target.unit, target.milliseconds) == ("s", pytest.approx(20))


# -- Malformed documents name the field ----------------------------------------------------


def _with(path_setter):
    doc = good()
    path_setter(doc)
    return doc


MALFORMED = [
    ("percentile p42", lambda d: d["latency"][0].update(percentile="p42"), "latency[0].percentile"),
    ("ratio 10::1", lambda d: d.update(read_write_ratio="10::1"), "read_write_ratio"),
    ("ratio 1:0", lambda d: d.update(read_write_ratio="1:0"), "read_write_ratio"),
    ("availability 150%", lambda d: d.update(availability="150%"), "availability"),
    ("availability 0%", lambda d: d.update(availability="0%"), "availability"),
    ("availability 9 9", lambda d: d.update(availability="9 9"), "availability"),
    ("availability bool", lambda d: d.update(availability=True), "availability"),
    (
        "latency target 2OO ms",
        lambda d: d["latency"][0].update(target="2OO ms"),
        "latency[0].target",
    ),
    (
        "latency unit ms but target 2 s",
        lambda d: d["latency"][0].update(target="2 s", unit="ms"),
        "latency[0].unit",
    ),
    ("latency unit hours", lambda d: d["latency"][1].update(unit="hours"), "latency[1].unit"),
    (
        "latency target bananas",
        lambda d: d["latency"][2].update(target="200 bananas", unit=""),
        "latency[2].target",
    ),
    ("latency not a list", lambda d: d.update(latency={"redirect": "100 ms"}), "latency"),
    ("functional not a list", lambda d: d.update(functional="shorten links"), "functional"),
    ("functional row not an object", lambda d: d.update(functional=["shorten"]), "functional[0]"),
    (
        "functional path sideways",
        lambda d: d["functional"][1].update(path="sideways"),
        "functional[1].path",
    ),
    (
        "functional text a list",
        lambda d: d["functional"][0].update(text=["a", "b"]),
        "functional[0].text",
    ),
    ("clarifications not an object", lambda d: d.update(clarifications="global"), "clarifications"),
    ("region mars", lambda d: d["clarifications"].update(region="mars"), "clarifications.region"),
    (
        "ordering random",
        lambda d: d["clarifications"].update(ordering="random"),
        "clarifications.ordering",
    ),
    (
        "left_out billing",
        lambda d: d["clarifications"].update(left_out=["billing"]),
        "clarifications.left_out",
    ),
    (
        "left_out a string",
        lambda d: d["clarifications"].update(left_out="search"),
        "clarifications.left_out",
    ),
    ("scale a list", lambda d: d.update(scale=["100M"]), "scale"),
    ("scale users an object", lambda d: d["scale"].update(users={"n": 1}), "scale.users"),
    (
        "consistency model linearizable",
        lambda d: d["consistency"][0].update(model="linearizable"),
        "consistency[0].model",
    ),
    (
        "durability cost meh",
        lambda d: d["durability"][1].update(cost_of_loss="meh"),
        "durability[1].cost_of_loss",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [pytest.param(c, f, id=name) for name, c, f in MALFORMED]
)
def test_malformed_field_is_named(change, field):
    errors = shape_errors(_with(change))
    assert field in errors, f"expected an error on {field!r}, got {errors}"
    assert list(errors) == [field], f"only {field!r} is wrong, but got errors on {list(errors)}"
    assert errors[field], "the error needs a message"


@pytest.mark.parametrize(
    "data",
    [[], [1, 2], "answers", 42, None, True],
    ids=["empty list", "list", "str", "int", "None", "bool"],
)
def test_top_level_must_be_an_object(data):
    errors = shape_errors(data)
    assert "" in errors, errors


def test_every_error_is_reported_at_once():
    doc = good()
    doc.update(availability="150%", read_write_ratio="10::1", functional=5)
    doc["latency"][0]["percentile"] = "p42"
    errors = shape_errors(doc)
    assert set(errors) == {
        "availability",
        "read_write_ratio",
        "functional",
        "latency[0].percentile",
    }


# -- Property: parse never fails in any other way ------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    # Strings that look like the real answers, so the unit parsers are exercised too.
    | st.sampled_from(
        [
            "10:1",
            "10::1",
            "1:0",
            "99.9%",
            "150%",
            "three nines",
            "p99",
            "p42",
            "ms",
            "s",
            "us",
            "min",
            "hours",
            "200 ms",
            "2OO ms",
            "0.2",
            "< 0.5 s",
            "global",
            "eventual",
            "read",
            "write",
            "analytics",
            "",
            "  ",
        ]
    )
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12)
            | st.sampled_from(
                [
                    "text",
                    "path",
                    "operation",
                    "percentile",
                    "target",
                    "unit",
                    "data",
                    "model",
                    "staleness",
                    "cost_of_loss",
                    "region",
                    "ordering",
                    "left_out",
                    "users",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(TOP_LEVEL_KEYS), json_values)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
@example({"latency": [{"target": "1e400", "unit": "ms"}]})
@example({"availability": float("nan")})
@example({"read_write_ratio": float("inf")})
def test_parse_returns_requirements_or_shape_error(data):
    try:
        result = requirements.parse(data)
    except AnswerShapeError as exc:
        assert exc.errors and all(isinstance(f, str) and m for f, m in exc.errors)
    else:
        assert isinstance(result, requirements.Requirements)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_parse_of_any_json_value_returns_or_raises_shape_error(data):
    try:
        result = requirements.parse(data)
    except AnswerShapeError:
        return
    assert isinstance(result, requirements.Requirements)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_rules_run_on_whatever_parses(data):
    """A document that passes the shape check never crashes a rule."""
    try:
        requirements.parse(data)
    except AnswerShapeError:
        return
    check_phase(1, Design({1: data}, ProblemSpec(slug="any")))


# -- Unit parsers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:1", 10),
        ("1:4", 0.25),
        ("10 to 1", 10),
        ("100/1", 100),
        ("10", 10),
        ("1,000:1", 1000),
        ("10 reads per write", 10),
        (" 10 : 1 ", 10),
        ("read-heavy", None),
        ("", None),
    ],
)
def test_parse_ratio(text, expected):
    assert units.parse_ratio(text) == expected


@pytest.mark.parametrize("text", ["10::1", "1:0", "ten to 1", "10:1:1", "-10:1"])
def test_parse_ratio_rejects(text):
    with pytest.raises(units.UnitError):
        units.parse_ratio(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("99.9%", 99.9),
        ("99.9", 99.9),
        ("99.95 percent", 99.95),
        ("100%", 100),
        ("three nines", 99.9),
        ("4 nines", 99.99),
        ("five nines", 99.999),
        ("one nine", 90),
        ("highly available", None),
        ("", None),
    ],
)
def test_parse_availability(text, expected):
    result = units.parse_availability(text)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize("text", ["9 9", "99.9 %%", "about 99.9%", "99,9%", "-5%"])
def test_parse_availability_rejects(text):
    with pytest.raises(units.UnitError):
        units.parse_availability(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200", (200, None)),
        ("200 ms", (200, "ms")),
        ("200ms", (200, "ms")),
        ("< 0.5 s", (0.5, "s")),
        ("under 2 min", (2, "min")),
        ("150 µs", (150, "us")),
        ("3 seconds", (3, "s")),
        ("1,500 ms", (1500, "ms")),
        ("fast", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_latency(text, expected):
    assert units.parse_latency(text) == expected


@pytest.mark.parametrize("text", ["2OO ms", "200 bananas", "5 h", "200 ms please", "~200 ms"])
def test_parse_latency_rejects(text):
    with pytest.raises(units.UnitError):
        units.parse_latency(text)


def test_to_milliseconds():
    assert units.to_milliseconds(0.5, "s") == 500
    assert units.to_milliseconds(200, "us") == pytest.approx(0.2)
    assert units.to_milliseconds(2, "min") == 120_000


# Text built from the characters the parsers care about, so that matches are common.
unit_text = st.text(max_size=30) | st.text(
    alphabet=st.sampled_from(list("0123456789.,:/%<≤= µμmsuhinpercto nine")), max_size=20
)


@pytest.mark.parametrize("parser", [units.parse_ratio, units.parse_availability])
@settings(max_examples=500, deadline=None)
@given(text=unit_text)
def test_number_parsers_return_number_none_or_unit_error(parser, text):
    try:
        value = parser(text)
    except units.UnitError as exc:
        assert str(exc)
    else:
        assert value is None or isinstance(value, float)


@settings(max_examples=500, deadline=None)
@given(unit_text)
def test_parse_latency_returns_pair_or_unit_error(text):
    try:
        value, unit = units.parse_latency(text)
    except units.UnitError as exc:
        assert str(exc)
    else:
        if value is None:
            assert unit is None
        else:
            assert isinstance(value, float)
            assert unit is None or units.normalise_time_unit(unit) == unit
