"""What real SMS texts taught the analysis (issue 9, section 3), in our own examples: short public
hotlines are contacts, a 95xxx line keeps its menu choice, and a 6-digit code starting with 95 is
a code wherever the text says so. Nothing that merely looks like them (years, amounts, dates,
times, card tails, order numbers, names of sites) becomes a hotline."""

import pytest

from compliance.templates import analyze_template

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
