from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from compliance.industries import INDUSTRIES
from compliance.qualification import id_document_expired
from compliance.validators import (
    is_valid_uscc,
    mask_id_number,
    normalize_code,
    normalize_domain,
    normalize_ip,
    resident_id_problem,
)
from filing_portal.choices import Select, light_choices
from filing_portal.widgets import IsoDateInput

from .models import Document, Entity, IcpApp, OwnedAddress, PartnerAuthorization, Trademark


def industry_choices():
    chinese = (get_language() or "").startswith("zh")
    return [(i.code, (i.name_zh if chinese else i.name_en) + (" *" if i.needs_permit else "")) for i in INDUSTRIES]


def check_uscc(value: str) -> str | None:
    """The problem with a typed USCC, in the active language, or None. Shared by the form and the live check."""
    code = normalize_code(value)
    if len(code) != 18:
        return _("A USCC has 18 characters; this one has %(n)s.") % {"n": len(code)}
    if not is_valid_uscc(code):
        return _("This USCC's check character is wrong (GB 32100-2015): check it against the licence.")
    return None


def check_id_number(value: str, id_type: str) -> str | None:
    number = normalize_code(value)
    if id_type != Entity.IdType.RESIDENT_ID:
        return None if 5 <= len(number) <= 32 else _("Enter the document number as printed.")
    if len(number) != 18:
        return _("A resident ID number has 18 characters; this one has %(n)s.") % {"n": len(number)}
    problem = resident_id_problem(number)
    if problem == "region":
        return _("This ID number's first six digits are no region of China (GB 11643-1999).")
    if problem == "birth_date":
        return _("This ID number's birth date (digits 7-14) is not a real date, or lies in the future.")
    if problem:
        return _("This ID number's last character is wrong (GB 11643-1999 check digit): check the number.")
    return None


ID_NUMBER_FIELDS = {"legal_rep_id_number": "legal_rep_id_type", "agent_id_number": "agent_id_type"}


