from django import forms
from django.db.models import CharField, F, Value
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from compliance.signatures import offered_sources, source_refusal
from filing_portal import compiled
from filing_portal.choices import KeptRows, light_choices, organization_rows
from policies.timeline import current_policy
from qualifications.models import Entity, IcpApp, PartnerAuthorization, Trademark
from qualifications.selectors import entities_for_organization

from .models import Signature
from .services import Draft


def refusal_text(source: str, policy) -> str:
    """Why the rules in force refuse ``source``, in the reader's language (date and notice first)."""
    zh, en = source_refusal(source, policy)
    return zh if (get_language() or "").startswith("zh") else en


OWNER = {"entity": "entity_id"}  # each evidence option says whose it is: portal.js shows the chosen entity's


def _visible_entities(organization):
    """The entities a signature may be filed for: active, the organization's or shared with it (an
    organization or its id)."""
    return entities_for_organization(organization=organization).filter(status=Entity.Status.ACTIVE)


def _entity_options(organization_id):
    # (pk, name, whether it is the organization itself): the form chooses the own one of several.
    return _visible_entities(organization_id).values_list("pk", "name", "is_own")


def _evidence_options(organization_id):
    """The options of the three evidence selects in one query (UNION ALL), each kind by name:
    (kind, pk, label, detail, entity)."""
    entities = _visible_entities(organization_id)

    def text(value):
        return Value(value, output_field=CharField())

    parts = [
        Trademark.objects.filter(entity__in=entities).annotate(
            kind=text("trademark"), label=F("name"), detail=F("registration_number")
        ),
        IcpApp.objects.filter(entity__in=entities).annotate(kind=text("app"), label=F("name"), detail=text("")),
        PartnerAuthorization.objects.filter(entity__in=entities).annotate(
            kind=text("partner"), label=F("partner__name"), detail=F("entity__name")
        ),
    ]
    parts = [part.order_by().values_list("kind", "pk", "label", "detail", "entity_id") for part in parts]
    return parts[0].union(*parts[1:], all=True).order_by("label", "pk")


def evidence_rows(organization) -> dict[str, list[tuple]]:
    """Trademarks (pk, name, registration number, entity), apps (pk, name, entity) and partner
    authorizations (pk, partner's name, entity's name, entity) of the entities the organization
    sees, in one query compiled once a process (filing_portal.compiled)."""
    rows = {"trademark": [], "app": [], "partner": []}
    for kind, pk, label, detail, entity_id in compiled.rows(_evidence_options, organization.pk):
        rows[kind].append((pk, label, entity_id) if kind == "app" else (pk, label, detail, entity_id))
    return {"trademark": rows["trademark"], "app": rows["app"], "partner_authorization": rows["partner"]}


def _options(organization):
    """The form's four selects' rows, read in two queries: kept between requests (options_rows)."""
    rows = {"entity": compiled.rows(_entity_options, organization.pk), **evidence_rows(organization)}
    return {name: KeptRows(found) for name, found in rows.items()}


def options_rows(organization) -> dict[str, list[tuple]]:
    """The rows of the signature form's selects (entity, trademark, app, partner authorization),
    kept a process for the organization until an entity or its evidence changes
    (filing_portal.choices.organization_rows): a form shown again runs no query for its options."""
    return organization_rows("signatures.SignatureForm", organization.pk, lambda: _options(organization))


