"""Uploads under attack, through the real upload paths: the site's upload view and the API's multipart
document upload. Each attack is refused with a message in the user's language (Chinese here) that names
the field (the document on the page, ``file`` in the API) and the reason, and nothing is stored: files
under the private storage root and Document rows are counted before and after.

Proved elsewhere and not repeated here (tests/test_qualifications.py::test_bad_files_are_refused_and_
nothing_is_stored): an executable, HTML or SVG under an image name, ZIP polyglots, OpenAction JavaScript,
Launch, attachments, encryption, too many pages, truncated images, animated images, many-scan JPEGs.
"""

import functools
import re
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject, TextStringObject

from compliance import qualification as rules
from qualifications import services
from qualifications.models import Document
from qualifications.pdfcheck import MAX_INFLATED

from .. import files
from ..api_helpers import for_member
from ..factories import make_entity
from ..test_qualifications import ID_A, USCC_A, private_files

pytestmark = pytest.mark.django_db

CERTIFICATE = rules.ENTITY_CERTIFICATE
BOUNDARY = "----attack-boundary"


@pytest.fixture
def entity(org_a, owner_a):
    entity = make_entity(organization=org_a, name="甲科技有限公司", uscc=USCC_A, legal_rep_name="张三",
                         legal_rep_id_number=ID_A, created_by=owner_a)  # fmt: skip
    services.consent_grant(entity=entity, user=owner_a)
    return entity


@pytest.fixture
def site(client, owner_a):
    client.force_login(owner_a)
    return client


@pytest.fixture
def api(owner_a):
    return for_member(owner_a.memberships.get())  # Chinese, as the helper's default


def zh(message: str, **values) -> str:
    """The Chinese a refusal must read as: the catalogue's translation, which must exist."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    assert text != message and re.search(r"[\u4e00-\u9fff]", text), f"no Chinese for {message!r}"
    return text % values if values else text


def stored() -> tuple:
    return Document.objects.count(), private_files()


def multipart(fields: dict, file_field: str, filename: str, data: bytes) -> bytes:
    """A multipart body written by hand: the file name in RFC 2231 form (filename*), so that any character
    (NUL, CR, LF, U+202E) reaches the server as the attacker chose it."""
    from urllib.parse import quote

    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; "
            f"filename*=UTF-8''{quote(filename, safe='')}\r\nContent-Type: image/jpeg\r\n\r\n")  # fmt: skip
    return b"".join(parts) + head.encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def site_post(client, entity, body: bytes, **extra):
    url = reverse("org:document-upload", args=[entity.organization_id, entity.pk])
    extra = {"HTTP_ACCEPT_LANGUAGE": "zh-hans", **extra}
    return client.generic("POST", url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}", **extra)


def site_upload(client, entity, data: bytes, name="upload.jpg", kind=CERTIFICATE):
    return site_post(client, entity, multipart({"kind": kind}, "file", name, data))


def api_upload(api, entity, data: bytes, name="upload.jpg", kind=CERTIFICATE):
    return api_post(api, entity, multipart({"kind": kind}, "file", name, data))


def api_post(api, entity, body: bytes):
    url = f"/api/v1/entities/{entity.pk}/documents/"
    return api.client.generic("POST", url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}",
                              headers=api.headers)  # fmt: skip


def refusal(response) -> str:
    """The refusal as the entity page shows it: the document's name, then the reason."""
    assert response.status_code == 400, response.status_code
    found = re.search(r'data-testid="upload-errors">(.*?)</div>', response.content.decode(), re.S)
    assert found, "no refusal shown"
    return found.group(1)


def certificate_name(entity) -> str:
    return next(i.name_zh for i in services.entity_checklist(entity=entity) if i.kind == CERTIFICATE)


def api_refusal(response, code: str) -> str:
    assert response.status_code == 400, response.content
    data = response.json()
    assert [(e["field"], e["code"]) for e in data["errors"]] == [("file", code)]
    return data["errors"][0]["message"]


# --- content that lies about its type ----------------------------------------------------------------------------

PNG_THEN_HTML = b"\x89PNG\r\n\x1a\n" + files.HTML  # the right magic, then a page a browser would run
JPEG_THEN_HTML = b"\xff\xd8\xff\xe0" + files.HTML
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
DAMAGED = "The image is damaged or incomplete. Please upload it again."
NOT_ACCEPTED = "Only JPEG, PNG or WebP images or PDF files are accepted; this file is none of them."


