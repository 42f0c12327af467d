"""check_signature: which rule in force on which date a signature breaks, and why.

Character rules come first (length, digits, Latin letters, symbols); the name rules
(full name, abbreviation order, neutral words, uniqueness) run only on text that passes
them, so that a customer fixes one thing at a time and never sees a knock-on error.
"""

import datetime as dt
import unicodedata
from dataclasses import dataclass, replace

from . import transitions
from .policies import BASE_REFS, SOURCES, Policy, policy_as_of, ref_parts

ERROR, WARNING = "error", "warning"
CHARACTER_CODES = frozenset({"SIG_LENGTH", "SIG_HAS_DIGIT", "SIG_HAS_LATIN", "SIG_HAS_SYMBOL"})


@dataclass(frozen=True)
class Violation:
    code: str
    severity: str
    message: str  # zh-hans
    message_en: str
    rule_ref: str  # "YYYY-MM-DD · notice" the rule comes from
    carrier: str | None = None  # for template rules, the carrier whose rule it is

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


# Each source as a sentence names it (the English with its article: "An ICP-filed app name").
SOURCE_NAMES = {
    "full_name": ("企业全称", "A company's full name"),
    "abbreviation": ("企业简称", "A company abbreviation"),
    "trademark": ("注册商标", "A registered trademark"),
    "app_name": ("ICP 备案应用名称", "An ICP-filed app name"),
    "official_account": ("公众号名称", "An official-account name"),
    "mini_program": ("小程序名称", "A mini-program name"),
    "website": ("网站名称", "A website name"),
    "software_copyright": ("软件著作权名称", "A software copyright name"),
    "partner": ("合作方名称（凭授权委托书）", "A partner's name under its letter of authorization"),
}

# The policy parameters signatures are checked against (the others are the templates'): the rules
# "that apply" to a signature are the notices behind these, and no template notice.
SIGNATURE_PARAMETERS = frozenset({
    "accepted_sources", "min_length", "max_length", "ban_digits", "ban_latin", "ban_latin_only", "ban_symbols",
    "check_neutral", "neutral_words", "abbreviation_in_order", "abbreviation_skip_severity", "abbreviation_unique",
    "require_unique", "trademark_owner_must_match", "app_subject_must_match", "require_mainland",
    "real_name_required", "full_name",
})  # fmt: skip


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def offered_source_names(policy: Policy) -> tuple[str, str]:
    """The sources an application may rest on under ``policy`` (offered_sources: the partner source
    among them), as a sentence lists them, (Chinese, English): "企业全称、企业简称、注册商标或合作方名称
    （凭授权委托书）". Every page that says which sources remain says it with this."""
    offered = offered_sources(policy)
    names = [SOURCE_NAMES[s] for s in (*SOURCES, "partner") if s in offered]
    zh = [name[0] for name in names]
    en = [_lower_first(name[1]) for name in names]
    if len(names) < 2:
        return "".join(zh), "".join(en)
    return "、".join(zh[:-1]) + "或" + zh[-1], ", ".join(en[:-1]) + " or " + en[-1]


def source_refusal(source: str, policy: Policy) -> tuple[str, str]:
    """Why ``source`` is not accepted under ``policy``, (Chinese, English): the date and notice
    first, then which sources remain (offered_source_names). Used by SIG_SOURCE_NOT_ACCEPTED and by
    the form that no longer offers the source."""
    zh, en = SOURCE_NAMES[source]
    rest_zh, rest_en = offered_source_names(policy)
    parts = ref_parts(policy.ref("accepted_sources"))
    if parts:
        date, notice = parts
        head_zh, head_en = f"自 {date} 起（通知 {notice}），", f"From {date} (notice {notice}), "
        en = _lower_first(en)
    else:
        head_zh = head_en = ""
    return (
        f"{head_zh}{zh}不能作为签名来源。仍可使用：{rest_zh}。",
        f"{head_en}{en} is not accepted as a signature source. Still accepted: {rest_en}.",
    )


# A signature that has ended no longer counts: nothing to re-file for it.
ENDED_STATES = transitions.ENDED_STATES
# The states of a signature the platform approved (to be filed with the carriers, or filed): carriers
# may clear one whose source is no longer accepted (app names from 2026-05-01, notice 2026.4.23), so a
# new one is filed. A draft or one sent back for changes was never filed: its source is changed
# instead; one under review is withdrawn, then applied for anew. Never "ready to send".
FILED_STATES = frozenset({transitions.APPROVED})
EDITABLE_STATES = transitions.EDITABLE_STATES
UNDER_REVIEW_STATES = transitions.QUEUED_STATES


