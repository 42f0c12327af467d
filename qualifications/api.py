"""The qualifications endpoints of the REST API (docs/api.md): entities (主体), their documents, the consent to
ID card images, and the short-lived signed links that serve a document's file.

Nothing here judges anything itself: an entity is cleaned by the site's own form (``forms.EntityForm``: USCC, ID
numbers, expired IDs, agents) and saved by ``services.entity_create`` / ``entity_update``; a file goes through
``forms.DocumentUploadForm`` and ``services.document_upload`` (the upload path of uploads.py); a file leaves
through ``views.document_response``, the site's one door (permission, access log, watermarked ID images only).
"""

import json
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import permissions, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.base import AddressThrottle, Cursor, OrgView, check_if_match, chinese, idempotent
from api.problems import Problem, django_errors
from api.serializers import ListParameters, Strict
from compliance.industries import INDUSTRIES
from compliance.industries import industry as industry_of
from compliance.qualification import id_document_expired
from compliance.validators import mask_id_number
from filing_portal.workflow import ApplicationStatus

from . import selectors, services, uploads, views
from .consent import notice
from .forms import ID_NUMBER_FIELDS, DocumentUploadForm, EntityForm
from .models import Document, DocumentAccess, Entity

TAG_ENTITIES = "entities"
TAG_DOCUMENTS = "documents"
FIELDS = list(EntityForm.Meta.fields)  # the form's fields, which services.ENTITY_FIELDS saves
INDUSTRY_CODES = [item.code for item in INDUSTRIES]
# An entity created without them gets the model's defaults, as the site's form offers them preselected.
DEFAULTS = {name: Entity._meta.get_field(name).get_default() for name in FIELDS
            if Entity._meta.get_field(name).has_default()}  # fmt: skip
STATES = [*Entity.Status.values, selectors.INCOMPLETE]
EVIDENCE_KINDS = ["trademark", "app", "address", "partner"]
EVIDENCE_COLUMNS = {"trademark": "trademark_id", "app": "app_id", "address": "address_id",
                    "partner": "partner_authorization_id"}  # fmt: skip

LINK_SALT = "qualifications.api.document-link"
LINK_SECONDS = 300  # a signed link works for 5 minutes
LINK_VARIANTS = (DocumentAccess.Variant.FILE, DocumentAccess.Variant.THUMBNAIL)  # never the unwatermarked original


# --- ETags: the foundation's etag_of reads updated_at, which entities and documents do not have ---------------


def _tag(kind: str, values) -> str:
    """A strong validator of the row's values, keyed (an ID number is among them: a plain hash of it could be
    reversed by trying every birth date behind the masked number)."""
    payload = json.dumps([kind, *values], default=str, ensure_ascii=False)
    return f'"{salted_hmac("qualifications.api.etag", payload, algorithm="sha256").hexdigest()[:32]}"'


def entity_etag(entity: Entity) -> str:
    """The entity's own fields (its documents have their own ETags)."""
    values = [entity.pk, entity.organization_id, entity.is_own, entity.status, *(getattr(entity, f) for f in FIELDS)]
    return _tag("entity", values)


def document_etag(document: Document) -> str:
    return _tag("document", [document.pk, document.is_current, document.review_state, document.valid_until,
                             document.thumbnail_state, document.purge_after, document.purged_at])  # fmt: skip


# --- serializers -----------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": [settings.ID_CONSENT_NOTICE_VERSION]})
class NoticeVersionField(serializers.CharField):
    """Any string is read (an older version is refused with its own message); the schema names the current one."""


@extend_schema_field({"type": "boolean", "enum": [True]})
class AgreeField(serializers.BooleanField):
    """Read as a boolean (false is refused with its own message); the schema says consenting is true."""


class NoBlank(Strict):
    """Query parameters and multipart fields: an empty value is refused, not read as "left out" (DRF's reading
    of an HTML form's empty input), so that what the schema does not allow is not accepted."""

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            blank = sorted(name for name, field in self.fields.items()
                           if data.get(name, None) == "" and not getattr(field, "allow_blank", False))  # fmt: skip
            if blank:
                message = _("This field may not be blank.")
                raise serializers.ValidationError({name: [ErrorDetail(message, code="blank")] for name in blank})
        return super().to_internal_value(data)


