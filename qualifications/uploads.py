"""The upload path: judge a file by its content, re-encode it clean, watermark ID images.

Nothing here touches storage or the database: a file is refused (``UploadRejected``, with a
code and a message in the active language) before anything is written.

- The type is sniffed from the bytes, never taken from the name or the browser.
- Images: the pixel count is checked from the header before any pixel is decoded
  (decompression bombs), then ``verify()``; animated or multi-frame images are refused;
  EXIF orientation is applied, then every piece of metadata is dropped (``_bare``) and the
  pixels re-encoded: no EXIF (GPS included), XMP, ICC profile, Photoshop/IPTC, comment, text
  chunk or trailing bytes reaches storage. Images that also carry a ZIP archive (polyglots)
  are refused.
- PDFs (licences and letters only): parsed with pypdf; refused when encrypted, over the
  page cap, or carrying JavaScript, launch actions or embedded files.
"""

import hashlib
import json
import math
import resource
import secrets
import subprocess
import sys
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
# MPO is how Pillow opens a JPEG that carries a second picture (HDR gain maps of recent phones).
PIL_FORMATS = {"JPEG": JPEG, "MPO": JPEG, "PNG": PNG, "WEBP": WEBP}
ZIP_MARKERS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x01\x02")
PDF_CHECK_SECONDS = 10
PDF_CHECK_MEMORY = 512 * 1024 * 1024
# A progressive JPEG has about ten scans; thousands of tiny ones make decoding take minutes.
JPEG_MAX_SCANS = 100
SHOWN_MAX_SIDE = 2400  # longest side of the watermarked copy of an ID image


class UploadRejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Processed:
    content_type: str
    data: bytes  # what is stored and shown: clean, and watermarked for ID images
    original: bytes | None  # ID images only: the clean image without the watermark (to be encrypted)
    width: int | None
    height: int | None
    pages: int | None
    sha256: str  # of the bytes as uploaded

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


class CappedUploadHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a file past UPLOAD_MAX_BYTES stops the reading of the request.

    Django would otherwise spool the whole body to a temporary file (50 MB, 500 MB) before any
    view could look at its size. Past the cap, the part of the file already received is dropped
    (the parser closes, so deletes, the temporary file) and the rest of the body is never read;
    the fields before the file (the CSRF token, the kind) stay. ``received_files`` then hands the
    form a stand-in that process_upload refuses as too large, naming the field.
    """

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            self.request.upload_cut_short = (self.field_name, self.file_name or "")
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) holds the file


class TooLarge(SimpleUploadedFile):
    """Where a file cut short by CappedUploadHandler was: no content, the request's size as its size."""

    def __init__(self, name: str, size: int):
        super().__init__(safe_filename(name) or "upload", b"")
        self.size = size


def received_files(request):
    """The request's files, with a ``TooLarge`` stand-in for one that was cut short while reading."""
    files = request.FILES
    cut = getattr(request, "upload_cut_short", None)
    if cut is None:
        return files
    field, name = cut
    files = files.copy()
    files[field] = TooLarge(name, _cut_size(request))
    return files


def cut_short(request) -> "UploadRejected | None":
    """The refusal of a file cut short while reading the request (the API's form of ``received_files``)."""
    if getattr(request, "upload_cut_short", None) is None:
        return None
    return _too_large(_cut_size(request))


def _cut_size(request) -> int:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return max(length, settings.UPLOAD_MAX_BYTES + 1)  # the body's size: the file is a little less


def _too_large(size: int) -> "UploadRejected":
    limit = settings.UPLOAD_MAX_BYTES
    return UploadRejected(
        "too_large",
        _("The file is %(size)s MB; at most %(limit)s MB is accepted.")
        % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
    )


