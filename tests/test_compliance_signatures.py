"""check_signature, table-driven from DOMAIN.md's dated rules: each code on both sides of its date."""

import datetime as dt

import pytest

from compliance import BUILTIN_CHANGES, check_signature, policy_as_of
from compliance import transitions as t
from compliance.abbreviations import abbreviation_candidates, propose_abbreviations, proposes_abbreviations
from compliance.policies import PLATFORM_RULE, change, describe_ref
from compliance.signatures import offered_sources, signature_notices, signature_refs, source_refusal
from compliance.workdays import add_working_days, is_exact, is_working_day

BAIDU = "北京百度网讯科技有限公司"
D = dt.date


TODAY = D(2026, 11, 26)


def codes(text, source="abbreviation", as_of=TODAY, **kw):
    return [(v.code, v.severity) for v in check_signature(text, source=source, entity_name=BAIDU, as_of=as_of, **kw)]


E = "error"


@pytest.mark.parametrize(
    ("text", "source", "as_of", "kw", "expected"),
    [
        # The examples.
        ("百度", "abbreviation", D(2026, 11, 26), {}, []),
        ("度百", "abbreviation", D(2026, 11, 26), {}, [("SIG_ABBREVIATION_ORDER", E)]),
        ("百度科技", "abbreviation", D(2026, 11, 26), {}, [("SIG_ABBREVIATION_NOT_CONTIGUOUS", "warning")]),
        ("Baidu", "abbreviation", D(2026, 11, 26), {}, [("SIG_HAS_LATIN", E)]),
        ("某某App", "app_name", D(2026, 5, 1), {}, [("SIG_HAS_LATIN", E), ("SIG_SOURCE_NOT_ACCEPTED", E)]),
        # SIG_LENGTH: 2-12 at any date.
        ("百", "abbreviation", D(2025, 1, 1), {}, [("SIG_LENGTH", E)]),
        ("北京百度网讯科技有限公司百度", "trademark", D(2025, 1, 1), {}, [("SIG_LENGTH", E)]),
        ("", "abbreviation", D(2026, 1, 1), {}, [("SIG_LENGTH", E)]),
        # SIG_HAS_DIGIT from 2025-06-03, half- and full-width.
        ("百度1", "trademark", D(2025, 6, 2), {}, []),
        ("百度1", "trademark", D(2025, 6, 3), {}, [("SIG_HAS_DIGIT", E)]),
        ("百度１", "trademark", D(2025, 6, 3), {}, [("SIG_HAS_DIGIT", E)]),
        # SIG_HAS_LATIN: mixed from 2025-06-03; all-Latin at any date; full-width too.
        ("百度AI", "trademark", D(2025, 6, 2), {}, []),
        ("百度AI", "trademark", D(2025, 6, 3), {}, [("SIG_HAS_LATIN", E)]),
        ("百度ＡＩ", "trademark", D(2025, 6, 3), {}, [("SIG_HAS_LATIN", E)]),
        ("Baidu", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_LATIN", E)]),
        # SIG_HAS_SYMBOL at any date: brackets, spaces, zero-width, RTL marks, emoji, Cyrillic look-alikes.
        ("【百度】", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百 度", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百\u200b度", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百度\u202e", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百度😀", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百度\x07", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),
        ("百度а", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_SYMBOL", E)]),  # Cyrillic а
        # SIG_NEUTRAL from 2025-03-27.
        ("验证码", "trademark", D(2025, 3, 26), {}, []),
        ("验证码", "trademark", D(2025, 3, 27), {}, [("SIG_NEUTRAL", E)]),
        ("温馨提示", "trademark", D(2026, 1, 1), {}, [("SIG_NEUTRAL", E)]),
        ("客服中心通知", "trademark", D(2026, 1, 1), {}, [("SIG_NEUTRAL", E)]),
        # SIG_NOT_FULL_NAME at any date.
        (BAIDU, "full_name", D(2026, 1, 1), {}, []),  # 12 characters: the limit, allowed
        ("北京百度网讯科技有限公司甲", "full_name", D(2026, 1, 1), {}, [("SIG_LENGTH", E)]),
        ("北京百度网讯科技", "full_name", D(2024, 1, 1), {}, [("SIG_NOT_FULL_NAME", E)]),
        # SIG_ABBREVIATION_ORDER / NOT_CONTIGUOUS from 2025-03-31.
        ("度百", "abbreviation", D(2025, 3, 30), {}, []),
        ("度百", "abbreviation", D(2025, 3, 31), {}, [("SIG_ABBREVIATION_ORDER", E)]),
        ("百度科技", "abbreviation", D(2025, 3, 30), {}, []),
        # SIG_TAKEN from 2025-06-03 (2025.6.3; the 2025.3.31 notice says nothing about collisions).
        ("百度", "abbreviation", D(2025, 6, 2), {"taken_by_others": ["百度"]}, []),
        ("百度", "abbreviation", D(2025, 6, 3), {"taken_by_others": ["百度"]}, [("SIG_TAKEN", E)]),
        # Look-alikes are folded (NFKC) before any comparison: a compatibility ideograph, full-width text.
        ("百\ufa01", "trademark", D(2026, 1, 1), {"taken_by_others": ["百度"]}, [("SIG_TAKEN", E)]),
        ("安\ufa72中心", "trademark", D(2026, 1, 1), {}, [("SIG_NEUTRAL", E)]),
        ("百度①", "trademark", D(2026, 1, 1), {}, [("SIG_HAS_DIGIT", E)]),
        ("𝐁𝐚𝐢𝐝𝐮", "trademark", D(2024, 1, 1), {}, [("SIG_HAS_LATIN", E)]),
        (
            "小度",
            "trademark",
            D(2026, 1, 1),
            {"trademark_owner": "北京百度网讯科技有限公司"},
            [],
        ),
        ("百度", "trademark", D(2025, 6, 2), {"taken_by_others": ["百度"]}, []),
        ("百度", "trademark", D(2025, 6, 3), {"taken_by_others": ["百度"]}, [("SIG_TAKEN", E)]),
        # SIG_SOURCE_NOT_ACCEPTED: app names from 2026-05-01; the others always.
        ("百度地图", "app_name", D(2026, 4, 30), {}, []),
        ("百度地图", "app_name", D(2026, 5, 1), {}, [("SIG_SOURCE_NOT_ACCEPTED", E)]),
        ("百度地图", "official_account", D(2024, 1, 1), {}, [("SIG_SOURCE_NOT_ACCEPTED", E)]),
        ("百度地图", "mini_program", D(2026, 1, 1), {}, [("SIG_SOURCE_NOT_ACCEPTED", E)]),
        ("百度地图", "website", D(2026, 1, 1), {}, [("SIG_SOURCE_NOT_ACCEPTED", E)]),
        ("百度地图", "software_copyright", D(2026, 1, 1), {}, [("SIG_SOURCE_NOT_ACCEPTED", E)]),
        # SIG_TRADEMARK_OWNER_MISMATCH / SIG_APP_SUBJECT_MISMATCH from 2025-03-31.
        ("小度", "trademark", D(2025, 3, 30), {"trademark_owner": "别家公司"}, []),
        ("小度", "trademark", D(2025, 3, 31), {"trademark_owner": "别家公司"}, [("SIG_TRADEMARK_OWNER_MISMATCH", E)]),
        ("小度", "trademark", D(2025, 3, 31), {"trademark_owner": BAIDU}, []),
        ("百度地图", "app_name", D(2025, 3, 30), {"app_icp_subject": "别家公司"}, []),
        ("百度地图", "app_name", D(2025, 3, 31), {"app_icp_subject": "别家公司"}, [("SIG_APP_SUBJECT_MISMATCH", E)]),
        # SIG_NON_MAINLAND from 2026-05-01.
        ("百度", "abbreviation", D(2026, 4, 30), {"entity_mainland": False}, []),
        ("百度", "abbreviation", D(2026, 5, 1), {"entity_mainland": False}, [("SIG_NON_MAINLAND", E)]),
    ],
)
def test_check_signature(text, source, as_of, kw, expected):
    assert codes(text, source, as_of, **kw) == expected


def test_every_violation_explains_itself_in_both_languages_and_names_its_rule():
    for violation in check_signature("【Baidu1】", source="app_name", entity_name=BAIDU, as_of=D(2026, 5, 1)):
        assert violation.message and violation.message_en and violation.rule_ref
    [digit] = [v for v in check_signature("百度1", source="trademark", entity_name=BAIDU, as_of=D(2025, 6, 3))]
    assert digit.rule_ref == "2025-06-03 · 2025.6.3"
    assert "数字" in digit.message and "digits" in digit.message_en


def test_an_unknown_source_is_a_programming_error():
    with pytest.raises(ValueError):
        check_signature("百度", source="nickname", entity_name=BAIDU)


def test_the_policy_in_force_follows_the_timeline():
    assert "app_name" in policy_as_of(D(2026, 4, 30)).accepted_sources
    assert "app_name" not in policy_as_of(D(2026, 5, 1)).accepted_sources
    assert policy_as_of(D(2025, 5, 29), "telecom").template_max_links is None
    assert policy_as_of(D(2025, 5, 30), "telecom").template_max_links == 1
    assert policy_as_of(D(2025, 6, 30), "unicom").template_filing_required is False
    assert policy_as_of(D(2025, 7, 1), "unicom").template_filing_required is True
    assert policy_as_of(D(2025, 7, 9), "mobile").template_max_contacts is None
    assert policy_as_of(D(2025, 7, 10), "mobile").template_max_contacts == 2
    # Carrier-specific template rows do not leak into the shared policy.
    assert policy_as_of(D(2026, 1, 1)).template_max_links is None
    assert policy_as_of(D(2026, 1, 1), "telecom").night_rate_limit == "23:00-07:00"


def test_a_later_policy_changes_results_after_its_date_only():
    stricter = change("2027-01-01-short", D(2027, 1, 1), {"mobile", "unicom", "telecom"}, "2026.12.1",
                      "签名最多 8 个字", "At most 8 characters", max_length=8)  # fmt: skip
    timeline = (*BUILTIN_CHANGES, stricter)
    text = "北京百度网讯科技"  # 8 characters: fine either side
    long = "北京百度网讯科技有"  # 9 characters
    before = policy_as_of(D(2026, 12, 31), changes=timeline)
    after = policy_as_of(D(2027, 1, 1), changes=timeline)
    assert check_signature(long, source="trademark", entity_name=BAIDU, policy=before) == []
    [violation] = check_signature(long, source="trademark", entity_name=BAIDU, policy=after)
    assert violation.code == "SIG_LENGTH" and violation.rule_ref == "2027-01-01 · 2026.12.1"
    assert check_signature(text, source="trademark", entity_name=BAIDU, policy=after) == []


def test_a_change_with_an_unknown_parameter_is_refused():
    with pytest.raises(ValueError):
        change("x", D(2027, 1, 1), {"mobile"}, "n", "", "", max_lenght=8)


@pytest.mark.parametrize(
    ("action", "current", "target", "role", "allowed"),
    [("submit", "draft", "submitted", "customer", True), ("approve", "draft", "approved", "customer", False),
     ("withdraw", "submitted", "withdrawn", "customer", True), ("withdraw", "in_review", "withdrawn", "customer", True),
     ("approve", "in_review", "approved", "reviewer", True),
     ("approve", "in_review", "approved", "customer", False), ("withdraw", "approved", "withdrawn", "customer", False),
     ("resubmit", "rejected", "submitted", "customer", False),
     ("resubmit", "changes_requested", "submitted", "customer", True),
     ("release", "in_review", "submitted", "system", True), ("claim", "submitted", "in_review", "system", False)],
)  # fmt: skip
def test_transitions(action, current, target, role, allowed):
    assert t.allowed(action, current, target, role) is allowed


def test_every_state_is_in_the_table():
    targets = {m.target for m in t.MOVES if t.FILING not in m.kinds}
    assert targets <= set(t.STATES)
    assert {m.target for m in t.MOVES if t.FILING in m.kinds} <= set(t.FILING_STATES)
    # the ends of a signature's life (a package refused is sent again: its own move)
    assert set(t.STATES) - {m.source for m in t.MOVES if not m.kinds} == {t.APPROVED, t.REJECTED, t.WITHDRAWN}


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [(D(2025, 12, 31), 3, D(2026, 1, 6)), (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Sunday 28 Sept was a make-up day
     (D(2025, 9, 30), 1, D(2025, 10, 9)), (D(2026, 11, 26), 0, D(2026, 11, 26))],
)  # fmt: skip
def test_working_days_follow_the_official_calendar(start, n, expected):
    assert add_working_days(start, n) == expected


def test_beyond_the_calendar_weekends_only_or_the_admin_table():
    assert not is_exact(2027)
    assert is_exact(2027, table_years=frozenset({2027}))
    assert is_working_day(D(2027, 1, 1))  # a Friday: only the admin's table knows it is New Year's Day
    assert not is_working_day(D(2027, 1, 1), extra_holidays={D(2027, 1, 1)})
    assert add_working_days(D(2026, 12, 31), 1, extra_holidays={D(2027, 1, 1)}) == D(2027, 1, 4)


def test_a_policy_admin_may_make_skipping_characters_an_error():
    strict = change("2027-01-01-no-skipping", D(2027, 1, 1), {"mobile", "unicom", "telecom"}, "2027.1.1", "不跳字",
                    "No skipping", abbreviation_skip_severity="error")  # fmt: skip
    policy = policy_as_of(D(2027, 1, 1), changes=(*BUILTIN_CHANGES, strict))
    [violation] = check_signature("百度科技", source="abbreviation", entity_name=BAIDU, policy=policy)
    assert (violation.code, violation.severity) == ("SIG_ABBREVIATION_NOT_CONTIGUOUS", "error")


@pytest.mark.parametrize(
    ("params", "message"),
    [({"max_length": "10"}, "max_length must be a whole number"), ({"ban_digits": "yes"}, "true or false"),
     ({"accepted_sources": "trademark"}, "a list of sources"), ({"neutral_words": "通知"}, "a list of words"),
     ({"abbreviation_skip_severity": "fatal"}, '"warning" or "error"')],
)  # fmt: skip
def test_a_change_with_a_wrongly_typed_parameter_is_refused(params, message):
    with pytest.raises(ValueError, match=message):
        change("x", D(2027, 1, 1), {"mobile"}, "n", "", "", **params)


def test_on_the_same_date_the_later_row_wins():
    first = change("b-first", D(2027, 1, 1), {"mobile", "unicom", "telecom"}, "n1", "", "", max_length=8)
    correction = change("a-correction", D(2027, 1, 1), {"mobile", "unicom", "telecom"}, "n2", "", "", max_length=10)
    assert policy_as_of(D(2027, 1, 2), changes=(*BUILTIN_CHANGES, first, correction)).max_length == 10


def test_the_policy_records_the_changes_it_folds():
    assert policy_as_of(D(2025, 6, 3)).change_keys[-1] == "2025-06-03-signatures"


# Issue 9: a full name too long for a signature gets abbreviations that pass; rules speak the reader's
# language, the date first; a signature's rules are the signature notices only.


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        # The example: region 福州, organisational form 有限公司 dropped; 科技 dropped next.
        ("福州闽江云通信科技有限公司", ["闽江云通信", "闽江云通信科技"]),
        # Province and city, with their 省/市; other organisational forms.
        ("福建省福州市闽江云通信科技有限公司", ["闽江云通信", "闽江云通信科技"]),
        ("福州市闽江云通信科技股份有限公司", ["闽江云通信", "闽江云通信科技"]),
        ("福州闽江云通信科技有限责任公司", ["闽江云通信", "闽江云通信科技"]),
        # A district after its city; a county alone, known by its 县.
        ("福州市鼓楼区榕城数据服务有限公司", ["榕城数据", "榕城数据服务"]),
        ("闽侯县青口汽车配件制造有限公司", ["青口汽车配件制造"]),
        # A group and a branch: 集团 and 分公司 are organisational forms too.
        ("厦门海峡物流集团有限公司", ["海峡", "海峡物流"]),
        # A branch: its place trails the company's name, and goes with the organisational form.
        ("上海长江轮船运输有限公司福州分公司", ["长江轮船运输"]),
        # 区 alone opens no region (区块链 is a word), and a trade name is never emptied.
        ("华夏区块链技术有限公司", ["华夏区块链"]),
    ],
)
def test_a_long_full_name_gets_in_order_abbreviations_that_pass(full_name, expected):
    policy = policy_as_of(TODAY)
    proposals = propose_abbreviations(full_name, policy=policy)
    assert proposals[: len(expected)] == expected
    for proposal in proposals:
        assert check_signature(proposal, source="abbreviation", entity_name=full_name, policy=policy) == []


def test_proposals_leave_out_what_is_taken_neutral_or_breaks_a_rule():
    policy = policy_as_of(TODAY)
    name = "福州闽江云通信科技有限公司"
    assert "闽江云通信" not in propose_abbreviations(name, policy=policy, taken_by_others=["闽江云通信"])
    assert propose_abbreviations("北京360安全科技有限公司", policy=policy) == []  # digits: nothing passes
    assert "福州闽江云通信科技" in abbreviation_candidates(name)  # kept with its region, if short enough


def test_no_abbreviation_is_proposed_to_an_entity_outside_mainland_china_once_refused():
    name = "福州闽江云通信科技有限公司"  # 13 characters
    policy = policy_as_of(TODAY)  # from 2026-05-01 (notice 2026.4.23) non-mainland entities are refused
    assert propose_abbreviations(name, policy=policy, entity_mainland=False) == []
    assert not proposes_abbreviations(name, policy=policy, entity_mainland=False)
    assert proposes_abbreviations(name, policy=policy) and propose_abbreviations(name, policy=policy)
    before = policy_as_of(D(2026, 4, 30))  # before it, the same entity may file an abbreviation
    assert propose_abbreviations(name, policy=before, entity_mainland=False)[:1] == ["闽江云通信"]
    # When to propose is the engine's length rule: a name within the limit gets none.
    assert not proposes_abbreviations("闽江云通信科技有限公司", policy=policy)
    assert proposes_abbreviations(name, policy=change_limit(policy, 12)) and not proposes_abbreviations(
        name, policy=change_limit(policy, 13)
    )


def change_limit(policy, max_length):
    from dataclasses import replace

    return replace(policy, max_length=max_length)


def test_the_full_name_over_the_limit_says_so_and_what_to_do():
    name = "福州闽江云通信科技有限公司"  # 13 characters
    [violation] = check_signature(name, source="full_name", entity_name=name, as_of=TODAY)
    assert violation.code == "SIG_LENGTH" and violation.rule_ref == PLATFORM_RULE
    assert "企业全称有 13 个字" in violation.message and "12" in violation.message and "简称" in violation.message
    assert "13 characters" in violation.message_en and "abbreviation" in violation.message_en


def test_a_refused_source_says_the_date_first_the_notice_and_what_remains():
    [violation] = check_signature("百度", source="app_name", entity_name=BAIDU, as_of=D(2026, 5, 1))
    assert violation.code == "SIG_SOURCE_NOT_ACCEPTED"
    assert violation.message.startswith("自 2026-05-01 起（通知 2026.4.23），ICP 备案应用名称不能作为签名来源")
    assert "仍可使用：企业全称、企业简称、注册商标或合作方名称（凭授权委托书）。" in violation.message
    assert violation.message_en.startswith("From 2026-05-01 (notice 2026.4.23), an ICP-filed app name is not accepted")
    assert "自该日起" not in violation.message and "from that date" not in violation.message_en
    zh, en = source_refusal("official_account", policy_as_of(D(2025, 4, 1)))
    assert zh.startswith("自 2025-03-27 起（通知 2025.3.27），公众号名称") and "ICP 备案应用名称" in zh
    assert en.startswith("From 2025-03-27 (notice 2025.3.27), an official-account name")


@pytest.mark.parametrize(
    ("ref", "zh", "en"),
    [
        (PLATFORM_RULE, "平台规则", "Platform rule"),
        ("平台规则 · platform rule", "平台规则", "Platform rule"),  # as snapshots before issue 9 stored it
        ("2026-05-01 · 2026.4.23", "自 2026-05-01 起（通知 2026.4.23）", "From 2026-05-01 (notice 2026.4.23)"),
    ],
)
def test_a_rule_reference_reads_in_one_language_with_the_date_first(ref, zh, en):
    assert describe_ref(ref) == (zh, en)
    assert not any("a" <= ch.lower() <= "z" for ch in describe_ref(ref)[0])  # no English on a Chinese page


def test_the_platform_limits_keep_a_stable_machine_reference():
    [violation] = check_signature("百", source="abbreviation", entity_name=BAIDU, as_of=TODAY)
    assert violation.rule_ref == "platform rule"


def test_a_signatures_rules_are_the_signature_notices_not_the_templates():
    for carrier in ("mobile", "unicom", "telecom", None):
        notices = [ref.split(" · ")[1] for ref in signature_refs(policy_as_of(TODAY, carrier))]
        assert notices == ["2025.3.27", "2025.3.31", "2025.6.3", "2026.4.23"]
    assert signature_notices(BUILTIN_CHANGES) == {"2025.3.27", "2025.3.31", "2025.6.3", "2026.4.23"}


def test_every_message_addresses_the_customer_as_nin():
    cases = [("百", "abbreviation"), ("百度1", "trademark"), ("百度A", "trademark"), ("百 度", "trademark"),
             ("通知", "trademark"), ("百度", "full_name"), ("度百", "abbreviation"), ("百度科技", "abbreviation"),
             ("百度", "app_name"), (BAIDU + "甲", "full_name")]  # fmt: skip
    messages = [v.message for text, source in cases for v in check_signature(text, source=source,
                entity_name=BAIDU, as_of=TODAY, taken_by_others=["百度"])]  # fmt: skip
    assert messages and not any("你" in message for message in messages)


def test_the_sources_offered_follow_the_policy_and_the_partner_source_is_always_one():
    assert offered_sources(policy_as_of(D(2026, 4, 30))) == {"full_name", "abbreviation", "trademark", "app_name",
                                                            "partner"}  # fmt: skip
    assert offered_sources(policy_as_of(TODAY)) == {"full_name", "abbreviation", "trademark", "partner"}


# --- issue 9, the second trial: every list of the sources still accepted names the partner source -----


def test_the_sources_still_accepted_are_named_with_the_partner_source_as_the_policy_offers_them():
    from compliance.signatures import offered_source_names

    assert offered_source_names(policy_as_of(TODAY)) == (
        "企业全称、企业简称、注册商标或合作方名称（凭授权委托书）",
        "a company's full name, a company abbreviation, a registered trademark or a partner's name under its "
        "letter of authorization",
    )
    before = offered_source_names(policy_as_of(D(2026, 4, 30)))[0]
    assert "ICP 备案应用名称" in before and before.endswith("或合作方名称（凭授权委托书）")


@pytest.mark.parametrize(
    ("status", "zh", "en"),
    [
        ("draft", "请您修改签名来源后再提交", "change the source, then submit it"),
        ("changes_requested", "请您修改签名来源后再提交", "change the source, then submit it"),
        ("submitted", "请您撤回此申请，以企业全称、企业简称、注册商标或合作方名称（凭授权委托书）重新申请签名",
         "withdraw it and apply for a new signature from a company's full name"),
        ("in_review", "请您撤回此申请", "withdraw it"),
        ("awaiting_second", "请您撤回此申请", "or a partner's name under its letter of authorization"),
        ("approved", "请以企业全称、企业简称、注册商标或合作方名称（凭授权委托书）重新申请签名",
         "apply for a new signature from a company's full name"),
    ],
)  # fmt: skip
def test_the_way_forward_with_a_refused_source_follows_the_state_and_names_the_partner_source(status, zh, en):
    from compliance.signatures import withdrawn_source_step, withdrawn_source_warning

    policy = policy_as_of(TODAY)
    step = withdrawn_source_step(status, policy)
    assert zh in step[0] and en in step[1]
    warning = withdrawn_source_warning("app_name", status, policy)
    assert warning[0].startswith("自 2026-05-01 起（通知 2026.4.23），ICP 备案应用名称不能作为签名来源")
    assert ("运营商可能清理此签名" in warning[0]) == (status == "approved")
    assert "合作方名称（凭授权委托书）" in warning[0] and "partner's name" in warning[1]
    assert "你" not in warning[0] + step[0]


def test_no_warning_while_the_source_counts_or_once_the_signature_has_ended():
    from compliance.signatures import withdrawn_source_violation, withdrawn_source_warning

    assert withdrawn_source_warning("app_name", "approved", policy_as_of(D(2026, 4, 30))) is None
    assert withdrawn_source_warning("app_name", "withdrawn", policy_as_of(TODAY)) is None
    assert withdrawn_source_warning("partner", "approved", policy_as_of(TODAY)) is None
    violation = withdrawn_source_violation("app_name", "approved", policy_as_of(TODAY))
    assert (violation.code, violation.severity, violation.rule_ref) == (
        "SIG_SOURCE_WITHDRAWN", "warning", "2026-05-01 · 2026.4.23"
    )  # fmt: skip


def test_every_signature_state_is_in_exactly_one_group_of_what_to_do_with_a_refused_source():
    from compliance.signatures import EDITABLE_STATES, ENDED_STATES, FILED_STATES, UNDER_REVIEW_STATES

    groups = [EDITABLE_STATES, UNDER_REVIEW_STATES, FILED_STATES, ENDED_STATES]
    assert sum(len(g) for g in groups) == len(set().union(*groups)) == len(t.STATES)
    assert set().union(*groups) == set(t.STATES)
