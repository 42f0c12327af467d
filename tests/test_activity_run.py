"""The daily run (issue 12, section 2): each signature's activity at each carrier from its sending statistics,
flags raised once and told once to the organization and its account manager, ended when deliveries resume,
raised and told again on a relapse; filings past their window and documents about to expire told once; the
ID-image purge; the command and the task; the signature page's chart and flags; the desk's list."""

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from compliance import activity as rules
from compliance import transitions as t
from filings import services as filing_services
from filings.models import Filing
from notices.models import Delivery, Notice
from qualifications.models import Document
from sending import selectors
from sending.activity import daily_run
from sending.models import ActivityFlag, SendingStat
from signatures import services as signature_services

from .conftest import make_staff, otp_login
from .factories import make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db

CARRIERS = ("mobile", "unicom", "telecom")


@pytest.fixture
def clerk(db):
    return make_staff("clerk@platform.cn", roles.FILING_CLERK)


@pytest.fixture
def today():
    return timezone.localdate()


TENCENT = {"name": "深圳市腾讯计算机系统有限公司", "uscc": "914403001922038216"}


def approved(org, owner, text="百度", **entity_fields):
    entity_fields = {"name": "北京百度网讯科技有限公司", "uscc": "91110000802100433B", **entity_fields}
    entity = complete_package(make_entity(organization=org, legal_rep_name="李四", **entity_fields))
    draft = signature_services.Draft(entity=entity, source="abbreviation", text=text)
    signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    return walk(signature, t.APPROVED)


def file_at(signature, clerk, *, days_ago=200, carriers=CARRIERS, record=True):
    """Through the filings' services: each carrier's batch submitted ``days_ago`` days ago, filed 3 days later."""
    when = timezone.now() - dt.timedelta(days=days_ago)
    for carrier in carriers:
        batch = filing_services.submit_batch(filing_services.open_batch(carrier=carrier, actor=clerk), actor=clerk,
                                             now=when)  # fmt: skip
        if record:
            filing = Filing.objects.get(batch=batch, signature=signature)
            filing_services.record_outcome(filing, filing_services.Outcome(filing.pk, t.FILED), actor=clerk,
                                           now=when + dt.timedelta(days=3))  # fmt: skip
    return signature


@pytest.fixture
def signature(org_a, owner_a, clerk, account_manager):
    return file_at(approved(org_a, owner_a), clerk)


def put(signature, carrier, days, today, *, sent=10, failed=0, delivered=None):
    """The statistics of ``days`` (days before ``today``) at ``carrier``, replacing what those days held."""
    rows = [today - dt.timedelta(days=d) for d in days]
    SendingStat.objects.filter(signature=signature, carrier=carrier, day__in=rows).delete()
    SendingStat.objects.bulk_create(
        SendingStat(organization_id=signature.organization_id, signature=signature, carrier=carrier, day=day,
                    sent=sent, failed=failed, delivered=sent - failed if delivered is None else delivered,
                    failures={"DB:0108": failed} if failed else {})
        for day in rows
    )  # fmt: skip


def stop_at_telecom(signature, today, *, last=151):
    """Every carrier delivers daily for 200 days, except Telecom, whose statistics stop ``last`` days ago."""
    for carrier in ("mobile", "unicom"):
        put(signature, carrier, range(1, 200), today)
    put(signature, "telecom", range(last, 200), today)


def open_flags(signature=None):
    rows = ActivityFlag.objects.filter(cleared_on__isnull=True)
    if signature is not None:
        rows = rows.filter(signature=signature)
    return sorted(rows.values_list("carrier", "flag"))


def activity_notices(**audience):
    return list(Notice.objects.filter(kind=Notice.Kind.ACTIVITY, **audience).order_by("pk"))


# --- the flags ----------------------------------------------------------------------------------------------


