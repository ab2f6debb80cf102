"""The native module (leakscope_agent._native, issue 17) against the
pure-Python passes: the same counts and sizes per type, the same heap-graph
file content, on several heaps and on every interpreter the build made a
module for (3.8, the system 3.11 and 3.13 here).

The modules come from the CMake build (LEAKSCOPE_NATIVE_DIR, set by ctest;
build/agent_native otherwise) and are put next to a copy of the agent's
.py files, as Leakscope's installer unpacks them.
"""

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import unittest

from agentutil import (AGENT_DIR, SOURCE_DIR, TIMEOUT, TempDirTestCase,
                       child_env, interpreters, read_snapshots)

NATIVE_DIR = os.environ.get("LEAKSCOPE_NATIVE_DIR") or os.path.join(
    SOURCE_DIR, "build", "agent_native")
# Set by ctest: the build was asked to make the module, so a missing one is
# a failure rather than a skip.
REQUIRED = bool(os.environ.get("LEAKSCOPE_NATIVE_DIR"))


def ext_suffix(python):
    return subprocess.run(
        [python, "-c", "import sysconfig; "
         "print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        stdout=subprocess.PIPE, universal_newlines=True, check=True,
        timeout=TIMEOUT).stdout.strip()


def make_agent(directory):
    """A copy of the agent package with every built native module."""
    target = os.path.join(directory, "leakscope_agent")
    os.makedirs(target)
    for path in glob.glob(os.path.join(AGENT_DIR, "*.py")) + \
            glob.glob(os.path.join(AGENT_DIR, "*.sql")):
        shutil.copy(path, target)
    for path in glob.glob(os.path.join(NATIVE_DIR, "leakscope_agent",
                                       "_native*.so")):
        shutil.copy(path, target)
    return directory


# Heaps of several shapes, built in the child before the comparison. Each
# one also holds objects that must never run code: a class with its own
# __sizeof__ (raising), a metaclass with __getattribute__, a list with NULL
# slots (the C TreeBuilder's element stack).
HEAPS = r'''
import collections, gc, sys, threading, weakref
import xml.etree.ElementTree as ET

class Node:
    def __init__(self, i, nxt=None):
        self.i = i
        self.next = nxt
        self.kids = []

class Slotted:
    __slots__ = ("a", "b", "__weakref__")
    def __init__(self, a):
        self.a = a
        self.b = [a]

class Pair:
    # Both attributes may hold one object: each edge is still named.
    def __init__(self, shared):
        self.left = shared
        self.right = shared

class Sized:
    def __sizeof__(self):
        raise RuntimeError("a program's __sizeof__ ran")

class Meta(type):
    def __getattribute__(cls, name):
        if name.startswith("__") and name not in ("__mro__", "__dict__"):
            raise RuntimeError("a metaclass hook ran: " + name)
        return type.__getattribute__(cls, name)

class Guarded(metaclass=Meta):
    pass

class MyList(list):
    def __len__(self):
        raise RuntimeError("a program's __len__ ran")

class MyDict(dict):
    pass

class Key:
    armed = False
    def __hash__(self):
        return 1
    def __eq__(self, other):
        if Key.armed:
            raise RuntimeError("a program's __eq__ ran")
        return self is other

def closure(x):
    def inner():
        return x
    return inner

def gen():
    local_list = [1, 2]
    yield local_list

def heap(kind, n):
    keep = []
    if kind == "instances":
        head = None
        for i in range(n):
            head = Node(i, head)
            head.kids.append({"k%d" % (i % 7): [i]})
            keep.append(Slotted(i))
            keep.append(Pair([i]))
        keep.append(head)
    elif kind == "containers":
        for i in range(n):
            keep.append((i, [i, str(i)], {"a": i, "b": (i, i)}))
            keep.append({i, i + 1, frozenset((i,))})
            keep.append(collections.OrderedDict(x=[i]))
            keep.append(collections.deque([[i]]))
            keep.append(MyList([i, [i]]))
            keep.append(MyDict(z=[i]))
        keep.append({Key(): [1], Key(): [2], (1, "t"): [3], 5: [4]})
        Key.armed = True
        keep.append([[]] * 100000)
    elif kind == "odd":
        for i in range(n):
            keep.append(Sized())
            keep.append(Guarded())
            keep.append(closure([i]))
            keep.append(Node(i).__init__)
            keep.append(gen())
            keep.append(weakref.ref(keep[0]))
        keep.append(type("Dyn", (Node,), {"__slots__": ("extra",)}))
        keep.append(Guarded)
        try:
            raise ValueError("boom %d" % n)
        except ValueError as exc:
            keep.append(exc)
        builder = ET.TreeBuilder()
        builder.start("root", {})
        builder.start("child", {})
        keep.append(builder)
        keep.append(sys._getframe())
    return keep
'''

CENSUS_CHILD = HEAPS + r'''
import leakscope_agent
from leakscope_agent import _census
result = {"native": _census._native is not None}
if _census._native is not None:
    for kind in ("instances", "containers", "odd"):
        data = heap(kind, 3000)
        objs = gc.get_objects()
        walked = _census._native.census_walk()
        _census.NATIVE[0] = False
        pc, ps = _census._counts_and_sizes(objs)
        nc, ns, _, _ = _census._native.census_pass(objs)
        # In place over the collector's lists: the same, plus objs itself
        # (gc.get_objects() leaves out the list it returns).
        wc, ws = dict(nc), dict(ns)
        wc[list] += 1
        ws[list] += sys.getsizeof(objs)
        del objs
        names = lambda d: dict((_census.type_name(t) + "@%x" % id(t), v)
                               for t, v in d.items())
        diff = sorted(k for k in set(names(pc)) | set(names(nc))
                      if (names(pc).get(k), names(ps).get(k)) !=
                         (names(nc).get(k), names(ns).get(k)))
        result[kind] = {"types": len(nc), "objects": sum(nc.values()),
                        "diff": diff[:10],
                        "node_size": ns.get(Node, 0) // max(nc.get(Node, 1), 1),
                        "sized": nc.get(Sized, 0),
                        "walked": walked is not None,
                        "walk_n": walked and walked[2] == sum(wc.values()),
                        "walk_diff": walked and sorted(
                            _census.type_name(t) for t in set(wc) | set(
                                walked[0]) if (wc.get(t), ws.get(t)) != (
                                walked[0].get(t), walked[1].get(t)))}
        _census.NATIVE[0] = True
        types, meta = leakscope_agent.census(collect=False)
        result[kind]["impl"] = meta["census_impl"]
        result[kind]["census_nodes"] = types.get("__main__.Node", (0, 0))
        _census.NATIVE[0] = False
        types, meta = leakscope_agent.census(collect=False)
        result[kind]["python_impl"] = meta["census_impl"]
        result[kind]["python_census_nodes"] = types.get("__main__.Node",
                                                        (0, 0))
        del data
print(json.dumps(result))
'''


# Two children forked from one heap dump it, one with the native pass and
# one with the pure-Python passes, each into its own file: the same objects
# at the same addresses, so the two graphs must be equal node for node.
DUMP_CHILD = HEAPS + r'''
import os
import leakscope_agent
from leakscope_agent import _census, _lsnap, _record
if _census._native is not None:
    from leakscope_agent import _graphnative  # imported before the fork
out = sys.argv[1]
kind = sys.argv[2]
data = heap(kind, int(sys.argv[3]))
gc.collect()
types, meta = leakscope_agent.census(collect=False)
pids = [0, 0]  # no list grows between the forks: the same heap in both
# No enumerate object live across the fork: its reused result tuple may
# be tracked or not by the time each child dumps (gc runs now).
for i in (0, 1):
    native = i == 0
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _census.NATIVE[0] = native
            graph = _record.dump_graph_locked()
            meta["graph_impl"] = graph.impl
            _lsnap.append_snapshot(os.path.join(out, "native.lsnap" if native
                                                else "python.lsnap"),
                                   types, meta, graph=graph)
            code = 0
        finally:
            os._exit(code)
    pids[i] = pid
print(json.dumps([os.waitpid(pid, 0)[1] for pid in pids]))
'''


# The container pass (issue 14) on one heap, forked: one child records with
# the C census' container pass, one with the pure-Python one; two snapshots
# each, with growth between them (holders, previous lengths). Hostile
# subclasses whose __len__/__iter__/__sizeof__ raise must never run.
CONTAINER_CHILD = HEAPS + r'''
import os
import leakscope_agent
from leakscope_agent import _census, _containers, _lsnap, _record

def evil(*args):
    raise RuntimeError("a program's method ran")

class EvilDict(dict):
    __len__ = __iter__ = keys = values = items = __sizeof__ = evil

class EvilList(list):
    __len__ = __iter__ = __getitem__ = __sizeof__ = evil

class Session:
    def __init__(self):
        self.history = []

class Conn:
    def __init__(self):
        self.buf = bytearray(b"c" * 2000)   # extended: an instance's value

class Worker:
    def __init__(self):
        self.inbox = bytearray(b"i" * 1500)
        self.queue = list(range(1000))

LOG = ["request %d " % i * 3 for i in range(5000)]
BLOBS = dict((i, b"x" * (i % 300)) for i in range(3000))
QUEUE = collections.deque((i, i + 1) for i in range(2500))
ODD = collections.OrderedDict(("k%d" % i, float(i)) for i in range(1200))
DEFAULT = collections.defaultdict(list, ((i, [i]) for i in range(1100)))
COUNTS = collections.Counter(dict(("w%d" % i, i) for i in range(1300)))
SETS = set(range(1400))
FROZEN = frozenset(str(i) for i in range(1050))
HOSTILE = EvilDict((str(i), i) for i in range(1500))
HOSTILE_LIST = EvilList(range(1600))
HUGE_LIST = [str(i) for i in range(150000)]
HUGE_DICT = dict((i, (i, "v")) for i in range(120000))
SESSION = Session()
SESSION.history.extend(range(3000))
CONN = Conn()
WORKERS = [Worker()]        # an instance held by a module-global list
data = heap(kind, 400)
short = [[i] * (i % 9) for i in range(3000)]   # many ties among the short
def main():
    # Locals only: a global that differs between the two children (a pid)
    # would make __main__'s namespace differ.
    gc.collect()
    pids = []
    for native in (True, False):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _census.NATIVE[0] = native
                # Equal holders whatever the machine's load: no time limit
                # cuts one search short and not the other.
                _containers.HOLDER_BUDGET = 30.0
                _containers.INSTANCE_BUDGET = 30.0
                path = os.path.join(out, "native.lsnap" if native
                                    else "python.lsnap")
                _record.snapshot(path, collect=False)
                LOG.extend("more %d" % i for i in range(700))
                SESSION.history.extend(range(2000))
                CONN.buf.extend(b"d" * 3000)
                WORKERS[0].inbox.extend(b"j" * 1000)
                WORKERS[0].queue.extend(range(1500))
                BLOBS.update((i, b"y" * 50) for i in range(3000, 4000))
                _record.snapshot(path, collect=False)
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    return [os.waitpid(pid, 0)[1] for pid in pids]
print(json.dumps(main()))
'''


def normal_form(graph):
    """{id: (type, size, flags, label, [(target id, label)...])}."""
    result = {}
    for node in range(graph.n):
        edges = [(graph.ids[t], graph.edge_label(e))
                 for e, t in graph.out_edges(node)]
        result[graph.ids[node]] = (graph.type_name(node), graph.sizes[node],
                                   graph.flags[node], graph.label(node),
                                   edges)
    return result


def run_child(python, agent_parent, code, extra_env=None):
    env = child_env(extra_env, pythonpath=[agent_parent])
    proc = subprocess.run([python, "-c", "import json\n" + code], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=TIMEOUT * 5)
    return proc


class NativeTestCase(TempDirTestCase):
    def pythons(self):
        """[(name, python)] that have a module in the build; the others
        are reported (a failure when ctest asked for the module)."""
        found = []
        for name, python in interpreters():
            suffix = ext_suffix(python)
            path = os.path.join(NATIVE_DIR, "leakscope_agent",
                                "_native" + suffix)
            if os.path.exists(path):
                found.append((name, python))
            elif REQUIRED and name != "3.8" and name != "3.13":
                self.fail("no native module for %s (%s) in %s"
                          % (python, suffix, NATIVE_DIR))
            else:
                sys.stderr.write("\nno native module for Python %s (%s)\n"
                                 % (name, path))
        if not found:
            self.skipTest("no native module built in %s" % NATIVE_DIR)
        return found


class NativeCensusTest(NativeTestCase):
    def test_census_equals_python_census(self):
        agent = make_agent(self.tmp)
        for name, python in self.pythons():
            with self.subTest(python=name):
                proc = run_child(python, agent, CENSUS_CHILD)
                self.assertRan(proc)
                result = json.loads(proc.stdout)
                self.assertTrue(result["native"], proc.stderr)
                for kind in ("instances", "containers", "odd"):
                    r = result[kind]
                    self.assertEqual(r["diff"], [], kind)
                    # 3.8 to 3.13 keep the layout census_walk checks for.
                    self.assertTrue(r["walked"], kind)
                    self.assertTrue(r["walk_n"], kind)
                    self.assertEqual(r["walk_diff"], [], kind)
                    self.assertGreater(r["objects"], 3000)
                    self.assertEqual(r["impl"], "native")
                    self.assertEqual(r["python_impl"], "python")
                    # The same census from both paths on the same heap.
                    self.assertEqual(r["census_nodes"],
                                     r["python_census_nodes"], kind)
                self.assertEqual(result["instances"]["census_nodes"][0],
                                 3000)
                self.assertGreater(result["instances"]["node_size"], 0)
                self.assertEqual(result["odd"]["sized"], 3000)

    def test_disabled_by_environment(self):
        agent = make_agent(self.tmp)
        name, python = self.pythons()[0]
        code = ("import leakscope_agent\n"
                "print(leakscope_agent.census(False)[1]['census_impl'])\n")
        proc = run_child(python, agent, code, {"LEAKSCOPE_NATIVE": "0"})
        self.assertRan(proc)
        self.assertEqual(proc.stdout.strip(), "python")
        proc = run_child(python, agent, code)
        self.assertRan(proc)
        self.assertEqual(proc.stdout.strip(), "native")


class NativeContainersTest(NativeTestCase):
    def test_containers_equal_python_containers(self):
        agent = make_agent(self.path("agent"))
        sql = ("SELECT c.snapshot, t.name, c.kind, c.items, c.size, "
               "c.payload_bytes, c.payload_estimated, c.previous_items, "
               "c.held_by, c.holder_kind, c.holder_type, c.object_id "
               "FROM container c JOIN type t ON t.id = c.type "
               "ORDER BY c.snapshot, c.object_id")
        for name, python in self.pythons():
            for kind in ("containers", "instances"):
                with self.subTest(python=name, heap=kind):
                    out = self.path("c" + name + kind)
                    os.makedirs(out)
                    script = self.path("containers.py")
                    with open(script, "w") as f:
                        f.write("import json, sys\nout = sys.argv[1]\n"
                                "kind = sys.argv[2]\n" + CONTAINER_CHILD)
                    env = child_env(pythonpath=[agent])
                    proc = subprocess.run(
                        [python, script, out, kind], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        universal_newlines=True, timeout=TIMEOUT * 5)
                    self.assertRan(proc)
                    self.assertEqual(json.loads(proc.stdout), [0, 0],
                                     proc.stderr)
                    self.assertNotIn("program's", proc.stderr)
                    got = {}
                    for which in ("native", "python"):
                        path = os.path.join(out, which + ".lsnap")
                        metas = [m[3] for m in read_snapshots(path)]
                        self.assertEqual(len(metas), 2)
                        for meta in metas:
                            self.assertEqual(meta["census_impl"], which)
                            self.assertEqual(meta["containers"]["impl"],
                                             which)
                            self.assertNotIn("error", meta["containers"])
                            if which == "native":
                                self.assertTrue(
                                    meta["containers"]["longest_exact"])
                        conn = sqlite3.connect(path)
                        try:
                            got[which] = conn.execute(sql).fetchall()
                        finally:
                            conn.close()
                    native, pure = got["native"], got["python"]
                    self.assertEqual(len(native), len(pure), (set(native) - set(pure), set(pure) - set(native)))
                    diff = [(a, b) for a, b in zip(native, pure) if a != b]
                    self.assertEqual(diff[:3], [], (set(native) - set(pure),
                                                    set(pure) - set(native)))
                    by_type = dict(((r[0], r[8] or r[1]), r)
                                   for r in native)
                    # The named ones, with the expected lengths and
                    # payloads: exact below SAMPLE_ABOVE, estimated above.
                    log = by_type[(2, "__main__.LOG")]
                    self.assertEqual(log[3], 5700)
                    self.assertGreater(log[5], 5700 * 49)
                    self.assertEqual(log[6], 0)
                    self.assertEqual(by_type[(2, "Session.history")][3],
                                     5000)
                    # Found by the walk through instance attributes (C in
                    # the native child): bytearray values, and a grown
                    # list named without a heap scan.
                    for holder, n, kind in (
                            ("Conn.buf", 5000, "value"),
                            ("Worker.inbox", 2500, "value"),
                            ("Worker.queue", 2500, "container")):
                        row = by_type[(2, holder)]
                        self.assertEqual((row[2], row[3], row[9]),
                                         (kind, n, "instance_attribute"),
                                         holder)
                    self.assertEqual(by_type[(2, "__main__.BLOBS")][3],
                                     4000)
                    huge = [r for r in native if r[0] == 1 and
                            r[3] == 150000]
                    self.assertEqual(len(huge), 1)
                    self.assertEqual(huge[0][6], 1)  # estimated
                    types = set(r[1] for r in native)
                    for t in ("collections.deque", "collections.OrderedDict",
                              "collections.defaultdict",
                              "collections.Counter", "set", "frozenset",
                              "__main__.EvilDict", "__main__.EvilList"):
                        self.assertIn(t, types)
                    self.assertEqual(len([r for r in native if r[0] == 1]),
                                     len([r for r in native if r[0] == 2]))


class NativeDumpTest(NativeTestCase):
    def test_dump_equals_python_dump(self):
        from graphdecode import Graph
        agent = make_agent(self.path("agent"))
        for name, python in self.pythons():
            for kind in ("instances", "containers", "odd"):
                with self.subTest(python=name, heap=kind):
                    out = self.path(name + kind)
                    os.makedirs(out)
                    script = self.path("dump.py")
                    with open(script, "w") as f:
                        f.write("import json\n" + DUMP_CHILD)
                    env = child_env(pythonpath=[agent])
                    proc = subprocess.run(
                        [python, script, out, kind, "2000"], env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        universal_newlines=True, timeout=TIMEOUT * 5)
                    self.assertRan(proc)
                    self.assertEqual(json.loads(proc.stdout), [0, 0],
                                     proc.stderr)
                    for which in ("native", "python"):
                        snaps = read_snapshots(
                            os.path.join(out, which + ".lsnap"))
                        self.assertEqual(snaps[0][3]["graph_impl"], which)
                    native = Graph(os.path.join(out, "native.lsnap"))
                    pure = Graph(os.path.join(out, "python.lsnap"))
                    native.check()
                    pure.check()
                    self.assertGreater(native.n, 8000)
                    a, b = normal_form(native), normal_form(pure)
                    self.assertEqual(sorted(a), sorted(b))
                    diff = [(a[k], b[k]) for k in a if a[k] != b[k]]
                    self.assertEqual(diff[:3], [])
                    self.assertEqual(len(diff), 0)
                    # Only the labels some node or edge uses, both ways.
                    self.assertEqual(sorted(native.strings),
                                     sorted(pure.strings))


if __name__ == "__main__":
    unittest.main()
