"""The form renderer: Django's own widget templates drawn with Jinja2, the rest (the
admin's and auth's widgets, which exist only as Django templates) with Django's engine.

The HTML is the same as the default renderer's: Django ships each of its widget templates
in both languages. A phase form has dozens of fields and hundreds of ``<option>``\\s, and
Jinja2 draws them several times faster.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FastWidgets(BaseRenderer):
    jinja2 = Jinja2()
    django = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