@pytest.mark.parametrize(
    ("name", "data", "message", "code"),
    [
        ("licence.png", PNG_THEN_HTML, DAMAGED, "damaged"),
        ("licence.jpg", JPEG_THEN_HTML, DAMAGED, "damaged"),
        ("licence.svg", SVG_SCRIPT, NOT_ACCEPTED, "type"),
        ("licence.jpg", SVG_SCRIPT, NOT_ACCEPTED, "type"),
        ("licence.jpg", files.EXECUTABLE, NOT_ACCEPTED, "type"),
    ],
    ids=["png-magic-then-html", "jpeg-magic-then-html", "svg-script", "svg-as-jpg", "exe-as-jpg"],
)
def test_content_that_lies_about_its_type_is_refused_naming_the_document_in_chinese(
    site, api, entity, name, data, message, code
):
    before = stored()
    shown = refusal(site_upload(site, entity, data, name))
    assert shown.startswith(certificate_name(entity) + ":") and zh(message) in shown
    assert message not in shown  # Chinese, not the English
    assert api_refusal(api_upload(api, entity, data, name), code) == zh(message)
    assert stored() == before


# --- trailing bytes -----------------------------------------------------------------------------------------------

TRAILER = b"<script>alert(document.domain)</script><?php system($_GET['c']); ?>"


def test_a_jpeg_with_a_script_after_its_end_is_accepted_and_stored_and_served_without_it(site, api, entity):
    raw = files.jpeg(640, 400) + TRAILER
    assert raw.endswith(TRAILER)
    assert site_upload(site, entity, raw, "licence.jpg").status_code == 302
    document = Document.objects.get()
    with document.file.open("rb") as handle:
        kept = handle.read()
    served = b"".join(site.get(reverse("document-file", args=[document.pk, "file"])).streaming_content)
    assert served == kept
    for data in (kept, served):
        assert b"<script" not in data and b"<?php" not in data and data.endswith(b"\xff\xd9")
    # The API's upload takes the same path: its stored copy ends at the image's end too.
    assert api_upload(api, entity, raw, "licence.jpg").status_code == 201
    with Document.objects.get(is_current=True).file.open("rb") as handle:
        assert TRAILER not in handle.read()


