"""Givens drawn per attempt: a range in a problem becomes one number for each learner.

A given is ``{"label": ..., "value": "100M/day"}`` (fixed) or ``{"label": ...,
"min": "50M/day", "max": "150M/day"}`` (drawn). Both ends are written with the same unit;
the drawn number keeps that unit, rounded to two significant figures, so learners get
figures as a person would state them. The draw is seeded, so an attempt (and the grader,
given the same seed) always gets the same numbers.
"""

import math
import random
import re

from phases.engine.answers import JSON
from phases.reading.units import UnitError

_SPLIT = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s*.*?)\s*$")


def _split(text: str) -> tuple[float, str]:
    """(number, the rest as written, with its leading space if any)."""
    match = _SPLIT.match(str(text))
    if not match:
        raise UnitError(f"Start the value with a number, e.g. 50M/day (got {text!r}).")
    return float(match.group(1).replace(",", "")), match.group(2)


def range_error(given: JSON) -> str:
    """Why a ranged given cannot be drawn from, or "" when it can."""
    try:
        low, low_unit = _split(given["min"])
        high, high_unit = _split(given["max"])
    except UnitError as exc:
        return str(exc)
    if low_unit.strip() != high_unit.strip():
        return f"Write both ends with the same unit ({low_unit!r} and {high_unit!r} differ)."
    if not 0 < low < high:
        return "The minimum must be positive and below the maximum."
    return ""


def _round(value: float) -> float:
    digits = 2 - int(math.floor(math.log10(abs(value)))) - 1
    return round(value, max(digits, 0)) if digits > 0 else float(round(value, digits))


def _format(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def draw(givens: JSON, seed: int) -> JSON:
    """Fixed givens as they are; ranged ones drawn (uniformly on a log scale)."""
    drawn: JSON = {}
    for key, given in (givens or {}).items():
        if not isinstance(given, dict) or "min" not in given or "max" not in given:
            drawn[key] = given
            continue
        if range_error(given):
            drawn[key] = {**given, "value": given["min"]}
            continue
        low, unit = _split(given["min"])
        high, _ = _split(given["max"])
        rng = random.Random(f"{seed}:{key}")
        value = _round(math.exp(rng.uniform(math.log(low), math.log(high))))
        value = min(max(value, low), high)
        text = _format(value) + unit
        drawn[key] = {"label": given.get("label", key), "value": text}
    return drawn
