"""Data steps the migrations share (kept stable: old migrations import them)."""

# Issue 10: an application's life ends at the platform's decision. What happened at the carriers
# afterwards (filing, active, dormant) becomes approved, to be carried by the per-carrier filing
# records; a signature the carriers cleared is over (withdrawn), noted as such in its history, so
# that it does not hold its text against a new application.
AFTER_DECISION = {"filing": "approved", "active": "approved", "dormant": "approved", "cleared": "withdrawn"}
CLEARED_NOTE = "cleared by the carriers"


def end_applications_at_decision(app_label: str, model_name: str, event_model: str, fk: str):
    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        events = apps.get_model(app_label, event_model)
        for old, new in AFTER_DECISION.items():
            ids = list(model.objects.filter(status=old).values_list("pk", flat=True))
            model.objects.filter(pk__in=ids).update(status=new)
            if old == "cleared":
                events.objects.bulk_create(
                    events(**{f"{fk}_id": pk}, from_status="approved", to_status="withdrawn", reason=CLEARED_NOTE)
                    for pk in ids
                )
        # The history keeps its rows; their states now read as the states that remain.
        for old in AFTER_DECISION:
            events.objects.filter(from_status=old).update(from_status="approved")
            events.objects.filter(to_status=old).update(to_status="approved")
        events.objects.filter(from_status="approved", to_status="approved").delete()

    return forwards
