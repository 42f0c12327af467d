"""One language per page: no English label that embeds Chinese, no Chinese one that borrows an English
word where a Chinese one exists (issue 9, section 2: "No mixed-language labels")."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from qualifications.forms import EntityForm
from templates_app.forms import TemplateForm, TestSendForm

from .test_project import BASE_DIR, _po_entries

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# English msgids that may hold Chinese characters, each with the reason.
ENGLISH_WITH_HAN = {
    # The carrier batch file's column and sheet names are bilingual by design (filings/batches.py): a
    # message quotes them as the file writes them.
    "The batch's own file, with the columns “结果 Outcome”, “原因代码 Reason codes” and “运营商备案号 Carrier ref” "
    "filled in (XLSX, or CSV in UTF-8; at most %(size)s). One bad row refuses the whole file, and nothing is "
    "recorded.": "the file's column names",
    "The file names no batch: the column “批次 Batch” is empty.": "the file's column name",
    "This result needs a reason code (FIL_…): see the sheet “说明 Help”.": "the file's sheet name",
    # The name of Excel's save option on Chinese Windows, which the reader will look for as written.
    "The CSV file is not in UTF-8: it looks like GBK (GB18030), as Excel saves “CSV” on Chinese Windows. Save it "
    "as “CSV UTF-8 (逗号分隔)”, then import it.": "Excel's option as Chinese Windows names it",
}

# Latin words a Chinese message may keep: names and codes that have no Chinese word of their own.
LATIN_KEPT = {
    "ICP", "IP", "IPv4", "IPv6", "PDF", "JPEG", "PNG", "WebP", "ZIP", "MB", "GB", "QQ", "USCC", "TOTP",
    "example", "com",  # a sample domain, typed as is
    "max_length", "mobile", "unicom", "telecom",  # policy parameters and carrier keys, typed as is (admin)
    # File formats and what makes them, by their own names (carrier batches).
    "CSV", "XLSX", "xlsx", "xls", "UTF", "GBK", "GB18030", "Excel", "Windows",
    # The batch file's bilingual column and sheet names, quoted as the file writes them, and its code prefix.
    "Outcome", "Reason", "codes", "Carrier", "ref", "Batch", "Help", "FIL_",
    # Webhooks: the scheme by its own name, the request's method and format, its header names (notices).
    "Webhook", "Webhooks", "Standard", "JSON", "POST", "webhook", "id", "timestamp", "signature", "https", "TLS",
    # Django's own messages, which our catalogue overrides only to say 您: HTTP headers and class names.
    "Referrer", "Policy", "no", "referrer", "HTTP", "CSRF", "Referer", "ManagementForm", "docutils",
    # The REST API: its name, its header names and tools (docs/api.md), and a typical client system.
    "API", "REST", "Authorization", "Bearer", "Idempotency", "Key", "ETag", "If", "Match", "GET", "Organization",
    "ASCII", "Swagger", "UI", "ERP", "Content", "Length",
    # A JSON field and its value, named as the caller writes them (the API's consent).
    "agree", "true",
}  # fmt: skip
# What is not prose: placeholders, tags, variables, links, the catalogue's codes (FIL_CLEARED_INACTIVE).
NOT_PROSE = re.compile(
    r"%\(\w+\)[sd]|%s|\{\{[^}]*\}\}|\{\w+\}|\$\{[^}]*\}|<[^>]*>|https?://\S+|\b[A-Z]{2,}(?:_[A-Z]+)+\b"
)


def _catalogue():
    return [
        (msgid, msgstr)
        for msgid, msgstr, _ in _po_entries(BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    ]


def test_no_english_message_embeds_chinese():
    mixed = [msgid for msgid, _ in _catalogue() if HAN.search(msgid) and msgid not in ENGLISH_WITH_HAN]
    assert mixed == []


def test_no_chinese_message_borrows_an_english_word():
    borrowed = {}
    for msgid, msgstr in _catalogue():
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]+", NOT_PROSE.sub("", msgstr))) - LATIN_KEPT
        if words:
            borrowed[msgid] = sorted(words)
    assert borrowed == {}


@pytest.mark.parametrize("form", [lambda: EntityForm(), lambda: TestSendForm()])
def test_form_labels_and_help_texts_are_in_english_only(form):
    with translation.override("en"):
        form = form()
        shown = [str(f.label) for f in form.fields.values()] + [str(f.help_text) for f in form.fields.values()]
    assert [text for text in shown if HAN.search(text)] == []


@pytest.mark.django_db
def test_the_entity_and_template_forms_read_in_english(client, org_a, owner_a):
    client.force_login(owner_a)
    entity_page = client.get(reverse("org:entity-create", args=[org_a.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "File through an agent" in entity_page and "经办人" not in entity_page
    assert "Unified social credit code (USCC)" in entity_page
    assert entity_page.count("Leave empty if valid long-term.") == 3  # licence, legal representative, agent
    with translation.override("en"):
        help_text = str(TemplateForm(organization=org_a).fields["name"].help_text)
    assert not HAN.search(help_text)


# --- issue 9, the second trial: what a required field says comes from the server, in the page's language ---

FORM_TAG = re.compile(r"<form\b[^>]*>", re.S)


@pytest.mark.django_db
def test_every_customer_form_leaves_required_fields_to_the_server(client, owner_a):
    """novalidate on every form of every customer page: the browser's own bubble ("Please fill out this
    field", in the browser's language) never stands in for the server's message in the page's."""
    from .test_page_queries import World, _pages

    world = World(owner_a)
    world.grow(2)
    anonymous = [reverse(name) for name in ("accounts:login", "accounts:signup", "accounts:password-reset")]
    without = []
    for url in anonymous:
        tags = FORM_TAG.findall(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
        without += [(url, tag) for tag in tags if "novalidate" not in tag]
    client.force_login(owner_a)
    for name, (method, url, data) in _pages(world).items():
        if method != "get" or name.endswith("-check"):  # the live checks answer JSON
            continue
        html = client.get(url, data or {}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "<form" in html, name  # (the language switch, at least)
        without += [(name, tag) for tag in FORM_TAG.findall(html) if "novalidate" not in tag]
    assert without == []


@pytest.mark.django_db
def test_an_empty_test_send_is_answered_in_chinese_under_the_field_it_names(client, org_a, owner_a):
    from .test_page_queries import World

    world = World(owner_a)
    client.force_login(owner_a)
    url = reverse("org:template-test-send", args=[org_a.pk, world.template.pk])
    response = client.post(url, {"carrier": "", "sent_on": "", "delivered": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    html = response.content.decode()
    for field, message in (("delivered", "请选择结果：测试短信是否送达？"), ("carrier", "这个字段是必填项。")):
        group = html.split(f'id="div_id_{field}"', 1)[1].split('<div id="div_id_', 1)[0]
        assert message in group, field
