"""Every write of the API's own: keys (created and revoked by owners) and kept idempotent answers."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership

from .models import ApiKey, IdempotentRequest

KEY_TAG = "sfp"  # "SMS filing portal": a secret scanner can recognise the keys by it
IDEMPOTENCY_TTL = timedelta(hours=24)
LAST_USED_EVERY = timedelta(minutes=1)  # how stale last_used_at may be: one UPDATE a minute, not one per request


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def _hash(raw: str) -> str:
    # SHA-256, not a password hash: the key is 190 random bits, so there is nothing to guess slowly, and every
    # request checks it.
    return hashlib.sha256(raw.encode()).hexdigest()


def _require_owner(membership: Membership) -> None:
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the organization's owners can do this."))


def key_create(*, membership: Membership, name: str, scope: str) -> NewKey:
    _require_owner(membership)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, such as the system that will use it.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    if scope not in ApiKey.Scope.values:
        raise ValidationError({"scope": _("Choose read only, or read and write.")})
    prefix = secrets.token_hex(4)
    secret = f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey.objects.create(organization=membership.organization, name=name, prefix=prefix,
                                hashed=_hash(secret), scope=scope, created_by=membership.user)  # fmt: skip
    return NewKey(key=key, secret=secret)


def key_revoke(*, membership: Membership, key: ApiKey) -> bool:
    """Revoke at once (the next request with it gets 401). False if it was revoked already."""
    _require_owner(membership)
    return bool(
        ApiKey.objects.filter(pk=key.pk, organization=membership.organization, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=membership.user
        )
    )


def key_authenticate(raw: str) -> ApiKey | None:
    """The live key this secret is, with its organization and creator, or None. A key stops working when it is
    revoked and when its creator is no longer a member of its organization."""
    tag, _sep, rest = raw.partition("_")
    prefix, _sep, _secret = rest.partition("_")
    if tag != KEY_TAG or len(prefix) != 8 or not _secret:
        return None
    key = (
        ApiKey.objects.select_related("organization", "created_by")
        .filter(
            prefix=prefix,
            revoked_at__isnull=True,
            created_by__is_active=True,
            created_by__memberships__organization_id=F("organization_id"),
        )  # fmt: skip
        .first()
    )
    if key is None or not hmac.compare_digest(key.hashed, _hash(raw)):
        return None
    return key


def key_used(*, key: ApiKey, address: str | None) -> None:
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_EVERY and key.last_used_from == address:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_from=address)
    key.last_used_at, key.last_used_from = now, address


# --- Idempotency-Key ------------------------------------------------------------------------------------------


def idempotent_get(*, organization, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(
        organization=organization, key=key, created_at__gte=timezone.now() - IDEMPOTENCY_TTL
    ).first()  # fmt: skip


def idempotent_claim(*, organization, key: str, fingerprint: str) -> IdempotentRequest | None:
    """Claim the key for this request, inside the transaction of the write it answers: a row with no answer yet,
    which the caller fills (idempotent_answer) before it commits. None when another request with the key got it
    first: on PostgreSQL the insert waits until that one commits (then None) or rolls back (then ours succeeds);
    on SQLite the transactions run one after the other. A kept answer older than a day no longer counts."""
    IdempotentRequest.objects.filter(organization=organization, key=key,
                                     created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()  # fmt: skip
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(organization=organization, key=key, fingerprint=fingerprint,
                                                    status=0, body="", headers={})  # fmt: skip
    except IntegrityError:
        return None


def idempotent_answer(*, record: IdempotentRequest, status: int, body: str, headers: dict) -> None:
    IdempotentRequest.objects.filter(pk=record.pk).update(status=status, body=body, headers=headers)


def idempotent_purge(*, now=None) -> int:
    return IdempotentRequest.objects.filter(created_at__lt=(now or timezone.now()) - IDEMPOTENCY_TTL).delete()[0]
