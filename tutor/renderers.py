"""The form renderer: the commonest widgets drawn in Python, the rest with Django's own
widget templates in Jinja2, and what exists only as a Django template (the admin's and
auth's widgets) with Django's engine.

The HTML is the same as the default renderer's: Django ships each of its widget templates
in both languages, and the Python versions below write what the Jinja2 ones do, character
for character (``tests/tutor/test_rendering.py`` compares them). A phase form has dozens
of fields and hundreds of ``<option>``\\s: Jinja2 draws them several times faster than
Django's engine, and plain Python, without a template lookup and a context per widget and
per option, about three times faster again.
"""

from collections.abc import Callable, Mapping

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from markupsafe import escape

WIDGETS = "django/forms/widgets/"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"


def _attrs(attrs: Mapping[str, object]) -> str:
    """attrs.html: ``True`` writes the bare name, ``False`` leaves the attribute out."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping) -> str:
    """input.html, which text.html, number.html and hidden.html include."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: Mapping) -> str:
    value = widget["value"]
    shown = escape(value) if value else ""
    name = escape(widget["name"])
    return f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{shown}</textarea>'


def _select(widget: Mapping) -> str | None:
    """select.html with its options (select_option.html); None for other option
    templates, which the template draws."""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{escape(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


IN_PYTHON: dict[str, Callable[[Mapping], str | None]] = {
    f"{WIDGETS}text.html": _input,
    f"{WIDGETS}number.html": _input,
    f"{WIDGETS}hidden.html": _input,
    f"{WIDGETS}input.html": _input,
    f"{WIDGETS}textarea.html": _textarea,
    f"{WIDGETS}select.html": _select,
}


class FastWidgets(BaseRenderer):
    jinja2 = Jinja2()
    django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)

    def render(self, template_name, context, request=None):
        draw = IN_PYTHON.get(template_name)
        html = draw(context["widget"]) if draw is not None else None
        if html is None:
            return super().render(template_name, context, request=request)
        return html
