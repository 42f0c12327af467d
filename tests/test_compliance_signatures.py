"""check_signature, table-driven from DOMAIN.md's dated rules: each code on both sides of its date."""

import datetime as dt

import pytest

from compliance import BUILTIN_CHANGES, check_signature, policy_as_of
from compliance.policies import change
from compliance.transitions import SIGNATURE_TRANSITIONS, can_transition
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
    ("current", "target", "allowed"),
    [("draft", "submitted", True), ("draft", "approved", False), ("submitted", "withdrawn", True),
     ("in_review", "approved", True), ("approved", "withdrawn", False), ("dormant", "cleared", True),
     ("rejected", "submitted", False), ("changes_requested", "submitted", True)],
)  # fmt: skip
def test_transitions(current, target, allowed):
    assert can_transition(current, target) is allowed


def test_every_state_is_in_the_table():
    targets = set().union(*SIGNATURE_TRANSITIONS.values())
    assert targets <= set(SIGNATURE_TRANSITIONS)


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
