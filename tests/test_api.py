"""The REST API's foundation (api/): keys, scopes, rate limits, problem details, the body cap, the schema and its
readers, and the API keys page. Each resource's own tests are in tests/test_api_<resource>.py."""

import json
import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Membership
from api import services
from api.models import ApiKey

from .api_helpers import Api, for_member, key_for

pytestmark = pytest.mark.django_db
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "instance"}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    data = response.json()
    assert set(data) >= PROBLEM_FIELDS and data["status"] == status and data["code"] == code
    assert data["type"].endswith(f"/api/v1/problems/{code}/")
    return data


@pytest.fixture
def owner_membership(owner_a):
    return owner_a.memberships.get()


# --- keys -----------------------------------------------------------------------------------------------------


def test_a_key_is_kept_as_a_prefix_and_a_hash(owner_membership):
    new = services.key_create(membership=owner_membership, name="ERP", scope="write")
    key = ApiKey.objects.get()
    assert new.secret.startswith(f"sfp_{key.prefix}_") and len(new.secret) > 40
    assert new.secret not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert key.hashed != new.secret and len(key.hashed) == 64
    response = Api(new.secret).get("/api/v1/policies/")
    assert response.status_code == 200 and response.json()[0]["effective"] <= response.json()[-1]["effective"]
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_from == "127.0.0.1"


@pytest.mark.parametrize(
    "header",
    ["Bearer sfp_00000000_nothing", "Bearer sfp_short_x", "Bearer nonsense", "Bearer ", "Basic Zm9vOmJhcg=="],
)
def test_a_wrong_or_missing_key_is_a_401_problem(owner_membership, header):
    key_for(owner_membership)
    response = Api().client.get("/api/v1/policies/", headers={"Authorization": header})
    data = problem(response, 401, "not-authenticated" if header.startswith("Basic") else "authentication-failed")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert data["instance"] == "/api/v1/policies/"


def test_a_key_that_differs_after_its_prefix_is_refused(owner_membership):
    secret = key_for(owner_membership)
    problem(Api(secret[:-3] + "AAA").get("/api/v1/policies/"), 401, "authentication-failed")


def test_a_revoked_key_stops_at_once(owner_membership):
    new = services.key_create(membership=owner_membership, name="ERP", scope="read")
    assert Api(new.secret).get("/api/v1/policies/").status_code == 200
    assert services.key_revoke(membership=owner_membership, key=new.key)
    assert not services.key_revoke(membership=owner_membership, key=new.key)  # once
    problem(Api(new.secret).get("/api/v1/policies/"), 401, "authentication-failed")


def test_a_key_stops_when_its_creator_leaves_the_organization(owner_membership):
    secret = key_for(owner_membership)
    owner_membership.delete()
    problem(Api(secret).get("/api/v1/policies/"), 401, "authentication-failed")


def test_only_owners_create_or_revoke_keys(owner_membership, member_a):
    from django.core.exceptions import PermissionDenied

    member = member_a.memberships.get()
    with pytest.raises(PermissionDenied):
        services.key_create(membership=member, name="x", scope="read")
    key = services.key_create(membership=owner_membership, name="x", scope="read").key
    with pytest.raises(PermissionDenied):
        services.key_revoke(membership=member, key=key)
    assert ApiKey.objects.get().revoked_at is None


def test_a_read_only_key_cannot_write(owner_membership):
    data = problem(for_member(owner_membership, "read").post("/api/v1/policies/", {}), 403, "scope-insufficient")
    assert "只读" in data["detail"] or "read" in data["detail"]


def test_each_request_is_logged_with_its_key_prefix(owner_membership, caplog):
    secret = key_for(owner_membership)
    with caplog.at_level(logging.INFO, logger="api.access"):
        Api(secret).get("/api/v1/policies/")
    line = next(r.getMessage() for r in caplog.records if r.name == "api.access")
    assert f"key={secret.split('_')[1]}" in line and " 200 " in line and secret not in line


# --- sessions -------------------------------------------------------------------------------------------------


def test_the_portal_session_works_and_names_its_organization(client, owner_a, org_a, owner_b, org_b):
    client.force_login(owner_a)
    assert client.get("/api/v1/policies/").status_code == 200
    Membership.objects.create(user=owner_a, organization=org_b)
    problem(client.get("/api/v1/policies/"), 400, "organization-required")
    assert client.get("/api/v1/policies/", headers={"X-Organization": str(org_a.pk)}).status_code == 200
    other = Membership.objects.get(user=owner_b).organization_id + 10_000
    problem(client.get("/api/v1/policies/", headers={"X-Organization": str(other)}), 404, "not-found")


