"""The notices endpoints of the REST API (docs/api.md): the organization's inbox and its acknowledgements, its
webhook endpoints (owners change them, members read them) and each endpoint's delivery log. Every read goes
through notices.selectors, every write through notices.services, as the portal's pages do."""

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import OrgView, check_if_match, chinese, etag_of, idempotent
from api.problems import Problem
from api.schema import ETAG, IDEMPOTENCY_KEY, IF_MATCH
from api.serializers import ListParameters, Strict

from . import selectors, services
from .models import Delivery, Notice

TAG_NOTICES, TAG_WEBHOOKS = "notices", "webhooks"


class Empty(Strict):
    """An action that takes no fields: any field sent is refused, not ignored."""


def no_fields(request) -> None:
    Empty(data=request.data if hasattr(request.data, "keys") else {}).is_valid(raise_exception=True)


def etag_response(data, obj, status_code=status.HTTP_200_OK, headers=None) -> Response:
    return Response(data, status=status_code, headers={"ETag": etag_of(obj), **(headers or {})})


# --- notices ----------------------------------------------------------------------------------------------------


class NoticeItemSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="What the item is about (a signature, a template), in the caller's "
                                  "language.")  # fmt: skip
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField(), help_text="The reason codes, e.g. ACT_AT_RISK.")
    reason = serializers.CharField(help_text="Why, in the caller's language; empty when the codes say it all.")
    reason_zh = serializers.CharField()
    reason_en = serializers.CharField()
    carrier = serializers.CharField(help_text="The carrier's code; empty when the item concerns no one carrier.")
    url = serializers.CharField(help_text="Where to fix it in the portal (absolute); empty when there is nothing "
                                "to open.")  # fmt: skip


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notice.Kind.choices)
    severity = serializers.ChoiceField(choices=Notice.Severity.choices)
    subject = serializers.CharField(help_text="In the caller's language (Accept-Language).")
    subject_zh = serializers.CharField()
    subject_en = serializers.CharField()
    body = serializers.CharField(help_text="In the caller's language; paragraphs separated by a blank line.")
    body_zh = serializers.CharField()
    body_en = serializers.CharField()
    items = NoticeItemSerializer(many=True)
    deadline = serializers.DateField(allow_null=True, help_text="The day by which to act, if there is one.")
    needs_ack = serializers.BooleanField(help_text="Whether someone in the organization should acknowledge it.")
    acknowledged_at = serializers.DateTimeField(allow_null=True, help_text="The first acknowledgement; it stands.")
    acknowledged_by = serializers.EmailField(allow_null=True, help_text="Who acknowledged it first.")
    event_type = serializers.CharField(help_text="The webhook event it was sent as, e.g. notice.created.")
    created_at = serializers.DateTimeField()


def _item(entry: dict, in_english: bool) -> dict:
    shown = services.item_for(entry, "en" if in_english else "zh-hans")
    label_zh = entry.get("label", "")
    return {**shown, "label_zh": label_zh, "label_en": entry.get("label_en", "") or label_zh,
            "reason_zh": entry.get("reason_zh", ""), "reason_en": entry.get("reason_en", ""),
            "codes": [str(code) for code in shown["codes"]]}  # fmt: skip


def notice_data(notice: Notice, in_english: bool) -> dict:
    language = "en" if in_english else "zh-hans"
    return {
        "id": notice.pk, "kind": notice.kind, "severity": notice.severity,
        "subject": notice.subject(language), "subject_zh": notice.subject_zh, "subject_en": notice.subject_en,
        "body": notice.body(language), "body_zh": notice.body_zh, "body_en": notice.body_en,
        "items": [_item(entry, in_english) for entry in notice.items if isinstance(entry, dict)],
        "deadline": notice.deadline, "needs_ack": notice.needs_ack, "acknowledged_at": notice.acknowledged_at,
        "acknowledged_by": notice.acknowledged_by.email if notice.acknowledged_by else None,
        "event_type": notice.event_type, "created_at": notice.created_at,
    }  # fmt: skip