class EntityIn(Strict):
    """What the site's entity form takes; the form cleans it (USCC and ID checks, agents, dates)."""

    name = serializers.CharField(max_length=200, help_text="The full registered name, exactly as on the licence.")
    kind = serializers.ChoiceField(choices=Entity.Kind.choices, required=False, help_text="Default: enterprise.")
    mainland = serializers.BooleanField(required=False, help_text="A mainland China entity. Default: true.")
    uscc = serializers.CharField(
        max_length=40, help_text="Unified social credit code (18 characters; spaces, dashes, full width are folded)."
    )
    licence_valid_from = serializers.DateField(required=False, allow_null=True)
    licence_valid_until = serializers.DateField(required=False, allow_null=True, help_text="null: long-term.")
    industry = serializers.ChoiceField(choices=INDUSTRY_CODES, required=False, help_text="Default: internet.")
    legal_rep_name = serializers.CharField(max_length=100)
    legal_rep_id_type = serializers.ChoiceField(choices=Entity.IdType.choices, required=False)
    legal_rep_id_number = serializers.CharField(
        max_length=32, help_text="Never returned: answers carry it masked. Leave it out of an update to keep it."
    )
    legal_rep_id_valid_until = serializers.DateField(required=False, allow_null=True, help_text="null: long-term.")
    uses_agent = serializers.BooleanField(
        required=False, help_text="File with an agent's ID (public institutions and non-profits only)."
    )
    agent_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    agent_id_type = serializers.ChoiceField(choices=Entity.IdType.choices, required=False, allow_blank=True)
    agent_id_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    agent_id_valid_until = serializers.DateField(required=False, allow_null=True)
    is_own = serializers.BooleanField(
        required=False, allow_null=True,
        help_text="true: your organization itself; false: a partner (its name needs its authorization letter). "
        "Required for the organization's first entity; any later one is a partner.",
    )  # fmt: skip


class EntityFilter(ListParameters):
    status = serializers.ChoiceField(choices=Entity.Status.choices, required=False)


class ChecklistItemOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    name = serializers.CharField(help_text="In the caller's language.")
    satisfied = serializers.BooleanField(help_text="A live document of this kind is on file.")
    rule_ref = serializers.CharField(help_text="The rule that asks for it.")


class EntityOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Entity.Kind.choices)
    kind_label = serializers.CharField()
    mainland = serializers.BooleanField()
    uscc = serializers.CharField()
    licence_valid_from = serializers.DateField(allow_null=True)
    licence_valid_until = serializers.DateField(allow_null=True)
    industry = serializers.ChoiceField(choices=INDUSTRY_CODES)
    industry_name = serializers.CharField()
    legal_rep_name = serializers.CharField()
    legal_rep_id_type = serializers.ChoiceField(choices=Entity.IdType.choices)
    legal_rep_id_number_masked = serializers.CharField(help_text="e.g. 110105********002X; never the full number.")
    legal_rep_id_valid_until = serializers.DateField(allow_null=True)
    legal_rep_id_expired = serializers.BooleanField()
    uses_agent = serializers.BooleanField()
    agent_name = serializers.CharField(allow_blank=True)
    agent_id_type = serializers.ChoiceField(choices=Entity.IdType.choices, allow_blank=True)
    agent_id_number_masked = serializers.CharField(allow_blank=True)
    agent_id_valid_until = serializers.DateField(allow_null=True)
    agent_id_expired = serializers.BooleanField()
    is_own = serializers.BooleanField(help_text="Your organization itself; otherwise a partner.")
    is_shared = serializers.BooleanField(help_text="Another organization's, shared with yours: read-only.")
    status = serializers.ChoiceField(choices=Entity.Status.choices, help_text="As stored (the list filters on it).")
    state = serializers.ChoiceField(
        choices=STATES, help_text="What its badge shows: `incomplete` for an active entity missing documents."
    )
    state_label = serializers.CharField()
    package_complete = serializers.BooleanField()
    checklist = ChecklistItemOut(many=True, help_text="The documents its package needs, each present or missing.")
    package_review_status = serializers.ChoiceField(
        choices=ApplicationStatus.values, allow_null=True, help_text="The platform's review; null before it was sent."
    )
    id_image_consent_at = serializers.DateTimeField(
        allow_null=True, help_text="When the active consent to ID card images was given; null without one."
    )
    created_at = serializers.DateTimeField()


class DocumentOut(serializers.Serializer):
    id = serializers.UUIDField()
    entity = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    kind_label = serializers.CharField()
    filename = serializers.CharField(allow_blank=True, help_text="The name it was uploaded under.")
    content_type = serializers.ChoiceField(choices=["image/jpeg", "image/png", "image/webp", "application/pdf"])
    size = serializers.IntegerField(help_text="Bytes, as stored (re-encoded; ID images watermarked).")
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    pages = serializers.IntegerField(allow_null=True)
    sha256 = serializers.CharField(help_text="Of the file as uploaded.")
    uploaded_at = serializers.DateTimeField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Document.ReviewState.choices, help_text="The platform's review of it.")
    status_label = serializers.CharField()
    is_current = serializers.BooleanField(help_text="false once another file of its kind replaced it.")
    is_id_image = serializers.BooleanField(help_text="ID card images are served watermarked only.")
    thumbnail_ready = serializers.BooleanField()
    evidence_kind = serializers.ChoiceField(choices=EVIDENCE_KINDS, allow_null=True)
    evidence_id = serializers.IntegerField(allow_null=True)


