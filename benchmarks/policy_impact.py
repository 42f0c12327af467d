"""Benchmark: the rule-change run (issue 12, "Performance") on PostgreSQL: 200,000 live signatures and 200,000
live templates of 2,000 organizations re-checked for one change, by one worker, then by two.

Run: `.venv/bin/python benchmarks/policy_impact.py` (or `make bench`). It creates its own database
(`bench_impact` on postgres://postgres@127.0.0.1:5432, dropped at the end), migrates it, seeds the rows in
bulk, and starts real `celery worker` processes (`--pool=solo`, one process each) on Redis
(`--broker`, default redis://127.0.0.1:6379/5), listening to a queue of their own. Each round is a dry
run of the whole re-check (the chunks, their items; no notice), timed from the moment the chunks are sent
to the moment the last one is done; the planning (cutting the live ids into chunks, in this process) is
timed apart. `--publish` adds a publishing run on two workers, the notices to the 2,000 organizations
included.

The change sets a signature rule and a template rule for every carrier (signatures of 8 characters at
most, templates of one contact method at most), so every item is judged: a signature by the rules with
the change (and, where they find an error, without it), a template by Telecom's, Unicom's and Mobile's.
About one signature in nine and one template in five are affected.

Figures: seconds, items a second, the ratio of two workers' speed to one's, and each worker's peak
resident memory (VmHWM) over its memory when it started: flat, because a chunk's rows are streamed
(`.iterator()`) and only its affected items are kept. Targets: under 60 s on one worker, nearly twice as
fast on two.
"""

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DATABASE = "bench_impact"
SERVER = "postgres://postgres@127.0.0.1:5432"
QUEUE = "bench-impact"
TARGET_SECONDS = 60
KEY = "bench-2027-shorter"
# Forty everyday characters: every text below is Chinese only and its own.
ALPHABET = "安百博昌辰达东丰福光广海和弘华汇佳嘉金锦景康乐力联龙茂美明南宁鹏启瑞盛顺泰腾万鑫兴"
SHAPES = [  # (kind, text): a code, a delivery with a 400 number, a sale with a link, two contacts
    ("verification", "您的验证码为${{code}}，5分钟内有效，请勿泄露给他人。如非本人操作，请忽略本短信。{i}"),
    ("notification", "尊敬的${{name}}，您的订单${{order}}已发货，预计明天送达。详询客服400{n7}，感谢您的支持。"),
    ("marketing", "双十一大促开启！全场五折起，详见 shop{i}.example.com ，活动仅限本周，拒收请回复R"),
    ("notification", "您预约的${{service}}将于${{time}}开始。如需改约请致电0755-8{n7}或400{n7}，谢谢。"),
    ("notification", "您的包裹${{parcel}}已到达${{station}}，请凭取件码${{code}}及时领取。{i}"),
]


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{SERVER}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True)  # fmt: skip


