"""Where a webhook may go, and the one request that goes there.

HTTPS to a public address only: loopback, private, link-local and reserved addresses are refused (a
customer's URL must not reach the platform's own network). ``WEBHOOK_ALLOW_LOOPBACK`` (development and
the test suite, whose receivers run on the same machine) lets loopback through, over plain http too.

Why not ``requests.post(url)``: it resolves the host again on its own, so a name that answered a public
address to the check can answer 127.0.0.1 to the request (DNS rebinding). Here the host is resolved
once, every address is checked, and the connection goes to the checked address, with the host name
kept for the Host header, SNI and the certificate check (urllib3's ``server_hostname`` and
``assert_hostname``). The whole request has a deadline, and at most ``EXCERPT`` bytes of the answer
are read.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONNECT_SECONDS, READ_SECONDS, DEADLINE_SECONDS = 5, 10, 15
EXCERPT = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


def check_address(url: str) -> Target:
    """The checked target of ``url``, or ValidationError naming the problem."""
    parts = urlsplit(url or "")
    loopback_ok = settings.WEBHOOK_ALLOW_LOOPBACK
    if parts.scheme != "https" and not (loopback_ok and parts.scheme == "http"):
        raise ValidationError(_("The address must start with https://."), code="scheme")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValidationError(_("The port must be a number from 1 to 65535."), code="port") from exc
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError(_("Enter a full address such as https://example.com/hooks/sms."), code="host")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(_("The host %(host)s cannot be found.") % {"host": parts.hostname}, code="dns") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not (address.is_global or (address.is_loopback and loopback_ok)):
            raise ValidationError(
                _("%(host)s is a private or reserved address; webhooks go to public addresses only.")
                % {"host": parts.hostname},
                code="private",
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


@dataclass(frozen=True)
class Answer:
    code: int | None
    excerpt: str
    error: str  # empty when the endpoint answered 2xx


def post(url: str, body: bytes, headers: dict) -> Answer:
    """POST to the checked address of ``url``: the answer, never an exception for the network's faults."""
    try:
        target = check_address(url)  # at send time too: DNS may have changed since the endpoint was saved
    except ValidationError as exc:
        return Answer(None, "", " ".join(exc.messages))
    timeout = urllib3.Timeout(connect=CONNECT_SECONDS, read=READ_SECONDS)
    common = {"port": target.port, "timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, server_hostname=target.host, assert_hostname=target.host,
                                           cert_reqs="CERT_REQUIRED", **common)  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(target.address, **common)
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    started = time.monotonic()
    try:
        response = pool.urlopen("POST", target.path, body=body, headers={**headers, "host": host}, redirect=False,
                                preload_content=False, assert_same_host=False)  # fmt: skip
        excerpt = b""
        while len(excerpt) < EXCERPT and time.monotonic() - started < DEADLINE_SECONDS:
            chunk = response.read(64)
            if not chunk:
                break
            excerpt += chunk
        response.release_conn()
    except urllib3.exceptions.ConnectTimeoutError:
        return Answer(None, "", _("The endpoint did not accept a connection within %(s)s s.") % {"s": CONNECT_SECONDS})
    except urllib3.exceptions.ReadTimeoutError:
        return Answer(None, "", _("The endpoint did not answer within %(s)s s.") % {"s": READ_SECONDS})
    except urllib3.exceptions.SSLError:
        return Answer(None, "", _("The endpoint's TLS certificate could not be verified."))
    except (urllib3.exceptions.HTTPError, OSError):
        return Answer(None, "", _("The endpoint could not be reached."))
    finally:
        pool.close()
    text = excerpt[:EXCERPT].decode("utf-8", "replace")
    if not 200 <= response.status < 300:
        return Answer(response.status, text, _("The endpoint answered %(code)s.") % {"code": response.status})
    return Answer(response.status, text, "")
