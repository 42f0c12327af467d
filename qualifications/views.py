"""Entities and their documents in the customer site, and the one door every file goes through.

Every page here holds people's data (names, masked ID numbers, the documents): none is cached
(``never_cache``: ``Cache-Control: no-store, private``), by the browser or by a proxy.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from compliance.qualification import ID_IMAGE_KINDS, id_document_expired
from compliance.signatures import offered_source_names
from compliance.validators import mask_id_number, normalize_code
from filing_portal.downloads import file_headers
from filing_portal.forms import apply_service_errors
from filing_portal.jinja2 import date, row_url
from filing_portal.listing import paginate
from filing_portal.workflow import state_label
from policies.timeline import current_policy

from . import selectors, services, uploads
from .consent import notice
from .forms import (
    EVIDENCE_FORMS,
    ConsentForm,
    DocumentUploadForm,
    EntityForm,
    check_id_number,
    check_uscc,
    industry_choices,
)
from .models import Document, DocumentAccess, Entity, OwnedAddress, address_display

# A fault while these forms are posted must not mail the typed ID number to the admins: Django's error report
# lists the request's POST, these fields starred out (tests/security/test_id_numbers.py).
_id_numbers_hidden = sensitive_post_parameters("legal_rep_id_number", "agent_id_number", "value")


def _membership(request, org_id):
    return account_selectors.membership_get(user=request.user, org_id=org_id)


@never_cache
@login_required
@require_GET
def entity_list(request, org_id):
    membership = _membership(request, org_id)
    org = membership.organization
    listing = paginate(request, _entities, org.pk, choices=Entity.Status.choices)
    chinese = (request.LANGUAGE_CODE or "").startswith("zh")
    rows, not_sent = [], _("Not sent yet")
    for entity in listing.page:
        checklist = [(item.satisfied, item.name_zh if chinese else item.name_en)
                     for item in selectors.package_checklist(entity)]  # fmt: skip
        # Labels straight from the choices: get_FOO_display rebuilds the choices on every call.
        complete = all(satisfied for satisfied, _name in checklist)
        state = selectors.entity_state(entity, complete=complete)  # the badge agrees with the checklist
        # The platform's review of its package, in a few words (the entity page says the rest).
        review = state_label(entity.package_review_status) if entity.package_review_status else not_sent
        rows.append((entity, state, Entity.Kind(entity.kind).label, checklist, complete, review))
    context = {"org": org, "membership": membership, "rows": rows, "listing": listing}
    return render(request, "qualifications/entity_list.html", context)


def _entities(org_id):
    return selectors.entities_with_package(organization=org_id)


@_id_numbers_hidden
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def entity_create(request, org_id):
    membership = _membership(request, org_id)
    form = EntityForm(request.POST or None, own_entity=selectors.own_entity(organization=membership.organization))
    if request.method == "POST" and form.is_valid():
        try:
            entity = services.entity_create(
                organization=membership.organization, user=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Entity registered. Now upload its documents."))
            return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
    return render(
        request, "qualifications/entity_form.html", {"org": membership.organization, "form": form, "entity": None}
    )


@_id_numbers_hidden
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def entity_edit(request, org_id, entity_id):
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id, review=True)
    # Whose entity it is: the organization's own is asked for only when this one is not it.
    own = entity if entity.is_own else selectors.own_entity(organization=membership.organization)
    form = EntityForm(request.POST or None, instance=entity, own_entity=own,
                      own_editable=services.own_editable(selectors.package_review(entity=entity)))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.entity_update(entity=entity, data=form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Entity saved."))
            return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
    return render(
        request, "qualifications/entity_form.html", {"org": membership.organization, "form": form, "entity": entity}
    )


@_id_numbers_hidden
@never_cache
@login_required
@require_POST
def field_check(request, org_id):
    """Live validation while typing: the same checks the form runs, as JSON.

    POST, not GET: an ID number must not end up in a URL, and so in access and proxy logs.
    """
    membership = _membership(request, org_id)
    field, value = request.POST.get("field", ""), request.POST.get("value", "")
    if field == "uscc":
        problem = check_uscc(value) if value else None
        if value and problem is None:
            holder = Entity.objects.filter(uscc=normalize_code(value)).values_list("organization_id", flat=True).first()
            if holder is not None:
                problem = (
                    _("This entity is already registered in your organization.")
                    if holder == membership.organization_id
                    else services.uscc_taken_message(membership.organization)
                )
    elif field == "id_number":
        problem = check_id_number(value, request.POST.get("id_type", Entity.IdType.RESIDENT_ID)) if value else None
    else:
        raise Http404
    return JsonResponse({"ok": problem is None, "message": problem or ""})


def _package_review_context(entity, org, *, complete: bool, chinese: bool) -> dict:
    """The platform's review of the package, as the entity page shows it: its state, what to do, the
    reviewer's decision on it and what broke since it was sent; whether it can be sent (again)."""
    from compliance import transitions as t
    from review import selectors as review_selectors

    review = selectors.package_review(entity=entity)
    decision = None
    if review is not None and review.status in (t.CHANGES_REQUESTED, t.REJECTED):
        decision = review_selectors.current_decision(selectors.package_events(review=review), status=review.status,
                                                     chinese=chinese)  # fmt: skip
    if review is None:
        step = (_("Upload every document, then send the package for review.") if not complete
                else _("Send the package for the platform's review."))  # fmt: skip
    else:
        step = t.PACKAGE_NEXT_STEP[review.status][0 if chinese else 1]
    return {
        "package_review": review, "package_decision": decision, "package_next": step,
        "package_blockers": review_selectors.shown_reasons(review.blockers if review else (), chinese=chinese),
        "can_submit_package": complete and entity.organization_id == org.pk
        and (review is None or review.status in (t.DRAFT, t.CHANGES_REQUESTED, t.REJECTED)),
    }  # fmt: skip