def test_a_session_write_needs_the_csrf_token(owner_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_a)
    problem(client.post("/api/v1/policies/", {}, content_type="application/json"), 403, "permission-denied")


# --- rate limits ----------------------------------------------------------------------------------------------


def test_a_key_over_its_rate_gets_429_with_retry_after(owner_membership, settings):
    cache.clear()
    settings.API_RATE_PER_KEY = "3/min"
    api = for_member(owner_membership)
    assert [api.get("/api/v1/policies/").status_code for _ in range(3)] == [200, 200, 200]
    data = problem(api.get("/api/v1/policies/"), 429, "rate-limited")
    response = api.get("/api/v1/policies/")
    assert 1 <= int(response["Retry-After"]) <= 60 and data["detail"]
    # Another key of the same organization has its own allowance.
    assert for_member(owner_membership).get("/api/v1/policies/").status_code == 200


def test_an_address_over_its_rate_gets_429_even_with_bad_keys(owner_membership, settings):
    cache.clear()
    settings.API_RATE_PER_ADDRESS = "2/min"
    bad = Api("sfp_00000000_guess")
    assert [bad.get("/api/v1/policies/").status_code for _ in range(2)] == [401, 401]
    response = bad.get("/api/v1/policies/")
    problem(response, 429, "rate-limited")
    assert int(response["Retry-After"]) >= 1


# --- bad input ------------------------------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_before_it_is_read(owner_membership, settings):
    settings.API_MAX_JSON_BYTES = 1000
    api = for_member(owner_membership)
    body = json.dumps({"x": "a" * 10 * 1024 * 1024})
    data = problem(api.client.generic("POST", "/api/v1/policies/", body, content_type="application/json",
                                      headers=api.headers), 413, "payload-too-large")  # fmt: skip
    assert "1000" in data["detail"]


def test_a_missing_path_under_the_api_is_a_problem_not_a_page(owner_membership):
    data = problem(for_member(owner_membership).get("/api/v1/no-such-thing/"), 404, "not-found")
    assert data["instance"] == "/api/v1/no-such-thing/"
    assert Api().client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_problem_messages_follow_the_callers_language(owner_membership):
    zh = Api("sfp_00000000_guess", "zh-hans").get("/api/v1/policies/").json()
    en = Api("sfp_00000000_guess", "en").get("/api/v1/policies/").json()
    assert zh["code"] == en["code"] == "authentication-failed"
    assert en["detail"] == "The API key is not valid, or it was revoked."
    assert zh["detail"] != en["detail"] and any("\u4e00" <= ch <= "\u9fff" for ch in zh["detail"])


def test_each_problem_type_says_what_it_means():
    response = Api(language="en").client.get("/api/v1/problems/rate-limited/")
    assert response.status_code == 200 and response.json() == {"code": "rate-limited", "status": 429,
                                                                 "title": "Too many requests"}  # fmt: skip
    assert Api().client.get("/api/v1/problems/nope/").status_code == 404


# --- the contract ---------------------------------------------------------------------------------------------


