"""analyze_template and check_template, table-driven from DOMAIN.md's per-carrier dates."""

import datetime as dt

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from compliance.templates import analyze_template, check_template, segments_for

D = dt.date

# (text, links, ips, contact kinds)
ANALYSIS = [
    ("您的验证码为123456，5分钟内有效。", [], [], []),
    ("详询物业服务中心0755-86013388。", [], [], ["landline"]),
    ("点击 https://m.example.com/act?id=618 立即抢购", ["example.com"], [], []),
    ("请访问 example。com 领取", ["example.com"], [], []),
    ("请访问 example．com 领取", ["example.com"], [], []),
    ("请访问 example点com 领取", ["example.com"], [], []),
    ("请访问 example . com 领取", ["example.com"], [], []),
    ("请访问 example(dot)com 领取", ["example.com"], [], []),
    ("请访问 ｅｘａｍｐｌｅ．ｃｏｍ 领取", ["example.com"], [], []),
    ("请通过 http://10.0.0.1/admin 登录", [], ["10.0.0.1"], []),
    ("服务器 203.0.113.7 已恢复", [], ["203.0.113.7"], []),
    ("请访问 http://[2001:db8::1]/ 查看", [], ["2001:db8::1"], []),
    ("添加班主任微信：abc_teacher01，或QQ：12345678", [], [], ["wechat", "qq"]),
    ("您的订单20260315123456789已发货", [], [], []),
    ("您的订单金额为128.50元，下午3点30分送达", [], [], []),
    ("版本2.3.1已发布", [], [], []),
    ("快递单号 SF1234567890123 已签收", [], [], []),
    ("车牌京A12345已驶入停车场", [], [], []),
    ("客服热线95588", [], [], ["service_number"]),
    ("客服电话 400-810-8888", [], [], ["service_number"]),
    ("免费热线 800 810 8888", [], [], ["service_number"]),
    ("联系13812345678", [], [], ["mobile"]),
    ("联系 138 1234 5678 或 +86 139-1234-5678", [], [], ["mobile", "mobile"]),
    ("联系13812345678，再次13812345678", [], [], ["mobile"]),  # distinct
    ("邮件 service@example.com", [], [], ["email"]),
    ("回复TD退订，端口1069012345678", [], [], ["sms_port"]),
    ("访问 shop.taobao.com 和 www.taobao.com", ["taobao.com"], [], []),
    ("访问 a.example.com.cn", ["example.com.cn"], [], []),
    ("访问 www.gov.cn 官网", ["www.gov.cn"], [], []),  # gov.cn is a public suffix: www.gov.cn is registrable
    ("文件 report.pdf 已生成", [], [], []),
    ("扫码 https://t.cn/abc 领取", ["t.cn"], [], []),
    ("验证码95123，请勿泄露", [], [], []),
    ("金额95000元已到账", [], [], []),
    ("请致电010-12345678", [], [], ["landline"]),
    ("尊敬的${name}，您的积分${points}已到账", [], [], []),
    ("链接${url}请查收", [], [], []),
    ("QQ群 123456789 欢迎加入", [], [], ["qq"]),
    ("加vx: shop_service88 领券", [], [], ["wechat"]),
    ("打开example.com或example.org", ["example.com", "example.org"], [], []),
    ("ip 999.1.1.1 不是地址", [], [], []),
    # From the review: dates, times and numbers inside URLs are not contacts.
    ("有效期至2026-12-31 23:59", [], [], []),
    ("活动时间 2026-03-15 14:30 至 2026-03-16 18:00", [], [], []),
    ("订单 2026031512", [], [], []),
    ("https://example.com/a/13800138000", ["example.com"], [], []),
    ("example.com?from=13800138000", ["example.com"], [], []),
    ("https://example.com/p/95588", ["example.com"], [], []),
    ("https://example.com/s/qq12345678", ["example.com"], [], []),
    ("https://example.com/a.b.c.d/1.2.3.4", ["example.com"], [], []),
    ("https://evil.github.io/x", ["evil.github.io"], [], []),
    ("访问 xn--fsqu00a.xn--fiqs8s", ["xn--fsqu00a.xn--fiqs8s"], [], []),
    ("今晚8点live直播", [], [], []),
    ("请访问 example 点 com", ["example.com"], [], []),
    ("取件码 95123", [], [], []),
    ("您的积分 95588 分", [], [], []),
    ("余额95588.32", [], [], []),
    ("第96001期", [], [], []),
    ("QQ号码：12345678", [], [], ["qq"]),
    ("Q Q：12345678", [], [], ["qq"]),
    ("支付 13800138000.00 元", [], [], []),
    ("金额10612345元", [], [], []),
    ("客服：95588", [], [], ["service_number"]),
    # Phone numbers as Chinese texts write them, split from each other by spaces alone.
    ("客服 400 810 8888 13812345678", [], [], ["service_number", "mobile"]),
    ("致电 0755 8601 3388 或 138 1234 5678", [], [], ["landline", "mobile"]),
    ("热线(0755)86013388", [], [], ["landline"]),
    ("热线 +86 (0)755 8601 3388", [], [], ["landline"]),
    ("热线 0086 755 8601 3388", [], [], ["landline"]),
    ("境外客服 +852 2123 4567", [], [], ["landline"]),
    ("单号 17996163631-815076 已签收", [], [], []),  # a word is never split into a phone number
    ("日期 2026-0315-1234", [], [], []),
    ("编号 75586013388", [], [], []),  # a landline is written with its 0
    ("拨打 16170044182", [], [], []),  # 161 is no mobile range: phonenumbers' metadata decides
    # Host names written in Chinese, counted in punycode as owned domains are kept.
    ("请访问例子.中国领取", ["xn--fsqu00a.xn--fiqs8s"], [], []),
    ("访问 https://例子.中国/act?id=618 抢购", ["xn--fsqu00a.xn--fiqs8s"], [], []),
    ("登录www.例子.公司查看", ["xn--fsqu00a.xn--55qx5d"], [], []),
    ("请访问例子.com", ["xn--fsqu00a.com"], [], []),
    ("领取abc.中国", ["abc.xn--fiqs8s"], [], []),
    ("打开 例子．中国 和 例子.中國", ["xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqz9s"], [], []),
    ("谢谢。中国移动提醒您", [], [], []),  # 。 ends a sentence
    ("感谢支持.中国移动祝您愉快", [], [], []),  # a suffix running on into words needs a lead-in
    ("版本v2.0已发布，文件.pdf已生成", [], [], []),
    # From the review: sentences with an ASCII full stop before a word that is also a Chinese suffix.
    ("您的包裹已到驿站,请及时领取.中国邮政", [], [], []),
    ("请查收.手机请保持畅通", [], [], []),
    ("详情请咨询客服.公司将竭诚为您服务", [], [], []),
    ("订单已发货,请注意查收.购物愉快", [], [], []),
    ("下载APP.手机用户专享", [], [], []),
    ("欢迎光临京东.com购物", ["xn--xhq0buui0gj72cn89b.com"], [], []),  # a Latin suffix may run on: one link
    ("我们的网址是例子.中国", ["xn--fsqu00a.xn--fiqs8s"], [], []),
    ("访问例子1.中国", ["xn--1-kb7ap09a.xn--fiqs8s"], [], []),
    # Grouped numbers that are no phone numbers, and phone numbers written to slip past filters.
    ("订单号 2026 0315 1234 5678", [], [], []),
    ("尾号 6222 0212 3456 789 的卡", [], [], []),
    ("卡号 8627 2448 7262 8703 已绑定", [], [], []),
    ("证件 740707 620088 951137 已核验", [], [], []),
    ("电话 8613812345678", [], [], ["mobile"]),
    ("电话（86）13812345678", [], [], ["mobile"]),
    ("电话 1 3 8 1 2 3 4 5 6 7 8", [], [], ["mobile"]),
    ("电话 4 0 0 8 1 0 8 8 8 8", [], [], ["service_number"]),
    ("热线 0755 86013388 8001", [], [], ["landline"]),  # an extension after it
]


