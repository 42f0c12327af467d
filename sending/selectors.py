"""Reads of the sending statistics and the daily run's flags, for the signature page and the desk: each a
fixed number of queries, whatever the statistics hold."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from compliance import activity as rules
from compliance import carriers

from .models import ActivityFlag, SendingStat

CHART_DAYS = 90  # the signature page's chart: the last 90 days with statistics (to yesterday, or today)
FLAG_LIST_SIZE = 50  # the desk's list of flags; its count says how many in all


def stats_rows(*, organization, signature_id: int | None = None, carrier: str | None = None,
               day_from: dt.date | None = None, day_to: dt.date | None = None) -> QuerySet[SendingStat]:  # fmt: skip
    """The organization's statistics as a query (the API pages it), each with its signature and who imported it;
    narrowed to one signature, one carrier, days from and to (both included) when given."""
    rows = SendingStat.objects.filter(organization=organization).select_related("signature", "imported_by")
    if signature_id is not None:
        rows = rows.filter(signature_id=signature_id)
    if carrier:
        rows = rows.filter(carrier=carrier)
    if day_from is not None:
        rows = rows.filter(day__gte=day_from)
    if day_to is not None:
        rows = rows.filter(day__lte=day_to)
    return rows


@dataclass(frozen=True)
class ShownFlag:
    flag: str
    name: str
    todo: str
    facts: str
    raised_on: dt.date


def _shown(flag: ActivityFlag, filing_state: str, today: dt.date, chinese: bool) -> ShownFlag:
    pick = 0 if chinese else 1
    seen = rules.facts(
        flag.flag, days_quiet=(today - flag.since).days, last_delivered=flag.last_delivered, sent=flag.sent_recent,
        failed=flag.failed_recent, others_sent=flag.others_sent_recent, others_failed=flag.others_failed_recent,
    )  # fmt: skip
    return ShownFlag(flag=flag.flag, name=rules.FLAG_NAMES[flag.flag][pick], todo=rules.todo(flag.flag,
                     filing_state)[pick], facts=seen[pick], raised_on=flag.raised_on)  # fmt: skip


@dataclass
class CarrierActivity:
    carrier: str
    name: str
    delivered: int = 0  # in the chart's days
    last_delivered: dt.date | None = None  # within the chart's days, else the open flag's
    flags: list[ShownFlag] = field(default_factory=list)


def signature_activity(*, signature, filing_states: dict[str, str], chinese: bool,
                       today: dt.date | None = None) -> tuple[list[CarrierActivity], dict]:  # fmt: skip
    """Each carrier's delivered messages a day over the last CHART_DAYS days (the chart's data) and its
    open flags with what to do: two queries. ``filing_states``: carrier → the signature's filing state."""
    today = today or timezone.localdate()
    stats = SendingStat.objects.filter(signature=signature, day__gte=today - dt.timedelta(days=CHART_DAYS),
                                       day__lte=today)  # fmt: skip
    rows = list(stats.order_by().values_list("carrier", "day", "delivered"))
    # A day's statistics come in the morning after it: until today's are in, the chart ends yesterday (a
    # last day of zeros would read as sending that stopped).
    end = today if any(day == today for _c, day, _d in rows) else today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=CHART_DAYS - 1)
    days = [start + dt.timedelta(days=n) for n in range(CHART_DAYS)]
    index = {day: n for n, day in enumerate(days)}
    series = {code: [0] * CHART_DAYS for code in carriers.CODES}
    shown = {c.code: CarrierActivity(carrier=c.code, name=c.name(chinese)) for c in carriers.CARRIERS}
    for carrier, day, delivered in rows:
        if carrier not in series or day not in index:
            continue
        series[carrier][index[day]] += delivered
        one = shown[carrier]
        one.delivered += delivered
        if delivered and (one.last_delivered is None or day > one.last_delivered):
            one.last_delivered = day
    for flag in ActivityFlag.objects.filter(signature=signature, cleared_on__isnull=True).order_by("pk"):
        one = shown.get(flag.carrier)
        if one is None:
            continue
        one.flags.append(_shown(flag, filing_states.get(flag.carrier, ""), today, chinese))
        if one.last_delivered is None:
            one.last_delivered = flag.last_delivered
    for one in shown.values():
        one.flags.sort(key=lambda f: rules.FLAGS.index(f.flag))
    chart = {
        "days": [f"{day:%m-%d}" for day in days],
        "series": [{"code": c.code, "name": c.name(chinese), "data": series[c.code]} for c in carriers.CARRIERS],
        "unit": "条/天" if chinese else "a day",
    }
    return list(shown.values()), chart


@dataclass(frozen=True)
class FlagRow:
    """One open flag, as the account manager's desk lists it."""

    pk: int
    organization: str
    signature_id: int
    label: str
    carrier: str
    carrier_name: str
    flag: str
    flag_name: str
    days_quiet: int
    last_delivered: dt.date | None
    raised_on: dt.date

    @property
    def url(self) -> str:
        return reverse("admin:signatures_signature_change", args=[self.signature_id])


# The desk's order: the most urgent flag first, then the longest without a delivery.
_URGENCY = Case(*(When(flag=flag, then=Value(n)) for n, flag in enumerate(rules.FLAGS)), output_field=IntegerField())


def open_flags(*, organizations, chinese: bool, today: dt.date | None = None,
               limit: int = FLAG_LIST_SIZE) -> tuple[int, list[FlagRow]]:  # fmt: skip
    """How many flags are open for ``organizations``, and the first ``limit``: two queries."""
    today = today or timezone.localdate()
    found = ActivityFlag.objects.filter(cleared_on__isnull=True, organization__in=organizations)
    rows = (found.annotate(urgency=_URGENCY).order_by("urgency", "since", "pk")
            .values_list("pk", "organization__name", "signature_id", "signature__text", "carrier", "flag", "since",
                         "last_delivered", "raised_on")[:limit])  # fmt: skip
    pick = 0 if chinese else 1
    items = [
        FlagRow(pk=pk, organization=org, signature_id=sig, label=f"【{text}】", carrier=carrier,
                carrier_name=carriers.BY_CODE[carrier].name(chinese), flag=flag,
                flag_name=rules.FLAG_NAMES[flag][pick], days_quiet=(today - since).days,
                last_delivered=last, raised_on=raised)
        for pk, org, sig, text, carrier, flag, since, last, raised in rows
    ]  # fmt: skip
    return found.count(), items
