"""What a carrier counts in an SMS template, and which of its dated limits the template breaks.

``analyze_template`` finds the links (registrable domains), IP addresses and contact methods a
carrier would count, undoing the usual disguises (full-width characters, 。 ． 点 dot, spaces
around dots). ``check_template`` compares them with each carrier's limits in force on a date.

Libraries where they fit: ``phonenumbers``' metadata for China (which numbers are valid, and of
which type) and ``tldextract`` (its bundled public-suffix snapshot, never the network) for
registrable domains, ``idna`` for host names written in Chinese. Hand-written: how Chinese
numbers are split out of text (phonenumbers' own matcher is five times slower than everything
else together; see ``_numbers_in``), China's 95xxx/96xxx service numbers and 106 SMS ports
(unknown to phonenumbers), QQ and WeChat IDs. Every pattern is linear (no nested quantifiers
over the same characters, and no two optional runs of the same characters side by side), so no
input makes it backtrack; the tests feed 10,000-character runs of what each pattern reads.
"""

import ipaddress
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import idna
import phonenumbers
import tldextract

from .carriers import BY_CODE
from .policies import ALL_CARRIERS, Policy, policy_as_of
from .signatures import ERROR, WARNING, Violation

KINDS = ("verification", "notification", "marketing")
PLATFORM_RULE = "platform rule"  # the rule_ref of the carrier-independent rules (no notice, no date)
MAX_BODY = 500
SINGLE_SEGMENT = 70
MULTI_SEGMENT = 67

# No network: the public-suffix snapshot bundled with tldextract.
# Private suffixes too (github.io, myshopify.com…): a.github.io and b.github.io belong to different owners.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

_VARIABLE = re.compile(r"\$\{([^{}$]*)\}")
# A variable may declare its longest value: ${code:6}, ${name:10} (what the billed length counts).
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}(?::[1-9][0-9]{0,2})?")
# A variable where a contact goes: right after one of these words (客服电话：${phone}, 请致电${tel}).
# Not after 您的… (您绑定的邮箱${email} is the recipient's own) and not after 手机 (您的手机号${mobile}).
_CONTACT_WORDS = ("电话", "热线", "致电", "拨打", "客服", "咨询", "联系方式", "联系", "微信", "微信号", "qq", "qq号",
                  "邮箱", "email", "e-mail")  # fmt: skip
