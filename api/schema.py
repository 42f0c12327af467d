"""The OpenAPI contract (drf-spectacular): the key scheme, and the problem answers every operation may give."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter

from .problems import MEDIA_TYPE, PROBLEMS


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "sfp_<prefix>_<secret>",
                "description": "An organization's API key, created by an owner on the API keys page."}  # fmt: skip


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The portal's log-in session (writes need the CSRF token in X-CSRFToken)."}  # fmt: skip


# The headers and bounds every resource documents alike.
MAX_ID = 2**63 - 1  # the largest id the database holds
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
    OpenApiParameter.HEADER, description="1 to 255 printable ASCII characters: a retry with the same key returns "
    "the first answer; the same key with another request is a 422.",
)  # fmt: skip
IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER,
                            description="The ETag you read: a stale one is a 412, and nothing is changed.")  # fmt: skip
ETAG = OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=True,
                        description="The object's current version: send it back in If-Match to update.")  # fmt: skip

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": "What the code means: GET it."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What happened this time, in the caller's language."},
        "code": {"type": "string", "enum": sorted(PROBLEMS), "description": "Stable: program against it."},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "description": "The field (dotted path); empty for the whole request."},
                    "code": {"type": "string", "description": "The violation's code, e.g. SIG_TAKEN or required."},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

# The answers any operation may give besides its own: documented once, added to each operation here.
_COMMON = {
    "400": "The request is malformed or has invalid fields.",
    "401": "No credentials, or an API key that is not valid or was revoked.",
    "403": "The key may only read, or the caller may not do this.",
    "404": "No such object in your organization (another organization's object answers the same).",
    "405": "Method not allowed.",
    "406": "The requested response type is not offered.",
    "413": "The request body is too large.",
    "415": "The request body's type is not supported.",
    "429": "Too many requests: wait for Retry-After seconds.",
}
_WRITES = {
    "409": "The request conflicts with the object's current state.",
    "412": "If-Match does not match the object's current ETag.",
    "422": "The Idempotency-Key was used for a different request.",
}


def problem_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the problem schema, and the common problem answers on every operation. Request bodies
    admit no other fields (api.serializers.Strict refuses them): additionalProperties false says so."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
    schemas["Problem"] = PROBLEM_SCHEMA
    ref = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            extra = dict(_COMMON)
            if method != "get":
                extra |= _WRITES
            for status_code, description in extra.items():
                if status_code not in responses:
                    responses[status_code] = {"description": description, "content": ref}
                else:
                    responses[status_code].setdefault("content", {}).update(ref)
    return result
