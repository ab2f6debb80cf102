"""`leakscope-cli compare --json` and `info` on big census files, one run,
figures and ratios:

- files written with Python's sqlite3 following docs/file-format.md:
  "200x20k" (200 snapshots x 20,000 types, every type in every snapshot:
  4M count rows), "200k-snapshots" (200,000 snapshots of 10 types out of
  20) and "1M-types" (2 snapshots of 1,000,000 types);
- the baseline: a bare scan of the rows each command needs through Python's
  sqlite3 module (compare: the snapshot, type and type_count rows; info: the
  snapshot rows and the snapshot/count columns of type_count), in this run;
- each CLI command's wall time (best of --repeat runs), its ratio to the
  baseline, its peak RSS (os.wait4's ru_maxrss of that child) and how many
  bytes it printed (stdout goes to a temporary file).

    /usr/bin/python3 bench/cli_bench.py --cli build/bin/leakscope-cli
    /usr/bin/python3 bench/cli_bench.py --cli build/bin/leakscope-cli \\
        --before /tmp/leakscope-cli-9dc194b       # the same table for an older build
    /usr/bin/python3 bench/cli_bench.py --quick   # 20x2000, 20k snapshots, 100k types

Targets (issue 17): on 200x20k both commands within 3x their baseline and
under 200 MB peak; memory that does not grow with the number of snapshots.
Not a test: timings depend on the machine and what else runs on it; the
ratios, measured in the same run, are what to compare.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

APPLICATION_ID = 0x4C534E50


def write_file(path, snapshots, types, per_snapshot, seed=1):
    """A format-1 .lsnap with `snapshots` snapshots; snapshot k holds
    `per_snapshot` of the `types` types (a window that moves with k, so a
    type appears in some snapshots and not in others unless per_snapshot ==
    types), counts growing for every 7th type."""
    tmp = path + ".part"
    if os.path.exists(tmp):
        os.remove(tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    cur = conn.cursor()
    cur.execute("PRAGMA application_id = %d" % APPLICATION_ID)
    cur.execute("PRAGMA user_version = 1")
    cur.execute("PRAGMA journal_mode = OFF")
    cur.execute("PRAGMA synchronous = OFF")
    cur.execute("BEGIN")
    cur.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    cur.execute("CREATE TABLE snapshot(id INTEGER PRIMARY KEY, label TEXT, taken_at REAL NOT NULL,"
                " pid INTEGER NOT NULL, rss INTEGER, gc_objects INTEGER NOT NULL,"
                " gc_garbage INTEGER NOT NULL, meta_json TEXT NOT NULL)")
    cur.execute("CREATE TABLE type(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
    cur.execute("CREATE TABLE type_count(snapshot INTEGER NOT NULL REFERENCES snapshot(id),"
                " type INTEGER NOT NULL REFERENCES type(id), count INTEGER NOT NULL,"
                " size INTEGER NOT NULL, PRIMARY KEY(snapshot, type)) WITHOUT ROWID")
    cur.executemany("INSERT INTO meta(key, value) VALUES(?, ?)",
                    [("format_version", "1"), ("writer", "cli_bench.py"),
                     ("created_at", "2026-01-01T00:00:00Z"), ("byte_order", "little")])
    cur.executemany("INSERT INTO type(id, name) VALUES(?, ?)",
                    ((t + 1, "bench_module_%d.Type%d" % (t % 97, t)) for t in range(types)))
    t0 = 1767225600.0
    argv = ["python3", "service.py", "--port", "8080"]

    def snapshot_rows():
        for k in range(snapshots):
            taken = t0 + k * 0.5
            meta = {"argv": argv, "python": "3.11.2", "implementation": "cpython",
                    "executable": "/usr/bin/python3", "platform": "linux", "pid": 4242,
                    "rss": 50000000 + k * 1000, "rss_kind": "current", "gc_counts": [k % 700, 3, 1],
                    "gc_garbage": 0, "gc_objects": types * 10 + k, "agent": "0.1.0",
                    "collected": True, "collect_freed": k % 13, "census_seconds": 0.0123,
                    "origin": "agent", "taken_at": taken}
            yield (k + 1, "snapshot %d" % k, taken, 4242, 50000000 + k * 1000, types * 10 + k, 0,
                   json.dumps(meta, sort_keys=True))

    cur.executemany("INSERT INTO snapshot(id, label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json)"
                    " VALUES(?, ?, ?, ?, ?, ?, ?, ?)", snapshot_rows())

    def count_rows():
        for k in range(snapshots):
            start = (k * 3) % types if per_snapshot < types else 0
            chosen = sorted((start + j) % types for j in range(per_snapshot))
            for t in chosen:
                count = 10 + (t * 31 + seed) % 1000 + (k if t % 7 == 0 else 0)
                yield (k + 1, t + 1, count, count * (48 + t % 200))

    cur.executemany("INSERT INTO type_count(snapshot, type, count, size) VALUES(?, ?, ?, ?)", count_rows())
    cur.execute("COMMIT")
    conn.close()
    os.replace(tmp, path)


def bare_scan(path, queries):
    """Seconds to step through every row of the queries (Python sqlite3)."""
    start = time.perf_counter()
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    rows = 0
    for q in queries:
        for _ in conn.execute(q):
            rows += 1
    conn.close()
    return time.perf_counter() - start, rows


COMPARE_QUERIES = [
    "SELECT id, label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json FROM snapshot ORDER BY id",
    "SELECT id, name FROM type ORDER BY id",
    "SELECT snapshot, type, count, size FROM type_count ORDER BY snapshot, type",
]
INFO_QUERIES = [
    "SELECT id, label, taken_at, pid, rss, gc_objects, gc_garbage, meta_json FROM snapshot ORDER BY id",
    "SELECT snapshot, count FROM type_count ORDER BY snapshot, type",
]


def run_cli(binary, args):
    """(seconds, peak RSS in bytes, stdout bytes, exit code) of one run."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen([binary] + args, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read()
        proc.stderr.close()
        out.seek(0, os.SEEK_END)
        size = out.tell()
    if proc.returncode != 0:
        sys.stderr.write("%s %s: exit %d: %s\n" % (binary, " ".join(args), proc.returncode,
                                                   err.decode(errors="replace")[:300]))
    return elapsed, usage.ru_maxrss * 1024, size, proc.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "bin", "leakscope-cli"))
    parser.add_argument("--before", help="an older leakscope-cli to measure in the same run")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "leakscope-cli-bench"),
                        help="where the generated files are kept (reused when present)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller files")
    parser.add_argument("--only", help="run only the files whose name contains this")
    args = parser.parse_args()

    if args.quick:
        files = [("20x2000", 20, 2000, 2000), ("20k-snapshots", 20000, 20, 10), ("100k-types", 2, 100000, 100000)]
    else:
        files = [("200x20k", 200, 20000, 20000), ("200k-snapshots", 200000, 20, 10),
                 ("1M-types", 2, 1000000, 1000000)]
    if args.only:
        files = [f for f in files if args.only in f[0]]
    os.makedirs(args.dir, exist_ok=True)
    binaries = [("after", args.cli)]
    if args.before:
        binaries.insert(0, ("before", args.before))

    print("%-15s %-18s %-7s %9s %8s %10s %10s" % ("file", "command", "build", "seconds", "ratio", "peak MB",
                                                  "out MB"))
    for name, snapshots, types, per in files:
        path = os.path.join(args.dir, "%s.lsnap" % name)
        if not os.path.exists(path):
            t = time.perf_counter()
            write_file(path, snapshots, types, per)
            sys.stderr.write("wrote %s (%.1f MB) in %.1f s\n" % (path, os.path.getsize(path) / 1e6,
                                                                 time.perf_counter() - t))
        commands = [("compare --json", ["compare", "--json", path], COMPARE_QUERIES),
                    ("compare --csv", ["compare", "--csv", path], COMPARE_QUERIES),
                    ("compare (table)", ["compare", path], COMPARE_QUERIES),
                    ("info", ["info", path], INFO_QUERIES)]
        for label, cli_args, queries in commands:
            base = min(bare_scan(path, queries)[0] for _ in range(args.repeat))
            print("%-15s %-18s %-7s %9.2f %8s %10s %10s" % (name, label, "scan", base, "1.00", "-", "-"))
            for build, binary in binaries:
                runs = [run_cli(binary, cli_args) for _ in range(args.repeat)]
                best = min(r[0] for r in runs)
                peak = max(r[1] for r in runs)
                ok = all(r[3] == 0 for r in runs)
                print("%-15s %-18s %-7s %9.2f %8.2f %10.0f %10.1f%s" % (
                    name, label, build, best, best / base, peak / 1e6, runs[0][2] / 1e6,
                    "" if ok else "  FAILED"))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
