"""Every write about entities and their documents: one transaction each.

Files are judged and cleaned (qualifications/uploads.py) before anything is stored; the
storage writes happen inside the transaction and are undone if it fails, so an action
either leaves a complete row with its files or nothing.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import qualification as rules
from filing_portal.choices import forget_organization_rows

from . import crypto, uploads
from .models import (
    Document,
    DocumentAccess,
    Entity,
    EntityShare,
    IcpApp,
    IdImageConsent,
    IdNumberReveal,
    OwnedAddress,
    PackageReview,
    PartnerAuthorization,
    Trademark,
)

logger = logging.getLogger(__name__)

ENTITY_FIELDS = [
    "name", "kind", "mainland", "uscc", "licence_valid_from", "licence_valid_until", "industry",
    "legal_rep_name", "legal_rep_id_type", "legal_rep_id_number", "legal_rep_id_valid_until",
    "uses_agent", "agent_name", "agent_id_type", "agent_id_number", "agent_id_valid_until",
]  # fmt: skip

# Which files each document kind takes.
PDF_ALLOWED = frozenset(
    {
        Document.Kind.ENTITY_CERTIFICATE, Document.Kind.INDUSTRY_PERMIT, Document.Kind.AGENT_AUTHORIZATION,
        Document.Kind.PARTNER_LETTER, Document.Kind.TRADEMARK_CERTIFICATE,
    }
)  # fmt: skip


def _uscc_taken_error(entity_uscc: str, organization) -> ValidationError:
    if Entity.objects.filter(uscc=entity_uscc, organization=organization).exists():
        message = _("This entity is already registered in your organization.")
    else:
        message = uscc_taken_message(organization)
    return ValidationError({"uscc": ValidationError(message, code="uscc_taken")})


def uscc_taken_message(organization) -> str:
    """The entity is another customer account's: whom to ask, named where the organization has an
    account manager (accounts.services assigns one to every new organization)."""
    manager = organization.account_manager if organization.account_manager_id else None
    if manager is None:
        return _(
            "Another customer account has already registered the entity with this USCC. If it is yours, "
            "ask your account manager to transfer it to your organization or share it."
        )
    return _(
        "Another customer account has already registered the entity with this USCC. If it is yours, "
        "ask your account manager, %(manager)s (%(email)s), to transfer it to your organization or share it."
    ) % {"manager": manager.get_full_name(), "email": manager.email}


def entity_create(*, organization, user, data: dict) -> Entity:
    entity = Entity(organization=organization, created_by=user, **{f: data[f] for f in ENTITY_FIELDS if f in data})
    # The organization's first entity is itself, unless the customer says otherwise; any other is a
    # partner unless named its own (one only: the database holds it). The reviewer confirms it.
    has_own = Entity.objects.filter(organization=organization, is_own=True).exists()
    entity.is_own = bool(data.get("is_own", not has_own)) and not has_own
    if Entity.objects.filter(uscc=entity.uscc).exists():
        raise _uscc_taken_error(entity.uscc, organization)
    try:
        with transaction.atomic():
            entity.save()
    except IntegrityError as exc:  # the same USCC, or the organization's own entity, registered a moment ago
        if entity.is_own and Entity.objects.filter(organization=organization, is_own=True).exists():
            raise ValidationError({"is_own": _("Your organization's own entity was registered a moment ago: "
                                               "register this one as a partner.")}) from exc  # fmt: skip
        raise _uscc_taken_error(entity.uscc, organization) from exc
    return entity


AGENT_ID_IMAGE_KINDS = frozenset({rules.AGENT_ID_FRONT, rules.AGENT_ID_BACK})


def own_editable(review) -> bool:
    """Whose an entity is may change until its package is under the platform's review or approved."""
    from compliance import transitions as t

    return review is None or review.status in (*t.EDITABLE_STATES, t.REJECTED, t.WITHDRAWN)


