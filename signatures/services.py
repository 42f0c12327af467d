"""Every write about signatures: one transaction, status by compare-and-set, an event per change."""

import datetime as dt
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance import Violation, check_signature
from compliance import transitions as states

from .models import HELD_STATES, Signature, SignatureEvent
from .policies import current_policy


class TransitionRefused(Exception):
    pass


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

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.is_error]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if not v.is_error]

    @property
    def blocked(self) -> bool:
        return bool(self.errors or self.problems)


def taken_by_others(*, entity, text: str) -> list[str]:
    """Signature texts held by other entities: one query, whatever the platform's size."""
    return list(
        Signature.objects.filter(text=text, status__in=HELD_STATES)
        .exclude(entity=entity)
        .values_list("text", flat=True)
    )


def precheck(draft: Draft, *, as_of: dt.date | None = None, policy=None) -> Precheck:
    """Every rule in force that the draft breaks, plus what its evidence lacks."""
    policy = policy or current_policy(as_of)
    problems: list[str] = []
    entity, source = draft.entity, draft.source
    engine_source = source
    subject_name, mainland = entity.name, entity.mainland
    trademark_owner = app_subject = None
    if source == Signature.Source.TRADEMARK:
        if draft.trademark is None:
            problems.append(_("Choose the registered trademark this signature rests on (add it on the entity's page)."))
        else:
            trademark_owner = draft.trademark.owner_name
    elif source == Signature.Source.APP_NAME:
        if draft.app is None:
            problems.append(_("Choose the ICP-filed app this signature rests on (add it on the entity's page)."))
        else:
            app_subject = draft.app.filing_subject
    elif source == Signature.Source.PARTNER:
        authorization = draft.partner_authorization
        if authorization is None:
            problems.append(_("Choose the partner authorization this signature rests on."))
        else:
            subject_name, mainland = authorization.partner.name, authorization.partner.mainland
            engine_source = "abbreviation" if draft.text != subject_name else "full_name"
            day = as_of or timezone.localdate()
            if not authorization.valid_from <= day <= authorization.valid_until:
                problems.append(
                    _("The partner's authorization is valid from %(start)s to %(end)s, not today.")
                    % {"start": authorization.valid_from, "end": authorization.valid_until}
                )
            covered = {s.strip() for s in authorization.signatures.replace("，", ",").split(",") if s.strip()}
            if draft.text not in covered:
                problems.append(
                    _("The partner's letter does not list “%(text)s”; it covers: %(covered)s.")
                    % {"text": draft.text, "covered": "、".join(sorted(covered)) or "—"}
                )
    violations = check_signature(
        draft.text,
        source=engine_source,
        entity_name=subject_name,
        entity_mainland=mainland,
        trademark_owner=trademark_owner,
        app_icp_subject=app_subject,
        taken_by_others=taken_by_others(entity=entity, text=draft.text),
        policy=policy,
    )
    return Precheck(violations=violations, problems=problems, policy_notices=policy.notices)


def _event(signature, actor, from_status, to_status, reason=""):
    SignatureEvent.objects.create(
        signature=signature, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )


def signature_submit(*, organization, user, draft: Draft, acknowledge_warnings: bool) -> Signature:
    """Create the application and submit it, if nothing blocks it; one transaction, two events."""
    if draft.entity.organization_id != organization.pk:
        raise ValidationError({"entity": _("Choose one of your organization's entities.")})
    result = precheck(draft)
    if result.blocked:
        raise ValidationError({"text": [violation_text(v) for v in result.errors] + result.problems})
    if result.warnings and not acknowledge_warnings:
        raise ValidationError({"acknowledge_warnings": _("Read the warnings above and tick the box to submit anyway.")})
    now = timezone.now()
    try:
        with transaction.atomic():
            signature = Signature.objects.create(
                organization=organization,
                entity=draft.entity,
                source=draft.source,
                trademark=draft.trademark,
                app=draft.app,
                partner_authorization=draft.partner_authorization,
                text=draft.text,
                status=states.SUBMITTED,
                precheck=[asdict(v) for v in result.violations],
                policy_notices=list(result.policy_notices),
                warnings_acknowledged=bool(result.warnings),
                created_by=user,
                submitted_at=now,
                updated_at=now,
            )
            _event(signature, user, "", states.DRAFT)
            _event(signature, user, states.DRAFT, states.SUBMITTED,
                   _("Warnings acknowledged.") if result.warnings else "")  # fmt: skip
    except IntegrityError as exc:
        # Another application took the same text a moment ago (or a double submit).
        raise ValidationError(
            {"text": _("“%(text)s” is already held by an application.") % {"text": draft.text}}
        ) from exc
    return signature


def violation_text(violation: Violation) -> str:
    """The message in the active language (compliance speaks Chinese and English)."""
    return violation.message if (get_language() or "").startswith("zh") else violation.message_en


def signature_transition(*, signature: Signature, to_status: str, actor, reason: str = "") -> Signature:
    """Move a signature on, if the table allows it and nobody moved it first (compare-and-set)."""
    current = signature.status
    if not states.can_transition(current, to_status):
        raise TransitionRefused(_("A signature cannot go from “%(a)s” to “%(b)s”.") % {"a": current, "b": to_status})
    with transaction.atomic():
        updated = Signature.objects.filter(pk=signature.pk, status=current).update(
            status=to_status, updated_at=timezone.now()
        )
        if updated != 1:
            raise TransitionRefused(_("Someone else changed this signature first. Reload the page."))
        _event(signature, actor, current, to_status, reason)
    signature.refresh_from_db()
    return signature


def signature_withdraw(*, signature: Signature, actor) -> Signature:
    return signature_transition(signature=signature, to_status=states.WITHDRAWN, actor=actor)