class DocumentDetailOut(DocumentOut):
    download_url = serializers.URLField(
        allow_null=True, help_text="A signed link to the file, for you only, working for 5 minutes (GET it again)."
    )
    thumbnail_url = serializers.URLField(allow_null=True, help_text="The same for its preview; null until made.")
    links_expire_at = serializers.DateTimeField(allow_null=True)


class DocumentUploadIn(NoBlank, Strict):
    """One file for one kind of document (multipart/form-data)."""

    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    file = serializers.FileField(
        help_text="JPEG, PNG or WebP (PDF too for certificates, permits and letters); at most UPLOAD_MAX_BYTES."
    )
    valid_until = serializers.DateField(required=False, help_text="Leave it out when the document has none.")


class ConsentOut(serializers.Serializer):
    active = serializers.BooleanField()
    granted_at = serializers.DateTimeField(allow_null=True)
    notice_version = serializers.CharField(help_text="The version of the notice in force.")
    notice_zh = serializers.CharField(help_text="The notice consented to (Chinese).")
    notice_en = serializers.CharField()


class ConsentWithdrawnOut(ConsentOut):
    id_images_scheduled_for_deletion = serializers.IntegerField(help_text="The ID card images deleted now.")


class ConsentIn(Strict):
    """Consent to the notice on ID card images, of the version read."""

    agree = AgreeField(help_text="true: you read the notice and consent separately.")
    notice_version = NoticeVersionField(max_length=32, help_text="The version you read (GET this URL).")


# --- examples --------------------------------------------------------------------------------------------------

ENTITY_ID = "3f2c9a57-0d1e-4b8a-9c61-2f7e5d4a1b90"
DOCUMENT_ID = "8b1e6c2d-5a4f-4e3b-a9d7-0c6f1e2b3a45"
ENTITY_REQUEST = {
    "name": "甲科技有限公司", "kind": "enterprise", "uscc": "91110000802100433B", "industry": "internet",
    "legal_rep_name": "张三", "legal_rep_id_type": "resident_id", "legal_rep_id_number": "11010519491231002X",
    "legal_rep_id_valid_until": "2036-05-01", "is_own": True,
}  # fmt: skip
ENTITY_EXAMPLE = {
    "id": ENTITY_ID, "name": "甲科技有限公司", "kind": "enterprise", "kind_label": "企业", "mainland": True,
    "uscc": "91110000802100433B", "licence_valid_from": None, "licence_valid_until": None, "industry": "internet",
    "industry_name": "互联网信息服务", "legal_rep_name": "张三", "legal_rep_id_type": "resident_id",
    "legal_rep_id_number_masked": "110105********002X", "legal_rep_id_valid_until": "2036-05-01",
    "legal_rep_id_expired": False, "uses_agent": False, "agent_name": "", "agent_id_type": "",
    "agent_id_number_masked": "", "agent_id_valid_until": None, "agent_id_expired": False, "is_own": True,
    "is_shared": False, "status": "active", "state": "incomplete", "state_label": "资质未齐全",
    "package_complete": False,
    "checklist": [
        {"kind": "entity_certificate", "name": "营业执照", "satisfied": True, "rule_ref": "2025.3.27"},
        {"kind": "legal_rep_id_front", "name": "法定代表人身份证人像面", "satisfied": False, "rule_ref": "2025.3.27"},
        {"kind": "legal_rep_id_back", "name": "法定代表人身份证国徽面", "satisfied": False, "rule_ref": "2025.3.27"},
    ],
    "package_review_status": None, "id_image_consent_at": None, "created_at": "2026-12-01T09:30:00+08:00",
}  # fmt: skip
DOCUMENT_EXAMPLE = {
    "id": DOCUMENT_ID, "entity": ENTITY_ID, "kind": "entity_certificate", "kind_label": "主体证件",
    "filename": "licence.pdf", "content_type": "application/pdf", "size": 182044, "width": None, "height": None,
    "pages": 1, "sha256": "9f2b5c0e8d7a6b4c3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
    "uploaded_at": "2026-12-01T09:42:00+08:00", "valid_until": None, "status": "pending", "status_label": "待审核",
    "is_current": True, "is_id_image": False, "thumbnail_ready": False, "evidence_kind": None, "evidence_id": None,
}  # fmt: skip
DOCUMENT_DETAIL_EXAMPLE = {
    **DOCUMENT_EXAMPLE,
    "download_url": "https://portal.example.cn/api/v1/documents/link/eyJkIjoiOGIxZSJ9:1vQx2a:Zk3.../",
    "thumbnail_url": None,
    "links_expire_at": "2026-12-01T09:47:00+08:00",
}
CONSENT_EXAMPLE = {
    "active": True, "granted_at": "2026-12-01T09:40:00+08:00", "notice_version": "2026-11-v1",
    "notice_zh": "为办理短信签名在中国移动、中国联通、中国电信的实名报备，我们需要处理……",
    "notice_en": "To file your SMS signatures with China Mobile, China Unicom and China Telecom…",
}  # fmt: skip


