"""Reads for the filing clerk's pages: what waits per carrier, and the batches."""

from dataclasses import dataclass

from django.db.models import Count, Q

from compliance import carriers
from compliance import transitions as t

from .models import CarrierBatch, Filing
from .services import exportable

RESULT_STATES = (t.FILED, t.FAILED, t.CLEARED, t.AFFECTED)


@dataclass(frozen=True)
class Waiting:
    carrier: carriers.Carrier
    ready: int  # a new batch would take these (services.exportable)
    for_signature: int  # templates pending there until their signature is filed there


def waiting() -> list[Waiting]:
    """Per carrier, in the carriers' order: what a new batch would take, and the templates that wait
    for their signature to be filed first. Four queries, whatever the numbers."""
    pending = dict(
        Filing.objects.filter(status=t.PENDING, batch__isnull=True, template__isnull=False)
        .values("carrier")
        .annotate(n=Count("pk"))
        .values_list("carrier", "n")
    )
    rows = []
    for carrier in carriers.CARRIERS:
        ready = exportable(carrier.code)
        ready_templates = ready.filter(template__isnull=False).count()
        rows.append(Waiting(carrier, ready.count(), pending.get(carrier.code, 0) - ready_templates))
    return rows


def batches_listed(limit: int = 100):
    """The latest batches, each with how many of its filings have a result."""
    return (
        CarrierBatch.objects.select_related("created_by", "submitted_by")
        .annotate(results=Count("filings", filter=Q(filings__status__in=RESULT_STATES)))
        .order_by("-created_at", "-pk")[:limit]
    )
