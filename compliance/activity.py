"""Signature activity at each carrier: when a filed signature goes quiet at a carrier, or one carrier fails
it far more than the others. Pure Python; the daily run (sending/activity.py) feeds it the figures it
aggregates in SQL, and the pages read its names and advice.

Why. The notices of 2025.3.27 (section 2, item 1) and 2026.4.23 (section 3, item 1), in
``../shared/domain/jsms-announcements.txt``: "Filed signatures that go unused or are sent infrequently may
be cleared by carriers and become invalid, requiring re-filing. Carrier rules differ, so signatures may
produce mixed results (some sent successfully, some failed)", and "Jiguang cannot know in advance when a
signature becomes invalid. Please monitor your delivery results". DOMAIN.md: "Carriers clear signatures
that go unused or are sent rarely; nobody is told in advance. Failures then surface as delivery failures
on some carriers. Customers must be warned before that happens, from their own sending statistics."

The thresholds. Neither the notices nor DOMAIN.md say after how long a carrier clears a signature. The
defaults are the platform's (``compliance.policies.PLATFORM_RULE`` until a policy row changes them), set
from what is seen in practice (issue 12): clearances come after 5–6 months without sending (Aliyun
reports a filing expired after six months), so a signature is *at risk* after 150 days without a
delivered message, and *dormant* (a first, early warning) after 60. They are policy parameters
(``Policy.activity_*``): policy admins change them from a date, for one carrier or all, like every rule.

The flags, for one signature at one carrier on one day:

- ``dormant``: filed, and ``activity_dormant_days`` or more days without a delivered message there
  (counted from the last day with one, or from the day it was filed if later or if there is none);
- ``at_risk``: the same, ``activity_at_risk_days`` or more (it replaces dormant);
- ``failure_spike``: over the last ``RECENT_DAYS`` days this carrier failed at least
  ``activity_spike_percent`` % of at least ``activity_spike_min_sent`` messages, while the other
  carriers together failed under ``activity_others_percent`` % of at least as many: the "mixed results"
  of the notices, as when one carrier has cleared the signature. Once raised, it holds until this
  carrier delivers again: under ``activity_others_percent`` % failed of at least
  ``activity_spike_min_sent`` sent (a rate hovering near the threshold does not raise it twice).

Only a filing that is filed or with the carrier (submitted) is watched; dormancy only once filed (a
carrier that has not filed the signature yet cannot clear it). Failures at a carrier that has not filed
it yet are expected ("sending without filing shows up as carrier gateway blocks"), so a spike there says
to wait for the filing.
"""

from dataclasses import dataclass

from . import transitions as t
from .policies import Policy

DORMANT, AT_RISK, FAILURE_SPIKE = "dormant", "at_risk", "failure_spike"
FLAGS: tuple[str, ...] = (AT_RISK, FAILURE_SPIKE, DORMANT)  # the most urgent first
# The days of statistics a spike is judged over: today and the six days before it.
RECENT_DAYS = 7
# The filings watched: filed, or with the carrier.
WATCHED_STATES = frozenset({t.FILED, t.SUBMITTED})

ACTIVITY_PARAMETERS = frozenset({
    "activity_dormant_days", "activity_at_risk_days", "activity_spike_percent", "activity_others_percent",
    "activity_spike_min_sent",
})  # fmt: skip

# What each flag is called, (Chinese, English).
FLAG_NAMES = {
    DORMANT: ("久未发送", "Dormant"),
    AT_RISK: ("有清理风险", "At risk"),
    FAILURE_SPIKE: ("失败激增", "Failure spike"),
}

# What to do, (Chinese, English).
TODO = {
    DORMANT: ("请定期通过该运营商发送，以免签名被清理",
              "Send through this carrier regularly, so that it does not clear the signature"),
    AT_RISK: ("运营商随时可能清理此签名：请尽快发送并确认送达；如已失败，请联系客户经理重新报备",
              "The carrier may clear it any day: send now and check it is delivered; if it fails, ask your "
              "account manager to re-file it"),
    FAILURE_SPIKE: ("该运营商的失败远多于其他运营商，可能已清理此签名：请联系客户经理重新报备",
                    "This carrier fails far more than the others and may have cleared the signature: ask your "
                    "account manager to re-file it"),
}  # fmt: skip
# A spike where the carrier has not filed the signature yet: its gateway blocks what is sent meanwhile.
TODO_NOT_FILED_YET = ("该运营商尚未完成报备，发送会被拦截：请等报备成功后再通过该运营商发送",
                      "Not filed at this carrier yet, so its gateway blocks the messages: send through it once it "
                      "is filed")  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    dormant_days: int
    at_risk_days: int
    spike_percent: int
    others_percent: int
    min_sent: int

    @classmethod
    def of(cls, policy: Policy) -> "Thresholds":
        """The thresholds of the policy in force for one carrier on one day (compliance.policies)."""
        return cls(policy.activity_dormant_days, policy.activity_at_risk_days, policy.activity_spike_percent,
                   policy.activity_others_percent, policy.activity_spike_min_sent)  # fmt: skip


