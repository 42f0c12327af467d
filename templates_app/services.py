"""Every write about SMS templates: one transaction, status by compare-and-set, an event per change."""

import datetime as dt
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import carriers
from compliance import transitions as states
from compliance.policies import policy_as_of
from compliance.templates import MAX_BODY, Analysis, analyze_template, check_template
from filing_portal import compiled, workflow
from policies.timeline import timeline
from qualifications.models import OwnedAddress
from signatures.models import HELD_STATES, Signature
from signatures.services import violation_text

from .models import SmsTemplate, TestSend

CARRIERS = carriers.CODES  # the order customers know them in
# Templates whose contacts and domains a signature already whitelists (Telecom counts per signature).
# Pending ones count too (the carrier files what is submitted); one sent back for changes does not.
WHITELISTING_STATES = (states.SUBMITTED, states.IN_REVIEW, states.AWAITING_SECOND, states.APPROVED)
LIVE_VERSIONS = (states.APPROVED,)
PENDING_STATES = (states.SUBMITTED, states.IN_REVIEW, states.AWAITING_SECOND)
WHITELIST_FULL = "TPL_SIGNATURE_WHITELIST_FULL"
EDITABLE_STATES = (states.DRAFT, states.CHANGES_REQUESTED)
# What may be test-sent: what has been submitted and is neither withdrawn nor rejected.
TESTABLE_STATES = (*PENDING_STATES, states.CHANGES_REQUESTED, *LIVE_VERSIONS)
# Text beyond this is not analysed (it is refused for length anyway): no input can hold a worker.
ANALYSED_LIMIT = 2 * MAX_BODY


TransitionRefused = workflow.TransitionRefused


@dataclass(frozen=True)
class CarrierVerdict:
    carrier: str
    verdict: str  # "allowed" | "needs_filing" | "blocked" | "no_rules"
    violations: list  # this carrier's own, errors and warnings
    night_window: str
    # What blocks it, when it is blocked: its own errors, then the format errors every carrier shares.
    # Never empty for a blocked verdict: every "blocked" names its rule.
    blocking: list = ()


@dataclass(frozen=True)
class TemplateCheck:
    analysis: Analysis
    general: list  # violations of no carrier: format, length, variables
    carriers: list[CarrierVerdict]
    change_keys: tuple[str, ...]
    variable_length: int = 0  # what a variable without a declared maximum counts in the billed estimate
    policy: object = (
        None  # the rules every carrier shares on the day checked (what the signature's source is read against)
    )

    @property
    def blocked(self) -> bool:
        return any(v.is_error for v in self.general) or any(c.verdict == "blocked" for c in self.carriers)

    @property
    def violations(self) -> list:
        return self.general + [v for c in self.carriers for v in c.violations]


def whitelists_of(*, signature, exclude=()) -> list[tuple[set, set]]:
    """The contacts and domains the signature's other templates whitelist with Telecom, as
    (contacts, domains): one pair, or two while a new version awaits review. Then the version it
    would replace is still filed and in use, and will give way to it: a template must fit beside
    the old one now and beside the new one later, so it is checked against both. A version replaced
    by an approved newer one whitelists nothing."""
    # Asked at each keystroke with the same signature: compiled once a process (filing_portal.compiled).
    rows = compiled.rows(_whitelisting_rows, signature.pk, tuple(sorted(pk for pk in exclude if pk is not None)))
    return whitelist_pairs(rows)


def whitelist_pairs(rows) -> list[tuple[set, set]]:
    """whitelists_of from the signature's whitelisting templates, (pk, previous id, status, text)
    each (the template checked and the version it replaces left out): what the rule-change run
    gives, having read the rows of many signatures at once (``whitelisting_rows``)."""
    present = {pk for pk, *_ in rows}
    successors = {previous: pk for pk, previous, status, _ in rows if status in PENDING_STATES and previous in present}
    keeps = [present - set(successors.values())] + ([present - set(successors)] if successors else [])
    texts = {pk: text for pk, _, _, text in rows}
    pairs = []
    for keep in keeps:
        contacts, domains = set(), set()
        for pk in keep:
            their_contacts, their_domains = _reach(texts[pk])
            contacts |= their_contacts
            domains |= their_domains
        pairs.append((contacts, domains))
    return pairs


