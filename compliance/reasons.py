"""The reason catalogue: every code a check, a reviewer's decision, a notice or the API may give.

Each reason says what the customer reads (Chinese and English), what to do about it, and the field
or document it concerns, so that a decision shows each reason where it belongs on the customer's
page. The codes of the rules engine (check_signature, check_template) and of the evidence rules
(compliance.evidence) are reasons; reviewers add their own (REV_*), for what only a person can see.
A policy admin adds a reason here: a new ``Reason`` row, its kinds, and the field it concerns
(docs/review.md).
"""

from dataclasses import dataclass

SIGNATURE, TEMPLATE, ENTITY = "signature", "template", "entity"
FILING = "filing"  # one application at one carrier (compliance.filings): what a carrier's results say

# What a reason concerns: a field of the application, or a document of its evidence ("document:<kind>").
TEXT = "text"
SOURCE = "source"
KIND = "kind"
SIGNATURE_FIELD = "signature"
ENTITY_FIELD = "entity"
TRADEMARK = "trademark"
APP = "app"
PARTNER_AUTHORIZATION = "partner_authorization"
PARTNER_LETTER = "document:partner_letter"
ENTITY_CERTIFICATE = "document:entity_certificate"
INDUSTRY_PERMIT = "document:industry_permit"
ID_CARD = "document:id_card"
AGENT_AUTHORIZATION = "document:agent_authorization"
NAME = "name"
USCC = "uscc"
LEGAL_REP = "legal_rep_name"
LICENCE_VALIDITY = "licence_valid_until"

CARRIER_FIELD = "carrier"

ENGINE, EVIDENCE, REVIEW, CARRIER = "engine", "evidence", "review", "carrier"


@dataclass(frozen=True)
class Reason:
    code: str
    kinds: frozenset[str]  # which applications it may be given on
    concerns: str  # the field or document it is shown beside
    title_zh: str
    title_en: str
    todo_zh: str
    todo_en: str
    # engine (automatic), evidence (automatic, over the documents), review (a person), carrier (a carrier's
    # result, recorded by the filing clerk)
    origin: str = ENGINE

    def title(self, chinese: bool) -> str:
        return self.title_zh if chinese else self.title_en

    def todo(self, chinese: bool) -> str:
        return self.todo_zh if chinese else self.todo_en


def _r(code, kinds, concerns, title_zh, title_en, todo_zh, todo_en, origin=ENGINE) -> Reason:
    return Reason(code, frozenset(kinds), concerns, title_zh, title_en, todo_zh, todo_en, origin)


_S, _T, _E, _F = {SIGNATURE}, {TEMPLATE}, {ENTITY}, {FILING}

