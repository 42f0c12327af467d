"""The review queue in the admin (/admin/review/): the queue, an application's review page, and the
reviewer's moves (claim, release, decide), each through review.services. Reviewers only (with the
admin's second factor); anyone else gets 404, as for a page that does not exist."""

import functools

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_otp import match_token

from accounts import staff
from accounts.models import Organization
from compliance import checklists
from compliance import reasons as catalogue
from compliance import transitions as t
from compliance.qualification import AGENT_ALLOWED
from compliance.validators import mask_id_number
from filing_portal.workflow import TransitionRefused, state_label
from qualifications import services as qualification_services
from qualifications.models import IdNumberReveal

from . import kinds, services
from .forms import DecisionForm, QueueFilterForm
from .queue import AGE_BUCKETS, age_text, health, queue
from .selectors import shown_reasons

KIND_NAMES = {
    catalogue.ENTITY: gettext_lazy("Qualification package"),
    catalogue.SIGNATURE: gettext_lazy("Signature"),
    catalogue.TEMPLATE: gettext_lazy("Template"),
}


def _reviewer(request):
    if not staff.is_reviewer(request.user):
        raise Http404
    return request.user


def _application(kind: str, pk: str):
    if kind not in kinds.KINDS:
        raise Http404
    from qualifications.models import PackageReview
    from signatures.models import Signature
    from templates_app.models import SmsTemplate

    model, related = {
        catalogue.ENTITY: (PackageReview, ("entity", "organization", "reviewer")),
        catalogue.SIGNATURE: (Signature, ("entity", "organization", "reviewer", "trademark", "app",
                                          "partner_authorization__partner")),
        catalogue.TEMPLATE: (SmsTemplate, ("signature__entity", "organization", "reviewer")),
    }[kind]  # fmt: skip
    try:
        return model.objects.select_related(*related).get(pk=int(pk))
    except (ValueError, model.DoesNotExist):
        raise Http404 from None


@require_GET
def queue_view(request):
    viewer = _reviewer(request)
    User = get_user_model()
    organizations = Organization.objects.order_by("name").values_list("pk", "name")
    managers = User.objects.filter(managed_organizations__isnull=False).distinct().order_by("email")
    reviewers = User.objects.filter(is_staff=True, groups__name="reviewer").distinct().order_by("email")
    form = QueueFilterForm(
        request.GET or None, organizations=list(organizations),
        managers=[(u.pk, u.get_full_name() or u.email) for u in managers],
        reviewers=[(u.pk, u.get_full_name() or u.email) for u in reviewers],
    )  # fmt: skip
    filters = form.cleaned_data if form.is_valid() else {}
    rows = queue(viewer=viewer, kind=filters.get("kind") or "", organization_id=filters.get("organization"),
                 manager_id=filters.get("manager"), assignee=filters.get("assignee") or "",
                 waited=filters.get("waited") or "", overdue=bool(filters.get("overdue")))  # fmt: skip
    context = {
        **admin.site.each_context(request), "title": _("Review queue"), "rows": rows, "form": form,
        "kind_names": KIND_NAMES, "state_label": state_label,
        "overdue_count": sum(1 for r in rows if r.overdue),
        # The review lead's view of the queue (of the rows shown: the whole queue unless filtered), per
        # kind: how many, how long, how many past the target. Read from the rows: no query of its own.
        "health": [(h, KIND_NAMES[h.kind], age_text(h.median_hours), age_text(h.oldest_hours))
                   for h in health([(r.kind, r.submitted_at, r.due) for r in rows])],
        "age_buckets": [label for _upper, label in AGE_BUCKETS],
        "review_target": settings.REVIEW_TARGET_WORKING_DAYS,
    }  # fmt: skip
    return render(request, "admin/review/queue.html", context)