@lru_cache(maxsize=1)
def _whitelisting():
    """The templates that whitelist (their signature's filter added per call): built once a process,
    as the as-you-type check asks at each keystroke; never evaluated itself."""
    return SmsTemplate.objects.filter(status__in=WHITELISTING_STATES).exclude(revisions__status__in=LIVE_VERSIONS)


def _whitelisting_rows(signature_id, exclude):
    return (
        _whitelisting()
        .filter(signature_id=signature_id)
        .exclude(pk__in=exclude)
        .values_list("pk", "previous_id", "status", "text")
    )


def whitelisting_rows(signature_ids) -> dict[int, list[tuple]]:
    """The whitelisting templates of many signatures in one query: signature id -> [(pk, previous id,
    status, text)], for whitelist_pairs."""
    found: dict[int, list[tuple]] = {}
    rows = _whitelisting().filter(signature_id__in=list(signature_ids))
    for signature_id, *row in rows.values_list("signature_id", "pk", "previous_id", "status", "text"):
        found.setdefault(signature_id, []).append(tuple(row))
    return found


def owned_addresses(entity_ids) -> dict:
    """The domains and IPs of many entities in one query: entity id -> [(kind, value)]."""
    found: dict = {}
    rows = OwnedAddress.objects.filter(entity_id__in=list(entity_ids)).values_list("entity_id", "kind", "value")
    for entity_id, kind, value in rows:
        found.setdefault(entity_id, []).append((kind, value))
    return found


def _owned_addresses(entity_id):
    return OwnedAddress.objects.filter(entity_id=entity_id).values_list("kind", "value")


@lru_cache(maxsize=4096)
def _reach(text: str) -> tuple[frozenset, frozenset]:
    """The contacts and domains of a template's text: contacts as (kind, value, as written), the
    variables where a contact goes among them (the policy decides whether they count). Cached: the
    as-you-type check asks for every other template of the signature at each keystroke, and their
    texts do not change."""
    analysis = analyze_template(text)
    contacts = {
        (*contact, written) for contact, written in zip(analysis.contacts, analysis.contacts_written, strict=True)
    }
    contacts |= {("variable", name, name) for name in analysis.variable_contacts}
    return frozenset(contacts), frozenset(analysis.links)


def clipped(text: str) -> str:
    """The text as it is analysed: beyond ANALYSED_LIMIT it is refused for length anyway."""
    return text[:ANALYSED_LIMIT] + ("…" if len(text) > ANALYSED_LIMIT else "")


def template_policies(day: dt.date, changes) -> dict:
    """The rules a template is checked against on ``day``: the rules every carrier shares (key None:
    billing, what a variable holds) and each carrier's, folded from ``changes``."""
    return {None: policy_as_of(day, changes=changes), **{c: policy_as_of(day, c, changes=changes) for c in CARRIERS}}


def template_check(*, signature, kind: str, text: str, as_of: dt.date | None = None, exclude=None) -> TemplateCheck:
    """What each carrier will say about the template, under the rules in force on ``as_of``."""
    day = as_of or timezone.localdate()
    text = clipped(text)
    policies = template_policies(day, timeline())
    # Billing is the same at every carrier: the rules every carrier shares say what a variable holds.
    analysis = analyze_template(text, signature.text, variable_length=policies[None].template_variable_length)
    # The entity's own domains and IPs matter only to a text with a link or an IP: read them then only.
    addresses = compiled.rows(_owned_addresses, signature.entity_id) if analysis.links or analysis.ips else []
    whitelists = whitelists_of(signature=signature, exclude=exclude or ())
    return judge_template(text=text, kind=kind, signature_text=signature.text, policies=policies,
                          analysis=analysis, addresses=addresses, whitelists=whitelists)  # fmt: skip