class SignatureForm(forms.Form):
    entity = forms.ModelChoiceField(label=_("Entity"), queryset=Entity.objects.none())
    source = forms.ChoiceField(label=_("Where the name comes from"), choices=Signature.Source.choices)
    trademark = forms.ModelChoiceField(label=_("Trademark"), queryset=Trademark.objects.none(), required=False)
    app = forms.ModelChoiceField(label=_("App"), queryset=IcpApp.objects.none(), required=False)
    partner_authorization = forms.ModelChoiceField(
        label=_("Partner authorization"), queryset=PartnerAuthorization.objects.none(), required=False
    )
    text = forms.CharField(
        label=_("Signature"), max_length=64, strip=False,
        help_text=_("Without 【】: the platform adds them. Checked against every rule in force as you type."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-signature-text": "1"}),
    )  # fmt: skip
    acknowledge_warnings = forms.BooleanField(
        label=_("I have read the warnings and want to submit anyway; reviewers will see this."), required=False
    )

    def __init__(self, *args, organization, keep_source=None, **kwargs):
        """Only the sources the rules in force today accept are offered (app names stopped counting
        on 2026-05-01, notice 2026.4.23); ``keep_source``, the source an application was saved with,
        stays offered, so that editing it never silently changes it, with the reason it is refused."""
        super().__init__(*args, **kwargs)
        policy = current_policy()
        accepted = offered_sources(policy)
        self.fields["source"].choices = [
            (value, label) for value, label in Signature.Source.choices if value in accepted or value == keep_source
        ]
        # Said beside the field: which sources are no longer offered and why, and why a kept one is refused.
        self.withdrawn_sources = [
            refusal_text(value, policy)
            for value in Signature.Source.values
            if value not in accepted and value != keep_source
        ]
        self.source_note = refusal_text(keep_source, policy) if keep_source and keep_source not in accepted else ""
        # The options are read as plain rows, their labels as the models' own __str__ (see light_choices):
        # the entities in one query, the three kinds of evidence in another (evidence_rows), both compiled
        # once a process (filing_portal.compiled), and kept per organization (options_rows). Validation
        # loads the chosen object from the querysets, built for a bound form only: an unbound one is only shown.
        entities = _visible_entities(organization) if self.is_bound else Entity.objects.none()
        kept = []

        def rows(field):
            if not kept:
                kept.append(options_rows(organization))
            return kept[0][field]

        light_choices(self.fields["entity"], entities, ("name", "is_own"), label=lambda name, _own: name,
                      rows=lambda: rows("entity"))  # fmt: skip
        models = {"trademark": Trademark, "app": IcpApp, "partner_authorization": PartnerAuthorization}
        evidence = {
            name: model.objects.filter(entity__in=entities) if self.is_bound else model.objects.none()
            for name, model in models.items()
        }
        light_choices(
            self.fields["trademark"], evidence["trademark"], ("name", "registration_number"),
            label=lambda name, number: f"{name} ({number})", data=OWNER, rows=lambda: rows("trademark"),
        )  # fmt: skip
        light_choices(self.fields["app"], evidence["app"], ("name",), label=str, data=OWNER, rows=lambda: rows("app"))
        light_choices(
            self.fields["partner_authorization"], evidence["partner_authorization"],
            ("partner__name", "entity__name"), label=lambda partner, entity: f"{partner} → {entity}", data=OWNER,
            rows=lambda: rows("partner_authorization"),
        )  # fmt: skip
        # Evidence of another entity, left out of a draft (see clean): said after saving.
        self.dropped_evidence: list[str] = []

    def entity_rows(self) -> list[tuple]:
        """The entity select's options, (pk, name, is_own), read once: whether there is any, the only one,
        the organization's own."""
        return self.fields["entity"].light_rows()

    def clean(self):
        """Evidence of another of the organization's entities (picked, then the entity changed): a
        draft is saved without it, never refused (a draft is unchecked, issue 9); a submission is
        refused, the field named."""
        cleaned = super().clean()
        entity = cleaned.get("entity")
        as_draft = self.data.get("action") == "draft"
        for field in ("trademark", "app", "partner_authorization"):
            evidence = cleaned.get(field)
            if evidence is not None and entity is not None and evidence.entity_id != entity.pk:
                if as_draft:
                    cleaned[field] = None
                    self.dropped_evidence.append(str(self.fields[field].label))
                else:
                    self.add_error(
                        field,
                        _("%(field)s: the one chosen belongs to another entity. Choose one of %(entity)s's.")
                        % {"field": self.fields[field].label, "entity": entity.name},
                    )
        return cleaned

    def draft(self) -> Draft:
        data = self.cleaned_data
        source = data["source"]
        return Draft(
            entity=data["entity"],
            source=source,
            text=data["text"],
            trademark=data.get("trademark") if source == Signature.Source.TRADEMARK else None,
            app=data.get("app") if source == Signature.Source.APP_NAME else None,
            partner_authorization=data.get("partner_authorization") if source == Signature.Source.PARTNER else None,
        )
