"""SMS templates in the customer site: the list, the form with its per-carrier verdict, the
detail with its timeline and test sends, and new versions."""

import re
from operator import itemgetter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from compliance import filings as filing_rules
from compliance import transitions as states
from compliance.carriers import CARRIERS
from compliance.policies import describe_ref
from compliance.signatures import ENDED_STATES
from filing_portal.forms import apply_service_errors
from filing_portal.jinja2 import row_url
from filing_portal.listing import paginate
from filings import selectors as filing_selectors
from policies.timeline import current_policy
from review import selectors as review_selectors
from signatures.models import HELD_STATES
from signatures.services import violation_text

from . import selectors, services
from .forms import TemplateForm, TestSendForm
from .models import SmsTemplate

CARRIER_NAMES = {c.code: (c.name_zh, c.name_en) for c in CARRIERS}


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


# A scheme right before a link (https://, http://, weixin://): the analysis marks the host, from which
# the domain is judged; the page highlights the whole link as the customer wrote it.
_SCHEME_BEFORE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,15}://$")


def _as_written(text: str, spans) -> list[tuple[int, int, str]]:
    shown, end_before = [], 0
    for start, end, kind in spans:
        if kind == "link":
            scheme = _SCHEME_BEFORE.search(text, max(end_before, start - 20), start)
            start = scheme.start() if scheme else start
        shown.append((start, end, kind))
        end_before = end
    return shown


def _rule(violation, chinese: bool) -> str:
    """Where a rule comes from, as the customer reads it: "From 2025-07-10 (notice 2025.7.2)", "Platform rule".
    The rule_ref itself ("2025-07-10 · 2025.7.2") stays the stable form for support and the API."""
    return describe_ref(violation.rule_ref)[0 if chinese else 1]


def _membership(request, org_id):
    return account_selectors.membership_get(user=request.user, org_id=org_id)


def _template(org, template_id, *, revised: bool = False) -> SmsTemplate:
    return selectors.template_get(organization=org, template_id=template_id, revised=revised)


def _template_rows(org_id):
    # The columns shown, as plain rows: a page of 25 templates with their signatures as instances cost
    # twice as much to read (every column, the signature's JSON decoded for each row).
    templates = SmsTemplate.objects.filter(organization_id=org_id).order_by("-updated_at", "-pk")
    # Each carrier's state of the template's filings and of its signature's, for the list's marks.
    return templates.values_list("pk", "name", "version", "status", "kind", "signature__text", "signature_id")


@login_required
@require_GET
def template_list(request, org_id):
    org = _membership(request, org_id).organization
    chinese = _chinese()
    listing = paginate(request, _template_rows, org.pk, choices=SmsTemplate.Status.choices, state_of=itemgetter(3))
    # Labels straight from the choices: get_FOO_display rebuilds the choices on every call.
    # Each carrier's state of the approved ones, as three marks (one query for the page).
    approved = [(row[0], row[6]) for row in listing.page if row[3] == states.APPROVED]
    shown = filing_selectors.page_states("template", approved)
    rows = []
    for pk, name, version, status, kind, signature, _signature_id in listing.page:
        carriers = shown.get(pk)
        label = filing_selectors.status_text(status, SmsTemplate.Status(status).label, carriers, chinese=chinese)
        step = filing_rules.next_step(carriers) if carriers else states.TEMPLATE_NEXT_STEP[status]
        marks = filing_selectors.marks(carriers, chinese=chinese) if carriers else ()
        rows.append((pk, name, version, status, label, SmsTemplate.Kind(kind).label, signature,
                     step[0 if chinese else 1], marks))  # fmt: skip
    return render(request, "templates_app/list.html", {"org": org, "rows": rows, "listing": listing})


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request, org_id):
    org = _membership(request, org_id).organization
    form = TemplateForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        draft = request.POST.get("action") == "draft"
        try:
            save = services.template_save_draft if draft else services.template_submit
            template = save(organization=org, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved as a draft.") if draft else
                             _("Template “%(name)s” submitted for review.") % {"name": template.name})  # fmt: skip
            return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
    # The signature select's options, read once: whether there is any, and if only one, it is the one.
    signatures = form.signature_rows()
    if len(signatures) == 1:
        form.initial["signature"] = signatures[0][0]
    context = {"org": org, "form": form, "has_signatures": bool(signatures), "can_draft": True}
    return render(request, "templates_app/form.html", context, status=400 if form.errors else 200)


