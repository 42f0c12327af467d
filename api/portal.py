"""The API keys page, /o/<org_id>/api-keys/: owners create and revoke keys, members see them."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import Membership
from filing_portal.forms import apply_service_errors

from . import selectors, services
from .forms import KeyForm

NEW_KEY = "api-new-key"
SHOWN_FOR = 60  # seconds the new key waits for the page after the redirect


# The new key's secret is shown once, on the page the creation redirects to. It never reaches the database (the
# session table): it waits in the shared cache under a random name, which only this session holds, for at most a
# minute, and is deleted when shown.
def _new_key_to_show(request, new) -> None:
    name = f"{NEW_KEY}:{secrets.token_urlsafe(24)}"
    cache.set(name, {"secret": new.secret, "prefix": new.key.prefix}, SHOWN_FOR)
    request.session[NEW_KEY] = name


def _new_key_shown(request) -> dict | None:
    name = request.session.pop(NEW_KEY, None)
    if not name:
        return None
    shown = cache.get(name)
    cache.delete(name)
    return shown


@login_required
@require_http_methods(["GET", "POST"])
def keys(request, org_id):
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    org, status = membership.organization, 200
    created = _new_key_shown(request) if request.method == "GET" else None
    is_owner = membership.role == Membership.Role.OWNER
    form = KeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied(_("Only the organization's owners can do this."))
        if form.is_valid():
            try:
                new = services.key_create(membership=membership, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                _new_key_to_show(request, new)
                return redirect("org:api-keys", org.pk)  # a reload shows the list, and creates no second key
        else:
            status = 400
    context = {"org": org, "form": form, "keys": selectors.keys_of(organization=org), "is_owner": is_owner,
               "created": created}  # fmt: skip
    return render(request, "api/keys.html", context, status=status)


@login_required
@require_POST
def revoke(request, org_id, key_id):
    membership = account_selectors.membership_get(user=request.user, org_id=org_id)
    key = selectors.key_get(organization=membership.organization, key_id=key_id)
    if services.key_revoke(membership=membership, key=key):
        messages.success(request, _("Key %(prefix)s… revoked: it no longer works.") % {"prefix": key.prefix})
    return redirect("org:api-keys", membership.organization_id)
