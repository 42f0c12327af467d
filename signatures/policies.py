"""The Django side of the policy timeline: the built-in changes from compliance, plus the
later ones policy admins add in the admin (Policy rows not marked built-in)."""

from dataclasses import fields
from types import MappingProxyType

from django.core.exceptions import ValidationError

from compliance import BUILTIN_CHANGES, Policy, PolicyChange, policy_as_of, workdays
from compliance.policies import PARAMETERS

from .models import Holiday
from .models import Policy as PolicyRow

_FROZENSET_FIELDS = {f.name for f in fields(Policy) if "frozenset" in str(f.type)}


def change_from_row(row: PolicyRow) -> PolicyChange:
    """The frozen value of one admin row; ValidationError naming the problem if it is not one."""
    params = dict(row.params or {})
    unknown = sorted(set(params) - PARAMETERS)
    if unknown:
        raise ValidationError(
            {"params": f"Unknown parameters: {', '.join(unknown)}. Known: {', '.join(sorted(PARAMETERS))}."}
        )
    for name in _FROZENSET_FIELDS & set(params):
        params[name] = frozenset(params[name])
    try:
        return PolicyChange(
            key=row.key, effective=row.effective, carriers=frozenset(row.carriers or ()), notice=row.notice,
            summary_zh=row.summary_zh, summary_en=row.summary_en, params=MappingProxyType(params),
        )  # fmt: skip
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def timeline() -> tuple[PolicyChange, ...]:
    """Every change in force anywhere: one query."""
    added = tuple(change_from_row(row) for row in PolicyRow.objects.filter(builtin=False))
    return BUILTIN_CHANGES + added


def current_policy(as_of=None, carrier=None) -> Policy:
    return policy_as_of(as_of, carrier, changes=timeline())


def expected_by(start, n: int):
    """The n-th working day after ``start`` on China's calendar, and whether that date is exact
    (the package or the admin's holiday table covers its year) or an estimate from weekends only."""
    rows = list(Holiday.objects.filter(day__gte=start))
    holidays = frozenset(r.day for r in rows if not r.is_workday)
    make_up = frozenset(r.day for r in rows if r.is_workday)
    day = workdays.add_working_days(start, n, extra_holidays=holidays, extra_workdays=make_up)
    table_years = frozenset(r.day.year for r in rows)
    exact = all(workdays.is_exact(year, table_years=table_years) for year in range(start.year, day.year + 1))
    return day, exact
