"""The rules of signature activity at each carrier (compliance/activity.py), table-driven, no database:
dormant after 60 days without a delivery, at risk after 150 (clearances come after 5–6 months), a carrier
failing far more than the others over the last 7 days, and the thresholds as dated policy parameters."""

import datetime as dt

import pytest

from compliance import activity as rules
from compliance import transitions as t
from compliance.policies import BUILTIN_CHANGES, PARAMETERS, change, parameter_kind, policy_as_of

A = rules.Activity
NONE = frozenset()

# (name, activity, open flags, the flags that hold)
CASES = [
    ("delivered yesterday", A(t.FILED, 1), NONE, set()),
    ("59 days quiet", A(t.FILED, 59), NONE, set()),
    ("60 days quiet: dormant", A(t.FILED, 60), NONE, {rules.DORMANT}),
    ("149 days quiet: still dormant", A(t.FILED, 149), NONE, {rules.DORMANT}),
    ("150 days quiet: at risk, not dormant", A(t.FILED, 150), NONE, {rules.AT_RISK}),
    ("151 days quiet: at risk", A(t.FILED, 151), {rules.DORMANT}, {rules.AT_RISK}),
    ("with the carrier: never dormant", A(t.SUBMITTED, 400), NONE, set()),
    ("cleared by the carrier: not watched", A(t.CLEARED, 400, 100, 90, 100, 0), NONE, set()),
    ("pending: not watched", A(t.PENDING, 400), NONE, set()),
    ("spike: 50% of 20 failing, others 0%", A(t.FILED, 0, 20, 10, 40, 0), NONE, {rules.FAILURE_SPIKE}),
    ("no spike: 49% failing", A(t.FILED, 0, 100, 49, 100, 0), NONE, set()),
    ("no spike: 19 sent", A(t.FILED, 0, 19, 19, 100, 0), NONE, set()),
    ("no spike: the others fail 10% too", A(t.FILED, 0, 100, 90, 100, 10), NONE, set()),
    ("spike: the others fail 9%", A(t.FILED, 0, 100, 90, 100, 9), NONE, {rules.FAILURE_SPIKE}),
    ("no spike: the others sent too few to compare", A(t.FILED, 0, 100, 100, 19, 0), NONE, set()),
    ("spike and at risk together", A(t.FILED, 200, 100, 100, 100, 0), NONE, {rules.AT_RISK, rules.FAILURE_SPIKE}),
    ("spike with the carrier (not filed yet)", A(t.SUBMITTED, 0, 50, 50, 50, 0), NONE, {rules.FAILURE_SPIKE}),
    ("an open spike holds at 30% failing", A(t.FILED, 0, 100, 30, 100, 0), {rules.FAILURE_SPIKE},
     {rules.FAILURE_SPIKE}),
    ("an open spike holds while nothing is sent", A(t.FILED, 3), {rules.FAILURE_SPIKE}, {rules.FAILURE_SPIKE}),
    ("an open spike ends when the carrier delivers again", A(t.FILED, 0, 100, 9, 100, 0), {rules.FAILURE_SPIKE},
     set()),
    ("an open spike ends when the filing is cleared", A(t.CLEARED, 0, 100, 100, 100, 0), {rules.FAILURE_SPIKE},
     set()),
]  # fmt: skip


@pytest.mark.parametrize(("activity", "held", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_it_flags_a_signature_at_a_carrier(activity, held, expected):
    assert rules.assess(activity, rules.DEFAULTS, open_flags=frozenset(held)) == expected


def test_the_defaults_are_60_and_150_days_and_a_spike_of_50_against_10_percent_of_20_sent():
    defaults = rules.Thresholds(dormant_days=60, at_risk_days=150, spike_percent=50, others_percent=10, min_sent=20)
    assert defaults == rules.DEFAULTS
    assert rules.ACTIVITY_PARAMETERS <= PARAMETERS


def test_a_policy_change_moves_the_thresholds_from_its_date_at_its_carriers_only():
    telecom = change("2027-01-01-telecom-activity", dt.date(2027, 1, 1), {"telecom"}, "2026.12.20",
                     "电信：90 天未发送即清理", "Telecom clears after 90 days unused",
                     activity_dormant_days=30, activity_at_risk_days=80)  # fmt: skip
    changes = (*BUILTIN_CHANGES, telecom)
    before = rules.Thresholds.of(policy_as_of(dt.date(2026, 12, 31), "telecom", changes=changes))
    after = rules.Thresholds.of(policy_as_of(dt.date(2027, 1, 1), "telecom", changes=changes))
    mobile = rules.Thresholds.of(policy_as_of(dt.date(2027, 1, 1), "mobile", changes=changes))
    assert (before.at_risk_days, after.at_risk_days, mobile.at_risk_days) == (150, 80, 150)
    assert rules.assess(A(t.FILED, 85), after) == {rules.AT_RISK}
    assert rules.assess(A(t.FILED, 85), mobile) == {rules.DORMANT}
    # Where the value comes from: the platform's rule, until a notice's row sets it.
    assert policy_as_of(dt.date(2027, 1, 1), "mobile", changes=changes).ref("activity_at_risk_days") == "platform rule"
    assert policy_as_of(dt.date(2027, 1, 1), "telecom", changes=changes).ref("activity_at_risk_days") == (
        "2027-01-01 · 2026.12.20"
    )


@pytest.mark.parametrize("value", [101, -1, 12.5, True])
def test_a_percentage_is_a_whole_number_from_0_to_100(value):
    assert parameter_kind("activity_spike_percent") == "percent"
    with pytest.raises(ValueError, match="from 0 to 100"):
        change("bad", dt.date(2027, 1, 1), {"mobile"}, "x", "x", "x", activity_spike_percent=value)


def test_what_to_do_says_send_regularly_or_re_file_in_both_languages():
    assert "定期" in rules.todo(rules.DORMANT)[0] and "regularly" in rules.todo(rules.DORMANT)[1]
    assert "重新报备" in rules.todo(rules.AT_RISK)[0] and "re-file" in rules.todo(rules.AT_RISK)[1]
    assert "re-file" in rules.todo(rules.FAILURE_SPIKE, t.FILED)[1]
    assert rules.todo(rules.FAILURE_SPIKE, t.SUBMITTED) == rules.TODO_NOT_FILED_YET
    for flag in rules.FLAGS:
        zh, en = rules.FLAG_NAMES[flag]
        assert zh and en.isascii()


@pytest.mark.parametrize(
    ("flag", "kwargs", "zh", "en"),
    [
        (rules.AT_RISK, {"days_quiet": 151, "last_delivered": dt.date(2026, 7, 3)},
         "已 151 天没有送达（最后一次 2026-07-03）", "No delivery for 151 days (last on 2026-07-03)"),
        (rules.DORMANT, {"days_quiet": 70}, "报备后 70 天没有送达记录",
         "No delivery recorded in the 70 days since it was filed"),
        (rules.FAILURE_SPIKE, {"days_quiet": 0, "sent": 700, "failed": 560, "others_sent": 1400, "others_failed": 14},
         "近 7 天失败 80%（发送 700 条，失败 560 条），其他运营商失败 1%",
         "80% failed in the last 7 days (560 of 700 sent); the other carriers 1%"),
    ],
    ids=["at risk", "dormant since filed", "spike"],
)  # fmt: skip
def test_the_facts_say_what_was_seen(flag, kwargs, zh, en):
    assert rules.facts(flag, **kwargs) == (zh, en)