def _page(results):
    return {"next": "https://portal.example.cn/api/v1/entities/?cursor=cD0yMDI2", "previous": None,
            "results": results}  # fmt: skip


def _example(name, value, *, request=False, status_codes=None):
    options = {"request_only": True} if request else {"response_only": True}
    if status_codes:
        options["status_codes"] = status_codes
    return OpenApiExample(name, value=value, **options)


ENTITY_ID_PARAMETER = OpenApiParameter("entity_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                       examples=[OpenApiExample("An entity", value=ENTITY_ID)])  # fmt: skip
DOCUMENT_ID_PARAMETER = OpenApiParameter("document_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                         examples=[OpenApiExample("A document", value=DOCUMENT_ID)])  # fmt: skip


# --- what an entity reads as ------------------------------------------------------------------------------------


def _entity_data(entity, *, organization, checklist, review_status, chinese: bool) -> dict:
    complete = all(item.satisfied for item in checklist)
    state, state_label = selectors.entity_state(entity, complete=complete)
    industry = industry_of(entity.industry) if entity.industry in INDUSTRY_CODES else None
    return {
        "id": entity.pk, "name": entity.name, "kind": entity.kind, "kind_label": str(Entity.Kind(entity.kind).label),
        "mainland": entity.mainland, "uscc": entity.uscc, "licence_valid_from": entity.licence_valid_from,
        "licence_valid_until": entity.licence_valid_until, "industry": entity.industry,
        "industry_name": (industry.name_zh if chinese else industry.name_en) if industry else entity.industry,
        "legal_rep_name": entity.legal_rep_name, "legal_rep_id_type": entity.legal_rep_id_type,
        "legal_rep_id_number_masked": mask_id_number(entity.legal_rep_id_number),
        "legal_rep_id_valid_until": entity.legal_rep_id_valid_until,
        "legal_rep_id_expired": id_document_expired(entity.legal_rep_id_valid_until),
        "uses_agent": entity.uses_agent, "agent_name": entity.agent_name, "agent_id_type": entity.agent_id_type,
        "agent_id_number_masked": mask_id_number(entity.agent_id_number),
        "agent_id_valid_until": entity.agent_id_valid_until,
        "agent_id_expired": id_document_expired(entity.agent_id_valid_until),
        "is_own": entity.is_own, "is_shared": entity.organization_id != organization.pk, "status": entity.status,
        "state": state, "state_label": state_label, "package_complete": complete,
        "checklist": [{"kind": item.kind, "name": item.name_zh if chinese else item.name_en,
                       "satisfied": item.satisfied, "rule_ref": item.rule_ref} for item in checklist],
        "package_review_status": review_status, "id_image_consent_at": entity.consent_granted_at,
        "created_at": entity.created_at,
    }  # fmt: skip


def _entity_detail(request, organization, entity) -> dict:
    """The entity as its page reads it: the checklist from its live documents (one query, the page's)."""
    current, _files = selectors.entity_page_documents(entity=entity)
    checklist = selectors.package_checklist(entity, present=frozenset(doc.kind for doc in current))
    review = selectors.package_review(entity=entity)
    return EntityOut(_entity_data(entity, organization=organization, checklist=checklist,
                                  review_status=review.status if review else None,
                                  chinese=chinese())).data  # fmt: skip


def _form_data(values: dict) -> dict:
    """Typed values as the site's form reads a submission: dates in ISO 8601, is_own as the radio's choice."""
    data = {}
    for name, value in values.items():
        if name == "is_own":
            value = "" if value is None else ("own" if value else "partner")
        elif value is None:
            value = ""
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = value  # a boolean stays one: the checkbox reads it as it is
    return data


def _cleaned(form, requested: dict, *, own_editable: bool = True) -> dict:
    """The form's cleaned data, or its errors as the API's field errors (each with its code)."""
    errors = {} if form.is_valid() else dict(form.errors.as_data())
    wanted, adding = requested.get("is_own"), form.instance._state.adding
    if wanted is not None and "is_own" not in form.fields and wanted != (False if adding else form.instance.is_own):
        # The form does not ask (the organization has its own entity, or the package is under review): say so
        # rather than drop the value.
        message = (_("Your organization already has its own entity.") if own_editable else
                   _("The package is under review or approved: whose entity it is cannot change now."))  # fmt: skip
        errors["is_own"] = [DjangoValidationError(message, code="is_own_fixed")]
    if errors:
        raise DjangoValidationError(errors)
    return form.cleaned_data


# --- entities -------------------------------------------------------------------------------------------------


class EntityList(OrgView):
    """The organization's entities (its own and those shared with it), and registering a new one."""

    serializer_class = EntityOut
    pagination_class = Cursor.by("-created_at", "-pk")  # newest first (the keys are UUIDs)

    @extend_schema(
        operation_id="entities_list", tags=[TAG_ENTITIES], summary="List entities",
        description="Your organization's entities and those shared with it, each with its checklist; newest "
        "cursor pages. Filter by the stored `status`.",
        parameters=[OpenApiParameter("status", str, enum=Entity.Status.values, required=False,
                                     description="Only entities in this status.")],
        responses=EntityOut(many=True),
        examples=[_example("A page", _page([ENTITY_EXAMPLE]))],
    )  # fmt: skip
    def get(self, request):
        wanted = EntityFilter.read(request)
        entities = selectors.with_consent(selectors.entities_with_package(organization=self.organization))
        if wanted.get("status"):
            entities = entities.filter(status=wanted["status"])
        in_chinese = chinese()
        rows = [
            _entity_data(entity, organization=self.organization, checklist=selectors.package_checklist(entity),
                         review_status=entity.package_review_status, chinese=in_chinese)
            for entity in self.paginate_queryset(entities)
        ]  # fmt: skip
        return self.get_paginated_response(EntityOut(rows, many=True).data)

    @extend_schema(
        operation_id="entities_create", tags=[TAG_ENTITIES], summary="Register an entity",
        description="Validated as the portal's entity form validates it (USCC check character, resident ID "
        "numbers, expired IDs, agents); a USCC registered anywhere on the platform is refused (`uscc_taken`). "
        "Send an Idempotency-Key to retry safely.",
        request=EntityIn, responses={201: EntityOut},
        examples=[_example("A company", ENTITY_REQUEST, request=True),
                  _example("Registered", ENTITY_EXAMPLE, status_codes=["201"])],
    )  # fmt: skip
    @idempotent
    def post(self, request):
        serializer = EntityIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        requested = serializer.validated_data
        form = EntityForm(_form_data({**DEFAULTS, **requested}),
                          own_entity=selectors.own_entity(organization=self.organization))  # fmt: skip
        data = _cleaned(form, requested)
        entity = services.entity_create(organization=self.organization, user=request.user, data=data)
        entity = selectors.entity_get_visible(organization=self.organization, entity_id=entity.pk, consent=True)
        location = request.build_absolute_uri(reverse("api:entities-detail", args=[entity.pk]))
        return Response(_entity_detail(request, self.organization, entity), status=201,
                        headers={"Location": location, "ETag": entity_etag(entity)})  # fmt: skip


class EntityDetail(OrgView):
    serializer_class = EntityOut

    @extend_schema(
        operation_id="entities_retrieve", tags=[TAG_ENTITIES], summary="An entity and its checklist",
        description="Its fields (ID numbers masked), what its package holds and misses, the platform's review of "
        "it. The ETag covers the entity's own fields: send it back in If-Match to update.",
        parameters=[ENTITY_ID_PARAMETER], responses=EntityOut,
        examples=[_example("An entity", ENTITY_EXAMPLE)],
    )  # fmt: skip
    def get(self, request, entity_id):
        entity = selectors.entity_get_visible(organization=self.organization, entity_id=entity_id, consent=True)
        return Response(_entity_detail(request, self.organization, entity), headers={"ETag": entity_etag(entity)})

    @extend_schema(
        operation_id="entities_partial_update", tags=[TAG_ENTITIES], summary="Change an entity",
        description="The fields sent change, through the portal's entity form: an ID number left out is kept, "
        "unless the person's name or ID type changes (then send the new number). Whose entity it is (`is_own`) "
        "cannot change while its package is under review or approved. An entity shared with your organization "
        "is read-only (403). Send If-Match with the ETag you read: a stale one is a 412 and nothing changes.",
        parameters=[ENTITY_ID_PARAMETER], request=EntityIn(partial=True), responses=EntityOut,
        examples=[_example("A new licence date", {"licence_valid_until": "2046-05-01"}, request=True),
                  _example("Saved", ENTITY_EXAMPLE)],
    )  # fmt: skip
    def patch(self, request, entity_id):
        entity = selectors.entity_get_visible(organization=self.organization, entity_id=entity_id, consent=True)
        if entity.is_shared:
            raise Problem("permission-denied", _("This entity is shared with your organization: only the "
                                                 "organization that registered it can change it."))  # fmt: skip
        check_if_match(request, entity, etag=entity_etag)
        serializer = EntityIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        requested = serializer.validated_data
        # What the edit page starts from: the values on file, the ID numbers left empty (kept unless typed anew).
        current = {name: getattr(entity, name) for name in FIELDS} | dict.fromkeys(ID_NUMBER_FIELDS, "")
        own = entity if entity.is_own else selectors.own_entity(organization=self.organization)
        editable = services.own_editable(selectors.package_review(entity=entity))
        form = EntityForm(_form_data({**current, **requested}), instance=entity, own_entity=own, own_editable=editable)
        services.entity_update(entity=entity, data=_cleaned(form, requested, own_editable=editable))
        entity = selectors.entity_get_visible(organization=self.organization, entity_id=entity.pk, consent=True)
        return Response(_entity_detail(request, self.organization, entity), headers={"ETag": entity_etag(entity)})


# --- documents ------------------------------------------------------------------------------------------------


def _document_data(document) -> dict:
    evidence = next(((kind, getattr(document, column)) for kind, column in EVIDENCE_COLUMNS.items()
                     if getattr(document, column) is not None), (None, None))  # fmt: skip
    return {
        "id": document.pk, "entity": document.entity_id, "kind": document.kind,
        "kind_label": str(Document.Kind(document.kind).label), "filename": document.original_filename,
        "content_type": document.content_type, "size": document.size, "width": document.width,
        "height": document.height, "pages": document.pages, "sha256": document.sha256,
        "uploaded_at": document.uploaded_at, "valid_until": document.valid_until, "status": document.review_state,
        "status_label": str(Document.ReviewState(document.review_state).label), "is_current": document.is_current,
        "is_id_image": document.is_id_image,
        "thumbnail_ready": document.thumbnail_state == Document.ThumbnailState.READY and bool(document.thumbnail),
        "evidence_kind": evidence[0], "evidence_id": evidence[1],
    }  # fmt: skip


def _link(request, document, variant: str) -> str:
    """A link to one variant of the document for the caller, signed: the door re-checks who they are."""
    token = signing.dumps({"d": str(document.pk), "u": request.user.pk, "v": variant}, salt=LINK_SALT)
    return request.build_absolute_uri(reverse("api:documents-link", args=[token]))


class EntityDocuments(OrgView):
    """An entity's documents: their metadata, and uploading one (multipart)."""

    serializer_class = DocumentOut
    parser_classes = [MultiPartParser]
    pagination_class = Cursor.by("-uploaded_at", "-pk")  # newest first (the keys are UUIDs)

    def max_body(self, request) -> int:
        if request.method == "POST":
            return settings.UPLOAD_MAX_BYTES + 64 * 1024  # the file and the multipart envelope around it
        return super().max_body(request)

    @extend_schema(
        operation_id="entities_documents_list", tags=[TAG_DOCUMENTS], summary="List an entity's documents",
        description="The live documents of the entity's package and evidence: metadata only (GET one for a "
        "signed link to its file). An entity shared with your organization is not yours: its documents are a 404.",
        parameters=[ENTITY_ID_PARAMETER], responses=DocumentOut(many=True),
        examples=[_example("A page", _page([DOCUMENT_EXAMPLE]))],
    )  # fmt: skip
    def get(self, request, entity_id):
        ListParameters.read(request)
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id)
        documents = self.paginate_queryset(selectors.entity_documents(entity=entity))
        return self.get_paginated_response(DocumentOut([_document_data(d) for d in documents], many=True).data)

    @extend_schema(
        operation_id="entities_documents_create", tags=[TAG_DOCUMENTS], summary="Upload a document",
        description="multipart/form-data, through the portal's upload path: the type is read from the bytes, "
        "images are checked (pixels, animation, archives inside) and re-encoded without metadata, PDFs are "
        "checked for scripts, actions and attachments. A refused file is a 400 naming `file` with the reason's "
        "code (`type`, `too_large`, `too_many_pixels`, `damaged`, `active_content`…) and nothing is stored. ID "
        "card images need the entity's consent first (POST …/consent/; else `consent_required`); they are kept "
        "watermarked. The new file replaces the current one of its kind.",
        parameters=[ENTITY_ID_PARAMETER], request={"multipart/form-data": DocumentUploadIn},
        responses={201: DocumentOut},
        examples=[_example("A licence", {"kind": "entity_certificate", "file": "(the file)"}, request=True),
                  _example("Stored", DOCUMENT_EXAMPLE, status_codes=["201"])],
    )  # fmt: skip
    @idempotent
    def post(self, request, entity_id):
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id, consent=True)
        data = request.data  # parsed here: a file past the cap stopped the reading (uploads.CappedUploadHandler)
        if (refused := uploads.cut_short(request._request)) is not None:
            raise DjangoValidationError({"file": DjangoValidationError(refused.message, code=refused.code)})
        serializer = DocumentUploadIn(data=data)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data
        form = DocumentUploadForm(_form_data({"kind": given["kind"], "valid_until": given.get("valid_until")}),
                                  {"file": given["file"]})  # fmt: skip
        if not form.is_valid():
            raise DjangoValidationError(form.errors.as_data())
        try:
            document = services.document_upload(
                entity=entity, user=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"],
                valid_until=form.cleaned_data.get("valid_until"),
            )  # fmt: skip
        except DjangoValidationError as error:
            errors = django_errors(error)
            if any(e["code"] == "consent_required" for e in errors):
                url = request.build_absolute_uri(reverse("api:entities-consent", args=[entity.pk]))
                detail = _("ID card images need the consent to the notice on personal information first: read it "
                           "at %(url)s (GET), then consent there (POST).") % {"url": url}  # fmt: skip
                raise Problem("validation-failed", detail, errors=errors) from None
            raise
        location = request.build_absolute_uri(reverse("api:entities-document", args=[entity.pk, document.pk]))
        return Response(DocumentOut(_document_data(document)).data, status=201,
                        headers={"Location": location, "ETag": document_etag(document)})  # fmt: skip