def staff_route(view):
    """A review page behind the admin's log-in and second factor (admin_view); a logged-in customer
    gets 404, as for a page that does not exist, never the staff log-in."""
    wrapped = admin.site.admin_view(view)

    @functools.wraps(view)
    def route(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_staff:
            raise Http404
        return wrapped(request, *args, **kwargs)

    return route


@require_GET
def item_view(request, kind, pk):
    return _item_page(request, kind, pk)


@require_POST
def reveal_view(request, kind, pk):
    """The full ID number of the package's legal representative or agent, shown once on the review page
    and logged (qualifications.IdNumberReveal), to a reviewer who typed their current 6-digit code again;
    everywhere else it is masked."""
    viewer = _reviewer(request)
    if kind != catalogue.ENTITY:
        raise Http404
    application = _application(kind, pk)
    person = request.POST.get("person", "")
    people = {person for person, *_rest in _id_numbers(application.entity, {})}
    # Only while the package waits for the platform, and only a person the entity files with.
    if person not in people or application.status not in t.QUEUED_STATES:
        raise Http404
    # Re-authentication: the code the reviewer's authenticator shows now, each code once (django-otp). A session
    # left open on a desk reveals nothing; a wrong code shows the number masked and logs nothing.
    if match_token(viewer, request.POST.get("otp_token", "").strip()) is None:
        messages.error(
            request, _("The 6-digit code is wrong or has expired: enter the code your authenticator shows now.")
        )
        return _item_page(request, kind, pk, status=403)
    number = qualification_services.id_number_reveal(entity=application.entity, user=viewer, person=person,
                                                     request=request)  # fmt: skip
    return _item_page(request, kind, pk, revealed={person: number})


def _item_page(request, kind, pk, revealed=None, form=None, status=200):
    """The review page; ``form``: a decision refused, shown again with what the reviewer chose and
    ticked, so nothing of their work is lost."""
    viewer = _reviewer(request)
    application = _application(kind, pk)
    adapter = kinds.KINDS[kind]
    chinese = (request.LANGUAGE_CODE or "").startswith("zh")
    evaluated = adapter.evaluate(application)
    manual = [e.item for e in evaluated if e.passed is None]
    holds = application.reviewer_id == viewer.pk
    form = form or DecisionForm(kind=kind, manual=manual, initial={"seen": application.updated_at.isoformat()})
    posted = form.data if form.is_bound else {}
    events = list(application.events.select_related("actor").order_by("at", "pk"))
    last_decision = next((e for e in reversed(events) if e.action in services.DECISIONS and e.record), None)
    changes = adapter.changes(application, last_decision.record.get("snapshot", {})) if last_decision else []
    first_approver = next((e.actor_id for e in reversed(events) if e.to_status == t.AWAITING_SECOND
                           and e.from_status == t.IN_REVIEW), None)  # fmt: skip
    reviewer_reasons, rule_reasons = _reasons_by_concern(kind, chinese)
    context = {
        **admin.site.each_context(request),
        "title": f"{KIND_NAMES[kind]} · {adapter.label(application)}",
        "kind": kind, "application": application, "label": adapter.label(application),
        "entity": adapter.entity(application), "status_label": state_label(application.status),
        "evaluated": [(e, e.item.label(chinese)) for e in evaluated], "form": form, "holds": holds,
        # The documents, each opened through the permission-checked door (its access logged); the
        # unwatermarked ID original is for reviewers, as here, and revealing it is logged too.
        "documents": [{"document": d, "label": d.get_kind_display(), "original": d.is_id_image,
                       "whose": "" if d.entity_id == adapter.entity(application).pk else d.entity.name}
                      for d in adapter.documents(application)],
        "changes": changes, "last_decision": last_decision,
        "blockers": shown_reasons(application.blockers, chinese=chinese),
        "events": [(e, state_label(e.from_status) if e.from_status else "", state_label(e.to_status),
                    shown_reasons(e.reason_codes, chinese=chinese)) for e in events],
        "may_claim": application.status in (t.SUBMITTED, t.AWAITING_SECOND) and application.reviewer_id is None
        and first_approver != viewer.pk,
        "second_needed": application.status == t.AWAITING_SECOND, "first_approver": first_approver == viewer.pk,
        "reasons_by_concern": reviewer_reasons, "rule_reasons_by_concern": rule_reasons,
        "checklist_items": checklists.items_for(kind, conditions=adapter.conditions(application)),
        "id_numbers": _id_numbers(adapter.entity(application), revealed or {}) if kind == catalogue.ENTITY else [],
        "may_reveal": application.status in t.QUEUED_STATES,
        "posted_ticked": posted.getlist("ticked") if posted else [],
        "posted_reasons": posted.getlist("reasons") if posted else [],
        # A decided application shows what its last decision's reviewer confirmed.
        "recorded": (last_decision.record.get("checklist", {}) if last_decision and not holds else {}),
    }  # fmt: skip
    return render(request, "admin/review/item.html", context, status=status)


def _id_numbers(entity, revealed) -> list[tuple]:
    """(person, name, the number masked or revealed, whether revealed) of the package's people."""
    people = [(IdNumberReveal.Person.LEGAL_REP, entity.legal_rep_name, entity.legal_rep_id_number)]
    if entity.uses_agent and entity.kind in AGENT_ALLOWED and entity.agent_id_number:
        people.append((IdNumberReveal.Person.AGENT, entity.agent_name, entity.agent_id_number))
    return [(person, name, revealed.get(person) or mask_id_number(number), person in revealed)
            for person, name, number in people]  # fmt: skip


def _reasons_by_concern(kind, chinese):
    """The reasons a reviewer may give, grouped by what they concern: the reviewer's own first (what
    only a person sees), then those of the rules and evidence (the automatic check names these)."""
    from .selectors import WHERE

    groups = {"review": {}, "automatic": {}}
    for reason in catalogue.for_kind(kind):
        where = str(WHERE.get(reason.concerns, reason.concerns))
        group = groups["review" if reason.origin == catalogue.REVIEW else "automatic"]
        group.setdefault(where, []).append((reason.code, reason.title(chinese), reason.todo(chinese), reason.concerns))
    return list(groups["review"].items()), list(groups["automatic"].items())


def _back(kind, pk):
    return redirect("review-item", kind=kind, pk=pk)


@require_POST
def claim_view(request, kind, pk):
    viewer = _reviewer(request)
    application = _application(kind, pk)
    try:
        services.claim(application, reviewer=viewer)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("You hold this application now: check it and decide."))
    return _back(kind, pk)


