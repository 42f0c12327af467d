"""The three kinds of application the platform reviews (an entity's qualification package, a
signature, a template), as the queue, the review page and the decision see them: a label, the
checklist's conditions, the automatic items evaluated by compliance, the documents to look at, and
the snapshot a decision keeps (what changed since is shown against it)."""

from dataclasses import dataclass

from django.utils.text import capfirst
from django.utils.translation import get_language

from compliance import checklists
from compliance import qualification as rules
from compliance import reasons as catalogue
from compliance.industries import industry


@dataclass(frozen=True)
class Evaluated:
    item: checklists.CheckItem
    passed: bool | None  # None: a manual item, for the reviewer to tick
    problems: tuple[tuple[str, str], ...] = ()  # (code, message) of what fails it


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _text(violation) -> str:
    return violation.message if _chinese() else violation.message_en


def _documents(entity, *extra_filters):
    from qualifications.models import Document

    return list(
        Document.objects.filter(entity=entity, is_current=True, purged_at__isnull=True, purge_after__isnull=True)
        .select_related("entity")
        .filter(*extra_filters)
        .order_by("kind", "uploaded_at")
    )


def _document_ids(documents) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for document in documents:
        found.setdefault(document.kind, []).append(str(document.pk))
    return found


class Kind:
    code = ""
    fields: tuple[str, ...] = ()

    def model(self):
        raise NotImplementedError

    def label(self, obj) -> str:
        raise NotImplementedError

    def conditions(self, obj) -> frozenset[str]:
        return frozenset()

    def automatic(self, obj) -> dict[str, tuple[tuple[str, str], ...]]:
        """The automatic items' problems, by item code (empty: passed)."""
        raise NotImplementedError

    def documents(self, obj) -> list:
        return []

    def entity(self, obj):
        raise NotImplementedError

    def evaluate(self, obj) -> list[Evaluated]:
        problems = self.automatic(obj)
        return [
            Evaluated(item, None if not item.automatic else not problems.get(item.code), problems.get(item.code, ()))
            for item in checklists.items_for(self.code, conditions=self.conditions(obj))
        ]

    def snapshot(self, obj) -> dict:
        values = {name: str(getattr(obj, name + "_id", getattr(obj, name, "")) or "") for name in self.fields}
        return {"fields": values, "documents": _document_ids(self.documents(obj))}

    def changes(self, obj, before: dict) -> list[str]:
        """What changed since ``before`` (a decision's snapshot), named as the customer's pages name it:
        the fields typed or chosen anew, the documents replaced."""
        if not before:
            return []
        now = self.snapshot(obj)
        model = self.model()
        changed = []
        for name, value in now["fields"].items():
            was = before.get("fields", {}).get(name)
            if was == value:
                continue
            field = model._meta.get_field(name)
            label = capfirst(str(field.verbose_name))
            # A value typed (text, name, kind) is shown old → new; a choice of another row by its name only.
            changed.append(label if field.is_relation else f"{label}: {was or '—'} → {value or '—'}")
        kinds = set(now["documents"]) | set(before.get("documents", {}))
        from qualifications.models import Document

        labels = dict(Document.Kind.choices)
        changed += [str(labels.get(kind, kind)) for kind in sorted(kinds)
                    if now["documents"].get(kind) != before.get("documents", {}).get(kind)]  # fmt: skip
        return changed