@pytest.mark.parametrize(("text", "links", "ips", "kinds"), ANALYSIS)
def test_analyze_template(text, links, ips, kinds):
    analysis = analyze_template(text)
    assert analysis.links == links
    assert analysis.ips == ips
    assert [kind for kind, _ in analysis.contacts] == kinds


def test_variables_length_and_segments():
    analysis = analyze_template("尊敬的${name}，您好", signature="示例科技")
    assert analysis.variables == ["name"]
    assert analysis.length == len("【示例科技】") + len("尊敬的${name}，您好")
    assert (segments_for(70), segments_for(71), segments_for(134), segments_for(135)) == (1, 2, 2, 3)


def test_spans_point_at_the_disguised_text_as_written():
    text = "好消息……请访问 example 点 com 或 ｅｘａｍｐｌｅ．ｏｒｇ"
    marked = [text[start:end] for start, end, _kind in analyze_template(text).spans]
    assert marked == ["example 点 com", "ｅｘａｍｐｌｅ．ｏｒｇ"]


def test_spans_point_at_what_was_found():
    text = "点击 https://m.example.com/a 或致电13812345678"
    kinds = {text[start:end]: kind for start, end, kind in analyze_template(text).spans}
    assert kinds["m.example.com/a"] == "link"  # the path is part of the link
    assert kinds["13812345678"] == "mobile"