def _detail_context(request, membership, entity, upload_form=None, upload_kind=None):
    """The entity page's context. ``entity`` comes annotated with its consent (``consent=True`` to
    selectors.entity_get or entity_get_visible)."""
    org = membership.organization
    evidence = selectors.entity_page_evidence(entity=entity)
    # The package's documents and the evidence's files: one query for both.
    current, files = selectors.entity_page_documents(entity=entity)
    checklist = selectors.package_checklist(entity, present=frozenset(doc.kind for doc in current))
    documents = {doc.kind: doc for doc in current}
    chinese = (request.LANGUAGE_CODE or "").startswith("zh")
    items = [
        {
            "requirement": item,
            "name": item.name_zh if chinese else item.name_en,
            "document": documents.get(item.kind),
            "is_id": item.kind in ID_IMAGE_KINDS,
            "form": upload_form if upload_kind == item.kind else None,
        }
        for item in checklist
    ]
    upload_errors = [str(e) for errs in upload_form.errors.values() for e in errs] if upload_form else []
    # Labels straight from the choices, for the rows: get_FOO_display rebuilds the choices on every call.
    document_kinds = dict(Document.Kind.choices)

    def end(kind, pk):
        """What ends an evidence row: its files, (URL, label) each, and the URL that removes it."""
        links = [
            (row_url("document-file", doc.pk, "file"), document_kinds[doc.kind]) for doc in files.get((kind, pk), ())
        ]
        return links, row_url("org:evidence-delete", org.pk, entity.pk, kind, pk)

    address_kinds = dict(OwnedAddress.Kind.choices)
    complete = all(item.satisfied for item in checklist)
    return {
        **_package_review_context(entity, org, complete=complete, chinese=chinese),
        "org": org,
        "membership": membership,
        "entity": entity,
        "items": items,
        "upload_errors": upload_errors,
        "upload_kind_name": next((i["name"] for i in items if i["requirement"].kind == upload_kind), ""),
        "complete": all(item.satisfied for item in checklist),
        "state": selectors.entity_state(entity, complete=all(item.satisfied for item in checklist)),
        "consent_given": entity.consent_granted_at,
        "industry_name": next((c[1] for c in industry_choices() if c[0] == entity.industry), entity.industry),
        "legal_rep_id": mask_id_number(entity.legal_rep_id_number),
        "agent_id": mask_id_number(entity.agent_id_number),
        "legal_rep_id_expired": id_document_expired(entity.legal_rep_id_valid_until),
        "agent_id_expired": id_document_expired(entity.agent_id_valid_until),
        "max_mb": settings.UPLOAD_MAX_BYTES // 1048576,
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        # What a signature may rest on under the rules in force, the partner source included (compliance).
        "sources": offered_source_names(current_policy())[0 if chinese else 1],
        # The evidence as plain values, written by the template as they come (no macro, no look-up a row).
        "trademarks": [
            (name, number, owner, date(valid_until, "Y-m-d"), *end("trademark", pk))
            for pk, name, number, owner, valid_until in evidence["trademark"]
        ],
        "apps": [(name, icp, subject, *end("app", pk)) for pk, name, icp, subject in evidence["app"]],
        "addresses": [
            (address_display(value, kind), address_kinds[kind], icp, *end("address", pk))
            for pk, value, kind, icp in evidence["address"]
        ],
        # A partner's name may be a signature only with the letter and the partner's own complete package.
        "partner_authorizations": [
            (
                row_url("org:entity-detail", org.pk, partner_id), partner_name,
                selectors.package_complete(kind=kind, industry=industry, uses_agent=uses_agent, present=present),
                signatures, date(valid_from, "Y-m-d"), date(valid_until, "Y-m-d"), *end("partner", pk),
            )
            for pk, partner_id, partner_name, signatures, valid_from, valid_until, kind, industry, uses_agent, present
            in evidence["partner"]
        ],
    }  # fmt: skip


