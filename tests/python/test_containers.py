"""Growing containers and allocation sites (issue 14): real programs run
through the real agent on every interpreter present (3.8, 3.11, 3.13), and
the optional tables read back from the .lsnap file they wrote."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys

from agentutil import (AGENT_DIR, AGENT_PARENT, TempDirTestCase, child_env,
                       interpreters, write)

sys.path.insert(0, AGENT_PARENT)
from leakscope_agent._lsnap import append_snapshot  # noqa: E402

# After each step the program waits until the recorder has written two more
# snapshots, so at least one census saw the step complete: no timing.
WAIT = r'''
import os as _os, sqlite3 as _sqlite3, time as _time
def _snapshots():
    try:
        c = _sqlite3.connect("file:%s?mode=ro" % _os.environ["LS_OUT"],
                             uri=True, timeout=30)
        try:
            return c.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        finally:
            c.close()
    except _sqlite3.Error:
        return 0
def wait_snapshots(k=2):
    start = _snapshots()
    deadline = _time.time() + 60
    while _snapshots() < start + k and _time.time() < deadline:
        _time.sleep(0.01)
'''

LEAKS = WAIT + r'''
import collections
LOG = []                      # list of str payloads
CACHE = {}                    # dict int -> bytes (not gc-tracked)
QUEUE = collections.deque()   # deque without maxlen, tuples of ints
BUF = bytearray()             # extended: not a container, not tracked
BOUNDED = {}                  # fills to 1500, then stays flat
TMP = None                    # churn: a fresh list each step

class Session:
    def __init__(self):
        self.history = []

class Conn:
    def __init__(self):
        self.buf = bytearray()    # extended: held by an instance attribute

class Worker:
    def __init__(self):
        self.inbox = bytearray()

SESSION = Session()
CONN = Conn()
WORKERS = [Worker()]          # an instance held by a module's list
for step in range(6):
    for i in range(400):
        n = step * 400 + i
        LOG.append("request %d " % n + "x" * 2000)
        CACHE[n] = b"y" * 300
        QUEUE.append((n, n + 1))
        SESSION.history.append("event %d" % n * 4)
        BOUNDED[n % 1500] = "v%d" % n
    BUF.extend(b"z" * 5000)
    CONN.buf.extend(b"c" * 4000)
    WORKERS[0].inbox.extend(b"i" * 3000)
    TMP = ["churn %d" % k for k in range(3000)]
    TMP = None
    wait_snapshots()
'''

HOSTILE = WAIT + r'''
import os, threading, time, xml.etree.ElementTree as ET

def evil(what):
    os.write(2, ("EVIL %s CALLED\n" % what).encode())
    os._exit(7)

class EvilDict(dict):
    def __len__(self): evil("__len__")
    def __iter__(self): evil("__iter__")
    def keys(self): evil("keys")
    def values(self): evil("values")
    def items(self): evil("items")
    def __getitem__(self, k): evil("__getitem__")
    def __sizeof__(self): evil("__sizeof__")

class EvilList(list):
    def __len__(self): evil("__len__")
    def __iter__(self): evil("__iter__")
    def __getitem__(self, i): evil("__getitem__")
    def __sizeof__(self): evil("__sizeof__")

EVIL_DICT = EvilDict()
EVIL_LIST = EvilList()
BUILDER = ET.TreeBuilder()      # a list with NULL slots inside
BUILDER.start("root", {})
RACING = []
stop = []

def append_forever():
    # Not a pure CPU loop: a thread that never blocks keeps the GIL from
    # a thread that began waiting for it during a census' long switch
    # interval (the pause; issue 12), which would starve the main thread.
    k = 0
    while not stop:
        RACING.append("r%d" % k)
        k += 1
        if k % 64 == 0:
            time.sleep(0)
        if len(RACING) > 200000:
            del RACING[:100000]

thread = threading.Thread(target=append_forever)
thread.start()
for step in range(4):
    for i in range(1500):
        dict.__setitem__(EVIL_DICT, step * 1500 + i, "v%d" % i)
        list.append(EVIL_LIST, "w%d" % i)
    wait_snapshots()
stop.append(1)
thread.join()
print("done", dict.__len__(EVIL_DICT), list.__len__(EVIL_LIST))
'''

TRACED = WAIT + r'''
LOG = []
ITEMS = []

class Item:
    def __init__(self, i):
        self.i = i

def handle(i):
    LOG.append("payload %d " % i * 40)    # ALLOC-PAYLOAD
    ITEMS.append(Item(i))                 # ALLOC-ITEM

for step in range(4):
    for i in range(1500):
        handle(step * 1500 + i)
    wait_snapshots()
'''


def line_of(source, marker):
    for number, line in enumerate(source.splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(marker)


def rows(path, sql, args=()):
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def containers(path):
    """[snapshot id, type, kind, items, size, payload, estimated, previous,
    held_by, holder_kind, holder_type, object_id] ordered by snapshot."""
    return rows(path, "SELECT c.snapshot, t.name, c.kind, c.items, c.size, "
                "c.payload_bytes, c.payload_estimated, c.previous_items, "
                "c.held_by, c.holder_kind, c.holder_type, c.object_id "
                "FROM container c JOIN type t ON t.id = c.type "
                "ORDER BY c.snapshot")


class ContainersTest(TempDirTestCase):
    def run_program(self, python, source, name, extra_args=(), code=0):
        script = write(self.tmp, name + ".py", source)
        out = self.path("%s-%d.lsnap" % (name, len(os.listdir(self.tmp))))
        env = child_env({"LS_OUT": out})
        proc = subprocess.run(
            [python, "-m", "leakscope_agent", "run", "--every", "0.05",
             "--no-serve", "-o", out] + list(extra_args) + [script],
            cwd=self.tmp, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=240)
        self.assertEqual(proc.returncode, code, "exit %s\nstdout:\n%s\n"
                         "stderr:\n%s" % (proc.returncode, proc.stdout,
                                          proc.stderr))
        return out, proc

    def test_growing_containers_are_named_with_payloads(self):
        for version, python in interpreters():
            with self.subTest(python=version):
                out, proc = self.run_program(python, LEAKS, "leaks")
                self.assertEqual(proc.stderr, "")
                found = containers(out)
                grown = [r for r in found if r[7] is not None and
                         r[3] > r[7]]
                named = dict((r[8], r) for r in grown if r[8])
                for holder in ("__main__.LOG", "__main__.CACHE",
                               "__main__.QUEUE", "__main__.BUF",
                               "Session.history"):
                    self.assertIn(holder, named, sorted(named))
                last = dict((r[8], r) for r in found if r[8])
                log = last["__main__.LOG"]
                self.assertEqual((log[1], log[2], log[3]),
                                 ("list", "container", 2400))
                # Each item: a str of ~2 KB, counted at its getsizeof.
                self.assertGreater(log[5], 2400 * 2000)
                self.assertLess(log[5], 2400 * 2200)
                cache = last["__main__.CACHE"]
                self.assertEqual((cache[1], cache[3]), ("dict", 2400))
                # Values of 300 bytes plus int keys, both counted.
                self.assertGreater(cache[5], 2400 * (300 + 24))
                queue = last["__main__.QUEUE"]
                self.assertEqual((queue[1], queue[3]),
                                 ("collections.deque", 2400))
                self.assertGreater(queue[5], 2400 * 40)  # untracked tuples
                buf = last["__main__.BUF"]
                self.assertEqual((buf[1], buf[2], buf[3]),
                                 ("bytearray", "value", 30000))
                self.assertGreaterEqual(buf[4], 30000)
                # Bytearrays held by instance attributes (not containers,
                # not gc-tracked): named by class and attribute.
                for holder, size, tp in (("Conn.buf", 24000, "Conn"),
                                         ("Worker.inbox", 18000, "Worker")):
                    self.assertIn(holder, named, sorted(named))
                    row = last[holder]
                    self.assertEqual(
                        (row[1], row[2], row[3], row[9], row[10]),
                        ("bytearray", "value", size, "instance_attribute",
                         "__main__." + tp))
                    self.assertGreater(named[holder][3], named[holder][7])
                history = last["Session.history"]
                self.assertEqual((history[9], history[10]),
                                 ("instance_attribute", "__main__.Session"))
                # The bounded cache filled in step 4 and then stayed flat;
                # the churn list was never seen growing.
                bounded = [r for r in found if r[1] == "dict" and
                           r[3] == 1500]
                self.assertTrue(bounded)
                self.assertTrue(all(r[7] in (None, 1500) or r[7] < 1500
                                    for r in bounded))
                self.assertEqual(bounded[-1][7], 1500)
                ids = set(r[11] for r in bounded)
                self.assertFalse([r for r in grown if r[11] in ids and
                                  r[0] > bounded[0][0]])
                self.assertNotIn("__main__.TMP", named)
                self.assertNotIn("__main__.BOUNDED",
                                 set(r[8] for r in grown
                                     if r[0] > bounded[0][0]))
                meta = [json.loads(m) for (m,) in rows(
                    out, "SELECT meta_json FROM snapshot ORDER BY id")]
                self.assertTrue(all("containers" in m for m in meta))
                self.assertEqual(rows(out, "PRAGMA user_version"), [(1,)])

    def test_hostile_containers_never_run_program_code(self):
        for version, python in interpreters():
            with self.subTest(python=version):
                out, proc = self.run_program(python, HOSTILE, "hostile")
                self.assertNotIn("EVIL", proc.stderr)
                self.assertEqual(proc.stdout, "done 6000 6000\n")
                found = containers(out)
                evil_dict = [r for r in found
                             if r[1] == "__main__.EvilDict"]
                evil_list = [r for r in found
                             if r[1] == "__main__.EvilList"]
                self.assertEqual(evil_dict[-1][3], 6000)
                self.assertEqual(evil_list[-1][3], 6000)
                self.assertIn("__main__.EVIL_DICT",
                              set(r[8] for r in evil_dict))
                self.assertIn("__main__.EVIL_LIST",
                              set(r[8] for r in evil_list))
                # The list another thread appends to during every scan:
                # lengths as measured, payloads within what they can be.
                racing = [r for r in found if r[8] == "__main__.RACING"]
                for r in [r for r in found if r[1] == "list" and
                          r[3] >= 1000]:
                    if r[5] is not None:
                        self.assertLessEqual(r[5], r[3] * 200 + 10 ** 6)
                self.assertTrue(racing or [r for r in found
                                           if r[1] == "list"])

    def test_trace_names_the_allocating_line(self):
        payload_line = line_of(TRACED, "ALLOC-PAYLOAD")
        item_line = line_of(TRACED, "ALLOC-ITEM")
        for version, python in interpreters():
            with self.subTest(python=version):
                out, proc = self.run_program(python, TRACED, "traced",
                                             ["--trace", "8"])
                script = self.path("traced.py")
                real = os.path.realpath(script)
                metas = [json.loads(m) for (m,) in rows(
                    out, "SELECT meta_json FROM snapshot ORDER BY id")]
                trace = metas[-1]["tracemalloc"]
                self.assertEqual(trace["frames"], 8)
                self.assertEqual(trace["started_by"], "leakscope")
                py = tuple(int(x) for x in metas[-1]["python"].split(".")[:2])
                # The largest statistic is the payload line, in handle().
                top = rows(out, "SELECT f.filename, f.lineno, f.function, "
                           "s.size FROM alloc_stat s JOIN alloc_traceback t "
                           "ON t.snapshot = s.snapshot AND t.id = s.traceback "
                           "AND t.depth = 0 JOIN alloc_frame f ON "
                           "f.snapshot = s.snapshot AND f.id = t.frame "
                           "WHERE s.snapshot = (SELECT max(id) FROM snapshot)"
                           " ORDER BY s.rank LIMIT 1")
                self.assertEqual(os.path.realpath(os.path.join(
                    self.tmp, top[0][0])), real)
                self.assertEqual(top[0][1:3], (payload_line, "handle"))
                # Neither the agent's allocations nor its frames (the
                # runner's, under every stack of the program).
                self.assertFalse(rows(
                    out, "SELECT 1 FROM alloc_frame WHERE filename LIKE ?",
                    (os.path.join(AGENT_DIR, "%"),)))
                self.assertFalse(rows(
                    out, "SELECT 1 FROM alloc_frame WHERE filename LIKE ?",
                    ("%runpy.py",)))
                # The grown list's newest items: allocated on that line.
                items = rows(out, "SELECT f.lineno, f.function FROM "
                             "object_traceback o JOIN container c ON "
                             "c.snapshot = o.snapshot AND CAST(c.object_id AS"
                             " TEXT) = o.subject JOIN alloc_traceback t ON "
                             "t.snapshot = o.snapshot AND t.id = o.traceback"
                             " AND t.depth = 0 JOIN alloc_frame f ON "
                             "f.snapshot = o.snapshot AND f.id = t.frame "
                             "WHERE o.subject_kind = 'container' AND "
                             "c.held_by = '__main__.LOG'")
                self.assertTrue(items)
                self.assertIn((payload_line, "handle"), items)
                instances = rows(out, "SELECT o.traceback FROM "
                                 "object_traceback o WHERE o.subject_kind ="
                                 " 'type' AND o.subject = '__main__.Item'")
                self.assertTrue(instances)
                if py == (3, 11):
                    # No object tracebacks for ordinary instances: said
                    # once in meta; the line statistics remain.
                    self.assertIs(trace["object_tracebacks"], False)
                    self.assertEqual(set(instances), {(None,)})
                else:
                    self.assertIs(trace["object_tracebacks"], True)
                    lines = rows(out, "SELECT f.lineno FROM "
                                 "object_traceback o JOIN alloc_traceback t"
                                 " ON t.snapshot = o.snapshot AND t.id = "
                                 "o.traceback AND t.depth = 0 JOIN "
                                 "alloc_frame f ON f.snapshot = o.snapshot"
                                 " AND f.id = t.frame WHERE o.subject = "
                                 "'__main__.Item'")
                    self.assertIn((item_line,), lines)

    def test_trace_option_parsing(self):
        script = write(self.tmp, "quick.py", "x = 1\n")
        out = self.path("q.lsnap")
        for args, frames in ((["--trace"], 16), (["--trace=3"], 3),
                             (["--trace", "5"], 5)):
            if os.path.exists(out):
                os.remove(out)
            proc = subprocess.run(
                [sys.executable, "-m", "leakscope_agent", "run", "--no-serve",
                 "-o", out] + args + [script], env=child_env(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                universal_newlines=True, timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            meta = json.loads(rows(out, "SELECT meta_json FROM snapshot "
                                   "ORDER BY id DESC LIMIT 1")[0][0])
            self.assertEqual(meta["tracemalloc"]["frames"], frames)
        proc = subprocess.run(
            [sys.executable, "-m", "leakscope_agent", "run", "--trace=0",
             script], env=child_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--trace needs a number of frames", proc.stderr)
        # Without --trace: no tracemalloc, no allocation rows.
        os.remove(out)
        proc = subprocess.run(
            [sys.executable, "-m", "leakscope_agent", "run", "--no-serve",
             "-o", out, script], env=child_env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(rows(out, "SELECT count(*) FROM alloc_stat"),
                         [(0,)])
        self.assertNotIn("tracemalloc", rows(
            out, "SELECT meta_json FROM snapshot")[0][0])

    def test_record_trace_environment(self):
        """LEAKSCOPE_RECORD_TRACE, what `leakscope-cli record --trace`
        sets, through the boot hook."""
        boot = self.path("boot")
        os.makedirs(boot)
        shutil.copy(os.path.join(AGENT_DIR, "_sitecustomize.py"),
                    os.path.join(boot, "sitecustomize.py"))
        script = write(self.tmp, "prog.py", "import tracemalloc\n"
                       "print(tracemalloc.get_traceback_limit())\n")
        out = self.path("env.lsnap")
        env = child_env({"LEAKSCOPE_BOOT_DIR": boot,
                         "LEAKSCOPE_RECORD_OUTPUT": out,
                         "LEAKSCOPE_RECORD_SERVE": "0",
                         "LEAKSCOPE_RECORD_TRACE": "4"},
                        pythonpath=[boot, AGENT_PARENT])
        proc = subprocess.run([sys.executable, script], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=120)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                         (0, "4\n", ""))
        meta = json.loads(rows(out, "SELECT meta_json FROM snapshot ORDER "
                               "BY id DESC LIMIT 1")[0][0])
        self.assertEqual(meta["tracemalloc"]["frames"], 4)
        self.assertGreater(rows(out, "SELECT count(*) FROM alloc_stat")[0][0],
                           0)

    def test_record_trace_leaves_out_what_the_agent_allocates(self):
        """`leakscope-cli record --trace` (the boot hook): the statistics
        hold no allocation made under the agent's frames, even by the
        library code it calls (json for meta_json, threading for its
        recorder thread), and each snapshot says what its phases cost."""
        boot = self.path("boot")
        os.makedirs(boot)
        shutil.copy(os.path.join(AGENT_DIR, "_sitecustomize.py"),
                    os.path.join(boot, "sitecustomize.py"))
        script = write(self.tmp, "traced.py", TRACED)
        real = os.path.realpath(script)
        payload_line = line_of(TRACED, "ALLOC-PAYLOAD")
        for version, python in interpreters():
            with self.subTest(python=version):
                where = subprocess.run(
                    [python, "-c", "import json, os, threading\n"
                     "print(os.path.dirname(json.__file__))\n"
                     "print(threading.__file__)"], stdout=subprocess.PIPE,
                    universal_newlines=True, timeout=60).stdout.split("\n")
                json_dir, threading_file = where[0], where[1]
                out = self.path("boot-%s.lsnap" % version)
                env = child_env({"LEAKSCOPE_BOOT_DIR": boot,
                                 "LEAKSCOPE_RECORD_OUTPUT": out,
                                 "LEAKSCOPE_RECORD_EVERY": "0.05",
                                 "LEAKSCOPE_RECORD_SERVE": "0",
                                 "LEAKSCOPE_RECORD_TRACE": "16",
                                 "LS_OUT": out},
                                pythonpath=[boot, AGENT_PARENT])
                proc = subprocess.run([python, script], env=env,
                                      cwd=self.tmp, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE,
                                      universal_newlines=True, timeout=240)
                self.assertEqual((proc.returncode, proc.stderr), (0, ""))
                frames = set(rows(out, "SELECT DISTINCT filename, function"
                                  " FROM alloc_frame"))
                files = set(f for f, _ in frames)
                self.assertIn(real, set(map(os.path.realpath, files)))
                self.assertFalse([f for f in files if f.startswith(
                    json_dir + os.sep)], files)
                # A thread's first allocations (threading's bootstrap,
                # before its target runs) and the interpreter's
                # threading._shutdown have no frame to tell whose they
                # are; everything the recorder thread's target does has.
                self.assertFalse([fn for f, fn in frames
                                  if f == threading_file and fn not in
                                  ("_bootstrap", "_bootstrap_inner",
                                   "Thread._bootstrap",
                                   "Thread._bootstrap_inner",
                                   "_shutdown")], frames)
                # The agent's own imports (dis for 3.8 and 3.9's line
                # tables) happen before tracemalloc starts.
                self.assertFalse([f for f in files
                                  if os.path.basename(f) == "dis.py"])
                self.assertFalse([f for f in files
                                  if f.startswith(AGENT_DIR + os.sep)])
                top = rows(out, "SELECT f.lineno, f.function FROM alloc_stat"
                           " s JOIN alloc_traceback t ON t.snapshot = "
                           "s.snapshot AND t.id = s.traceback AND t.depth = "
                           "0 JOIN alloc_frame f ON f.snapshot = s.snapshot "
                           "AND f.id = t.frame WHERE s.snapshot = (SELECT "
                           "max(id) FROM snapshot) ORDER BY s.rank LIMIT 1")
                self.assertEqual(top, [(payload_line, "handle")])
                metas = [json.loads(m) for (m,) in rows(
                    out, "SELECT meta_json FROM snapshot ORDER BY id")]
                self.assertGreaterEqual(len(metas), 9)
                grown_types = 0
                for meta in metas:
                    phases = meta["tracemalloc"]["phases"]
                    for name in ("census", "statistics", "functions",
                                 "write"):
                        self.assertGreaterEqual(phases[name]["seconds"], 0)
                        self.assertGreaterEqual(
                            phases[name]["cpu_seconds"], 0)
                    self.assertGreater(phases["census"]["cpu_seconds"], 0)
                    if "object_tracebacks" in phases:
                        grown_types += phases["object_tracebacks"]["rows"]
                self.assertGreater(grown_types, 0)

    def test_agent_files_leave_out_those_that_run_the_program(self):
        """A stack through the runner or the pytest plugin is the
        program's (its script, its tests run under them); one through any
        other agent module is the agent's."""
        from leakscope_agent import _trace
        names = ["__main__.py", "_runner.py", "_pytestrun.py",
                 "pytest_plugin.py", "_census.py", "_lsnap.py", "_record.py"]
        files = [os.path.join(AGENT_DIR, n) for n in names]
        files.append(os.path.join(self.tmp, "_census.py"))
        agent = _trace._agent_files(set(files + ["<unknown>", None]))
        self.assertEqual(agent, set(
            os.path.join(AGENT_DIR, n)
            for n in ("_census.py", "_lsnap.py", "_record.py")))
        program = ((os.path.join(self.tmp, "prog.py"), 3),
                   (os.path.join(AGENT_DIR, "_pytestrun.py"), 118))
        self.assertFalse(_trace._inside_agent(program, agent))
        self.assertTrue(_trace._inside_agent(
            (("/usr/lib/python3/json/encoder.py", 1),
             (os.path.join(AGENT_DIR, "_lsnap.py"), 9)), agent))


