from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class QualificationsConfig(AppConfig):
    """Entities (主体) and their qualification documents. Filled in by the qualifications issue."""

    name = "qualifications"
    verbose_name = _("Qualifications")

    def ready(self):
        from filing_portal.choices import forget_organization_rows

        from .models import Document, Entity, EntityShare, IcpApp, PartnerAuthorization, Trademark

        # The forms' options kept per organization (the signature form's entities and evidence) and the
        # live check's entity with what its package holds are forgotten whenever one of these is saved
        # or deleted, by the admin too (filing_portal/choices.py); the services' UPDATEs of an entity or
        # its documents forget them themselves (services.py: _evidence_changed, document_purge).
        for model in (Entity, EntityShare, Trademark, IcpApp, PartnerAuthorization, Document):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_organization_rows, sender=model,
                    dispatch_uid=f"forget-kept-options-{model.__name__}-{id(signal)}",
                )  # fmt: skip