def safe_filename(name: str) -> str:
    """An uploaded file's name as it may be kept and shown: no folders, no control or format
    characters (NUL, CR, LF, the right-to-left override U+202E that makes "gpj.exe" read "exe.jpg").
    Files are stored under generated names; this one is only a label."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and unicodedata.category(c) not in ("Zl", "Zp"))
    name = name.strip()
    return "" if name in ("", ".", "..") else name[:200]


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def process_upload(upload, *, allowed: frozenset[str], watermark_text: str | None = None) -> Processed:
    """Judge and clean one uploaded file. ``watermark_text`` marks an ID image."""
    size = getattr(upload, "size", None)
    limit = settings.UPLOAD_MAX_BYTES
    if size is not None and size > limit:
        raise _too_large(size)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected("too_large", _("The file is larger than %(limit)s MB.") % {"limit": limit // 1048576})
    if not data:
        raise UploadRejected("empty", _("The file is empty."))
    content_type = sniff(data[:16])
    if content_type is None or content_type not in allowed:
        raise UploadRejected("type", _accepted_message(allowed))
    digest = hashlib.sha256(data).hexdigest()
    # An archive inside or appended (a polyglot). In a PDF, compressed streams may hold any bytes,
    # so only a ZIP's end record near the end of the file counts there.
    if content_type == PDF:
        carries_zip = b"PK\x05\x06" in data[-65_557:]
    else:
        carries_zip = any(marker in data for marker in ZIP_MARKERS)
    if carries_zip:
        raise UploadRejected("polyglot", _("The file also carries an archive (a ZIP file) and cannot be accepted."))
    if content_type == PDF:
        pages = _check_pdf(data)
        return Processed(PDF, data, None, None, None, pages, digest)
    if content_type == JPEG and data.count(b"\xff\xda") > JPEG_MAX_SCANS:
        raise UploadRejected("damaged", _("The image is damaged or incomplete. Please upload it again."))
    image = _open_image(data, content_type)
    clean = _encode(image, content_type)
    if watermark_text is None:
        return Processed(content_type, clean, None, image.width, image.height, None, digest)
    shown = image
    if max(image.size) > SHOWN_MAX_SIDE:
        # The stamped copy is what customers and carriers get: 2400 px is ample to read a card,
        # and keeps it small to serve; the full-size original stays encrypted for reviewers.
        # An integer box reduction: a tenth of the cost of a resampling resize on a 12 MP photo.
        shown = image.reduce(math.ceil(max(image.size) / SHOWN_MAX_SIDE))
    marked = _encode(watermark(shown, watermark_text), JPEG)  # after `clean`: may stamp `image` in place
    return Processed(JPEG, marked, clean, image.width, image.height, None, digest)


def _accepted_message(allowed):
    if PDF in allowed:
        return _("Only JPEG, PNG or WebP images or PDF files are accepted; this file is none of them.")
    return _("Only JPEG, PNG or WebP images are accepted here; this file is none of them.")


def _open_image(data: bytes, content_type: str) -> Image.Image:
    damaged = _("The image is damaged or incomplete. Please upload it again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:  # reads the header only
                if PIL_FORMATS.get(probe.format) != content_type:
                    raise UploadRejected("type", damaged)
                width, height = probe.size
                if width * height > settings.UPLOAD_MAX_PIXELS:
                    raise UploadRejected(
                        "too_many_pixels",
                        _("The image is %(w)s × %(h)s pixels; at most %(max)s megapixels are accepted.")
                        % {"w": width, "h": height, "max": settings.UPLOAD_MAX_PIXELS // 1_000_000},
                    )
                is_mpo = probe.format == "MPO"  # its first frame is the photo; the rest is dropped by re-encoding
                if not is_mpo and (getattr(probe, "n_frames", 1) > 1 or getattr(probe, "is_animated", False)):
                    raise UploadRejected("animated", _("Animated or multi-page images are not accepted."))
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                image.load()
                image = _bare(ImageOps.exif_transpose(image))
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired while reading the header: far beyond our cap.
        raise UploadRejected(
            "too_many_pixels",
            _("The image has far too many pixels; at most %(max)s megapixels are accepted.")
            % {"max": settings.UPLOAD_MAX_PIXELS // 1_000_000},
        ) from None
    except Exception:
        # Pillow's decoders raise many kinds on crafted input (UnidentifiedImageError, OSError, SyntaxError,
        # and IndexError on a PNG with no pixel data at all): to the customer each is a damaged image.
        raise UploadRejected("damaged", damaged) from None
    return image


def _bare(image: Image.Image) -> Image.Image:
    """The same pixels with nothing else: Pillow writes some of what it read back by default
    (a JPEG's comment, a PNG's ICC profile), so all of ``info`` goes but a palette's transparency.

    A colour profile is dropped rather than applied: parsing untrusted profiles is more attack
    surface, and a wide-gamut photo shown as sRGB is only a little duller, as legible as before.
    """
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    return image


def _encode(image: Image.Image, content_type: str) -> bytes:
    """Re-encode with no metadata at all: no EXIF, GPS, XMP, comments or text chunks."""
    out = BytesIO()
    if content_type == JPEG:
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=88)
    elif content_type == PNG:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=False)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        image.save(out, "WEBP", quality=88)
    return out.getvalue()


def metadata_found(data: bytes) -> list[str]:
    """What an image carries besides its pixels (JPEG segments, PNG or WebP chunks), by name.

    Used to find the files an earlier version stored with metadata (``strip_image_metadata``);
    what ``_encode`` writes has none.
    """
    kind = sniff(data[:16])
    found = []
    if kind == JPEG:
        position = 2
        while position + 4 <= len(data) and data[position] == 0xFF and data[position + 1] != 0xDA:
            marker, length = data[position + 1], int.from_bytes(data[position + 2 : position + 4], "big")
            body = data[position + 4 : position + 2 + length]
            if 0xE0 <= marker <= 0xEF and not (marker == 0xE0 and body.startswith(b"JFIF\x00") and length == 16):
                found.append(f"APP{marker - 0xE0}")
            elif marker == 0xFE:
                found.append("COM")
            position += 2 + length
        if not data.endswith(b"\xff\xd9"):
            found.append("trailing bytes")
    elif kind == PNG:
        position = 8
        while position + 8 <= len(data):
            length, chunk = int.from_bytes(data[position : position + 4], "big"), data[position + 4 : position + 8]
            if chunk not in (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"):
                found.append(chunk.decode("latin-1"))
            position += 12 + length
            if chunk == b"IEND":
                break
        if position != len(data):
            found.append("trailing bytes")
    elif kind == WEBP:
        position = 12
        while position + 8 <= len(data):
            chunk, length = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "little")
            if chunk not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH"):
                found.append(chunk.decode("latin-1").strip())
            position += 8 + length + (length % 2)
    return found


def reencode(data: bytes) -> bytes:
    """An already accepted image encoded again with no metadata, in its own format."""
    with Image.open(BytesIO(data)) as image:
        image.load()
        return _encode(_bare(image), PIL_FORMATS[image.format])


@lru_cache(maxsize=8)
def cjk_font(size: int):
    candidates = [settings.WATERMARK_FONT] if settings.WATERMARK_FONT else []
    for path in candidates + list(settings.WATERMARK_FONT_CANDIDATES):
        if path and Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError("No CJK font for the watermark: install fonts-wqy-microhei or set WATERMARK_FONT.")


def watermark(image: Image.Image, text: str) -> Image.Image:
    """Stamp ``text`` across the whole image in diagonal rows, nearly opaque (in place if RGB).

    The rows are drawn once, level, on a square layer as wide as the image's diagonal, which
    is turned and cut back to the image: the mark covers every part, so no part can be
    cropped out clean.
    """
    # Stamped in place when the image is already RGB: one full-size copy less on a 12 MP photo.
    base = image if image.mode == "RGB" else image.convert("RGB")
    # The layer is drawn at half scale and enlarged: a quarter of the pixels to turn.
    width, height = (base.width + 1) // 2, (base.height + 1) // 2
    size = max(10, width // 26)
    font = cjk_font(size)
    side = int(math.hypot(width, height)) + size
    layer = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = font.getbbox(text + "　　")
    step_x, step_y = right - left, (bottom - top) * 4
    # Nearly opaque, at an angle and offset drawn at random and kept nowhere: a stamp that
    # cannot be recomputed cannot be subtracted to recover the clean image.
    rng = secrets.SystemRandom()
    shift_x, shift_y = rng.randrange(step_x), rng.randrange(step_y)
    for row, y in enumerate(range(-shift_y, side, step_y)):
        for x in range(-((row * step_x) // 3) % step_x - step_x - shift_x, side, step_x):
            draw.text((x, y), text, font=font, fill=225)
    layer = layer.rotate(rng.uniform(24, 36), resample=Image.Resampling.NEAREST)
    x0, y0 = (side - width) // 2, (side - height) // 2
    mask = layer.crop((x0, y0, x0 + width, y0 + height)).resize(base.size, Image.Resampling.BILINEAR)
    base.paste((200, 30, 30), (0, 0, base.width, base.height), mask)
    return base


def _check_pdf(data: bytes) -> int:
    """Pages of an acceptable PDF; UploadRejected otherwise. The parsing runs in a limited child process."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "qualifications.pdfcheck", str(settings.PDF_MAX_PAGES)],
            input=data, capture_output=True, timeout=PDF_CHECK_SECONDS, preexec_fn=_limit_child,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        verdict = json.loads(result.stdout or b"{}")
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
        verdict = {"code": "too_complex"}
    code = verdict.get("code", "too_complex")
    if code == "ok":
        return verdict["pages"]
    if code == "encrypted":
        raise UploadRejected("encrypted", _("The PDF is password-protected. Please upload it without a password."))
    if code == "too_many_pages":
        raise UploadRejected(
            "too_many_pages",
            _("The PDF has %(pages)s pages; at most %(max)s are accepted.")
            % {"pages": verdict["pages"], "max": settings.PDF_MAX_PAGES},
        )
    if code == "active_content":
        raise UploadRejected("active_content", _active_message())
    if code == "damaged":
        raise UploadRejected("damaged", _("The PDF is damaged and cannot be read. Please export it again."))
    raise UploadRejected("too_complex", _("The PDF is too complex to check. Please export or print it to PDF again."))


def _limit_child():  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_CPU, (PDF_CHECK_SECONDS, PDF_CHECK_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (PDF_CHECK_MEMORY, PDF_CHECK_MEMORY))


def _active_message():
    return _("The PDF contains scripts, launch actions, links or attached files, which are not accepted.")


def thumbnail(data: bytes, *, longest: int = 360) -> bytes:
    """A small JPEG preview of an already cleaned image."""
    with Image.open(BytesIO(data)) as image:
        image.draft("RGB", (longest * 2, longest * 2))  # JPEG: decode at a reduced scale
        image = _bare(image.convert("RGB"))  # a file stored by an earlier version may still hold a comment
        image.thumbnail((longest, longest))
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
