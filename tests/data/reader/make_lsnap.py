"""Write a .lsnap file straight from docs/file-format.md, independently of
Leakscope's own writer, optionally with one defect. Used by tst_snapshotreader.

    make_lsnap.py PATH KIND [SNAPSHOTS TYPES]

Prints a JSON description of what was written (for the good kinds) so the
test compares against it instead of hard-coded numbers.
"""

import json
import os
import sqlite3
import sys

APPLICATION_ID = 0x4C534E50

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE snapshot(
    id INTEGER PRIMARY KEY, label TEXT, taken_at REAL NOT NULL, pid INTEGER NOT NULL,
    rss INTEGER, gc_objects INTEGER NOT NULL, gc_garbage INTEGER NOT NULL, meta_json TEXT NOT NULL);
CREATE TABLE type(id INTEGER PRIMARY KEY, name TEXT NOT NULL %(unique)s);
CREATE TABLE type_count(
    snapshot INTEGER NOT NULL REFERENCES snapshot(id), type INTEGER NOT NULL REFERENCES type(id),
    count INTEGER NOT NULL, size INTEGER NOT NULL, PRIMARY KEY(snapshot, type)) WITHOUT ROWID;
"""


def main():
    path, kind = sys.argv[1], sys.argv[2]
    n_snapshots = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    n_types = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    if os.path.exists(path):
        os.remove(path)
    conn = sqlite3.connect(path, isolation_level=None)
    if kind in ("wal", "wal-leftover"):
        conn.execute("PRAGMA journal_mode=WAL")
    if kind == "wal-leftover":
        conn.execute("PRAGMA wal_autocheckpoint=0")
    if kind == "plain":
        conn.execute("CREATE TABLE notes(x)")
        conn.execute("INSERT INTO notes VALUES ('hello')")
        conn.close()
        return
    if kind == "foreign":
        conn.execute("PRAGMA application_id = %d" % 0x12345678)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("CREATE TABLE snapshot(id INTEGER PRIMARY KEY)")
        conn.close()
        return
    conn.execute("PRAGMA application_id = %d" % APPLICATION_ID)
    conn.execute("PRAGMA user_version = %d" % {"future": 99, "version0": 0}.get(kind, 1))
    if kind == "no-snapshot-table":
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.close()
        return
    conn.executescript(SCHEMA % {"unique": "" if kind == "duplicate-type-name" else "UNIQUE"})
    if kind == "sparse-many":
        # SNAPSHOTS snapshots over TYPES types, each snapshot counting only 3
        # of them: small on disk, snapshots x types if anything makes it dense.
        conn.execute("BEGIN")
        conn.execute("INSERT INTO meta VALUES ('format_version', '1')")
        conn.executemany("INSERT INTO type(id, name) VALUES (?, ?)",
                         ((t + 1, "mod%d.Type%d" % (t % 97, t)) for t in range(n_types)))
        conn.executemany("INSERT INTO snapshot VALUES (?, NULL, ?, 1, NULL, 0, 0, '{}')",
                         ((s + 1, 1767225600.0 + s) for s in range(n_snapshots)))
        conn.executemany("INSERT INTO type_count VALUES (?, ?, ?, ?)",
                         ((s + 1, (s * 3 + k) % n_types + 1, s + k + 1, 64) for s in range(n_snapshots)
                          for k in range(3)))
        conn.execute("COMMIT")
        conn.close()
        print(json.dumps({"snapshots": n_snapshots, "types": n_types}))
        return
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("format_version", "1"), ("writer", "make_lsnap.py"),
        ("created_at", "2026-01-02T03:04:05Z"), ("byte_order", "little")])
    if kind == "view-snapshot":
        conn.execute("DROP TABLE snapshot")
        conn.execute("CREATE VIEW snapshot AS SELECT 1 AS id, 'x' AS label, 1.0 AS taken_at, 1 AS pid, "
                     "NULL AS rss, 0 AS gc_objects, 0 AS gc_garbage, '{}' AS meta_json")
    names = ["dict", "function", "tuple", "__main__.Leaky", "logging.Logger"]
    names += ["mod%d.Type%d" % (i % 97, i) for i in range(max(0, n_types - len(names)))]
    names = names[:n_types]
    # Type ids deliberately not 1..n, to catch readers that assume dense ids.
    type_ids = {name: 10 + 3 * i for i, name in enumerate(names)}
    for name, tid in type_ids.items():
        conn.execute("INSERT INTO type(id, name) VALUES (?, ?)", (tid, name))
    if kind == "duplicate-type-name":
        conn.execute("INSERT INTO type(id, name) VALUES (?, ?)", (5, names[0]))
    described = []
    base_time = 1767225600.125  # 2026-01-01T00:00:00.125Z
    for s in range(1, n_snapshots + 1):
        meta = {"argv": ["server.py", "--port", str(8000 + s)], "python": "3.11.%d" % s,
                "origin": "agent", "has_sizes": True, "partial": False, "extra_key": [1, 2]}
        label = None if s == 2 else "snapshot %d" % s
        taken_at = base_time + 2.5 * s
        rss = None if s == 3 else 1000000 * s
        row = [s, label, taken_at, 4242, rss, 500 * s, s - 1, json.dumps(meta)]
        if kind == "bad-meta-json" and s == n_snapshots:
            row[7] = '{"argv": ["a"'
        if kind == "meta-json-array" and s == n_snapshots:
            row[7] = "[1, 2]"
        if kind == "text-taken-at" and s == n_snapshots:
            row[2] = "yesterday"
        if kind == "negative-pid" and s == n_snapshots:
            row[3] = -5
        if kind != "view-snapshot":
            conn.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        counts = {}
        for i, name in enumerate(names):
            count = (i * 7 + 3) * s + (500 if name == "__main__.Leaky" else 0) * (s - 1)
            if name == "logging.Logger" and s == 2:
                continue  # absent in one snapshot
            counts[name] = (count, count * 56)
        if kind == "negative-count" and s == n_snapshots:
            counts[names[0]] = (-3, 10)
        if kind == "huge-count" and s == n_snapshots:
            counts[names[0]] = (2 ** 62, 10)
        if kind == "negative-size" and s == n_snapshots:
            counts[names[0]] = (3, -10)
        if kind == "count-as-text" and s == n_snapshots:
            counts[names[0]] = ("many", 10)
        for name, (count, size) in counts.items():
            conn.execute("INSERT INTO type_count VALUES (?, ?, ?, ?)", (s, type_ids[name], count, size))
        if kind == "dangling-type" and s == n_snapshots:
            conn.execute("INSERT INTO type_count VALUES (?, ?, ?, ?)", (s, 9999, 1, 1))
        if kind == "dangling-snapshot" and s == n_snapshots:
            conn.execute("INSERT INTO type_count VALUES (?, ?, ?, ?)", (s + 50, type_ids[names[0]], 1, 1))
        described.append({"id": s, "label": label, "taken_at": taken_at, "pid": 4242, "rss": rss,
                          "gc_objects": 500 * s, "gc_garbage": s - 1, "meta": meta,
                          "counts": {k: list(v) for k, v in counts.items()}})
    if kind == "trigger":
        # Would fill the file on the next append if it ever ran.
        conn.execute("CREATE TABLE junk(x)")
        conn.execute("CREATE TRIGGER grow AFTER INSERT ON snapshot BEGIN "
                     "INSERT INTO junk SELECT randomblob(1000000) FROM snapshot; END")
    if kind == "extra-view":
        conn.execute("CREATE VIEW \"ev\x1b[31mil\" AS SELECT * FROM snapshot")
    if kind == "virtual-table":
        for module in ("fts5", "fts4", "rtree"):
            try:
                conn.execute("CREATE VIRTUAL TABLE vt USING %s(a, b, c)" % module)
                break
            except sqlite3.OperationalError:
                continue
    conn.execute("COMMIT")
    if kind == "wal-leftover":
        # Leave the committed data in the -wal file, as a crashed or still
        # running writer does.
        sys.stdout.write(json.dumps({"snapshots": described}))
        sys.stdout.flush()
        os._exit(0)
    if kind == "hot-journal":
        # A writer killed mid-transaction after its cache spilled into the
        # database file: the file needs the -journal rolled back.
        conn.execute("PRAGMA cache_size=5")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO snapshot VALUES (1000, 'x', 1.0, 1, NULL, 0, 0, '{}')")
        for i in range(20000):
            conn.execute("INSERT INTO type(name) VALUES (?)", ("junk%d" % i,))
        sys.stdout.write(json.dumps({"snapshots": described}))
        sys.stdout.flush()
        os._exit(0)
    if kind == "wal":
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    json.dump({"snapshots": described}, sys.stdout)


main()
