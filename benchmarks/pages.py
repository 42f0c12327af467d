"""Benchmark: the customer's pages and both live checks under gunicorn on PostgreSQL, each as a
ratio to an authenticated bare view (session and user loaded, nothing else) in the same run.

Run: `.venv/bin/python benchmarks/pages.py` (or `make bench`). It creates its own database
(`bench_pages` on postgres://postgres@127.0.0.1:5432, dropped at the end), migrates it, seeds one
customer through the models and services (100 entities, 300 signatures, 300 templates), starts
gunicorn with 2 workers on loopback, and loads every page with wrk (16 connections, 2 threads). The
bare view and each page are measured in turns; a page's ratio is to the bare runs around it. The
server's CPU per request (gunicorn and PostgreSQL, from /proc) gives a second ratio that a busy
machine does not move.
Targets (issue 9): every page at least 0.3x the bare view, the live checks at least 0.5x.

Options: `--conn-max-age 0` measures with one database connection per request (the old default);
`--seconds N` a run (default 2) and `--rounds N` (default 3); `--code DIR` runs another checkout of
the portal (e.g. an older commit, exported with `git archive`) with this benchmark; `--pages NAME ...`
measures only the pages whose names contain one of these (`--pages "entity page" "signature form"`).
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DATABASE = "bench_pages"
SERVER = "postgres://postgres@127.0.0.1:5432"
PORT = 8771
PAGE_TARGET, CHECK_TARGET = 0.3, 0.5


# --- run inside Django (a subprocess with the benchmark's settings) --------------------------------


def seed(signatures: int = 300) -> dict:
    """One customer as a busy enterprise has it, written through the services and models: 100 entities, and
    `signatures` signatures with a template each (benchmarks/load.py asks for 50)."""
    import datetime as dt
    import itertools

    import django

    django.setup()
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts import services as account_services
    from compliance import transitions as states
    from compliance.carriers import CODES as CARRIER_CODES
    from qualifications.models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark
    from signatures.models import Signature, SignatureEvent
    from templates_app.models import SmsTemplate, TemplateEvent, TestSend

    result = account_services.signup_create(
        email="bench@example.cn", password="Bench-Pages-2026!", full_name="压测", organization_name="压测科技有限公司"
    )
    user, org = result.user, result.organization
    serial = itertools.count(1)
    entities = Entity.objects.bulk_create(
        Entity(
            organization=org,
            name=f"福州第{i}号云通信科技有限公司",
            uscc=f"91350100{next(serial):010d}",
            legal_rep_name="张三",
            legal_rep_id_number="11010519491231002X",
            created_by=user,
            is_own=i == 0,
        )
        for i in range(100)
    )  # fmt: skip  (the first is the organization itself, the others its partners)
    Document.objects.bulk_create(
        Document(entity=e, kind=kind, content_type="image/png", sha256="0" * 64, uploaded_by=user)
        for e in entities
        for kind in (Document.Kind.ENTITY_CERTIFICATE, Document.Kind.LEGAL_REP_ID_FRONT)
    )
    entity = entities[0]
    Trademark.objects.bulk_create(
        Trademark(entity=entity, name=f"云通{i}", registration_number=f"{40_000_000 + i}", owner_name=entity.name)
        for i in range(10)
    )
    IcpApp.objects.bulk_create(
        IcpApp(entity=entity, name=f"云通{i}", icp_number="闽ICP备12345678号-1A", filing_subject=entity.name)
        for i in range(10)
    )
    OwnedAddress.objects.bulk_create(OwnedAddress(entity=entity, value=f"s{i}.example.cn") for i in range(10))
    PartnerAuthorization.objects.bulk_create(
        PartnerAuthorization(entity=entity, partner=partner, signatures="云通", valid_from=dt.date(2026, 1, 1),
                             valid_until=dt.date(2027, 1, 1))
        for partner in entities[1:11]
    )  # fmt: skip
    cycle = itertools.cycle([states.APPROVED, states.DRAFT, states.IN_REVIEW, states.APPROVED, states.WITHDRAWN])
    signatures = Signature.objects.bulk_create(
        Signature(organization=org, entity=entities[i % 100], source=Signature.Source.ABBREVIATION,
                  text=f"云通信{i}", status=next(cycle), created_by=user)
        for i in range(signatures)
    )  # fmt: skip
    templates = SmsTemplate.objects.bulk_create(
        SmsTemplate(organization=org, signature=s, kind=SmsTemplate.Kind.NOTIFICATION, name=f"发货通知{i}",
                    text="您的订单${order}已发货，预计${day}送达，详询0591-87654321。", status=s.status,
                    created_by=user)
        for i, s in enumerate(signatures)
    )  # fmt: skip
    now = timezone.now()
    SignatureEvent.objects.bulk_create(
        SignatureEvent(signature=s, actor=user, from_status=a, to_status=b, at=now)
        for s in signatures
        for a, b in (("", states.DRAFT), (states.DRAFT, states.SUBMITTED))
    )
    TemplateEvent.objects.bulk_create(
        TemplateEvent(template=t, actor=user, from_status=a, to_status=b, at=now)
        for t in templates
        for a, b in (("", states.DRAFT), (states.DRAFT, states.SUBMITTED))
    )
    live = next(t for t in templates if t.status == states.APPROVED)
    TestSend.objects.bulk_create(TestSend(template=live, carrier=c, delivered=True) for c in CARRIER_CODES)
    # The approved ones filed at each carrier, in mixed states (the lists' marks, the pages' cards and
    # timelines), with a move each; none in a checkout from before filings (--code).
    try:
        from filings.models import Filing, FilingEvent
    except ImportError:
        Filing = None

    mixed = itertools.cycle(["filed", "submitted", "pending", "failed", "filed"])
    filings = [] if Filing is None else Filing.objects.bulk_create(
        Filing(organization=org, carrier=c, status=next(mixed), due_from=dt.date(2026, 12, 3),
               due_by=dt.date(2026, 12, 7), **{field: a})
        for field, rows in (("signature", signatures), ("template", templates))
        for a in rows if a.status == states.APPROVED
        for c in CARRIER_CODES
    )  # fmt: skip
    if filings:
        FilingEvent.objects.bulk_create(
            FilingEvent(filing=f, from_status="pending", to_status=f.status, at=now, actor_role="filing_clerk")
            for f in filings if f.status != states.PENDING
        )  # fmt: skip
    draft_signature = next(s for s in signatures if s.status == states.DRAFT)
    draft_template = next(t for t in templates if t.status == states.DRAFT)
    held = next(s for s in signatures if s.status == states.APPROVED)

    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()

    def url(name, *args):
        return reverse(f"org:{name}", args=[org.pk, *args])

    get, post = "GET", "POST"
    pages = {
        "dashboard": (get, url("dashboard"), ""),
        "members": (get, url("members"), ""),
        "entity list": (get, url("entity-list"), ""),
        "entity page": (get, url("entity-detail", entity.pk), ""),
        "entity form (new)": (get, url("entity-create"), ""),
        "entity form (edit)": (get, url("entity-edit", entity.pk), ""),
        "signature list": (get, url("signature-list"), ""),
        "signature list, filtered": (get, url("signature-list") + "?status=active&page=2", ""),
        "signature form (new)": (get, url("signature-create"), ""),
        "signature form (edit)": (get, url("signature-edit", draft_signature.pk), ""),
        "signature page": (get, url("signature-detail", held.pk), ""),
        "template list": (get, url("template-list"), ""),
        "template form (new)": (get, url("template-create"), ""),
        "template form (edit)": (get, url("template-edit", draft_template.pk), ""),
        "template page": (get, url("template-detail", live.pk), ""),
    }
    typed = urlencode({"entity": entity.pk, "source": "abbreviation", "text": "云通信"})
    text = "您的订单${order}已发货，详询0591-87654321。"
    template = urlencode({"signature": held.pk, "kind": "notification", "text": text})
    checks = {
        "signature live check": (get, url("signature-check") + "?" + typed, ""),
        "template live check": (post, url("template-check"), template),
    }
    return {"session": client.cookies["sessionid"].value, "csrf": csrf, "pages": pages, "checks": checks}


# --- the runner ---------------------------------------------------------------------------------


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)  # fmt: skip


def django_env(code: Path, conn_max_age: str, var_dir: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV", "DEBUG")},
        "DJANGO_SETTINGS_MODULE": "pages_settings",
        "PYTHONPATH": f"{HERE}{os.pathsep}{code}",
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "CONN_MAX_AGE": conn_max_age,
        "VAR_DIR": var_dir,
    }


def fetch_once(method: str, path: str, body: str, headers: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request(method, path, body=body.encode() or None, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


TICK = os.sysconf("SC_CLK_TCK")


def server_cpu(master: int) -> float:
    """CPU seconds the server side has used so far: gunicorn (master and workers) and PostgreSQL
    (the backends serving this database, and through the postmaster's reaped children those that
    ended: with CONN_MAX_AGE=0 a backend lives for one request)."""
    procs = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm, rest = (entry / "stat").read_text().rsplit(")", 1)
            title = (entry / "cmdline").read_bytes() if comm.endswith("(postgres") else b""
        except OSError:
            continue
        fields = rest.split()
        procs[int(entry.name)] = (comm.split("(", 1)[1], title, int(fields[1]), *map(int, fields[11:15]))
    total = 0
    for pid, (comm, title, ppid, utime, stime, cutime, cstime) in procs.items():
        postgres = comm.startswith("postgres")
        parent_postgres = ppid in procs and procs[ppid][0].startswith("postgres")
        if pid == master or (postgres and not parent_postgres):  # gunicorn's master, the postmaster
            total += utime + stime + cutime + cstime
        elif ppid == master or (postgres and f" {DATABASE} ".encode() in title):  # the workers, our backends
            total += utime + stime
    return total / TICK


def settle(master: int, timeout: float = 60) -> None:
    """Wait until gunicorn's workers are idle. wrk stops with its 16 requests still queued at the server: for a
    page that takes 300 ms of CPU, seconds of work that would otherwise fall on the next run (the bare view's)."""
    children = Path(f"/proc/{master}/task/{master}/children")

    def workers_cpu() -> int:
        total = 0
        for pid in children.read_text().split():
            with contextlib.suppress(OSError):
                total += sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]))
        return total

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = workers_cpu()
        time.sleep(0.2)
        if workers_cpu() - before <= 0.02 * TICK:  # under a tenth of a core: no request in progress
            return


