"""The API against its own contract: schemathesis (its command line, as a developer runs it) reads the schema the
live portal serves, then sends every operation generated requests, valid and invalid (wrong types, missing and
unknown fields, odd strings, huge numbers), anonymous and with a read-and-write key. No answer may be a 5xx, and
each must conform to the schema: its status code documented, its content type, body and headers as documented."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.models import Membership

from .api_helpers import key_for
from .factories import MembershipFactory

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Every check except two that judge the API by what it cannot know: positive_data_acceptance expects any
# schema-valid body to succeed (a made-up entity id is rightly refused), and use_after_free/ensure_resource_availability
# expect links between operations that the schema does not declare.
EXCLUDED = "positive_data_acceptance,use_after_free,ensure_resource_availability"


def run(url: str, tmp_path: Path, *headers: str) -> subprocess.CompletedProcess:
    command = [
        SCHEMATHESIS, "run", f"{url}/api/v1/schema/?format=json", "--checks", "all", "--exclude-checks", EXCLUDED,
        "--mode", "all", "--max-examples", "25", "--seed", "13", "--workers", "1", "--generation-database", "none",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "30", "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    for header in headers:
        command += ["-H", header]
    # In the test's own folder: schemathesis keeps a cache (.schemathesis/) where it runs.
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path)
    print(result.stdout[-3000:])  # the summary, shown with -s and on failure
    return result


@pytest.fixture
def live_url(live_server, transactional_db):
    return live_server.url


def every_operation_tested(result) -> None:
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    selected, total = map(int, re.search(r"Selected: (\d+)/(\d+)", result.stdout).groups())
    tested = int(re.search(r"Tested: (\d+)", result.stdout).group(1))
    assert selected == total == tested, result.stdout[-3000:]


def test_anonymous_callers_get_conforming_answers(live_url, tmp_path):
    every_operation_tested(run(live_url, tmp_path))


def test_a_keys_calls_get_conforming_answers(live_url, tmp_path):
    membership = MembershipFactory(role=Membership.Role.OWNER)
    secret = key_for(membership, "write")
    every_operation_tested(run(live_url, tmp_path, f"Authorization: Bearer {secret}"))