def test_statistics_that_stop_at_one_carrier_flag_it_at_risk_and_tell_the_customer_and_manager_once(
    signature, org_a, owner_a, account_manager, today
):
    stop_at_telecom(signature, today)
    report = daily_run(today=today)
    assert report.raised == {rules.AT_RISK: 1} and report.watched == 3
    assert open_flags(signature) == [("telecom", rules.AT_RISK)]
    flag = ActivityFlag.objects.get()
    assert (flag.since, flag.last_delivered, flag.raised_on) == (today - dt.timedelta(days=151),) * 2 + (today,)

    [notice] = activity_notices(organization=org_a)
    assert notice.key.startswith("activity:")
    assert notice.subject_zh == "签名【百度】在中国电信：有清理风险"
    assert notice.subject_en == "Signature 【百度】 at China Telecom: at risk"
    assert notice.severity == Notice.Severity.ALARM and notice.event_type == "signature.activity_flagged"
    assert "已 151 天没有送达" in notice.body_zh and "re-file" in notice.body_en
    [item] = notice.items
    assert item["carrier"] == "telecom"
    assert item["url"] == reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    [told] = notice.data["flags"]
    assert told["days_without_delivery"] == 151 and told["flag"] == rules.AT_RISK and told["carrier"] == "telecom"
    assert list(notice.deliveries.values_list("channel", "recipient")) == [(Delivery.Channel.EMAIL, owner_a.email)]
    [staff] = activity_notices(user=account_manager)
    assert staff.key == notice.key and staff.subject_zh == f"{org_a.name}：签名【百度】在中国电信：有清理风险"
    assert staff.items[0]["url"] == reverse("admin:signatures_signature_change", args=[signature.pk])

    again = daily_run(today=today)  # the same day again: nothing new
    assert again.raised == {} and sum(again.notices.values()) == 0
    assert len(activity_notices()) == 2 and ActivityFlag.objects.count() == 1


def test_a_dormant_signature_becomes_at_risk_and_is_told_each_time_in_one_notice_a_run(signature, org_a, today):
    for carrier in CARRIERS:
        put(signature, carrier, range(61, 100), today)
    daily_run(today=today)
    assert open_flags() == [(c, rules.DORMANT) for c in sorted(CARRIERS)]
    [dormant] = activity_notices(organization=org_a)  # three flags, one notice (and one e-mail a member)
    assert dormant.subject_zh == "签名发送情况提醒：3 项需要关注"
    assert sorted(item["carrier"] for item in dormant.items) == sorted(CARRIERS)
    assert "签名【百度】在中国电信：久未发送" in " ".join(item["reason_zh"] for item in dormant.items)
    assert dormant.severity == Notice.Severity.WARNING
    assert dormant.deadline == today - dt.timedelta(days=61) + dt.timedelta(days=150)  # the day it becomes at risk

    later = today + dt.timedelta(days=89)  # 150 days without a delivery
    report = daily_run(today=later)
    assert report.raised == {rules.AT_RISK: 3} and report.ended == {ActivityFlag.End.ESCALATED: 3}
    assert open_flags() == [(c, rules.AT_RISK) for c in sorted(CARRIERS)]
    told = [[f["flag"] for f in n.data["flags"]] for n in activity_notices(organization=org_a)]
    assert told == [[rules.DORMANT] * 3, [rules.AT_RISK] * 3]


def test_a_filed_signature_with_no_statistics_counts_from_its_filing(org_a, owner_a, clerk, account_manager, today):
    signature = file_at(approved(org_a, owner_a), clerk, days_ago=73)  # filed 70 days ago
    daily_run(today=today)
    assert open_flags(signature) == []  # an organization that never sent statistics is not watched
    put(signature, "mobile", [100], today)  # it sends them now: a day before the filing (which does not count)
    daily_run(today=today)
    assert open_flags(signature) == [(c, rules.DORMANT) for c in sorted(CARRIERS)]
    assert {f.since for f in ActivityFlag.objects.all()} == {today - dt.timedelta(days=70)}
    assert "报备后 70 天没有送达记录" in activity_notices(organization=org_a)[0].items[0]["reason_zh"]


