"""Two requests writing at once (two uploads on the entity page) must both succeed, on SQLite too."""

import threading
import time

import pytest
from django.db import connection, transaction

from accounts.models import Organization

from .factories import OrganizationFactory


@pytest.mark.django_db(transaction=True)
def test_two_transactions_that_read_then_write_both_succeed():
    # Each transaction reads, then writes, as the upload service does. On SQLite a plain (deferred)
    # BEGIN takes a read lock first; upgrading it while the other holds one fails at once with
    # "database is locked", without waiting for the timeout.
    organization = OrganizationFactory()
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def read_then_write(name):
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                Organization.objects.get(pk=organization.pk)
                time.sleep(0.3)  # the other thread reads meanwhile
                Organization.objects.filter(pk=organization.pk).update(name=name)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read_then_write, args=(name,)) for name in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    organization.refresh_from_db()
    assert organization.name in ("甲", "乙")