@never_cache
@login_required
@require_GET
def entity_detail(request, org_id, entity_id):
    membership = _membership(request, org_id)
    entity = selectors.entity_get_visible(organization=membership.organization, entity_id=entity_id, consent=True)
    return render(request, "qualifications/entity_detail.html", _detail_context(request, membership, entity))


@never_cache
@login_required
@require_POST
def document_upload(request, org_id, entity_id):
    """One file for one checklist item. Answers JSON to the page's script, HTML otherwise."""
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id, consent=True)
    form = DocumentUploadForm(request.POST, uploads.received_files(request))
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if form.is_valid():
        try:
            document = services.document_upload(
                entity=entity,
                user=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                valid_until=form.cleaned_data.get("valid_until"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if wants_json:
                return JsonResponse({"ok": True, "document": str(document.pk)})
            messages.success(request, _("%(doc)s uploaded.") % {"doc": document.get_kind_display()})
            return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
    errors = [str(e) for errs in form.errors.values() for e in errs]
    if wants_json:
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    context = _detail_context(request, membership, entity, form, request.POST.get("kind"))
    return render(request, "qualifications/entity_detail.html", context, status=400)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def consent(request, org_id, entity_id):
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id)
    form = ConsentForm(request.POST if request.method == "POST" else None)  # a post with the box unticked is bound
    if request.method == "POST" and form.is_valid():
        services.consent_grant(entity=entity, user=request.user, ip_address=services.client_address(request))
        messages.success(request, _("Consent recorded. You can now upload the ID card images."))
        return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
    context = {"org": membership.organization, "entity": entity, "form": form, "notice": notice(request)}
    context["active"] = services.consent_active(entity=entity)
    return render(request, "qualifications/consent.html", context)


@login_required
@require_POST
def consent_withdraw(request, org_id, entity_id):
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id)
    count = services.consent_withdraw(entity=entity)
    messages.info(request, _("Consent withdrawn. %(n)s ID card image(s) will be deleted now.") % {"n": count})
    return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)


@never_cache
@require_GET
def document_file(request, document_id, variant):
    """The only way a document leaves storage: permission-checked, logged, never cached or sniffed.

    Anyone who may not see the document (anonymous visitors included) gets 404, as for one
    that does not exist.
    """
    return document_response(request, user=request.user, document_id=document_id, variant=variant)


