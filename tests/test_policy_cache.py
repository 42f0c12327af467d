"""The policy rows and holiday table that most pages read come from the shared cache, and a change
by staff is seen by the next request (policies/timeline.py)."""

import datetime as dt

import pytest
from django.core.cache import cache

from compliance import BUILTIN_CHANGES
from policies.models import Holiday
from policies.models import Policy as PolicyRow
from policies.timeline import HOLIDAYS_KEY, TIMELINE_KEY, expected_by, timeline

pytestmark = pytest.mark.django_db


def _row(key="later-limit", **params):
    return PolicyRow.objects.create(
        key=key, effective=dt.date(2027, 1, 1), carriers=["telecom"], notice="2026.12.1",
        summary_zh="测试", summary_en="test", params=params or {"template_variable_length": 12},
    )  # fmt: skip


def test_the_timeline_is_read_once_then_from_the_cache(django_assert_num_queries):
    _row()
    with django_assert_num_queries(1):
        first = timeline()
    with django_assert_num_queries(0):
        second = timeline()
    assert first == second and [c.key for c in first[len(BUILTIN_CHANGES) :]] == ["later-limit"]


def test_a_row_saved_or_deleted_by_staff_is_seen_at_once():
    assert timeline() == BUILTIN_CHANGES  # cached: no admin row yet
    row = _row()
    assert timeline()[-1].key == "later-limit"
    row.summary_en = "changed"
    row.save()
    assert timeline()[-1].summary_en == "changed"
    row.delete()
    assert timeline() == BUILTIN_CHANGES


def test_a_stale_read_during_the_save_s_transaction_is_forgotten_when_it_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _row()
        # Another request read the rows before this transaction committed, and cached them.
        cache.set(TIMELINE_KEY, [])
    assert timeline()[-1].key == "later-limit"


def test_the_holiday_table_is_cached_and_forgotten_on_change(django_assert_num_queries):
    start = dt.date(2031, 3, 3)  # a Monday, past the calendar package's years
    with django_assert_num_queries(1):
        before, _exact = expected_by(start, 1)
    with django_assert_num_queries(0):
        assert expected_by(start, 1)[0] == before == dt.date(2031, 3, 4)
    Holiday.objects.create(day=dt.date(2031, 3, 4), name="测试假日")
    assert cache.get(HOLIDAYS_KEY) is None
    assert expected_by(start, 1)[0] == dt.date(2031, 3, 5)