REASONS: tuple[Reason, ...] = (
    # The signature rules of the engine (compliance.signatures).
    _r("SIG_LENGTH", _S, TEXT, "签名长度不符合要求", "The signature's length is not allowed",
       "改为规定长度内的签名，如企业简称", "Use a signature within the length limit, such as an abbreviation"),
    _r("SIG_HAS_DIGIT", _S, TEXT, "签名含有数字", "The signature contains digits",
       "去掉签名中的数字", "Remove the digits from the signature"),
    _r("SIG_HAS_LATIN", _S, TEXT, "签名含有英文字母", "The signature contains Latin letters",
       "去掉签名中的英文字母", "Remove the Latin letters from the signature"),
    _r("SIG_HAS_SYMBOL", _S, TEXT, "签名含有符号或空格", "The signature contains symbols or spaces",
       "去掉签名中的符号和空格", "Remove the symbols and spaces from the signature"),
    _r("SIG_SOURCE_NOT_ACCEPTED", _S, SOURCE, "签名来源不被接受", "The signature's source is not accepted",
       "改用仍被接受的签名来源", "Choose a source that is still accepted"),
    _r("SIG_SOURCE_WITHDRAWN", _S, SOURCE, "签名来源已停止接受", "The signature's source is no longer accepted",
       "以仍被接受的来源重新申请签名", "Apply for a new signature from a source still accepted"),
    _r("SIG_NON_MAINLAND", _S, ENTITY_FIELD, "非中国大陆主体", "Not an entity of mainland China",
       "以中国大陆主体申请签名", "Apply under an entity of mainland China"),
    _r("SIG_NEUTRAL", _S, TEXT, "中性签名，无法识别主体", "A neutral signature that names no one",
       "使用能识别主体的名称", "Use a name that identifies the sender"),
    _r("SIG_NOT_FULL_NAME", _S, TEXT, "签名与主体全称不一致", "The signature is not the entity's full name",
       "按营业执照上的全称填写，或改选企业简称", "Type the full name as on the licence, or choose an abbreviation"),
    _r("SIG_ABBREVIATION_ORDER", _S, TEXT, "简称未按全称顺序取字", "The abbreviation is out of the name's order",
       "按全称中的顺序取字", "Take the characters in the full name's order"),
    _r("SIG_ABBREVIATION_NOT_CONTIGUOUS", _S, TEXT, "简称跳字", "The abbreviation skips characters",
       "取全称中连续的字", "Take consecutive characters of the full name"),
    _r("SIG_TRADEMARK_OWNER_MISMATCH", _S, TRADEMARK, "商标注册人与主体不一致",
       "The trademark's owner is not the entity", "上传本主体名下的商标注册证",
       "Use a trademark registered to this entity"),
    _r("SIG_APP_SUBJECT_MISMATCH", _S, APP, "应用备案主体与主体不一致", "The app's filing subject is not the entity",
       "使用本主体备案的应用", "Use an app filed by this entity"),
    _r("SIG_TAKEN", _S, TEXT, "签名已被其他主体使用", "Another entity holds this signature",
       "换一个签名", "Choose another signature"),
    # The evidence rules (compliance.evidence): automatic, over the entity's documents and letters.
    _r("EVID_PACKAGE_INCOMPLETE", _S | _E, ENTITY_FIELD, "主体资质材料不全", "The entity's documents are incomplete",
       "在主体页面上传缺少的材料", "Upload the missing documents on the entity's page", EVIDENCE),
    _r("EVID_EVIDENCE_OTHER_ENTITY", _S, ENTITY_FIELD, "所选证明材料属于其他主体",
       "The evidence chosen belongs to another entity", "选择本主体的证明材料",
       "Choose evidence of this entity", EVIDENCE),
    _r("EVID_TRADEMARK_MISSING", _S, TRADEMARK, "未选择注册商标", "No registered trademark is chosen",
       "在主体页面添加商标后选择它", "Add the trademark on the entity's page, then choose it", EVIDENCE),
    _r("EVID_TRADEMARK_MISMATCH", _S, TEXT, "签名与商标名称不一致", "The signature is not the trademark's name",
       "签名须与商标名称完全一致", "Make the signature the trademark's name exactly", EVIDENCE),
    _r("EVID_TRADEMARK_EXPIRED", _S, TRADEMARK, "商标注册已过期", "The trademark's registration has expired",
       "上传续展后的商标注册证", "Upload the renewed registration certificate", EVIDENCE),
    _r("EVID_APP_MISSING", _S, APP, "未选择 ICP 备案应用", "No ICP-filed app is chosen",
       "在主体页面添加应用后选择它", "Add the app on the entity's page, then choose it", EVIDENCE),
    _r("EVID_APP_NAME_MISMATCH", _S, TEXT, "签名与应用备案名称不一致", "The signature is not the app's filed name",
       "签名须与应用备案名称完全一致", "Make the signature the app's filed name exactly", EVIDENCE),
    _r("EVID_PARTNER_MISSING", _S, PARTNER_AUTHORIZATION, "未选择合作方授权", "No partner authorization is chosen",
       "选择合作方的授权委托书", "Choose the partner's authorization", EVIDENCE),
    _r("EVID_PARTNER_NOT_VALID", _S, PARTNER_AUTHORIZATION, "合作方授权不在有效期内",
       "The partner's authorization is not valid today", "上传在有效期内的授权委托书",
       "Upload an authorization valid today", EVIDENCE),
    _r("EVID_PARTNER_NOT_LISTED", _S, PARTNER_AUTHORIZATION, "授权委托书未列出此签名",
       "The partner's letter does not list this signature", "上传列出此签名的授权委托书",
       "Upload a letter that lists this signature", EVIDENCE),
    _r("EVID_PARTNER_LETTER_MISSING", _S, PARTNER_LETTER, "缺少合作方签章的授权委托书",
       "The partner's signed letter is missing", "上传合作方签章的授权委托书",
       "Upload the partner's signed letter", EVIDENCE),
    _r("EVID_PARTNER_PACKAGE_INCOMPLETE", _S, PARTNER_AUTHORIZATION, "合作方资质材料不全",
       "The partner's own documents are incomplete", "在合作方主体页面上传缺少的材料",
       "Upload the partner's missing documents", EVIDENCE),
    _r("EVID_NOT_OWN_ENTITY", _S, ENTITY_FIELD, "此主体不是本账户自己的主体",
       "This entity is not the organization's own", "以合作方来源申请，并上传该主体的授权委托书",
       "Apply with the partner source and that entity's authorization letter", EVIDENCE),
    _r("EVID_DOCUMENT_REPLACED", _S | _T | _E, ENTITY_FIELD, "提交后资质材料有更换",
       "A document was replaced after submission",
       "无需操作，审核员会重新核对更换后的材料", "Nothing to do: the reviewer checks the new document again", EVIDENCE),
    _r("EVID_ALREADY_HELD", _S, TEXT, "本主体已有此签名", "This entity already has this signature",
       "无需重复申请", "There is no need to apply again", EVIDENCE),
    # The template rules of the engine (compliance.templates).
    _r("TPL_LENGTH", _T, TEXT, "模板正文长度不符合要求", "The template's length is not allowed",
       "缩短正文", "Shorten the text"),
    _r("TPL_FORBIDDEN_CHARS", _T, TEXT, "正文含有不允许的字符", "The text has characters that are not allowed",
       "去掉【】和控制字符", "Remove 【】 and control characters"),
    _r("TPL_BAD_VARIABLE", _T, TEXT, "变量格式不正确", "A variable is written wrongly",
       "变量写作 ${name}", "Write variables as ${name}"),
    _r("TPL_VERIFICATION_FORMAT", _T, TEXT, "验证码模板格式不符合要求",
       "The verification-code template is not in the required form", "按验证码模板要求修改",
       "Write it as verification-code templates must be"),
    _r("TPL_MARKETING_OPT_OUT", _T, TEXT, "营销短信缺少退订方式", "The marketing text has no way to opt out",
       "加上退订方式，如“拒收请回复R”", "Add a way to opt out, such as 拒收请回复R"),
    _r("TPL_TOO_MANY_LINKS", _T, TEXT, "链接过多", "Too many links", "减少链接", "Use fewer links"),
    _r("TPL_TOO_MANY_CONTACTS", _T, TEXT, "联系方式过多", "Too many contacts",
       "减少电话号码和邮箱", "Use fewer phone numbers and e-mail addresses"),
    _r("TPL_TOO_MANY_IPS", _T, TEXT, "IP 地址过多", "Too many IP addresses", "减少 IP 地址", "Use fewer IP addresses"),
    _r("TPL_LINK_NOT_OWNED", _T, TEXT, "链接不在本主体登记的域名中", "A link is not on the entity's domains",
       "在主体页面登记域名，或改用已登记的域名", "Register the domain on the entity's page, or use one registered"),
    _r("TPL_IP_NOT_OWNED", _T, TEXT, "IP 地址不在本主体登记的 IP 中", "An IP address is not the entity's",
       "在主体页面登记 IP 地址", "Register the IP address on the entity's page"),
    _r("TPL_SIGNATURE_WHITELIST_FULL", _T, SIGNATURE_FIELD, "签名下的联系方式已满",
       "The signature's contacts are full", "改用已登记的联系方式，或换一个签名",
       "Use a contact already registered, or another signature"),
    _r("TPL_VARIABLE_CONTACT", _T, TEXT, "联系方式位置使用了变量", "A variable stands where a contact goes",
       "把联系方式写入正文", "Write the contact into the text"),
    _r("TPL_NEEDS_FILING", _T, TEXT, "模板须先向运营商报备", "The template must be filed with the carriers first",
       "等待报备完成后再发送", "Send only once it is filed"),
    # What only a person can see (the reviewer's checklist).
    _r("REV_LICENCE_ILLEGIBLE", _E | _S, ENTITY_CERTIFICATE, "营业执照不清晰", "The licence is illegible",
       "重新上传清晰、完整的营业执照", "Upload a clear and complete licence", REVIEW),
    _r("REV_LICENCE_NAME_MISMATCH", _E | _S, NAME, "执照上的名称与填写的主体名称不一致",
       "The name on the licence differs from the name typed", "按执照上的名称修改主体名称",
       "Type the name exactly as on the licence", REVIEW),
    _r("REV_LICENCE_USCC_MISMATCH", _E | _S, USCC, "执照上的统一社会信用代码与填写的不一致",
       "The USCC on the licence differs from the one typed", "按执照修改统一社会信用代码",
       "Type the USCC exactly as on the licence", REVIEW),
    _r("REV_LICENCE_EXPIRED", _E | _S, LICENCE_VALIDITY, "营业执照已过期", "The licence has expired",
       "上传有效期内的营业执照", "Upload a licence in force", REVIEW),
    _r("REV_PERMIT_MISSING", _E | _S, INDUSTRY_PERMIT, "缺少或不符的行业许可证",
       "The industry permit is missing or does not match", "上传与行业相符的许可证",
       "Upload the permit the industry needs", REVIEW),
    _r("REV_ID_CARD_ILLEGIBLE", _E | _S, ID_CARD, "身份证照片不清晰", "The ID card images are illegible",
       "重新上传清晰的身份证正反面", "Upload clear images of both sides", REVIEW),
    _r("REV_ID_CARD_MISMATCH", _E | _S, LEGAL_REP, "身份证与法定代表人不一致",
       "The ID card is not the legal representative's", "上传法定代表人本人的身份证",
       "Upload the legal representative's own ID card", REVIEW),
    _r("REV_ID_CARD_EXPIRED", _E | _S, ID_CARD, "身份证已过期", "The ID card has expired",
       "上传有效期内的身份证", "Upload an ID card in force", REVIEW),
    _r("REV_AGENT_LETTER_INVALID", _E | _S, AGENT_AUTHORIZATION, "经办人授权书缺失签章或信息不符",
       "The agent's authorization is unsigned or does not match", "上传盖章签字的经办人授权书",
       "Upload the agent's authorization, stamped and signed", REVIEW),
    _r("REV_LETTER_STAMP_MISSING", _S, PARTNER_LETTER, "授权委托书缺少公章", "The letter has no company stamp",
       "上传加盖合作方公章的授权委托书", "Upload the letter with the partner's company stamp", REVIEW),
    _r("REV_LETTER_SIGNATURE_MISSING", _S, PARTNER_LETTER, "授权委托书缺少签字",
       "The letter is not signed", "上传法定代表人签字的授权委托书",
       "Upload the letter signed by the legal representative", REVIEW),
    _r("REV_NOT_OWN_ENTITY", _S | _E, ENTITY_FIELD, "无法确认此主体属于本账户",
       "This entity cannot be confirmed as the organization's own", "以合作方来源申请并上传授权委托书",
       "Apply with the partner source and its authorization letter", REVIEW),
    _r("REV_SIGNATURE_MISLEADING", _S, TEXT, "签名易使人误解发送方", "The signature misleads about who sends",
       "使用能准确识别主体的签名", "Use a signature that names the sender plainly", REVIEW),
    _r("REV_TEMPLATE_CONTENT", _T, TEXT, "模板内容不符合发送规范", "The text breaks the sending rules",
       "按审核意见修改正文", "Change the text as the reviewer's note says", REVIEW),
    _r("REV_TEMPLATE_KIND_MISMATCH", _T, KIND, "模板类型与内容不符", "The kind does not match the text",
       "选择与内容相符的模板类型", "Choose the kind that matches the text", REVIEW),
    _r("REV_TEMPLATE_SIGNATURE", _T, SIGNATURE_FIELD, "所选签名不适用于此模板",
       "The signature chosen does not fit this template", "选择与内容相符的签名",
       "Choose a signature that fits the text", REVIEW),
    # What a carrier's results say of a filing (compliance.filings), recorded by the filing clerk.
    _r("FIL_SIGNATURE_NOT_ACCEPTED", _F, TEXT, "运营商不认可此签名", "The carrier did not accept the signature",
       "按运营商意见修改签名后重新申请", "Apply again with a signature the carrier accepts", CARRIER),
    _r("FIL_DOCUMENTS_NOT_ACCEPTED", _F, ENTITY_FIELD, "运营商不认可资质材料",
       "The carrier did not accept the documents", "在主体页面更换材料，再联系客户经理重新报备",
       "Replace the documents on the entity's page, then ask your account manager to re-file", CARRIER),
    _r("FIL_TEMPLATE_NOT_ACCEPTED", _F, TEXT, "运营商不认可模板内容", "The carrier did not accept the template's text",
       "按运营商意见修改模板，提交新版本", "Change the text as the carrier asks and submit a new version", CARRIER),
    _r("FIL_ALREADY_FILED_ELSEWHERE", _F, TEXT, "运营商处已有其他主体报备此签名",
       "Another sender has filed this signature with the carrier", "联系客户经理核实",
       "Ask your account manager to look into it", CARRIER),
    _r("FIL_CARRIER_NO_REASON", _F, CARRIER_FIELD, "运营商未说明原因",
       "The carrier gave no reason",
       "联系客户经理重新报备", "Ask your account manager to re-file", CARRIER),
    _r("FIL_CLEARED_INACTIVE", _F, CARRIER_FIELD, "长期未发送，被运营商清理",
       "Cleared by the carrier for not being used",
       "重新报备后定期发送", "Have it re-filed, then send regularly", CARRIER),
    _r("FIL_CLEARED_BY_CARRIER", _F, CARRIER_FIELD, "被运营商清理，原因未告知",
       "Cleared by the carrier, no reason given",
       "联系客户经理重新报备", "Ask your account manager to re-file", CARRIER),
    _r("FIL_SIGNATURE_CLEARED", _F, SIGNATURE_FIELD, "签名在该运营商已被清理",
       "Its signature was cleared at this carrier", "签名重新报备成功后，模板自动重新报备",
       "It is filed again once the signature is", CARRIER),
)  # fmt: skip

CATALOGUE: dict[str, Reason] = {reason.code: reason for reason in REASONS}
assert len(CATALOGUE) == len(REASONS), "a reason code appears twice"


def reason(code: str) -> Reason | None:
    return CATALOGUE.get(code)


def unknown_codes(codes, *, kind: str) -> list[str]:
    """The codes that are not in the catalogue for applications of ``kind``, in the order given."""
    return [code for code in codes if code not in CATALOGUE or kind not in CATALOGUE[code].kinds]


def for_kind(kind: str, *, origin: str | None = None) -> tuple[Reason, ...]:
    """The reasons a reviewer may give on an application of ``kind`` (one origin, if given)."""
    return tuple(r for r in REASONS if kind in r.kinds and (origin is None or r.origin == origin))
