"""What the signature and template resources of the REST API both show (docs/api.md): a violation with
the rule it comes from, the filing at each carrier, the review's decisions with their reason codes and the
timeline, in the caller's language. Read-only serializers, and the functions that fill them from the same
selectors the customer's pages read."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from api.base import chinese  # noqa: F401 (the language test the signatures and templates read here)
from api.schema import IDEMPOTENCY_KEY, IF_MATCH, MAX_ID  # noqa: F401 (theirs too)
from compliance import carriers
from compliance import filings as filing_rules
from compliance import transitions as t
from compliance.policies import describe_ref, ref_parts
from filing_portal.workflow import state_label
from policies.timeline import timeline
from review import selectors as review_selectors

from . import selectors
from .models import FilingStatus

SEVERITIES = ("error", "warning")
DECISION_ACTIONS = (t.APPROVE, t.REQUEST_CHANGES, t.REJECT)


ENTITY_FILTER = OpenApiParameter("entity", OpenApiTypes.UUID, description="An entity's id.")


def invalid_choice(field: str) -> ValidationError:
    """The site's form's words for a choice it does not offer: another organization's object (an entity, a piece of
    evidence, a signature named in a body) reads as a missing one."""
    message = _("Select a valid choice. That choice is not one of the available choices.")
    return ValidationError({field: ValidationError(message, code="invalid_choice")})


def id_parameter(name: str, description: str, location=OpenApiParameter.QUERY) -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, location,
                            description=description)  # fmt: skip


# --- violations and the rule each comes from --------------------------------------------------------------------


class RuleReferenceSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text="The stable form: `YYYY-MM-DD · notice`, or `platform rule`.")
    effective = serializers.DateField(allow_null=True, help_text="The day the rule took effect (none for the "
                                                                 "platform's own rules).")  # fmt: skip
    notice = serializers.CharField(allow_null=True, help_text="The notice it comes from, e.g. 2026.4.23.")
    policy_key = serializers.CharField(allow_null=True, help_text="The policy change that set it, as "
                                                                  "`GET /api/v1/policies/` lists it.")  # fmt: skip
    text = serializers.CharField(help_text="As the portal shows it, in the caller's language.")


class RuleViolationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, e.g. SIG_TAKEN, TPL_LINK_NOT_OWNED.")
    severity = serializers.ChoiceField(choices=SEVERITIES, help_text="An error blocks; a warning is acknowledged.")
    message = serializers.CharField(help_text="In the caller's language.")
    carrier = serializers.ChoiceField(
        choices=carriers.CODES, allow_null=True, help_text="The carrier whose rule it is (templates); none for all."
    )
    rule = RuleReferenceSerializer()


class Rules:
    """Turns rule_refs into rule references: the policy change of each notice and date read once."""

    def __init__(self):
        self._keys = None

    def key(self, effective: str, notice: str) -> str | None:
        if self._keys is None:
            # On one date a later row (an admin's correction) wins, as the fold does.
            self._keys = {(f"{c.effective:%Y-%m-%d}", c.notice): c.key
                          for c in sorted(timeline(), key=lambda c: c.effective)}  # fmt: skip
        return self._keys.get((effective, notice))

    def reference(self, ref: str, zh: bool) -> dict:
        parts = ref_parts(ref)
        effective, notice = parts if parts else (None, None)
        return {"ref": ref, "effective": effective, "notice": notice,
                "policy_key": self.key(effective, notice) if parts else None,
                "text": describe_ref(ref)[0 if zh else 1]}  # fmt: skip

    def violation(self, v, zh: bool) -> dict:
        """A compliance.Violation, or one as a snapshot stored it (a dict)."""
        get = v.get if isinstance(v, dict) else lambda name, default=None: getattr(v, name, default)
        message = get("message") if zh else get("message_en") or get("message")
        carrier = get("carrier")
        return {"code": get("code"), "severity": get("severity"), "message": message or "",
                "carrier": carrier if carrier in carriers.CODES else None,
                "rule": self.reference(get("rule_ref") or "", zh)}  # fmt: skip

    def violations(self, found, zh: bool) -> list[dict]:
        return [self.violation(v, zh) for v in found]


# --- the filing at each carrier ---------------------------------------------------------------------------------


class ReasonCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A code of the reason catalogue (REV_…, FIL_…).")
    title = serializers.CharField(help_text="In the caller's language.")
    todo = serializers.CharField(help_text="What to do, in the caller's language.")
    concerns = serializers.CharField(help_text="The field or document it concerns (`text`, `document:<kind>`…).")


# A filing's state at a carrier, and `waiting_signature` for a template whose signature is not filed there yet.
CARRIER_STATES = (*FilingStatus.values, filing_rules.WAITING)


class CarrierFilingSerializer(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=carriers.CODES)
    name = serializers.CharField(help_text="The carrier's name in the caller's language.")
    state = serializers.ChoiceField(
        choices=CARRIER_STATES,
        help_text="`waiting`: a template waits for its signature to be filed there.",
    )
    label = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="When it was handed to the carrier.")
    due_from = serializers.DateField(allow_null=True)
    due_by = serializers.DateField(allow_null=True, help_text="Expected by (for one not sent yet: if sent today).")
    due_exact = serializers.BooleanField(help_text="False: an estimate (that year's holidays are not known yet).")
    overdue = serializers.BooleanField()
    filed_at = serializers.DateTimeField(allow_null=True)
    carrier_ref = serializers.CharField(allow_blank=True, help_text="The carrier's reference, once filed.")
    reasons = ReasonCodeSerializer(many=True, help_text="Why it failed or was cleared.")
    next_step = serializers.CharField()


def _reason(r) -> dict:
    return {"code": r.code, "title": r.title, "todo": r.todo, "concerns": r.concerns}


def filings(application, zh: bool) -> list[dict]:
    """The application's filing at each carrier, as its page shows them (none before its approval)."""
    if application.status != t.APPROVED:
        return []
    return [
        {"carrier": f.carrier, "name": f.name, "state": f.state, "label": str(f.label), "submitted_at": f.submitted_at,
         "due_from": f.due_from, "due_by": f.due_by, "due_exact": f.due_exact, "overdue": f.overdue,
         "filed_at": f.filed_at, "carrier_ref": f.carrier_ref, "reasons": [_reason(r) for r in f.reasons],
         "next_step": f.next_step}
        for f in selectors.carrier_filings(application, chinese=zh)
    ]  # fmt: skip


