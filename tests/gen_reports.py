"""Many distinct, valid TXT reports for the crash, hostile-input and benchmark runs (not a test module).

Built on pipelines.samplegen (truth + TXT renderer) with made-up sub-agencies, so thousands of
reports each have their own agency-year and their own content hash.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from pipelines.samplegen.truth import AGENCIES, generate_truth

# Two-character place names for sub-agencies (分局); no digits, which a title parser could take for a year.
_SYL = "东西南北中新安平和康宁泰丰华兴盛福寿长永清明光荣春秋山河湖海江溪松柏桃李金玉云龙凤鹤"
YEARS = tuple(range(2019, 2025))


def report_texts(n: int, seed: int = 0, offset: int = 0,
                 formats: tuple[str, ...] = ("txt",), shard: tuple[int, int] = (0, 1)) -> Iterator[tuple[str, bytes]]:
    """``n`` (file name, bytes) pairs, each a distinct agency-year, starting after the first ``offset``
    agency-years; deterministic for a seed. ``formats`` take turns (txt, html, docx, pdf).
    ``shard=(i, m)``: only the documents k with k % m == i (the same bytes as unsharded), so m processes
    can render one corpus between them (DOCX and PDF rendering cost ~0.15 s per document)."""
    part, parts = shard
    rng = random.Random(seed)
    renderers = [importlib.import_module(f"pipelines.samplegen.render_{f}").render for f in formats]
    k = -offset
    for a in range(len(_SYL) ** 2 * len(AGENCIES)):
        base = AGENCIES[a % len(AGENCIES)]
        j = a // len(AGENCIES)
        place = _SYL[j % len(_SYL)] + _SYL[(j // len(_SYL)) % len(_SYL)]
        agency = replace(base, name=f"{base.name}{place}分局", slug=f"{base.slug}-{j}")
        for year in YEARS:
            if k >= n:
                return
            if k < 0:
                k += 1
                continue
            doc_seed = rng.random()  # drawn for every document, so a shard's bytes equal the unsharded ones
            if k % parts == part:
                truth = generate_truth(agency, year, rng=random.Random(doc_seed))
                fmt = k % len(formats)
                yield f"{agency.slug}-{year}.{formats[fmt]}", renderers[fmt](truth)
            k += 1


def write_reports(inbox: Path, n: int, seed: int = 0) -> list[Path]:
    inbox.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in report_texts(n, seed):
        p = inbox / name
        p.write_bytes(data)
        out.append(p)
    return out


PRE_2019 = """某某县财政局2017年政府信息公开工作年度报告

本报告根据《中华人民共和国政府信息公开条例》要求编制。
一、概述
2017年，我局认真贯彻落实《条例》，主动公开政府信息126条，受理依申请公开3件，均已按时答复。
二、依申请公开政府信息情况
全年共受理政府信息公开申请3件，均按期答复。
"""


def write_hostile_matrix(inbox: Path, big_bytes: int) -> dict[str, str]:
    """A few hostile files beside the good ones (for end-to-end `gongkai ingest` runs).

    Returns file name -> expected outcome ('loaded', 'quarantined', or 'either').
    """
    import zipfile
    from io import BytesIO

    text = next(report_texts(1, seed=20, offset=500))[1].decode("utf-8")
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>" * 200)
    files = {
        "empty.txt": (b"", "quarantined"),
        "random.pdf": (random.Random(1).randbytes(5000), "quarantined"),
        "random.docx": (random.Random(2).randbytes(5000), "quarantined"),
        "random.html": (random.Random(3).randbytes(5000), "quarantined"),
        "truncated.docx": (buf.getvalue()[:150], "quarantined"),
        "gbk.txt": (text.encode("gbk"), "loaded"),
        "utf16.txt": (next(report_texts(1, seed=21, offset=501))[1].decode("utf-8").encode("utf-16"), "loaded"),
        "old-2017.txt": (PRE_2019.encode("utf-8"), "quarantined"),
        "名字 有 空格.txt": (next(report_texts(1, seed=22, offset=502))[1], "loaded"),
        "big.txt": (next(report_texts(1, seed=23, offset=503))[1] + b"x" * big_bytes, "quarantined"),
    }
    for name, (data, _) in files.items():
        (inbox / name).write_bytes(data)
    (inbox / "loop").symlink_to(inbox)
    return {name: expected for name, (_, expected) in files.items()}