# --- decompression bombs ------------------------------------------------------------------------------------------


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims its size and holds no pixels at all: decoding it could only fail as damaged, so a
    refusal for its pixel count proves the check came from the header, before any decoding."""
    import struct

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + files._chunk(b"IHDR", ihdr) + files._chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header_before_decoding(site, api, entity):
    before = stored()
    limit = {"max": settings.UPLOAD_MAX_PIXELS // 1_000_000}
    shown = refusal(site_upload(site, entity, png_header_only(50_000, 50_000), "scan.png"))
    big = zh("The image has far too many pixels; at most %(max)s megapixels are accepted.", **limit)
    assert shown.startswith(certificate_name(entity)) and big in shown  # past Pillow's own guard
    message = "The image is %(w)s × %(h)s pixels; at most %(max)s megapixels are accepted."
    shown = refusal(site_upload(site, entity, png_header_only(8000, 8000), "scan.png"))
    assert zh(message, w=8000, h=8000, **limit) in shown  # under Pillow's guard, over ours
    assert api_refusal(api_upload(api, entity, png_header_only(8000, 8000), "scan.png"), "too_many_pixels") == zh(
        message, w=8000, h=8000, **limit
    )
    # The control: the same pixel-less file, small, gets as far as decoding and fails there.
    assert zh(DAMAGED) in refusal(site_upload(site, entity, png_header_only(100, 100), "small.png"))
    assert stored() == before


# --- bodies too big, too many parts -------------------------------------------------------------------------------


class Body:
    """A request body that counts what the server reads of it, and looks into the upload temp dir as it goes."""

    def __init__(self, data: bytes, temp_dir: Path):
        self.stream, self.read_bytes, self.temp_dir, self.seen = BytesIO(data), 0, temp_dir, set()

    def read(self, size=-1):
        chunk = self.stream.read(size)
        self.read_bytes += len(chunk)
        self.seen |= {p.name for p in self.temp_dir.iterdir()}
        return chunk

    def readline(self, size=-1):
        return self.read(size)


def streamed(stream: Body, body: bytes) -> dict:
    """The WSGI environ of a request whose body is ``stream`` (the test client's own is bypassed)."""
    return {"wsgi.input": stream, "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}"}  # fmt: skip


@pytest.fixture
def small_limits(settings, tmp_path):
    """1 MB per file; files over 64 kB spooled to a temporary file in a directory of the test's own."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_an_oversized_body_is_refused_before_it_is_read_whole_and_leaves_no_temporary_file(site, entity, small_limits):
    before = stored()
    body = multipart({"kind": CERTIFICATE}, "file", "huge.jpg", files.jpeg() + b"\x00" * (6 * 1024 * 1024))
    stream = Body(body, small_limits)
    response = site_post(site, entity, b"", **streamed(stream, body))
    shown = refusal(response)
    assert shown.startswith(certificate_name(entity))
    size = f"{len(body) / 1048576:.1f}"
    assert zh("The file is %(size)s MB; at most %(limit)s MB is accepted.", size=size, limit="1") in shown
    assert stream.read_bytes < 2 * 1024 * 1024 < len(body)  # stopped soon after the 1 MB cap, not at 6 MB
    assert any(name.endswith(".upload.jpg") for name in stream.seen)  # the spool was really in this directory
    assert list(small_limits.iterdir()) == []  # and it is gone
    assert stored() == before


def test_a_file_just_over_the_cap_is_cut_short_in_the_api_too_and_a_larger_body_is_not_read_at_all(
    api, entity, small_limits
):
    before = stored()
    url = f"/api/v1/entities/{entity.pk}/documents/"
    # Within the body limit the API allows (file + envelope): the upload handler stops at the cap.
    body = multipart({"kind": CERTIFICATE}, "file", "big.jpg", files.jpeg() + b"\x00" * (1024 * 1024))
    stream = Body(body, small_limits)
    response = api.client.generic("POST", url, b"", headers=api.headers, **streamed(stream, body))
    message = "The file is %(size)s MB; at most %(limit)s MB is accepted."
    assert api_refusal(response, "too_large") == zh(message, size=f"{len(body) / 1048576:.1f}", limit="1")
    assert any(name.endswith(".upload.jpg") for name in stream.seen) and list(small_limits.iterdir()) == []
    # Far over: refused from its Content-Length, before a byte of the body is read.
    body = multipart({"kind": CERTIFICATE}, "file", "huge.jpg", b"\x00" * (6 * 1024 * 1024))
    stream = Body(body, small_limits)
    response = api.client.generic("POST", url, b"", headers=api.headers, **streamed(stream, body))
    assert response.status_code == 413 and response.json()["code"] == "payload-too-large"
    assert stream.read_bytes == 0
    assert list(small_limits.iterdir()) == [] and stored() == before


def many_files(count: int) -> bytes:
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{CERTIFICATE}\r\n'.encode()]
    for n in range(count):
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{n}.jpg"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + files.jpeg(20, 20) + b"\r\n")  # fmt: skip
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def many_fields(count: int) -> bytes:
    return b"".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n'.encode()
                    for n in range(count)) + f"--{BOUNDARY}--\r\n".encode()  # fmt: skip


def test_too_many_parts_get_a_page_that_says_so_in_chinese_not_a_bare_400(site, api, entity, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    before = stored()
    for body, message, limit in (
        (many_files(5), "The form sent more than %(max)s files at once; send fewer files.", 3),
        (many_fields(30), "The form sent more than %(max)s fields at once; reload the page and send it again.", 10),
    ):
        response = site_post(site, entity, body)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Bad Request" not in html and "<html" in html
        assert f'data-testid="bad-request">{zh(message, max=limit)}<' in html
    # The API: a problem (JSON), in Chinese, never a page.
    response = api_post(api, entity, many_files(5))
    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == zh("The request has more than %(max)s files.", max=3)
    assert stored() == before


# --- hostile PDFs -------------------------------------------------------------------------------------------------


def _pdf(build) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    build(writer, page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_document_javascript() -> bytes:
    """JavaScript in the document's name tree, run when the file opens (no OpenAction)."""

    def build(writer, page):
        script = TextStringObject("app.launchURL('https://x.example/');")
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): script})
        tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("open"),
                                                                    writer._add_object(action)])})  # fmt: skip
        names = DictionaryObject({NameObject("/JavaScript"): writer._add_object(tree)})
        writer._root_object[NameObject("/Names")] = writer._add_object(names)

    return _pdf(build)


def pdf_link_with_escaped_javascript() -> bytes:
    """A link annotation whose action is /J#61vaScript: JavaScript, hidden from a byte scan."""

    def build(writer, page):
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject("app.alert(1)")})  # fmt: skip
        annotation = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"):
                                       NameObject("/Link"), NameObject("/A"): writer._add_object(action),
                                       NameObject("/Rect"): ArrayObject([])})  # fmt: skip
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf(build).replace(b"/S /JavaScript", b"/S /J#61vaScript").replace(b"/JS ", b"/J#53 ")