class EntityDocument(OrgView):
    serializer_class = DocumentDetailOut

    @extend_schema(
        operation_id="entities_documents_retrieve", tags=[TAG_DOCUMENTS], summary="A document, with a link",
        description="Its metadata and signed links to its file and preview, for you, working for 5 minutes: "
        "whoever follows one is checked again as the portal's file door checks (the link names you), the access "
        "is logged, and ID card images come watermarked only.",
        parameters=[ENTITY_ID_PARAMETER, DOCUMENT_ID_PARAMETER], responses=DocumentDetailOut,
        examples=[_example("A document", DOCUMENT_DETAIL_EXAMPLE)],
    )  # fmt: skip
    def get(self, request, entity_id, document_id):
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id)
        document = selectors.entity_document(entity=entity, document_id=document_id)
        data = _document_data(document)
        # The site's door serves the file and the preview to the organization's members (owners or not): so do
        # the links, to whoever reads this (a key acts for the member who made it).
        data["download_url"] = _link(request, document, DocumentAccess.Variant.FILE)
        data["thumbnail_url"] = (_link(request, document, DocumentAccess.Variant.THUMBNAIL)
                                 if data["thumbnail_ready"] else None)  # fmt: skip
        data["links_expire_at"] = timezone.now() + timedelta(seconds=LINK_SECONDS)
        return Response(DocumentDetailOut(data).data, headers={"ETag": document_etag(document)})