def judge_template(*, text: str, kind: str, signature_text: str, policies: dict, addresses, whitelists,
                   analysis=None) -> TemplateCheck:  # fmt: skip
    """template_check with everything read: ``policies`` (template_policies), the entity's ``addresses``
    ((kind, value) each), the signature's ``whitelists`` (whitelist_pairs) and, when the caller has it,
    the text's ``analysis`` under ``policies[None]``. The rule-change run calls it with the rows of a
    whole chunk read at once, under two timelines (with and without the change)."""
    common_policy = policies[None]
    if analysis is None:
        analysis = analyze_template(text, signature_text, variable_length=common_policy.template_variable_length)
    owned_domains = [value for k, value in addresses if k == OwnedAddress.Kind.DOMAIN]
    owned_ips = [value for k, value in addresses if k == OwnedAddress.Kind.IP]
    (contacts, domains), *later = whitelists
    common = {"owned_domains": owned_domains, "owned_ips": owned_ips, "signature": signature_text}
    general, verdicts, keys = [], [], []
    for carrier in CARRIERS:
        policy = policies[carrier]
        keys.extend(policy.change_keys)
        found = check_template(text, kind=kind, carrier=carrier, policy=policy, analysis=analysis,
                               include_general=carrier == CARRIERS[0], signature_contacts=contacts,
                               signature_domains=domains, **common)  # fmt: skip
        for later_contacts, later_domains in later:  # beside the new versions awaiting review, too
            if not any(v.code == WHITELIST_FULL for v in found):
                found += [v for v in check_template(text, kind=kind, carrier=carrier, policy=policy, analysis=analysis,
                                                    include_general=False, signature_contacts=later_contacts,
                                                    signature_domains=later_domains, **common)
                          if v.code == WHITELIST_FULL]  # fmt: skip
        general += [v for v in found if v.carrier is None]
        mine = [v for v in found if v.carrier == carrier]
        # A format error (length, variables, opt-out…) stops it at every carrier: named in each row.
        blocking = [v for v in mine if v.is_error] + [v for v in general if v.is_error]
        if blocking:
            verdict = "blocked"
        elif not policy.template_filing_required:
            verdict = "no_rules"
        elif mine:
            verdict = "needs_filing"
        else:
            verdict = "allowed"
        verdicts.append(CarrierVerdict(carrier, verdict, mine, policy.night_rate_limit, blocking))
    keys = tuple(dict.fromkeys(keys))
    return TemplateCheck(analysis, general, verdicts, keys, common_policy.template_variable_length, common_policy)


def _refuse_if_blocked(result: TemplateCheck):
    if result.blocked:
        # Each with its rule's code (TPL_…): the API's answer keeps it.
        errors = [ValidationError(violation_text(v), code=v.code) for v in result.violations if v.is_error]
        raise ValidationError({"text": errors})


def _check_signature(organization, signature):
    if signature.organization_id != organization.pk or signature.status not in HELD_STATES:
        raise _not_live()


def _not_live() -> ValidationError:
    message = _("Choose one of your organization's live signatures.")
    return ValidationError({"signature": ValidationError(message, code="invalid_choice")})


def whitelist_exclusions(template: SmsTemplate | None) -> list[int]:
    """A template is not counted against itself, nor against the version it replaces."""
    if template is None:
        return []
    return [pk for pk in (template.pk, template.previous_id) if pk is not None]


def _blockers_after_commit(signature) -> None:
    """A template's blockers are its signature's evidence's: recomputed once the submission is committed
    (a template cannot mend them, so a submission does not clear them)."""
    from review.blockers import entity_changed

    entity_changed(signature.entity_id)


def _snapshot(result: TemplateCheck) -> dict:
    return {"precheck": [asdict(v) for v in result.violations], "policy_keys": list(result.change_keys),
            "blockers": []}  # fmt: skip


