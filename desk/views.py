"""The account manager's desk in the admin (/admin/desk/): reads only, through desk.selectors. Verified
staff who follow customers (account managers) or oversee them (reviewers, superusers); a customer,
or staff of another role, gets 404, as for a page that does not exist; an organization outside the
viewer's desk too (docs/desk.md)."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.services import account_managers
from compliance import transitions as t
from filing_portal import tabular
from sending import selectors as sending_selectors

from . import export, selectors
from .forms import DeskFilterForm
from .selectors import Filters

PAGE_SIZE = 50


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise Http404 from None


@require_GET
def desk_view(request):
    viewer = request.user
    if not selectors.may_use_desk(viewer):
        raise Http404
    chinese = (get_language() or "").startswith("zh")
    managers = None
    if selectors.oversees(viewer):
        managers = [(pk, name or email) for pk, name, email in
                    account_managers().order_by("email").values_list("pk", "full_name", "email")]  # fmt: skip
    manager_id = _int(request.GET.get("manager")) if managers is not None else None
    if manager_id is not None and manager_id not in dict(managers):
        raise Http404
    organizations = selectors.desk_organizations(viewer=viewer, manager_id=manager_id)
    choices = list(organizations.order_by("name", "pk").values_list("pk", "name"))
    organization_id = _int(request.GET.get("organization"))
    if organization_id is not None and organization_id not in dict(choices):
        raise Http404  # another manager's customer, or none at all: the same answer
    form = DeskFilterForm(request.GET or None, organizations=choices, managers=managers, chinese=chinese)
    data = form.cleaned_data if form.is_valid() else {}
    filters = Filters(
        organization_id=organization_id, kind=data.get("kind") or "", carrier=data.get("carrier") or "",
        filing_state=data.get("filing_state") or "", overdue=bool(data.get("overdue")),
        waiting=bool(data.get("waiting")), status=data.get("status") or "",
    )  # fmt: skip
    scope = organizations.filter(pk=organization_id) if organization_id else organizations

    kind = request.GET.get("export")
    if kind in ("csv", "xlsx"):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        rows = export.rows(organizations=organizations, filters=filters)
        if kind == "csv":
            return tabular.csv_response(export.header(), rows, filename=f"desk-{stamp}.csv")
        return tabular.xlsx_response(export.header(), rows, filename=f"desk-{stamp}.xlsx", title=_("Desk"))
    if kind:
        raise Http404

    page = Paginator(selectors.application_rows(organizations=organizations, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    waiting_count, waiting = selectors.short_list(organizations=scope, filters=Filters(waiting=True))
    changes_count, changes = selectors.short_list(organizations=scope, filters=Filters(status=t.CHANGES_REQUESTED))
    overdue_count, overdue = selectors.overdue_filings(organizations=scope)
    flag_count, flags = sending_selectors.open_flags(organizations=scope, chinese=chinese)
    charts = {
        "pipeline": selectors.pipeline(organizations=scope),
        "lead": selectors.lead_times(organizations=scope),
        "review": selectors.review_waiting(organizations=scope),
    }
    context = {
        **admin.site.each_context(request),
        "title": _("Account manager's desk"), "form": form, "page": page,
        "rows": selectors.rows_with_marks(list(page.object_list)),
        "waiting": waiting, "waiting_count": waiting_count, "changes": changes, "changes_count": changes_count,
        "overdue": overdue, "overdue_count": overdue_count, "flags": flags, "flag_count": flag_count,
        "notices": _notices(viewer, chinese), "expiring": selectors.expiring(organizations=scope),
        "expiring_days": selectors.EXPIRING_DAYS, "charts": charts,
        "pipeline_rows": list(zip(charts["pipeline"]["states"], charts["pipeline"]["signatures"],
                                  charts["pipeline"]["templates"], strict=True)),
        "lead_rows": list(zip(charts["lead"]["carriers"], charts["lead"]["median"], charts["lead"]["p90"],
                              charts["lead"]["count"], strict=True)),
        "oversees": managers is not None, "organization_count": len(choices),
        "review_target": _target_days(),
    }  # fmt: skip
    return render(request, "admin/desk/desk.html", context)


def _notices(viewer, chinese: bool) -> list[dict]:
    """The viewer's own notices (flags of their customers, digests): where their e-mails link to."""
    from notices.selectors import staff_notices

    language = "zh-hans" if chinese else "en"
    return [{"pk": n.pk, "subject": n.subject(language), "created_at": n.created_at, "severity": n.severity,
             "items": n.items[:5], "more": max(0, len(n.items) - 5)}
            for n in staff_notices(user=viewer, limit=10)]  # fmt: skip


def _target_days() -> int:
    from django.conf import settings

    return settings.REVIEW_TARGET_WORKING_DAYS
