"""What a qualification package must hold (DOMAIN.md, 2025-03-27; notice 2025.3.27, 2026.4.23).

One entity certificate (business licence, USCC certificate or institutional legal-person
certificate); the special-industry permit where the industry needs one; the legal
representative's ID card, front and back, or, for public institutions and non-profits, the
agent's ID card front and back plus the agent's authorization.
"""

import datetime as dt
from dataclasses import dataclass

from .industries import INDUSTRIES, industry
from .policies import PLATFORM_RULE, today

RULE_REF = "2025-03-27 · 2025.3.27 实名报备通知"

# Document kinds, as stored by the qualifications app.
ENTITY_CERTIFICATE = "entity_certificate"
INDUSTRY_PERMIT = "industry_permit"
LEGAL_REP_ID_FRONT = "legal_rep_id_front"
LEGAL_REP_ID_BACK = "legal_rep_id_back"
AGENT_ID_FRONT = "agent_id_front"
AGENT_ID_BACK = "agent_id_back"
AGENT_AUTHORIZATION = "agent_authorization"

ID_IMAGE_KINDS = frozenset({LEGAL_REP_ID_FRONT, LEGAL_REP_ID_BACK, AGENT_ID_FRONT, AGENT_ID_BACK})

# Entity kinds.
ENTERPRISE = "enterprise"
PUBLIC_INSTITUTION = "public_institution"
SOCIAL_ORGANIZATION = "social_organization"
INDIVIDUAL_BUSINESS = "individual_business"
ENTITY_KINDS = (ENTERPRISE, PUBLIC_INSTITUTION, SOCIAL_ORGANIZATION, INDIVIDUAL_BUSINESS)
AGENT_ALLOWED = frozenset({PUBLIC_INSTITUTION, SOCIAL_ORGANIZATION})

NAMES = {
    ENTITY_CERTIFICATE: (
        "主体证照（营业执照、统一社会信用代码证书或事业单位法人证书）",
        "Entity certificate (business licence, USCC certificate or institutional legal-person certificate)",
    ),
    INDUSTRY_PERMIT: ("行业许可证", "Industry permit"),
    LEGAL_REP_ID_FRONT: ("法定代表人身份证人像面", "Legal representative's ID card, photo side"),
    LEGAL_REP_ID_BACK: ("法定代表人身份证国徽面", "Legal representative's ID card, emblem side"),
    AGENT_ID_FRONT: ("经办人身份证人像面", "Agent's ID card, photo side"),
    AGENT_ID_BACK: ("经办人身份证国徽面", "Agent's ID card, emblem side"),
    AGENT_AUTHORIZATION: ("经办人授权书", "Agent's authorization letter"),
}  # fmt: skip


@dataclass(frozen=True)
class Requirement:
    kind: str
    name_zh: str
    name_en: str
    satisfied: bool
    rule_ref: str = RULE_REF


def required_documents(*, entity_kind: str, industry_code: str, uses_agent: bool) -> list[str]:
    """The document kinds the package needs, in the order a person gathers them."""
    kinds = [ENTITY_CERTIFICATE]
    if industry(industry_code).needs_permit:
        kinds.append(INDUSTRY_PERMIT)
    if uses_agent and entity_kind in AGENT_ALLOWED:
        kinds += [AGENT_ID_FRONT, AGENT_ID_BACK, AGENT_AUTHORIZATION]
    else:
        kinds += [LEGAL_REP_ID_FRONT, LEGAL_REP_ID_BACK]
    return kinds


def _every_required_kind() -> tuple[str, ...]:
    kinds: dict[str, None] = {}  # ordered, without repeats
    for entity_kind in ENTITY_KINDS:
        for ind in INDUSTRIES:
            for uses_agent in (False, True):
                for kind in required_documents(entity_kind=entity_kind, industry_code=ind.code, uses_agent=uses_agent):
                    kinds.setdefault(kind, None)
    return tuple(kinds)


# Every document kind some package can require (over every entity kind, industry and agent choice):
# what a list has to know about each entity to show its checklist. Derived, so it cannot drift.
PACKAGE_KINDS = _every_required_kind()


def checklist(*, entity_kind: str, industry_code: str, uses_agent: bool, present: frozenset[str]) -> list[Requirement]:
    """Each required document with whether it is there; the industry permit names the permit."""
    items = []
    for kind in required_documents(entity_kind=entity_kind, industry_code=industry_code, uses_agent=uses_agent):
        zh, en = NAMES[kind]
        if kind == INDUSTRY_PERMIT:
            ind = industry(industry_code)
            zh, en = f"{zh}：{ind.permit_zh}", f"{en}: {ind.permit_en}"
        items.append(Requirement(kind=kind, name_zh=zh, name_en=en, satisfied=kind in present))
    return items


def missing(**kwargs) -> list[Requirement]:
    return [item for item in checklist(**kwargs) if not item.satisfied]


# Platform rule, from 2026-12-01 (the new-user trial of issue 9): an ID document whose validity has
# ended cannot support real-name filing (notice 2025.3.27 asks for the person's ID as proof of who they
# are; an expired one proves nothing). Empty ``valid_until`` is a long-term document.
ID_VALIDITY_RULE_REF = PLATFORM_RULE


def id_document_expired(valid_until: dt.date | None, *, as_of: dt.date | None = None) -> bool:
    """True when an ID document valid until ``valid_until`` is no longer valid on ``as_of`` (default:
    today in Asia/Shanghai). The last day printed is still a valid day."""
    if valid_until is None:
        return False
    return valid_until < (as_of or today())
