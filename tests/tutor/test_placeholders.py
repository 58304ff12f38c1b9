"""Placeholders teach the form of an answer and never give one away.

On every shipped problem's nine phase pages, no placeholder may carry a figure
("1,157/s", "36 TB", "99.9%") or a phrase ("302 so every click is counted") from any
shipped problem's reference solution or sample answers, nor be a whole answer ("db");
the help under the fields may not quote an answer's figures as its examples either.
"""

import html
import json
import re

import pytest

from phases.engine.registry import PHASES
from tests.factories import FIXTURES, shipped_problem_set
from tutor.problemsets import read_file
from tutor.services import start_attempt

SHIPPED_SETS = sorted((FIXTURES / "problemsets").glob("*.yaml"))

# Words that carry no answer on their own: a phrase needs two words that are not these
# to give something away ("in front of" is English, "every click is counted" an answer).
STOPWORDS = frozenset(
    re.split(
        r"\s+",
        "a about after all an and any are as at be before by can do does e.g each every "
        "few for from g has have in into is it its itself many more most no not of on one "
        "or over per so some such than that the their them then there these they this those "
        "to under up was were what when where which while who why with within without you your",
    )
)
# A number with its unit if it has one: "1,157/s", "36 TB", "99.9%", "10:1", "2x", "5 years",
# "23,000 reads/s"; "302 so ..." is the figure 302; "phase 7" is none.
UNIT = (
    r"%|x|[kmgtp]?i?b(?:/s)?|[kmgtp]?bps|bn|[kmb]|µs|us|ms|s|sec|seconds?|min|minutes?|"
    r"h|hours?|days?|weeks?|months?|years?|/[a-z]+|[a-z]+/[a-z]+"
)
FIGURE = re.compile(
    rf"(?<!phase )(?<![\w:.,/])(\d[\d,]*(?:\.\d+)?)(?::(\d[\d,]*(?:\.\d+)?))?"
    rf"(?:\s?({UNIT}))?(?!\w)",
    re.I,
)
# Two figures in the same unit this close are the same answer rounded differently
# (1,157/s and 1,160/s).
SAME_FIGURE = 0.01
WORD = re.compile(r"[a-z0-9][a-z0-9'_-]*", re.I)
PLACEHOLDER = re.compile(r'\splaceholder="([^"]*)"')
# The help under a field or a list: its examples must not be an answer's figures either.
HELP = re.compile(r'<p class="help"[^>]*>(.*?)</p>', re.S)


def _strings(value) -> list[str]:
    """Every string inside a YAML/JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _answer_texts() -> list[str]:
    """Every reference solution, sample answer and capability example that ships."""
    texts: list[str] = []
    for path in SHIPPED_SETS:
        for problem in read_file(path)["problems"]:
            texts.append(problem.get("reference_solution") or "")
            texts += _strings([sample.get("answers") for sample in problem.get("samples") or []])
            for capability in (
                (problem.get("expectations") or {}).get("phase1", {}).get("capabilities", [])
            ):
                texts.append(capability.get("example") or "")
    for path in sorted((FIXTURES / "answers").glob("*.json")):
        texts += _strings(json.loads(path.read_text())["phases"])
    return [t for t in texts if t.strip()]


Figure = tuple[float, str]  # (value, unit): "36 TB" is (36.0, "tb"), "10:1" (10.0, ":")


def _figures(text: str) -> set[Figure]:
    figures = set()
    for match in FIGURE.finditer(text):
        number, per, unit = match.groups()
        value = float(number.replace(",", ""))
        if per is not None:
            divisor = float(per.replace(",", ""))
            value, unit = (value / divisor if divisor else value), ":"
        figures.add((value, (unit or "").lower()))
    return figures


def _shown(figure: Figure) -> str:
    value, unit = figure
    return f"{value:g}{unit}"


def _words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def _phrases(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _words(text)
    grams = {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
    return {g for g in grams if sum(_content(w) for w in g) >= 2}


def _content(word: str) -> bool:
    """A word that can carry an answer: not a stopword, not a lone letter (the s of /s)."""
    return word not in STOPWORDS and len(word) > 1


class Answers:
    """What the shipped answers say, indexed three ways."""

    def __init__(self, texts: list[str]):
        self.whole = {" ".join(_words(t)) for t in texts}
        self.figures: dict[str, set[float]] = {}
        for text in texts:
            for value, unit in _figures(text):
                self.figures.setdefault(unit, set()).add(value)
        self.phrases = set().union(*(_phrases(t) for t in texts))

    def _answered(self, figure: Figure) -> bool:
        value, unit = figure
        return any(
            abs(value - other) <= SAME_FIGURE * max(abs(value), abs(other))
            for other in self.figures.get(unit, ())
        )

    def given_away(self, placeholder: str) -> list[str]:
        """What of ``placeholder`` an answer already says (empty: nothing)."""
        found = []
        if " ".join(_words(placeholder)) in self.whole:
            found.append(f"the whole answer {placeholder!r}")
        found += [
            f"the figure {_shown(figure)!r}"
            for figure in sorted(_figures(placeholder))
            if self._answered(figure)
        ]
        found += [
            f"the phrase {' '.join(p)!r}" for p in sorted(_phrases(placeholder) & self.phrases)
        ]
        return found


@pytest.fixture(scope="module")
def answers() -> Answers:
    return Answers(_answer_texts())


def placeholders(page: str) -> list[str]:
    return [html.unescape(p) for p in PLACEHOLDER.findall(page)]


def help_texts(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h)) for h in HELP.findall(page)]


def test_the_checker_catches_answers_given_away(answers):
    """The check itself: what the pages used to show is caught, a neutral form is not."""
    for leaked in (
        "1,157/s",  # 1,160/s rounded otherwise
        "36 TB",
        "302 so every click is counted",
        "db",
        "10:1",
        "100M new links a day",
        "a cache in front of the database",
    ):
        assert answers.given_away(leaked), leaked
    for neutral in ("a rate, e.g. N/s or N/day", "e.g. a lending library's loans", "N:1", ""):
        assert answers.given_away(neutral) == [], neutral


def test_the_shipped_answers_are_read(answers):
    assert sum(len(values) for values in answers.figures.values()) > 200
    assert ("cache", "in", "front") in answers.phrases


@pytest.mark.parametrize("path", SHIPPED_SETS, ids=lambda p: p.stem)
def test_no_placeholder_gives_an_answer_away(alice_client, alice, answers, path):
    problem_set = shipped_problem_set(path.stem)
    seen = helps = 0
    leaks = []
    for problem in problem_set.problems.all():
        attempt = start_attempt(alice, problem)
        for phase in PHASES:
            response = alice_client.get(f"/attempts/{attempt.pk}/phases/{phase.number}/")
            assert response.status_code == 200
            for text in placeholders(response.content.decode()):
                seen += 1
                leaks += [
                    f"{problem.slug}, phase {phase.number}: placeholder {text!r} has {what}"
                    for what in answers.given_away(text)
                ]
            for text in help_texts(response.content.decode()):
                helps += 1
                leaks += [
                    f"{problem.slug}, phase {phase.number}: help {text!r} has {what}"
                    for what in answers.given_away(text)
                    if what.startswith("the figure")
                ]
    assert seen > 50  # the pages were read: every phase has placeholders
    assert helps > 20
    assert leaks == [], "\n".join(dict.fromkeys(leaks))