def test_a_delivery_before_the_filing_does_not_count(signature, clerk, today):
    put(signature, "mobile", [300], today)  # delivered once, before it was filed (200 days ago)
    daily_run(today=today)
    assert ActivityFlag.objects.get(carrier="mobile").since == today - dt.timedelta(days=197)


def test_a_carrier_failing_far_more_than_the_others_is_a_spike_told_once_until_it_ends_and_relapses(
    signature, org_a, today
):
    for carrier in ("mobile", "unicom"):
        put(signature, carrier, range(0, 30), today, sent=100, failed=1)
    put(signature, "telecom", range(7, 30), today, sent=100, failed=1)
    put(signature, "telecom", range(0, 7), today, sent=100, failed=80)
    report = daily_run(today=today)
    assert report.raised == {rules.FAILURE_SPIKE: 1} and open_flags() == [("telecom", rules.FAILURE_SPIKE)]
    [notice] = activity_notices(organization=org_a)
    assert "近 7 天失败 80%" in notice.body_zh and "the other carriers 1%" in notice.body_en
    flag = ActivityFlag.objects.get()
    recent = (flag.sent_recent, flag.failed_recent, flag.others_sent_recent, flag.others_failed_recent)
    assert recent == (700, 560, 1400, 14)

    put(signature, "telecom", range(0, 7), today, sent=100, failed=30)  # better, not well: it holds
    assert daily_run(today=today).raised == {} and open_flags() == [("telecom", rules.FAILURE_SPIKE)]
    put(signature, "telecom", range(0, 7), today, sent=100, failed=2)  # delivering again: it ends
    report = daily_run(today=today)
    assert report.ended == {ActivityFlag.End.RESUMED: 1} and open_flags() == []
    assert ActivityFlag.objects.get().cleared_on == today

    tomorrow = today + dt.timedelta(days=1)  # a relapse: a new flag, told again
    put(signature, "telecom", range(-1, 6), today, sent=100, failed=90)
    for carrier in ("mobile", "unicom"):
        put(signature, carrier, [-1], today, sent=100, failed=1)
    assert daily_run(today=tomorrow).raised == {rules.FAILURE_SPIKE: 1}
    told = [n.data["raised_on"] for n in activity_notices(organization=org_a)]
    assert told == [f"{today}", f"{tomorrow}"]


def test_a_spike_where_the_carrier_has_not_filed_it_yet_says_to_wait(org_a, owner_a, clerk, account_manager, today):
    signature = approved(org_a, owner_a)
    file_at(signature, clerk, days_ago=2, carriers=("telecom",), record=False)  # with Telecom, not filed yet
    file_at(signature, clerk, days_ago=200, carriers=("mobile", "unicom"))
    for carrier in ("mobile", "unicom"):
        put(signature, carrier, range(0, 7), today, sent=50)
    put(signature, "telecom", range(0, 3), today, sent=50, failed=50, delivered=0)
    daily_run(today=today)
    assert open_flags() == [("telecom", rules.FAILURE_SPIKE)]
    assert rules.TODO_NOT_FILED_YET[0] in activity_notices(organization=org_a)[0].body_zh


def test_flags_end_when_deliveries_resume_or_the_filing_is_cleared(signature, org_a, clerk, today):
    stop_at_telecom(signature, today)
    put(signature, "mobile", range(70, 200), today)  # Mobile quiet for 70 days too: dormant
    SendingStat.objects.filter(signature=signature, carrier="mobile", day__gt=today - dt.timedelta(days=70)).delete()
    daily_run(today=today)
    assert open_flags() == [("mobile", rules.DORMANT), ("telecom", rules.AT_RISK)]

    put(signature, "telecom", [0], today)  # delivered today at Telecom
    mobile = Filing.objects.get(signature=signature, carrier="mobile")
    filing_services.record_outcome(mobile, filing_services.Outcome(mobile.pk, t.CLEARED, ("FIL_CLEARED_INACTIVE",)),
                                   actor=clerk)  # fmt: skip
    report = daily_run(today=today)
    assert report.ended == {ActivityFlag.End.RESUMED: 1, ActivityFlag.End.FILING_LEFT: 1} and report.raised == {}
    assert open_flags() == [] and len(activity_notices(organization=org_a)) == 1  # nothing told of the ends


