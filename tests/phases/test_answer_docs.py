"""docs/answers.md lists every phase's form fields as its unit declares them."""

from scripts.answer_docs import DOC, render


def test_the_answer_reference_lists_the_fields_the_units_declare():
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "docs/answers.md is out of date: run scripts/answer_docs.py"
