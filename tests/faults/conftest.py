"""Which database-fault tests a run collects: on PostgreSQL the tests themselves, on SQLite the one that runs them
in a child pytest on a real PostgreSQL (tests/faults/test_database.py). Deselected, not skipped: every pass proves
the same faults."""

from django.db import connection

CHILD_RUNNER = "test_on_sqlite_the_database_faults_run_on_a_real_postgresql_in_a_child_run"


def pytest_collection_modifyitems(config, items):
    on_postgresql = connection.vendor == "postgresql"
    keep, drop = [], []
    for item in items:
        in_module = item.path.name == "test_database.py" and item.path.parent.name == "faults"
        runner = in_module and item.name == CHILD_RUNNER
        (drop if in_module and runner == on_postgresql else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
