"""Data steps the migrations share (kept stable: old migrations import them)."""

# Issue 10: an application's life ends at the platform's decision. What happened at the carriers
# afterwards (filing, active, dormant) becomes approved, to be carried by the per-carrier filing
# records; a signature the carriers cleared is over (withdrawn), so that it does not hold its text
# against a new application. Nothing of the history is lost: a row whose states left the table keeps
# them in its record (``legacy``), for the filing records to read (issue 11).
AFTER_DECISION = {"filing": "approved", "active": "approved", "dormant": "approved", "cleared": "withdrawn"}
CLEARED_NOTE = "cleared by the carriers"


def end_applications_at_decision(app_label: str, model_name: str, event_model: str, fk: str):
    def forwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        events = apps.get_model(app_label, event_model)
        for old, new in AFTER_DECISION.items():
            model.objects.filter(status=old).update(status=new)
        # In review with nobody holding it (before claims existed): back in the queue, to be claimed.
        for pk in model.objects.filter(status="in_review").values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(status="submitted")
            events.objects.create(**{f"{fk}_id": pk}, from_status="in_review", to_status="submitted",
                                  reason="back in the queue: claims began", record={"legacy": True})  # fmt: skip
        for event in events.objects.filter(from_status__in=AFTER_DECISION) | events.objects.filter(
            to_status__in=AFTER_DECISION
        ):
            record = {**(event.record or {}), "legacy": {"from": event.from_status, "to": event.to_status}}
            was, became = event.from_status, event.to_status
            event.from_status, event.to_status = AFTER_DECISION.get(was, was), AFTER_DECISION.get(became, became)
            if became == "cleared":
                event.reason = event.reason or CLEARED_NOTE
            event.record = record
            event.save(update_fields=["from_status", "to_status", "reason", "record"])

    return forwards
