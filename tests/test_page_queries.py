"""Speed of the customer's pages: persistent database connections, and no query per row.

Every customer page (the "org" namespace, the home page's organization chooser and both live
checks) is loaded with 5 and with 500 rows of what it lists; the number of queries must not grow.
"""

import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Organization, User
from compliance import transitions as states
from compliance.carriers import CODES as CARRIER_CODES
from filing_portal.choices import forget_kept
from filings.models import Filing, FilingEvent
from notices.models import Delivery, Notice, WebhookAttempt, WebhookEndpoint
from policies.timeline import HOLIDAYS_KEY, TIMELINE_KEY
from qualifications.models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark
from sending.models import SendingStat
from signatures.models import Signature, SignatureEvent
from templates_app.models import SmsTemplate, TemplateEvent, TestSend

from .factories import make_entity

BASE_DIR = settings.BASE_DIR


def _settings_in_a_fresh_process(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "filing_portal.settings", "VAR_DIR": "var/test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_keeps_database_connections_between_requests_by_default():
    max_age, health_checks = _settings_in_a_fresh_process()
    assert max_age is None or max_age >= 60
    assert health_checks is True


def test_it_lets_the_environment_turn_persistent_connections_off():
    assert _settings_in_a_fresh_process(CONN_MAX_AGE="0", CONN_HEALTH_CHECKS="false") == [0, False]


# --- no query per row ----------------------------------------------------------------------------
#
# One organization holds `n` of everything a customer page may list: entities with a document each,
# trademarks, apps, addresses and partner authorizations of one entity, signatures, templates, the
# history of one signature and one template, test sends, members, invitations, and other
# organizations the owner belongs to. Every page is loaded with 5 of each and again with 500.

_serial = itertools.count(1)


def _uscc() -> str:
    return f"91350100{next(_serial):010d}"


class World:
    """One customer's organization, and `grow(n)` to give it n more of every row."""

    def __init__(self, owner):
        self.owner = owner
        self.org = owner.memberships.get().organization
        self.entity = make_entity(
            organization=self.org, name="福州闽江云通信科技有限公司", uscc=_uscc(), legal_rep_name="张三",
            legal_rep_id_number="11010519491231002X",
        )  # fmt: skip
        self.signature = Signature.objects.create(
            organization=self.org, entity=self.entity, source=Signature.Source.ABBREVIATION, text="闽江云通信",
            status=states.APPROVED,
        )  # fmt: skip
        self.draft_signature = Signature.objects.create(
            organization=self.org, entity=self.entity, source=Signature.Source.ABBREVIATION, text="闽江云",
            status=states.DRAFT,
        )  # fmt: skip
        self.template = SmsTemplate.objects.create(
            organization=self.org, signature=self.signature, kind=SmsTemplate.Kind.NOTIFICATION, name="发货通知",
            text="您的订单${order}已发货。", status=states.APPROVED,
        )  # fmt: skip
        self.draft_template = SmsTemplate.objects.create(
            organization=self.org, signature=self.signature, kind=SmsTemplate.Kind.NOTIFICATION, name="草稿",
            text="您的订单${order}已签收。", status=states.DRAFT,
        )  # fmt: skip
        # Approved: filed at each carrier, in every state a filing has (the lists' marks, the pages' cards).
        self.filings = self.filed(signatures=[self.signature], templates=[self.template])
        # The inbox and the webhooks: a notice with an item, an endpoint with a delivery and its attempt.
        self.notice = Notice.objects.create(organization=self.org, kind=Notice.Kind.STATUS, key="first",
                                            subject_zh="签名：审核通过", subject_en="Signature: approved",
                                            items=[{"label": "签名", "url": "/", "codes": ["REV_X"]}],
                                            needs_ack=True, event_type="signature.status_changed")  # fmt: skip
        self.endpoint = WebhookEndpoint.objects.create(organization=self.org, url="https://hooks.example.com/x")

    @staticmethod
    def filed(*, signatures=(), templates=()):
        """A filing per carrier of each approved signature and template, their states cycling."""
        cycle = itertools.cycle(states.FILING_STATES)
        rows = [
            Filing(organization_id=a.organization_id, carrier=carrier, status=next(cycle),
                   due_from=dt.date(2026, 1, 5), due_by=dt.date(2026, 1, 9), **{field: a})
            for field, applications in (("signature", signatures), ("template", templates))
            for a in applications if a.status == states.APPROVED
            for carrier in CARRIER_CODES
        ]  # fmt: skip
        return Filing.objects.bulk_create(rows)

    def grow(self, n):
        org, entity, now = self.org, self.entity, timezone.now()
        entities = Entity.objects.bulk_create(
            Entity(organization=org, name=f"第{next(_serial)}号科技有限公司", uscc=_uscc(), legal_rep_name="李四",
                   legal_rep_id_number="11010519491231002X")
            for _ in range(n)
        )  # fmt: skip
        Document.objects.bulk_create(
            Document(entity=e, kind=Document.Kind.ENTITY_CERTIFICATE, content_type="image/png", sha256="0" * 64)
            for e in entities
        )
        trademarks = Trademark.objects.bulk_create(
            Trademark(entity=entity, name=f"闽江{i}", registration_number=f"{next(_serial)}", owner_name=entity.name)
            for i in range(n)
        )
        apps = IcpApp.objects.bulk_create(
            IcpApp(entity=entity, name=f"应用{next(_serial)}", icp_number="闽ICP备12345678号-1A",
                   filing_subject=entity.name)
            for _ in range(n)
        )  # fmt: skip
        addresses = OwnedAddress.objects.bulk_create(
            OwnedAddress(entity=entity, value=f"d{next(_serial)}.example.cn") for _ in range(n)
        )
        authorizations = PartnerAuthorization.objects.bulk_create(
            PartnerAuthorization(entity=entity, partner=partner, signatures="闽江", valid_from=dt.date(2026, 1, 1),
                                 valid_until=dt.date(2027, 1, 1))
            for partner in entities
        )  # fmt: skip
        evidence = [
            *(Document(entity=entity, trademark=t, kind=Document.Kind.TRADEMARK_CERTIFICATE) for t in trademarks),
            *(Document(entity=entity, app=a, kind=Document.Kind.APP_EVIDENCE) for a in apps),
            *(Document(entity=entity, address=a, kind=Document.Kind.ADDRESS_EVIDENCE) for a in addresses),
            *(Document(entity=entity, partner_authorization=a, kind=Document.Kind.PARTNER_LETTER)
              for a in authorizations),
        ]  # fmt: skip
        for document in evidence:
            document.content_type, document.sha256 = "image/png", "0" * 64
        Document.objects.bulk_create(evidence)
        signatures = Signature.objects.bulk_create(
            Signature(organization=org, entity=e, source=Signature.Source.FULL_NAME, text=e.name, status=status)
            for e, status in zip(entities, itertools.cycle([states.APPROVED, states.DRAFT, states.IN_REVIEW]))
        )
        templates = SmsTemplate.objects.bulk_create(
            SmsTemplate(organization=org, signature=s, kind=SmsTemplate.Kind.VERIFICATION, name=f"验证码{i}",
                        text="您的验证码为${code}。", status=s.status)
            for i, s in enumerate(signatures)
        )  # fmt: skip
        self.filed(signatures=signatures, templates=templates)
        start = SendingStat.objects.filter(signature=self.signature).count()
        SendingStat.objects.bulk_create(
            SendingStat(organization=org, signature=self.signature, carrier=CARRIER_CODES[(start + i) % 3], sent=10,
                        delivered=9, failed=1, day=dt.date(2026, 1, 1) + dt.timedelta(days=(start + i) // 3))
            for i in range(n)
        )  # fmt: skip
        FilingEvent.objects.bulk_create(
            FilingEvent(filing=filing, from_status=states.PENDING, to_status=states.SUBMITTED, at=now,
                        reason_codes=["FIL_CARRIER_NO_REASON"])
            for filing, _ in itertools.product(self.filings, range(max(1, n // 3)))
        )  # fmt: skip
        for signature in (self.signature, self.draft_signature):
            SignatureEvent.objects.bulk_create(
                SignatureEvent(signature=signature, actor=self.owner, from_status=states.DRAFT,
                               to_status=states.SUBMITTED, at=now)
                for _ in range(n)
            )  # fmt: skip
        for template in (self.template, self.draft_template):
            TemplateEvent.objects.bulk_create(
                TemplateEvent(template=template, actor=self.owner, from_status=states.DRAFT, to_status=states.SUBMITTED,
                              at=now)
                for _ in range(n)
            )  # fmt: skip
        TestSend.objects.bulk_create(
            TestSend(template=self.template, carrier=carrier, delivered=True, recorded_by=self.owner)
            for _, carrier in zip(range(n), itertools.cycle(CARRIER_CODES))
        )
        # One notice fewer than n: with the world's first, 500 in all after grow(5) and grow(495), as many
        # as the admin's delete page reads in one batch on SQLite (Django's collector: 500 a query).
        notices = Notice.objects.bulk_create(
            Notice(organization=org, kind=Notice.Kind.STATUS, key=f"n{next(_serial)}", subject_zh="通知",
                   subject_en="Notice", event_type="signature.status_changed")
            for _ in range(n - 1)
        )  # fmt: skip
        deliveries = Delivery.objects.bulk_create(
            Delivery(notice=notice, channel=Delivery.Channel.WEBHOOK, recipient=str(self.endpoint.pk),
                     endpoint=self.endpoint)
            for notice in notices
        )  # fmt: skip
        WebhookAttempt.objects.bulk_create(WebhookAttempt(delivery=d, status_code=200) for d in deliveries)
        users = User.objects.bulk_create(User(email=f"colleague{next(_serial)}@alpha.cn") for _ in range(n))
        Membership.objects.bulk_create(Membership(user=u, organization=org) for u in users)
        Invitation.objects.bulk_create(
            Invitation(organization=org, email=f"invitee{next(_serial)}@alpha.cn", invited_by=self.owner,
                       expires_at=now + dt.timedelta(days=7))
            for _ in range(n)
        )  # fmt: skip
        others = Organization.objects.bulk_create(Organization(name=f"第{next(_serial)}号分公司") for _ in range(n))
        Membership.objects.bulk_create(Membership(user=self.owner, organization=o) for o in others)


def _pages(w: World):
    """(name, method, url, data) of every customer page: the org namespace's, home's and both live checks."""
    org, entity = w.org.pk, w.entity.pk

    def url(name, *args):
        return reverse(f"org:{name}", args=[org, *args])

    return {
        "home": ("get", reverse("home"), None),
        "dashboard": ("get", url("dashboard"), None),
        "members": ("get", url("members"), None),
        "entity-list": ("get", url("entity-list"), None),
        "entity-create": ("get", url("entity-create"), None),
        "entity-detail": ("get", url("entity-detail", entity), None),
        "entity-edit": ("get", url("entity-edit", entity), None),
        "entity-consent": ("get", url("entity-consent", entity), None),
        "evidence-create trademark": ("get", url("evidence-create", entity, "trademark"), None),
        "evidence-create app": ("get", url("evidence-create", entity, "app"), None),
        "evidence-create address": ("get", url("evidence-create", entity, "address"), None),
        "evidence-create partner": ("get", url("evidence-create", entity, "partner"), None),
        "signature-list": ("get", url("signature-list"), None),
        "signature-list filtered": ("get", url("signature-list"), {"status": states.APPROVED, "page": "2"}),
        "signature-create": ("get", url("signature-create"), None),
        "signature-check": ("get", url("signature-check"), {"entity": str(entity), "source": "abbreviation",
                                                            "text": "闽江云通信"}),
        "signature-detail": ("get", url("signature-detail", w.signature.pk), None),
        "signature-edit": ("get", url("signature-edit", w.draft_signature.pk), None),
        "template-list": ("get", url("template-list"), None),
        "template-list filtered": ("get", url("template-list"), {"status": states.APPROVED, "page": "2"}),
        "template-create": ("get", url("template-create"), None),
        "template-check": ("post", url("template-check"), {"signature": w.signature.pk, "kind": "notification",
                                                           "text": "您的订单${order}已发货，详见 d1.example.cn"}),
        "template-detail": ("get", url("template-detail", w.template.pk), None),
        "template-edit": ("get", url("template-edit", w.draft_template.pk), None),
        "template-revise": ("get", url("template-revise", w.template.pk), None),
        "sending-stats": ("get", url("sending-stats"), None),
        "notices": ("get", url("notices"), None),
        "notice-detail": ("get", url("notice-detail", w.notice.pk), None),
        "webhooks": ("get", url("webhooks"), None),
        "webhook-detail": ("get", url("webhook-detail", w.endpoint.pk), None),
    }  # fmt: skip


def _page_names():
    class Stub:
        org = entity = signature = draft_signature = template = draft_template = notice = endpoint = type(
            "P", (), {"pk": 1}
        )()

    Stub.entity = type("P", (), {"pk": "00000000-0000-0000-0000-000000000001"})()
    return list(_pages(Stub))


def _queries(client, method, url, data):
    # As the first request after a deploy or a staff change finds it: the policy rows and holidays
    # not cached yet (policies/timeline.py), nor a form's options (filing_portal.choices.organization_rows),
    # so their queries count too.
    cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY])
    forget_kept()
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("page", _page_names())
def test_it_runs_as_many_queries_for_500_rows_as_for_5(client, owner_a, page):
    world = World(owner_a)
    client.force_login(owner_a)
    method, url, data = _pages(world)[page]
    world.grow(5)
    few = _queries(client, method, url, data)
    world.grow(495)
    many = _queries(client, method, url, data)
    shape = [re.sub(r"'[^']*'|\b\d+\b", "?", q) for q in few + many]
    few_shapes, many_shapes = shape[: len(few)], shape[len(few) :]
    repeated = sorted({q for q in many_shapes if many_shapes.count(q) > few_shapes.count(q)})[:2]
    assert len(many) == len(few), f"{len(few)} queries for 5 rows, {len(many)} for 500, e.g. {repeated}"


# --- long lists: pages of 25, filtered by state ---------------------------------------------------


def _rows(html: str, testid: str) -> int:
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[1].count("<tr>")


@pytest.mark.parametrize(
    ("name", "testid"),
    [("signature-list", "signature-table"), ("template-list", "template-table"), ("entity-list", "entity-table")],
)
def test_it_pages_a_long_list_and_keeps_the_filter_in_the_links(client, owner_a, name, testid):
    world = World(owner_a)
    world.grow(90)  # 92 signatures, 92 templates, 91 entities; a third of the signatures and templates active
    client.force_login(owner_a)
    url = reverse(f"org:{name}", args=[world.org.pk])

    first = client.get(url).content.decode()
    assert _rows(first, testid) == 25
    assert 'data-testid="pagination"' in first and 'href="?page=2"' in first
    assert 'data-testid="status-filter"' in first

    status = states.APPROVED if name != "entity-list" else Entity.Status.ACTIVE
    filtered = client.get(url, {"status": status, "page": 2})
    html = filtered.content.decode()
    expected = {"signature-list": Signature, "template-list": SmsTemplate, "entity-list": Entity}[name]
    total = expected.objects.filter(status=status).count() if name == "entity-list" else (
        expected.objects.filter(organization=world.org, status=status).count()
    )  # fmt: skip
    assert total > 25
    assert _rows(html, testid) == min(25, total - 25)
    assert f'href="?status={status}&amp;page=1"' in html
    assert f'<option value="{status}" selected>' in html


def test_it_names_the_states_in_the_filter_as_everywhere_else(client, owner_a):
    world = World(owner_a)
    world.grow(30)
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-list", args=[world.org.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for value, label in Signature.Status.choices:
        assert f'<option value="{value}">{label}</option>' in html
    assert world.signature.get_status_display() in html


def test_it_shows_the_whole_list_for_an_unknown_state(client, owner_a):
    world = World(owner_a)
    world.grow(3)
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-list", args=[world.org.pk]), {"status": "bogus"}).content.decode()
    assert _rows(html, "signature-table") == 5


def test_it_offers_no_pages_for_a_short_list_and_the_filter_only_when_its_rows_differ_in_state(client, owner_a):
    world = World(owner_a)
    world.grow(3)  # templates active, draft, active, draft, in review
    client.force_login(owner_a)
    url = reverse("org:template-list", args=[world.org.pk])
    html = client.get(url).content.decode()
    assert _rows(html, "template-table") == 5
    assert 'data-testid="status-filter"' in html and 'data-testid="pagination"' not in html
    SmsTemplate.objects.filter(organization=world.org).update(status=states.APPROVED)
    html = client.get(url).content.decode()
    assert 'data-testid="status-filter"' not in html and 'data-testid="pagination"' not in html
    # A filter in use stays, even on a list whose rows share one state.
    html = client.get(url, {"status": states.APPROVED}).content.decode()
    assert 'data-testid="status-filter"' in html
    # The same for signatures and entities, from the rows the page already read (no query of its own).
    assert (
        'data-testid="status-filter"' in client.get(reverse("org:signature-list", args=[world.org.pk])).content.decode()
    )
    entities = reverse("org:entity-list", args=[world.org.pk])
    assert 'data-testid="status-filter"' not in client.get(entities).content.decode()  # all active
    Entity.objects.filter(pk=world.entity.pk).update(status=Entity.Status.CLOSED)
    assert 'data-testid="status-filter"' in client.get(entities).content.decode()


def test_it_counts_the_dashboard_s_entities_signatures_and_templates_in_one_query(client, owner_a):
    world = World(owner_a)
    world.grow(3)  # 4 entities, 5 signatures, 5 templates
    client.force_login(owner_a)
    url = reverse("org:dashboard", args=[world.org.pk])
    html = client.get(url).content.decode()
    for card, n in (("entities-card", 4), ("signatures-card", 5), ("templates-card", 5)):
        assert re.search(rf'data-testid="{card}".*?<small class="text-secondary">{n}</small>', html, re.S), card
    # (The member's memberships count their unread notices too, in the query every page makes.)
    counts = [q for q in _queries(client, "get", url, None) if "COUNT(" in q.upper() and "inbox_seen_at" not in q]
    assert len(counts) == 1, counts


def test_it_labels_light_options_as_the_models_do_and_still_refuses_another_customer_s(client, owner_a, owner_b):
    world = World(owner_a)
    world.grow(2)
    client.force_login(owner_a)
    html = client.get(reverse("org:signature-create", args=[world.org.pk])).content.decode()
    for obj in (
        world.entity,
        world.entity.trademarks.first(),
        world.entity.apps.first(),
        world.entity.partner_authorizations.select_related("partner", "entity").first(),
    ):
        # (evidence options also say whose they are: data-entity, for portal.js to filter by entity)
        assert re.search(rf'<option value="{obj.pk}"( data-entity="[^"]+")?( selected)?>{re.escape(str(obj))}</option>',
                         html.replace("&gt;", ">")), obj  # fmt: skip
    assert html.count("data-searchable") == 4

    theirs = make_entity(
        organization=owner_b.memberships.get().organization,
        name="乙网络有限公司",
        uscc=_uscc(),
        legal_rep_name="王五",
        legal_rep_id_number="11010519491231002X",
    )
    foreign = Trademark.objects.create(entity=theirs, name="乙网", registration_number="7", owner_name=theirs.name)
    response = client.post(reverse("org:signature-create", args=[world.org.pk]), {
        "entity": world.entity.pk, "source": "trademark", "trademark": foreign.pk, "text": foreign.name,
    }, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_it_reads_the_caller_s_memberships_once_for_the_page_and_its_navigation(client, owner_a):
    world = World(owner_a)
    world.grow(3)  # the owner is in 4 organizations: all 4 in the navigation bar
    client.force_login(owner_a)
    url = reverse("org:signature-list", args=[world.org.pk])
    reads = [q for q in _queries(client, "get", url, None) if 'FROM "accounts_membership"' in q]
    assert len(reads) == 1, reads
    html = client.get(url).content.decode()
    for membership in owner_a.memberships.select_related("organization"):
        assert f'href="/o/{membership.organization_id}/">{membership.organization.name}' in html


def test_it_reads_the_entity_page_s_documents_in_one_query_and_its_consent_with_the_entity(client, owner_a):
    """The entity's package and its evidence's files are one read of the documents; its trademarks,
    apps, addresses and partner authorizations, with the partners' packages, one read of plain rows
    (UNION ALL); the active consent comes with the entity. What the page says stays the same."""
    from qualifications import services

    world = World(owner_a)
    world.grow(3)  # 3 of each evidence, each with its file; 3 partners with an entity certificate each
    entity = world.entity
    services.consent_grant(entity=entity, user=owner_a)
    Document.objects.create(entity=entity, kind=Document.Kind.ENTITY_CERTIFICATE, content_type="application/pdf",
                            sha256="0" * 64, pages=3)  # fmt: skip
    complete, incomplete, *_ = [a.partner for a in entity.partner_authorizations.order_by("partner__name")]
    for kind in (Document.Kind.LEGAL_REP_ID_FRONT, Document.Kind.LEGAL_REP_ID_BACK):
        Document.objects.create(entity=complete, kind=kind, content_type="image/png", sha256="0" * 64)
        # Scheduled for deletion (consent withdrawn): gone already for the partner's package.
        Document.objects.create(entity=incomplete, kind=kind, content_type="image/png", sha256="0" * 64,
                                purge_after=timezone.now())  # fmt: skip
    client.force_login(owner_a)
    url = reverse("org:entity-detail", args=[world.org.pk, entity.pk])
    queries = _queries(client, "get", url, None)
    consents = [q for q in queries if 'FROM "qualifications_idimageconsent"' in q and "qualifications_entity" not in q]
    tables = ("trademark", "icpapp", "ownedaddress", "partnerauthorization")
    evidence = [q for q in queries if any(f'FROM "qualifications_{t}"' in q for t in tables)]
    documents = [q for q in queries if 'FROM "qualifications_document"' in q and q not in evidence]
    # 7 with the policy rows (the sources a signature may rest on), read here since the cache was emptied.
    assert (len(documents), consents, len(evidence), len(queries)) == (1, [], 1, 7), queries

    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Consent given on {timezone.localdate():%Y-%m-%d}." in html
    assert "PDF, 3 pages" in html and "Open the PDF" in html
    evidence = html.split('data-testid="evidence"', 1)[1]
    assert evidence.count('href="/documents/') == 12  # each evidence item's file
    assert evidence.count("partner&#39;s package complete") == 1
    assert evidence.count("partner&#39;s package incomplete") == 2
    assert re.search(rf">{complete.name}</a>\s*<span class=\"badge text-bg-success\">", evidence)
    # Each kind in its order, each row its own values: names, numbers, dates, the addresses as people write them.
    trademarks = list(Trademark.objects.filter(entity=entity).order_by("name", "pk"))
    Trademark.objects.filter(pk=trademarks[0].pk).update(owner_name="别人", valid_until=dt.date(2030, 6, 1))
    OwnedAddress.objects.create(entity=entity, value="xn--fiqs8s.example.cn")
    apps = list(IcpApp.objects.filter(entity=entity).order_by("name", "pk"))
    partners = list(entity.partner_authorizations.order_by("partner__name", "pk"))
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode().split('data-testid="evidence"', 1)[1]
    at = [html.index(f"<li>{t.name} · No. {t.registration_number} · ") for t in trademarks]
    at += [html.index(f"<li>{a.name} · {a.icp_number} · {a.filing_subject}") for a in apps]
    at += [html.index(f'">{p.partner.name}</a>') for p in partners]
    assert at == sorted(at)
    assert (
        f"<li>{trademarks[0].name} · No. {trademarks[0].registration_number} · 别人 "
        '<span class="badge text-bg-warning">owner is not this entity</span> · valid until 2030-06-01'
    ) in html
    assert "<code>中国.example.cn</code> · Domain" in html
    assert "→ 闽江 · 2026-01-01 – 2027-01-01" in html
    delete = reverse("org:evidence-delete", args=[world.org.pk, entity.pk, "partner", partners[0].pk])
    assert f'<form class="d-inline" method="post" action="{delete}" data-confirm=' in html


@pytest.mark.parametrize("page", ["signature-create", "signature-edit"])
def test_the_signature_form_reads_its_entities_once_and_its_evidence_in_one_query(client, owner_a, page):
    """The entity select's options also say whether there is any entity and which is the only one
    (no query of its own for either); trademarks, apps and partner authorizations come in one query."""
    world = World(owner_a)
    world.grow(3)
    client.force_login(owner_a)
    method, url, data = _pages(world)[page]
    queries = _queries(client, method, url, data)
    entities = [q for q in queries if q.startswith('SELECT "qualifications_entity"')]
    assert len(entities) == 1, entities
    kinds = ("trademark", "icpapp", "partnerauthorization")
    evidence = [q for q in queries if any(f'FROM "qualifications_{kind}"' in q for kind in kinds)]
    assert len(evidence) == 1, evidence
    assert len(queries) == (6 if page == "signature-create" else 7), queries
    # Editing needs the signature's own columns only (the ids of its entity and evidence), no join.
    assert all(" JOIN " not in q for q in queries if q.startswith('SELECT "signatures_signature"')), queries


def test_the_template_form_reads_its_signatures_once(client, owner_a):
    """The signature select's options also say whether there is any live signature and which is the
    only one: no query of its own for either."""
    world = World(owner_a)
    world.grow(3)
    client.force_login(owner_a)
    queries = _queries(client, *_pages(world)["template-create"])
    signatures = [q for q in queries if 'FROM "signatures_signature"' in q]
    assert len(signatures) == 1, signatures
    assert len(queries) == 4, queries  # session, user, membership, the options


def test_the_template_list_reads_only_the_columns_it_shows(client, owner_a):
    """Plain rows, not instances: neither a template's text nor its signature's recorded check is read
    (the signature's JSON was decoded for every row)."""
    world = World(owner_a)
    world.grow(3)
    client.force_login(owner_a)
    queries = _queries(client, *_pages(world)["template-list"])
    [rows] = [q for q in queries if 'FROM "templates_app_smstemplate"' in q and "COUNT(" not in q]
    assert '"templates_app_smstemplate"."text"' not in rows and '"signatures_signature"."precheck"' not in rows


def test_the_signature_form_s_options_compiled_once_are_each_organization_s_own(owner_a, owner_b):
    """filing_portal.compiled keeps the SQL of the form's entity and evidence options per organization:
    each organization reads its own rows, those of the queryset the selectors build, read afresh."""
    from filing_portal import compiled
    from qualifications.models import EntityShare
    from signatures.forms import _entity_options, _evidence_options

    world = World(owner_a)
    world.grow(2)
    org_b = owner_b.memberships.get().organization
    theirs = make_entity(organization=org_b, name="乙网络有限公司", uscc=_uscc(), legal_rep_name="王五",
                                   legal_rep_id_number="11010519491231002X")  # fmt: skip
    theirs.trademarks.create(name="乙网", registration_number="7", owner_name=theirs.name)
    for org in (world.org, org_b, world.org):
        rows = compiled.rows(_entity_options, org.pk)
        assert rows == list(_entity_options(org.pk)) and rows
        evidence = compiled.rows(_evidence_options, org.pk)
        assert evidence == list(_evidence_options(org.pk)) and evidence
        assert {entity for *_, entity in evidence} <= {pk for pk, *_ in rows}
    assert theirs.pk not in {pk for pk, *_ in compiled.rows(_entity_options, world.org.pk)}
    EntityShare.objects.create(entity=theirs, organization=world.org)  # shared with A: A sees it
    assert theirs.pk in {pk for pk, *_ in compiled.rows(_entity_options, world.org.pk)}


# --- a form's options kept per organization -------------------------------------------------------


def _options_html(client, org) -> str:
    html = client.get(reverse("org:signature-create", args=[org.pk])).content.decode()
    return html.split('name="entity"', 1)[1].split("</form>", 1)[0]


def test_the_signature_form_keeps_its_options_and_shows_a_change_at_once(client, owner_a, owner_b):
    """The signature form's options are kept per organization between requests
    (filing_portal.choices.organization_rows): shown again, the form reads none; an entity, a share or a
    piece of evidence added, renamed, closed or removed shows at the next request, by a service or the
    admin's save, and one organization never sees another's."""
    from qualifications import services

    world = World(owner_a)
    org_b = owner_b.memberships.get().organization
    client.force_login(owner_a)
    url = reverse("org:signature-create", args=[world.org.pk])
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).status_code == 200
    evidence_tables = ('"qualifications_entity"', '"qualifications_trademark"', '"qualifications_icpapp"')
    assert any(table in q["sql"] for q in first.captured_queries for table in evidence_tables)
    assert not any(table in q["sql"] for q in again.captured_queries for table in evidence_tables)

    new = services.entity_create(organization=world.org, user=owner_a, data={
        "name": "福州新到科技有限公司", "uscc": _uscc(), "legal_rep_name": "赵六",
        "legal_rep_id_number": "11010519491231002X"})  # fmt: skip
    assert f'value="{new.pk}">福州新到科技有限公司<' in _options_html(client, world.org)
    trademark = services.evidence_create(
        entity=new, user=owner_a, model=Trademark, data={"name": "新到", "registration_number": "4242",
                                                         "owner_name": new.name},
    )  # fmt: skip
    assert f'value="{trademark.pk}" data-entity="{new.pk}">新到 (4242)<' in _options_html(client, world.org)
    services.evidence_delete(evidence=trademark)
    assert "新到 (4242)" not in _options_html(client, world.org)
    services.entity_update(entity=new, data={"name": "福州更名科技有限公司"})
    html = _options_html(client, world.org)
    assert "福州更名科技有限公司" in html and "福州新到科技有限公司" not in html
    services.entity_set_status(entity=new, status=Entity.Status.CLOSED)  # an UPDATE, no signal
    assert "福州更名科技有限公司" not in _options_html(client, world.org)

    # Organization B's form: its own entities only, though A's are kept; shared with A, B's shows in A's.
    theirs = Entity.objects.create(organization=org_b, name="乙方网络有限公司", uscc=_uscc(), legal_rep_name="王五",
                                   legal_rep_id_number="11010519491231002X")  # fmt: skip
    assert "乙方网络有限公司" not in _options_html(client, world.org)
    client.force_login(owner_b)
    html = _options_html(client, org_b)
    assert "乙方网络有限公司" in html and world.entity.name not in html
    client.force_login(owner_a)
    services.entity_share(entity=theirs, organization=world.org, actor=owner_b)
    assert "乙方网络有限公司" in _options_html(client, world.org)
