"""The daily run (docs/notices.md, "The daily run and its flags"): each signature's activity at each carrier
from its sending statistics, the flags it raises and ends (compliance/activity.py), and the warnings of
the same morning: filings past their window, documents and letters about to expire, and the ID-image
retention purge. Called by the beat task (sending.tasks.daily_activity_run) and `manage.py activity_run`.

Once only: a flag is one row while it is open (a unique constraint), and each notice has a key that the
notices hold once per audience (notices.services.notify). The flags of an organization and their notices
are written in one transaction, so a run that stops halfway leaves no flag untold and no notice without
its flag; running again (the same day or after a crash) writes only what is missing.
"""

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Organization
from compliance import activity as rules
from compliance import carriers
from filings.models import Filing
from notices.models import Notice
from notices.services import Text, notify
from policies.timeline import current_policy
from signatures.models import Signature

from .models import ActivityFlag, SendingStat

EXPIRING_DAYS = 30  # documents and letters: told this many days ahead (the desk lists 60)
_WHY = Text(
    "运营商会清理长期未使用或发送很少的签名，且不事先通知；清理后该运营商的发送会失败（通知 2025.3.27、2026.4.23）。",
    "Carriers clear signatures that go unused or are sent rarely, and tell nobody in advance; messages through "
    "that carrier then fail (notices 2025.3.27 and 2026.4.23).",
)


@dataclass
class RunReport:
    day: dt.date
    watched: int = 0  # signature filings looked at (filed or with the carrier)
    raised: Counter = field(default_factory=Counter)  # flag → how many raised
    ended: Counter = field(default_factory=Counter)  # end reason → how many ended
    notices: Counter = field(default_factory=Counter)  # kind → notices written (organizations and staff)
    purged: int = 0

    def lines(self) -> list[str]:
        raised = ", ".join(f"{flag} {self.raised[flag]}" for flag in rules.FLAGS)
        ended = ", ".join(f"{reason} {self.ended[reason]}" for reason in ActivityFlag.End.values)
        notices = ", ".join(f"{kind} {self.notices[kind]}" for kind in (Notice.Kind.ACTIVITY,
                            Notice.Kind.FILING_OVERDUE, Notice.Kind.EXPIRING))  # fmt: skip
        return [f"day: {self.day:%Y-%m-%d}", f"filings watched: {self.watched}", f"flags raised: {raised}",
                f"flags ended: {ended}", f"notices written: {notices}", f"ID images purged: {self.purged}"]  # fmt: skip


def daily_run(*, today: dt.date | None = None) -> RunReport:
    """Everything the morning run does, for ``today`` (default: today in Asia/Shanghai)."""
    from qualifications.services import purge_due_id_images

    today = today or timezone.localdate()
    report = RunReport(day=today)
    flag_activity(today=today, report=report)
    notify_overdue(today=today, report=report)
    notify_expiring(today=today, report=report)
    report.purged = purge_due_id_images()
    return report


# --- the flags -------------------------------------------------------------------------------------------


def figures(today: dt.date) -> dict[tuple[int, str], tuple[dt.date | None, int, int]]:
    """(signature, carrier) → (the last day with a delivered message, sent and failed in the last
    RECENT_DAYS days), up to ``today``: one aggregate query over the statistics."""
    start = today - dt.timedelta(days=rules.RECENT_DAYS - 1)
    recent = Q(day__gte=start)
    rows = (
        SendingStat.objects.filter(day__lte=today)
        .order_by()
        .values("signature_id", "carrier")
        .annotate(
            last=Max("day", filter=Q(delivered__gt=0)),
            sent_recent=Sum("sent", filter=recent),
            failed_recent=Sum("failed", filter=recent),
        )  # fmt: skip
        .values_list("signature_id", "carrier", "last", "sent_recent", "failed_recent")
    )
    return {(sig, carrier): (last, sent or 0, failed or 0) for sig, carrier, last, sent, failed in rows}


