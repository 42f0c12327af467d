"""Every write about accounts: one transaction each, status changes by compare-and-set."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Invitation, Membership, Organization, User, normalize_email

INVITATION_SALT = "accounts.invitation"


class InvitationError(Exception):
    """An invitation link that cannot be used; the message says why, in the user's language."""


@dataclass(frozen=True)
class SignupResult:
    user: User
    organization: Organization


def signup_create(*, email: str, password: str, full_name: str, organization_name: str) -> SignupResult:
    """Create a customer, their organization and the owner membership, all or nothing."""
    email = normalize_email(email)
    user = User(email=email, full_name=full_name.strip())
    validate_password(password, user)
    try:
        with transaction.atomic():
            user.set_password(password)
            user.save()
            # Assigned in the same transaction: the customer's first message about an entity registered
            # elsewhere ("ask your account manager") names someone from the start.
            organization = Organization.objects.create(
                name=organization_name.strip(), account_manager=least_loaded_manager()
            )
            Membership.objects.create(user=user, organization=organization, role=Membership.Role.OWNER)
    except IntegrityError as exc:
        # Two posts of the same form race to the unique email: the loser gets this.
        raise ValidationError({"email": _("An account with this email address already exists.")}) from exc
    return SignupResult(user=user, organization=organization)


def account_managers():
    """The staff who may be given customers: active staff in the account manager group."""
    from .roles import ACCOUNT_MANAGER

    return User.objects.filter(is_active=True, is_staff=True, groups__name=ACCOUNT_MANAGER).distinct()


def least_loaded_manager() -> User | None:
    """The active account manager with the fewest organizations (ties: the earliest made), or None."""
    loads = account_managers().annotate(load=Count("managed_organizations", distinct=True))
    return loads.order_by("load", "pk").first()


def organization_assign(*, organizations, manager: User | None, actor: User) -> int:
    """Give ``organizations`` (a queryset or ids) to ``manager`` (None: to nobody), one transaction.
    Only a superuser assigns; the manager must be an active account manager. Returns how many moved."""
    if not (actor.is_active and actor.is_staff and actor.is_superuser):
        raise PermissionDenied
    if manager is not None and not account_managers().filter(pk=manager.pk).exists():
        raise ValidationError({"account_manager": _("Choose an active account manager.")})
    ids = [getattr(o, "pk", o) for o in organizations]
    with transaction.atomic():
        return Organization.objects.filter(pk__in=ids).update(account_manager=manager)


def invitation_create(*, organization: Organization, invited_by: User, email: str, role: str) -> Invitation:
    """Invite an address to an organization; the email goes out through the worker after commit."""
    email = normalize_email(email)
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member of the organization.")})
    now = timezone.now()
    try:
        with transaction.atomic():
            # An expired open invitation would block the new one: close it first.
            Invitation.objects.filter(
                organization=organization,
                email=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__lte=now,
            ).update(revoked_at=now)
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                invited_by=invited_by,
                created_at=now,
                expires_at=now + settings.INVITATION_MAX_AGE,
            )
            from .tasks import send_invitation_email

            # robust: a broker that is down must not turn a saved invitation into an error page;
            # the beat sweep sends what was never enqueued.
            transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk), robust=True)
    except IntegrityError as exc:
        raise ValidationError({"email": _("An invitation to this address is already waiting to be accepted.")}) from exc
    return invitation


def invitation_revoke(*, invitation: Invitation) -> bool:
    updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return updated == 1


def invitation_token(invitation: Invitation) -> str:
    """The signed part of the link. No timestamp: the row's expires_at decides, so the link is stable."""
    return signing.Signer(salt=INVITATION_SALT).sign_object({"i": invitation.pk, "n": invitation.nonce}, compress=True)


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link stands for, or InvitationError saying why not."""
    try:
        data = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
        invitation = Invitation.objects.select_related("organization").get(pk=data["i"], nonce=data["n"])
    except (signing.BadSignature, KeyError, TypeError, Invitation.DoesNotExist) as exc:
        raise InvitationError(
            _("This invitation link is not valid. Ask the organization's owner for a new one.")
        ) from exc
    if invitation.accepted_at is not None:
        raise InvitationError(_("This invitation has already been used."))
    if invitation.revoked_at is not None:
        raise InvitationError(_("This invitation was withdrawn by the organization's owner."))
    if invitation.expires_at <= timezone.now():
        raise InvitationError(_("This invitation has expired. Ask the organization's owner to invite you again."))
    return invitation


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the invited user to the organization; the link is spent by compare-and-set."""
    if normalize_email(user.email) != invitation.email:
        raise InvitationError(_("This invitation was sent to a different email address."))
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if claimed != 1:
            raise InvitationError(_("This invitation has already been used."))
        membership, _created = Membership.objects.get_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.role}
        )
    return membership


def invitation_signup(*, invitation: Invitation, password: str, full_name: str) -> User:
    """Create the invited person's account and membership in one transaction."""
    user = User(email=invitation.email, full_name=full_name.strip())
    validate_password(password, user)
    try:
        with transaction.atomic():
            user.set_password(password)
            user.save()
            invitation_accept(invitation=invitation, user=user)
    except IntegrityError as exc:
        raise InvitationError(_("An account with this email address already exists. Log in to accept.")) from exc
    return user


def invitation_send_email(*, invitation_id: int) -> bool:
    """Send one invitation email, at most once per claim. Returns False if there was nothing to do."""
    claimed = Invitation.objects.filter(pk=invitation_id, email_status=Invitation.EmailStatus.PENDING).update(
        email_status=Invitation.EmailStatus.SENDING, email_claimed_at=timezone.now()
    )
    if claimed != 1:
        return False
    invitation = Invitation.objects.select_related("organization", "invited_by").get(pk=invitation_id)
    if not invitation.is_open():
        Invitation.objects.filter(pk=invitation_id).update(email_status=Invitation.EmailStatus.SKIPPED)
        return False
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "accounts:invitation-accept", kwargs={"token": invitation_token(invitation)}
    )
    context = {"invitation": invitation, "link": link, "portal_name": settings.PORTAL_NAME}
    # The email is bilingual (Chinese first): the worker does not know the reader's language.
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.email])
    Invitation.objects.filter(pk=invitation_id, email_status=Invitation.EmailStatus.SENDING).update(
        email_status=Invitation.EmailStatus.SENT, email_sent_at=timezone.now()
    )
    return True


def invitations_requeue_stuck(*, older_than) -> list[int]:
    """Ids of invitations whose email is overdue; a claim that died mid-send is released first."""
    now = timezone.now()
    cutoff = now - older_than
    Invitation.objects.filter(email_status=Invitation.EmailStatus.SENDING, email_claimed_at__lt=cutoff).update(
        email_status=Invitation.EmailStatus.PENDING
    )
    return list(
        Invitation.objects.filter(
            email_status=Invitation.EmailStatus.PENDING,
            created_at__lt=cutoff,
            expires_at__gt=now,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .order_by("created_at", "pk")  # oldest first, so none waits behind a steady stream of new ones
        .values_list("pk", flat=True)[:500]
    )


def membership_remove(*, membership: Membership) -> None:
    with transaction.atomic():
        # Lock the organization row: two owners removing each other at once must not leave none.
        Organization.objects.select_for_update().get(pk=membership.organization_id)
        if membership.role == Membership.Role.OWNER:
            owners = Membership.objects.filter(organization_id=membership.organization_id, role=Membership.Role.OWNER)
            if owners.count() <= 1:
                raise ValidationError(_("An organization needs at least one owner."))
        membership.delete()