def withdrawn_source_step(status: str, policy: Policy) -> tuple[str, str]:
    """What to do next, (Chinese, English), with a live signature whose source ``policy`` no longer
    accepts: change the source (a draft, changes requested), withdraw and apply anew (submitted, in
    review), or file a new one before carriers clear it (filed), from the sources still offered."""
    if status in EDITABLE_STATES:
        return (
            "来源已不被接受：请您修改签名来源后再提交",
            "Its source is no longer accepted: change the source, then submit it",
        )
    zh, en = offered_source_names(policy)
    if status in FILED_STATES:
        return (f"来源已不被接受：请以{zh}重新申请签名",
                f"Its source is no longer accepted: apply for a new signature from {en}")  # fmt: skip
    return (f"来源已不被接受：请您撤回此申请，以{zh}重新申请签名",
            f"Its source is no longer accepted: withdraw it and apply for a new signature from {en}")  # fmt: skip


def withdrawn_source_warning(source: str, status: str, policy: Policy) -> tuple[str, str] | None:
    """What every page showing a signature (its own page, its templates' form and pages) says of one
    whose source ``policy`` no longer accepts, (Chinese, English): why, with the date and notice and
    the sources that remain, then the way forward for its state. None while the source still counts
    or once the signature has ended."""
    if not source_withdrawn(source, status, policy):
        return None
    why_zh, why_en = source_refusal(source, policy)
    if status in EDITABLE_STATES:
        return (f"{why_zh}此申请尚未向运营商报备：请您先修改签名来源，再提交。",
                f"{why_en} It was never filed with the carriers: change its source before submitting it.")  # fmt: skip
    zh, en = offered_source_names(policy)
    if status in FILED_STATES:
        return (f"{why_zh}运营商可能清理此签名：请以{zh}申请新签名。",
                f"{why_en} Carriers may clear this signature: file a new one from {en}.")  # fmt: skip
    return (f"{why_zh}此申请尚未向运营商报备：请您撤回，并以{zh}重新申请签名。",
            f"{why_en} It has not been filed with the carriers yet: withdraw it and apply for a new signature "
            f"from {en}.")  # fmt: skip


def withdrawn_source_violation(source: str, status: str, policy: Policy) -> Violation | None:
    """withdrawn_source_warning as a warning of the rule it comes from (SIG_SOURCE_WITHDRAWN), for a
    template's checks: its signature rests on a source ``policy`` no longer accepts."""
    warning = withdrawn_source_warning(source, status, policy)
    if warning is None:
        return None
    return Violation("SIG_SOURCE_WITHDRAWN", WARNING, *warning, policy.ref("accepted_sources"))


# Said after SIG_LENGTH on a too-long full name when no abbreviation can be proposed (each is held by
# another entity, or none passes): the way forward still open.
NO_PROPOSAL_HINT = (
    "可提议的简称均已被其他主体占用或不符合规则：请将来源改为“企业简称”，自行输入按全称顺序取字的其他简称；"
    "或先为本主体登记注册商标，以商标作为签名。",
    "Every abbreviation that could be proposed is held by another entity or breaks a rule: choose “A company "
    "abbreviation” as the source and type another abbreviation that keeps the full name's order, or add a "
    "registered trademark of this entity and file it as the signature.",
)


def with_no_proposal_hint(violation: Violation) -> Violation:
    """``violation`` (SIG_LENGTH on a full name) with the way forward when nothing can be proposed."""
    zh, en = NO_PROPOSAL_HINT
    return replace(violation, message=f"{violation.message}{zh}", message_en=f"{violation.message_en} {en}")


def offered_sources(policy: Policy) -> frozenset[str]:
    """The sources an application may rest on under ``policy``: those it accepts, and the partner
    source, a letter of authorization for one of the others, never refused as such (always offered)."""
    return policy.accepted_sources | {"partner"}


def source_withdrawn(source: str, status: str, policy: Policy) -> bool:
    """Whether a signature still counting (not ended) rests on a source ``policy`` no longer offers."""
    return status not in ENDED_STATES and source not in offered_sources(policy)


def signature_refs(policy: Policy) -> tuple[str, ...]:
    """The dated rule_refs ("date · notice") behind the signature rules of ``policy``, oldest first."""
    refs = {policy.ref(name) for name in SIGNATURE_PARAMETERS}
    return tuple(sorted(ref for ref in refs if ref_parts(ref)))


def signature_notices(changes) -> frozenset[str]:
    """The notices that set a signature rule, among ``changes`` and the base rules (not 2025.7.2,
    which is the templates')."""
    base = {ref_parts(ref)[1] for name, ref in BASE_REFS.items() if name in SIGNATURE_PARAMETERS and ref_parts(ref)}
    return frozenset(base | {c.notice for c in changes if SIGNATURE_PARAMETERS & set(c.params)})


