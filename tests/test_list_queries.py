"""Every list costs a fixed, small number of queries (issue 14, "Speed"): each list page of the customer site,
each admin changelist and staff queue and each API list is read with 5 rows of what it lists and again with
500. Under django-zeal's raising context (settings.N_PLUS_ONE_DETECTOR, turned on by pyproject.toml's
pytest-env) no N+1 may be reported; the two counts must be equal, and at most MAX_QUERIES, or a page's own
budget in OVER_BUDGET, written down with the reason and left as work to do.

The lists are found, not listed: the customer pages from the "org" URL namespace (and home, the organization
chooser), the changelists from the admin's registry, the staff queues from the admin/ routes of the root
URLconf, the API's from its urlpatterns. Every route is a list unless NOT_LISTS says what else it is, so a list
added tomorrow is measured here (and fails until the world below grows rows of it).

One world and one test (CI runs every test twice): tests/test_admin.py's AdminWorld, which holds
tests/test_page_queries.py's customer World, grown in bulk to 5 rows and then to 500.
"""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from zeal import NPlusOneError, zeal_context

from accounts import roles
from api import services as api_services
from signatures.models import Signature

from .conftest import make_staff, otp_login

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10

# What each route that is not a list is, by URL name ("org:", "api:" or the root URLconf's staff names).
NOT_LISTS = {
    # The customer site: forms, checks, actions (POST) and one object's page. Each is held to the same queries
    # for 5 and 500 rows by tests/test_page_queries.py, which loads every customer page.
    "org:member-remove": "action (POST)",
    "org:invitation-revoke": "action (POST)",
    "org:entity-create": "form",
    "org:entity-field-check": "live check of one field",
    "org:entity-detail": "one entity's page",
    "org:entity-edit": "form",
    "org:document-upload": "action (POST)",
    "org:entity-consent": "form",
    "org:entity-package-submit": "action (POST)",
    "org:entity-consent-withdraw": "action (POST)",
    "org:evidence-create": "form",
    "org:evidence-delete": "action (POST)",
    "org:signature-create": "form",
    "org:signature-check": "live check of one signature",
    "org:signature-detail": "one signature's page",
    "org:signature-edit": "form",
    "org:signature-withdraw": "action (POST)",
    "org:template-create": "form",
    "org:template-check": "live check of one template (POST)",
    "org:template-detail": "one template's page",
    "org:template-edit": "form",
    "org:template-revise": "form",
    "org:template-withdraw": "action (POST)",
    "org:template-test-send": "action (POST)",
    "org:notice-detail": "one notice's page",
    "org:notice-acknowledge": "action (POST)",
    "org:webhook-action": "action (POST)",
    "org:api-key-revoke": "action (POST)",
    # The staff's own views under admin/ (the admin site's own pages: tests/test_admin.py walks them all).
    "system-status": "the probes of the database, Redis and Celery",
    "review-item": "one application's review page",
    "review-claim": "action (POST)",
    "review-release": "action (POST)",
    "review-reveal": "action (POST)",
    "review-decide": "action (POST)",
    "carrier-batch-open": "action (POST)",
    "carrier-batch": "one batch's page",
    "carrier-batch-download": "one batch's file",
    "carrier-batch-submit": "action (POST)",
    "carrier-batch-import": "action (POST, an upload)",
    # The API: its description, single objects and actions (tests/test_api*.py).
    "api:schema": "the OpenAPI document",
    "api:docs": "Swagger UI",
    "api:redoc": "Redoc",
    "api:problem": "one problem type's description",
    "api:entities-detail": "one entity",
    "api:entities-document": "one document",
    "api:entities-consent": "one consent",
    "api:entities-consent-withdraw": "action (POST)",
    "api:documents-link": "one document's signed link",
    "api:signatures-precheck": "check (POST)",
    "api:signatures-detail": "one signature",
    "api:signatures-withdraw": "action (POST)",
    "api:signatures-resubmit": "action (POST)",
    "api:templates-check": "check (POST)",
    "api:templates-detail": "one template",
    "api:templates-withdraw": "action (POST)",
    "api:templates-resubmit": "action (POST)",
    "api:notices-detail": "one notice",
    "api:notices-acknowledge": "action (POST)",
    "api:webhooks-detail": "one endpoint",
    "api:webhooks-test": "action (POST)",
}

# Lists over MAX_QUERIES today, with the budget they are held to (still the same for 5 and 500 rows, still no N+1
# under zeal). Each is work left for issue 14; lower a budget as a page gets cheaper, never raise one silently.
OVER_BUDGET = {
    # The account manager's desk (docs/desk.md, "Queries") is a dashboard of a dozen panels over one paged list:
    # the applications' page and count, the three carrier marks of its rows, the short lists of what waits and
    # what was sent back with their counts, the late filings, the sending flags, the notices, what expires,
    # four charts, the filter's organizations and managers. Each panel is one or two queries whatever the rows;
    # under 10 needs panels merged into shared aggregates or loaded apart (issue 14, remaining work).
    "desk": 33,
}


def _routes(patterns, prefix=""):
    """(url name, route) of every named pattern, includes walked."""
    for p in patterns:
        if isinstance(p, URLPattern):
            if p.name:
                yield (prefix + p.name, str(p.pattern))
        else:
            namespace = f"{p.namespace}:" if p.namespace else ""
            yield from _routes(p.url_patterns, prefix + namespace)


def _ids(route, w):
    """The route's ids, of the world's rows with the most under them (a list inside one entity or endpoint)."""
    values = {"entity_id": w.entity.pk, "endpoint_id": w.endpoint.pk}
    names = re.findall(r"<\w+:(\w+)>", route)
    assert set(names) <= set(values), f"{route}: a list with an id the world does not fill: teach _ids"
    return {k: values[k] for k in names}