@dataclass(frozen=True)
class _Seen:
    organization_id: int
    signature_id: int
    carrier: str
    filing_state: str
    since: dt.date
    last_delivered: dt.date | None
    activity: rules.Activity


def _watched(today: dt.date, found: dict) -> list[_Seen]:
    """Each signature filing filed or with the carrier, with its activity on ``today``. Only organizations
    that have sent statistics at least once are watched: without any, "no delivery" means nothing (most
    customers upload them; one that never does would otherwise be told every signature is dormant)."""
    reporting = SendingStat.objects.filter(organization_id=OuterRef("organization_id"))
    filings = Filing.objects.filter(Exists(reporting), signature__isnull=False, status__in=rules.WATCHED_STATES)
    filings = filings.values_list(
        "organization_id", "signature_id", "carrier", "status", "filed_at", "submitted_at", "created_at"
    )
    seen = []
    for org_id, sig_id, carrier, status, filed_at, submitted_at, created_at in filings.iterator(chunk_size=5000):
        last, sent, failed = found.get((sig_id, carrier), (None, 0, 0))
        # The clock of a carrier's clearance starts at its filing: a delivery before a re-filing does not count.
        filed_on = timezone.localdate(filed_at or submitted_at or created_at)
        since, last_delivered = (last, last) if last is not None and last >= filed_on else (filed_on, None)
        others = [found.get((sig_id, code), (None, 0, 0)) for code in carriers.CODES if code != carrier]
        activity = rules.Activity(
            filing_state=status, days_quiet=(today - since).days, sent=sent, failed=failed,
            others_sent=sum(o[1] for o in others), others_failed=sum(o[2] for o in others),
        )  # fmt: skip
        seen.append(_Seen(org_id, sig_id, carrier, status, since, last_delivered, activity))
    return seen


def flag_activity(*, today: dt.date, report: RunReport) -> None:
    """Raise the flags that now hold and end those that no longer do; tell each raised one."""
    limits = {code: rules.Thresholds.of(current_policy(today, code)) for code in carriers.CODES}
    seen = _watched(today, figures(today))
    report.watched = len(seen)
    open_flags: dict[tuple[int, str], dict[str, tuple]] = defaultdict(dict)
    for pk, org_id, sig_id, carrier, flag, since in ActivityFlag.objects.filter(cleared_on__isnull=True).values_list(
        "pk", "organization_id", "signature_id", "carrier", "flag", "since"
    ):
        open_flags[(sig_id, carrier)][flag] = (pk, org_id, since)

    to_raise: dict[int, list[tuple[_Seen, str]]] = defaultdict(list)  # organization → (seen, flag)
    to_end: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))  # organization → reason → pks
    moved: list[tuple[int, dt.date, dt.date | None]] = []  # open flags whose quiet spell now counts from elsewhere
    for one in seen:
        held = open_flags.pop((one.signature_id, one.carrier), {})
        now = rules.assess(one.activity, limits[one.carrier], open_flags=frozenset(held))
        for flag in now - set(held):
            to_raise[one.organization_id].append((one, flag))
        for flag, (pk, org_id, since) in held.items():
            if flag not in now:
                escalated = flag == rules.DORMANT and rules.AT_RISK in now
                to_end[org_id][ActivityFlag.End.ESCALATED if escalated else ActivityFlag.End.RESUMED].append(pk)
            elif since != one.since:  # statistics that came in late moved the last delivery
                moved.append((pk, one.since, one.last_delivered))
    for held in open_flags.values():  # the filing is no longer filed or with the carrier
        for pk, org_id, _since in held.values():
            to_end[org_id][ActivityFlag.End.FILING_LEFT].append(pk)
    for pk, since, last_delivered in moved:
        ActivityFlag.objects.filter(pk=pk).update(since=since, last_delivered=last_delivered)

    organizations = Organization.objects.in_bulk(set(to_raise) | set(to_end))
    managers = _managers(organizations.values())
    raised_ids = {one.signature_id for rows in to_raise.values() for one, _flag in rows}
    texts = dict(Signature.objects.filter(pk__in=raised_ids).values_list("pk", "text"))
    for org_id in sorted(organizations):
        with transaction.atomic():
            for reason, pks in to_end.get(org_id, {}).items():
                report.ended[reason] += ActivityFlag.objects.filter(pk__in=pks, cleared_on__isnull=True).update(
                    cleared_on=today, end_reason=reason
                )
            rows = to_raise.get(org_id, [])
            if not rows:
                continue
            ActivityFlag.objects.bulk_create(
                [ActivityFlag(organization_id=org_id, signature_id=one.signature_id, carrier=one.carrier, flag=flag,
                              raised_on=today, since=one.since, last_delivered=one.last_delivered,
                              sent_recent=one.activity.sent, failed_recent=one.activity.failed,
                              others_sent_recent=one.activity.others_sent,
                              others_failed_recent=one.activity.others_failed)
                 for one, flag in rows],
                ignore_conflicts=True,  # another run raised it meanwhile: it tells it too, once (the key)
            )  # fmt: skip
            for _one, flag in rows:
                report.raised[flag] += 1
            told = _tell_flags(organizations[org_id], managers.get(org_id), rows, texts, limits, today)
            report.notices[Notice.Kind.ACTIVITY] += told


