"""Append snapshots to a .lsnap file (docs/file-format.md, format versions
1 to 3, and the optional container and allocation tables).

Each snapshot is written in one BEGIN IMMEDIATE transaction with a busy
timeout, so several processes can append to one file and a crash never leaves
half a snapshot. Files that are not Leakscope's, or that a newer Leakscope
wrote, are refused before anything is written to them. A file stays at
version 1 until the first snapshot with a heap graph, which creates the graph
tables and raises the version to 3 in its own transaction; a version 2 file
gets the target_encoding column its graphs lacked (they keep node indices,
new graphs store their targets as ids).
"""

import datetime
import json
import os
import sqlite3
import sys
import time
import zlib
from itertools import count, repeat
from operator import itemgetter

from ._census import AGENT_VERSION

__all__ = ["APPLICATION_ID", "FORMAT_VERSION", "GRAPH_VERSION",
           "append_snapshot"]

APPLICATION_ID = 0x4C534E50  # "LSNP"
FORMAT_VERSION = 1          # what a file without heap graphs is written as
GRAPH_VERSION = 3           # the newest version this agent writes
ZLIB_LEVEL = 1
BUSY_TIMEOUT_SECONDS = 60.0
_SQLITE_MAGIC = b"SQLite format 3\x00"

def _load_schema():
    """The statements of each section of schema.sql (package data next to
    this file), the one source of the .lsnap schema that Leakscope compiles
    in too: {"base": (...), "graph": (...), "extra": (...)}."""
    sections = {}
    name = None
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "schema.sql"), "r", encoding="utf-8") as f:
        for line in f:
            if line.startswith("-- ["):
                name = line[4:line.index("]")]
                sections[name] = []
            elif name is not None and not line.startswith("--"):
                sections[name].append(line)
    return dict((key, tuple(s.strip() for s in "".join(lines).split(";")
                            if s.strip()))
                for key, lines in sections.items())


try:
    _SECTIONS = _load_schema()
    _SCHEMA_ERROR = None
except (OSError, ValueError) as exc:  # importing the agent never fails on it
    _SECTIONS = {}
    _SCHEMA_ERROR = "cannot read leakscope_agent/schema.sql: %s" % exc


def _statements(section):
    """The CREATE statements of one schema section; a clear error when the
    package data is missing (a broken install), never at import."""
    statements = _SECTIONS.get(section)
    if not statements:
        raise RuntimeError(_SCHEMA_ERROR or "leakscope_agent/schema.sql has "
                           "no section [%s]" % section)
    return statements


# Optional tables (docs/file-format.md, "Containers" and "Allocations"):
# added without a version bump, since a reader that does not know them reads
# every other table unchanged. Created by the first snapshot that has them.
_EXTRA_TABLES = ("container", "alloc_frame", "alloc_traceback", "alloc_stat",
                 "object_traceback")
INT64_MAX = (1 << 63) - 1


def _int64(value):
    """An object id (an address) as SQLite's signed 64-bit integer."""
    value = int(value)
    return value - (1 << 64) if value > INT64_MAX else value


