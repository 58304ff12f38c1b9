"""Every computed figure is a finite number: the reports, the capacity model, the grader.

JSON has no infinity, and PostgreSQL refuses ``Infinity`` in a JSON column, so a figure
that overflowed must never reach a report. The limits on what can be typed
(``phases.reading.units.LIMITS``) keep every product far inside a float; the computations guard
their divisions too, and drop (or write "too large to compute" for) what still overflows.
"""

import copy
import json
import math
from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from phases import capacity, estimation
from phases.engine.answers import MAX_ROWS, AnswerShapeError, Reader, oversized
from phases.engine.design import Design
from phases.engine.engine import grade
from phases.reading.quantities import Quantity, format_quantity, parse_quantity
from phases.reading.units import LIMITS, UnitError, finite_tree, parse_latency, parse_ratio
from phases.rendering import export, markdown
from tests.phases.cases import ROOT, problem_specs

FIXTURE = ROOT / "fixtures" / "answers" / "url-shortener.json"
TOO_LARGE = "larger than any system this tutor can reason about"


@cache
def _fixture() -> dict:
    return json.loads(FIXTURE.read_text())["phases"]


def answers(**changes) -> dict[int, dict]:
    """The example file's nine phases, with some documents replaced."""
    docs = {int(n): copy.deepcopy(doc) for n, doc in _fixture().items()}
    docs.update({int(n[1:]): doc for n, doc in changes.items()})
    return docs


def strict_json(value) -> str:
    """JSON as PostgreSQL and every JSON parser accept it: no Infinity, no NaN."""
    return json.dumps(value, allow_nan=False)


def every_report(design: Design) -> None:
    """The estimate report, the capacity model and the grader's report all serialise."""
    strict_json(capacity.model(design))
    report = grade(design)
    strict_json(report)
    try:
        strict_json(estimation.computed(design))
    except AnswerShapeError:
        assert report["phases"]["2"]["status"] == "invalid"


# -- Magnitudes no system has are shape errors -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expect", "limit"),
    [
        ("1e308 B", "size", "1,000 EB"),
        ("1001 EB", "size", "1,000 EB"),
        ("1e308/day", "rate", "a trillion a second"),
        ("2T/s", "rate", "a trillion a second"),
        ("2 PB/s", "bandwidth", "1 PB/s"),
        ("1e30 years", "duration", "1,000 years"),
        ("2,000,000x", "factor", "1,000,000x"),
        ("2e18 users", "count", "10^18"),
        ("1e999", None, "10^18"),
        ("1e308 TB", None, "1,000 EB"),
        ("9" * 150, None, "10^18"),
    ],
)
def test_magnitudes_no_system_has_are_refused_naming_the_limit(text, expect, limit):
    with pytest.raises(UnitError, match=TOO_LARGE) as caught:
        parse_quantity(text, expect=expect)
    assert f"(at most {limit}" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("1000 EB", "size"),
        ("1T/s", "rate"),
        ("1 PB/s", "bandwidth"),
        ("1000 years", "duration"),
        ("1e18", "count"),
        ("1,000,000x", "factor"),
        ("1,000,000,000:1", "ratio"),
    ],
)
def test_the_limits_themselves_are_accepted(text, expect):
    assert parse_quantity(text, expect=expect).value == pytest.approx(LIMITS[expect].value)


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "nan B",
        "inf",
        "Infinity",
        "-inf/s",
        "∞",
        "inf years",
        "NaN:1",
        "-1 B",
        "−5 MB",
    ],
)
@pytest.mark.parametrize("expect", [None, "count", "rate", "size", "ratio", "factor"])
def test_nan_infinity_and_negatives_are_refused_however_spelled(text, expect):
    with pytest.raises(UnitError):
        parse_quantity(text, expect=expect)


def test_a_huge_estimate_is_a_field_error_in_parse():
    doc = copy.deepcopy(_fixture()["2"])
    doc["assumptions"]["object_size"] = "1e308 B"
    doc["assumptions"]["writes"] = "1e308/day"
    doc["assumptions"]["cache_fraction"] = "9" * 400 + "%"
    with pytest.raises(AnswerShapeError) as caught:
        estimation.parse(doc)
    errors = dict(caught.value.errors)
    assert set(errors) == {
        "assumptions.object_size",
        "assumptions.writes",
        "assumptions.cache_fraction",
    }
    assert all(TOO_LARGE in message for message in errors.values())


