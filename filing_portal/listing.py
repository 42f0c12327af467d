"""One way to page a customer list and filter it by state: Django's Paginator, `?status=` and `?page=`.

The state labels are the model's status choices (the translation catalogue's one label per state),
never a mapping of our own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property

from . import compiled

PAGE_SIZE = 25


@dataclass(frozen=True)
class Listing:
    page: Page
    status: str  # the state filtered on, or "" for all
    statuses: list[tuple[str, str]]  # (value, label) from the model's choices
    state_of: Callable = attrgetter("status")  # a row's state (rows may be instances or plain tuples)

    @property
    def filterable(self) -> bool:
        """The filter is offered while it is in use, and whenever the list has rows in more than one
        state: read from the page's own rows (no query: the view has read them), and assumed for a
        list longer than a page, whose other pages are not read."""
        if self.status or self.page.paginator.num_pages > 1:
            return True
        return len({self.state_of(row) for row in self.page}) > 1

    def query(self, page_number: int) -> str:
        """The query string of another page of the same list, the filter kept."""
        params = {"status": self.status} if self.status else {}
        return "?" + urlencode({**params, "page": page_number})

    @property
    def previous_query(self) -> str:
        return self.query(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_query(self) -> str:
        return self.query(self.page.next_page_number()) if self.page.has_next() else ""


def paginate(request, build, *args, choices, field: str = "status", state_of: Callable | None = None) -> Listing:
    """A page of ``build(*args)``, the list's ordered queryset, filtered on ``field`` by ``?status=``,
    a value of ``choices``; an unknown state shows the whole list, a page out of range the nearest
    page. ``build`` is a module-level function of ``args`` alone (ids): the page's query and its
    count are compiled once a process (filing_portal.compiled), as a list is opened again and again.
    ``state_of`` reads a row's state when the rows are not instances (values_list: the column's index)."""
    status = request.GET.get("status", "")
    if status not in dict(choices):
        status = ""
    page = _CompiledPaginator(_filtered, (build, field, status, *args), PAGE_SIZE).get_page(request.GET.get("page"))
    return Listing(page=page, status=status, statuses=list(choices), state_of=state_of or attrgetter(field))


def _filtered(build, field, status, *args):
    queryset = build(*args)
    return queryset.filter(**{field: status}) if status else queryset


class _CompiledPaginator(Paginator):
    """Django's Paginator over ``build(*args)``, the count and each page's rows read through
    filing_portal.compiled."""

    def __init__(self, build, args, per_page):
        super().__init__((), per_page)
        self._build, self._args = build, args

    @cached_property
    def count(self) -> int:
        return compiled.count(self._build, *self._args)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        return self._get_page(compiled.rows(self._build, *self._args, window=(bottom, top)), number, self)
