"""manage.py policy_impact KEY [--dry-run] [--here]: what the policy change KEY would break, or its publishing.

With --dry-run it re-checks every live signature and template in this process (the same chunks the workers
take) and prints how many signatures, templates and organizations the change affects, with a sample;
nothing is sent. Without it, it publishes the change's announcement (written from the change's summary
when there is none yet): the workers re-check and the notices go out; --here does the work in this
process instead and prints the same counts.
"""

from django.core.management.base import BaseCommand, CommandError

from announcements import selectors, services
from announcements.models import Announcement, ImpactRun
from policies.models import Policy


class Command(BaseCommand):
    help = "Count what the policy change KEY breaks (--dry-run), or publish its announcement."

    def add_arguments(self, parser):
        parser.add_argument("key", help="the policy change's key, e.g. 2026-05-01-no-app-names")
        parser.add_argument("--dry-run", action="store_true", help="count and show a sample; send nothing")
        parser.add_argument("--here", action="store_true", help="publish in this process instead of the workers")

    def handle(self, *args, key, dry_run=False, here=False, **options):
        policy = Policy.objects.filter(key=key).first()
        if policy is None:
            raise CommandError(f"No policy change with the key {key!r}.")
        announcement = Announcement.objects.filter(policy=policy).first()
        if announcement is None:
            announcement = services.announcement_save(announcement=Announcement(policy=policy), actor=None)
        carriers = ", ".join(sorted(policy.carriers))
        self.stdout.write(f"Policy change {policy.key}: {policy.effective:%Y-%m-%d} · notice {policy.notice} · "
                          f"{carriers}")  # fmt: skip
        if not dry_run and announcement.status != Announcement.Status.DRAFT:
            raise CommandError(f"The announcement of {key} is {announcement.status} already.")
        inline = dry_run or here
        try:
            run = services.run_start(announcement=announcement, actor=None, dry_run=dry_run, enqueue=not inline)
        except Exception as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        if not inline:
            self.stdout.write(f"Publishing: run {run.pk}, {run.chunks_total} chunks of {run.items_planned} live items "
                              "sent to the workers; follow it on the announcement's admin page.")  # fmt: skip
            return
        run = services.run_inline(run)
        self._report(run)

    def _report(self, run: ImpactRun):
        progress = selectors.progress(run)
        found = selectors.findings(run)
        what = "Dry run (nothing sent)" if run.dry_run else "Published"
        self.stdout.write(f"{what}: {progress.checked} live items checked in {progress.chunks_done} chunks.")
        self.stdout.write(f"Affected: {found.signatures} signatures, {found.templates} templates, "
                          f"{found.organizations} organizations.")  # fmt: skip
        for item in found.sample:
            self.stdout.write(f"  {item.kind} {item.object_id} · {item.label_en} · {item.organization.name} · "
                              f"{', '.join(item.codes)}")  # fmt: skip
        if progress.chunks_failed or run.status != ImpactRun.Status.DONE:
            raise CommandError(f"The run stopped: {progress.chunks_failed} chunks failed (state {run.status}).")