class CarrierMarkSerializer(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=carriers.CODES)
    state = serializers.ChoiceField(choices=CARRIER_STATES)
    label = serializers.CharField()


def marks(shown: dict | None, zh: bool) -> list[dict]:
    """A list row's state at each carrier (filings.selectors.page_states), none before the approval."""
    if not shown:
        return []
    return [{"carrier": m.carrier, "state": m.state, "label": str(m.label)} for m in selectors.marks(shown, chinese=zh)]


# --- the review's decisions and the timeline --------------------------------------------------------------------


class ReviewDecisionSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=DECISION_ACTIONS)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reasons = ReasonCodeSerializer(many=True)
    note = serializers.CharField(allow_blank=True, help_text="The reviewer's note.")


class ApplicationEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    carrier = serializers.ChoiceField(
        choices=carriers.CODES, allow_null=True, help_text="A filing's move at this carrier; none for the review's."
    )
    action = serializers.CharField(allow_null=True, help_text="The move (submit, request_changes…); none for a "
                                                              "filing's.")  # fmt: skip
    from_status = serializers.CharField(allow_blank=True, help_text="Empty for the first row.")
    to_status = serializers.CharField()
    from_label = serializers.CharField(allow_blank=True)
    to_label = serializers.CharField()
    reasons = ReasonCodeSerializer(many=True)
    note = serializers.CharField(allow_blank=True)
    who = serializers.CharField(allow_blank=True, help_text="A member's e-mail, or the platform's staff by role.")


def _events(rows):
    return [dict(zip(review_selectors.EVENT_COLUMNS, row, strict=True)) for row in rows]


def decisions(rows, zh: bool) -> list[dict]:
    """Every decision of the platform's reviewers, oldest first, with its reason codes."""
    return [
        {"at": e["at"], "action": e["action"], "from_status": e["from_status"], "to_status": e["to_status"],
         "reasons": [_reason(r) for r in review_selectors.shown_reasons(e["reason_codes"], chinese=zh)],
         "note": e["reason"]}
        for e in _events(rows) if e["action"] in DECISION_ACTIONS
    ]  # fmt: skip


def current_decision(rows, status: str, zh: bool) -> dict | None:
    """The decision the application is under now (changes requested, rejected), as its page shows it."""
    found = review_selectors.current_decision(rows, status=status, chinese=zh)
    if found is None:
        return None
    return next((d for d in reversed(decisions(rows, zh)) if d["at"] == found.at), None)


def events(application, rows, zh: bool, notes: dict | None = None) -> list[dict]:
    """The timeline across the platform's review and the carriers, in time order, as the page reads it:
    ``rows`` the application's events (EVENT_COLUMNS); ``notes`` the system's markers to translate."""
    shown = []
    for e in _events(rows):
        if e["from_status"] == e["to_status"]:  # a second reviewer's claim: no change for the customer
            continue
        shown.append({
            "at": e["at"], "carrier": None, "action": e["action"] or None, "from_status": e["from_status"],
            "to_status": e["to_status"], "from_label": state_label(e["from_status"]) if e["from_status"] else "",
            "to_label": state_label(e["to_status"]),
            "reasons": [_reason(r) for r in review_selectors.shown_reasons(e["reason_codes"], chinese=zh)],
            "note": str((notes or {}).get(e["reason"], e["reason"])),
            "who": review_selectors.shown_actor(e["actor_role"], e["actor__email"]),
        })  # fmt: skip
    if application.status == t.APPROVED:
        for at, code, source, target, codes, note, role in selectors.filing_moves(application):
            shown.append({
                "at": at, "carrier": code, "action": None, "from_status": source or "", "to_status": target,
                "from_label": selectors.state_label(source) if source else "",
                "to_label": selectors.state_label(target),
                "reasons": [_reason(r) for r in review_selectors.shown_reasons(codes, chinese=zh)], "note": note,
                "who": selectors.shown_staff(role),
            })  # fmt: skip
        shown.sort(key=lambda entry: entry["at"])
    return shown