class FormatTest(TempDirTestCase):
    def test_file_without_the_tables_gains_them_at_the_same_version(self):
        path = self.path("old.lsnap")
        meta = {"taken_at": 1.0, "pid": 1, "gc_objects": 3, "gc_garbage": 0}
        # What an agent before these tables wrote: no extra.
        append_snapshot(path, {"dict": (3, 300)}, meta, "old")
        tables = set(n for (n,) in rows(
            path, "SELECT name FROM sqlite_master WHERE type = 'table'"))
        self.assertNotIn("container", tables)
        extra = {"containers": [{
            "id": (1 << 64) - 16, "type": "list", "kind": "container",
            "items": 1000, "size": 8056, "payload": 50000,
            "estimated": True, "previous": 900, "held_by": "m.LOG",
            "holder_kind": "module_global", "holder_type": None}],
            "objects": [("container", (1 << 64) - 16, 4096, "str",
                         (("a.py", 3), ("a.py", 9))),
                        ("type", "m.Item", 4100, "m.Item", None)],
            "stats": [(100, 2, (("a.py", 3), ("a.py", 9)))],
            "functions": {("a.py", 3): "f"}}
        append_snapshot(path, {"dict": (3, 300)}, meta, "new", extra=extra)
        self.assertEqual(rows(path, "PRAGMA user_version"), [(1,)])
        self.assertEqual(rows(path, "SELECT key FROM meta ORDER BY key"),
                         [("byte_order",), ("created_at",),
                          ("format_version",), ("writer",)])
        self.assertEqual(set(n for (n,) in rows(
            path, "SELECT name FROM sqlite_master WHERE type = 'table'")) -
            tables, {"container", "alloc_frame", "alloc_traceback",
                     "alloc_stat", "object_traceback"})
        self.assertEqual(rows(path, "SELECT snapshot, object_id, items, "
                              "payload_estimated, held_by FROM container"),
                         [(2, -16, 1000, 1, "m.LOG")])
        self.assertEqual(rows(path, "SELECT subject, rank, object_id, "
                              "traceback FROM object_traceback ORDER BY "
                              "subject"), [("-16", 0, 4096, 0),
                                           ("m.Item", 0, 4100, None)])
        # One traceback stored once, innermost frame first.
        self.assertEqual(rows(path, "SELECT t.depth, f.filename, f.lineno, "
                              "f.function FROM alloc_traceback t JOIN "
                              "alloc_frame f ON f.snapshot = t.snapshot AND "
                              "f.id = t.frame ORDER BY t.depth"),
                         [(0, "a.py", 3, "f"), (1, "a.py", 9, None)])
        self.assertEqual(rows(path, "SELECT rank, traceback, size, count "
                              "FROM alloc_stat"), [(0, 0, 100, 2)])