# 点 only after a letter: 今晚8点live is a time, not the domain 8.live.
_DOT_WORDS = re.compile(
    r"(?<=[A-Za-z0-9])[ \t]*(?:[。．]|\(\.\)|\[\.\]|\(dot\)|\[dot\]|\bdot\b)[ \t]*(?=[A-Za-z0-9])"
    r"|(?<=[A-Za-z])[ \t]*[点點][ \t]*(?=[A-Za-z0-9])",
    re.I,
)
# What each of them needs, as patterns that start with a character class (the engine skips to it):
# a cheap test before the full ones, which start with a lookbehind and are tried at every position.
_DOT_WORDS_GATE = re.compile(r"[A-Za-z0-9][ \t]*(?:[。．(\[点點]|[Dd][Oo][Tt])")
_SPACED_DOT_GATE = re.compile(r"[A-Za-z0-9](?:[ \t]+\.|\.[ \t])")
# And what the first needs after its dot word: the word's last character, perhaps spaces, then a
# letter or digit (ı İ ſ K match a letter when case is ignored). 0755-86013388。如需… ends a sentence,
# no domain: the slow pattern is not tried. A class first, so that the engine skips to it.
_DOT_WORDS_END = re.compile("[。．点點)\\]Tt][ \t]*[A-Za-z0-9\u0131\u0130\u017f\u212a]")
_SPACED_DOT = re.compile(r"(?<=[A-Za-z0-9])[ \t]+\.[ \t]*(?=[A-Za-z])|(?<=[A-Za-z0-9])\.[ \t]+(?=[A-Za-z]{2})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_URL_IP = re.compile(r"(?i)\b[a-z][a-z0-9+.-]{1,15}://\[?([0-9a-f:.]{2,45})\]?(?=[:/\s]|$)")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_IPV4_GATE = re.compile(r"\d\.\d")  # what every address holds, found fast (the engine skips to a digit)
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(?![0-9A-Fa-f:])")
_HOST = re.compile(
    r"(?i)(?<![a-z0-9@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59}))"
    r"(?![a-z0-9-])"
)
# What every host holds, a dot and a letter (ı İ ſ K too, as the case-blind pattern reads them): 3.5折
# holds none. Found fast: the engine skips to a dot.
_HOST_GATE = re.compile("\\.[A-Za-z\u0131\u0130\u017f\u212a]")
# What follows a host in a URL (port, path, query): claimed with it, so numbers in it count for nothing.
_URL_TAIL = re.compile(r"(?::\d{1,5})?(?:[/?#][!-~]*)?")
# Chinese-script host names (例子.中国, www.例子.公司, 例子.com): dotted runs of CJK, letters and digits
# in which some label is CJK. Only a real dot joins them (. or the full-width ．): 。 ends Chinese
# sentences, and 谢谢。中国移动 is not a domain. Linear: the label characters exclude the dot.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IDN_RUN = re.compile(rf"[{_CJK}A-Za-z0-9-]+(?:\.[{_CJK}A-Za-z0-9-]+)+")
_HAS_CJK = re.compile(rf"[{_CJK}]")
_CJK_DOT = re.compile(rf"\.(?:(?=[{_CJK}])|(?<=[{_CJK}]\.))")  # a dot beside CJK (the engine skips to a dot)
# The public suffixes written in Chinese (中国, 公司, 网络, 在线…), from tldextract's snapshot.
_CJK_SUFFIXES = frozenset(s for s in _EXTRACT.tlds if "." not in s and all("\u3400" <= ch <= "\ufaff" for ch in s))
_CJK_SUFFIX_MAX = max(map(len, _CJK_SUFFIXES))
# Chinese runs into a host without a space, so the words that lead to a link are cut off the front
# of its first label, with a 是/为/： after them: 请访问例子.中国 and 网址是例子.中国 are 例子.中国.
_LEAD_IN = re.compile(
    r"^.*(?:访问|登录|登陆|点击|打开|详见|详情|进入|前往|浏览|官网|网址|网站|链接|地址|下载|关注|搜索|复制|参见|查看|戳)"
    r"[是为:：]?"
)
# A Chinese suffix running on into words (例子.中国领取) is a host only right after one of these words
# or a scheme: 请查收.手机请保持畅通 and 下载APP.手机用户专享 are sentences with an ASCII full stop.
_LINK_WORD = re.compile(r"(?:访问|登录|登陆|打开|官网|网址|网站|链接)[是为:：]?$")
_IDN_LABEL_MAX = 15  # a longer Chinese "label" is a sentence, not a host name
_SUFFIX_LETTERS = re.compile(r"[A-Za-z]{2,63}(?![A-Za-z0-9-])")  # com领取: com
_TRAILING_ASCII = re.compile(r"(?<![A-Za-z0-9-])[A-Za-z0-9-]+$")  # 领取abc: abc
_LETTER = re.compile(r"[A-Za-z]")
# Service lines phonenumbers does not know: 95xxx/96xxx (and 6-digit 95xxxx/96xxxx), and the short
# public hotlines 100xx (the carriers' own: 10086, 10010, 10000) and 12xxx (public services: 12315,
# 12345, 12122), these only as a standalone 5-digit number (no digit or letter beside it).
# No lookbehind in front, so that the engine can skip to a 9 or a 1: the digit before is checked by hand.
_SERVICE = re.compile(r"(9[56]\d{3,4}|1(?:00\d{2}|2\d{3}))(?!\d)")
# A menu choice after a 95xxx/96xxx line (95511-3, 95588-1-2, 95539转2): part of the number.
_MENU = re.compile(r"(?:-\d{1,2}){1,3}(?![\d-])|[ \t]*转[ \t]*\d{1,4}(?!\d)")
# A 6-digit 95xxxx is a code wherever the text says so: right after 】, or beside one of these words.
_CODE_CONTEXT = ("验证码", "校验码", "动态码", "注册码", "取件码", "提货码", "取货码", "订单号", "单号", "兑换码")
# A short hotline's number is also the name of a site or an app (访问12306, 12306用户): not a line to call.
_NAME_BEFORE = ("访问", "登录", "登陆", "打开", "下载", "关注", "搜索")
_NAME_AFTER = ("用户", "网", "官网", "客户端", "app", "App", "APP")
_SMS_PORT = re.compile(r"(?<!\d)(106\d{5,17})(?!\d)")
# Each run of spaces is tied to what follows it: three optional runs side by side would let the
# engine split a long run of spaces every way (QQ and 997 spaces took 2 s).
_QQ = re.compile(r"(?i)(?:Q[ \t]?Q|扣扣|加[ \t]?q)[ \t]*(?:(?:号码?|群号?)[ \t]*)?(?:[:：][ \t]*)?(\d{5,11})(?!\d)")
_WECHAT = re.compile(r"(?i)(?:微信号?|weixin|wechat|vx|wx|v信|威信)[ \t]*(?:[:：][ \t]*)?([A-Za-z][-_A-Za-z0-9]{5,19})")
# Two characters each of its words holds (微信 v信 威信, we, vx, wx; case ignored): one class first, so
# that the engine skips to it.
_WECHAT_GATE = re.compile(r"[微威VvWw][信EeXx]")
# A stretch that could hold phone numbers: an optional +, then digits with spaces, dashes or
# brackets between them. Linear: each character is either a digit or a separator.
_PHONE_CANDIDATE = re.compile(r"\+?\(?\d[\d\s()-]{5,}\d")
# The same without its optional front: it starts with a digit, so the engine skips to one. Where it
# matches, a candidate starts there or at most two characters before (the + and the bracket).
_PHONE_GATE = re.compile(r"\d[\d\s()-]{5,}\d")
_CODE_WORDS = ("验证码", "校验码", "动态码", "注册码")
_OPT_OUT = re.compile(r"拒收请?回复?[ \t]*[Rr]|回复?[ \t]*[Tt][Dd]?[ \t]*退订|退订请?回复?[ \t]*[TtNn][Dd]?")
# Contexts in which a 95xxx-like number is a code, an amount or a time, not a service line.
_NOT_SERVICE_BEFORE = ("码", "为", "号", "分", "额", "第", "名")
_NOT_SERVICE_AFTER = ("元", "万", "分", "秒", "%", "次", "个", "件", "天", "期", "名", "积", ".", "-", "人",
                      "条", "笔", "位", "张", "份", "年", "月", "日", "号", "时", "点", "步", "米", "/", ":",
                      "×", "*")  # fmt: skip


def _neighbours(text: str, start: int, end: int) -> tuple[str, str]:
    """The nearest characters before and after [start, end), skipping spaces and ：: 是."""
    before = text[max(0, start - 6) : start].rstrip(" \t:：是")
    after = text[end : end + 3].lstrip(" \t")
    return before[-1:] if before else "", after[:1]


def _counts_as_service(text: str, start: int, end: int) -> bool:
    if (
        text[max(0, start - 3) : start].rstrip(" \t-")[-1:].isdigit()
        or text[end : end + 3].lstrip(" \t-")[:1].isdigit()
    ):
        return False  # a group of a longer number: 740707 620088 951137 is an ID number
    before, after = _neighbours(text, start, end)
    return before not in _NOT_SERVICE_BEFORE and after not in _NOT_SERVICE_AFTER


def _service_line(text: str, start: int, end: int) -> int:
    """Where a 95xxx/96xxx, 100xx or 12xxx number found at [start, end) ends as a line to call
    (its menu choice included), or 0 when it is a code, an amount, a date, a name or a group of a
    longer number. Looks only at a few characters around it: linear."""
    number = text[start:end]
    if number[0] == "1":  # 100xx, 12xxx: standalone, never beside a letter, inside 【】 or as a name
        if len(number) != 5 or (
            start and text[start - 1].isascii() and (text[start - 1].isalnum() or text[start - 1] in "+.")
        ):
            return 0  # V12345, +10000, 0.10086: part of something else
        if end < len(text) and text[end].isascii() and text[end].isalpha():
            return 0
        before, after = text[max(0, start - 3) : start], text[end : end + 3]
        if before.endswith(_NAME_BEFORE) or after.startswith(_NAME_AFTER):
            return 0
        head = text[max(0, start - 20) : start]  # a sender's name is short: look no further (linear)
        if head.rfind("【") > head.rfind("】") and "】" in text[end : end + 20]:
            return 0  # in the sender's name: 【某某12329】
    elif len(number) == 6:  # 95xxxx: a code where the text says so
        if text[max(0, start - 3) : start].rstrip(" \t")[-1:] == "】":
            return 0
        around = text[max(0, start - 8) : start] + " " + text[end : end + 10]
        if any(word in around for word in _CODE_CONTEXT):
            return 0
    else:
        menu = _MENU.match(text, end)
        if menu:
            before = _neighbours(text, start, end)[0]
            return menu.end() if before not in _NOT_SERVICE_BEFORE else 0
    return end if _counts_as_service(text, start, end) else 0


@dataclass(frozen=True)
class Analysis:
    links: list[str]
    ips: list[str]
    contacts: list[tuple[str, str]]  # (kind, value normalised: the same line written two ways is one)
    variables: list[str]
    length: int  # characters as written (【signature】 + body, a placeholder as its own characters)
    segments: int
    spans: list[tuple[int, int, str]]  # (start, end, "link" | "ip" | contact kind) in the text as written
    contacts_written: list[str] = ()  # each contact as the customer first wrote it (0591-87654321)
    # Variables placed where a contact goes (客服电话：${phone}), as written; the policy decides if they count.
    variable_contacts: list[str] = ()
    # The billed length, an estimate: each variable at its declared maximum (${code:6}) or the default.
    billed_length: int = 0
    billed_segments: int = 0


def _unique(items):
    return list(dict.fromkeys(items))


def normalize_disguises(text: str) -> tuple[str, list[int]]:
    """Full-width folded (NFKC, character by character), and 。 ． (dot) [.], 点 after a letter, or
    spaces around a dot, between letters, read as a dot.

    Returns the normalised text and, for each of its characters, the index in ``text`` it came
    from, so that what is found can be marked where the customer wrote it.
    """
    folded, origin = _fold_disguises(text)
    return folded, list(origin)


def _fold_disguises(text: str) -> tuple[str, Sequence[int]]:
    """normalize_disguises, the way back a range where nothing moved (the usual case)."""
    folded = _nfkc(text)
    if len(folded) == len(text):
        origin = range(len(text))  # the usual case: one character for one
    else:  # something expanded (…… becomes ......): fold character by character to keep the way back
        pieces, origin = [], []
        for index, ch in enumerate(text):
            piece = unicodedata.normalize("NFKC", ch)
            pieces.append(piece)
            origin.extend([index] * len(piece))
        folded = "".join(pieces)
    if _DOT_WORDS_END.search(folded) and _DOT_WORDS_GATE.search(folded) and _DOT_WORDS.search(folded):
        folded, origin = _substitute(_DOT_WORDS, folded, origin)
    # A space or tab beside a dot, tested in C before either pattern.
    spaced = " ." in folded or ". " in folded or "\t." in folded or ".\t" in folded
    if spaced and _SPACED_DOT_GATE.search(folded) and _SPACED_DOT.search(folded):
        folded, origin = _substitute(_SPACED_DOT, folded, origin)
    return folded, origin


# NFKC changes little in a template, usually only full-width punctuation (，：！？（）), each into one
# ASCII character. NFKC decomposes character by character, so folding those one for one and finding
# the result normalised is exactly NFKC, in a fifth of its time; anything else goes to NFKC itself.
_WIDE_PUNCTUATION = tuple((ch, unicodedata.normalize("NFKC", ch)) for ch in "，：！？（）；")
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e]")
_FULL_WIDTH_ASCII = {ch: unicodedata.normalize("NFKC", ch) for ch in map(chr, [0x3000, *range(0xFF01, 0xFF5F)])}


