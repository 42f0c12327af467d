"""The dated policy timeline (DOMAIN.md, "Rules, by date").

A ``Policy`` is the frozen set of rules in force on a day for a carrier. It is built by
folding ``PolicyChange`` rows (each: the date it takes effect, the carriers it applies to,
the notice it comes from, and the parameters it sets) onto the base policy, in date order.
The built-in rows below encode every row of DOMAIN.md; policy admins add later ones in the
admin, which the Django side passes in as ``changes`` (same frozen values).
"""

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .carriers import CODES

CHINA = ZoneInfo("Asia/Shanghai")
ALL_CARRIERS = frozenset(CODES)

SOURCES = ("full_name", "abbreviation", "trademark", "app_name", "official_account", "mini_program", "website",
           "software_copyright")  # fmt: skip

NEUTRAL_WORDS = (
    "验证码", "校验码", "动态码", "通知", "提醒", "系统消息", "系统通知", "客服中心", "客服", "温馨提示",
    "客户您好", "尊敬的客户", "会员中心", "服务中心", "短信通知", "消息中心", "安全中心", "官方", "商城",
    "平台", "测试", "营销", "推广", "公告",
)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    """Everything the checks read. Field defaults are the base, before any notice."""

    effective: dt.date = dt.date.min
    notices: tuple[str, ...] = ()  # the notices folded in, oldest first
    change_keys: tuple[str, ...] = ()  # the changes folded in: the policy version a snapshot records
    # Signatures
    accepted_sources: frozenset[str] = frozenset({"full_name", "abbreviation", "trademark", "app_name"})
    min_length: int = 2
    max_length: int = 12
    ban_digits: bool = False
    ban_latin: bool = False
    ban_latin_only: bool = True  # a signature of Latin letters only is refused at any date
    ban_symbols: bool = True
    check_neutral: bool = False
    neutral_words: tuple[str, ...] = NEUTRAL_WORDS
    abbreviation_in_order: bool = False
    # The notices say "no skipping"; some carriers read it loosely. Policy admins may make it "error".
    abbreviation_skip_severity: str = "warning"
    abbreviation_unique: bool = False
    require_unique: bool = False
    trademark_owner_must_match: bool = False
    app_subject_must_match: bool = False
    require_mainland: bool = False
    real_name_required: bool = False
    # Templates (per carrier; read by the templates work)
    template_filing_required: bool = False
    template_max_links: int | None = None
    template_max_contacts: int | None = None
    template_max_ips: int | None = None
    template_links_must_be_owned: bool = False
    signature_whitelist_contacts: int | None = None
    signature_whitelist_domains: int | None = None
    night_rate_limit: str = ""
    # Platform rules the notices do not settle (docs/templates.md, "Two questions a reviewer asks").
    # The billed length counts each variable at its declared maximum (${code:6}), or at this many
    # characters when it declares none: an estimate, and said to be one.
    template_variable_length: int = 20
    # A variable placed where a contact goes (客服电话：${phone}) will carry a contact the carrier
    # never saw filed: it counts as one contact method toward the template's and the signature's limits.
    template_variable_contact_counts: bool = True
    # Signature activity at each carrier (compliance/activity.py): the platform's thresholds, not a notice's
    # (the notices say carriers clear unused signatures, never after how long). Days without a delivered
    # message before a signature is dormant, then at risk; a carrier's failure spike over the last 7 days:
    # this carrier fails at least ``activity_spike_percent`` of at least ``activity_spike_min_sent`` sent
    # while the other carriers together fail under ``activity_others_percent`` of as many.
    activity_dormant_days: int = 60
    activity_at_risk_days: int = 150
    activity_spike_percent: int = 50
    activity_others_percent: int = 10
    activity_spike_min_sent: int = 20
    # Where each parameter's current value comes from: parameter -> "YYYY-MM-DD · notice".
    sources: MappingProxyType = field(default_factory=lambda: MappingProxyType({}), compare=False)

    def ref(self, parameter: str) -> str:
        """The date and notice behind a parameter's value, for a violation's rule_ref."""
        return self.sources.get(parameter, BASE_REFS.get(parameter, PLATFORM_RULE))


# A rule_ref is a stable machine form, for support and the API: "YYYY-MM-DD · notice" for a rule of
# the notices, PLATFORM_RULE for the platform's own limits. Pages render it with ``describe_ref``.
PLATFORM_RULE = "platform rule"
# The form snapshots stored before issue 9 carry for the platform's rules (read as PLATFORM_RULE).
LEGACY_PLATFORM_RULE = "平台规则 · platform rule"

