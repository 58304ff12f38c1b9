"""Phase 2 arithmetic: the worked estimates of the source material, slip diagnosis,
tolerance boundaries, sensitivity, the answer shape, and a robustness property."""

import copy
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phases import estimation
from phases.engine.answers import AnswerShapeError
from phases.engine.design import Design, ProblemSpec
from phases.engine.engine import check_phase
from phases.reading.units import SECONDS_PER_DAY, SECONDS_PER_YEAR
from tests.phases.cases import problem_specs
from tests.phases.test_estimation_rules import good_pastebin, good_url_shortener

URL_SHORTENER = {
    "writes": 100e6 / SECONDS_PER_DAY,
    "read_write_ratio": 10.0,
    "object_size": 200.0,
    "retention": 5 * SECONDS_PER_YEAR,
    "peak_factor": 2.0,
    "overhead": 3.0,
}
PASTEBIN = {
    "writes": 10e6 / SECONDS_PER_DAY,
    "read_write_ratio": 10.0,
    "object_size": 10e3,
    "retention": 30 * SECONDS_PER_DAY,
    "peak_factor": 4.0,
    "overhead": 3.0,
}


def values(assumptions: dict) -> dict[str, float]:
    return {key: figure.value for key, figure in estimation.recompute(assumptions).items()}


def agrees(source: float, ours: float) -> bool:
    """The source's round figure is what ``compare`` accepts as agreement."""
    return estimation.compare(source, ours)[1] == "ok"


# -- Worked cases ---------------------------------------------------------------------------


def test_url_shortener_worked_estimate():
    v = values(URL_SHORTENER)
    assert v["writes_per_s"] == pytest.approx(1_157.4, rel=1e-4)
    assert agrees(1_200, v["writes_per_s"])  # the source's round figure
    assert agrees(1_160, v["writes_per_s"])
    assert v["reads_per_s"] == pytest.approx(11_574, rel=1e-4)
    assert agrees(12_000, v["reads_per_s"])
    # 100M x 365 x 5 = 182.5 billion records of 200 B.
    assert v["storage"] / 200 == pytest.approx(100e6 * 365 * 5)
    assert v["storage"] == pytest.approx(36.5e12)
    assert agrees(36e12, v["storage"])
    assert agrees(100e12, v["storage_with_overhead"])  # "roughly 100 TB" at 3x
    assert v["peak_writes_per_s"] == pytest.approx(2_315, rel=1e-3)
    assert v["cache_memory"] == pytest.approx(40e9)


def test_url_shortener_bandwidth_at_20000_reads_per_s():
    """Planning for 2,000 writes/s: 20,000 reads/s x 200 B = 4 MB/s."""
    v = values({"writes": 2_000.0, "read_write_ratio": 10.0, "object_size": 200.0})
    assert v["peak_reads_per_s"] == pytest.approx(20_000)
    assert v["bandwidth_out"] == pytest.approx(4e6)


def test_pastebin_worked_estimate():
    v = values(PASTEBIN)
    assert v["writes_per_s"] == pytest.approx(115.74, rel=1e-4)
    assert agrees(116, v["writes_per_s"])
    assert v["reads_per_s"] == pytest.approx(1_157.4, rel=1e-4)
    assert agrees(1_160, v["reads_per_s"])
    # 10M x 30 days = 300M pastes of 10 KB.
    assert v["storage"] / 10e3 == pytest.approx(300e6)
    assert v["storage"] == pytest.approx(3e12)
    assert agrees(500, v["peak_writes_per_s"])  # "plan for roughly 500/s"
    assert agrees(5_000, v["peak_reads_per_s"])  # "roughly 5,000/s at peak"


def test_arithmetic_is_shown_with_the_result():
    figures = estimation.recompute(URL_SHORTENER)
    assert figures["writes_per_s"].arithmetic == "100,000,000/day ÷ 86,400 s = 1,157/s"
    assert figures["storage"].arithmetic.endswith("= 36.5 TB")


def test_values_only_recompute_gives_the_same_numbers_without_the_arithmetic():
    explained = estimation.recompute(URL_SHORTENER)
    bare = estimation.recompute(URL_SHORTENER, explain=False)
    assert {k: f.value for k, f in bare.items()} == {k: f.value for k, f in explained.items()}
    assert len(bare) > 5 and all(f.arithmetic == "" for f in bare.values())