def entity_update(*, entity: Entity, data: dict) -> Entity:
    """Save the entity. Filing through an agent turned off, the agent's ID images are scheduled for
    deletion at once, as on a withdrawn consent: nobody needs them any more (PIPL art. 47)."""
    for field in ENTITY_FIELDS:
        if field in data:
            setattr(entity, field, data[field])
    if data.get("is_own") is not None:
        if not own_editable(PackageReview.objects.filter(entity=entity).first()):
            raise ValidationError({"is_own": _("The package is under review or approved: whose entity it is "
                                               "cannot change now.")})  # fmt: skip
        if (
            data["is_own"]
            and Entity.objects.filter(organization=entity.organization, is_own=True).exclude(pk=entity.pk).exists()
        ):
            raise ValidationError({"is_own": _("Your organization already has its own entity.")})
        entity.is_own = bool(data["is_own"])
    if Entity.objects.filter(uscc=entity.uscc).exclude(pk=entity.pk).exists():
        raise _uscc_taken_error(entity.uscc, entity.organization)
    try:
        with transaction.atomic():
            entity.save()
            _evidence_changed(entity.pk)
            if not entity.uses_agent:
                scheduled = Document.objects.filter(
                    entity=entity, kind__in=AGENT_ID_IMAGE_KINDS, purged_at__isnull=True, purge_after__isnull=True
                ).update(purge_after=timezone.now(), purge_reason="agent_removed")
                if scheduled:
                    from .tasks import purge_id_images

                    transaction.on_commit(lambda: purge_id_images.delay(), robust=True)
    except IntegrityError as exc:
        raise _uscc_taken_error(entity.uscc, entity.organization) from exc
    return entity


def entity_set_status(*, entity: Entity, status: str) -> None:
    closed_at = timezone.now() if status in (Entity.Status.CLOSED, Entity.Status.REJECTED) else None
    Entity.objects.filter(pk=entity.pk).update(status=status, closed_at=closed_at)
    forget_organization_rows()  # an UPDATE sends no signal: the forms' kept options (apps.py)


def entity_transfer(*, entity: Entity, organization) -> None:
    """An account manager moves an entity (and its documents) to the organization that owns it.

    The ID images were consented to by the previous customer, for their filing: the consent is
    withdrawn and the images scheduled for deletion; the new owner uploads and consents anew.
    """
    with transaction.atomic():
        # It becomes the new organization's own only if that one has none yet; its review follows it.
        own = not Entity.objects.filter(organization=organization, is_own=True).exists()
        Entity.objects.filter(pk=entity.pk).update(organization=organization, is_own=own)
        PackageReview.objects.filter(entity=entity).update(organization=organization)
        forget_organization_rows()  # as entity_set_status
        consent_withdraw(entity=entity)


def entity_share(*, entity: Entity, organization, actor) -> EntityShare:
    """An account manager lets another of their customers file for this entity too."""
    if organization.pk == entity.organization_id:
        raise ValidationError(_("The entity already belongs to this organization."))
    share, _created = EntityShare.objects.get_or_create(entity=entity, organization=organization,
                                                        defaults={"granted_by": actor})  # fmt: skip
    return share


def entity_checklist(*, entity: Entity) -> list[rules.Requirement]:
    # A document scheduled for deletion (consent withdrawn) no longer counts.
    live = entity.documents.filter(is_current=True, purged_at__isnull=True, purge_after__isnull=True)
    present = frozenset(live.values_list("kind", flat=True))
    return rules.checklist(
        entity_kind=entity.kind, industry_code=entity.industry, uses_agent=entity.uses_agent, present=present
    )


# --- the package's review ----------------------------------------------------------------


def _evidence_changed(entity_id) -> None:
    """The entity's evidence changed, inside the caller's transaction: what waits for a review of it
    is marked changed (a reviewer who opened it before cannot decide on what they did not see:
    review.services.decide compares ``updated_at``), and, after commit, the live applications resting
    on it learn what broke (review.blockers)."""
    from compliance import transitions as t
    from review.blockers import entity_changed
    from signatures.models import Signature

    forget_organization_rows()  # the kept options and live-check entities (an UPDATE sends no signal)
    now, queued = timezone.now(), sorted(t.QUEUED_STATES)
    PackageReview.objects.filter(entity_id=entity_id, status__in=queued).update(updated_at=now)
    Signature.objects.filter(status__in=queued).filter(
        Q(entity_id=entity_id) | Q(partner_authorization__partner_id=entity_id)
    ).update(updated_at=now)
    entity_changed(entity_id)