class _AnyAccept(BaseContentNegotiation):
    """A link answers with the file whatever the caller accepts (a browser asks for images or pages)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


FILE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class DocumentLink(APIView):
    """A signed link: the token names the document, the person and the variant, for 5 minutes."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [AddressThrottle]
    content_negotiation_class = _AnyAccept

    @extend_schema(
        operation_id="documents_link", tags=[TAG_DOCUMENTS], summary="Follow a signed link", auth=[],
        description="The file behind a `download_url` or `thumbnail_url`, served as the portal serves it "
        "(no-store, nosniff, inline). A link older than 5 minutes, altered, or for someone who may no longer see "
        "the document is a 404.",
        parameters=[OpenApiParameter("token", str, OpenApiParameter.PATH,
                                     examples=[OpenApiExample("A link's token", value="eyJkIjoiOGIxZSJ9:1vQx2a:Zk3")])],
        responses={(200, media): OpenApiResponse(OpenApiTypes.BINARY, description="The file.",
                                                 examples=[_example("The file's bytes", "(binary)")])
                   for media in FILE_TYPES},
    )  # fmt: skip
    def get(self, request, token):
        try:
            payload = signing.loads(token, salt=LINK_SALT, max_age=LINK_SECONDS)
        except signing.BadSignature:  # altered, or expired (SignatureExpired is one)
            raise Http404 from None
        user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
        if user is None or payload.get("v") not in LINK_VARIANTS:
            raise Http404
        return views.document_response(request, user=user, document_id=payload.get("d"), variant=payload["v"])