def _managers(organizations) -> dict:
    from accounts.models import User

    ids = {org.account_manager_id for org in organizations if org.account_manager_id}
    people = User.objects.in_bulk(ids) if ids else {}
    return {org.pk: people[org.account_manager_id] for org in organizations if org.account_manager_id in people}


def _carrier_names(code: str) -> tuple[str, str]:
    carrier = carriers.BY_CODE[code]
    return carrier.name_zh, carrier.name_en


def _flag_entry(one: _Seen, flag: str, text: str, limits: rules.Thresholds, today: dt.date) -> dict:
    """One raised flag as the notices tell it: its subject line, what was seen, what to do, its data."""
    carrier_zh, carrier_en = _carrier_names(one.carrier)
    name_zh, name_en = rules.FLAG_NAMES[flag]
    seen_zh, seen_en = rules.facts(
        flag, days_quiet=one.activity.days_quiet, last_delivered=one.last_delivered, sent=one.activity.sent,
        failed=one.activity.failed, others_sent=one.activity.others_sent, others_failed=one.activity.others_failed,
    )  # fmt: skip
    todo_zh, todo_en = rules.todo(flag, one.filing_state)
    # Dormant: the day it will be at risk, if nothing is delivered meanwhile.
    deadline = one.since + dt.timedelta(days=limits.at_risk_days) if flag == rules.DORMANT else None
    return {
        "subject": Text(f"签名【{text}】在{carrier_zh}：{name_zh}",
                        f"Signature 【{text}】 at {carrier_en}: {name_en.lower()}"),  # fmt: skip
        "seen": Text(seen_zh, seen_en), "todo": Text(todo_zh, todo_en), "deadline": deadline,
        "alarm": flag != rules.DORMANT, "signature_id": one.signature_id, "carrier": one.carrier,
        "label": f"【{text}】", "episode": f"{one.signature_id}:{one.carrier}:{flag}:{one.since:%Y-%m-%d}",
        "data": {
            "signature": {"id": str(one.signature_id), "text": text},
            "carrier": one.carrier, "flag": flag, "raised_on": today.isoformat(), "since": one.since.isoformat(),
            "last_delivered": one.last_delivered.isoformat() if one.last_delivered else None,
            "days_without_delivery": one.activity.days_quiet,
            "recent": {"days": rules.RECENT_DAYS, "sent": one.activity.sent, "failed": one.activity.failed,
                       "others_sent": one.activity.others_sent, "others_failed": one.activity.others_failed},
        },
    }  # fmt: skip


