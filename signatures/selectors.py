"""Reads, scoped to the caller's organization. Another customer's object is a 404."""

from django.http import Http404

from compliance import evidence
from compliance import qualification as rules
from compliance.industries import industry
from filing_portal import compiled

from .models import Signature, SignatureEvent


def signatures_of(organization_id):
    """The organization's signatures with their entities, the latest change first (the list's order)."""
    return (
        Signature.objects.filter(organization_id=organization_id)
        .select_related("entity")
        .order_by("-updated_at", "-pk")
    )


def signature_get(*, organization, signature_id, related=("entity", "trademark", "app")) -> Signature:
    """``related``: what is read with it (the form needs none of it: only the ids). Compiled once a
    process for the organization and signature (filing_portal.compiled)."""
    try:
        signature_id = int(signature_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = compiled.rows(_signature, organization.pk, signature_id, tuple(related))
    if not found:
        raise Http404
    found[0].organization = organization
    return found[0]


def _signature(organization_id, signature_id, related):
    signatures = Signature.objects.filter(organization_id=organization_id, pk=signature_id)
    return signatures.select_related(*related) if related else signatures


def signature_events(*, signature):
    """The timeline as plain rows (review.selectors.EVENT_COLUMNS), compiled once a process for the
    signature."""
    return compiled.rows(_events, signature.pk)


def _events(signature_id):
    from review.selectors import EVENT_COLUMNS

    events = SignatureEvent.objects.filter(signature_id=signature_id).order_by("at", "pk")
    return events.values_list(*EVENT_COLUMNS)


def _package_complete(entity, present=None) -> bool:
    """Whether an entity's qualification package is complete. ``present``: the kinds, when a query
    already loaded them (qualifications.selectors.package_flags); otherwise one query."""
    from qualifications import services as qualification_services

    if present is None:
        return all(item.satisfied for item in qualification_services.entity_checklist(entity=entity))
    listed = rules.checklist(
        entity_kind=entity.kind, industry_code=entity.industry, uses_agent=entity.uses_agent, present=present
    )
    return all(item.satisfied for item in listed)


def signature_facts(draft, *, text: str, held_by_entity: bool = False) -> evidence.SignatureFacts:
    """What backs a signature application (``draft``: signatures.services.Draft), read once, for the
    evidence rules (compliance.evidence). The lists and live checks load the package kinds and the
    letter with the entity (``present_kinds``, ``has_letter``, ``partner_present_kinds``); read
    here otherwise."""
    entity = draft.entity
    trademark = app = partner = None
    if draft.trademark is not None:
        trademark = evidence.TrademarkFacts(name=draft.trademark.name, valid_until=draft.trademark.valid_until,
                                            same_entity=draft.trademark.entity_id == entity.pk)  # fmt: skip
    if draft.app is not None:
        app = evidence.AppFacts(name=draft.app.name, same_entity=draft.app.entity_id == entity.pk)
    authorization = draft.partner_authorization
    if authorization is not None:
        has_letter = getattr(authorization, "has_letter", None)
        if has_letter is None:
            has_letter = authorization.documents.filter(
                kind="partner_letter", is_current=True, purged_at__isnull=True
            ).exists()
        partner = evidence.PartnerFacts(
            name=authorization.partner.name, valid_from=authorization.valid_from,
            valid_until=authorization.valid_until, signatures=evidence.split_letter(authorization.signatures),
            has_letter=has_letter, same_entity=authorization.entity_id == entity.pk,
            package_complete=_package_complete(authorization.partner,
                                               getattr(authorization, "partner_present_kinds", None)),
        )  # fmt: skip
    return evidence.SignatureFacts(
        text=text, source=draft.source, own_entity=entity.is_own, held_by_entity=held_by_entity,
        package_complete=_package_complete(entity, getattr(entity, "present_kinds", None)),
        trademark=trademark, app=app, partner=partner, special_industry=industry(entity.industry).needs_permit,
    )  # fmt: skip
