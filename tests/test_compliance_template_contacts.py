"""What real SMS texts taught the analysis (issue 9, section 3), in our own examples: short public
hotlines are contacts, a 95xxx line keeps its menu choice, and a 6-digit code starting with 95 is
a code wherever the text says so. Nothing that merely looks like them (years, amounts, dates,
times, card tails, order numbers, names of sites) becomes a hotline."""

import datetime as dt
from dataclasses import replace

import pytest

from compliance.policies import PARAMETERS, policy_as_of
from compliance.templates import PLATFORM_RULE, analyze_template, check_template

D = dt.date

# (text, the contacts as written in it)
HOTLINES = [
    # 100xx: the carriers' own service lines
    ("话费余额不足，充值或查询请拨打10086。", ["10086"]),
    ("宽带装机进度可致电10000查询", ["10000"]),
    ("如有疑问请联系联通客服10010", ["10010"]),
    # 12xxx: public service lines
    ("商品质量问题可拨打12315投诉", ["12315"]),
    ("有事找政府，市民热线 12345", ["12345"]),
    ("前方拥堵，路况请拨12122咨询", ["12122"]),
    # 95xxx / 96xxx with a menu choice: one line, written as the customer wrote it
    ("信用卡分期请致电95533-2", ["95533-2"]),
    ("人工服务请拨95555-1-3，谢谢", ["95555-1-3"]),
    ("挂失请拨95568转2", ["95568转2"]),
    ("燃气报修 96777 转 1", ["96777 转 1"]),
    ("详询95588，或回复TD退订", ["95588"]),
]

NOT_HOTLINES = [
    "2025年共有10000人参与本次活动",
    "满12000元减500，拒收请回复R",
    "本月积分12500分已到账",
    "您尾号12345的银行卡消费88.00元",
    "会员号12315已激活",
    "您的余额为10086.50元",
    "活动时间12:30-13:30，地点12号楼",
    "版本V12345已发布",
    "您的兑换码是12345X，请妥善保管",
    "请访问12306购票，谢谢",
    "12306用户您好，您的车票已出票",
    "【某市12329】您的公积金已缴存",
    "共计10050步，超过了90%的好友",
    "订单 2025 12345 678 已发货",
    # 6-digit codes that start with 95 or 96, where the text says so
    "【示例商城】958314（登录验证码，5分钟内有效）",
    "【示例商城】 962751，请勿泄露",
    "958314为您的校验码，请勿告诉他人",
    "您好，951207是您的动态码",
    "请凭 963402（取件码）到驿站取件",
    "962751号订单已发货",
    "金额95000-96000元",
]


@pytest.mark.parametrize(("text", "written"), HOTLINES)
def test_it_counts_short_public_hotlines_and_menu_choices(text, written):
    analysis = analyze_template(text)
    assert [kind for kind, _ in analysis.contacts] == ["service_number"] * len(written)
    assert [text[start:end] for start, end, _ in analysis.spans] == written


@pytest.mark.parametrize("text", NOT_HOTLINES)
def test_it_does_not_take_codes_amounts_dates_or_names_for_hotlines(text):
    assert analyze_template(text).contacts == []


def test_a_menu_choice_is_the_same_line():
    analysis = analyze_template("信用卡请拨95533-2，借记卡请拨95533-1")
    assert analysis.contacts == [("service_number", "95533")]


def test_a_service_line_beside_a_code_word_is_still_one():
    # Only a 6-digit number is taken for a code by the words around it: 95588 stays a line.
    assert analyze_template("客服95588。验证码请勿泄露").contacts == [("service_number", "95588")]


def test_the_head_of_a_grouped_card_number_is_no_phone_line():
    # 1010 0000 is a shared-cost number by phonenumbers' metadata, but here it opens a card number.
    assert analyze_template("卡号 1010 0000 0000 0000 已绑定").contacts == []
    assert analyze_template("热线 0755 86013388 8001").contacts == [("landline", "075586013388")]  # an extension


# Telecom's whitelist message names the contacts as the customer wrote them, compared normalised.
def test_contacts_keep_the_form_the_customer_wrote():
    analysis = analyze_template("致电0591-87654321或 0591 8765 4321，QQ：12345678")
    assert analysis.contacts == [("landline", "059187654321"), ("qq", "12345678")]
    assert analysis.contacts_written == ["0591-87654321", "12345678"]


