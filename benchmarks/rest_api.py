"""Benchmark: the REST API (issue 13). Two measures, on PostgreSQL:

1. Queries. Every list endpoint is read for an organization with 5 rows of everything and for one with 500: the
   number of queries must be the same, and at most 10 (the requests run in this process through the whole
   middleware and DRF stack, with an API key).
2. Throughput. `POST /api/v1/signatures/precheck/` under gunicorn (2 workers, loopback, wrk 16 connections) as a
   ratio to a bare DRF view (the same key authentication, nothing else) measured in turns in the same run, with
   the server's CPU per request as a second ratio that a busy machine does not move. Target: at least 0.3x.

Run: `.venv/bin/python benchmarks/rest_api.py` (or `make bench`). It creates its own database (`bench_pages` on
postgres://postgres@127.0.0.1:5432, dropped at the end), and shares the gunicorn and wrk runner of
benchmarks/pages.py. Options: `--seconds N` a run (default 2), `--rounds N` (default 3).
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile

import pages
from pages import PYTHON, ROOT, django_env, fetch_once, in_turns, psql, start_gunicorn, wrk

PRECHECK_TARGET, MAX_QUERIES = 0.3, 10
LISTS = ("entities/", "entities/{entity}/documents/", "signatures/", "signatures/?status=approved", "templates/",
         "notices/", "webhooks/", "webhooks/{endpoint}/deliveries/", "sending-stats/", "policies/")  # fmt: skip


# --- run inside Django (a subprocess with the benchmark's settings) --------------------------------------------


def seed_organization(n: int, tag: str) -> dict:
    """An organization with `n` of everything the API lists, written through the models in bulk."""
    import datetime as dt
    import itertools

    from django.utils import timezone

    from accounts import services as account_services
    from accounts.models import Membership
    from api import services as api_services
    from compliance import transitions as states
    from compliance.carriers import CODES
    from filings.models import Filing
    from notices.models import Delivery, Notice, WebhookAttempt, WebhookEndpoint
    from qualifications.models import Document, Entity, Trademark
    from sending.models import SendingStat
    from signatures.models import Signature, SignatureEvent
    from templates_app.models import SmsTemplate, TemplateEvent

    result = account_services.signup_create(email=f"bench-{tag}@example.cn", password="Bench-Api-2026!",
                                            full_name="压测", organization_name=f"压测{tag}科技有限公司")  # fmt: skip
    user, org = result.user, result.organization
    serial = itertools.count(int(tag) * 10_000 + 1)
    entities = Entity.objects.bulk_create(
        Entity(organization=org, name=f"福州第{tag}{i}号云通信科技有限公司", uscc=f"91350100{next(serial):010d}",
               legal_rep_name="张三", legal_rep_id_number="11010519491231002X", created_by=user, is_own=i == 0)
        for i in range(n)
    )  # fmt: skip
    entity = entities[0]
    # Evidence files (a trademark certificate each): an entity has one current document a kind, evidence many.
    trademarks = Trademark.objects.bulk_create(
        Trademark(entity=entity, name=f"云通{i}", registration_number=f"{40_000_000 + i}", owner_name=entity.name)
        for i in range(n)
    )
    Document.objects.bulk_create(
        Document(entity=entity, kind=Document.Kind.TRADEMARK_CERTIFICATE, trademark=t, content_type="image/png",
                 sha256="0" * 64, uploaded_by=user)
        for t in trademarks
    )  # fmt: skip
    cycle = itertools.cycle([states.APPROVED, states.DRAFT, states.IN_REVIEW, states.APPROVED, states.WITHDRAWN])
    signatures = Signature.objects.bulk_create(
        Signature(organization=org, entity=entities[i % len(entities)], source=Signature.Source.ABBREVIATION,
                  text=f"云通{tag}信{i}", status=next(cycle), created_by=user)
        for i in range(n)
    )  # fmt: skip
    templates = SmsTemplate.objects.bulk_create(
        SmsTemplate(organization=org, signature=s, kind=SmsTemplate.Kind.NOTIFICATION, name=f"发货通知{i}",
                    text="您的订单${order}已发货，预计${day}送达。", status=s.status, created_by=user)
        for i, s in enumerate(signatures)
    )  # fmt: skip
    now = timezone.now()
    SignatureEvent.objects.bulk_create(SignatureEvent(signature=s, actor=user, from_status="", to_status=states.DRAFT,
                                                      at=now) for s in signatures)  # fmt: skip
    TemplateEvent.objects.bulk_create(TemplateEvent(template=t, actor=user, from_status="", to_status=states.DRAFT,
                                                    at=now) for t in templates)  # fmt: skip
    Filing.objects.bulk_create(
        Filing(organization=org, carrier=c, status="filed", due_from=dt.date(2026, 12, 3), due_by=dt.date(2026, 12, 7),
               **{field: a})
        for field, rows in (("signature", signatures), ("template", templates))
        for a in rows if a.status == states.APPROVED
        for c in CODES
    )  # fmt: skip
    Notice.objects.bulk_create(
        Notice(organization=org, kind=Notice.Kind.STATUS, key=f"bench-{i}", subject_zh="签名已通过",
               subject_en="Signature approved", event_type="signature.approved",
               items=[{"label": "【云通】", "label_en": "【云通】", "url": "/", "codes": ["X"]}])
        for i in range(n)
    )  # fmt: skip
    endpoints = WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(organization=org, url=f"https://hooks{i}.example.cn/in") for i in range(n)
    )
    notice = Notice.objects.filter(organization=org).first()
    deliveries = Delivery.objects.bulk_create(
        Delivery(notice=notice, channel=Delivery.Channel.WEBHOOK, recipient=f"{endpoints[0].pk}-{i}",
                 endpoint=endpoints[0], status=Delivery.Status.SENT, attempts=1)
        for i in range(n)
    )  # fmt: skip
    WebhookAttempt.objects.bulk_create(WebhookAttempt(delivery=d, status_code=200, duration_ms=12) for d in deliveries)
    SendingStat.objects.bulk_create(
        SendingStat(organization=org, signature=signatures[i % len(signatures)], carrier=CODES[i % 3],
                    day=dt.date(2026, 11, 1) + dt.timedelta(days=i // 3), sent=100, delivered=98, failed=2)
        for i in range(n)
    )  # fmt: skip
    membership = Membership.objects.get(user=user, organization=org)
    secret = api_services.key_create(membership=membership, name="bench", scope="write").secret
    return {"secret": secret, "entity": str(entity.pk), "endpoint": endpoints[0].pk}


def measure_queries() -> dict:
    """Seed both organizations, count each list's queries for each; return the counts and the load's inputs."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    small, large = seed_organization(5, "1"), seed_organization(500, "2")
    counts = {}
    for path in LISTS:
        row = []
        for org in (small, large):
            client = Client(SERVER_NAME="127.0.0.1", headers={"Authorization": f"Bearer {org['secret']}"})
            url = "/api/v1/" + path.format(**org)
            client.get(url)  # the first request of a process warms caches (the policy timeline, compiled SQL)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            row.append(len(queries))
        counts[path] = row
    body = {"entity": large["entity"], "source": "abbreviation", "text": "云通信"}
    # ASCII JSON (its own \u escapes for the Chinese): wrk's Lua strings know no \u escape of their own.
    return {"counts": counts, "secret": large["secret"], "precheck": json.dumps(body)}


