"""Real files, generated: the good ones a customer uploads and the bad ones an attacker tries."""

import io
import struct
import zipfile
import zlib

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def jpeg(width=800, height=500, color=(90, 140, 200), orientation=None, gps=False) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 40):  # some structure, so re-encoding has work to do
        image.paste((255, 255, 255), (x, 0, x + 4, height))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png(width=300, height=200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


def webp(width=300, height=200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 30)).save(out, "WEBP")
    return out.getvalue()


def animated_png() -> bytes:
    frames = [Image.new("RGB", (50, 50), c) for c in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width=30000, height=30000) -> bytes:
    """A PNG whose header claims 900 megapixels; its few bytes would inflate to gigabytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1_000_000, 9)  # only the start of the pixels
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    data = jpeg(1200, 900)
    return data[: len(data) // 2]


def polyglot_jpeg_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return jpeg() + archive.getvalue()


EXECUTABLE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>'


def pdf(pages=1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_open_action(JavaScript("app.alert('hi');"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_encrypted() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_attachment() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("invoice.exe", b"MZ...")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_launch_action() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_zip_appended() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "x")
    return pdf() + archive.getvalue()


def pdf_with_indirect_escaped_launch() -> bytes:
    """/OpenAction << /S 5 0 R >> where the object is the name /L#61unch: hidden from a byte scan."""
    data = pdf_with_launch_action()
    return data.replace(b"/S /Launch", b"/S /L#61unch")


def pdf_with_uri_action() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("https://x.example")}
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_with_many_scans(scans=300) -> bytes:
    """A JPEG whose scan marker repeats hundreds of times (each costs a full decoding pass)."""
    data = jpeg(200, 200)
    marker = data.index(b"\xff\xda")
    return data[:marker] + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * scans + data[marker:]


def mpo() -> bytes:
    """A JPEG carrying a second picture, as recent phones write (Pillow opens it as MPO)."""
    first, second = Image.new("RGB", (400, 300), (200, 100, 50)), Image.new("RGB", (200, 150), (0, 0, 0))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    return out.getvalue()


# --- metadata an image may smuggle through re-encoding ------------------------------------

PAYLOAD = b"<?php system($_GET['c']); ?>"


def _segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _icc_profile(tag: bytes) -> bytes:
    """A real sRGB profile (littlecms) with a payload appended, its declared size grown to cover it."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + tag
    return struct.pack(">I", len(profile)) + profile[4:]


JPEG_METADATA = {
    # kind: the segment (or trailer) that carries the payload, marked so a failure names it
    "comment": lambda tag: _segment(0xFE, tag),
    "exif": lambda tag: _segment(0xE1, _exif_with(tag)),
    "xmp": lambda tag: _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>" + tag + b"</x:xmpmeta>"),
    "icc": lambda tag: _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + _icc_profile(tag)),
    "photoshop": lambda tag: _segment(0xED, _photoshop_iptc(tag)),
    "app15": lambda tag: _segment(0xEF, b"VENDOR\x00" + tag),
    "trailer": None,  # bytes after the end-of-image marker
}


def _photoshop_iptc(tag: bytes) -> bytes:
    """An APP13 Photoshop resource block holding one IPTC caption (2:120)."""
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(tag)) + tag
    return b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) % 2)


def _exif_with(tag: bytes) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x010E] = tag.decode()  # ImageDescription
    exif[0x0112] = 1
    raw = exif.tobytes()
    return raw if raw.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + raw


def jpeg_with_metadata(kind: str, tag: bytes = PAYLOAD, width=800, height=500) -> bytes:
    """A real JPEG with one kind of metadata segment, right after the JFIF header, carrying ``tag``."""
    data = jpeg(width, height)
    # Drop the EXIF segment jpeg() writes: only the kind under test is there.
    data = (
        b"\xff\xd8"
        + b"".join(data[start : start + length] for marker, start, length in jpeg_segments(data) if marker != 0xE1)
        + data[jpeg_scan_start(data) :]
    )
    if kind == "trailer":
        return data + tag
    make = JPEG_METADATA[kind]
    after_app0 = 2 + next(length for marker, start, length in jpeg_segments(data) if marker == 0xE0)
    return data[:after_app0] + make(tag) + data[after_app0:]


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, length in bytes) of each segment before the first scan."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, position = [], 2
    while position < len(data):
        if data[position] != 0xFF:
            raise ValueError(f"no marker at {position}")
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        segments.append((marker, position, length + 2))
        position += length + 2
    return segments


def jpeg_scan_start(data: bytes) -> int:
    last_marker, start, length = jpeg_segments(data)[-1]
    return start + length


def jpeg_metadata_markers(data: bytes) -> list[str]:
    """Every metadata segment of a JPEG (APPn other than the plain JFIF header, COM), and bytes after EOI."""
    found = []
    for marker, start, length in jpeg_segments(data):
        body = data[start + 4 : start + length]
        if marker == 0xE0 and body.startswith(b"JFIF\x00") and length == 18:
            continue  # the JFIF header proper: version, density, no thumbnail
        if 0xE0 <= marker <= 0xEF:
            found.append(f"APP{marker - 0xE0}")
        elif marker == 0xFE:
            found.append("COM")
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        found.append("bytes after the end of the image")
    return found


def png_with_metadata(kind: str, tag: bytes = PAYLOAD) -> bytes:
    """A real PNG with one kind of ancillary chunk carrying ``tag`` (tEXt, zTXt, iTXt, eXIf, iCCP, trailer)."""
    data = png()
    iend = data.rindex(b"IEND") - 4
    if kind == "tEXt":
        chunk = _chunk(b"tEXt", b"Comment\x00" + tag)
    elif kind == "zTXt":
        chunk = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(tag))
    elif kind == "iTXt":
        chunk = _chunk(b"iTXt", b"Comment\x00\x00\x00en\x00\x00" + tag)
    elif kind == "eXIf":
        chunk = _chunk(b"eXIf", _exif_with(tag)[6:])
    elif kind == "iCCP":
        chunk = _chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(_icc_profile(tag)))
        iend = data.index(b"IDAT") - 4  # iCCP must come before the image data
    elif kind == "trailer":
        return data + tag
    else:
        raise ValueError(kind)
    return data[:iend] + chunk + data[iend:]


def png_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append(data[position + 4 : position + 8])
        position += length + 12
        if chunks[-1] == b"IEND":
            break
    if position != len(data):
        chunks.append(b"bytes after IEND")
    return chunks


def webp_with_metadata(tag: bytes = PAYLOAD) -> bytes:
    """A real WebP with EXIF, XMP and an ICC profile, each carrying ``tag``."""
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 10, 30)).save(
        out, "WEBP", exif=_exif_with(tag), xmp=b"<x:xmpmeta>" + tag + b"</x:xmpmeta>", icc_profile=_icc_profile(tag)
    )
    return out.getvalue()


def webp_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], 12
    while position + 8 <= len(data):
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        chunks.append(data[position : position + 4])
        position += 8 + length + (length % 2)
    return chunks
