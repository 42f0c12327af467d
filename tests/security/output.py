"""What the portal puts out, captured for the security sweeps: every page, admin page and API answer of the
URL walk (tests/walk.py), export files, e-mails and log lines.

The walk's world takes ~20 s to build: a sweep builds it once per module (``module_world``), inside one
transaction rolled back at the end, and each test of the module runs in a savepoint of it.
"""

import contextlib
import io
import logging
import zipfile

from django.db import transaction
from django.test import Client

from ..conftest import otp_login
from ..factories import PASSWORD
from ..walk import build_world, fill, url_patterns


@contextlib.contextmanager
def module_world(django_db_blocker, extend=None):
    """The walk's world for a whole module, rolled back afterwards; ``extend(world)`` adds to it first."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world(PASSWORD)
        if extend is not None:
            extend(world)
        yield world
        transaction.set_rollback(True)


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))  # the message, its arguments and any traceback, as a log file has them


@contextlib.contextmanager
def every_log_line():
    """Every record of every logger at DEBUG, formatted as a log file would hold it."""
    handler = _Lines()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    console = logging.root.handlers[:]  # the console would print every DEBUG line of the run: quiet while captured
    logging.root.handlers = []
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if logger is logging.root or not logger.propagate:
            logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        for logger, level in levels.items():
            logger.setLevel(level)
            logger.removeHandler(handler)
        logging.root.handlers = console


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def readable(content: bytes) -> str:
    """The text a reader gets from an answer: an XLSX (a zip) unpacked part by part, anything else decoded."""
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return content.decode("utf-8", "replace")


def actors(world) -> dict[str, Client]:
    """The customer (the demo organization's owner) and a superuser verified with the second factor."""
    customer, staff = Client(), Client()
    customer.force_login(world["customer"])
    assert otp_login(staff, world["superuser"], PASSWORD).status_code == 302
    return {"customer": customer, "staff": staff}


def walk_all(world, clients: dict[str, Client]):
    """(where, response) of a GET of every URL pattern by every actor; the desk export and the carrier batch file in
    both formats."""
    for route, name in url_patterns():
        url = fill(route, name, world)
        if url is None:
            continue
        for actor, client in clients.items():
            yield f"{url} as {actor}", client.get(url, follow=name == "accounts:password-reset-confirm")
    for url in ("/admin/desk/?export=csv", "/admin/desk/?export=xlsx"):
        yield f"{url} as staff", clients["staff"].get(url)
    batch = world["per_pattern"]["carrier-batch"]["pk"]
    for fmt in ("csv", "xlsx"):  # a POST: a download may be logged
        url = f"/admin/filings/batches/{batch}/download/{fmt}/"
        yield f"POST {url} as staff", clients["staff"].post(url)