def template_save_draft(*, organization, user, signature, kind: str, name: str, text: str) -> SmsTemplate:
    """Keep a template as a draft: nothing is checked but the signature; one event. A draft
    whitelists nothing with the carriers."""
    _check_signature(organization, signature)
    with transaction.atomic():
        template = SmsTemplate.objects.create(organization=organization, signature=signature, kind=kind, name=name,
                                              text=text, status=states.DRAFT, created_by=user)  # fmt: skip
        workflow.record_creation(template, actor=user, submit=False)
    return template


def _claim(signature, *, gone=None) -> None:
    """Serialise the submissions under one signature, inside their transaction: Telecom's whitelist
    is counted across its templates, so one submission's check and write must not interleave with
    another's. An UPDATE that changes nothing locks the row on PostgreSQL and takes SQLite's write
    lock (SQLite ignores select_for_update); it also finds the signature still live."""
    if not Signature.objects.filter(pk=signature.pk, status__in=HELD_STATES).update(status=F("status")):
        raise gone or _not_live()


def _signature_gone() -> ValidationError:
    # A new version keeps its signature: the customer cannot choose another, so say why, on the text.
    return ValidationError({"text": ValidationError(_("The template's signature is no longer live."),
                                                    code="signature_not_live")})  # fmt: skip


def template_submit(*, organization, user, signature, kind: str, name: str, text: str) -> SmsTemplate:
    """Create the template and submit it when no carrier blocks it; one transaction, two events."""
    _check_signature(organization, signature)
    with transaction.atomic():
        _claim(signature)
        result = template_check(signature=signature, kind=kind, text=text)
        _refuse_if_blocked(result)
        now = timezone.now()
        template = SmsTemplate.objects.create(
            organization=organization, signature=signature, kind=kind, name=name, text=text,
            status=states.SUBMITTED, created_by=user, submitted_at=now, updated_at=now, **_snapshot(result),
        )  # fmt: skip
        workflow.record_creation(template, actor=user, submit=True)
        _blockers_after_commit(signature)
    return template


def template_update(*, template: SmsTemplate, user, signature, kind: str, name: str, text: str, submit: bool):
    """Change a draft, or a template sent back with changes requested, and submit it if asked. A new
    version keeps its signature and name. The status moves by compare-and-set: two tabs cannot
    both submit it."""
    if template.status not in EDITABLE_STATES:
        message = _("Only a draft or a template sent back for changes can be edited.")
        raise ValidationError({"text": ValidationError(message, code="not_editable")})
    fixed = template.previous_id is not None
    if fixed:
        signature, name = template.signature, template.name  # a new version replaces the same template
        if signature.status not in HELD_STATES:
            raise _signature_gone()
    _check_signature(template.organization, signature)
    fields = {"signature": signature, "kind": kind, "name": name, "text": text}
    current = template.status
    stale = ValidationError({"text": ValidationError(_("Someone else changed this template first. Reload the page."),
                                                     code="stale")})  # fmt: skip
    with transaction.atomic():
        if not submit:
            if SmsTemplate.objects.filter(pk=template.pk, status=current).update(updated_at=timezone.now(),
                                                                                 **fields) != 1:  # fmt: skip
                raise stale
            template.refresh_from_db()
            return template
        _claim(signature, gone=_signature_gone() if fixed else None)
        result = template_check(signature=signature, kind=kind, text=text, exclude=whitelist_exclusions(template))
        _refuse_if_blocked(result)
        fields.update(submitted_at=timezone.now(), **_snapshot(result))
        action = states.SUBMIT if current == states.DRAFT else states.RESUBMIT
        _blockers_after_commit(signature)
        try:
            return workflow.move(template, action=action, to_status=states.SUBMITTED, actor=user, fields=fields)
        except TransitionRefused as refused:
            raise stale from refused


