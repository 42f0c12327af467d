"""The evidence a signature rests on, as coded, dated rules over facts.

The rules engine (check_signature) judges the text; these rules judge what backs it: the entity's
qualification package, the trademark, the app's filed name, the partner's letter. The facts come
from one selector (``signatures.selectors.signature_facts``), so the live check, the submission,
the reviewer's checklist, the coming notices and the API all read the same codes
(compliance.reasons). The day is always an explicit argument.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass

from .qualification import RULE_REF as PACKAGE_REF
from .signatures import ERROR, Violation

# Where each rule comes from: the real-name notice (2025.3.27: the package; the partner's letter and
# the partner's own qualifications) and the source rules (2025.3.31: the trademark and the app are the
# entity's, under the name they are registered by).
SOURCES_REF = "2025-03-31 · 2025.3.31"
PARTNER_REF = PACKAGE_REF

FULL_NAME, ABBREVIATION, TRADEMARK, APP_NAME, PARTNER = "full_name", "abbreviation", "trademark", "app_name", "partner"


def normalized(text: str) -> str:
    """Text as it is stored and compared: NFKC, so a look-alike is the text it looks like."""
    return unicodedata.normalize("NFKC", text or "")


@dataclass(frozen=True)
class TrademarkFacts:
    name: str
    valid_until: dt.date | None
    same_entity: bool


@dataclass(frozen=True)
class AppFacts:
    name: str
    same_entity: bool


@dataclass(frozen=True)
class PartnerFacts:
    name: str
    valid_from: dt.date
    valid_until: dt.date
    signatures: frozenset[str]  # the texts the letter lists, normalised
    has_letter: bool
    package_complete: bool
    same_entity: bool


@dataclass(frozen=True)
class SignatureFacts:
    """What backs one signature application, read once."""

    text: str  # normalised
    source: str
    package_complete: bool
    # The entity is its organization's own (Entity.is_own). An entity shared with another account of the
    # same group (EntityShare, granted by the account manager) counts as its owner says: the group's
    # own entity is filed for by each of its accounts; a partner stays a partner.
    own_entity: bool = True
    trademark: TrademarkFacts | None = None
    app: AppFacts | None = None
    partner: PartnerFacts | None = None
    held_by_entity: bool = False  # this entity already has a live application for the same text
    special_industry: bool = False  # the entity's industry needs a permit


def split_letter(signatures: str) -> frozenset[str]:
    """The signature texts a partner's letter lists, however they were separated."""
    normalized_list = signatures or ""
    for separator in ("，", "、", ";", "；", "\n"):
        normalized_list = normalized_list.replace(separator, ",")
    return frozenset(normalized(s.strip()) for s in normalized_list.split(",") if s.strip())


def _v(code: str, zh: str, en: str, ref: str) -> Violation:
    return Violation(code, ERROR, zh, en, ref)


def check_evidence(
    facts: SignatureFacts, *, day: dt.date, real_name_required: bool = True, app_source_accepted: bool = True
) -> list[Violation]:
    """Every evidence rule the application breaks on ``day``, each an error with its code."""
    found: list[Violation] = []
    evidence = [e for e in (facts.trademark, facts.app, facts.partner) if e is not None]
    if any(not e.same_entity for e in evidence):
        found.append(_v("EVID_EVIDENCE_OTHER_ENTITY", "所选依据属于另一个主体。",
                        "The evidence chosen belongs to another entity.", SOURCES_REF))  # fmt: skip
    if real_name_required and not facts.package_complete:
        found.append(_v("EVID_PACKAGE_INCOMPLETE", "该主体的资质材料未齐全：请先上传其资质文件。",
                        "The entity's qualification package is incomplete: upload its documents first.",
                        PACKAGE_REF))  # fmt: skip
    if not facts.own_entity:
        found.append(_v("EVID_NOT_OWN_ENTITY",
                        "此主体不是本账户自己的主体：请在本账户自己的主体下以合作方来源申请，并提供此主体的授权委托书。",
                        "This entity is not your organization's own: apply under your own entity with the partner "
                        "source and this entity's authorization letter.", PARTNER_REF))  # fmt: skip
    if facts.source == TRADEMARK:
        found += _trademark(facts, day)
    elif facts.source == APP_NAME:
        found += _app(facts, app_source_accepted)
    elif facts.source == PARTNER:
        found += _partner(facts, day)
    if facts.held_by_entity:
        found.append(_v("EVID_ALREADY_HELD", f"本主体已有“{facts.text}”（申请进行中或已完成）。",
                        f"This entity already has “{facts.text}” (an application is under way or done).",
                        SOURCES_REF))  # fmt: skip
    return found