def package_submit(*, entity: Entity, user) -> PackageReview:
    """Send the entity's package to the platform's review, once it is complete: the first time it is
    created and submitted, after changes requested it is submitted again. One transaction."""
    from compliance import transitions as t
    from filing_portal import workflow

    if not all(item.satisfied for item in entity_checklist(entity=entity)):
        raise ValidationError(_("Upload every document the checklist asks for before sending the package for review."))
    from review.blockers import entity_changed

    with transaction.atomic():
        Entity.objects.select_for_update().filter(pk=entity.pk).first()  # two first submissions at once: one waits
        review = PackageReview.objects.filter(entity=entity).first()
        entity_changed(entity.pk)  # its blockers as they are now, once committed (an expired ID stays one)
        if review is None:
            now = timezone.now()
            review = PackageReview.objects.create(entity=entity, organization=entity.organization,
                                                  status=t.SUBMITTED, submitted_at=now, updated_at=now)  # fmt: skip
            workflow.record_creation(review, actor=user, submit=True)
            return review
        action = t.SUBMIT if review.status == t.DRAFT else t.RESUBMIT
        try:
            return workflow.move(review, action=action, to_status=t.SUBMITTED, actor=user,
                                 fields={"submitted_at": timezone.now(), "blockers": []})  # fmt: skip
        except workflow.TransitionRefused as refused:
            raise ValidationError(str(refused)) from refused


# --- consent ----------------------------------------------------------------------------


def consent_active(*, entity: Entity) -> IdImageConsent | None:
    return entity.consents.filter(withdrawn_at__isnull=True).first()


def consent_grant(*, entity: Entity, user, ip_address=None) -> IdImageConsent:
    try:
        with transaction.atomic():
            return IdImageConsent.objects.create(
                entity=entity, user=user, notice_version=settings.ID_CONSENT_NOTICE_VERSION, ip_address=ip_address
            )
    except IntegrityError:
        return consent_active(entity=entity)


def consent_withdraw(*, entity: Entity) -> int:
    """Withdraw the consent; the entity's ID images are scheduled for deletion at once."""
    now = timezone.now()
    with transaction.atomic():
        Entity.objects.select_for_update().filter(pk=entity.pk).first()  # see _store
        IdImageConsent.objects.filter(entity=entity, withdrawn_at__isnull=True).update(withdrawn_at=now)
        scheduled = Document.objects.filter(
            entity=entity, kind__in=rules.ID_IMAGE_KINDS, purged_at__isnull=True
        ).update(purge_after=now, purge_reason="consent_withdrawn")
        _evidence_changed(entity.pk)
        from .tasks import purge_id_images

        transaction.on_commit(lambda: purge_id_images.delay(), robust=True)
    return scheduled


# --- documents --------------------------------------------------------------------------


def watermark_text(today) -> str:
    return f"仅供短信签名实名报备使用 {today:%Y-%m-%d} {settings.PORTAL_NAME}"


EVIDENCE_FIELDS = {
    Trademark: ("trademark", Document.Kind.TRADEMARK_CERTIFICATE),
    IcpApp: ("app", Document.Kind.APP_EVIDENCE),
    OwnedAddress: ("address", Document.Kind.ADDRESS_EVIDENCE),
    PartnerAuthorization: ("partner_authorization", Document.Kind.PARTNER_LETTER),
}


def _process(*, entity: Entity, kind: str, upload) -> uploads.Processed:
    """Judge and clean a file before anything is written; ValidationError on the file field if refused."""
    is_id = kind in rules.ID_IMAGE_KINDS
    if is_id and consent_active(entity=entity) is None:
        message = _("Before uploading ID card images, read and accept the notice on personal information.")
        raise ValidationError({"file": ValidationError(message, code="consent_required")})
    allowed = uploads.IMAGE_TYPES | ({uploads.PDF} if kind in PDF_ALLOWED else frozenset())
    try:
        return uploads.process_upload(
            upload,
            allowed=frozenset(allowed),
            watermark_text=watermark_text(timezone.localdate()) if is_id else None,
        )
    except uploads.UploadRejected as rejected:
        raise ValidationError({"file": ValidationError(rejected.message, code=rejected.code)}) from None