# --- consent to ID card images ------------------------------------------------------------------------------


def _consent_data(entity, consent) -> dict:
    text = notice()
    return {"active": consent is not None, "granted_at": consent.granted_at if consent else None,
            "notice_version": text["version"], "notice_zh": text["zh"], "notice_en": text["en"]}  # fmt: skip


class EntityConsent(OrgView):
    """The separate consent to processing the entity's ID card images (PIPL arts. 29-30), as the portal asks it."""

    serializer_class = ConsentOut

    @extend_schema(
        operation_id="entities_consent_retrieve", tags=[TAG_DOCUMENTS], summary="The ID image notice and consent",
        description="The notice to read before uploading ID card images, and whether the entity's consent is "
        "active.",
        parameters=[ENTITY_ID_PARAMETER], responses=ConsentOut,
        examples=[_example("Given", CONSENT_EXAMPLE)],
    )  # fmt: skip
    def get(self, request, entity_id):
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id)
        return Response(ConsentOut(_consent_data(entity, services.consent_active(entity=entity))).data)

    @extend_schema(
        operation_id="entities_consent_create", tags=[TAG_DOCUMENTS], summary="Consent to the ID image notice",
        description="Consent, separately, to the notice of the version you read (a changed notice needs reading "
        "again: `notice_changed`). 201 when given now, 200 when it was already active.",
        parameters=[ENTITY_ID_PARAMETER], request=ConsentIn, responses={201: ConsentOut, 200: ConsentOut},
        examples=[_example("I agree", {"agree": True, "notice_version": "2026-11-v1"}, request=True),
                  _example("Given", CONSENT_EXAMPLE, status_codes=["201", "200"])],
    )  # fmt: skip
    @idempotent
    def post(self, request, entity_id):
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id)
        serializer = ConsentIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        errors = {}
        if not serializer.validated_data["agree"]:
            errors["agree"] = DjangoValidationError(_("Set agree to true to consent."), code="required")
        if serializer.validated_data["notice_version"] != settings.ID_CONSENT_NOTICE_VERSION:
            message = _("The notice is now version %(version)s: read it (GET this URL) and consent to that one.")
            errors["notice_version"] = DjangoValidationError(message % {"version": settings.ID_CONSENT_NOTICE_VERSION},
                                                             code="notice_changed")  # fmt: skip
        if errors:
            raise DjangoValidationError(errors)
        consent = services.consent_active(entity=entity)
        created = consent is None
        if created:
            consent = services.consent_grant(entity=entity, user=request.user,
                                             ip_address=services.client_address(request))  # fmt: skip
        location = request.build_absolute_uri(reverse("api:entities-consent", args=[entity.pk]))
        return Response(ConsentOut(_consent_data(entity, consent)).data, status=201 if created else 200,
                        headers={"Location": location, "ETag": _tag("consent", [consent.pk])})  # fmt: skip