def _nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), faster for the usual template."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    folded = text
    for wide, narrow in _WIDE_PUNCTUATION:  # str.replace in C; the rarer ones by the pattern
        if wide in folded:
            folded = folded.replace(wide, narrow)
    if _FULL_WIDTH.search(folded):
        folded = _FULL_WIDTH.sub(lambda match: _FULL_WIDTH_ASCII[match.group()], folded)
    return folded if unicodedata.is_normalized("NFKC", folded) else unicodedata.normalize("NFKC", text)


def _substitute(pattern, text: str, origin: Sequence[int]) -> tuple[str, list[int]]:
    """pattern.sub(".", text), keeping the origin of every character (a dot takes its match's)."""
    out, mapped, last = [], [], 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()])
        mapped.extend(origin[last : match.start()])
        out.append(".")
        mapped.append(origin[match.start()] if match.start() < len(origin) else len(origin))
        last = match.end()
    out.append(text[last:])
    mapped.extend(origin[last:])
    return "".join(out), mapped


def segments_for(length: int) -> int:
    if length <= SINGLE_SEGMENT:
        return 1
    return math.ceil(length / MULTI_SEGMENT)


def _variable_contacts(text: str, placeholders) -> list[tuple[int, int, str]]:
    """The placeholders written where a contact goes, (start, end, placeholder): each right after a
    contact word, then perhaps 号码, a ：/是/为 and spaces. A few characters before each are read."""
    found = []
    for match in placeholders:
        head = text[max(0, match.start() - 14) : match.start()].rstrip(" \t")
        if head.endswith((":", "：", "是", "为")):
            head = head[:-1].rstrip(" \t")
        head = head.removesuffix("号码").lower()
        if not head.endswith(_CONTACT_WORDS):  # one test in C: most variables are no contact
            continue
        word = next(word for word in _CONTACT_WORDS if head.endswith(word))
        if "您" not in head[-len(word) - 4 : -len(word)]:
            found.append((match.start(), match.end(), match.group(0)))
    return found


