"""The SMS templates endpoints of the REST API (docs/api.md): the check, the list, create (a draft, or
submitted), the detail with its filings, decisions and timeline, update, withdraw and resubmit (a template
sent back for changes is submitted again; an approved one gets a new version, reviewed again).

A reference in the body to something the organization does not have (a signature, a template, another
organization's or none at all) is a 400 naming the field (``invalid_choice``), as the portal's form says it;
an id in the path is a 404, the same for another organization's as for a missing one."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import OrgView, check_if_match, etag_of, idempotent
from api.problems import Problem
from api.serializers import ListParameters, Strict
from compliance import carriers
from compliance import filings as filing_rules
from compliance import transitions as states
from filings import api_common as common
from filings import selectors as filing_selectors
from filings.models import Filing, FilingStatus

from . import selectors, services
from .forms import TemplateForm
from .models import SmsTemplate

TAGS = ["templates"]
MAX_ID = common.MAX_ID
VERDICTS = ("allowed", "needs_filing", "blocked", "no_rules")


def _state(status: str) -> str:
    return str(SmsTemplate.Status(status).label)


# --- serializers --------------------------------------------------------------------------------------------------


class TemplateCheckInput(Strict):
    signature = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                         help_text="One of the organization's live signatures.")  # fmt: skip
    kind = serializers.ChoiceField(choices=SmsTemplate.Kind.choices)
    text = serializers.CharField(allow_blank=True, max_length=10_000, trim_whitespace=False,
                                 help_text="Without the signature; variables as ${name} or ${name:20}.")  # fmt: skip
    template = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID,
                                        help_text="The template being edited or revised: not counted against "
                                                  "itself.")  # fmt: skip


class TemplateContact(serializers.Serializer):
    kind = serializers.CharField(help_text="phone, landline, email, qq, wechat…")
    value = serializers.CharField(help_text="Normalised: the same line written two ways is one.")
    written = serializers.CharField(help_text="As first written.")


class TemplateCarrierVerdict(serializers.Serializer):
    carrier = serializers.ChoiceField(choices=carriers.CODES)
    name = serializers.CharField(help_text="In the caller's language.")
    verdict = serializers.ChoiceField(
        choices=VERDICTS,
        help_text="`allowed`: no published rule stops it; `needs_filing`: filed first; `blocked`; `no_rules`: the "
        "carrier files none.",
    )
    night_window = serializers.CharField(allow_blank=True)
    blocked_by = common.RuleViolationSerializer(many=True, help_text="What blocks it: never empty when blocked.")
    violations = common.RuleViolationSerializer(many=True, help_text="This carrier's own rules.")


class TemplateCheckResult(serializers.Serializer):
    blocked = serializers.BooleanField()
    length = serializers.IntegerField(help_text="Characters, 【signature】 included.")
    segments = serializers.IntegerField()
    billed_length = serializers.IntegerField(help_text="Each variable at its declared maximum or the default.")
    billed_segments = serializers.IntegerField()
    estimated = serializers.BooleanField(help_text="It has variables: the billed length is an estimate.")
    variable_length = serializers.IntegerField(help_text="What a variable without a maximum counts.")
    links = serializers.ListField(child=serializers.CharField())
    ips = serializers.ListField(child=serializers.CharField())
    contacts = TemplateContact(many=True)
    variable_contacts = serializers.ListField(child=serializers.CharField(),
                                              help_text="Variables where a contact goes.")  # fmt: skip
    general = common.RuleViolationSerializer(many=True, help_text="Rules of every carrier: format, length, variables.")
    carriers = TemplateCarrierVerdict(many=True)


class TemplateSignature(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class TemplateRow(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=SmsTemplate.Kind.choices)
    version = serializers.IntegerField()
    signature = TemplateSignature()
    status = serializers.ChoiceField(choices=SmsTemplate.Status.choices)
    status_label = serializers.CharField()
    status_text = serializers.CharField(help_text="The decision, then (approved) the carriers in one sentence.")
    carriers = common.CarrierMarkSerializer(many=True, help_text="Each carrier's state, once approved.")
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class TemplateDetail(TemplateRow):
    text = serializers.CharField()
    previous = serializers.IntegerField(allow_null=True, help_text="The version it replaces.")
    next_step = serializers.CharField()
    precheck = common.RuleViolationSerializer(many=True, help_text="What the check said when it was submitted.")
    policy_keys = serializers.ListField(child=serializers.CharField(), help_text="The policy changes applied.")
    can_edit = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()
    can_resubmit = serializers.BooleanField(help_text="Sent back for changes (submit again), or approved (revise).")
    filings = common.CarrierFilingSerializer(many=True)
    current_decision = common.ReviewDecisionSerializer(allow_null=True, help_text="The decision it is under now.")
    decisions = common.ReviewDecisionSerializer(many=True)
    timeline = common.ApplicationEventSerializer(many=True)


class TemplateInput(Strict):
    signature = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                         help_text="One of the organization's live signatures.")  # fmt: skip
    kind = serializers.ChoiceField(choices=SmsTemplate.Kind.choices)
    name = serializers.CharField(max_length=64, help_text="For your own reference.")
    text = serializers.CharField(max_length=services.ANALYSED_LIMIT, trim_whitespace=False)
    submit = serializers.BooleanField(default=False, help_text="False: save a draft (unchecked); true: submit.")


class TemplateUpdate(TemplateInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("signature", "kind", "name", "text"):
            self.fields[name].required = False


class TemplateResubmitInput(Strict):
    kind = serializers.ChoiceField(choices=SmsTemplate.Kind.choices, required=False,
                                   help_text="A new version's kind (default: the same).")  # fmt: skip
    text = serializers.CharField(max_length=services.ANALYSED_LIMIT, trim_whitespace=False, required=False,
                                 help_text="The new text (default: the same).")  # fmt: skip


class TemplateListFilters(ListParameters):
    status = serializers.ChoiceField(choices=SmsTemplate.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=SmsTemplate.Kind.choices, required=False)
    signature = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    entity = serializers.UUIDField(required=False)
    carrier_state = serializers.ChoiceField(choices=FilingStatus.choices, required=False)


# --- what the views share -------------------------------------------------------------------------------------------


def _row(pk, name, kind, version, status, signature_id, signature_text, created_at, submitted_at, updated_at,
         shown, zh) -> dict:  # fmt: skip
    label = _state(status)
    return {"id": pk, "name": name, "kind": kind, "version": version,
            "signature": {"id": signature_id, "text": signature_text}, "status": status, "status_label": label,
            "status_text": filing_selectors.status_text(status, label, shown, chinese=zh),
            "carriers": common.marks(shown, zh), "created_at": created_at, "submitted_at": submitted_at,
            "updated_at": updated_at}  # fmt: skip


def _detail(template) -> dict:
    zh = common.chinese()
    rows = selectors.template_events(template=template)
    filings = common.filings(template, zh)
    shown = {f["carrier"]: f["state"] for f in filings}
    step = filing_rules.next_step(shown) if shown else states.TEMPLATE_NEXT_STEP[template.status]
    return {
        **_row(template.pk, template.name, template.kind, template.version, template.status, template.signature_id,
               template.signature.text, template.created_at, template.submitted_at, template.updated_at, shown, zh),
        "text": template.text, "previous": template.previous_id, "next_step": step[0 if zh else 1],
        "precheck": common.Rules().violations(template.precheck, zh), "policy_keys": list(template.policy_keys),
        "can_edit": template.status in services.EDITABLE_STATES,
        "can_withdraw": states.can_withdraw(template.status),
        "can_resubmit": template.status in (states.CHANGES_REQUESTED, *services.LIVE_VERSIONS),
        "filings": filings, "current_decision": common.current_decision(rows, template.status, zh),
        "decisions": common.decisions(rows, zh), "timeline": common.events(template, rows, zh),
    }  # fmt: skip


def _answer(organization, template_id: int, status: int = 200) -> Response:
    """The template as read afresh (the ETag of what is stored now)."""
    template = selectors.template_get(organization=organization, template_id=template_id)
    headers = {"ETag": etag_of(template)}
    if status == 201:
        headers["Location"] = reverse("api:templates-detail", args=[template.pk])
    return Response(TemplateDetail(_detail(template)).data, status=status, headers=headers)


def _form(organization, data: dict, *, template=None) -> dict:
    """The template as the portal's form reads it (TemplateForm: the organization's live signatures; a new
    version keeps its signature and name)."""
    values = {name: "" if data.get(name) is None else str(data[name]) for name in ("signature", "kind", "name")}
    values["text"] = data.get("text") or ""
    fixed = template.signature if template is not None and template.previous_id else None
    initial = None
    if template is not None:
        initial = {"signature": template.signature_id, "kind": template.kind, "name": template.name,
                   "text": template.text}  # fmt: skip
    form = TemplateForm(values, organization=organization, initial=initial, fixed=fixed)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data


DETAIL_EXAMPLE = {
    "id": 7, "name": "Order shipped", "kind": "notification", "version": 1, "signature": {"id": 42, "text": "百度"},
    "status": "approved", "status_label": "审核通过", "status_text": "可用：移动、联通；电信报备中",
    "carriers": [{"carrier": "mobile", "state": "filed", "label": "已报备"},
                 {"carrier": "unicom", "state": "filed", "label": "已报备"},
                 {"carrier": "telecom", "state": "submitted", "label": "报备中"}],
    "created_at": "2026-06-15T10:00:00+08:00", "submitted_at": "2026-06-15T10:00:00+08:00",
    "updated_at": "2026-06-16T09:30:00+08:00", "text": "您的订单${order}已发货。", "previous": None,
    "next_step": "等待电信报备结果。", "precheck": [], "policy_keys": ["2025-07-10-mobile-templates"],
    "can_edit": False, "can_withdraw": False, "can_resubmit": True,
    "filings": [{"carrier": "telecom", "name": "中国电信", "state": "submitted", "label": "报备中",
                 "submitted_at": "2026-06-17T09:00:00+08:00", "due_from": "2026-06-22", "due_by": "2026-06-24",
                 "due_exact": True, "overdue": False, "filed_at": None, "carrier_ref": "", "reasons": [],
                 "next_step": "等待运营商报备结果。"}],
    "current_decision": None, "decisions": [], "timeline": [],
}  # fmt: skip
VIOLATION_EXAMPLE = {
    "code": "TPL_LINK_NOT_OWNED", "severity": "error", "carrier": "telecom", "message": "链接的域名不属于本主体……",
    "rule": {"ref": "2025-05-30 · 2025.6.3", "effective": "2025-05-30", "notice": "2025.6.3",
             "policy_key": "2025-05-30-telecom-templates", "text": "自 2025-05-30 起（通知 2025.6.3）"},
}  # fmt: skip
ID_PARAMETER = common.id_parameter("template_id", "The template's id.", OpenApiParameter.PATH)
IF_MATCH = common.IF_MATCH


# --- the views ------------------------------------------------------------------------------------------------------


class TemplateCheck(OrgView):
    """The portal's live check, scripted: the analysis (links, IPs, contacts, length, segments) and each
    carrier's verdict under the rules in force. Nothing is written."""

    writes_nothing = True  # a read-only key may check
    serializer_class = TemplateCheckInput

    @extend_schema(
        operation_id="templates_check", tags=TAGS, summary="Check a template before filing it",
        request=TemplateCheckInput, responses={200: TemplateCheckResult},
        examples=[
            OpenApiExample("A link", request_only=True,
                           value={"signature": 42, "kind": "notification", "text": "详情见 https://t.cn/abc"}),
            OpenApiExample("Blocked at Telecom", response_only=True, value={
                "blocked": True, "length": 23, "segments": 1, "billed_length": 23, "billed_segments": 1,
                "estimated": False, "variable_length": 20, "links": ["t.cn"], "ips": [], "contacts": [],
                "variable_contacts": [], "general": [],
                "carriers": [{"carrier": "telecom", "name": "中国电信", "verdict": "blocked", "night_window": "",
                              "blocked_by": [VIOLATION_EXAMPLE], "violations": [VIOLATION_EXAMPLE]}]}),
        ],
    )  # fmt: skip
    def post(self, request):
        given = TemplateCheckInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        signature = selectors.held_signature(organization=self.organization, signature_id=data["signature"])
        if signature is None:
            raise common.invalid_choice("signature")
        editing = None
        if data.get("template") is not None:
            try:
                editing = selectors.template_get(organization=self.organization, template_id=data["template"])
            except Http404:
                raise common.invalid_choice("template") from None
        check = selectors.live_check(organization=self.organization, signature=signature, kind=data["kind"],
                                     text=data["text"], editing=editing)  # fmt: skip
        zh = common.chinese()
        rules = common.Rules()
        analysis, result = check.result.analysis, check.result
        return Response({
            "blocked": result.blocked, "length": analysis.length, "segments": analysis.segments,
            "billed_length": analysis.billed_length, "billed_segments": analysis.billed_segments,
            "estimated": bool(analysis.variables), "variable_length": result.variable_length,
            "links": list(analysis.links), "ips": list(analysis.ips),
            "contacts": [{"kind": kind, "value": value, "written": written}
                         for (kind, value), written in zip(analysis.contacts, analysis.contacts_written, strict=True)],
            "variable_contacts": list(analysis.variable_contacts),
            "general": rules.violations(check.general, zh),
            "carriers": [{"carrier": c.carrier, "name": carriers.BY_CODE[c.carrier].name(zh), "verdict": c.verdict,
                          "night_window": c.night_window, "blocked_by": rules.violations(c.blocking, zh),
                          "violations": rules.violations(c.violations, zh)} for c in result.carriers],
        })  # fmt: skip


