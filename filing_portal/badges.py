"""One colour per state, wherever a state is shown (lists, detail pages, the dashboard): the Bootstrap
class of a state's badge, keyed by the models' state values (signatures, templates, entities).
Used through the state_badge macro of jinja2/_macros.html; docs/architecture.md, "State badges"."""

# Grey: nothing is happening (not sent yet, or over by the customer's choice); blue: with the platform
# (approved: lighter, the carriers' filing comes next); amber: the customer's move; green: an entity in
# use; red: refused.
STATE_BADGE_CLASS = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "in_review": "text-bg-primary",
    "awaiting_second": "text-bg-primary",
    "approved": "text-bg-info",
    "changes_requested": "text-bg-warning",
    "incomplete": "text-bg-warning",  # an active entity whose documents are not all there
    "active": "text-bg-success",
    "rejected": "text-bg-danger",
    "withdrawn": "text-bg-light border",
    "closed": "text-bg-light border",
}
UNKNOWN = "text-bg-secondary"


def state_badge_class(state) -> str:
    """The badge class of a state value ("active" -> "text-bg-success"); grey for one not listed."""
    return STATE_BADGE_CLASS.get(str(state or ""), UNKNOWN)
