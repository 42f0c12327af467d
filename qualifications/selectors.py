"""Reads, scoped to what the caller may see. Another customer's object is a 404."""

import functools
import uuid

from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext

from accounts import staff
from compliance import qualification as rules
from filing_portal import compiled

from .models import (
    Document,
    Entity,
    EntityShare,
    IcpApp,
    IdImageConsent,
    OwnedAddress,
    PartnerAuthorization,
    Trademark,
)

# The state an active entity's badge shows while its qualification checklist is not complete.
INCOMPLETE = "incomplete"


def entity_state(entity: Entity, *, complete: bool) -> tuple[str, str]:
    """The state an entity's badge shows, (value, label): it agrees with its checklist, so an active
    entity whose qualification package is not complete reads "Documents incomplete" (the customer's
    move: signatures are refused until it is), never "Active"; otherwise the entity's status."""
    if entity.status == Entity.Status.ACTIVE and not complete:
        return INCOMPLETE, gettext("Documents incomplete")
    return entity.status, str(Entity.Status(entity.status).label)


def _visible(entities, organization):
    # The shared ones by a subquery, not a join: each entity comes once without DISTINCT, so that
    # PostgreSQL can stop at a page's rows and a count does not compute the annotations.
    shared = EntityShare.objects.filter(organization=organization).values("entity")
    return entities.filter(Q(organization=organization) | Q(pk__in=shared)).order_by("name")


def entities_for_organization(*, organization):
    """The organization's own entities and those shared with it."""
    return _visible(Entity.objects.all(), organization)


def entity_get_visible(*, organization, entity_id, consent: bool = False) -> Entity:
    """An entity the organization owns or that is shared with it (read-only then: ``entity.is_shared``).
    With ``consent``, also when its active consent to ID images was given (see with_consent()).
    The query is compiled once a process for the organization and entity (filing_portal.compiled)."""
    try:
        entity_id = entity_id if isinstance(entity_id, uuid.UUID) else uuid.UUID(str(entity_id))
    except ValueError:
        raise Http404 from None
    found = compiled.rows(_visible_entity, organization.pk, entity_id, consent)
    if not found:
        raise Http404
    entity = found[0]
    entity.is_shared = entity.organization_id != organization.pk
    return entity


def _visible_entity(organization_id, entity_id, consent):
    entities = entities_for_organization(organization=organization_id).filter(pk=entity_id)
    return with_consent(entities) if consent else entities


def entity_evidence(*, entity: Entity) -> tuple[list, list, list, list]:
    """The entity's trademarks, ICP-filed apps, owned addresses and partner authorizations (with
    their partners), each list in its usual order: the entity page's evidence, each query compiled
    once a process for the entity (filing_portal.compiled). Each item knows its entity without a query."""
    found = tuple(compiled.rows(build, entity.pk) for build in (_trademarks, _apps, _addresses, _partners))
    for items in found[:3]:
        for item in items:
            item.entity = entity
    for authorization in found[3]:
        authorization.entity = entity
    return found


def _trademarks(entity_id):
    return Trademark.objects.filter(entity_id=entity_id)


def _apps(entity_id):
    return IcpApp.objects.filter(entity_id=entity_id)


def _addresses(entity_id):
    return OwnedAddress.objects.filter(entity_id=entity_id)


def _partners(entity_id):
    return entity_partner_authorizations(entity=entity_id)


def entity_get(*, organization, entity_id, consent: bool = False) -> Entity:
    """An entity the organization owns: every change goes through this (a shared one is a 404 here).
    With ``consent``, also when its active consent to ID images was given (see with_consent())."""
    entities = organization.entities.all()
    try:
        return (with_consent(entities) if consent else entities).get(pk=entity_id)
    except (Entity.DoesNotExist, ValueError):
        raise Http404 from None


def with_consent(entities):
    """Entities annotated with ``consent_granted_at``: when their active consent to ID images was
    given, or None (what services.consent_active() says, without a query of its own)."""
    return entities.annotate(consent_granted_at=_active_consent())


@functools.cache
def _active_consent():
    # Built once a process, as _package_flags(); an entity has one active consent at most (a constraint).
    active = IdImageConsent.objects.filter(entity=OuterRef("pk"), withdrawn_at__isnull=True)
    return Subquery(active.values("granted_at")[:1])


def staff_may_see_organization(*, user, organization) -> bool:
    """Reviewers see every organization; an account manager sees their own customers. Staff act only
    with a session that passed the admin's second factor (accounts.staff decides)."""
    return staff.may_see_organization(user, organization)


def staff_may_open_originals(*, user) -> bool:
    """Whether a staff user may open unwatermarked ID originals at all (reviewers): the download door's
    rule, which the admin asks too before it shows a link to one (accounts.staff decides)."""
    return staff.is_reviewer(user)


def document_is_live(document: Document) -> bool:
    """Not purged and not scheduled for deletion (consent withdrawn): the door serves it."""
    return document.purged_at is None and document.purge_after is None


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
        allowed = document.is_id_image and staff.may_open_original(user, organization)
    else:
        allowed = user.is_authenticated and (
            organization.memberships.filter(user=user).exists()
            or staff_may_see_organization(user=user, organization=organization)
        )
    # Scheduled for deletion (consent withdrawn) counts as gone at once, before the worker deletes it.
    if not allowed or not document_is_live(document):
        raise Http404
    return document


# The kinds compliance can require, derived there from required_documents(): the lists' checklists
# (from these annotations) and the entity page's (from its documents) cannot disagree.
PACKAGE_KINDS = rules.PACKAGE_KINDS