def analyze_template(text: str, signature: str | None = None, *, variable_length: int | None = None) -> Analysis:
    """Links, IPs, contacts and variables of a template, and what it bills (【signature】 + body).

    ``variable_length``: what a variable without a declared maximum is taken to hold in the billed
    estimate (default: the platform's, ``Policy.template_variable_length``).
    """
    text = text or ""
    default = Policy.template_variable_length if variable_length is None else variable_length
    placeholders = list(_VARIABLE.finditer(text)) if "${" in text else []
    variables, plain, billed_extra = [], text, 0
    if placeholders:  # they become spaces: ${a}${b} must not glue the text around them into a number
        pieces, last = [], 0
        for match in placeholders:
            start, end = match.span()
            name = match.group(1)
            variables.append(name)
            pieces += (text[last:start], " " * (end - start))
            last = end
            # Billed at its declared maximum (${code:6}) or the default, not as the placeholder written.
            _, colon, maximum = name.partition(":")
            billed_extra += (int(maximum) if colon and maximum.isdigit() else default) - (end - start)
        pieces.append(text[last:])
        plain = "".join(pieces)
    normalized, origin = _fold_disguises(plain)
    spans: list[tuple[int, int, str]] = []
    consumed = bytearray(len(normalized))  # what an earlier kind has claimed

    written_at: dict[int, str] = {}  # a contact's start -> the contact as the customer wrote it

    def claim(start, end, kind):
        consumed[start:end] = b"\x01" * (end - start)
        if end > start:  # marked where the customer wrote it, disguises and all
            spans.append((origin[start], origin[end - 1] + 1, kind))
            if kind != "link":
                written_at[start] = text[origin[start] : origin[end - 1] + 1]

    def free(start, end):
        return not any(consumed[start:end])

    # Each scan runs only where the text holds what its pattern needs (an @, a ://, a dot…):
    # a substring test is a fraction of a regex scan, and most templates have no email or link.
    found_contacts: list[tuple[int, str, str]] = []  # (position, kind, value): reported in reading order
    if "@" in normalized:
        for match in _EMAIL.finditer(normalized):
            found_contacts.append((match.start(), "email", match.group(0).lower()))
            claim(*match.span(), "email")
    ips: list[str] = []
    if "://" in normalized:
        for match in _URL_IP.finditer(normalized):
            address = _ip(match.group(1))
            if address:
                ips.append(address)
                claim(*match.span(), "ip")
    links: list[str] = []
    has_dot = "." in normalized
    if has_dot and _CJK_DOT.search(normalized):
        for start, end, domain in _chinese_hosts(normalized):
            if free(start, end):
                links.append(domain)
                claim(start, _URL_TAIL.match(normalized, end).end(), "link")
    if has_dot and _HOST_GATE.search(normalized):
        for match in _HOST.finditer(normalized):
            if not free(*match.span(1)):
                continue
            domain = _registrable_domain(match.group(1).lower())
            if domain:
                links.append(domain)
                claim(match.start(1), _URL_TAIL.match(normalized, match.end(1)).end(), "link")
    for pattern, needed in ((_IPV4, has_dot and _IPV4_GATE.search(normalized)), (_IPV6, normalized.count(":") >= 2)):
        if not needed:
            continue
        for match in pattern.finditer(normalized):
            address = _ip(match.group(1))
            if address and free(*match.span(1)):
                ips.append(address)
                claim(*match.span(1), "ip")
    if "Q" in normalized or "q" in normalized or "扣" in normalized:
        for match in _QQ.finditer(normalized):
            if free(*match.span(1)):
                found_contacts.append((match.start(1), "qq", match.group(1)))
                claim(*match.span(1), "qq")
    if _WECHAT_GATE.search(normalized):  # 微信, 威信, v信, weixin, wechat, vx, wx
        for match in _WECHAT.finditer(normalized):
            if free(*match.span(1)):
                found_contacts.append((match.start(1), "wechat", match.group(1).lower()))
                claim(*match.span(1), "wechat")
    if "106" in normalized:
        for match in _SMS_PORT.finditer(normalized):
            if free(*match.span(1)) and _counts_as_service(normalized, *match.span(1)):
                found_contacts.append((match.start(1), "sms_port", match.group(1)))
                claim(*match.span(1), "sms_port")
    for candidate in _phone_candidates(normalized):
        for start, end, kind, digits in _numbers_in(candidate.group(0)):
            _phone(candidate.start() + start, candidate.start() + end, kind, digits, normalized, found_contacts,
                   claim, free)  # fmt: skip
    if "95" in normalized or "96" in normalized or "100" in normalized or "12" in normalized:
        for match in _SERVICE.finditer(normalized):
            start, end = match.span(1)
            if (not start or not normalized[start - 1].isdigit()) and free(start, end):
                line_end = _service_line(normalized, start, end)
                if line_end:
                    found_contacts.append((start, "service_number", match.group(1)))
                    claim(start, line_end, "service_number")
    framing = len(signature) + 2 if signature else 0
    length = len(text) + framing
    segments = segments_for(length)
    written: dict[tuple[str, str], str] = {}
    if found_contacts:
        for start, kind, value in sorted(found_contacts):
            if (kind, value) not in written:
                written[(kind, value)] = written_at.get(start, value)
    billed, slots = length + billed_extra, []
    if placeholders:
        slots = _variable_contacts(text, placeholders)
        spans += [(start, end, "variable_contact") for start, end, _ in slots]
    # Filled in directly: the frozen dataclass's __init__ sets each of its eleven fields through
    # object.__setattr__ (about 2 µs a template). The same object: a test compares them.
    analysis = object.__new__(Analysis)
    analysis.__dict__.update(
        links=_unique(links) if links else [],
        ips=_unique(ips) if ips else [],
        contacts=list(written),
        variables=variables,
        length=length,
        segments=segments,
        spans=sorted(spans) if len(spans) > 1 else spans,
        contacts_written=list(written.values()),
        variable_contacts=_unique(placeholder for _, _, placeholder in slots) if slots else [],
        billed_length=billed,
        billed_segments=segments_for(billed) if billed != length else segments,
    )
    return analysis


