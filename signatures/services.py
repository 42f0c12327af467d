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
from compliance import transitions as states
from compliance.abbreviations import abbreviation_candidates, propose_abbreviations, proposes_abbreviations
from compliance.evidence import check_evidence
from compliance.policies import ALL_CARRIERS
from compliance.signatures import EDITABLE_STATES, signature_refs, with_no_proposal_hint
from filing_portal import compiled, workflow
from policies.timeline import timeline

from . import selectors
from .models import HELD_STATES, Signature

CARRIER_CODES = tuple(sorted(ALL_CARRIERS))
WARNINGS_ACKNOWLEDGED = "warnings_acknowledged"


TransitionRefused = workflow.TransitionRefused


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
    problems: list[Violation]  # the evidence rules (compliance.evidence): the package, the trademark, the letter…
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


def engine_arguments(*, source: str, text: str, entity_name: str, entity_mainland: bool,
                     trademark_owner: str | None = None, app_subject: str | None = None,
                     partner: tuple[str, bool] | None = None) -> dict:  # fmt: skip
    """What the rules engine (check_signature) is given for an application, but its text, the texts
    others hold and the policy: the source it judges and the name and place it is judged against.
    One mapping for the live check, the submission and the rule-change run (announcements.recheck).

    ``text``: normalised (NFKC); ``trademark_owner`` / ``app_subject``: of the trademark or app it
    rests on, if any; ``partner``: (name, mainland) of the partner whose authorization it rests on."""
    engine_source, subject_name, mainland = source, entity_name, entity_mainland
    if source == Signature.Source.PARTNER:
        if partner is None:
            engine_source = "trademark"  # until the partner is known, only the character rules apply
        else:
            subject_name, mainland = partner
            engine_source = "full_name" if text == unicodedata.normalize("NFKC", subject_name) else "abbreviation"
    return {
        "source": engine_source, "entity_name": subject_name, "entity_mainland": mainland,
        "trademark_owner": trademark_owner if source == Signature.Source.TRADEMARK else None,
        "app_icp_subject": app_subject if source == Signature.Source.APP_NAME else None,
    }  # fmt: skip


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
    entity, source = draft.entity, draft.source
    holders = held_by(text=text, exclude=exclude)
    facts = selectors.signature_facts(draft, text=text, held_by_entity=any(e == entity.pk for e, _t in holders))
    problems = check_evidence(facts, day=day, real_name_required=shared.real_name_required,
                              app_source_accepted=source in shared.accepted_sources)  # fmt: skip
    # Each read only for the source that uses it (a form's light options may not load the others' columns).
    trademark = draft.trademark if source == Signature.Source.TRADEMARK else None
    app = draft.app if source == Signature.Source.APP_NAME else None
    authorization = draft.partner_authorization if source == Signature.Source.PARTNER else None
    partner = authorization.partner if authorization is not None else None
    arguments = engine_arguments(
        source=source, text=text, entity_name=entity.name, entity_mainland=entity.mainland,
        trademark_owner=trademark.owner_name if trademark is not None else None,
        app_subject=app.filing_subject if app is not None else None,
        partner=(partner.name, partner.mainland) if partner is not None else None,
    )  # fmt: skip
    others = [held for entity_id, held in holders if entity_id != entity.pk]
    violations: list[Violation] = []
    seen: set[str] = set()
    for carrier_policy in policies:  # the rules of every carrier; the first time a code appears counts
        for violation in check_signature(text, **arguments, taken_by_others=others, policy=carrier_policy):
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


def _check_ownership(organization, draft: Draft) -> Draft:
    entity = draft.entity
    shared = entity.organization_id != organization.pk and entity.shares.filter(organization=organization).exists()
    if entity.organization_id != organization.pk and not shared:
        raise ValidationError({"entity": ValidationError(_("Choose one of your organization's entities."),
                                                         code="invalid_choice")})  # fmt: skip
    return replace(draft, text=unicodedata.normalize("NFKC", draft.text or ""))


def _fields(draft: Draft) -> dict:
    return {"entity": draft.entity, "source": draft.source, "trademark": draft.trademark, "app": draft.app,
            "partner_authorization": draft.partner_authorization, "text": draft.text}  # fmt: skip


