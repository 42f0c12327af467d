from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Membership, User, normalize_email
from .validators import validate_single_line


class PasswordPairMixin(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return p2

    def validate_password_for(self, user):
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.add_error("password1", error)


class SignupForm(PasswordPairMixin):
    email = forms.EmailField(
        label=_("Work email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(label=_("Your name"), max_length=150, validators=[validate_single_line])
    organization_name = forms.CharField(
        label=_("Organization name"),
        max_length=200,
        validators=[validate_single_line],
        help_text=_("Your company as you want it shown in the portal. Entities are registered later."),
    )

    field_order = ["email", "full_name", "organization_name", "password1", "password2"]

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email address already exists."), code="email_taken")
        return email

    def clean(self):
        cleaned = super().clean()
        self.validate_password_for(User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", "")))
        return cleaned


class InvitationSignupForm(PasswordPairMixin):
    full_name = forms.CharField(label=_("Your name"), max_length=150, validators=[validate_single_line])

    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args, email, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        self.validate_password_for(User(email=self.email, full_name=cleaned.get("full_name", "")))
        return cleaned


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class EmailLoginForm(AuthenticationForm):
    """Django's login form, labelled for email (the user model logs in by email)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # Django's says both are case-sensitive; our emails are not.
        "invalid_login": _("Enter the right email address and password. The password is case-sensitive."),
    }

    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self):
        return normalize_email(self.cleaned_data["username"])


class TotpConfirmForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
