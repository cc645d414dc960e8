"""Which PDF table reader: Gongkai's ruling-line reader (PyMuPDF words + drawings) against
pdfplumber's ``extract_tables`` and PyMuPDF's ``find_tables``, on the real text PDFs.

For each library, every table it finds goes through the same interpretation as Gongkai's own
grids (``build_report``), and the facts are compared cell for cell with the facts of Gongkai's
reader, whose table-三/四/二 values are checked by hand in tests/test_pdf_reader.py.

    pip install -e '.[bench]'        # pdfplumber, only for this comparison
    python benchmarks/compare_pdf_libraries.py [-n 3] [PDF ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.lib.model import DocumentRejected, ParsedReport  # noqa: E402
from pipelines.lib.read.extract import Extracted  # noqa: E402
from pipelines.lib.read.extract.pdf import read_pdf_bytes  # noqa: E402
from pipelines.lib.read.grid import Grid  # noqa: E402
from pipelines.lib.read.parse import build_report  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "corpus" / "real"


def _grid(rows: list[list[str | None]], origin: str) -> Grid:
    # Merged cells come back as None: kept as empty cells, which the interpretation tolerates.
    return Grid.from_texts([[(c or "").strip() for c in row] for row in rows], origin=origin)


def pdfplumber_reader(data: bytes, text: str) -> Extracted:
    import io

    import pdfplumber

    grids = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            for k, table in enumerate(page.extract_tables()):
                grids.append(_grid(table, f"pdfplumber p{page.page_number} t{k}"))
    return Extracted(text=text, grids=grids)


def pymupdf_find_tables_reader(data: bytes, text: str) -> Extracted:
    import pymupdf

    grids = []
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        for page in doc:
            for k, table in enumerate(page.find_tables().tables):
                grids.append(_grid(table.extract(), f"find_tables p{page.number + 1} t{k}"))
    return Extracted(text=text, grids=grids)


def gongkai_reader(data: bytes, text: str) -> Extracted:
    return read_pdf_bytes(data)


READERS: dict[str, Callable[[bytes, str], Extracted]] = {
    "gongkai (PyMuPDF words + ruling lines)": gongkai_reader,
    "pdfplumber extract_tables": pdfplumber_reader,
    "PyMuPDF find_tables": pymupdf_find_tables_reader,
}


def _facts(ext: Extracted, name: str) -> dict[tuple[str, str, str], float] | str:
    try:
        rep = build_report(ext, source_file=name, sha256="-", fmt="pdf")
    except DocumentRejected as e:
        return f"rejected {e.reason}"
    assert isinstance(rep, ParsedReport)
    return {(f.table, f.row_code, f.col_code): f.value for f in rep.facts if not f.derived}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("-n", "--repeat", type=int, default=3)
    args = ap.parse_args()
    pdfs = args.pdfs or sorted(DEFAULT_DIR.glob("*.pdf"))
    print(f"{'document':<18} {'reader':<40} {'ms/doc':>8} {'cells':>6} {'match':>6}  notes")
    for p in pdfs:
        data = p.read_bytes()
        ref = read_pdf_bytes(data)
        truth = _facts(ref, p.name)
        assert isinstance(truth, dict), truth
        for label, reader in READERS.items():
            try:
                reader(data, ref.text)  # warm-up
            except ImportError as e:
                print(f"{p.name:<18} {label:<40} not installed ({e.name}); pip install -e '.[bench]'")
                continue
            t = time.perf_counter()
            for _ in range(args.repeat):
                ext = reader(data, ref.text)
            ms = 1000 * (time.perf_counter() - t) / args.repeat
            got = _facts(ext, p.name)
            if isinstance(got, str):
                print(f"{p.name:<18} {label:<40} {ms:>8.1f} {'-':>6} {'-':>6}  {got}")
                continue
            match = sum(1 for k, v in truth.items() if got.get(k) == v)
            missing = [k for k in truth if k not in got]
            wrong = [k for k in truth if k in got and got[k] != truth[k]]
            note = f"{len(missing)} missing, {len(wrong)} wrong" if missing or wrong else "all equal"
            if wrong:
                note += f" (e.g. {wrong[0]}: {got[wrong[0]]:g} for {truth[wrong[0]]:g})"
            print(f"{p.name:<18} {label:<40} {ms:>8.1f} {len(got):>6} {match:>4}/{len(truth):<3} {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
