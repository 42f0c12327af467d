"""The rules of filing with the carriers, after the platform's approval: how long a carrier takes, when a
template may be filed, which results a carrier's file may report, and what the customer reads of the
three filings together. Pure Python; the models and services of ``filings`` call it.

Source: the notices of 2025.3.27 and 2026.4.23 (``../shared/domain/jsms-announcements.txt``), item (3):
"Carrier real-name filing typically takes 3–5 working days; some carriers may take longer."
"""

import datetime as dt
from dataclasses import dataclass

from . import carriers
from . import transitions as t


# The window a carrier takes to file, in working days (China's calendar, compliance.workdays), from the
# day the batch is submitted. Dated: the notice that gives it, and since when it holds.
@dataclass(frozen=True)
class Window:
    since: dt.date
    earliest: int  # working days
    latest: int
    notice: str


WINDOWS: tuple[Window, ...] = (Window(dt.date(2025, 3, 27), 3, 5, "2025.3.27"),)


def window(as_of: dt.date) -> Window:
    """The filing window in force on ``as_of`` (the latest that began by then, else the first)."""
    held = [w for w in WINDOWS if w.since <= as_of]
    return held[-1] if held else WINDOWS[0]


def is_overdue(status: str, due_by: dt.date | None, today: dt.date) -> bool:
    """Submitted to the carrier and past the window's last working day, with no result."""
    return status == t.SUBMITTED and due_by is not None and today > due_by


# What waits on the customer (the account manager's desk): an application they have not sent, one the
# reviewer sent back, or a filing a carrier refused (they fix what the reason says, FILING_NEXT_STEP).
# A clearance waits on the account manager instead (they ask for the re-filing).
CUSTOMER_STATES = frozenset({t.DRAFT, t.CHANGES_REQUESTED})
CUSTOMER_FILING_STATES = frozenset({t.FAILED})


def waits_on_customer(status: str, filing_states) -> bool:
    """``status``: the application's platform state; ``filing_states``: its filings' states."""
    return status in CUSTOMER_STATES or any(s in CUSTOMER_FILING_STATES for s in filing_states)


# A template is filed at a carrier only where its signature is filed (the carrier checks the
# signature first): until then its filing waits, and no batch carries it.
def template_may_file(signature_state: str | None) -> bool:
    return signature_state == t.FILED


# What a carrier's results file may say of one filing, and the move each outcome is.
OUTCOMES = {
    t.FILED: t.RECORD_FILED,
    t.FAILED: t.RECORD_FAILED,
    t.CLEARED: t.CLEAR,
}
# The words a clerk (or a carrier's channel) may write in the outcome column, in either language.
OUTCOME_WORDS = {
    "filed": t.FILED, "已报备": t.FILED, "成功": t.FILED, "通过": t.FILED,
    "failed": t.FAILED, "失败": t.FAILED, "驳回": t.FAILED, "报备失败": t.FAILED,
    "cleared": t.CLEARED, "已清理": t.CLEARED, "清理": t.CLEARED,
}  # fmt: skip


def outcome_of(word: str) -> str | None:
    return OUTCOME_WORDS.get(word.strip().lower())


# What each state of a filing means to the customer at one carrier, and what they can do.
USABLE = frozenset({t.FILED})
UNDER_WAY = frozenset({t.PENDING, t.SUBMITTED})
BROKEN = frozenset({t.FAILED, t.CLEARED, t.AFFECTED})

FILING_NEXT_STEP = {
    t.PENDING: ("等待平台提交运营商", "Waiting for the platform to send it to the carrier"),
    t.SUBMITTED: ("运营商报备中，通常 3–5 个工作日", "With the carrier; usually 3–5 working days"),
    t.FILED: ("可以发送；请定期发送，以免被运营商清理",
              "Ready to send; send regularly so the carrier does not clear it"),
    t.FAILED: ("按上面的原因处理；需要重新报备时联系客户经理",
               "Act on the reason above; ask your account manager when it is to be filed again"),
    t.CLEARED: ("已被运营商清理：联系客户经理重新报备", "Cleared by the carrier: ask your account manager to re-file"),
    t.AFFECTED: ("签名在该运营商被清理：签名重新报备后自动重报",
                 "Its signature was cleared at this carrier: filed again once the signature is"),
}  # fmt: skip
WAITING_FOR_SIGNATURE = ("等待签名在该运营商报备成功", "Waiting for its signature to be filed at this carrier")


@dataclass(frozen=True)
class Availability:
    """The three filings of one application read together, as the customer reads them."""

    usable: tuple[str, ...]  # carrier codes, in the carriers' order
    under_way: tuple[str, ...]  # with the carrier
    broken: tuple[str, ...]
    waiting: tuple[str, ...] = ()  # not sent yet (pending, or a template waiting for its signature)

    @property
    def everywhere(self) -> bool:
        return len(self.usable) == len(carriers.CODES)

    def sentence(self, chinese: bool) -> str:
        """'可用：移动、联通；电信报备中' / 'Usable: Mobile, Unicom; Telecom being filed'."""

        def names(codes):
            if chinese:
                return "、".join(carriers.BY_CODE[c].short_zh for c in codes)
            return ", ".join(carriers.BY_CODE[c].name_en.removeprefix("China ") for c in codes)

        parts = []
        if self.usable:
            parts.append(("可用：" if chinese else "Usable: ") + names(self.usable))
        if self.under_way:
            parts.append(names(self.under_way) + ("报备中" if chinese else " being filed"))
        if self.waiting:
            parts.append(names(self.waiting) + ("待提交" if chinese else " not sent yet"))
        if self.broken:
            parts.append(names(self.broken) + ("不可用" if chinese else " not usable"))
        return ("；" if chinese else "; ").join(parts)


def availability(states: dict[str, str]) -> Availability:
    """``states``: carrier code → the filing's state there (a carrier missing: not filed yet)."""
    usable, under_way, broken, waiting = [], [], [], []
    for code in carriers.CODES:
        state = states.get(code, t.PENDING)
        if state in USABLE:
            usable.append(code)
        elif state in BROKEN:
            broken.append(code)
        else:
            (under_way if state == t.SUBMITTED else waiting).append(code)
    return Availability(tuple(usable), tuple(under_way), tuple(broken), tuple(waiting))


# A template's filing pending at a carrier where its signature is not filed yet: shown as waiting for
# the signature (no stored state: it follows from the two filings).
WAITING = "waiting_signature"


def shown_state(state: str, signature_state: str | None = None) -> str:
    """The state a customer sees of one filing: a template's pending filing waits for its signature
    until the signature is filed at that carrier."""
    if state == t.PENDING and signature_state is not None and not template_may_file(signature_state):
        return WAITING
    return state


# What to do next with an approved application, from its filings: the first that applies.
_NEXT_ORDER = (t.FAILED, t.CLEARED, t.AFFECTED, WAITING, t.SUBMITTED, t.PENDING)


def next_step(shown: dict[str, str]) -> tuple[str, str]:
    """``shown``: carrier → shown_state. What the customer does next, (zh, en)."""
    present = set(shown.values())
    for state in _NEXT_ORDER:
        if state in present:
            return WAITING_FOR_SIGNATURE if state == WAITING else FILING_NEXT_STEP[state]
    return FILING_NEXT_STEP[t.FILED]