class TemplateList(OrgView):
    """The organization's templates, newest first, and new ones."""

    serializer_class = TemplateRow

    @extend_schema(
        operation_id="templates_list", tags=TAGS, summary="List templates",
        parameters=[
            OpenApiParameter("status", str, enum=SmsTemplate.Status.values, description="The template's state."),
            OpenApiParameter("kind", str, enum=SmsTemplate.Kind.values),
            common.id_parameter("signature", "A signature's id."),
            OpenApiParameter("entity", OpenApiTypes.UUID, description="The signature's entity's id."),
            OpenApiParameter("carrier_state", str, enum=FilingStatus.values,
                             description="A filing state at any carrier (once approved)."),
        ],
        responses={200: TemplateRow(many=True)},
        examples=[OpenApiExample("A page", response_only=True,
                                 value={k: DETAIL_EXAMPLE[k] for k in TemplateRow().fields})],
    )  # fmt: skip
    def get(self, request):
        wanted = TemplateListFilters.read(request)
        found = SmsTemplate.objects.filter(organization=self.organization)
        for name, column in (("status", "status"), ("kind", "kind"), ("signature", "signature_id"),
                             ("entity", "signature__entity_id")):  # fmt: skip
            if name in wanted:
                found = found.filter(**{column: wanted[name]})
        if "carrier_state" in wanted:
            found = found.filter(Exists(Filing.objects.filter(template=OuterRef("pk"), status=wanted["carrier_state"])))
        # Plain rows (dicts: the cursor reads each page's last pk from them), the columns shown only.
        columns = ("pk", "name", "kind", "version", "status", "signature_id", "signature__text", "created_at",
                   "submitted_at", "updated_at")  # fmt: skip
        page = self.paginate_queryset(found.values(*columns))
        zh = common.chinese()
        shown = filing_selectors.page_states("template", [(row["pk"], row["signature_id"]) for row in page
                                                          if row["status"] == states.APPROVED])  # fmt: skip
        rows = [_row(*(row[name] for name in columns), shown.get(row["pk"]), zh) for row in page]
        return self.get_paginated_response(TemplateRow(rows, many=True).data)

    @extend_schema(
        operation_id="templates_create", tags=TAGS, summary="Create a template (a draft, or submitted)",
        request=TemplateInput, responses={201: TemplateDetail},
        parameters=[common.IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample("Submit", request_only=True,
                           value={"signature": 42, "kind": "notification", "name": "Order shipped",
                                  "text": "您的订单${order}已发货。", "submit": True}),
            OpenApiExample("Created", response_only=True, status_codes=["201"],
                           value={**DETAIL_EXAMPLE, "status": "submitted", "status_label": "已提交",
                                  "status_text": "已提交", "carriers": [], "filings": [], "can_withdraw": True,
                                  "can_resubmit": False}),
        ],
    )  # fmt: skip
    @idempotent
    def post(self, request):
        given = TemplateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        fields = _form(self.organization, data)
        save = services.template_submit if data["submit"] else services.template_save_draft
        template = save(organization=self.organization, user=request.user, **fields)
        return _answer(self.organization, template.pk, 201)