# -- Reads stated, and the objects kept ------------------------------------------------------

SEARCH_CACHE = {  # read-only: 50,000 reads/s of 2 KB answers, 10M answers kept
    "reads": 50_000.0,
    "object_size": 2_000.0,
    "objects_kept": 10e6,
    "peak_factor": 2.0,
    "overhead": 2.0,
}


def test_a_read_rate_alone_gives_the_read_results_and_no_write_results():
    figures = estimation.recompute(SEARCH_CACHE)
    assert set(figures) == {
        "reads_per_s",
        "peak_reads_per_s",
        "bandwidth_out",
        "cache_memory",
        "storage",
        "storage_with_overhead",
    }
    assert figures["reads_per_s"].arithmetic == ("4,320,000,000 reads/day ÷ 86,400 s = 50,000/s")
    assert figures["peak_reads_per_s"].value == pytest.approx(100_000)
    assert figures["bandwidth_out"].value == pytest.approx(200e6)


def test_reads_and_a_ratio_give_writes_when_no_write_rate_is_stated():
    v = values({"reads": 1e9 / SECONDS_PER_DAY, "read_write_ratio": 10.0, "object_size": 200.0})
    assert v["writes_per_s"] == pytest.approx(1_157.4, rel=1e-4)
    assert v["bandwidth_in"] == pytest.approx(1_157.4 * 200, rel=1e-4)
    figures = estimation.recompute({"reads": 11_574.0, "read_write_ratio": 10.0})
    assert figures["writes_per_s"].arithmetic.startswith("11,574 reads/s ÷ 10 reads per write")


def test_with_both_rates_stated_reads_come_from_the_read_rate_not_the_ratio():
    v = values({**URL_SHORTENER, "reads": 50_000.0})
    assert v["writes_per_s"] == pytest.approx(1_157.4, rel=1e-4)
    assert v["reads_per_s"] == pytest.approx(50_000)
    assert v["peak_reads_per_s"] == pytest.approx(100_000)
    assert v["bandwidth_out"] == pytest.approx(100_000 * 200)
    assert v["cache_memory"] == pytest.approx(50_000 * SECONDS_PER_DAY * 200 * 0.2)


def test_a_zero_ratio_derives_no_writes_from_reads():
    assert "writes_per_s" not in values({"reads": 1_000.0, "read_write_ratio": 0.0})


def test_storage_from_the_objects_kept_needs_no_retention():
    figures = estimation.recompute(SEARCH_CACHE)
    assert figures["storage"].value == pytest.approx(20e9)
    assert figures["storage"].arithmetic == "10,000,000 objects kept × 2,000 B = 20 GB"
    assert figures["storage_with_overhead"].value == pytest.approx(40e9)


def test_the_objects_kept_size_storage_even_beside_a_retention():
    v = values({**URL_SHORTENER, "objects_kept": 1e6})
    assert v["storage"] == pytest.approx(1e6 * 200)
    assert v["storage_with_overhead"] == pytest.approx(3 * 1e6 * 200)


def test_the_cache_is_no_larger_than_the_objects_kept():
    figures = estimation.recompute(SEARCH_CACHE)
    assert figures["cache_memory"].value == pytest.approx(10e6 * 2_000 * 0.2)
    assert "10,000,000 objects kept (fewer than" in figures["cache_memory"].arithmetic
    # More objects than a day's reads: the day's reads bound it, as without the count.
    many = values({**URL_SHORTENER, "objects_kept": 1e12})
    assert many["cache_memory"] == pytest.approx(40e9)


def test_doubling_reads_moves_only_the_read_results_when_writes_are_stated():
    moves = _moves(estimation.sensitivity({**URL_SHORTENER, "reads": 50_000.0}), "reads")
    assert set(moves) == {"reads_per_s", "peak_reads_per_s", "bandwidth_out", "cache_memory"}


def test_doubling_reads_moves_the_derived_writes_too():
    moves = _moves(
        estimation.sensitivity({"reads": 11_574.0, "read_write_ratio": 10.0, "object_size": 200.0}),
        "reads",
    )
    assert moves["writes_per_s"] == pytest.approx(2)