def package_flags(entity_ref: str = "pk") -> dict:
    """Annotations saying which package documents an entity has, for a query that loads it anyway
    (the signature form's live check keeps to a fixed number of queries this way)."""
    return dict(_package_flags(entity_ref))


@functools.cache
def _package_flags(entity_ref: str) -> dict:
    # Built once a process (seven subqueries cost more to build than the query takes): annotate()
    # resolves a copy of each expression, never the shared one.
    live = Document.objects.filter(is_current=True, purged_at__isnull=True, purge_after__isnull=True)
    return {f"has_{kind}": Exists(live.filter(entity=OuterRef(entity_ref), kind=kind)) for kind in PACKAGE_KINDS}


@functools.cache
def _entities_annotated(*, evidence: bool):
    """Entities annotated with package_flags() (and, with ``evidence``, whether each has a trademark,
    an app and a partner authorization on file), the annotations resolved once a process: each
    request's query is a filtered copy of this one, which is never evaluated itself."""
    flags = package_flags()
    if evidence:
        flags["has_trademark"] = Exists(Trademark.objects.filter(entity=OuterRef("pk")))
        flags["has_app"] = Exists(IcpApp.objects.filter(entity=OuterRef("pk")))
        flags["has_partner"] = Exists(PartnerAuthorization.objects.filter(entity=OuterRef("pk")))
    return Entity.objects.annotate(**flags)


def present_kinds(obj) -> frozenset[str]:
    """The package kinds an object annotated with package_flags() has."""
    return frozenset(kind for kind in PACKAGE_KINDS if getattr(obj, f"has_{kind}", False))


def package_checklist(obj, entity: Entity | None = None, present: frozenset[str] | None = None):
    """The qualification checklist of an entity, without a query: from the annotations of
    package_flags() on ``obj``, or from the document kinds ``present`` when the caller has them.

    ``entity`` is the entity the annotations describe when it is not ``obj`` itself (a partner
    authorization annotated with ``package_flags("partner")``, as the signature form's)."""
    entity = entity or obj
    return rules.checklist(
        entity_kind=entity.kind, industry_code=entity.industry, uses_agent=entity.uses_agent,
        present=present_kinds(obj) if present is None else present,
    )  # fmt: skip


def entities_with_package(*, organization):
    """The organization's entities (its own and those shared with it), each annotated for
    package_checklist(): one query for the whole list, however long."""
    return _visible(_entities_annotated(evidence=False), organization)


def entities_for_signature_check(*, organization):
    """The organization's entities annotated for package_checklist() and with ``has_trademark``,
    ``has_app`` and ``has_partner``: the signature form's live check loads its entity in one query."""
    return _visible(_entities_annotated(evidence=True), organization)


def entity_partner_authorizations(*, entity: Entity):
    """The entity's partner authorizations with their partners (their letters and the partners'
    package documents: entity_page_documents())."""
    return PartnerAuthorization.objects.filter(entity=entity).select_related("partner").order_by("partner__name", "pk")


def _page_documents(entity_id, partner_ids):
    """The entity's current documents and its partners' current package documents (not scheduled for deletion)."""
    wanted = Q(entity_id=entity_id)
    if partner_ids:
        wanted |= Q(entity__in=list(partner_ids), kind__in=PACKAGE_KINDS, purge_after__isnull=True)
    return Document.objects.filter(wanted, is_current=True, purged_at__isnull=True).order_by("uploaded_at", "pk")


_EVIDENCE_LINKS = {
    Trademark: "trademark_id", IcpApp: "app_id", OwnedAddress: "address_id",
    PartnerAuthorization: "partner_authorization_id",
}  # fmt: skip


def entity_page_documents(*, entity: Entity, evidence=(), partners=()) -> list[Document]:
    """The documents of the entity page, in one query (they were three: the package, the evidence's
    files, and the partners' packages as seven EXISTS for each partner):

    - returns the entity's live documents (current, neither purged nor scheduled for deletion);
    - gives each item of ``evidence`` (the entity's trademarks, apps, addresses and partner
      authorizations) its live documents (current, not purged) as ``item.live_documents``, by upload;
    - gives each of ``partners`` (authorizations) the package kinds its partner has, as
      ``authorization.partner_kinds``, for package_checklist(..., present=...).

    An evidence file belongs to the evidence's entity (services.evidence_create): the entity's
    documents hold them all."""
    items = {}
    for item in evidence:
        item.live_documents = []
        items[_EVIDENCE_LINKS[type(item)], item.pk] = item
    partner_kinds = {authorization.partner_id: set() for authorization in partners}
    documents = compiled.rows(_page_documents, entity.pk, tuple(sorted(partner_kinds, key=str)))
    own = []
    for document in documents:
        if document.entity_id in partner_kinds and document.purge_after is None and document.kind in PACKAGE_KINDS:
            partner_kinds[document.entity_id].add(document.kind)
        if document.entity_id != entity.pk:
            continue
        for link in _EVIDENCE_LINKS.values():
            item = items.get((link, getattr(document, link)))
            if item is not None:
                item.live_documents.append(document)
        if document.purge_after is None:
            own.append(document)
    for authorization in partners:
        authorization.partner_kinds = frozenset(partner_kinds[authorization.partner_id])
    return own


def own_entity(*, organization):
    """The organization's own entity (the one that is itself), or None before it registers one."""
    return Entity.objects.filter(organization=organization, is_own=True).only("pk", "name").first()
