"""The shared cache on Redis, failing soft: what it holds (the policy timeline, the holiday table, kept
form options, a new API key's secret shown once) can always be read again from the database, so a Redis
that refuses or hangs must cost a page one short wait at most, never an error page.

An error marks Redis down for this process for ``DOWN_SECONDS`` (filing_portal.outage, shared with the
broker's nudges): the requests of that time read the database at once instead of each waiting out the
socket timeout again. A write that fails is lost; an invalidation that fails is bounded by the entries' own lifetime,
and ``policies.timeline`` also invalidates on commit."""

import logging

from django.core.cache.backends.redis import RedisCache

from . import outage

log = logging.getLogger(__name__)

DOWN_SECONDS = 10.0


class FailSoftRedisCache(RedisCache):
    def _soft(self, name, default, *args, **kwargs):
        if outage.redis_down():
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except self._lib_errors() as exc:
            outage.redis_failed(DOWN_SECONDS)
            log.warning("cache unavailable (%s: %s): reading the database for %.0f s", type(exc).__name__, exc,
                        DOWN_SECONDS)  # fmt: skip
            return default

    def _lib_errors(self):
        import redis

        return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    def get(self, key, default=None, version=None):
        return self._soft("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._soft("get_many", {}, keys, version)

    def add(self, key, value, timeout=None, version=None):
        return self._soft("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=None, version=None):
        return self._soft("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._soft("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._soft("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._soft("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._soft("delete_many", None, keys, version)

    def has_key(self, key, version=None):
        return self._soft("has_key", False, key, version)
