"""The upload path: judge a file by its content, re-encode it clean, watermark ID images.

Nothing here touches storage or the database: a file is refused (``UploadRejected``, with a
code and a message in the active language) before anything is written.

- The type is sniffed from the bytes, never taken from the name or the browser.
- Images: the pixel count is checked from the header before any pixel is decoded
  (decompression bombs), then ``verify()``; animated or multi-frame images are refused;
  EXIF orientation is applied and every piece of metadata (GPS included) is dropped by
  re-encoding. Images that also carry a ZIP archive (polyglots) are refused.
- PDFs (licences and letters only): parsed with pypdf; refused when encrypted, over the
  page cap, or carrying JavaScript, launch actions or embedded files.
"""

import hashlib
import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG, WEBP})
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}
PIL_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}
ZIP_MARKERS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x01\x02")
# PDF names that run code or carry files. pypdf decodes #xx escapes, so /J#61vaScript is caught too.
PDF_DANGEROUS_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia",
                                "/XFA"})  # fmt: skip
PDF_DANGEROUS_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm"})
PDF_MAX_OBJECTS = 100_000
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
        raise UploadRejected(
            "too_large",
            _("The file is %(size)s MB; at most %(limit)s MB is accepted.")
            % {"size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"},
        )
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
    if content_type == PDF:
        pages = _check_pdf(data)
        return Processed(PDF, data, None, None, None, pages, digest)
    if any(marker in data for marker in ZIP_MARKERS):
        raise UploadRejected("polyglot", _("The image also carries an archive (a ZIP file) and cannot be accepted."))
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
                if getattr(probe, "n_frames", 1) > 1 or getattr(probe, "is_animated", False):
                    raise UploadRejected("animated", _("Animated or multi-page images are not accepted."))
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired while reading the header: far beyond our cap.
        raise UploadRejected(
            "too_many_pixels",
            _("The image has far too many pixels; at most %(max)s megapixels are accepted.")
            % {"max": settings.UPLOAD_MAX_PIXELS // 1_000_000},
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRejected("damaged", damaged) from None
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


@lru_cache(maxsize=8)
def _font(size: int):
    candidates = [settings.WATERMARK_FONT] if settings.WATERMARK_FONT else []
    for path in candidates + list(settings.WATERMARK_FONT_CANDIDATES):
        if path and Path(path).exists():
            return ImageFont.truetype(path, size)
    raise RuntimeError("No CJK font for the watermark: install fonts-wqy-microhei or set WATERMARK_FONT.")


def watermark(image: Image.Image, text: str) -> Image.Image:
    """Stamp ``text`` across the whole image in diagonal rows, half transparent (in place if RGB).

    The rows are drawn once, level, on a square layer as wide as the image's diagonal, which
    is turned and cut back to the image: the mark covers every part, so no part can be
    cropped out clean.
    """
    # Stamped in place when the image is already RGB: one full-size copy less on a 12 MP photo.
    base = image if image.mode == "RGB" else image.convert("RGB")
    # The layer is drawn at half scale and enlarged: a quarter of the pixels to turn.
    width, height = (base.width + 1) // 2, (base.height + 1) // 2
    size = max(10, width // 26)
    font = _font(size)
    side = int(math.hypot(width, height)) + size
    layer = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = font.getbbox(text + "　　")
    step_x, step_y = right - left, (bottom - top) * 4
    for row, y in enumerate(range(0, side, step_y)):
        for x in range(-((row * step_x) // 3) % step_x - step_x, side, step_x):
            draw.text((x, y), text, font=font, fill=140)
    layer = layer.rotate(30, resample=Image.Resampling.NEAREST)
    x0, y0 = (side - width) // 2, (side - height) // 2
    mask = layer.crop((x0, y0, x0 + width, y0 + height)).resize(base.size, Image.Resampling.BILINEAR)
    base.paste((200, 30, 30), (0, 0, base.width, base.height), mask)
    return base


def _check_pdf(data: bytes) -> int:
    damaged = _("The PDF is damaged and cannot be read. Please export it again.")
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRejected("encrypted", _("The PDF is password-protected. Please upload it without a password."))
        pages = len(reader.pages)
        if pages > settings.PDF_MAX_PAGES:
            raise UploadRejected(
                "too_many_pages",
                _("The PDF has %(pages)s pages; at most %(max)s are accepted.")
                % {"pages": pages, "max": settings.PDF_MAX_PAGES},
            )
        if pages == 0:
            raise UploadRejected("damaged", damaged)
        _check_pdf_objects(reader.trailer)
    except UploadRejected:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError):
        raise UploadRejected("damaged", damaged) from None
    # Objects no viewer reaches are not walked above; their names still show in the bytes.
    if any(token in data for token in (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile")):
        raise UploadRejected("active_content", _active_message())
    return pages


def _active_message():
    return _("The PDF contains scripts, launch actions or attached files, which are not accepted.")


def _check_pdf_objects(root) -> None:
    seen: set[int] = set()
    stack = [root]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise UploadRejected("damaged", _("The PDF is too complex to check."))
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in PDF_DANGEROUS_KEYS:
                    raise UploadRejected("active_content", _active_message())
                if key == "/S" and value in PDF_DANGEROUS_ACTIONS:
                    raise UploadRejected("active_content", _active_message())
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def thumbnail(data: bytes, *, longest: int = 360) -> bytes:
    """A small JPEG preview of an already cleaned image."""
    with Image.open(BytesIO(data)) as image:
        image.draft("RGB", (longest * 2, longest * 2))  # JPEG: decode at a reduced scale
        image = image.convert("RGB")
        image.thumbnail((longest, longest))
        out = BytesIO()
        image.save(out, "JPEG", quality=80)
        return out.getvalue()
