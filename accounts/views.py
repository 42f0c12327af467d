"""Customer-facing account views: parse input, call a service or selector, render."""

import base64
from io import BytesIO
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from filing_portal.forms import apply_service_errors

from . import selectors, services
from .forms import EmailLoginForm, InvitationSignupForm, InviteForm, SignupForm, TotpConfirmForm
from .models import Membership, User, normalize_email

# Several backends are configured (django-axes first), so login() must be told which one.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return render(request, "home.html")
    memberships = selectors.memberships_for_user(user=request.user)
    if len(memberships) == 1:
        return redirect("org:dashboard", org_id=memberships[0].organization_id)
    return render(request, "accounts/choose_organization.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.signup_create(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                organization_name=form.cleaned_data["organization_name"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            login(request, result.user, backend=MODEL_BACKEND)
            messages.success(request, _("Welcome! Your organization has been created."))
            return redirect("org:dashboard", org_id=result.organization.pk)
    return render(request, "accounts/signup.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password through the emailed link also lifts a log-in lockout:
    whoever reads that mailbox may log in anyway."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=normalize_email(form.user.email))
        return response


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationError as error:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=410)

    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except services.InvitationError as error:
                return render(request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=410)
            messages.success(request, _("You have joined %(org)s.") % {"org": invitation.organization.name})
            return redirect("org:dashboard", org_id=invitation.organization_id)
        wrong_account = request.user.email != invitation.email
        return render(
            request, "accounts/invitation_accept.html", {"invitation": invitation, "wrong_account": wrong_account}
        )

    if User.objects.filter(email__iexact=invitation.email).exists():
        login_url = f"{reverse('accounts:login')}?{urlencode({'next': request.path})}"
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "login_url": login_url})

    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_signup(
                invitation=invitation, password=form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except services.InvitationError as error:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(error)}, status=410)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("You have joined %(org)s.") % {"org": invitation.organization.name})
            return redirect("org:dashboard", org_id=invitation.organization_id)
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form})


@login_required
@require_GET
def dashboard(request, org_id):
    membership = selectors.membership_get(user=request.user, org_id=org_id)
    org = membership.organization
    # Live signatures whose source the rules in force no longer accept (app names from 2026-05-01,
    # notice 2026.4.23, read from the policy in force): counted in the same query as the cards, by
    # what is to be done with them (change the source of a draft, withdraw one in review, re-file one
    # filed). The sources that remain are named as compliance lists them, the partner source included.
    from compliance.signatures import offered_source_names, offered_sources
    from policies.timeline import current_policy
    from signatures.forms import refusal_text
    from signatures.models import Signature

    policy = current_policy()
    accepted = offered_sources(policy)
    withdrawn = [s for s in Signature.Source.values if s not in accepted]
    counts = selectors.organization_counts(organization=org, withdrawn_sources=withdrawn)
    context = {"membership": membership, "org": org, **counts}
    context["withdrawn_reasons"] = [refusal_text(s, policy) for s in withdrawn] if counts["withdrawn_count"] else []
    context["sources"] = offered_source_names(policy)[0 if (request.LANGUAGE_CODE or "").startswith("zh") else 1]
    return render(request, "accounts/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def members(request, org_id):
    """The member list; its form (POST, owners only) invites a colleague.

    The invitation form posts to this same URL, so a page re-shown with errors is still one
    that can be reloaded or switched to another language.
    """
    membership, members = selectors.membership_get_with_members(user=request.user, org_id=org_id)
    if request.method == "GET":
        return _members_page(request, membership, members, InviteForm())
    _require_owner(membership)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                organization=membership.organization,
                invited_by=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("org:members", org_id=org_id)
    return _members_page(request, membership, members, form, status=400)


def _members_page(request, membership, members, invite_form, status=200):
    org = membership.organization
    context = {
        "membership": membership,
        "org": org,
        "is_owner": membership.role == Membership.Role.OWNER,
        "members": members,
        "invitations": selectors.organization_open_invitations(organization=org),
        "form": invite_form,
        "invitation_days": settings.INVITATION_MAX_AGE.days,
    }
    return render(request, "accounts/members.html", context, status=status)


def _require_owner(membership):
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the organization's owners can do this."))


def _owner_membership(request, org_id):
    """Non-members get 404 (the organization's existence is not theirs to know); members 403."""
    membership = selectors.membership_get(user=request.user, org_id=org_id)
    _require_owner(membership)
    return membership


@login_required
@require_POST
def invitation_revoke(request, org_id, invitation_id):
    membership = _owner_membership(request, org_id)
    invitation = selectors.organization_invitation_get(
        organization=membership.organization, invitation_id=invitation_id
    )
    if services.invitation_revoke(invitation=invitation):
        messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    else:
        messages.info(request, _("That invitation was already used or withdrawn."))
    return redirect("org:members", org_id=org_id)


@login_required
@require_POST
def member_remove(request, org_id, membership_id):
    membership = _owner_membership(request, org_id)
    target = selectors.organization_membership_get(organization=membership.organization, membership_id=membership_id)
    try:
        services.membership_remove(membership=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(email)s was removed from the organization.") % {"email": target.user.email})
    if target.user_id == request.user.id:
        return redirect("home")
    return redirect("org:members", org_id=org_id)


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache  # the page shows the authenticator's secret key
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Staff enrol a TOTP authenticator here before they can enter the admin."""
    if not request.user.is_staff:
        raise Http404
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    if confirmed:
        return render(request, "accounts/two_factor.html", {"confirmed": True})
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on. You can now enter the admin."))
            return redirect("admin:index")
        form.add_error("token", _("That code is not right, or it has expired. Try the current one."))
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor.html",
        {"form": form, "secret": secret, "qr": _qr_svg(device.config_url), "confirmed": False},
    )


@require_POST
def set_language(request):
    """Django's language switch, and the choice kept on the signed-in person: the e-mails and notices
    the workers write to them later are in it (notices.services)."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).exclude(language=language).update(language=language)
    return response
