"""Sending statistics in (issue 12, section 2, its first slice): a file of rows per signature, carrier and
day, checked whole; one bad row refuses it with line numbers and nothing recorded; re-sending a day
replaces it; the customer's upload sees only their own signatures; the command's exit codes."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from compliance import transitions as t
from sending import services
from sending.models import SendingStat

from .factories import make_entity, walk
from .test_signatures import complete_package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


def approved(org, owner, text, uscc="91110000802100433B", name="北京百度网讯科技有限公司"):
    from signatures import services as signature_services

    entity = complete_package(make_entity(organization=org, name=name, uscc=uscc, legal_rep_name="李四"))
    draft = signature_services.Draft(entity=entity, source="abbreviation", text=text)
    signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                    acknowledge_warnings=True)  # fmt: skip
    return walk(signature, t.APPROVED)


@pytest.fixture
def signature(org_a, owner_a):
    return approved(org_a, owner_a, "百度")


def stats_csv(rows, headers=services.HEADERS, encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


GOOD = [
    ["2026-11-29", "【百度】", "中国移动", "120", "118", "2", "MK:1;UNDELIV:1"],
    ["2026-11-29", "百度", "电信", "100", "40", "60", "DB:0108:60"],
]


def test_a_good_file_is_recorded_and_a_day_sent_again_replaces_it(signature, org_a, owner_a):
    report = services.import_stats(data=stats_csv(GOOD), organization=org_a, actor=owner_a)
    assert not report.refused and report.recorded == 2 and report.replaced == 0
    telecom = SendingStat.objects.get(signature=signature, carrier="telecom")
    assert (telecom.sent, telecom.delivered, telecom.failed, telecom.failures) == (100, 40, 60, {"DB:0108": 60})
    again = services.import_stats(data=stats_csv([["2026-11-29", "百度", "telecom", "100", "100", "0", ""]]),
                                  organization=org_a, actor=owner_a)  # fmt: skip
    assert again.replaced == 1 and again.rows[0].message == "Recorded, replacing that day."
    telecom.refresh_from_db()
    assert (telecom.delivered, telecom.failed, telecom.failures) == (100, 0, {})
    assert SendingStat.objects.count() == 2


BAD = {
    "not a date": (["29/11/2026", "百度", "移动", "1", "1", "0", ""], "is not a date like 2026-11-30"),
    "in the future": (["2099-01-01", "百度", "移动", "1", "1", "0", ""], "is in the future"),
    "unknown signature": (["2026-11-29", "谷歌", "移动", "1", "1", "0", ""], "No approved signature of yours"),
    "unknown carrier": (["2026-11-29", "百度", "铁通", "1", "1", "0", ""], "Unknown carrier"),
    "negative": (["2026-11-29", "百度", "移动", "-1", "0", "0", ""], "whole number of 0 or more"),
    "more than sent": (["2026-11-29", "百度", "移动", "1", "1", "1", "X:1"], "more than were sent"),
    "codes do not add up": (["2026-11-29", "百度", "移动", "5", "3", "2", "X:1"], "add up to 1, not the 2"),
    "codes unreadable": (["2026-11-29", "百度", "移动", "5", "3", "2", "X"], "CODE:count"),
    "duplicate": (["2026-11-29", "百度", "中国移动", "120", "118", "2", ""], "as row 2"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_file_with_one_bad_row_is_refused_whole_with_its_line(case, signature, org_a, owner_a):
    bad, message = BAD[case]
    report = services.import_stats(data=stats_csv([GOOD[0], bad]), organization=org_a, actor=owner_a)
    assert report.refused and not SendingStat.objects.exists()
    assert [(row.line, row.status) for row in report.rows] == [(2, "ok"), (3, "error")]
    assert message in report.rows[1].message
    assert report.rows[0].message == "This row is right, but nothing was recorded: the file was refused."


def test_another_organizations_signature_is_unknown_to_the_upload(signature, org_b, owner_b):
    report = services.import_stats(data=stats_csv(GOOD[:1]), organization=org_b, actor=owner_b)
    assert report.refused and "No approved signature of yours is 【百度】" in report.rows[0].message
    assert not SendingStat.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "The file is empty."), (stats_csv([], headers=["日期 Date", "签名 Signature"]), "Columns missing"),
     (stats_csv([["2026-11-29", "百度", "移动", "1", "1", "0", ""]], encoding="gbk"), "looks like GBK"),
     (stats_csv([]), "a header but no rows")],
    ids=["empty", "missing columns", "gbk", "header only"],
)  # fmt: skip
def test_a_file_that_cannot_be_read_says_why(data, message, signature, org_a):
    report = services.import_stats(data=data, organization=org_a)
    assert report.refused and message in report.problem and not SendingStat.objects.exists()


def test_a_dry_run_records_nothing(signature, org_a):
    report = services.import_stats(data=stats_csv(GOOD), organization=org_a, dry_run=True)
    assert not report.refused and report.rows[0].message == "Would be recorded." and not SendingStat.objects.exists()


def test_the_customer_uploads_in_the_portal_and_another_customer_gets_404(client, signature, org_a, owner_a,
                                                                          owner_b, settings):  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("org:sending-stats", args=[org_a.pk])
    client.force_login(owner_b)
    assert client.get(url).status_code == 404
    client.force_login(owner_a)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "日期 Date" in page.content.decode()
    upload = SimpleUploadedFile("stats.csv", stats_csv(GOOD), content_type="text/csv")
    response = client.post(url, {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and SendingStat.objects.count() == 2
    assert 'data-testid="stats-latest"' in response.content.decode()
    # a file over the limit is refused before it is kept, and nothing recorded
    settings.CARRIER_BATCH_MAX_BYTES = 64
    big = SimpleUploadedFile("stats.csv", stats_csv(GOOD * 5), content_type="text/csv")
    response = client.post(url, {"file": big}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert SendingStat.objects.count() == 2


def test_the_command_exits_non_zero_on_a_bad_file_and_records_a_good_one(signature, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(stats_csv([GOOD[0], BAD["unknown carrier"][0]]))
    with pytest.raises(CommandError):
        call_command("import_sending_stats", str(bad))
    assert "row 3: error: Unknown carrier" in capsys.readouterr().out
    assert not SendingStat.objects.exists()
    good = tmp_path / "good.csv"
    good.write_bytes(stats_csv(GOOD))
    call_command("import_sending_stats", str(good))
    assert SendingStat.objects.count() == 2 and "2 row(s) recorded" in capsys.readouterr().out
