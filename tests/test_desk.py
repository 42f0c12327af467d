"""The account manager's desk (/admin/desk/) and the assignment of organizations to managers: who sees
what, the rows and their three carrier marks, what is late and what expires, the exports, the charts'
data, and the same queries for 5 applications as for 500 (docs/desk.md)."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts import services as account_services
from accounts.models import Organization
from compliance import transitions as t
from filings import services as filing_services
from filings.models import Filing
from qualifications import services as qualification_services
from qualifications.models import PartnerAuthorization
from signatures import services as signature_services
from signatures.models import Signature
from templates_app.models import SmsTemplate

from .conftest import make_staff, otp_login
from .factories import PASSWORD, make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db

DESK = "/admin/desk/"


@pytest.fixture
def other_manager(org_b):
    user = make_staff("am2@platform.cn", roles.ACCOUNT_MANAGER)
    org_b.account_manager = user
    org_b.save(update_fields=["account_manager"])
    return user


@pytest.fixture
def clerk(db):
    return make_staff("clerk@platform.cn", roles.FILING_CLERK)


@pytest.fixture
def manager_client(client, account_manager):
    assert otp_login(client, account_manager).status_code == 302
    return client


def entity_of(org, name="北京百度网讯科技有限公司", uscc="91110000802100433B", **extra):
    return complete_package(make_entity(organization=org, name=name, uscc=uscc, legal_rep_name="李四", **extra))


def approved(org, owner, entity, text):
    draft = signature_services.Draft(entity=entity, source="abbreviation", text=text)
    signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    return walk(signature, t.APPROVED)


def draft_of(org, owner, entity, text):
    return signature_services.signature_save_draft(
        organization=org, user=owner, draft=signature_services.Draft(entity=entity, source="abbreviation", text=text)
    )


def rows_of(html):
    return re.findall(r'<tr data-kind="(\w+)" data-pk="(\d+)"', html)


def marks_of(html, pk, kind="signature"):
    row = html.split(f'<tr data-kind="{kind}" data-pk="{pk}"')[1].split("</tr>")[0]
    return dict(re.findall(r'data-carrier="(\w+)" data-state="(\w*)"', row))


# --- assignment -----------------------------------------------------------------------------------


def test_it_gives_a_new_organization_to_the_least_loaded_active_manager(db):
    busy = make_staff("busy@platform.cn", roles.ACCOUNT_MANAGER)
    idle = make_staff("idle@platform.cn", roles.ACCOUNT_MANAGER)
    later = make_staff("later@platform.cn", roles.ACCOUNT_MANAGER)
    gone = make_staff("gone@platform.cn", roles.ACCOUNT_MANAGER)
    gone.is_active = False
    gone.save()
    make_staff("reviewer@platform.cn", roles.REVIEWER)  # no customers, but not a manager
    Organization.objects.create(name="已有客户", account_manager=busy)

    def signup(n):
        return account_services.signup_create(email=f"new{n}@example.cn", password=PASSWORD, full_name="新客户",
                                              organization_name=f"新客户{n}").organization  # fmt: skip

    # idle and later have none: the tie goes to the one made first; then later is the least loaded
    assert signup(1).account_manager == idle
    assert signup(2).account_manager == later
    assert signup(3).account_manager in (busy, idle, later)
    assert Organization.objects.filter(account_manager=gone).count() == 0


def test_without_any_manager_a_new_organization_has_none(db):
    make_staff("reviewer@platform.cn", roles.REVIEWER)
    result = account_services.signup_create(email="solo@example.cn", password=PASSWORD, full_name="客户",
                                            organization_name="独立客户")  # fmt: skip
    assert result.organization.account_manager is None


def test_a_staff_admin_assigns_organizations_in_the_admin(client, org_a, org_b, account_manager):
    admin = make_staff("root@platform.cn", roles.REVIEWER)
    admin.is_superuser = True
    admin.save()
    otp_login(client, admin)
    changelist = reverse("admin:accounts_organization_changelist")
    chosen = {"action": "assign_account_manager", "_selected_action": [org_a.pk, org_b.pk]}
    page = client.post(changelist, chosen)
    assert page.status_code == 200 and 'data-testid="assign-manager"' in page.content.decode()
    org_b.refresh_from_db()
    assert org_b.account_manager is None  # nothing moved before the choice
    client.post(changelist, {**chosen, "apply": "1", "account_manager": account_manager.pk})
    assert set(Organization.objects.filter(account_manager=account_manager)) == {org_a, org_b}
    client.post(changelist, {**chosen, "apply": "1", "account_manager": ""})
    assert Organization.objects.filter(account_manager__isnull=False).count() == 0


def test_only_a_superuser_assigns_and_only_to_an_active_manager(org_a, account_manager, reviewer):
    with pytest.raises(PermissionDenied):
        account_services.organization_assign(organizations=[org_a], manager=account_manager, actor=account_manager)
    root = make_staff("root@platform.cn", roles.REVIEWER)
    root.is_superuser = True
    root.save()
    with pytest.raises(ValidationError):
        account_services.organization_assign(organizations=[org_a], manager=reviewer, actor=root)
    assert account_services.organization_assign(organizations=[org_a], manager=None, actor=root) == 1


def test_the_taken_uscc_message_names_the_account_manager(org_a, org_b, owner_b, account_manager, other_manager):
    from django.utils import translation

    entity_of(org_a)
    data = {"name": "北京百度网讯科技有限公司", "uscc": "91110000802100433B", "legal_rep_name": "李四"}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        qualification_services.entity_create(organization=org_b, user=owner_b, data=data)
    assert "am2@platform.cn" in str(refused.value) and "ask your account manager" in str(refused.value)
    org_b.account_manager = None
    org_b.save()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        qualification_services.entity_create(organization=org_b, user=owner_b, data=data)
    assert "@platform.cn" not in str(refused.value) and "ask your account manager to transfer" in str(refused.value)


# --- who reaches the desk -----------------------------------------------------------------------------


def test_a_manager_sees_only_their_customers(manager_client, org_a, owner_a, org_b, owner_b, other_manager):
    mine = approved(org_a, owner_a, entity_of(org_a), "百度")
    theirs = approved(org_b, owner_b, entity_of(org_b, "深圳市腾讯计算机系统有限公司", "914403001922038216"), "腾讯")
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ("signature", str(mine.pk)) in rows_of(html) and ("signature", str(theirs.pk)) not in rows_of(html)
    assert "乙网络有限公司" not in html
    # another manager's organization named in the filter: as if it did not exist
    assert manager_client.get(DESK, {"organization": org_b.pk}).status_code == 404
    assert manager_client.get(DESK, {"organization": 999999}).status_code == 404
    assert manager_client.get(DESK, {"organization": org_a.pk}).status_code == 200
    # the manager filter is for those who oversee: an account manager's is ignored
    assert ("signature", str(theirs.pk)) not in rows_of(
        manager_client.get(DESK, {"manager": other_manager.pk}).content.decode()
    )
    csv_text = b"".join(manager_client.get(DESK, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "百度" in csv_text and "腾讯" not in csv_text


def test_a_reviewer_sees_everyone_and_may_pick_a_manager(client, reviewer, org_a, owner_a, org_b, owner_b,
                                                         account_manager, other_manager):  # fmt: skip
    mine = approved(org_a, owner_a, entity_of(org_a), "百度")
    theirs = approved(org_b, owner_b, entity_of(org_b, "深圳市腾讯计算机系统有限公司", "914403001922038216"), "腾讯")
    otp_login(client, reviewer)
    both = rows_of(client.get(DESK).content.decode())
    assert {("signature", str(mine.pk)), ("signature", str(theirs.pk))} <= set(both)
    one = rows_of(client.get(DESK, {"manager": other_manager.pk}).content.decode())
    assert ("signature", str(theirs.pk)) in one and ("signature", str(mine.pk)) not in one
    assert client.get(DESK, {"manager": reviewer.pk}).status_code == 404  # not a manager


def test_customers_other_staff_and_unverified_staff_do_not_reach_it(client, owner_a, account_manager, clerk):
    assert client.get(DESK).status_code == 302  # anonymous: the admin's log-in
    client.force_login(owner_a)
    assert client.get(DESK).status_code == 404  # a customer: no such page
    client.logout()
    client.force_login(account_manager)  # password only, no second factor: the log-in
    response = client.get(DESK)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    client.logout()
    otp_login(client, clerk)
    assert client.get(DESK).status_code == 404  # a filing clerk follows no customers
    client.logout()
    otp_login(client, account_manager)
    assert client.post(DESK).status_code == 405


def test_the_admin_index_leads_a_manager_to_the_desk(manager_client, client, clerk):
    assert 'data-testid="desk-entry"' in manager_client.get(reverse("admin:index")).content.decode()
    manager_client.logout()
    otp_login(client, clerk)
    assert 'data-testid="desk-entry"' not in client.get(reverse("admin:index")).content.decode()


# --- rows, marks and lists ----------------------------------------------------------------------------------


def test_rows_carry_a_mark_per_carrier_and_what_waits_on_the_customer(manager_client, org_a, owner_a, clerk):
    entity = entity_of(org_a)
    signature = approved(org_a, owner_a, entity, "百度")
    draft = draft_of(org_a, owner_a, entity, "百度网讯")
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert marks_of(html, signature.pk) == {"mobile": "pending", "unicom": "pending", "telecom": "pending"}
    assert marks_of(html, draft.pk) == {"mobile": "", "unicom": "", "telecom": ""}  # nothing filed yet
    assert 'title="移动：等待提交"' in html or 'title="移动：' in html
    batch = filing_services.open_batch(carrier="telecom", actor=clerk)
    filing_services.submit_batch(batch, actor=clerk)
    mobile = filing_services.open_batch(carrier="mobile", actor=clerk)
    filing_services.submit_batch(mobile, actor=clerk)
    filing = Filing.objects.get(signature=signature, carrier="mobile")
    filing_services.record_outcome(filing, filing_services.Outcome(filing.pk, t.FILED), actor=clerk)
    telecom = Filing.objects.get(signature=signature, carrier="telecom")
    filing_services.record_outcome(telecom, filing_services.Outcome(telecom.pk, t.FAILED,
                                                                    reason_codes=("FIL_DOCUMENTS_NOT_ACCEPTED",)),
                                   actor=clerk)  # fmt: skip
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert marks_of(html, signature.pk) == {"mobile": "filed", "unicom": "pending", "telecom": "failed"}
    assert "可用：移动；联通待提交；电信不可用" in html
    # waiting on the customer: the draft, and the signature its carrier refused
    waiting = rows_of(manager_client.get(DESK, {"waiting": "on"}).content.decode())
    assert set(waiting) == {("signature", str(signature.pk)), ("signature", str(draft.pk))}
    section = html.split('data-testid="desk-waiting"')[1].split("</section>")[0]
    assert "【百度网讯】" in section and "【百度】" in section
    # filters: a carrier and a filing state
    failed = rows_of(manager_client.get(DESK, {"carrier": "telecom", "filing_state": "failed"}).content.decode())
    assert failed == [("signature", str(signature.pk))]
    assert rows_of(manager_client.get(DESK, {"carrier": "unicom", "filing_state": "failed"}).content.decode()) == []


def test_overdue_filings_and_changes_requested_are_listed(manager_client, org_a, owner_a, clerk):
    entity = entity_of(org_a)
    signature = approved(org_a, owner_a, entity, "百度")
    sent = dt.datetime(2025, 6, 3, 10, tzinfo=dt.UTC)  # a Tuesday: five working days end on 2025-06-10
    batch = filing_services.open_batch(carrier="unicom", actor=clerk)
    filing_services.submit_batch(batch, actor=clerk, now=sent)
    late = Filing.objects.get(signature=signature, carrier="unicom")
    assert late.due_by == dt.date(2025, 6, 10)
    sent_back = draft_of(org_a, owner_a, entity, "百度网讯")
    signature_services.signature_update(signature=sent_back, user=owner_a, submit=True, acknowledge_warnings=True,
                                        draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                       text="百度网讯"))  # fmt: skip
    walk(Signature.objects.get(pk=sent_back.pk), t.CHANGES_REQUESTED)
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    overdue = html.split('data-testid="desk-overdue"')[1].split("</section>")[0]
    assert f'data-filing="{late.pk}"' in overdue and "China Unicom" in overdue and "due 2025-06-10" in overdue
    assert 'data-testid="overdue-count" class="review-overdue">1<' in html
    assert rows_of(manager_client.get(DESK, {"overdue": "on"}).content.decode()) == [("signature", str(signature.pk))]
    changes = html.split('data-testid="desk-changes"')[1].split("</section>")[0]
    assert "【百度网讯】" in changes and "【百度】" not in changes
    assert 'data-testid="changes-count">1<' in html


def test_documents_and_letters_expiring_within_60_days_name_their_signatures(manager_client, org_a, owner_a):
    today = timezone.localdate()
    entity = entity_of(org_a, licence_valid_until=today + dt.timedelta(days=20))
    partner = make_entity(organization=org_a, name="上海合作伙伴科技有限公司", uscc="91310000MA1FL0000X",
                          legal_rep_name="王五", licence_valid_until=today + dt.timedelta(days=400))  # fmt: skip
    letter = PartnerAuthorization.objects.create(entity=entity, partner=partner, signatures="合作伙伴",
                                                 valid_from=today - dt.timedelta(days=300),
                                                 valid_until=today + dt.timedelta(days=45))  # fmt: skip
    own = approved(org_a, owner_a, entity, "百度")
    Signature.objects.create(organization=org_a, entity=partner, source="partner", partner_authorization=letter,
                             text="合作伙伴", status=t.SUBMITTED)  # fmt: skip
    far = make_entity(organization=org_a, name="远期有限公司", uscc="91310000MA1FL0001X", legal_rep_name="赵六",
                      licence_valid_until=today + dt.timedelta(days=61))  # fmt: skip
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = html.split('data-testid="desk-expiring"')[1].split("</section>")[0].split('data-testid="expiring-row"')[1:]
    assert len(rows) == 2
    licence, authorization = rows
    assert "Business licence" in licence and entity.name in licence and "20 days left" in licence
    assert str(own) in licence and "【合作伙伴】" not in licence
    assert (
        "Partner authorization" in authorization and "【合作伙伴】" in authorization and str(own) not in authorization
    )
    assert far.name not in html.split('data-testid="desk-expiring"')[1]


# --- export -----------------------------------------------------------------------------------------


def test_the_export_holds_every_filtered_row_and_no_cell_runs_as_a_formula(manager_client, org_a, owner_a, clerk):
    from openpyxl import load_workbook

    org_a.name = '=HYPERLINK("http://evil.example","x")'
    org_a.save()
    entity = entity_of(org_a)
    signature = approved(org_a, owner_a, entity, "百度")
    draft_of(org_a, owner_a, entity, "百度网讯")
    SmsTemplate.objects.create(organization=org_a, signature=signature, kind="notification", name="+86 通知",
                               text="您的订单已发货", status=t.DRAFT)  # fmt: skip
    response = manager_client.get(DESK, {"export": "csv"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:4] == ["类型", "组织", "申请", "平台状态"] and header[4:7] == ["中国移动", "中国联通", "中国电信"]
    assert len(rows) == 3
    assert all(row[1] == '\'=HYPERLINK("http://evil.example","x")' for row in rows)
    template_row = next(row for row in rows if row[0] == "短信模板" or "通知" in row[2])
    assert template_row[2] == "【百度】+86 通知 v1"  # not at the start of the cell: left as it is
    approved_row = next(row for row in rows if row[2] == "【百度】")
    assert approved_row[4:7] == ["等待提交", "等待提交", "等待提交"] or len(set(approved_row[4:7])) == 1
    # filtered: the drafts only
    waiting = manager_client.get(DESK, {"export": "csv", "status": "draft"})
    assert len(list(csv.reader(io.StringIO(b"".join(waiting.streaming_content).decode("utf-8-sig"))))) == 3
    response = manager_client.get(DESK, {"export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["类型", "组织", "申请", "平台状态"] and len(values) == 4
    # typed as text, marked so for Excel, the name itself unchanged
    assert all(row[1] == '=HYPERLINK("http://evil.example","x")' for row in values[1:])
    assert all(row[1].quotePrefix for row in list(sheet.iter_rows())[1:])
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert manager_client.get(DESK, {"export": "pdf"}).status_code == 404


def test_inert_prefixes_every_formula_start():
    from filing_portal.tabular import inert

    assert [inert(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "百度", "a=b", 3, None)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "百度", "a=b", 3, "",
    ]  # fmt: skip


# --- queries --------------------------------------------------------------------------------------------


def seed(org, entity, n, start=0):
    """``n`` signatures of ``org`` in the desk's states, each with its three filings, and a template for
    every fifth: rows made directly (the services have their own tests), as the benchmark makes them."""
    states = [t.APPROVED, t.DRAFT, t.CHANGES_REQUESTED, t.APPROVED, t.SUBMITTED]
    filing_states = [t.PENDING, t.SUBMITTED, t.FILED, t.FAILED, t.CLEARED]
    now = timezone.now()
    signatures = Signature.objects.bulk_create(
        Signature(organization=org, entity=entity, source="abbreviation", text=f"签名{start + i}",
                  status=states[i % len(states)])
        for i in range(n)
    )  # fmt: skip
    templates = SmsTemplate.objects.bulk_create(
        SmsTemplate(organization=org, signature=s, kind="notification", name=f"通知{i}", text="您的订单已发货",
                    status=s.status)
        for i, s in enumerate(signatures) if i % 5 == 0
    )  # fmt: skip
    Filing.objects.bulk_create(
        Filing(organization=org, signature=s, carrier=c, status=filing_states[(i + j) % 5],
               submitted_at=now - dt.timedelta(days=9), due_by=timezone.localdate() - dt.timedelta(days=1),
               filed_at=now - dt.timedelta(days=2) if filing_states[(i + j) % 5] == t.FILED else None)
        for i, s in enumerate(signatures) if s.status == t.APPROVED
        for j, c in enumerate(("mobile", "unicom", "telecom"))
    )  # fmt: skip
    return signatures, templates


def desk_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DESK, params)
        assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_desk_reads_as_many_queries_for_5_applications_as_for_500(manager_client, org_a,
                                                                       django_assert_num_queries):  # fmt: skip
    entity = entity_of(org_a, licence_valid_until=timezone.localdate() + dt.timedelta(days=5))
    seed(org_a, entity, 5)
    desk_queries(manager_client)  # the holiday table cached, the session warm
    few, html = desk_queries(manager_client)
    assert len(rows_of(html)) == 6 and "overdue" in html
    seed(org_a, entity, 495, start=5)
    with django_assert_num_queries(few):
        html = manager_client.get(DESK).content.decode()
    assert len(rows_of(html)) == 50 and 'data-testid="desk-pages"' in html
    with django_assert_num_queries(few):
        assert manager_client.get(DESK, {"overdue": "on", "carrier": "mobile", "page": 2}).status_code == 200


def test_the_export_reads_the_rows_in_chunks(manager_client, org_a):
    seed(org_a, entity_of(org_a), 120)
    with CaptureQueriesContext(connection) as queries:
        response = manager_client.get(DESK, {"export": "csv"})
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 120 + 24  # the header, the signatures, a template for every fifth
    assert len(queries) < 15  # not a query a row


# --- charts ---------------------------------------------------------------------------------------------------


def chart_data(html, name):
    return json.loads(re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_the_charts_data_count_states_and_lead_times_in_working_days(manager_client, org_a, owner_a, clerk):
    entity = entity_of(org_a)
    first = approved(org_a, owner_a, entity, "百度")
    second = approved(org_a, owner_a, entity, "百度网讯")
    draft_of(org_a, owner_a, entity, "网讯")
    for signature in (first, second):
        Filing.objects.filter(signature=signature, carrier="telecom").update(status=t.FILED)
    html = manager_client.get(DESK, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    pipeline = chart_data(html, "desk-pipeline")
    states = dict(zip(pipeline["state_codes"], pipeline["signatures"], strict=True))
    assert states[t.APPROVED] == 2 and states[t.DRAFT] == 1
    filings = {s["code"]: s["data"] for s in pipeline["filing_states"]}
    assert filings[t.PENDING] == [2, 2, 0] and filings[t.FILED] == [0, 0, 2]
    assert pipeline["carriers"] == ["中国移动", "中国联通", "中国电信"] and "已报备" in str(pipeline["filing_states"])
    review = chart_data(html, "desk-review")
    assert [row["waiting"] for row in review["rows"]] == [0, 0, 0] and len(review["buckets"]) == 4
    assert 'data-testid="chart-lead"' in html and 'data-testid="table-lead"' in html


def test_lead_times_are_working_days_with_median_and_90th_percentile(manager_client, org_a, owner_a):
    from desk import selectors

    entity = entity_of(org_a)
    first = approved(org_a, owner_a, entity, "百度")
    second = approved(org_a, owner_a, entity, "百度网讯")
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 28)  # four weeks back
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time(10)))  # noqa: E731
    from policies.timeline import working_days_between

    Filing.objects.filter(signature=first, carrier="telecom").update(
        status=t.FILED, submitted_at=at(monday), filed_at=at(monday + dt.timedelta(days=2))
    )
    Filing.objects.filter(signature=second, carrier="telecom").update(
        status=t.FILED, submitted_at=at(monday), filed_at=at(monday + dt.timedelta(days=9))
    )
    short = working_days_between(monday, monday + dt.timedelta(days=2))
    long = working_days_between(monday, monday + dt.timedelta(days=9))
    lead = selectors.lead_times(organizations=Organization.objects.filter(pk=org_a.pk))
    assert lead["count"] == [0, 0, 2] and lead["median"][:2] == [None, None]
    assert lead["median"][2] == (short + long) / 2 and lead["p90"][2] == round(short + (long - short) * 0.9, 1)


def test_working_days_between_skips_weekends_and_holidays():
    from compliance.workdays import add_working_days, working_days_between

    assert working_days_between(dt.date(2025, 5, 23), dt.date(2025, 5, 26)) == 1  # Friday to Monday
    assert working_days_between(dt.date(2025, 5, 30), dt.date(2025, 6, 3)) == 1  # the Dragon Boat holiday
    assert working_days_between(dt.date(2025, 6, 3), dt.date(2025, 6, 3)) == 0
    assert working_days_between(dt.date(2025, 6, 3), dt.date(2025, 6, 1)) == 0
    for start in (dt.date(2025, 9, 26), dt.date(2025, 12, 31)):
        for n in range(0, 12):
            assert working_days_between(start, add_working_days(start, n)) == n


def test_percentile_interpolates_between_ranks():
    from desk.selectors import percentile

    assert percentile([], 50) is None
    assert percentile([3], 90) == 3
    assert percentile([3, 4], 50) == 3.5
    assert percentile(list(range(1, 11)), 90) == 9.1


# --- the review lead's queue health ----------------------------------------------------------------------


def test_the_review_queue_shows_its_health_per_kind(client, reviewer, org_a, owner_a, settings):
    settings.REVIEW_TARGET_WORKING_DAYS = 1
    entity = entity_of(org_a)
    old = signature_services.signature_submit(organization=org_a, user=owner_a, acknowledge_warnings=True,
                                              draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                             text="百度"))  # fmt: skip
    signature_services.signature_submit(organization=org_a, user=owner_a, acknowledge_warnings=True,
                                        draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                       text="百度网讯"))  # fmt: skip
    Signature.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - dt.timedelta(days=10))
    otp_login(client, reviewer)
    html = client.get(reverse("review-queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    health = html.split('data-testid="queue-health"')[1].split("</table>")[0]
    signature_row = health.split('data-health-kind="signature"')[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", signature_row)
    assert cells[:2] == ["2", "1"] and "10 days" in cells[3]


# --- in the browser -----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_desk_renders_its_rows_and_charts_in_chromium(page, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from accounts.management.commands.seed_demo import DEMO_PASSWORD, current_code

    call_command("seed_demo", stdout=StringIO())
    manager = "manager@demo.example"
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/admin/")
    page.locator("#id_username").fill(manager)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.get_by_label("6 位验证码").fill(current_code(TOTPDevice.objects.get(user__email=manager)))
    page.get_by_role("button", name="登录").click()
    page.get_by_test_id("desk-entry").get_by_role("link", name="客户经理工作台").click()
    expect(page.get_by_test_id("desk")).to_be_visible()
    marks = page.get_by_test_id("desk-rows").locator(".desk-mark")
    expect(marks.first).to_be_visible()
    assert page.get_by_test_id("desk-rows").locator('.desk-mark[data-state="filed"]').count() >= 2
    for chart in ("applications", "filings", "lead", "review"):
        expect(page.get_by_test_id(f"chart-{chart}").locator("canvas")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "desk.png"), full_page=True)
    print(f"desk screenshot: {tmp_path / 'desk.png'}")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_working_days_counted_agrees_with_working_days_between():
    from compliance.workdays import working_days_between, working_days_counted

    start, end = dt.date(2025, 9, 20), dt.date(2025, 10, 20)  # across the National Day week
    counted = working_days_counted(start, end)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    for a in days[::3]:
        for b in days[::4]:
            assert max(0, counted[b] - counted[a]) == working_days_between(a, b)