def test_a_policy_admin_changes_the_thresholds_in_the_admin_under_their_own_heading(client, signature, today):
    from policies.models import Policy

    admin = make_staff("policy@platform.cn", roles.POLICY_ADMIN)
    assert otp_login(client, admin).status_code == 302
    html = client.get(reverse("admin:policies_policy_add")).content.decode()
    assert "签名在各运营商的发送情况" in html and "无送达多少天视为有清理风险" in html
    data = {"key": "telecom-activity", "effective": f"{today:%Y-%m-%d}", "carriers": ["telecom"],
            "notice": "2026.12.1", "summary_zh": "电信：80 天", "summary_en": "Telecom: 80 days",
            "activity_at_risk_days": "80", "activity_spike_percent": "60"}  # fmt: skip
    assert client.post(reverse("admin:policies_policy_add"), data).status_code == 302
    assert Policy.objects.get(key="telecom-activity").params == {"activity_at_risk_days": 80,
                                                                 "activity_spike_percent": 60}  # fmt: skip
    for carrier in CARRIERS:
        put(signature, carrier, range(90, 200), today)
    daily_run(today=today)
    assert open_flags() == [("mobile", rules.DORMANT), ("telecom", rules.AT_RISK), ("unicom", rules.DORMANT)]


def test_another_organization_s_signature_is_told_to_its_own_people_only(signature, org_a, org_b, owner_b, clerk,
                                                                         account_manager, today):  # fmt: skip
    theirs = file_at(approved(org_b, owner_b, "腾讯", **TENCENT), clerk)
    stop_at_telecom(theirs, today)
    for carrier in CARRIERS:
        put(signature, carrier, range(1, 200), today)
    daily_run(today=today)
    assert open_flags(theirs) == [("telecom", rules.AT_RISK)] and open_flags(signature) == []
    assert activity_notices(organization=org_a) == [] and activity_notices(user=account_manager) == []
    assert len(activity_notices(organization=org_b)) == 1  # org B has no account manager: no staff notice
    assert activity_notices(user__isnull=False) == []


# --- filings past their window, documents about to expire, the purge -----------------------------------------


def test_a_filing_past_its_window_is_told_once_to_the_customer_and_in_the_manager_s_digest(
    org_a, owner_a, clerk, account_manager, today
):
    signature = approved(org_a, owner_a)
    file_at(signature, clerk, days_ago=30, carriers=("telecom",), record=False)
    filing = Filing.objects.get(signature=signature, carrier="telecom")
    assert filing.status == t.SUBMITTED and filing.due_by < today
    report = daily_run(today=today)
    [notice] = Notice.objects.filter(kind=Notice.Kind.FILING_OVERDUE, organization=org_a)
    assert notice.key == f"filing-overdue:{filing.pk}:{filing.due_by:%Y-%m-%d}"
    assert notice.subject_zh == "【百度】在中国电信的报备已超期" and "working days late" in notice.body_en
    [digest] = Notice.objects.filter(kind=Notice.Kind.FILING_OVERDUE, user=account_manager)
    assert digest.subject_en == "1 filings of your customers past their window"
    assert digest.items[0]["label"] == f"{org_a.name} · 【百度】"
    assert report.notices[Notice.Kind.FILING_OVERDUE] == 2
    assert daily_run(today=today).notices[Notice.Kind.FILING_OVERDUE] == 0
    assert Notice.objects.filter(kind=Notice.Kind.FILING_OVERDUE).count() == 2