def test_doubling_the_objects_kept_doubles_storage_only():
    moves = _moves(estimation.sensitivity(SEARCH_CACHE), "objects_kept")
    assert set(moves) == {"storage", "storage_with_overhead", "cache_memory"}


def test_the_headroom_of_a_read_only_estimate_has_no_write_row():
    figures = {k: f.value for k, f in estimation.recompute(SEARCH_CACHE).items()}
    rows = estimation.headroom(figures)
    assert [r["resource"] for r in rows][0] == "reads"
    assert "writes" not in {r["resource"] for r in rows}


def test_givens_that_settle_two_rates_set_the_learners_rates_aside():
    givens = problem_specs()["url-shortener"].givens  # 100M/day and 10:1
    merged = estimation.with_givens({**URL_SHORTENER, "reads": 1e6}, givens)
    assert "reads" not in merged
    v = values(merged)
    assert v["reads_per_s"] == pytest.approx(11_574, rel=1e-4)


def test_a_single_given_rate_keeps_the_learners_other_rates():
    givens = {"writes": {"label": "Writes", "value": "100M/day"}}
    merged = estimation.with_givens({"reads": 50_000.0, "read_write_ratio": 40.0}, givens)
    assert merged["reads"] == 50_000.0 and merged["writes"] == pytest.approx(1_157.4, rel=1e-4)


def test_a_reads_given_is_read_from_the_problem():
    assert estimation.givens_values({"reads": {"label": "Searches", "value": "50k/s"}}) == {
        "reads": 50_000.0
    }


def test_stated_reads_are_their_own_root_in_the_echo_chain():
    derived = estimation.derived_from({"reads": 1.0, "read_write_ratio": 10.0})
    assert derived["reads_per_s"] == ()
    assert derived["writes_per_s"] == ("reads_per_s",)
    assert derived["peak_reads_per_s"] == ("reads_per_s",)
    assert estimation.derived_from({"objects_kept": 1.0})["storage"] == ()
    assert estimation.derived_from({})["storage"] == ("writes_per_s",)


def test_a_slip_in_stated_reads_is_counted_once_with_the_writes_derived_from_them():
    doc = copy.deepcopy(good_url_shortener())
    doc["assumptions"].update({"writes": "", "reads": "1B/day"})
    doc["results"].update({"reads_per_s": "115,741/s", "writes_per_s": "11,574/s"})
    found = [
        f
        for f in check_phase(2, Design({2: doc}, ProblemSpec("no-problem")))
        if f.code == "EST-001"
    ]
    serious = [f for f in found if f.severity.value in ("error", "warning")]
    assert [f.field for f in serious] == ["results.reads_per_s"], found
    assert "average writes" in serious[0].message


# -- Version 1 documents ----------------------------------------------------------------------


def as_version_1(doc: dict) -> dict:
    """A version 2 document as version 1 wrote it: no read rate, no objects kept."""
    old = copy.deepcopy(doc)
    old["version"] = 1
    for key in ("reads", "objects_kept"):
        del old["assumptions"][key]
    return old


@pytest.mark.parametrize(
    ("slug", "base"), [("url-shortener", good_url_shortener), ("pastebin", good_pastebin)]
)
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"results.storage": "7.3 TB"},  # a slip, named
        {"assumptions.writes": "", "results.writes_per_s": "27,778/s"},
        {"assumptions.retention": "", "conclusion.pressure": "writes"},
    ],
)
def test_a_version_1_document_parses_and_grades_as_it_did(slug, base, change):
    doc = copy.deepcopy(base())
    for path, value in change.items():
        group, key = path.split(".")
        doc[group][key] = value
    old = as_version_1(doc)
    assert old["version"] == 1 and "reads" not in old["assumptions"]
    assert estimation.parse(copy.deepcopy(old)) == estimation.parse(copy.deepcopy(doc))
    spec = problem_specs()[slug]
    old_design, new_design = Design({2: old}, spec), Design({2: doc}, spec)
    assert check_phase(2, old_design) == check_phase(2, new_design)
    assert estimation.computed(old_design) == estimation.computed(new_design)
    assert estimation.SCHEMA_VERSION == 2 and estimation.empty()["version"] == 2


