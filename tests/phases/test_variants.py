import pytest
from hypothesis import given
from hypothesis import strategies as st

from phases.engine.variants import draw, range_error
from phases.reading.quantities import parse_quantity

RANGED = {
    "writes": {"label": "New links a day", "min": "50M/day", "max": "150M/day"},
    "object_size": {"label": "Link size", "min": "100 B", "max": "400 B"},
    "read_write_ratio": {"label": "Reads per write", "min": "5:1", "max": "20:1"},
    "retention": {"label": "Kept for", "value": "5 years"},
}


def test_fixed_givens_are_kept_and_ranged_ones_drawn_in_their_unit():
    drawn = draw(RANGED, seed=1)
    assert drawn["retention"] == RANGED["retention"]
    assert drawn["writes"]["value"].endswith("M/day")
    assert drawn["object_size"]["value"].endswith(" B")
    assert drawn["read_write_ratio"]["value"].endswith(":1")
    rate = parse_quantity(drawn["writes"]["value"], expect="rate").value
    assert 50e6 / 86_400 <= rate <= 150e6 / 86_400


def test_the_same_seed_draws_the_same_numbers_and_seeds_differ():
    assert draw(RANGED, 7) == draw(RANGED, 7)
    values = {draw(RANGED, seed)["writes"]["value"] for seed in range(20)}
    assert len(values) > 5


@given(st.integers(min_value=0, max_value=2**31))
def test_drawn_values_stay_inside_the_range(seed):
    value = float(draw(RANGED, seed)["writes"]["value"].removesuffix("M/day"))
    assert 50 <= value <= 150


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"min": "50M/day", "max": "150k/day"}, "same unit"),
        ({"min": "150M/day", "max": "50M/day"}, "below the maximum"),
        ({"min": "lots", "max": "50M/day"}, "Start the value with a number"),
    ],
)
def test_range_errors_say_what_is_wrong(given, message):
    assert message in range_error(given)
