"""Parsing the numbers people type: ratios, percentages, durations.

Every parser returns a number or raises :class:`UnitError`, whose message says what was
expected with an example, so a form can show it next to the field. Text with no digits
at all is not an error here: it is a vague answer, and judging it is a rule's job.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from phases.reading.text import has_number

_T = TypeVar("_T")


class UnitError(ValueError):
    """A value that cannot be read; the message names what would be accepted."""


_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_NUMBER_RE = re.compile(_NUMBER)

# Letters that are easily typed for digits: the letter O for zero, l and I for one.
_DIGIT_FOR = {"O": "0", "o": "0", "l": "1", "I": "1"}
# A run of digits and such letters that starts a number ("2OO", "1,5OO", "O.5", "l00"),
# not inside a word ("Ol", "Bob2").
_LOOKALIKE_RUN = re.compile(r"(?<![A-Za-z])(?:\d|[OolI](?=[OolI.,]*\d))[\d.,OolI]*")


def lookalike_digits(text: str, parse: Callable[[str], object]) -> "UnitError | None":
    """The error to show for a number typed with letters in place of digits ("2OO ms":
    the letter O twice for 0), when the text reads with the digits put back; else None.

    ``parse`` reads the corrected text (the parser that refused ``text``), so a word
    that merely starts after a digit ("100 logins", "10l") is never taken for one.
    """
    letters: list[str] = []

    def digits(match: re.Match[str]) -> str:
        run = match.group(0)
        letters.extend(c for c in run if c in _DIGIT_FOR)
        return "".join(_DIGIT_FOR.get(c, c) for c in run)

    corrected = _LOOKALIKE_RUN.sub(digits, text.strip())
    if not letters:
        return None
    try:
        parse(corrected)
    except (UnitError, ValueError, ArithmeticError):
        return None
    mixups = ", ".join(
        f"the letter {letter} where the digit {_DIGIT_FOR[letter]} belongs"
        for letter in dict.fromkeys(letters)
    )
    return UnitError(f"{text.strip()!r} has {mixups}: write {corrected!r}.")


# Seconds in the periods the tutor uses; shown on the reference page so learners can
# check the arithmetic. A month is 30 days: 2.6M seconds, the usual round figure.
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3_600
SECONDS_PER_DAY = 86_400
SECONDS_PER_MONTH = 30 * SECONDS_PER_DAY
SECONDS_PER_YEAR = 365 * SECONDS_PER_DAY


@dataclass(frozen=True)
class Limit:
    value: float  # in the base unit of its kind
    text: str  # the same, as an error message writes it


# The largest figure of each kind a learner may type, in the kind's base unit (a plain
# number, per second, bytes, bytes per second, seconds, reads per write, a multiplier,
# milliseconds). Each lies far beyond anything running today -- the busiest services
# count requests in the billions a second, the largest stores in exabytes, the whole
# internet carries under a petabyte a second -- so no honest estimate meets one, while a
# slipped exponent (1e308 B) or a pasted run of digits does. Within them every product
# the estimate, its sensitivity table and the capacity model compute stays far below
# what a float holds (about 1e308), so the reports are finite numbers that JSON and
# PostgreSQL accept. docs/answers.md lists them.
LIMITS = {
    "count": Limit(1e18, "10^18, a million trillion"),
    "rate": Limit(1e12, "a trillion a second"),
    "size": Limit(1e21, "1,000 EB, a zettabyte"),
    "bandwidth": Limit(1e15, "1 PB/s"),
    "duration": Limit(1_000 * SECONDS_PER_YEAR, "1,000 years"),
    "ratio": Limit(1e9, "1,000,000,000:1"),
    "factor": Limit(1e6, "1,000,000x"),
    "latency": Limit(1_000.0 * SECONDS_PER_DAY, "a day"),  # milliseconds
}
TOO_LARGE = "too large to compute"


def check_magnitude(value: float, kind: str, text: str) -> float:
    """``value`` when it is a finite number within :data:`LIMITS` for ``kind``, else
    UnitError; ``text`` is what was typed, for the message."""
    limit = LIMITS[kind]
    if math.isfinite(value) and abs(value) <= limit.value:
        return value
    shown = text.strip() if len(text.strip()) <= 40 else f"{text.strip()[:40]}…"
    raise UnitError(
        f"{shown} is larger than any system this tutor can reason about "
        f"(at most {limit.text}); check the number and its unit."
    )


def finite(value: float | None) -> float | None:
    """A computed figure, or None when it overflowed (or was never a number)."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value if math.isfinite(value) else None