# Rules in force before the first notice, and where they come from. The signature length (2-12
# characters) is the platform's limit, not a notice's: the SMS gateway's, kept as a parameter so
# that a notice or an admin row can change it from a date.
BASE_REFS = {
    "min_length": PLATFORM_RULE,
    "max_length": PLATFORM_RULE,
    "ban_symbols": PLATFORM_RULE,
    "ban_latin_only": "2025-03-27 · 2025.3.27",
    "accepted_sources": "2025-03-27 · 2025.3.27",
    "full_name": "2025-03-27 · 2025.3.27",
}


def ref_parts(ref: str) -> tuple[str, str] | None:
    """(date, notice) of a dated rule_ref ("2026-05-01 · 2026.4.23"); None for the platform's rules."""
    date, sep, notice = (ref or "").partition(" · ")
    return (date, notice) if sep and date[:4].isdigit() else None


def describe_ref(ref: str) -> tuple[str, str]:
    """A rule_ref as the customer reads it, (Chinese, English): the date first, then the notice."""
    if ref in (PLATFORM_RULE, LEGACY_PLATFORM_RULE):
        return "平台规则", "Platform rule"
    parts = ref_parts(ref)
    if parts is None:
        return ref, ref
    date, notice = parts
    return f"自 {date} 起（通知 {notice}）", f"From {date} (notice {notice})"


PARAMETERS = frozenset(f.name for f in fields(Policy)) - {"effective", "notices", "change_keys", "sources"}
# The same parameters in the order Policy declares them (the signatures' first, then the templates').
PARAMETER_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Policy) if f.name in PARAMETERS)
_DEFAULTS = Policy()

# What each parameter is called, (Chinese, English): the admin's policy form and its readable rows.
PARAMETER_NAMES = {
    "accepted_sources": ("可报备的签名来源", "Signature sources accepted"),
    "min_length": ("签名最少字数", "Shortest signature (characters)"),
    "max_length": ("签名最多字数", "Longest signature (characters)"),
    "ban_digits": ("签名不得含数字", "No digits in a signature"),
    "ban_latin": ("签名不得含英文字母", "No Latin letters in a signature"),
    "ban_latin_only": ("签名不得为纯英文", "No signature of Latin letters only"),
    "ban_symbols": ("签名不得含符号", "No symbols in a signature"),
    "check_neutral": ("拒绝中性签名", "Neutral signatures refused"),
    "neutral_words": ("中性词", "Neutral words"),
    "abbreviation_in_order": ("简称须按全称顺序取字", "Abbreviations keep the full name's order"),
    "abbreviation_skip_severity": ("简称跳字的处理", "An abbreviation that skips characters gets"),
    "abbreviation_unique": ("简称须唯一", "Abbreviations must be unique"),
    "require_unique": ("签名须唯一", "Signatures must be unique"),
    "trademark_owner_must_match": ("商标注册人须为本主体", "The trademark's owner must be the entity"),
    "app_subject_must_match": ("应用备案主体须为本主体", "The app's ICP filing subject must be the entity"),
    "require_mainland": ("仅限境内主体", "Mainland entities only"),
    "real_name_required": ("须提供实名资料（主体资质、法定代表人身份证）", "Real-name package required"),
    "template_filing_required": ("含联系方式或链接的模板须报备", "Templates with contacts or links must be filed"),
    "template_max_links": ("每个模板最多链接数", "Links per template, at most"),
    "template_max_contacts": ("每个模板最多联系方式数", "Contact methods per template, at most"),
    "template_max_ips": ("每个模板最多 IP 数", "IP addresses per template, at most"),
    "template_links_must_be_owned": ("模板的链接和 IP 须属于本主体", "A template's links and IPs must be the entity's"),
    "signature_whitelist_contacts": ("每个签名最多白名单联系方式数", "Whitelisted contacts per signature, at most"),
    "signature_whitelist_domains": ("每个签名最多白名单域名数", "Whitelisted domains per signature, at most"),
    "night_rate_limit": ("夜间限速时段", "Night rate limit (hours)"),
    "template_variable_length": ("未声明长度的变量按多少字计", "Characters a variable of no declared length counts"),
    "template_variable_contact_counts": ("联系方式位置的变量计为联系方式", "A variable in a contact's place counts"),
    "activity_dormant_days": ("无送达多少天视为久未发送", "Days without a delivery before a signature is dormant"),
    "activity_at_risk_days": ("无送达多少天视为有清理风险", "Days without a delivery before it is at risk"),
    "activity_spike_percent": ("失败激增：本运营商失败率至少（%）", "Failure spike: this carrier fails (%), at least"),
    "activity_others_percent": ("失败激增：其他运营商失败率低于（%）", "Failure spike: the others fail under (%)"),
    "activity_spike_min_sent": ("失败激增：近 7 天至少发送条数", "Failure spike: messages sent in 7 days, at least"),
}

