"""The form renderer: widgets through Jinja2, Django's own widget templates.

Django ships every widget's template twice, for its template language and for Jinja2
(django/forms/jinja2); Jinja2 renders a widget in about half the time. A template that exists only
for Django's language (the admin's widgets) is rendered by it, as before.
"""

from functools import cached_property

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class PortalRenderer(BaseRenderer):
    @cached_property
    def _jinja2(self):
        return Jinja2()

    @cached_property
    def _django(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
