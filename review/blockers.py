"""Blockers: what broke in an application's evidence after it was submitted (a consent withdrawn,
a document replaced or gone, a letter or trademark expired, the package incomplete again).

Each live application (waiting for review, sent back, or approved) keeps its blockers as codes of
compliance.reasons in a column, so that the queue shows them without a query per row and the
customer sees them on the application. They are computed here, by the evidence rules of compliance,
when the entity's documents, consent, letters or fields change (``entity_changed``, called by the
qualification services after their transaction commits), and once a day for what expires with time
(``refresh_all``, a beat task).
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance import qualification as rules
from compliance import transitions as t
from compliance.evidence import check_evidence

LIVE = (*sorted(t.QUEUED_STATES), t.CHANGES_REQUESTED, t.APPROVED)
REPLACED = "EVID_DOCUMENT_REPLACED"


def _replaced_since(since, *, entities, evidence=None) -> bool:
    """Whether a document the application rests on was replaced after ``since``: a package document of
    one of ``entities``, or one of its own evidence files (``evidence``: a filter on the document's
    trademark, app or letter). A document added, of a new kind or for other evidence, is not."""
    from qualifications.models import Document

    if since is None:
        return False
    package = Q(entity_id__in=entities, kind__in=rules.PACKAGE_KINDS, partner_authorization__isnull=True)
    return Document.objects.filter(replaced_at__gt=since).filter(package | (evidence or Q(pk__in=[]))).exists()


def signature_blockers(signature) -> list[str]:
    from policies.timeline import current_policy
    from signatures.selectors import signature_facts
    from signatures.services import Draft

    draft = Draft(entity=signature.entity, source=signature.source, text=signature.text,
                  trademark=signature.trademark, app=signature.app,
                  partner_authorization=signature.partner_authorization)  # fmt: skip
    policy = current_policy()
    facts = signature_facts(draft, text=signature.text)
    broken = check_evidence(
        facts,
        day=timezone.localdate(),
        real_name_required=policy.real_name_required,
        app_source_accepted=signature.source in policy.accepted_sources,
    )
    codes = [v.code for v in broken]
    if signature.status in t.QUEUED_STATES:
        entities = [signature.entity_id]
        evidence = Q(pk__in=[])
        for field in ("trademark", "app", "partner_authorization"):
            if getattr(signature, f"{field}_id"):
                evidence |= Q(**{f"{field}_id": getattr(signature, f"{field}_id")})
        if signature.partner_authorization_id:
            entities.append(signature.partner_authorization.partner_id)
        if _replaced_since(signature.submitted_at, entities=entities, evidence=evidence):
            codes.append(REPLACED)
    return codes


def package_blockers(review) -> list[str]:
    from qualifications.services import entity_checklist

    entity = review.entity
    codes = []
    if not all(item.satisfied for item in entity_checklist(entity=entity)):
        codes.append("EVID_PACKAGE_INCOMPLETE")
    agent = entity.uses_agent and entity.kind in rules.AGENT_ALLOWED
    if rules.id_document_expired(entity.agent_id_valid_until if agent else entity.legal_rep_id_valid_until):
        codes.append("REV_ID_CARD_EXPIRED")
    if review.status in t.QUEUED_STATES and _replaced_since(review.submitted_at, entities=[entity.pk]):
        codes.append(REPLACED)
    return codes


def _save(model, obj, codes) -> bool:
    if list(obj.blockers) == codes:
        return False
    model.objects.filter(pk=obj.pk).update(blockers=codes)  # not a move: the status stays as it is
    return True


def refresh_entity(entity_id) -> int:
    """Recompute the blockers of every live application resting on the entity (as itself, or as the
    partner of a letter); how many changed."""
    from qualifications.models import PackageReview
    from signatures.models import Signature
    from templates_app.models import SmsTemplate

    changed = 0
    signatures = Signature.objects.filter(
        Q(entity_id=entity_id) | Q(partner_authorization__partner_id=entity_id), status__in=LIVE
    ).select_related("entity", "trademark", "app", "partner_authorization__partner")
    by_signature = {}
    for signature in signatures:
        codes = signature_blockers(signature)
        by_signature[signature.pk] = codes
        changed += _save(Signature, signature, codes)
    for template in SmsTemplate.objects.filter(signature_id__in=list(by_signature), status__in=LIVE):
        changed += _save(SmsTemplate, template, [c for c in by_signature[template.signature_id] if c != REPLACED])
    for review in PackageReview.objects.filter(entity_id=entity_id, status__in=LIVE).select_related("entity"):
        changed += _save(PackageReview, review, package_blockers(review))
    return changed


def entity_changed(entity_id) -> None:
    """After the caller's transaction commits: the entity's evidence changed."""
    transaction.on_commit(lambda: refresh_entity(entity_id), robust=True)


def refresh_all() -> int:
    """Every entity with a live application (the daily beat task: letters, trademarks and ID cards expire)."""
    from qualifications.models import PackageReview
    from signatures.models import Signature

    entity_ids = set(Signature.objects.filter(status__in=LIVE).values_list("entity_id", flat=True))
    entity_ids |= set(PackageReview.objects.filter(status__in=LIVE).values_list("entity_id", flat=True))
    return sum(refresh_entity(entity_id) for entity_id in entity_ids)
