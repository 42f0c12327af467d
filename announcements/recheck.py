"""What a policy change breaks: the live signatures and templates of one chunk, re-checked under the
policy as of the change's date with the change and without it (docs/notices.md, "The rule-change run").

An item is affected when the rules with the change find an error in it that the same rules without the
change do not: the notice then lists exactly what the change breaks. The rules are the engine's
(compliance.check_signature, compliance.check_template), given what the live check gives them: the
same mapping of an application to the engine's arguments (signatures.services.engine_arguments) and
the same template judgement (templates_app.services.judge_template), with the rows of a whole chunk
read in a few queries and streamed, never loaded at once.
"""

import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache

from compliance import check_signature
from compliance import transitions as t
from compliance.policies import PARAMETERS, Policy, policy_as_of
from compliance.signatures import SIGNATURE_PARAMETERS, withdrawn_source_warning
from policies.models import Policy as PolicyRow
from policies.timeline import change_from_row, timeline
from signatures.models import Signature
from signatures.services import CARRIER_CODES, engine_arguments
from templates_app import services as templates
from templates_app.models import SmsTemplate

# Live: under review or approved (and then filed, or being filed, at the carriers). A draft, one sent back
# for changes, a rejected or withdrawn one is checked again when it is submitted.
LIVE_STATES = (t.SUBMITTED, t.IN_REVIEW, t.AWAITING_SECOND, t.APPROVED)
# Streamed from the database this many rows at a time within a chunk.
FETCH = 500

_POLICY_FIELDS = tuple(f.name for f in fields(Policy) if f.name in PARAMETERS)
_SIGNATURE_FIELDS = tuple(name for name in _POLICY_FIELDS if name in SIGNATURE_PARAMETERS)
_TEMPLATE_FIELDS = tuple(name for name in _POLICY_FIELDS if name not in SIGNATURE_PARAMETERS)


def live_signatures():
    return Signature.objects.filter(status__in=LIVE_STATES)


def live_templates():
    # A version replaced by a newer approved one is no longer sent (templates_app: LIVE_VERSIONS).
    return SmsTemplate.objects.filter(status__in=LIVE_STATES).exclude(revisions__status=t.APPROVED)


def _values(policy: Policy, names) -> tuple:
    return tuple(getattr(policy, name) for name in names)


@dataclass(frozen=True)
class Context:
    """The rules a run compares, folded once a process: the change's date, then for signatures the
    carriers grouped by the rules they share (with, without), and the templates' rules (template_policies)
    with and without the change; a side whose rules the change leaves alone is None."""

    key: str
    as_of: object
    signature_groups: tuple  # ((carriers, with policy, without policy), ...) where the change moves a rule
    templates_with: dict | None
    templates_without: dict | None


@lru_cache(maxsize=16)
def context(run_id: int, key: str, as_of) -> Context:
    """The rules of the run ``run_id`` for the change ``key`` as of ``as_of``: the timeline in force (the
    built-in changes and the admin's rows) with it, and the same without it. Kept a process per run."""
    with_change = timeline()
    if not any(change.key == key for change in with_change):  # an admin row the cache has not seen yet
        with_change = (*with_change, change_from_row(PolicyRow.objects.get(key=key)))
    without = tuple(change for change in with_change if change.key != key)
    groups: dict[tuple, list] = {}
    for carrier in CARRIER_CODES:
        after, before = policy_as_of(as_of, carrier, changes=with_change), policy_as_of(as_of, carrier, changes=without)
        if _values(after, _SIGNATURE_FIELDS) != _values(before, _SIGNATURE_FIELDS):
            group = (_values(after, _SIGNATURE_FIELDS), _values(before, _SIGNATURE_FIELDS))
            groups.setdefault(group, [after, before, []])[2].append(carrier)
    signature_groups = tuple((tuple(carriers), after, before) for after, before, carriers in groups.values())
    templates_with = templates.template_policies(as_of, with_change)
    templates_without = templates.template_policies(as_of, without)
    if all(_values(templates_with[c], _TEMPLATE_FIELDS) == _values(templates_without[c], _TEMPLATE_FIELDS)
           for c in templates_with):  # fmt: skip
        templates_with = templates_without = None
    return Context(key, as_of, signature_groups, templates_with, templates_without)


@dataclass(frozen=True)
class Found:
    """One affected item, ready to be an ImpactItem."""

    kind: str
    object_id: int
    organization_id: int
    label_zh: str
    label_en: str
    codes: list
    carriers: list
    reason_zh: str
    reason_en: str


def _carriers(found: set) -> list:
    """The carriers named, in the domain's order; [] when it is all three (or a rule of no carrier)."""
    if None in found or set(found) >= set(CARRIER_CODES):
        return []
    return [c for c in CARRIER_CODES if c in found]


def _joined(messages, separator) -> str:
    return separator.join(dict.fromkeys(m for m in messages if m))


# --- signatures ---------------------------------------------------------------------------------------

_SIGNATURE_COLUMNS = (
    "pk", "organization_id", "text", "source", "status", "entity__name", "entity__mainland", "trademark__owner_name",
    "app__filing_subject", "partner_authorization__partner__name", "partner_authorization__partner__mainland",
)  # fmt: skip


