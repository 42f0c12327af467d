"""The life of an application (a signature, a template), as data: which move leads where, who may
make it, and what it needs.

An application's life ends at the platform's decision: draft → submitted → in review → (awaiting a
second reviewer) → approved | changes requested | rejected, and withdrawn. What happens at each
carrier afterwards (filed, failed, cleared) belongs to the per-carrier filing records, never to this
status. ``filing_portal.workflow.move`` is the one entry point that makes a move: it looks the move
up here, checks the actor's role (``accounts.staff``), the reasons and the second reviewer, then
compare-and-sets the status and writes the history row.
"""

from dataclasses import dataclass

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
AWAITING_SECOND = "awaiting_second"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATES = (DRAFT, SUBMITTED, IN_REVIEW, AWAITING_SECOND, CHANGES_REQUESTED, APPROVED, REJECTED, WITHDRAWN)
# The state a new application is created in: the history's first row goes from nothing to it.
NEW = ""

# Who makes a move. A customer is any member of the application's organization; a reviewer is
# platform staff with the reviewer role; the system is a scheduled task (a claim left idle).
CUSTOMER = "customer"
REVIEWER = "reviewer"
ACCOUNT_MANAGER = "account_manager"
POLICY_ADMIN = "policy_admin"
SYSTEM = "system"
# The platform's filing clerk: hands approved applications to the carriers in batches and records
# what comes back (filings, below).
CLERK = "filing_clerk"
ROLES = (CUSTOMER, REVIEWER, ACCOUNT_MANAGER, POLICY_ADMIN, CLERK, SYSTEM)

# The actions, as the services and the history name them.
CREATE = "create"
SUBMIT = "submit"
RESUBMIT = "resubmit"
WITHDRAW = "withdraw"
CLAIM = "claim"
RELEASE = "release"
APPROVE = "approve"
REQUEST_CHANGES = "request_changes"
REJECT = "reject"

# A filing: one application (a signature, a template) at one carrier, after the platform's approval.
# Its own life, through the same table and the same entry point (filing_portal.workflow.move):
# pending → submitted → filed | failed; filed → cleared (the carrier removed it) → pending when
# re-filed. A template's filing filed at a carrier whose signature the carrier then cleared is
# affected, and is filed again once the signature is.
FILING = "filing"
PENDING = "pending"
FILED = "filed"
FAILED = "failed"
CLEARED = "cleared"
AFFECTED = "affected"
FILING_STATES = (PENDING, SUBMITTED, FILED, FAILED, CLEARED, AFFECTED)
SEND = "send"
RECORD_FILED = "record_filed"
RECORD_FAILED = "record_failed"
CLEAR = "clear"
AFFECT = "affect"
REFILE = "refile"


@dataclass(frozen=True)
class Move:
    action: str
    source: str
    target: str
    roles: frozenset[str]
    reasons_required: bool = False  # one or more codes of compliance.reasons, or the move is refused
    second_reviewer: bool = False  # the actor may not be the reviewer who gave the first approval
    kinds: frozenset[str] = frozenset()  # the kinds of application it exists for (empty: every kind)


def _move(action, source, target, *roles, reasons_required=False, second_reviewer=False, kinds=()) -> Move:
    return Move(action, source, target, frozenset(roles), reasons_required, second_reviewer, frozenset(kinds))


