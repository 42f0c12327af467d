"""The admin as staff use it (issue 10, "Defects found on the way" and "The admin in the reader's
language"): each role sees what it may, every route answers a missing object with 404, pages cost
the same number of queries for 5 and 500 rows, and everything reads in the reader's language."""

import os
import re
import subprocess
import sys
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from accounts import roles

from .conftest import make_staff, otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    user = make_staff("root@platform.cn", roles.REVIEWER)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def policy_admin(db):
    return make_staff("policy@platform.cn", roles.POLICY_ADMIN)


def verified(client, user):
    assert otp_login(client, user).status_code == 302
    return client


# --- the site, configured the supported way ------------------------------------------------------


def test_it_uses_the_portal_site_before_any_url_is_loaded():
    """AdminConfig.default_site, not a class swapped in urls.py: a process that never imports the
    URLconf (a management command, a worker) registers on the same site."""
    code = (
        "import django; django.setup(); from django.contrib import admin; "
        "from filing_portal.admin_site import PortalAdminSite; "
        "assert isinstance(admin.site, PortalAdminSite) and admin.site.name == 'admin', admin.site; print('ok')"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            env={**env, "DJANGO_SETTINGS_MODULE": "filing_portal.settings", "VAR_DIR": "var/test"},
                            timeout=120)  # fmt: skip
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
    assert "__class__" not in (settings.BASE_DIR / "filing_portal" / "urls.py").read_text()


# --- who sees what ----------------------------------------------------------------------------------


@pytest.fixture
def world(owner_a, org_a):
    from .test_page_queries import World

    world = World(owner_a)
    world.grow(2)
    return world


def _inlines(response):
    return {f.opts.model._meta.model_name: len(f.formset.forms) for f in response.context["inline_admin_formsets"]}


@pytest.mark.parametrize("who", ["reviewer", "account_manager"])
def test_staff_who_are_not_superusers_see_the_timelines(client, request, who, world):
    """The staff groups hold the timelines' view permission (accounts/roles.py), as they hold the
    signature's and the template's: the inline showed for superusers only."""
    verified(client, request.getfixturevalue(who))
    page = client.get(reverse("admin:signatures_signature_change", args=[world.signature.pk]))
    assert page.status_code == 200 and _inlines(page)["signatureevent"] == 2
    page = client.get(reverse("admin:templates_app_smstemplate_change", args=[world.template.pk]))
    assert page.status_code == 200 and _inlines(page)["templateevent"] == 2
    # Each row in the reader's words (草稿 → 已提交), with no title in the states' codes ("draft → submitted").
    html = page.content.decode()
    assert "已提交" in html and "→ submitted" not in html


