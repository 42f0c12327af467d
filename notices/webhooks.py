"""Where a webhook may point: HTTPS to a public address. Loopback and private addresses are refused
(a customer's URL must not reach the platform's own network), except loopback where
``WEBHOOK_ALLOW_LOOPBACK`` is on (development and the test suite, whose receivers run locally; also
plain http there)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def check_address(url: str) -> None:
    """ValidationError naming the problem when ``url`` is not an address webhooks may go to."""
    parts = urlsplit(url or "")
    loopback_ok = settings.WEBHOOK_ALLOW_LOOPBACK
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http"):
        raise ValidationError(_("The address must start with https://."), code="scheme")
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError(_("Enter a full address such as https://example.com/hooks/sms."), code="host")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(_("The host %(host)s cannot be found.") % {"host": parts.hostname}, code="dns") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_loopback and loopback_ok:
            continue
        if not address.is_global:
            raise ValidationError(
                _("%(host)s is a private or reserved address; webhooks go to public addresses only.")
                % {"host": parts.hostname},
                code="private",
            )