MOVES: tuple[Move, ...] = (
    _move(CREATE, NEW, DRAFT, CUSTOMER),
    _move(SUBMIT, DRAFT, SUBMITTED, CUSTOMER),
    _move(RESUBMIT, CHANGES_REQUESTED, SUBMITTED, CUSTOMER),
    # An entity has one package: refused, it is corrected and sent again (a signature or a template
    # refused is over: the customer applies anew).
    _move(RESUBMIT, REJECTED, SUBMITTED, CUSTOMER, kinds={"entity"}),
    _move(WITHDRAW, DRAFT, WITHDRAWN, CUSTOMER),
    _move(WITHDRAW, SUBMITTED, WITHDRAWN, CUSTOMER),
    _move(WITHDRAW, CHANGES_REQUESTED, WITHDRAWN, CUSTOMER),
    # Under review too: the customer may change their mind; the reviewer holding it is told on deciding.
    _move(WITHDRAW, IN_REVIEW, WITHDRAWN, CUSTOMER),
    _move(WITHDRAW, AWAITING_SECOND, WITHDRAWN, CUSTOMER),
    # A reviewer takes an item from the queue; a claim left idle goes back (the beat task, or the reviewer).
    _move(CLAIM, SUBMITTED, IN_REVIEW, REVIEWER),
    _move(RELEASE, IN_REVIEW, SUBMITTED, REVIEWER, SYSTEM),
    # Where four-eyes applies (compliance.evidence.four_eyes_required), approval waits for a second,
    # different reviewer, who claims the item again and decides.
    _move(APPROVE, IN_REVIEW, APPROVED, REVIEWER),
    _move(APPROVE, IN_REVIEW, AWAITING_SECOND, REVIEWER),
    _move(REQUEST_CHANGES, IN_REVIEW, CHANGES_REQUESTED, REVIEWER, reasons_required=True),
    _move(REJECT, IN_REVIEW, REJECTED, REVIEWER, reasons_required=True),
    _move(CLAIM, AWAITING_SECOND, AWAITING_SECOND, REVIEWER, second_reviewer=True),
    _move(RELEASE, AWAITING_SECOND, AWAITING_SECOND, REVIEWER, SYSTEM),
    _move(APPROVE, AWAITING_SECOND, APPROVED, REVIEWER, second_reviewer=True),
    _move(REQUEST_CHANGES, AWAITING_SECOND, CHANGES_REQUESTED, REVIEWER, reasons_required=True, second_reviewer=True),
    _move(REJECT, AWAITING_SECOND, REJECTED, REVIEWER, reasons_required=True, second_reviewer=True),
    # Filings (kind "filing"): created by the approval (the reviewer's, or the second reviewer's), sent
    # and recorded by the clerk (or an automated channel: the system).
    _move(CREATE, NEW, PENDING, REVIEWER, CLERK, SYSTEM, kinds={FILING}),
    _move(SEND, PENDING, SUBMITTED, CLERK, SYSTEM, kinds={FILING}),
    _move(RECORD_FILED, SUBMITTED, FILED, CLERK, SYSTEM, kinds={FILING}),
    _move(RECORD_FAILED, SUBMITTED, FAILED, CLERK, SYSTEM, reasons_required=True, kinds={FILING}),
    _move(CLEAR, FILED, CLEARED, CLERK, SYSTEM, reasons_required=True, kinds={FILING}),
    # A template's filing follows its signature's clearance at the same carrier (the system's move).
    _move(AFFECT, FILED, AFFECTED, SYSTEM, reasons_required=True, kinds={FILING}),
    _move(REFILE, FAILED, PENDING, CLERK, ACCOUNT_MANAGER, SYSTEM, kinds={FILING}),
    _move(REFILE, CLEARED, PENDING, CLERK, ACCOUNT_MANAGER, SYSTEM, kinds={FILING}),
    _move(REFILE, AFFECTED, PENDING, CLERK, ACCOUNT_MANAGER, SYSTEM, kinds={FILING}),
)  # fmt: skip

_BY_ACTION = {(m.action, m.source, m.target): m for m in MOVES}
assert len(_BY_ACTION) == len(MOVES), "a move appears twice"


def find_move(action: str, source: str, target: str, kind: str = "") -> Move | None:
    """The move ``action`` from ``source`` to ``target`` for an application of ``kind``, or None if the
    table has no such move."""
    move = _BY_ACTION.get((action, source, target))
    if move is not None and move.kinds and kind not in move.kinds:
        return None
    return move


def targets(action: str, source: str) -> tuple[str, ...]:
    """Where ``action`` may lead from ``source`` (approve: approved, or awaiting a second reviewer)."""
    return tuple(m.target for m in MOVES if m.action == action and m.source == source)