def test_the_schema_is_served_and_every_operation_has_examples_and_problem_answers():
    response = Api().client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 1
    for path, method, op in operations:
        assert {"401", "404", "429"} <= set(op["responses"]), (path, method)
        assert op["responses"]["404"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        bodies = [op.get("requestBody", {})] + [answer for code, answer in op["responses"].items() if code < "300"]
        contents = [content for body in bodies for content in body.get("content", {}).values()]
        # Every body the operation takes or gives has an example (a 204 with no request body has none to show).
        if contents:
            assert any("examples" in c or "example" in c for c in contents), f"{method.upper()} {path} has no example"


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_the_readers_are_served_from_our_own_static_files(name):
    from django.contrib.staticfiles import finders

    response = Api().client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200 and "/static/drf_spectacular_sidecar/" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    for src in [part.split('"')[0] for part in html.split('src="')[1:]]:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src


# --- the API keys page ----------------------------------------------------------------------------------------


def test_an_owner_creates_a_key_on_the_page_and_sees_it_once(client, owner_a, org_a):
    client.force_login(owner_a)
    url = reverse("org:api-keys", args=[org_a.pk])
    response = client.post(url, {"name": "ERP", "scope": "write"}, follow=True)
    html = response.content.decode()
    key = ApiKey.objects.get()
    secret = html.split('data-testid="new-key-secret">')[1].split("<")[0]
    assert secret.startswith(f"sfp_{key.prefix}_") and key.scope == "write"
    assert Api(secret).get("/api/v1/policies/").status_code == 200
    assert secret not in client.get(url).content.decode()
    client.post(reverse("org:api-key-revoke", args=[org_a.pk, key.pk]))
    assert Api(secret).get("/api/v1/policies/").status_code == 401


def test_the_page_refuses_an_empty_name_and_a_member(client, owner_a, org_a, member_a):
    client.force_login(owner_a)
    url = reverse("org:api-keys", args=[org_a.pk])
    response = client.post(url, {"name": "", "scope": "write"})
    assert response.status_code == 400 and "is-invalid" in response.content.decode()
    client.force_login(member_a)
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "x", "scope": "read"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_another_organizations_key_page_is_a_404(client, owner_a, org_b):
    client.force_login(owner_a)
    assert client.get(reverse("org:api-keys", args=[org_b.pk])).status_code == 404


# --- kept answers -----------------------------------------------------------------------------------------------


def test_kept_answers_go_after_a_day(owner_membership):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from api.models import IdempotentRequest
    from api.tasks import purge_idempotent_requests

    organization = owner_membership.organization
    record = services.idempotent_claim(organization=organization, key="k1", fingerprint="f")
    services.idempotent_answer(record=record, status=201, body="{}", headers={})
    assert services.idempotent_claim(organization=organization, key="k1", fingerprint="g") is None
    assert services.idempotent_get(organization=organization, key="k1").fingerprint == "f"
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert services.idempotent_get(organization=organization, key="k1") is None
        assert purge_idempotent_requests() == 1
    assert not IdempotentRequest.objects.exists()


def test_the_command_prints_a_working_key_for_an_owner_only(owner_membership, member_a):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("api_key", owner_membership.user.email, "--scope", "write", stdout=out)
    secret = out.getvalue().strip()
    assert ApiKey.objects.get().scope == "write" and Api(secret).get("/api/v1/policies/").status_code == 200
    with pytest.raises(CommandError, match="所有者"):
        call_command("api_key", member_a.email, stdout=io.StringIO())
    with pytest.raises(CommandError, match="no organization"):
        call_command("api_key", "nobody@example.cn", stdout=io.StringIO())


# --- after review -----------------------------------------------------------------------------------------------


def test_a_content_length_that_is_not_a_number_is_a_400_problem(owner_membership):
    api = for_member(owner_membership)
    response = api.client.generic("POST", "/api/v1/policies/", "{}", content_type="application/json",
                                  headers=api.headers, CONTENT_LENGTH="abc")  # fmt: skip
    problem(response, 400, "malformed-request")


def test_too_many_parts_in_a_multipart_body_is_a_problem_not_a_page(owner_membership, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    api = for_member(owner_membership)
    files = {f"file{n}": SimpleUploadedFile(f"{n}.png", b"x", content_type="image/png") for n in range(5)}
    response = api.client.post("/api/v1/entities/00000000-0000-0000-0000-000000000000/documents/", files,
                               headers=api.headers)  # fmt: skip
    assert response.status_code in (404, 413) and response["Content-Type"] == "application/problem+json"


def test_a_session_of_nobodys_member_is_told_so(client):
    from .factories import UserFactory

    client.force_login(UserFactory(email="alone@example.cn"))
    data = problem(client.get("/api/v1/policies/", headers={"Accept-Language": "en"}), 403, "permission-denied")
    assert "no organization" in data["detail"]


def test_the_new_keys_secret_never_reaches_the_session_table(client, owner_a, org_a):
    from django.contrib.sessions.models import Session

    client.force_login(owner_a)
    url = reverse("org:api-keys", args=[org_a.pk])
    client.post(url, {"name": "ERP", "scope": "read"})
    stored = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    html = client.get(url).content.decode()
    secret = html.split('data-testid="new-key-secret">')[1].split("<")[0]
    assert secret.startswith("sfp_") and secret not in stored
    assert secret not in client.get(url).content.decode()  # once


def test_the_schema_is_rate_limited_per_address_and_built_once(settings):
    from api.views import SchemaView

    cache.clear()
    SchemaView.built.clear()
    settings.API_RATE_PER_ADDRESS = "2/min"
    anyone = Api().client
    first = anyone.get("/api/v1/schema/")
    assert first.status_code == 200 and len(SchemaView.built) == 1
    assert anyone.get("/api/v1/schema/").content == first.content
    problem(anyone.get("/api/v1/schema/"), 429, "rate-limited")


def test_a_host_that_is_not_ours_is_a_problem_under_the_api():
    response = Api().client.get("/api/v1/policies/", headers={"Host": "evil.example"})
    data = problem(response, 400, "malformed-request")
    assert data["type"] == "/api/v1/problems/malformed-request/"