def finite_tree(value: _T) -> _T:
    """A computed report with every non-finite float replaced by None, so that it can be
    written as JSON (which has no infinity) and stored; the last line of defence behind
    :data:`LIMITS` and the guards in each computation.

    Typed as giving back what it is given: within :data:`LIMITS` no figure overflows,
    so the None it puts in a float's place is for a report that has gone wrong anyway."""
    return cast(_T, _finite(value))


def _finite(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_finite(item) for item in value)
    return value


def parse_number(text: str) -> float:
    """A plain number, with optional thousands separators: ``1,200`` or ``0.5``."""
    cleaned = text.strip()
    match = re.fullmatch(_NUMBER, cleaned)
    if not match:
        raise lookalike_digits(text, parse_number) or UnitError(
            f"Enter a number such as 200 or 1,200 (got {text!r})."
        )
    return float(cleaned.replace(",", ""))


def parse_ratio(text: str) -> float | None:
    """A read:write ratio as reads per write: ``10:1`` gives 10, ``1:4`` gives 0.25.

    Also accepts ``10 to 1`` and a bare ``10`` (meaning 10:1). Returns None for text
    without digits (a vague answer such as "read-heavy").
    """
    if not has_number(text):
        return None
    match = re.fullmatch(
        rf"\s*{_NUMBER}\s*(?:(?::|to|/)\s*{_NUMBER})?\s*(?:reads?\s*(?:per|:|to)\s*writes?)?\s*",
        text.strip().lower(),
    )
    if not match:
        raise lookalike_digits(text, parse_ratio) or UnitError(
            f"Write the ratio as reads:writes, for example 10:1 (got {text!r})."
        )
    reads = _group_number(match.group(1), match.group(2))
    writes = _group_number(match.group(3), match.group(4)) if match.group(3) else 1.0
    if writes == 0:
        raise UnitError("The writes side of a ratio cannot be zero; for example 100:1.")
    return check_magnitude(reads / writes, "ratio", text)


_NINES_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def parse_availability(text: str) -> float | None:
    """An availability as a percentage: ``99.9``, ``99.9%``, ``three nines``, ``4 nines``.

    Returns None for text with no figure in it ("highly available").
    """
    lowered = text.strip().lower()
    nines = re.fullmatch(r"(\d|one|two|three|four|five|six)\s*nines?", lowered)
    if nines:
        word: str = nines.group(1)
        count = int(word) if word.isdigit() else _NINES_WORDS[word]
        percent: float = 100 * (1 - 10**-count)  # int ** -int is typed Any; it is a float
        return percent
    if not has_number(lowered):
        return None
    match = re.fullmatch(rf"{_NUMBER}\s*(?:%|percent)?", lowered)
    if not match:
        raise lookalike_digits(text, parse_availability) or UnitError(
            f"Write availability as a percentage, for example 99.9% (got {text!r})."
        )
    return _group_number(match.group(1), match.group(2))


_TIME_UNITS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "μs": 1e-3,
    "ms": 1.0,
    "msec": 1.0,
    "millisecond": 1.0,
    "milliseconds": 1.0,
    "s": 1000.0,
    "sec": 1000.0,
    "secs": 1000.0,
    "second": 1000.0,
    "seconds": 1000.0,
    "min": 60_000.0,
    "minute": 60_000.0,
    "minutes": 60_000.0,
}
LATENCY_UNITS = ("us", "ms", "s")


def parse_latency(text: str) -> tuple[float | None, str | None]:
    """A latency target: ``200``, ``200 ms``, ``< 0.5 s``. Returns (value, unit or None).

    The value is in the unit given (not converted); (None, None) for text without digits.
    """
    lowered = text.strip().lower()
    if not has_number(lowered):
        return None, None
    match = re.fullmatch(
        rf"(?:<|<=|≤|under|below|within|less than)?\s*{_NUMBER}\s*([a-zµμ]+)?", lowered
    )
    if not match:
        raise lookalike_digits(text, parse_latency) or UnitError(
            f"Enter a number such as 200, with its unit, e.g. 200 ms (got {text!r})."
        )
    value = _group_number(match.group(1), match.group(2))
    unit = match.group(3)
    if unit is not None:
        unit = normalise_time_unit(unit)
        if unit is None:
            raise lookalike_digits(text, parse_latency) or UnitError(
                f"Use a time unit such as µs, ms or s (got {match.group(3)!r})."
            )
    check_magnitude(to_milliseconds(value, unit or "ms"), "latency", text)
    return value, unit