class Run(NamedTuple):
    """One wrk run: requests a second, server CPU milliseconds a request, and the 99th percentile latency."""

    rate: float
    cpu_ms: float
    p99_ms: float


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(method: str, path: str, body: str, headers: dict, seconds: int, master: int) -> Run:
    """`seconds` of load at 16 connections, with wrk's latency distribution (`--latency`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f"wrk.method = {json.dumps(method)}\nwrk.body = {json.dumps(body)}\n")
        for name, value in headers.items():
            script.write(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n")
    try:
        before = server_cpu(master)
        out = subprocess.run(
            ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{PORT}{path}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        cpu = server_cpu(master) - before
        settle(master)
    finally:
        os.unlink(script.name)
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise SystemExit(f"{path}: errors under load:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p99, unit = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE).groups()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Run(rate, cpu * 1000 / max(requests, 1), float(p99) * UNITS_MS[unit])


class Turns(NamedTuple):
    """A target measured in turns with a baseline: the median ratios of the rounds, the target's runs, the
    baseline's runs."""

    ratio: float
    cpu_ratio: float
    runs: list
    bare_runs: list


def in_turns(name: str, target: tuple, bare: tuple, headers: dict, seconds: int, rounds: int, master: int,
             bare_headers: dict | None = None) -> Turns:  # fmt: skip
    """Baseline and target in turns, `rounds` times each: every ratio compares runs seconds apart, so a
    neighbour's load on the machine weighs on both sides alike; the median of the rounds. A round in which the
    baseline stalled (fewer than 10 requests: the machine was too busy) measures nothing and is left out; a slow
    target is a measure, not a stall."""
    bare_headers = headers if bare_headers is None else bare_headers
    rates, costs, runs, bare_runs = [], [], [], []
    last = wrk(*bare, bare_headers, seconds, master)
    bare_runs.append(last)
    for _ in range(rounds):
        page = wrk(*target, headers, seconds, master)
        after = wrk(*bare, bare_headers, seconds, master)
        if min(last.rate, after.rate) * seconds >= 10 and page.cpu_ms > 0:
            rates.append(page.rate / ((last.rate + after.rate) / 2))
            costs.append(((last.cpu_ms + after.cpu_ms) / 2) / page.cpu_ms)
        runs.append(page)
        bare_runs.append(after)
        last = after
    if not rates:
        measured = ", ".join(f"{run.rate:.1f}" for run in runs)
        raise SystemExit(f"{name}: every round stalled ({measured} req/s); the machine is too busy to measure")
    return Turns(statistics.median(rates), statistics.median(costs), runs, bare_runs)