def code(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, digit = divmod(n, len(ALPHABET))
        out.append(ALPHABET[digit])
    return "".join(out)


def seed(organizations: int, per_organization: int) -> dict:
    """Organizations, each with its own entity (owning example.com), one full-name signature and
    per_organization - 1 trademark signatures, one template each; all approved."""
    from accounts.models import Organization
    from compliance import transitions as t
    from policies.models import Policy
    from qualifications.models import Entity, OwnedAddress
    from signatures.models import Signature
    from templates_app.models import SmsTemplate

    orgs = Organization.objects.bulk_create(Organization(name=f"压测{code(i, 3)}有限公司")
                                            for i in range(organizations))  # fmt: skip
    entities = Entity.objects.bulk_create(
        Entity(organization=org, name=f"{code(i, 3)}科技有限公司", uscc=f"91350100{i:010d}", legal_rep_name="张三",
               legal_rep_id_number="11010519491231002X", is_own=True)
        for i, org in enumerate(orgs)
    )  # fmt: skip
    OwnedAddress.objects.bulk_create(OwnedAddress(entity=e, kind="domain", value="example.com") for e in entities)
    n = 0
    for org, entity in zip(orgs, entities, strict=True):
        rows = [Signature(organization=org, entity=entity, source="full_name", text=entity.name, status=t.APPROVED)]
        for _ in range(per_organization - 1):
            n += 1
            # One in ten a trademark of nine characters: within 12, beyond the change's 8.
            text = code(n, 4) + ("商标名称较长" if n % 10 == 0 else "")
            rows.append(Signature(organization=org, entity=entity, source="trademark", text=text, status=t.APPROVED))
        Signature.objects.bulk_create(rows, batch_size=5000)
    templates = []
    for i, (pk, org_id) in enumerate(Signature.objects.values_list("pk", "organization_id").iterator()):
        kind, shape = SHAPES[i % len(SHAPES)]
        body = shape.format(i=i, n7=f"{2_013_388 + i * 7_919 % 7_000_000:07d}")
        templates.append(SmsTemplate(organization_id=org_id, signature_id=pk, kind=kind, name=f"模板{i}", text=body,
                                     status=t.APPROVED))  # fmt: skip
        if len(templates) == 10_000:
            SmsTemplate.objects.bulk_create(templates)
            templates = []
    SmsTemplate.objects.bulk_create(templates)
    Policy.objects.create(key=KEY, effective=dt.date(2027, 1, 1), carriers=["mobile", "unicom", "telecom"],
                          notice="bench", summary_zh="签名最多 8 个字；模板最多 1 个联系方式",
                          summary_en="Signatures of 8 characters at most; one contact method per template",
                          params={"max_length": 8, "template_max_contacts": 1})  # fmt: skip
    return {"organizations": len(orgs), "signatures": Signature.objects.count(),
            "templates": SmsTemplate.objects.count()}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/<pid>/stat): what a busy machine does not move."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Workers:
    def __init__(self, count: int, log_dir: str):
        from filing_portal.celery import app

        self.app, self.processes = app, []
        for n in range(count):
            log = open(Path(log_dir) / f"worker-{n}.log", "a")  # noqa: SIM115  (the process holds it)
            name = f"bench{n}-{os.getpid()}@%h"
            command = [PYTHON, "-m", "celery", "-A", "filing_portal", "worker", "--pool=solo", "--loglevel=WARNING",
                       "--without-gossip", "--without-mingle", "-Q", QUEUE, "-n", name]  # fmt: skip
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=os.environ, stdout=log, stderr=log))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            names = {name for reply in app.control.ping(timeout=0.5) for name in reply}
            if sum(any(name.startswith(f"bench{n}-{os.getpid()}@") for name in names) for n in range(count)) == count:
                break
        else:
            raise RuntimeError(f"the workers did not answer; see {log_dir}")
        self.started = [memory_kib(p.pid, "VmRSS") for p in self.processes]

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def peaks(self) -> list[tuple[int, int]]:
        return [(start, memory_kib(p.pid, "VmHWM")) for start, p in zip(self.started, self.processes, strict=True)]

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


def one_round(workers: int, log_dir: str, *, dry_run: bool = True) -> dict:
    from announcements import selectors, services
    from announcements.models import Announcement, ImpactChunk, ImpactRun
    from policies.models import Policy

    pool = Workers(workers, log_dir)
    try:
        announcement = Announcement.objects.filter(policy__key=KEY).first() or services.announcement_save(
            announcement=Announcement(policy=Policy.objects.get(key=KEY)), actor=None)  # fmt: skip
        planning = time.perf_counter()
        run = services.run_start(announcement=announcement, actor=None, dry_run=dry_run, enqueue=False)
        planning = time.perf_counter() - planning
        ids = list(run.chunks.order_by("pk").values_list("pk", flat=True))
        started, cpu = time.perf_counter(), pool.cpu()
        services.send(ids, [])
        while not ImpactRun.objects.filter(pk=run.pk, status=ImpactRun.Status.DONE).exists():
            time.sleep(0.2)
            if time.perf_counter() - started > 1800:
                raise RuntimeError("the run did not finish in 30 minutes")
        seconds = time.perf_counter() - started
        cpu = pool.cpu() - cpu
        peaks = pool.peaks()
    finally:
        pool.stop()
    progress, found = selectors.progress(run), selectors.findings(run)
    chunks = ImpactChunk.objects.filter(run=run)
    per_kind = {}
    for kind in ("signature", "template"):
        rows = list(chunks.filter(kind=kind).values_list("claimed_at", "finished_at", "checked"))
        busy = sum((finished - claimed).total_seconds() for claimed, finished, _n in rows)
        per_kind[kind] = (sum(n for *_t, n in rows), busy)
    return {"workers": workers, "seconds": seconds, "cpu": cpu, "planning": planning, "checked": progress.checked,
            "chunks": progress.chunks_done, "signatures": found.signatures, "templates": found.templates,
            "organizations": found.organizations, "peaks": peaks, "per_kind": per_kind,
            "by_worker": len(set(chunks.values_list("worker", flat=True)))}  # fmt: skip


