"""Create (or refresh) the demo organization and one user per role. Safe to run again."""

import base64

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import Membership, Organization, User
from policies.timeline import ensure_builtin_rows

DEMO_PASSWORD = "Demo-Pass-2026"
DEMO_ORG = "示例科技有限公司 (Demo)"
DEMO_DOMAIN = "example.com"
DEMO_APP = "示例出行"  # an ICP-filed app of the demo entity, its legacy signature
CUSTOMER = ("customer@demo.example", "演示客户 Demo Customer")
MEMBER = ("member@demo.example", "演示成员 Demo Member")
STAFF = [
    ("reviewer@demo.example", "审核员 Demo Reviewer", roles.REVIEWER),
    ("reviewer2@demo.example", "复核员 Demo Second Reviewer", roles.REVIEWER),
    ("manager@demo.example", "客户经理 Demo Account Manager", roles.ACCOUNT_MANAGER),
    ("policy@demo.example", "政策管理员 Demo Policy Admin", roles.POLICY_ADMIN),
    ("clerk@demo.example", "报备专员 Demo Filing Clerk", roles.FILING_CLERK),
]


class Command(BaseCommand):
    help = "Create the demo organization, a customer, a member and one staff user per role; print their logins."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with DJANGO_ENV=production.")
        roles.ensure_staff_groups()
        ensure_builtin_rows()  # the built-in policy changes, which the demo's announcement is written for
        with transaction.atomic():
            org, _ = Organization.objects.get_or_create(name=DEMO_ORG)
            rows = []
            for email, name, role in [(*CUSTOMER, Membership.Role.OWNER), (*MEMBER, Membership.Role.MEMBER)]:
                user = self._user(email, name, staff=False)
                Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
                rows.append((email, f"customer ({role})", ""))
            for email, name, group in STAFF:
                user = self._user(email, name, staff=True)
                user.groups.set([Group.objects.get(name=group)])
                device = self._totp(user)
                if group == roles.ACCOUNT_MANAGER and org.account_manager_id != user.pk:
                    org.account_manager = user
                    org.save(update_fields=["account_manager"])
                rows.append((email, f"staff: {group}", base64.b32encode(device.bin_key).decode()))

            entity = self._entity(org, rows)
            self._ready_for_templates(entity, org)
            self._filed_in_part(entity)
            self._app_name_signature(entity, org)
            waiting = self._queue_work(entity, org)

        self.stdout.write(self.style.SUCCESS(f"Demo organization: {org.name}"))
        self.stdout.write(
            f"Demo entity: {entity.name} (USCC {entity.uscc}); its licence and ID images are generated demo pictures"
        )
        self.stdout.write(
            f"Demo signature: 【{entity.name}】, approved; filed at China Mobile and China Unicom, waiting to be sent "
            f"to China Telecom (the clerk's batch, /admin/filings/batches/); owned domain {DEMO_DOMAIN}: templates "
            "can be written at once"
        )
        self.stdout.write(
            f"Demo app-name signature: 【{DEMO_APP}】, approved and filed at every carrier in March 2026, before app "
            "names stopped counting on 2026-05-01: what the built-in rule 2026-05-01-no-app-names breaks (publish "
            "its announcement at /admin/announcements/)"
        )
        self.stdout.write("In the review queue (/admin/review/): " + "; ".join(waiting))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for email, role, secret in rows:
            line = f"  {email:<28} {role}"
            if secret:
                line += f"   TOTP key {secret}"
            self.stdout.write(line)
        self.stdout.write(
            "Staff enter the admin with a 6-digit code: add the TOTP key to an authenticator app, "
            "or print the current code with `.venv/bin/python manage.py otp_code EMAIL`."
        )

    def _entity(self, org, rows):
        from qualifications.models import Entity

        # A made-up USCC and ID number with correct check characters (GB 32100-2015, GB 11643-1999).
        entity, _ = Entity.objects.get_or_create(
            uscc="91110108MA01DEM0AW",
            defaults={
                "organization": org,
                "name": "示例科技有限公司",
                "legal_rep_name": "王演示",
                "legal_rep_id_number": "110105198001010016",
                "is_own": True,  # the demo organization itself
            },
        )
        self._documents(entity, org)
        return entity

    def _documents(self, entity, org):
        """Generated licence and ID images, through the real upload path (watermark, encryption),
        so that a newcomer can apply for a signature for the demo entity at once."""
        from qualifications import services as qualification_services

        owner = _owner(org)
        if qualification_services.consent_active(entity=entity) is None:
            qualification_services.consent_grant(entity=entity, user=owner)
        present = {item.kind for item in qualification_services.entity_checklist(entity=entity) if item.satisfied}
        labels = {
            "entity_certificate": "营业执照（演示）\n示例科技有限公司\n91110108MA01DEM0AW",
            "legal_rep_id_front": "居民身份证（演示）\n王演示\n110105198001010016",
            "legal_rep_id_back": "居民身份证 国徽面（演示）\n有效期限 2020.01.01-2040.01.01",
        }
        for kind, label in labels.items():
            if kind in present:
                continue
            qualification_services.document_upload(entity=entity, user=owner, kind=kind, upload=_demo_image(label))

    def _ready_for_templates(self, entity, org):
        """A filed signature and an owned domain, so a newcomer can write a template (with a link) at
        once. The signature goes through the real services: submitted, then moved by the reviewer."""
        from compliance import transitions as states
        from qualifications import services as qualification_services
        from qualifications.models import OwnedAddress
        from review import services as review_services
        from review.kinds import manual_codes
        from signatures import services as signature_services

        owner = _owner(org)
        if not entity.addresses.filter(value=DEMO_DOMAIN).exists():
            qualification_services.evidence_create(
                entity=entity,
                user=owner,
                model=OwnedAddress,
                upload=_demo_image("ICP 备案（演示）\n" + DEMO_DOMAIN),
                data={"kind": OwnedAddress.Kind.DOMAIN, "value": DEMO_DOMAIN, "icp_number": "京ICP备00000000号-1"},
            )
        if entity.signatures.filter(text=entity.name).exists():
            return
        draft = signature_services.Draft(entity=entity, source="full_name", text=entity.name)
        signature = signature_services.signature_submit(organization=org, user=owner, draft=draft,
                                                        acknowledge_warnings=True)  # fmt: skip
        reviewer = User.objects.get(email=STAFF[0][0])
        review_services.claim(signature, reviewer=reviewer)
        review_services.decide(
            signature, reviewer=reviewer, decision=states.APPROVE, ticked=manual_codes(signature)
        )  # every item looked at

    def _filed_in_part(self, entity):
        """The demo signature filed at Mobile and Unicom by the clerk's batches (the real services),
        Telecom left for a newcomer to send: each carrier's state shows at once."""
        import datetime as dt

        from django.utils import timezone

        from compliance import transitions as states
        from filings import services as filings

        signature = entity.signatures.get(text=entity.name)
        clerk = User.objects.get(email=STAFF[-1][0])
        now = timezone.now()
        # Sent a week ago, filed after three and four days: the desk's lead-time chart has something to show.
        for carrier, took in (("mobile", 3), ("unicom", 4)):
            filing = signature.filings.filter(carrier=carrier).first()
            if filing is None or filing.status != states.PENDING or filing.batch_id:
                continue
            batch = filings.open_batch(carrier=carrier, actor=clerk)
            filings.submit_batch(batch, actor=clerk, now=now - dt.timedelta(days=7))
            for sent in batch.filings.all():
                filings.record_outcome(sent, filings.Outcome(sent.pk, states.FILED), actor=clerk,
                                       now=now - dt.timedelta(days=7 - took))  # fmt: skip

    def _app_name_signature(self, entity, org):
        """An app-name signature approved and filed in March 2026, when ICP-filed app names still counted as a
        source: the 2026-05-01 rule (notice 2026.4.23) breaks it, and a policy admin can publish that rule's
        announcement against it. Today's rules refuse the source, so it cannot go through the services now:
        it is written as their rows, with the history they wrote then (marked read, so that no notice of
        March goes out today). Its app is registered through the service."""
        import datetime as dt
        from dataclasses import asdict

        from django.utils import timezone

        from compliance import transitions as states
        from filings.models import Filing, FilingEvent
        from qualifications import services as qualification_services
        from qualifications.models import IcpApp
        from signatures import services as signature_services
        from signatures.models import Signature, SignatureEvent

        if entity.signatures.filter(text=DEMO_APP).exists():
            return
        app = IcpApp.objects.filter(entity=entity, name=DEMO_APP).first()
        if app is None:
            app = qualification_services.evidence_create(
                entity=entity, user=_owner(org), model=IcpApp, upload=_demo_image(f"ICP 备案（演示）\n{DEMO_APP}"),
                data={"name": DEMO_APP, "icp_number": "京ICP备00000000号-3A", "filing_subject": entity.name},
            )  # fmt: skip
        submitted = dt.datetime(2026, 3, 16, 10, 0, tzinfo=timezone.get_current_timezone())
        draft = signature_services.Draft(entity=entity, source="app_name", text=DEMO_APP, app=app)
        checked = signature_services.precheck(draft, as_of=submitted.date())  # the rules of that day: it passed
        owner, reviewer = _owner(org), User.objects.get(email=STAFF[0][0])
        clerk = User.objects.get(email=STAFF[-1][0])
        now = timezone.now()
        signature = Signature.objects.create(
            organization=org, entity=entity, source="app_name", app=app, text=DEMO_APP, status=states.APPROVED,
            created_by=owner, created_at=submitted, submitted_at=submitted, updated_at=submitted + dt.timedelta(days=1),
            precheck=[asdict(v) for v in checked.violations], policy_notices=list(checked.policy_notices),
            policy_keys=list(checked.change_keys),
        )  # fmt: skip
        history = [("create", "", states.DRAFT, owner, "customer", 0), ("submit", states.DRAFT, states.SUBMITTED, owner,
                   "customer", 0), ("claim", states.SUBMITTED, states.IN_REVIEW, reviewer, "reviewer", 20),
                   ("approve", states.IN_REVIEW, states.APPROVED, reviewer, "reviewer", 24)]  # fmt: skip
        SignatureEvent.objects.bulk_create(
            SignatureEvent(signature=signature, action=action, from_status=source, to_status=target, actor=actor,
                           actor_role=role, at=submitted + dt.timedelta(hours=hours), processed_at=now)
            for action, source, target, actor, role, hours in history
        )  # fmt: skip
        for n, carrier in enumerate(("mobile", "unicom", "telecom")):
            sent, filed = submitted + dt.timedelta(days=2), submitted + dt.timedelta(days=6 + n)
            filing = Filing.objects.create(organization=org, signature=signature, carrier=carrier,
                                           status=states.FILED, submitted_at=sent, filed_at=filed,
                                           created_at=submitted + dt.timedelta(days=1), updated_at=filed)  # fmt: skip
            FilingEvent.objects.bulk_create(
                FilingEvent(filing=filing, action=action, from_status=source, to_status=target, actor=actor,
                            actor_role=role, at=at, processed_at=now)
                for action, source, target, actor, role, at in (
                    ("create", "", states.PENDING, reviewer, "reviewer", submitted + dt.timedelta(days=1)),
                    ("send", states.PENDING, states.SUBMITTED, clerk, "filing_clerk", sent),
                    ("record_filed", states.SUBMITTED, states.FILED, clerk, "filing_clerk", filed),
                )
            )  # fmt: skip

    def _queue_work(self, entity, org) -> list[str]:
        """Work for a new reviewer, through the customer's services: the demo entity's package, an
        abbreviation, a template, and a partner's signature that needs two reviewers."""
        import datetime as dt

        from django.utils import timezone

        from qualifications import services as qualification_services
        from qualifications.models import Entity, PackageReview, PartnerAuthorization
        from signatures import services as signature_services
        from templates_app import services as template_services

        owner = _owner(org)
        if not PackageReview.objects.filter(entity=entity).exists():
            qualification_services.package_submit(entity=entity, user=owner)
        if not entity.signatures.filter(text="示例").exists():
            draft = signature_services.Draft(entity=entity, source="abbreviation", text="示例")
            signature_services.signature_submit(organization=org, user=owner, draft=draft, acknowledge_warnings=True)
        live = entity.signatures.get(text=entity.name)
        if not live.sms_templates.filter(name="订单发货通知").exists():
            template_services.template_submit(
                organization=org, user=owner, signature=live, kind="notification", name="订单发货通知",
                text="您的订单${order}已发货，请留意查收。",
            )  # fmt: skip
        partner, _ = Entity.objects.get_or_create(
            uscc="91110108MA01PRT0AX",
            defaults={"organization": org, "name": "示例伙伴科技有限公司", "legal_rep_name": "李伙伴",
                      "legal_rep_id_number": "110105198001010016", "is_own": False},
        )  # fmt: skip
        self._documents(partner, org)
        if not PartnerAuthorization.objects.filter(entity=entity, partner=partner).exists():
            today = timezone.localdate()
            qualification_services.evidence_create(
                entity=entity, user=owner, model=PartnerAuthorization,
                upload=_demo_image("授权委托书（演示）\n示例伙伴科技有限公司 授权 示例科技有限公司\n签名：示例伙伴"),
                data={"partner": partner, "signatures": "示例伙伴", "valid_from": today,
                      "valid_until": today + dt.timedelta(days=365)},
            )  # fmt: skip
        if not entity.signatures.filter(text="示例伙伴").exists():
            letter = PartnerAuthorization.objects.get(entity=entity, partner=partner)
            draft = signature_services.Draft(
                entity=entity, source="partner", text="示例伙伴", partner_authorization=letter
            )
            signature_services.signature_submit(organization=org, user=owner, draft=draft, acknowledge_warnings=True)
        return [
            f"the package of {entity.name}",
            "the signature 【示例】",
            "the template 订单发货通知",
            "the partner signature 【示例伙伴】 (two reviewers)",
        ]

    def _user(self, email, name, *, staff):
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": name, "is_staff": staff})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    def _totp(self, user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
        return device


def _owner(org) -> User:
    return org.memberships.filter(role=Membership.Role.OWNER).select_related("user").first().user


def _demo_image(label: str):
    """A generated picture of a document, as an upload (it goes through the real upload path)."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from qualifications.uploads import cjk_font

    image = Image.new("RGB", (1200, 800), (246, 243, 232))
    ImageDraw.Draw(image).multiline_text((60, 60), label, font=cjk_font(56), fill=(40, 40, 40), spacing=30)
    out = BytesIO()
    image.save(out, "JPEG", quality=90)
    return SimpleUploadedFile("demo.jpg", out.getvalue())


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
