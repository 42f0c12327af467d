"""The reviewer's checklist for each kind of application, as data.

An automatic item is evaluated by this package (the rules engine, the evidence rules, the
qualification checklist) and shown ticked or failed with its reasons; a manual item is ticked by the
reviewer beside the documents it concerns. Each item names the reason code a reviewer gives when it
fails (compliance.reasons), so that an unticked item becomes a coded reason on the field or document
it concerns. Approval needs every item satisfied.
"""

from dataclasses import dataclass

from .reasons import ENTITY, SIGNATURE, TEMPLATE


@dataclass(frozen=True)
class CheckItem:
    code: str
    label_zh: str
    label_en: str
    automatic: bool
    concerns: str  # the field or document it is about (as compliance.reasons names them)
    reason: str  # the reason code to give when it fails
    only_when: str = ""  # "partner", "special_industry", "agent": the item applies only then

    def label(self, chinese: bool) -> str:
        return self.label_zh if chinese else self.label_en


AUTO, MANUAL = True, False

CHECKLISTS: dict[str, tuple[CheckItem, ...]] = {
    ENTITY: (
        CheckItem(
            "PKG_COMPLETE",
            "资质材料齐全（按主体类型与行业）",
            "Every document the package needs is there",
            AUTO,
            "entity",
            "EVID_PACKAGE_INCOMPLETE",
        ),
        CheckItem(
            "PKG_ID_IN_FORCE",
            "法定代表人或经办人的身份证在有效期内",
            "The legal representative's or agent's ID is in force",
            AUTO,
            "document:id_card",
            "REV_ID_CARD_EXPIRED",
        ),
        CheckItem(
            "PKG_LICENCE_LEGIBLE",
            "主体证照清晰、完整",
            "The entity certificate is legible and whole",
            MANUAL,
            "document:entity_certificate",
            "REV_LICENCE_ILLEGIBLE",
        ),
        CheckItem(
            "PKG_LICENCE_NAME",
            "证照上的名称与填写的主体全称一致",
            "The name on the certificate is the name typed",
            MANUAL,
            "name",
            "REV_LICENCE_NAME_MISMATCH",
        ),
        CheckItem(
            "PKG_LICENCE_USCC",
            "证照上的统一社会信用代码与填写的一致",
            "The USCC on the certificate is the one typed",
            MANUAL,
            "uscc",
            "REV_LICENCE_USCC_MISMATCH",
        ),
        CheckItem(
            "PKG_PERMIT",
            "行业许可证与行业相符、在有效期内",
            "The industry permit matches the industry and is in force",
            MANUAL,
            "document:industry_permit",
            "REV_PERMIT_MISSING",
            only_when="special_industry",
        ),
        CheckItem(
            "PKG_ID_MATCHES",
            "身份证清晰，且是法定代表人（或经办人）本人的",
            "The ID card is legible and the person's own",
            MANUAL,
            "document:id_card",
            "REV_ID_CARD_MISMATCH",
        ),
        CheckItem(
            "PKG_AGENT_LETTER",
            "经办人授权书已盖章签字",
            "The agent's authorization is stamped and signed",
            MANUAL,
            "document:agent_authorization",
            "REV_AGENT_LETTER_INVALID",
            only_when="agent",
        ),
        CheckItem(
            "PKG_OWN_ENTITY",
            "此主体确为该组织自身（若是合作方，请要求修改）",
            "This entity is the organization itself (if it is a partner, request changes)",
            MANUAL,
            "entity",
            "REV_NOT_OWN_ENTITY",
        ),
    ),
    SIGNATURE: (
        CheckItem(
            "SIG_RULES", "签名文字符合现行规则", "The text passes the rules in force", AUTO, "text", "SIG_NEUTRAL"
        ),
        CheckItem(
            "SIG_EVIDENCE",
            "签名依据齐全、有效（资质、商标、应用、授权）",
            "Its evidence is complete and in force (package, trademark, app, letter)",
            AUTO,
            "entity",
            "EVID_PACKAGE_INCOMPLETE",
        ),
        CheckItem(
            "SIG_IDENTIFIES",
            "签名能识别发送方，不致误解",
            "The text names the sender plainly and misleads no one",
            MANUAL,
            "text",
            "REV_SIGNATURE_MISLEADING",
        ),
        CheckItem(
            "SIG_LETTER_STAMPED",
            "授权委托书加盖合作方公章",
            "The partner's letter carries its company stamp",
            MANUAL,
            "document:partner_letter",
            "REV_LETTER_STAMP_MISSING",
            only_when="partner",
        ),
        CheckItem(
            "SIG_LETTER_SIGNED",
            "授权委托书有法定代表人签字",
            "The partner's letter is signed by its legal representative",
            MANUAL,
            "document:partner_letter",
            "REV_LETTER_SIGNATURE_MISSING",
            only_when="partner",
        ),
    ),
    TEMPLATE: (
        CheckItem(
            "TPL_RULES",
            "没有运营商的规则拦截此模板",
            "No carrier's rule blocks the text",
            AUTO,
            "text",
            "REV_TEMPLATE_CONTENT",
        ),
        CheckItem(
            "TPL_KIND", "模板类型与内容相符", "The kind matches the text", MANUAL, "kind", "REV_TEMPLATE_KIND_MISMATCH"
        ),
        CheckItem(
            "TPL_CONTENT",
            "内容符合发送规范（不含违规或误导信息）",
            "The content follows the sending rules",
            MANUAL,
            "text",
            "REV_TEMPLATE_CONTENT",
        ),
    ),
}


def items_for(kind: str, *, conditions=frozenset()) -> tuple[CheckItem, ...]:
    """The checklist of an application of ``kind``, with the items its ``conditions`` call for."""
    return tuple(item for item in CHECKLISTS[kind] if not item.only_when or item.only_when in conditions)


def manual_codes(kind: str, *, conditions=frozenset()) -> frozenset[str]:
    return frozenset(item.code for item in items_for(kind, conditions=conditions) if not item.automatic)
