"""What signatures and templates share: a history row per change of state, and the one way a
status moves (the transition table of compliance/transitions.py, then a compare-and-set)."""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance import transitions as states


class StatusEvent(models.Model):
    """Every change of state: who, when, from, to, why. The customer sees these as a timeline."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class TransitionRefused(Exception):
    pass


def move(obj, *, to_status: str, actor, reason: str = "", record):
    """Move ``obj`` on if the table allows it and nobody moved it first; ``record(obj, actor, from,
    to, reason)`` writes the history row in the same transaction."""
    current = obj.status
    if not states.can_transition(current, to_status):
        names = {"a": obj.Status(current).label, "b": obj.Status(to_status).label}  # the states' one name each
        raise TransitionRefused(_("This cannot go from “%(a)s” to “%(b)s”.") % names)
    with transaction.atomic():
        updated = (
            type(obj).objects.filter(pk=obj.pk, status=current).update(status=to_status, updated_at=timezone.now())
        )
        if updated != 1:
            raise TransitionRefused(_("Someone else changed this first. Reload the page."))
        record(obj, actor, current, to_status, reason)
    obj.refresh_from_db()
    return obj