def test_ratios_and_latencies_have_limits_too():
    with pytest.raises(UnitError, match=TOO_LARGE):
        parse_ratio("9" * 400 + ":1")
    with pytest.raises(UnitError, match=TOO_LARGE):
        parse_ratio("1:0." + "0" * 300 + "1")
    with pytest.raises(UnitError, match=TOO_LARGE):
        parse_latency("9" * 400 + " ms")
    with pytest.raises(UnitError, match=r"at most a day"):
        parse_latency("2000 min")
    assert parse_latency("1440 min") == (1440, "min")


def test_a_latency_target_is_limited_in_the_unit_chosen_beside_it():
    doc = copy.deepcopy(_fixture()["1"])
    doc["latency"][0].update(target="2000000", unit="min")
    with pytest.raises(AnswerShapeError) as caught:
        Design(answers(p1=doc), problem_specs()["url-shortener"]).requirements  # noqa: B018
    assert caught.value.errors[0][0] == "latency[0].target"
    assert TOO_LARGE in caught.value.errors[0][1]


# -- Defence in depth: what still overflows is left out ----------------------------------------


def test_recompute_leaves_out_a_result_too_large_for_a_float():
    figures = estimation.recompute(
        {
            "writes": 1e300,
            "read_write_ratio": 1e10,
            "object_size": 1e10,
            "retention": 1e10,
            "peak_factor": 2.0,
        }
    )
    assert figures["writes_per_s"].value == 1e300
    assert "storage" not in figures  # 1e320: no float holds it
    assert "bandwidth_out" not in figures
    assert all(math.isfinite(f.value) for f in figures.values())


def test_report_and_sensitivity_stay_finite_when_the_products_overflow():
    assumptions = {
        "writes": Quantity(1e300, "rate", "forged"),
        "read_write_ratio": Quantity(1e9, "ratio", "forged"),
        "object_size": Quantity(1e21, "size", "forged"),
        "retention": Quantity(1e10, "duration", "forged"),
    }
    estimate = estimation.Estimate(assumptions, (), {}, {}, "", "")
    strict_json(estimation.report(estimate, {}))
    strict_json(estimation.sensitivity(estimation.base_values(assumptions)))


def test_loads_too_small_to_divide_by_give_no_infinite_headroom():
    doc = copy.deepcopy(_fixture()["2"])
    doc["assumptions"]["writes"] = "1e-320/s"
    design = Design(answers(p2=doc), problem_specs()["url-shortener"])
    rows = design.estimate_report["headroom"]
    assert all(math.isfinite(row["headroom"]) for row in rows)
    every_report(design)


def test_an_instructors_absurd_capacity_is_ignored():
    problem = problem_specs()["url-shortener"]
    expectations = copy.deepcopy(problem.expectations)
    expectations["phase7"] = {"capacities": {"app_server": {"requests_per_s": 1e308}}}
    spec = type(problem)(problem.slug, problem.title, problem.givens, expectations)
    model = capacity.model(Design(answers(), spec))
    strict_json(model)
    app = next(row for row in model["components"] if row["type"] == "app_server")
    assert "set by the instructor" not in app["capacity_note"]


def test_an_overflowed_figure_reads_too_large_to_compute():
    assert format_quantity(Quantity(math.inf, "size", "")) == "too large to compute"
    assert format_quantity(Quantity(math.nan, "rate", "")) == "too large to compute"
    assert markdown.num(math.inf) == "too large to compute"
    assert finite_tree({"a": [1.0, math.inf, {"b": math.nan}], "c": (2, -math.inf)}) == {
        "a": [1.0, None, {"b": None}],
        "c": (2, None),
    }


# -- Lists and nesting -------------------------------------------------------------------------


def test_parse_refuses_more_rows_than_the_forms_offer():
    doc = copy.deepcopy(_fixture()["1"])
    doc["functional"] = [{"text": f"A user can do thing {n}", "path": "write"} for n in range(51)]
    with pytest.raises(AnswerShapeError) as caught:
        Design(answers(p1=doc), problem_specs()["url-shortener"]).requirements  # noqa: B018
    assert caught.value.errors == [("functional", f"At most {MAX_ROWS} rows (got 51).")]