def customer_lists(w):
    """{name: url} of the customer site's list pages: home (the organization chooser) and the org namespace's."""
    from accounts import org_urls

    lists = {"home": reverse("home")}
    for name, route in _routes(org_urls.urlpatterns, "org:"):
        if name not in NOT_LISTS:
            lists[name] = reverse(name, kwargs={"org_id": w.org.pk, **_ids(route, w)})
    lists["org:signature-list ?status=approved"] = lists["org:signature-list"] + "?status=approved"
    return lists


def staff_lists():
    """{name: url} of every admin changelist and of the staff's own list views under admin/ (the queues)."""
    from filing_portal import urls

    lists = {}
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        lists[name] = reverse(name)
    for p in urls.urlpatterns:
        if isinstance(p, URLPattern) and str(p.pattern).startswith("admin/") and p.name not in NOT_LISTS:
            assert "<" not in str(p.pattern), f"{p.name}: a staff list with an id in its route: teach staff_lists"
            lists[p.name] = reverse(p.name)
    return lists


def api_lists(w):
    """{name: url} of every API list: each route of api/urls.py that NOT_LISTS does not name."""
    from api import urls

    lists = {}
    for name, route in _routes(urls.urlpatterns, "api:"):
        if name not in NOT_LISTS:
            lists[name] = reverse(name, kwargs=_ids(route, w))
    lists["api:signatures-list ?status=approved"] = lists["api:signatures-list"] + "?status=approved"
    return lists


def _count(client, url):
    """The queries of one GET under zeal's raising context; (count, an N+1 report or "", status). As a running
    process serves it: warm (the page loaded once first, uncounted), with the policy rows, holidays and a
    form's options kept, as after a first request (tests/test_page_queries.py counts those cold)."""
    client.get(url)
    connection.queries_log.clear()  # (a deque of 9,000: a full one would count nothing)
    report = ""
    with CaptureQueriesContext(connection) as queries:
        try:
            with zeal_context():
                response = client.get(url)
        except NPlusOneError as error:
            report, response = str(error), None
    return len(queries), report, response.status_code if response is not None else 0


def _grow(world, staff, n):
    """n more of every row the lists show: AdminWorld's, and the API keys and review packages it lacks."""
    from api.models import ApiKey
    from compliance import transitions as t
    from qualifications.models import Entity, PackageReview

    world.grow(n)
    w = world.world
    start = ApiKey.objects.count()
    ApiKey.objects.bulk_create(
        ApiKey(organization=w.org, name=f"key{start + i}", prefix=f"k{start + i:08d}", hashed="0" * 64,
               created_by=w.owner)
        for i in range(n)
    )  # fmt: skip
    fresh = Entity.objects.filter(organization=w.org, package_review__isnull=True).order_by("pk")[:n]
    PackageReview.objects.bulk_create(PackageReview(entity=e, organization=w.org, status=t.SUBMITTED) for e in fresh)


def test_the_detector_is_installed_and_raises_on_an_n_plus_one(owner_a):
    """The check below means something only if zeal is installed and raising: a lazy load a row fails."""
    from .test_page_queries import World

    World(owner_a).grow(2)
    with pytest.raises(NPlusOneError), zeal_context():
        [signature.entity.name for signature in Signature.objects.all()]  # noqa: B018
    with zeal_context():  # the same rows, read as the lists read them
        [signature.entity.name for signature in Signature.objects.select_related("entity")]  # noqa: B018


def test_every_list_costs_the_same_few_queries_for_500_rows_as_for_5_and_no_n_plus_one(owner_a, settings):
    # A cache of this test's own: the counts are of a warm process, which another process sharing the cache
    # (a second checkout's tests on the same Redis) must not make cold in the middle of a count.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from .test_admin import AdminWorld

    world = AdminWorld(owner_a)
    w = world.world
    staff = make_staff("lists@platform.cn", roles.REVIEWER)
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    w.org.account_manager = staff
    w.org.save(update_fields=["account_manager"])
    membership = owner_a.memberships.get(organization=w.org)
    secret = api_services.key_create(membership=membership, name="lists", scope="read").secret

    customer, staff_client = Client(), Client()
    customer.force_login(owner_a)
    assert otp_login(staff_client, staff).status_code == 302
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    pages = [(customer, customer_lists(w)), (staff_client, staff_lists()), (api, api_lists(w))]
    assert {"org:signature-list", "review-queue", "carrier-batches", "desk", "api:entities-list"} <= {
        name for _, urls in pages for name in urls
    }

    counts = {}
    for n in (5, 495):
        _grow(world, staff, n)
        for client, urls in pages:
            for name, url in urls.items():
                counts.setdefault(name, []).append(_count(client, url))

    table = "\n".join(f"{name:60} {few[0]:3} {many[0]:3}" for name, (few, many) in sorted(counts.items()))
    print(f"\nqueries for 5 and 500 rows:\n{table}")  # (the report's table: pytest -s)
    problems = []
    for name, (few, many) in sorted(counts.items()):
        budget = OVER_BUDGET.get(name, MAX_QUERIES)
        if few[2] != 200 or many[2] != 200:
            problems.append(f"{name}: answered {few[2]} / {many[2]} {few[1] or many[1]}")
        elif few[0] != many[0] or many[0] > budget:
            problems.append(f"{name}: {few[0]} queries for 5 rows, {many[0]} for 500 (at most {budget})")
    assert problems == [], "\n".join(problems)
    # A budget kept for a list that now fits is one to drop.
    assert [name for name in OVER_BUDGET if counts[name][1][0] <= MAX_QUERIES] == []
