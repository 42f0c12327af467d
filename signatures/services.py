"""Every write about signatures: one transaction, status by compare-and-set, an event per change."""

import datetime as dt
import unicodedata
from dataclasses import asdict, dataclass, field, replace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance import Violation, check_signature, policy_as_of
from compliance import qualification as rules
from compliance import transitions as states
from compliance.abbreviations import abbreviation_candidates, propose_abbreviations, proposes_abbreviations
from compliance.policies import ALL_CARRIERS
from compliance.signatures import EDITABLE_STATES, signature_refs, with_no_proposal_hint
from filing_portal import compiled, workflow
from qualifications import services as qualification_services

from .models import HELD_STATES, Signature, SignatureEvent
from .policies import timeline

CARRIER_CODES = tuple(sorted(ALL_CARRIERS))
WARNINGS_ACKNOWLEDGED = "warnings_acknowledged"


TransitionRefused = workflow.TransitionRefused
move = workflow.move


@dataclass(frozen=True)
class Draft:
    """What a customer typed and picked, resolved to the organization's own objects."""

    entity: object
    source: str
    text: str
    trademark: object = None
    app: object = None
    partner_authorization: object = None


@dataclass(frozen=True)
class Precheck:
    violations: list[Violation]
    problems: list[str]  # not rules of the engine: missing evidence, an expired authorization…
    policy_notices: tuple[str, ...]
    change_keys: tuple[str, ...] = ()
    accepted_sources: frozenset[str] = frozenset()
    proposals: list[str] = field(default_factory=list)  # abbreviations to offer for a too-long full name
    policy: object = None  # the rules shared by every carrier, as applied

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.is_error]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if not v.is_error]

    @property
    def blocked(self) -> bool:
        return bool(self.errors or self.problems)


def held_by(*, text: str, exclude=None) -> list[tuple[int, str]]:
    """(entity id, text) of the live applications holding ``text`` (but ``exclude``, the one being
    edited): one query, whatever the platform's size."""
    # Asked at each keystroke: compiled once a process, the text put in its place (filing_portal.compiled).
    return compiled.rows(_holders, exclude, text=text)


def _holders(exclude, *, text):
    held = Signature.objects.filter(text=text, status__in=HELD_STATES)
    if exclude is not None:
        held = held.exclude(pk=exclude)
    return held.values_list("entity_id", "text")


def _split_letter(signatures: str) -> set[str]:
    normalized = signatures
    for separator in ("，", "、", ";", "；", "\n"):
        normalized = normalized.replace(separator, ",")
    return {unicodedata.normalize("NFKC", s.strip()) for s in normalized.split(",") if s.strip()}


def _package_complete(entity, present=None) -> bool:
    """Whether an entity's qualification package is complete. ``present``: the kinds, when a query
    already loaded them (qualifications.selectors.package_flags); otherwise one query."""
    if present is None:
        return all(item.satisfied for item in qualification_services.entity_checklist(entity=entity))
    checklist = rules.checklist(
        entity_kind=entity.kind, industry_code=entity.industry, uses_agent=entity.uses_agent, present=present
    )
    return all(item.satisfied for item in checklist)


