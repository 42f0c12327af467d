"""The template engine's shortcuts (issue 12) change nothing: each gives what the plain way gives.

Each fast path is compared with the plain code it replaced, kept here as the reference: NFKC by
hand, the cheap tests run before the slow patterns, the candidates of phone numbers, the combined
phonenumbers patterns, the Analysis filled in directly, and the filing warning made once per policy.
"""

import dataclasses
import datetime as dt
import re
import unicodedata
from types import MappingProxyType

from hypothesis import example, given, settings
from hypothesis import strategies as st

from compliance import templates
from compliance.policies import policy_as_of
from compliance.templates import Analysis, analyze_template, check_template, normalize_disguises

# What the patterns read, disguises included; ı İ ſ K match letters where case is ignored.
PIECES = list("aZx09 \t.。．点點()[]:：，！（）；＠１Ａ\u3000") + [
    "dot", "DOT", "ı", "İ", "ſ", "K", "e\u0301", "Ａ\u0301", "……", "ﬁ", "²", "①", "中", "例", "微信", "wx", "Vx", "we",
    "v信", "威信", "QQ", "95588", "0755-", "86013388", "400", "+86 ", "138 1234 5678", "(0755)", "shop.example.com",
    "例子.中国", "1.2.3.4", "3.5折", "http://", "${a}", "客服电话：", "xn--fiqs8s",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


def old_normalize_disguises(text):
    """normalize_disguises as it was: NFKC, then each pattern where its gate and itself match."""
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) == len(text):
        origin = list(range(len(text)))
    else:
        pieces, origin = [], []
        for index, ch in enumerate(text):
            piece = unicodedata.normalize("NFKC", ch)
            pieces.append(piece)
            origin.extend([index] * len(piece))
        folded = "".join(pieces)
    for gate, pattern in (
        (templates._DOT_WORDS_GATE, templates._DOT_WORDS),
        (templates._SPACED_DOT_GATE, templates._SPACED_DOT),
    ):
        if gate.search(folded) and pattern.search(folded):
            folded, origin = templates._substitute(pattern, folded, origin)
    return folded, origin


@settings(max_examples=600, deadline=None)
@given(st.one_of(texts, st.text()))
@example("ı。a1。")  # a dot word after a letter only the case-blind pattern reads, beside one the old gate reads
@example("1。ı")  # ... and before one
@example("x 点 İ")
@example("您预约的服务将于明天开始。电话0755-86013388。如需改约")
def test_nfkc_by_hand_and_the_dot_gates_give_what_nfkc_and_the_patterns_give(text):
    assert templates._nfkc(text) == unicodedata.normalize("NFKC", text)
    assert normalize_disguises(text) == old_normalize_disguises(text)


@settings(max_examples=600, deadline=None)
@given(st.one_of(texts, st.text()))
def test_each_cheap_test_passes_wherever_its_pattern_finds_something(text):
    folded = unicodedata.normalize("NFKC", text)
    pairs = [
        (templates._WECHAT_GATE, templates._WECHAT),
        (templates._HOST_GATE, templates._HOST),
        (templates._IPV4_GATE, templates._IPV4),
        (templates._PHONE_GATE, templates._PHONE_CANDIDATE),
        (templates._DOT_WORDS_END, templates._DOT_WORDS),
    ]
    for gate, pattern in pairs:
        if pattern.search(folded):
            assert gate.search(folded), (gate.pattern, folded)
    old_cjk_dot = re.compile(rf"[{templates._CJK}]\.|\.[{templates._CJK}]")
    assert bool(templates._CJK_DOT.search(folded)) == bool(old_cjk_dot.search(folded))
    if templates._SPACED_DOT.search(folded):
        assert " ." in folded or ". " in folded or "\t." in folded or ".\t" in folded


@settings(max_examples=400, deadline=None)
@given(st.text("0123456789 +()-a中.", max_size=40))
@example("+(86) 138 1234 5678 及 (0755)8601-3388")
def test_the_phone_candidates_are_the_patterns_own(text):
    found = [match.span() for match in templates._phone_candidates(text)]
    assert found == [match.span() for match in templates._PHONE_CANDIDATE.finditer(text)]