@require_POST
def release_view(request, kind, pk):
    viewer = _reviewer(request)
    application = _application(kind, pk)
    try:
        services.release(application, actor=viewer)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Released: it is back in the queue."))
    return redirect("review-queue")


@require_POST
def decide_view(request, kind, pk):
    viewer = _reviewer(request)
    application = _application(kind, pk)
    manual = [e.item for e in kinds.KINDS[kind].evaluate(application) if e.passed is None]
    form = DecisionForm(request.POST, kind=kind, manual=manual)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields and field != "__all__" else ""
            colon = "：" if (request.LANGUAGE_CODE or "").startswith("zh") else ": "
            for error in errors:
                messages.error(request, f"{label}{colon}{error}" if label else error)
        return _item_page(request, kind, pk, form=form, status=400)
    data = form.cleaned_data
    try:
        services.decide(application, reviewer=viewer, decision=data["decision"], reason_codes=data["reasons"],
                        note=data["note"].strip(), seen=data["seen"], ticked=data["ticked"])  # fmt: skip
    except TransitionRefused as refused:
        messages.error(request, str(refused))
        return _item_page(request, kind, pk, form=form, status=400)
    if application.status == t.AWAITING_SECOND:
        messages.success(request, _("Approved once: it waits for a second, different reviewer before the customer "
                                    "sees a decision."))  # fmt: skip
        return redirect("review-queue")
    messages.success(request, _("Decided: %(state)s. The customer sees it now.") % {
        "state": state_label(application.status)})  # fmt: skip
    return redirect("review-queue")
