"""This process's memory that Redis failed a moment ago (the cache and the broker are one Redis in
production): the requests that follow skip it at once instead of each waiting out a socket timeout again.
A page reads the cache several times and a clerk's batch nudges the broker hundreds of times; what Redis
would have done waits for the database (the cache) or for the beat sweep (notices, the outbox)."""

import time

_down_until = 0.0


def redis_down() -> bool:
    return time.monotonic() < _down_until


def redis_failed(seconds: float) -> None:
    global _down_until
    _down_until = max(_down_until, time.monotonic() + seconds)


def redis_back() -> None:
    """Forget the failure (the tests, once they end a fault; in service, the time does it)."""
    global _down_until
    _down_until = 0.0