@pytest.fixture
def id_document(client, org_a, owner_a):
    from qualifications import services
    from qualifications.models import Document, Entity

    from . import files
    from .test_qualifications import upload

    entity = Entity.objects.create(organization=org_a, name="甲科技有限公司", uscc="91110108MA01DEM0AW",
                                   legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    services.consent_grant(entity=entity, user=owner_a)
    client.force_login(owner_a)
    upload(client, org_a, entity, "legal_rep_id_front", files.jpeg())
    client.logout()
    return Document.objects.get()


@pytest.mark.parametrize(("who", "original"), [("reviewer", True), ("account_manager", False), ("superuser", True)])
def test_the_entity_page_links_only_the_files_its_viewer_may_open(client, request, who, original, id_document):
    """The account manager was shown the unwatermarked original, which the download door refuses (404)."""
    verified(client, request.getfixturevalue(who))
    page = client.get(reverse("admin:qualifications_entity_change", args=[id_document.entity_id])).content.decode()
    links = re.findall(r'href="(/documents/[^"]+)"', page)
    assert reverse("document-file", args=[id_document.pk, "file"]) in links
    assert (reverse("document-file", args=[id_document.pk, "original"]) in links) is original
    for link in links:
        assert client.get(link).status_code == 200, link


# --- a missing object, on every route: 404 ---------------------------------------------------------


def admin_routes():
    """(route, name) of every admin URL pattern: Django's, the libraries' and our own views."""
    from .test_security_headers import url_patterns

    return [(route, name) for route, name in url_patterns() if route.startswith("admin/")]


def _model_of(route):
    from django.contrib import admin

    if route.startswith("admin/filings/batches/"):  # the clerk's pages of a batch (filings/admin_views.py)
        from filings.models import CarrierBatch

        return CarrierBatch
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    for model in admin.site._registry:
        if match and (model._meta.app_label, model._meta.model_name) == match.groups():
            return model
    return None


def _missing_id(model):
    return str(uuid.uuid4()) if model._meta.pk.get_internal_type() == "UUIDField" else "987654321"


def _with_id(route, value):
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", str(value), route)


def object_routes():
    """Every admin route that names one object, with its model."""
    routes = []
    for route, name in admin_routes():
        if route.startswith(("admin/r/", "admin/^(", "admin/(?P")):  # view on site, app index, catch-all
            continue
        model = _model_of(route)
        if route.startswith("admin/review/<str:kind>/"):  # the review queue's item: a signature's id
            from signatures.models import Signature

            if name != "review-item":
                continue  # POST only (405 to a GET, whatever the id): tests/test_review_queue.py posts them
            model = Signature
        if name in ("carrier-batch-download", "carrier-batch-import"):
            continue  # POST only (405 to a GET, whatever the id): tests/test_carrier_batches.py posts them
        if re.search(r"<(?:\w+:)?\w+>", route):
            assert model is not None, f"{name}: an object route of no registered model: teach this walk"
            routes.append((route, name, model))
    return routes


def test_every_object_route_answers_404_for_a_missing_id(client, superuser):
    verified(client, superuser)
    routes = object_routes()
    assert len(routes) > 60  # change, history, delete and the old-style link of 20-odd models, and ours
    answers = {}
    for route, name, model in routes:
        for value in (_missing_id(model), "not-an-id"):
            if "<int:" in route and not value.isdigit() or "<uuid:" in route and "-" not in value:
                continue  # the URL itself does not match: Django's 404
            response = client.get(_with_id(route, value), follow=True)
            answers[f"{name} {value}"] = response.status_code
    assert {k: v for k, v in answers.items() if v != 404} == {}


def test_view_on_site_answers_404_for_a_missing_object(client, superuser):
    from django.contrib.contenttypes.models import ContentType

    from signatures.models import Signature

    verified(client, superuser)
    content_type = ContentType.objects.get_for_model(Signature)
    assert client.get(f"/admin/r/{content_type.pk}/987654321/").status_code == 404


def _rows_of_organization_b(owner_b):
    """One row of every registered model, another organization's where the model belongs to one."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib import admin
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from filings.models import CarrierBatch
    from policies.models import Holiday
    from qualifications.models import Document, DocumentAccess, IdImageConsent, IdNumberReveal

    from .test_page_queries import World

    world = World(owner_b)
    world.grow(1)
    document = Document.objects.filter(entity__organization=world.org).first()
    DocumentAccess.objects.create(document=document, user=owner_b, variant="file")
    IdNumberReveal.objects.create(entity=world.entity, user=owner_b, person="legal_rep")
    IdImageConsent.objects.create(entity=world.entity, user=owner_b, notice_version="1")
    Holiday.objects.create(day=dt.date(2027, 1, 1), name="元旦")
    CarrierBatch.objects.create(carrier="telecom", size=1)
    from announcements.models import Announcement
    from policies.models import Policy

    Announcement.objects.create(policy=Policy.objects.filter(builtin=True).first(), title_zh="公告", title_en="News")
    TOTPDevice.objects.create(user=owner_b, name="phone")
    attempt = {"username": "x", "ip_address": "10.0.0.1", "attempt_time": timezone.now()}
    AccessAttempt.objects.create(**attempt, failures_since_start=1)
    AccessLog.objects.create(**attempt)
    AccessFailureLog.objects.create(**attempt)
    rows = {}
    for model, model_admin in admin.site._registry.items():
        lookup = getattr(model_admin, "organization_lookup", None)
        found = model._default_manager.filter(**{lookup: [world.org.pk]}) if lookup else model._default_manager.all()
        row = found.order_by("pk").first()
        assert row is not None, f"{model._meta.label}: no row to walk: add one above"
        rows[model] = row
    return rows


@pytest.mark.parametrize("who", ["reviewer", "account_manager", "policy_admin"])
def test_a_row_staff_may_not_see_answers_as_a_missing_one(client, request, who, owner_b):
    """The history page of a model not scoped to an organization told a staff user without its
    permission which ids exist (403) and which do not (a redirect); another manager's customer's rows
    answered as missing ones only on some routes. Now: the same answer for both, on every route."""
    rows = _rows_of_organization_b(owner_b)
    verified(client, request.getfixturevalue(who))
    differ = {}
    for model, row in rows.items():
        opts = model._meta
        if client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])).status_code == 200:
            continue  # they may see it: nothing to hide
        for action in ("change", "history", "delete"):
            name = f"admin:{opts.app_label}_{opts.model_name}_{action}"
            existing = client.get(reverse(name, args=[row.pk])).status_code
            missing = client.get(reverse(name, args=[_missing_id(model)])).status_code
            if existing != missing:
                differ[name] = (existing, missing)
    assert differ == {}


# --- admin writes go through services -------------------------------------------------------------


def test_no_admin_of_ours_writes_a_row_itself():
    """An admin that saves a row calls a service (the test-send admin saved its row itself): no
    ModelAdmin of our apps hands the write back to Django's save_model."""
    import ast
    import inspect

    from django.contrib import admin

    ours = {"accounts", "qualifications", "signatures", "templates_app", "filings", "announcements"}
    writers = []
    overrides = 0
    for model, model_admin in admin.site._registry.items():
        defined = next(cls for cls in type(model_admin).__mro__ if "save_model" in vars(cls))
        if model._meta.app_label not in ours or defined.__module__.startswith("django."):
            continue
        overrides += 1
        source = inspect.getsource(defined.save_model)
        calls = {ast.unparse(node.func) for node in ast.walk(ast.parse(source.strip())) if isinstance(node, ast.Call)}
        if "super().save_model" in calls or any(call.endswith((".save", ".objects.create")) for call in calls):
            writers.append(model._meta.label)
        writers += [] if any("services." in c for c in calls) else [f"{model._meta.label}?"]
    assert overrides and writers == []


def test_the_test_send_service_records_under_the_customer_sites_rule(owner_a):

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from templates_app import services as test_sends
    from templates_app.models import TestSend

    from .test_page_queries import World

    world = World(owner_a)
    row = test_sends.record_test_send(template=world.template, user=owner_a, carrier="telecom",
                                      sent_on=timezone.localdate(), delivered=True, failure_code="stray")  # fmt: skip
    assert (row.delivered, row.failure_code, row.recorded_by) == (True, "", owner_a)
    with pytest.raises(ValidationError) as refused:
        test_sends.record_test_send(template=world.draft_template, user=owner_a, carrier="telecom",
                                    sent_on=timezone.localdate(), delivered=False, failure_code=" ")  # fmt: skip
    assert set(refused.value.message_dict) == {"template", "failure_code"}
    assert TestSend.objects.count() == 1


# --- policies: every page answers, with typed fields, read as lists -----------------------------------


@pytest.fixture
def own_policy(db):
    import datetime as dt

    from policies.models import Policy

    return Policy.objects.create(key="lift-links", effective=dt.date(2027, 1, 1), carriers=["telecom"],
                                 notice="2026.12.1", summary_zh="电信：取消链接数限制",
                                 summary_en="Telecom: no link limit",
                                 params={"template_max_links": None, "accepted_sources": ["full_name", "trademark"],
                                         "ban_digits": True, "max_length": 10})  # fmt: skip


POLICY_PAGES = ("changelist", "add", "change builtin", "change own", "history builtin", "delete builtin", "delete own")
# What each role may do: a reviewer reads, a policy admin adds and edits rows of its own; nobody edits
# or deletes the built-in timeline (compliance/policies.py), which reads as the others do.
POLICY_ANSWERS = {
    "reviewer": (200, 403, 200, 200, 200, 403, 403),
    "policy_admin": (200, 200, 200, 200, 200, 403, 200),
    "superuser": (200, 200, 200, 200, 200, 403, 200),
}


@pytest.mark.parametrize("who", list(POLICY_ANSWERS))
def test_every_policy_page_answers_each_role_as_it_may(client, request, who, own_policy):
    """The policy pages answered 500 for the built-in rows and for reviewers (KeyError: 'params')."""
    from policies.models import Policy

    builtin = Policy.objects.filter(builtin=True).first()
    verified(client, request.getfixturevalue(who))
    answers = []
    for page in POLICY_PAGES:
        action, _, which = page.partition(" ")
        row = {"builtin": builtin, "own": own_policy}.get(which)
        response = client.get(reverse(f"admin:policies_policy_{action}", args=[row.pk] if row else []))
        answers.append(response.status_code)
        if response.status_code == 200:
            html = response.content.decode()
            assert "&quot;" not in html.split("<body", 1)[1] and 'name="params"' not in html, page
    assert tuple(answers) == POLICY_ANSWERS[who]


def test_the_policy_form_has_a_typed_field_for_every_parameter(client, policy_admin):
    from django import forms

    from compliance.policies import PARAMETER_ORDER, PARAMETERS, parameter_kind

    verified(client, policy_admin)
    form = client.get(reverse("admin:policies_policy_add")).context["adminform"].form
    assert "params" not in form.fields and set(PARAMETER_ORDER) == PARAMETERS
    expected = {"switch": forms.TypedChoiceField, "count": forms.IntegerField, "limit": forms.IntegerField,
                "percent": forms.IntegerField,
                "sources": forms.MultipleChoiceField, "words": forms.CharField, "choice": forms.ChoiceField,
                "text": forms.CharField}  # fmt: skip
    for name in PARAMETER_ORDER:
        assert type(form.fields[name]) is expected[parameter_kind(name)], name
        assert form.fields[name].label != name, f"{name}: no name in compliance.policies.PARAMETER_NAMES"
    assert type(form.fields["carriers"]) is forms.MultipleChoiceField


def _policy_post(**params):
    return {"key": "words-and-limits", "effective": "2027-02-01", "carriers": ["mobile", "telecom"],
            "notice": "2027.1.15", "summary_zh": "中性词调整", "summary_en": "Neutral words", **params}  # fmt: skip


def test_a_policy_admin_sets_each_kind_of_parameter_and_edits_it_again(client, policy_admin):
    from policies.models import Policy
    from policies.timeline import change_from_row

    verified(client, policy_admin)
    data = _policy_post(check_neutral="true", ban_latin="false", min_length="3", template_max_ips_unlimited="on",
                        accepted_sources=["full_name", "abbreviation"], neutral_words="验证码\n 客服 \n\n",
                        abbreviation_skip_severity="error", night_rate_limit="22:00-08:00")  # fmt: skip
    response = client.post(reverse("admin:policies_policy_add"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = Policy.objects.get(key="words-and-limits")
    assert row.carriers == ["mobile", "telecom"]
    assert row.params == {"check_neutral": True, "ban_latin": False, "min_length": 3, "template_max_ips": None,
                          "accepted_sources": ["full_name", "abbreviation"], "neutral_words": ["验证码", "客服"],
                          "abbreviation_skip_severity": "error", "night_rate_limit": "22:00-08:00"}  # fmt: skip
    change = change_from_row(row)  # the engine folds it
    assert change.params["accepted_sources"] == frozenset({"full_name", "abbreviation"})
    # Opened again, each field holds its value.
    form = client.get(reverse("admin:policies_policy_change", args=[row.pk])).context["adminform"].form
    initial = {name: form[name].value() for name in row.params}
    initial["template_max_ips"] = form["template_max_ips_unlimited"].value()
    assert initial == {"check_neutral": "true", "ban_latin": "false", "min_length": 3, "template_max_ips": True,
                       "accepted_sources": ["full_name", "abbreviation"], "neutral_words": "验证码\n客服",
                       "abbreviation_skip_severity": "error", "night_rate_limit": "22:00-08:00"}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, ["__all__"]),  # a change that sets nothing
        ({"max_length": "-1"}, ["max_length"]),
        ({"template_max_links": "2", "template_max_links_unlimited": "on"}, ["template_max_links"]),
        ({"abbreviation_skip_severity": "fatal"}, ["abbreviation_skip_severity"]),
        ({"accepted_sources": ["full_name", "nickname"]}, ["accepted_sources"]),
        ({"max_length": "3", "carriers": []}, ["carriers"]),
        ({"activity_spike_percent": "101"}, ["activity_spike_percent"]),
    ],
)
def test_a_policy_the_engine_cannot_fold_is_refused(client, policy_admin, params, errors):
    from policies.models import Policy

    verified(client, policy_admin)
    response = client.post(reverse("admin:policies_policy_add"), _policy_post(**params), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and sorted(response.context["adminform"].form.errors) == errors
    assert not Policy.objects.filter(builtin=False).exists()


def test_a_policy_reads_as_a_list_in_the_readers_language(client, reviewer, own_policy):
    verified(client, reviewer)
    url = reverse("admin:policies_policy_change", args=[own_policy.pk])
    html = client.get(url).content.decode()
    lines = (
        "签名最多字数：10",
        "签名不得含数字：是",
        "每个模板最多链接数：不限",
        "可报备的签名来源：企业全称、注册商标",
    )
    for line in lines:
        assert f"<li>{line}</li>" in html, line
    assert "中国电信" in html
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<li>Longest signature (characters): 10</li>" in html and "China Telecom" in html
    listing = client.get(reverse("admin:policies_policy_changelist")).content.decode()
    assert "<li>签名最多字数：10</li>" in listing


# --- no query per row -------------------------------------------------------------------------------
#
# Every admin page (each route of the admin's URL resolver: lists, object pages, history, delete, add and
# our own views) is loaded by a superuser with 5 of every row and again with 500: the number of queries
# must not grow. A model or route added to the admin is walked too, and fails here until the world below
# holds a row of it.


class AdminWorld:
    """tests/test_page_queries.World (one organization with n of everything a customer lists) and what
    only staff see: document accesses, consents, holidays, policy rows, authenticators, login records."""

    def __init__(self, owner):
        from .test_page_queries import World

        self.world = World(owner)
        self.owner = owner

    def grow(self, n):
        import datetime as dt

        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django.utils import timezone
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from accounts.models import User
        from filings.models import CarrierBatch, Filing
        from policies.models import Holiday, Policy
        from qualifications.models import Document, DocumentAccess, Entity, IdImageConsent, IdNumberReveal

        w, now = self.world, timezone.now()
        w.grow(n)
        document = Document.objects.filter(entity=w.entity).order_by("pk").first()
        users = list(User.objects.filter(email__startswith="colleague").order_by("-pk")[:n])
        DocumentAccess.objects.bulk_create(
            DocumentAccess(document=d, user=u, variant="file")
            for d, u in zip(Document.objects.filter(entity__organization=w.org).order_by("-pk")[:n], users, strict=True)
        )
        DocumentAccess.objects.bulk_create(DocumentAccess(document=document, user=u, variant="file") for u in users)
        IdNumberReveal.objects.bulk_create(IdNumberReveal(entity=w.entity, user=u, person="legal_rep") for u in users)
        entities = Entity.objects.filter(organization=w.org, consents__isnull=True).order_by("-pk")[:n]
        IdImageConsent.objects.bulk_create(
            IdImageConsent(entity=e, user=self.owner, notice_version="1") for e in entities
        )
        TOTPDevice.objects.bulk_create(TOTPDevice(user=u, name="phone") for u in users)
        # Batches, the first holding the world's filings (its page lists them).
        batches = CarrierBatch.objects.bulk_create(CarrierBatch(carrier="telecom", size=n, created_by=u) for u in users)
        Filing.objects.filter(organization=w.org, carrier="telecom", batch__isnull=True).update(batch=batches[0])
        start = Holiday.objects.count()
        Holiday.objects.bulk_create(Holiday(day=dt.date(2030, 1, 1) + dt.timedelta(days=start + i)) for i in range(n))
        start = Policy.objects.count()
        Policy.objects.bulk_create(
            Policy(key=f"row-{start + i}", effective=dt.date(2030, 1, 1), carriers=["telecom"], notice="2029.12.1",
                   summary_zh="测试", summary_en="test", params={"max_length": 10, "ban_digits": True})
            for i in range(n)
        )  # fmt: skip
        self.announcements(n)
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            start, extra = model.objects.count(), {"failures_since_start": 1} if model is AccessAttempt else {}
            model.objects.bulk_create(model(username=f"u{start + i}@alpha.cn", ip_address="10.0.0.1",
                                            attempt_time=now, **extra) for i in range(n))  # fmt: skip

    def announcements(self, n):
        """An announcement for each new policy row; the first one published, with a dry run and a publishing
        run of n chunks and n affected items each, and its notice to n organizations (half acknowledged)."""
        from django.utils import timezone

        from accounts.models import Organization
        from announcements.models import Announcement, ImpactChunk, ImpactItem, ImpactRun
        from notices.models import Notice
        from policies.models import Policy

        free = Policy.objects.filter(builtin=False, announcement__isnull=True).order_by("pk")[:n]
        Announcement.objects.bulk_create(Announcement(policy=p, title_zh=f"公告{p.pk}", title_en=f"News {p.pk}")
                                         for p in free)  # fmt: skip
        first = Announcement.objects.order_by("pk").first()
        Announcement.objects.filter(pk=first.pk).update(status="published", published_at=timezone.now())
        orgs = Organization.objects.bulk_create(Organization(name=f"客户{Organization.objects.count() + i}")
                                                for i in range(n))  # fmt: skip
        for dry in (True, False):
            run, _ = ImpactRun.objects.get_or_create(announcement=first, dry_run=dry, defaults={
                "as_of": first.policy.effective, "status": "done", "finished_at": timezone.now()})  # fmt: skip
            start = ImpactChunk.objects.filter(run=run).count()
            ImpactChunk.objects.bulk_create(
                ImpactChunk(run=run, kind="signature", first_id=start + i, last_id=start + i, status="done",
                            checked=1, affected=1) for i in range(n)
            )  # fmt: skip
            ImpactItem.objects.bulk_create(
                ImpactItem(run=run, kind="signature", object_id=start + i, organization=org, label_zh=f"签名【测{i}】",
                           label_en=f"Signature 【测{i}】", codes=["SIG_SOURCE_NOT_ACCEPTED"], reason_zh="不再接受",
                           reason_en="No longer accepted") for i, org in enumerate(orgs)
            )  # fmt: skip
            ImpactRun.objects.filter(pk=run.pk).update(chunks_total=start + n, items_planned=start + n)
        now = timezone.now()
        Notice.objects.bulk_create(
            Notice(organization=org, kind="rule_change", key=first.notice_key, severity="alarm", subject_zh="规则变更",
                   subject_en="Rule change", needs_ack=True, event_type="policy.announced",
                   acknowledged_at=now if i % 2 else None, acknowledged_by=self.owner if i % 2 else None)
            for i, org in enumerate(orgs)
        )  # fmt: skip

    def subjects(self):
        """The row whose page each model's object routes open: the one with the most rows under it."""
        from django.contrib import admin

        w = self.world
        chosen = {"accounts.Organization": w.org, "qualifications.Entity": w.entity,
                  "signatures.Signature": w.signature, "templates_app.SmsTemplate": w.template,
                  "accounts.User": self.owner}  # fmt: skip
        subjects = {}
        for model in admin.site._registry:
            row = chosen.get(model._meta.label) or model._default_manager.order_by("pk").first()
            assert row is not None, f"{model._meta.label}: no row in the admin world: grow one in AdminWorld"
            subjects[model] = row
        return subjects


def admin_pages(world: AdminWorld):
    """{name: url} of every admin page, from the admin's URL resolver."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    subjects = world.subjects()
    pages = {}
    for route, name in admin_routes():
        if route == "admin/(?P<url>.*)$":
            continue  # the catch-all: no page
        if name in ("carrier-batch-open", "carrier-batch-download", "carrier-batch-import"):
            continue  # POST only: tests/test_carrier_batches.py posts them
        if name in ("admin:announcements_announcement_dry_run", "admin:announcements_announcement_publish"):
            continue  # POST only: tests/test_announcements.py posts them
        if route.startswith("admin/^("):
            for app_label in {model._meta.app_label for model in admin.site._registry}:
                pages[f"app_list {app_label}"] = f"/admin/{app_label}/"
            continue
        if route.startswith("admin/r/"):
            row = world.world.signature
            pages[name] = f"/admin/r/{ContentType.objects.get_for_model(row).pk}/{row.pk}/"
            continue
        if route.startswith("admin/review/<str:kind>/<str:pk>/"):  # the review queue's item page, for a signature
            if name == "review-item":  # (claim, release and decide are POST only: tests/test_review_queue.py)
                signature = world.world.signature.pk
                pages[name] = "/" + route.replace("<str:kind>", "signature").replace("<str:pk>", str(signature))
            continue
        model = _model_of(route)
        if model is not None and re.search(r"<(?:\w+:)?\w+>", route):
            pages[name] = _with_id(route, subjects[model].pk)
        else:
            assert "<" not in route, f"{name}: teach admin_pages how to fill {route}"
            pages[name] = "/" + route
    return pages


def test_every_admin_page_runs_as_many_queries_for_500_rows_as_for_5(client, superuser, owner_a):
    from .test_page_queries import _queries as _customer_queries  # noqa: F401  (the same way of counting)

    world = AdminWorld(owner_a)
    verified(client, superuser)
    world.grow(5)
    pages = admin_pages(world)
    assert len(pages) > 100
    pages.pop("admin:logout")  # (a POST)
    for url in pages.values():  # once first: what a process caches (content types, compiled queries) is read
        client.get(url)
    few = {name: _count(client, url) for name, url in pages.items()}
    world.grow(495)
    many = {name: _count(client, url) for name, url in pages.items()}
    grew = {name: (few[name][0], many[name][0], many[name][2]) for name in few if many[name][0] != few[name][0]}
    assert grew == {}, "\n".join(
        f"{k}: {v[0]} queries for 5 rows, {v[1]} for 500, e.g. {v[2]}" for k, v in grew.items()
    )
    # (the status page answers 503 while a probe is down: no worker here)
    assert {name: status for name, (_, status, _) in many.items() if status >= 500 and name != "system-status"} == {}


def _count(client, url):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policies.timeline import HOLIDAYS_KEY, TIMELINE_KEY

    cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY])
    connection.queries_log.clear()  # (a deque of 9,000: a full one would count nothing)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries.captured_queries]
    repeated = sorted({q[:160] for q in shapes if shapes.count(q) > 3})[:2]
    return len(shapes), response.status_code, repeated


def test_the_delete_confirmation_counts_what_goes_with_a_row_and_still_deletes(client, superuser, owner_a, org_a):
    from django.contrib.auth.models import Group, Permission

    from .test_page_queries import World

    World(owner_a).grow(3)  # 3 colleagues
    group = Group.objects.create(name="temporary")
    group.permissions.set(Permission.objects.filter(codename__startswith="view_")[:4])
    group.user_set.set(org_a.memberships.values_list("user", flat=True))
    verified(client, superuser)
    url = reverse("admin:auth_group_delete", args=[group.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<li>Group: temporary" in page
    # (the through models' names are Django's, translated when the model was built)
    assert re.search(r"<li>User-group[^<:]*: 4</li>", page) and re.search(r"<li>Group-permission[^<:]*: 4</li>", page)
    # An organization holds memberships, which no one deletes in the admin: refused, by kind.
    page = client.get(reverse("admin:accounts_organization_delete", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Cannot delete organization" in page.content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()


# --- the admin in the reader's language ------------------------------------------------------------

# otp_totp: its admin is ours
OUR_APPS = {"accounts", "qualifications", "signatures", "templates_app", "otp_totp", "announcements"}


def _labels_of_ours():
    """Every label our models and admins give the admin (model and field names, help texts, choices,
    column and field descriptions, sections, inline titles), as lazy values or plain strings."""
    from django.apps import apps
    from django.contrib import admin

    labels = []
    for model in apps.get_models():
        opts = model._meta
        if opts.app_label not in OUR_APPS:
            continue
        labels += [opts.verbose_name, opts.verbose_name_plural]
        for field in opts.get_fields():
            if field.is_relation and field.auto_created:
                continue
            labels += [field.verbose_name, getattr(field, "help_text", "")]
            labels += [label for _value, label in getattr(field, "flatchoices", None) or []]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        for owner in (model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)):
            labels += [getattr(owner, "verbose_name", None), getattr(owner, "verbose_name_plural", None)]
            for name in dir(type(owner)):
                labels.append(getattr(getattr(type(owner), name, None), "short_description", None))
        for title, _options in model_admin.get_fieldsets(_FakeRequest(), None) if model_admin.fieldsets else ():
            labels.append(title)
    return [label for label in labels if label]


class _FakeRequest:
    class user:  # noqa: N801
        is_superuser = True

        @staticmethod
        def has_perm(perm):
            return True


def untranslated_labels():
    """Our labels that read the same in Chinese as in English (a Latin word, no Chinese character)."""
    from django.utils import translation

    found = set()
    for label in _labels_of_ours():
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        if english == chinese and re.search(r"[A-Za-z]{2,}", english) and not re.search(r"[\u4e00-\u9fff]", english):
            found.add(english.strip().lower())
    return found


def page_texts(html):
    """The text a reader sees: text nodes, titles and button labels, without scripts and form values."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|svg|style|textarea)\b.*?</\1>", " ", body, flags=re.S)
    attrs = re.findall(r'(?:title|placeholder|aria-label)="([^"]*)"', body)
    buttons = re.findall(r'<input type="submit"[^>]*value="([^"]*)"', body)
    body = re.sub(r"<[^>]+>", "\n", body)
    return [t.strip() for t in [*body.split("\n"), *attrs, *buttons] if t.strip()]


