"""How the admin shows stored values to a reader: lists in the reader's language, never raw JSON."""

from django.contrib import admin
from django.contrib.admin.utils import display_for_field
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language

from compliance.carriers import CARRIERS
from compliance.policies import describe_ref


def chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _pick(pair: tuple[str, str]) -> str:
    return pair[0] if chinese() else pair[1]


# A (Chinese, English) pair of compliance/, in the language of the request that renders it.
bilingual = lazy(_pick, str)

CARRIER_NAMES = {carrier.code: (carrier.name_zh, carrier.name_en) for carrier in CARRIERS}


def carrier_names(codes) -> str:
    """The carriers as the reader names them, in the domain's order."""
    names = [_pick(CARRIER_NAMES[c.code]) for c in CARRIERS if c.code in set(codes or ())]
    return ("、" if chinese() else ", ").join(names) or "—"


def readable_list(items) -> str:
    """Plain values as a list (already-escaped HTML pieces stay as they are)."""
    items = list(items or ())
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((item,) for item in items)))


def check_list(precheck) -> str:
    """A stored check (a list of violations as JSON) as the customer saw it, in the reader's language:
    the sentence first, then where the rule comes from (date and notice), then the code."""
    step = 0 if chinese() else 1
    items = [(v.get("message" if step == 0 else "message_en", "") or v.get("message", ""),
              describe_ref(v.get("rule_ref", ""))[step], v.get("code", "")) for v in precheck or []]  # fmt: skip
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{} <small>{} · <code>{}</code></small></li>",
                                                      items))  # fmt: skip


def labelled(name: str, label):
    """An admin display of the model field ``name`` under a translated label: for the fields that have
    no verbose name of their own (their models' migrations are not the admin's to change)."""

    def show(model_admin, obj):
        return display_for_field(getattr(obj, name), obj._meta.get_field(name), "—")

    show.__name__ = f"{name}_"
    return admin.display(description=label, ordering=name)(show)
