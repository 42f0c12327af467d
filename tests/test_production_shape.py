"""The production shape on one machine (issue 14, section 4): every process of an installation, started from
deploy/'s own files, and the whole flow through it over HTTPS.

- nginx (deploy/nginx/filing-portal.conf: TLS, the proxy headers) in front of gunicorn with 2 workers (the web
  unit's ExecStart); 2 Celery workers, one for each queue, `celery` and `policy-impact` (the worker@ template's
  ExecStart with %i filled in); exactly one beat (the beat unit's ExecStart);
- PostgreSQL and Redis; the documents in an S3 bucket served by moto's server mode (django-storages and boto3,
  as with Aliyun OSS or MinIO);
- configured from deploy/portal.env.example (secrets filled in, DJANGO_ENV=production); `manage.py migrate` and
  `collectstatic` run as a deploy runs them (docs/deploy.md).

The flow goes through nginx only: sign-up; an entity, consent, its two ID images and its licence, stored in the
bucket (the unwatermarked ID original as ciphertext); the package and a signature sent for review; a reviewer logs
in to the admin with password and TOTP code, claims and approves both; a filing clerk opens and submits one
carrier batch per carrier; a policy admin publishes a rule change, whose chunks the policy-impact worker checks
and whose e-mail to the customer the celery worker sends.

Why PostgreSQL and Redis in both CI passes (the SQLite pass too: tests/services.py finds the machine's, or
starts private ones on a fresh machine): production runs on them (DJANGO_ENV=production refuses to start without
REDIS_URL; SQLite and the filesystem broker are for one process tree). The shape has a database of its own (the
tests' PostgreSQL database name, or filing_portal, + "_shape", made and migrated here, dropped after) and a Redis
database of its own (the tests' broker database + 1: the tests' own worker never sees its tasks);
SHAPE_DATABASE_URL and SHAPE_REDIS_URL name others. The test process reads that database with psycopg, never
through its own test database, and makes the staff accounts with `manage.py shell`, as an operator would.
"""

import contextlib
import email
import html
import json
import os
import re
import shlex
import socket
import socketserver
import subprocess
import sys
import threading
import time
from email import policy as email_policy
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import requests
from django.db import connection
from django.urls import resolve, reverse

from compliance import carriers

from . import files
from .test_deploy import APP, ENV_TEMPLATE, UNITS, Nginx, _filled_template, _free_port, _gunicorn_command, _substitute
from .test_qualifications import ID_A, entity_data

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

BUCKET = "filing-portal-documents"
PASSWORD = "Shape-Test-Passw0rd!"
STAFF = {"reviewer@platform.cn": "reviewer", "clerk@platform.cn": "filing_clerk", "policy@platform.cn": "policy_admin"}
RULE = "2026-05-01-no-app-names"  # a built-in change (its row comes with the migrations)
QUEUES = ("celery", "policy-impact")


def _not_yet() -> tuple:
    from botocore.exceptions import BotoCoreError

    return (OSError, requests.RequestException, BotoCoreError, psycopg.Error)


NOT_YET = _not_yet()  # what a service that is still starting answers


# --- the edge: an SMTP server that keeps what it is sent ------------------------------------------------------


class _SmtpSink(socketserver.ThreadingTCPServer):
    """Outgoing e-mail is the one thing faked (the edge): EMAIL_URL must be an SMTP server in production."""

    daemon_threads = allow_reuse_address = True

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        super().__init__(("127.0.0.1", 0), _SmtpSession)


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 sink\r\n")
        data = None
        while line := self.rfile.readline():
            if data is not None:
                if line == b".\r\n":
                    self.server.messages.append(email.message_from_bytes(b"".join(data), policy=email_policy.default))
                    data = None
                    self.wfile.write(b"250 kept\r\n")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                self.wfile.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


# --- starting it ----------------------------------------------------------------------------------------------


