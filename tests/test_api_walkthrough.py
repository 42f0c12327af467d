"""docs/api.md's walkthrough, run verbatim: its bash blocks, in order, with curl and jq against a live portal with
`make run`'s demo data (seed_demo). A change of the API that breaks the documentation fails here."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Organization
from signatures.models import Signature
from templates_app.models import SmsTemplate

from .conftest import _database_url

DOC = Path(settings.BASE_DIR) / "docs" / "api.md"
pytestmark = pytest.mark.django_db(transaction=True)


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def test_the_walkthrough_has_the_steps_it_promises():
    script = "\n".join(walkthrough_blocks())
    for step in ("signatures/precheck/", "Idempotency-Key", "templates/check/", "If-Match", "/withdraw/"):
        assert step in script, step


def test_the_walkthrough_runs_verbatim_against_the_demo_data(live_server, tmp_path):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())
    org = Organization.objects.get(memberships__user__email="customer@demo.example")
    before = Signature.objects.filter(organization=org).count()
    env = {
        **os.environ,
        "PORTAL": live_server.url,
        # manage.py api_key writes where the live portal reads: the test database.
        "DATABASE_URL": _database_url(settings.DATABASES["default"]),
        "VAR_DIR": str(settings.VAR_DIR),
    }
    script = "set -euo pipefail\n" + "\n".join(walkthrough_blocks())
    result = subprocess.run(["bash", "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out[-5000:] + result.stderr[-5000:]
    assert "filed once" in out
    assert '"blocked": true' in out and "SIG_" in out  # the app name, refused with its rule's code
    assert '"code": "validation-failed"' in out and '"EVID_ALREADY_HELD"' in out  # the same text again
    signature = Signature.objects.filter(organization=org).order_by("-pk").first()
    assert Signature.objects.filter(organization=org).count() == before + 1
    assert signature.text == "示例科技" and signature.status == "withdrawn"
    assert SmsTemplate.objects.filter(organization=org, name="登录验证码").get().status == "withdrawn"
