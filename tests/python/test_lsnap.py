"""The .lsnap writer: schema, appends, concurrency, refusals."""

import hashlib
import json
import os
import sqlite3
import subprocess
import sys

from agentutil import (AGENT_PARENT, PYTHON, TempDirTestCase, child_env,
                       read_snapshots)

sys.path.insert(0, AGENT_PARENT)
import leakscope_agent  # noqa: E402

EXPECTED_COLUMNS = {
    "meta": [("key", "TEXT", 0, 1), ("value", "TEXT", 1, 0)],
    "snapshot": [("id", "INTEGER", 0, 1), ("label", "TEXT", 0, 0),
                 ("taken_at", "REAL", 1, 0), ("pid", "INTEGER", 1, 0),
                 ("rss", "INTEGER", 0, 0), ("gc_objects", "INTEGER", 1, 0),
                 ("gc_garbage", "INTEGER", 1, 0), ("meta_json", "TEXT", 1, 0)],
    "type": [("id", "INTEGER", 0, 1), ("name", "TEXT", 1, 0)],
    "type_count": [("snapshot", "INTEGER", 1, 1), ("type", "INTEGER", 1, 2),
                   ("count", "INTEGER", 1, 0), ("size", "INTEGER", 1, 0)],
}


def file_state(path):
    """Everything a refusal must leave alone: bytes, and no journal."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    siblings = sorted(n for n in os.listdir(os.path.dirname(path))
                      if n.startswith(os.path.basename(path)))
    return digest, os.stat(path).st_mtime_ns, siblings


class SchemaTest(TempDirTestCase):
    def test_new_file_has_pragmas_tables_and_meta(self):
        path = self.path("new.lsnap")
        self.assertEqual(leakscope_agent.snapshot(path, label="first"), 1)
        conn = sqlite3.connect(path)
        self.assertEqual(conn.execute("PRAGMA application_id").fetchone()[0],
                         0x4C534E50)
        self.assertEqual(conn.execute("PRAGMA user_version").fetchone()[0], 1)
        self.assertEqual(conn.execute("PRAGMA journal_mode").fetchone()[0],
                         "delete")
        for table, columns in EXPECTED_COLUMNS.items():
            with self.subTest(table=table):
                info = [(r[1], r[2], r[3], r[5]) for r in
                        conn.execute("PRAGMA table_info(%s)" % table)]
                self.assertEqual(info, columns)
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                           "'type_count'").fetchone()[0]
        self.assertIn("WITHOUT ROWID", sql.upper())
        self.assertIsNotNone(conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND "
            "tbl_name = 'type'").fetchone(), "type.name must be UNIQUE")
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        self.assertEqual(meta["format_version"], "1")
        self.assertEqual(meta["writer"], "leakscope_agent 0.1.0")
        self.assertEqual(meta["byte_order"], sys.byteorder)
        self.assertRegex(meta["created_at"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        row = conn.execute("SELECT id, label, taken_at, pid, rss, gc_objects,"
                           " gc_garbage, meta_json FROM snapshot").fetchone()
        self.assertEqual(row[0:2], (1, "first"))
        self.assertEqual(row[3], os.getpid())
        self.assertGreater(row[4], 1 << 20)
        total = conn.execute("SELECT sum(count) FROM type_count").fetchone()[0]
        self.assertEqual(row[5], total)
        zero = conn.execute("SELECT count(*) FROM type_count WHERE count <= 0 "
                            "OR size < 0").fetchone()[0]
        self.assertEqual(zero, 0)
        meta_json = json.loads(row[7])
        for key in ("argv", "python", "implementation", "executable",
                    "platform", "gc_counts", "collected", "collect_freed",
                    "census_seconds", "origin", "has_sizes"):
            self.assertIn(key, meta_json)
        self.assertEqual(meta_json["origin"], "agent")
        self.assertIs(meta_json["collected"], True)
        self.assertEqual(meta_json["rss_kind"], "current")
        self.assertEqual(len(meta_json["gc_counts"]), 3)
        self.assertEqual(meta_json["python"],
                         "%d.%d.%d" % sys.version_info[:3])
        conn.close()

    def test_appends_in_order_and_reuses_type_ids(self):
        path = self.path("append.lsnap")
        ids = [leakscope_agent.snapshot(path, label="s%d" % i,
                                        collect=(i % 2 == 0))
               for i in range(4)]
        self.assertEqual(ids, [1, 2, 3, 4])
        snaps = read_snapshots(path)
        self.assertEqual([s[1] for s in snaps], ["s0", "s1", "s2", "s3"])
        self.assertEqual([s[3]["collected"] for s in snaps],
                         [True, False, True, False])
        self.assertNotIn("collect_freed", snaps[1][3])
        times = [s[3]["taken_at"] for s in snaps]
        self.assertEqual(times, sorted(times))
        conn = sqlite3.connect(path)
        names = [r[0] for r in conn.execute("SELECT name FROM type")]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn("dict", names)
        conn.close()

    def test_label_none_is_null(self):
        path = self.path("nolabel.lsnap")
        leakscope_agent.snapshot(path)
        conn = sqlite3.connect(path)
        self.assertIsNone(conn.execute("SELECT label FROM snapshot")
                          .fetchone()[0])
        conn.close()

    def test_empty_existing_file_is_initialised(self):
        path = self.path("empty.lsnap")
        open(path, "wb").close()
        self.assertEqual(leakscope_agent.snapshot(path), 1)
        self.assertEqual(len(read_snapshots(path)), 1)

    def test_two_processes_append_concurrently(self):
        path = self.path("shared.lsnap")
        code = ("import sys, leakscope_agent\n"
                "for i in range(12):\n"
                "    leakscope_agent.snapshot(sys.argv[1], label=sys.argv[2] "
                "+ str(i), collect=False)\n")
        procs = [subprocess.Popen([PYTHON, "-c", code, path, tag],
                                  env=child_env(), stderr=subprocess.PIPE,
                                  universal_newlines=True)
                 for tag in ("a", "b")]
        errors = [p.communicate(timeout=60)[1] for p in procs]
        self.assertEqual([p.returncode for p in procs], [0, 0], errors)
        snaps = read_snapshots(path)
        self.assertEqual([s[0] for s in snaps], list(range(1, 25)))
        for tag, proc in zip(("a", "b"), procs):
            mine = [s for s in snaps if s[1].startswith(tag)]
            self.assertEqual([s[1] for s in mine],
                             [tag + str(i) for i in range(12)])
            self.assertEqual({s[2] for s in mine}, {proc.pid})
            for s in mine:
                self.assertGreater(len(s[4]), 10)


class RefusalTest(TempDirTestCase):
    """Files that are not ours are refused, named, and left untouched."""

    def make_foreign_sqlite(self, path):
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE notes(x)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
        conn.commit()
        conn.close()

    def make_newer(self, path):
        leakscope_agent.snapshot(path)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA user_version = 4")
        conn.commit()
        conn.close()

    def make_other_app(self, path):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA application_id = 1234")
        conn.execute("CREATE TABLE snapshot(x)")
        conn.commit()
        conn.close()

    def make_ours_without_tables(self, path):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA application_id = %d" % 0x4C534E50)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("CREATE TABLE meta(key, value)")
        conn.commit()
        conn.close()

    def make_bytes(self, data):
        def make(path):
            with open(path, "wb") as f:
                f.write(data)
        return make

    def test_refusals(self):
        cases = [
            ("foreign_sqlite_no_app_id", self.make_foreign_sqlite,
             ValueError, "not a Leakscope file"),
            ("other_application_id", self.make_other_app, ValueError,
             "application_id 0x000004D2"),
            ("newer_user_version", self.make_newer, ValueError,
             "newer Leakscope (format 4"),
            ("our_id_but_tables_missing", self.make_ours_without_tables,
             ValueError, "missing tables"),
            ("text_file", self.make_bytes(b"hello, world\n" * 20),
             ValueError, "not an SQLite database"),
            ("random_bytes", self.make_bytes(os.urandom(4096)), ValueError,
             "not an SQLite database"),
            ("short_garbage", self.make_bytes(b"\x00\x01"), ValueError,
             "not an SQLite database"),
            ("sqlite_header_then_garbage",
             self.make_bytes(b"SQLite format 3\x00" + b"\xff" * 200),
             RuntimeError, "cannot"),
        ]
        for name, make, error, text in cases:
            with self.subTest(name):
                path = self.path(name + ".lsnap")
                make(path)
                before = file_state(path)
                with self.assertRaises(error) as caught:
                    leakscope_agent.snapshot(path)
                self.assertIn(path, str(caught.exception))
                self.assertIn(text, str(caught.exception))
                self.assertEqual(file_state(path), before)

    def test_directory_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            leakscope_agent.snapshot(self.tmp)
        self.assertIn("directory", str(caught.exception))

    def test_unwritable_location_names_the_file(self):
        path = self.path("no", "such", "dir.lsnap")
        with self.assertRaises(RuntimeError) as caught:
            leakscope_agent.snapshot(path)
        self.assertIn(path, str(caught.exception))
