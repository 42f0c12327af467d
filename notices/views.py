"""The inbox and the webhook endpoints, under /o/<org_id>/ (notices/services.py does every write)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import Membership
from filing_portal.forms import apply_service_errors

from . import selectors, services
from .forms import EndpointForm


@login_required
@require_http_methods(["GET"])
def inbox(request, org_id):
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    org = membership.organization
    try:
        page = min(max(1, int(request.GET.get("page", 1))), 10_000)
    except ValueError:
        page = 1
    rows = selectors.inbox(organization=org, page=page)
    seen = membership.inbox_seen_at
    services.mark_seen(membership=membership)
    context = {"org": org, "notices": rows[: selectors.PAGE], "seen_at": seen, "page": page,
               "has_next": len(rows) > selectors.PAGE}  # fmt: skip
    return render(request, "notices/inbox.html", context)


@login_required
@require_http_methods(["GET"])
def notice_detail(request, org_id, notice_id):
    org = account_selectors.membership_get(user=request.user, org_id=org_id).organization
    notice = selectors.notice_get(organization=org, notice_id=notice_id)
    language = "en" if request.LANGUAGE_CODE.startswith("en") else "zh-hans"
    context = {"org": org, "notice": notice, "items": [services.item_for(i, language) for i in notice.items],
               "subject": notice.subject(language), "body": notice.body(language)}  # fmt: skip
    return render(request, "notices/notice.html", context)


@login_required
@require_POST
def acknowledge(request, org_id, notice_id):
    org = account_selectors.membership_get(user=request.user, org_id=org_id).organization
    notice = selectors.notice_get(organization=org, notice_id=notice_id)
    if services.acknowledge(notice=notice, user=request.user):
        messages.success(request, _("Acknowledged. Thank you."))
    return redirect("org:notice-detail", org.pk, notice.pk)


def _owner(request, org_id) -> Membership:
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the organization's owners can do this."))
    return membership


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request, org_id):
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    org, status = membership.organization, 200
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _owner(request, org_id)
        if form.is_valid():
            try:
                endpoint = services.endpoint_create(organization=org, url=form.cleaned_data["url"],
                                                    description=form.cleaned_data["description"],
                                                    actor=request.user)  # fmt: skip
            except ValidationError as exc:
                apply_service_errors(form, ValidationError({"url": exc.messages}))
            else:
                messages.success(request, _("Endpoint added. Copy its signing secret now."))
                return redirect("org:webhook-detail", org.pk, endpoint.pk)
        status = 400
    context = {"org": org, "form": form, "endpoints": selectors.endpoints(organization=org),
               "is_owner": membership.role == Membership.Role.OWNER}  # fmt: skip
    return render(request, "notices/webhooks.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def webhook_detail(request, org_id, endpoint_id):
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    org = membership.organization
    endpoint = selectors.endpoint_get(organization=org, endpoint_id=endpoint_id)
    context = {"org": org, "endpoint": endpoint, "log": selectors.delivery_log(endpoint=endpoint),
               "waiting": selectors.pending_for(endpoint=endpoint),
               "is_owner": membership.role == Membership.Role.OWNER}  # fmt: skip
    return render(request, "notices/webhook.html", context)


@login_required
@require_POST
def webhook_action(request, org_id, endpoint_id, action):
    if action not in ("test", "pause", "resume", "delete"):
        raise Http404
    org = _owner(request, org_id).organization
    endpoint = selectors.endpoint_get(organization=org, endpoint_id=endpoint_id)
    if action == "test":
        delivery = services.endpoint_test(endpoint=endpoint, actor=request.user)
        if delivery.status == delivery.Status.SENT:
            messages.success(request, _("The test event was delivered (%(code)s).") % {"code": delivery.last_code})
        else:
            messages.error(request, _("The test event was not delivered: %(error)s") % {"error": delivery.last_error})
    elif action in ("pause", "resume"):
        services.endpoint_switch(endpoint=endpoint, active=action == "resume")
    elif action == "delete":
        services.endpoint_delete(endpoint=endpoint)
        messages.success(request, _("Endpoint removed."))
        return redirect("org:webhooks", org.pk)
    return redirect("org:webhook-detail", org.pk, endpoint.pk)