def report(result: dict) -> None:
    rate = result["checked"] / result["seconds"]
    print(f"{result['workers']} worker(s): {result['seconds']:.1f} s for {result['checked']:,} items in "
          f"{result['chunks']} chunks ({result['by_worker']} workers took chunks): {rate:,.0f} items/s; planning "
          f"{result['planning']:.1f} s")  # fmt: skip
    print(f"  workers' CPU: {result['cpu']:.1f} s, {result['checked'] / result['cpu']:,.0f} items per CPU-second; "
          f"the machine gave them {result['cpu'] / result['seconds']:.2f} cores on average")  # fmt: skip
    print(f"  affected: {result['signatures']:,} signatures, {result['templates']:,} templates, "
          f"{result['organizations']:,} organizations")  # fmt: skip
    for kind, (n, busy) in result["per_kind"].items():
        print(f"  {kind}s: {n:,} in {busy:.1f} s of chunk time ({n / busy:,.0f}/s per worker)")
    for n, (start, peak) in enumerate(result["peaks"]):
        print(
            f"  worker {n}: {start / 1024:.0f} MiB at start, peak {peak / 1024:.0f} MiB (+{(peak - start) / 1024:.0f})"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--per-organization", type=int, default=100, help="signatures (and templates) each")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--publish", action="store_true", help="then publish on two workers (2,000 notices)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]
    var_dir = tempfile.mkdtemp(prefix="bench-impact-")
    for name in ("DJANGO_ENV", "DEBUG"):
        os.environ.pop(name, None)
    os.environ.update({"DJANGO_SETTINGS_MODULE": "filing_portal.settings", "DATABASE_URL": f"{SERVER}/{DATABASE}",
                       "REDIS_URL": args.broker, "VAR_DIR": var_dir, "LOG_LEVEL": "WARNING",
                       "POLICY_IMPACT_QUEUE": QUEUE, "EMAIL_URL": "dummymail://"})  # fmt: skip
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    try:
        subprocess.run([PYTHON, ROOT / "manage.py", "migrate", "-v0"], env=os.environ, cwd=ROOT, check=True)
        import django

        django.setup()
        from django.db import connection

        from filing_portal.celery import app

        app.control.purge()
        started = time.perf_counter()
        counts = seed(args.organizations, args.per_organization)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.0f} s: {counts}")
        one, two = one_round(1, var_dir), one_round(2, var_dir)
        report(one)
        report(two)
        ratio = one["seconds"] / two["seconds"]
        verdict = "OK" if one["seconds"] < TARGET_SECONDS else "MISSED"
        print(f"one worker {one['seconds']:.1f} s ({verdict}: target < {TARGET_SECONDS} s); two workers "
              f"{ratio:.2f}x as fast as one (target: nearly 2x); CPU per item, two workers over one: "
              f"{(two['cpu'] / two['checked']) / (one['cpu'] / one['checked']):.2f}")  # fmt: skip
        if args.publish:
            result = one_round(2, var_dir, dry_run=False)
            print("publishing, notices included:")
            report(result)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
