"""The signatures endpoints of the REST API (docs/api.md): the precheck, the list, create (a draft, or
submitted), the detail with its filings, decisions and timeline, update, withdraw and resubmit.

A reference in the body to something the organization does not have (an entity, a trademark…, another
organization's or none at all) is a 400 naming the field (``invalid_choice``), as the portal's form says it;
an id in the path is a 404, the same for another organization's as for a missing one."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import OrgView, check_if_match, etag_of, idempotent
from api.problems import Problem
from api.serializers import ListParameters, Strict
from compliance import filings as filing_rules
from compliance import transitions as states
from compliance.signatures import EDITABLE_STATES, withdrawn_source_step, withdrawn_source_warning
from filings import api_common as common
from filings import selectors as filing_selectors
from filings.models import Filing, FilingStatus
from policies.timeline import current_policy

from . import selectors, services
from .forms import SignatureForm
from .live_check import EVIDENCE_FIELD, live_check
from .models import Signature

TAGS = ["signatures"]
MAX_ID = common.MAX_ID
EVIDENCE_FIELDS = ("trademark", "app", "partner_authorization")


def _id_field(help_text: str):
    return serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                    help_text=help_text)  # fmt: skip


# --- serializers --------------------------------------------------------------------------------------------------


class SignaturePrecheckInput(Strict):
    entity = serializers.UUIDField(help_text="One of the organization's active entities (its own or shared).")
    source = serializers.ChoiceField(choices=Signature.Source.choices)
    text = serializers.CharField(allow_blank=True, max_length=200, trim_whitespace=False,
                                 help_text="Without 【】.")  # fmt: skip
    trademark = _id_field("The entity's trademark (source `trademark`).")
    app = _id_field("The entity's ICP-filed app (source `app_name`).")
    partner_authorization = _id_field("The entity's partner authorization (source `partner`).")
    signature = _id_field("The application being edited: its own hold on the text does not count against it.")


class SignaturePrecheckResult(serializers.Serializer):
    blocked = serializers.BooleanField(help_text="An error or a missing piece of evidence: it cannot be submitted.")
    needs_acknowledgement = serializers.BooleanField(help_text="Warnings: submit with `acknowledge_warnings`.")
    violations = common.RuleViolationSerializer(many=True, help_text="The engine's, then the evidence's.")
    proposals = serializers.ListField(
        child=serializers.CharField(), help_text="Abbreviations that pass, for a full name too long to be one."
    )
    available_sources = serializers.ListField(child=serializers.ChoiceField(choices=Signature.Source.choices))
    source_note = serializers.CharField(allow_blank=True, help_text="Why the chosen source cannot be used.")
    full_name = serializers.CharField(help_text="The entity's full name.")


class SignatureEntity(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SignatureRow(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    source = serializers.ChoiceField(choices=Signature.Source.choices)
    entity = SignatureEntity()
    status = serializers.ChoiceField(choices=Signature.Status.choices)
    status_label = serializers.CharField()
    status_text = serializers.CharField(help_text="The decision, then (approved) the carriers in one sentence.")
    carriers = common.CarrierMarkSerializer(many=True, help_text="Each carrier's state, once approved.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class SignatureDetail(SignatureRow):
    trademark = serializers.IntegerField(allow_null=True)
    app = serializers.IntegerField(allow_null=True)
    partner_authorization = serializers.IntegerField(allow_null=True)
    next_step = serializers.CharField()
    source_warning = serializers.CharField(
        allow_blank=True, help_text="Its source is no longer accepted: why, and what to do."
    )
    warnings_acknowledged = serializers.BooleanField()
    precheck = common.RuleViolationSerializer(many=True, help_text="What the precheck said when it was submitted.")
    policy_notices = serializers.ListField(child=serializers.CharField(), help_text="The notices it was checked under.")
    policy_keys = serializers.ListField(child=serializers.CharField(), help_text="The policy changes applied.")
    can_edit = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    filings = common.CarrierFilingSerializer(many=True)
    current_decision = common.ReviewDecisionSerializer(allow_null=True, help_text="The decision it is under now.")
    decisions = common.ReviewDecisionSerializer(many=True)
    timeline = common.ApplicationEventSerializer(many=True)


class SignatureInput(Strict):
    entity = serializers.UUIDField()
    source = serializers.ChoiceField(choices=Signature.Source.choices,
                                     help_text="Only the sources the rules in force accept.")  # fmt: skip
    text = serializers.CharField(max_length=64, trim_whitespace=False, help_text="Without 【】.")
    trademark = _id_field("For source `trademark`: one of the entity's trademarks.")
    app = _id_field("For source `app_name`: one of the entity's apps.")
    partner_authorization = _id_field("For source `partner`: one of the entity's partner authorizations.")
    submit = serializers.BooleanField(default=False, help_text="False: save a draft (unchecked); true: submit.")
    acknowledge_warnings = serializers.BooleanField(default=False, help_text="Submit despite warnings.")


class SignatureUpdate(SignatureInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("entity", "source", "text"):
            self.fields[name].required = False


class SignatureResubmitInput(Strict):
    acknowledge_warnings = serializers.BooleanField(default=False, help_text="Submit despite warnings.")


class SignatureListFilters(ListParameters):
    status = serializers.ChoiceField(choices=Signature.Status.choices, required=False)
    entity = serializers.UUIDField(required=False)
    carrier_state = serializers.ChoiceField(choices=FilingStatus.choices, required=False)


# --- what the views share -------------------------------------------------------------------------------------------


def _detail(signature) -> dict:
    zh = common.chinese()
    rules = common.Rules()
    rows = selectors.signature_events(signature=signature)
    filings = common.filings(signature, zh)
    shown = {f["carrier"]: f["state"] for f in filings}
    policy = current_policy()
    warning = withdrawn_source_warning(signature.source, signature.status, policy)
    if warning:
        step = withdrawn_source_step(signature.status, policy)
    else:
        step = filing_rules.next_step(shown) if shown else states.NEXT_STEP[signature.status]
    label = str(Signature.Status(signature.status).label)
    return {
        **_row(signature, label, shown, zh),
        "trademark": signature.trademark_id, "app": signature.app_id,
        "partner_authorization": signature.partner_authorization_id,
        "next_step": step[0 if zh else 1], "source_warning": warning[0 if zh else 1] if warning else "",
        "warnings_acknowledged": signature.warnings_acknowledged,
        "precheck": rules.violations(signature.precheck, zh), "policy_notices": list(signature.policy_notices),
        "policy_keys": list(signature.policy_keys), "can_edit": signature.status in EDITABLE_STATES,
        "can_withdraw": states.can_withdraw(signature.status), "filings": filings,
        "current_decision": common.current_decision(rows, signature.status, zh),
        "decisions": common.decisions(rows, zh),
        "timeline": common.events(signature, rows, zh, notes={services.WARNINGS_ACKNOWLEDGED:
                                                              _("Warnings acknowledged.")}),
    }  # fmt: skip


def _row(signature, label: str, shown: dict | None, zh: bool) -> dict:
    return {
        "id": signature.pk, "text": signature.text, "source": signature.source,
        "entity": {"id": signature.entity.pk, "name": signature.entity.name}, "status": signature.status,
        "status_label": label,
        "status_text": filing_selectors.status_text(signature.status, label, shown, chinese=zh),
        "carriers": common.marks(shown, zh), "created_at": signature.created_at,
        "submitted_at": signature.submitted_at, "updated_at": signature.updated_at,
    }  # fmt: skip


def _answer(signature, status: int = 200) -> Response:
    """The signature as read afresh (the ETag of what is stored now)."""
    signature = selectors.signature_get(organization=signature.organization, signature_id=signature.pk)
    headers = {"ETag": etag_of(signature)}
    if status == 201:
        headers["Location"] = reverse("api:signatures-detail", args=[signature.pk])
    return Response(SignatureDetail(_detail(signature)).data, status=status, headers=headers)


def _draft(organization, data: dict, *, submit: bool, keep_source=None):
    """The application as the portal's form reads it (SignatureForm: the entities and evidence the
    organization may use, the sources in force, evidence of another entity left out of a draft)."""
    values = {name: "" if data.get(name) is None else str(data[name]) for name in ("entity", "source", "text",
                                                                                  *EVIDENCE_FIELDS)}  # fmt: skip
    values["text"] = data.get("text") or ""
    values["action"] = "submit" if submit else "draft"
    form = SignatureForm(values, organization=organization, keep_source=keep_source)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.draft()


DETAIL_EXAMPLE = {
    "id": 42, "text": "百度", "source": "abbreviation",
    "entity": {"id": "6f1c8a52-3f0e-4a8e-9a55-1d2f3e4a5b6c", "name": "北京百度网讯科技有限公司"},
    "status": "changes_requested", "status_label": "需修改", "status_text": "需修改", "carriers": [],
    "created_at": "2026-06-15T10:00:00+08:00", "submitted_at": "2026-06-15T10:00:00+08:00",
    "updated_at": "2026-06-16T09:30:00+08:00", "trademark": None, "app": None, "partner_authorization": None,
    "next_step": "按审核意见修改后重新提交。", "source_warning": "", "warnings_acknowledged": False, "precheck": [],
    "policy_notices": ["2025.3.27", "2025.3.31", "2025.6.3", "2026.4.23"],
    "policy_keys": ["2025-03-27-real-name", "2025-03-31-abbreviation", "2025-06-03-signatures",
                    "2026-05-01-no-app-names"],
    "can_edit": True, "can_withdraw": False, "filings": [],
    "current_decision": {"at": "2026-06-16T09:30:00+08:00", "action": "request_changes", "from_status": "in_review",
                         "to_status": "changes_requested",
                         "reasons": [{"code": "REV_SIGNATURE_MISLEADING", "title": "签名易使人误解发送方",
                                      "todo": "使用能准确识别主体的签名", "concerns": "text"}], "note": ""},
    "decisions": [],
    "timeline": [{"at": "2026-06-15T10:00:00+08:00", "carrier": None, "action": "submit", "from_status": "draft",
                  "to_status": "submitted", "from_label": "草稿", "to_label": "已提交", "reasons": [], "note": "",
                  "who": "owner@example.cn"}],
}  # fmt: skip
VIOLATION_EXAMPLE = {
    "code": "SIG_ABBREVIATION_NOT_CONTIGUOUS", "severity": "warning", "carrier": None,
    "message": "简称中间跳过了全称中的字……",
    "rule": {"ref": "2025-03-31 · 2025.3.31", "effective": "2025-03-31", "notice": "2025.3.31",
             "policy_key": "2025-03-31-abbreviation", "text": "自 2025-03-31 起（通知 2025.3.31）"},
}  # fmt: skip
ID_PARAMETER = common.id_parameter("signature_id", "The signature's id.", OpenApiParameter.PATH)


# --- the views ------------------------------------------------------------------------------------------------------


class SignaturePrecheck(OrgView):
    """The portal's live check, scripted: every rule in force that the application would break, at any carrier,
    and what its evidence lacks. Nothing is written."""

    writes_nothing = True  # a read-only key may check
    serializer_class = SignaturePrecheckInput

    @extend_schema(
        operation_id="signatures_precheck", tags=TAGS, summary="Check a signature before filing it",
        request=SignaturePrecheckInput, responses={200: SignaturePrecheckResult},
        examples=[
            OpenApiExample("An abbreviation", request_only=True,
                           value={"entity": "6f1c8a52-3f0e-4a8e-9a55-1d2f3e4a5b6c", "source": "abbreviation",
                                  "text": "百网"}),
            OpenApiExample("A warning", response_only=True,
                           value={"blocked": False, "needs_acknowledgement": True, "violations": [VIOLATION_EXAMPLE],
                                  "proposals": [], "available_sources": ["full_name", "abbreviation"],
                                  "source_note": "", "full_name": "北京百度网讯科技有限公司"}),
        ],
    )  # fmt: skip
    def post(self, request):
        given = SignaturePrecheckInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        field = EVIDENCE_FIELD.get(data["source"])
        check = live_check(organization=self.organization, entity_id=data["entity"], source=data["source"],
                           text=data["text"], evidence_id=data.get(field) if field else None,
                           signature_id=data.get("signature"))  # fmt: skip
        if check is None:
            raise common.invalid_choice("entity")
        if check.missing:
            raise common.invalid_choice(check.missing[0])
        zh = common.chinese()
        result = check.result
        return Response({
            "blocked": result.blocked, "needs_acknowledgement": bool(result.warnings),
            "violations": common.Rules().violations((*result.violations, *result.problems), zh),
            "proposals": result.proposals, "available_sources": check.available_sources,
            "source_note": check.source_note, "full_name": check.entity.name,
        })  # fmt: skip


class SignatureList(OrgView):
    """The organization's signature applications, newest first, and new ones."""

    serializer_class = SignatureRow

    @extend_schema(
        operation_id="signatures_list", tags=TAGS, summary="List signatures",
        parameters=[
            OpenApiParameter("status", str, enum=Signature.Status.values, description="The application's state."),
            common.ENTITY_FILTER,
            OpenApiParameter("carrier_state", str, enum=FilingStatus.values,
                             description="A filing state at any carrier (once approved)."),
        ],
        responses={200: SignatureRow(many=True)},
        examples=[OpenApiExample("A page", response_only=True,
                                 value={k: DETAIL_EXAMPLE[k] for k in SignatureRow().fields})],
    )  # fmt: skip
    def get(self, request):
        wanted = SignatureListFilters.read(request)
        found = selectors.signatures_of(self.organization.pk)
        if "status" in wanted:
            found = found.filter(status=wanted["status"])
        if "entity" in wanted:
            found = found.filter(entity_id=wanted["entity"])
        if "carrier_state" in wanted:
            at_carrier = Filing.objects.filter(signature=OuterRef("pk"), status=wanted["carrier_state"])
            found = found.filter(Exists(at_carrier))
        page = self.paginate_queryset(found)
        zh = common.chinese()
        shown = filing_selectors.page_states("signature", [(s.pk, s.pk) for s in page if s.status == states.APPROVED])
        rows = [_row(s, str(Signature.Status(s.status).label), shown.get(s.pk), zh) for s in page]
        return self.get_paginated_response(SignatureRow(rows, many=True).data)

    @extend_schema(
        operation_id="signatures_create", tags=TAGS, summary="Create a signature (a draft, or submitted)",
        request=SignatureInput,
        responses={201: SignatureDetail},
        parameters=[common.IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample("Submit", request_only=True,
                           value={"entity": "6f1c8a52-3f0e-4a8e-9a55-1d2f3e4a5b6c", "source": "abbreviation",
                                  "text": "百度", "submit": True}),
            OpenApiExample("Created", response_only=True, status_codes=["201"],
                           value={**DETAIL_EXAMPLE, "status": "submitted", "status_label": "已提交",
                                  "status_text": "已提交", "current_decision": None, "can_edit": False,
                                  "can_withdraw": True}),
        ],
    )  # fmt: skip
    @idempotent
    def post(self, request):
        given = SignatureInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        draft = _draft(self.organization, data, submit=data["submit"])
        if data["submit"]:
            signature = services.signature_submit(organization=self.organization, user=request.user, draft=draft,
                                                  acknowledge_warnings=data["acknowledge_warnings"])  # fmt: skip
        else:
            signature = services.signature_save_draft(organization=self.organization, user=request.user, draft=draft)
        signature.organization = self.organization
        return _answer(signature, 201)