def test_the_shipped_example_answer_is_a_version_1_estimate_and_grades_cleanly():
    import json

    from tests.phases.cases import ROOT

    example = json.loads((ROOT / "fixtures" / "answers" / "url-shortener.json").read_text())
    doc = example["phases"]["2"]
    assert doc["version"] == 1 and "reads" not in doc["assumptions"]
    findings = check_phase(2, Design({2: doc}, problem_specs()["url-shortener"]))
    assert not [f for f in findings if f.severity.value == "error"], findings


@pytest.mark.parametrize(
    ("slug", "base"),
    [
        ("url-shortener", good_url_shortener),
        ("pastebin", good_pastebin),
    ],
)
def test_report_agrees_and_names_storage_as_least_headroom(slug, base):
    estimate = estimation.parse(copy.deepcopy(base()))
    report = estimation.report(estimate, problem_specs()[slug].givens)
    for row in report["results"]:
        assert row["verdict"] == "ok", row
        assert row["from_givens"] == pytest.approx(row["from_assumptions"]), row
    assert report["constants"]["seconds_per_day"] == 86_400
    assert report["headroom"][0]["resource"] == "storage", report["headroom"]


def test_pastebin_with_the_default_hot_set_is_memory_bound():
    """20% of a day's reads of 10 KB pastes is 200 GB: more than one 64 GB cache node."""
    doc = copy.deepcopy(good_pastebin())
    doc["assumptions"]["cache_fraction"] = ""
    report = estimation.report(estimation.parse(doc), problem_specs()["pastebin"].givens)
    assert report["headroom"][0]["resource"] == "memory"
    assert report["headroom"][0]["load"] == pytest.approx(200e9)


def test_report_from_givens_differs_from_assumptions_that_contradict_them():
    doc = copy.deepcopy(good_url_shortener())
    doc["assumptions"]["writes"] = "10M/day"
    report = estimation.report(estimation.parse(doc), problem_specs()["url-shortener"].givens)
    row = next(r for r in report["results"] if r["key"] == "writes_per_s")
    assert row["from_assumptions"] == pytest.approx(115.74, rel=1e-4)
    assert row["from_givens"] == pytest.approx(1_157.4, rel=1e-4)
    # 1,157/s is 10x what 10M/day gives: a zero too many, judged by its factor (an order
    # of magnitude: an error, whichever way it goes).
    assert row["verdict"] == "error"
    assert "a zero too many or too few" in row["slip"]


# -- diagnose ---------------------------------------------------------------------------------

SLIPS = [
    (24, "writes_per_s", {}, "hours mixed up with days"),
    (86_400, "writes_per_s", {}, "86,400 seconds a day"),
    (2_592_000, "writes_per_s", {}, "2,592,000 seconds a month"),
    (31_536_000, "writes_per_s", {}, "31,536,000 seconds a year"),
    (3_600, "writes_per_s", {}, "3,600 seconds an hour"),
    (8, "bandwidth_out", {}, "bits mixed up with bytes"),
    (1_000, "storage", {}, "off by one step"),
    (1_000_000, "storage", {}, "off by two steps"),
    (365, "storage", {}, "365 days"),
    (30, "storage", {}, "30 days"),
    (12, "storage", {}, "(12)"),
    (5, "storage", {"retention": 5 * SECONDS_PER_YEAR}, "retention period (5 years)"),
    (2, "peak_writes_per_s", {"peak_factor": 2.0}, "peak factor (2)"),
    (4, "peak_reads_per_s", {"peak_factor": 4.0}, "peak factor (4)"),
    (3, "storage_with_overhead", {"overhead": 3.0}, "overhead factor (3)"),
    (10, "writes_per_s", {}, "a zero too many or too few"),
    (10, "storage", {}, "a zero too many or too few"),
    (
        60.83,
        "storage",
        {"retention": 5 * SECONDS_PER_YEAR},
        "one month's storage mixed up with the total over the retention (5 years",
    ),
    (720, "storage", {"retention": 3_600}, "one month's storage mixed up"),
    (
        520,
        "storage",
        {"writes": 20_000, "retention": 30 * SECONDS_PER_DAY, "objects_kept": 1e8},
        "every write kept for the whole retention",
    ),
]


