"""The world URL walks run in: every URL pattern of the site, the admin and the API, and the ids to fill them.

``build_world`` seeds the demo organization (seed_demo) and adds one row of everything a route can name (a draft, a
template, a test send, an invitation, a batch, an API key, a notice...); ``url_patterns`` lists every pattern from the
resolver; ``fill`` turns a pattern into a URL with the world's ids. The policy walk (tests/test_security_headers.py)
and the access walk (tests/security/) both run on it, so a new URL is walked by both as soon as it exists.
"""

import datetime as dt
import io
import re

from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.management.commands.seed_demo import CUSTOMER, DEMO_ORG
from accounts.models import Membership, Organization, User
from announcements.models import Announcement
from policies.models import Holiday, Policy
from qualifications import services as qualification_services
from qualifications.models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark
from signatures import services as signature_services
from signatures.models import Signature
from templates_app import services as template_services

from .factories import make_entity, walk


def build_world(password) -> dict:
    """A demo organization with one row of everything a URL can name, and the ids to fill routes with."""
    call_command("seed_demo", stdout=io.StringIO())
    org = Organization.objects.get(name=DEMO_ORG)
    customer = User.objects.get(email=CUSTOMER[0])
    entity = Entity.objects.get(organization=org, is_own=True)
    active = Signature.objects.get(organization=org, status="approved", source="full_name")
    draft = signature_services.signature_save_draft(
        organization=org, user=customer, draft=signature_services.Draft(entity=entity, source="abbreviation",
                                                                       text="示例科技")
    )  # fmt: skip
    template = template_services.template_submit(organization=org, user=customer, signature=active,
                                                 kind="notification", name="发货", text="您的订单已发货")  # fmt: skip
    walk(template, "approved")
    draft_template = template_services.template_save_draft(
        organization=org, user=customer, signature=active, kind="notification", name="到货", text="您的包裹已到"
    )
    template_services.record_test_send(template=template, user=customer, carrier="telecom", delivered=True,
                                       sent_on=timezone.localdate(template.created_at), failure_code="")  # fmt: skip
    invitation = account_services.invitation_create(organization=org, invited_by=customer,
                                                    email="new@demo.example", role=Membership.Role.MEMBER)  # fmt: skip
    superuser = User.objects.create_superuser(email="root@platform.cn", password=password)
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    # One row of every model the admin shows, so that each change, history and delete page is walked.
    document = Document.objects.filter(entity=entity).first()
    Trademark.objects.create(entity=entity, name="示例", registration_number="12345678", owner_name=entity.name)
    IcpApp.objects.create(entity=entity, name="示例", icp_number="京ICP备00000000号-2A", filing_subject=entity.name)
    partner = make_entity(organization=org, name="丙科技有限公司", uscc="91110000802100433B",
                                    legal_rep_name="张三", legal_rep_id_number="11010519491231002X")  # fmt: skip
    PartnerAuthorization.objects.create(entity=entity, partner=partner, signatures="丙科技",
                                        valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2027, 1, 1))  # fmt: skip
    qualification_services.document_log_access(document=document, user=customer, variant="file")
    qualification_services.id_number_reveal(entity=entity, user=superuser, person="legal_rep")
    Holiday.objects.create(day=dt.date(2026, 10, 1), name="国庆节")
    from announcements import services as announcements  # the app-name rule's, its dry run done

    announcement = announcements.announcement_save(
        announcement=Announcement(policy=Policy.objects.get(key="2026-05-01-no-app-names")), actor=superuser
    )
    announcements.run_inline(announcements.run_start(announcement=announcement, actor=superuser, dry_run=True,
                                                     enqueue=False))  # fmt: skip
    from notices import services as notice_services  # a notice in the inbox, a webhook endpoint
    from notices.models import WebhookEndpoint

    notice = notice_services.notify(organization=org, kind="status", key="walk",
                                    subject=notice_services.Text("走查", "Walk"))  # fmt: skip
    endpoint = WebhookEndpoint.objects.create(organization=org, url="https://hooks.example.com/in")
    from api import services as api_services  # an API key

    api_key = api_services.key_create(membership=Membership.objects.get(user=customer, organization=org),
                                      name="ERP", scope="read").key  # fmt: skip
    from filings import services as filing_services  # the approved signature's filings, in a batch

    batch = filing_services.open_batch(carrier="telecom", actor=superuser)
    Client().post("/accounts/login/", {"username": customer.email, "password": "wrong"})  # axes records it
    AccessFailureLog.objects.create(username=customer.email, ip_address="127.0.0.1", path_info="/accounts/login/")
    ids = {
        "org_id": org.pk,
        "entity_id": entity.pk,
        "document_id": document.pk,
        "variant": "file",
        "kind": "address",
        "evidence_id": OwnedAddress.objects.get(entity=entity).pk,
        "signature_id": active.pk,
        "template_id": template.pk,
        "membership_id": Membership.objects.filter(organization=org).exclude(user=customer).first().pk,
        "invitation_id": invitation.pk,
        "token": account_services.invitation_token(invitation),
        "uidb64": urlsafe_base64_encode(force_bytes(customer.pk)),
        "content_type_id": ContentType.objects.get_for_model(Entity).pk,
        "object_id": entity.pk,
        "app_label": "qualifications",
        "pk": TOTPDevice.objects.filter(user=superuser).get().pk,
        "id": customer.pk,
        "notice_id": notice.pk,
        "endpoint_id": endpoint.pk,
        "action": "pause",
        "key_id": api_key.pk,
        "code": "not-found",
    }
    per_pattern = {
        "org:signature-edit": {"signature_id": draft.pk},
        "org:template-edit": {"template_id": draft_template.pk},
        "accounts:password-reset-confirm": {"token": default_token_generator.make_token(customer)},
        **{f"review-{view}": {"kind": "signature", "pk": active.pk} for view in ("item", "claim", "release", "decide")},
        **{
            name: {"pk": batch.pk, "fmt": "xlsx"}
            for name in ("carrier-batch", "carrier-batch-download", "carrier-batch-submit", "carrier-batch-import")
        },
    }
    return {"customer": customer, "superuser": superuser, "ids": ids, "per_pattern": per_pattern}


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name) of every pattern, with the namespace in the name."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield route, (namespace + pattern.name) if pattern.name else route


