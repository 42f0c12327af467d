"""SMS template (短信模板) applications, their history, versions, and test sends per carrier."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from compliance import transitions as states
from filing_portal.choices import carrier_choices
from filing_portal.workflow import ApplicationStatus, Reviewed, StatusEvent
from signatures.models import Signature


class SmsTemplate(Reviewed):
    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("Verification code")
        NOTIFICATION = "notification", _("Notification")
        MARKETING = "marketing", _("Marketing")

    Status = ApplicationStatus  # the states of filing_portal.workflow, shared with signatures

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sms_templates",
                                     verbose_name=_("organization"))  # fmt: skip
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, related_name="sms_templates", verbose_name=_("signature")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, help_text=_("For your own reference, e.g. Order confirmation."))
    text = models.TextField(_("template text"))
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=states.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Editing an approved template makes a new version; the old one stays usable until it is approved.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions", verbose_name=_("replaces")
    )
    # What the check said when it was submitted, and under which policy changes (the rules' version).
    precheck = models.JSONField(_("check at submission"), default=list, blank=True)
    policy_keys = models.JSONField(_("policy changes applied"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["organization", "status"], name="template_org_status_idx")]
        constraints = [
            # One newer version of a template at a time (withdrawn and rejected ones do not count).
            models.UniqueConstraint(
                fields=["previous"],
                condition=Q(previous__isnull=False) & ~Q(status__in=[states.WITHDRAWN, states.REJECTED]),
                name="template_one_revision_under_way",
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class TemplateEvent(StatusEvent):
    template = models.ForeignKey(SmsTemplate, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        pass

    def __str__(self):
        return f"{self.template} {self.from_status or '∅'} → {self.to_status}"


class TestSend(models.Model):
    """Carriers report no filing results: a test send per carrier is the evidence."""

    __test__ = False  # not a pytest test class, despite its name

    template = models.ForeignKey(SmsTemplate, on_delete=models.CASCADE, related_name="test_sends",
                                 verbose_name=_("SMS template"))  # fmt: skip
    carrier = models.CharField(_("carrier"), max_length=16, choices=carrier_choices())  # compliance.carriers
    sent_on = models.DateField(_("sent on"), default=timezone.localdate)
    delivered = models.BooleanField(_("delivered"))
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("recorded by"))  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_on", "-recorded_at"]
        verbose_name = _("test send")
        verbose_name_plural = _("test sends")

    def __str__(self):
        return f"{self.template} · {self.get_carrier_display()} · {'✔' if self.delivered else self.failure_code}"