def normalise_time_unit(unit: str) -> str | None:
    unit = unit.strip().lower()
    if unit not in _TIME_UNITS:
        return None
    factor = _TIME_UNITS[unit]
    return {1e-6: "ns", 1e-3: "us", 1.0: "ms", 1000.0: "s", 60_000.0: "min"}[factor]


def to_milliseconds(value: float, unit: str) -> float:
    return value * _TIME_UNITS[unit]


def format_duration(seconds: float) -> str:
    """A duration in the largest unit that keeps it readable: '8.8 hours', '52.6 minutes'."""
    for size, name in ((86_400, "days"), (3_600, "hours"), (60, "minutes"), (1, "seconds")):
        if seconds >= size:
            return f"{seconds / size:,.1f} {name}"
    return f"{seconds:.2f} seconds"


def _group_number(whole: str, fraction: str | None) -> float:
    return float(whole.replace(",", "") + (f".{fraction}" if fraction else ""))


# Durations written in prose ("kept for 30 days", "nothing past one hour", "every 5 s").
_WORD_NUMBERS = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "twelve": 12.0,
    "fifteen": 15.0,
    "twenty": 20.0,
    "thirty": 30.0,
    "sixty": 60.0,
    "ninety": 90.0,
}
_PROSE_PERIODS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": SECONDS_PER_MINUTE,
    "mins": SECONDS_PER_MINUTE,
    "minute": SECONDS_PER_MINUTE,
    "minutes": SECONDS_PER_MINUTE,
    "h": SECONDS_PER_HOUR,
    "hr": SECONDS_PER_HOUR,
    "hrs": SECONDS_PER_HOUR,
    "hour": SECONDS_PER_HOUR,
    "hours": SECONDS_PER_HOUR,
    "day": SECONDS_PER_DAY,
    "days": SECONDS_PER_DAY,
    "week": 7 * SECONDS_PER_DAY,
    "weeks": 7 * SECONDS_PER_DAY,
    "month": SECONDS_PER_MONTH,
    "months": SECONDS_PER_MONTH,
    "year": SECONDS_PER_YEAR,
    "years": SECONDS_PER_YEAR,
}
_PROSE_DURATION = re.compile(
    rf"(?<![\w.,])(?:{_NUMBER}|(?P<word>{'|'.join(_WORD_NUMBERS)}))[\s-]*"
    rf"(?P<period>{'|'.join(sorted(_PROSE_PERIODS, key=len, reverse=True))})\b",
    re.IGNORECASE,
)


# Words after which "a day" is a duration ("kept for a day"), not a rate ("5,000 a day").
_DURATION_LEAD = re.compile(
    r"\b(after|for|past|within|in|than|over|under|until|up to|at most|about|nearly|half)\s*$",
    re.IGNORECASE,
)


def durations_in(text: str) -> list[float]:
    """Every duration a sentence states, in seconds: "kept for 30 days, and nothing past
    one hour" gives [2592000.0, 3600.0]. A rate ("5,000 a second") is not a duration."""
    return [duration.seconds for duration in stated_durations(text)]


@dataclass(frozen=True)
class StatedDuration:
    """A duration as written: its number, its unit's word, and the two as seconds."""

    number: float
    period: str
    seconds: float


def stated_durations(text: str) -> list[StatedDuration]:
    """Every duration a sentence states, as written ("15 minutes": 15, "minutes", 900 s)."""
    found = []
    for match in _PROSE_DURATION.finditer(text or ""):
        before = text[: match.start()]
        word = (match.group("word") or "").lower()
        if re.search(r"(\bper|/)\s*$", before, re.IGNORECASE):
            continue  # "10 per second"
        if word in ("a", "an") and not _DURATION_LEAD.search(before):
            continue  # "5,000 a second", "2 billion checks a day": rates
        number = _WORD_NUMBERS[word] if word else _group_number(match.group(1), match.group(2))
        period = match.group("period").lower()
        found.append(StatedDuration(number, period, number * _PROSE_PERIODS[period]))
    return found


