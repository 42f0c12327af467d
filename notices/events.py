"""The history rows are the outbox: every move of a signature, template, filing or qualification
package writes a ``StatusEvent`` in its own transaction (filing_portal.workflow), with ``processed_at``
empty. ``dispatch`` turns one into a notice to its organization (webhooks always; the inbox and
e-mail when the move is one a person acts on), and marks it processed in the same transaction, so
each event is turned into its notice exactly once, whichever worker gets there first."""

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from compliance import reasons as catalogue
from compliance import transitions as t
from filing_portal.workflow import _label

from . import services
from .models import Notice

# The moves a person acts on: a decision, or what a carrier did with a filing. The rest (a claim, a
# submission, a re-filing) go to webhooks only: every change of state can be followed there.
INBOX_STATES = frozenset({t.APPROVED, t.REJECTED, t.CHANGES_REQUESTED, t.FILED, t.FAILED, t.CLEARED, t.AFFECTED})
ALARMS = frozenset({t.REJECTED, t.CHANGES_REQUESTED, t.FAILED, t.CLEARED, t.AFFECTED})


def _models():
    from filings.models import FilingEvent
    from qualifications.models import PackageEvent
    from signatures.models import SignatureEvent
    from templates_app.models import TemplateEvent

    return {"signature": SignatureEvent, "template": TemplateEvent, "filing": FilingEvent,
            "qualification": PackageEvent}  # fmt: skip


def _application(application) -> tuple[str, tuple[str, str]]:
    """A signature's or template's page, and its name (zh, en)."""
    if application._meta.model_name == "signature":
        url = reverse("org:signature-detail", args=[application.organization_id, application.pk])
        return url, (f"签名{application}", f"Signature {application}")
    url = reverse("org:template-detail", args=[application.organization_id, application.pk])
    return url, (f"模板「{application.name}」", f'Template "{application.name}"')


def _carrier_names(filing) -> tuple[str, str]:
    with translation.override("zh-hans"):
        zh = str(filing.get_carrier_display())
    with translation.override("en"):
        en = str(filing.get_carrier_display())
    return zh, en


def _about(kind: str, event) -> tuple[object, object, str, tuple[str, str]]:
    """(the record that moved, its organization id, the page to fix it, its name (zh, en))."""
    if kind in ("signature", "template"):
        record = event.signature if kind == "signature" else event.template
        url, names = _application(record)
        return record, record.organization_id, url, names
    if kind == "filing":
        record = event.filing
        url, (zh, en) = _application(record.application)
        carrier_zh, carrier_en = _carrier_names(record)
        return record, record.organization_id, url, (f"{zh}在{carrier_zh}", f"{en} at {carrier_en}")
    record = event.review
    entity = record.entity
    url = reverse("org:entity-detail", args=[record.organization_id, entity.pk])
    names = (f"主体「{entity.name}」的资质", f'The qualification of "{entity.name}"')
    return record, record.organization_id, url, names


def _names(record, status: str) -> tuple[str, str]:
    if not status:
        return "—", "—"
    with translation.override("zh-hans"):
        zh = _label(record, status)
    with translation.override("en"):
        en = _label(record, status)
    return zh, en


def dispatch(kind: str, event_id: int) -> Notice | None:
    """Turn one history row into its notice, once. None when it was done already (or is gone)."""
    model = _models()[kind]
    with transaction.atomic():
        rows = model.objects.filter(pk=event_id, processed_at__isnull=True)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        event = rows.first()
        if event is None:
            return None
        record, organization_id, url, (name_zh, name_en) = _about(kind, event)
        old_zh, old_en = _names(record, event.from_status)
        new_zh, new_en = _names(record, event.to_status)
        reasons = [r for r in (catalogue.reason(code) for code in event.reason_codes) if r is not None]
        items = [{"label": name_zh, "label_en": name_en, "url": url, "codes": list(event.reason_codes),
                  "reason_zh": "；".join(f"{r.title_zh}：{r.todo_zh}" for r in reasons),
                  "reason_en": "; ".join(f"{r.title_en}: {r.todo_en}" for r in reasons),
                  "carrier": getattr(record, "carrier", "")}]  # fmt: skip
        from accounts.models import Organization

        notice = services.notify(
            organization=Organization(pk=organization_id),
            kind=Notice.Kind.STATUS,
            key=f"event:{kind}:{event.pk}",
            subject=services.Text(f"{name_zh}：{new_zh}", f"{name_en}: {new_en}"),
            body=services.Text(f"{name_zh}：{old_zh} → {new_zh}。", f"{name_en}: {old_en} → {new_en}."),
            items=items,
            severity=Notice.Severity.ALARM if event.to_status in ALARMS else Notice.Severity.INFO,
            in_inbox=event.to_status in INBOX_STATES,
            event_type=f"{kind}.status_changed",
            data={
                kind: {
                    "id": str(record.pk),
                    "from": event.from_status,
                    "to": event.to_status,
                    "action": event.action,
                    "reason_codes": list(event.reason_codes),
                    "at": event.at.isoformat(),
                }
            },  # fmt: skip
            ref=f"{kind}:{record.pk}",
        )
        model.objects.filter(pk=event.pk).update(processed_at=timezone.now())
    return notice


def kind_of_event(event) -> str:
    return next(kind for kind, model in _models().items() if isinstance(event, model))


def nudge(event) -> None:
    """Ask a worker to dispatch the event now; a broker that is down only delays it (the sweep)."""
    from .tasks import dispatch_event

    services.nudge(dispatch_event, kind_of_event(event), event.pk)


def dispatch_pending(limit: int = 500) -> int:
    """Every history row not yet turned into a notice (oldest first, at most ``limit`` of each kind)."""
    done = 0
    for kind, model in _models().items():
        ids = model.objects.filter(processed_at__isnull=True).order_by("at", "pk").values_list("pk", flat=True)
        for event_id in list(ids[:limit]):
            try:
                done += dispatch(kind, event_id) is not None
            except Exception:  # one row that cannot be told must not hold back every later one
                services.log.exception("notices: %s event %s could not be dispatched; tried again next sweep",
                                       kind, event_id)  # fmt: skip
    return done
