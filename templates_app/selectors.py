"""Reads of SMS templates, scoped to the caller's organization: another customer's template is a 404. What
the site's pages and the API share, down to the live check."""

from dataclasses import dataclass, replace

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.translation import gettext as _

from compliance.signatures import withdrawn_source_violation
from filing_portal import compiled
from review.selectors import EVENT_COLUMNS
from signatures.models import HELD_STATES, Signature

from . import services
from .models import SmsTemplate, TemplateEvent


def template_get(*, organization, template_id, revised: bool = False) -> SmsTemplate:
    """The organization's template, with its signature and entity, and with ``revised`` whether it
    has newer versions (its page: most have none, and are not asked). Compiled once a process for
    the organization and template (filing_portal.compiled)."""
    try:
        template_id = int(template_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = compiled.rows(_template_of, organization.pk, template_id, revised)
    if not found:
        raise Http404
    found[0].organization = organization
    return found[0]


_REVISED = SmsTemplate.objects.filter(previous=OuterRef("pk"))


def _template_of(org_id, template_id, revised):
    templates = SmsTemplate.objects.filter(organization_id=org_id, pk=template_id).select_related("signature__entity")
    return templates.annotate(revised=Exists(_REVISED)) if revised else templates


def template_events(*, template):
    """The timeline as plain rows (review.selectors.EVENT_COLUMNS), compiled once a process for the template."""
    return compiled.rows(_timeline, template.pk)


def _timeline(template_id):
    return TemplateEvent.objects.filter(template_id=template_id).order_by("at", "pk").values_list(*EVENT_COLUMNS)


def _held_signature(org_id, signature_id):
    """The live check's signature: the organization's, held (under review, filed or in use), with its entity."""
    signatures = Signature.objects.filter(organization_id=org_id, pk=signature_id, status__in=HELD_STATES)
    return signatures.select_related("entity")


def held_signature(*, organization, signature_id: int) -> Signature | None:
    """The organization's held signature a template may be checked under, or None. The same signature on
    every keystroke: its query compiled once (filing_portal.compiled)."""
    found = compiled.rows(_held_signature, organization.pk, signature_id)
    return found[0] if found else None


def source_withdrawn(signature, policy):
    """The warning of the signature's own page when its source is no longer accepted (app names from
    2026-05-01, notice 2026.4.23), the signature named: compliance's words, the date, notice and the
    way forward. None while its source counts."""
    violation = withdrawn_source_violation(signature.source, signature.status, policy)
    if violation is None:
        return None
    prefix = _("The signature 【%(text)s】 of this template: ") % {"text": signature.text}
    return replace(violation, message=prefix + violation.message, message_en=prefix + violation.message_en)


@dataclass(frozen=True)
class LiveCheck:
    signature: Signature
    result: services.TemplateCheck
    general: list  # the violations of no carrier, its signature's withdrawn source first (as its page says)


def live_check(*, organization, signature: Signature, kind: str, text: str, editing: SmsTemplate | None = None):
    """What each carrier will say of a template as typed (the form's as-you-type check and the API's check):
    ``editing``, the template being edited or revised, is not counted against itself."""
    result = services.template_check(signature=signature, kind=kind, text=text,
                                     exclude=services.whitelist_exclusions(editing))  # fmt: skip
    general = [v for v in [source_withdrawn(signature, result.policy), *result.general] if v]
    return LiveCheck(signature=signature, result=result, general=general)
