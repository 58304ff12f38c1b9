from django import template

from tutor.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text):
    """Markdown rendered and sanitised (see tutor/markdown.py)."""
    return render_markdown(text)


@register.filter
def get(mapping, key):
    """``mapping|get:key`` for dictionaries whose keys are not identifiers."""
    if not mapping:
        return None
    return mapping.get(key)