class SignatureItem(OrgView):
    """One signature application: read it, or change it while it is a draft or sent back for changes."""

    serializer_class = SignatureDetail

    @extend_schema(
        operation_id="signatures_retrieve", tags=TAGS, summary="A signature, its filings, decisions and timeline",
        parameters=[ID_PARAMETER], responses={200: SignatureDetail},
        examples=[OpenApiExample("Sent back", response_only=True, value=DETAIL_EXAMPLE)],
    )  # fmt: skip
    def get(self, request, signature_id):
        signature = selectors.signature_get(organization=self.organization, signature_id=signature_id)
        return Response(SignatureDetail(_detail(signature)).data, headers={"ETag": etag_of(signature)})

    @extend_schema(
        operation_id="signatures_update", tags=TAGS, summary="Change a draft or one sent back (and submit it)",
        parameters=[ID_PARAMETER, common.IF_MATCH],
        request=SignatureUpdate, responses={200: SignatureDetail},
        examples=[
            OpenApiExample("Fix the text", request_only=True, value={"text": "百度"}),
            OpenApiExample("Changed", response_only=True, value=DETAIL_EXAMPLE),
        ],
    )  # fmt: skip
    def patch(self, request, signature_id):
        signature = selectors.signature_get(organization=self.organization, signature_id=signature_id, related=())
        check_if_match(request, signature)
        given = SignatureUpdate(data=request.data)
        given.is_valid(raise_exception=True)
        return _save(request, signature, given.validated_data, submit=given.validated_data["submit"])