def template_revise(*, template: SmsTemplate, user, kind: str, text: str) -> SmsTemplate:
    """Editing an approved template makes a new version that is reviewed again; the old
    one stays usable until the new one is approved. One newer version at a time."""
    if template.status not in LIVE_VERSIONS:
        message = _("Only an approved template is revised as a new version.")
        raise ValidationError({"text": ValidationError(message, code="not_revisable")})
    if template.signature.status not in HELD_STATES:
        raise _signature_gone()
    message = _("A newer version is already under way: withdraw it, or wait for its review.")
    under_way = ValidationError({"text": ValidationError(message, code="revision_under_way")})
    try:
        with transaction.atomic():
            _claim(template.signature, gone=_signature_gone())  # a second revision at once waits here
            if template.revisions.exclude(status__in=(states.WITHDRAWN, states.REJECTED)).exists():
                raise under_way
            result = template_check(signature=template.signature, kind=kind, text=text,
                                    exclude=whitelist_exclusions(template))  # fmt: skip
            _refuse_if_blocked(result)
            now = timezone.now()
            # After a withdrawn or rejected v2, the next version is v3: a number is never used twice.
            version = max(template.version, template.revisions.aggregate(last=Max("version"))["last"] or 0) + 1
            revision = SmsTemplate.objects.create(
                organization=template.organization, signature=template.signature, kind=kind, name=template.name,
                text=text, status=states.SUBMITTED, version=version, previous=template,
                created_by=user, submitted_at=now, updated_at=now, **_snapshot(result),
            )  # fmt: skip
            _blockers_after_commit(template.signature)
            workflow.record_creation(revision, actor=user, submit=True,
                                     created_note=f"v{template.version} → v{revision.version}")  # fmt: skip
    except IntegrityError as exc:  # the database's own rule (template_one_revision_under_way), should a lock not hold
        raise under_way from exc
    return revision


def template_withdraw(*, template: SmsTemplate, actor) -> SmsTemplate:
    """The customer withdraws a template until the platform decides (the table says from where)."""
    # Withdrawn while a reviewer held it, the claim ends with it.
    return workflow.move(template, action=states.WITHDRAW, to_status=states.WITHDRAWN, actor=actor,
                         fields={"reviewer": None, "claimed_at": None})  # fmt: skip


def validate_test_send(*, template: SmsTemplate, delivered: bool, failure_code: str, sent_on):
    """The rule for a test send, whoever records it (a member on the customer site, staff in the admin)."""
    errors = {}  # every problem at once, not one per submission
    if template.status == states.DRAFT:
        errors["template"] = _("A draft is not filed with any carrier: submit it before testing.")
    elif template.status not in TESTABLE_STATES:
        errors["template"] = _("A withdrawn or rejected template is not sent: test one that is under way or live.")
    if not delivered and not failure_code.strip():
        errors["failure_code"] = _("Give the failure code the carrier returned.")
    written = timezone.localdate(template.created_at)
    if sent_on > timezone.localdate():
        errors["sent_on"] = _("A test send cannot be in the future.")
    elif sent_on < written:
        errors["sent_on"] = _("A test send cannot be before the template was written (%(date)s).") % {"date": written}
    if errors:
        raise ValidationError(errors)


def record_test_send(*, template: SmsTemplate, user, carrier: str, sent_on, delivered: bool, failure_code: str):
    """Record one test send, whoever records it (a member on the customer site, staff in the admin), under
    validate_test_send, in one transaction: the template is read again, locked, so one withdrawn since the
    form was shown is refused. A delivered send keeps no failure code. Raises ValidationError, writing nothing."""
    with transaction.atomic():
        template = SmsTemplate.objects.select_for_update().get(pk=template.pk)
        validate_test_send(template=template, delivered=delivered, failure_code=failure_code, sent_on=sent_on)
        return TestSend.objects.create(
            template=template, carrier=carrier, sent_on=sent_on, delivered=delivered,
            failure_code="" if delivered else failure_code.strip(), recorded_by=user,
        )  # fmt: skip


def latest_test_sends(*, template: SmsTemplate) -> dict:
    latest = {}
    for send in compiled.rows(_test_sends, template.pk):  # compiled once a process for the template
        latest.setdefault(send.carrier, send)
    return latest


def _test_sends(template_id):
    return (
        TestSend.objects.filter(template_id=template_id)
        .select_related("recorded_by")
        .order_by("-sent_on", "-recorded_at")
    )
