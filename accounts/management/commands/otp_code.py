"""Print a staff user's current TOTP code: for the demo and for local development only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from .seed_demo import current_code


class Command(BaseCommand):
    help = "Print the current 6-digit code of a staff user's TOTP device (not in production)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if settings.PRODUCTION:
            raise CommandError("otp_code refuses to run with DJANGO_ENV=production.")
        device = TOTPDevice.objects.filter(user__email__iexact=email, confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no confirmed authenticator.")
        self.stdout.write(current_code(device))