def _trademark(facts: SignatureFacts, day: dt.date) -> list[Violation]:
    trademark = facts.trademark
    if trademark is None:
        return [_v("EVID_TRADEMARK_MISSING", "请选择该签名所依据的注册商标（可在主体页面添加）。",
                   "Choose the registered trademark this signature rests on (add it on the entity's page).",
                   SOURCES_REF)]  # fmt: skip
    found = []
    if normalized(trademark.name) != facts.text:
        found.append(_v("EVID_TRADEMARK_MISMATCH", f"以商标为来源的签名须与商标完全一致：“{trademark.name}”。",
                        f"A trademark signature is the trademark itself: “{trademark.name}”.",
                        SOURCES_REF))  # fmt: skip
    if trademark.valid_until and trademark.valid_until < day:
        found.append(_v("EVID_TRADEMARK_EXPIRED", f"该商标注册已于 {trademark.valid_until} 到期。",
                        f"The trademark's registration expired on {trademark.valid_until}.", SOURCES_REF))  # fmt: skip
    return found


def _app(facts: SignatureFacts, source_accepted: bool) -> list[Violation]:
    app = facts.app
    if app is None:
        # Not once app names stopped counting: SIG_SOURCE_NOT_ACCEPTED says why, and adding an app would not help.
        if not source_accepted:
            return []
        return [_v("EVID_APP_MISSING", "请选择该签名所依据的 ICP 备案应用（可在主体页面添加）。",
                   "Choose the ICP-filed app this signature rests on (add it on the entity's page).",
                   SOURCES_REF)]  # fmt: skip
    if normalized(app.name) != facts.text:
        return [_v("EVID_APP_NAME_MISMATCH", f"以应用为来源的签名须与备案的应用名称一致：“{app.name}”。",
                   f"An app signature is the app's filed name: “{app.name}”.", SOURCES_REF)]  # fmt: skip
    return []


def _partner(facts: SignatureFacts, day: dt.date) -> list[Violation]:
    partner = facts.partner
    if partner is None:
        return [_v("EVID_PARTNER_MISSING", "请选择该签名所依据的合作方授权。",
                   "Choose the partner authorization this signature rests on.", PARTNER_REF)]  # fmt: skip
    found = []
    if not partner.valid_from <= day <= partner.valid_until:
        found.append(_v("EVID_PARTNER_NOT_VALID",
                        f"合作方授权的有效期为 {partner.valid_from} 至 {partner.valid_until}，今天不在有效期内。",
                        f"The partner's authorization is valid from {partner.valid_from} to {partner.valid_until}, "
                        "not today.", PARTNER_REF))  # fmt: skip
    if facts.text not in partner.signatures:
        covered = "、".join(sorted(partner.signatures)) or "—"
        found.append(_v("EVID_PARTNER_NOT_LISTED", f"合作方授权书未列出“{facts.text}”；其授权的签名为：{covered}。",
                        f"The partner's letter does not list “{facts.text}”; it covers: {covered}.",
                        PARTNER_REF))  # fmt: skip
    if not partner.has_letter:
        found.append(_v("EVID_PARTNER_LETTER_MISSING", "请先上传合作方签署的授权委托书。",
                        "Upload the partner's signed authorization letter first.", PARTNER_REF))  # fmt: skip
    if not partner.package_complete:
        found.append(_v("EVID_PARTNER_PACKAGE_INCOMPLETE", "合作方自身的资质材料未齐全。",
                        "The partner's own qualification package is incomplete.", PARTNER_REF))  # fmt: skip
    return found


# Where a second, different reviewer must approve (issue 10: by default partner signatures and the
# special industries). The setting REVIEW_FOUR_EYES chooses among these.
FOUR_EYES_PARTNER = "partner"
FOUR_EYES_SPECIAL_INDUSTRY = "special_industry"
FOUR_EYES_CASES = (FOUR_EYES_PARTNER, FOUR_EYES_SPECIAL_INDUSTRY)


def four_eyes_required(facts: SignatureFacts, *, cases=FOUR_EYES_CASES) -> bool:
    """Whether approving this application needs a second reviewer under the configured ``cases``."""
    if FOUR_EYES_PARTNER in cases and facts.source == PARTNER:
        return True
    return FOUR_EYES_SPECIAL_INDUSTRY in cases and facts.special_industry
