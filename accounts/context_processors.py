from .selectors import memberships_for_user


def memberships(request):
    """The organizations the signed-in user belongs to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_memberships": []}
    return {"my_memberships": list(memberships_for_user(user=user))}