@pytest.mark.parametrize("direction", ["over", "under"])
@pytest.mark.parametrize(("factor", "key", "assumptions", "slip"), SLIPS)
def test_diagnose_names_each_slip_both_ways(factor, key, assumptions, slip, direction):
    ratio = factor if direction == "over" else 1 / factor
    assert slip in estimation.diagnose(ratio, key, assumptions)
    # Within 10% of the factor still counts; the exact figure is rarely exact.
    nearby = ratio * 1.07 if direction == "over" else ratio / 1.07
    assert slip in estimation.diagnose(nearby, key, assumptions)


@pytest.mark.parametrize(
    ("ratio", "key", "assumptions"),
    [
        (3.3, "storage", {}),
        (1 / 3.3, "storage", {}),
        (1.0, "writes_per_s", {}),
        (5, "storage", {"retention": SECONDS_PER_YEAR}),  # one year: no retention slip
        (5, "storage", {}),
        (4, "writes_per_s", {"peak_factor": 4.0}),  # not a peak figure
        (3, "storage", {"overhead": 3.0}),  # raw storage has no overhead
        (2, "peak_writes_per_s", {"peak_factor": 1.0}),
        (8 * 1.11, "bandwidth_out", {}),  # just beyond 10% of 8
        (8, "writes_per_s", {}),  # a count has no bits or bytes
        (27, "writes_per_s", {}),  # between the windows of 24 and 30
        (50, "cache_memory", {}),
        (1.0, "storage", {"retention": 30 * SECONDS_PER_DAY}),  # a month is the retention
        (1.3, "storage", {"retention": 40 * SECONDS_PER_DAY}),  # too close to tell
        (520, "storage", {"writes": 20_000, "objects_kept": 1e8}),  # no retention to blame
        (5, "storage", {"retention": 5 * SECONDS_PER_YEAR, "objects_kept": 1e8}),
    ],
)
def test_diagnose_finds_no_slip(ratio, key, assumptions):
    assert estimation.diagnose(ratio, key, assumptions) == ""


def test_where_two_windows_overlap_the_nearer_factor_is_named():
    """10's window (9.09 to 11) and 12's (10.9 to 13.2) share 10.9 to 11."""
    assert "a zero too many" in estimation.diagnose(10.95, "writes_per_s", {})
    assert "(12)" in estimation.diagnose(10.99, "writes_per_s", {})


def test_the_answers_own_factor_wins_a_tie():
    """Ten years left out of storage is a factor of 10 too; the retention is the better name."""
    assumptions = {"retention": 10 * SECONDS_PER_YEAR}
    assert "retention period (10 years)" in estimation.diagnose(0.1, "storage", assumptions)


@pytest.mark.parametrize(
    ("key", "ratios", "verdict"),
    [
        ("writes_per_s", (10.4, 1 / 9.65, 10, 0.1, 9.2, 1 / 10.9), "error"),  # a zero
        ("writes_per_s", (11.5, 1 / 11.5, 12.9, 1 / 11.0), "error"),  # the month-to-year 12
        ("bandwidth_out", (8.5, 1 / 7.5), "warning"),  # bits for bytes
        ("writes_per_s", (24.5, 1 / 23), "error"),  # hours for days
    ],
)
def test_a_named_slip_has_one_verdict_whichever_way_it_goes(key, ratios, verdict):
    for ratio in ratios:
        found = estimation.slip(ratio, key, {})
        assert found is not None, ratio
        assert found.verdict == verdict, (ratio, found)


def test_the_report_judges_10_4x_and_1_over_9_65_alike():
    verdicts = {}
    for text in ("12,037/s", "120/s"):  # 10.4x and 1/9.65 of 1,157/s
        doc = copy.deepcopy(good_url_shortener())
        doc["results"]["writes_per_s"] = text
        row = estimation.report(estimation.parse(doc), {})["results"][0]
        assert "a zero too many" in row["slip"], row
        verdicts[text] = row["verdict"]
    assert set(verdicts.values()) == {"error"}, verdicts


def test_a_named_slip_inside_the_agreement_band_stays_a_warning():
    """A slip whose factor is under 2 is still a mistake once the ratio is past 2x."""
    found = estimation.slip(2.1, "peak_writes_per_s", {"peak_factor": 2.0})
    assert found is not None and found.verdict == "warning"