def _check_header(path):
    """Refuse anything that is not empty and not SQLite, without opening it
    with SQLite (which would happily turn an unknown file into a journal)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RuntimeError("%s: cannot read: %s" % (path, exc.strerror or exc))
    if os.path.isdir(path):
        raise ValueError("%s: is a directory, not a .lsnap file" % path)
    if st.st_size == 0:
        return
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise RuntimeError("%s: cannot read: %s" % (path, exc.strerror or exc))
    if head != _SQLITE_MAGIC:
        raise ValueError("%s: not a Leakscope file (not an SQLite database); "
                         "refusing to write to it" % path)


def _create_schema(cur):
    for statement in _statements("base"):
        cur.execute(statement)
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = [
        ("format_version", str(FORMAT_VERSION)),
        ("writer", "leakscope_agent " + AGENT_VERSION),
        ("created_at", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("byte_order", sys.byteorder),
    ]
    cur.executemany("INSERT INTO meta(key, value) VALUES(?, ?)", rows)
    # Pragmas take no bound parameters; both values are our own integers.
    cur.execute("PRAGMA application_id = %d" % APPLICATION_ID)
    cur.execute("PRAGMA user_version = %d" % FORMAT_VERSION)


def _prepare(cur, path):
    """Check the file inside the write transaction and create the schema
    when the database is empty. Returns the file's format version."""
    app_id = cur.execute("PRAGMA application_id").fetchone()[0]
    version = cur.execute("PRAGMA user_version").fetchone()[0]
    schema = cur.execute("SELECT type, name FROM sqlite_master").fetchall()
    # A trigger would run on our INSERTs (an endless one fills the disk), a
    # view is nothing a Leakscope file has: refuse before writing a row.
    active = sorted(set(kind for kind, _ in schema
                        if kind in ("trigger", "view")))
    if active:
        raise ValueError("%s: contains %s (not written by Leakscope); "
                         "refusing to write to it"
                         % (path, " and ".join(k + "s" for k in active)))
    tables = {name for kind, name in schema if kind == "table"}
    if app_id == 0 and version == 0 and not tables:
        _create_schema(cur)
        return FORMAT_VERSION
    if app_id != APPLICATION_ID:
        raise ValueError("%s: not a Leakscope file (SQLite database with "
                         "application_id 0x%08X); refusing to write to it"
                         % (path, app_id & 0xFFFFFFFF))
    if version > GRAPH_VERSION:
        raise ValueError("%s: written by a newer Leakscope (format %d, this "
                         "agent writes up to %d); refusing to write to it"
                         % (path, version, GRAPH_VERSION))
    missing = {"meta", "snapshot", "type", "type_count"} - tables
    if version < 1 or missing:
        raise ValueError("%s: not a Leakscope file (format %d, missing tables: "
                         "%s); refusing to write to it"
                         % (path, version, ", ".join(sorted(missing)) or "none"))
    return version


def _write_graph(cur, snapshot_id, graph, version):
    """The graph tables of docs/file-format.md, version 3; raises the file
    to version 3 in the caller's transaction if it was version 1 or 2."""
    if version < GRAPH_VERSION:
        if version == 2:
            # Graphs already there keep their node indices ('index').
            cur.execute("ALTER TABLE graph ADD COLUMN target_encoding TEXT "
                        "NOT NULL DEFAULT 'index'")
        else:
            for statement in _statements("graph"):
                cur.execute(statement)
        cur.execute("PRAGMA user_version = %d" % GRAPH_VERSION)
        cur.execute("UPDATE meta SET value = ? WHERE key = 'format_version'",
                    (str(GRAPH_VERSION),))
    cur.executemany("INSERT OR IGNORE INTO type(name) VALUES(?)",
                    ((name,) for name in sorted(set(graph.type_names))))
    type_ids = dict((name, tid) for tid, name in
                    cur.execute("SELECT id, name FROM type"))

    def blob(name, type_ids=None):
        # The native dump compresses most arrays itself, chunk by chunk
        # (graph.compressed): the same zlib streams, never whole raw.
        done = getattr(graph, "compressed", None)
        if done is not None and name in done:
            return done[name]
        return zlib.compress(graph.packed(name, type_ids), ZLIB_LEVEL)

    cur.execute(
        "INSERT INTO graph(snapshot, node_count, edge_count, compression, "
        "ids, types, sizes, flags, edge_offsets, edge_targets, "
        "target_encoding) VALUES(?, ?, ?, 'zlib', ?, ?, ?, ?, ?, ?, 'id')",
        (snapshot_id, graph.node_count, graph.edge_count,
         blob("ids"), blob("types", type_ids), blob("sizes"), blob("flags"),
         blob("edge_offsets"), blob("edge_targets")))
    cur.executemany(
        "INSERT INTO graph_string(snapshot, id, text) VALUES(?, ?, ?)",
        zip(repeat(snapshot_id), count(), graph.strings))
    cur.execute(
        "INSERT INTO graph_label(snapshot, node_labels, edge_labels) "
        "VALUES(?, ?, ?)",
        (snapshot_id, blob("node_labels"), blob("edge_labels")))