def notice_etag(notice: Notice) -> str:
    # A notice changes once, when it is acknowledged: that moment stamps its ETag.
    notice.updated_at = notice.acknowledged_at or notice.created_at
    return etag_of(notice)


class NoticeFilters(ListParameters):
    unacknowledged = serializers.BooleanField(required=False, default=False)
    kind = serializers.ChoiceField(choices=Notice.Kind.choices, required=False)
    severity = serializers.ChoiceField(choices=Notice.Severity.choices, required=False)


NOTICE_EXAMPLE = {
    "id": 42,
    "kind": "activity",
    "severity": "alarm",
    "subject": "Signature 【百度】 at China Telecom: at risk",
    "subject_zh": "签名【百度】在中国电信：有停用风险",
    "subject_en": "Signature 【百度】 at China Telecom: at risk",
    "body": "No delivery for 150 days. Send regularly.",
    "body_zh": "150 天无送达。请定期发送。",
    "body_en": "No delivery for 150 days. Send regularly.",
    "items": [
        {
            "label": "【百度】",
            "label_zh": "【百度】",
            "label_en": "【百度】",
            "codes": ["ACT_AT_RISK"],
            "reason": "No delivery for 150 days",
            "reason_zh": "150 天无送达",
            "reason_en": "No delivery for 150 days",
            "carrier": "telecom",
            "url": "https://portal.example.cn/o/7/signatures/12/",
        }
    ],  # fmt: skip
    "deadline": "2026-12-31",
    "needs_ack": True,
    "acknowledged_at": None,
    "acknowledged_by": None,
    "event_type": "signature.activity_flagged",
    "created_at": "2026-12-01T08:00:00+08:00",
}
ACKNOWLEDGED_EXAMPLE = {**NOTICE_EXAMPLE, "acknowledged_at": "2026-12-01T09:30:00+08:00",
                        "acknowledged_by": "owner@example.cn"}  # fmt: skip


class NoticeList(OrgView):
    """The organization's inbox, newest first."""

    serializer_class = NoticeSerializer  # what OPTIONS describes

    @extend_schema(
        operation_id="notices_list",
        tags=[TAG_NOTICES],
        summary="The organization's notices",
        description="Newest first, by cursor. Subject, text, item labels and reasons come in the caller's language "
        "(Accept-Language: zh-hans, the default, or en) and in both.",
        parameters=[
            OpenApiParameter(
                "unacknowledged", bool, description="true: only those still waiting for an acknowledgement."
            ),  # fmt: skip
            OpenApiParameter("kind", str, enum=Notice.Kind.values),
            OpenApiParameter("severity", str, enum=Notice.Severity.values),
        ],
        responses=NoticeSerializer(many=True),
        examples=[
            OpenApiExample("A page of notices", value=NOTICE_EXAMPLE, response_only=True),
        ],
    )
    def get(self, request):
        chosen = NoticeFilters.read(request)
        rows = selectors.inbox_rows(organization=self.organization, **chosen)
        page = self.paginate_queryset(rows)
        in_english = not chinese()
        return self.get_paginated_response(NoticeSerializer([notice_data(n, in_english) for n in page], many=True).data)


class NoticeDetail(OrgView):
    serializer_class = NoticeSerializer

    @extend_schema(
        operation_id="notices_retrieve",
        tags=[TAG_NOTICES],
        summary="One notice",
        responses=NoticeSerializer,
        parameters=[ETAG],
        examples=[OpenApiExample("A notice", value=NOTICE_EXAMPLE, response_only=True)],
    )
    def get(self, request, notice_id):
        notice = selectors.notice_get(organization=self.organization, notice_id=notice_id)
        data = NoticeSerializer(notice_data(notice, not chinese())).data
        return Response(data, headers={"ETag": notice_etag(notice)})


