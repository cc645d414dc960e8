"""The OCR engine: RapidOCR (PP-OCRv4 detection and recognition models inside the wheel, ONNX Runtime).

Nothing is downloaded: the models are files of the installed ``rapidocr-onnxruntime`` package. The
engine is loaded once per process (about a second) and runs on one thread, because the parse
fan-out already runs one document per core. ``OcrUnavailable`` says why OCR cannot run, so a
scan is quarantined with that reason rather than failing obscurely.
"""

from __future__ import annotations

import logging
import threading
from functools import cache

import cv2
import numpy as np

log = logging.getLogger(__name__)
_lock = threading.Lock()


class OcrUnavailable(RuntimeError):
    pass


@cache
def _engine():
    try:
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        from rapidocr_onnxruntime import RapidOCR
    except Exception as e:  # noqa: BLE001 - missing package or a broken ONNX Runtime / OpenCV install
        raise OcrUnavailable(f"the OCR engine (rapidocr-onnxruntime) cannot be loaded: {type(e).__name__}: {e}") from e
    eng = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    # Table cells are short: a batch is padded only to its widest crop, not to the 320 px line the
    # model was set up for (a lone digit at 48 x 320 costs ~5x one at 48 x 64). The model takes any width.
    eng.text_rec.rec_image_shape = [3, 48, 48]
    # Detection is used on strips (the title) and pages at 150 dpi: never upscale them to a 736 px short
    # side (the default 'min' limit turns a 200 px strip into a 4000 px image, ~10x the time).
    eng.text_det.limit_type = "max"
    return eng


def available() -> bool:
    try:
        _engine()
        return True
    except OcrUnavailable:
        return False


def _bgr(img: np.ndarray) -> np.ndarray:
    return np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img


NUMERIC_CHARS = "0123456789.,-"
_BATCH = 8


@cache
def _charset() -> tuple[list[str], np.ndarray]:
    """The recogniser's classes (0 = CTC blank) and the indices of the classes a number is printed with."""
    chars = list(_engine().text_rec.postprocess_op.character)
    numeric = [0] + [i for i, ch in enumerate(chars) if ch in NUMERIC_CHARS]
    return chars, np.array(numeric)


@cache
def _digit_classes() -> np.ndarray:
    chars, _ = _charset()
    return np.array([0] + [i for i, ch in enumerate(chars) if ch.isdigit() and ch.isascii()])


def _ctc(best: np.ndarray, probs: np.ndarray, classes: list[str] | np.ndarray) -> tuple[str, float]:
    """Greedy CTC: repeated classes collapse, blanks drop; confidence = mean probability of the kept ones."""
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    if not keep.any():
        return "", 0.0  # ink was there (the crop came from it) but nothing was read: no confidence in 
    text = "".join(classes[i] for i in best[keep])
    return text, float(probs[keep].mean())


def _restricted(p: np.ndarray, classes: np.ndarray, names: list[str]) -> tuple[str, float]:
    """CTC decode over a subset of the classes, their probabilities renormalised at each step."""
    sub = p[:, classes]
    sub = sub / np.maximum(sub.sum(axis=1, keepdims=True), 1e-9)
    best = sub.argmax(axis=1)
    return _ctc(best, sub[np.arange(len(best)), best], names)


def recognize_lines(crops: list[np.ndarray]) -> list[tuple[str, float, str, float]]:
    """Each crop (one line of text, no detection step): (text, confidence, digits-only text, its confidence).

    The second reading lets only the characters of a number through (a CTC decode over the digit
    classes, renormalised): a cell of a number column whose free reading is 'o' or '。' reads '0'.
    Crops are batched by width, each batch padded only to its widest crop (a lone digit at the
    model's usual 320 px line costs several times more and reads no better)."""
    if not crops:
        return []
    eng = _engine()
    rec = eng.text_rec
    chars, numeric = _charset()
    numeric_chars = [chars[i] for i in numeric]
    imgs = [_bgr(c) for c in crops]
    order = np.argsort([im.shape[1] / max(1, im.shape[0]) for im in imgs])
    out: list[tuple[str, float, str, float]] = [("", 0.0, "", 0.0)] * len(imgs)
    _, img_h, img_w = rec.rec_image_shape
    for start in range(0, len(imgs), _BATCH):
        idx = order[start:start + _BATCH]
        ratio = max([img_w / img_h] + [imgs[i].shape[1] / max(1, imgs[i].shape[0]) for i in idx])
        batch = np.stack([rec.resize_norm_img(imgs[i], ratio) for i in idx]).astype(np.float32)
        with _lock:  # ONNX sessions are shared by the threads of one process
            preds = rec.session(batch)[0]  # (n, time, classes), softmax
        for k, i in enumerate(idx):
            p = preds[k]
            best = p.argmax(axis=1)
            text, conf = _ctc(best, p[np.arange(len(best)), best], chars)
            ntext, nconf = _restricted(p, numeric, numeric_chars)
            if not any(ch.isdigit() for ch in ntext):
                # A number has a digit: a faint '0' read as '.' is read again over the digits alone.
                digits = _digit_classes()
                ntext, nconf = _restricted(p, digits, [chars[j] for j in digits])
            out[i] = (text, conf, ntext, nconf)
    return out


def detect_and_recognize(img: np.ndarray, max_lines: int | None = None, stop_after: str | None = None
                         ) -> list[tuple[tuple[float, float, float, float], str, float]]:
    """Text boxes of a whole image: ((x0, y0, x1, y1), text, confidence), in image pixels.

    ``max_lines``: only lines from the top are recognised, one at a time, up to that many or up to the
    first whose text contains ``stop_after`` (a title's last words); the rest are not read."""
    eng = _engine()
    bgr = _bgr(img)
    with _lock:
        boxes, _ = eng.auto_text_det(bgr)
    if boxes is None or len(boxes) == 0:
        return []
    boxes = sorted(boxes, key=lambda b: (round(float(np.min(b[:, 1])) / 8), float(np.min(b[:, 0]))))
    crops = [cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in eng.get_crop_img_list(bgr, boxes)]
    out = []

    def box_of(b) -> tuple[float, float, float, float]:
        return float(np.min(b[:, 0])), float(np.min(b[:, 1])), float(np.max(b[:, 0])), float(np.max(b[:, 1]))

    if max_lines is None:
        for box, (text, score, _d, _dc) in zip(boxes, recognize_lines(crops), strict=True):
            out.append((box_of(box), text, score))
        return out
    for box, crop in list(zip(boxes, crops, strict=True))[:max_lines]:
        text, score, _d, _dc = recognize_lines([crop])[0]
        out.append((box_of(box), text, score))
        if stop_after and stop_after in text:
            break
    return out