DEFAULTS = Thresholds.of(Policy())


@dataclass(frozen=True)
class Activity:
    """One signature at one carrier on the day of the run."""

    filing_state: str
    days_quiet: int  # days since the last delivered message there (or since it was filed, if later)
    sent: int = 0  # in the last RECENT_DAYS days, at this carrier
    failed: int = 0
    others_sent: int = 0  # the same days, the other two carriers together
    others_failed: int = 0


def _at_least(part: int, whole: int, percent: int) -> bool:
    return part * 100 >= percent * whole


def spiking(activity: Activity, limits: Thresholds) -> bool:
    """This carrier fails far more than the others, over the last RECENT_DAYS days."""
    return (
        activity.sent >= limits.min_sent
        and _at_least(activity.failed, activity.sent, limits.spike_percent)
        and activity.others_sent >= limits.min_sent
        and not _at_least(activity.others_failed, activity.others_sent, limits.others_percent)
    )


def delivering(activity: Activity, limits: Thresholds) -> bool:
    """This carrier delivers again: enough sent, and fewer failed than the others' threshold."""
    return activity.sent >= limits.min_sent and not _at_least(activity.failed, activity.sent, limits.others_percent)


def assess(activity: Activity, limits: Thresholds = DEFAULTS, open_flags=frozenset()) -> frozenset[str]:
    """The flags that hold for ``activity``: those to raise are the ones not in ``open_flags`` (the flags
    already open for this signature and carrier), those to end are the open ones not returned."""
    if activity.filing_state not in WATCHED_STATES:
        return frozenset()
    flags = set()
    if activity.filing_state == t.FILED:
        if activity.days_quiet >= limits.at_risk_days:
            flags.add(AT_RISK)
        elif activity.days_quiet >= limits.dormant_days:
            flags.add(DORMANT)
    if spiking(activity, limits) or (FAILURE_SPIKE in open_flags and not delivering(activity, limits)):
        flags.add(FAILURE_SPIKE)
    return frozenset(flags)


def todo(flag: str, filing_state: str = t.FILED) -> tuple[str, str]:
    """What the customer does about ``flag``, (Chinese, English)."""
    if flag == FAILURE_SPIKE and filing_state != t.FILED:
        return TODO_NOT_FILED_YET
    return TODO[flag]


def _percent(part: int, whole: int) -> int:
    return round(part * 100 / whole) if whole else 0


def facts(flag: str, *, days_quiet: int, last_delivered=None, sent=0, failed=0, others_sent=0,
          others_failed=0) -> tuple[str, str]:  # fmt: skip
    """What was seen, (Chinese, English): "已 151 天没有送达（最后一次 2026-06-01）" / "No delivery for 151
    days (last on 2026-06-01)"; a spike's failure rates over the last RECENT_DAYS days."""
    if flag == FAILURE_SPIKE:
        mine, others = _percent(failed, sent), _percent(others_failed, others_sent)
        return (f"近 {RECENT_DAYS} 天失败 {mine}%（发送 {sent} 条，失败 {failed} 条），其他运营商失败 {others}%",
                f"{mine}% failed in the last {RECENT_DAYS} days ({failed} of {sent} sent); the other carriers "
                f"{others}%")  # fmt: skip
    if last_delivered is None:
        return (
            f"报备后 {days_quiet} 天没有送达记录",
            f"No delivery recorded in the {days_quiet} days since it was filed",
        )
    day = f"{last_delivered:%Y-%m-%d}"
    return (f"已 {days_quiet} 天没有送达（最后一次 {day}）", f"No delivery for {days_quiet} days (last on {day})")