def _passing(draft: Draft, acknowledge_warnings: bool, exclude=None) -> Precheck:
    result = precheck(draft, exclude=exclude)
    if result.blocked:
        # Each with its rule's code (SIG_TAKEN…): the API's answer keeps it.
        errors = [ValidationError(violation_text(v), code=v.code) for v in (*result.errors, *result.problems)]
        raise ValidationError({"text": errors})
    if result.warnings and not acknowledge_warnings:
        message = _("Read the warnings above and tick the box to submit anyway.")
        raise ValidationError({"acknowledge_warnings": ValidationError(message, code="warnings_not_acknowledged")})
    return result


def _blockers_after_commit(entity_id) -> None:
    """A submission passed the evidence rules as it was checked; what still breaks (an expired ID the
    engine does not judge, another of the entity's problems) is recomputed once it is committed."""
    from review.blockers import entity_changed

    entity_changed(entity_id)


def _snapshot(result: Precheck) -> dict:
    return {"precheck": [asdict(v) for v in result.violations], "policy_notices": list(result.policy_notices),
            "policy_keys": list(result.change_keys), "warnings_acknowledged": bool(result.warnings),
            "blockers": []}  # fmt: skip


def _taken(draft: Draft) -> ValidationError:
    # Another application took the same text a moment ago (or a double submit).
    message = _("“%(text)s” is already held by an application.") % {"text": draft.text}
    return ValidationError({"text": ValidationError(message, code="SIG_TAKEN")})


def _stale() -> ValidationError:
    message = _("Someone else changed this signature first. Reload the page.")
    return ValidationError({"text": ValidationError(message, code="stale")})


def signature_save_draft(*, organization, user, draft: Draft) -> Signature:
    """Keep an application as a draft: nothing is checked yet but the entity; one event."""
    draft = _check_ownership(organization, draft)
    with transaction.atomic():
        signature = Signature.objects.create(organization=organization, created_by=user, status=states.DRAFT,
                                             **_fields(draft))  # fmt: skip
        workflow.record_creation(signature, actor=user, submit=False)
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
            _blockers_after_commit(signature.entity_id)
            # A marker, not text: the timeline shows it in the reader's language.
            workflow.record_creation(signature, actor=user, submit=True,
                                     submitted_note=WARNINGS_ACKNOWLEDGED if result.warnings else "")  # fmt: skip
    except IntegrityError as exc:
        raise _taken(draft) from exc
    return signature


def signature_update(*, signature: Signature, user, draft: Draft, submit: bool, acknowledge_warnings: bool = False):
    """Change a draft, or an application sent back with changes requested; submit it if asked.
    The status moves by compare-and-set, so two tabs cannot both submit it."""
    if signature.status not in EDITABLE_STATES:
        message = _("Only a draft or an application sent back for changes can be edited.")
        raise ValidationError({"text": ValidationError(message, code="not_editable")})
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
                raise _stale()
        signature.refresh_from_db()
        return signature
    result = _passing(draft, acknowledge_warnings, exclude=signature.pk)
    action = states.SUBMIT if signature.status == states.DRAFT else states.RESUBMIT
    _blockers_after_commit(draft.entity.pk)
    try:
        return workflow.move(
            signature, action=action, to_status=states.SUBMITTED, actor=user,
            note=WARNINGS_ACKNOWLEDGED if result.warnings else "",
            fields={"submitted_at": now, **_fields(draft), **_snapshot(result)},
        )  # fmt: skip
    except IntegrityError as exc:
        raise _taken(draft) from exc
    except TransitionRefused as refused:
        raise _stale() from refused


def violation_text(violation: Violation) -> str:
    """The message in the active language (compliance speaks Chinese and English)."""
    return violation.message if (get_language() or "").startswith("zh") else violation.message_en


def signature_withdraw(*, signature: Signature, actor) -> Signature:
    """The customer withdraws an application until the platform decides (the table says from where)."""
    # Withdrawn while a reviewer held it, the claim ends with it.
    return workflow.move(signature, action=states.WITHDRAW, to_status=states.WITHDRAWN, actor=actor,
                         fields={"reviewer": None, "claimed_at": None})  # fmt: skip
