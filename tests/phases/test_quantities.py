"""``phases.reading.quantities``: reading the figures learners type in back-of-envelope
estimates.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phases.reading import units
from phases.reading.quantities import UREG, Quantity, format_quantity, parse_quantity
from phases.reading.units import (
    SECONDS_PER_DAY,
    SECONDS_PER_MONTH,
    SECONDS_PER_YEAR,
    UnitError,
    counts_in,
    durations_in,
    rates_in,
)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("100M/day", "rate", 100e6 / 86_400),
        ("100M per day", "rate", 100e6 / 86_400),
        ("10 million per month", "rate", 10e6 / 2_592_000),
        ("1.2k/s", "rate", 1_200),
        ("1.2K/s", "rate", 1_200),
        ("1,200/s", "rate", 1_200),
        ("12,000 reads/s", "rate", 12_000),
        ("100M requests a day", "rate", 100e6 / 86_400),
        ("1,000 QPS", "rate", 1_000),
        ("6k/hour", "rate", 6_000 / 3_600),
        ("60/min", "rate", 1),
        ("31,536,000 per year", "rate", 1),
        ("100B/day", "rate", 100e9 / 86_400),
        ("2bn/day", "rate", 2e9 / 86_400),
        ("200 B", "size", 200),
        ("200 bytes", "size", 200),
        ("200 B per tweet", "size", 200),
        ("1.27 KB", "size", 1_270),
        ("36 TB", "size", 36e12),
        ("10 KiB", "size", 10 * 1024),
        ("3 GiB", "size", 3 * 1024**3),
        ("3 GB", "size", 3e9),
        ("2 megabytes", "size", 2e6),
        ("100 Mb", "size", 100e6 / 8),
        ("4 MB/s", "bandwidth", 4e6),
        ("10 Gbps", "bandwidth", 10e9 / 8),
        ("10 Gb/s", "bandwidth", 10e9 / 8),
        ("100 Mbit/s", "bandwidth", 100e6 / 8),
        ("86.4 GB/day", "bandwidth", 1e6),
        ("5 years", "duration", 5 * 365 * 86_400),
        ("30 days", "duration", 30 * 86_400),
        ("2 weeks", "duration", 14 * 86_400),
        ("1 month", "duration", 30 * 86_400),
        ("3 hours", "duration", 3 * 3_600),
        ("10:1", "ratio", 10),
        ("1:4", "ratio", 0.25),
        ("2x", "factor", 2),
        ("2×", "factor", 2),
        ("3 times", "factor", 3),
        ("1,000,000", "count", 1e6),
        ("3.5", "count", 3.5),
        ("1e6", "count", 1e6),
        ("100M", "count", 100e6),
        ("500 million users", "count", 500e6),
        ("  ~1,200  ", "count", 1_200),
    ],
)
def test_parses_what_learners_write(text, kind, value):
    quantity = parse_quantity(text)
    assert quantity.kind == kind
    assert quantity.value == pytest.approx(value)
    assert quantity.text == text


def test_periods_are_the_tutors_not_pints_julian_ones():
    assert UREG.Quantity(1, "year").to("second").magnitude == SECONDS_PER_YEAR
    assert UREG.Quantity(1, "month").to("second").magnitude == SECONDS_PER_MONTH
    assert UREG.Quantity(1, "day").to("second").magnitude == SECONDS_PER_DAY
    assert parse_quantity("1/year").value == pytest.approx(1 / SECONDS_PER_YEAR)
    assert parse_quantity("1 year").value == SECONDS_PER_YEAR


def test_worked_figures_from_the_source_material():
    writes = parse_quantity("100M/day", expect="rate")
    assert writes.value == pytest.approx(1_157, abs=1)
    assert format_quantity(writes) == "1,157/s"

    tweet = parse_quantity("200 B", expect="size")
    per_day = parse_quantity("100M", expect="count")
    years = parse_quantity("5 years", expect="duration")
    total = per_day.value * (years.value / SECONDS_PER_DAY) * tweet.value
    assert total == pytest.approx(36.5e12)
    assert format_quantity(Quantity(total, "size", "")) == "36.5 TB"

    bandwidth = parse_quantity("20,000/s", expect="rate").value * tweet.value
    assert bandwidth == pytest.approx(parse_quantity("4 MB/s").value)
    assert format_quantity(Quantity(bandwidth, "bandwidth", "")) == "4 MB/s"


@pytest.mark.parametrize(
    ("text", "expect", "value"),
    [
        ("200 B", "count", 200e9),
        ("100B/day", "rate", 100e9 / 86_400),
        ("100B/s", "bandwidth", 100),
        ("200B", "size", 200),
        ("10", "ratio", 10),
        ("10 to 1", "ratio", 10),
        ("2", "factor", 2),
    ],
)
def test_expect_settles_ambiguous_input(text, expect, value):
    quantity = parse_quantity(text, expect=expect)
    assert quantity.kind == expect
    assert quantity.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("5 years", "rate"),
        ("100M/day", "size"),
        ("36 TB", "bandwidth"),
        ("4 MB/s", "size"),
        ("2x", "count"),
        ("1,000", "duration"),
        ("200 b", "size"),
    ],
)
def test_wrong_kind_names_the_expected_kind_with_an_example(text, expect):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text, expect=expect)
    message = str(caught.value)
    assert expect in message
    assert "such as" in message


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "lots",
        "MB",
        "/s",
        "-5",
        "1,2",
        "1,0000",
        "1.2.3",
        "12 34",
        "5 apples/fortnight",
        "4 MB/s extra",
        "10 Gbps/s",
        "10:0",
        "10::1",
        "1" * 300,
        "100M/",
        "100M per",
        "1 KB per per",
        "£5",
    ],
)
def test_unparseable_input_raises_unit_error_with_an_example(text):
    with pytest.raises(UnitError) as caught:
        parse_quantity(text)
    assert any(example in str(caught.value) for example in ("100M/day", "10:1", "100:1"))


def test_unknown_expect_is_a_unit_error():
    with pytest.raises(UnitError):
        parse_quantity("5", expect="weight")


@pytest.mark.parametrize(
    ("text", "formatted"),
    [
        ("100M/day", "1,157/s"),
        ("36 TB", "36 TB"),
        ("4 MB/s", "4 MB/s"),
        ("5 years", "5 years"),
        ("1 year", "1 year"),
        ("2 weeks", "14 days"),
        ("10:1", "10:1"),
        ("2x", "2×"),
        ("3.5", "3.5"),
        ("1,000,000", "1M"),
        ("10/day", "10/day"),
        ("0/s", "0/s"),
        ("200 bytes", "200 B"),
    ],
)
def test_format_quantity(text, formatted):
    assert format_quantity(parse_quantity(text)) == formatted


def _parses_or_unit_error(text, expect=None):
    try:
        quantity = parse_quantity(text, expect=expect)
    except UnitError as error:
        assert str(error)
    else:
        assert isinstance(quantity, Quantity)
        assert quantity.kind in (
            "count",
            "rate",
            "size",
            "bandwidth",
            "duration",
            "ratio",
            "factor",
        )
        assert isinstance(format_quantity(quantity), str)


_KINDS = st.sampled_from(
    [None, "count", "rate", "size", "bandwidth", "duration", "ratio", "factor"]
)
_PIECES = st.sampled_from(
    [
        *"0123456789",
        ",",
        ".",
        ":",
        "/",
        " ",
        "e",
        "E",
        "-",
        "+",
        "x",
        "×",
        "~",
        "k",
        "K",
        "M",
        "m",
        "G",
        "T",
        "B",
        "b",
        "i",
        "ps",
        "bn",
        "KiB",
        "Gbps",
        "MB",
        "s",
        "day",
        "month",
        "years",
        "per",
        "a",
        "to",
        "reads",
        "million",
    ]
)


@given(st.text(max_size=60), _KINDS)
def test_arbitrary_text_gives_a_quantity_or_unit_error(text, expect):
    _parses_or_unit_error(text, expect)


@given(st.lists(_PIECES, max_size=12).map("".join), _KINDS)
def test_quantity_like_text_gives_a_quantity_or_unit_error(text, expect):
    _parses_or_unit_error(text, expect)


@given(
    st.floats(min_value=0, max_value=1e300, allow_nan=False),
    st.sampled_from(["", "k", "M", "B", "bn", "T", " KB", " TiB", " Gbps", " years", "/day"]),
    _KINDS,
)
def test_numbers_with_units_give_a_quantity_or_unit_error(number, suffix, expect):
    _parses_or_unit_error(f"{number}{suffix}", expect)
    _parses_or_unit_error(f"{number:,}{suffix}", expect)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("kept for 30 days, and nothing past one hour", [30 * SECONDS_PER_DAY, 3_600]),
        ("expires after an hour", [3_600]),
        ("a 10-minute hold", [600]),
        ("36.5 TB over five years", [5 * SECONDS_PER_YEAR]),
        ("clients poll every 5 s", [5]),
        ("5,000 a second", []),
        ("2 billion checks a day", []),
        ("10 per second", []),
        ("p99 of 5 ms", [0.005]),
    ],
)
def test_durations_in_prose(text, seconds):
    """Durations said in a sentence, and rates ("a second", "per day") told apart."""
    assert durations_in(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "counts", "rates"),
    [
        ("100 million daily users, about 30 million connected", [1e8, 3e7], []),
        ("200,000 queue polls/s served by the CDN", [], [2e5]),
        ("46k reads a second", [], [46_000]),
        ("2M fans polling every 10 s is 200,000 requests/s", [2e6], [2e5]),
        ("kept 30 days", [], []),
        ("5,000 rps", [], [5_000]),
    ],
)
def test_counts_and_rates_in_prose(text, counts, rates):
    """Figures said in a sentence: counts of things apart from rates a second and durations."""
    assert counts_in(text) == pytest.approx(counts)
    assert rates_in(text) == pytest.approx(rates)


# -- Letters typed for digits: said as such, not as a wrong unit ----------------------------


@pytest.mark.parametrize(
    ("parse", "text", "letter", "corrected"),
    [
        (units.parse_latency, "2OO", "O", "200"),
        (units.parse_latency, "2OO ms", "O", "200 ms"),
        (units.parse_latency, "O.5 s", "O", "0.5 s"),
        (units.parse_number, "1,2OO", "O", "1,200"),
        (units.parse_number, "l00", "l", "100"),
        (units.parse_ratio, "1O:1", "O", "10:1"),
        (units.parse_availability, "99.9O%", "O", "99.90%"),
        (lambda t: parse_quantity(t, "rate"), "1OOM/day", "O", "100M/day"),
        (lambda t: parse_quantity(t, "size"), "2OO B", "O", "200 B"),
        (lambda t: parse_quantity(t, None), "5oo GB", "o", "500 GB"),
    ],
)
def test_a_letter_typed_for_a_digit_is_named_with_the_number_to_write(
    parse, text, letter, corrected
):
    with pytest.raises(UnitError) as caught:
        parse(text)
    message = str(caught.value)
    assert f"the letter {letter} where the digit" in message
    assert f"write {corrected!r}" in message
    assert "time unit" not in message  # "2OO ms" was answered "Use a time unit ... (got 'oo')"


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (lambda t: parse_quantity(t, "count"), "100 logins"),
        (lambda t: parse_quantity(t, "rate"), "10l/s"),
        (lambda t: parse_quantity(t, "rate"), "1.2k/s"),
        (units.parse_latency, "200 ms"),
    ],
)
def test_words_after_a_number_are_not_taken_for_digits(parse, text):
    parse(text)  # reads as before: nothing to say


def test_letters_that_would_not_make_a_number_keep_the_general_message():
    with pytest.raises(UnitError) as caught:
        parse_quantity("Ol GB", "size")
    assert "letter" not in str(caught.value)
    with pytest.raises(UnitError) as caught:
        units.parse_latency("2xx")
    assert "time unit" in str(caught.value)
