"""Reads, scoped to what the caller may see. Another customer's object is a 404."""

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from filing_portal import compiled

from .models import Invitation, Membership, Organization, User


def memberships_for_user(*, user: User):
    if not user.is_authenticated:
        return Membership.objects.none()
    return _memberships_of(user.pk)


def _memberships_of(user_id):
    # Each membership with its unread notices (newer than the member last opened the inbox): the
    # header's count, in the query the page makes anyway.
    return (
        Membership.objects.filter(user_id=user_id)
        .annotate(unread=unread_notices())
        .select_related("organization")
        .order_by("organization__name", "pk")
    )


def unread_notices():
    """A membership's unread notices, as a subquery to annotate memberships with."""
    from notices.models import Notice

    newer = Notice.objects.filter(organization_id=OuterRef("organization_id"), in_inbox=True,
                                  created_at__gt=OuterRef("inbox_seen_at"))  # fmt: skip
    counted = newer.order_by().values("organization_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def membership_get(*, user: User, org_id: int) -> Membership:
    """The caller's membership in the organization, or 404 (whether or not it exists).

    It reads all the caller's memberships (a handful) in the one query, and leaves them on the
    user for the navigation bar (context_processors.memberships): one query a page, not two."""
    # The same member on every page: the query compiled once a process (filing_portal.compiled).
    memberships = compiled.rows(_memberships_of, user.pk) if user.is_authenticated else []
    user._memberships_read = memberships
    for membership in memberships:
        if str(membership.organization_id) == str(org_id):
            return membership
    raise Http404


def organization_counts(*, organization: Organization, withdrawn_sources=()) -> dict[str, int]:
    """How many entities, signatures and templates the organization has, and how many of its live
    signatures (not ended) rest on one of ``withdrawn_sources`` (sources the rules in force no
    longer accept), by what is to be done with them: ``withdrawn_editable`` (drafts and those sent
    back: change the source), ``withdrawn_in_review`` (submitted, in review: withdraw) and
    ``withdrawn_filed`` (filed: carriers may clear them), with their sum ``withdrawn_count``. One
    query, not six, and compiled once a process (filing_portal.compiled): building its six
    subqueries cost Django about 1.8 ms of CPU, running it 0.2 ms."""
    counts = compiled.rows(_counts, organization.pk, tuple(sorted(withdrawn_sources)))[0]
    counts["withdrawn_count"] = counts["withdrawn_editable"] + counts["withdrawn_in_review"] + counts["withdrawn_filed"]
    return counts


def _counts(organization_id, withdrawn):
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from compliance.signatures import EDITABLE_STATES, FILED_STATES, UNDER_REVIEW_STATES

    def count(relation, **filters):
        rows = Organization._meta.get_field(relation).related_model.objects.filter(organization=OuterRef("pk"))
        if filters:
            rows = rows.filter(**filters)
        rows = rows.order_by().values("organization").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

    withdrawn = list(withdrawn)
    return Organization.objects.filter(pk=organization_id).values(
        entity_count=count("entities"), signature_count=count("signatures"), template_count=count("sms_templates"),
        withdrawn_editable=count("signatures", source__in=withdrawn, status__in=sorted(EDITABLE_STATES)),
        withdrawn_in_review=count("signatures", source__in=withdrawn, status__in=sorted(UNDER_REVIEW_STATES)),
        withdrawn_filed=count("signatures", source__in=withdrawn, status__in=sorted(FILED_STATES)),
    )  # fmt: skip


def membership_get_with_members(*, user: User, org_id: int) -> tuple[Membership, list[Membership]]:
    """membership_get, and the organization's members with their users (owners first, then by
    joining), in the same one query: the member page read memberships twice, and a query costs
    about 0.7 ms of CPU besides the round trip. The organization's rows are read along with the
    caller's, and returned only if the caller is one of its members (404 otherwise, as membership_get)."""
    if not user.is_authenticated:
        raise Http404
    rows = list(
        Membership.objects.filter(Q(user=user) | Q(organization_id=org_id))
        .select_related("organization", "user")
        .order_by("organization__name", "pk")  # memberships_for_user's order, for the navigation bar
    )
    mine = [m for m in rows if m.user_id == user.pk]
    user._memberships_read = mine
    membership = next((m for m in mine if str(m.organization_id) == str(org_id)), None)
    if membership is None:
        raise Http404
    members = [m for m in rows if m.organization_id == membership.organization_id]
    members.sort(key=lambda m: (m.created_at, m.pk))
    members.sort(key=lambda m: m.role, reverse=True)  # stable: owners first, each role by joining
    return membership, members


def organization_open_invitations(*, organization: Organization):
    return organization.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at")


def organization_invitation_get(*, organization: Organization, invitation_id: int) -> Invitation:
    try:
        return organization.invitations.get(pk=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404 from None


def organization_membership_get(*, organization: Organization, membership_id: int) -> Membership:
    try:
        return organization.memberships.select_related("user").get(pk=membership_id)
    except Membership.DoesNotExist:
        raise Http404 from None


def organizations_for_staff(*, user: User):
    """Organizations a staff user may see in the admin: all for reviewers and policy admins,
    only their own customers for an account manager (accounts.staff decides)."""
    from . import staff

    return staff.organizations_visible(user)