# The values a parameter of kind "choice" may take, each named (Chinese, English).
PARAMETER_CHOICES = {
    "abbreviation_skip_severity": {
        "warning": ("提醒（客户确认后可提交）", "a warning (the customer may acknowledge it)"),
        "error": ("错误（不得提交）", "an error (it blocks submission)"),
    },
}


def parameter_kind(name: str) -> str:
    """What kind of value the parameter ``name`` takes, from its default: "switch" (true or false),
    "count" (a whole number), "percent" (a whole number from 0 to 100), "limit" (a whole number, or None for
    no limit), "sources" (a set of SOURCES), "words" (a tuple of words), "choice" (one of PARAMETER_CHOICES)
    or "text"."""
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        return "switch"
    if name.startswith(("template_max", "signature_whitelist")):
        return "limit"
    if name.endswith("_percent"):
        return "percent"
    if isinstance(default, int):
        return "count"
    if isinstance(default, frozenset):
        return "sources"
    if isinstance(default, tuple):
        return "words"
    if name in PARAMETER_CHOICES:
        return "choice"
    return "text"


def _type_problem(name: str, value) -> str | None:
    """Why ``value`` cannot be the parameter ``name`` (an admin row typed by hand), or None."""
    kind = parameter_kind(name)
    if kind == "switch":
        return None if isinstance(value, bool) else "true or false"
    if kind in ("count", "limit"):
        if value is None and kind == "limit":
            return None  # "no limit" stays possible where it is the default
        whole = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if whole else "a whole number of 0 or more"
    if kind == "percent":
        whole = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100
        return None if whole else "a whole number from 0 to 100"
    if kind == "sources":
        ok = isinstance(value, (frozenset, set, list, tuple)) and all(item in SOURCES for item in value)
        return None if ok else f"a list of sources among {', '.join(SOURCES)}"
    if kind == "words":
        ok = isinstance(value, (list, tuple)) and all(isinstance(item, str) and item for item in value)
        return None if ok else "a list of words"
    if kind == "choice":
        allowed = PARAMETER_CHOICES[name]
        return None if value in allowed else " or ".join(f'"{v}"' for v in allowed)
    return None if isinstance(value, str) else "text"


@dataclass(frozen=True)
class PolicyChange:
    key: str
    effective: dt.date
    carriers: frozenset[str]
    notice: str
    summary_zh: str
    summary_en: str
    params: MappingProxyType  # parameter -> value

    def __post_init__(self):
        unknown = set(self.params) - PARAMETERS
        if unknown:
            raise ValueError(f"unknown policy parameters: {sorted(unknown)}")
        for name, value in self.params.items():
            problem = _type_problem(name, value)
            if problem:
                raise ValueError(f"{name} must be {problem}, not {value!r}")
        if not self.carriers <= ALL_CARRIERS or not self.carriers:
            raise ValueError(f"carriers must be a non-empty subset of {sorted(ALL_CARRIERS)}")

    def applies_to(self, carrier: str | None) -> bool:
        return self.carriers == ALL_CARRIERS if carrier is None else carrier in self.carriers


def change(key, effective, carriers, notice, summary_zh, summary_en, **params) -> PolicyChange:
    return PolicyChange(key, effective, frozenset(carriers), notice, summary_zh, summary_en, MappingProxyType(params))