def _save(request, signature, changes: dict, *, submit: bool) -> Response:
    """signature_update with the stored values changed by ``changes``, read by the portal's form."""
    if signature.status not in EDITABLE_STATES:
        message = _("Only a draft or an application sent back for changes can be changed; this one is “%(state)s”.")
        raise Problem("conflict", message % {"state": Signature.Status(signature.status).label})
    stored = {"entity": signature.entity_id, "source": signature.source, "text": signature.text,
              "trademark": signature.trademark_id, "app": signature.app_id,
              "partner_authorization": signature.partner_authorization_id}  # fmt: skip
    data = {**stored, **{k: v for k, v in changes.items() if k in stored}}
    draft = _draft(signature.organization, data, submit=submit, keep_source=signature.source)
    services.signature_update(signature=signature, user=request.user, draft=draft, submit=submit,
                              acknowledge_warnings=changes.get("acknowledge_warnings", False))  # fmt: skip
    return _answer(signature)


class SignatureWithdraw(OrgView):
    """Withdraw an application the platform has not decided yet (a draft too)."""

    serializer_class = SignatureDetail

    @extend_schema(
        operation_id="signatures_withdraw", tags=TAGS, summary="Withdraw a signature",
        parameters=[ID_PARAMETER, common.IF_MATCH],
        request=None, responses={200: SignatureDetail},
        examples=[OpenApiExample("Withdrawn", response_only=True,
                                 value={**DETAIL_EXAMPLE, "status": "withdrawn", "status_label": "已撤回",
                                        "status_text": "已撤回", "can_edit": False, "current_decision": None})],
    )  # fmt: skip
    def post(self, request, signature_id):
        signature = selectors.signature_get(organization=self.organization, signature_id=signature_id, related=())
        check_if_match(request, signature)
        if not states.can_withdraw(signature.status):
            message = _("Only an application the platform has not decided yet can be withdrawn; this one is "
                        "“%(state)s”.")  # fmt: skip
            raise Problem("conflict", message % {"state": Signature.Status(signature.status).label})
        try:
            services.signature_withdraw(signature=signature, actor=request.user)
        except services.TransitionRefused as refused:
            raise Problem("conflict", str(refused)) from refused
        return _answer(signature)