def test_reader_caps_lists_of_text_values():
    reader = Reader({"left_out": ["search"] * (MAX_ROWS + 1)})
    assert reader.texts(reader.data, "left_out", "left_out", choices=("search",)) == []
    assert reader.errors == [("left_out", f"At most {MAX_ROWS} rows (got {MAX_ROWS + 1}).")]


def test_oversized_names_the_first_long_list_or_deep_nesting():
    assert oversized(_fixture()["1"]) is None
    assert oversized({"a": {"b": [{}] * (MAX_ROWS + 1)}}) == (
        "a.b",
        f"At most {MAX_ROWS} rows (got {MAX_ROWS + 1}).",
    )
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    assert oversized({"x": [0, {"y": deep}]}) == (
        "x[1].y" + "[0]" * 13,  # the 17th list or object down from the top
        "Nested more than 16 levels deep.",
    )


# -- Property: any parseable number in any field gives finite, serialisable reports ----------

_MANTISSAS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.integers(0, 999).map(lambda n: f"{n:,}000"),
    st.decimals(0, 1000, places=3, allow_nan=False).map(str),
)
_EXPONENTS = st.one_of(st.just(""), st.integers(-400, 400).map(lambda e: f"e{e}"))
_UNITS = st.sampled_from(
    [
        "",
        " B",
        " KB",
        " EB",
        " EiB",
        " bits",
        " Gbps",
        " TB/day",
        " MB/s",
        "/s",
        "/day",
        "/year",
        " per month",
        " reads/s",
        "M/day",
        "B/day",
        "T/s",
        "k",
        " billion",
        " years",
        " days",
        " ms",
        " min",
        "x",
        " times",
        "%",
        ":1",
    ]
)
NUMBERS = st.one_of(
    st.builds(lambda m, e, u: f"{m}{e}{u}", _MANTISSAS, _EXPONENTS, _UNITS),
    st.builds(lambda a, b: f"{a}:{b}", _MANTISSAS, _MANTISSAS),
    st.text("0123456789", min_size=1, max_size=400),
    st.integers(1, 400).map(lambda n: "9" * n),
)
PHASE2_FIELDS = [("assumptions", f.key) for f in estimation.ASSUMPTIONS] + [
    ("results", f.key) for f in estimation.RESULTS
]


def _is_parseable(design: Design, phase: int) -> bool:
    try:
        {2: lambda: design.estimate, 7: lambda: design.bottlenecks}.get(phase, lambda: None)()
    except AnswerShapeError:
        return False
    return True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.tuples(st.sampled_from(PHASE2_FIELDS), NUMBERS), min_size=1, max_size=6),
    hit_rate=st.one_of(NUMBERS, st.sampled_from(["99%", "0", "100%", "0.5"])),
)
@example(values=[(("assumptions", "object_size"), "1e308 B")], hit_rate="99%")
@example(values=[(("assumptions", "writes"), "1e308/day")], hit_rate="99%")
def test_any_parseable_quantity_in_phase_2_gives_finite_reports(values, hit_rate):
    phase2 = copy.deepcopy(_fixture()["2"])
    for (group, key), text in values:
        phase2[group][key] = text
    phase7 = {**copy.deepcopy(_fixture()["7"]), "hit_rate": hit_rate}
    design = Design(answers(p2=phase2, p7=phase7), problem_specs()["url-shortener"])
    every_report(design)
    if _is_parseable(design, 2):
        assert all(
            math.isfinite(q.value) and abs(q.value) <= LIMITS[q.kind].value
            for q in (*design.estimate.assumptions.values(), *design.estimate.results.values())
        )
        export.markdown(design, "property")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    count=st.one_of(NUMBERS, st.integers(0, 10**7).map(str)),
    latency=NUMBERS,
    ratio=NUMBERS,
    rate=NUMBERS,
    timeout=NUMBERS,
)
@example(count="3", latency="9" * 400, ratio="10:1", rate="20,000/s", timeout="1 s")
def test_any_parseable_number_in_other_phases_gives_finite_reports(
    count, latency, ratio, rate, timeout
):
    docs = answers()
    docs[1]["latency"][1]["target"] = latency
    docs[1]["read_write_ratio"] = ratio
    docs[3]["access_patterns"][0]["rate"] = rate
    docs[5]["components"][2]["count"] = count
    docs[8]["calls"][0]["timeout"] = timeout
    every_report(Design(docs, problem_specs()["url-shortener"]))
