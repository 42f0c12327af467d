"""One way to page a customer list and filter it by state: Django's Paginator, `?status=` and `?page=`.

The state labels are the model's status choices (the translation catalogue's one label per state),
never a mapping of our own.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator

PAGE_SIZE = 25


@dataclass(frozen=True)
class Listing:
    page: Page
    status: str  # the state filtered on, or "" for all
    statuses: list[tuple[str, str]]  # (value, label) from the model's choices

    @property
    def filterable(self) -> bool:
        """The filter is offered once the list is long (more than a page), and kept while it is in use."""
        return bool(self.status) or self.page.paginator.count > PAGE_SIZE

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


def paginate(request, queryset, *, choices, field: str = "status") -> Listing:
    """A page of ``queryset`` (already ordered) filtered on ``field`` by ``?status=``, a value of
    ``choices``; an unknown state shows the whole list, a page out of range the nearest page."""
    status = request.GET.get("status", "")
    if status not in dict(choices):
        status = ""
    if status:
        queryset = queryset.filter(**{field: status})
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return Listing(page=page, status=status, statuses=list(choices))
