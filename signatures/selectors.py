"""Reads, scoped to the caller's organization. Another customer's object is a 404."""

from django.http import Http404

from .models import Signature


def signatures_of(organization_id):
    """The organization's signatures with their entities, the latest change first (the list's order)."""
    return (
        Signature.objects.filter(organization_id=organization_id)
        .select_related("entity")
        .order_by("-updated_at", "-pk")
    )


def signature_get(*, organization, signature_id, related=("entity", "trademark", "app")) -> Signature:
    """``related``: what is read with it (the form needs none of it: only the ids)."""
    try:
        signatures = organization.signatures.select_related(*related) if related else organization.signatures
        return signatures.get(pk=signature_id)
    except (Signature.DoesNotExist, ValueError):
        raise Http404 from None


def signature_events(*, signature):
    """The timeline as plain rows: (at, from, to, reason, the actor's e-mail or None)."""
    return signature.events.order_by("at", "pk").values_list("at", "from_status", "to_status", "reason", "actor__email")
