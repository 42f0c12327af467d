"""Glue between our user model and the authentication libraries."""

from .models import normalize_email


def lockout_username(request, credentials=None):
    """The email django-axes counts failures against: lower-cased, as the user model stores it.

    Without this, "Staff@x.cn" and "staff@x.cn" would each get their own allowance of
    failures on the admin log-in form, which passes the address through as typed.
    """
    if credentials and credentials.get("username"):
        return normalize_email(credentials["username"])
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalize_email(data.get("username", "")) or None
