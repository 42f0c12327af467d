"""Benchmark: load (issue 14, section 3) on PostgreSQL under gunicorn (2 workers, loopback), in two parts.

1. wrk at 16 connections with `--latency`: the customer's dashboard of an organization with 50 signatures, the
   review queue and the account manager's desk (a staff session verified with the second factor), and the API's
   lists (signatures, templates, entities, notices, with a Bearer key). Each one's requests a second as a ratio to
   a bare view under the same server, measured in turns in the same run (benchmarks/pages.py's runner: the
   authenticated bare view for the pages, the bare DRF view with the same key authentication for the API), and its
   99th percentile latency. Targets: at least 0.25x the bare view, p99 under 50 ms.
2. A bounded locust scenario (benchmarks/locustfile.py) against the same gunicorn: 20 users for 60 s, each logs in
   and then, an organization after another, uploads three real generated documents through the upload form (two
   ID images and the licence), applies for a signature and polls its page. No request may fail (the run exits
   non-zero if one does); the 95th percentile of each step is printed.

Run: `.venv/bin/python benchmarks/load.py` (or `make bench`). It creates its own database (`bench_load` on
postgres://postgres@127.0.0.1:5432, dropped at the end). Options: `--seconds N` a wrk run (default 2), `--rounds N`
(default 3), `--users N` and `--locust-seconds N` (default 20 and 60), `--skip-locust`, `--skip-wrk`.
"""

import argparse
import csv
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pages
from pages import PYTHON, ROOT, django_env, fetch_once, in_turns, psql, start_gunicorn, wrk

HERE = Path(__file__).resolve().parent
DATABASE = "bench_load"
PORT = 8773
RATIO_TARGET, P99_TARGET_MS = 0.25, 50.0
STAFF = "staff@bench.example"
CUSTOMER_PASSWORD = "Bench-Load-2026!"
# Names of the locust scenario's entities: one character of each list a user, then one an organization, so every
# full name (and the signature in that name) is unique across the run.
USER_MARKS = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
# The scenario's steps in their order (locust's names; its CSV sorts them by name).
STEPS = ["log in (form)", "log in", "entity page", "upload legal_rep_id_front", "upload legal_rep_id_back",
         "upload entity_certificate", "signature form", "apply for a signature",
         "poll the signature's page"]  # fmt: skip
ORG_MARKS = "东南西北春夏秋冬金木水火土山川河海天地日月星辰风云雷电松竹梅兰菊桃李杏"


# --- run inside Django (a subprocess with the benchmark's settings) --------------------------------------------


def seed(users: int, users_file: str) -> dict:
    """The wrk part's world (pages.seed's customer with 50 signatures, a verified staff session, an API key) and
    the locust part's customers, written to `users_file`."""
    data = pages.seed(signatures=50)  # sets Django up
    from django.contrib.auth.models import Group
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import roles
    from accounts.models import Membership, Organization, User
    from api import services as api_services

    # The staff log-in of benchmarks/desk.py (the admin's form with the TOTP code computed from the device's key).
    # That file shares its module name with the desk app, so it is loaded here under another one.
    spec = importlib.util.spec_from_file_location("desk_benchmark", HERE / "desk.py")
    desk_benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(desk_benchmark)
    roles.ensure_staff_groups()
    staff = User.objects.create_user(email=STAFF, password=desk_benchmark.PASSWORD, is_staff=True, full_name="审核")
    staff.groups.add(*Group.objects.filter(name__in=[roles.REVIEWER, roles.ACCOUNT_MANAGER]))
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client(HTTP_HOST="127.0.0.1")
    desk_benchmark.log_in(client, STAFF)

    membership = Membership.objects.get(user__email="bench@example.cn")
    secret = api_services.key_create(membership=membership, name="bench", scope="read").secret
    customers = locust_customers(users)
    Organization.objects.update(account_manager=staff)  # the desk shows every organization's rows
    Path(users_file).write_text(json.dumps(customers))
    data.update(staff_session=client.cookies["sessionid"].value, secret=secret, org=membership.organization_id)
    return data


