"""Signature applications in the customer site: list, the form with its live check, the timeline."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import json_script
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from compliance import filings as filing_rules
from compliance import policy_as_of
from compliance import transitions as states
from compliance.policies import describe_ref
from compliance.signatures import (
    EDITABLE_STATES,
    signature_notices,
    signature_rules,
    source_withdrawn,
    withdrawn_source_step,
    withdrawn_source_warning,
)
from filing_portal import compiled
from filing_portal.forms import apply_service_errors
from filing_portal.listing import paginate
from filings import selectors as filing_selectors
from policies.timeline import current_policy, timeline
from review import selectors as review_selectors
from sending import selectors as sending_selectors
from templates_app.models import TestSend

from . import selectors, services
from .forms import SignatureForm, refusal_text
from .live_check import EVIDENCE_FIELD, live_check
from .models import Signature


def _membership(request, org_id):
    return account_selectors.membership_get(user=request.user, org_id=org_id)


def _chinese(request) -> bool:
    return (request.LANGUAGE_CODE or "").startswith("zh")


def rule_text(ref: str, chinese: bool) -> str:
    """Where a rule comes from, in the reader's language (the rule_ref itself stays for the API)."""
    return describe_ref(ref)[0 if chinese else 1]


def _say_dropped(request, form) -> None:
    """A draft saved without evidence of another entity (the entity changed after it was picked): say so."""
    for label in form.dropped_evidence:
        messages.warning(
            request,
            _("%(field)s was left out of the draft: the one chosen belongs to another entity. Choose one of this "
              "entity's before submitting.") % {"field": label},
        )  # fmt: skip


@login_required
@require_GET
def signature_list(request, org_id):
    membership = _membership(request, org_id)
    chinese = _chinese(request)
    listing = paginate(request, selectors.signatures_of, membership.organization_id, choices=Signature.Status.choices)
    # The state's label straight from Signature.Status: get_status_display rebuilds the choices on every call.
    step = 0 if chinese else 1
    policy = current_policy()  # one query, whatever the page's length
    rows = []
    # Each carrier's state of the approved ones, as three marks (one query for the page).
    approved = [(s.pk, s.pk) for s in listing.page if s.status == states.APPROVED]
    shown = filing_selectors.page_states("signature", approved)
    for s in listing.page:
        # A live signature whose source the rules in force no longer accept (app names from 2026-05-01):
        # a warning beside its state, and what to do as the next step (change the source of a draft,
        # re-file a filed one), never "ready to send".
        withdrawn = refusal_text(s.source, policy) if source_withdrawn(s.source, s.status, policy) else ""
        carriers = shown.get(s.pk)
        if withdrawn:
            next_step = withdrawn_source_step(s.status, policy)[step]
        else:
            next_step = (filing_rules.next_step(carriers) if carriers else states.NEXT_STEP[s.status])[step]
        label = filing_selectors.status_text(s.status, Signature.Status(s.status).label, carriers, chinese=chinese)
        marks = filing_selectors.marks(carriers, chinese=chinese) if carriers else ()
        rows.append((s, label, next_step, withdrawn, marks))
    return render(request, "signatures/list.html", {"org": membership.organization, "rows": rows, "listing": listing})