def _type_ids(cur, names):
    cur.executemany("INSERT OR IGNORE INTO type(name) VALUES(?)",
                    ((name,) for name in sorted(set(names))))
    return dict((name, tid) for tid, name in
                cur.execute("SELECT id, name FROM type"))


class _Tracebacks(object):
    """Frames and tracebacks of one snapshot, each stored once. Rows are
    kept as columns and written through zip(): under tracemalloc every
    object the writer makes is a traced allocation, and a tuple per row
    is most of them (executemany lets zip reuse its row tuple)."""

    def __init__(self, functions):
        self.functions = functions
        self.frames = {}
        self.tracebacks = {}
        self.frame_files = []
        self.frame_lines = []
        self.frame_functions = []
        self.tb_ids = []
        self.tb_depths = []
        self.tb_frames = []

    def add(self, frames):
        if frames is None:
            return None
        tb = self.tracebacks.get(frames)
        if tb is not None:
            return tb
        tb = self.tracebacks[frames] = len(self.tracebacks)
        known = self.frames
        for frame in frames:
            if frame not in known:
                known[frame] = len(known)
                self.frame_files.append(frame[0])
                self.frame_lines.append(frame[1])
                self.frame_functions.append(self.functions.get(frame))
        self.tb_ids.extend(repeat(tb, len(frames)))
        self.tb_depths.extend(range(len(frames)))
        self.tb_frames.extend(map(known.__getitem__, frames))
        return tb


def _write_extra(cur, snapshot_id, extra):
    """The optional tables: containers, allocation statistics and object
    tracebacks of this snapshot (extra, see _record.snapshot)."""
    tables = set(name for (name,) in cur.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"))
    if not set(_EXTRA_TABLES) <= tables:
        for statement in _statements("extra"):
            cur.execute(statement)
    rows = extra.get("containers") or ()
    objects = extra.get("objects") or ()
    stats = extra.get("stats") or ()
    names = [r["type"] for r in rows]
    names.extend(o[3] for o in objects)
    names.extend(o[1] for o in objects if o[0] == "type")
    ids = _type_ids(cur, names) if names else {}
    cur.executemany(
        "INSERT OR IGNORE INTO container(snapshot, object_id, type, kind, "
        "items, size, payload_bytes, payload_estimated, previous_items, "
        "held_by, holder_kind, holder_type) "
        "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((snapshot_id, _int64(r["id"]), ids[r["type"]], r["kind"],
          int(r["items"]), int(r["size"]), r["payload"],
          1 if r["estimated"] else 0, r["previous"], r["held_by"],
          r["holder_kind"], r["holder_type"]) for r in rows))
    if not objects and not stats:
        return
    tbs = _Tracebacks(extra.get("functions") or {})
    stat_tbs = list(map(tbs.add, map(itemgetter(2), stats)))
    cur.executemany(
        "INSERT INTO alloc_stat(snapshot, rank, traceback, size, count) "
        "VALUES(?, ?, ?, ?, ?)",
        zip(repeat(snapshot_id), count(), stat_tbs,
            map(itemgetter(0), stats), map(itemgetter(1), stats)))
    del stat_tbs
    ranks = {}
    object_rows = []
    for kind, subject, oid, tname, frames in objects:
        subject = str(_int64(subject)) if kind == "container" else subject
        rank = ranks.get((kind, subject), 0)
        ranks[(kind, subject)] = rank + 1
        object_rows.append((snapshot_id, kind, subject, rank, _int64(oid),
                            ids[tname], tbs.add(frames)))
    cur.executemany(
        "INSERT INTO object_traceback(snapshot, subject_kind, subject, rank, "
        "object_id, object_type, traceback) VALUES(?, ?, ?, ?, ?, ?, ?)",
        object_rows)
    cur.executemany(
        "INSERT INTO alloc_frame(snapshot, id, filename, lineno, function) "
        "VALUES(?, ?, ?, ?, ?)",
        zip(repeat(snapshot_id), count(), tbs.frame_files, tbs.frame_lines,
            tbs.frame_functions))
    cur.executemany(
        "INSERT INTO alloc_traceback(snapshot, id, depth, frame) "
        "VALUES(?, ?, ?, ?)",
        zip(repeat(snapshot_id), tbs.tb_ids, tbs.tb_depths, tbs.tb_frames))


