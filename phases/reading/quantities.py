"""Reading the quantities learners type in back-of-envelope estimates.

``parse_quantity`` turns what people write -- ``100M/day``, ``12,000 reads/s``, ``36 TB``,
``10 Gbps``, ``5 years``, ``10:1``, ``2x`` -- into a :class:`Quantity` whose value is in the
base unit of its kind:

========== ================================ ==========================
kind       value                            examples
========== ================================ ==========================
count      a plain number                   ``1,000,000``, ``3.5``, ``1e6``, ``100M``
rate       per second                       ``100M/day``, ``1.2k/s``, ``12,000 reads/s``
size       bytes                            ``200 B``, ``1.27 KB``, ``10 KiB``, ``100 Mb``
bandwidth  bytes per second                 ``4 MB/s``, ``10 Gbps``, ``10 Gb/s``
duration   seconds                          ``5 years``, ``30 days``, ``2 weeks``
ratio      reads per write                  ``10:1``
factor     a plain multiplier               ``2x``, ``2×``, ``3 times``
========== ================================ ==========================

A small tokenizer reads the text; Pint does the unit arithmetic, in a registry of our own
whose month and year are the tutor's (30 and 365 days, from :mod:`phases.reading.units`), not
Pint's Julian ones.

Conventions, chosen to match how estimates are usually written:

* Counts take the scales ``k``/``K``/``thousand``, ``M``/``m``/``mn``/``million``,
  ``bn``/``b``/``billion`` and ``T``/``tn``/``trillion``.
* A bare uppercase ``B`` after a number is ambiguous: bytes or billion. It means bytes when
  a size or bandwidth is expected, and billion when a count or rate is. With no ``expect``,
  ``200 B`` (nothing after it) is 200 bytes, ``200 B per tweet`` is a size, and ``100B/day``
  or ``100B requests`` is 100 billion.
* Size prefixes ``k M G T P E`` are decimal (1000) in either case; ``Ki Mi Gi Ti Pi Ei`` are
  binary (1024). After a prefix, uppercase ``B`` is bytes and lowercase ``b`` is bits
  (``Mb``, ``Gbps``), converted to bytes by dividing by 8.
* Words between a number and its period are nouns and ignored: ``12,000 reads/s``.
* When ``expect`` is ``"ratio"`` or ``"factor"``, a bare number is accepted as one.
* Each kind has a largest value (:data:`phases.reading.units.LIMITS`, far beyond any real system);
  a figure above it, or one too large for a float, is an error that says the limit.
  Numbers are never negative (the tokenizer has no minus sign), nor ``NaN`` or ``inf``.
"""

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import pint

from phases.reading.units import (
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    SECONDS_PER_MINUTE,
    SECONDS_PER_MONTH,
    SECONDS_PER_YEAR,
    TOO_LARGE,
    UnitError,
    check_magnitude,
    lookalike_digits,
    parse_ratio,
)

__all__ = ["KINDS", "Quantity", "UnitError", "format_quantity", "parse_quantity"]

KINDS = ("count", "rate", "size", "bandwidth", "duration", "ratio", "factor")

# An example of each kind, for error messages.
_EXAMPLES = {
    "count": "1,200 or 100M",
    "rate": "100M/day or 1.2k/s",
    "size": "200 B or 36 TB",
    "bandwidth": "4 MB/s or 10 Gbps",
    "duration": "5 years or 30 days",
    "ratio": "10:1",
    "factor": "2x",
}

_MAX_LENGTH = 200


