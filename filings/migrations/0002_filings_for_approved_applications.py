"""Every application the platform approved before filings existed gets its three filings. Where its
history (issue 10's ``legacy`` record, filing_portal/migration_ops.py) says the carriers had it filed
(active, dormant), they are filed; where it was being filed, submitted on that day, in a legacy batch of
each carrier (so that the clerk can record the results as for any batch); otherwise pending.

The history rows are written as already read by the notices (``processed_at``): they tell of the past.
An application that already has filings is left alone, so the step can run again."""

from django.db import migrations
from django.utils import timezone

from compliance import carriers, workdays
from compliance import filings as rules

LEGACY = {"active": "filed", "dormant": "filed", "filing": "submitted"}


def _state(events, fk, pk):
    last = None
    for event in events.objects.filter(**{fk: pk}).order_by("at", "pk"):
        legacy = (event.record or {}).get("legacy")
        if isinstance(legacy, dict) and legacy.get("to") in LEGACY:
            last = (LEGACY[legacy["to"]], event.at)
    return last or ("pending", None)


def _window(day, holidays):
    """The filing window from ``day``, on the package's calendar and the admin's holiday table."""
    off = frozenset(d for d, working in holidays if not working)
    on = frozenset(d for d, working in holidays if working)
    window = rules.window(day)
    due_from = workdays.add_working_days(day, window.earliest, extra_holidays=off, extra_workdays=on)
    due_by = workdays.add_working_days(day, window.latest, extra_holidays=off, extra_workdays=on)
    years = frozenset(d.year for d, _working in holidays)
    exact = all(workdays.is_exact(year, table_years=years) for year in range(day.year, due_by.year + 1))
    return {"due_from": due_from, "due_by": due_by, "due_exact": exact}


def forwards(apps, schema_editor):
    filing = apps.get_model("filings", "Filing")
    filing_event = apps.get_model("filings", "FilingEvent")
    batch = apps.get_model("filings", "CarrierBatch")
    holiday = apps.get_model("policies", "Holiday")
    holidays = list(holiday.objects.values_list("day", "is_workday"))
    now = timezone.now()
    legacy_batches = {}
    sources = (
        ("signatures", "Signature", "SignatureEvent", "signature"),
        ("templates_app", "SmsTemplate", "TemplateEvent", "template"),
    )
    for app_label, model_name, event_name, fk in sources:
        model = apps.get_model(app_label, model_name)
        events = apps.get_model(app_label, event_name)
        done = set(filing.objects.filter(**{f"{fk}__isnull": False}).values_list(f"{fk}_id", flat=True))
        for application in model.objects.filter(status="approved").exclude(pk__in=done):
            state, at = _state(events, fk, application.pk)
            for code in carriers.CODES:
                fields = {"organization_id": application.organization_id, f"{fk}_id": application.pk,
                          "carrier": code, "status": state}  # fmt: skip
                if state == "submitted":
                    if code not in legacy_batches:
                        legacy_batches[code] = batch.objects.create(carrier=code, created_at=now, submitted_at=now)
                    fields.update(batch=legacy_batches[code], submitted_at=at,
                                  **_window(timezone.localdate(at), holidays))  # fmt: skip
                elif state == "filed":
                    fields["filed_at"] = at
                made = filing.objects.create(**fields)
                filing_event.objects.create(filing=made, action="create", from_status="", to_status="pending",
                                            actor_role="system", record={"legacy": True}, at=at or now,
                                            processed_at=now)  # fmt: skip
                if state != "pending":
                    filing_event.objects.create(filing=made, action="legacy", from_status="pending", to_status=state,
                                                actor_role="system", record={"legacy": True}, at=at,
                                                processed_at=now)  # fmt: skip
    for code, made in legacy_batches.items():
        batch.objects.filter(pk=made.pk).update(size=filing.objects.filter(batch=made).count())


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0001_filings_and_batches"),
        ("policies", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
