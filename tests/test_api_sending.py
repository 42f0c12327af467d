"""The REST API's sending statistics (issue 13): a CSV body or JSON rows, through the rules of the portal's upload
(one bad row refuses them all, nothing recorded, each row's field, code and message given); a dry run; the
statistics recorded, filtered, in as many queries for 50 as for 5; another organization's signature is unknown."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from sending.models import SendingStat

from .api_helpers import Api, for_member, key_for
from .test_sending_stats import BAD, GOOD, approved, stats_csv

pytestmark = pytest.mark.django_db

STATS = "/api/v1/sending-stats/"
TENCENT = {"uscc": "914403001922038216", "name": "深圳市腾讯计算机系统有限公司"}


@pytest.fixture
def signature(org_a, owner_a):
    return approved(org_a, owner_a, "百度")


@pytest.fixture
def secret(owner_a):
    return key_for(owner_a.memberships.get())


@pytest.fixture
def api(secret):
    return Api(secret, "en")


def send_csv(api, data: bytes, **query):
    path = STATS + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return api.client.post(path, data, content_type="text/csv", headers=api.headers)


ROWS = [
    {"day": "2026-11-29", "signature": "【百度】", "carrier": "中国移动", "sent": 120, "delivered": 118, "failed": 2,
     "failures": {"MK": 1, "UNDELIV": 1}},
    {"day": "2026-11-29", "signature": "百度", "carrier": "telecom", "sent": 100, "delivered": 40, "failed": 60,
     "failures": {"DB:0108": 60}},
]  # fmt: skip


def test_a_csv_body_is_recorded_with_the_upload_s_rules(signature, api, owner_a):
    response = send_csv(api, stats_csv(GOOD))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["dry_run"], body["accepted"], body["recorded"], body["replaced"]) == (False, 2, 2, 0)
    assert [(r["row"], r["line"], r["status"], r["message"], r["errors"]) for r in body["rows"]] == [
        (1, 2, "ok", "Recorded.", []), (2, 3, "ok", "Recorded.", [])]  # fmt: skip
    telecom = SendingStat.objects.get(signature=signature, carrier="telecom")
    assert (telecom.sent, telecom.delivered, telecom.failed, telecom.failures) == (100, 40, 60, {"DB:0108": 60})
    assert telecom.imported_by == owner_a


def test_json_rows_are_recorded_and_a_day_sent_again_replaces_it(signature, api):
    response = api.post(STATS, {"rows": ROWS})
    assert response.status_code == 200, response.content
    assert (response.json()["recorded"], response.json()["replaced"]) == (2, 0)
    mobile = SendingStat.objects.get(signature=signature, carrier="mobile")
    assert (mobile.day, mobile.sent, mobile.failures) == (dt.date(2026, 11, 29), 120, {"MK": 1, "UNDELIV": 1})
    again = api.post(STATS, {"rows": [{**ROWS[1], "delivered": 100, "failed": 0, "failures": {}}]})
    assert again.status_code == 200
    assert (again.json()["recorded"], again.json()["replaced"]) == (1, 1)
    assert again.json()["rows"][0]["message"] == "Recorded, replacing that day."
    telecom = SendingStat.objects.get(signature=signature, carrier="telecom")
    assert (telecom.delivered, telecom.failed, telecom.failures) == (100, 0, {})
    assert SendingStat.objects.count() == 2


def test_a_csv_with_one_bad_row_is_refused_whole_naming_its_row_field_and_code(signature, api):
    response = send_csv(api, stats_csv([GOOD[0], BAD["unknown carrier"][0]]))
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation-failed" and "nothing was recorded" in body["detail"]
    [error] = body["errors"]
    assert (error["field"], error["code"], error["row"], error["line"]) == ("rows.1.carrier", "unknown_carrier", 2, 3)
    assert "Unknown carrier" in error["message"]
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(1, "ok"), (2, "error")]
    assert body["rows"][0]["message"] == "This row is right, but nothing was recorded: the file was refused."
    assert not SendingStat.objects.exists()


CODES = {
    "not a date": [("day", "bad_date")],
    "in the future": [("day", "future_date")],
    "unknown signature": [("signature", "unknown_signature")],
    "unknown carrier": [("carrier", "unknown_carrier")],
    "negative": [("sent", "not_a_count")],
    "more than sent": [("delivered", "more_than_sent")],
    "codes do not add up": [("failures", "failure_codes_sum")],
    "codes unreadable": [("failures", "bad_failure_codes")],
    "duplicate": [("", "duplicate_row")],
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_each_rule_of_the_upload_refuses_a_json_row_with_its_code(case, signature, api):
    day, text, carrier, sent, delivered, failed, codes = BAD[case][0]
    failures = dict(part.rsplit(":", 1) for part in codes.split(";")) if ":" in codes else {}
    row = {"day": day, "signature": text, "carrier": carrier, "sent": int(sent), "delivered": int(delivered),
           "failed": int(failed), "failures": {code: int(count) for code, count in failures.items()}}  # fmt: skip
    # The first row is right; it is the bad one's twin (same signature, carrier and day) in the duplicate case only.
    first = 0 if case == "duplicate" else 1
    if case in ("not a date", "codes unreadable"):  # JSON has its own types for these: met through a CSV body
        response = send_csv(api, stats_csv([GOOD[first], BAD[case][0]]))
    else:
        response = api.post(STATS, {"rows": [ROWS[first], row]})
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    expected = [(f"rows.1.{column}" if column else "rows.1", code) for column, code in CODES[case]]
    assert [(e["field"], e["code"]) for e in errors] == expected
    assert {(e["row"], e["line"]) for e in errors} == {(2, 3)}
    assert BAD[case][1] in errors[0]["message"]
    assert not SendingStat.objects.exists()


def test_json_of_the_wrong_shape_is_a_400_naming_the_field(signature, api):
    cases = [
        ({"rows": [{**ROWS[0], "sent": "many"}]}, "rows.0.sent", "invalid"),
        ({"rows": [{**ROWS[0], "day": "29/11/2026"}]}, "rows.0.day", "invalid"),
        ({"rows": [{**ROWS[0], "colour": "red"}]}, "rows.0.colour", "unknown_field"),
        ({"rows": [ROWS[0]], "file": "x"}, "file", "unknown_field"),
        ({"rows": [{**ROWS[0], "failures": {"A;B": 2}}]}, "rows.0.failures", "invalid"),
        ({"rows": []}, "rows", "empty"),
        ({}, "rows", "required"),
    ]
    for body, field, code in cases:
        response = api.post(STATS, body)
        assert response.status_code == 400, (body, response.content)
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)], body
    big = api.post(STATS, {"rows": [{**ROWS[0], "sent": 10**30, "delivered": 0, "failed": 0, "failures": {}}]})
    assert big.status_code == 400 and big.json()["errors"][0]["code"] == "not_a_count"
    assert api.post(STATS, {"rows": ROWS}, QUERY_STRING="dry_run=perhaps").json()["errors"][0]["field"] == "dry_run"
    assert not SendingStat.objects.exists()


def test_a_dry_run_checks_and_records_nothing(signature, api):
    response = api.post(STATS + "?dry_run=true", {"rows": ROWS})
    assert response.status_code == 200
    body = response.json()
    assert (body["dry_run"], body["accepted"], body["recorded"]) == (True, 2, 0)
    assert {r["message"] for r in body["rows"]} == {"Would be recorded."}
    refused = send_csv(api, stats_csv([GOOD[0], BAD["negative"][0]]), dry_run="true")
    assert refused.status_code == 400 and refused.json()["dry_run"] is True
    assert not SendingStat.objects.exists()


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [(b"\r\n\r\n", "empty", "The file is empty."), (b",,,\n", "empty", "The file is empty."),
     (stats_csv([], headers=["日期 Date", "签名 Signature"]), "missing_columns", "Columns missing"),
     (stats_csv([["2026-11-29", "百度", "移动", "1", "1", "0", ""]], encoding="gbk"), "unreadable", "looks like GBK"),
     (stats_csv([]), "no_rows", "a header but no rows")],
    ids=["blank lines", "empty cells", "missing columns", "gbk", "header only"],
)  # fmt: skip
def test_a_csv_that_cannot_be_read_says_why(data, code, message, signature, api):
    response = send_csv(api, data)
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"] and body["rows"] == []
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("", code)]
    assert not SendingStat.objects.exists()


def test_the_report_is_in_the_caller_s_language(signature, secret):
    response = send_csv(Api(secret, "zh-hans"), stats_csv([GOOD[0], BAD["unknown carrier"][0]]))
    error = response.json()["errors"][0]
    assert error["message"] == "未知的运营商“铁通”：请写运营商名称，如中国移动。"
    assert response.json()["detail"] == "发送统计未被接受：未记录任何数据。请查看每行的错误说明。"


def test_another_organization_s_signature_is_unknown_here(signature, owner_b):
    response = for_member(owner_b.memberships.get(), language="en").post(STATS, {"rows": ROWS[:1]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_signature"
    assert "No approved signature of yours is 【百度】" in response.json()["errors"][0]["message"]
    assert not SendingStat.objects.exists()


def test_members_import_but_a_read_only_key_may_not(signature, org_a, owner_a, member_a):
    reader = for_member(owner_a.memberships.get(), scope="read")
    response = reader.post(STATS, {"rows": ROWS})
    assert response.status_code == 403 and response.json()["code"] == "scope-insufficient"
    assert not SendingStat.objects.exists()
    member = Api(language="en")
    member.client.force_login(member_a)
    assert Membership.objects.get(user=member_a).role == Membership.Role.MEMBER
    assert member.post(STATS, {"rows": ROWS}).status_code == 200  # the portal's upload is every member's too
    assert SendingStat.objects.filter(imported_by=member_a).count() == 2
    assert Api().post(STATS, {"rows": ROWS}).status_code == 401


def test_other_bodies_and_a_body_too_large_are_refused(signature, api, settings):
    response = api.client.post(STATS, b"rows", content_type="text/plain", headers=api.headers)
    assert response.status_code == 415 and response.json()["code"] == "unsupported-media-type"
    response = api.client.post(STATS, b'{"rows": [', content_type="application/json", headers=api.headers)
    assert response.status_code == 400 and response.json()["code"] == "malformed-request"
    settings.CARRIER_BATCH_MAX_BYTES = 64
    response = send_csv(api, stats_csv(GOOD * 5))
    assert response.status_code == 413 and response.json()["code"] == "payload-too-large"
    assert not SendingStat.objects.exists()


def make_stats(signature, carrier, days):
    start = dt.date(2026, 1, 1)
    have = SendingStat.objects.filter(signature=signature, carrier=carrier).count()
    SendingStat.objects.bulk_create(
        SendingStat(organization_id=signature.organization_id, signature=signature, carrier=carrier,
                    day=start + dt.timedelta(days=n), sent=10, delivered=9, failed=1, failures={"X": 1})
        for n in range(have, days)
    )  # fmt: skip


def test_the_statistics_are_listed_filtered_and_kept_to_the_organization(signature, api, org_b, owner_b):
    make_stats(signature, "mobile", 3)
    make_stats(signature, "unicom", 2)
    theirs = approved(org_b, owner_b, "腾讯", **TENCENT)
    make_stats(theirs, "mobile", 4)

    def listed(**query):
        response = api.get(STATS, query)
        assert response.status_code == 200, response.content
        return [(s["carrier"], s["day"]) for s in response.json()["results"]]

    everything = listed()
    assert len(everything) == 5 and {c for c, _d in everything} == {"mobile", "unicom"}
    assert listed(carrier="unicom") == [("unicom", "2026-01-02"), ("unicom", "2026-01-01")]
    assert listed(**{"from": "2026-01-02", "to": "2026-01-02"}) == [("unicom", "2026-01-02"), ("mobile", "2026-01-02")]
    assert listed(signature=signature.pk, carrier="mobile", to="2026-01-01") == [("mobile", "2026-01-01")]
    assert listed(signature=theirs.pk) == []  # another organization's signature: nothing, as for a missing one
    first = api.get(STATS, {"carrier": "mobile"}).json()["results"][0]
    assert first | {"id": 0, "imported_at": ""} == {
        "id": 0, "signature_id": signature.pk, "signature": "百度", "carrier": "mobile", "day": "2026-01-03",
        "sent": 10, "delivered": 9, "failed": 1, "failures": {"X": 1}, "imported_at": "", "imported_by": None,
    }  # fmt: skip
    for query, field in (({"carrier": "tietong"}, "carrier"), ({"from": "yesterday"}, "from"),
                         ({"signature": "x"}, "signature"), ({"signature": str(2**64)}, "signature"),
                         ({"colour": "red"}, "colour")):  # fmt: skip
        response = api.get(STATS, query)
        assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == [field]


def test_options_is_refused_and_allow_names_the_methods(api):
    response = api.client.options(STATS, headers=api.headers)
    assert response.status_code == 405 and set(response["Allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_the_list_makes_as_many_queries_for_50_rows_as_for_5(signature, api, owner_a):
    def count(total):
        make_stats(signature, "mobile", total)
        SendingStat.objects.update(imported_by=owner_a)
        api.get(STATS)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(STATS, {"page_size": 100})
        assert len(response.json()["results"]) == total
        assert response.json()["results"][0]["imported_by"] == owner_a.email
        return len(queries)

    five, fifty = count(5), count(50)
    assert five == fifty <= 10


def test_a_json_body_and_its_csv_give_the_same_report(signature, api):
    via_json = api.post(STATS + "?dry_run=1", {"rows": ROWS}).json()
    csv_rows = [[r["day"], r["signature"], r["carrier"], r["sent"], r["delivered"], r["failed"],
                 ";".join(f"{c}:{n}" for c, n in r["failures"].items())] for r in ROWS]  # fmt: skip
    via_csv = send_csv(api, stats_csv(csv_rows), dry_run="1").json()
    assert via_json == via_csv
    assert json.dumps(via_json)  # plain JSON all the way
