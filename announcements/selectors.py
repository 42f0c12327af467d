"""Reads of the rule-change run, for the admin and the command: a run's progress, what it found (counts and
a sample), and who has acknowledged the announcement. Each a fixed number of queries, whatever the size."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from notices.models import Notice

from .models import Announcement, ImpactChunk, ImpactItem, ImpactRun

SAMPLE = 20


@dataclass(frozen=True)
class Progress:
    run: ImpactRun
    chunks_total: int
    chunks_done: int
    chunks_failed: int
    items_planned: int
    checked: int
    affected: int

    @property
    def percent(self) -> int:
        if not self.chunks_total:
            return 100 if self.run.status == ImpactRun.Status.DONE else 0
        return int(100 * self.chunks_done / self.chunks_total)

    def as_json(self) -> dict:
        return {"run": self.run.pk, "status": self.run.status, "status_label": str(self.run.get_status_display()),
                "dry_run": self.run.dry_run, "chunks_total": self.chunks_total, "chunks_done": self.chunks_done,
                "chunks_failed": self.chunks_failed, "items_planned": self.items_planned, "checked": self.checked,
                "affected": self.affected, "percent": self.percent,
                "finished": self.run.status == ImpactRun.Status.DONE}  # fmt: skip


def progress(run: ImpactRun) -> Progress:
    """Chunks done of all, items checked, items found affected so far (one query)."""
    done = Q(status=ImpactChunk.Status.DONE)
    totals = run.chunks.aggregate(
        done=Count("pk", filter=done), failed=Count("pk", filter=Q(status=ImpactChunk.Status.FAILED)),
        checked=Sum("checked", filter=done), affected=Sum("affected", filter=done),
    )  # fmt: skip
    return Progress(run, run.chunks_total, totals["done"], totals["failed"], run.items_planned,
                    totals["checked"] or 0, totals["affected"] or 0)  # fmt: skip


@dataclass(frozen=True)
class Findings:
    signatures: int
    templates: int
    organizations: int
    sample: list


def findings(run: ImpactRun, *, sample: int = SAMPLE) -> Findings:
    """How many signatures, templates and organizations the change affects, and the first items (two queries)."""
    counts = run.items.aggregate(
        signatures=Count("pk", filter=Q(kind=ImpactItem.Kind.SIGNATURE)),
        templates=Count("pk", filter=Q(kind=ImpactItem.Kind.TEMPLATE)),
        organizations=Count("organization", distinct=True),
    )  # fmt: skip
    rows = list(run.items.select_related("organization").order_by("kind", "object_id")[:sample])
    return Findings(counts["signatures"], counts["templates"], counts["organizations"], rows)


def runs_of(announcement: Announcement) -> tuple[ImpactRun | None, ImpactRun | None]:
    """The latest dry run and the publishing run of an announcement (one query)."""
    latest_dry = publishing = None
    for run in announcement.runs.order_by("-created_at", "-pk")[:50]:
        if run.dry_run and latest_dry is None:
            latest_dry = run
        if not run.dry_run and publishing is None:
            publishing = run
    return latest_dry, publishing


@dataclass(frozen=True)
class Acknowledgements:
    notified: int
    acknowledged: int
    waiting: int
    waiting_rows: list
    acknowledged_rows: list


def acknowledgements(announcement: Announcement, *, limit: int = 50) -> Acknowledgements:
    """Of the organizations the change affects (their alarm needs acknowledging): how many have
    acknowledged, and the first of those who have and have not (three queries)."""
    alarms = Notice.objects.filter(key=announcement.notice_key, organization__isnull=False, needs_ack=True)
    counts = alarms.aggregate(notified=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)))
    rows = alarms.select_related("organization", "acknowledged_by").order_by("organization__name", "pk")
    waiting = list(rows.filter(acknowledged_at__isnull=True)[:limit])
    done = list(rows.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at", "pk")[:limit])
    return Acknowledgements(counts["notified"], counts["acknowledged"], counts["notified"] - counts["acknowledged"],
                            waiting, done)  # fmt: skip