def _store(*, entity, user, kind, processed, filename="", valid_until=None, evidence=None) -> Document:
    """Write the files and the row; the caller holds the transaction. The document replaces the
    current one of its kind (for the package, or for the same piece of evidence)."""
    evidence_field = EVIDENCE_FIELDS[type(evidence)][0] if evidence is not None else None
    scope = {"trademark": None, "app": None, "address": None, "partner_authorization": None}
    if evidence_field:
        scope[evidence_field] = evidence
    now = timezone.now()
    if kind in rules.ID_IMAGE_KINDS:
        # Consent is re-checked under a lock on the entity: a withdrawal at this very moment
        # (which takes the same lock) cannot leave an ID image stored without consent.
        Entity.objects.select_for_update().filter(pk=entity.pk).first()
        if consent_active(entity=entity) is None:
            message = _("The consent to process ID card images was withdrawn.")
            raise ValidationError({"file": ValidationError(message, code="consent_required")})
        # A replaced ID image (a new legal representative, a better photo) is not kept.
        replaced = {"purge_after": now, "purge_reason": "replaced"}
    else:
        replaced = {}
    Document.objects.filter(entity=entity, kind=kind, is_current=True, **scope).update(
        is_current=False, replaced_at=now, **replaced
    )
    document = Document(
        entity=entity,
        kind=kind,
        content_type=processed.content_type,
        size=len(processed.data),
        width=processed.width,
        height=processed.height,
        pages=processed.pages,
        sha256=processed.sha256,
        original_filename=uploads.safe_filename(filename),  # a label only: stored under a generated name
        valid_until=valid_until,
        uploaded_by=user,
        uploaded_at=now,
        thumbnail_state=(
            Document.ThumbnailState.NONE if processed.content_type == uploads.PDF
            else Document.ThumbnailState.PENDING
        ),
        **({evidence_field: evidence} if evidence_field else {}),
    )  # fmt: skip
    written: list[str] = []
    try:
        document.file.save("f" + processed.extension, ContentFile(processed.data), save=False)
        written.append(document.file.name)
        if processed.original is not None:
            sealed = crypto.seal(processed.original, associated=f"document:{document.pk}")
            document.original.save("o.bin", ContentFile(sealed.data), save=False)
            written.append(document.original.name)
            document.key_id = sealed.key_id
        document.save()
    except Exception:
        for name in written:
            default_storage.delete(name)
        raise
    if document.thumbnail_state == Document.ThumbnailState.PENDING:
        from .tasks import make_thumbnail

        transaction.on_commit(lambda: make_thumbnail.delay(str(document.pk)), robust=True)
    return document


def document_upload(*, entity: Entity, user, kind: str, upload, valid_until=None, evidence=None) -> Document:
    """Judge, clean and store one document; it replaces the current one of its kind."""
    processed = _process(entity=entity, kind=kind, upload=upload)
    stored = []
    try:
        with transaction.atomic():
            document = _store(
                entity=entity, user=user, kind=kind, processed=processed, filename=getattr(upload, "name", ""),
                valid_until=valid_until, evidence=evidence,
            )  # fmt: skip
            stored.append(document)
            _evidence_changed(entity.pk)
    except Exception:
        _delete_files(stored)  # the transaction did not commit: its files must not stay behind
        raise
    return stored[0]


def _delete_files(documents) -> None:
    for document in documents:
        for field in (document.file, document.original):
            if field:
                default_storage.delete(field.name)


def evidence_create(*, entity: Entity, user, model, data: dict, upload=None) -> object:
    """A trademark, app, domain/IP or partner authorization, with its evidence file, in one transaction."""
    kind = EVIDENCE_FIELDS[model][1]
    processed = _process(entity=entity, kind=kind, upload=upload) if upload else None
    stored = []
    try:
        with transaction.atomic():
            evidence = model.objects.create(entity=entity, **data)
            _evidence_changed(entity.pk)
            if processed is not None:
                stored.append(_store(entity=entity, user=user, kind=kind, processed=processed,
                                     filename=getattr(upload, "name", ""), evidence=evidence))  # fmt: skip
    except Exception:
        _delete_files(stored)
        raise
    return evidence


def evidence_delete(*, evidence) -> None:
    """Remove the evidence; its documents' files are deleted and their rows stay as tombstones."""
    with transaction.atomic():
        _evidence_changed(evidence.entity_id)
        for document in evidence.documents.filter(purged_at__isnull=True):
            document_purge(document=document, reason="evidence_deleted")
        evidence.delete()  # the documents' foreign key is set to null, so the tombstones and their access log stay


def document_original_bytes(*, document: Document) -> bytes:
    """The unwatermarked ID image, decrypted in memory only."""
    with document.original.open("rb") as handle:
        return crypto.unseal(handle.read(), associated=f"document:{document.pk}")


