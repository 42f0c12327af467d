"""deploy/: every file is checked by its own tool or run here (issue 14, "ship nothing that no test runs").

- the nginx site: `nginx -t` inside a minimal nginx.conf, then run (as this user, on free high ports, under a
  temporary prefix) in front of a real gunicorn started from the web unit's own ExecStart, and a document fetched
  through it: the X-Accel-Redirect hand-over sends the stored bytes with Django's headers, the `internal` location
  is a 404 from outside, plain HTTP goes to HTTPS, an oversized body is refused by nginx;
- the systemd units: `systemd-analyze verify`, which loads unit files offline and needs no systemd as PID 1 (only
  the binaries ExecStart names must exist: paths are moved to this checkout in a temporary copy);
- the environment template: every setting the portal reads is in it, and loaded (secrets filled in) it passes
  `manage.py check --deploy --fail-level WARNING` with DJANGO_ENV=production.
nginx is installed by `make test` (scripts/system-deps.sh nginx); systemd-analyze comes with Debian's systemd.
"""

import base64
import datetime
import http.client
import os
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import InMemoryStorage
from django.urls import reverse

from qualifications import services
from qualifications.models import Document, DocumentAccess

from . import files
from .conftest import _database_url, otp_login, wait_for
from .test_qualifications import consented, entity_a, upload  # noqa: F401  (fixtures)

BASE_DIR = Path(settings.BASE_DIR)
DEPLOY = BASE_DIR / "deploy"
SITE = DEPLOY / "nginx" / "filing-portal.conf"
UNITS = DEPLOY / "systemd"
ENV_TEMPLATE = DEPLOY / "portal.env.example"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
# The production paths the deploy files name, and what stands for them here.
APP, VAR, RUN = "/srv/filing-portal/app", "/srv/filing-portal/var", "/run/filing-portal"


def _substitute(text: str, replacements: dict[str, str]) -> str:
    """Replace each production path or name; each must be there (a renamed one would go untested)."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the deploy file: update tests/test_deploy.py"
        text = text.replace(old, new)
    return text


def _tool(path: str, package: str) -> str:
    if not Path(path).exists():
        pytest.fail(f"{path} is missing: `make test` installs Debian's {package} (scripts/system-deps.sh).")
    return path


# --- the environment template -------------------------------------------------------------------------------


def _settings_read_from_environment() -> set[str]:
    source = (BASE_DIR / "filing_portal" / "settings.py").read_text()
    return set(re.findall(r"env\.(?:str|int|bool|list|db|email_url)\(\s*\"([A-Z0-9_]+)\"", source))


def test_the_env_template_lists_every_setting_the_portal_reads():
    template = ENV_TEMPLATE.read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", template, flags=re.MULTILINE))
    # Settings for the tests only, which production ignores: not the operator's business.
    read = _settings_read_from_environment() - {"N_PLUS_ONE_DETECTOR"}
    assert len(read) > 40  # the pattern still finds them
    # The units' own variables and the S3 credentials (read by boto3, not by settings.py) are in it too.
    assert read | {"WEB_CONCURRENCY", "WORKER_CONCURRENCY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= listed, (
        sorted(read - listed)
    )


def _filled_template(tmp_path) -> Path:
    """The template as an operator fills it: a secret key, a document key, and (here) a VAR_DIR of the test's."""
    key = base64.b64encode(os.urandom(32)).decode()
    filled = _substitute(
        ENV_TEMPLATE.read_text(),
        {
            "\nSECRET_KEY=\n": f"\nSECRET_KEY={secrets.token_urlsafe(64)}\n",
            "\nDOCUMENT_KEYS=\n": f"\nDOCUMENT_KEYS=k2026a:{key}\n",
            f"\nVAR_DIR={VAR}\n": f"\nVAR_DIR={tmp_path / 'var'}\n",
        },
    )
    path = tmp_path / "portal.env"
    path.write_text(filled)
    return path


