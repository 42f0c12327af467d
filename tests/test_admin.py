"""The admin as staff use it (issue 10, "Defects found on the way" and "The admin in the reader's
language"): each role sees what it may, every route answers a missing object with 404, pages cost
the same number of queries for 5 and 500 rows, and everything reads in the reader's language."""

import os
import re
import subprocess
import sys

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