# -- compare ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("learner", "ours", "verdict"),
    [
        (1, 1, "ok"),
        (2, 1, "ok"),  # exactly 2x is still agreement
        (1, 2, "ok"),
        (2.001, 1, "warning"),
        (1, 2.001, "warning"),
        (10, 1, "warning"),  # exactly 10x is still a warning
        (1, 10, "warning"),
        (10.001, 1, "error"),
        (1, 10.001, "error"),
        (0, 1, "error"),
        (1, 0, "error"),
        (0, 0, "ok"),
    ],
)
def test_compare_boundaries(learner, ours, verdict):
    assert estimation.compare(learner, ours)[1] == verdict


def test_compare_ratio_is_learner_over_ours():
    assert estimation.compare(3, 1)[0] == 3
    assert estimation.compare(1, 4)[0] == 0.25
    assert estimation.compare(1, 0)[0] == math.inf


def test_month_of_2_5m_seconds_is_within_tolerance():
    ours = 100e6 / (30 * SECONDS_PER_DAY)
    learner = 100e6 / 2.5e6
    assert estimation.compare(learner, ours)[1] == "ok"
    assert estimation.diagnose(learner / ours, "writes_per_s", {}) == ""


# -- sensitivity ------------------------------------------------------------------------------


def _moves(table, assumption, when="doubled"):
    row = next(r for r in table if r["assumption"] == assumption)
    return {m["result"]: m["factor"] for m in row["moves"] if m["when"] == when}


def test_doubling_object_size_doubles_storage_and_bandwidth_not_rates():
    moves = _moves(estimation.sensitivity(URL_SHORTENER), "object_size")
    for key in ("storage", "storage_with_overhead", "bandwidth_in", "bandwidth_out"):
        assert moves[key] == pytest.approx(2), key
    for key in ("writes_per_s", "peak_writes_per_s", "reads_per_s", "peak_reads_per_s"):
        assert key not in moves
    assert _moves(estimation.sensitivity(URL_SHORTENER), "object_size", "halved")[
        "storage"
    ] == pytest.approx(0.5)


def test_doubling_writes_moves_every_result():
    moves = _moves(estimation.sensitivity(URL_SHORTENER), "writes")
    assert set(moves) == {f.key for f in estimation.RESULTS}
    assert all(factor == pytest.approx(2) for factor in moves.values())


def test_sensitivity_is_sorted_by_largest_move_and_skips_inert_assumptions():
    table = estimation.sensitivity(URL_SHORTENER)
    largest = [row["largest"] for row in table]
    assert largest == sorted(largest, reverse=True)
    only_overhead = _moves(table, "overhead")
    assert set(only_overhead) == {"storage_with_overhead"}


# -- parse ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "field", "text"),
    [
        ({"assumptions": {"object_size": "2OO B"}}, "assumptions.object_size", "letter O"),
        ({"assumptions": {"object_size": "2 OX"}}, "assumptions.object_size", "Expected a size"),
        ({"assumptions": {"object_size": "5 years"}}, "assumptions.object_size", "duration"),
        ({"assumptions": {"writes": "200 B"}}, "assumptions.writes", "Expected a rate"),
        ({"results": {"storage": "36 TB/s"}}, "results.storage", "bandwidth"),
        ({"conclusion": {"pressure": "cpu"}}, "conclusion.pressure", "Expected one of"),
        ({"assumptions": {"peak_factor": "0"}}, "assumptions.peak_factor", "positive"),
        ({"assumptions": {"peak_factor": "0x"}}, "assumptions.peak_factor", "positive"),
        ({"assumptions": {"overhead": "0%"}}, "assumptions.overhead", "positive"),
        ({"assumptions": {"cache_fraction": "x%"}}, "assumptions.cache_fraction", "number"),
        ({"assumptions": ["100M/day"]}, "assumptions", "Expected an object"),
        ({"results": {"storage": ["36 TB"]}}, "results.storage", "Expected text"),
        ({"extra_assumptions": [{"name": 1, "value": []}]}, "extra_assumptions[0].value", ""),
    ],
)
def test_parse_reports_shape_errors_with_field_paths(doc, field, text):
    with pytest.raises(AnswerShapeError) as excinfo:
        estimation.parse(doc)
    messages = dict(excinfo.value.errors)
    assert field in messages, excinfo.value.errors
    assert text in messages[field]


