"""Views: anonymous, owner, member, other customer (404) and wrong method (405)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import selectors, services
from accounts.models import Invitation, Membership, Organization, User

pytestmark = pytest.mark.django_db

STRONG = "Quite-Long-Passw0rd"


def org_urls(org, owner):
    """Every organization-scoped URL with the method it answers to."""
    membership = owner.memberships.get(organization=org)
    invitation = services.invitation_create(organization=org, invited_by=owner, email="inv@x.cn", role="member")
    return [
        ("get", reverse("org:dashboard", args=[org.pk])),
        ("get", reverse("org:members", args=[org.pk])),
        ("post", reverse("org:members", args=[org.pk])),
        ("post", reverse("org:member-remove", args=[org.pk, membership.pk])),
        ("post", reverse("org:invitation-revoke", args=[org.pk, invitation.pk])),
    ]


def test_it_sends_anonymous_visitors_to_log_in(client, org_a, owner_a):
    for method, url in org_urls(org_a, owner_a):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login"))


def test_it_returns_404_for_every_url_of_another_organization(client, org_a, owner_a, owner_b):
    client.force_login(owner_b)
    for method, url in org_urls(org_a, owner_a):
        response = getattr(client, method)(url, {"email": "evil@b.cn", "role": "owner"})
        assert response.status_code == 404, url
    assert not Invitation.objects.filter(email="evil@b.cn").exists()
    assert Membership.objects.filter(organization=org_a).count() == 1
    assert Invitation.objects.get(email="inv@x.cn").revoked_at is None


def test_it_returns_404_for_an_organization_that_does_not_exist(client, owner_a):
    client.force_login(owner_a)
    assert client.get(reverse("org:dashboard", args=[999999])).status_code == 404


def test_it_shows_the_owner_their_dashboard(client, org_a, owner_a):
    client.force_login(owner_a)
    response = client.get(reverse("org:dashboard", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = response.content.decode()
    assert "甲科技有限公司" in text
    assert "主体" in text and "短信签名" in text and "短信模板" in text


def test_it_answers_405_to_the_wrong_method(client, org_a, owner_a):
    client.force_login(owner_a)
    assert client.post(reverse("org:dashboard", args=[org_a.pk])).status_code == 405
    assert client.put(reverse("org:members", args=[org_a.pk])).status_code == 405
    assert client.get(reverse("org:member-remove", args=[org_a.pk, owner_a.memberships.get().pk])).status_code == 405
    assert client.post(reverse("home")).status_code == 405


def test_home_redirects_a_member_of_one_organization_to_its_dashboard(client, org_a, owner_a):
    client.force_login(owner_a)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("org:dashboard", args=[org_a.pk])


def test_a_member_sees_members_but_may_not_invite(client, org_a, member_a):
    client.force_login(member_a)
    response = client.get(reverse("org:members", args=[org_a.pk]))
    assert response.status_code == 200
    assert "owner-a@alpha.cn" in response.content.decode()
    response = client.post(reverse("org:members", args=[org_a.pk]), {"email": "x@y.cn", "role": "member"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_the_member_page_reads_memberships_once_and_lists_only_its_organizations(client, org_a, owner_a, org_b):
    """The caller's memberships (for the navigation bar and the 404) and the organization's members
    come from one query; the list is still owners first, then by joining, and only this organization's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .factories import MembershipFactory

    MembershipFactory(user__email="later-owner@alpha.cn", organization=org_a)
    MembershipFactory(user__email="early-member@alpha.cn", organization=org_a, role=Membership.Role.MEMBER)
    MembershipFactory(user__email="stranger@beta.cn", organization=org_b)
    MembershipFactory(user=owner_a, organization__name="丙分公司", role=Membership.Role.MEMBER)
    MembershipFactory(user=owner_a, organization__name="丁分公司")
    client.force_login(owner_a)
    url = reverse("org:members", args=[org_a.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert sum('FROM "accounts_membership"' in q["sql"] for q in queries.captured_queries) == 1
    table = html.split('data-testid="members-table"', 1)[1].split("</table>", 1)[0]
    emails = re.findall(r'<td class="text-break">([^<]+)</td>', table)
    assert emails == ["owner-a@alpha.cn", "later-owner@alpha.cn", "early-member@alpha.cn"]
    nav = html.split('<ul class="navbar-nav me-auto">', 1)[1].split("</ul>", 1)[0]
    in_order = [m.organization.name for m in selectors.memberships_for_user(user=owner_a)]
    assert re.findall(r'class="nav-link[^"]*" href="[^"]+">([^<]+)</a>', nav) == in_order
    assert len(in_order) == 3
    assert "stranger@beta.cn" not in html
    # Not a member: 404, whoever else the organization has.
    client.force_login(Membership.objects.get(user__email="stranger@beta.cn").user)
    assert client.get(url).status_code == 404


def test_a_member_may_not_withdraw_or_remove(client, org_a, owner_a, member_a):
    invitation = services.invitation_create(organization=org_a, invited_by=owner_a, email="w@x.cn", role="member")
    client.force_login(member_a)
    assert client.post(reverse("org:invitation-revoke", args=[org_a.pk, invitation.pk])).status_code == 403
    owner_membership = owner_a.memberships.get()
    assert client.post(reverse("org:member-remove", args=[org_a.pk, owner_membership.pk])).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Membership.objects.filter(pk=owner_membership.pk).exists()


def test_another_organizations_objects_are_404_under_my_own_organization(client, org_a, owner_a, org_b, owner_b):
    invitation_b = services.invitation_create(organization=org_b, invited_by=owner_b, email="b@x.cn", role="member")
    client.force_login(owner_a)
    membership_b = owner_b.memberships.get()
    assert client.post(reverse("org:invitation-revoke", args=[org_a.pk, invitation_b.pk])).status_code == 404
    assert client.post(reverse("org:member-remove", args=[org_a.pk, membership_b.pk])).status_code == 404
    assert Invitation.objects.get(pk=invitation_b.pk).revoked_at is None
    assert Membership.objects.filter(pk=membership_b.pk).exists()


def test_a_name_with_a_line_break_is_refused(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "crlf@x.cn",
            "full_name": "x",
            "organization_name": "甲\r\nBcc: victim@example.com",
            "password1": STRONG,
            "password2": STRONG,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "此处不允许换行" in response.content.decode()
    assert not User.objects.filter(email="crlf@x.cn").exists()


def test_the_owner_invites_and_the_email_is_queued(client, org_a, owner_a, django_capture_on_commit_callbacks):
    client.force_login(owner_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("org:members", args=[org_a.pk]), {"email": "New@Alpha.cn", "role": "member"})
    assert response.status_code == 302
    assert Invitation.objects.get().email == "new@alpha.cn"
    assert len(callbacks) == 1


def test_inviting_twice_explains_in_chinese(client, org_a, owner_a):
    client.force_login(owner_a)
    url = reverse("org:members", args=[org_a.pk])
    client.post(url, {"email": "twice@alpha.cn", "role": "member"})
    response = client.post(url, {"email": "twice@alpha.cn", "role": "member"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "该邮箱已有一份待接受的邀请" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_an_invalid_invite_names_the_field(client, org_a, owner_a):
    client.force_login(owner_a)
    response = client.post(
        reverse("org:members", args=[org_a.pk]), {"email": "not-an-email", "role": "member"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_the_owner_withdraws_an_invitation(client, org_a, owner_a):
    invitation = services.invitation_create(organization=org_a, invited_by=owner_a, email="w@x.cn", role="member")
    client.force_login(owner_a)
    response = client.post(reverse("org:invitation-revoke", args=[org_a.pk, invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_owner_removes_a_member(client, org_a, owner_a, member_a):
    client.force_login(owner_a)
    membership = member_a.memberships.get()
    response = client.post(reverse("org:member-remove", args=[org_a.pk, membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_signup_creates_the_organization_and_logs_in(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "boss@gamma.cn",
            "full_name": "李四",
            "organization_name": "丙数据有限公司",
            "password1": STRONG,
            "password2": STRONG,
        },
    )
    org = Organization.objects.get(name="丙数据有限公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("org:dashboard", args=[org.pk])
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "该邮箱已注册"), ("en", "An account with this email address already exists.")],
)
def test_signup_with_an_existing_email_says_so_in_the_users_language(client, owner_a, language, expected):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "Owner-A@alpha.cn",
            "full_name": "x",
            "organization_name": "重复有限公司",
            "password1": STRONG,
            "password2": STRONG,
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Organization.objects.filter(name="重复有限公司").exists()


def test_signup_with_a_weak_password_names_the_field(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@b.cn", "full_name": "x", "organization_name": "y", "password1": "123", "password2": "123"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    # The reasons are shown under the password field (its error block), in Chinese.
    html = response.content.decode()
    assert 'id="id_password1_error"' in html
    under_password = html.split('id="id_password1_error"', 1)[1].split("</div>", 1)[0]
    # Django 5.2.19's own catalogue lacks the "too short" message; ours supplies it.
    assert "密码长度太短。密码必须包含至少 10 个字符。" in under_password
    assert "这个密码太常见了" in under_password
    assert "密码只包含数字" in under_password
    assert not User.objects.exists()


def test_signup_posted_twice_creates_one_account(client):
    data = {
        "email": "double@gamma.cn",
        "full_name": "x",
        "organization_name": "双击有限公司",
        "password1": STRONG,
        "password2": STRONG,
    }
    client.post(reverse("accounts:signup"), data)
    client.logout()
    response = client.post(reverse("accounts:signup"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email="double@gamma.cn").count() == 1
    assert Organization.objects.filter(name="双击有限公司").count() == 1


def test_login_by_email_and_lockout_after_repeated_failures(client, owner_a, settings):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": "owner-a@alpha.cn", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(url, {"username": "owner-a@alpha.cn", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    # Even the right password is refused while locked out.
    response = client.post(url, {"username": "owner-a@alpha.cn", "password": "Correct-Horse-Battery-9"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password(client, owner_a, password):
    response = client.post(reverse("accounts:login"), {"username": "OWNER-A@alpha.cn", "password": password})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner_a.pk)


def test_password_reset_sends_a_bilingual_link(client, owner_a):
    response = client.post(reverse("accounts:password-reset"), {"email": "owner-a@alpha.cn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "重置密码" in mail.outbox[0].subject
    assert "/accounts/reset/" in mail.outbox[0].body


def test_djangos_auth_views_and_the_lockout_find_the_portals_jinja2_pages(settings):
    """Django's auth views and django-axes render by template name; a name that no longer matched
    a page of ours would fall back to Django's or the admin's own "registration/" templates."""
    from django.template import engines, loader
    from django.urls import resolve

    names = {settings.AXES_LOCKOUT_TEMPLATE}
    for url in (
        reverse("accounts:login"),
        reverse("accounts:password-reset"),
        reverse("accounts:password-reset-done"),
        reverse("accounts:password-reset-confirm", args=["uid", "token"]),
        reverse("accounts:password-reset-complete"),
    ):
        view = resolve(url).func
        names.add(view.view_initkwargs.get("template_name") or view.view_class.template_name)
    assert all(name.startswith("accounts/") for name in names)
    for name in names | {"home.html", "403.html", "404.html"}:
        assert loader.get_template(name).backend is engines["jinja2"], name
    # Rendered without a request (and so without the base page's navigation): Django's.
    assert loader.get_template("500.html").backend is engines["django"]


def test_the_password_reset_pages_are_ours_and_in_chinese(client, owner_a):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    html = client.get(reverse("accounts:login"), **zh).content.decode()
    assert 'id="submit-id-submit"' in html and "忘记密码？" in html
    html = client.get(reverse("accounts:password-reset"), **zh).content.decode()
    assert "<title>重置密码 · " in html and 'id="id_email"' in html
    response = client.post(reverse("accounts:password-reset"), {"email": owner_a.email}, follow=True, **zh)
    assert "请查收邮件" in response.content.decode()
    uid = urlsafe_base64_encode(force_bytes(owner_a.pk))
    html = client.get(reverse("accounts:password-reset-confirm", args=[uid, "bad-token"]), **zh).content.decode()
    assert "设置新密码" in html and 'id="id_new_password1"' not in html
    token = default_token_generator.make_token(owner_a)
    response = client.get(reverse("accounts:password-reset-confirm", args=[uid, token]), follow=True, **zh)
    assert 'id="id_new_password1"' in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": "other"}, **zh)
    assert 'id="id_new_password2_error"' in response.content.decode()
    response = client.post(
        response.request["PATH_INFO"], {"new_password1": STRONG, "new_password2": STRONG}, follow=True, **zh
    )
    assert "密码已修改" in response.content.decode()


# --- invitations, from the link ---------------------------------------------


def _link(invitation):
    return reverse("accounts:invitation-accept", args=[services.invitation_token(invitation)])


def test_a_new_person_signs_up_from_the_invitation(client, org_a, owner_a):
    invitation = services.invitation_create(organization=org_a, invited_by=owner_a, email="new@alpha.cn", role="member")
    url = _link(invitation)
    assert client.get(url).status_code == 200
    response = client.post(url, {"full_name": "新人", "password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    user = User.objects.get(email="new@alpha.cn")
    assert Membership.objects.get(user=user).organization == org_a
    # The link is spent.
    client.logout()
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 410
    assert "该邀请已被使用" in response.content.decode()


def test_an_existing_user_is_asked_to_log_in_then_accepts(client, org_a, owner_a, owner_b):
    invitation = services.invitation_create(organization=org_a, invited_by=owner_a, email=owner_b.email, role="member")
    url = _link(invitation)
    response = client.get(url)
    assert reverse("accounts:login") in response.content.decode()
    client.force_login(owner_b)
    assert client.post(url).status_code == 302
    assert Membership.objects.filter(user=owner_b, organization=org_a).exists()


def test_a_logged_in_stranger_cannot_accept(client, org_a, owner_a, owner_b):
    invitation = services.invitation_create(organization=org_a, invited_by=owner_a, email="else@x.cn", role="member")
    client.force_login(owner_b)
    response = client.post(_link(invitation))
    assert response.status_code == 410
    assert not Membership.objects.filter(user=owner_b, organization=org_a).exists()


def test_a_tampered_link_is_explained(client):
    response = client.get(reverse("accounts:invitation-accept", args=["bogus-token"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_switching_language_sets_the_cookie(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    assert "Log in" in client.get("/").content.decode()


def test_choosing_a_new_password_lifts_a_lockout(client, owner_a, settings):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": owner_a.email, "password": "wrong"})
    assert response.status_code == 429

    uid = urlsafe_base64_encode(force_bytes(owner_a.pk))
    token = default_token_generator.make_token(owner_a)
    response = client.get(reverse("accounts:password-reset-confirm", args=[uid, token]), follow=True)
    response = client.post(response.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": STRONG})
    assert response.status_code == 302

    response = client.post(url, {"username": owner_a.email, "password": STRONG})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner_a.pk)


def test_the_language_switch_names_each_language_in_itself(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">简体中文</option>" in html
    assert ">English</option>" in html


@pytest.mark.parametrize(
    ("language", "promise", "scope"),
    [("zh-hans", "一次报备通过", "无法承诺送达"), ("en", "right the first time", "no one can promise delivery")],
)
def test_the_home_page_states_what_the_check_covers_and_promises_no_delivery(client, language, promise, scope):
    text = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert promise not in text
    assert scope in text
