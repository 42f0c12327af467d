"""Every application the platform approved before filings existed gets its three filings. Where its
history (issue 10's ``legacy`` record) says the carriers had it filed (active, dormant), they are
filed; where it was being filed, submitted on that day; otherwise pending."""

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


def forwards(apps, schema_editor):
    filing = apps.get_model("filings", "Filing")
    filing_event = apps.get_model("filings", "FilingEvent")
    sources = (
        ("signatures", "Signature", "SignatureEvent", "signature"),
        ("templates_app", "SmsTemplate", "TemplateEvent", "template"),
    )
    for app_label, model_name, event_name, fk in sources:
        model = apps.get_model(app_label, model_name)
        events = apps.get_model(app_label, event_name)
        for application in model.objects.filter(status="approved"):
            state, at = _state(events, fk, application.pk)
            for code in carriers.CODES:
                fields = {"organization_id": application.organization_id, f"{fk}_id": application.pk,
                          "carrier": code, "status": state}  # fmt: skip
                if state == "submitted":
                    day = timezone.localdate(at)
                    window = rules.window(day)
                    fields.update(submitted_at=at, due_from=workdays.add_working_days(day, window.earliest),
                                  due_by=workdays.add_working_days(day, window.latest),
                                  due_exact=workdays.is_exact(day.year))  # fmt: skip
                elif state == "filed":
                    fields["filed_at"] = at
                made = filing.objects.create(**fields)
                filing_event.objects.create(filing=made, action="create", from_status="", to_status="pending",
                                            actor_role="system", record={"legacy": True})  # fmt: skip
                if state != "pending":
                    filing_event.objects.create(filing=made, action="legacy", from_status="pending", to_status=state,
                                                actor_role="system", record={"legacy": True}, at=at)  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("filings", "0001_filings_and_batches"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
