"""Who may do what, for staff and customers alike: the one place the admin, the views and the
services ask.

A customer's role toward an application is ``customer`` when they are a member of its organization
(or of one the entity is shared with). Staff hold the roles of their groups (accounts/roles.py);
a superuser holds every staff role. Staff act in the admin only with a session that passed the
second factor (``is_verified_staff``); services receive the user and ask ``roles_toward``.
"""

from compliance import transitions as t

from . import roles as groups

# The staff roles, as their groups' permissions say them (accounts/roles.py gives each group its own).
REVIEW_PERMISSION = "accounts.review_filings"
FOLLOW_PERMISSION = "accounts.manage_assigned_customers"
POLICY_PERMISSION = "accounts.publish_policies"
FILING_PERMISSION = "filings.file_with_carriers"
_STAFF_ROLE_PERMISSIONS = (
    (t.REVIEWER, REVIEW_PERMISSION),
    (t.ACCOUNT_MANAGER, FOLLOW_PERMISSION),
    (t.POLICY_ADMIN, POLICY_PERMISSION),
    (t.CLERK, FILING_PERMISSION),
)
assert {role for role, _perm in _STAFF_ROLE_PERMISSIONS} <= set(groups.STAFF_GROUPS)


def staff_roles(user) -> frozenset[str]:
    """The staff roles ``user`` holds (none for a customer, every one for a superuser)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_staff or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(role for role, _perm in _STAFF_ROLE_PERMISSIONS)
    return frozenset(role for role, perm in _STAFF_ROLE_PERMISSIONS if user.has_perm(perm))


def is_verified_staff(user) -> bool:
    """Staff whose session passed the admin's second factor (django-otp's ``is_verified``)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_staff
        and user.is_active
        and getattr(user, "is_verified", lambda: False)()
    )


def is_reviewer(user) -> bool:
    return t.REVIEWER in staff_roles(user)


def is_clerk(user) -> bool:
    return t.CLERK in staff_roles(user)


def is_member(user, organization_id) -> bool:
    """A member of the organization: one query, unless the memberships were read this request."""
    if not getattr(user, "is_authenticated", False):
        return False
    read = getattr(user, "_memberships_read", None)
    if read is not None:
        return any(m.organization_id == organization_id for m in read)
    return user.memberships.filter(organization_id=organization_id).exists()


def roles_toward(user, organization_id) -> frozenset[str]:
    """Every role ``user`` holds toward an application of the organization: ``system`` for no user
    (a scheduled task), ``customer`` for its members, and the staff roles that reach it (an account
    manager only for the customers assigned to them)."""
    if user is None:
        return frozenset({t.SYSTEM})
    roles = set(staff_roles(user))
    if t.ACCOUNT_MANAGER in roles and not user.is_superuser and not _manages(user, organization_id):
        roles.discard(t.ACCOUNT_MANAGER)
    if is_member(user, organization_id):
        roles.add(t.CUSTOMER)
    return frozenset(roles)


def _manages(user, organization_id) -> bool:
    from .models import Organization

    return Organization.objects.filter(pk=organization_id, account_manager=user).exists()


def may_see_organization(user, organization) -> bool:
    """Verified staff who may see a customer's organization: reviewers and policy admins every one,
    an account manager their own customers."""
    if not is_verified_staff(user):
        return False
    roles = staff_roles(user)
    if user.is_superuser or t.REVIEWER in roles or t.POLICY_ADMIN in roles:
        return True
    return t.ACCOUNT_MANAGER in roles and organization.account_manager_id == user.pk


def organizations_visible(user):
    """The organizations staff may see in the admin (may_see_organization, as a queryset)."""
    from .models import Organization

    roles = staff_roles(user)
    if user.is_superuser or t.REVIEWER in roles or t.POLICY_ADMIN in roles:
        return Organization.objects.all()
    if t.ACCOUNT_MANAGER in roles:
        return Organization.objects.filter(account_manager=user)
    return Organization.objects.none()


def may_open_original(user, organization) -> bool:
    """The unwatermarked ID image: verified reviewers only."""
    return may_see_organization(user, organization) and is_reviewer(user)