TWO_LINKS = "活动：a.example.com 与 other.cn 同时开抢，拒收请回复R"
THREE_CONTACTS = "咨询13812345678、010-12345678或service@example.com，拒收请回复R"
TWO_IPS = "访问 203.0.113.7 或 203.0.113.8，拒收请回复R"
ONE_LINK = "详情见 example.com ，拒收请回复R"
# Each carrier's first day of template rules (DOMAIN.md): the day before, nothing applies.
STARTS = {"telecom": D(2025, 5, 30), "unicom": D(2025, 7, 1), "mobile": D(2025, 7, 10)}


def codes(text, kind="marketing", **kw):
    return sorted({(v.code, v.carrier) for v in check_template(text, kind=kind, **kw)})


# What Telecom adds on top of the shared limits: owned links/IPs, the IP limit, the signature whitelist.
# (A template over its own limits is not also told it fills the signature's whitelist.)
TELECOM_TWO_LINKS = {"telecom": {"TPL_LINK_NOT_OWNED"}, "unicom": set(), "mobile": set()}
TELECOM_WHITELIST = {"telecom": set(), "unicom": set(), "mobile": set()}
# Unicom and Mobile have no IP limit of their own: an IP counts as a link there.
TELECOM_TWO_IPS = {
    "telecom": {"TPL_TOO_MANY_IPS", "TPL_IP_NOT_OWNED"},
    "unicom": {"TPL_TOO_MANY_LINKS"},
    "mobile": {"TPL_TOO_MANY_LINKS"},
}
CARRIER_CASES = []
for carrier, start in STARTS.items():
    before = start - dt.timedelta(days=1)
    CARRIER_CASES += [
        (TWO_LINKS, carrier, before, set()),
        (TWO_LINKS, carrier, start, {"TPL_TOO_MANY_LINKS", "TPL_NEEDS_FILING"} | TELECOM_TWO_LINKS[carrier]),
        (THREE_CONTACTS, carrier, before, set()),
        (THREE_CONTACTS, carrier, start, {"TPL_TOO_MANY_CONTACTS", "TPL_NEEDS_FILING"} | TELECOM_WHITELIST[carrier]),
        (ONE_LINK, carrier, before, set()),
        (ONE_LINK, carrier, start, {"TPL_NEEDS_FILING"} | ({"TPL_LINK_NOT_OWNED"} if carrier == "telecom" else set())),
        (TWO_IPS, carrier, before, set()),
        (TWO_IPS, carrier, start, {"TPL_NEEDS_FILING"} | TELECOM_TWO_IPS[carrier]),
        ("您的快递已到驿站，拒收请回复R", carrier, start, set()),
    ]  # fmt: skip


