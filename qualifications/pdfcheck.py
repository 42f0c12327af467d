"""Judge a PDF in a child process with CPU, memory and wall-clock limits.

pypdf is pure Python: a crafted file (huge padded object streams, deep nesting) can keep it
busy for minutes or use gigabytes. The parent sends the bytes on stdin and reads one JSON
line back; if the child runs out of time or memory, the PDF is refused.

Run as ``python -m qualifications.pdfcheck MAX_PAGES`` (pure: no Django import here).
"""

import json
import sys
import zlib
from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

# Keys that run code, carry files or reach out: pypdf decodes #xx escapes in names.
DANGEROUS_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/RichMedia",
                            "/XFA", "/3DD", "/OnInstantiate"})  # fmt: skip
DANGEROUS_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToR", "/GoToE", "/URI",
                               "/Rendition", "/Movie", "/Sound", "/RichMediaExecute", "/ResetForm"})  # fmt: skip
MAX_OBJECTS = 100_000
# What one Flate stream may inflate to, at each layer of a filter chain: the 40-megapixel cap of
# images (uploads.py) in RGB. pypdf inflates nothing that it does not need to count pages, so a
# stream whose few kilobytes unpack to gigabytes (nested Flate) would pass to whoever opens the file.
MAX_INFLATED = 128 * 1024 * 1024
MAX_INFLATED_TOTAL = 4 * MAX_INFLATED
FLATE = frozenset({"/FlateDecode", "/Fl"})


class TooComplex(Exception):
    pass


def judge(data: bytes, max_pages: int) -> dict:
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            return {"code": "encrypted"}
        pages = len(reader.pages)
        if pages > max_pages:
            return {"code": "too_many_pages", "pages": pages}
        if pages == 0:
            return {"code": "damaged"}
        if _dangerous(reader.trailer):
            return {"code": "active_content"}
    except TooComplex:
        return {"code": "too_complex"}
    except RecursionError:
        return {"code": "damaged"}
    except Exception:  # pypdf raises many kinds on broken files; all mean the same to the customer
        return {"code": "damaged"}
    return {"code": "ok", "pages": pages}


def _resolve(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def _inflated(stream, budget: int) -> int:
    """How many bytes the stream's leading Flate filters unpack to, counted without keeping them;
    TooComplex past MAX_INFLATED at any layer or past ``budget`` in all."""
    filters = _resolve(stream.get("/Filter"))
    filters = [_resolve(f) for f in filters] if isinstance(filters, ArrayObject) else [filters]
    data, size = getattr(stream, "_data", b"") or b"", 0
    layers = 0
    while layers < len(filters) and filters[layers] in FLATE:
        layers += 1  # images (DCT, JPX, CCITT) and the rest after them: their decoders bound themselves
    for layer in range(layers):
        inflater, size = zlib.decompressobj(), 0
        kept = bytearray() if layer + 1 < layers else None  # only a layer that feeds another is kept
        try:
            while data and not inflater.eof:
                chunk = inflater.decompress(data, 1 << 20)
                data = inflater.unconsumed_tail
                size += len(chunk)
                if size > min(MAX_INFLATED, budget):
                    raise TooComplex
                if kept is not None:
                    kept += chunk
        except zlib.error:
            break  # a damaged stream: readers show what they can; it holds no more than its bytes
        data = bytes(kept or b"")
    return size


def _dangerous(root) -> bool:
    seen: set[int] = set()
    stack = [root]
    visited = 0
    budget = MAX_INFLATED_TOTAL
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            return True
        if isinstance(obj, StreamObject) and "/Filter" in obj:
            budget -= _inflated(obj, budget)
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in DANGEROUS_KEYS:
                    return True
                if key == "/S" and isinstance(_resolve(value), NameObject) and _resolve(value) in DANGEROUS_ACTIONS:
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


if __name__ == "__main__":
    sys.setrecursionlimit(2000)
    print(json.dumps(judge(sys.stdin.buffer.read(), int(sys.argv[1]))))
