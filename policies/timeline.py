"""The Django side of the policy timeline: the built-in changes from compliance, plus the
later ones policy admins add in the admin (Policy rows not marked built-in)."""

from dataclasses import fields
from types import MappingProxyType

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

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


# The admin's policy rows and holiday table, as plain values in the shared cache (settings.CACHES):
# most pages and both live checks read them, and staff change them a few times a year. An admin's
# save or delete forgets them (signals below), at once and again once its transaction commits, so a
# request that read the old rows meanwhile cannot leave them cached; the timeout bounds any change
# made around the models (a raw UPDATE, a restored backup).
TIMELINE_KEY, HOLIDAYS_KEY = "signatures.policy-rows.v1", "signatures.holidays.v1"
CACHE_SECONDS = 300
_POLICY_FIELDS = ("key", "effective", "carriers", "notice", "summary_zh", "summary_en", "params")


def forget_cached() -> None:
    """Drop the cached policy rows and holidays, now and once the current transaction commits."""
    cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY])
    transaction.on_commit(lambda: cache.delete_many([TIMELINE_KEY, HOLIDAYS_KEY]))


def timeline() -> tuple[PolicyChange, ...]:
    """Every change in force anywhere: the built-in ones and the admin's (from the cache, else one query)."""
    rows = cache.get(TIMELINE_KEY)
    if rows is None:
        rows = list(PolicyRow.objects.filter(builtin=False).values(*_POLICY_FIELDS))
        cache.set(TIMELINE_KEY, rows, CACHE_SECONDS)
    return BUILTIN_CHANGES + tuple(change_from_row(PolicyRow(**row)) for row in rows)


def current_policy(as_of=None, carrier=None) -> Policy:
    return policy_as_of(as_of, carrier, changes=timeline())


def holiday_table() -> list:
    """The admin's holidays and make-up days, (day, is_workday), from the shared cache (else one query)."""
    table = cache.get(HOLIDAYS_KEY)
    if table is None:
        table = list(Holiday.objects.values_list("day", "is_workday"))
        cache.set(HOLIDAYS_KEY, table, CACHE_SECONDS)
    return table


def expected_by(start, n: int, *, table=None):
    """The n-th working day after ``start`` on China's calendar, and whether that date is exact
    (the package or the admin's holiday table covers its year) or an estimate from weekends only.
    ``table``: holiday_table(), when the caller computes many dates at once (read once)."""
    table = holiday_table() if table is None else table
    rows = [(day, is_workday) for day, is_workday in table if day >= start]
    holidays = frozenset(d for d, is_workday in rows if not is_workday)
    make_up = frozenset(d for d, is_workday in rows if is_workday)
    day = workdays.add_working_days(start, n, extra_holidays=holidays, extra_workdays=make_up)
    table_years = frozenset(d.year for d, _is_workday in rows)
    exact = all(workdays.is_exact(year, table_years=table_years) for year in range(start.year, day.year + 1))
    return day, exact


def working_days_between(start, end, *, table=None) -> int:
    """Working days from ``start`` to ``end`` on China's calendar with the admin's holiday table
    (compliance.workdays.working_days_between): a filing's lead time, submitted to filed."""
    table = holiday_table() if table is None else table
    rows = [(day, is_workday) for day, is_workday in table if start <= day <= end]
    holidays = frozenset(d for d, is_workday in rows if not is_workday)
    make_up = frozenset(d for d, is_workday in rows if is_workday)
    return workdays.working_days_between(start, end, extra_holidays=holidays, extra_workdays=make_up)


def working_days_counter(start, end, *, table=None):
    """A function (a, b) → working_days_between(a, b) for days from ``start`` to ``end``, each day looked
    up once (compliance.workdays.working_days_counted): many filings' lead times at once."""
    table = holiday_table() if table is None else table
    rows = [(day, is_workday) for day, is_workday in table if start <= day <= end]
    holidays = frozenset(d for d, is_workday in rows if not is_workday)
    make_up = frozenset(d for d, is_workday in rows if is_workday)
    counted = workdays.working_days_counted(start, end, extra_holidays=holidays, extra_workdays=make_up)

    def between(a, b):
        return max(0, counted[b] - counted[a])

    return between


def ensure_builtin_rows() -> int:
    """The built-in timeline's rows, written again where they are missing (migration signatures/0002
    writes them; a flushed test database or a partial restore lacks them, and an announcement of a
    built-in change needs its row). How many were written."""
    written = 0
    for change in BUILTIN_CHANGES:
        params = {
            name: sorted(value) if isinstance(value, frozenset) else value for name, value in change.params.items()
        }
        _row, created = PolicyRow.objects.get_or_create(
            key=change.key,
            defaults={"effective": change.effective, "carriers": sorted(change.carriers), "notice": change.notice,
                      "summary_zh": change.summary_zh, "summary_en": change.summary_en, "params": params,
                      "builtin": True},
        )  # fmt: skip
        written += created
    return written