def test_documents_expiring_within_30_days_are_told_once_with_the_signatures_that_depend_on_them(
    org_a, owner_a, clerk, account_manager, today
):
    signature = approved(org_a, owner_a, licence_valid_until=today + dt.timedelta(days=10))
    file_at(signature, clerk)
    for carrier in CARRIERS:
        put(signature, carrier, range(1, 5), today)
    letter_far = Document.objects.filter(entity=signature.entity).first()
    Document.objects.filter(pk=letter_far.pk).update(valid_until=today + dt.timedelta(days=40))  # not yet
    daily_run(today=today)
    [notice] = Notice.objects.filter(kind=Notice.Kind.EXPIRING, organization=org_a)
    until = today + dt.timedelta(days=10)
    assert notice.key == f"expiring:entity:{signature.entity_id}:licence_valid_until:{until:%Y-%m-%d}"
    assert notice.subject_zh == f"北京百度网讯科技有限公司的营业执照将于 {until:%Y-%m-%d} 到期"
    assert notice.subject_en == f"Business licence of 北京百度网讯科技有限公司 expires on {until:%Y-%m-%d}"
    assert "依赖它的签名：【百度】" in notice.body_zh and notice.deadline == until
    assert notice.items[0]["url"] == reverse("org:entity-detail", args=[org_a.pk, signature.entity_id])
    [digest] = Notice.objects.filter(kind=Notice.Kind.EXPIRING, user=account_manager)
    assert len(digest.items) == 1 and "【百度】" in digest.items[0]["reason_zh"]
    daily_run(today=today)
    assert Notice.objects.filter(kind=Notice.Kind.EXPIRING).count() == 2


def test_the_run_purges_id_images_past_retention(org_b, today):
    entity = make_entity(organization=org_b, name="深圳市腾讯计算机系统有限公司", uscc="914403001922038216",
                         legal_rep_name="马")  # fmt: skip
    image = Document.objects.create(entity=entity, kind="legal_rep_id_front", content_type="image/jpeg",
                                    sha256="0" * 64, purge_after=timezone.now() - dt.timedelta(hours=1))  # fmt: skip
    assert daily_run(today=today).purged == 1
    image.refresh_from_db()
    assert image.purged_at is not None
    assert daily_run(today=today).purged == 0


# --- the command and the task ----------------------------------------------------------------------------------


def test_the_command_runs_for_a_day_and_prints_the_counts(signature, today):
    stop_at_telecom(signature, today)
    out = StringIO()
    call_command("activity_run", "--date", f"{today:%Y-%m-%d}", stdout=out)
    text = out.getvalue()
    assert f"day: {today:%Y-%m-%d}" in text and "flags raised: at_risk 1, failure_spike 0, dormant 0" in text
    assert "notices written: activity 2, filing_overdue 0, expiring 0" in text
    with pytest.raises(CommandError, match="--date must be a date"):
        call_command("activity_run", "--date", "30/11/2026")


def test_the_task_run_twice_tells_once(signature, today):
    from django.conf import settings

    from sending.tasks import daily_activity_run

    entry = settings.CELERY_BEAT_SCHEDULE["daily-activity-run"]
    assert entry["task"] == daily_activity_run.name and entry["options"]["expires"] < 24 * 60 * 60
    stop_at_telecom(signature, timezone.localdate())
    assert daily_activity_run()["notices"] == {Notice.Kind.ACTIVITY: 2}
    assert daily_activity_run()["notices"] == {}
    assert len(activity_notices()) == 2


# --- what the customer and the manager see ------------------------------------------------------------------------


def chart_of(html):
    return json.loads(re.search(r'<script id="activity-data" type="application/json">(.*?)</script>', html, re.S)[1])