# Figures written in prose: "about 30 million connected", "200,000 polls/s", "46k reads a
# second".
_PROSE_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "trillion": 1e12,
}
_PROSE_COUNT = re.compile(
    rf"(?<![\w.,]){_NUMBER}\s*(?P<scale>{'|'.join(sorted(_PROSE_SCALES, key=len, reverse=True))})?"
    r"(?![\w.])",
    re.IGNORECASE,
)
_PER_SECOND = re.compile(
    r"^\s*(?:[a-z][a-z'-]*\s+){0,3}?[a-z'-]*\s*"
    r"(/\s*s(ec)?\b|(a|per|each|every) second\b|qps\b|rps\b)",
    re.IGNORECASE,
)


def _prose_figures(text: str) -> list[tuple[float, str, bool]]:
    """Each figure in a sentence: its value, what follows it, and whether it starts a
    duration ("30 days")."""
    durations = {m.start() for m in _PROSE_DURATION.finditer(text)}
    found = []
    for match in _PROSE_COUNT.finditer(text):
        scale = (match.group("scale") or "").lower()
        value = _group_number(match.group(1), match.group(2)) * _PROSE_SCALES.get(scale, 1.0)
        found.append((value, text[match.end() :], match.start() in durations))
    return found


# Compute sized from work per item: "48 CPU-minutes a video; 17.4 uploads a second need
# about 835 cores busy".
_CPU_TIME = re.compile(
    rf"(?<![\w.,]){_NUMBER}\s*(?:cpu|core|vcpu)[\s-]*"
    r"(?P<period>seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h)\b",
    re.IGNORECASE,
)
_CPU_PERIODS = {"s": 1.0, "sec": 1.0, "m": 60.0, "h": 3600.0}
_CORES = re.compile(
    rf"(?<![\w.,]){_NUMBER}\s*(?P<scale>k|thousand|million)?\s+(?:busy\s+)?(?:v?cpus?|cores?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ComputeSizing:
    """A sentence that sizes compute: each item's CPU time (the last stated before the
    rate), the items a second, and the cores it says that takes."""

    cpu_text: str
    cpu_seconds: float
    rate: float
    cores_text: str
    cores: float


def compute_sizing(text: str) -> ComputeSizing | None:
    """The compute a sentence sizes, when it states a CPU time per item, then a rate a
    second, then a number of cores; None otherwise."""
    text = text or ""
    rates = [
        (match.start(), value)
        for match, (value, after, _d) in zip(
            _PROSE_COUNT.finditer(text), _prose_figures(text), strict=True
        )
        if _PER_SECOND.match(after)
    ]
    if not rates:
        return None
    at, rate = rates[0]
    times = [m for m in _CPU_TIME.finditer(text) if m.end() <= at]
    cores = [m for m in _CORES.finditer(text) if m.start() > at]
    if not times or not cores:
        return None
    time, count = times[-1], cores[0]
    period = time.group("period").lower()
    per = _CPU_PERIODS["h" if period.startswith("h") else "m" if period.startswith("m") else "s"]
    scale = {"k": 1e3, "thousand": 1e3, "million": 1e6}.get((count.group("scale") or "").lower(), 1)
    return ComputeSizing(
        cpu_text=time.group(0).strip(),
        cpu_seconds=_group_number(time.group(1), time.group(2)) * per,
        rate=rate,
        cores_text=count.group(0).strip(),
        cores=_group_number(count.group(1), count.group(2)) * scale,
    )


def counts_in(text: str) -> list[float]:
    """Every figure a sentence states that is not a duration or a rate: "about 30 million
    connected" gives [30000000.0]."""
    return [
        value
        for value, after, duration in _prose_figures(text or "")
        if not duration and not _PER_SECOND.match(after)
    ]


def rates_in(text: str) -> list[float]:
    """Every rate a second a sentence states: "200,000 queue polls/s" and "46k reads a
    second" give [200000.0] and [46000.0]."""
    return [value for value, after, _d in _prose_figures(text or "") if _PER_SECOND.match(after)]