def _build_registry() -> pint.UnitRegistry[float]:
    """A registry holding only the units estimates use, with the tutor's month and year.

    Starting from an empty registry (rather than Pint's defaults, which define a Julian
    year of 365.25 days and a month of a twelfth of that) keeps the periods exactly those
    of :mod:`phases.reading.units` and makes the registry quick to build.
    """
    registry: pint.UnitRegistry[float] = pint.UnitRegistry(None)
    for definition in (
        "second = [time] = s",
        "millisecond = 1e-3 * second",
        f"minute = {SECONDS_PER_MINUTE} * second",
        f"hour = {SECONDS_PER_HOUR} * second",
        f"day = {SECONDS_PER_DAY} * second",
        "week = 7 * day",
        f"month = {SECONDS_PER_MONTH} * second",
        f"year = {SECONDS_PER_YEAR} * second",
        "bit = [information]",
        "byte = 8 * bit",
        "kilo- = 1e3",
        "mega- = 1e6",
        "giga- = 1e9",
        "tera- = 1e12",
        "peta- = 1e15",
        "exa- = 1e18",
        "kibi- = 2**10",
        "mebi- = 2**20",
        "gibi- = 2**30",
        "tebi- = 2**40",
        "pebi- = 2**50",
        "exbi- = 2**60",
    ):
        registry.define(definition)
    return registry


UREG = _build_registry()

_NUMBER = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
    r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
)
_TOKEN = re.compile(rf"\s*(?:(?P<number>{_NUMBER})|(?P<word>[A-Za-z]+)|(?P<sym>[/×*]))")

_SCALES = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "M": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "T": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
_LONG_SCALES = {"thousand", "million", "billion", "trillion"}

# Time words (lowercased) to Pint unit names.
_PERIODS = {
    "ms": "millisecond",
    "msec": "millisecond",
    "millisecond": "millisecond",
    "milliseconds": "millisecond",
    "s": "second",
    "sec": "second",
    "secs": "second",
    "second": "second",
    "seconds": "second",
    "min": "minute",
    "mins": "minute",
    "minute": "minute",
    "minutes": "minute",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "hour": "hour",
    "hours": "hour",
    "d": "day",
    "day": "day",
    "days": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "month": "month",
    "months": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
}
_PER_SECOND_WORDS = {"qps", "rps", "tps"}
_PER_WORDS = {"per"}
_INDEFINITE_WORDS = {"a", "an", "each", "every"}  # "100M a day": only before a period
_FACTOR_WORDS = {"x", "X", "×", "*", "times"}

