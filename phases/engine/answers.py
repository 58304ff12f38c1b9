"""Reading an answer document: the shape check shared by the web forms and the grader.

A phase's answers are a JSON object (see ``docs/answers.md``). Reading one collects
every problem with its field path (``latency[1].unit``) instead of stopping at the
first, so the learner can mend them all at once. Rules only ever see documents that
passed this check.
"""

from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any, TypeVar

from phases.reading.units import UnitError

# A decoded JSON object: a phase's answer document, a problem's givens or expectations.
# Its values are whatever the decoder built, so they are read through ``Reader`` (or
# checked with ``isinstance``) before use.
JSON = dict[str, Any]

_T = TypeVar("_T")

# The most rows a list in an answer may hold: the forms offer no more, and parse() refuses
# more from any other source (the grader's files).
MAX_ROWS = 50
# The deepest nesting of lists and objects in an answer document; the deepest the
# documents in docs/answers.md go is four.
MAX_DEPTH = 16


class Documents(MutableMapping[int, JSON]):
    """Answer documents by phase number, each read from its source when first used: a
    check of one phase reads only the documents its rules look at (a stored answer's
    source decodes its JSON). A document put in place is kept as it is."""

    def __init__(self, sources: Mapping[int, Callable[[], JSON]]):
        self._sources = dict(sources)
        self._read: dict[int, JSON] = {}

    def __getitem__(self, phase: int) -> JSON:
        if phase not in self._read:
            self._read[phase] = self._sources[phase]()
        return self._read[phase]

    def __setitem__(self, phase: int, document: JSON) -> None:
        self._sources[phase] = _kept(document)
        self._read[phase] = document

    def __delitem__(self, phase: int) -> None:
        del self._sources[phase]
        self._read.pop(phase, None)

    def __contains__(self, phase: object) -> bool:  # without reading the document
        return phase in self._sources

    def __iter__(self) -> Iterator[int]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def _kept(document: JSON) -> Callable[[], JSON]:
    return lambda: document


def is_blank(value: object) -> bool:
    """Nothing typed: empty text, an unticked box, an empty list."""
    if isinstance(value, str):
        return not value.strip()
    return value in (None, False, [], {})


def is_blank_row(row: JSON) -> bool:
    return all(is_blank(v) for v in row.values())


def flatten(value: object, path: str = "") -> dict[str, str]:
    """A document as ``path: text`` pairs (``latency[1].unit``), in document order: for
    comparing two versions of an answer, and for quoting part of one."""
    if isinstance(value, dict):
        items = [(f"{path}.{key}" if path else str(key), v) for key, v in value.items()]
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "yes" if value else ""
        else:
            text = "" if value is None else str(value)
        return {path: text}
    flat: dict[str, str] = {}
    for key, item in items:
        flat.update(flatten(item, key))
    return flat


_FLAG_TEXTS = {
    "true": True,
    "on": True,
    "yes": True,
    "1": True,
    "false": False,
    "no": False,
    "0": False,
}


class AnswerShapeError(ValueError):
    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


class Reader:
    """Pulls typed values out of a JSON object, remembering what was wrong and where."""

    def __init__(self, data: Any):
        self.errors: list[tuple[str, str]] = []
        if not isinstance(data, dict):
            self.errors.append(("", "Expected a JSON object of answers."))
            data = {}
        self.data: JSON = data

    def error(self, field: str, message: str) -> None:
        self.errors.append((field, message))

    def text(self, obj: JSON, key: str, field: str, *, choices: Sequence[str] | None = None) -> str:
        value = obj.get(key, "")
        if value is None:
            value = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(field, "Expected text.")
            return ""
        value = value.strip()
        if choices is not None and value and value not in choices:
            self.error(field, f"Expected one of {', '.join(choices)} (got {value!r}).")
            return ""
        return value

    def texts(self, obj: JSON, key: str, field: str, *, choices: Sequence[str]) -> list[str]:
        value = obj.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(field, "Expected a list of text values.")
            return []
        if len(value) > MAX_ROWS:
            self.error(field, _too_many(len(value)))
            return []
        unknown = [v for v in value if v not in choices]
        if unknown:
            self.error(field, f"Expected values from {', '.join(choices)} (got {unknown!r}).")
        return [v for v in value if v in choices]

    def object(self, obj: JSON, key: str, field: str) -> JSON:
        value = obj.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(field, "Expected an object.")
            return {}
        return value

    def rows(self, obj: JSON, key: str, field: str) -> list[tuple[str, JSON]]:
        """A list of objects, each with its field path; blank rows are dropped."""
        value = obj.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(field, "Expected a list.")
            return []
        if len(value) > MAX_ROWS:
            self.error(field, _too_many(len(value)))
            return []
        rows = []
        for index, row in enumerate(value):
            path = f"{field}[{index}]"
            if not isinstance(row, dict):
                self.error(path, "Expected an object.")
                continue
            if not is_blank_row(row):
                rows.append((path, row))
        return rows

    def flag(self, obj: JSON, key: str, field: str) -> bool:
        """A tick box: true/false, or the text forms a form or a file may carry."""
        value = obj.get(key, False)
        if value in (None, ""):
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _FLAG_TEXTS:
            return _FLAG_TEXTS[value.lower()]
        self.error(field, "Expected true or false.")
        return False

    def parsed(self, field: str, parser: Callable[[str], _T], raw: str) -> _T | None:
        """Run a unit parser, turning its error into a field error."""
        try:
            return parser(raw)
        except UnitError as exc:
            self.error(field, str(exc))
            return None

    def raise_if_errors(self) -> None:
        if self.errors:
            raise AnswerShapeError(self.errors)


def _too_many(count: int) -> str:
    return f"At most {MAX_ROWS} rows (got {count:,})."


def oversized(document: Any) -> tuple[str, str] | None:
    """The first list longer than :data:`MAX_ROWS`, or nesting deeper than
    :data:`MAX_DEPTH`, in a decoded document, as (field path, message); None if neither.

    Walks without recursion, so any depth the JSON decoder managed to build is safe.
    """
    stack: list[tuple[str, Any, int]] = [("", document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list) and depth >= MAX_DEPTH:  # the root is level 1
            return path, f"Nested more than {MAX_DEPTH} levels deep."
        if isinstance(value, dict):
            children = [
                (f"{path}.{key}" if path else str(key), item) for key, item in value.items()
            ]
        elif isinstance(value, list):
            if len(value) > MAX_ROWS:
                return path, _too_many(len(value))
            children = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
        else:
            continue
        stack.extend((child, item, depth + 1) for child, item in reversed(children))
    return None
