"""Reads, scoped to what the caller may see. Another customer's object is a 404."""

import functools
import uuid

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast
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
    PackageReview,
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


# The entity page's evidence as plain rows (entity_page_evidence): each kind's columns, and where
# each sits among the query's (two kinds share a column only where their types agree). A partner
# authorization's row ends with the package kinds its partner has (package_complete()).
EVIDENCE_COLUMNS = {
    "trademark": ("pk", "name", "registration_number", "owner_name", "valid_until"),
    "app": ("pk", "name", "icp_number", "filing_subject"),
    "address": ("pk", "value", "kind", "icp_number"),
    "partner": ("pk", "partner_id", "partner__name", "signatures", "valid_from", "valid_until",
                "partner__kind", "partner__industry", "partner__uses_agent", "partner_kinds"),
}  # fmt: skip
_EVIDENCE_SLOTS = {
    "trademark": (0, 1, 2, 3),
    "app": (0, 1, 2),
    "address": (0, 1, 2),
    "partner": (5, 0, 1, 3, 4, 6, 2, 7),
}
_SLOT_TYPES = (CharField, CharField, CharField, DateField, DateField, UUIDField, CharField, BooleanField)
_EVIDENCE_MODELS = {"trademark": Trademark, "app": IcpApp, "address": OwnedAddress, "partner": PartnerAuthorization}
_EVIDENCE_ORDER = {"trademark": "name", "app": "name", "address": None, "partner": "partner__name"}


def entity_page_evidence(*, entity: Entity) -> dict[str, list[tuple]]:
    """The entity's trademarks, ICP-filed apps, owned addresses and partner authorizations (with their
    partners' names, what decides their packages' checklists and the package kinds they have, as a
    frozenset) as plain rows of EVIDENCE_COLUMNS, each kind in its usual order (trademarks and apps by
    name, addresses as added, partners by name): one query (UNION ALL) compiled once a process for the
    entity (filing_portal.compiled), no model instance. They were four queries and fifty instances
    (the partners' whole rows among them), and a document instance for each partner's document."""
    found = {kind: [] for kind in EVIDENCE_COLUMNS}
    for kind, _rank, _sort, pk, *slots in compiled.rows(_page_evidence, entity.pk):
        row = (pk, *(slots[slot] for slot in _EVIDENCE_SLOTS[kind]))
        if kind == "partner":
            mask = slots[-1] or 0
            row += (frozenset(k for i, k in enumerate(PACKAGE_KINDS) if mask & (1 << i)),)
        found[kind].append(row)
    return found


def _package_mask():
    """The package kinds the partner (``OuterRef("partner")``) has, as a sum of bits (one a kind of
    PACKAGE_KINDS): one subquery, where an EXISTS a kind made PostgreSQL plan seven (0.4 ms a request)."""
    live = Document.objects.filter(
        entity=OuterRef("partner"), kind__in=PACKAGE_KINDS, is_current=True, purged_at__isnull=True,
        purge_after__isnull=True,
    ).order_by()  # fmt: skip
    bits = Case(*(When(kind=k, then=Value(1 << i)) for i, k in enumerate(PACKAGE_KINDS)), output_field=IntegerField())
    mask = live.values("entity").annotate(mask=Sum(bits, distinct=True)).values("mask")
    return Subquery(mask[:1], output_field=IntegerField())


def _page_evidence(entity_id):
    parts = []
    for rank, (kind, model) in enumerate(_EVIDENCE_MODELS.items()):
        # Typed NULLs: PostgreSQL unites the branches two at a time, and two bare NULLs make a text column.
        slots = [Cast(Value(None), output_field=kind_of()) for kind_of in _SLOT_TYPES]
        placed = _EVIDENCE_SLOTS[kind]
        for column, slot in zip(EVIDENCE_COLUMNS[kind][1 : 1 + len(placed)], placed, strict=True):
            slots[slot] = F(column)
        # Last, the partner's package kinds.
        slots.append(_package_mask() if kind == "partner" else Cast(Value(None), output_field=IntegerField()))
        order = _EVIDENCE_ORDER[kind]
        columns = {
            "e_kind": Value(kind, output_field=CharField()), "e_rank": Value(rank),
            "e_sort": F(order) if order else Value("", output_field=CharField()), "e_pk": F("pk"),
            **{f"e_{i}": expression for i, expression in enumerate(slots)},
        }  # fmt: skip
        parts.append(model.objects.filter(entity_id=entity_id).order_by().annotate(**columns).values_list(*columns))
    return parts[0].union(*parts[1:], all=True).order_by("e_rank", "e_sort", "e_pk")


