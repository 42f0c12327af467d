"""Benchmark: the daily run (sending/activity.py) over 1,000,000 sending statistics on PostgreSQL (issue 12:
under 10 s, aggregated in SQL).

Run: `.venv/bin/python benchmarks/activity.py` (or `make bench`). It creates its own database
(`bench_activity` on postgres://postgres@127.0.0.1:5432, dropped at the end unless `--keep`), migrates it,
and seeds in bulk: 200 organizations (two account managers), an owner each, 2,000 approved signatures
filed at the three carriers 200 days ago (6,000 filings), and 167 days of statistics for each filing:
1,002,000 rows, written by one INSERT … SELECT over generate_series inside PostgreSQL. Most signatures send
every day everywhere; at Telecom, one signature in 30 went quiet 70 days ago (dormant), one in 30 has only
failed there for 155 days (at risk, and a failure spike), one in 30 fails 80 % there this week (a spike).

Timed, in-process, each the median of `--repeat` runs (default 3):
- the baseline, measured in the same run: `SELECT count(*)` over the statistics (a sequential scan);
- the aggregate alone (`sending.activity.figures`: the last delivery and the 7-day sums per signature and
  carrier, one query);
- the first run of the day: every flag raised and told (the organization's notice with its e-mail
  delivery, and the manager's), once, timed once (what it writes happens once);
- the run again the same day: nothing new (what a second beat delivery or a re-run costs).
Each is printed with its ratio to the baseline, and against the 10 s target.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DATABASE = "bench_activity"
SERVER = "postgres://postgres@127.0.0.1:5432"
TARGET_S = 10.0
DAYS = 167


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)  # fmt: skip


def seed(organizations=200, signatures=2_000) -> dict:
    import datetime as dt

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from accounts import roles
    from accounts.models import Membership, Organization, User
    from compliance import transitions as t
    from compliance.carriers import CODES
    from filings.models import Filing
    from qualifications.models import Entity
    from signatures.models import Signature

    roles.ensure_staff_groups()
    managers = []
    for email in ("big@bench.example", "small@bench.example"):
        user = User.objects.create_user(email=email, password="Bench-Activity-2026!", is_staff=True)
        user.groups.add(Group.objects.get(name=roles.ACCOUNT_MANAGER))
        managers.append(user)
    orgs = Organization.objects.bulk_create(
        Organization(name=f"压测{i:03d}科技有限公司", account_manager=managers[0] if i < 180 else managers[1])
        for i in range(organizations)
    )
    owners = User.objects.bulk_create(User(email=f"owner{i}@bench.example") for i in range(organizations))
    Membership.objects.bulk_create(
        Membership(user=u, organization=o, role="owner") for u, o in zip(owners, orgs, strict=True)
    )
    entities = Entity.objects.bulk_create(
        Entity(organization=org, name=org.name, uscc=f"91350100{i:010d}", legal_rep_name="张三", is_own=True)
        for i, org in enumerate(orgs)
    )  # fmt: skip
    per_org = signatures // organizations
    sigs = Signature.objects.bulk_create(
        (Signature(organization=orgs[i // per_org], entity=entities[i // per_org], source="abbreviation",
                   text=f"压测{i}", status=t.APPROVED) for i in range(signatures)),
        batch_size=2000,
    )  # fmt: skip
    filed = timezone.now() - dt.timedelta(days=200)
    Filing.objects.bulk_create(
        (Filing(organization_id=s.organization_id, signature=s, carrier=c, status=t.FILED, submitted_at=filed,
                filed_at=filed) for s in sigs for c in CODES),
        batch_size=5000,
    )  # fmt: skip
    today = timezone.localdate()
    # Per filing, DAYS days back from yesterday. At Telecom, the signature's id modulo 30 picks a story:
    # 0 quiet for 70 days, 1 failing everything for 155 days, 2 failing 80 % this week; the rest deliver.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO sending_sendingstat (organization_id, signature_id, carrier, day, sent, delivered, failed,
                                             failures, imported_at)
            SELECT organization_id, signature_id, carrier, %(today)s::date - d, sent, sent - failed, failed,
                   CASE WHEN failed > 0 THEN jsonb_build_object('DB:0108', failed) ELSE '{}'::jsonb END, now()
            FROM (
                SELECT f.organization_id, f.signature_id, f.carrier, g.d, s.sent,
                       CASE WHEN s.story = 1 AND g.d < 155 THEN s.sent
                            WHEN s.story = 2 AND g.d < 7 THEN s.sent * 8 / 10
                            WHEN g.d %% 5 = 0 AND s.sent > 0 THEN 1 ELSE 0 END AS failed
                FROM filings_filing f
                CROSS JOIN generate_series(1, %(days)s) AS g(d)
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN f.carrier = 'telecom' THEN f.signature_id %% 30 ELSE -1 END AS story
                ) AS p
                CROSS JOIN LATERAL (
                    SELECT p.story, CASE WHEN p.story = 0 AND g.d < 70 THEN 0 ELSE 20 + f.id %% 17 END AS sent
                ) AS s
                WHERE f.signature_id IS NOT NULL
            ) AS rows
            """,
            {"today": today, "days": DAYS},
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM sending_sendingstat")
        (rows,) = cursor.fetchone()
    return {"organizations": len(orgs), "signatures": len(sigs), "filings": len(sigs) * len(CODES), "stats": rows}


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(repeat: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from notices.models import Notice
    from sending.activity import daily_run, figures
    from sending.models import ActivityFlag

    started = time.perf_counter()
    counts = seed()
    print(f"seeded in {time.perf_counter() - started:.0f} s: {counts}")
    today = timezone.localdate()

    def count_rows():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sending_sendingstat")
            return cursor.fetchone()[0]

    baseline, rows = timed(count_rows, repeat)
    aggregate, found = timed(lambda: figures(today), repeat)
    start = time.perf_counter()
    first = daily_run(today=today)
    first_s = time.perf_counter() - start
    flags, notices = ActivityFlag.objects.count(), Notice.objects.count()
    again_s, again = timed(lambda: daily_run(today=today), repeat)
    assert ActivityFlag.objects.count() == flags and Notice.objects.count() == notices, "a re-run wrote again"

    print(f"\n{rows:,} statistics rows, {len(found):,} signature-carrier pairs, {first.watched:,} filings watched")
    written = {str(kind): n for kind, n in first.notices.items()}
    print(f"flags raised: {dict(first.raised)}; notices written: {written} ({notices:,} in all)")
    print(f"\n{'step':54} {'seconds':>8} {'× baseline':>11}  target < {TARGET_S:.0f} s")
    for name, seconds in (
        (f"baseline: SELECT count(*) over {rows:,} rows", baseline),
        ("the aggregate: last delivery and 7-day sums (1 query)", aggregate),
        ("the first run of the day (every flag raised and told)", first_s),
        ("the run again the same day (nothing new)", again_s),
    ):
        verdict = "" if name.startswith("baseline") else ("OK" if seconds < TARGET_S else "MISSED")
        print(f"{name:54} {seconds:8.2f} {seconds / baseline:10.1f}×  {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    # The checkout first on the path, not benchmarks/ (whose files are named like some apps).
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    var_dir = tempfile.mkdtemp(prefix="bench-activity-")
    for name in ("REDIS_URL", "DJANGO_ENV", "DEBUG"):
        os.environ.pop(name, None)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "filing_portal.settings", "DATABASE_URL": f"{SERVER}/{DATABASE}",
                       "VAR_DIR": var_dir, "LOG_LEVEL": "WARNING"})  # fmt: skip
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run([PYTHON, ROOT / "manage.py", "migrate", "-v0"], env=os.environ, cwd=ROOT, check=True)
        run(args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
