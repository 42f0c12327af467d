"""The sending statistics endpoints of the REST API (docs/api.md): statistics in, as a CSV body or as JSON rows,
through the very rules of the portal's upload (sending.services.import_stats: JSON rows are written as the same
CSV first, so there is one rule path), and the statistics recorded."""

import csv
import io

from django.conf import settings
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import parsers, serializers
from rest_framework.response import Response

from api import problems
from api.base import OrgView
from api.schema import MAX_ID
from api.serializers import ListParameters, Query, Strict
from compliance import carriers
from filing_portal.choices import carrier_choices

from . import selectors, services

TAG = "sending statistics"
CSV = "text/csv"
# What splits failure codes in the file (sending.services._failures): a code may not hold one.
CODE_SEPARATORS = ";；,，、\n"


class CsvParser(parsers.BaseParser):
    """A CSV body, as the bytes of the file the portal's upload would take (UTF-8; read by import_stats)."""

    media_type = CSV

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class StatRow(Strict):
    """One row of the file, as JSON: the same columns, checked by the same rules."""

    day = serializers.DateField(help_text="The day the messages were sent (not in the future).")
    signature = serializers.CharField(max_length=200, help_text="An approved signature of yours, with or without "
                                      "【】.")  # fmt: skip
    carrier = serializers.CharField(max_length=50, help_text="The carrier's code (mobile, unicom, telecom) or name "
                                    "(中国移动, 移动, China Mobile).")  # fmt: skip
    sent = serializers.IntegerField(help_text="A whole number of 0 or more, as are delivered and failed.")
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Delivered and failed add up to no more than sent.")
    failures = serializers.DictField(
        child=serializers.IntegerField(), required=False, default=dict,
        help_text="Failed messages by failure code; the counts add up to failed.",
    )  # fmt: skip

    def validate_failures(self, value):
        if any(separator in code for code in value for separator in CODE_SEPARATORS):
            raise serializers.ValidationError(_("A failure code may not contain ; , 、 or a line break."))
        return value


class StatRows(Strict):
    rows = StatRow(many=True, allow_empty=False, max_length=services.MAX_ROWS)


def rows_csv(rows) -> bytes:
    """JSON rows as the CSV file the portal would take, the bilingual header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(services.HEADERS)
    for row in rows:
        failures = ";".join(f"{code}:{count}" for code, count in row["failures"].items())
        writer.writerow([row["day"].isoformat(), row["signature"], row["carrier"], row["sent"], row["delivered"],
                         row["failed"], failures])  # fmt: skip
    return buffer.getvalue().encode()


class ImportOptions(Query):
    dry_run = serializers.BooleanField(required=False, default=False)


class RowErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="rows.<index from 0>.<column>; rows.<index> for the row as a whole.")
    code = serializers.CharField(help_text="bad_date, future_date, unknown_signature, unknown_carrier, not_a_count, "
                                 "bad_failure_codes, more_than_sent, failure_codes_sum, duplicate_row.")  # fmt: skip
    message = serializers.CharField(help_text="In the caller's language.")


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's number, the first after the header being 1.")
    line = serializers.IntegerField(help_text="Its line in the CSV (the header's is 1 unless blank lines precede).")
    status = serializers.ChoiceField(choices=[services.OK, services.ERROR])
    message = serializers.CharField(help_text="What became of it, or what is wrong, in the caller's language.")
    errors = RowErrorSerializer(many=True)


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="true: checked only, nothing recorded.")
    accepted = serializers.IntegerField(help_text="Rows that are right (all of them, or there is a 400).")
    recorded = serializers.IntegerField(help_text="Rows recorded (0 on a dry run).")
    replaced = serializers.IntegerField(help_text="Of those, days that were there already and were replaced.")
    rows = ImportRowSerializer(many=True)


def _path(report: services.ImportReport, line: int, column: str = "") -> str:
    index = line - report.header_line - 1
    return f"rows.{index}.{column}" if column else f"rows.{index}"


def report_rows(report: services.ImportReport) -> list[dict]:
    return [{"row": row.line - report.header_line, "line": row.line, "status": row.status, "message": row.message,
             "errors": [{"field": _path(report, row.line, p.column), "code": p.code, "message": p.message}
                        for p in row.problems]} for row in report.rows]  # fmt: skip


def refused(request, report: services.ImportReport, *, from_json: bool) -> Response:
    """A refused import as a problem: each row's errors (field, code, message, with its row and line), and every
    row's outcome as ``rows``. Nothing was recorded."""
    if report.problem:
        errors = [{"field": "rows" if from_json else "", "code": report.problem_code, "message": report.problem}]
        detail = report.problem
    else:
        errors = [{**error, "row": row["row"], "line": row["line"]} for row in report_rows(report)
                  for error in row["errors"]]  # fmt: skip
        detail = _("The statistics were refused: nothing was recorded. Each row's errors say why.")
    data = problems.body(request, "validation-failed", detail, errors=errors)
    data |= {"dry_run": report.dry_run, "rows": report_rows(report)}
    return Response(data, status=400, content_type=problems.MEDIA_TYPE)


class StatSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    signature_id = serializers.IntegerField()
    signature = serializers.CharField(help_text="The signature's text, without 【】.")
    # With its names (not bare codes): another choice set than the policy timeline's carriers, named apart.
    carrier = serializers.ChoiceField(choices=carrier_choices())
    day = serializers.DateField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    failures = serializers.DictField(child=serializers.IntegerField(), help_text="Failed messages by failure code.")
    imported_at = serializers.DateTimeField()
    imported_by = serializers.EmailField(allow_null=True)