_thread_cpu = getattr(time, "thread_time", time.process_time)


def _note_write(cur, snapshot_id, meta, started):
    """A traced snapshot's meta says what writing it cost (up to its
    commit): tracemalloc's phases get "write" (see _record)."""
    phases = meta.get("tracemalloc")
    phases = phases.get("phases") if isinstance(phases, dict) else None
    if not isinstance(phases, dict):
        return
    phases["write"] = {"seconds": time.perf_counter() - started[0],
                       "cpu_seconds": _thread_cpu() - started[1]}
    cur.execute("UPDATE snapshot SET meta_json = ? WHERE id = ?",
                (_meta_json(meta), snapshot_id))


def _meta_json(meta):
    # Keys the snapshot table already holds as columns stay in meta_json as
    # well: readers take what they know and ignore the rest.
    return json.dumps(meta, sort_keys=True, default=str, allow_nan=False)


def append_snapshot(path, types, meta, label=None, graph=None, extra=None):
    """Append one snapshot (a census result, and a _graph.HeapGraph when
    given; extra: containers and allocations for the optional tables) to
    path; return its id."""
    path = os.fspath(path)
    _check_header(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise RuntimeError("%s: cannot open: %s" % (path, exc))
    try:
        cur = conn.cursor()
        try:
            # Defence in depth: no SQL functions with side effects from
            # the schema (SQLite 3.31+; older ones ignore the pragma).
            cur.execute("PRAGMA trusted_schema = OFF")
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise RuntimeError("%s: cannot start a write transaction: %s"
                               % (path, exc))
        try:
            write_started = time.perf_counter(), _thread_cpu()
            version = _prepare(cur, path)
            cur.execute(
                "INSERT INTO snapshot(label, taken_at, pid, rss, gc_objects, "
                "gc_garbage, meta_json) VALUES(?, ?, ?, ?, ?, ?, ?)",
                (label, float(meta["taken_at"]), int(meta["pid"]),
                 meta.get("rss"), int(meta["gc_objects"]),
                 int(meta["gc_garbage"]), _meta_json(meta)))
            snapshot_id = cur.lastrowid
            names = sorted(types)
            cur.executemany("INSERT OR IGNORE INTO type(name) VALUES(?)",
                            ((name,) for name in names))
            ids = dict((name, tid) for tid, name in
                       cur.execute("SELECT id, name FROM type"))
            cur.executemany(
                "INSERT INTO type_count(snapshot, type, count, size) "
                "VALUES(?, ?, ?, ?)",
                ((snapshot_id, ids[name], types[name][0], types[name][1])
                 for name in names if types[name][0] > 0))
            if graph is not None:
                _write_graph(cur, snapshot_id, graph, version)
            if extra is not None:
                _write_extra(cur, snapshot_id, extra)
            _note_write(cur, snapshot_id, meta, write_started)
            cur.execute("COMMIT")
            return snapshot_id
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.Error):
                raise RuntimeError("%s: cannot write snapshot: %s" % (path, exc))
            raise
    finally:
        conn.close()
