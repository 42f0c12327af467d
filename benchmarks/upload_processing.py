"""Benchmark: the upload path for one ID photo, and the refusal of a decompression bomb.

Run: `.venv/bin/python benchmarks/upload_processing.py` (or `make bench`). Prints figures, and
ratios against a baseline measured in the same run: a plain Pillow decode + re-encode of the
same photo, the least any clean-up must cost. Targets (issue 3): the whole path for a
12-megapixel JPEG under 0.5 s on one core; a bomb refused under 50 ms without allocating
its pixels.
"""

import os
import resource
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filing_portal.settings")
os.environ.setdefault("VAR_DIR", "var/bench")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from qualifications import crypto, uploads  # noqa: E402
from qualifications.services import watermark_text  # noqa: E402
from tests.files import png_bomb  # noqa: E402

ROUNDS = 7


def photo_12mp() -> bytes:
    """A 4000 × 3000 JPEG with photo-like detail (gradients and noise), as a phone takes an ID card."""
    image = Image.effect_noise((4000, 3000), 40).convert("RGB")
    draw = ImageDraw.Draw(image)
    for i in range(0, 4000, 50):
        draw.line([(i, 0), (4000 - i, 3000)], fill=(i % 255, 120, 200 - i % 200), width=3)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def timed(fn, rounds=ROUNDS):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def main():
    data = photo_12mp()
    text = watermark_text(django.utils.timezone.localdate())

    def baseline():
        with Image.open(BytesIO(data)) as image:
            image.load()
            out = BytesIO()
            image.save(out, "JPEG", quality=88)

    def full_path():
        processed = uploads.process_upload(SimpleUploadedFile("id.jpg", data), allowed=uploads.IMAGE_TYPES,
                                           watermark_text=text)  # fmt: skip
        crypto.seal(processed.original, associated="document:bench")
        uploads.thumbnail(processed.data)

    bomb = png_bomb(30000, 30000)

    def refuse_bomb():
        try:
            uploads.process_upload(SimpleUploadedFile("bomb.png", bomb), allowed=uploads.IMAGE_TYPES)
        except uploads.UploadRejected:
            return
        raise AssertionError("the bomb was accepted")

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    base_median, _ = timed(baseline)
    full_median, full_min = timed(full_path)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bomb_median, bomb_min = timed(refuse_bomb, rounds=21)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"photo: 4000 x 3000 JPEG, {len(data) / 1e6:.1f} MB; bomb: 30000 x 30000 PNG header, {len(bomb)} bytes")
    print(f"baseline decode + re-encode      median {base_median * 1000:7.1f} ms")
    verdict = "OK" if full_median < 0.5 else "MISSED"
    print(f"verify+strip+watermark+encrypt+thumbnail median {full_median * 1000:7.1f} ms (min {full_min * 1000:.1f})"
          f"  = {full_median / base_median:.2f} x baseline   target < 500 ms: {verdict}")  # fmt: skip
    verdict = "OK" if bomb_median < 0.05 else "MISSED"
    print(f"bomb refused                     median {bomb_median * 1000:7.2f} ms (min {bomb_min * 1000:.2f})"
          f"  = {bomb_median / base_median:.4f} x baseline   target < 50 ms: {verdict}")  # fmt: skip
    print(f"peak memory while refusing bombs grew by {(rss_after - rss_before) / 1024:.1f} MB "
          f"(900 megapixels would need {30000 * 30000 * 3 / 1e9:.1f} GB)")  # fmt: skip


if __name__ == "__main__":
    main()
