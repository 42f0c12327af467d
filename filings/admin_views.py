"""The filing clerk's pages in the admin (/admin/filings/batches/): what waits per carrier, opening a
batch, a batch's files, marking it submitted, and importing the carrier's results with a report per
row. Every action goes through filings.services. Verified staff with the clerk role only; anyone else
gets 404, as the review pages answer (review.admin_views.staff_route)."""

import functools
import io

from django.conf import settings
from django.contrib import admin, messages
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import staff
from compliance import carriers
from filing_portal.downloads import file_headers
from filing_portal.workflow import TransitionRefused

from . import batches, selectors, services
from .gateway import FileGateway
from .models import CarrierBatch, filing_state_label


def _clerk(request):
    if not staff.is_clerk(request.user):
        raise Http404
    return request.user


class CappedUpload(FileUploadHandler):
    """Keeps an uploaded results file in memory up to CARRIER_BATCH_MAX_BYTES; past that it stops
    reading it (the rest of the request is drained, never kept): nothing of a refused file is stored."""

    def __init__(self, request=None):
        super().__init__(request)
        self.cap = settings.CARRIER_BATCH_MAX_BYTES
        self.too_big = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.cap:
            self.too_big = True
            raise SkipFile
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(self.buffer, self.field_name, self.file_name, self.content_type, file_size,
                                    self.charset, self.content_type_extra)  # fmt: skip


def capped_upload(route):
    """The import route: its upload handler is set before anything reads the request body. CSRF is
    still checked, inside (the admin's view wrapper adds csrf_protect), after the handler is in place."""

    @functools.wraps(route)
    def view(request, *args, **kwargs):
        request.upload_handlers = [CappedUpload(request)]
        return route(request, *args, **kwargs)

    return csrf_exempt(view)


def _context(request, title, **extra):
    return {**admin.site.each_context(request), "title": title, **extra}


@require_GET
def batches_view(request):
    _clerk(request)
    context = _context(request, _("Carrier batches"), waiting=selectors.waiting(),
                       batches=selectors.batches_listed())  # fmt: skip
    return render(request, "admin/filings/carrier_batches.html", context)


@require_POST
def open_view(request):
    clerk = _clerk(request)
    carrier = request.POST.get("carrier", "")
    if carrier not in carriers.CODES:
        raise Http404
    try:
        batch = services.open_batch(carrier=carrier, actor=clerk)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
        return redirect("carrier-batches")
    messages.success(request, _("Batch #%(batch)s opened with %(size)s filings: download its file and hand it to "
                                "the carrier.") % {"batch": batch.pk, "size": batch.size})  # fmt: skip
    return redirect("carrier-batch", pk=batch.pk)


def _batch(pk):
    return get_object_or_404(CarrierBatch.objects.select_related("created_by", "submitted_by"), pk=pk)


def _batch_page(request, batch, *, report=None, status=200):
    filings = list(batch.filings.select_related("organization", "signature", "template").order_by("pk"))
    rows = [(f, services.application_label(f), filing_state_label(f.status)) for f in filings]
    report_rows = [
        (row, filing_state_label(row.current) if row.current else "—",
         filing_state_label(row.outcome) if row.outcome else "—")
        for row in (report.rows if report else [])
    ]  # fmt: skip
    title = _("Batch #%(batch)s · %(carrier)s") % {"batch": batch.pk, "carrier": batch.get_carrier_display()}
    context = _context(
        request, title, batch=batch, rows=rows, report=report, report_rows=report_rows,
        max_size=settings.CARRIER_BATCH_MAX_BYTES,
        full_id_numbers=batch.carrier in settings.CARRIER_BATCH_FULL_ID_NUMBERS,
    )  # fmt: skip
    return render(request, "admin/filings/carrier_batch.html", context, status=status)


@require_GET
def batch_view(request, pk):
    _clerk(request)
    return _batch_page(request, _batch(pk))


@require_POST
def download_view(request, pk, fmt):
    """The batch's file. A POST: where the channel needs full ID numbers, each download is logged."""
    clerk = _clerk(request)
    if fmt not in batches.FORMATS:
        raise Http404
    batch = _batch(pk)
    artefact = services.batch_send(batch=batch, actor=clerk, gateway=FileGateway(fmt), request=request)
    return file_headers(HttpResponse(artefact.content, content_type=artefact.content_type), filename=artefact.filename)


@require_http_methods(["GET", "POST"])
def submit_view(request, pk):
    """Marking the batch submitted (handed to the carrier): asked once more, then done."""
    clerk = _clerk(request)
    batch = _batch(pk)
    if request.method == "GET":
        title = _("Mark batch #%(batch)s submitted?") % {"batch": batch.pk}
        return render(request, "admin/filings/carrier_batch_submit.html", _context(request, title, batch=batch))
    try:
        services.submit_batch(batch, actor=clerk)
    except TransitionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Batch #%(batch)s is marked submitted: its filings are with the carrier now.")
                         % {"batch": batch.pk})  # fmt: skip
    return redirect("carrier-batch", pk=batch.pk)


@require_POST
def import_view(request, pk):
    clerk = _clerk(request)
    batch = _batch(pk)
    dry_run = bool(request.POST.get("dry_run"))
    handler = next((h for h in request.upload_handlers if isinstance(h, CappedUpload)), None)
    if handler is not None and handler.too_big:
        report = services.ImportReport(batch=batch, problem=services.too_large_message(), dry_run=dry_run)
        return _batch_page(request, batch, report=report, status=400)
    upload = request.FILES.get("file")
    if upload is None:
        report = services.ImportReport(batch=batch, problem=_("Choose the results file to import."), dry_run=dry_run)
        return _batch_page(request, batch, report=report, status=400)
    report = services.batch_import(source=upload.read(), actor=clerk, gateway=FileGateway(), batch=batch,
                                   dry_run=dry_run)  # fmt: skip
    if report.refused:
        if report.problem:  # the file as a whole (its encoding, its columns): no row to mark
            messages.error(request, _("The file was refused: nothing was recorded. Correct the file as said below "
                                      "and import it again."))  # fmt: skip
        else:
            messages.error(request, _("The file was refused: nothing was recorded. Correct the rows marked below "
                                      "and import it again."))  # fmt: skip
        return _batch_page(request, batch, report=report, status=400)
    if dry_run:
        messages.info(request, _("Dry run: nothing was recorded. %(ok)s would be recorded, %(unchanged)s are "
                                 "unchanged, %(skipped)s have no result yet.") % _counts(report))  # fmt: skip
    else:
        messages.success(request, _("%(ok)s recorded, %(unchanged)s unchanged, %(skipped)s without a result yet.")
                         % _counts(report))  # fmt: skip
    return _batch_page(request, CarrierBatch.objects.get(pk=batch.pk), report=report)


def _counts(report):
    return {"ok": report.count(services.OK), "unchanged": report.count(services.UNCHANGED),
            "skipped": report.count(services.SKIPPED)}  # fmt: skip