_PREFIXES = {
    "k": "kilo",
    "m": "mega",
    "g": "giga",
    "t": "tera",
    "p": "peta",
    "e": "exa",
    "ki": "kibi",
    "mi": "mebi",
    "gi": "gibi",
    "ti": "tebi",
    "pi": "pebi",
    "ei": "exbi",
}
_LONG_SIZE = re.compile(
    r"(kilo|mega|giga|tera|peta|exa|kibi|mebi|gibi|tebi|pebi|exbi)?(byte|bit)s?"
)
_SHORT_SIZE = re.compile(r"(?:([kKmMgGtTpPeE])(i)?)?(B|b|bit|bits)(ps)?")


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity; ``value`` is in the base unit of ``kind`` (see the module doc)."""

    value: float
    kind: str
    text: str


def parse_quantity(text: str, expect: str | None = None) -> Quantity:
    """Read an estimate such as ``100M/day`` or ``36 TB``; raise UnitError if it cannot be.

    With ``expect`` (one of :data:`KINDS`), anything of another kind is an error too, and
    the expected kind settles whether a bare ``B`` means bytes or billion.
    """
    if expect is not None and expect not in KINDS:
        raise UnitError(f"Unknown kind of quantity {expect!r}; use one of {', '.join(KINDS)}.")
    if not isinstance(text, str):
        raise _error(text, expect)
    if _ZEROS_AS_LETTERS.search(text):  # "1OOM/day" would read as 1 of something
        lookalike = _lookalike(text, expect)
        if lookalike is not None:
            raise lookalike
    try:
        quantity = _parse(text, expect)
    except UnitError as exc:
        raise _lookalike(text, expect) or exc from None
    except (ValueError, ArithmeticError, pint.PintError) as exc:
        raise _lookalike(text, expect) or _error(text, expect) from exc
    if expect is not None and quantity.kind != expect:
        raise UnitError(
            f"Expected a {expect}, such as {_EXAMPLES[expect]}, "
            f"but {text!r} reads as a {quantity.kind}."
        )
    check_magnitude(quantity.value, quantity.kind, text)
    return quantity


# A digit followed by letters O that no unit starts with: "2OO B", "1OOM/day", "5oo".
_ZEROS_AS_LETTERS = re.compile(r"\d[Oo]+(?![a-z])")


def _lookalike(text: str, expect: str | None) -> UnitError | None:
    """Letters typed for digits ("1OOM/day"), said as such when the digits make it read."""
    return lookalike_digits(text, lambda corrected: parse_quantity(corrected, expect))


def _error(text: object, expect: str | None) -> UnitError:
    if expect is None:
        return UnitError(
            f"Enter a quantity such as 100M/day, 200 B, 4 MB/s or 5 years (got {text!r})."
        )
    return UnitError(f"Enter a {expect} such as {_EXAMPLES[expect]} (got {text!r}).")


@lru_cache(maxsize=4096)  # pure; the same figures are read again by several phases
def _parse(text: str, expect: str | None) -> Quantity:
    stripped = text.strip()
    if len(stripped) > _MAX_LENGTH:
        raise UnitError(
            f"That is too long for a quantity; write e.g. 100M/day (got {text[:20]!r}…)."
        )
    stripped = stripped.lstrip("~≈").strip()

    if ":" in stripped or expect == "ratio":
        ratio = parse_ratio(stripped)
        if ratio is None:
            raise _error(text, expect)
        return Quantity(ratio, "ratio", text)

    tokens = _tokenize(stripped, text, expect)
    if not tokens or tokens[0][0] != "number":
        raise _error(text, expect)
    value = float(tokens[0][1].replace(",", ""))
    words = [word for _, word in tokens[1:]]

    if not words:
        return Quantity(value, "factor" if expect == "factor" else "count", text)
    if len(words) == 1 and words[0] in _FACTOR_WORDS:
        return Quantity(value, "factor", text)

    first = words[0]
    if first == "B" and not _b_means_bytes(words[1:], expect):
        value *= 1e9
        words = words[1:]
    elif first in _SCALES or first.lower() in _LONG_SCALES:
        value *= _SCALES.get(first, _SCALES.get(first.lower(), 1.0))
        words = words[1:]

    if not words:
        return Quantity(value, "factor" if expect == "factor" else "count", text)
    if len(words) == 1 and words[0] in _FACTOR_WORDS:
        return Quantity(value, "factor", text)  # "1.5k x"

    size = _size_unit(words[0])
    if size is not None:
        unit, per_second = size
        size_bytes = UREG.Quantity(value, unit).to("byte").magnitude
        rest = words[1:]
        if per_second:
            if rest:
                raise _error(text, expect)
            return Quantity(size_bytes, "bandwidth", text)
        if not rest:
            return Quantity(size_bytes, "size", text)
        period = _per_period(rest)
        if period is not None:
            return Quantity(size_bytes / _seconds(period), "bandwidth", text)
        if len(rest) == 2 and rest[0].lower() in ("per", "/") and _is_noun(rest[1]):
            return Quantity(size_bytes, "size", text)  # "200 bytes per tweet"
        raise _error(text, expect)

    if len(words) == 1 and words[0].lower() in _PERIODS:
        return Quantity(value * _seconds(_PERIODS[words[0].lower()]), "duration", text)

    if words[-1].lower() in _PER_SECOND_WORDS:
        nouns, period = words[:-1], "second"
    else:
        nouns, period = _split_period(words)
    if not all(_is_noun(word) for word in nouns):
        raise _error(text, expect)
    if period is None:
        return Quantity(value, "count", text)
    return Quantity(value / _seconds(period), "rate", text)


def _tokenize(stripped: str, text: str, expect: str | None) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise _error(text, expect)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    if any(kind == "number" for kind, _ in tokens[1:]):
        raise _error(text, expect)
    return tokens


def _is_noun(word: str) -> bool:
    return word.isalpha() and word.lower() not in _PER_WORDS


def _b_means_bytes(rest: list[str], expect: str | None) -> bool:
    """Whether a bare ``B`` after a number is bytes (else billion); see the module doc."""
    if expect in ("size", "bandwidth"):
        return True
    if expect is not None:
        return False
    if not rest:
        return True
    return len(rest) == 2 and rest[0].lower() in ("per", "/") and rest[1].lower() not in _PERIODS


def _size_unit(word: str) -> tuple[str, bool] | None:
    """The Pint unit for a size word and whether it is per second (``Gbps``), else None."""
    long = _LONG_SIZE.fullmatch(word.lower())
    if long:
        return (long.group(1) or "") + long.group(2), False
    short = _SHORT_SIZE.fullmatch(word)
    if not short:
        return None
    letter, binary, base, per_second = short.groups()
    if letter is None and base == "b" and not per_second:
        return None  # a bare "b" is billion, not bits
    prefix = _PREFIXES[letter.lower() + (binary or "")] if letter else ""
    return prefix + ("byte" if base == "B" else "bit"), bool(per_second)


def _per_period(words: list[str]) -> str | None:
    """The period in ``/ day``, ``per day`` or ``a day`` (the whole of ``words``), else None."""
    if len(words) != 2:
        return None
    joiner, period = words[0].lower(), words[1].lower()
    if joiner in ("/", "per") or joiner in _INDEFINITE_WORDS:
        return _PERIODS.get(period)
    return None


def _split_period(words: list[str]) -> tuple[list[str], str | None]:
    """Split ``reads / s`` into nouns and a period (None when there is no period)."""
    if len(words) >= 2:
        period = _per_period(words[-2:])
        if period is not None:
            return words[:-2], period
        if words[-2].lower() in ("/", "per"):
            return ["/"], None  # a period we do not know: rejected by the caller
    return words, None


def _seconds(unit: str) -> float:
    return UREG.Quantity(1, unit).to("second").magnitude


def format_quantity(q: Quantity) -> str:
    """A readable form: ``1,157/s``, ``36 TB``, ``4 MB/s``, ``5 years``, ``10:1``, ``2×``.

    A figure that overflowed (infinite or not a number) reads "too large to compute".
    """
    if not math.isfinite(q.value):
        return TOO_LARGE
    if q.kind == "rate":
        if q.value == 0 or q.value >= 1:
            return f"{_format_count(q.value)}/s"
        if q.value * SECONDS_PER_DAY >= 1:
            return f"{_format_count(q.value * SECONDS_PER_DAY)}/day"
        return f"{_format_count(q.value * SECONDS_PER_YEAR)}/year"
    if q.kind == "size":
        return _format_bytes(q.value)
    if q.kind == "bandwidth":
        return f"{_format_bytes(q.value)}/s"
    if q.kind == "duration":
        return _format_seconds(q.value)
    if q.kind == "ratio":
        return f"{_format_number(q.value)}:1"
    if q.kind == "factor":
        return f"{_format_number(q.value)}×"
    return _format_count(q.value)


def _format_number(value: float) -> str:
    """``1,157`` for 100 and over, else up to three significant figures: ``3.5``, ``0.25``."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _format_count(value: float) -> str:
    """Counts under a million in full (``1,157``), larger ones scaled (``100M``, ``1.2B``)."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(value) >= size:
            return f"{_format_number(value / size)}{suffix}"
    return _format_number(value)


def _format_bytes(value: float) -> str:
    units = ("B", "KB", "MB", "GB", "TB", "PB", "EB")
    for power in range(len(units) - 1, 0, -1):
        if abs(value) >= 1000**power:
            return f"{_format_number(value / 1000**power)} {units[power]}"
    return f"{_format_number(value)} B"


def _format_seconds(value: float) -> str:
    for size, name in (
        (SECONDS_PER_YEAR, "year"),
        (SECONDS_PER_DAY, "day"),
        (SECONDS_PER_HOUR, "hour"),
        (SECONDS_PER_MINUTE, "minute"),
    ):
        if abs(value) >= size:
            return _plural(value / size, name)
    return _plural(value, "second")


def _plural(value: float, name: str) -> str:
    number = _format_number(value)
    return f"{number} {name}" if number == "1" else f"{number} {name}s"


def format_value(value: float, kind: str) -> str:
    """A number in the base unit of ``kind``, written as :func:`format_quantity` would."""
    return format_quantity(Quantity(value, kind, ""))
