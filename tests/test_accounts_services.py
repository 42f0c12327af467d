"""Services: each action in one transaction; bad input leaves nothing behind."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts import services, tasks
from accounts.models import Invitation, Membership, Organization, User

pytestmark = pytest.mark.django_db

STRONG = "Quite-Long-Passw0rd"


@pytest.fixture(autouse=True)
def _english():
    # Services speak the active language; these tests read their English messages.
    with translation.override("en"):
        yield


def test_service_messages_are_chinese_when_chinese_is_active(org_a, owner_a):
    services.invitation_create(organization=org_a, invited_by=owner_a, email="x@alpha.cn", role="member")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        services.invitation_create(organization=org_a, invited_by=owner_a, email="x@alpha.cn", role="member")
    assert error.value.message_dict["email"] == ["该邮箱已有一份待接受的邀请，无需重复发送。"]


def test_it_creates_user_organization_and_owner_together():
    result = services.signup_create(
        email="  Founder@Example.CN ", password=STRONG, full_name="王小明", organization_name="星河科技有限公司"
    )
    assert result.user.email == "founder@example.cn"
    assert result.user.check_password(STRONG)
    membership = Membership.objects.get(user=result.user)
    assert membership.organization == result.organization
    assert membership.role == Membership.Role.OWNER


def test_it_refuses_an_existing_email_and_leaves_nothing(owner_a):
    before = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as error:
        services.signup_create(
            email="OWNER-A@alpha.cn", password=STRONG, full_name="x", organization_name="重复有限公司"
        )
    assert "email" in error.value.error_dict
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == before


def test_it_refuses_a_weak_password_and_leaves_nothing():
    with pytest.raises(ValidationError):
        services.signup_create(email="a@b.cn", password="12345678", full_name="x", organization_name="y")
    assert not User.objects.exists()
    assert not Organization.objects.exists()


def test_it_enqueues_the_invitation_email_after_commit(org_a, owner_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = services.invitation_create(
            organization=org_a, invited_by=owner_a, email="New@Alpha.cn", role=Membership.Role.MEMBER
        )
    assert invitation.email == "new@alpha.cn"
    assert invitation.email_status == Invitation.EmailStatus.PENDING
    assert len(callbacks) == 1


def test_it_refuses_a_second_open_invitation_to_the_same_address(org_a, owner_a):
    services.invitation_create(organization=org_a, invited_by=owner_a, email="x@alpha.cn", role="member")
    with pytest.raises(ValidationError) as error:
        services.invitation_create(organization=org_a, invited_by=owner_a, email="X@alpha.cn", role="member")
    assert "already waiting" in str(error.value)
    assert Invitation.objects.count() == 1


def test_it_refuses_to_invite_an_existing_member(org_a, owner_a, member_a):
    with pytest.raises(ValidationError):
        services.invitation_create(organization=org_a, invited_by=owner_a, email=member_a.email, role="member")
    assert not Invitation.objects.exists()


def test_it_replaces_an_expired_invitation(org_a, owner_a):
    first = services.invitation_create(organization=org_a, invited_by=owner_a, email="x@alpha.cn", role="member")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        second = services.invitation_create(organization=org_a, invited_by=owner_a, email="x@alpha.cn", role="member")
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.pk != first.pk


def _invite(org, owner, email="guest@alpha.cn"):
    return services.invitation_create(organization=org, invited_by=owner, email=email, role=Membership.Role.MEMBER)


def test_a_token_finds_its_open_invitation(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    assert services.invitation_from_token(services.invitation_token(invitation)) == invitation


def test_a_signed_token_with_the_wrong_nonce_is_refused(org_a, owner_a):
    from django.core import signing

    invitation = _invite(org_a, owner_a)
    forged = signing.Signer(salt=services.INVITATION_SALT).sign_object({"i": invitation.pk, "n": "guessed"})
    with pytest.raises(services.InvitationError, match="not valid"):
        services.invitation_from_token(forged)


def test_a_token_signed_for_another_purpose_is_refused(org_a, owner_a):
    from django.core import signing

    invitation = _invite(org_a, owner_a)
    other = signing.Signer(salt="some.other.salt").sign_object({"i": invitation.pk, "n": invitation.nonce})
    with pytest.raises(services.InvitationError, match="not valid"):
        services.invitation_from_token(other)


@pytest.mark.parametrize("tamper", ["", "garbage", "x:y:z"])
def test_a_forged_token_is_refused(org_a, owner_a, tamper):
    _invite(org_a, owner_a)
    with pytest.raises(services.InvitationError, match="not valid"):
        services.invitation_from_token(tamper)


def test_an_expired_token_is_refused(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    token = services.invitation_token(invitation)
    with (
        time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)),
        pytest.raises(services.InvitationError, match="expired"),
    ):
        services.invitation_from_token(token)


def test_a_used_token_is_refused(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    token = services.invitation_token(invitation)
    services.invitation_signup(invitation=invitation, password=STRONG, full_name="客人")
    with pytest.raises(services.InvitationError, match="already been used"):
        services.invitation_from_token(token)


def test_a_revoked_token_is_refused(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    assert services.invitation_revoke(invitation=invitation) is True
    assert services.invitation_revoke(invitation=invitation) is False
    with pytest.raises(services.InvitationError, match="withdrawn"):
        services.invitation_from_token(services.invitation_token(invitation))


def test_after_expiry_a_new_invitation_has_a_new_link_and_the_old_one_stays_dead(org_a, owner_a):
    old = _invite(org_a, owner_a)
    old_token = services.invitation_token(old)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        new = _invite(org_a, owner_a)
        new_token = services.invitation_token(new)
        assert new_token != old_token
        assert services.invitation_from_token(new_token) == new
        with pytest.raises(services.InvitationError, match="withdrawn"):
            services.invitation_from_token(old_token)


def test_accepting_twice_joins_once(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    guest = User.objects.create_user("guest@alpha.cn", STRONG)
    services.invitation_accept(invitation=invitation, user=guest)
    with pytest.raises(services.InvitationError):
        services.invitation_accept(invitation=invitation, user=guest)
    assert Membership.objects.filter(user=guest, organization=org_a).count() == 1


def test_another_address_cannot_accept(org_a, owner_a, owner_b):
    invitation = _invite(org_a, owner_a)
    with pytest.raises(services.InvitationError, match="different email"):
        services.invitation_accept(invitation=invitation, user=owner_b)
    assert not Membership.objects.filter(user=owner_b, organization=org_a).exists()


def test_invitation_signup_with_weak_password_leaves_nothing(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    with pytest.raises(ValidationError):
        services.invitation_signup(invitation=invitation, password="password", full_name="客人")
    assert not User.objects.filter(email="guest@alpha.cn").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_email_task_run_twice_sends_once(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    assert tasks.send_invitation_email(invitation.pk) is True
    assert tasks.send_invitation_email(invitation.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["guest@alpha.cn"]
    assert "甲科技有限公司" in message.subject
    token = services.invitation_token(invitation)
    assert f"/accounts/invitations/{token}/" in message.body
    invitation.refresh_from_db()
    assert invitation.email_status == Invitation.EmailStatus.SENT
    assert invitation.email_sent_at is not None


def test_the_email_task_returns_quietly_for_a_missing_row():
    assert tasks.send_invitation_email(987654) is False
    assert mail.outbox == []


def test_the_sweep_requeues_what_was_never_sent_and_a_dead_claim(org_a, owner_a):
    _invite(org_a, owner_a, "fresh@alpha.cn")  # too recent to be overdue
    lost = _invite(org_a, owner_a, "lost@alpha.cn")
    stuck = _invite(org_a, owner_a, "stuck@alpha.cn")
    long_ago = timezone.now() - timedelta(minutes=30)
    Invitation.objects.filter(pk=lost.pk).update(created_at=long_ago)
    Invitation.objects.filter(pk=stuck.pk).update(
        created_at=long_ago, email_status=Invitation.EmailStatus.SENDING, email_claimed_at=long_ago
    )
    expired = _invite(org_a, owner_a, "expired@alpha.cn")
    Invitation.objects.filter(pk=expired.pk).update(created_at=long_ago, expires_at=timezone.now())
    ids = services.invitations_requeue_stuck(older_than=timedelta(minutes=5))
    assert ids == [lost.pk, stuck.pk]  # oldest first; neither the fresh nor the expired one
    assert Invitation.objects.get(pk=stuck.pk).email_status == Invitation.EmailStatus.PENDING


def test_an_invitation_withdrawn_before_its_email_goes_out_is_not_sent(org_a, owner_a):
    invitation = _invite(org_a, owner_a)
    services.invitation_revoke(invitation=invitation)
    assert tasks.send_invitation_email(invitation.pk) is False
    assert mail.outbox == []
    assert Invitation.objects.get(pk=invitation.pk).email_status == Invitation.EmailStatus.SKIPPED


def test_the_last_owner_cannot_be_removed(org_a, owner_a):
    with pytest.raises(ValidationError):
        services.membership_remove(membership=owner_a.memberships.get())
    assert owner_a.memberships.exists()