def document_response(request, *, user, document_id, variant):
    """A document's file as the door serves it, for ``user`` (the session's, or the one a signed link of the
    API names): the same permission check (404 for anyone who may not see it), the access logged, the same
    headers. ``document_file`` and the API's signed links (qualifications/api.py) both answer with this."""
    if variant not in DocumentAccess.Variant.values:
        raise Http404
    document = selectors.document_for_viewer(user=user, document_id=document_id, variant=variant)
    if variant == DocumentAccess.Variant.THUMBNAIL and not document.thumbnail:
        raise Http404
    services.document_log_access(document=document, user=user, variant=variant, request=request)
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
    filename = f"{document.kind}-{str(document.pk)[:8]}"  # generated: never the name it was uploaded under
    if variant == DocumentAccess.Variant.ORIGINAL:
        # Stored encrypted: decrypted here and streamed by Django, never handed to nginx (DOCUMENT_ACCEL_REDIRECT).
        data = services.document_original_bytes(document=document)
        response = HttpResponse(data, content_type=document_original_type(data))
        filename += "-original" + extension.get(response["Content-Type"], "")
        attachment = False
    else:
        field = document.file if variant == DocumentAccess.Variant.FILE else document.thumbnail
        content_type = document.content_type if variant == DocumentAccess.Variant.FILE else "image/jpeg"
        accel = accel_redirect_uri(field)
        if accel:
            response = HttpResponse(content_type=content_type)  # no body: nginx sends the file
            response["X-Accel-Redirect"] = accel
        else:
            response = FileResponse(field.open("rb"), content_type=content_type)
        filename += extension.get(content_type, "")
        attachment = content_type == "application/pdf" and bool(request.GET.get("download"))
    file_headers(response, filename=filename, attachment=attachment)
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# Storage names are random (models._private_name): letters, digits, "/", "_", "-" and one extension. nginx takes the
# X-Accel-Redirect URI as it is, without decoding: any other name is streamed by Django rather than escaped.
_ACCEL_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*(\.[A-Za-z0-9]+)?")


def accel_redirect_uri(field) -> str | None:
    """Where nginx's internal location finds this stored file (settings.DOCUMENT_ACCEL_REDIRECT), or None for
    Django to stream it: the setting off, storage that is not the local filesystem (S3: nginx cannot read it),
    or a name that is not one of ours. Called only for files served as they are stored; the encrypted ID
    original never comes here (nginx would send ciphertext)."""
    prefix = settings.DOCUMENT_ACCEL_REDIRECT
    if not prefix or not isinstance(field.storage, FileSystemStorage) or not _ACCEL_SAFE_NAME.fullmatch(field.name):
        return None
    return prefix + field.name


def document_original_type(data: bytes) -> str:
    from .uploads import sniff

    return sniff(data[:16]) or "application/octet-stream"


EVIDENCE_TITLES = {
    "trademark": gettext_lazy("Add a registered trademark"),
    "app": gettext_lazy("Add an ICP-filed app"),
    "address": gettext_lazy("Add an owned domain or IP address"),
    "partner": gettext_lazy("Add a partner's authorization"),
}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def evidence_create(request, org_id, entity_id, kind):
    if kind not in EVIDENCE_FORMS:
        raise Http404
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id)
    form_class = EVIDENCE_FORMS[kind]
    form = form_class(request.POST or None, uploads.received_files(request) or None, entity=entity)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form_class.Meta.fields}
        try:
            services.evidence_create(
                entity=entity, user=request.user, model=form_class.Meta.model, data=data,
                upload=form.cleaned_data.get("file"),
            )  # fmt: skip
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
    context = {"org": membership.organization, "entity": entity, "form": form, "title": EVIDENCE_TITLES[kind]}
    return render(request, "qualifications/evidence_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def evidence_delete(request, org_id, entity_id, kind, evidence_id):
    if kind not in EVIDENCE_FORMS:
        raise Http404
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id)
    model = EVIDENCE_FORMS[kind].Meta.model
    evidence = model.objects.filter(entity=entity, pk=evidence_id).first()
    if evidence is None:
        raise Http404
    services.evidence_delete(evidence=evidence)
    messages.success(request, _("Removed."))
    return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)


@login_required
@require_POST
def package_submit(request, org_id, entity_id):
    """Send the entity's complete package to the platform's review (again, after changes requested)."""
    membership = _membership(request, org_id)
    entity = selectors.entity_get(organization=membership.organization, entity_id=entity_id)
    try:
        services.package_submit(entity=entity, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The package was sent for the platform's review."))
    return redirect("org:entity-detail", org_id=org_id, entity_id=entity.pk)