def signature_rules(changes, *, notices=None, as_of: dt.date | None = None) -> list:
    """The changes that set a signature rule, oldest first, as a page lists them (date, notice,
    summary): those of ``notices`` (what an application recorded when it was submitted) or, for one
    not submitted yet, those in force on ``as_of`` (what would apply)."""
    rules = [c for c in changes if SIGNATURE_PARAMETERS & set(c.params)]
    if notices is not None:
        rules = [c for c in rules if c.notice in notices]
    if as_of is not None:
        rules = [c for c in rules if c.effective <= as_of]
    return sorted(rules, key=lambda c: (c.effective, c.key))


def _is_latin(ch: str) -> bool:
    """A-Z and a-z, half- or full-width. (Ranges, not NFKC: this runs on every keystroke.)"""
    o = ord(ch)
    return 0x41 <= o <= 0x5A or 0x61 <= o <= 0x7A or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A


def _is_han(ch: str) -> bool:
    """Unified Han ideographs (basic block, extensions A to H). Compatibility ideographs are folded
    into these by NFKC before this runs, so a look-alike cannot pass for another character."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x323AF


def _classify(text: str) -> tuple[bool, int, int, list[str]]:
    """One pass: (has a digit, Latin letters, letters, symbols) of ``text``.

    Symbols are whitespace, punctuation (【】 included), symbols and emoji, controls, format
    marks (zero-width spaces, right-to-left marks), and letters of other scripts (Cyrillic
    look-alikes): anything but Han characters, Latin letters and digits.
    """
    digit, latin, letters, symbols = False, 0, 0, []
    for ch in text:
        if _is_han(ch):
            letters += 1
            continue
        if _is_latin(ch):
            latin += 1
            letters += 1
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            digit = True
        else:
            if category[0] == "L":
                letters += 1
            symbols.append(ch)
    return digit, latin, letters, symbols


def is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def check_signature(
    text: str,
    *,
    source: str,
    entity_name: str,
    as_of: dt.date | None = None,
    entity_mainland: bool = True,
    trademark_owner: str | None = None,
    app_icp_subject: str | None = None,
    taken_by_others=(),
    policy: Policy | None = None,
) -> list[Violation]:
    """Every rule in force on ``as_of`` (default today, Asia/Shanghai) that ``text`` breaks.

    ``source`` is one of ``compliance.policies.SOURCES``; ``taken_by_others`` are signature
    texts other entities already hold. ``trademark_owner`` / ``app_icp_subject`` are compared
    with ``entity_name`` when given. Returns errors and warnings; an empty list is a pass.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown signature source {source!r}")
    policy = policy or policy_as_of(as_of)
    # NFKC first: full-width letters and digits, compatibility ideographs (百\uFA01 for 百度),
    # circled and mathematical characters become what they look like, so no look-alike passes
    # a comparison or the uniqueness check.
    text = unicodedata.normalize("NFKC", text or "")
    entity_name = unicodedata.normalize("NFKC", entity_name or "")
    trademark_owner = unicodedata.normalize("NFKC", trademark_owner) if trademark_owner is not None else None
    app_icp_subject = unicodedata.normalize("NFKC", app_icp_subject) if app_icp_subject is not None else None
    taken_by_others = {unicodedata.normalize("NFKC", held) for held in taken_by_others}
    found: list[Violation] = []

    def add(code, severity, zh, en, parameter):
        found.append(Violation(code, severity, zh, en, policy.ref(parameter)))

    # Characters.
    length = len(text)
    if source == "full_name" and length > policy.max_length and text == entity_name:
        # The commonest case: a full company name longer than a signature may be. Say what to do.
        add("SIG_LENGTH", ERROR,
            f"企业全称有 {length} 个字，超过签名上限 {policy.max_length} 个字，不能直接作为签名。"
            "您可以改用按全称顺序取字的企业简称。",
            f"The company's full name has {length} characters, more than a signature's {policy.max_length}; "
            "use an abbreviation that keeps the full name's order instead.", "max_length")  # fmt: skip
    elif not policy.min_length <= length <= policy.max_length:
        add("SIG_LENGTH", ERROR,
            f"签名须为 {policy.min_length}–{policy.max_length} 个字，当前为 {length} 个。",
            f"A signature has {policy.min_length}-{policy.max_length} characters; this one has {length}.",
            "max_length")  # fmt: skip
    has_digit, latin, letters, symbol_chars = _classify(text)
    if policy.ban_digits and has_digit:
        add("SIG_HAS_DIGIT", ERROR, "签名不得含有数字（含全角数字）。",
            "A signature may not contain digits (full-width ones included).", "ban_digits")  # fmt: skip
    if latin and (policy.ban_latin or (policy.ban_latin_only and latin == letters)):
        parameter = "ban_latin" if policy.ban_latin else "ban_latin_only"
        add("SIG_HAS_LATIN", ERROR, "签名不得含有英文字母（含全角字母）；纯英文签名任何时候都不予报备。",
            "A signature may not contain Latin letters (full-width ones included); an all-Latin signature "
            "is never accepted.", parameter)  # fmt: skip
    symbols = sorted(set(symbol_chars))
    if policy.ban_symbols and symbols:
        # Invisible characters (spaces, zero-width, direction marks) are named by their code point.
        shown = "、".join(f"U+{ord(ch):04X}" if unicodedata.category(ch)[0] in "ZCM" else ch for ch in symbols[:5])
        add("SIG_HAS_SYMBOL", ERROR,
            f"签名只能由汉字组成，不得含空格、标点、括号（【】由平台添加）、表情或其他文字的字母：{shown}",
            f"A signature is Chinese characters only: no spaces, punctuation, brackets (the platform adds 【】), "
            f"emoji or letters of other scripts: {shown}", "ban_symbols")  # fmt: skip

    # Where the name may come from.
    if source not in policy.accepted_sources:
        add("SIG_SOURCE_NOT_ACCEPTED", ERROR, *source_refusal(source, policy), "accepted_sources")
    if policy.require_mainland and not entity_mainland:
        add("SIG_NON_MAINLAND", ERROR, "非中国大陆主体的签名不予报备。",
            "Signatures of entities outside mainland China are not accepted.", "require_mainland")  # fmt: skip
    if found and any(v.code in CHARACTER_CODES for v in found):
        return found
    if source not in policy.accepted_sources:
        return found

    # The name itself.
    if policy.check_neutral and _is_neutral(text, policy.neutral_words):
        add("SIG_NEUTRAL", ERROR, f"「{text}」是不能识别主体的通用名称（中性签名），不予报备。",
            f"\u201c{text}\u201d is a generic name that identifies no entity (a neutral signature).",
            "check_neutral")  # fmt: skip
    if source == "full_name" and text != entity_name:
        add("SIG_NOT_FULL_NAME", ERROR, f"签名来源为企业全称时，签名须与主体名称「{entity_name}」完全一致。",
            f"With the full-name source the signature must be exactly the entity's name \u201c{entity_name}\u201d.",
            "full_name")  # fmt: skip
    if source == "abbreviation" and policy.abbreviation_in_order:
        if not is_subsequence(text, entity_name):
            add("SIG_ABBREVIATION_ORDER", ERROR,
                f"简称的每个字都须按顺序出现在主体全称「{entity_name}」中。",
                f"Every character of an abbreviation must appear in the full name \u201c{entity_name}\u201d, "
                "in the same order.", "abbreviation_in_order")  # fmt: skip
        elif text not in entity_name:
            add("SIG_ABBREVIATION_NOT_CONTIGUOUS", ERROR if policy.abbreviation_skip_severity == ERROR else WARNING,
                "简称按顺序取字但跳过了中间的字；部分运营商对“不跳字”从严理解，可能驳回。",
                "The abbreviation keeps the order but skips characters; some carriers read \u201cno skipping\u201d "
                "strictly and may refuse it.", "abbreviation_in_order")  # fmt: skip
    owner_checked = source == "trademark" and policy.trademark_owner_must_match and trademark_owner is not None
    if owner_checked and trademark_owner.strip() != entity_name.strip():
        add("SIG_TRADEMARK_OWNER_MISMATCH", ERROR,
            f"商标注册人「{trademark_owner}」不是本主体「{entity_name}」。",
            f"The trademark's owner \u201c{trademark_owner}\u201d is not the entity \u201c{entity_name}\u201d.",
            "trademark_owner_must_match")  # fmt: skip
    subject_checked = source == "app_name" and policy.app_subject_must_match and app_icp_subject is not None
    if subject_checked and app_icp_subject.strip() != entity_name.strip():
        add("SIG_APP_SUBJECT_MISMATCH", ERROR,
            f"应用的 ICP 备案主体「{app_icp_subject}」不是本主体「{entity_name}」。",
            f"The app's ICP filing subject \u201c{app_icp_subject}\u201d is not the entity "
            f"\u201c{entity_name}\u201d.", "app_subject_must_match")  # fmt: skip
    unique = policy.require_unique or (policy.abbreviation_unique and source == "abbreviation")
    if unique and text in taken_by_others:
        add("SIG_TAKEN", ERROR, f"「{text}」已被其他主体使用，签名须唯一。",
            f"\u201c{text}\u201d is already held by another entity; signatures must be unique.",
            "require_unique" if policy.require_unique else "abbreviation_unique")  # fmt: skip
    return found


def _is_neutral(text: str, words: tuple[str, ...]) -> bool:
    """The text is a generic word, or made only of generic words."""
    if text in words:
        return True
    rest = text
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest == "" and text != ""