def test_the_env_template_passes_check_deploy_in_production(tmp_path):
    env_file = _filled_template(tmp_path)
    # Loaded the way docs/deploy.md says to load it for manage.py: sourced by the shell, nothing else inherited.
    script = f'set -a; . "$1"; set +a; exec {shlex.quote(sys.executable)} manage.py check --deploy --fail-level WARNING'
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(env_file)],
        cwd=BASE_DIR,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_env_template_is_refused_until_its_secrets_are_filled_in(tmp_path):
    script = f'set -a; . "$1"; set +a; exec {shlex.quote(sys.executable)} manage.py check'
    unfilled = tmp_path / "portal.env"
    unfilled.write_text(ENV_TEMPLATE.read_text().replace(f"VAR_DIR={VAR}", f"VAR_DIR={tmp_path / 'var'}"))
    result = subprocess.run(
        ["bash", "-c", script, "bash", str(unfilled)], cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"},
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# --- systemd ---------------------------------------------------------------------------------------------


def _units_here(tmp_path) -> Path:
    """The units with the checkout's paths (systemd-analyze checks that ExecStart's binary exists)."""
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS.glob("*.service"):
        (folder / unit.name).write_text(_substitute(unit.read_text(), {APP: str(BASE_DIR)}))
    return folder


def _verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_tool(SYSTEMD_ANALYZE, "systemd"), "verify", "--man=no", "--generators=no", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "unit",
    ["filing-portal-web.service", "filing-portal-beat.service",
     "filing-portal-worker@celery.service", "filing-portal-worker@policy-impact.service"],
)  # fmt: skip
def test_systemd_analyze_verify_passes_each_unit(tmp_path, unit):
    result = _verify(_units_here(tmp_path) / unit)
    # A bad key or value is only a warning to systemd (exit 0): any output at all fails the test.
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), result.stderr


def test_systemd_analyze_verify_catches_a_broken_unit(tmp_path):
    """The check above can fail: a misspelt key and a missing binary are both reported."""
    folder = _units_here(tmp_path)
    broken = folder / "filing-portal-beat.service"
    broken.write_text(broken.read_text().replace("Restart=on-failure", "Restartt=on-failure"))
    assert "Restartt" in _verify(broken).stderr
    broken.write_text(broken.read_text().replace(f"{BASE_DIR}/.venv/bin/celery", "/nonexistent/celery"))
    assert _verify(broken).returncode != 0


def test_one_beat_and_a_worker_template_serving_every_queue():
    units = {path.name: path.read_text() for path in UNITS.glob("*.service")}
    beats = [name for name, text in units.items() if re.search(r"^ExecStart=.*celery .*\bbeat\b", text, re.M)]
    assert beats == ["filing-portal-beat.service"]  # one unit, not a template: exactly one beat
    worker = units["filing-portal-worker@.service"]
    assert "--queues=%i" in worker
    # The queues tasks go to: the default one and the rule-change run's, as the env template sets it.
    template_queue = re.search(r"^POLICY_IMPACT_QUEUE=(\S+)$", ENV_TEMPLATE.read_text(), re.M).group(1)
    assert template_queue != "celery"
    for queue in ("celery", template_queue):  # each named in the unit, for the operator to enable
        assert f"filing-portal-worker@{queue}" in worker


# --- nginx -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1, made here (the cryptography package, no openssl CLI)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "fullchain.pem"


