"""What every endpoint shares: authentication, the organization, scopes, rate limits, the body cap, access
logging, cursor pagination, ETag / If-Match and Idempotency-Key. Resource views subclass ``OrgView``."""

import hashlib
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import generics, pagination, permissions, throttling
from rest_framework.renderers import JSONRenderer

from qualifications.services import client_address

from . import services
from .auth import ApiKeyAuthentication, SessionAuthentication, is_owner, organization_of
from .models import ApiKey
from .problems import Problem

access_log = logging.getLogger("api.access")
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def chinese() -> bool:
    """Whether the caller reads Chinese (Accept-Language; Chinese by default): the answers' one language test."""
    return (get_language() or "").startswith("zh")


class ScopePermission(permissions.BasePermission):
    """A read-only key reads; writing with it is a 403 that says so."""

    def has_permission(self, request, view):
        key = request.auth if isinstance(request.auth, ApiKey) else None
        writes = request.method not in READ_METHODS and not getattr(view, "writes_nothing", False)
        if key is not None and writes and key.scope != ApiKey.Scope.WRITE:
            raise Problem(
                "scope-insufficient", _("This API key is read-only; create a read and write key to change things.")
            )
        return True


class _Throttle(throttling.SimpleRateThrottle):
    """DRF's throttle (the shared cache, 429 with Retry-After), its rate read from the settings at each
    request so that a deployment (and a test) can change it."""

    setting = ""

    def get_rate(self):
        return getattr(settings, self.setting) or None  # empty: no limit


class KeyThrottle(_Throttle):
    scope = "api-key"
    setting = "API_RATE_PER_KEY"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return f"throttle:key:{request.auth.pk}"
        if request.user.is_authenticated:
            return f"throttle:user:{request.user.pk}"
        return None


class AddressThrottle(_Throttle):
    """Per address, before authentication: bad keys are rate-limited too."""

    scope = "api-address"
    setting = "API_RATE_PER_ADDRESS"

    def get_cache_key(self, request, view):
        return f"throttle:addr:{client_address(request) or '-'}"


class Cursor(pagination.CursorPagination):
    """Cursor pagination, newest first: a page never shifts as rows are added."""

    ordering = "-pk"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    @classmethod
    def by(cls, *ordering: str) -> type:
        """The same, in another order: rows whose keys are random (UUIDs) page by when they were made."""
        return type(f"CursorBy{ordering[0].strip('-').title()}", (cls,), {"ordering": ordering})