def test_the_telecom_whitelist_message_shows_contacts_as_written():
    found = check_template(
        "服务热线0591-87654321，拒收请回复R", kind="marketing", carrier="telecom", as_of=D(2026, 1, 1),
        signature_contacts=[("mobile", "13812345678", "138 1234 5678"), ("service_number", "4008108888")],
    )  # fmt: skip
    full = [v for v in found if v.code == "TPL_SIGNATURE_WHITELIST_FULL"]
    assert len(full) == 1
    assert "0591-87654321" in full[0].message and "138 1234 5678" in full[0].message
    assert "0591-87654321" in full[0].message_en and "059187654321" not in full[0].message_en
    assert "4008108888" in full[0].message  # written as the other template has it, when it is not given


# Billed length: each variable at its declared maximum, or the platform's default; an estimate.
def test_the_billed_length_counts_each_variable_at_what_it_may_hold():
    policy = policy_as_of(D(2026, 1, 1))
    text = "您的验证码为${code:6}，${name}您好"
    analysis = analyze_template(text, signature="示例科技")
    assert analysis.length == len("【示例科技】") + len(text)  # as written, unchanged
    expected = len("【示例科技】") + len("您的验证码为，您好") + 6 + policy.template_variable_length
    assert analysis.billed_length == expected
    assert analyze_template(text, variable_length=3).billed_length == len("您的验证码为，您好") + 6 + 3
    assert analysis.variables == ["code:6", "name"]


def test_a_declared_maximum_is_a_valid_variable_and_a_long_default_adds_a_message():
    text = "尊敬的${a}、${b}、${c}、${d}，您好"  # 13 characters around four variables
    analysis = analyze_template(text, variable_length=20)
    assert (analysis.billed_length, analysis.billed_segments) == (len(text) - 16 + 80, 2)
    assert analyze_template(text).segments == 1
    good = check_template("您的验证码为${code:6}，5分钟内有效。", kind="verification", as_of=D(2026, 1, 1))
    assert not [v for v in good if v.code == "TPL_BAD_VARIABLE"]
    bad = check_template("您的验证码为${code:0}，5分钟内有效。", kind="verification", as_of=D(2026, 1, 1))
    assert [v for v in bad if v.code == "TPL_BAD_VARIABLE"]


# The two questions a carrier reviewer asks (docs/templates.md).
SLOTS = [
    ("如有疑问请联系客服，客服电话：${phone}。", ["${phone}"]),
    ("您的验证码为${code}，如非本人操作请联系官方客服${service}。", ["${service}"]),
    ("请致电${tel}预约", ["${tel}"]),
    ("您的手机号${mobile}已绑定成功", []),  # the recipient's own number
    ("您绑定的邮箱${email}已验证", []),  # the recipient's own e-mail
    ("尊敬的${name}，您的订单${order}已发货", []),
    ("联系人${name}将与您联系", []),
]


@pytest.mark.parametrize(("text", "slots"), SLOTS)
def test_a_variable_where_a_contact_goes_is_found(text, slots):
    assert analyze_template(text).variable_contacts == slots


def test_a_variable_where_a_contact_goes_counts_as_a_contact_by_policy():
    text = "咨询13812345678或0591-87654321，客服电话：${phone}，拒收请回复R"
    found = {(v.code, v.carrier) for v in check_template(text, kind="marketing", as_of=D(2026, 1, 1))}
    assert ("TPL_TOO_MANY_CONTACTS", "telecom") in found and ("TPL_VARIABLE_CONTACT", "telecom") in found
    lenient = replace(policy_as_of(D(2026, 1, 1), "telecom"), template_variable_contact_counts=False)
    found = {v.code for v in check_template(text, kind="marketing", carrier="telecom", policy=lenient)}
    assert "TPL_TOO_MANY_CONTACTS" not in found and "TPL_VARIABLE_CONTACT" not in found


def test_the_recipients_own_number_is_a_variable_and_counts_for_nothing():
    text = "您的账号${mobile}已于今日登录，如非本人操作请致电0591-87654321。"
    found = [v for v in check_template(text, kind="notification", carrier="telecom", as_of=D(2026, 1, 1))]
    assert {v.code for v in found} == {"TPL_NEEDS_FILING"}


def test_the_new_parameters_are_policy_parameters():
    assert {"template_variable_length", "template_variable_contact_counts"} <= PARAMETERS
    assert policy_as_of(D(2026, 1, 1)).ref("template_variable_length") == PLATFORM_RULE