class EntityForm(forms.ModelForm):
    """An entity, new or edited.

    Editing, a stored ID number never goes back into the page: its input is empty, with the
    masked number beside it; left empty it stays as it is, typed anew it replaces it once valid.
    """

    # Longer than 18 so that a code typed with spaces or dashes reaches the normalisation.
    uscc = forms.CharField(label=_("Unified social credit code (USCC)"), max_length=40)

    class Meta:
        model = Entity
        fields = [
            "name", "kind", "mainland", "uscc", "licence_valid_from", "licence_valid_until", "industry",
            "legal_rep_name", "legal_rep_id_type", "legal_rep_id_number", "legal_rep_id_valid_until",
            "uses_agent", "agent_name", "agent_id_type", "agent_id_number", "agent_id_valid_until",
        ]  # fmt: skip
        widgets = {
            **{
                f: IsoDateInput()
                for f in (
                    "licence_valid_from",
                    "licence_valid_until",
                    "legal_rep_id_valid_until",
                    "agent_id_valid_until",
                )
            },
            # Options written in Python, not a template each: the same HTML, the form in about half the time.
            **{f: Select() for f in ("kind", "industry", "legal_rep_id_type", "agent_id_type")},
        }

    def __init__(self, *args, own_entity=None, own_editable=True, **kwargs):
        """``own_entity``: the organization's own entity, if it has one (another entity is then a partner);
        ``own_editable``: whether whose entity it is may still change (not while its package is under
        review or approved)."""
        super().__init__(*args, **kwargs)
        # Whose entity is it: the customer says, with no default (a partner registered as "ours" is the
        # mistake this question is for), while the organization has no own entity or this is it; any
        # other is a partner (a signature in its name needs its letter). The reviewer confirms it.
        self.own_entity = own_entity if own_entity is None or own_entity.pk != self.instance.pk else None
        if own_editable and self.own_entity is None:
            self.fields["is_own"] = forms.TypedChoiceField(
                label=_("Whose entity is it?"), widget=forms.RadioSelect, coerce=lambda value: value == "own",
                choices=[("own", _("My organization itself")), ("partner", _("A partner of my organization"))],
                initial=None if self.instance._state.adding else ("own" if self.instance.is_own else "partner"),
                required=self.instance._state.adding, empty_value=None,  # editing, left out: unchanged
                help_text=_("A partner's name goes on a signature only with the partner's authorization letter."),
                error_messages={"required": _("Say whether this entity is your organization itself or a partner.")},
            )  # fmt: skip
        self.fields["industry"].choices = industry_choices()
        self.fields["industry"].help_text = _("* needs an extra permit from the industry's regulator.")
        self.fields["uscc"].widget.attrs.update({"data-check": "uscc", "autocomplete": "off"})
        self.fields["legal_rep_id_number"].widget.attrs.update({"data-check": "id_number", "autocomplete": "off"})
        self.fields["agent_id_number"].widget.attrs.update({"data-check": "id_number", "autocomplete": "off"})
        # What is stored, read before anything replaces it (the ModelForm writes to the instance after clean()).
        self.stored_ids = {
            name: (getattr(self.instance, name), getattr(self.instance, type_name))
            for name, type_name in ID_NUMBER_FIELDS.items()
            if self.instance.pk and getattr(self.instance, name)
        }
        # And the names those numbers belong to: a new name with the old number left in place would pair
        # one person's name with another's ID number, silently.
        self.stored_names = {
            name: getattr(self.instance, name.replace("_id_number", "_name")) for name in self.stored_ids
        }
        for name, (number, _id_type) in self.stored_ids.items():
            self.initial[name] = ""
            field = self.fields[name]
            field.required = False
            field.widget.attrs["placeholder"] = mask_id_number(number)
            field.help_text = _(
                "On file: %(masked)s. Leave empty to keep it; type the full number only to change it."
            ) % {"masked": mask_id_number(number)}

    def validate_unique(self):
        # The service checks USCC uniqueness and says which organization holds it (see services).
        pass

    def clean_uscc(self):
        problem = check_uscc(self.cleaned_data["uscc"])
        if problem:
            raise forms.ValidationError(problem, code="uscc")
        return normalize_code(self.cleaned_data["uscc"])

    def clean(self):
        cleaned = super().clean()
        prefixes = ["legal_rep"]
        if cleaned.get("uses_agent"):
            prefixes.append("agent")
        else:
            # No agent: nothing about one is kept, whether on file or typed (PIPL art. 6: no more than
            # needed; art. 47: deleted once no longer needed). The legal rep's number stays as it was.
            cleaned.update({"agent_name": "", "agent_id_type": "", "agent_id_number": "", "agent_id_valid_until": None})
        for prefix in prefixes:
            if id_document_expired(cleaned.get(f"{prefix}_id_valid_until")):  # compliance: the platform's rule
                self.add_error(
                    f"{prefix}_id_valid_until",
                    _("“%(field)s” has passed: enter the details of a valid ID document.")
                    % {"field": self.fields[f"{prefix}_id_valid_until"].label},
                )
            number = cleaned.get(f"{prefix}_id_number") or ""
            if not number and f"{prefix}_id_number" in self.stored_ids:
                stored, stored_type = self.stored_ids[f"{prefix}_id_number"]
                if (cleaned.get(f"{prefix}_id_type") or stored_type) != stored_type:
                    self.add_error(f"{prefix}_id_number", _("The ID type changed: type the number of that document."))
                elif (cleaned.get(f"{prefix}_name") or "").strip() != (
                    self.stored_names[f"{prefix}_id_number"] or ""
                ).strip():
                    self.add_error(
                        f"{prefix}_id_number",
                        _("“%(name)s” changed: type “%(field)s” again, the number of the person now named.")
                        % {"name": self.fields[f"{prefix}_name"].label,
                           "field": self.fields[f"{prefix}_id_number"].label},
                    )  # fmt: skip
                else:
                    cleaned[f"{prefix}_id_number"] = stored  # unchanged
                continue
            if not number:
                continue
            problem = check_id_number(number, cleaned.get(f"{prefix}_id_type") or Entity.IdType.RESIDENT_ID)
            if problem:
                self.add_error(f"{prefix}_id_number", problem)
            else:
                cleaned[f"{prefix}_id_number"] = normalize_code(number)
        if cleaned.get("uses_agent"):
            if cleaned.get("kind") not in (Entity.Kind.PUBLIC_INSTITUTION, Entity.Kind.SOCIAL_ORGANIZATION):
                self.add_error("uses_agent", _("Only public institutions and non-profits may file through an agent."))
            for field in ("agent_name", "agent_id_number"):
                if not cleaned.get(field) and field not in self.errors:  # one message a field
                    self.add_error(field, _("Needed when filing through an agent."))
        valid_from, valid_until = cleaned.get("licence_valid_from"), cleaned.get("licence_valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("licence_valid_until", _("The licence cannot end before it starts."))
        return cleaned


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=Document.Kind.choices, widget=forms.HiddenInput)
    file = forms.FileField(label=_("File"))
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=IsoDateInput())


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read this notice and consent separately to the processing of these ID card images."),
        required=True,
        error_messages={"required": _("Tick the box to consent before uploading ID card images.")},
    )


