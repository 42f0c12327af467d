from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualificationsConfig(AppConfig):
    """Entities (主体) and their qualification documents. Filled in by the qualifications issue."""

    name = "qualifications"
    verbose_name = _("Qualifications")