def allowed(action: str, source: str, target: str, role: str, kind: str = "") -> bool:
    move = find_move(action, source, target, kind)
    return move is not None and role in move.roles


def actions_for(source: str, role: str) -> tuple[str, ...]:
    """The actions ``role`` may take on an application in ``source``, in the table's order."""
    return tuple(dict.fromkeys(m.action for m in MOVES if m.source == source and role in m.roles))


def can_withdraw(status: str) -> bool:
    return bool(targets(WITHDRAW, status))


# The review queue: what waits for a reviewer, and what a reviewer holds.
QUEUED_STATES = frozenset({SUBMITTED, IN_REVIEW, AWAITING_SECOND})
ENDED_STATES = frozenset({REJECTED, WITHDRAWN})
REVIEWER_ACTIONS = frozenset({CLAIM, RELEASE, APPROVE, REQUEST_CHANGES, REJECT})
FILING_ACTIONS = frozenset({SEND, RECORD_FILED, RECORD_FAILED, CLEAR, AFFECT, REFILE})
EDITABLE_STATES = frozenset({DRAFT, CHANGES_REQUESTED})

# The states' names are the labels of the models' Status choices (one name per state, through the
# translation catalogue); this module keeps only what to do next, per kind of application.

# What the customer should do next with a signature, per state.
NEXT_STEP = {
    DRAFT: ("检查无误后提交审核", "Submit it for review once the check passes"),
    SUBMITTED: ("等待平台审核", "Wait for the platform's review"),
    IN_REVIEW: ("审核中，无需操作", "Under review; nothing to do"),
    AWAITING_SECOND: ("等待第二位审核员复核，无需操作", "Waiting for a second reviewer; nothing to do"),
    CHANGES_REQUESTED: ("按审核意见修改后重新提交", "Change it as the reviewer asks, then submit again"),
    APPROVED: ("平台已通过，等待向运营商报备", "Approved by the platform; waiting to be filed with the carriers"),
    REJECTED: ("按原因重新申请新的签名", "Apply for a new signature, minding the reason"),
    WITHDRAWN: ("无", "Nothing"),
}

# What the customer should do next with a template, per state (a rejected template is rewritten, not
# replaced by a new signature).
TEMPLATE_NEXT_STEP = {
    DRAFT: ("检查无误后提交审核", "Submit it for review once the check passes"),
    SUBMITTED: ("等待平台审核", "Wait for the platform's review"),
    IN_REVIEW: ("审核中，无需操作", "Under review; nothing to do"),
    AWAITING_SECOND: ("等待第二位审核员复核，无需操作", "Waiting for a second reviewer; nothing to do"),
    CHANGES_REQUESTED: ("按审核意见修改模板内容后重新提交", "Change the text as the reviewer asks, then submit again"),
    APPROVED: ("平台已通过，等待向运营商报备；发送前请先测试发送",
               "Approved by the platform; waiting to be filed with the carriers. Test-send before use"),
    REJECTED: ("按原因修改内容，另建新的模板", "Write a new template, minding the reason"),
    WITHDRAWN: ("无", "Nothing"),
}  # fmt: skip

# What the customer should do next with an entity's qualification package, per state of its review.
PACKAGE_NEXT_STEP = {
    DRAFT: ("上传全部材料后提交资质审核", "Send the package for review once every document is there"),
    SUBMITTED: ("等待平台审核资质", "Wait for the platform's review"),
    IN_REVIEW: ("资质审核中，无需操作", "Under review; nothing to do"),
    AWAITING_SECOND: ("等待第二位审核员复核，无需操作", "Waiting for a second reviewer; nothing to do"),
    CHANGES_REQUESTED: (
        "按审核意见补正材料后重新提交",
        "Correct the documents as the reviewer asks, then send it again",
    ),
    APPROVED: ("资质已通过平台审核", "The package passed the platform's review"),
    REJECTED: ("按原因补正材料后重新提交", "Correct the documents as the reasons say, then send it again"),
    WITHDRAWN: ("无", "Nothing"),
}
