"""Heap zoo: a program with every importable standard-library module and
live, mid-use instances of C-implemented types, plus hostile classes; the
census, the graph dump and every live op on the zoo's types must leave it
running, its output intact, every file readable and no user method
called (docs/safety.md). Runs on every interpreter present."""

import json
import os
import subprocess

from agentutil import TIMEOUT, TempDirTestCase, child_env, interpreters, write
from graphdecode import Graph
from test_server import Client

ZOO = r'''
import sys, os
SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo",
        "__main__", "pydoc", "webbrowser", "lib2to3", "ensurepip", "venv",
        "msilib", "winreg", "winsound", "_msi", "nturl2path", "sre_compile",
        "sre_constants", "sre_parse", "asyncio.__main__", "tkinter.tix"}
names = getattr(sys, "stdlib_module_names", None) or [
    "abc", "argparse", "array", "ast", "asyncio", "base64", "bisect", "bz2",
    "calendar", "codecs", "collections", "concurrent.futures", "contextlib",
    "copy", "csv", "ctypes", "dataclasses", "datetime", "decimal", "difflib",
    "email", "enum", "fractions", "functools", "glob", "gzip", "hashlib",
    "heapq", "hmac", "html", "http.client", "inspect", "io", "ipaddress",
    "itertools", "json", "logging", "lzma", "mmap", "multiprocessing",
    "operator", "pathlib", "pickle", "queue", "random", "re", "selectors",
    "shutil", "socket", "sqlite3", "ssl", "statistics", "string", "struct",
    "subprocess", "tarfile", "tempfile", "threading", "typing", "unittest",
    "urllib.request", "uuid", "weakref", "xml.etree.ElementTree", "zipfile",
    "zlib"]
import importlib, io, contextlib
imported = 0
for name in sorted(names):
    if name in SKIP or name.startswith("_"):
        continue
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            importlib.import_module(name)
        imported += 1
    except BaseException:
        pass

import array, asyncio, bz2, codecs, ctypes, decimal, functools, itertools
import lzma, mmap, pickle, queue, re, selectors, sqlite3, ssl, subprocess
import threading, weakref, zlib, gc, tempfile, traceback
import multiprocessing
import xml.etree.ElementTree as ET

CALLED = []

class F:
    def __init__(self):
        self.n = 0
    def read(self, size):
        self.n += 1
        return b"<root>" if self.n == 1 else b'<item a="1"><sub/></item>' * 50

KEEP = {}
it = ET.iterparse(F(), events=("start", "end"))
for _ in range(50):
    next(it)
KEEP["iterparse"] = it
pull = ET.XMLPullParser(events=("start", "end"))
pull.feed("<root><a><b>")
list(pull.read_events())
KEEP["pull"] = pull
tmp = tempfile.mkdtemp()
conn = sqlite3.connect(os.path.join(tmp, "z.db"))
conn.execute("CREATE TABLE t(x BLOB)")
conn.execute("INSERT INTO t VALUES(zeroblob(64))")
conn.executemany("INSERT INTO t VALUES(?)", [(b"x",)] * 50)
cur = conn.execute("SELECT * FROM t")
cur.fetchone()
KEEP["sqlite"] = [conn, cur]
if hasattr(conn, "blobopen"):
    KEEP["blob"] = conn.blobopen("t", "x", 1)
loop = asyncio.new_event_loop()
async def sleeper():
    await asyncio.sleep(3600)
KEEP["tasks"] = [loop.create_task(sleeper()) for _ in range(3)]
loop.run_until_complete(asyncio.sleep(0))
KEEP["loop"] = loop
def gen():
    yield 1
    yield 2
g = gen(); next(g)
async def coro():
    await asyncio.sleep(0)
async def agen():
    yield 1
    yield 2
ag = agen()
KEEP["suspended"] = [g, coro(), ag]
src = list(range(100))
z = zip(src, src); next(z)
m = map(str, src); next(m)
e = enumerate(src); next(e)
KEEP["iters"] = [z, m, e, itertools.chain(src, src), itertools.groupby(src),
                 itertools.tee(src, 3), itertools.product(src, repeat=2),
                 itertools.permutations(src[:5]), itertools.cycle(src),
                 itertools.islice(src, 3, 50), itertools.accumulate(src)]
for obj in KEEP["iters"]:
    if hasattr(obj, "__next__"):
        next(obj)
KEEP["array"] = array.array("d", range(100))
mm = mmap.mmap(-1, 4096)
KEEP["mmap"] = mm
KEEP["memoryview"] = memoryview(bytearray(b"abc" * 10))[2:]
class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int)]
KEEP["ctypes"] = [Point(1, 2), (Point * 3)(), (ctypes.c_char * 10)()]
ctx = decimal.Context(prec=5)
KEEP["decimal"] = [ctx, decimal.localcontext(ctx)]
class Target:
    pass
t = Target()
KEEP["weak"] = [t, weakref.proxy(t), weakref.WeakValueDictionary({1: t}),
                weakref.ref(t)]
@functools.lru_cache(maxsize=8)
def cached(x):
    return x
cached(1)
KEEP["functools"] = [functools.partial(print, 1), cached]
lock = threading.Lock(); lock.acquire()
q = queue.Queue()
def blocked_on_lock():
    lock.acquire()
def blocked_on_queue():
    q.get()
threads = [threading.Thread(target=f, daemon=True)
           for f in (blocked_on_lock, blocked_on_queue)]
for th in threads:
    th.start()
KEEP["threads"] = threads
mq = multiprocessing.get_context("spawn").Queue()
KEEP["mpqueue"] = mq
KEEP["ssl"] = ssl.create_default_context()
sel = selectors.DefaultSelector()
r, w = os.pipe()
sel.register(r, selectors.EVENT_READ)
KEEP["selector"] = sel
KEEP["popen"] = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                 stdin=subprocess.PIPE)
KEEP["io"] = [io.BytesIO(b"x" * 100), io.StringIO("y"),
              io.BufferedReader(io.BytesIO(b"z" * 100)),
              io.TextIOWrapper(io.BytesIO(b"w"))]
KEEP["pickler"] = pickle.Pickler(io.BytesIO())
KEEP["compress"] = [zlib.compressobj(), zlib.decompressobj(),
                    bz2.BZ2Compressor(), bz2.BZ2Decompressor(),
                    lzma.LZMACompressor(), lzma.LZMADecompressor()]
KEEP["codecs"] = [codecs.getincrementaldecoder("utf-8")(),
                  codecs.getincrementalencoder("utf-16")()]
sc = re.compile(r"\w+").scanner("a b c"); sc.match()
KEEP["re"] = [sc, re.match(r"(a)", "a")]
try:
    raise ValueError("kept")
except ValueError as exc:
    KEEP["traceback"] = [exc, exc.__traceback__, sys._getframe()]

# Hostile classes: every hook records that it ran (a "never returns" hook
# records instead of hanging).
class Meta(type):
    def __instancecheck__(cls, obj):
        CALLED.append("Meta.__instancecheck__")
        return True
    def __subclasscheck__(cls, sub):
        CALLED.append("Meta.__subclasscheck__")
        return True
    def __getattribute__(cls, name):
        if name not in ("__name__", "__qualname__"):
            pass
        return type.__getattribute__(cls, name)
class Hostile(metaclass=Meta):
    def __repr__(self):
        CALLED.append("__repr__"); raise RuntimeError("repr")
    def __eq__(self, other):
        CALLED.append("__eq__"); KEEP.setdefault("grown", []).append([1])
        return True
    def __hash__(self):
        CALLED.append("__hash__"); return 1
    def __len__(self):
        CALLED.append("__len__ (would never return)"); return 0
    def __sizeof__(self):
        CALLED.append("__sizeof__"); raise MemoryError
    def __getattribute__(self, name):
        CALLED.append("__getattribute__ " + name)
        return object.__getattribute__(self, name)
    def __getattr__(self, name):
        CALLED.append("__getattr__ " + name); raise AttributeError(name)
    @property
    def __class__(self):
        CALLED.append("__class__"); return int
class Slots:
    __slots__ = ("a", "b")
s = Slots(); s.a = [1]
KEEP["hostile"] = [Hostile() for _ in range(5)] + [s]
CALLED_BEFORE = list(CALLED)
del CALLED[:]

print("zoo ready", imported > 20, flush=True)
sys.path.insert(0, os.environ["ZOO_AGENT"])
agent = sys.modules.get("_leakscope_agent_boot")
import leakscope_agent as agent
agent.snapshot(sys.argv[1], graph=True)
agent.census()
print(agent.start_server(), flush=True)
sys.stdin.readline()
for th in threads:
    pass
lock.release(); q.put(None)
for th in threads:
    th.join(5)
KEEP["popen"].communicate(b"")
mq.close(); mq.join_thread()
for task in KEEP["tasks"]:
    task.cancel()
loop.run_until_complete(asyncio.sleep(0))
loop.close()
print("called:", CALLED)
print("zoo done")
'''

