"""The admin site: django-otp's, so staff need a second factor, made friendlier to use."""

from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class PortalAdminAuthenticationForm(OTPAdminAuthenticationForm):
    """Email, password and the 6-digit code on one form.

    django-otp asks the user to pick a device before it checks a code (so that a wrong code
    throttles only that device). Staff here have one authenticator, so we pick it for them:
    no device list, no second round trip.
    """

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def _update_form(self, user):
        super()._update_form(user)
        # django-otp re-renders the typed password into the page; never send it back.
        self.fields["password"].widget.render_value = False


class PortalAdminSite(OTPAdminSite):
    login_form = PortalAdminAuthenticationForm
    login_template = "admin/portal_login.html"
    site_header = "短信签名报备平台 · SMS Filing Portal"
    site_title = _("SMS Filing Portal admin")
    index_title = _("Administration")

    def __init__(self, name="admin"):
        # The default site keeps Django's name ("admin:" URLs), not django-otp's "otpadmin".
        super().__init__(name)