class TemplateItem(OrgView):
    """One template: read it, or change it while it is a draft or sent back for changes."""

    serializer_class = TemplateDetail

    @extend_schema(
        operation_id="templates_retrieve", tags=TAGS, summary="A template, its filings, decisions and timeline",
        parameters=[ID_PARAMETER], responses={200: TemplateDetail},
        examples=[OpenApiExample("Approved", response_only=True, value=DETAIL_EXAMPLE)],
    )  # fmt: skip
    def get(self, request, template_id):
        template = selectors.template_get(organization=self.organization, template_id=template_id)
        return Response(TemplateDetail(_detail(template)).data, headers={"ETag": etag_of(template)})

    @extend_schema(
        operation_id="templates_update", tags=TAGS, summary="Change a draft or one sent back (and submit it)",
        parameters=[ID_PARAMETER, IF_MATCH], request=TemplateUpdate, responses={200: TemplateDetail},
        examples=[
            OpenApiExample("Fix the text", request_only=True, value={"text": "您的订单${order}已发货。"}),
            OpenApiExample("Changed", response_only=True,
                           value={**DETAIL_EXAMPLE, "status": "draft", "status_label": "草稿", "status_text": "草稿",
                                  "carriers": [], "filings": [], "can_edit": True, "can_withdraw": True,
                                  "can_resubmit": False}),
        ],
    )  # fmt: skip
    def patch(self, request, template_id):
        template = selectors.template_get(organization=self.organization, template_id=template_id)
        check_if_match(request, template)
        given = TemplateUpdate(data=request.data)
        given.is_valid(raise_exception=True)
        return _save(request, template, given.validated_data, submit=given.validated_data["submit"])


