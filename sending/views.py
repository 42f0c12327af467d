"""The customer's upload of sending statistics (sending/services.py), under /o/<org_id>/."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from filings.admin_views import capped_upload
from filings.services import too_large_message

from . import services
from .models import SendingStat


@capped_upload  # the upload's handler first: a file over the limit is never stored
@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def stats_upload(request, org_id):
    org = account_selectors.membership_get(user=request.user, org_id=org_id).organization
    report, status = None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = bool(request.POST.get("dry_run"))
        if upload is None:
            handler = request.upload_handlers[0] if request.upload_handlers else None
            problem = too_large_message() if getattr(handler, "too_big", False) else _("Choose the file to import.")
            report = services.ImportReport(problem=problem, dry_run=dry_run)
        else:
            report = services.import_stats(data=upload.read(), organization=org, actor=request.user, dry_run=dry_run)
        status = 400 if report.refused else 200
    latest = (SendingStat.objects.filter(organization=org).select_related("signature")
              .order_by("-day", "signature__text", "carrier")[:30])  # fmt: skip
    context = {"org": org, "report": report, "headers": services.HEADERS, "latest": latest,
               "max_size": settings.CARRIER_BATCH_MAX_BYTES}  # fmt: skip
    return render(request, "sending/upload.html", context, status=status)
