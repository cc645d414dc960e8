"""End to end against the floor: `gongkai ingest` and the unavoidable work, on the same documents, in one run.

    python benchmarks/bench_end_to_end.py [--docs 1000] [--formats txt,html,docx,pdf] [--workers 2]
                                          [--executor in_process] [--workdir DIR] [--keep]
                                          [--gen-workers 1] [--generate-only]

Writes N generated reports (distinct agency-years, the formats taking turns, so a quarter each by
default) to an inbox (kept in --workdir and reused when it already holds N files), then:

1. the floor: the work no parser can skip, on one core: decode the text, parse the HTML, unzip and
   parse the DOCX XML, PyMuPDF word extraction of every PDF page;
2. `gongkai ingest` from an empty warehouse, as a user runs it (a fresh process: start-up included);
3. `gongkai ingest` again with nothing new (the nightly no-change run);

and prints documents/s for each, the ratio end-to-end / floor, peak memory (RSS of the ingest and its
children) and the warehouse's size. Prints the machine's load average: the numbers mean little on a
busy machine.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from gen_reports import report_texts  # noqa: E402


def _write_shard(inbox: Path, n: int, formats: tuple[str, ...], shard: tuple[int, int]) -> None:
    for name, data in report_texts(n, seed=13, formats=formats, shard=shard):
        (inbox / name).write_bytes(data)


def write_inbox(inbox: Path, n: int, formats: tuple[str, ...], workers: int = 1) -> None:
    """The generated inbox; ``workers`` processes render it between them (the same files as one)."""
    if inbox.is_dir() and sum(1 for _ in inbox.iterdir()) == n:
        return  # rendering thousands of PDFs takes a while: reuse
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    if workers <= 1:
        _write_shard(inbox, n, formats, (0, 1))
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        for f in [pool.submit(_write_shard, inbox, n, formats, (i, workers)) for i in range(workers)]:
            f.result()


def floor_seconds(files: list[Path]) -> tuple[float, float]:
    """The unavoidable work: bytes -> text for every format, on one core (no tables, no facts).
    Returns (wall seconds, CPU seconds)."""
    import lxml.html
    import pymupdf
    from lxml import etree

    from pipelines.lib.read.decode import decode_bytes

    t0, c0 = time.perf_counter(), time.process_time()
    for f in files:
        data = f.read_bytes()
        ext = f.suffix
        if ext == ".txt":
            decode_bytes(data)
        elif ext == ".html":
            lxml.html.document_fromstring(decode_bytes(data))
        elif ext == ".docx":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                etree.fromstring(z.read("word/document.xml"))
        elif ext == ".pdf":
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                for page in doc:
                    page.get_text("words")
    return time.perf_counter() - t0, time.process_time() - c0


def parse_cpu_by_format(files: list[Path], sample: int = 60) -> None:
    """CPU milliseconds per document to parse and stage, by format, on one core (a warm second pass):
    the per-format costs docs/scale.md plans with. CPU time, because wall time on a shared machine is noise."""
    from pipelines.lib.read.parse import parse_document
    from pipelines.lib.read.staging import encode

    by_format: dict[str, list[Path]] = {}
    for f in files:
        by_format.setdefault(f.suffix.lstrip("."), []).append(f)
    cells = []
    for fmt, group in sorted(by_format.items()):
        group = group[:sample]
        for _ in range(2):
            t = time.process_time()
            results = [parse_document(f) for f in group]
            parse_ms = 1000 * (time.process_time() - t) / len(group)
        encode(results[0])  # the first conversion pays pyarrow's one-time set-up
        t = time.process_time()
        for r in results:  # as a parse worker does: one staged record per document
            encode(r)
        cells.append(f"{fmt} {parse_ms:.1f} + {1000 * (time.process_time() - t) / len(group):.1f}")
    print(f"parse + encode (Arrow, zstd, CRC), ms CPU per document (1 core, {sample} per format): "
          f"{'; '.join(cells)}", flush=True)


def ingest(inbox: Path, warehouse: Path, workers: int, executor: str) -> tuple[float, int, float, str]:
    """One `gongkai ingest` in a fresh process: (wall seconds, peak RSS in MB of the largest of it and its
    children, CPU seconds of it and its children, output). CPU seconds mean more than wall time on a busy
    machine."""
    env = {**os.environ, "GONGKAI_INBOX": str(inbox), "GONGKAI_WAREHOUSE": str(warehouse)}
    env.pop("DAGSTER_HOME", None)
    cmd = [str(Path(sys.executable).parent / "gongkai"), "ingest", "--workers", str(workers)]
    if executor != "in_process":
        cmd += ["--executor", executor]
    # Peak RSS and CPU via a wrapper process, so this benchmark's own memory does not count. The wrapper is a
    # child subreaper (Linux): the parse workers' fork server outlives the ingest by a moment and is then
    # re-parented to it and reaped, so the workers' CPU counts too (otherwise it would be lost to init).
    wrapper = ("import ctypes,os,resource,subprocess,sys;ctypes.CDLL(None).prctl(36,1);r=subprocess.run(sys.argv[1:])\n"
               "while True:\n try: os.wait()\n except ChildProcessError: break\n"
               "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print('PEAK_RSS_KB',u.ru_maxrss,u.ru_utime+u.ru_stime,file=sys.stderr);"
               "sys.exit(r.returncode)")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", wrapper, *cmd], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    sampler.stop()
    wall = time.perf_counter() - t0
    log = stdout + "\n" + stderr
    if proc.returncode != 0:
        raise SystemExit(f"gongkai ingest failed ({proc.returncode}):\n{stdout}\n{stderr[-3000:]}")
    _, rss_kb, cpu = next(line.split() for line in stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    INGEST_RSS_SUM_MB.append(sampler.peak_sum_mb)
    return wall, int(rss_kb) // 1024, float(cpu), log


INGEST_RSS_SUM_MB: list[int] = []  # per ingest() call: the sampled peak of all its processes' PSS together


class RssSampler:
    """Every second, the proportional set size (PSS: shared pages split between the processes sharing them,
    so forked parse workers are not counted twice) of all descendants of ``root`` added up; keeps the
    largest sum. getrusage gives the largest single process only, and the ingest runs beside its workers."""

    def __init__(self, root: int, every: float = 1.0):
        import threading

        self.root, self.every, self.peak_sum_mb = root, every, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self.peak_sum_mb = max(self.peak_sum_mb, self._sum_mb())

    def _descendants(self) -> list[int]:
        parent: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue

        def below_root(pid: int) -> bool:
            while pid > 1:
                pid = parent.get(pid, 0)
                if pid == self.root:
                    return True
            return False

        return [pid for pid in parent if below_root(pid)]

    def _sum_mb(self) -> int:
        kb = 0
        for pid in self._descendants():
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            kb += next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)
        return kb // 1024


_PHASE_MARKS = (("scan", "inbox: "), ("parse", "parsed "), ("load", "recall this run"), ("quality", "quality: "),
                ("views", "analyst views applied"))


def phases(log: str, wall: float) -> str:
    """Seconds between the run's log lines (Dagster stamps them to the second): where the wall time went."""
    import datetime as dt

    stamps: dict[str, dt.datetime] = {}
    for line in log.splitlines():
        for name, mark in _PHASE_MARKS:
            if mark in line and line[:4].isdigit():
                stamps[name] = dt.datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")  # the last such line
    if len(stamps) < len(_PHASE_MARKS):
        return "(phases not found in the log)"
    names = [n for n, _ in _PHASE_MARKS]
    cuts = [f"{b} {(stamps[b] - stamps[a]).total_seconds():.0f}" for a, b in zip(names, names[1:], strict=False)]
    rest = wall - (stamps["views"] - stamps["scan"]).total_seconds()
    return f"start-up + scan + wrap-up {rest:.0f}, " + ", ".join(cuts) + " (s, to the second)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--formats", default="txt,html,docx,pdf")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executor", default="in_process", choices=("in_process", "multiprocess", "dask"))
    ap.add_argument("--workdir", type=Path, default=None, help="keeps the generated inbox between runs")
    ap.add_argument("--keep", action="store_true", help="keep the warehouse (for its size, or to look at it)")
    ap.add_argument("--gen-workers", type=int, default=1,
                    help="processes that render the generated inbox (DOCX/PDF take ~0.15 s CPU each)")
    ap.add_argument("--generate-only", action="store_true", help="write the inbox and stop")
    args = ap.parse_args()
    formats = tuple(args.formats.split(","))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gongkai-e2e-"))
    inbox = work / f"inbox-{args.docs}-{'-'.join(formats)}"
    t = time.perf_counter()
    write_inbox(inbox, args.docs, formats, args.gen_workers)
    files = sorted(inbox.iterdir())
    print(f"{len(files)} documents ({', '.join(formats)} taking turns) in {inbox} "
          f"[generated/listed in {time.perf_counter() - t:.1f} s]; load average {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores", flush=True)
    if args.generate_only:
        return

    floor, floor_cpu = floor_seconds(files)
    print(f"floor (unavoidable work, 1 core): {floor:6.2f} s wall = {len(files) / floor:7.1f} docs/s, "
          f"{floor_cpu:6.2f} s CPU", flush=True)
    parse_cpu_by_format(files)

    warehouse = work / "e2e.duckdb"
    for p in (warehouse, Path(str(warehouse) + ".gongkai"), Path(str(warehouse) + ".lock")):
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    wall, rss, cpu, out = ingest(inbox, warehouse, args.workers, args.executor)
    summary = [line for line in out.splitlines() if line.startswith(("documents seen", "warehouse:"))]
    print(f"phases of that run: {phases(out, wall)}", flush=True)
    print(f"gongkai ingest ({args.executor}, {args.workers} parse workers), empty warehouse: {wall:6.2f} s wall = "
          f"{len(files) / wall:7.1f} docs/s, {cpu:6.2f} s CPU (all processes), peak RSS {rss} MB (largest process; "
          f"all processes together (PSS, sampled each second): {INGEST_RSS_SUM_MB[-1]} MB); "
          f"{' | '.join(summary)}", flush=True)
    print(f"ratio end-to-end / floor: {wall / floor:.1f}x wall (ingest on {args.workers} workers, floor on 1 core); "
          f"{cpu / floor_cpu:.1f}x CPU (all the ingest's processes / the floor's)")
    nochange, rss2, cpu2, out2 = ingest(inbox, warehouse, args.workers, args.executor)
    how = "no Dagster run" if "no Dagster run started" in out2 else "a full Dagster run"
    print(f"gongkai ingest, nothing new: {nochange:6.2f} s wall, {cpu2:5.2f} s CPU, peak RSS {rss2} MB ({how})")
    size = warehouse.stat().st_size
    print(f"warehouse {size / 1e6:.1f} MB ({size / len(files) / 1024:.1f} KB per document); "
          f"load average now {os.getloadavg()[0]:.1f}; this process's user CPU "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_utime:.1f} s")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