class SignatureResubmit(OrgView):
    """Submit again an application the platform sent back for changes, as it stands (change it first with
    PATCH; a draft is submitted with PATCH and ``"submit": true``)."""

    serializer_class = SignatureResubmitInput

    @extend_schema(
        operation_id="signatures_resubmit", tags=TAGS, summary="Resubmit a signature sent back for changes",
        parameters=[ID_PARAMETER, common.IF_MATCH], request=SignatureResubmitInput, responses={200: SignatureDetail},
        examples=[
            OpenApiExample("Resubmit", request_only=True, value={"acknowledge_warnings": False}),
            OpenApiExample("Resubmitted", response_only=True,
                           value={**DETAIL_EXAMPLE, "status": "submitted", "status_label": "已提交",
                                  "status_text": "已提交", "can_edit": False, "can_withdraw": True,
                                  "current_decision": None}),
        ],
    )  # fmt: skip
    def post(self, request, signature_id):
        signature = selectors.signature_get(organization=self.organization, signature_id=signature_id, related=())
        check_if_match(request, signature)
        given = SignatureResubmitInput(data=request.data)
        given.is_valid(raise_exception=True)
        if signature.status != states.CHANGES_REQUESTED:
            message = _("Only an application sent back for changes is resubmitted; this one is “%(state)s”. A draft is "
                        "submitted by updating it.")  # fmt: skip
            raise Problem("conflict", message % {"state": Signature.Status(signature.status).label})
        return _save(request, signature, given.validated_data, submit=True)


urlpatterns = [
    path("signatures/", SignatureList.as_view(), name="signatures-list"),
    path("signatures/precheck/", SignaturePrecheck.as_view(), name="signatures-precheck"),
    path("signatures/<int:signature_id>/", SignatureItem.as_view(), name="signatures-detail"),
    path("signatures/<int:signature_id>/withdraw/", SignatureWithdraw.as_view(), name="signatures-withdraw"),
    path("signatures/<int:signature_id>/resubmit/", SignatureResubmit.as_view(), name="signatures-resubmit"),
]
