from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TemplatesAppConfig(AppConfig):
    """SMS template (短信模板) applications. Named templates_app: `templates/` holds site-wide HTML."""

    name = "templates_app"
    verbose_name = _("SMS templates")