def start_gunicorn(env: dict, code: Path) -> subprocess.Popen:
    """gunicorn with 2 workers on loopback (PORT), once /healthz answers; the caller stops it (killpg)."""
    server = subprocess.Popen(
        [GUNICORN, "filing_portal.wsgi:application", "--workers", "2", "--bind", f"127.0.0.1:{PORT}",
         "--chdir", str(code), "--log-level", "warning"],
        env=env, cwd=code, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if fetch_once("GET", "/healthz", "", {}) == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            os.killpg(server.pid, signal.SIGTERM)
            raise SystemExit("gunicorn did not start")
        time.sleep(0.3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conn-max-age", default=os.environ.get("CONN_MAX_AGE", "60"))
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="the portal checkout to run (default: this one)")
    parser.add_argument("--pages", nargs="+", metavar="NAME", help="only the pages whose names contain one of these")
    args = parser.parse_args()
    for tool in ("wrk", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: `make bench` installs it (scripts/system-deps.sh bench).")

    code = args.code.resolve()
    var_dir = tempfile.mkdtemp(prefix="bench-pages-")
    env = django_env(code, args.conn_max_age, var_dir)
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    server = None
    try:
        subprocess.run([PYTHON, code / "manage.py", "migrate", "-v0"], env=env, cwd=code, check=True)
        seeded = subprocess.run(
            [PYTHON, "-c", "import json, pages; print(json.dumps(pages.seed()))"], env=env, cwd=code, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        server = start_gunicorn(env, code)

        headers = {"Cookie": f"sessionid={data['session']}; csrftoken={data['csrf']}", "X-CSRFToken": data["csrf"],
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        bare = ("GET", "/bench/bare/", "")
        targets = [(name, PAGE_TARGET, *spec) for name, spec in data["pages"].items()]
        targets += [(name, CHECK_TARGET, *spec) for name, spec in data["checks"].items()]
        if args.pages:
            targets = [t for t in targets if any(word in t[0] for word in args.pages)]
            if not targets:
                raise SystemExit(f"no page is named like {args.pages}")
        master = server.pid
        for method, path, body in [bare] + [t[2:] for t in targets]:
            status = fetch_once(method, path, body, headers)
            if status != 200:
                raise SystemExit(f"{method} {path} answered {status}, not 200")
            wrk(method, path, body, headers, 1, master)  # warm both workers up
        results, bare_rates = [], []
        for name, target, method, path, body in targets:
            turns = in_turns(name, (method, path, body), bare, headers, args.seconds, args.rounds, master)
            page = turns.runs[-1]
            results.append((name, target, page.rate, page.cpu_ms, turns.ratio, turns.cpu_ratio))
            bare_rates += [run.rate for run in turns.bare_runs]
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)

    print(f"gunicorn 2 workers, PostgreSQL, CONN_MAX_AGE={args.conn_max_age}, wrk 16 connections, "
          f"{args.seconds} s a run, {args.rounds} rounds; code: {code}")  # fmt: skip
    print(f"authenticated bare view: median {statistics.median(bare_rates):.0f} req/s "
          f"(min {min(bare_rates):.0f}, max {max(bare_rates):.0f} over {len(bare_rates)} runs)")  # fmt: skip
    print("ratio = the page's req/s over the bare view's in the runs around it (median of the rounds);")
    print("cpu ratio = the bare view's server CPU per request over the page's (gunicorn + PostgreSQL):")
    print("the same ratio as on an idle machine, unmoved by a neighbour's load.")
    print(f"{'page':28} {'req/s':>7} {'cpu ms/req':>10} {'ratio':>6} {'cpu ratio':>9}  target")
    for name, target, rate, cost, ratio, cpu_ratio in results:
        verdict = "OK" if max(ratio, cpu_ratio) >= target else "MISSED"
        print(f"{name:28} {rate:7.0f} {cost:10.2f} {ratio:6.2f} {cpu_ratio:9.2f}  >= {target}: {verdict}")


if __name__ == "__main__":
    main()