def _in_one_transaction(handler):
    def run(*args, **kwargs):
        with transaction.atomic():
            response = handler(*args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response

    return run


class OrgView(generics.GenericAPIView):
    """An endpoint of one organization's data: ``self.organization`` is set before the handler runs."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, ScopePermission]
    throttle_classes = [KeyThrottle]
    pagination_class = Cursor
    metadata_class = None  # OPTIONS: a 405 problem; the contract is the schema, not DRF's metadata
    owners_only = False  # writes that the portal allows owners only (webhooks)
    writes_nothing = False  # a POST that only reads (the checks): a read-only key may send it

    def dispatch(self, request, *args, **kwargs):
        # An update runs in one transaction, from its If-Match check to its last write: check_if_match locks the
        # row, so two updates carrying the same ETag cannot both pass (the second gets 412).
        method = request.method.lower()
        if method in ("put", "patch", "delete") or (method == "post" and "HTTP_IF_MATCH" in request.META):
            handler = getattr(self, method, None)
            if handler is not None:
                setattr(self, method, _in_one_transaction(handler))
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        self._started = time.perf_counter()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise Problem("malformed-request", _("The Content-Length header is not a number.")) from None
        limit = self.max_body(request)
        # Refused before anything is read: the body may be 10 MB of JSON, which DRF would otherwise parse whole.
        if length > limit:
            message = _("The request body is %(size)s bytes; this endpoint accepts at most %(limit)s.")
            raise Problem("payload-too-large", message % {"size": length, "limit": limit})
        for throttle in (AddressThrottle(),):
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())
        super().initial(request, *args, **kwargs)
        request.api_key = request.auth if isinstance(request.auth, ApiKey) else None
        self.organization, request.org_role = organization_of(request)
        if self.owners_only and request.method not in READ_METHODS and not is_owner(request):
            raise Problem("permission-denied", _("Only the organization's owners can do this."))

    @property
    def allowed_methods(self):
        return [method for method in super().allowed_methods if method != "OPTIONS"]

    def max_body(self, request) -> int:
        return settings.API_MAX_JSON_BYTES

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        key = getattr(request, "api_key", None)
        access_log.info(
            "%s %s %s key=%s org=%s addr=%s %.1fms", request.method, request.path, response.status_code,
            key.prefix if key else "-", getattr(self, "organization", None) and self.organization.pk,
            client_address(request), (time.perf_counter() - getattr(self, "_started", time.perf_counter())) * 1000,
        )  # fmt: skip
        return response


# --- ETag and If-Match ------------------------------------------------------------------------------------------


def etag_of(obj) -> str:
    """A strong validator: the row's identity and when it last changed."""
    stamp = getattr(obj, "updated_at", None) or getattr(obj, "created_at", None)
    digest = hashlib.sha256(f"{type(obj).__name__}:{obj.pk}:{stamp.isoformat() if stamp else ''}".encode())
    return f'"{digest.hexdigest()[:32]}"'


def check_if_match(request, obj, etag=etag_of) -> None:
    """A stale If-Match is a 412, and nothing is written. Without the header the update goes ahead (curl users
    may skip it), as RFC 9110 allows. Inside an update's transaction (OrgView.dispatch) the row is read again and
    locked, so the comparison holds until the write commits. ``etag`` computes a row's tag (etag_of by default).
    Comparison is strong (RFC 9110 13.1.1): a weak tag W/"…" never matches."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    current = obj
    if transaction.get_connection().in_atomic_block:
        current = type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first() or obj
    tags = [tag.strip() for tag in header.split(",")]
    if "*" not in tags and etag(current) not in tags:
        message = _("It changed since you read it: read it again (GET), then retry with its new ETag.")
        raise Problem("precondition-failed", message)


# --- Idempotency-Key ------------------------------------------------------------------------------------------


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    for name, value in sorted(request.data.items()) if hasattr(request.data, "items") else []:
        digest.update(name.encode() + b"=")
        if hasattr(value, "chunks"):
            for chunk in value.chunks():
                digest.update(chunk)
            value.seek(0)
        else:
            digest.update(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _replay(record) -> HttpResponse:
    response = HttpResponse(record.body, status=record.status, content_type="application/json")
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(handler=None, *, forget=()):
    """For a POST that creates something: with an Idempotency-Key, the first successful answer is kept (in the
    write's own transaction) and a retry gets it again, never a second object, even while the first is still
    running (the retry waits for it: services.idempotent_claim). Errors are not kept: the write rolled back, so a
    retry runs afresh. ``forget`` names fields of the answer never kept (a secret shown once): a replay gives
    them empty. ``@idempotent`` or ``@idempotent(forget=("secret",))``."""
    if handler is None:
        return lambda view_handler: idempotent(view_handler, forget=forget)

    def kept(record, fingerprint):
        if record.fingerprint != fingerprint:
            message = _("This Idempotency-Key was used for a different request; use a new key.")
            raise Problem("idempotency-key-reused", message)
        return _replay(record)

    def wrapped(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(self, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
            raise Problem("idempotency-key-invalid", _("Idempotency-Key must be 1 to 255 printable ASCII characters."))
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record = services.idempotent_get(organization=self.organization, key=key)
            if record is None:
                claimed = services.idempotent_claim(organization=self.organization, key=key, fingerprint=fingerprint)
                if claimed is None:  # another request with the key committed while we waited for it
                    record = services.idempotent_get(organization=self.organization, key=key)
            if record is not None:
                return kept(record, fingerprint)
            if claimed is None:  # (the other's answer expired meanwhile: a day)
                raise Problem(
                    "conflict", _("A request with this Idempotency-Key is still being processed; retry shortly.")
                )
            response = handler(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            data = response.data
            if forget and isinstance(data, dict):
                data = {**data, **dict.fromkeys(set(forget) & set(data), "")}
            body = JSONRenderer().render(data).decode()
            headers = {name: response[name] for name in ("Location", "ETag") if response.has_header(name)}
            services.idempotent_answer(record=claimed, status=response.status_code, body=body, headers=headers)
            return response

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    wrapped.__wrapped__ = handler
    return wrapped