class Nginx:
    """The site in a minimal nginx.conf under a temporary prefix, on free ports of 127.0.0.1."""

    def __init__(self, tmp_path: Path, *, static_root: Path):
        self.prefix = tmp_path / "nginx"
        self.prefix.mkdir()
        self.http_port, self.https_port = _free_port(), _free_port()
        self.socket = tmp_path / "gunicorn.sock"
        self.cert = _certificate(self.prefix)
        site = _substitute(
            SITE.read_text(),
            {
                "listen 80;": f"listen 127.0.0.1:{self.http_port};",
                "listen [::]:80;": "",
                "listen 443 ssl;": f"listen 127.0.0.1:{self.https_port} ssl;",
                "listen [::]:443 ssl;": "",
                "portal.example.cn": "127.0.0.1",
                "/etc/ssl/filing-portal/": f"{self.prefix}/",
                f"{RUN}/gunicorn.sock": str(self.socket),
                f"{VAR}/private/": f"{settings.PRIVATE_STORAGE_ROOT}/",
                f"{VAR}/static/": f"{static_root}/",
            },
        )
        (self.prefix / "site.conf").write_text(site)
        temp = "\n".join(f"    {kind}_temp_path {self.prefix}/{kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
        # As root (a container), workers would switch to `nobody`, who may not read the test's files.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.prefix / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.prefix}/nginx.pid;\n"
            f"error_log {self.prefix}/error.log warn;\nevents {{ worker_connections 64; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
            f"    access_log {self.prefix}/access.log;\n{temp}\n    include {self.prefix}/site.conf;\n}}\n"
        )

    def command(self, *extra) -> list[str]:
        return [_tool(NGINX, "nginx"), "-p", str(self.prefix), "-e", str(self.prefix / "error.log"),
                "-c", str(self.prefix / "nginx.conf"), *extra]  # fmt: skip