def _save(request, template, changes: dict, *, submit: bool) -> Response:
    """template_update with the stored values changed by ``changes``, read by the portal's form."""
    if template.status not in services.EDITABLE_STATES:
        raise Problem("conflict", _("Only a draft or a template sent back for changes can be changed; this one is "
                                    "“%(state)s”.") % {"state": _state(template.status)})  # fmt: skip
    stored = {"signature": template.signature_id, "kind": template.kind, "name": template.name,
              "text": template.text}  # fmt: skip
    fields = _form(template.organization, {**stored, **{k: v for k, v in changes.items() if k in stored}},
                   template=template)  # fmt: skip
    services.template_update(template=template, user=request.user, submit=submit, **fields)
    return _answer(template.organization, template.pk)


class TemplateWithdraw(OrgView):
    """Withdraw a template the platform has not decided yet (a draft too)."""

    serializer_class = TemplateDetail

    @extend_schema(
        operation_id="templates_withdraw", tags=TAGS, summary="Withdraw a template",
        parameters=[ID_PARAMETER, IF_MATCH],
        request=None, responses={200: TemplateDetail},
        examples=[OpenApiExample("Withdrawn", response_only=True,
                                 value={**DETAIL_EXAMPLE, "status": "withdrawn", "status_label": "已撤回",
                                        "status_text": "已撤回", "carriers": [], "filings": [],
                                        "can_resubmit": False})],
    )  # fmt: skip
    def post(self, request, template_id):
        template = selectors.template_get(organization=self.organization, template_id=template_id)
        check_if_match(request, template)
        if not states.can_withdraw(template.status):
            raise Problem("conflict", _("Only a template the platform has not decided yet can be withdrawn; this one "
                                        "is “%(state)s”.") % {"state": _state(template.status)})  # fmt: skip
        try:
            services.template_withdraw(template=template, actor=request.user)
        except services.TransitionRefused as refused:
            raise Problem("conflict", str(refused)) from refused
        return _answer(self.organization, template.pk)


