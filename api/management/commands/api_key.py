"""Create an API key for an owner from the command line (the demo walkthrough in docs/api.md; an operator).

    manage.py api_key customer@demo.example --name curl --scope write

Prints the key alone on standard output (it is shown once, never stored); the portal's API keys page does the
same for people in the browser.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership
from api import services
from api.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for an organization's owner and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the owner's e-mail")
        parser.add_argument("--organization", type=int, help="the organization's id (when the owner has several)")
        parser.add_argument("--name", default="command line", help="what the key is for")
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.READ)

    def handle(self, *args, email, organization, name, scope, **options):
        memberships = Membership.objects.select_related("organization", "user").filter(user__email__iexact=email)
        if organization is not None:
            memberships = memberships.filter(organization_id=organization)
        found = list(memberships[:2])
        if len(found) != 1:
            raise CommandError(f"{email}: {'no' if not found else 'more than one'} organization; name it with "
                               "--organization.")  # fmt: skip
        try:
            new = services.key_create(membership=found[0], name=name, scope=scope)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(f"{email}: {' '.join(getattr(exc, 'messages', [str(exc)]))}") from exc
        self.stdout.write(new.secret)