def _exec_start(unit: str, env: dict, **specifiers: str) -> list[str]:
    """A unit's ExecStart as systemd runs it: this checkout for /srv/filing-portal/app, %-specifiers filled in
    (%% is a %), ${VAR} from the environment file."""
    text = (UNITS / unit).read_text().replace("\\\n", " ")
    line = _substitute(re.search(r"^ExecStart=(.*)$", text, re.M).group(1), {APP: str(BASE_DIR)})
    line = re.sub(r"%(.)", lambda m: "%" if m.group(1) == "%" else specifiers[m.group(1)], line)
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
    return shlex.split(line)


def _shape_database(postgres_server) -> tuple[str, str]:
    """(server URL, database name): the tests' PostgreSQL server (tests/services.py: the run's, this machine's or a
    private one). SHAPE_DATABASE_URL names another (a machine shared by several checkouts)."""
    url = os.environ.get("SHAPE_DATABASE_URL", "")
    if not url:
        name = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") if connection.vendor == "postgresql" else ""
        url = postgres_server.postgres_url(f"{name or 'filing_portal'}_shape")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path.strip("/")


def _shape_redis(redis_server) -> tuple[str, int]:
    """The Redis database of the tests' broker + 1 (or SHAPE_REDIS_URL's): the shape's broker and cache."""
    url = os.environ.get("SHAPE_REDIS_URL", "")
    if not url:
        db = os.environ.get("REDIS_URL", "").rstrip("/").rpartition("/")[2]
        url = redis_server.redis_url((int(db or 0) + 1) % 16)
    return url, int(url.rstrip("/").rpartition("/")[2])


def _admin_sql(server: str, statement: str):
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


class Shape:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._files = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        self.logs[name] = self.tmp / f"{name}.log"
        log = open(self.logs[name], "w")  # noqa: SIM115  (closed by stop)
        self._files.append(log)
        self.processes[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self.processes[name]

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace") if name in self.logs else ""

    def all_logs(self) -> str:
        return "\n".join(f"----- {name} -----\n{self.log(name)[-6000:]}" for name in self.logs)

    def wait(self, what: str, ready, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None and name not in ("migrate", "collectstatic"):
                    pytest.fail(f"{name} exited with {process.returncode} while waiting for {what}:\n{self.all_logs()}")
            with contextlib.suppress(*NOT_YET):
                if ready():
                    return
            time.sleep(0.2)
        pytest.fail(f"{what}: not within {timeout} s\n{self.all_logs()}")

    def finished(self, name: str, timeout: float = 180):
        try:
            code = self.processes[name].wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = "no exit"
        if code != 0:
            pytest.fail(f"{name} failed ({code}):\n{self.all_logs()}")

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for log in self._files:
            log.close()

    @contextlib.contextmanager
    def explained(self):
        """A failure prints every process's log (pytest shows a failed test's output)."""
        try:
            yield
        except BaseException:
            print(self.all_logs())
            raise

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.env["DATABASE_URL"]) as connection:
            return connection.execute(sql, params).fetchall()

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


def _environment(tmp_path: Path, overrides: dict[str, str]) -> dict[str, str]:
    """deploy/portal.env.example as an operator fills it in, read as systemd reads it, then this machine's
    addresses. Each variable set here must be one the template lists (commented out or not)."""
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_TEMPLATE.read_text(), flags=re.M))
    assert set(overrides) <= listed, sorted(set(overrides) - listed)
    env = {}
    for line in _filled_template(tmp_path).read_text().splitlines():
        if line and not line.startswith("#"):
            key, _eq, value = line.partition("=")
            env[key] = value
    assert env["DJANGO_ENV"] == "production"
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8", **env, **overrides}