def _phone_candidates(text: str):
    """_PHONE_CANDIDATE.finditer(text), faster: each candidate is searched for from where the gate
    finds digits (it starts there or two characters before). The candidate pattern, with its
    optional front, is tried at every position; the gate skips to a digit."""
    position = 0
    while run := _PHONE_GATE.search(text, position):
        candidate = _PHONE_CANDIDATE.search(text, max(position, run.start() - 2))
        yield candidate
        position = candidate.end()


def _chinese_hosts(text: str):
    """(start, end, registrable domain in punycode) of each host name written in Chinese script."""
    for run in _IDN_RUN.finditer(text):
        written = run.group(0)
        if not _HAS_CJK.search(written):
            continue  # letters only: _HOST reads it
        labels = written.split(".")
        first, last = labels[0], labels[-1]
        if _HAS_CJK.match(last):  # 中国领取: the longest Chinese suffix it starts with
            size = next((n for n in range(min(_CJK_SUFFIX_MAX, len(last)), 0, -1) if last[:n] in _CJK_SUFFIXES), 0)
            runs_on = size < len(last)
        else:  # com领取: the letters it starts with
            letters = _SUFFIX_LETTERS.match(last)
            size, runs_on = (letters.end() if letters else 0), False
        if not size:
            continue
        lead = _LEAD_IN.match(first)
        label = first[lead.end() :] if lead else first
        ascii_tail = _TRAILING_ASCII.search(label) if _HAS_CJK.match(label) else None
        if ascii_tail and _LETTER.search(ascii_tail.group(0)):
            label = ascii_tail.group(0)  # 领取abc.中国 is abc.中国 (but 例子1.中国 is itself)
        if not label or len(label) > _IDN_LABEL_MAX:
            continue
        if runs_on and not (
            text.endswith("//", 0, run.start()) or label.lower() == "www" or (lead and _LINK_WORD.search(lead.group(0)))
        ):
            continue
        labels[0], labels[-1] = label, last[:size]
        domain = _idn_domain(".".join(labels))
        if domain:
            yield run.start() + len(first) - len(label), run.end() - (len(last) - size), domain


@lru_cache(maxsize=1024)
def _idn_domain(host: str) -> str | None:
    """The registrable domain of a Chinese-script host, in punycode (as owned domains are kept)."""
    try:
        return _registrable_domain(idna.encode(host, uts46=True).decode("ascii"))
    except (idna.IDNAError, UnicodeError):
        return None


# Phone numbers. phonenumbers' PhoneNumberMatcher is general (every region, a grammar of
# leniencies) and costs about 0.1 ms a number: five times the rest of the analysis. Chinese
# numbers are written in few ways, so the stretches are split here by hand and each candidate is
# judged by phonenumbers' own metadata for CN (the patterns its is_valid_number and number_type
# use), compiled once. Numbers with another country code are rare: they go to phonenumbers
# itself. tests/test_compliance_templates.py compares this with PhoneNumberMatcher: numbers in every
# format phonenumbers writes, and grouped card, order and ID numbers, where neither finds one.
_CN = phonenumbers.PhoneMetadata.metadata_for_region("CN")


def _pattern(desc):
    return re.compile(desc.national_number_pattern) if desc is not None and desc.national_number_pattern else None


def _first_fitting(alternatives) -> re.Pattern:
    """One pattern for several tried in order, each a named group: its fullmatch's lastgroup names
    the first that fits the whole number (one call into the regex engine instead of one each)."""
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in alternatives))


_CN_GENERAL = _pattern(_CN.general_desc)
# What a number is: the first of these that fits it, as number_type tries them.
_CN_TYPES = [(name, kind, desc.national_number_pattern) for name, kind, desc in (
    ("toll_free", "service_number", _CN.toll_free), ("shared_cost", "service_number", _CN.shared_cost),
    ("mobile", "mobile", _CN.mobile), ("fixed_line", "landline", _CN.fixed_line),
    ("premium_rate", "landline", _CN.premium_rate),
) if desc is not None and desc.national_number_pattern]  # fmt: skip
_CN_TYPE = _first_fitting((name, pattern) for name, _, pattern in _CN_TYPES)
_CN_KIND = {name: kind for name, kind, _ in _CN_TYPES}
_CN_LENGTHS = frozenset(_CN.general_desc.possible_length)
_WORD = re.compile(r"[^\s]+")
_SPACE = re.compile(r"\s")
_NON_DIGITS = re.compile(r"\D+")
_MAX_DIGITS = 17  # 0086 and a 13-digit number
_MIN_DIGITS = min(_CN_LENGTHS)  # a shorter run is no number (95588 is found by hand)


def _cn_kind(nsn: str, prefixed: bool) -> str | None:
    """What a national significant number is, by phonenumbers' CN metadata (None: not a number)."""
    if len(nsn) not in _CN_LENGTHS or not _CN_GENERAL.fullmatch(nsn):
        return None
    fits = _CN_TYPE.fullmatch(nsn)
    kind = _CN_KIND[fits.lastgroup] if fits else None
    # A landline is written with its area code's 0 (or +86); a bare run of digits is a date, a time
    # or an order number, not a phone line.
    return None if kind == "landline" and not prefixed else kind


