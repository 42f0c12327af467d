"""Calling the REST API in tests: a real key, made by the real service, on Django's test client."""

from django.test import Client

from accounts.models import Membership
from api import services


def key_for(membership: Membership, scope: str = "write") -> str:
    """A new key of the membership's organization (the membership is made an owner if it is not one)."""
    if membership.role != Membership.Role.OWNER:
        Membership.objects.filter(pk=membership.pk).update(role=Membership.Role.OWNER)
        membership.role = Membership.Role.OWNER
    return services.key_create(membership=membership, name="tests", scope=scope).secret


class Api:
    """A client that sends the key on every request and JSON by default; ``.json`` of the last answer."""

    def __init__(self, secret: str | None = None, language: str = "zh-hans"):
        self.client = Client(HTTP_ACCEPT_LANGUAGE=language)
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _call(self, method, path, data=None, *, headers=None, multipart=False, **extra):
        call = getattr(self.client, method)
        all_headers = {**self.headers, **(headers or {})}
        if method in ("get", "delete", "head"):
            return call(path, data or {}, headers=all_headers, **extra)
        if multipart:
            return call(path, data or {}, headers=all_headers, **extra)
        return call(path, data if data is not None else {}, content_type="application/json", headers=all_headers,
                    **extra)  # fmt: skip

    def get(self, path, data=None, **kw):
        return self._call("get", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def put(self, path, data=None, **kw):
        return self._call("put", path, data, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


def for_member(membership: Membership, scope: str = "write", language: str = "zh-hans") -> Api:
    return Api(key_for(membership, scope), language)