@pytest.mark.parametrize(("text", "carrier", "as_of", "expected"), CARRIER_CASES)
def test_each_carrier_from_its_own_date(text, carrier, as_of, expected):
    assert {code for code, _ in codes(text, carrier=carrier, as_of=as_of)} == expected


def test_owned_links_and_ips_pass_telecom():
    found = codes(ONE_LINK, carrier="telecom", as_of=D(2026, 1, 1), owned_domains=["www.example.com"])
    assert found == [("TPL_NEEDS_FILING", "telecom")]
    found = codes("访问 203.0.113.7，拒收请回复R", carrier="telecom", as_of=D(2026, 1, 1), owned_ips=["203.0.113.7"])
    assert found == [("TPL_NEEDS_FILING", "telecom")]


def test_the_signature_whitelist_counts_the_other_templates_too():
    args = {"carrier": "telecom", "as_of": D(2026, 1, 1), "owned_domains": ["example.com", "other.cn"]}
    assert ("TPL_SIGNATURE_WHITELIST_FULL", "telecom") not in codes(ONE_LINK, **args)
    assert ("TPL_SIGNATURE_WHITELIST_FULL", "telecom") in codes(ONE_LINK, signature_domains=["other.cn"], **args)
    contacts = [("mobile", "13812345678"), ("landline", "01012345678")]
    text = "致电13912345678，拒收请回复R"
    assert ("TPL_SIGNATURE_WHITELIST_FULL", "telecom") in codes(text, signature_contacts=contacts, **args)
    # A contact already whitelisted does not count twice.
    text = "致电13812345678，拒收请回复R"
    assert ("TPL_SIGNATURE_WHITELIST_FULL", "telecom") not in codes(text, signature_contacts=contacts, **args)


def test_carrier_none_means_every_carrier_in_force():
    assert {c for _, c in codes(TWO_LINKS, as_of=D(2025, 6, 15))} == {"telecom"}
    assert {c for _, c in codes(TWO_LINKS, as_of=D(2025, 7, 5))} == {"telecom", "unicom"}
    assert {c for _, c in codes(TWO_LINKS, as_of=D(2025, 7, 10))} == {"telecom", "unicom", "mobile"}


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("您的验证码为${code}，5分钟内有效。", "verification", []),
        ("您的验证码为${code}，${minutes}分钟内有效。", "verification", ["TPL_VERIFICATION_FORMAT"]),
        ("您的动态码为${code}", "verification", []),
        ("您的口令为${code}", "verification", ["TPL_VERIFICATION_FORMAT"]),
        ("您的验证码为${code}，详见example.com", "verification", ["TPL_VERIFICATION_FORMAT"]),
        ("您的验证码为123456", "verification", ["TPL_VERIFICATION_FORMAT"]),
        ("新品上市，全场八折", "marketing", ["TPL_MARKETING_OPT_OUT"]),
        ("新品上市，全场八折，回T退订", "marketing", []),
        ("新品上市，全场八折，拒收请回复R", "marketing", []),
        ("新品上市，全场八折，退订回T", "marketing", []),
        ("新品上市，全场八折，回Ｔ退订", "marketing", []),
        ("新品上市，全场八折，回TD退订", "marketing", []),
        ("新品上市，全场八折，回复TD退订", "marketing", []),
        ("新品上市，全场八折，退订回N", "marketing", []),
        ("您的包裹已发出", "notification", []),
        ("", "notification", ["TPL_LENGTH"]),
        ("   ", "notification", ["TPL_LENGTH"]),
        ("字" * 500, "notification", []),
        ("字" * 501, "notification", ["TPL_LENGTH"]),
        ("【示例】您的包裹已发出", "notification", ["TPL_FORBIDDEN_CHARS"]),
        ("您的包裹\u200b已发出", "notification", ["TPL_FORBIDDEN_CHARS"]),
        ("您的包裹\x07已发出", "notification", ["TPL_FORBIDDEN_CHARS"]),
        ("第一行\n第二行", "notification", []),
        ("尊敬的${name}${title}您好", "notification", ["TPL_BAD_VARIABLE"]),
        ("尊敬的${name", "notification", ["TPL_BAD_VARIABLE"]),
        ("尊敬的${}您好", "notification", ["TPL_BAD_VARIABLE"]),
        ("尊敬的${1name}您好", "notification", ["TPL_BAD_VARIABLE"]),
        ("${name}，${title}", "notification", ["TPL_BAD_VARIABLE"]),
        ("尊敬的${name}，您好", "notification", []),
    ],
)
def test_rules_at_any_date(text, kind, expected):
    found = [code for code, _ in codes(text, kind=kind, as_of=D(2024, 1, 1))]
    assert found == expected