def _tell_flags(organization, manager, rows, texts: dict, limits: dict, today: dt.date) -> int:
    """The flags raised for one organization in this run, in ONE notice to it and the same to its account
    manager (a customer with twenty quiet signatures gets one e-mail, not sixty): how many were written.
    The key is made of the flags' episodes (signature, carrier, flag, since), so a re-run writes nothing
    and a later relapse, which starts a new episode, is told again."""
    entries = [_flag_entry(one, flag, texts[one.signature_id], limits[one.carrier], today) for one, flag in rows]
    entries.sort(key=lambda e: (not e["alarm"], e["label"], e["carrier"]))
    episodes = "|".join(sorted(e["episode"] for e in entries))
    key = f"activity:{hashlib.sha256(episodes.encode()).hexdigest()[:40]}"
    if len(entries) == 1:
        [only] = entries
        subject = only["subject"]
        body = Text(f"{only['seen'].zh}。{only['todo'].zh}。\n\n{_WHY.zh}",
                    f"{only['seen'].en}. {only['todo'].en}.\n\n{_WHY.en}")  # fmt: skip
    else:
        subject = Text(f"签名发送情况提醒：{len(entries)} 项需要关注",
                       f"Sending warnings on your signatures: {len(entries)} to look at")  # fmt: skip
        body = _WHY
    deadlines = [e["deadline"] for e in entries if e["deadline"]]
    common = {"kind": Notice.Kind.ACTIVITY, "key": key, "body": body,
              "severity": Notice.Severity.ALARM if any(e["alarm"] for e in entries) else Notice.Severity.WARNING,
              "deadline": min(deadlines) if deadlines else None, "event_type": "signature.activity_flagged",
              "data": {"raised_on": today.isoformat(), "flags": [e["data"] for e in entries]},
              "ref": f"activity:{today:%Y-%m-%d}"}  # fmt: skip

    def items(page):
        return [{"label": e["label"], "url": page(e["signature_id"]), "codes": [], "carrier": e["carrier"],
                 "reason_zh": f"{e['subject'].zh}。{e['seen'].zh}；{e['todo'].zh}",
                 "reason_en": f"{e['subject'].en}. {e['seen'].en}; {e['todo'].en}"} for e in entries]  # fmt: skip

    told = 0
    customer_items = items(lambda pk: reverse("org:signature-detail", args=[organization.pk, pk]))
    told += notify(organization=organization, subject=subject, items=customer_items, **common) is not None
    if manager is not None:
        to_staff = Text(f"{organization.name}：{subject.zh}", f"{organization.name}: {subject.en}")
        staff_items = items(lambda pk: reverse("admin:signatures_signature_change", args=[pk]))
        told += notify(user=manager, subject=to_staff, items=staff_items, **common) is not None
    return told


# --- filings past their window, documents about to expire -----------------------------------------------------


@dataclass
class _Told:
    """One notice to an organization, and its line in the account manager's digest."""

    organization: Organization
    key: str
    subject: Text
    body: Text
    item: dict  # for the organization
    staff_item: dict  # for the account manager's digest
    data: dict
    deadline: dt.date | None = None


