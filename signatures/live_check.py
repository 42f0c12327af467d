"""The live check of a signature application: what the form's as-you-type check and the API's precheck
share. The entity and the evidence named are read as the check reads them (the entity kept a process
with its package and evidence flags, five queries at most whatever the platform's size), then
``services.precheck``, then the sources the entity may use."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from compliance.signatures import offered_sources
from filing_portal import compiled
from filing_portal.choices import organization_rows
from qualifications.models import Document, Entity, IcpApp, PartnerAuthorization, Trademark
from qualifications.selectors import entities_for_signature_check, package_flags, present_kinds

from . import services
from .forms import refusal_text
from .models import Signature

# The evidence each source rests on: the field that names it.
EVIDENCE_FIELD = {"trademark": "trademark", "app_name": "app", "partner": "partner_authorization"}
_EVIDENCE_MODEL = {"trademark": Trademark, "app": IcpApp, "partner_authorization": PartnerAuthorization}


@dataclass(frozen=True)
class LiveCheck:
    entity: Entity
    result: services.Precheck
    available_sources: list[str]  # the sources the entity has evidence for and the rules in force accept
    source_note: str  # why the chosen source cannot be used, in the reader's language ("" when it can)
    missing: tuple[str, ...] = ()  # the fields naming an object the check could not find (evidence, signature)


def _entity_for_check(org_id, entity_id):
    """The live check's entity: active, the organization's own or shared with it, annotated with
    what its package and evidence hold (qualifications.selectors)."""
    return entities_for_signature_check(organization=org_id).filter(status=Entity.Status.ACTIVE, pk=entity_id)


def check_entity(organization_id, entity_id: uuid.UUID) -> Entity | None:
    """The entity a check names, or None. The same entity on every keystroke: kept this process, with what
    its package and evidence hold, until an entity, a document or evidence changes anywhere
    (filing_portal.choices.organization_rows: its query cost the check more than the rest of it); its query
    compiled once (filing_portal.compiled)."""
    found = organization_rows(f"signatures.check-entity:{entity_id}", organization_id,
                              lambda: compiled.rows(_entity_for_check, organization_id, entity_id))  # fmt: skip
    if not found:
        return None
    entity = found[0]
    entity.present_kinds = present_kinds(entity)
    return entity


def _evidence(entity, field: str, evidence_id):
    queryset = _EVIDENCE_MODEL[field].objects.filter(entity=entity)
    if field == "partner_authorization":
        letters = Document.objects.filter(
            partner_authorization=OuterRef("pk"), kind=Document.Kind.PARTNER_LETTER, is_current=True,
            purged_at__isnull=True,
        )  # fmt: skip
        queryset = queryset.select_related("partner").annotate(has_letter=Exists(letters), **package_flags("partner"))
    try:
        found = queryset.filter(pk=evidence_id).first()
    except (ValueError, TypeError, ValidationError):
        found = None
    if found is not None and field == "partner_authorization":
        found.partner_present_kinds = present_kinds(found)
    return found


def live_check(*, organization, entity_id: uuid.UUID, source: str, text: str, evidence_id=None,
               signature_id: int | None = None) -> LiveCheck | None:  # fmt: skip
    """What the rules in force say of an application as typed: ``source`` one of Signature.Source,
    ``evidence_id`` the trademark, app or partner authorization the source rests on (of the entity; read
    for those three sources only), ``signature_id`` the application being edited (its own hold on the text
    does not count against it). None when the organization has no such active entity."""
    entity = check_entity(organization.pk, entity_id)
    if entity is None:
        return None
    missing = []
    evidence = {}
    field = EVIDENCE_FIELD.get(source)
    if field and evidence_id not in (None, ""):
        evidence[field] = _evidence(entity, field, evidence_id)
        if evidence[field] is None:
            missing.append(field)
    draft = services.Draft(entity=entity, source=source, text=text or "", **evidence)
    editing = None
    if signature_id is not None:
        editing = (
            Signature.objects.filter(organization=organization, pk=signature_id).values_list("pk", flat=True).first()
        )
        if editing is None:
            missing.append("signature")
    result = services.precheck(draft, exclude=editing)
    available = ["full_name", "abbreviation"]
    available += ["trademark"] * entity.has_trademark + ["app_name"] * entity.has_app
    available += ["partner"] * entity.has_partner
    # Only the sources the rules in force accept (app names stopped counting on 2026-05-01).
    accepted = offered_sources(result.policy)
    available = [name for name in available if name in accepted]
    # The chosen source stays chosen (a draft keeps it); why it cannot be used is said beside it.
    source_note = ""
    if source not in accepted:
        source_note = refusal_text(source, result.policy)
    elif source not in available:
        source_note = {
            "trademark": _("This entity has no registered trademark on file: add it on the entity's page first."),
            "app_name": _("This entity has no ICP-filed app on file: add it on the entity's page first."),
            "partner": _("This entity has no partner authorization on file: add it on the entity's page first."),
        }[source]
    return LiveCheck(entity=entity, result=result, available_sources=available, source_note=source_note,
                     missing=tuple(missing))  # fmt: skip