def test_rule_refs_name_the_carriers_notice():
    telecom = [v for v in check_template(TWO_LINKS, kind="marketing", carrier="telecom", as_of=D(2026, 1, 1))
               if v.code == "TPL_TOO_MANY_LINKS"]  # fmt: skip
    unicom = [v for v in check_template(TWO_LINKS, kind="marketing", carrier="unicom", as_of=D(2026, 1, 1))
              if v.code == "TPL_TOO_MANY_LINKS"]  # fmt: skip
    assert telecom[0].rule_ref == "2025-05-30 · 2025.6.3"
    assert unicom[0].rule_ref == "2025-07-01 · 2025.7.2"
    assert "电信" in telecom[0].message and "China Telecom" in telecom[0].message_en


@pytest.mark.timeout(10)  # a hang detector, not a speed test: benchmarks/ measures the time
@pytest.mark.parametrize(
    "text",
    ["." * 10_000, "1" * 5_000, "【" * 2_000 + "】" * 2_000, "a." * 5_000, "${" * 3_000, "-" * 10_000 + "a.com",
     "1." * 5_000, ":" * 8_000, "a-" * 5_000 + ".com", "微信" * 2_000, "QQ" * 3_000 + "1" * 11,
     "例." * 5_000, "访问" * 4_000 + "a.中国", "例子.中国领取" * 1_000, "1 " * 5_000, "0-" * 5_000, "+1 " * 3_000,
     # Backtracking grows with the input: at 10,000 characters a polynomial pattern takes minutes, not ms.
     "QQ" + " " * 9_997 + "x", "扣扣" + "\t" * 9_997 + "x", "微信" + " " * 9_997 + "x", "加q" + "\u3000" * 9_997 + "x",
     "001 " * 2_500, " ".join("00" + str(i % 100).zfill(2) for i in range(2_000)), "86 " * 3_000,
     # Short hotlines, menu choices and codes: each looks a few characters around a number, no further.
     "【" + "12345 " * 1_600, "95511-1" * 1_400, "95511转" * 1_600, "958314验证码" * 1_000, "10086" * 2_000,
     "客服电话：${a}" * 1_000, "致电 ${" * 2_000],
)  # fmt: skip
def test_pathological_inputs_finish(text):
    analysis = analyze_template(text)
    assert analysis.length == len(text)
    assert isinstance(check_template(text, kind="marketing", as_of=D(2026, 1, 1)), list)


def test_an_ip_counts_as_a_link_where_the_carrier_has_no_ip_limit():
    text = "点击 https://a.example.com 或 http://203.0.113.7/x ，拒收请回复R"
    assert ("TPL_TOO_MANY_LINKS", "unicom") in codes(text, carrier="unicom", as_of=D(2026, 1, 1))
    assert ("TPL_TOO_MANY_LINKS", "telecom") not in codes(text, carrier="telecom", as_of=D(2026, 1, 1))


def test_the_functions_are_exported_from_compliance():
    from compliance import analyze_template as exported_analyze
    from compliance import check_template as exported_check

    assert exported_analyze is analyze_template and exported_check is check_template