def test_nginx_accepts_the_site(tmp_path):
    result = subprocess.run(Nginx(tmp_path, static_root=tmp_path).command("-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_the_upload_cap_of_nginx_agrees_with_upload_max_bytes():
    """nginx lets through the largest upload Django accepts, with its multipart envelope, and little more."""
    size = re.search(r"^\s*client_max_body_size (\d+)m;", SITE.read_text(), re.M)
    cap = int(size.group(1)) * 1024 * 1024
    assert settings.UPLOAD_MAX_BYTES + 64 * 1024 <= cap <= settings.UPLOAD_MAX_BYTES + 2 * 1024 * 1024


def _gunicorn_command(sock: Path) -> list[str]:
    """The web unit's ExecStart, with this checkout and the test's socket."""
    unit = (UNITS / "filing-portal-web.service").read_text().replace("\\\n", " ")
    line = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    return shlex.split(_substitute(line, {APP: str(BASE_DIR), f"{RUN}/gunicorn.sock": str(sock)}))


@pytest.fixture(scope="module")
def portal_behind_nginx(tmp_path_factory, django_db_setup, django_db_blocker):
    """gunicorn (2 workers, the web unit's own command line) on the test database, nginx in front of it: once
    for the module. Tests that put rows in front of it need them committed (transactional_db)."""
    from django.db import connection

    tmp_path = tmp_path_factory.mktemp("deploy")
    static_root = tmp_path / "static"
    static_root.mkdir()
    (static_root / "portal.0123456789ab.css").write_text("body{}")
    server = Nginx(tmp_path, static_root=static_root)
    with django_db_blocker.unblock():
        database_url = _database_url(connection.settings_dict)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "2",
        "TRUSTED_PROXY_COUNT": "1",
        "DOCUMENT_ACCEL_REDIRECT": "/protected/",
        "ALLOWED_HOSTS": "127.0.0.1",
        "NOTICES_NUDGE": "false",
        "CONN_MAX_AGE": "0",  # no connection left open to hold up a flush of the test database
    }
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("gunicorn", "nginx")}  # noqa: SIM115
    processes = []
    try:
        processes.append(subprocess.Popen(_gunicorn_command(server.socket), cwd=BASE_DIR, env=env,
                                          stdout=logs["gunicorn"], stderr=subprocess.STDOUT))  # fmt: skip
        processes.append(subprocess.Popen(server.command(), stdout=logs["nginx"], stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while True:
            for process, name in zip(processes, logs, strict=True):
                if process.poll() is not None:
                    pytest.fail(f"{name} exited: {(tmp_path / f'{name}.log').read_text()}")
            try:
                if _get(server, "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer within 60 s: {(tmp_path / 'gunicorn.log').read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status, self.headers, self.body = response.status, response.headers, response.read()


def _get(server: Nginx, path: str, *, https=True, headers=None, method="GET") -> Answer:
    if https:
        context = ssl.create_default_context(cafile=str(server.cert))
        connection = http.client.HTTPSConnection("127.0.0.1", server.https_port, context=context, timeout=30)
    else:
        connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


# The headers every file response carries (tests/test_security_headers.py), whoever sends the bytes.
FILE_HEADERS = ["Content-Type", "Content-Disposition", "X-Content-Type-Options", "Cache-Control",
                "Content-Security-Policy", "Cross-Origin-Resource-Policy", "X-Frame-Options", "Referrer-Policy",
                "Cross-Origin-Opener-Policy"]  # fmt: skip


def test_nginx_hands_over_document_files_after_the_permission_check(
    portal_behind_nginx,
    transactional_db,
    client,
    settings,
    org_a,
    owner_a,
    owner_b,
    reviewer,
    consented,  # noqa: F811
):
    server = portal_behind_nginx
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "legal_rep_id_front", files.jpeg()).status_code == 302
    document = Document.objects.get()
    # Made here, or by the session's worker when an earlier test started one on this broker: either way, made.
    services.thumbnail_make(document_id=document.pk)
    ready = Document.ThumbnailState.READY
    assert wait_for(lambda: Document.objects.filter(pk=document.pk, thumbnail_state=ready).exists(), timeout=30)
    document.refresh_from_db()
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    # The same door without nginx (DOCUMENT_ACCEL_REDIRECT off here): the headers to expect.
    settings.DOCUMENT_ACCEL_REDIRECT = ""

    for variant, field in (("file", document.file), ("thumbnail", document.thumbnail)):
        url = reverse("document-file", args=[document.pk, variant])
        streamed = client.get(url)
        assert streamed.status_code == 200
        with field.open("rb") as handle:
            stored = handle.read()
        # A forged X-Forwarded-For is replaced by nginx: the access log names the address nginx saw.
        answer = _get(server, url, headers={**cookie, "X-Forwarded-For": "198.51.100.66"})
        assert answer.status == 200, answer.body[:500]
        assert answer.body == stored == b"".join(streamed.streaming_content)  # the watermarked copy, as stored
        assert {h: answer.headers[h] for h in FILE_HEADERS} == {h: streamed[h] for h in FILE_HEADERS}
        assert "X-Accel-Redirect" not in answer.headers
        # nginx sent it, not gunicorn: its static handler answers ranges, which Django's file response does not.
        assert answer.headers["Accept-Ranges"] == "bytes" and "Accept-Ranges" not in streamed
        part = _get(server, url, headers={**cookie, "Range": "bytes=0-99"})
        assert (part.status, part.body) == (206, stored[:100])
        access = DocumentAccess.objects.filter(variant=variant).order_by("-pk").first()
        assert (access.user, access.ip_address) == (owner_a, "127.0.0.1")
        # The internal location cannot be asked for directly, logged in or not.
        direct = _get(server, f"/protected/{field.name}", headers=cookie)
        assert (direct.status, stored[:8] in direct.body) == (404, False)

    # The encrypted original is decrypted and streamed by Django, never handed to nginx (it would send ciphertext);
    # to a verified reviewer only.
    url = reverse("document-file", args=[document.pk, "original"])
    assert _get(server, url, headers=cookie).status == 404
    assert otp_login(client, reviewer).status_code == 302
    answer = _get(server, url, headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"})
    assert answer.status == 200
    assert answer.body == services.document_original_bytes(document=document)
    assert answer.body[:2] == b"\xff\xd8" and answer.headers["X-Content-Type-Options"] == "nosniff"
    with document.original.open("rb") as handle:
        assert _get(server, f"/protected/{document.original.name}", headers=cookie).status == 404
        assert handle.read(4) == b"FPE1"

    # Another organization's member, and nobody: Django's 404, no file.
    client.force_login(owner_b)
    other = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    for headers in (other, {}):
        answer = _get(server, reverse("document-file", args=[document.pk, "file"]), headers=headers)
        assert answer.status == 404 and b"\xff\xd8" not in answer.body
    # Each served file once through the test client, twice through nginx, the original once; no refusal logged.
    assert DocumentAccess.objects.count() == 7


def test_nginx_redirects_http_caps_bodies_and_serves_static_files(portal_behind_nginx, db):
    server = portal_behind_nginx
    moved = _get(server, "/accounts/login/?next=/x", https=False)
    assert (moved.status, moved.headers["Location"]) == (301, "https://127.0.0.1/accounts/login/?next=/x")
    assert _get(server, "/healthz", https=False).status == 200  # load balancers probe it over HTTP
    # A body over the cap is refused from its Content-Length, before anything reaches gunicorn.
    too_big = {"Content-Length": str(12 * 1024 * 1024), "Content-Type": "multipart/form-data; boundary=x"}
    assert _get(server, "/accounts/login/", method="POST", headers=too_big).status == 413
    static = _get(server, "/static/portal.0123456789ab.css")
    assert (static.status, static.body) == (200, b"body{}")
    assert static.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    page = _get(server, "/accounts/login/")
    assert page.status == 200 and page.headers["X-Frame-Options"] == "DENY"


# --- the document door's hand-over, in Django ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_door_hands_stored_files_to_nginx_and_streams_the_encrypted_original(
    client,
    settings,
    org_a,
    owner_a,
    reviewer,
    consented,  # noqa: F811
):
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "legal_rep_id_front", files.jpeg()).status_code == 302
    document = Document.objects.get()
    assert services.thumbnail_make(document_id=document.pk)
    document.refresh_from_db()
    url = reverse("document-file", args=[document.pk, "file"])
    streamed = client.get(url)
    settings.DOCUMENT_ACCEL_REDIRECT = "/protected/"
    handed = client.get(url)
    assert handed["X-Accel-Redirect"] == f"/protected/{document.file.name}"
    assert handed.content == b""
    assert {h: handed[h] for h in FILE_HEADERS} == {h: streamed[h] for h in FILE_HEADERS}
    thumbnail = client.get(reverse("document-file", args=[document.pk, "thumbnail"]))
    assert thumbnail["X-Accel-Redirect"] == f"/protected/{document.thumbnail.name}"
    assert DocumentAccess.objects.filter(user=owner_a).count() == 3  # logged before the hand-over
    # The original is stored encrypted: decrypted and streamed here, whatever the setting says.
    assert otp_login(client, reviewer).status_code == 302
    original = client.get(reverse("document-file", args=[document.pk, "original"]))
    assert "X-Accel-Redirect" not in original
    assert (
        original.content == services.document_original_bytes(document=document) and original.content[:2] == b"\xff\xd8"
    )
    # Not one's own document: 404, no hand-over.
    client.force_login(owner_a)
    assert client.get(reverse("document-file", args=[document.pk, "original"])).status_code == 404


@pytest.mark.django_db
def test_the_door_streams_what_is_not_on_the_local_filesystem(client, settings, org_a, owner_a, consented):  # noqa: F811
    """Storage nginx cannot read (S3; here Django's in-memory storage, also not a filesystem): Django streams."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.DOCUMENT_ACCEL_REDIRECT = "/protected/"
    client.force_login(owner_a)
    assert upload(client, org_a, consented, "entity_certificate", files.jpeg()).status_code == 302
    document = Document.objects.get()
    assert isinstance(document.file.storage, InMemoryStorage)
    assert not (Path(settings.PRIVATE_STORAGE_ROOT) / document.file.name).exists()
    with document.file.open("rb") as handle:
        stored = handle.read()
    response = client.get(reverse("document-file", args=[document.pk, "file"]))
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == stored and stored[:2] == b"\xff\xd8"


def test_a_prefix_that_is_not_a_path_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DOCUMENT_ACCEL_REDIRECT": "protected"},
    )  # fmt: skip
    assert result.returncode != 0 and "DOCUMENT_ACCEL_REDIRECT must be a URI prefix" in result.stderr