def entity_get(*, organization, entity_id, consent: bool = False, review: bool = False) -> Entity:
    """An entity the organization owns: every change goes through this (a shared one is a 404 here).
    With ``consent``, also when its active consent to ID images was given (see with_consent()); with
    ``review``, the platform's review of its package read with it (package_review())."""
    entities = organization.entities.select_related("package_review") if review else organization.entities.all()
    try:
        return (with_consent(entities) if consent else entities).get(pk=entity_id)
    except (Entity.DoesNotExist, ValueError):
        raise Http404 from None


def with_consent(entities):
    """Entities annotated with ``consent_granted_at``: when their active consent to ID images was
    given, or None (what services.consent_active() says, without a query of its own); the entity
    page's read, so the platform's review of the package comes with it (package_review())."""
    return entities.annotate(consent_granted_at=_active_consent()).select_related("package_review")


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
    package_checklist() and with the state of the platform's review of its package
    (``package_review_status``, None before it was sent): one query for the whole list, however long."""
    return _visible(_entities_annotated(evidence=False), organization).annotate(
        package_review_status=F("package_review__status")
    )


def entities_for_signature_check(*, organization):
    """The organization's entities annotated for package_checklist() and with ``has_trademark``,
    ``has_app`` and ``has_partner``: the signature form's live check loads its entity in one query."""
    return _visible(_entities_annotated(evidence=True), organization)


def _page_documents(entity_id):
    """The entity's current documents that are not purged (some may be scheduled for deletion)."""
    return Document.objects.filter(entity_id=entity_id, is_current=True, purged_at__isnull=True).order_by(
        "uploaded_at", "pk"
    )


# Each kind of evidence (entity_page_evidence), by the document's column that names it.
_EVIDENCE_LINKS = {"trademark": "trademark_id", "app": "app_id", "address": "address_id",
                   "partner": "partner_authorization_id"}  # fmt: skip


def entity_page_documents(*, entity: Entity) -> tuple[list[Document], dict]:
    """The documents of the entity page, in one query compiled once a process for the entity
    (filing_portal.compiled). Returns:

    - the entity's live documents (current, neither purged nor scheduled for deletion);
    - the files of its evidence, ``{(kind, pk): [documents]}`` (current, not purged; by upload), a
      kind as in entity_page_evidence().

    An evidence file belongs to the evidence's entity (services.evidence_create): the entity's
    documents hold them all. The partners' packages come with the evidence (entity_page_evidence)."""
    own, files = [], {}
    for document in compiled.rows(_page_documents, entity.pk):
        for kind, link in _EVIDENCE_LINKS.items():
            pk = getattr(document, link)
            if pk is not None:
                files.setdefault((kind, pk), []).append(document)
        if document.purge_after is None:
            own.append(document)
    return own, files


def entity_documents(*, entity: Entity):
    """The entity's live documents (current, neither purged nor scheduled for deletion), its package's and
    its evidence's: what the entity page shows, as a queryset (the API pages through it)."""
    return Document.objects.filter(entity=entity, is_current=True, purged_at__isnull=True, purge_after__isnull=True)


def entity_document(*, entity: Entity, document_id) -> Document:
    """One of the entity's documents that the door still serves (replaced ones included), or 404."""
    try:
        return Document.objects.get(entity=entity, pk=document_id, purged_at__isnull=True, purge_after__isnull=True)
    except (Document.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def package_complete(*, kind: str, industry: str, uses_agent: bool, present: frozenset[str]) -> bool:
    """Whether an entity of this kind, industry and agent holds every document of its package."""
    checklist = rules.checklist(entity_kind=kind, industry_code=industry, uses_agent=uses_agent, present=present)
    return all(item.satisfied for item in checklist)


def own_entity(*, organization):
    """The organization's own entity (the one that is itself), or None before it registers one."""
    return Entity.objects.filter(organization=organization, is_own=True).only("pk", "name").first()


def package_review(*, entity):
    """The platform's review of the entity's package, or None before it was sent: read with the entity
    by the entity page (with_consent), else one query."""
    try:
        return entity.package_review
    except PackageReview.DoesNotExist:
        return None


def package_events(*, review):
    """The review's timeline as plain rows (review.selectors.EVENT_COLUMNS)."""
    from review.selectors import EVENT_COLUMNS

    return list(review.events.order_by("at", "pk").values_list(*EVENT_COLUMNS))