def test_every_admin_page_reads_in_chinese_with_no_english_label_of_ours(client, superuser, owner_a):
    """Each page of the walk above, in zh-hans: no text on it is one of our labels left in English
    (a field named only by its attribute, a column's description, a section, an inline's title)."""
    from .test_project import _po_entries

    world = AdminWorld(owner_a)
    world.grow(2)
    english = untranslated_labels()
    # and every sentence of our catalogue, which a page shows in English when it skipped the translation
    catalogue = _po_entries(settings.BASE_DIR / "locale/zh_Hans/LC_MESSAGES/django.po")
    sentences = {msgid.strip().lower() for msgid, _msgstr, _fuzzy in catalogue if "\x04" not in msgid
                 and re.search(r"[A-Za-z]{2,}", msgid) and not re.search(r"[\u4e00-\u9fff]", msgid)}  # fmt: skip
    verified(client, superuser)
    seen = {}
    for name, url in admin_pages(world).items():
        if name == "admin:logout":
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for text in page_texts(response.content.decode()):
            words = text.rstrip(":：").strip().lower()
            words = re.sub(r"^(by|按) ", "", words)  # a filter's title
            # (the login-attempt and group pages are the libraries', whose own words may be ours too)
            ours = not re.search(r"axes|auth_group|app_list (axes|auth)", name)
            if words in english or ours and words in sentences:
                seen.setdefault(words, name)
    assert seen == {}, "\n".join(f"{k!r} on {v}" for k, v in sorted(seen.items()))


