"""Errors as RFC 9457 problem details (application/problem+json), each with a stable ``code``.

Every error of the API leaves through ``exception_handler`` (DRF's, for the views) or ``not_found`` /
``server_error`` (Django's handlers, for paths under /api/ no view matched). The codes are listed in
``PROBLEMS`` and served at /api/v1/problems/<code>/, the URI each problem's ``type`` names.
"""

import json
import sys

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import set_rollback

MEDIA_TYPE = "application/problem+json"

# code: (HTTP status, title). The title says what the code means; ``detail`` says what happened this time.
PROBLEMS = {
    "validation-failed": (400, gettext_lazy("The request has invalid fields")),
    "malformed-request": (400, gettext_lazy("The request body could not be read")),
    "organization-required": (400, gettext_lazy("Say which organization the request is for")),
    "idempotency-key-invalid": (400, gettext_lazy("The Idempotency-Key header is not valid")),
    "not-authenticated": (401, gettext_lazy("Authentication is required")),
    "authentication-failed": (401, gettext_lazy("The API key is not valid")),
    "scope-insufficient": (403, gettext_lazy("The API key may only read")),
    "permission-denied": (403, gettext_lazy("You may not do this")),
    "not-found": (404, gettext_lazy("Not found")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed")),
    "not-acceptable": (406, gettext_lazy("The requested response type is not offered")),
    "conflict": (409, gettext_lazy("The request conflicts with the current state")),
    "precondition-failed": (412, gettext_lazy("The resource changed since you read it")),
    "payload-too-large": (413, gettext_lazy("The request body is too large")),
    "unsupported-media-type": (415, gettext_lazy("The request body's type is not supported")),
    "idempotency-key-reused": (422, gettext_lazy("The Idempotency-Key was used for a different request")),
    "precondition-required": (428, gettext_lazy("This update needs an If-Match header")),
    "rate-limited": (429, gettext_lazy("Too many requests")),
    "server-error": (500, gettext_lazy("Something went wrong on our side")),
    "service-unavailable": (503, gettext_lazy("The service is briefly unavailable")),
}


class Problem(exceptions.APIException):
    """An error with its code from PROBLEMS; ``errors`` lists field errors (validation)."""

    def __init__(self, code: str, detail=None, *, errors=None, headers=None):
        self.status_code, title = PROBLEMS[code]
        self.problem_code = code
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(detail=detail or title, code=code)


def _type(request, code: str) -> str:
    path = f"/api/v1/problems/{code}/"
    if request is None:
        return path
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:  # the request's Host is the problem: a reference without it
        return path


def body(request, code: str, detail: str, *, errors=None, status_code=None) -> dict:
    status_code = status_code or PROBLEMS[code][0]
    data = {"type": _type(request, code), "title": str(PROBLEMS[code][1]), "status": status_code,
            "detail": str(detail), "code": code}  # fmt: skip
    if request is not None:
        data["instance"] = request.path
    if errors:
        data["errors"] = errors
    return data


def _field_errors(detail, prefix="") -> list[dict]:
    """DRF's nested error detail as a flat list: field (dotted path; "" for the whole request), code, message."""
    out = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            field = "" if name in ("non_field_errors", "__all__") else f"{prefix}{name}"
            out += _field_errors(value, f"{field}." if field else prefix)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                out += _field_errors(value, f"{prefix}{index}.")
            else:
                out += _field_errors(value, prefix)
    else:
        field = prefix[:-1] if prefix.endswith(".") else prefix
        out.append({"field": field, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)})
    return out


def django_errors(exc: DjangoValidationError) -> list[dict]:
    """A service's ValidationError as field errors, keeping each message's code (SIG_TAKEN, …)."""
    out = []
    items = exc.error_dict.items() if hasattr(exc, "error_dict") else [("", exc.error_list)]
    for name, errors in items:
        for error in errors:
            message = error.message % error.params if error.params else error.message
            out.append({"field": "" if name == "__all__" else name, "code": error.code or "invalid",
                        "message": str(message)})  # fmt: skip
    return out