def _tell(entries: list[_Told], *, kind: str, event_type: str, digest: str, digest_subject, report: RunReport) -> None:
    """Each entry to its organization, once (its key); then one digest to each account manager of what
    was new to their organizations in this run, in the same transaction. A re-run finds nothing new and
    sends no digest; the digest's key is made of the keys it lists."""
    by_manager: dict[int | None, list[_Told]] = defaultdict(list)
    for entry in entries:
        by_manager[entry.organization.account_manager_id].append(entry)
    managers = _managers({e.organization for e in entries})
    for manager_id, group in by_manager.items():
        # Without a manager, each organization on its own: one transaction each.
        batches = [group] if manager_id else [[e for e in group if e.organization.pk == o]
                                             for o in dict.fromkeys(e.organization.pk for e in group)]  # fmt: skip
        for batch in batches:
            with transaction.atomic():
                new = [
                    e for e in batch
                    if notify(organization=e.organization, kind=kind, key=e.key, subject=e.subject, body=e.body,
                              items=[e.item], severity=Notice.Severity.WARNING, deadline=e.deadline,
                              event_type=event_type, data=e.data) is not None
                ]  # fmt: skip
                report.notices[kind] += len(new)
                manager = managers.get(batch[0].organization.pk)
                if manager is None or not new:
                    continue
                keys = "|".join(sorted(f"{e.organization.pk}:{e.key}" for e in new))
                subject = digest_subject(len(new))
                written = notify(
                    user=manager, kind=kind, key=f"{digest}:{hashlib.sha256(keys.encode()).hexdigest()[:32]}",
                    subject=subject, items=[e.staff_item for e in new], severity=Notice.Severity.WARNING,
                    event_type=event_type, data={"count": len(new)}, email=True,
                )  # fmt: skip
                report.notices[kind] += written is not None


def _application_pages(organization_id, signature_id, template_id) -> tuple[str, str]:
    """The customer's page of a filing's application, and the staff's."""
    if template_id:
        return (reverse("org:template-detail", args=[organization_id, template_id]),
                reverse("admin:templates_app_smstemplate_change", args=[template_id]))  # fmt: skip
    return (reverse("org:signature-detail", args=[organization_id, signature_id]),
            reverse("admin:signatures_signature_change", args=[signature_id]))  # fmt: skip


def notify_overdue(*, today: dt.date, report: RunReport) -> None:
    """Each filing submitted and past its window's last working day, told once per filing and window
    (desk.selectors.overdue_filings: compliance.filings.is_overdue as a query)."""
    from desk.selectors import overdue_filings

    with translation.override("zh-hans"):
        _count, items = overdue_filings(organizations=Organization.objects.all(), today=today, limit=None)
    if not items:
        return
    organizations = Organization.objects.in_bulk({i.organization_id for i in items})
    entries = []
    for item in items:
        carrier_zh, carrier_en = _carrier_names(item.carrier_code)
        page, staff_page = _application_pages(item.organization_id, item.signature_id, item.template_id)
        due = f"{item.due_by:%Y-%m-%d}"
        late_zh, late_en = f"已超期 {item.days_late} 个工作日", f"{item.days_late} working days late"
        entries.append(_Told(
            organization=organizations[item.organization_id],
            key=f"filing-overdue:{item.pk}:{due}",
            subject=Text(f"{item.application}在{carrier_zh}的报备已超期",
                         f"{item.application} at {carrier_en}: past its filing window"),
            body=Text(
                f"{item.application}已提交{carrier_zh}报备，预计 {due} 前完成，至今没有结果（{late_zh}）。"
                "运营商不提供查询结果的途径，平台正在跟进；运营商有时需要更久。在此之前，可先通过测试发送确认该运营商是否送达。",
                f"{item.application} was sent to {carrier_en} to be filed, expected by {due}, and no result has come "
                f"back ({late_en}). Carriers give no way to ask for the result; the platform is following it up, "
                "and carriers sometimes take longer. Meanwhile a test send shows whether that carrier delivers.",
            ),  # fmt: skip
            item={"label": item.application, "url": page, "codes": [], "carrier": item.carrier_code,
                  "reason_zh": f"预计 {due} 前完成；{late_zh}", "reason_en": f"expected by {due}; {late_en}"},
            staff_item={"label": f"{organizations[item.organization_id].name} · {item.application}", "url": staff_page,
                        "codes": [], "carrier": item.carrier_code, "reason_zh": f"预计 {due} 前完成；{late_zh}",
                        "reason_en": f"expected by {due}; {late_en}"},
            data={"filing": {"id": str(item.pk), "carrier": item.carrier_code, "due_by": item.due_by.isoformat(),
                             "working_days_late": item.days_late}},
        ))  # fmt: skip
    _tell(entries, kind=Notice.Kind.FILING_OVERDUE, event_type="filing.overdue", digest="filing-overdue-digest",
          digest_subject=lambda n: Text(f"您的客户有 {n} 项报备超期",
                                        f"{n} filings of your customers past their window"),
          report=report)  # fmt: skip