def locust_customers(users: int) -> list[dict]:
    """`users` customers, each a member of as many organizations as ORG_MARKS has characters, each organization with
    its own entity (consent to ID images given): the locust scenario files one organization after another."""
    import itertools

    from django.conf import settings

    from accounts.models import Membership, Organization, User
    from qualifications.models import Entity, IdImageConsent

    serial = itertools.count(1)
    customers = []
    for u in range(users):
        user = User.objects.create_user(email=f"load{u}@example.cn", password=CUSTOMER_PASSWORD, full_name="压测")
        names = [f"{USER_MARKS[u]}{mark}科技有限公司" for mark in ORG_MARKS]
        orgs = Organization.objects.bulk_create(Organization(name=name) for name in names)
        Membership.objects.bulk_create(Membership(user=user, organization=o, role=Membership.Role.OWNER) for o in orgs)
        entities = Entity.objects.bulk_create(
            Entity(organization=o, name=o.name, uscc=f"91350200{next(serial):010d}", legal_rep_name="张三",
                   legal_rep_id_number="11010519491231002X", created_by=user, is_own=True)
            for o in orgs
        )  # fmt: skip
        IdImageConsent.objects.bulk_create(
            IdImageConsent(entity=e, user=user, notice_version=settings.ID_CONSENT_NOTICE_VERSION) for e in entities
        )
        filings = [[o.pk, str(e.pk), e.name] for o, e in zip(orgs, entities, strict=True)]
        customers.append({"email": user.email, "password": CUSTOMER_PASSWORD, "filings": filings})
    return customers


# --- the runner -------------------------------------------------------------------------------------------------


def measure_wrk(data: dict, seconds: int, rounds: int, master: int) -> list[tuple]:
    customer = {"Cookie": f"sessionid={data['session']}"}
    staff = {"Cookie": f"sessionid={data['staff_session']}"}
    key = {"Authorization": f"Bearer {data['secret']}"}
    bare, bare_api = ("GET", "/bench/bare/", ""), ("GET", "/bench/bare-api/", "")
    dashboard = data["pages"]["dashboard"]
    targets = [
        ("customer dashboard (50 signatures)", dashboard, customer, bare),
        ("review queue", ("GET", "/admin/review/", ""), staff, bare),
        ("account manager's desk", ("GET", "/admin/desk/", ""), staff, bare),
        *[(f"API {path}", ("GET", f"/api/v1/{path}", ""), key, bare_api)
          for path in ("signatures/", "templates/", "entities/", "notices/")],
    ]  # fmt: skip
    for name, target, headers, baseline in targets:
        for method, path, body in (baseline, target):  # the baseline read with the target's session or key
            status = fetch_once(method, path, body, headers)
            if status != 200:
                raise SystemExit(f"{name}: {method} {path} answered {status}, not 200")
            wrk(method, path, body, headers, 1, master)  # warm both workers up
    results = []
    for name, target, headers, baseline in targets:
        turns = in_turns(name, target, baseline, headers, seconds, rounds, master)
        results.append((name, turns))
    return results