# Phone numbers: compliance.templates splits them out of the text by hand (phonenumbers' matcher is
# too slow) and judges them by phonenumbers' metadata. The matcher itself is the oracle here.
_AREAS = ["10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "351", "431", "512", "571", "591",
          "755", "760", "769", "898"]  # fmt: skip
_FORMATS = [phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.E164]  # fmt: skip


@st.composite
def chinese_numbers(draw):
    """A valid Chinese number (mobile, landline, 400/800), as phonenumbers formats it or with other separators."""
    shape = draw(st.sampled_from(["mobile", "landline", "service"]))
    if shape == "mobile":
        national = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    elif shape == "landline":
        national = "0" + draw(st.sampled_from(_AREAS)) + draw(st.sampled_from("23456789"))
        national += draw(st.text("0123456789", min_size=6, max_size=7))
    else:
        national = draw(st.sampled_from(["400", "800"])) + draw(st.text("0123456789", min_size=7, max_size=7))
    try:
        number = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:  # 17951 00…: a carrier's international prefix
        assume(False)
    assume(phonenumbers.is_valid_number(number))
    written = phonenumbers.format_number(number, draw(st.sampled_from(_FORMATS)))
    return written.replace(" ", draw(st.sampled_from([" ", "-", ""])))


def matcher_contacts(text):
    """What phonenumbers' own matcher finds, classified as analyze_template classifies."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "CN", leniency=phonenumbers.Leniency.VALID):
        digits = phonenumbers.national_significant_number(match.number)
        kind = phonenumbers.number_type(match.number)
        if kind in (phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.SHARED_COST):
            found.append(("service_number", digits))
        elif kind == phonenumbers.PhoneNumberType.MOBILE:
            found.append(("mobile", digits))
        elif match.number.country_code != 86:
            found.append(("landline", phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)))
        elif match.raw_string[:1] in ("0", "+"):
            found.append(("landline", "0" + digits))
    return list(dict.fromkeys(found))


def phone_contacts(text):
    return [c for c in analyze_template(text).contacts if c[0] in ("mobile", "landline", "service_number")]


@settings(max_examples=400, deadline=None)
@given(first=chinese_numbers(), second=chinese_numbers(), between=st.sampled_from(["，", "或", "、", " / ", "；"]))
def test_numbers_as_the_matcher_finds_them(first, second, between):
    text = f"请致电{first}{between}{second}咨询"
    assert phone_contacts(text) == matcher_contacts(text)


@settings(max_examples=200, deadline=None)
@given(first=chinese_numbers(), second=chinese_numbers())
def test_numbers_side_by_side_are_both_found_where_the_matcher_finds_neither_or_one(first, second):
    # The matcher reads "400 810 8888 138 1234 5678" as one candidate and finds nothing; we find both.
    text = f"请致电 {first} {second} 咨询"
    assert set(matcher_contacts(text)) <= set(phone_contacts(text))
    assert len(phone_contacts(text)) == len(set(phone_contacts(f"{first}，{second}")))


@settings(max_examples=400, deadline=None)
@given(st.text("0123456789 -+()", min_size=7, max_size=30))
def test_every_number_found_is_one_phonenumbers_calls_valid(stretch):
    for kind, digits in phone_contacts(f"电话{stretch}。"):
        if kind == "service_number" and len(digits) <= 6 and digits[:2] in ("95", "96", "10", "12"):
            continue  # 95588, 10086, 12315: China's short service numbers, unknown to phonenumbers, found by hand
        number = phonenumbers.parse(digits, "CN")  # +852… keeps its country code
        assert phonenumbers.is_valid_number(number), (stretch, kind, digits)


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text("0123456789", min_size=15, max_size=18),
    first=st.sampled_from("123456789"),
    group=st.sampled_from([4, 6]),
    separator=st.sampled_from([" ", "-"]),
)
def test_grouped_card_order_and_id_numbers_hold_no_phone_number(digits, first, group, separator):
    number = first + digits
    written = separator.join(number[i : i + group] for i in range(0, len(number), group))
    assert analyze_template(f"卡号 {written} 已绑定").contacts == []