@pytest.fixture(scope="module")
def shape(tmp_path_factory, postgres_server, redis_server):
    import boto3

    tmp_path = tmp_path_factory.mktemp("shape")
    shape = Shape(tmp_path)
    server = Nginx(tmp_path, static_root=tmp_path / "var" / "static")
    shape.origin = f"https://127.0.0.1:{server.https_port}"
    shape.cert = server.cert
    pg_server, pg_name = _shape_database(postgres_server)
    broker, broker_db = _shape_redis(redis_server)
    moto_port = _free_port()
    smtp = _SmtpSink()
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    shape.mail = smtp.messages
    shape.env = _environment(tmp_path, {
        "ALLOWED_HOSTS": "127.0.0.1", "CSRF_TRUSTED_ORIGINS": shape.origin, "PORTAL_BASE_URL": shape.origin,
        "DATABASE_URL": f"{pg_server}/{pg_name}", "REDIS_URL": broker, "CACHE_REDIS_DB": str(broker_db),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.server_address[1]}",
        # S3 storage: nginx cannot read the bucket, Django streams every file.
        "DOCUMENT_ACCEL_REDIRECT": "", "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}", "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path", "AWS_ACCESS_KEY_ID": "shape", "AWS_SECRET_ACCESS_KEY": "shape-secret",
        "WEB_CONCURRENCY": "2", "WORKER_CONCURRENCY": "2",
        # Small chunks, so that the rule change is several tasks, not one.
        "POLICY_IMPACT_CHUNK_SIZE": "5", "POLICY_IMPACT_QUEUE": "policy-impact",
    })  # fmt: skip
    shape.s3 = boto3.client("s3", endpoint_url=shape.env["AWS_S3_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id="shape", aws_secret_access_key="shape-secret")  # fmt: skip
    import redis

    redis.Redis.from_url(broker).delete(*QUEUES)  # messages of an interrupted run, for rows long gone
    _admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    _admin_sql(pg_server, f'CREATE DATABASE "{pg_name}"')
    try:
        # The deploy steps, side by side; the pages need the static manifest, the first request the tables.
        # collectstatic leaves out the front-end packages' builds no page loads (echarts' other bundles):
        # a quarter of the time.
        skipped = ["echarts.common*", "echarts.esm*", "echarts.simple*", "echarts.js*", "extension", "i18n", "*.mjs"]
        shape.start("migrate", [sys.executable, "manage.py", "migrate", "--no-input", "-v1"], shape.env)
        shape.start("collectstatic", [sys.executable, "manage.py", "collectstatic", "--no-input", "-v1",
                                      *(f"--ignore={p}" for p in skipped)], shape.env)  # fmt: skip
        shape.start("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], shape.env)
        shape.wait("moto", lambda: shape.s3.list_buckets() is not None, timeout=60)
        shape.s3.create_bucket(Bucket=BUCKET)  # the operator makes the bucket, private
        shape.finished("migrate")
        shape.start("gunicorn", _gunicorn_command(server.socket), shape.env)
        shape.start("nginx", server.command(), shape.env)
        for queue in QUEUES:
            shape.start(f"worker@{queue}", _exec_start("filing-portal-worker@.service", shape.env, i=queue), shape.env)
        shape.start("beat", _exec_start("filing-portal-beat.service", shape.env), shape.env)
        shape.finished("collectstatic")
        session = requests.Session()
        shape.wait("nginx and gunicorn", lambda: session.get(f"{shape.origin}/healthz", verify=server.cert,
                                                                timeout=10).status_code == 200)  # fmt: skip
        for queue in QUEUES:
            # The node name the unit gives it: the queue @ the host name.
            ready = f"{queue}@{socket.gethostname()} ready."
            shape.wait(f"worker@{queue}", lambda q=queue, line=ready: line in shape.log(f"worker@{q}"))
        shape.wait("beat", lambda: "beat: Starting..." in shape.log("beat"))
        yield shape
    finally:
        shape.stop()
        smtp.shutdown()
        smtp.server_close()
        with contextlib.suppress(psycopg.Error):
            _admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


# --- a person at a browser -------------------------------------------------------------------------------------


class Browser(requests.Session):
    """Cookies, the CSRF token and the Origin header, over HTTPS, as a browser sends them."""

    def __init__(self, shape: Shape):
        super().__init__()
        self.shape = shape
        self.trust_env = False  # no proxy, and no REQUESTS_CA_BUNDLE in place of the test's certificate
        self.verify = str(shape.cert)
        self.headers.update({"Origin": shape.origin, "Accept-Language": "zh-hans"})

    def page(self, path: str) -> str:
        response = self.get(self.shape.origin + path, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:3000])
        return response.text

    def submit(self, path: str, data=None, files=None, expect=302) -> str:
        """POST a form; returns where it sends the browser next (or the page, if expect is 200)."""
        token = self.cookies.get("csrftoken")
        response = super().post(self.shape.origin + path, data=data or {}, files=files, allow_redirects=False,
                                headers={"X-CSRFToken": token} if token else {}, timeout=60)  # fmt: skip
        assert response.status_code == expect, (path, response.status_code, response.text[:3000])
        return response.headers.get("Location", "") if expect == 302 else response.text

    def admin_login(self, email_address: str, key: str):
        from django_otp.oath import TOTP

        self.page(reverse("admin:login"))
        code = f"{TOTP(bytes.fromhex(key)).token():06d}"
        self.submit(reverse("admin:login"), {"username": email_address, "password": PASSWORD, "otp_token": code})


def _kwargs(location: str) -> dict:
    return resolve(urlsplit(location).path).kwargs


def _decide(browser: Browser, kind: str, pk: int):
    """Claim, read the item's page (its checklist, the moment it was seen) and approve it."""
    browser.submit(reverse("review-claim", args=[kind, pk]))
    page = browser.page(reverse("review-item", args=[kind, pk]))
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', page).group(1))
    ticked = [html.unescape(code) for code in re.findall(r'name="ticked" value="([^"]+)"', page)]
    browser.submit(reverse("review-decide", args=[kind, pk]), {"decision": "approve", "seen": seen, "ticked": ticked})


STAFF_SCRIPT = """
import json
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts import roles
from accounts.models import User
from tests.test_announcements_workers import build

roles.ensure_staff_groups()
keys = {}
for email, group in %(staff)r.items():
    user = User.objects.create_user(email, %(password)r, is_staff=True, full_name=group)
    user.groups.add(Group.objects.get(name=group))
    keys[email] = TOTPDevice.objects.create(user=user, name="phone", confirmed=True).key
build(30)  # other organizations' signatures and templates, for the rule change to fan out
print(json.dumps(keys))
"""


def test_the_whole_flow_through_the_production_shape(shape):
    with shape.explained():
        _flow(shape)


def _flow(shape: Shape):
    customer = Browser(shape)

    # 1. Sign-up.
    customer.page(reverse("accounts:signup"))
    owner = "boss@shape.cn"
    where = customer.submit(reverse("accounts:signup"), {"email": owner, "full_name": "王五", "organization_name":
                          "甲科技有限公司", "password1": PASSWORD, "password2": PASSWORD})  # fmt: skip
    org = _kwargs(where)["org_id"]

    # 2. The entity, consent, two ID images and the licence.
    customer.page(reverse("org:entity-create", args=[org]))
    entity = _kwargs(customer.submit(reverse("org:entity-create", args=[org]), entity_data()))["entity_id"]
    customer.page(reverse("org:entity-consent", args=[org, entity]))
    customer.submit(reverse("org:entity-consent", args=[org, entity]), {"agree": "on"})
    customer.page(reverse("org:entity-detail", args=[org, entity]))
    upload = reverse("org:document-upload", args=[org, entity])
    id_front = files.jpeg()
    for kind, name, data, content_type in (
        ("legal_rep_id_front", "id-front.jpg", id_front, "image/jpeg"),
        ("legal_rep_id_back", "id-back.jpg", files.jpeg(), "image/jpeg"),
        ("entity_certificate", "licence.pdf", files.pdf(), "application/pdf"),
    ):
        customer.submit(upload, {"kind": kind}, files={"file": (name, data, content_type)})  # fmt: skip
    documents = {kind: (pk, name, original) for pk, kind, name, original in shape.query(
        "SELECT id, kind, file, original FROM qualifications_document WHERE entity_id = %s", entity)}  # fmt: skip
    assert set(documents) == {"legal_rep_id_front", "legal_rep_id_back", "entity_certificate"}

    # Stored in the bucket, privately; the unwatermarked ID original as ciphertext there.
    stored = {item["Key"] for item in shape.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    for _pk, name, original in documents.values():
        assert name in stored and (not original or original in stored), (name, original, stored)
    front_pk, front_name, front_original = documents["legal_rep_id_front"]
    assert front_original
    ciphertext = shape.s3.get_object(Bucket=BUCKET, Key=front_original)["Body"].read()
    assert ciphertext[:4] == b"FPE1" and b"\xff\xd8\xff" not in ciphertext[:64] and id_front not in ciphertext
    grants = shape.s3.get_object_acl(Bucket=BUCKET, Key=front_original)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"] and "URI" not in grants[0]["Grantee"]  # private
    # The door streams the stored copy from the bucket (nginx cannot read it): the watermarked JPEG.
    door = customer.get(shape.origin + reverse("document-file", args=[front_pk, "file"]), timeout=60)
    assert door.status_code == 200 and "X-Accel-Redirect" not in door.headers
    assert door.content == shape.s3.get_object(Bucket=BUCKET, Key=front_name)["Body"].read()
    assert door.content[:2] == b"\xff\xd8"

    # 3. The package and a signature, sent for review.
    customer.submit(reverse("org:entity-package-submit", args=[org, entity]))
    customer.page(reverse("org:signature-create", args=[org]))
    where = customer.submit(reverse("org:signature-create", args=[org]),
                          {"entity": str(entity), "source": "full_name", "text": "甲科技有限公司"})  # fmt: skip
    signature = _kwargs(where)["signature_id"]

    # 4. The staff, made by an operator; the reviewer logs in with the code of their authenticator.
    output = shape.manage("shell", "-c", STAFF_SCRIPT % {"staff": STAFF, "password": PASSWORD})
    keys = json.loads(output.strip().splitlines()[-1])
    reviewer = Browser(shape)
    reviewer.admin_login("reviewer@platform.cn", keys["reviewer@platform.cn"])
    ((package,),) = shape.query("SELECT id FROM qualifications_packagereview WHERE entity_id = %s", entity)
    _decide(reviewer, "entity", package)
    _decide(reviewer, "signature", signature)
    assert shape.query("SELECT status FROM signatures_signature WHERE id = %s", signature) == [("approved",)]
    # The reviewer reads the ID original: decrypted by Django from the ciphertext in the bucket.
    original = reviewer.get(shape.origin + reverse("document-file", args=[front_pk, "original"]), timeout=60)
    assert original.status_code == 200 and original.content[:2] == b"\xff\xd8" and original.content != ciphertext

    # 5. Filings: one per carrier, each sent in a batch of its carrier by the filing clerk.
    filings = dict(shape.query("SELECT carrier, status FROM filings_filing WHERE signature_id = %s", signature))
    assert filings == dict.fromkeys(carriers.CODES, "pending")
    clerk = Browser(shape)
    clerk.admin_login("clerk@platform.cn", keys["clerk@platform.cn"])
    for carrier in carriers.CODES:
        clerk.page(reverse("carrier-batches"))
        batch = _kwargs(clerk.submit(reverse("carrier-batch-open"), {"carrier": carrier}))["pk"]
        clerk.page(reverse("carrier-batch-submit", args=[batch]))
        clerk.submit(reverse("carrier-batch-submit", args=[batch]))
    filings = dict(shape.query("SELECT carrier, status FROM filings_filing WHERE signature_id = %s", signature))
    assert filings == dict.fromkeys(carriers.CODES, "submitted")

    # 6. A rule change, published by a policy admin, fanned out over the workers.
    admin = Browser(shape)
    admin.admin_login("policy@platform.cn", keys["policy@platform.cn"])
    ((policy,),) = shape.query("SELECT id FROM policies_policy WHERE key = %s", RULE)
    admin.page(reverse("admin:announcements_announcement_add"))
    title = {
        "title_zh": "应用名称不再作为签名来源",
        "title_en": "App names no longer count",
        "body_zh": "",
        "body_en": "",
    }
    admin.submit(reverse("admin:announcements_announcement_add"), {"policy": policy, **title})
    ((announcement,),) = shape.query("SELECT id FROM announcements_announcement")
    admin.submit(reverse("admin:announcements_announcement_publish", args=[announcement]))
    shape.wait(
        "the rule change's run",
        lambda: (
            shape.query("SELECT status FROM announcements_announcement WHERE id = %s", announcement) == [("published",)]
        ),
        timeout=180,
    )

    chunks = shape.query("SELECT worker, status FROM announcements_impactchunk")
    assert len(chunks) > 2 and {status for _w, status in chunks} == {"done"}
    # The chunks ran in the policy-impact worker's processes ("host:pid" of its pool's children), nowhere else.
    impact = shape.processes["worker@policy-impact"].pid
    children = {str(pid) for pid in _children(impact)}
    assert {worker.rsplit(":", 1)[1] for worker, _s in chunks} <= children, (chunks, children)
    done = "Task announcements.tasks.process_chunk["
    assert shape.log("worker@policy-impact").count(done) >= len(chunks) and done not in shape.log("worker@celery")
    # Each organization has the rule change's notice; the customer's notices (their signature's approval among
    # them) are e-mailed by the celery worker (the notices' queue) through the SMTP server.
    assert shape.query("SELECT count(*) FROM notices_notice WHERE key = %s", f"policy:{RULE}") == [(31,)]
    subjects = {subject for row in shape.query("SELECT subject_zh, subject_en FROM notices_notice WHERE "
                                               "organization_id = %s", org) for subject in row}  # fmt: skip
    shape.wait("the customer's e-mail", lambda: shape.query("SELECT 1 FROM notices_delivery WHERE recipient = %s "
                                                            "AND status = 'sent'", owner))  # fmt: skip
    mailed = {str(m["Subject"]).strip() for m in shape.mail if owner in str(m["To"])}
    deliveries = shape.query("SELECT channel, recipient, status, last_error FROM notices_delivery")
    assert mailed and mailed <= subjects, (mailed, subjects, deliveries, [(m["To"], m["Subject"]) for m in shape.mail])
    sent = "Task notices.tasks.deliver["
    assert sent in shape.log("worker@celery") and sent not in shape.log("worker@policy-impact")
    # The celery worker made the ID image's thumbnail, in the bucket too.
    shape.wait(
        "the thumbnail",
        lambda: shape.query(
            "SELECT thumbnail FROM qualifications_document WHERE id = %s AND thumbnail <> ''", front_pk
        ),
    )
    ((thumbnail,),) = shape.query("SELECT thumbnail FROM qualifications_document WHERE id = %s", front_pk)
    assert shape.s3.get_object(Bucket=BUCKET, Key=thumbnail)["Body"].read()[:2] == b"\xff\xd8"
    assert ID_A not in shape.log("gunicorn")  # no full ID number in the access log
    # One beat, sending to the workers: its log names the schedule it keeps.
    assert shape.processes["beat"].poll() is None and "beat: Starting..." in shape.log("beat")


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            if re.search(rf"^PPid:\s+{pid}$", status.read_text(), re.M):
                found.add(int(status.parent.name))
    return found
