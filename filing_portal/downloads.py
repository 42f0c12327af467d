"""The headers every file leaving the portal carries: documents, carrier batches, desk exports.

- ``X-Content-Type-Options: nosniff``: the browser takes the stored type, never guesses HTML in a file.
- ``Cache-Control: no-store, private``: people's data stays in no browser or proxy cache.
- ``Content-Disposition`` per RFC 6266, from Django's ``content_disposition_header``: a plain
  quoted ``filename`` for printable ASCII, the ``filename*=utf-8''…`` form for anything else (a
  Chinese name, or a quote, CR or LF, which are percent-encoded, so no header can be split).
"""

from django.utils.http import content_disposition_header


def file_headers(response, *, filename: str, attachment: bool = True):
    """``response`` with the file headers set; returned for chaining."""
    response["Content-Disposition"] = content_disposition_header(attachment, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response