def test_the_signature_page_shows_each_carrier_s_chart_and_the_carrier_at_risk(client, signature, org_a, owner_a,
                                                                               org_b, owner_b, today):  # fmt: skip
    stop_at_telecom(signature, today)
    put(signature, "mobile", [0], today, sent=7)
    daily_run(today=today)
    client.force_login(owner_a)
    url = reverse("org:signature-detail", args=[org_a.pk, signature.pk])
    html = client.get(url).content.decode()
    card = html.split('data-testid="activity"')[1]
    telecom = card.split('<tr data-carrier="telecom"')[1].split("</tr>")[0]
    assert 'data-flags="at_risk"' in telecom and "有清理风险" in telecom and "已 151 天没有送达" in telecom
    assert "联系客户经理重新报备" in telecom
    assert f"{today - dt.timedelta(days=151):%Y-%m-%d}" in telecom  # the last delivery, from the flag
    assert 'data-flags=""' in card.split('<tr data-carrier="mobile"')[1].split("</tr>")[0]
    chart = chart_of(html)
    assert len(chart["days"]) == 90 and [s["code"] for s in chart["series"]] == list(CARRIERS)
    assert chart["series"][0]["data"][-1] == 7 and chart["series"][0]["data"][-2] == 10  # to today: it has some
    assert chart["series"][1]["data"][-1] == 0 and set(chart["series"][2]["data"]) == {0}
    assert chart["days"][-1] == f"{today:%m-%d}"
    assert "js/activity.js" in html and "vendor/echarts/echarts.min.js" in html
    client.post(reverse("set_language"), {"language": "en", "next": url})
    english = client.get(url).content.decode()
    assert "At risk" in english and "ask your account manager to re-file it" in english
    client.force_login(owner_b)
    assert client.get(url).status_code == 404


def test_the_page_reads_its_chart_and_flags_in_two_queries(signature, today, django_assert_num_queries):
    stop_at_telecom(signature, today)
    daily_run(today=today)
    with django_assert_num_queries(2):
        shown, chart = selectors.signature_activity(signature=signature, filing_states={}, chinese=True)
    assert [len(a.flags) for a in shown] == [0, 0, 1]
    # No statistics for today yet (they come the next morning): the chart ends yesterday, 90 days long.
    yesterday = today - dt.timedelta(days=1)
    assert chart["days"][-1] == f"{yesterday:%m-%d}" and len(chart["days"]) == 90
    assert chart["series"][0]["data"][-1] == 10 and [a.delivered for a in shown] == [900, 900, 0]


def test_a_signature_not_approved_shows_no_activity(client, org_a, owner_a):
    entity = complete_package(make_entity(organization=org_a, name="北京百度网讯科技有限公司",
                                          uscc="91110000802100433B", legal_rep_name="李四"))  # fmt: skip
    draft = signature_services.signature_save_draft(
        organization=org_a, user=owner_a, draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                         text="百度"))  # fmt: skip
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-detail", args=[org_a.pk, draft.pk])).content.decode()
    assert 'data-testid="activity"' not in html and "activity.js" not in html


def test_the_desk_lists_the_flags_of_the_manager_s_organizations(client, signature, org_a, org_b, owner_b, clerk,
                                                                 account_manager, today):  # fmt: skip
    stop_at_telecom(signature, today)
    theirs = file_at(approved(org_b, owner_b, "腾讯", **TENCENT), clerk)
    stop_at_telecom(theirs, today, last=70)
    daily_run(today=today)
    assert otp_login(client, account_manager).status_code == 302
    html = client.get("/admin/desk/").content.decode()
    assert re.search(r'data-testid="flag-count"[^>]*>1<', html)
    rows = re.findall(r'<tr data-testid="flag-row" data-carrier="(\w+)" data-flag="(\w+)">', html)
    assert rows == [("telecom", rules.AT_RISK)]  # not org B's dormant one
    row = html.split('data-testid="flag-row"')[1].split("</tr>")[0]
    assert "【百度】" in row and "<td>151</td>" in row and org_a.name in row
    assert reverse("admin:signatures_signature_change", args=[signature.pk]) in row
    notices = html.split('data-testid="desk-notices"')[1].split("</section>")[0]
    assert "签名【百度】在中国电信：有清理风险" in notices