class EvidenceForm(forms.ModelForm):
    """The fields of one piece of evidence, and the file that proves it."""

    file_label = _("Evidence file")
    file_required = True

    file = forms.FileField(label=_("Evidence file"))

    def __init__(self, *args, entity, **kwargs):
        self.entity = entity
        super().__init__(*args, **kwargs)
        self.fields["file"].label = self.file_label
        self.fields["file"].required = self.file_required
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = IsoDateInput()


class TrademarkForm(EvidenceForm):
    file_label = _("Trademark registration certificate")

    class Meta:
        model = Trademark
        fields = ["name", "registration_number", "owner_name", "nice_class", "valid_until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_name"].initial = self.entity.name
        self.fields["owner_name"].help_text = _(
            "As on the national trademark register. It must be this entity for the trademark to back a signature."
        )


class IcpAppForm(EvidenceForm):
    file_label = _("Screenshot of the ICP filing record")

    class Meta:
        model = IcpApp
        fields = ["name", "icp_number", "filing_subject"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filing_subject"].initial = self.entity.name
        self.fields["name"].help_text = _(
            "Since 2026-05-01 app names are no longer accepted as signatures (notice 2026.4.23)."
        )


class OwnedAddressForm(EvidenceForm):
    file_label = _("Evidence of the ICP filing")

    class Meta:
        model = OwnedAddress
        fields = ["kind", "value", "icp_number"]

    def clean(self):
        cleaned = super().clean()
        value, kind = cleaned.get("value") or "", cleaned.get("kind")
        if kind == OwnedAddress.Kind.IP:
            canonical = normalize_ip(value)
            message = _("Enter an IPv4 or IPv6 address, such as 203.0.113.10.")
        else:
            canonical = normalize_domain(value)
            message = _(
                "Enter a domain name, such as example.com. A full web address is fine: only its domain is kept."
            )
        if value and canonical is None:
            self.add_error("value", message)
        elif canonical:
            cleaned["value"] = canonical
            if self.entity.addresses.filter(value=canonical).exists():
                self.add_error("value", _("This address is already registered for the entity."))
        return cleaned


class PartnerAuthorizationForm(EvidenceForm):
    file_label = _("Signed authorization letter (image or PDF)")

    class Meta:
        model = PartnerAuthorization
        fields = ["partner", "signatures", "valid_from", "valid_until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read as plain rows, labelled by name as Entity.__str__ does (see light_choices): no instance per option.
        partners = self.entity.organization.entities.exclude(pk=self.entity.pk)
        light_choices(self.fields["partner"], partners, ("name",), label=str)
        self.fields["partner"].help_text = _(
            "Register the partner as an entity of your organization first, with its own qualification documents."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("valid_from") and cleaned.get("valid_until") and cleaned["valid_until"] < cleaned["valid_from"]:
            self.add_error("valid_until", _("The authorization cannot end before it starts."))
        return cleaned


EVIDENCE_FORMS = {
    "trademark": TrademarkForm,
    "app": IcpAppForm,
    "address": OwnedAddressForm,
    "partner": PartnerAuthorizationForm,
}