def _admin_object(route: str):
    """The pk of the first row of the model an admin route is for, or None when it has none."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    for model in admin.site._registry:
        if match and (model._meta.app_label, model._meta.model_name) == match.groups():
            row = model._default_manager.order_by("pk").first()
            return row.pk if row else None
    return None


def fill(route: str, name: str, world) -> str | None:
    if route.startswith("admin/^("):  # the app index, a regular expression
        return "/admin/qualifications/"
    if route == "admin/(?P<url>.*)$":  # the admin's catch-all
        return "/admin/no-such-page/"
    values = {**world["ids"], **world["per_pattern"].get(name, {})}
    if route.startswith("admin/") and "<path:object_id>" in route and not route.startswith("admin/r/"):
        values["object_id"] = _admin_object(route)
        if values["object_id"] is None:
            return None

    def value(match):
        key = match.group(2)
        assert key in values, f"{name}: no value for <{key}>: add one to the walk's world"
        return str(values[key])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def other_organization() -> dict:
    """Organization B, with an owner and rows of its own (an entity, a draft signature, a notice, a webhook and a
    read-and-write API key): the intruder of the access walk (tests/security/test_access.py), who may see only
    these."""
    from api import services as api_services
    from notices import services as notice_services
    from notices.models import WebhookEndpoint

    from .factories import MembershipFactory

    membership = MembershipFactory(user__email="owner@beta.example", organization__name="乙网络有限公司")
    org, owner = membership.organization, membership.user
    entity = make_entity(organization=org, name="乙网络有限公司", uscc="91110108MA01234560",
                         legal_rep_name="李四", legal_rep_id_number="110105194912310029")  # fmt: skip
    signature = signature_services.signature_save_draft(
        organization=org, user=owner, draft=signature_services.Draft(entity=entity, source="full_name",
                                                                     text="乙网络有限公司")
    )  # fmt: skip
    notice = notice_services.notify(organization=org, kind="status", key="walk-b",
                                    subject=notice_services.Text("乙的通知", "B's notice"))  # fmt: skip
    endpoint = WebhookEndpoint.objects.create(organization=org, url="https://hooks.beta.example/in")
    key = api_services.key_create(membership=membership, name="乙的系统", scope="write")
    return {"org": org, "owner": owner, "entity": entity, "signature": signature, "notice": notice,
            "endpoint": endpoint, "write_key": key.secret}  # fmt: skip