def test_parse_collects_every_error_at_once():
    with pytest.raises(AnswerShapeError) as excinfo:
        estimation.parse(
            {
                "assumptions": {"object_size": "2OO B", "peak_factor": "0"},
                "conclusion": {"pressure": "cpu"},
            }
        )
    fields = [field for field, _ in excinfo.value.errors]
    assert fields == ["assumptions.object_size", "conclusion.pressure", "assumptions.peak_factor"]


def test_parse_reads_the_documented_example():
    estimate = estimation.parse(copy.deepcopy(good_url_shortener()))
    assert estimate.assumptions["writes"].value == pytest.approx(1_157.4, rel=1e-4)
    assert estimate.assumptions["cache_fraction"].value == pytest.approx(0.2)
    assert estimate.assumptions["retention"].value == 5 * SECONDS_PER_YEAR
    assert estimate.pressure == "storage"
    assert estimate.raw_results["storage"] == "36.5 TB"
    assert not estimation.parse({}).assumptions
    assert estimation.parse(estimation.empty()).is_empty


# -- Robustness -------------------------------------------------------------------------------

PLAUSIBLE = [
    "",
    " ",
    "0",
    "1",
    "100M/day",
    "1.2k/s",
    "12,000 reads/s",
    "10:1",
    "1:0",
    "0:1",
    "200 B",
    "10 KB",
    "36 TB",
    "4 MB/s",
    "10 Gbps",
    "5 years",
    "30 days",
    "2x",
    "0x",
    "20%",
    "0%",
    "150%",
    "0/s",
    "0 B",
    "read-heavy",
    "~100M/day",
]
_UNITS = ["", "/s", "/day", "/month", " B", " KB", " TB", " MB/s", " Mbps", " years", " days"]
_UNITS += ["x", "%", ":1"]
numbers = st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda x: f"{x:g}")
quantity_text = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.builds(lambda n, u: n + u, numbers, st.sampled_from(_UNITS)),
    st.text(max_size=12),
)
assumptions_st = st.dictionaries(
    st.sampled_from([f.key for f in estimation.ASSUMPTIONS]), quantity_text
)
results_st = st.dictionaries(st.sampled_from([f.key for f in estimation.RESULTS]), quantity_text)
conclusion_st = st.fixed_dictionaries(
    {},
    optional={
        "pressure": st.one_of(st.sampled_from(["", *estimation.PRESSURES]), st.text(max_size=8)),
        "implication": st.text(max_size=20),
    },
)
docs = st.fixed_dictionaries(
    {"assumptions": assumptions_st, "results": results_st}, optional={"conclusion": conclusion_st}
)
SPECS = [ProblemSpec("no-problem"), problem_specs()["url-shortener"], problem_specs()["pastebin"]]


@settings(max_examples=300, deadline=None)
@given(docs, st.sampled_from(SPECS))
def test_parse_never_fails_otherwise_and_parsed_answers_always_check(doc, spec):
    try:
        estimate = estimation.parse(copy.deepcopy(doc))
    except AnswerShapeError:
        return
    assert isinstance(estimate, estimation.Estimate)
    design = Design({2: doc}, spec)
    findings = check_phase(2, design)
    assert all(f.code.startswith("EST-") for f in findings)
    computed = estimation.computed(design)
    assert set(computed) >= {"results", "headroom", "sensitivity"}


EXTREMES = [
    pytest.param(
        {
            "assumptions": {"writes": "1e300/s", "retention": "1e300 s", "object_size": "1 B"},
            "results": {"storage": "1 TB"},
        },
        id="storage-overflows-to-inf",
    ),
    pytest.param(
        {
            "assumptions": {"writes": "100M/day", "peak_factor": "9" * 400 + "%"},
            "results": {"peak_writes_per_s": "1/s"},
        },
        id="percent-factor-overflows-to-inf",
    ),
    pytest.param({"assumptions": {"writes": "5e-324/s"}, "results": {}}, id="subnormal-writes"),
]


@pytest.mark.parametrize("doc", EXTREMES)
def test_extreme_magnitudes_do_not_crash(doc):
    """Either the shape check refuses the figure, or every check runs on it."""
    design = Design({2: doc}, ProblemSpec("no-problem"))
    try:
        estimation.parse(copy.deepcopy(doc))
    except AnswerShapeError:
        return
    check_phase(2, design)
    estimation.computed(design)
