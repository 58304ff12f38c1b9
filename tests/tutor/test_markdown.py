from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    "<iframe src='https://example.com'></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_safe(html: str):
    """No element that runs script: checked on the parsed HTML, not on escaped text."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in {"script", "iframe", "object", "embed", "style", "svg"}, html
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in {"href", "src"}:
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), html


def test_markdown_renders_headings_tables_and_code():
    html = render_markdown("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```")
    assert "<h1>Title</h1>" in html and "<table>" in html and "<code>" in html


def test_known_hostile_inputs_are_neutralised():
    for text in HOSTILE:
        assert_safe(render_markdown(text))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(HOSTILE + ["**b**", "[ok](https://x.test)", "text", "\n\n"])),
    st.text(),
)
def test_any_mix_of_hostile_fragments_stays_safe(fragments, noise):
    assert_safe(render_markdown(noise.join(fragments)))


def test_markdown_source_for_the_export_shows_html_as_text_and_drops_script_links():
    from tutor.markdown import safe_markdown_source

    text = (
        "p99 < 200 ms **bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.b)"
    )
    safe = safe_markdown_source(text)
    assert "<script" not in safe and "&lt;script&gt;" in safe
    assert "javascript:" not in safe
    assert "p99 &lt; 200 ms **bold**" in safe and "[ok](https://a.b)" in safe
    assert_safe(render_markdown(safe))