_BY_CLASS = [
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "authentication-failed"),
    (exceptions.PermissionDenied, "permission-denied"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "rate-limited"),
    (exceptions.ParseError, "malformed-request"),
    (exceptions.ValidationError, "validation-failed"),
]


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error a view raises, as a problem; None (a 500) only for a bug."""
    request = context.get("request")
    headers = {}
    errors = None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = Problem("validation-failed", _("The request has invalid fields."), errors=django_errors(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = Problem("payload-too-large", _("The request body is larger than this endpoint accepts."))
    elif isinstance(exc, TooManyFilesSent):
        exc = Problem("payload-too-large", _("The request has more than %(max)s files.")
                      % {"max": settings.DATA_UPLOAD_MAX_NUMBER_FILES})  # fmt: skip
    elif isinstance(exc, TooManyFieldsSent):
        exc = Problem("payload-too-large", _("The request has too many fields."))
    elif isinstance(exc, SuspiciousOperation):  # a malformed multipart body, a bad header
        exc = Problem("malformed-request", PROBLEMS["malformed-request"][1])
    if not isinstance(exc, exceptions.APIException):
        return None
    if isinstance(exc, Problem):
        code, errors, headers = exc.problem_code, exc.errors, dict(exc.headers)
        detail = exc.detail
    else:
        code = next((name for cls, name in _BY_CLASS if isinstance(exc, cls)), "server-error")
        detail = exc.detail
        if isinstance(exc, exceptions.ValidationError):
            errors = _field_errors(exc.detail)
            detail = _("The request has invalid fields.")
            if errors and all(e["field"] == "" for e in errors):
                detail = errors[0]["message"]
        elif isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
    if isinstance(detail, (list, dict)):
        detail = _("The request has invalid fields.")
    set_rollback()
    # Rendered here, not by the view's renderer: a problem is JSON whatever the view renders (the schema's YAML)
    # and whatever the request accepts (a 406 too).
    data = body(request, code, detail, errors=errors, status_code=exc.status_code)
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=exc.status_code, content_type=MEDIA_TYPE)
    for name, value in headers.items():
        response[name] = value
    return response


def _raw(request, code: str, detail) -> HttpResponse:
    data = body(request, code, detail)
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=data["status"], content_type=MEDIA_TYPE)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """handler404: a problem under /api/, the site's page elsewhere."""
    if is_api(request):
        return _raw(request, "not-found", PROBLEMS["not-found"][1])
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    """handler400: a problem under /api/ (a request Django refused before any view), the site's page elsewhere:
    one that says what was wrong with the form (too many files or fields), not a bare "Bad Request"."""
    if is_api(request):
        return _raw(request, "malformed-request", PROBLEMS["malformed-request"][1])
    if isinstance(exception, TooManyFilesSent):
        message = _("The form sent more than %(max)s files at once; send fewer files.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    elif isinstance(exception, TooManyFieldsSent):
        message = _("The form sent more than %(max)s fields at once; reload the page and send it again.") % {
            "max": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
    elif isinstance(exception, RequestDataTooBig):
        message = _("The form sent more text than is accepted (at most %(max)s MB besides the files).") % {
            "max": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1048576:.1f}"
        }
    else:
        message = _("The request could not be read. Reload the page and try again.")
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request, exception=None):
    """handler403: a problem under /api/, the site's page elsewhere."""
    if is_api(request):
        return _raw(request, "permission-denied", PROBLEMS["permission-denied"][1])
    return defaults.permission_denied(request, exception)


# What a lost database connection (a restart, a failover, pg_terminate_backend) raises. The next request
# reconnects (CONN_HEALTH_CHECKS), so the person is told to try again, not that something broke.
DATABASE_GONE = (OperationalError, InterfaceError)


def server_error(request):
    """handler500: a problem under /api/ (no stack trace), the site's page elsewhere; 503 for a lost database."""
    if isinstance(sys.exc_info()[1], DATABASE_GONE):  # Django calls this inside its ``except`` block
        return database_unavailable(request)
    if is_api(request):
        return _raw(request, "server-error", PROBLEMS["server-error"][1])
    return defaults.server_error(request)


def database_unavailable(request):
    """503 with Retry-After: problem+json under /api/, a static page (no template tags, no database) elsewhere."""
    if is_api(request):
        response = _raw(request, "service-unavailable", _("The database did not answer. Try again in a moment."))
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "5"
    return response


def problem_type(request, code):
    """GET /api/v1/problems/<code>/: what a problem code means (the URI in each problem's ``type``)."""
    if code not in PROBLEMS:
        return _raw(request, "not-found", PROBLEMS["not-found"][1])
    status_code, title = PROBLEMS[code]
    data = {"code": code, "status": status_code, "title": str(title)}
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json")


__all__ = ["MEDIA_TYPE", "PROBLEMS", "Problem", "exception_handler", "not_found", "server_error", "status"]