@lru_cache(maxsize=1024)
def _foreign(digits: str) -> tuple[str, str] | None:
    """A number with a country code other than China's, judged by phonenumbers itself (rare; cached,
    as 001 001 001… would ask again and again). Kept in E.164 (+852…): its country code is part of it."""
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    number_type = phonenumbers.number_type(number)
    if number_type in (phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST):
        kind = "service_number"
    else:
        kind = "mobile" if number_type == phonenumbers.PhoneNumberType.MOBILE else "landline"
    return kind, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _judge(digits: str, plus: bool) -> tuple[str, str] | None:
    """(kind, normalised digits) of a candidate's digits, as written (after a + or not)."""
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if not international.startswith("86"):
            return _foreign(international)
        nsn = international[2:]
        if nsn.startswith("0"):  # +86 (0)755…: the national prefix written after the country code
            nsn = nsn[1:]
        prefixed = True
    elif digits.startswith("0"):
        nsn, prefixed = digits[1:], True
    else:
        nsn, prefixed = digits, False
    kind = _cn_kind(nsn, prefixed)
    if kind is None and not prefixed and digits.startswith("86") and _cn_kind(digits[2:], True) == "mobile":
        nsn, kind = digits[2:], "mobile"  # 86 138…: the country code without its + (a mobile: 86 2… is a card)
    if kind is None or (not prefixed and _prefix_required(nsn)):
        return None
    return kind, ("0" + nsn if kind == "landline" else nsn)


# Whether a number must be written with its national prefix 0 (0571-96345, not 57196345): the rule
# of the first of CN's formats that fits it (its leading digits, then its whole pattern), as
# phonenumbers' matcher decides it.
_CN_FORMAT = _first_fitting(
    (f"f{i}", (f"(?={f.leading_digits_pattern[-1]})" if f.leading_digits_pattern else "") + f"(?:{f.pattern})")
    for i, f in enumerate(_CN.number_format)
)
_CN_PREFIX_REQUIRED = {
    f"f{i}": bool(f.national_prefix_formatting_rule) and "0" in f.national_prefix_formatting_rule
    and not f.national_prefix_optional_when_formatting
    for i, f in enumerate(_CN.number_format)
}  # fmt: skip


def _prefix_required(nsn: str) -> bool:
    fits = _CN_FORMAT.fullmatch(nsn)
    return _CN_PREFIX_REQUIRED[fits.lastgroup] if fits else False


@lru_cache(maxsize=8192)
def _numbers_in(stretch: str) -> tuple[tuple[int, int, str, str], ...]:
    """The phone numbers in a stretch of digits and separators: (start, end, kind, digits).

    The stretch is read as words between spaces (0755-86013388 is one word, 138 1234 5678 three).
    Where a number may start (the stretch's start, or right after a number), words are joined, the
    longest run of up to 17 digits that makes a number first: 400 810 8888 13812345678 is two
    numbers, and 1 3 8 1 2 3 4 5 6 7 8 one. Elsewhere a word counts alone, and a word is never
    split: in 2026 0315 1234 5678 (an order number), 6222 0212 3456 789 (a card) or
    17996163631-815076 there is no phone number, as phonenumbers' matcher finds none there either.
    """
    if not _SPACE.search(stretch):  # one word (0755-86013388, 4008108888): a number or none, as below
        digits = _NON_DIGITS.sub("", stretch)
        judged = _judge(digits, stretch.startswith("+")) if _MIN_DIGITS <= len(digits) <= _MAX_DIGITS else None
        return ((0, len(stretch), *judged),) if judged else ()
    words = [(m.start(), m.end(), _NON_DIGITS.sub("", m.group(0))) for m in _WORD.finditer(stretch)]
    found, index, may_start, joined = [], 0, True, False
    while index < len(words):
        plus = index == 0 and stretch.startswith("+")  # the candidate pattern allows + only in front
        candidates, digits = [], ""
        for last in range(index, len(words) if may_start else index + 1):
            digits += words[last][2]
            if len(digits) > _MAX_DIGITS:
                break
            if len(digits) >= _MIN_DIGITS:
                candidates.append((last, digits))
        for last, digits in reversed(candidates):
            judged = _judge(digits, plus)
            if judged:
                found.append((index, last, (words[index][0], words[last][1], *judged)))
                joined = joined or last > index
                index, may_start = last + 1, True
                break
        else:
            index, may_start = index + 1, False
    if not joined:
        return tuple(number for _, _, number in found)
    # A number joined from several words and followed by two or more words that make no number is
    # the head of a grouped card or ID number (1010 0000 0000 0000), not a phone line.
    starts = {first for first, _, _ in found}
    return tuple(
        number
        for first, last, number in found
        if first == last or not (last + 2 < len(words) and last + 1 not in starts and last + 2 not in starts)
    )


def _phone(start, end, kind, digits, text, found_contacts, claim, free):
    if not free(start, end):
        return
    after = text[end : end + 3].lstrip(" \t")
    if after[:1] in ("元", "万") or (after[:1] == "." and after[1:2].isdigit()):
        return  # an amount, not a number to call
    found_contacts.append((start, kind, digits))
    claim(start, end, kind)


def _ip(candidate: str) -> str | None:
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _registrable_domain(host: str) -> str | None:
    """The registrable domain of a host (example.com for m.example.com), or None if it has none."""
    extracted = _EXTRACT(host)
    return f"{extracted.domain}.{extracted.suffix}" if extracted.suffix and extracted.domain else None


def display_domain(domain: str) -> str:
    """A domain as people write it: 例子.中国 for xn--fsqu00a.xn--fiqs8s."""
    if "xn--" not in domain:
        return domain
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain


def registrable(domain: str) -> str:
    return _registrable_domain(domain.lower()) or domain.lower()


