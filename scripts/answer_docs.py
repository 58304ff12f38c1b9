"""Write each phase's table of form fields into docs/answers.md, from the phase's unit.

    .venv/bin/python scripts/answer_docs.py           # rewrite the generated tables
    .venv/bin/python scripts/answer_docs.py --check   # exit 1 when they are out of date

Each phase section of docs/answers.md ends with a table, between two HTML comments,
listing every key of the phase's document that the form asks for: its path, the form's
label, its kind and the values it accepts. It is made from ``UNIT.layout`` in the phase's
module (phases/engine/unit.py), so a field added there appears here when this script runs, and
tests/phases/test_answer_docs.py fails until it has. The prose and the tables above it,
which explain what each key means, are written by hand.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "answers.md"

from phases.engine.registry import PHASES  # noqa: E402
from phases.engine.unit import Field, PhaseUnit  # noqa: E402

KINDS = {
    "text": "text",
    "longtext": "text (several lines)",
    "choice": "one of, or empty",
    "multichoice": "list of any of",
    "checkbox": "true or false",
    "requirement": "a phase 1 requirement's text",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(path: str, field: Field) -> str:
    values = ", ".join(f"`{value}`" for value in field.values)
    return f"| `{path}` | {_cell(field.label)} | {KINDS[field.kind]} | {values} |"


def fields_table(unit: PhaseUnit) -> str:
    """The generated block for one phase, markers included."""
    module = unit.parse.__module__.replace(".", "/") + ".py"
    lines = [
        f"<!-- fields: phase {unit.number} (made by scripts/answer_docs.py; do not edit) -->",
        f"Form fields (from `UNIT.layout` in [`{module}`](../{module})):",
        "",
        "| key | form label | kind | values |",
        "|---|---|---|---|",
    ]
    lines += [_row(field.key, field) for field in unit.layout.fields]
    for rows in unit.layout.lists:
        lines += [_row(f"{rows.key}[].{field.key}", field) for field in rows.fields]
    lines.append(f"<!-- end fields: phase {unit.number} -->")
    return "\n".join(lines)


def _block(number: int) -> re.Pattern[str]:
    return re.compile(
        rf"<!-- fields: phase {number} .*?<!-- end fields: phase {number} -->", re.DOTALL
    )


def render(text: str) -> str:
    """The document with every phase's block brought up to date; a phase without one gets
    it at the end of its section (before the next ``## `` heading)."""
    for unit in PHASES:
        block = fields_table(unit)
        found = _block(unit.number).search(text)
        if found:
            text = text[: found.start()] + block + text[found.end() :]
            continue
        heading = re.search(rf"^## Phase {unit.number}:.*$", text, re.MULTILINE)
        if heading is None:
            raise SystemExit(f"{DOC}: no '## Phase {unit.number}:' section")
        following = re.compile(r"^## ", re.MULTILINE).search(text, heading.end())
        end = following.start() if following else len(text)
        text = text[:end].rstrip("\n") + "\n\n" + block + "\n\n" + text[end:]
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(f"{DOC.relative_to(ROOT)} is out of date: run scripts/answer_docs.py")
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    DOC.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
