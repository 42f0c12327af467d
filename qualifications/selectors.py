"""Reads, scoped to what the caller may see. Another customer's object is a 404."""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from compliance import qualification as rules

from .models import Document, Entity


def entities_for_organization(*, organization):
    """The organization's own entities and those shared with it."""
    return (
        Entity.objects.filter(Q(organization=organization) | Q(shares__organization=organization))
        .distinct()
        .order_by("name")
    )


def entity_get_visible(*, organization, entity_id) -> Entity:
    """An entity the organization owns or that is shared with it (read-only then: ``entity.is_shared``)."""
    try:
        entity = entities_for_organization(organization=organization).get(pk=entity_id)
    except (Entity.DoesNotExist, ValueError):
        raise Http404 from None
    entity.is_shared = entity.organization_id != organization.pk
    return entity


def entity_get(*, organization, entity_id) -> Entity:
    """An entity the organization owns: every change goes through this (a shared one is a 404 here)."""
    try:
        return organization.entities.get(pk=entity_id)
    except (Entity.DoesNotExist, ValueError):
        raise Http404 from None


def entity_current_documents(*, entity: Entity):
    return (
        entity.documents.filter(is_current=True, purged_at__isnull=True, purge_after__isnull=True)
        .select_related("uploaded_by")
        .order_by("kind")
    )


def staff_may_see_organization(*, user, organization) -> bool:
    """Reviewers see every organization; an account manager sees their own customers.
    Staff act only with a session that passed the admin's second factor."""
    if not (user.is_authenticated and user.is_staff and getattr(user, "is_verified", lambda: False)()):
        return False
    if user.is_superuser or user.has_perm("accounts.review_filings"):
        return True
    return organization.account_manager_id == user.pk


def document_for_viewer(*, user, document_id, variant: str) -> Document:
    """The document a caller may fetch in this variant, or 404 (whether it exists or not).

    file, thumbnail: the owning organization's members, reviewers, its account manager.
    original (the unwatermarked ID image): reviewers only.
    """
    try:
        document = Document.objects.select_related("entity__organization").get(pk=document_id)
    except (Document.DoesNotExist, ValueError):
        raise Http404 from None
    organization = document.entity.organization
    if variant == "original":
        allowed = (
            document.is_id_image
            and staff_may_see_organization(user=user, organization=organization)
            and (user.is_superuser or user.has_perm("accounts.review_filings"))
        )
    else:
        allowed = user.is_authenticated and (
            organization.memberships.filter(user=user).exists()
            or staff_may_see_organization(user=user, organization=organization)
        )
    # Scheduled for deletion (consent withdrawn) counts as gone at once, before the worker deletes it.
    if not allowed or document.purged_at is not None or document.purge_after is not None:
        raise Http404
    return document


# The kinds compliance can require, derived there from required_documents(): the lists' checklists
# (from these annotations) and the entity page's (from its documents) cannot disagree.
PACKAGE_KINDS = rules.PACKAGE_KINDS


def package_flags(entity_ref: str = "pk") -> dict:
    """Annotations saying which package documents an entity has, for a query that loads it anyway
    (the signature form's live check keeps to a fixed number of queries this way)."""
    live = Document.objects.filter(is_current=True, purged_at__isnull=True, purge_after__isnull=True)
    return {f"has_{kind}": Exists(live.filter(entity=OuterRef(entity_ref), kind=kind)) for kind in PACKAGE_KINDS}


def present_kinds(obj) -> frozenset[str]:
    """The package kinds an object annotated with package_flags() has."""
    return frozenset(kind for kind in PACKAGE_KINDS if getattr(obj, f"has_{kind}", False))


def package_checklist(obj, entity: Entity | None = None, present: frozenset[str] | None = None):
    """The qualification checklist of an entity, without a query: from the annotations of
    package_flags() on ``obj``, or from the document kinds ``present`` when the caller has them.

    ``entity`` is the entity the annotations describe when it is not ``obj`` itself (a partner
    authorization annotated with ``package_flags("partner")``)."""
    entity = entity or obj
    return rules.checklist(
        entity_kind=entity.kind, industry_code=entity.industry, uses_agent=entity.uses_agent,
        present=present_kinds(obj) if present is None else present,
    )  # fmt: skip


def entities_with_package(*, organization):
    """The organization's entities (its own and those shared with it), each annotated for
    package_checklist(): one query for the whole list, however long."""
    return entities_for_organization(organization=organization).annotate(**package_flags())


def entity_partner_authorizations(*, entity: Entity):
    """The entity's partner authorizations with their letters, each partner annotated for package_checklist()."""
    return (
        entity.partner_authorizations.select_related("partner")
        .prefetch_related("documents")
        .annotate(**package_flags("partner"))
        .order_by("partner__name", "pk")
    )