class TemplateResubmit(OrgView):
    """A template sent back for changes is submitted again (its text and kind changed if given); an approved one
    gets a new version with them, reviewed again while the approved one stays in use (201, the new version)."""

    serializer_class = TemplateResubmitInput

    @extend_schema(
        operation_id="templates_resubmit", tags=TAGS, summary="Resubmit a template, or revise an approved one",
        parameters=[ID_PARAMETER, IF_MATCH, common.IDEMPOTENCY_KEY],
        request=TemplateResubmitInput, responses={200: TemplateDetail, 201: TemplateDetail},
        examples=[
            OpenApiExample("A new version", request_only=True, value={"text": "您的订单${order}已发货，请查收。"}),
            OpenApiExample("Resubmitted", response_only=True,
                           value={**DETAIL_EXAMPLE, "status": "submitted", "status_label": "已提交",
                                  "status_text": "已提交", "carriers": [], "filings": [], "can_withdraw": True,
                                  "can_resubmit": False}),
            OpenApiExample("Version 2", response_only=True, status_codes=["201"],
                           value={**DETAIL_EXAMPLE, "id": 8, "version": 2, "previous": 7, "status": "submitted",
                                  "status_label": "已提交", "status_text": "已提交", "carriers": [], "filings": [],
                                  "can_withdraw": True, "can_resubmit": False}),
        ],
    )  # fmt: skip
    @idempotent
    def post(self, request, template_id):
        template = selectors.template_get(organization=self.organization, template_id=template_id)
        check_if_match(request, template)
        given = TemplateResubmitInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if template.status == states.CHANGES_REQUESTED:
            return _save(request, template, data, submit=True)
        if template.status in services.LIVE_VERSIONS:
            revision = services.template_revise(template=template, user=request.user,
                                                kind=data.get("kind", template.kind),
                                                text=data.get("text", template.text))  # fmt: skip
            return _answer(self.organization, revision.pk, 201)
        message = _("Only a template sent back for changes is resubmitted, and only an approved one revised; this "
                    "one is “%(state)s”.")  # fmt: skip
        raise Problem("conflict", message % {"state": _state(template.status)})


urlpatterns = [
    path("templates/", TemplateList.as_view(), name="templates-list"),
    path("templates/check/", TemplateCheck.as_view(), name="templates-check"),
    path("templates/<int:template_id>/", TemplateItem.as_view(), name="templates-detail"),
    path("templates/<int:template_id>/withdraw/", TemplateWithdraw.as_view(), name="templates-withdraw"),
    path("templates/<int:template_id>/resubmit/", TemplateResubmit.as_view(), name="templates-resubmit"),
]