# --- the runner -------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for tool in ("wrk", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: `make bench` installs it (scripts/system-deps.sh bench).")
    var_dir = tempfile.mkdtemp(prefix="bench-api-")
    # The rate limits off: the load comes from one key and one address, far above any limit (the throttles' cost,
    # a cache read and write a request, is then left out on both sides).
    env = django_env(ROOT, "60", var_dir) | {"API_RATE_PER_KEY": "", "API_RATE_PER_ADDRESS": ""}
    psql(f"DROP DATABASE IF EXISTS {pages.DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {pages.DATABASE}")
    server = None
    try:
        subprocess.run([PYTHON, ROOT / "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        measured = subprocess.run(
            [PYTHON, "-c", "import json, rest_api; print(json.dumps(rest_api.measure_queries()))"], env=env,
            cwd=ROOT, check=False, capture_output=True, text=True,
        )  # fmt: skip
        if measured.returncode:
            raise SystemExit(f"seeding or counting failed:\n{measured.stdout[-3000:]}{measured.stderr[-5000:]}")
        data = json.loads(measured.stdout.strip().splitlines()[-1])
        server = start_gunicorn(env, ROOT)
        headers = {"Authorization": f"Bearer {data['secret']}", "Content-Type": "application/json"}
        bare = ("POST", "/bench/bare-api/", "{}")
        precheck = ("POST", "/api/v1/signatures/precheck/", data["precheck"])
        master = server.pid
        for method, path, body in (bare, precheck):
            status = fetch_once(method, path, body, headers)
            if status != 200:
                raise SystemExit(f"{method} {path} answered {status}, not 200")
            wrk(method, path, body, headers, 1, master)  # warm both workers up
        turns = in_turns("precheck", precheck, bare, headers, args.seconds, args.rounds, master)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {pages.DATABASE} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)

    print("1. Queries per list request (PostgreSQL, an API key, the whole stack): 5 rows vs 500 rows")
    print(f"{'list':40} {'5 rows':>7} {'500 rows':>9}  target: equal, <= {MAX_QUERIES}")
    for path, (few, many) in data["counts"].items():
        verdict = "OK" if few == many <= MAX_QUERIES else "MISSED"
        print(f"{'/api/v1/' + path:40} {few:7} {many:9}  {verdict}")
    print()
    print(f"2. POST /api/v1/signatures/precheck/ under gunicorn (2 workers, PostgreSQL), wrk 16 connections, "
          f"{args.seconds} s a run, {args.rounds} rounds")  # fmt: skip
    bare_rate = statistics.median(run.rate for run in turns.bare_runs)
    print(f"bare DRF view (key authentication only): median {bare_rate:.0f} req/s")
    ratio, cpu_ratio, page = turns.ratio, turns.cpu_ratio, turns.runs[-1]
    print(f"precheck: {page.rate:.0f} req/s, {page.cpu_ms:.2f} ms server CPU a request; ratio {ratio:.2f}, "
          f"cpu ratio {cpu_ratio:.2f}; target >= {PRECHECK_TARGET}: "
          f"{'OK' if max(ratio, cpu_ratio) >= PRECHECK_TARGET else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
