"""What a phase declares about itself, in one place: the vocabulary of a phase unit.

Each phase module (``phases/requirements.py`` ...) ends with one ``UNIT = PhaseUnit(...)``:
its number, title and questions, the prefix of its rule codes, its answer shape
(``schema_version``, ``parse``, ``empty``), the figures it computes, the layout of its
form (the fields people fill in, with labels, help, choices and placeholders), and the
problem-set expectations it reads. ``phases/engine/registry.py`` lists the nine units in order;
the site's forms (``tutor/forms.py``), the answer-format reference (``docs/answers.md``,
``scripts/answer_docs.py``), problem-set validation (``tutor/problemsets.py``) and the
Markdown export (``phases/rendering/export.py``) are derived from them. Nothing here knows
about Django.

(Not to be confused with ``phases/reading/units.py``, which reads quantities and their units.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeGuard

from phases.engine.answers import JSON

if TYPE_CHECKING:
    from phases.engine.design import Design

# The longest free-text answer, in characters: the forms refuse more.
MAX_TEXT = 500

FieldKind = Literal["text", "longtext", "choice", "multichoice", "checkbox", "requirement"]


@dataclass(frozen=True)
class Field:
    """One answer field: a key in the phase's document (``scale.users`` in the main
    part, ``unit`` in a row) and how it is asked for.

    kinds: ``text`` (one line), ``longtext`` (a few lines), ``choice`` (one of
    ``choices`` or nothing), ``multichoice`` (any of ``choices``), ``checkbox`` (true or
    false), ``requirement`` (one of the learner's own phase 1 requirements).
    ``suggest`` names a list of suggestions the page offers while typing
    (``declared-components``: the phase 5 components; ``catalogue-technologies``).
    """

    key: str
    kind: FieldKind
    label: str
    help_text: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    suggest: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)


@dataclass(frozen=True)
class Rows:
    """A list of rows (``latency``): each row has the same fields."""

    key: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Layout:
    """A phase's form: the fields of the main part, then its lists of rows."""

    fields: tuple[Field, ...] = ()
    lists: tuple[Rows, ...] = ()

    @property
    def list_keys(self) -> tuple[str, ...]:
        return tuple(rows.key for rows in self.lists)

    def field(self, key: str, rows: str = "") -> Field | None:
        """The main field ``key`` (``clarifications.region``), or with ``rows`` the field
        ``key`` of that list's rows (``rows="consistency"``, ``key="model"``)."""
        fields = self.fields
        if rows:
            fields = next((r.fields for r in self.lists if r.key == rows), ())
        return next((f for f in fields if f.key == key), None)

    def label(self, key: str, value: object, rows: str = "") -> str:
        """What the form shows for ``value`` of a choice field: ``read_your_writes`` is
        "read your writes". A value that is none of the field's choices (an older answer,
        free text) is given back as it is, so nothing a learner wrote is lost."""
        text = "" if value is None else str(value)
        field = self.field(key, rows)
        if field is None or not field.choices:
            return text
        return dict(field.choices).get(text, text)

    def describe(self, path: str) -> str:
        """A field path as a person reads it, by the labels the form shows:
        ``access_patterns[2].storage`` is "Storage (access patterns, row 3)",
        ``clarifications.region`` is "Users are". A path the layout does not know is
        given back as it is."""
        row = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?", path)
        if row and row.group(1) in self.list_keys:
            rows, position = row.group(1).replace("_", " "), int(row.group(2)) + 1
            if row.group(3) is None:
                return f"{rows}, row {position}"
            field = self.field(row.group(3), row.group(1))
            label = field.label if field else row.group(3).replace("_", " ")
            return f"{label} ({rows}, row {position})"
        if path in self.list_keys:
            return path.replace("_", " ")
        field = self.field(path)
        return field.label if field else path


def _labelled(
    values: Iterable[str], labels: Mapping[str, str] | None
) -> tuple[tuple[str, str], ...]:
    labels = labels or {}
    return tuple((value, labels.get(value, value.replace("_", " "))) for value in values)


def text_field(
    key: str, label: str, *, help_text: str = "", placeholder: str = "", suggest: str = ""
) -> Field:
    return Field(key, "text", label, help_text, placeholder, suggest=suggest)


def longtext_field(key: str, label: str, *, placeholder: str = "") -> Field:
    return Field(key, "longtext", label, placeholder=placeholder)


def choice_field(
    key: str,
    label: str,
    values: Iterable[str],
    labels: Mapping[str, str] | None = None,
    *,
    help_text: str = "",
) -> Field:
    """One of ``values`` or nothing; each shown as ``labels[value]``, else the value with
    spaces for underscores."""
    return Field(key, "choice", label, help_text, choices=_labelled(values, labels))


def multichoice_field(key: str, label: str, values: Iterable[str]) -> Field:
    """Any of ``values``, each shown as it is written."""
    return Field(key, "multichoice", label, choices=tuple((v, v) for v in values))


def checkbox_field(key: str, label: str, help_text: str = "") -> Field:
    return Field(key, "checkbox", label, help_text)


def requirement_field(key: str = "requirement", label: str = "Requirement") -> Field:
    return Field(key, "requirement", label)


# -- Expectations: what a problem set may say about a phase ------------------------------


class Problems(Protocol):
    """Where an expectations check reports what is wrong (``tutor.problemsets`` passes
    its error list): each message with its location, ``problems[0].expectations...``."""

    def add(self, where: str, message: str) -> None: ...

    def unknown_keys(self, where: str, mapping: JSON, known: Sequence[str]) -> None: ...

    def text(self, where: str, mapping: JSON, key: str, *, required: bool = False) -> None: ...


def is_text_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# (problems, location of the value, the value as the problem set has it, the problem's
# whole expectations)
ExpectationCheck = Callable[[Problems, str, Any, JSON], None]


@dataclass(frozen=True)
class Expectation:
    """One key of a phase's expectations (``phase3.patterns``), how to check its value,
    and, for a list of mappings, the order its rows' keys are written in."""

    key: str
    check: ExpectationCheck
    row_keys: tuple[str, ...] = ()


# -- The unit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseUnit:
    number: int
    slug: str
    title: str
    goal: str
    questions: tuple[str, ...]
    rule_prefix: str  # REQ: the rule codes REQ-001...
    schema_version: int  # the ``version`` every document of this phase carries
    parse: Callable[[JSON], object]  # the document -> its typed answer; AnswerShapeError
    empty: Callable[[], JSON]  # the document of a phase not yet answered
    layout: Layout
    computed: Callable[[Design], Mapping[str, object]] | None = None  # the figures the page shows
    background: bool = False  # computed after each save by a worker (a Report row)
    expectations: tuple[Expectation, ...] = ()
    export: Callable[[Design], list[str]] | None = None  # its section of the Markdown export

    def figures(self, design: Design) -> Mapping[str, object]:
        """The figures computed from the answers (``{}`` for a phase that has none)."""
        return self.computed(design) if self.computed is not None else {}

    def export_section(self, design: Design) -> list[str]:
        """The phase's answers as Markdown lines for ``phases.rendering.export`` (no findings)."""
        return self.export(design) if self.export is not None else []

    @property
    def expectation_keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.expectations)
