"""Scans of generated PDFs: pages rasterised and degraded like a scanner or a phone camera would.

A county office prints its report, scans it (or photographs it) and publishes the PDF of images.
``scan_pdf`` turns a generated text PDF into that: each chosen page is rendered at the scan's dpi,
tilted, blurred, noised, lit unevenly (a photo) and JPEG-compressed, and put back as a page that
holds only the image, so it has no text layer. ``pages='tables'`` scans only the pages with ruled
tables and keeps the others as text (a mixed document). Everything is seeded: same style, same bytes.
The truth does not change: a scan prints the same numbers.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import pymupdf


@dataclass(frozen=True)
class ScanStyle:
    dpi: int = 200  # 150–300
    tilt_deg: float = 0.0  # up to ±2
    blur: float = 0.0  # Gaussian sigma in pixels at the scan's dpi
    noise: float = 0.0  # std of additive Gaussian noise (0–255 scale)
    jpeg_quality: int = 85
    photo: bool = False  # uneven light and a grey cast, as a phone photo of the page
    pages: str = "all"  # 'all' pages scanned, or only 'tables' (the others keep their text layer)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def random_style(rng: random.Random, *, pages: str = "all", photo_share: float = 0.25) -> ScanStyle:
    """A scan as agencies publish them: 150–300 dpi, tilted up to 2°, some blur, noise and JPEG; a few photos."""
    return ScanStyle(
        dpi=rng.choice((150, 200, 200, 240, 300)),
        tilt_deg=round(rng.uniform(-2.0, 2.0), 2),
        blur=round(rng.uniform(0.0, 1.0), 2),
        noise=round(rng.uniform(0.0, 12.0), 1),
        jpeg_quality=rng.randint(45, 90),
        photo=rng.random() < photo_share,
        pages=pages,
        seed=rng.randint(0, 2**31 - 1),
    )


def _has_table(page: pymupdf.Page) -> bool:
    return len(page.get_drawings()) >= 8  # ruled tables are many strokes; the footer has none


def degrade(gray: np.ndarray, style: ScanStyle, rng: np.random.Generator) -> np.ndarray:
    """One rendered page (uint8 grey, white paper) as the scanner or camera sees it."""
    img = gray.astype(np.float32)
    h, w = img.shape
    if style.tilt_deg:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), style.tilt_deg, 1.0)
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255.0)
    if style.blur > 0:
        img = cv2.GaussianBlur(img, (0, 0), style.blur)
    if style.photo:
        # Light falls off from one corner, the paper is grey, the ink not quite black.
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / np.hypot(w, h)
        light = 0.95 - 0.35 * dist
        img = (img * 0.8 + 35) * light
    if style.noise > 0:
        img = img + rng.normal(0, style.noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)  # JPEG compression comes when the page is stored


def scan_pdf(data: bytes, style: ScanStyle) -> bytes:
    """The PDF with its pages (all, or those with tables) replaced by degraded page images."""
    src = pymupdf.open(stream=data, filetype="pdf")
    out = pymupdf.open()
    rng = np.random.default_rng(style.seed)
    for page in src:
        if style.pages == "tables" and not _has_table(page):
            out.insert_pdf(src, from_page=page.number, to_page=page.number)
            continue
        pix = page.get_pixmap(dpi=style.dpi, colorspace=pymupdf.csGRAY)
        gray = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width)
        img = degrade(gray, style, rng)
        ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, style.jpeg_quality])
        assert ok
        new = out.new_page(width=page.rect.width, height=page.rect.height)
        new.insert_image(new.rect, stream=jpg.tobytes())
    out.set_metadata({k: v for k, v in src.metadata.items() if k in ("title", "author")}
                     | {"creationDate": src.metadata.get("creationDate", ""), "modDate": ""})
    data_out = out.tobytes(garbage=3, deflate=True, no_new_id=True)
    src.close()
    out.close()
    return data_out