class NoticeAcknowledge(OrgView):
    serializer_class = Empty

    @extend_schema(
        operation_id="notices_acknowledge",
        tags=[TAG_NOTICES],
        summary="Acknowledge a notice",
        description="The organization has read it and will act. The first acknowledgement stands: acknowledging "
        "again answers the same (200), still naming the first. A notice that asks for none is a 409.",
        request=Empty,
        responses={200: NoticeSerializer},
        parameters=[ETAG],
        examples=[
            OpenApiExample("No fields", value={}, request_only=True),
            OpenApiExample("Acknowledged", value=ACKNOWLEDGED_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, notice_id):
        no_fields(request)
        notice = selectors.notice_get(organization=self.organization, notice_id=notice_id)
        if not notice.needs_ack:
            raise Problem("conflict", _("This notice asks for no acknowledgement."))
        services.acknowledge(notice=notice, user=request.user)
        notice = selectors.notice_get(organization=self.organization, notice_id=notice_id)
        data = NoticeSerializer(notice_data(notice, not chinese())).data
        return Response(data, headers={"ETag": notice_etag(notice)})


# --- webhook endpoints ------------------------------------------------------------------------------------------


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField(allow_blank=True)
    active = serializers.BooleanField(help_text="false: paused; events are not sent to it.")
    waiting = serializers.IntegerField(help_text="Its deliveries not sent yet (waiting, being sent, to retry).")
    created_by = serializers.EmailField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(allow_blank=True, help_text="The signing secret (Standard Webhooks, whsec_…). "
                                   "Shown in this answer only: keep it now. Empty in a replay (the same "
                                   "Idempotency-Key again): the secret is never kept for replays.")  # fmt: skip


class WebhookCreate(Strict):
    url = serializers.URLField(max_length=500, help_text="https:// and a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookChange(Strict):
    active = serializers.BooleanField(required=False, help_text="false pauses it, true resumes it.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


def webhook_data(endpoint) -> dict:
    return {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "active": endpoint.active,
            "waiting": getattr(endpoint, "waiting", 0),
            "created_by": endpoint.created_by.email if endpoint.created_by else None,
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at}  # fmt: skip


WEBHOOK_EXAMPLE = {
    "id": 3,
    "url": "https://hooks.example.cn/sms",
    "description": "Our ticketing system",
    "active": True,
    "waiting": 0,
    "created_by": "owner@example.cn",
    "created_at": "2026-12-01T10:00:00+08:00",
    "updated_at": "2026-12-01T10:00:00+08:00",
}


class WebhookList(OrgView):
    owners_only = True
    serializer_class = WebhookCreate

    @extend_schema(
        operation_id="webhooks_list",
        tags=[TAG_WEBHOOKS],
        summary="The organization's webhook endpoints",
        description="Every member reads them; the signing secret is never shown again after the endpoint is added.",
        responses=WebhookSerializer(many=True),
        examples=[OpenApiExample("Endpoints", value=WEBHOOK_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        ListParameters.read(request)
        page = self.paginate_queryset(selectors.endpoint_rows(organization=self.organization))
        return self.get_paginated_response(WebhookSerializer([webhook_data(e) for e in page], many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        tags=[TAG_WEBHOOKS],
        summary="Add a webhook endpoint (owners)",
        description="The address must be https:// to a public address (a private, loopback or reserved address is "
        "refused, field `url`). The answer carries the signing secret, once. Send an Idempotency-Key to retry "
        "safely.",
        request=WebhookCreate,
        responses={201: WebhookCreatedSerializer},
        parameters=[
            IDEMPOTENCY_KEY,
            OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201]),
            OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[201]),
        ],  # fmt: skip
        examples=[
            OpenApiExample(
                "An endpoint",
                value={"url": "https://hooks.example.cn/sms", "description": "Our ticketing system"},
                request_only=True,
            ),
            OpenApiExample(
                "Added",
                value={**WEBHOOK_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                response_only=True,
                status_codes=["201"],
            ),
        ],  # fmt: skip
    )
    @idempotent(forget=("secret",))
    def post(self, request):
        given = WebhookCreate(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            endpoint = services.endpoint_create(organization=self.organization, url=given.validated_data["url"],
                                                description=given.validated_data["description"],
                                                actor=request.user)  # fmt: skip
        except ValidationError as exc:  # the address check names no field: it is the url's
            raise ValidationError({"url": exc.error_list}) from exc
        secret = endpoint.secret
        endpoint = selectors.endpoint_row(organization=self.organization, endpoint_id=endpoint.pk)
        data = WebhookCreatedSerializer({**webhook_data(endpoint), "secret": secret}).data
        location = request.build_absolute_uri(reverse("api:webhooks-detail", args=[endpoint.pk]))
        return etag_response(data, endpoint, status.HTTP_201_CREATED, {"Location": location})


class WebhookDetail(OrgView):
    owners_only = True
    serializer_class = WebhookChange

    def endpoint(self, endpoint_id):
        return selectors.endpoint_row(organization=self.organization, endpoint_id=endpoint_id)

    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=[TAG_WEBHOOKS],
        summary="One webhook endpoint",
        responses=WebhookSerializer,
        parameters=[ETAG],
        examples=[OpenApiExample("An endpoint", value=WEBHOOK_EXAMPLE, response_only=True)],
    )
    def get(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        return etag_response(WebhookSerializer(webhook_data(endpoint)).data, endpoint)

    @extend_schema(
        operation_id="webhooks_partial_update",
        tags=[TAG_WEBHOOKS],
        summary="Pause, resume or describe an endpoint (owners)",
        description="`active: false` pauses it (events are not sent to it), `true` resumes it. Send the ETag you "
        "read in If-Match: if the endpoint changed since, the answer is 412 and nothing changes.",
        request=WebhookChange,
        responses={200: WebhookSerializer},
        parameters=[IF_MATCH, ETAG],
        examples=[
            OpenApiExample("Pause", value={"active": False}, request_only=True),
            OpenApiExample(
                "Paused",
                value={**WEBHOOK_EXAMPLE, "active": False, "updated_at": "2026-12-01T11:00:00+08:00"},
                response_only=True,
            ),
        ],  # fmt: skip
    )
    def patch(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        given = WebhookChange(data=request.data)
        given.is_valid(raise_exception=True)
        check_if_match(request, endpoint)
        changes = given.validated_data
        services.endpoint_change(endpoint=endpoint, active=changes.get("active"),
                                 description=changes.get("description"))  # fmt: skip
        endpoint = self.endpoint(endpoint_id)
        return etag_response(WebhookSerializer(webhook_data(endpoint)).data, endpoint)

    @extend_schema(
        operation_id="webhooks_destroy",
        tags=[TAG_WEBHOOKS],
        summary="Remove an endpoint (owners)",
        description="With its delivery log. If-Match is honoured when sent.",
        request=None,
        responses={204: OpenApiResponse(description="Removed.")},
        parameters=[IF_MATCH],
        examples=[OpenApiExample("Nothing to send", value=None, request_only=True)],
    )
    def delete(self, request, endpoint_id):
        endpoint = self.endpoint(endpoint_id)
        check_if_match(request, endpoint)
        services.endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookTestResult(serializers.Serializer):
    delivery_id = serializers.IntegerField()
    message_id = serializers.CharField(help_text="The webhook-id header the receiver got.")
    delivered = serializers.BooleanField(help_text="Whether the endpoint answered 2xx.")
    delivery_status = serializers.ChoiceField(choices=Delivery.Status.choices, help_text="failed: it will be retried.")
    status_code = serializers.IntegerField(allow_null=True, help_text="The endpoint's answer; null when none came.")
    error = serializers.CharField(allow_blank=True, help_text="Why it was not delivered, in the caller's language.")


class WebhookTest(OrgView):
    owners_only = True
    serializer_class = Empty

    @extend_schema(
        operation_id="webhooks_test",
        tags=[TAG_WEBHOOKS],
        summary="Send a test event to an endpoint (owners)",
        description="A `webhook.test` event, signed and logged as every event is; the answer says how the endpoint "
        "answered (200 either way). A paused endpoint is a 409: resume it first.",
        request=Empty,
        responses={200: WebhookTestResult},
        examples=[
            OpenApiExample("No fields", value={}, request_only=True),
            OpenApiExample(
                "Delivered",
                value={
                    "delivery_id": 88,
                    "message_id": "msg_120_88",
                    "delivered": True,
                    "delivery_status": "sent",
                    "status_code": 200,
                    "error": "",
                },
                response_only=True,
            ),
        ],  # fmt: skip
    )
    def post(self, request, endpoint_id):
        no_fields(request)
        endpoint = selectors.endpoint_get(organization=self.organization, endpoint_id=endpoint_id)
        if not endpoint.active:
            raise Problem("conflict", _("The endpoint is paused: resume it, then test it."))
        delivery = services.endpoint_test(endpoint=endpoint, actor=request.user)
        data = {"delivery_id": delivery.pk, "message_id": f"msg_{delivery.notice_id}_{delivery.pk}",
                "delivered": delivery.status == Delivery.Status.SENT, "delivery_status": delivery.status,
                "status_code": delivery.last_code, "error": delivery.last_error}  # fmt: skip
        return Response(WebhookTestResult(data).data)


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="The endpoint's answer; null when none came.")
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True, help_text="Empty when the endpoint answered 2xx.")
    response = serializers.CharField(allow_blank=True, help_text="The first characters of the endpoint's answer.")
    delivery_id = serializers.IntegerField()
    delivery_status = serializers.ChoiceField(choices=Delivery.Status.choices, help_text="Where the delivery is now.")
    delivery_attempts = serializers.IntegerField(help_text="How many times this delivery was tried so far.")
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When it is tried again (failed only).")
    message_id = serializers.CharField(help_text="The webhook-id header: the same on every retry of the delivery.")
    event_type = serializers.CharField()
    notice_id = serializers.IntegerField()


def attempt_data(attempt) -> dict:
    delivery = attempt.delivery
    return {"id": attempt.pk, "at": attempt.at, "status_code": attempt.status_code,
            "duration_ms": attempt.duration_ms, "error": attempt.error, "response": attempt.response,
            "delivery_id": delivery.pk, "delivery_status": delivery.status, "delivery_attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == Delivery.Status.FAILED else None,
            "message_id": f"msg_{delivery.notice_id}_{delivery.pk}", "event_type": delivery.notice.event_type,
            "notice_id": delivery.notice_id}  # fmt: skip


class WebhookDeliveries(OrgView):
    serializer_class = AttemptSerializer

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=[TAG_WEBHOOKS],
        summary="An endpoint's delivery log",
        description="Every request made to the endpoint, newest first, by cursor: the answer's code, the time it "
        "took, the error, and where its delivery is now.",
        responses=AttemptSerializer(many=True),
        examples=[
            OpenApiExample(
                "Attempts",
                value={
                    "id": 9,
                    "at": "2026-12-01T10:05:00+08:00",
                    "status_code": 503,
                    "duration_ms": 41,
                    "error": "The endpoint answered 503.",
                    "response": "nope",
                    "delivery_id": 88,
                    "delivery_status": "failed",
                    "delivery_attempts": 1,
                    "next_attempt_at": "2026-12-01T10:05:30+08:00",
                    "message_id": "msg_120_88",
                    "event_type": "notice.created",
                    "notice_id": 120,
                },
                response_only=True,
            ),
        ],  # fmt: skip
    )
    def get(self, request, endpoint_id):
        ListParameters.read(request)
        endpoint = selectors.endpoint_get(organization=self.organization, endpoint_id=endpoint_id)
        page = self.paginate_queryset(selectors.attempt_rows(endpoint=endpoint))
        return self.get_paginated_response(AttemptSerializer([attempt_data(a) for a in page], many=True).data)


urlpatterns = [
    path("notices/", NoticeList.as_view(), name="notices-list"),
    path("notices/<int:notice_id>/", NoticeDetail.as_view(), name="notices-detail"),
    path("notices/<int:notice_id>/acknowledge/", NoticeAcknowledge.as_view(), name="notices-acknowledge"),
    path("webhooks/", WebhookList.as_view(), name="webhooks-list"),
    path("webhooks/<int:endpoint_id>/", WebhookDetail.as_view(), name="webhooks-detail"),
    path("webhooks/<int:endpoint_id>/test/", WebhookTest.as_view(), name="webhooks-test"),
    path("webhooks/<int:endpoint_id>/deliveries/", WebhookDeliveries.as_view(), name="webhooks-deliveries"),
]
