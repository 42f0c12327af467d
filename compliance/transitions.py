"""The life of a signature application: which state may follow which.

services compare-and-set the status and consult this table first; nothing else decides it.
"""

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
REJECTED = "rejected"
FILING = "filing"
ACTIVE = "active"
DORMANT = "dormant"
CLEARED = "cleared"
WITHDRAWN = "withdrawn"

SIGNATURE_TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({SUBMITTED, WITHDRAWN}),
    SUBMITTED: frozenset({IN_REVIEW, WITHDRAWN}),
    IN_REVIEW: frozenset({CHANGES_REQUESTED, APPROVED, REJECTED}),
    CHANGES_REQUESTED: frozenset({SUBMITTED, WITHDRAWN}),
    APPROVED: frozenset({FILING}),
    FILING: frozenset({ACTIVE}),
    ACTIVE: frozenset({DORMANT}),
    DORMANT: frozenset({ACTIVE, CLEARED}),
    REJECTED: frozenset(),
    CLEARED: frozenset(),
    WITHDRAWN: frozenset(),
}

# The states' names are the labels of signatures.models.Signature.Status (one name per state,
# through the translation catalogue); this package keeps only what to do next, per kind of thing.

# What the customer should do next with a signature, per state.
NEXT_STEP = {
    DRAFT: ("检查无误后提交审核", "Submit it for review once the check passes"),
    SUBMITTED: ("等待平台审核", "Wait for the platform's review"),
    IN_REVIEW: ("审核中，无需操作", "Under review; nothing to do"),
    CHANGES_REQUESTED: ("按审核意见修改后重新提交", "Change it as the reviewer asks, then submit again"),
    APPROVED: ("等待向运营商报备", "Waiting to be filed with the carriers"),
    REJECTED: ("按原因重新申请新的签名", "Apply for a new signature, minding the reason"),
    FILING: ("运营商报备通常需要 3–5 个工作日", "Carriers take 3-5 working days to file"),
    ACTIVE: ("可以发送；长期不用可能被运营商清理", "Ready to send; unused signatures may be cleared"),
    DORMANT: ("尽快发送以免被清理", "Send with it soon, or carriers may clear it"),
    CLEARED: ("需重新申请报备", "Apply and file it again"),
    WITHDRAWN: ("无", "Nothing"),
}

# What the customer should do next with a template, per state (a rejected template is rewritten, not
# replaced by a new signature).
TEMPLATE_NEXT_STEP = {
    DRAFT: ("检查无误后提交审核", "Submit it for review once the check passes"),
    SUBMITTED: ("等待平台审核", "Wait for the platform's review"),
    IN_REVIEW: ("审核中，无需操作", "Under review; nothing to do"),
    CHANGES_REQUESTED: ("按审核意见修改后重新提交", "Change it as the reviewer asks, then submit again"),
    APPROVED: ("等待向运营商报备", "Waiting to be filed with the carriers"),
    REJECTED: ("按原因修改内容，另建新的模板", "Write a new template, minding the reason"),
    FILING: ("运营商报备通常需要 3–5 个工作日", "Carriers take 3-5 working days to file"),
    ACTIVE: ("可以使用；请先测试发送，运营商执行为准", "In use; test-send first, the carriers' execution is final"),
    DORMANT: ("尽快使用以免被清理", "Send with it soon, or carriers may clear it"),
    CLEARED: ("运营商已清理，请另建新的模板重新报备", "Cleared by the carriers: write it again as a new template"),
    WITHDRAWN: ("无", "Nothing"),
}


def can_transition(current: str, target: str) -> bool:
    return target in SIGNATURE_TRANSITIONS.get(current, frozenset())