TYPES = [
    "xml.etree.ElementTree.TreeBuilder", "xml.etree.ElementTree.XMLPullParser",
    "pyexpat.xmlparser", "sqlite3.Connection", "sqlite3.Cursor", "sqlite3.Blob",
    "_asyncio.Task", "generator", "coroutine", "async_generator", "zip", "map",
    "enumerate", "itertools.chain", "itertools.groupby", "itertools._tee",
    "itertools.product", "array.array", "mmap.mmap", "memoryview",
    "__main__.Point", "decimal.Context", "weakref.WeakValueDictionary",
    "weakproxy", "functools.partial", "functools._lru_cache_wrapper",
    "threading.Thread", "_thread.lock", "queue.Queue", "ssl.SSLContext",
    "subprocess.Popen", "_io.BytesIO", "_io.BufferedReader",
    "_io.TextIOWrapper", "_pickle.Pickler", "zlib.Compress",
    "_bz2.BZ2Compressor", "_lzma.LZMADecompressor", "re.Scanner",
    "_sre.SRE_Scanner", "frame", "traceback", "__main__.Hostile",
    "__main__.Slots", "__main__.Meta", "list", "tuple", "dict", "cell",
]


class ZooTest(TempDirTestCase):
    def test_zoo_survives_census_graph_and_live_ops(self):
        from agentutil import AGENT_PARENT
        script = write(self.tmp, "zoo.py", ZOO)
        for name, python in interpreters():
            with self.subTest(python=name):
                self.run_zoo(python, script, name, AGENT_PARENT)

    def run_zoo(self, python, script, name, agent_parent):
        out = self.path("zoo-%s.lsnap" % name.replace(".", ""))
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s"),
                         "ZOO_AGENT": agent_parent}, pythonpath=[])
        proc = subprocess.Popen([python, script, out], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
        try:
            self.assertEqual(proc.stdout.readline(), "zoo ready True\n")
            path = proc.stdout.readline().strip()
            self.assertTrue(path.endswith(".sock"), proc.stderr.read()
                            if proc.poll() is not None else path)
            client = Client(path)
            self.addCleanup(client.close)
            census = client.call("census")["result"]["types"]
            present = set(row[0] for row in census)
            tried = [t for t in TYPES if t in present]
            self.assertGreater(len(tried), 30, sorted(present))
            for tp in tried:
                items = client.call("instances", type=tp,
                                    limit=3)["result"]["items"]
                for item in items:
                    # A short-lived object may be gone by now.
                    reply = client.call("object", object_id=item["id"])
                    self.assertTrue("result" in reply or reply["error"][
                        "code"] == "unknown_object", reply)
                for op in ("backrefs", "chain"):
                    reply = client.call(op, type=tp)
                    self.assertIn("result", reply, (tp, op, reply))
            client.close()
            stdout, stderr = proc.communicate("\n", timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, stderr)
        self.assertEqual(stdout, "called: []\nzoo done\n", stderr)
        g = Graph(out)
        g.check()
        self.assertGreater(g.n, 10000)
        print("\nzoo on %s: %d types tried live, %d types in the graph"
              % (name, len(tried), len(set(g.types))))