def notify_expiring(*, today: dt.date, report: RunReport) -> None:
    """Documents and letters expiring within EXPIRING_DAYS days, each with the signatures that depend on it
    (desk.selectors.expiring), told once per document and expiry date."""
    from desk.selectors import expiring

    everyone = Organization.objects.all()
    named = {}
    for language in ("zh-hans", "en"):  # the names of the documents, in both languages
        with translation.override(language):
            named[language] = expiring(organizations=everyone, today=today, days=EXPIRING_DAYS, limit=None)
    if not named["zh-hans"]:
        return
    english = {(e.ref, e.valid_until): e for e in named["en"]}
    organizations = Organization.objects.in_bulk({e.organization_id for e in named["zh-hans"]})
    entries = []
    for zh in named["zh-hans"]:
        en = english.get((zh.ref, zh.valid_until), zh)
        organization = organizations[zh.organization_id]
        until = f"{zh.valid_until:%Y-%m-%d}"
        names = " ".join(zh.signatures) + (f" 等 {len(zh.signatures) + zh.more} 个" if zh.more else "")
        names_en = " ".join(zh.signatures) + (f" and {zh.more} more" if zh.more else "")
        depends_zh = f"依赖它的签名：{names}。" if zh.signatures else "目前没有签名依赖它。"
        depends_en = f"Signatures depending on it: {names_en}." if zh.signatures else "No signature depends on it now."
        entries.append(_Told(
            organization=organization,
            key=f"expiring:{zh.ref}:{until}",
            subject=Text(f"{zh.owner}的{zh.what}将于 {until} 到期", f"{en.what} of {zh.owner} expires on {until}"),
            body=Text(f"{zh.owner}的{zh.what}将于 {until} 到期（还剩 {zh.days_left} 天）。{depends_zh}"
                      "请在到期前上传新的证件或文件，以免这些签名无法报备或被要求重新报备。",
                      f"{en.what} of {zh.owner} expires on {until} ({zh.days_left} days left). {depends_en} Upload "
                      "the new document before then, so that these signatures can still be filed."),  # fmt: skip
            item={"label": f"{zh.owner} · {zh.what}", "label_en": f"{zh.owner} · {en.what}",
                  "url": reverse("org:entity-detail",
                                                                    args=[organization.pk, zh.entity_id]),
                  "codes": [], "carrier": "", "reason_zh": f"{until} 到期；{depends_zh}",
                  "reason_en": f"expires on {until}; {depends_en}"},
            staff_item={"label": f"{organization.name} · {zh.owner} · {zh.what}",
                        "url": reverse("admin:qualifications_entity_change", args=[zh.entity_id]), "codes": [],
                        "carrier": "", "reason_zh": f"{until} 到期；{depends_zh}",
                        "reason_en": f"expires on {until}; {depends_en}"},
            data={"document": {"ref": zh.ref, "valid_until": zh.valid_until.isoformat(),
                               "signatures": zh.signatures, "more_signatures": zh.more}},
            deadline=zh.valid_until,
        ))  # fmt: skip
    _tell(entries, kind=Notice.Kind.EXPIRING, event_type="qualification.expiring", digest="expiring-digest",
          digest_subject=lambda n: Text(f"您的客户有 {n} 份证件或文件即将到期",
                                        f"{n} documents or letters of your customers expire soon"),
          report=report)  # fmt: skip