D = dt.date
BUILTIN_CHANGES: tuple[PolicyChange, ...] = (
    change("2025-03-27-real-name", D(2025, 3, 27), ALL_CARRIERS, "2025.3.27",
           "签名实名报备：需主体资质与法定代表人身份证；中性签名、纯英文、公众号/小程序/网站/软著名称不予报备",
           "Real-name filing of signatures: entity qualification and legal rep ID; neutral, pure-English, "
           "official-account, mini-program, website and software-copyright names refused",
           real_name_required=True, check_neutral=True),
    change("2025-03-31-abbreviation", D(2025, 3, 31), ALL_CARRIERS, "2025.3.31",
           "简称须按全称顺序取字、不跳字；商标注册人、应用备案主体须为本主体",
           "Abbreviations: characters in the full name's order, not skipping; trademark owner and app ICP "
           "subject must be the entity",
           abbreviation_in_order=True, trademark_owner_must_match=True, app_subject_must_match=True),
    change("2025-05-30-telecom-content", D(2025, 5, 30), {"telecom"}, "2025.5.20",
           "电信：含联系方式或链接的模板须报备；每个签名最多白名单 2 个联系方式、1 个域名；23:00-07:00 限速",
           "Telecom: templates with contacts or links must be filed; per signature at most 2 contacts and 1 "
           "domain whitelisted; 23:00-07:00 rate limit",
           template_filing_required=True, signature_whitelist_contacts=2, signature_whitelist_domains=1,
           night_rate_limit="23:00-07:00"),
    change("2025-05-30-telecom-templates", D(2025, 5, 30), {"telecom"}, "2025.6.3",
           "电信：未报备模板拦截；模板最多 2 个联系方式、1 个链接、1 个 IP，链接和 IP 须属于本主体",
           "Telecom: unfiled templates blocked; at most 2 contacts, 1 link and 1 IP per template, the link and "
           "IP the entity's own",
           template_max_contacts=2, template_max_links=1, template_max_ips=1, template_links_must_be_owned=True),
    change("2025-06-03-signatures", D(2025, 6, 3), ALL_CARRIERS, "2025.6.3",
           "签名须唯一、非中性，不得含数字和英文字母", "Signatures unique, not neutral, no digits, no Latin letters",
           require_unique=True, ban_digits=True, ban_latin=True),
    change("2025-07-01-unicom-templates", D(2025, 7, 1), {"unicom"}, "2025.7.2",
           "联通：含联系方式或链接的模板须提前报备；每个模板最多 1 个链接、2 个联系方式",
           "Unicom: templates with contacts or links filed in advance; at most 1 link and 2 contacts",
           template_filing_required=True, template_max_links=1, template_max_contacts=2),
    change("2025-07-10-mobile-templates", D(2025, 7, 10), {"mobile"}, "2025.7.2",
           "移动：含联系方式或链接的模板须提前报备；每个模板最多 1 个链接、2 个联系方式",
           "Mobile: templates with contacts or links filed in advance; at most 1 link and 2 contacts",
           template_filing_required=True, template_max_links=1, template_max_contacts=2),
    change("2026-05-01-no-app-names", D(2026, 5, 1), ALL_CARRIERS, "2026.4.23",
           "应用名称不再作为签名来源；非中国大陆主体的签名不予报备",
           "ICP-filed app names no longer accepted as signatures; signatures of non-mainland entities refused",
           accepted_sources=frozenset({"full_name", "abbreviation", "trademark"}), require_mainland=True),
)  # fmt: skip


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def policy_as_of(
    as_of: dt.date | None = None, carrier: str | None = None, *, changes: tuple[PolicyChange, ...] = BUILTIN_CHANGES
) -> Policy:
    """The policy in force on ``as_of`` (default: today in Asia/Shanghai) for ``carrier``.

    ``carrier=None`` folds only the changes that apply to all three carriers: the rules every
    carrier shares (all signature rules so far). ``changes`` defaults to the built-in timeline;
    the Django side passes the rows of the Policy model.
    """
    day = as_of or today()
    if changes is BUILTIN_CHANGES:
        return _builtin_policy(day, carrier)
    return _fold(day, carrier, changes)


@lru_cache(maxsize=512)
def _builtin_policy(day: dt.date, carrier: str | None) -> Policy:
    return _fold(day, carrier, BUILTIN_CHANGES)


def _fold(day: dt.date, carrier: str | None, changes) -> Policy:
    policy = Policy()
    sources = {}
    notices = []
    keys = []
    # By date only, and stably: on the same date a later row (an admin's correction) wins.
    for row in sorted(changes, key=lambda c: c.effective):
        if row.effective > day or not row.applies_to(carrier):
            continue
        policy = replace(policy, effective=row.effective, **row.params)
        for name in row.params:
            sources[name] = f"{row.effective:%Y-%m-%d} · {row.notice}"
        notices.append(row.notice)
        keys.append(row.key)
    return replace(policy, notices=tuple(notices), change_keys=tuple(keys), sources=MappingProxyType(sources))
