"""Who is calling: an organization's API key (``Authorization: Bearer sfp_…``), or the portal's session."""

import logging

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts import selectors as account_selectors
from accounts.models import Membership
from qualifications.services import client_address

from . import services
from .problems import Problem

access_log = logging.getLogger("api.access")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``request.auth`` is the ApiKey, ``request.user`` its creator (the services record who acted)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            return None  # another scheme: not ours (the session may still apply)
        key = services.key_authenticate(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid, or it was revoked."))
        services.key_used(key=key, address=client_address(request))
        return key.created_by, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The portal's session (the browser, Swagger UI), with Django's CSRF check on every write."""

    def authenticate_header(self, request):
        return 'Bearer realm="api"'  # 401, not 403, for an anonymous caller


def organization_of(request) -> tuple:
    """The organization the request acts for and the caller's role there (None for a key: its scope rules).

    A key acts for its own organization. A session acts for the organization named in the ``X-Organization``
    header, or for the caller's only one; another organization is a 404, as a missing one is."""
    key = request.auth
    if key is not None and hasattr(key, "organization"):
        return key.organization, None
    chosen = request.headers.get("X-Organization", "").strip()
    memberships = list(account_selectors.memberships_for_user(user=request.user))
    if chosen:
        if not chosen.isdigit():
            raise Problem("organization-required", _("X-Organization must be an organization's number."))
        membership = account_selectors.membership_get(user=request.user, org_id=int(chosen))
    elif len(memberships) == 1:
        membership = memberships[0]
    elif not memberships:
        raise Problem("permission-denied", _("You belong to no organization: the API acts for one."))
    else:
        raise Problem("organization-required",
                      _("You belong to several organizations: name one in the X-Organization header."))  # fmt: skip
    return membership.organization, membership.role


def is_owner(request) -> bool:
    key = getattr(request, "api_key", None)
    if key is not None:
        # A key acts for an owner only while its creator still is one.
        return key.created_by.memberships.filter(organization=key.organization, role=Membership.Role.OWNER).exists()
    return request.org_role == Membership.Role.OWNER
