"""Entities (主体), the evidence a signature may rest on, and their documents.

Files never have a public URL: they live in the private storage under random names and
go out through permission-checked views (qualifications/views.py) that log every access.
"""

import functools
import uuid

import idna
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from accounts.validators import validate_single_line
from compliance import qualification as rules
from compliance.industries import INDUSTRIES
from filing_portal.workflow import ApplicationStatus, Reviewed, StatusEvent


class Entity(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = rules.ENTERPRISE, _("Enterprise")
        PUBLIC_INSTITUTION = rules.PUBLIC_INSTITUTION, _("Public institution")
        SOCIAL_ORGANIZATION = rules.SOCIAL_ORGANIZATION, _("Social organization / non-profit")
        INDIVIDUAL_BUSINESS = rules.INDIVIDUAL_BUSINESS, _("Individual business")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card (incl. HK/Macao/Taiwan residence permits)")
        HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
        TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
        PASSPORT = "passport", _("Passport")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="entities", verbose_name=_("organization")
    )
    name = models.CharField(
        _("full registered name"), max_length=200, validators=[validate_single_line],
        help_text=_("Exactly as on the business licence."),
    )  # fmt: skip
    kind = models.CharField(_("entity type"), max_length=32, choices=Kind.choices, default=Kind.ENTERPRISE)
    mainland = models.BooleanField(_("mainland China entity"), default=True)
    uscc = models.CharField(_("unified social credit code (USCC)"), max_length=18, unique=True)
    licence_valid_from = models.DateField(_("licence valid from"), null=True, blank=True)
    licence_valid_until = models.DateField(
        _("licence valid until"), null=True, blank=True, help_text=_("Leave empty if valid long-term.")
    )
    industry = models.CharField(
        _("industry"),
        max_length=32,
        choices=[(i.code, f"{i.name_zh} / {i.name_en}") for i in INDUSTRIES],
        default="internet",
    )
    legal_rep_name = models.CharField(_("legal representative"), max_length=100, validators=[validate_single_line])
    legal_rep_id_type = models.CharField(
        _("legal representative's ID type"), max_length=32, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    legal_rep_id_number = models.CharField(_("legal representative's ID number"), max_length=32)
    legal_rep_id_valid_until = models.DateField(
        _("legal representative's ID valid until"), null=True, blank=True,
        help_text=_("Leave empty if valid long-term."),
    )  # fmt: skip
    uses_agent = models.BooleanField(
        _("file through an agent"), default=False,
        help_text=_("Public institutions and non-profits may file with an agent's ID instead of the legal rep's."),
    )  # fmt: skip
    agent_name = models.CharField(_("agent"), max_length=100, blank=True, validators=[validate_single_line])
    agent_id_type = models.CharField(
        _("agent's ID type"), max_length=32, choices=IdType.choices, default=IdType.RESIDENT_ID, blank=True
    )
    agent_id_number = models.CharField(_("agent's ID number"), max_length=32, blank=True)
    agent_id_valid_until = models.DateField(
        _("agent's ID valid until"), null=True, blank=True, help_text=_("Leave empty if valid long-term.")
    )
    # The organization itself (one an organization): any other entity it registers is a partner, whose
    # name a signature may carry only with that entity's authorization (compliance.evidence).
    is_own = models.BooleanField(
        _("the organization's own entity"), default=False,
        help_text=_("The organization itself. Any other entity is a partner: signatures in its name need its "
                    "authorization letter."),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    closed_at = models.DateTimeField(_("closed or rejected at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "name"], name="entity_org_name_idx")]
        constraints = [
            models.UniqueConstraint(fields=["organization"], condition=Q(is_own=True), name="entity_one_own")
        ]

    def __str__(self):
        return self.name


class EntityShare(models.Model):
    """Another customer account may file for this entity too (a group with several accounts).
    It sees the entity and its checklist and may apply for signatures; it cannot change the entity
    or see its documents, which stay with the organization that registered it."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="shares")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="shared_entities")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("entity share")
        verbose_name_plural = _("entity shares")
        constraints = [models.UniqueConstraint(fields=["entity", "organization"], name="entity_share_unique")]

    def __str__(self):
        return f"{self.entity} ⇄ {self.organization}"


class Trademark(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="trademarks", verbose_name=_("entity"))
    name = models.CharField(_("trademark"), max_length=100, validators=[validate_single_line])
    registration_number = models.CharField(_("registration number"), max_length=32)
    owner_name = models.CharField(_("owner"), max_length=200, validators=[validate_single_line])
    nice_class = models.PositiveSmallIntegerField(_("class"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("trademark")
        verbose_name_plural = _("trademarks")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.registration_number})"


class IcpApp(models.Model):
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="apps", verbose_name=_("entity"))
    name = models.CharField(_("app name"), max_length=100, validators=[validate_single_line])
    icp_number = models.CharField(_("ICP filing number"), max_length=64)
    filing_subject = models.CharField(_("ICP filing subject"), max_length=200, validators=[validate_single_line])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ICP-filed app")
        verbose_name_plural = _("ICP-filed apps")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OwnedAddress(models.Model):
    """A domain or IP address the entity owns: templates may carry only these (Telecom, 2025-05-30)."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("Domain")
        IP = "ip", _("IP address")

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("entity"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DOMAIN)
    value = models.CharField(_("domain or IP address"), max_length=253)
    icp_number = models.CharField(_("ICP filing number"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("owned domain or IP")
        verbose_name_plural = _("owned domains and IPs")
        constraints = [models.UniqueConstraint(fields=["entity", "value"], name="owned_address_unique")]

    def __str__(self):
        return self.value

    @property
    def display_value(self) -> str:
        """The address as people write it: Chinese domains shown in Chinese, not punycode."""
        return address_display(self.value, self.kind)


@functools.lru_cache(maxsize=4096)  # the entity page writes each of its addresses at every request
def address_display(value: str, kind: str) -> str:
    """An owned address as people write it (OwnedAddress.display_value), from its plain values."""
    try:
        return idna.decode(value) if kind == OwnedAddress.Kind.DOMAIN else value
    except (idna.IDNAError, UnicodeError):
        return value


class PartnerAuthorization(models.Model):
    """A partner lets this customer send under the partner's name (授权委托书)."""

    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="partner_authorizations", verbose_name=_("entity")
    )
    partner = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="authorizations_given", verbose_name=_("authorizing partner")
    )
    signatures = models.CharField(_("signatures covered"), max_length=500, help_text=_("Separated by commas."))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner authorization")
        verbose_name_plural = _("partner authorizations")

    def __str__(self):
        return f"{self.partner} → {self.entity}"


def _private_name(instance, filename):
    # Random names only: nothing about the person or the entity is in a path.
    return f"documents/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class Document(models.Model):
    class Kind(models.TextChoices):
        ENTITY_CERTIFICATE = rules.ENTITY_CERTIFICATE, _("Entity certificate")
        INDUSTRY_PERMIT = rules.INDUSTRY_PERMIT, _("Industry permit")
        LEGAL_REP_ID_FRONT = rules.LEGAL_REP_ID_FRONT, _("Legal representative's ID, photo side")
        LEGAL_REP_ID_BACK = rules.LEGAL_REP_ID_BACK, _("Legal representative's ID, emblem side")
        AGENT_ID_FRONT = rules.AGENT_ID_FRONT, _("Agent's ID, photo side")
        AGENT_ID_BACK = rules.AGENT_ID_BACK, _("Agent's ID, emblem side")
        AGENT_AUTHORIZATION = rules.AGENT_AUTHORIZATION, _("Agent's authorization letter")
        TRADEMARK_CERTIFICATE = "trademark_certificate", _("Trademark certificate")
        APP_EVIDENCE = "app_evidence", _("ICP filing screenshot of an app")
        ADDRESS_EVIDENCE = "address_evidence", _("ICP filing evidence of a domain or IP")
        PARTNER_LETTER = "partner_letter", _("Partner's authorization letter")

    class ReviewState(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class ThumbnailState(models.TextChoices):
        PENDING = "pending", _("Being made")
        MAKING = "making", _("Being made")
        READY = "ready", _("Ready")
        NONE = "none", _("No preview")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document type"), max_length=32, choices=Kind.choices)
    # What the document belongs to, for evidence of a trademark, app, address or partner letter.
    # SET_NULL: removing evidence leaves its documents as tombstones, with their access log.
    trademark = models.ForeignKey(Trademark, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    app = models.ForeignKey(IcpApp, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents")
    address = models.ForeignKey(
        OwnedAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    partner_authorization = models.ForeignKey(
        PartnerAuthorization, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    content_type = models.CharField(_("file type"), max_length=32)
    # The file customers and reviewers see: re-encoded without metadata; ID images watermarked.
    file = models.FileField(upload_to=_private_name, max_length=200, blank=True)
    # ID images only: the re-encoded original without the watermark, AES-GCM encrypted.
    original = models.FileField(upload_to=_private_name, max_length=200, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    thumbnail = models.FileField(upload_to=_private_name, max_length=200, blank=True)
    thumbnail_state = models.CharField(max_length=16, choices=ThumbnailState.choices, default=ThumbnailState.PENDING)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    original_filename = models.CharField(max_length=200, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_current = models.BooleanField(_("current"), default=True)
    review_state = models.CharField(
        _("review"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    review_note = models.TextField(_("review note"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)
    # Tombstone: the files are gone (retention or withdrawn consent); the row says when and why.
    purge_after = models.DateTimeField(_("to be deleted from"), null=True, blank=True)
    purged_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    purge_reason = models.CharField(_("why deleted"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["entity", "kind", "-uploaded_at"]
        constraints = [
            # One current document per kind for the package itself; evidence may have many.
            models.UniqueConstraint(
                fields=["entity", "kind"],
                condition=Q(
                    is_current=True,
                    trademark__isnull=True,
                    app__isnull=True,
                    address__isnull=True,
                    partner_authorization__isnull=True,
                ),
                name="document_one_current_per_kind",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["purge_after"], name="document_purge_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.entity}"

    @property
    def is_id_image(self) -> bool:
        return self.kind in rules.ID_IMAGE_KINDS

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"


class AccessLogQuerySet(models.QuerySet):
    """An access log (who saw a document or a full ID number) is written once and then only read: no bulk change,
    no bulk delete. Its rows go only with what they are about (the document, the entity: a cascade), and a deleted
    user's rows keep everything but the user. The database refuses a change too (migration 0009)."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are never changed")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are never deleted")


class AccessLog(models.Model):
    objects = AccessLogQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are never deleted")


class DocumentAccess(AccessLog):
    """Who looked at which document, when and from where. Written by every file view."""

    class Variant(models.TextChoices):
        FILE = "file", _("File")
        THUMBNAIL = "thumbnail", _("Thumbnail")
        ORIGINAL = "original", _("Unwatermarked original")

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("document")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    variant = models.CharField(_("what was viewed"), max_length=16, choices=Variant.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("document access")
        verbose_name_plural = _("document accesses")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} · {self.variant} · {self.at:%Y-%m-%d %H:%M}"


class IdNumberReveal(AccessLog):
    """Who saw a full ID number, whose, when and from where: everywhere else it is masked, and a
    reviewer reveals it only on the review page, one number at a time (qualifications.services)."""

    class Person(models.TextChoices):
        LEGAL_REP = "legal_rep", _("Legal representative")
        AGENT = "agent", _("Agent")

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="id_reveals", verbose_name=_("entity"))
    person = models.CharField(_("whose number"), max_length=16, choices=Person.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    class Meta:
        verbose_name = _("ID number revealed")
        verbose_name_plural = _("ID numbers revealed")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} · {self.entity} · {self.person} · {self.at:%Y-%m-%d %H:%M}"


class IdImageConsent(models.Model):
    """Separate consent to process ID images (PIPL arts. 29-30), per entity and uploader."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="consents", verbose_name=_("entity"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    notice_version = models.CharField(_("notice version"), max_length=32)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    class Meta:
        verbose_name = _("ID image consent")
        verbose_name_plural = _("ID image consents")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity"], condition=Q(withdrawn_at__isnull=True), name="consent_one_active_per_entity"
            )
        ]

    def __str__(self):
        return f"{self.entity} · {self.notice_version} · {self.user}"


class PackageReview(Reviewed):
    """The platform's review of an entity's qualification package, one per entity: submitted by the
    customer once the package is complete, reviewed through the same workflow as signatures and
    templates (filing_portal.workflow, compliance/transitions.py)."""

    Status = ApplicationStatus

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="package_review",
                                  verbose_name=_("entity"))  # fmt: skip
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="package_reviews",
                                     verbose_name=_("organization"))  # fmt: skip
    status = models.CharField(_("status"), max_length=32, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("qualification package review")
        verbose_name_plural = _("qualification package reviews")
        indexes = [models.Index(fields=["status", "submitted_at"], name="package_review_queue_idx")]

    def __str__(self):
        return f"{self.entity} · {self.get_status_display()}"


class PackageEvent(StatusEvent):
    review = models.ForeignKey(PackageReview, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEvent.Meta):
        verbose_name = _("package review event")
        verbose_name_plural = _("package review events")

    def __str__(self):
        return f"{self.review} {self.from_status or '∅'} → {self.to_status}"