def precheck(draft: Draft, *, as_of: dt.date | None = None, policy=None, exclude=None) -> Precheck:
    """Every rule in force that the draft breaks, for any carrier, plus what its evidence lacks.

    The text is NFKC-normalised first, as it is stored: a look-alike is the text it looks like.
    """
    day = as_of or timezone.localdate()
    if policy:
        policies = [policy]
    else:
        changes = timeline()  # one query for the admin's rows, then each carrier's fold in memory
        policies = [policy_as_of(day, carrier, changes=changes) for carrier in CARRIER_CODES]
    shared = policies[0]
    text = unicodedata.normalize("NFKC", draft.text or "")
    problems: list[str] = []
    entity, source = draft.entity, draft.source
    for evidence in (draft.trademark, draft.app, draft.partner_authorization):
        if evidence is not None and evidence.entity_id != entity.pk:
            problems.append(_("The evidence chosen belongs to another entity."))
    if shared.real_name_required and not _package_complete(entity, getattr(entity, "present_kinds", None)):
        problems.append(_("The entity's qualification package is incomplete: upload its documents first."))
    engine_source = source
    subject_name, mainland = entity.name, entity.mainland
    trademark_owner = app_subject = None
    if source == Signature.Source.TRADEMARK:
        trademark = draft.trademark
        if trademark is None:
            problems.append(_("Choose the registered trademark this signature rests on (add it on the entity's page)."))
        else:
            trademark_owner = trademark.owner_name
            if unicodedata.normalize("NFKC", trademark.name) != text:
                problems.append(
                    _("A trademark signature is the trademark itself: “%(name)s”.") % {"name": trademark.name}
                )
            if trademark.valid_until and trademark.valid_until < day:
                problems.append(_("The trademark's registration expired on %(day)s.") % {"day": trademark.valid_until})
    elif source == Signature.Source.APP_NAME:
        app = draft.app
        if app is None:
            # Not once app names stopped counting: SIG_SOURCE_NOT_ACCEPTED says why, and adding an app
            # would not help.
            if source in shared.accepted_sources:
                problems.append(_("Choose the ICP-filed app this signature rests on (add it on the entity's page)."))
        else:
            app_subject = app.filing_subject
            if unicodedata.normalize("NFKC", app.name) != text:
                problems.append(_("An app signature is the app's filed name: “%(name)s”.") % {"name": app.name})
    elif source == Signature.Source.PARTNER:
        authorization = draft.partner_authorization
        if authorization is None:
            problems.append(_("Choose the partner authorization this signature rests on."))
            engine_source = "trademark"  # until the partner is known, only the character rules apply
        else:
            partner = authorization.partner
            subject_name, mainland = partner.name, partner.mainland
            engine_source = "full_name" if text == unicodedata.normalize("NFKC", partner.name) else "abbreviation"
            if not authorization.valid_from <= day <= authorization.valid_until:
                problems.append(
                    _("The partner's authorization is valid from %(start)s to %(end)s, not today.")
                    % {"start": authorization.valid_from, "end": authorization.valid_until}
                )
            covered = _split_letter(authorization.signatures)
            if text not in covered:
                problems.append(
                    _("The partner's letter does not list “%(text)s”; it covers: %(covered)s.")
                    % {"text": text, "covered": "、".join(sorted(covered)) or "—"}
                )
            has_letter = getattr(authorization, "has_letter", None)
            if has_letter is None:
                has_letter = authorization.documents.filter(
                    kind="partner_letter", is_current=True, purged_at__isnull=True
                ).exists()
            if not has_letter:
                problems.append(_("Upload the partner's signed authorization letter first."))
            if not _package_complete(partner, getattr(authorization, "partner_present_kinds", None)):
                problems.append(_("The partner's own qualification package is incomplete."))
    holders = held_by(text=text, exclude=exclude)
    if any(entity_id == entity.pk for entity_id, _text in holders):
        problems.append(_("This entity already has “%(text)s” (an application is under way or done).") % {"text": text})
    others = [held for entity_id, held in holders if entity_id != entity.pk]
    violations: list[Violation] = []
    seen: set[str] = set()
    for carrier_policy in policies:  # the rules of every carrier; the first time a code appears counts
        for violation in check_signature(
            text, source=engine_source, entity_name=subject_name, entity_mainland=mainland,
            trademark_owner=trademark_owner, app_icp_subject=app_subject, taken_by_others=others,
            policy=carrier_policy,
        ):  # fmt: skip
            if violation.code not in seen:
                seen.add(violation.code)
                violations.append(violation)
    proposals = []
    # A full name too long to be a signature (the engine says when): abbreviations that pass, if any can.
    if source == Signature.Source.FULL_NAME and any(
        proposes_abbreviations(entity.name, policy=p, entity_mainland=entity.mainland) for p in policies
    ):
        proposals = abbreviation_proposals(name=entity.name, policies=policies, entity_mainland=entity.mainland)
        if not proposals:  # nothing to click: the length error still names the way forward
            violations = [with_no_proposal_hint(v) if v.code == "SIG_LENGTH" else v for v in violations]
    # The notices behind the signature rules of every carrier (not the templates' 2025.7.2), oldest first.
    refs = sorted({ref for p in policies for ref in signature_refs(p)})
    return Precheck(
        violations=violations, problems=problems, policy_notices=tuple(dict.fromkeys(r.split(" · ")[1] for r in refs)),
        change_keys=tuple(dict.fromkeys(k for p in policies for k in p.change_keys)),
        accepted_sources=shared.accepted_sources, proposals=proposals, policy=shared,
    )  # fmt: skip


def abbreviation_proposals(*, name: str, policies, entity_mainland: bool = True) -> list[str]:
    """In-order abbreviations of the full ``name`` that every carrier's rules (``policies``) accept for
    an entity in mainland China or not (``entity_mainland``) and nobody holds yet: what to offer when
    the full name is too long. One query (the held texts)."""
    candidates = abbreviation_candidates(name)
    held = set(Signature.objects.filter(text__in=candidates, status__in=HELD_STATES).values_list("text", flat=True))
    found = candidates
    for carrier_policy in policies:
        passing = propose_abbreviations(name, policy=carrier_policy, entity_mainland=entity_mainland,
                                        taken_by_others=held, limit=len(candidates))  # fmt: skip
        found = [c for c in found if c in passing]
    return found[:3]


def _event(signature, actor, from_status, to_status, reason=""):
    SignatureEvent.objects.create(
        signature=signature, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )


def _check_ownership(organization, draft: Draft) -> Draft:
    entity = draft.entity
    shared = entity.organization_id != organization.pk and entity.shares.filter(organization=organization).exists()
    if entity.organization_id != organization.pk and not shared:
        raise ValidationError({"entity": _("Choose one of your organization's entities.")})
    return replace(draft, text=unicodedata.normalize("NFKC", draft.text or ""))


def _fields(draft: Draft) -> dict:
    return {"entity": draft.entity, "source": draft.source, "trademark": draft.trademark, "app": draft.app,
            "partner_authorization": draft.partner_authorization, "text": draft.text}  # fmt: skip


def _passing(draft: Draft, acknowledge_warnings: bool, exclude=None) -> Precheck:
    result = precheck(draft, exclude=exclude)
    if result.blocked:
        raise ValidationError({"text": [violation_text(v) for v in result.errors] + result.problems})
    if result.warnings and not acknowledge_warnings:
        raise ValidationError({"acknowledge_warnings": _("Read the warnings above and tick the box to submit anyway.")})
    return result


def _snapshot(result: Precheck) -> dict:
    return {"precheck": [asdict(v) for v in result.violations], "policy_notices": list(result.policy_notices),
            "policy_keys": list(result.change_keys), "warnings_acknowledged": bool(result.warnings)}  # fmt: skip


def _taken(draft: Draft) -> ValidationError:
    # Another application took the same text a moment ago (or a double submit).
    return ValidationError({"text": _("“%(text)s” is already held by an application.") % {"text": draft.text}})


def signature_save_draft(*, organization, user, draft: Draft) -> Signature:
    """Keep an application as a draft: nothing is checked yet but the entity; one event."""
    draft = _check_ownership(organization, draft)
    with transaction.atomic():
        signature = Signature.objects.create(organization=organization, created_by=user, status=states.DRAFT,
                                             **_fields(draft))  # fmt: skip
        _event(signature, user, "", states.DRAFT)
    return signature


def signature_submit(*, organization, user, draft: Draft, acknowledge_warnings: bool) -> Signature:
    """Create the application and submit it, if nothing blocks it; one transaction, two events."""
    draft = _check_ownership(organization, draft)
    result = _passing(draft, acknowledge_warnings)
    now = timezone.now()
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                organization=organization, status=states.SUBMITTED, created_by=user, submitted_at=now,
                updated_at=now, **_fields(draft), **_snapshot(result),
            )  # fmt: skip
            _event(signature, user, "", states.DRAFT)
            # A reason code, not text: the timeline shows it in the reader's language.
            _event(signature, user, states.DRAFT, states.SUBMITTED, WARNINGS_ACKNOWLEDGED if result.warnings else "")
    except IntegrityError as exc:
        raise _taken(draft) from exc
    return signature


def signature_update(*, signature: Signature, user, draft: Draft, submit: bool, acknowledge_warnings: bool = False):
    """Change a draft, or an application sent back with changes requested; submit it if asked.
    The status moves by compare-and-set, so two tabs cannot both submit it."""
    if signature.status not in EDITABLE_STATES:
        raise ValidationError({"text": _("Only a draft or an application sent back for changes can be edited.")})
    draft = _check_ownership(signature.organization, draft)
    now = timezone.now()
    if not submit:
        with transaction.atomic():
            if (
                Signature.objects.filter(pk=signature.pk, status=signature.status).update(
                    updated_at=now, **_fields(draft)
                )
                != 1
            ):
                raise ValidationError({"text": _("Someone else changed this signature first. Reload the page.")})
        signature.refresh_from_db()
        return signature
    result = _passing(draft, acknowledge_warnings, exclude=signature.pk)
    current = signature.status
    try:
        with transaction.atomic():
            updated = Signature.objects.filter(pk=signature.pk, status=current).update(
                status=states.SUBMITTED, submitted_at=now, updated_at=now, **_fields(draft), **_snapshot(result)
            )
            if updated != 1:
                raise ValidationError({"text": _("Someone else changed this signature first. Reload the page.")})
            _event(signature, user, current, states.SUBMITTED, WARNINGS_ACKNOWLEDGED if result.warnings else "")
    except IntegrityError as exc:
        raise _taken(draft) from exc
    signature.refresh_from_db()
    return signature


def violation_text(violation: Violation) -> str:
    """The message in the active language (compliance speaks Chinese and English)."""
    return violation.message if (get_language() or "").startswith("zh") else violation.message_en


def signature_transition(*, signature: Signature, to_status: str, actor, reason: str = "") -> Signature:
    """Move a signature on, if the table allows it and nobody moved it first (compare-and-set)."""
    return move(signature, to_status=to_status, actor=actor, reason=reason, record=_event)


def signature_withdraw(*, signature: Signature, actor) -> Signature:
    return signature_transition(signature=signature, to_status=states.WITHDRAWN, actor=actor)