class EntityConsentWithdraw(OrgView):
    """Withdrawing the consent, as the portal's button does (POST, as there: the notice itself stays readable)."""

    serializer_class = ConsentWithdrawnOut

    @extend_schema(
        operation_id="entities_consent_withdraw", tags=[TAG_DOCUMENTS], summary="Withdraw the consent",
        description="The entity's ID card images stop being served at once and are deleted by the next purge; "
        "uploading new ones needs a new consent.",
        parameters=[ENTITY_ID_PARAMETER], request=None, responses={200: ConsentWithdrawnOut},
        examples=[_example("Withdrawn", {**CONSENT_EXAMPLE, "active": False, "granted_at": None,
                                         "id_images_scheduled_for_deletion": 2})],
    )  # fmt: skip
    def post(self, request, entity_id):
        entity = selectors.entity_get(organization=self.organization, entity_id=entity_id)
        scheduled = services.consent_withdraw(entity=entity)
        data = _consent_data(entity, None) | {"id_images_scheduled_for_deletion": scheduled}
        return Response(ConsentWithdrawnOut(data).data)


urlpatterns = [
    path("entities/", EntityList.as_view(), name="entities-list"),
    path("entities/<uuid:entity_id>/", EntityDetail.as_view(), name="entities-detail"),
    path("entities/<uuid:entity_id>/documents/", EntityDocuments.as_view(), name="entities-documents"),
    path(
        "entities/<uuid:entity_id>/documents/<uuid:document_id>/", EntityDocument.as_view(), name="entities-document"
    ),  # fmt: skip
    path("entities/<uuid:entity_id>/consent/", EntityConsent.as_view(), name="entities-consent"),
    path(
        "entities/<uuid:entity_id>/consent/withdraw/", EntityConsentWithdraw.as_view(), name="entities-consent-withdraw"
    ),  # fmt: skip
    path("documents/link/<str:token>/", DocumentLink.as_view(), name="documents-link"),
]