def test_the_second_factor_s_errors_read_in_chinese(client, reviewer, password):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=reviewer)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    wrong = f"{(int(code) + 500_000) % 1_000_000:06d}"
    login = reverse("admin:login")
    page = client.post(login, {"username": reviewer.email, "password": password, "otp_token": wrong},
                       HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    errors = page.context["form"].non_field_errors()
    assert errors and all(re.search(r"[\u4e00-\u9fff]", str(error)) for error in errors), errors
    assert "验证码错误或已过期" in page.content.decode()


def test_the_history_of_a_transfer_and_a_share_reads_in_the_readers_language(client, account_manager, org_a,
                                                                             owner_b, id_document):  # fmt: skip
    from accounts.models import Organization

    org_b = Organization.objects.get(memberships__user=owner_b)
    org_b.account_manager = account_manager
    org_b.save(update_fields=["account_manager"])
    entity = id_document.entity
    verified(client, account_manager)
    share = reverse("admin:qualifications_entity_share", args=[entity.pk])
    assert client.post(share, {"organization": org_b.pk}).status_code == 302
    transfer = reverse("admin:qualifications_entity_transfer", args=[entity.pk])
    assert client.post(transfer, {"organization": org_b.pk}).status_code == 302
    history = reverse("admin:qualifications_entity_history", args=[entity.pk])
    page = client.get(history, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已修改组织。" in page and f"添加了 主体共享“{org_b.name}”。" in page
    assert "transferred to" not in page and "shared with" not in page
    page = client.get(history, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Changed organization." in page and f"Added entity share “{org_b.name}”." in page