def stat_data(stat) -> dict:
    return {"id": stat.pk, "signature_id": stat.signature_id, "signature": stat.signature.text,
            "carrier": stat.carrier, "day": stat.day, "sent": stat.sent, "delivered": stat.delivered,
            "failed": stat.failed, "failures": stat.failures or {}, "imported_at": stat.imported_at,
            "imported_by": stat.imported_by.email if stat.imported_by else None}  # fmt: skip


class StatFilters(ListParameters):
    signature = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    carrier = serializers.ChoiceField(choices=carriers.CODES, required=False)

    def get_fields(self):
        fields = super().get_fields()
        # "from" and "to" are Python keywords: they cannot be declared as attributes.
        fields["from"] = serializers.DateField(required=False)
        fields["to"] = serializers.DateField(required=False)
        return fields


ROW_EXAMPLE = {"day": "2026-11-29", "signature": "百度", "carrier": "mobile", "sent": 120, "delivered": 118,
               "failed": 2, "failures": {"MK:0001": 1, "UNDELIV": 1}}  # fmt: skip
CSV_EXAMPLE = (
    "日期 Date,签名 Signature,运营商 Carrier,发送 Sent,送达 Delivered,失败 Failed,失败代码 Failure codes\n"
    "2026-11-29,【百度】,中国移动,120,118,2,MK:0001:1;UNDELIV:1\n"
    "2026-11-29,百度,电信,100,40,60,DB:0108:60\n"
)


class SendingStats(OrgView):
    parser_classes = [parsers.JSONParser, CsvParser]
    serializer_class = StatRows  # what OPTIONS describes

    def max_body(self, request) -> int:
        return settings.CARRIER_BATCH_MAX_BYTES  # a file's worth, as the portal's upload takes

    @extend_schema(
        operation_id="sending_stats_list",
        tags=[TAG],
        summary="The statistics recorded",
        description="Per signature, carrier and day; the most recently recorded first, by cursor.",
        parameters=[
            OpenApiParameter(
                "signature", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description="A signature's id."
            ),
            OpenApiParameter("carrier", str, enum=list(carriers.CODES)),
            OpenApiParameter("from", OpenApiTypes.DATE, description="Days from this one."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Days up to this one (included)."),
        ],
        responses=StatSerializer(many=True),
        examples=[
            OpenApiExample(
                "A day at China Mobile",
                value={
                    "id": 501,
                    "signature_id": 12,
                    "signature": "百度",
                    "carrier": "mobile",
                    "day": "2026-11-29",
                    "sent": 120,
                    "delivered": 118,
                    "failed": 2,
                    "failures": {"MK:0001": 1, "UNDELIV": 1},
                    "imported_at": "2026-11-30T09:00:00+08:00",
                    "imported_by": "ops@example.cn",
                },
                response_only=True,
            )
        ],  # fmt: skip
    )
    def get(self, request):
        chosen = StatFilters.read(request)
        rows = selectors.stats_rows(organization=self.organization, signature_id=chosen.get("signature"),
                                    carrier=chosen.get("carrier"), day_from=chosen.get("from"),
                                    day_to=chosen.get("to"))  # fmt: skip
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(StatSerializer([stat_data(s) for s in page], many=True).data)

    @extend_schema(
        operation_id="sending_stats_import",
        tags=[TAG],
        summary="Send statistics in",
        description="The same rules as the portal's upload. Either a CSV body (`Content-Type: text/csv`, UTF-8, "
        "the upload's columns: 日期 Date, 签名 Signature, 运营商 Carrier, 发送 Sent, 送达 Delivered, 失败 Failed, "
        "失败代码 Failure codes; either half of a header is understood), or JSON rows. Every row is checked; one bad "
        "row refuses them all and nothing is recorded: the answer is then a 400 problem whose `errors` name each "
        "row's field (`rows.<index>.<column>`), code and message with its `row` and `line`, and whose `rows` give "
        "every row's outcome. Sending a day of a signature at a carrier again replaces it, so a retry is harmless. "
        "`dry_run=true` checks without recording.",
        parameters=[OpenApiParameter("dry_run", bool, description="true: check only, record nothing.")],
        request={"application/json": StatRows, CSV: OpenApiTypes.STR},
        responses={200: ImportReportSerializer},
        examples=[
            OpenApiExample(
                "JSON rows", value={"rows": [ROW_EXAMPLE]}, request_only=True, media_type="application/json"
            ),
            OpenApiExample("A CSV file", value=CSV_EXAMPLE, request_only=True, media_type=CSV),
            OpenApiExample(
                "Recorded",
                value={
                    "dry_run": False,
                    "accepted": 1,
                    "recorded": 1,
                    "replaced": 0,
                    "rows": [{"row": 1, "line": 2, "status": "ok", "message": "Recorded.", "errors": []}],
                },
                response_only=True,
            ),
        ],  # fmt: skip
    )
    def post(self, request):
        options = ImportOptions.read(request)
        from_json = not request.content_type.startswith(CSV)
        if from_json:
            given = StatRows(data=request.data)
            given.is_valid(raise_exception=True)
            data = rows_csv(given.validated_data["rows"])
        else:
            data = request.data if isinstance(request.data, bytes) else b""
        report = services.import_stats(data=data, organization=self.organization, actor=request.user,
                                       dry_run=options["dry_run"])  # fmt: skip
        if report.refused:
            return refused(request, report, from_json=from_json)
        rows = report_rows(report)
        return Response(
            ImportReportSerializer(
                {
                    "dry_run": report.dry_run,
                    "accepted": len(rows),
                    "rows": rows,
                    "recorded": report.recorded,
                    "replaced": report.replaced,
                }
            ).data
        )


urlpatterns = [path("sending-stats/", SendingStats.as_view(), name="sending-stats")]