def run_locust(users: int, seconds: int, users_file: str, out_dir: str) -> tuple[list, list, int]:
    """The locust scenario, headless, against the running gunicorn: its per-step rows and its failures (locust's
    CSV files), and its exit status."""
    prefix = os.path.join(out_dir, "locust")
    command = [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
               "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
               "--host", f"http://127.0.0.1:{pages.PORT}", "--csv", prefix, "--only-summary", "--stop-timeout", "30",
               "--loglevel", "WARNING"]  # fmt: skip
    done = subprocess.run(command, env={**os.environ, "LOAD_USERS_FILE": users_file}, cwd=ROOT, check=False,
                          capture_output=True, text=True)  # fmt: skip
    try:
        with open(f"{prefix}_stats.csv", newline="") as stats:
            rows = list(csv.DictReader(stats))
        with open(f"{prefix}_failures.csv", newline="") as failures:
            failed = list(csv.DictReader(failures))
    except OSError:
        rows, failed = [], [{"Error": "locust wrote no statistics"}]
    if done.returncode or failed or any(int(r["Failure Count"]) for r in rows):
        print(done.stdout[-5000:], done.stderr[-5000:], file=sys.stderr)
        for failure in failed:
            print("FAILURE:", failure, file=sys.stderr)
    return rows, failed, done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--locust-seconds", type=int, default=60)
    parser.add_argument("--skip-locust", action="store_true")
    parser.add_argument("--skip-wrk", action="store_true")
    args = parser.parse_args()
    if args.users > len(USER_MARKS):
        raise SystemExit(f"at most {len(USER_MARKS)} users")
    for tool in ("wrk", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: `make bench` installs it (scripts/system-deps.sh bench).")
    # pages.py's runner reads its database and port from its module: this benchmark's own, so that it can run
    # beside pages.py.
    pages.DATABASE, pages.PORT = DATABASE, PORT
    work = tempfile.mkdtemp(prefix="bench-load-")
    users_file = os.path.join(work, "users.json")
    # The API's rate limits off: the load comes from one key and one address, far above any limit (as rest_api.py).
    env = django_env(ROOT, "60", work) | {"API_RATE_PER_KEY": "", "API_RATE_PER_ADDRESS": ""}
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    server, results, locust = None, [], None
    try:
        subprocess.run([PYTHON, ROOT / "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        seeded = subprocess.run(
            [PYTHON, "-c", f"import json, load; print(json.dumps(load.seed({args.users}, {users_file!r})))"],
            env=env, cwd=ROOT, check=False, capture_output=True, text=True,
        )  # fmt: skip
        if seeded.returncode:
            raise SystemExit(f"seeding failed:\n{seeded.stdout[-3000:]}{seeded.stderr[-5000:]}")
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        server = start_gunicorn(env, ROOT)
        if not args.skip_wrk:
            results = measure_wrk(data, args.seconds, args.rounds, server.pid)
        if not args.skip_locust:
            locust = run_locust(args.users, args.locust_seconds, users_file, work)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        shutil.rmtree(work, ignore_errors=True)

    if results:
        print(f"1. gunicorn 2 workers, PostgreSQL, wrk 16 connections --latency, {args.seconds} s a run, "
              f"{args.rounds} rounds in turns with the bare view (median of the rounds)")  # fmt: skip
        print(f"targets: ratio >= {RATIO_TARGET}x the bare view; p99 < {P99_TARGET_MS:.0f} ms")
        header = f"{'target':36} {'req/s':>6} {'bare':>5} {'ratio':>5} {'cpu ratio':>9} {'p99 ms':>7} {'worst':>6}"
        print(f"{header} {'bare p99':>8}  verdict")
        for name, turns in results:
            rate = statistics.median(run.rate for run in turns.runs)
            bare = statistics.median(run.rate for run in turns.bare_runs)
            p99 = statistics.median(run.p99_ms for run in turns.runs)
            worst = max(run.p99_ms for run in turns.runs)
            bare_p99 = statistics.median(run.p99_ms for run in turns.bare_runs)
            ratio_ok, p99_ok = turns.ratio >= RATIO_TARGET, p99 < P99_TARGET_MS
            verdict = f"ratio {'PASS' if ratio_ok else 'MISS'}, p99 {'PASS' if p99_ok else 'MISS'}"
            print(f"{name:36} {rate:6.0f} {bare:5.0f} {turns.ratio:5.2f} {turns.cpu_ratio:9.2f} {p99:7.1f} "
                  f"{worst:6.0f} {bare_p99:8.1f}  {verdict}")  # fmt: skip
        print("cpu ratio: the bare view's server CPU a request over the target's (gunicorn + PostgreSQL), unmoved by a")
        print("neighbour's load; p99: the median of the rounds' 99th percentiles, worst: the highest of them. Two sync")
        print("workers serve 16 connections: a request waits for the 15 before it, so the mean latency is 16 / (req/s)")
        print("(Little's law) and a p99 under 50 ms needs more than 320 req/s, the bare view's included.")
    if locust is not None:
        rows, failed, returncode = locust
        print(f"\n2. locust: {args.users} users for {args.locust_seconds} s, headless, against the same gunicorn")
        print(f"{'step':32} {'requests':>8} {'failures':>8} {'median ms':>9} {'p95 ms':>7} {'max ms':>7}")
        order = {step: i for i, step in enumerate(STEPS)}
        for row in sorted(rows, key=lambda row: order.get(row["Name"], len(order))):
            print(f"{row['Name']:32} {row['Request Count']:>8} {row['Failure Count']:>8} {row['50%']:>9} "
                  f"{row['95%']:>7} {float(row['Max Response Time']):7.0f}")  # fmt: skip
        if returncode or failed or any(int(r["Failure Count"]) for r in rows):
            raise SystemExit(f"locust: FAILED ({len(failed)} kinds of failure, exit status {returncode}; see above)")
        print("no errors: PASS")


if __name__ == "__main__":
    main()
