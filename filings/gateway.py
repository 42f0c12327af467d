"""How a batch reaches a carrier and how its results come back: a gateway. Carriers have no API today,
so the one gateway is the file (an XLSX or CSV the clerk hands over, and the same file returned with the
results). An automated channel replaces it by implementing the same two methods; the workflow does not
change, because a gateway never moves a filing: the services (filings/services.py) take what it
returns, check it against the table and record it.
"""

from dataclasses import dataclass
from typing import Protocol

from . import batches
from .batches import BadFile, ResultRow

__all__ = ["Artefact", "BadFile", "FileGateway", "Gateway", "ResultRow", "Sent"]


@dataclass(frozen=True)
class Artefact:
    """What leaves the platform for a batch: a file today (a channel's receipt tomorrow)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Sent:
    artefact: Artefact
    # The entities whose legal representative's full ID number the artefact carries: each is logged.
    revealed: tuple = ()


class Gateway(Protocol):
    def send(self, batch, *, full_id_numbers: bool) -> Sent:
        """Hand ``batch`` over (or make the file that does). Writes nothing to the database."""

    def results(self, source: bytes) -> list[ResultRow]:
        """The carrier's results, one row per filing it speaks of, as written; BadFile when they cannot
        be read as a whole."""


class FileGateway:
    """The batch as an XLSX workbook or a CSV file (UTF-8 with a byte-order mark), and its results read
    back from either, told apart by content."""

    def __init__(self, fmt: str = "xlsx"):
        if fmt not in batches.FORMATS:
            raise ValueError(f"unknown format {fmt!r}; known: {sorted(batches.FORMATS)}")
        self.fmt = fmt

    def send(self, batch, *, full_id_numbers: bool) -> Sent:
        made = batches.batch_rows(batch, full_id_numbers=full_id_numbers)
        content = batches.write_xlsx(batch, made.rows) if self.fmt == "xlsx" else batches.write_csv(made.rows)
        filename = f"carrier-batch-{batch.pk}-{batch.carrier}.{self.fmt}"
        return Sent(Artefact(filename, batches.FORMATS[self.fmt], content), made.revealed)

    def results(self, source: bytes) -> list[ResultRow]:
        return batches.read_results(source)
