import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .validators import validate_single_line


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=normalize_email(email))


def normalize_email(email: str) -> str:
    """Email addresses are compared case-insensitively, so they are stored lower-cased."""
    return (email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in by email: a customer, or platform staff (is_staff + a group)."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True, validators=[validate_single_line])
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Platform staff: may log in to the admin with a second factor.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The language the person last chose on the site: their e-mails and notices are written in it.
    language = models.CharField(_("language"), max_length=8, default="zh-hans", editable=False)  # of settings.LANGUAGES

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email.split("@")[0]


class Organization(models.Model):
    """A customer account: one enterprise customer (its entities come later)."""

    name = models.CharField(_("organization name"), max_length=200, validators=[validate_single_line])
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_organizations",
        limit_choices_to={"is_staff": True, "groups__name": "account_manager"},
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]
        permissions = [
            ("review_filings", "Can review signature and template filings"),
            ("manage_assigned_customers", "Can follow the customers assigned to them"),
            ("publish_policies", "Can publish policies and announcements"),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("user"))  # fmt: skip
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships",
                                     verbose_name=_("organization"))  # fmt: skip
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # When the member last opened the organization's inbox: newer notices are unread (the header's count).
    inbox_seen_at = models.DateTimeField(_("inbox last opened"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]
        ordering = ["organization", "created_at", "pk"]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"


def _new_nonce():
    return secrets.token_urlsafe(16)


class Invitation(models.Model):
    """An owner's invitation to join an organization.

    The emailed link carries a signed (id, nonce) pair; the row holds the expiry and
    whether it was used, so a link works once and only until it expires. The
    ``email_status`` columns make the row its own outbox: the task claims it with a
    conditional UPDATE, and a beat sweep re-enqueues what stays unsent.
    """

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent: used, withdrawn or expired first")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations",
                                     verbose_name=_("organization"))  # fmt: skip
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                                   verbose_name=_("invited by"))  # fmt: skip
    nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    email_status = models.CharField(_("email status"), max_length=16, choices=EmailStatus.choices,
                                    default=EmailStatus.PENDING)  # fmt: skip
    email_claimed_at = models.DateTimeField(_("email claimed at"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open invitation per address and organization: a double post cannot make two.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            )
        ]
        indexes = [models.Index(fields=["email_status", "created_at"], name="invitation_outbox_idx")]

    def __str__(self):
        return f"{self.email} → {self.organization}"

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class Authenticator(TOTPDevice):
    """A staff member's authenticator app (django-otp's TOTP device), as the admin names it: the library's
    model has English names only, and its migrations are not ours to change."""

    class Meta:
        proxy = True
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")