def zeros_deflated(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros as one zlib stream, made in milliseconds: one full-flushed 1 MB block,
    repeated (a full flush makes each block stand alone), and the checksum of all the zeros."""
    deflater = zlib.compressobj(9)
    block = deflater.compress(b"\x00" * 1048576) + deflater.flush(zlib.Z_FULL_FLUSH)
    header, block = block[:2], block[2:]
    length = megabytes * 1048576
    adler = ((length % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b adds 1 per byte
    return header + block * megabytes + b"\x03\x00" + adler.to_bytes(4, "big")


@functools.cache
def pdf_nested_flate_bomb() -> bytes:
    """A page whose content is 512 MB of zeros deflated three times over: under a kilobyte in the file."""
    inner = zeros_deflated(512)
    outer = zlib.compress(zlib.compress(inner, 9), 9)

    def build(writer, page):
        stream = StreamObject()
        stream._data = outer
        stream[NameObject("/Filter")] = ArrayObject([NameObject("/FlateDecode")] * 3)
        page[NameObject("/Contents")] = writer._add_object(stream)

    return _pdf(build)


ACTIVE = "The PDF contains scripts, launch actions, links or attached files, which are not accepted."
TOO_COMPLEX = "The PDF is too complex to check. Please export or print it to PDF again."


def test_the_bomb_really_is_one():
    data = pdf_nested_flate_bomb()
    layer = zlib.decompress(zlib.decompress(re.search(rb"stream\r?\n(.*)\r?\nendstream", data, re.S).group(1)))
    inflater, size = zlib.decompressobj(), 0
    while layer and size <= MAX_INFLATED:  # counted, never kept: past the cap is enough
        size += len(inflater.decompress(layer, 1 << 20))
        layer = inflater.unconsumed_tail
    assert len(data) < 4096 and size > MAX_INFLATED


@pytest.mark.parametrize(
    ("make", "message", "code"),
    [
        (pdf_document_javascript, ACTIVE, "active_content"),
        (pdf_link_with_escaped_javascript, ACTIVE, "active_content"),
        (pdf_nested_flate_bomb, TOO_COMPLEX, "too_complex"),
    ],
    ids=["document-javascript", "escaped-javascript-link", "nested-flate-bomb"],
)
def test_a_hostile_pdf_is_refused_naming_the_document_and_nothing_is_stored(site, api, entity, make, message, code):
    data = make()
    before = stored()
    shown = refusal(site_upload(site, entity, data, "licence.pdf"))
    assert shown.startswith(certificate_name(entity)) and zh(message) in shown
    assert api_refusal(api_upload(api, entity, data, "licence.pdf"), code) == zh(message)
    assert stored() == before


def test_a_plain_pdf_with_a_large_but_honest_stream_is_accepted(site, entity):
    """The control for the bomb: a page whose content inflates to 8 MB (a big scan) passes."""

    def build(writer, page):
        stream = StreamObject()
        stream._data = zeros_deflated(8)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        page[NameObject("/Contents")] = writer._add_object(stream)

    assert site_upload(site, entity, _pdf(build), "scan.pdf").status_code == 302


# --- hostile file names -------------------------------------------------------------------------------------------

HOSTILE_NAMES = {
    "traversal": "../../../../etc/cron.d/evil.jpg",
    "backslashes": "..\\..\\windows\\system32\\evil.jpg",
    "nul": "licence.jpg\x00.html",
    "crlf": 'licence\r\nX-Injected: 1\r\nSet-Cookie: a=b".jpg',
    "rlo": "licence\u202egpj.exe",
}
NEVER = ("\x00", "\r", "\n", "\u202e", "/", "\\", "..")


@pytest.mark.parametrize("hostile", list(HOSTILE_NAMES), ids=list(HOSTILE_NAMES))
def test_a_hostile_file_name_is_stored_under_a_generated_name_and_never_echoed_raw(site, api, entity, hostile):
    name = HOSTILE_NAMES[hostile]
    assert site_upload(site, entity, files.jpeg(), name).status_code == 302
    document = Document.objects.get()
    assert re.fullmatch(r"documents/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", document.file.name)
    assert Path(document.file.path).resolve().is_relative_to(Path(settings.PRIVATE_STORAGE_ROOT).resolve())
    assert not any(bad in document.original_filename for bad in NEVER)
    served = site.get(reverse("document-file", args=[document.pk, "file"]))
    headers = "\n".join(f"{k}: {v}" for k, v in served.items())
    assert "X-Injected" not in headers and "Set-Cookie" not in headers and "evil" not in headers
    assert re.fullmatch(r'inline; filename="entity_certificate-[0-9a-f]{8}\.jpg"', served["Content-Disposition"])
    page = site.get(reverse("org:entity-detail", args=[entity.organization_id, entity.pk])).content.decode()
    # The API takes the same path; the name it echoes back (JSON) is the cleaned label.
    created = api_upload(api, entity, files.jpeg(), name)
    assert created.status_code == 201
    listed = api.get(f"/api/v1/entities/{entity.pk}/documents/").content.decode("utf-8")
    for text in (page, created.content.decode("utf-8"), listed):
        assert not any(bad in text for bad in ("\x00", "\u202e", "\\u202e", "\r\nX-Injected", "\\r\\n", "../"))