@login_required
@require_http_methods(["GET", "POST"])
def signature_create(request, org_id):
    membership = _membership(request, org_id)
    org = membership.organization
    # The abbreviation is what most customers file (notice 2025.6.3).
    initial = {"entity": request.GET.get("entity"), "source": Signature.Source.ABBREVIATION}
    form = SignatureForm(request.POST or None, organization=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "draft":
                signature = services.signature_save_draft(organization=org, user=request.user, draft=form.draft())
                messages.success(request, _("Saved as a draft."))
                _say_dropped(request, form)
            else:
                signature = services.signature_submit(
                    organization=org, user=request.user, draft=form.draft(),
                    acknowledge_warnings=form.cleaned_data["acknowledge_warnings"],
                )  # fmt: skip
                messages.success(request, _("Signature 【%(text)s】 submitted for review.") % {"text": signature.text})
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("org:signature-detail", org_id=org.pk, signature_id=signature.pk)
    # The entity select's options, read once: whether there is any, and if only one, it is the one; of
    # several, the organization's own (its partners' names go on a signature only with their letter).
    entities = form.entity_rows()
    if not initial["entity"] and len(entities) == 1:
        form.initial["entity"] = entities[0][0]
    elif not initial["entity"]:
        own = [pk for pk, _name, is_own in entities if is_own]
        if len(own) == 1:
            form.initial["entity"] = own[0]
    context = {"org": org, "form": form, "has_entities": bool(entities)}
    return render(request, "signatures/form.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def signature_edit(request, org_id, signature_id):
    """A draft, or an application sent back with changes requested: edit, save, or submit."""
    org = _membership(request, org_id).organization
    signature = selectors.signature_get(organization=org, signature_id=signature_id, related=())
    if signature.status not in EDITABLE_STATES:
        return redirect("org:signature-detail", org_id=org.pk, signature_id=signature.pk)
    initial = {"entity": signature.entity_id, "source": signature.source, "trademark": signature.trademark_id,
               "app": signature.app_id, "partner_authorization": signature.partner_authorization_id,
               "text": signature.text}  # fmt: skip
    form = SignatureForm(request.POST or None, organization=org, initial=initial, keep_source=signature.source)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") != "draft"
        try:
            services.signature_update(
                signature=signature, user=request.user, draft=form.draft(), submit=submit,
                acknowledge_warnings=form.cleaned_data["acknowledge_warnings"],
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Submitted for review.") if submit else _("Saved as a draft."))
            _say_dropped(request, form)
            return redirect("org:signature-detail", org_id=org.pk, signature_id=signature.pk)
    # Sent back: the reviewer's reasons beside the fields they concern, while the customer fixes them.
    decision = None
    if signature.status == states.CHANGES_REQUESTED:
        decision = review_selectors.current_decision(selectors.signature_events(signature=signature),
                                                     status=signature.status, chinese=_chinese(request))  # fmt: skip
    context = {"org": org, "form": form, "has_entities": True, "signature": signature, "decision": decision}
    return render(request, "signatures/form.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def signature_check(request, org_id):
    """The as-you-type check: JSON, five queries at most whatever the platform's size (live_check)."""
    membership = _membership(request, org_id)
    org = membership.organization
    try:
        entity_id = uuid.UUID(request.GET.get("entity", ""))
    except ValueError:
        raise Http404 from None
    source = request.GET.get("source", "")
    if source not in Signature.Source.values:
        raise Http404
    field = EVIDENCE_FIELD.get(source)
    # Editing an application: its own hold on the text does not count against it (as when it is saved).
    editing = request.GET.get("signature", "")
    check = live_check(organization=org, entity_id=entity_id, source=source, text=request.GET.get("text", ""),
                       evidence_id=request.GET.get(field) if field else None,
                       signature_id=int(editing) if editing.isdigit() else None)  # fmt: skip
    if check is None:
        raise Http404
    result, entity = check.result, check.entity
    chinese = _chinese(request)
    return JsonResponse(
        {
            "violations": [
                {
                    "code": v.code,
                    "severity": v.severity,
                    "message": v.message if chinese else v.message_en,
                    "rule_ref": v.rule_ref,  # the stable form, for support and the API
                    "rule": rule_text(v.rule_ref, chinese),
                }
                for v in (*result.violations, *result.problems)  # the engine's, then the evidence's
            ],  # fmt: skip
            "blocked": result.blocked,
            "needs_acknowledgement": bool(result.warnings),
            "available_sources": check.available_sources,
            "source_note": check.source_note,
            "full_name": entity.name,
            # A full name too long to be a signature: abbreviations that pass, to pick with one click.
            "proposals": result.proposals,
        }
    )


@login_required
@require_GET
def signature_detail(request, org_id, signature_id):
    membership = _membership(request, org_id)
    signature = selectors.signature_get(organization=membership.organization, signature_id=signature_id)
    chinese = _chinese(request)
    rows = selectors.signature_events(signature=signature)
    events = review_selectors.timeline(rows, chinese=chinese,
                                       notes={services.WARNINGS_ACKNOWLEDGED: _("Warnings acknowledged.")})  # fmt: skip
    decision = review_selectors.current_decision(rows, status=signature.status, chinese=chinese)
    changes = timeline()
    # A signature whose source the rules in force no longer accept (app names from 2026-05-01): say
    # so while it still counts (not once rejected, withdrawn or cleared), and what to do: change the
    # source of a draft, file a new one for a filed signature (carriers may clear it).
    policy = policy_as_of(changes=changes)
    warning = withdrawn_source_warning(signature.source, signature.status, policy)
    source_refused = warning[0 if chinese else 1] if warning else ""
    # The rules that apply, as the reader reads them (date, notice, what it says): those recorded at
    # submission (the signature's only: a template notice recorded by older versions is left out);
    # for a draft, or an application recorded without them, those in force today.
    recorded = [n for n in signature.policy_notices if n in signature_notices(changes)]
    is_draft = signature.status == states.DRAFT
    # Withdrawn without ever being submitted: nothing was checked, no rule applied, and it will not
    # be submitted any more: no rules at all (not "applied", nor "would apply").
    never_checked = (
        signature.status == states.WITHDRAWN and signature.submitted_at is None and not signature.policy_notices
    )
    if never_checked:
        rules = []
    elif recorded and not is_draft:
        rules = signature_rules(changes, notices=recorded)
    else:
        rules = signature_rules(changes, as_of=timezone.localdate())
    rules = [
        (
            describe_ref(f"{c.effective.isoformat()} · {c.notice}")[0 if chinese else 1],
            c.summary_zh if chinese else c.summary_en,
        )
        for c in rules
    ]
    # A draft is unchecked when saved: its page shows what the rules in force say of it now.
    current_check = []
    if is_draft:
        draft = services.Draft(
            entity=signature.entity, source=signature.source, text=signature.text, trademark=signature.trademark,
            app=signature.app, partner_authorization=signature.partner_authorization,
        )  # fmt: skip
        result = services.precheck(draft, exclude=signature.pk)
        current_check = [
            (v.code, v.message if chinese else v.message_en, rule_text(v.rule_ref, chinese), v.severity)
            for v in (*result.violations, *result.problems)
        ]
    # Approved, the signature is filed at each carrier: its filings, with the test sends of its
    # templates at each carrier as their evidence, and their moves on the timeline.
    filings = []
    if signature.status == states.APPROVED:
        sends = compiled.rows(_test_sends, signature.pk, window=(0, 60))
        filings = filing_selectors.carrier_filings(signature, chinese=chinese, sends=sends)
        events = filing_selectors.timeline(signature, events, chinese=chinese, filings=filings)
    else:
        events = [(*event, False) for event in events]
    shown = {f.carrier: f.state for f in filings}
    # What was delivered at each carrier lately, as a chart, and the daily run's flags: two queries.
    activity, activity_chart = [], ""
    if filings:
        activity, chart = sending_selectors.signature_activity(signature=signature, filing_states=shown,
                                                               chinese=chinese)  # fmt: skip
        activity_chart = json_script(chart, "activity-data")
    context = {
        "org": membership.organization,
        "signature": signature,
        "activity": activity,
        "activity_chart": activity_chart,
        "events": events,
        "decision": decision,
        "blockers": review_selectors.shown_reasons(signature.blockers, chinese=chinese),
        "filings": filings,
        "status_text": filing_selectors.status_text(
            signature.status, signature.get_status_display(), shown, chinese=chinese
        ),  # fmt: skip
        "next_step": (
            withdrawn_source_step(signature.status, policy)
            if source_refused
            else filing_rules.next_step(shown)
            if shown
            else states.NEXT_STEP[signature.status]
        )[0 if chinese else 1],
        "is_draft": is_draft,
        "never_checked": never_checked,
        "current_check": current_check,
        "can_withdraw": states.can_withdraw(signature.status),
        "can_edit": signature.status in EDITABLE_STATES,
        "precheck": [
            (
                v.get("code"),
                v.get("message") if chinese else v.get("message_en"),
                rule_text(v.get("rule_ref", ""), chinese),
                v.get("severity"),
            )
            for v in signature.precheck
        ],  # fmt: skip
        # The signature's rules only: a template notice (2025.7.2) recorded by older versions is left out.
        "rules": rules,
        "source_refused": source_refused,
    }
    return render(request, "signatures/detail.html", context)


def _test_sends(signature_id):
    """The test sends of the signature's templates, the latest first: the evidence at each carrier."""
    sends = TestSend.objects.filter(template__signature_id=signature_id).select_related("template")
    return sends.order_by("-sent_on", "-recorded_at", "-pk")


@login_required
@require_POST
def signature_withdraw(request, org_id, signature_id):
    membership = _membership(request, org_id)
    signature = selectors.signature_get(organization=membership.organization, signature_id=signature_id)
    try:
        services.signature_withdraw(signature=signature, actor=request.user)
    except services.TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Signature withdrawn."))
    return redirect("org:signature-detail", org_id=org_id, signature_id=signature.pk)
