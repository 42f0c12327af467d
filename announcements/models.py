"""Announcements of policy changes, and the runs that re-check every live signature and template for one
(docs/notices.md, "The rule-change run").

An ``Announcement`` is what a policy admin writes for one policy change (a ``policies.Policy`` row, built
in or added in the admin): its title and text in Chinese and English; the date, the carriers and the
parameters are the change's own. Publishing it starts an ``ImpactRun``; a dry run is a run too, that
writes no notice.

A run is cut into ``ImpactChunk`` rows, each a range of primary keys of signatures or templates, that any
number of workers take: a worker claims a chunk by compare-and-set (pending → running), re-checks its
items and marks it done; the sweep gives a chunk whose worker died back to the others. What a chunk finds
is an ``ImpactItem`` per item the change breaks, unique per run, kind and id, so a chunk done twice
records nothing twice. The last chunk done hands the run to one finaliser, which writes the notices.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization
from policies.models import Policy


class Announcement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("announcement state", "Draft")
        PUBLISHING = "publishing", pgettext_lazy("announcement state", "Publishing")
        PUBLISHED = "published", pgettext_lazy("announcement state", "Published")

    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="announcement",
                                  verbose_name=_("policy change"),
                                  help_text=_("The change it announces: its date, carriers and parameters."),
                                  )  # fmt: skip
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True,
                                help_text=_("Left blank, the change's summary is the title."))  # fmt: skip
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True,
                                help_text=_("Left blank, the change's summary is the title."))  # fmt: skip
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              editable=False)  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False, verbose_name=_("written by"))  # fmt: skip
    created_at = models.DateTimeField(_("written at"), default=timezone.now, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", editable=False, verbose_name=_("published by"))  # fmt: skip
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title_zh or self.policy.summary_zh

    @property
    def notice_key(self) -> str:
        """The key of its notices (notices.Notice.key): one per organization, ever."""
        return f"policy:{self.policy.key}"


class RunStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("run state", "Checking")
    FINALISING = "finalising", pgettext_lazy("run state", "Writing the notices")
    DONE = "done", pgettext_lazy("run state", "Done")


class ImpactRun(models.Model):
    """One re-check of every live signature and template for an announcement's change: a dry run (counts
    and a sample, no notice) or the publishing run."""

    Status = RunStatus

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="runs",
                                     verbose_name=_("announcement"))  # fmt: skip
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    as_of = models.DateField(_("checked as of"))  # the change's effective date when the run began
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    items_planned = models.PositiveIntegerField(_("items to check"), default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("started by"))  # fmt: skip
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    # The finaliser: who holds it (a token) and when it last wrote; how far it got through the
    # organizations (their pk), so one that died is resumed where it stopped.
    finalising_at = models.DateTimeField(_("writing the notices since"), null=True, blank=True)
    finaliser = models.CharField(_("finaliser's claim"), max_length=32, blank=True)
    finaliser_worker = models.CharField(_("finalising worker"), max_length=120, blank=True)  # host:pid
    finaliser_heartbeat = models.DateTimeField(_("finaliser last seen"), null=True, blank=True)
    notified_through = models.BigIntegerField(_("organizations notified up to"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("impact run")
        verbose_name_plural = _("impact runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status"], condition=~Q(status="done"), name="impact_run_open_idx")]

    def __str__(self):
        return f"{self.announcement} · {self.get_status_display()}"


class ChunkStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("chunk state", "Waiting")
    RUNNING = "running", pgettext_lazy("chunk state", "Being checked")
    DONE = "done", pgettext_lazy("chunk state", "Done")
    FAILED = "failed", pgettext_lazy("chunk state", "Failed")


class ItemKind(models.TextChoices):
    SIGNATURE = "signature", _("signature")
    TEMPLATE = "template", _("SMS template")


class ImpactChunk(models.Model):
    """A range of primary keys of one kind, [first_id, last_id], holding about POLICY_IMPACT_CHUNK_SIZE live
    items when the run was planned: the unit of work a worker claims."""

    Status = ChunkStatus
    Kind = ItemKind

    run = models.ForeignKey(ImpactRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("impact run"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    first_id = models.BigIntegerField(_("first id"))
    last_id = models.BigIntegerField(_("last id"))
    size = models.PositiveIntegerField(_("items when planned"), default=0)  # live items in the range then
    status = models.CharField(_("state"), max_length=16, choices=Status.choices, default=Status.PENDING)
    claim = models.CharField(_("claim"), max_length=32, blank=True)  # the claiming worker's token
    worker = models.CharField(_("worker"), max_length=120, blank=True)  # host:pid of the worker that claimed it last
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    checked = models.PositiveIntegerField(_("items checked"), default=0)
    affected = models.PositiveIntegerField(_("items affected"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("impact chunk")
        verbose_name_plural = _("impact chunks")
        ordering = ["run", "kind", "first_id"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "first_id"], name="impact_chunk_once")]
        indexes = [
            models.Index(fields=["run", "status"], name="impact_chunk_run_status_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="running"), name="impact_chunk_claimed_idx"),
        ]

    def __str__(self):
        return f"{self.run_id} · {self.kind} {self.first_id}-{self.last_id} · {self.status}"


class ImpactItem(models.Model):
    """A live signature or template that the change breaks: what it breaks (codes, carriers) and why, in
    both languages. Unique per run, kind and id: a chunk re-done after a crash adds nothing."""

    Kind = ItemKind

    run = models.ForeignKey(ImpactRun, on_delete=models.CASCADE, related_name="items", verbose_name=_("impact run"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    object_id = models.BigIntegerField(_("id"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organization"))  # fmt: skip
    label_zh = models.CharField(_("name (Chinese)"), max_length=300)
    label_en = models.CharField(_("name (English)"), max_length=300)
    codes = models.JSONField(_("codes"), default=list)
    # The carriers whose rules it now breaks; all three (or a rule of no carrier): [].
    carriers = models.JSONField(_("carriers"), default=list)
    reason_zh = models.TextField(_("why (Chinese)"), blank=True)
    reason_en = models.TextField(_("why (English)"), blank=True)

    class Meta:
        verbose_name = _("affected item")
        verbose_name_plural = _("affected items")
        ordering = ["run", "organization", "kind", "object_id"]
        constraints = [models.UniqueConstraint(fields=["run", "kind", "object_id"], name="impact_item_once")]
        indexes = [models.Index(fields=["run", "organization"], name="impact_item_run_org_idx")]

    def __str__(self):
        return self.label_zh