def client_address(request) -> str | None:
    """The client's address as the log-in lockout sees it (trusted proxies honoured, see settings)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) if request is not None else None


def id_number_reveal(*, entity: Entity, user, person: str, request=None) -> str:
    """The full ID number of the entity's legal representative or agent, for a reviewer on the review
    page (the caller checks the role): the reveal is logged first, in the same transaction."""
    number = entity.legal_rep_id_number if person == IdNumberReveal.Person.LEGAL_REP else entity.agent_id_number
    IdNumberReveal.objects.create(entity=entity, person=person, user=user, ip_address=client_address(request))
    return number


def document_log_access(*, document: Document, user, variant: str, request=None) -> None:
    meta = request.META if request is not None else {}
    DocumentAccess.objects.create(
        document=document,
        user=user if getattr(user, "is_authenticated", False) else None,
        variant=variant,
        ip_address=client_address(request) or None,
        user_agent=(meta.get("HTTP_USER_AGENT") or "")[:255],
    )


def thumbnail_make(*, document_id) -> bool:
    """Claim and make one thumbnail. Returns False when there was nothing to do."""
    claimed = Document.objects.filter(pk=document_id, thumbnail_state=Document.ThumbnailState.PENDING).update(
        thumbnail_state=Document.ThumbnailState.MAKING
    )
    if claimed != 1:
        return False
    document = Document.objects.get(pk=document_id)
    if not document.file:
        Document.objects.filter(pk=document_id).update(thumbnail_state=Document.ThumbnailState.NONE)
        return False
    with document.file.open("rb") as handle:
        data = uploads.thumbnail(handle.read())
    name = default_storage.save(document.thumbnail.field.generate_filename(document, "t.jpg"), ContentFile(data))
    updated = Document.objects.filter(pk=document_id, thumbnail_state=Document.ThumbnailState.MAKING).update(
        thumbnail=name, thumbnail_state=Document.ThumbnailState.READY
    )
    if updated != 1:  # purged meanwhile
        default_storage.delete(name)
    return updated == 1


def document_strip_metadata(*, document: Document, dry_run: bool = False) -> list[str]:
    """Re-encode without metadata the images of a document stored before uploads dropped all of it
    (until 2026-12 a JPEG's comment and a PNG's colour profile were kept). Returns the variants
    rewritten (with ``dry_run``, those that would be).

    Only images that still carry metadata are touched (re-encoding costs a little quality). Each
    new file is written under a new name and the row moved to it by compare-and-set; the old file
    is deleted after, so a failure leaves the document whole. A new file the row was not moved to
    is deleted whatever happened (for an ID image it is a plaintext copy that would outlive
    retention); an old file that could not be deleted is logged by name for the operator.
    """
    rewritten = []
    for variant in ("file", "thumbnail", "original"):
        field = getattr(document, variant)
        if not field or document.purged_at or document.content_type == uploads.PDF:
            continue
        with field.open("rb") as handle:
            stored = handle.read()
        associated = f"document:{document.pk}"
        data = crypto.unseal(stored, associated=associated) if variant == "original" else stored
        if not uploads.metadata_found(data):
            continue
        if dry_run:
            rewritten.append(variant)
            continue
        clean, changes = uploads.reencode(data), {}
        if variant == "original":
            sealed = crypto.seal(clean, associated=associated)  # with the current key
            clean, changes = sealed.data, {"key_id": sealed.key_id}
        old_name, new_name, moved = field.name, None, False
        try:
            new_name = default_storage.save(
                field.field.generate_filename(document, "r" + Path(old_name).suffix), ContentFile(clean)
            )
            changes[variant] = new_name
            moved = Document.objects.filter(pk=document.pk, **{variant: old_name}).update(**changes) == 1
        finally:
            if new_name and not moved:  # replaced or purged meanwhile, or the update failed
                default_storage.delete(new_name)
        if not moved:
            continue
        for name, value in changes.items():
            setattr(document, name, value)
        rewritten.append(variant)
        try:
            default_storage.delete(old_name)
        except Exception:
            logger.error(
                "strip_image_metadata: document %s: the old %s file %s could not be deleted; delete it by hand",
                document.pk, variant, old_name,
            )  # fmt: skip
    return rewritten


def document_rotate_key(*, document: Document, dry_run: bool = False) -> str | None:
    """Re-encrypt a document's ID original under the current key (settings.DOCUMENT_KEY_ID, the first of
    DOCUMENT_KEYS unless named). Returns the id of the key it was under, or None when there was nothing to do: no
    original, purged, or already under the current key (so a second or resumed run skips it).

    The original is decrypted with the key its header names (crypto.DecryptionError when that key is not in
    DOCUMENT_KEYS) and sealed again with the same associated data. The new file gets a new name, and the row moves
    to it, file name and key id together, by one compare-and-set UPDATE (atomic: a crash leaves the row on the
    old file and key, or on the new ones, never a mix); the old file is deleted after. A new file the row did not
    move to (purged or replaced meanwhile, or the update failed) is deleted whatever happened: it is a copy of an
    ID image that would outlive retention. An old file that could not be deleted is logged by name. With
    ``dry_run`` the original is read and decrypted, even under the current key (proving file and key are there:
    the restore drill), and nothing is written.
    """
    if not document.original or document.purged_at:
        return None
    with document.original.open("rb") as handle:
        stored = handle.read()
    current, was = settings.DOCUMENT_KEY_ID, crypto.key_id_of(stored)
    done = was == current and document.key_id == current
    if done and not dry_run:
        return None
    associated = f"document:{document.pk}"
    plaintext = crypto.unseal(stored, associated=associated)  # a dry run checks every original: a restore drill
    if dry_run:
        return None if done else was
    sealed = crypto.seal(plaintext, associated=associated)
    old_name, new_name, moved = document.original.name, None, False
    try:
        new_name = default_storage.save(
            document.original.field.generate_filename(document, "o.bin"), ContentFile(sealed.data)
        )
        moved = (
            Document.objects.filter(pk=document.pk, original=old_name, purged_at__isnull=True).update(
                original=new_name, key_id=sealed.key_id
            )
            == 1
        )
    finally:
        if new_name and not moved:
            default_storage.delete(new_name)
    if not moved:
        return None
    document.original, document.key_id = new_name, sealed.key_id  # a new FieldFile: the old one holds the old file
    try:
        default_storage.delete(old_name)
    except Exception:
        logger.error(
            "rotate_document_key: document %s: the old original %s (under key %s) could not be deleted; "
            "delete it by hand", document.pk, old_name, was,
        )  # fmt: skip
    return was


def thumbnails_requeue_stuck(*, older_than=timedelta(minutes=10)) -> list[str]:
    cutoff = timezone.now() - older_than
    Document.objects.filter(thumbnail_state=Document.ThumbnailState.MAKING, uploaded_at__lt=cutoff).update(
        thumbnail_state=Document.ThumbnailState.PENDING
    )
    return [
        str(pk)
        for pk in Document.objects.filter(
            thumbnail_state=Document.ThumbnailState.PENDING, uploaded_at__lt=cutoff, purged_at__isnull=True
        ).values_list("pk", flat=True)[:500]
    ]


def document_purge(*, document: Document, reason: str) -> bool:
    """Delete a document's files and keep the row as a tombstone (when, why, the hash).

    The files go first and the row is marked after: if storage fails, the row still says
    "not purged" and the next sweep tries again, rather than claiming a deletion that did not happen.
    """
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document.pk, purged_at__isnull=True).first()
        if locked is None:
            return False
        for field in (locked.file, locked.original, locked.thumbnail):
            if field:
                default_storage.delete(field.name)
        Document.objects.filter(pk=locked.pk).update(
            file="", original="", thumbnail="", original_filename="", purged_at=timezone.now(), purge_reason=reason,
            thumbnail_state=Document.ThumbnailState.NONE, is_current=False,
        )  # fmt: skip
        forget_organization_rows()  # the live check's entity: what its package holds changed
    return True


def purge_due_id_images(*, now=None) -> int:
    """ID images past retention (entity closed or rejected long enough) or whose consent was withdrawn."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ID_IMAGE_RETENTION_DAYS)
    due = Document.objects.filter(kind__in=rules.ID_IMAGE_KINDS, purged_at__isnull=True)
    by_consent = due.filter(purge_after__lte=now)
    by_retention = due.filter(
        entity__status__in=[Entity.Status.CLOSED, Entity.Status.REJECTED], entity__closed_at__lte=cutoff
    )
    count = 0
    for document in by_consent:
        count += document_purge(document=document, reason=document.purge_reason or "consent_withdrawn")
    for document in by_retention:
        count += document_purge(document=document, reason="retention")
    return count
