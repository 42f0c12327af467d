"""Reads, scoped to the caller's organization. Another customer's object is a 404."""

from django.http import Http404

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
    """The timeline as plain rows: (at, from, to, reason, the actor's e-mail or None), compiled once a
    process for the signature."""
    return compiled.rows(_events, signature.pk)


def _events(signature_id):
    events = SignatureEvent.objects.filter(signature_id=signature_id).order_by("at", "pk")
    return events.values_list("at", "from_status", "to_status", "reason", "actor__email")