def _plain(desc):
    return re.compile(desc.national_number_pattern) if desc is not None and desc.national_number_pattern else None


CN = templates._CN
CN_SERVICE = [p for p in (_plain(CN.toll_free), _plain(CN.shared_cost)) if p]


def old_cn_kind(nsn, prefixed):
    if len(nsn) not in templates._CN_LENGTHS or not _plain(CN.general_desc).fullmatch(nsn):
        return None
    if any(p.fullmatch(nsn) for p in CN_SERVICE):
        return "service_number"
    if _plain(CN.mobile).fullmatch(nsn):
        return "mobile"
    premium = _plain(CN.premium_rate)
    if _plain(CN.fixed_line).fullmatch(nsn) or (premium and premium.fullmatch(nsn)):
        return "landline" if prefixed else None
    return None


def old_prefix_required(nsn):
    for f in CN.number_format:
        leading = re.compile(f.leading_digits_pattern[-1]) if f.leading_digits_pattern else None
        if (leading is None or leading.match(nsn)) and re.compile(f.pattern).fullmatch(nsn):
            rule = f.national_prefix_formatting_rule
            return bool(rule) and "0" in rule and not f.national_prefix_optional_when_formatting
    return False


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A(?:1[0-9]|[2-9]|[2-9]\d|400|800|95|96|10[0-9])[0-9]{1,11}\Z"),
        st.from_regex(r"\A(?:10|2[0-9])(?:1(?:00|23)|9[56])[0-9]{0,6}\Z"),  # where formats overlap
    ),
    st.booleans(),
)
@example("4008108888", False)
@example("13812345678", False)
@example("57196345", False)
@example("75586013388", True)
@example("1010123", False)
@example("21123123", False)  # fits two formats, the first of which wants the 0
@example("20100123", False)
@example("10123123", False)
def test_one_pattern_for_phonenumbers_types_and_formats_decides_as_the_loop_over_them(nsn, prefixed):
    assert templates._cn_kind(nsn, prefixed) == old_cn_kind(nsn, prefixed)
    assert templates._prefix_required(nsn) == old_prefix_required(nsn)


def test_every_phonenumbers_format_and_type_example_is_decided_as_the_loop_decides_it():
    examples = [d.example_number for d in (CN.mobile, CN.fixed_line, CN.toll_free, CN.shared_cost, CN.premium_rate)
                if d is not None and d.example_number]  # fmt: skip
    assert examples
    for nsn in examples:
        for prefixed in (True, False):
            assert templates._cn_kind(nsn, prefixed) == old_cn_kind(nsn, prefixed)
        assert templates._prefix_required(nsn) == old_prefix_required(nsn)


def test_an_analysis_filled_in_directly_is_the_dataclass_itself():
    analysis = analyze_template("客服电话：${phone}，详见 m.example.com 或致电 0591-87654321", "示例")
    assert not hasattr(Analysis, "__post_init__")  # the direct fill would skip it
    assert set(vars(analysis)) == {field.name for field in dataclasses.fields(Analysis)}
    assert Analysis(**vars(analysis)) == analysis
    assert dataclasses.replace(analysis) == analysis
    assert analysis.links == ["example.com"] and analysis.variable_contacts == ["${phone}"]


def test_the_filing_warning_follows_its_own_policy_even_between_equal_ones():
    telecom = policy_as_of(dt.date(2026, 11, 26), "telecom")
    # Equal as values (sources are not compared) but citing another notice: no cache may mix them up.
    cited = dataclasses.replace(telecom, sources=MappingProxyType({"template_filing_required": "2099-01-01 · 2098.1"}))
    assert cited == telecom
    text = "详询客服4008108888"
    for policy, ref in ((telecom, telecom.ref("template_filing_required")), (cited, "2099-01-01 · 2098.1")):
        for _ in range(2):
            (warning,) = [v for v in check_template(text, kind="notification", carrier="telecom", policy=policy)
                          if v.code == "TPL_NEEDS_FILING"]  # fmt: skip
            assert warning.rule_ref == ref and warning.carrier == "telecom"
            assert warning.message.startswith("电信：") and "filed before it is sent" in warning.message_en