def signatures(first_id: int, last_id: int, ctx: Context):
    """(checked, [Found]) for the live signatures with a pk in [first_id, last_id]."""
    rows = live_signatures().filter(pk__gte=first_id, pk__lte=last_id).order_by("pk").values_list(*_SIGNATURE_COLUMNS)
    if not ctx.signature_groups:  # the change sets no signature rule: none can break
        return rows.count(), []
    checked, found = 0, []
    for pk, org_id, text, source, status, name, mainland, owner, subject, partner, partner_mainland in rows.iterator(
        chunk_size=FETCH
    ):
        checked += 1
        text = unicodedata.normalize("NFKC", text or "")
        arguments = engine_arguments(
            source=source, text=text, entity_name=name, entity_mainland=mainland, trademark_owner=owner,
            app_subject=subject, partner=(partner, partner_mainland) if partner is not None else None,
        )  # fmt: skip
        new: dict[str, tuple] = {}  # code -> (violation, carriers)
        for carriers, after, before in ctx.signature_groups:
            # Uniqueness is the database's (one live holder of a text), so no other live holder is passed.
            errors = [v for v in check_signature(text, **arguments, policy=after) if v.is_error]
            if not errors:
                continue
            already = {v.code for v in check_signature(text, **arguments, policy=before) if v.is_error}
            for violation in errors:
                if violation.code not in already:
                    new.setdefault(violation.code, (violation, set()))[1].update(carriers)
        if new:
            found.append(_signature_found(pk, org_id, text, source, status, new, ctx))
    return checked, found


def _signature_found(pk, org_id, text, source, status, new, ctx) -> Found:
    reasons = []
    for code, (violation, carriers) in new.items():
        policy = next(after for group, after, _before in ctx.signature_groups if set(group) & carriers)
        # A source no longer accepted: what to do depends on where the application is (compliance).
        warning = withdrawn_source_warning(source, status, policy) if code == "SIG_SOURCE_NOT_ACCEPTED" else None
        reasons.append(warning or (violation.message, violation.message_en))
    return Found(
        kind="signature", object_id=pk, organization_id=org_id, label_zh=f"签名【{text}】",
        label_en=f"Signature 【{text}】", codes=sorted(new),
        carriers=_carriers(set().union(*(carriers for _v, carriers in new.values()))),
        reason_zh=_joined((zh for zh, _en in reasons), "；"), reason_en=_joined((en for _zh, en in reasons), " "),
    )  # fmt: skip


# --- templates ----------------------------------------------------------------------------------------

_TEMPLATE_COLUMNS = ("pk", "organization_id", "signature_id", "kind", "text", "previous_id", "name", "version")


def templates_in(first_id: int, last_id: int, ctx: Context):
    """(checked, [Found]) for the live templates with a pk in [first_id, last_id]."""
    rows = live_templates().filter(pk__gte=first_id, pk__lte=last_id)
    if ctx.templates_with is None:  # the change sets no template rule: none can break
        return rows.count(), []
    # What the templates are judged beside, read once for the chunk: their signatures (by primary key: with a
    # join to them, PostgreSQL chose to scan every signature), the signatures' other templates (Telecom's
    # whitelist) and their entities' domains and IPs.
    signature_ids = set(rows.values_list("signature_id", flat=True).order_by())
    signatures = {pk: (text, entity_id) for pk, text, entity_id in
                  Signature.objects.filter(pk__in=signature_ids).values_list("pk", "text", "entity_id")}  # fmt: skip
    whitelisting = templates.whitelisting_rows(signature_ids)
    addresses = templates.owned_addresses({entity_id for _text, entity_id in signatures.values()})
    same_billing = (
        ctx.templates_with[None].template_variable_length == ctx.templates_without[None].template_variable_length
    )
    checked, found = 0, []
    for pk, org_id, signature_id, kind, text, previous_id, name, version in (
        rows.order_by("pk").values_list(*_TEMPLATE_COLUMNS).iterator(chunk_size=FETCH)
    ):
        checked += 1
        if signature_id not in signatures:  # a template that became live since the reads above: its own
            signature = Signature.objects.get(pk=signature_id)
            signatures[signature_id] = (signature.text, signature.entity_id)
            whitelisting.update(templates.whitelisting_rows([signature_id]))
            addresses.update(templates.owned_addresses([signature.entity_id]))
        signature_text, entity_id = signatures[signature_id]
        text = templates.clipped(text)
        beside = [row for row in whitelisting.get(signature_id, ()) if row[0] not in (pk, previous_id)]
        whitelists = templates.whitelist_pairs(beside)
        common = {"text": text, "kind": kind, "signature_text": signature_text,
                  "addresses": addresses.get(entity_id, ()), "whitelists": whitelists}  # fmt: skip
        after = templates.judge_template(policies=ctx.templates_with, **common)
        errors = {(v.code, v.carrier): v for v in after.violations if v.is_error}
        if not errors:
            continue
        before = templates.judge_template(policies=ctx.templates_without,
                                          analysis=after.analysis if same_billing else None, **common)  # fmt: skip
        already = {(v.code, v.carrier) for v in before.violations if v.is_error}
        new = {key: v for key, v in errors.items() if key not in already}
        if new:
            found.append(Found(
                kind="template", object_id=pk, organization_id=org_id,
                label_zh=f"模板「{name}」v{version}（签名【{signature_text}】）",
                label_en=f"Template “{name}” v{version} (signature 【{signature_text}】)",
                codes=sorted({code for code, _c in new}), carriers=_carriers({carrier for _code, carrier in new}),
                reason_zh=_joined((v.message for v in new.values()), "；"),
                reason_en=_joined((v.message_en for v in new.values()), " "),
            ))  # fmt: skip
    return checked, found
