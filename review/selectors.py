"""Reads of the review, as the customer's pages show them: the decision an application is under,
each reason on the field or document it concerns, and the timeline in the reader's language."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import reasons as catalogue
from compliance import transitions as t
from filing_portal.workflow import state_label

# The columns every timeline reads (signatures.selectors, templates_app.views), in this order.
EVENT_COLUMNS = ("at", "action", "from_status", "to_status", "reason_codes", "reason", "actor_role", "actor__email")
DECISIONS = (t.REQUEST_CHANGES, t.REJECT)


# What a reason concerns, named as the customer's pages name it.
WHERE = {
    catalogue.TEXT: gettext_lazy("Text"),
    catalogue.SOURCE: gettext_lazy("Source"),
    catalogue.KIND: gettext_lazy("Kind"),
    catalogue.SIGNATURE_FIELD: gettext_lazy("Signature"),
    catalogue.ENTITY_FIELD: gettext_lazy("Entity"),
    catalogue.TRADEMARK: gettext_lazy("Registered trademark"),
    catalogue.APP: gettext_lazy("ICP-filed app"),
    catalogue.PARTNER_AUTHORIZATION: gettext_lazy("Partner authorization"),
    catalogue.PARTNER_LETTER: gettext_lazy("Partner's authorization letter"),
    catalogue.ENTITY_CERTIFICATE: gettext_lazy("Entity certificate"),
    catalogue.INDUSTRY_PERMIT: gettext_lazy("Industry permit"),
    catalogue.ID_CARD: gettext_lazy("ID card"),
    catalogue.AGENT_AUTHORIZATION: gettext_lazy("Agent's authorization letter"),
    catalogue.NAME: gettext_lazy("Full registered name"),
    catalogue.USCC: gettext_lazy("Unified social credit code"),
    catalogue.LEGAL_REP: gettext_lazy("Legal representative"),
    catalogue.LICENCE_VALIDITY: gettext_lazy("Licence validity"),
    catalogue.CARRIER_FIELD: gettext_lazy("Carrier"),
}


@dataclass(frozen=True)
class ShownReason:
    code: str
    title: str
    todo: str
    concerns: str  # a field name, or "document:<kind>"

    @property
    def where(self) -> str:
        return str(WHERE.get(self.concerns, ""))


@dataclass(frozen=True)
class ShownDecision:
    action: str
    status: str
    at: object
    note: str
    reasons: list[ShownReason] = field(default_factory=list)

    def on(self, concerns: str) -> list[ShownReason]:
        """The reasons pinned to one field or document."""
        return [r for r in self.reasons if r.concerns == concerns]

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(r.concerns for r in self.reasons)


def shown_reasons(codes, *, chinese: bool) -> list[ShownReason]:
    """The catalogue's words for ``codes``, in the reader's language; an unknown code (a catalogue
    row since removed) is shown as its code."""
    shown = []
    for code in codes:
        found = catalogue.reason(code)
        if found is None:
            shown.append(ShownReason(code, code, "", ""))
        else:
            shown.append(ShownReason(code, found.title(chinese), found.todo(chinese), found.concerns))
    return shown


def current_decision(rows, *, status: str, chinese: bool) -> ShownDecision | None:
    """The reviewer's decision the application is under now (changes requested, rejected), from its
    timeline ``rows`` (EVENT_COLUMNS), or None."""
    for row in reversed(rows):
        event = dict(zip(EVENT_COLUMNS, row, strict=True))
        if event["action"] in DECISIONS and event["to_status"] == status:
            return ShownDecision(action=event["action"], status=status, at=event["at"], note=event["reason"],
                                 reasons=shown_reasons(event["reason_codes"], chinese=chinese))  # fmt: skip
        if event["to_status"] != status:
            return None
    return None


# Who made a move, as the customer reads it: the platform's staff are not named to customers.
def shown_actor(role: str, email: str | None) -> str:
    if role == t.REVIEWER:
        return _("Platform reviewer")
    if role == t.SYSTEM:
        return _("The platform (automatic)")
    return email or ""


def timeline(rows, *, chinese: bool, notes: dict | None = None) -> list[tuple]:
    """The timeline as the customer reads it: (at, from, to, detail, who). ``notes``: the system's
    markers to translate (e.g. warnings acknowledged). Claims and releases are the platform's own
    bookkeeping: they show as the state they lead to, without the reviewer's name."""
    shown = []
    for row in rows:
        event = dict(zip(EVENT_COLUMNS, row, strict=True))
        if event["from_status"] == event["to_status"]:  # a second reviewer's claim: no change for the customer
            continue
        note = (notes or {}).get(event["reason"], event["reason"])
        titles = [r.title for r in shown_reasons(event["reason_codes"], chinese=chinese)]
        detail = " · ".join(part for part in ("；".join(titles) if chinese else "; ".join(titles), note) if part)
        shown.append((
            event["at"], state_label(event["from_status"]) if event["from_status"] else "",
            state_label(event["to_status"]), detail, shown_actor(event["actor_role"], event["actor__email"]),
        ))  # fmt: skip
    return shown