class SignatureKind(Kind):
    code = catalogue.SIGNATURE
    fields = ("text", "source", "entity", "trademark", "app", "partner_authorization")

    def model(self):
        from signatures.models import Signature

        return Signature

    def label(self, obj) -> str:
        return f"【{obj.text}】"

    def conditions(self, obj):
        return frozenset({"partner"}) if obj.source == "partner" else frozenset()

    def automatic(self, obj):
        from signatures import services

        draft = services.Draft(entity=obj.entity, source=obj.source, text=obj.text, trademark=obj.trademark,
                               app=obj.app, partner_authorization=obj.partner_authorization)  # fmt: skip
        result = services.precheck(draft, exclude=obj.pk)
        return {
            "SIG_RULES": tuple((v.code, _text(v)) for v in result.errors),
            "SIG_EVIDENCE": tuple((v.code, _text(v)) for v in result.problems),
        }

    def documents(self, obj):
        from django.db.models import Q

        documents = _documents(obj.entity, Q(partner_authorization__isnull=True))
        if obj.partner_authorization_id:
            # The partner's letter, and the partner's own package: the reviewer looks at both.
            documents += _documents(obj.entity, Q(partner_authorization_id=obj.partner_authorization_id))
            documents += _documents(obj.partner_authorization.partner, Q(partner_authorization__isnull=True))
        return documents

    def entity(self, obj):
        return obj.entity


class TemplateKind(Kind):
    code = catalogue.TEMPLATE
    fields = ("text", "kind", "signature", "name")

    def model(self):
        from templates_app.models import SmsTemplate

        return SmsTemplate

    def label(self, obj) -> str:
        return f"{obj.name} v{obj.version}"

    def automatic(self, obj):
        from templates_app import services

        result = services.template_check(signature=obj.signature, kind=obj.kind, text=obj.text,
                                         exclude=services.whitelist_exclusions(obj))  # fmt: skip
        blocking = [v for v in result.general if v.is_error]
        for carrier in result.carriers:
            blocking += [v for v in carrier.blocking if v.is_error and v not in blocking]
        return {"TPL_RULES": tuple((v.code, _text(v)) for v in blocking)}

    def entity(self, obj):
        return obj.signature.entity


class PackageKind(Kind):
    code = catalogue.ENTITY
    fields = ("name", "uscc", "kind", "industry", "legal_rep_name", "uses_agent", "agent_name")

    def model(self):
        from qualifications.models import Entity

        return Entity

    def label(self, obj) -> str:
        return obj.entity.name

    def conditions(self, obj):
        entity = obj.entity
        found = set()
        if industry(entity.industry).needs_permit:
            found.add("special_industry")
        if entity.uses_agent and entity.kind in rules.AGENT_ALLOWED:
            found.add("agent")
        return frozenset(found)

    def automatic(self, obj):
        from qualifications import services

        entity = obj.entity
        chinese = _chinese()
        missing = tuple(("EVID_PACKAGE_INCOMPLETE", item.name_zh if chinese else item.name_en)
                        for item in services.entity_checklist(entity=entity) if not item.satisfied)  # fmt: skip
        agent = entity.uses_agent and entity.kind in rules.AGENT_ALLOWED
        valid_until = entity.agent_id_valid_until if agent else entity.legal_rep_id_valid_until
        expired = ()
        if rules.id_document_expired(valid_until):
            expired = (("REV_ID_CARD_EXPIRED", catalogue.reason("REV_ID_CARD_EXPIRED").title(chinese)),)
        return {"PKG_COMPLETE": missing, "PKG_ID_IN_FORCE": expired}

    def documents(self, obj):
        from django.db.models import Q

        return _documents(obj.entity, Q(partner_authorization__isnull=True))

    def snapshot(self, obj):
        entity = obj.entity
        values = {name: str(getattr(entity, name) or "") for name in self.fields}
        return {"fields": values, "documents": _document_ids(self.documents(obj))}

    def entity(self, obj):
        return obj.entity


KINDS: dict[str, Kind] = {k.code: k for k in (PackageKind(), SignatureKind(), TemplateKind())}


def kind_of(obj) -> Kind:
    from filing_portal.workflow import kind_of as workflow_kind

    return KINDS[workflow_kind(obj)]


def manual_codes(obj) -> frozenset[str]:
    kind = kind_of(obj)
    return checklists.manual_codes(kind.code, conditions=kind.conditions(obj))