def _initial(template: SmsTemplate) -> dict:
    return {"signature": template.signature_id, "kind": template.kind, "name": template.name, "text": template.text}


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, org_id, template_id):
    """A draft, or a template sent back with changes requested: edit, save, or submit."""
    org = _membership(request, org_id).organization
    template = _template(org, template_id)
    if template.status not in services.EDITABLE_STATES:
        return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
    fixed = template.previous_id is not None
    form = TemplateForm(request.POST or None, organization=org, initial=_initial(template),
                        fixed=template.signature if fixed else None)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") != "draft"
        try:
            services.template_update(template=template, user=request.user, submit=submit, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if submit:
                messages.success(request, _("Submitted for review."))
            elif template.status == states.DRAFT:
                messages.success(request, _("Saved as a draft."))
            else:
                messages.success(request, _("Changes saved: submit them when they are ready."))
            return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
    decision = None  # sent back: the reviewer's reasons beside the fields they concern
    if template.status == states.CHANGES_REQUESTED:
        rows = selectors.template_events(template=template)
        decision = review_selectors.current_decision(rows, status=template.status, chinese=_chinese())
    context = {"org": org, "form": form, "has_signatures": True, "template": template, "can_draft": True,
               "decision": decision}  # fmt: skip
    return render(request, "templates_app/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def template_check(request, org_id):
    """The as-you-type check (POST: a long text does not fit in a URL)."""
    org = _membership(request, org_id).organization
    given_signature = request.POST.get("signature", "")
    if not (given_signature.isascii() and given_signature.isdigit()):
        raise Http404
    signature = selectors.held_signature(organization=org, signature_id=int(given_signature))
    if signature is None:
        raise Http404
    kind = request.POST.get("kind", "")
    if kind not in SmsTemplate.Kind.values:
        raise Http404
    text = request.POST.get("text", "")
    # Editing a template or writing its next version: it is not counted against itself.
    given = request.POST.get("template", "")
    editing = _template(org, given) if given.isascii() and given.isdigit() else None
    check = selectors.live_check(organization=org, signature=signature, kind=kind, text=text, editing=editing)
    result = check.result
    chinese = _chinese()

    def shown(v):
        return {"code": v.code, "severity": v.severity, "message": v.message if chinese else v.message_en,
                "rule_ref": v.rule_ref, "rule": _rule(v, chinese)}  # fmt: skip

    analysis = result.analysis
    return JsonResponse({
        "length": analysis.length, "segments": analysis.segments,
        # What it bills: an estimate when it has variables (each at its declared maximum or the default).
        "billed_length": analysis.billed_length, "billed_segments": analysis.billed_segments,
        "estimated": bool(analysis.variables), "variable_length": result.variable_length,
        "links": analysis.links, "ips": analysis.ips, "contacts": [list(c) for c in analysis.contacts],
        "contacts_written": analysis.contacts_written, "variable_contacts": analysis.variable_contacts,
        # The page's script counts in UTF-16 code units (an emoji is two): convert the offsets.
        "spans": [[_utf16(text, start), _utf16(text, end), kind]
                  for start, end, kind in _as_written(text, analysis.spans)],
        # Its signature's source no longer accepted: said first, as on the signature's page.
        "general": [shown(v) for v in check.general],
        "carriers": [{"carrier": c.carrier, "name": CARRIER_NAMES[c.carrier][0 if chinese else 1],
                      "verdict": c.verdict, "night_window": c.night_window,
                      # The rules that block it: its own errors, then the format errors every carrier
                      # shares. Every blocked verdict names what blocks it.
                      "blocked_by": [shown(v) for v in c.blocking],
                      "violations": [shown(v) for v in c.violations]} for c in result.carriers],
        "blocked": result.blocked,
        "add_address_url": row_url("org:evidence-create", org.pk, signature.entity_id, "address"),  # reversed once
    })  # fmt: skip


@login_required
@require_GET
def template_detail(request, org_id, template_id):
    org = _membership(request, org_id).organization
    template = _template(org, template_id, revised=True)
    return render(request, "templates_app/detail.html", _detail_context(template, TestSendForm()))


def _detail_context(template, test_send_form):
    chinese = _chinese()
    # The timeline as plain rows: when, from, to, why, who (the platform's staff by their role).
    rows = selectors.template_events(template=template)
    events = review_selectors.timeline(rows, chinese=chinese)
    # A draft or a template sent back is checked anew on its page: it was saved unchecked, and the
    # rules or the signature's other templates may have changed since.
    problems = None
    if template.status in services.EDITABLE_STATES and template.signature.status in HELD_STATES:
        result = services.template_check(signature=template.signature, kind=template.kind, text=template.text,
                                         exclude=services.whitelist_exclusions(template))  # fmt: skip
        problems = [(v.is_error, violation_text(v), _rule(v, chinese), v.code) for v in result.violations]
    signature_gone = template.status in services.EDITABLE_STATES and template.signature.status not in HELD_STATES
    # A template still counting whose signature rests on a source no longer accepted: its page says so.
    source_withdrawn = None
    if template.status not in ENDED_STATES:
        withdrawn = selectors.source_withdrawn(
            template.signature, result.policy if problems is not None else current_policy()
        )
        source_withdrawn = (
            (withdrawn.message if chinese else withdrawn.message_en, _rule(withdrawn, chinese)) if withdrawn else None
        )
    latest = services.latest_test_sends(template=template)
    sends = [(CARRIER_NAMES[c][0 if chinese else 1], latest.get(c)) for c in services.CARRIERS]
    # Approved, the template is filed at each carrier: its filings beside the latest test send at each
    # (mixed results show), and their moves on the timeline.
    filings = []
    if template.status == states.APPROVED:
        filings = filing_selectors.carrier_filings(template, chinese=chinese, sends=list(latest.values()))
        events = filing_selectors.timeline(template, events, chinese=chinese, filings=filings)
    else:
        events = [(*event, False) for event in events]
    shown = {f.carrier: f.state for f in filings}
    next_step = filing_rules.next_step(shown) if shown else states.TEMPLATE_NEXT_STEP[template.status]
    return {
        "org": template.organization, "template": template, "events": events, "sends": sends,
        "decision": review_selectors.current_decision(rows, status=template.status, chinese=chinese),
        "blockers": review_selectors.shown_reasons(template.blockers, chinese=chinese),
        "test_send_form": test_send_form, "next_step": next_step[0 if chinese else 1], "filings": filings,
        "status_text": filing_selectors.status_text(template.status, template.get_status_display(), shown,
                                                    chinese=chinese),
        "can_revise": template.status in services.LIVE_VERSIONS,
        # A new version whose signature died cannot be mended: its signature is fixed. It can be withdrawn.
        "can_edit": template.status in services.EDITABLE_STATES and not (signature_gone and template.previous_id),
        "can_test_send": template.status in services.TESTABLE_STATES,
        "can_withdraw": states.can_withdraw(template.status),
        "revisions": template.revisions.all() if template.revised else (), "problems": problems,
        "signature_gone": signature_gone, "source_withdrawn": source_withdrawn,

    }  # fmt: skip


@login_required
@require_POST
def test_send_create(request, org_id, template_id):
    org = _membership(request, org_id).organization
    template = _template(org, template_id, revised=True)
    form = TestSendForm(request.POST)
    if form.is_valid():
        try:
            services.record_test_send(template=template, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Test send recorded."))
            return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
    return render(request, "templates_app/detail.html", _detail_context(template, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def template_revise(request, org_id, template_id):
    org = _membership(request, org_id).organization
    template = _template(org, template_id)
    if request.method == "GET" and template.status not in services.LIVE_VERSIONS:
        return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
    form = TemplateForm(request.POST or None, organization=org, initial=_initial(template), fixed=template.signature)
    if request.method == "POST" and form.is_valid():
        try:
            revision = services.template_revise(template=template, user=request.user, kind=form.cleaned_data["kind"],
                                                text=form.cleaned_data["text"])  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Version %(v)s submitted; the approved one stays in use until then.")
                             % {"v": revision.version})  # fmt: skip
            return redirect("org:template-detail", org_id=org.pk, template_id=revision.pk)
    context = {"org": org, "form": form, "has_signatures": True, "template": template, "revising": True}
    return render(request, "templates_app/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def template_withdraw(request, org_id, template_id):
    org = _membership(request, org_id).organization
    template = _template(org, template_id)
    try:
        services.template_withdraw(template=template, actor=request.user)
    except services.TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Template withdrawn."))
    return redirect("org:template-detail", org_id=org.pk, template_id=template.pk)
