"""Markdown to safe HTML: render with python-markdown, then sanitise with nh3.

Everything that anyone types (statements, solutions, comments) goes through here; the
allow-list is nh3's default minus anything that can run script, plus the few tags
Markdown produces that it lacks.
"""

import html
import re
from functools import lru_cache

import markdown as md
import nh3
from django.utils.safestring import mark_safe

_TAGS = nh3.ALLOWED_TAGS | {"pre", "code", "table", "thead", "tbody", "tr", "th", "td", "hr"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}


@lru_cache(maxsize=256)
def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML. A pure function of the text, so each web process
    keeps the last few hundred results: a problem's statement is drawn on every phase
    page, and rendering it costs more than the rest of the guidance column."""
    html = md.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    return mark_safe(
        nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


_UNSAFE_LINK = re.compile(
    r"\]\(\s*<?\s*(?:javascript|data|vbscript):(?:[^()]|\([^()]*\))*\)", re.IGNORECASE
)


def safe_markdown_source(text: str) -> str:
    """Markdown kept as Markdown (for the export) with nothing that could run: HTML is
    escaped so it shows as text, and script-scheme link targets are removed."""
    escaped = html.escape(text or "", quote=False)
    return _UNSAFE_LINK.sub("](#removed)", escaped)
