"""Notices and their deliveries (docs/notices.md).

A ``Notice`` is one message to one audience: an organization (every member reads it in the inbox)
or one staff member (an account manager's digest). Its ``key`` says what it is about
("policy:<key>", "activity:<signature>:<carrier>:dormant:<since>", "event:signature:<id>"): the
database holds one notice per audience and key, so a re-run, a redelivered task or a second worker
writes nothing twice.

A ``Delivery`` is that notice on one channel to one recipient (an e-mail address, a webhook
endpoint): the outbox the delivery task claims by compare-and-set; unique per notice, channel and
recipient. Every attempt at a webhook is logged (``WebhookAttempt``).
"""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization


class Notice(models.Model):
    class Kind(models.TextChoices):
        RULE_CHANGE = "rule_change", _("Rule change")
        REMINDER = "reminder", _("Reminder")
        ACTIVITY = "activity", _("Signature activity")
        FILING_OVERDUE = "filing_overdue", _("Filing past its window")
        EXPIRING = "expiring", _("Documents expiring")
        STATUS = "status", _("Change of state")
        DIGEST = "digest", _("Digest")
        TEST = "test", _("Test")

    class Severity(models.TextChoices):
        ALARM = "alarm", pgettext_lazy("notice severity", "Action needed")
        WARNING = "warning", pgettext_lazy("notice severity", "Warning")
        INFO = "info", pgettext_lazy("notice severity", "For information")

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="notices", verbose_name=_("organization"))  # fmt: skip
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notices", verbose_name=_("staff recipient"))  # fmt: skip
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=200)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.INFO)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=300)
    subject_en = models.CharField(_("subject (English)"), max_length=300)
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    # What the notice is about, one entry each: {"label", "label_en", "url", "codes", "reason_zh", "reason_en",
    # "carrier", "deadline"}; shown as a list with a link to fix each (notices.selectors.items_of).
    items = models.JSONField(_("items"), default=list, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    needs_ack = models.BooleanField(_("needs acknowledgement"), default=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("acknowledged by"))  # fmt: skip
    # In the inbox and e-mail, or only on webhooks (a claim, a resubmission: every state change goes
    # to webhooks; the inbox keeps what a person acts on).
    in_inbox = models.BooleanField(_("in the inbox"), default=True)
    # The webhook event: its type ("signature.status_changed") and JSON payload.
    event_type = models.CharField(_("event type"), max_length=64)
    data = models.JSONField(_("event data"), default=dict, blank=True)
    ref = models.CharField(_("about"), max_length=120, blank=True, db_index=True)  # "policy:<key>", for grouping
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True) ^ Q(user__isnull=True), name="notice_one_audience"
            ),
            models.UniqueConstraint(
                fields=["organization", "key"],
                condition=Q(organization__isnull=False),
                name="notice_once_per_organization",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(user__isnull=False), name="notice_once_per_staff_member"
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], condition=Q(in_inbox=True), name="notice_inbox_idx"),
            models.Index(fields=["user", "-created_at"], condition=Q(user__isnull=False), name="notice_staff_idx"),
        ]

    def __str__(self):
        return self.subject_zh

    def subject(self, language: str) -> str:
        return self.subject_en if language.startswith("en") else self.subject_zh

    def body(self, language: str) -> str:
        return self.body_en if language.startswith("en") else self.body_zh


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhook_endpoints",
                                     verbose_name=_("organization"))  # fmt: skip
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=64, default=new_secret, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))  # fmt: skip
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Moved by every change (pause, resume, description): the API's ETag is made of it.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organization", "created_at", "pk"]

    def __str__(self):
        return self.url


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery state", "Waiting")
        SENDING = "sending", pgettext_lazy("delivery state", "Being sent")
        SENT = "sent", pgettext_lazy("delivery state", "Sent")
        FAILED = "failed", pgettext_lazy("delivery state", "Failed, will retry")
        GAVE_UP = "gave_up", pgettext_lazy("delivery state", "Gave up")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notice"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=320)  # an e-mail address, or the endpoint's id
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="deliveries", verbose_name=_("webhook endpoint"))  # fmt: skip
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel", "recipient"], name="delivery_once_per_recipient"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed", "sending"]),
                name="delivery_outbox_idx",
            ),  # fmt: skip
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"


class WebhookAttempt(models.Model):
    """One request to an endpoint: the delivery log the customer reads."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_made")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    response = models.CharField(max_length=500, blank=True)  # the first characters of the body

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