def check_template(
    text: str,
    *,
    kind: str,
    carrier: str | None = None,
    as_of=None,
    owned_domains=(),
    owned_ips=(),
    signature_contacts=(),
    signature_domains=(),
    signature: str | None = None,
    policy: Policy | None = None,
    changes=None,
    analysis: Analysis | None = None,
    include_general: bool = True,
) -> list[Violation]:
    """Every rule the template breaks: the carrier-independent ones, then each carrier's limits in
    force on ``as_of`` (``carrier=None``: every carrier whose template rules are in force).

    ``owned_*`` are the entity's filed domains and IPs; ``signature_contacts`` /
    ``signature_domains`` what the signature's other templates already whitelist (Telecom): contacts
    as (kind, value) or (kind, value, as written), the last shown in messages.
    ``analysis``: the template's analysis when the caller has it already (one per text, not per carrier);
    ``include_general=False`` skips the carrier-independent rules (a caller checking carrier by carrier).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}")
    analysis = analysis or analyze_template(text, signature)
    found: list[Violation] = []
    if include_general:
        _general_rules(found, text or "", kind, analysis)
    owned = None  # the entity's domains and IPs, normalised once and only when a link or an IP is judged
    for code in (carrier,) if carrier else _CARRIER_CODES:
        rules = policy or (policy_as_of(as_of, code, changes=changes) if changes else policy_as_of(as_of, code))
        if not rules.template_filing_required:
            continue
        if owned is None and rules.template_links_must_be_owned and (analysis.links or analysis.ips):
            owned = {registrable(d) for d in owned_domains}, {_ip(i) or i for i in owned_ips}
        _carrier_rules(found, analysis, rules, code, owned, signature_contacts, signature_domains)
    return found


_CARRIER_CODES = tuple(sorted(ALL_CARRIERS))

# The carrier-independent errors whose words never change: made once.
_BAD_VARIABLE = Violation(
    "TPL_BAD_VARIABLE", ERROR, "变量须写作 ${name}（字母、数字、下划线），不能相邻，模板也不能只有变量。",
    "Variables are written ${name} (letters, digits, underscores), never side by side, and a template is more "
    "than its variables.", PLATFORM_RULE,
)  # fmt: skip
_NO_OPT_OUT = Violation(
    "TPL_MARKETING_OPT_OUT", ERROR, "营销短信须提供退订方式，如“拒收请回复R”或“回T退订”。",
    "A marketing message offers a way out, such as 拒收请回复R or 回T退订.", PLATFORM_RULE,
)  # fmt: skip


def _general_rules(found, body, kind, analysis):
    base_ref = PLATFORM_RULE
    if not body or body.isspace() or len(body) > MAX_BODY:
        found.append(Violation("TPL_LENGTH", ERROR, f"模板正文须为 1–{MAX_BODY} 个字，当前为 {len(body)} 个。",
                               f"A template body has 1-{MAX_BODY} characters; this one has {len(body)}.",
                               base_ref))  # fmt: skip
    # str.isprintable runs in C and is False for every control, format and private-use character:
    # only a body that fails it is scanned character by character.
    bad = []
    if "【" in body or "】" in body or (not body.isprintable() and not body.replace("\n", "").isprintable()):
        forbidden = ("Cc", "Cf", "Co")
        bad = sorted({ch for ch in body if ch in "【】" or (unicodedata.category(ch) in forbidden and ch != "\n")})
    if bad:
        shown = "、".join(ch if ch in "【】" else repr(ch)[1:-1] for ch in bad[:5])
        found.append(Violation(
            "TPL_FORBIDDEN_CHARS", ERROR, f"正文不能含有【】（签名由平台添加）或控制字符：{shown}",
            f"The body may not contain 【】 (the platform adds the signature) or control characters: {shown}",
            base_ref))  # fmt: skip
    if _bad_variables(body, analysis.variables):
        found.append(_BAD_VARIABLE)
    if kind == "verification":
        # One error, naming only what is wrong: the word, the variable, or what reaches out.
        reaching_out = analysis.links or analysis.ips or analysis.contacts
        count = len(analysis.variables)
        missing = [(zh, en) for failed, zh, en in (
            (not any(word in body for word in _CODE_WORDS), "须含“验证码/校验码/动态码/注册码”之一",
             "needs one of 验证码/校验码/动态码/注册码"),
            (count != 1, f"须恰好含一个变量，用于填入验证码（当前 {count} 个）",
             f"needs exactly one variable for the code (it has {count})"),
            (bool(reaching_out), "不得含链接或联系方式", "may carry no link or contact"),
        ) if failed]  # fmt: skip
        if missing:
            found.append(Violation(
                "TPL_VERIFICATION_FORMAT", ERROR, "验证码模板" + "，".join(zh for zh, _ in missing) + "。",
                "A verification template " + "; ".join(en for _, en in missing) + ".", base_ref))  # fmt: skip
    if kind == "marketing" and not _OPT_OUT.search(_nfkc(body)):
        found.append(_NO_OPT_OUT)


def _written(contact, analysis, given) -> str:
    """A contact as the customer wrote it (0591-87654321), for the messages; compared normalised."""
    if contact in analysis.contacts:
        return analysis.contacts_written[analysis.contacts.index(contact)]
    return next((item[2] for item in given if len(item) > 2 and tuple(item[:2]) == contact), contact[1])


def _carrier_rules(found, analysis, rules, carrier, owned, signature_contacts, signature_domains):
    """The carrier's limits in ``rules``. Most templates break none: the messages are made only for
    a limit broken (and the filing warning, the same words each time, once per policy)."""
    links, ips, contacts = analysis.links, analysis.ips, analysis.contacts
    names = BY_CODE[carrier]
    given = signature_contacts  # (kind, value) or (kind, value, as written)
    if given:
        signature_contacts = {tuple(item[:2]) for item in given}
        if not rules.template_variable_contact_counts:  # others' variables count no more than this one's
            signature_contacts = {item for item in signature_contacts if item[0] != "variable"}
    if analysis.variable_contacts and rules.template_variable_contact_counts:
        contacts = contacts + [("variable", name) for name in analysis.variable_contacts]
    max_links, max_contacts, max_ips = rules.template_max_links, rules.template_max_contacts, rules.template_max_ips
    # A carrier without its own IP limit (Unicom, Mobile: "1 link") counts an IP address as a link.
    link_count = len(links) + (len(ips) if max_ips is None else 0)
    too_many_links = max_links is not None and link_count > max_links
    too_many_contacts = max_contacts is not None and len(contacts) > max_contacts
    if too_many_links:
        found.append(Violation("TPL_TOO_MANY_LINKS", ERROR,
            f"{names.short_zh}：每个模板最多 {max_links} 个链接，当前 {link_count} 个。",
            f"{names.name_en}: at most {max_links} link per template; this one has {link_count}.",
            rules.ref("template_max_links"), carrier))  # fmt: skip
    if too_many_contacts:
        listed = [_written(contact, analysis, given) for contact in contacts]
        found.append(Violation("TPL_TOO_MANY_CONTACTS", ERROR,
            f"{names.short_zh}：每个模板最多 {max_contacts} 个联系方式，当前 {len(contacts)} 个：{'、'.join(listed)}。",
            f"{names.name_en}: at most {max_contacts} contact methods per template; this one has {len(contacts)}: "
            f"{', '.join(listed)}.", rules.ref("template_max_contacts"), carrier))  # fmt: skip
    if max_ips is not None and len(ips) > max_ips:
        found.append(Violation("TPL_TOO_MANY_IPS", ERROR,
            f"{names.short_zh}：每个模板最多 {max_ips} 个 IP 地址，当前 {len(ips)} 个。",
            f"{names.name_en}: at most {max_ips} IP address per template; this one has {len(ips)}.",
            rules.ref("template_max_ips"), carrier))  # fmt: skip
    if rules.template_links_must_be_owned and (links or ips):
        owned_domains, owned_ips = owned
        for link in links:
            if link not in owned_domains:
                shown = display_domain(link)
                found.append(Violation("TPL_LINK_NOT_OWNED", ERROR,
                    f"{names.short_zh}：链接 {shown} 不在本主体已登记的域名中。",
                    f"{names.name_en}: the link {shown} is not among the entity's registered domains.",
                    rules.ref("template_links_must_be_owned"), carrier))  # fmt: skip
        for address in ips:
            if address not in owned_ips:
                found.append(Violation("TPL_IP_NOT_OWNED", ERROR,
                    f"{names.short_zh}：IP 地址 {address} 不在本主体已登记的 IP 中。",
                    f"{names.name_en}: the IP address {address} is not among the entity's registered IPs.",
                    rules.ref("template_links_must_be_owned"), carrier))  # fmt: skip
    # Only a template within its own limits can fill the signature's whitelist: one problem, one error.
    # Which list is full, and what fills it: what the customer can act on.
    over = []
    most_contacts, most_domains = rules.signature_whitelist_contacts, rules.signature_whitelist_domains
    if not (too_many_links or too_many_contacts):
        if most_contacts is not None:
            whitelist_contacts = set(signature_contacts) | set(contacts)
            if len(whitelist_contacts) > most_contacts:
                shown = sorted(_written(contact, analysis, given) for contact in whitelist_contacts)
                over.append(("个联系方式", "contact methods", most_contacts, shown))
        if most_domains is not None:
            whitelist_domains = {registrable(d) for d in signature_domains} | set(links)
            if len(whitelist_domains) > most_domains:
                shown = sorted(display_domain(d) for d in whitelist_domains)
                over.append(("个域名", "domains", most_domains, shown))
    if over:
        zh_parts = "；".join(
            f"{len(items)} {unit}（上限 {limit}）：{'、'.join(items)}" for unit, _, limit, items in over
        )
        en_parts = "; ".join(
            f"{len(items)} {unit} (at most {limit}): {', '.join(items)}" for _, unit, limit, items in over
        )
        found.append(Violation("TPL_SIGNATURE_WHITELIST_FULL", ERROR,
            f"{names.short_zh}：加上本模板，该签名的模板共含 {zh_parts}。"
            "请改用白名单中已有的联系方式或域名，或换用其他签名。",
            f"{names.name_en}: with this template the signature's templates would carry {en_parts}. Use contacts or "
            f"domains already whitelisted, or another signature.",
            rules.ref("signature_whitelist_contacts"), carrier))  # fmt: skip
    if rules.template_variable_contact_counts and analysis.variable_contacts:
        found.append(Violation("TPL_VARIABLE_CONTACT", WARNING,
            f"{names.short_zh}：{'、'.join(analysis.variable_contacts)} 处于联系方式的位置，计为联系方式；"
            f"运营商只认已报备的号码，建议直接写出号码。",
            f"{names.name_en}: {', '.join(analysis.variable_contacts)} stands where a contact goes and counts as "
            f"one; carriers accept only the numbers filed, so write the number itself.",
            rules.ref("template_variable_contact_counts"), carrier))  # fmt: skip
    if links or ips or contacts:
        found.append(_needs_filing(rules, carrier))


# The filing warning has the same words for every template: one per policy and carrier, made on first
# use. A policy is frozen, so it is keyed by identity (cheaper than hashing its thirty fields) and held,
# so that its id is not reused while it is here; a policy folded anew for each check only refills it.
_FILING_WARNINGS: dict[tuple[int, str], tuple[Policy, Violation]] = {}


def _needs_filing(rules: Policy, carrier: str) -> Violation:
    held = _FILING_WARNINGS.get((id(rules), carrier))
    if held is None or held[0] is not rules:
        if len(_FILING_WARNINGS) >= 64:
            _FILING_WARNINGS.clear()
        names = BY_CODE[carrier]
        held = rules, Violation(
            "TPL_NEEDS_FILING", WARNING, f"{names.short_zh}：模板含链接或联系方式，须先向运营商报备后才能发送。",
            f"{names.name_en}: the template carries links or contacts, so it must be filed before it is sent.",
            rules.ref("template_filing_required"), carrier,
        )  # fmt: skip
        _FILING_WARNINGS[(id(rules), carrier)] = held
    return held[1]


def _bad_variables(body: str, names: list[str]) -> bool:
    if not names and "${" not in body:
        return False  # the usual template: no placeholder at all
    rest = _VARIABLE.sub("", body)
    if "${" in rest:
        return True  # an unclosed ${
    for name in names:
        if not _VARIABLE_NAME.fullmatch(name):
            return True  # a name that is not one
    if "}${" in body:
        return True  # adjacent placeholders
    return bool(names) and not any(map(str.isalnum, rest))
