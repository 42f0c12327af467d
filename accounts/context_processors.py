from .selectors import memberships_for_user


def memberships(request):
    """The organizations the signed-in user belongs to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": []}
    # Already read by the view's membership_get on organization pages (the same request's user).
    read = getattr(user, "_memberships_read", None)
    return {"my_memberships": read if read is not None else list(memberships_for_user(user=user))}
