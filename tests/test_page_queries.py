"""Speed of the customer's pages: persistent database connections, and no query per row.

Every customer page (the "org" namespace, the home page's organization chooser and both live
checks) is loaded with 5 and with 500 rows of what it lists; the number of queries must not grow.
"""

import json
import os
import subprocess
import sys

from django.conf import settings

BASE_DIR = settings.BASE_DIR


def _settings_in_a_fresh_process(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "filing_portal.settings", "VAR_DIR": "var/test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_keeps_database_connections_between_requests_by_default():
    max_age, health_checks = _settings_in_a_fresh_process()
    assert max_age is None or max_age >= 60
    assert health_checks is True


def test_it_lets_the_environment_turn_persistent_connections_off():
    assert _settings_in_a_fresh_process(CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false") == [0, False]
