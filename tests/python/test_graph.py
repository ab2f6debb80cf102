"""Heap graphs: the file tables written by the real agent in a real child
process (checked with an independent decoder, tests/python/graphdecode.py),
and the live backrefs/chain/instances/object/graph_dump ops."""

import os
import sqlite3
import sys

from agentutil import (EXAMPLES, TempDirTestCase, child_env, run_python,
                       write)
from graphdecode import Graph
from test_server import LiveChild

# A program that leaks in the three ways of the examples, then waits for
# commands on stdin (so the live ops see it mid-run).
LEAKS = """
    import sys
    sys.path.insert(0, %(examples)r)
    import leaky_cache, leaky_listeners, leaky_traceback
    for i in range(30):
        leaky_cache.handle(i)
        leaky_listeners.Widget("w%%d" %% i)
        leaky_traceback.fetch("k%%d" %% i)

    class Node:
        def __init__(self, nxt):
            self.next = nxt

    class Popular:
        pass

    _LONG = None
    for i in range(%(long)d):
        _LONG = Node(_LONG)
    _POPULAR = Popular()
    _FANS = [[_POPULAR] for _ in range(10000)]
    print("ready", flush=True)
    n = 1000
    for line in sys.stdin:
        if line.strip() == "more":
            n += 1
            leaky_cache.handle(n)
        print("ok", flush=True)
"""


# Appended to LEAKS for the recorded file: the ids of the agent's own
# gc-tracked objects, written just before the exit snapshot.
AGENT_IDS = """
    import gc, json, os
    _ids = {}
    def _note(obj, kind=None):
        if obj is not None and gc.is_tracked(obj) and id(obj) not in _ids:
            _ids[id(obj)] = kind or type(obj).__name__
            d = getattr(type(obj), "__dictoffset__", 0) and \\
                object.__getattribute__(obj, "__dict__")
            if d:
                _note(d)
    _agent_dirs = set()
    for _name, _module in list(sys.modules.items()):
        if _name.split(".")[0] != "_leakscope_agent_boot":
            continue
        _note(_module)
        for _key in ("__spec__", "__loader__", "__path__"):
            _value = _module.__dict__.get(_key)
            _note(_value)
            if _key == "__spec__" and _value is not None:
                _note(_value.submodule_search_locations)
        for _p in _module.__dict__.get("__path__") or ():
            _agent_dirs.add(_p)
    for _p in _agent_dirs:
        _note(sys.path_importer_cache.get(_p), "FileFinder")
    _record = sys.modules["_leakscope_agent_boot._record"]
    _note(_record.active_recorder(), "Recorder")
    with open(%(out)r, "w") as _f:
        json.dump({"ids": list(_ids), "kinds": sorted(set(_ids.values())),
                   "kind_of": sorted(_ids.items())}, _f)
"""


def leaks_script(test, long=5):
    return write(test.tmp, "leaks.py", LEAKS % {"examples": EXAMPLES,
                                                "long": long})


class GraphFileTest(TempDirTestCase):
    """One recorded file, shared by the checks (recording is the slow
    part)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._dir = tempfile.TemporaryDirectory(prefix="leakscope-graph-")
        cls.out = os.path.join(cls._dir.name, "leaks.lsnap")
        cls.agent_ids_file = os.path.join(cls._dir.name, "agent-ids.json")
        script = write(cls._dir.name, "leaks.py",
                       LEAKS % {"examples": EXAMPLES, "long": 300}
                       + AGENT_IDS % {"out": cls.agent_ids_file})
        cls.proc = run_python(["-m", "leakscope_agent", "run", "--no-serve",
                               "--graph", "-o", cls.out, script], input="")
        cls.graph = Graph(cls.out) if cls.proc.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def setUp(self):
        TempDirTestCase.setUp(self)
        self.assertRan(self.proc)

    def chain_labels(self, type_name):
        g = self.graph
        nodes = g.nodes_of_type(type_name)
        self.assertTrue(nodes, type_name)
        chain = g.chain(nodes[0])
        self.assertTrue(chain, "no chain to a root for %s" % type_name)
        return [label for _, label in chain[1:]], chain

    def test_file_is_version_3_and_follows_the_spec(self):
        self.graph.check()
        self.assertEqual(self.graph.target_encoding, "id")
        conn = sqlite3.connect(self.out)
        try:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone(),
                             (3,))
            self.assertEqual(conn.execute(
                "SELECT value FROM meta WHERE key = 'format_version'")
                .fetchone(), ("3",))
            graphs = conn.execute("SELECT snapshot FROM graph ORDER BY "
                                  "snapshot").fetchall()
            snapshots = conn.execute("SELECT id FROM snapshot ORDER BY "
                                     "id").fetchall()
        finally:
            conn.close()
        self.assertEqual(graphs, snapshots)  # start and exit, both graphs
        self.assertGreater(self.graph.n, 10000)
        self.assertGreater(self.graph.m, self.graph.n)

    def test_every_stored_label_is_used(self):
        # Labels of edges that were dropped (to strings, ints and other
        # atoms, to the agent's objects) are not stored (issue 17).
        g = self.graph
        used = set(g.edge_labels) | set(g.node_labels)
        used.discard(-1)
        self.assertEqual(used, set(range(len(g.strings))))
        self.assertNotIn("", g.strings)

    def test_module_cache_chain_names_the_global(self):
        labels, chain = self.chain_labels("leaky_cache.Request")
        self.assertEqual(self.graph.label(chain[0][0]),
                         "module leaky_cache")
        self.assertEqual(labels[:2], ["__dict__", "_CACHE"])
        self.assertRegex(labels[2], r"^\['/items/\d+'\]$")

    def test_listener_chain_goes_through_the_list_and_self(self):
        labels, chain = self.chain_labels("leaky_listeners.Label")
        self.assertEqual(labels[:2], ["__dict__", "_listeners"])
        self.assertRegex(labels[2], r"^\[\d+\]$")
        self.assertEqual(self.graph.type_name(chain[3][0]), "method")
        self.assertEqual(labels[3], "__self__")
        # Before 3.11 the attribute lives in the instance __dict__.
        self.assertIn(labels[4:], (['.label'], ['__dict__', '.label']))

    def test_traceback_chain_goes_through_traceback_and_frame(self):
        labels, chain = self.chain_labels("leaky_traceback.Query")
        self.assertEqual(labels[:3], ["__dict__", "_cached_error",
                                      "__traceback__"])
        self.assertEqual(labels[-2:], ["tb_frame", "query"])
        self.assertTrue(set(labels[3:-2]) <= {"tb_next"}, labels)
        frame = chain[-2][0]
        self.assertEqual(self.graph.type_name(frame), "frame")
        self.assertRegex(self.graph.label(frame),
                         r"^fetch at leaky_traceback\.py:\d+$")

    def test_long_chain_is_whole(self):
        labels, chain = self.chain_labels("__main__.Popular")
        self.assertEqual(labels, ["__dict__", "_POPULAR"])
        g = self.graph
        tails = [i for i in g.nodes_of_type("__main__.Node")]
        self.assertEqual(len(tails), 300)
        longest = max(len(g.chain(i)) for i in tails[:3] + tails[-3:])
        self.assertGreater(longest, 290)

    def test_agent_objects_are_absent(self):
        # By identity: the ids of the agent's own objects (its modules,
        # their namespaces, specs, loaders, __path__ lists, its path
        # finder, the Recorder), taken inside the recorded process just
        # before the exit snapshot, are no nodes of the graph; nor is any
        # type of the agent's, nor any frame of its code.
        import json
        with open(self.agent_ids_file) as f:
            agent = json.load(f)
        self.assertGreater(len(agent["ids"]), 20)
        self.assertIn("Recorder", agent["kinds"])
        self.assertIn("FileFinder", agent["kinds"])
        g = self.graph
        present = set(agent["ids"]).intersection(g.ids)
        self.assertEqual([k for i, k in agent["kind_of"] if i in present], [])
        names = set(g.type_names[t] for t in set(g.types))
        self.assertFalse([n for n in names if "leakscope" in n], names)
        for i in g.nodes_of_type("frame"):
            label = g.label(i) or ""
            self.assertNotIn("_record.py", label)
            self.assertNotIn("_graph.py", label)
            self.assertNotIn("_runner.py", label)

    def test_roots_are_flagged(self):
        g = self.graph
        modules = [i for i in range(g.n) if g.flags[i] & 1]
        module_labels = set(g.label(i) for i in modules)
        self.assertIn("module leaky_cache", module_labels)
        self.assertIn("module sys", module_labels)
        classes = [i for i in range(g.n) if g.flags[i] & 2]
        self.assertIn("class leaky_cache.Session",
                      set(g.label(i) for i in classes))

    def test_value_labels_are_short(self):
        reprs = [t for t in self.graph.strings if t.startswith(("'", "["))]
        self.assertTrue(reprs)
        self.assertTrue(all(len(t) <= 42 for t in reprs),
                        max(reprs, key=len))


class GraphRecordingTest(TempDirTestCase):
    def test_version_1_file_is_raised_to_3_by_the_first_graph(self):
        out = self.path("mixed.lsnap")
        code = ("import leakscope_agent as a, sys\n"
                "a.snapshot(sys.argv[1], label='plain')\n"
                "a.snapshot(sys.argv[1], label='graph', graph=True)\n"
                "a.snapshot(sys.argv[1], label='plain again')\n")
        script = write(self.tmp, "mixed.py", code)
        conn = None
        self.assertRan(run_python([script, out]))
        conn = sqlite3.connect(out)
        try:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone(),
                             (3,))
            self.assertEqual(conn.execute(
                "SELECT s.label FROM graph g JOIN snapshot s ON "
                "s.id = g.snapshot").fetchall(), [("graph",)])
        finally:
            conn.close()
        Graph(out).check()

    def test_version_2_file_keeps_its_index_graph_and_gains_an_id_graph(self):
        # A file an earlier agent wrote: graph tables without
        # target_encoding. Rewrite the agent's graph into that shape (ids
        # back to node indices), then append another graph to it.
        out = self.path("old.lsnap")
        code = ("import leakscope_agent as a, sys\n"
                "a.snapshot(sys.argv[1], label='old', graph=True)\n")
        script = write(self.tmp, "old.py", code)
        self.assertRan(run_python([script, out]))
        old = Graph(out)
        conn = sqlite3.connect(out)
        try:
            columns = [r[1] for r in conn.execute("PRAGMA table_info(graph)")]
            columns.remove("target_encoding")
            conn.execute("CREATE TABLE graph2 AS SELECT %s FROM graph"
                         % ", ".join(columns))
            conn.execute("DROP TABLE graph")
            conn.execute("ALTER TABLE graph2 RENAME TO graph")
            packed = old.targets.tobytes() if sys.byteorder == "little" \
                else None
            self.assertIsNotNone(packed)
            conn.execute("UPDATE graph SET compression = 'none', ids = ?, "
                         "types = ?, sizes = ?, flags = ?, edge_offsets = ?,"
                         " edge_targets = ?",
                         (old.ids.tobytes(), old.types.tobytes(),
                          old.sizes.tobytes(), bytes(old.flags),
                          old.offsets.tobytes(), packed))
            conn.execute("UPDATE graph_label SET node_labels = ?, "
                         "edge_labels = ?", (old.node_labels.tobytes(),
                                             old.edge_labels.tobytes()))
            conn.execute("PRAGMA user_version = 2")
            conn.commit()
        finally:
            conn.close()
        old_again = Graph(out)
        self.assertEqual(old_again.target_encoding, "index")
        self.assertEqual(list(old_again.targets), list(old.targets))
        code = ("import leakscope_agent as a, sys\n"
                "a.snapshot(sys.argv[1], label='new', graph=True)\n")
        script = write(self.tmp, "new.py", code)
        self.assertRan(run_python([script, out]))
        conn = sqlite3.connect(out)
        try:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone(),
                             (3,))
            rows = conn.execute("SELECT snapshot, target_encoding FROM graph "
                                "ORDER BY snapshot").fetchall()
        finally:
            conn.close()
        self.assertEqual([r[1] for r in rows], ["index", "id"])
        first = Graph(out, rows[0][0])
        first.check()
        self.assertEqual(list(first.targets), list(old.targets))
        Graph(out, rows[1][0]).check()

    def test_objects_frozen_by_gc_freeze_are_no_edge_targets(self):
        # gc.freeze() hides objects from gc.get_objects() although they stay
        # tracked: edges to them must go rather than name ids of no node.
        out = self.path("frozen.lsnap")
        code = ("import gc, leakscope_agent as a, sys\n"
                "class Frozen: pass\n"
                "keep = [Frozen() for _ in range(50)]\n"
                "gc.freeze()\n"
                "holder = {'frozen': keep}\n"
                "a.snapshot(sys.argv[1], graph=True)\n")
        script = write(self.tmp, "frozen.py", code)
        self.assertRan(run_python([script, out]))
        g = Graph(out)
        g.check()
        self.assertEqual(g.nodes_of_type("__main__.Frozen"), [])

    def test_plain_file_stays_version_1(self):
        out = self.path("plain.lsnap")
        script = write(self.tmp, "plain.py",
                       "import leakscope_agent as a, sys\n"
                       "a.snapshot(sys.argv[1])\n")
        self.assertRan(run_python([script, out]))
        conn = sqlite3.connect(out)
        try:
            self.assertEqual(conn.execute("PRAGMA user_version").fetchone(),
                             (1,))
        finally:
            conn.close()

    def test_record_graph_environment_variable(self):
        # What `leakscope-cli record --graph` sets up.
        boot = self.path("boot")
        os.makedirs(boot)
        from agentutil import AGENT_DIR, AGENT_PARENT
        with open(os.path.join(AGENT_DIR, "_sitecustomize.py")) as f:
            hook = f.read()
        with open(os.path.join(boot, "sitecustomize.py"), "w") as f:
            f.write(hook)
        out = self.path("env.lsnap")
        env = child_env({"LEAKSCOPE_RECORD_OUTPUT": out,
                         "LEAKSCOPE_RECORD_GRAPH": "1",
                         "LEAKSCOPE_RECORD_SERVE": "0",
                         "LEAKSCOPE_BOOT_DIR": boot},
                        pythonpath=[boot, AGENT_PARENT])
        script = write(self.tmp, "env.py", "x = [1]\n")
        self.assertRan(run_python([script], env=env))
        conn = sqlite3.connect(out)
        try:
            self.assertEqual(conn.execute(
                "SELECT count(*) FROM graph").fetchone(), (2,))
        finally:
            conn.close()
        Graph(out).check()


class LiveGraphTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile
        cls._dir = tempfile.TemporaryDirectory(prefix="leakscope-live-")
        holder = TempDirTestCase("run")
        holder.tmp = cls._dir.name
        holder.path = lambda *p: os.path.join(cls._dir.name, *p)
        cls.child = LiveChild(holder, script=leaks_script(holder, long=600))
        cls.child.wait_ready()
        cls.client = cls.child.client()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.child.kill()
        cls._dir.cleanup()

    def call(self, op, **params):
        reply = self.client.call(op, request_id=op, **params)
        self.assertEqual(reply["id"], op)
        return reply

    def result(self, op, **params):
        reply = self.call(op, **params)
        self.assertIn("result", reply, reply)
        return reply["result"]

    def chain_edges(self, type_name):
        chain = self.result("chain", type=type_name)["chain"]
        self.assertTrue(chain)
        self.assertIsNone(chain[0]["edge"])
        self.assertEqual(chain[-1]["type"], type_name)
        return [step["edge"] for step in chain[1:]], chain

    def test_chain_through_module_cache(self):
        edges, chain = self.chain_edges("leaky_cache.Request")
        self.assertEqual(chain[0]["label"], "module leaky_cache")
        self.assertEqual(chain[0]["kind"], "module")
        self.assertEqual(edges[:2], ["__dict__", "_CACHE"])
        self.assertRegex(edges[2], r"^\['/items/\d+'\]$")

    def test_chain_through_listeners_and_self(self):
        edges, chain = self.chain_edges("leaky_listeners.Label")
        self.assertEqual(edges[:2], ["__dict__", "_listeners"])
        self.assertEqual(chain[3]["type"], "method")
        self.assertEqual(edges[3], "__self__")
        self.assertIn(edges[4:], (['.label'], ['__dict__', '.label']))

    def test_chain_through_traceback(self):
        edges, chain = self.chain_edges("leaky_traceback.Query")
        self.assertEqual(edges[:3], ["__dict__", "_cached_error",
                                     "__traceback__"])
        self.assertEqual(edges[-2:], ["tb_frame", "query"])
        self.assertEqual(chain[-2]["kind"], "frame")

    def test_long_chain_has_no_depth_limit(self):
        nodes = self.result("instances", type="__main__.Node",
                            limit=1000)
        self.assertEqual(nodes["total"], 600)
        lengths = []
        for item in nodes["items"][:2] + nodes["items"][-2:]:
            chain = self.result("chain", object_id=item["id"])["chain"]
            self.assertEqual(chain[-1]["id"], item["id"])
            self.assertLessEqual(set(s["edge"] for s in chain[3:]),
                                 {".next", "__dict__"})
            lengths.append(len(chain))
        self.assertGreater(max(lengths), 600)

    def test_fan_in_cap_collapses_10000_referrers(self):
        result = self.result("backrefs", type="__main__.Popular", depth=1)
        nodes = result["nodes"]
        targets = [n for n in nodes if n["kind"] == "target"]
        self.assertEqual(len(targets), 1)
        referrers = [n for n in nodes if n["depth"] == 1
                     and n["kind"] != "collapsed"]
        collapsed = [n for n in nodes if n["kind"] == "collapsed"]
        self.assertEqual(len(referrers), 10)
        self.assertEqual(len(collapsed), 1)
        # 10,000 lists and the module dict refer to it.
        self.assertEqual(collapsed[0]["more"], 10001 - 10)
        self.assertEqual(collapsed[0]["label"], "+9991 more")
        self.assertEqual(collapsed[0]["offset"], 10)
        ids = set(n["id"] for n in nodes)
        for edge in result["edges"]:
            self.assertIn(edge["from"], ids)
            self.assertIn(edge["to"], ids)
        # The next pages behind "+N more": the same target by id, from the
        # collapsed node's offset; pages do not overlap and end with a last
        # page that has no "+N more".
        target = targets[0]["id"]
        seen = set(n["id"] for n in referrers)
        page = self.result("backrefs", ids=[target], depth=1,
                           offset=collapsed[0]["offset"], fan_in=5000,
                           max_nodes=6000)
        fresh = [n for n in page["nodes"] if n["depth"] == 1
                 and n["kind"] != "collapsed"]
        self.assertEqual(len(fresh), 5000)
        self.assertFalse(seen & set(n["id"] for n in fresh))
        more = [n for n in page["nodes"] if n["kind"] == "collapsed"]
        self.assertEqual([(m["more"], m["offset"]) for m in more],
                         [(10001 - 5010, 5010)])
        last = self.result("backrefs", ids=[target], depth=1,
                           offset=more[0]["offset"], fan_in=5000,
                           max_nodes=6000)
        self.assertEqual(len([n for n in last["nodes"] if n["depth"] == 1]),
                         10001 - 5010)
        self.assertFalse([n for n in last["nodes"]
                          if n["kind"] == "collapsed"])

    def test_backrefs_caps_and_roots(self):
        result = self.result("backrefs", type="leaky_cache.Request", k=2,
                             depth=4, max_nodes=200)
        nodes = {n["id"]: n for n in result["nodes"]}
        self.assertLessEqual(len(nodes), 200)
        self.assertEqual(sum(n["kind"] == "target" for n in nodes.values()),
                         2)
        modules = [n for n in nodes.values() if n["kind"] == "module"]
        self.assertIn("module leaky_cache", [n["label"] for n in modules])
        labels = set(e["label"] for e in result["edges"])
        self.assertIn("_CACHE", labels)
        # Roots are not expanded: nothing refers to a module in the graph.
        for edge in result["edges"]:
            self.assertNotEqual(nodes[edge["to"]]["kind"], "module")
        tiny = self.result("backrefs", type="leaky_cache.Request", k=3,
                           depth=10, max_nodes=5)
        self.assertLessEqual(len(tiny["nodes"]), 5)
        self.assertTrue(tiny["truncated"])

    def test_backrefs_skip_cycles_keeps_only_the_module_above_its_namespace(self):
        def namespace_referrers(result):
            nodes = {n["id"]: n for n in result["nodes"]}
            namespace = [e["from"] for e in result["edges"]
                         if e["label"] == "__dict__"
                         and nodes[e["from"]]["label"] == "module leaky_cache"]
            self.assertEqual(len(namespace), 1)
            space = [e["to"] for e in result["edges"]
                     if e["from"] == namespace[0]][0]
            return nodes, [nodes[e["from"]] for e in result["edges"]
                           if e["to"] == space]
        full = self.result("backrefs", type="leaky_cache.Request", k=1,
                           depth=4)
        nodes, referrers = namespace_referrers(full)
        # The functions of leaky_cache point back through __globals__.
        self.assertIn("function", [n["kind"] for n in referrers])
        self.assertNotIn("skipped", full)
        skipped = self.result("backrefs", type="leaky_cache.Request", k=1,
                              depth=4, skip_cycles=True)
        nodes, referrers = namespace_referrers(skipped)
        self.assertEqual([n["kind"] for n in referrers], ["module"])
        self.assertGreater(skipped["skipped"], 0)
        self.assertEqual(sum(n.get("skipped", 0) for n in nodes.values()),
                         skipped["skipped"])
        self.assertNotIn("__globals__",
                         set(e["label"] for e in skipped["edges"]))

    def test_backrefs_never_shows_the_agent(self):
        result = self.result("backrefs", type="list", k=5, depth=3)
        for node in result["nodes"]:
            self.assertNotIn("leakscope", node["type"])
            self.assertNotRegex(node["label"] or "",
                                r"module leakscope|name='leakscope")
            if node["kind"] == "frame":
                self.assertNotRegex(node["label"], r"_refs\.py|_server\.py")

    def test_backrefs_by_ids(self):
        items = self.result("instances", type="leaky_listeners.Widget",
                            limit=2)["items"]
        ids = [i["id"] for i in items]
        result = self.result("backrefs", ids=ids, depth=1)
        self.assertEqual(sorted(n["id"] for n in result["nodes"]
                                if n["kind"] == "target"), sorted(ids))
        self.assertIn("__self__", set(e["label"] for e in result["edges"]))

    def test_instances_are_paged(self):
        first = self.result("instances", type="leaky_cache.Session",
                            offset=0, limit=10)
        rest = self.result("instances", type="leaky_cache.Session",
                           offset=10, limit=100)
        total = first["total"]
        self.assertGreaterEqual(total, 30)  # 30, plus one per "more"
        self.assertEqual(len(first["items"]), 10)
        self.assertEqual(len(rest["items"]), total - 10)
        ids = [i["id"] for i in first["items"] + rest["items"]]
        self.assertEqual(len(set(ids)), total)
        past = self.result("instances", type="leaky_cache.Session",
                           offset=total, limit=10)
        self.assertEqual(past["items"], [])

    def test_object(self):
        item = self.result("instances", type="__main__.Popular")["items"][0]
        info = self.result("object", object_id=item["id"])
        self.assertEqual(info["type"], "__main__.Popular")
        self.assertEqual(info["referrers_count"], 10001)
        self.assertGreater(info["size"], 0)

    def test_graph_dump(self):
        out = self.path("dump.lsnap")
        result = self.result("graph_dump", path=out)
        self.assertEqual(result["snapshot_id"], 1)
        graph = Graph(out)
        graph.check()
        nodes = graph.nodes_of_type("__main__.Popular")
        self.assertEqual(len(nodes), 1)
        chain = graph.chain(nodes[0])
        self.assertEqual([label for _, label in chain[1:]],
                         ["__dict__", "_POPULAR"])

    def test_the_same_chain_live_and_offline(self):
        out = self.path("same.lsnap")
        self.result("graph_dump", path=out)
        graph = Graph(out)
        for type_name in ("leaky_cache.Request", "leaky_listeners.Label",
                          "leaky_traceback.Query"):
            with self.subTest(type_name):
                live = self.result("chain", type=type_name)["chain"]
                index = dict((graph.ids[i], i) for i in range(graph.n))
                offline = graph.chain(index[live[-1]["id"]])
                self.assertEqual([graph.ids[n] for n, _ in offline],
                                 [s["id"] for s in live])
                self.assertEqual([label for _, label in offline],
                                 [s["edge"] for s in live])

    def test_errors(self):
        cases = [
            ("unknown_type", "chain", {"type": "no.such.Type"},
             "unknown_type"),
            ("unknown_type_backrefs", "backrefs", {"type": "nope"},
             "unknown_type"),
            ("unknown_type_instances", "instances", {"type": "nope"},
             "unknown_type"),
            ("dead_object", "object", {"object_id": 12345}, "unknown_object"),
            ("chain_without_target", "chain", {}, "bad_request"),
            ("chain_with_both", "chain", {"type": "list", "object_id": 1},
             "bad_request"),
            ("type_not_a_string", "backrefs", {"type": 12}, "bad_request"),
            ("skip_cycles_not_a_bool", "backrefs",
             {"type": "leaky_cache.Request", "skip_cycles": 1},
             "bad_request"),
            ("ids_not_ints", "backrefs", {"ids": ["1"]}, "bad_request"),
            ("ids_empty", "backrefs", {"ids": []}, "bad_request"),
            ("depth_negative", "backrefs", {"type": "list", "depth": -1},
             "bad_request"),
            ("k_is_bool", "backrefs", {"type": "list", "k": True},
             "bad_request"),
            ("fan_in_zero", "backrefs", {"type": "list", "fan_in": 0},
             "bad_request"),
            ("limit_is_float", "instances", {"type": "list", "limit": 1.5},
             "bad_request"),
            ("object_without_id", "object", {}, "bad_request"),
            ("relative_dump_path", "graph_dump", {"path": "x.lsnap"},
             "bad_request"),
            ("dump_path_not_string", "graph_dump", {"path": ["/tmp/x"]},
             "bad_request"),
            ("dump_to_a_directory", "graph_dump", {"path": "/"},
             "write_failed"),
        ]
        for name, op, params, code in cases:
            with self.subTest(name):
                reply = self.call(op, **params)
                self.assertIn("error", reply, reply)
                self.assertEqual(reply["error"]["code"], code, reply)
        self.assertIn("result", self.call("ping"))

    def test_baseline_prefers_new_instances(self):
        census = self.result("census", remember_ids=True)
        self.assertGreater(census["meta"]["remembered_ids"], 1000)
        self.assertEqual(self.child.command("more"), "ok")
        result = self.result("backrefs", type="leaky_cache.Request", k=1,
                             depth=1)
        self.assertEqual([e["label"] for e in result["edges"]],
                         ["['/items/%d']" % (1000 + self.child_more())])
        # Ids given by the client win over the remembered ones.
        every = [i["id"] for i in self.result(
            "instances", type="leaky_cache.Request", limit=1000)["items"]]
        result = self.result("backrefs", type="leaky_cache.Request", k=1,
                             depth=0, baseline_ids=every[1:])
        self.assertEqual([n["id"] for n in result["nodes"]], every[:1])

    _more = 0

    def child_more(self):
        LiveGraphTest._more += 1
        return LiveGraphTest._more


# Objects whose methods must never run during a dump: each hook ends the
# process with a message, so a dump that calls one cannot pass.
HOSTILE = """
    import os, sys, leakscope_agent

    def caught(what):
        sys.stdout.write("called %s\\n" % what)
        sys.stdout.flush()
        os._exit(3)

    class Meta(type):
        def __getattribute__(cls, name):
            if name.startswith("__") and name not in ("__name__",):
                return type.__getattribute__(cls, name)
            caught("Meta.__getattribute__ " + name)

    class Hostile(metaclass=Meta):
        def __init__(self):
            self.payload = [1, 2, 3]
        def __getattribute__(self, name):
            caught("__getattribute__ " + name)
        def __repr__(self):
            caught("__repr__")
        def __eq__(self, other):
            caught("__eq__")
        __hash__ = None

    class Lazy:
        def __init__(self):
            self.kept = ["kept"]
        def __getattr__(self, name):
            caught("__getattr__ " + name)
        @property
        def prop(self):
            caught("property")

    class Key(str):
        def __hash__(self):
            return 1
        def __eq__(self, other):
            return str.__eq__(self, other)
        def __repr__(self):
            caught("Key.__repr__")

    class Sized:
        def __sizeof__(self):
            raise ValueError("no size")

    class Slotted:
        __slots__ = ("a", "b")

    s = Slotted()
    s.a = [Hostile()]
    _KEEP = {
        "hostile": Hostile(),
        "lazy": Lazy(),
        Key("strange key"): [Hostile()],
        (1, "t"): ["tuple key"],
        "sized": Sized(),
        "slotted": s,
        "big": [[i] for i in range(70000)],
    }
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    print("ok", flush=True)
"""


class HostileHeapTest(TempDirTestCase):
    def test_dump_runs_no_user_code(self):
        out = self.path("hostile.lsnap")
        script = write(self.tmp, "hostile.py", HOSTILE)
        proc = run_python([script, out])
        self.assertRan(proc)
        self.assertEqual(proc.stdout, "ok\n")
        g = Graph(out)
        g.check()
        labels = [label for _, label in g.chain(
            g.nodes_of_type("__main__.Lazy")[0])[1:]]
        self.assertEqual(labels[:3], ["__dict__", "_KEEP", "['lazy']"])
        slotted = g.nodes_of_type("__main__.Slotted")[0]
        self.assertIn(".a", [g.edge_label(e) for e, _ in
                             g.out_edges(slotted)])
        strange = [g.edge_label(e) for n in g.nodes_of_type("dict")
                   for e, _ in g.out_edges(n)]
        self.assertIn("[<__main__.Key>]", strange)
        self.assertIn("key of [<__main__.Key>]", strange)
        self.assertIn("[(1, 't')]", strange)
        big = [n for n in g.nodes_of_type("list")
               if g.label(n) == "list (70000 items)"]
        self.assertEqual(len(big), 1)
        # gc lists a list's items last to first; so do its edges.
        positions = [g.edge_label(e) for e, _ in
                     g.out_edges(big[0])][::-1]
        self.assertEqual(positions[:2], ["[0]", "[1]"])
        self.assertEqual(positions[65535], "[65535]")
        self.assertIsNone(positions[65536])  # past the labelled positions
        self.assertIsNone(positions[69999])
        # Its __sizeof__ (which would raise) is not called: object's size.
        sized = g.nodes_of_type("__main__.Sized")[0]
        self.assertGreater(g.sizes[sized], 0)


# Classes common enough to be grouped whose instances differ in size
# (own __sizeof__, an int subclass with digits, slots, a 3.13 inline-values
# class whose later instances have more attributes): every node's size is
# what sys.getsizeof said in the process itself.
SIZES = """
    import json, sys, leakscope_agent

    class Plain:
        def __init__(self, i):
            self.a = [i]

    class Growing:
        def __init__(self, i):
            self.a = [i]
            if i > 1000:
                self.b = [i]
                self.c = [i]

    class OwnSize:
        def __init__(self, i):
            self.n = i
        def __sizeof__(self):
            return 100 + self.n

    class Big(int):
        pass

    class Slotted:
        __slots__ = ("x", "y")
        def __init__(self, i):
            self.x = [i]

    KEEP = [cls(i) for cls in (Plain, Growing, OwnSize, Slotted)
            for i in range(1500)]
    KEEP.extend(Big(10 ** (i % 40)) for i in range(1500))
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    # A class's own __sizeof__ is never called: such instances are sized
    # as object.__sizeof__ plus the header getsizeof adds.
    header = sys.getsizeof(Plain(0)) - Plain(0).__sizeof__()
    def size(o):
        if type(o) is OwnSize:
            return object.__sizeof__(o) + header
        return sys.getsizeof(o)
    print(json.dumps(dict((str(id(o)), size(o)) for o in KEEP)),
          flush=True)
"""


class SizesTest(TempDirTestCase):
    def test_class_group_sizes_are_each_objects_getsizeof(self):
        import json
        out = self.path("sizes.lsnap")
        proc = run_python([write(self.tmp, "sizes.py", SIZES), out])
        self.assertRan(proc)
        expected = dict((int(k), v) for k, v in
                        json.loads(proc.stdout).items())
        g = Graph(out)
        g.check()
        found = {}
        for name in ("Plain", "Growing", "OwnSize", "Slotted", "Big"):
            nodes = g.nodes_of_type("__main__." + name)
            if name != "Big":  # small ints are untracked: no nodes
                self.assertEqual(len(nodes), 1500, name)
            for node in nodes:
                found[g.ids[node]] = g.sizes[node]
        # Sizes differ within a class group (ints, 3.13 inline values).
        self.assertGreater(len(set(expected.values())), 3)
        self.assertEqual(found, dict((i, expected[i]) for i in found))


# Keys and attribute names around the 40-character label limit, with
# quotes, escapes and non-ASCII (their reprs are longer than they are), in
# a dict of str keys and in instance __dict__s; classes common enough to be
# labelled as a group (attribute values without a __dict__ on 3.11+); lists
# of every length up to 5: the dump's fast label paths against key_label.
KEYS = """
    import sys, leakscope_agent

    KEYS = []
    for n in range(36, 45):
        KEYS.append("k" * n)
        KEYS.append("'" * (n // 2) + "q" * (n - n // 2))
        KEYS.append("\\u00e9\\n" * (n // 2))
        KEYS.append("it's" + '"' * (n - 4))
    TABLE = dict((key, [i]) for i, key in enumerate(KEYS))

    class Wide:
        def __init__(self, i):
            self.a39aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = [i]
            self.b40bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb = [i]
            self.c41ccccccccccccccccccccccccccccccccccccccc = [i]

    class Narrow:
        def __init__(self, i):
            self.one = [i]
            self.two = [i]
            self.three = [i]

    WIDE = [Wide(i) for i in range(1500)]
    for w in WIDE:
        w.__dict__  # materialised on 3.11+ too: labelled as a dict
    NARROW = [Narrow(i) for i in range(1500)]
    LISTS = [[[j] for j in range(n)] for n in range(6)]
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    print(len(TABLE), flush=True)
"""


class FastLabelsTest(TempDirTestCase):
    def test_fast_label_paths_match_key_label(self):
        from agentutil import AGENT_PARENT
        sys.path.insert(0, AGENT_PARENT)
        from leakscope_agent._labels import key_label
        out = self.path("keys.lsnap")
        proc = run_python([write(self.tmp, "keys.py", KEYS), out])
        self.assertRan(proc)
        g = Graph(out)
        g.check()
        keys = []
        for n in range(36, 45):
            keys.append("k" * n)
            keys.append("'" * (n // 2) + "q" * (n - n // 2))
            keys.append("\u00e9\n" * (n // 2))
            keys.append("it's" + '"' * (n - 4))
        keys = set(keys)
        self.assertEqual(proc.stdout, "%d\n" % len(keys))
        expected = sorted(key_label(k) for k in keys)
        self.assertTrue(any(len(t) > 40 for t in map(repr, keys)))
        tables = [n for n in g.nodes_of_type("dict")
                  if g.label(n) == "dict (%d items)" % len(keys)]
        found = [sorted(g.edge_label(e) for e, _ in g.out_edges(n))
                 for n in tables]
        self.assertIn(expected, found)

        names = ["a39" + "a" * 36, "b40" + "b" * 37, "c41" + "c" * 38]
        attrs = sorted(key_label(name, 2) for name in names)
        self.assertEqual(max(map(len, attrs)), 40)
        narrow = sorted(key_label(name, 2) for name in ("one", "two",
                                                         "three"))
        for tp, wanted in (("Wide", attrs), ("Narrow", narrow)):
            nodes = g.nodes_of_type("__main__." + tp)
            self.assertEqual(len(nodes), 1500)
            for node in nodes[::100]:
                labels = []
                for e, target in g.out_edges(node):
                    if g.edge_label(e) == "__dict__":
                        labels.extend(g.edge_label(d)
                                      for d, _ in g.out_edges(target))
                    elif g.edge_label(e) != "__class__":
                        labels.append(g.edge_label(e))
                # Inline values (3.11+; on 3.13 even with a __dict__) are
                # cut at the same length as a __dict__'s keys.
                self.assertEqual(sorted(labels), wanted, tp)

        # Every list whose items are all nodes has one edge per position.
        checked = set()
        for m in g.nodes_of_type("list"):
            edges = [g.edge_label(e) for e, _ in g.out_edges(m)]
            n = len(edges)
            if n > 1000 or g.label(m) != "list (%d item%s)" % (
                    n, "" if n == 1 else "s"):
                continue
            self.assertEqual(sorted(edges),
                             sorted("[%d]" % j for j in range(n)))
            checked.add(n)
        self.assertTrue(checked.issuperset(range(6)), checked)


# sys.modules may hold any object, not only modules: a dict, a list and an
# instance of a class common enough to be labelled as a group.
NOT_MODULES = """
    import sys, leakscope_agent

    class Fake:
        def __init__(self, i):
            self.value = [i]

    FAKES = [Fake(i) for i in range(1500)]
    sys.modules["fake_dict_module"] = {"fake": [1]}
    sys.modules["fake_list_module"] = [[1]]
    sys.modules["fake_instance_module"] = FAKES[7]
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    print("ok", flush=True)
"""


class ModuleFlagTest(TempDirTestCase):
    def test_whatever_sys_modules_holds_is_flagged(self):
        out = self.path("fake.lsnap")
        proc = run_python([write(self.tmp, "fake.py", NOT_MODULES), out])
        self.assertRan(proc)
        g = Graph(out)
        g.check()

        def flagged(type_name):
            return [n for n in g.nodes_of_type(type_name) if g.flags[n] & 1]
        self.assertEqual(len(g.nodes_of_type("__main__.Fake")), 1500)
        self.assertEqual(len(flagged("__main__.Fake")), 1)
        self.assertEqual([g.label(n) for n in flagged("dict")],
                         ["dict (1 item)"])
        self.assertEqual([g.label(n) for n in flagged("list")],
                         ["list (1 item)"])
        self.assertGreater(len(flagged("module")), 10)


# Most instances hold None where a few hold a list: whichever instance the
# class group starts from, the list edges are still named by attribute.
MOSTLY_NONE = """
    import sys, leakscope_agent

    class Holder:
        def __init__(self, i):
            self.ref = [i] if i % 100 == 37 else None
            self.other = None

    HOLDERS = [Holder(i) for i in range(1500)]
    HOLDERS.reverse()
    leakscope_agent.snapshot(sys.argv[1], graph=True)
"""


class MostlyNoneTest(TempDirTestCase):
    def test_attribute_named_when_the_first_instance_holds_none(self):
        out = self.path("holders.lsnap")
        proc = run_python([write(self.tmp, "holders.py", MOSTLY_NONE), out])
        self.assertRan(proc)
        g = Graph(out)
        g.check()
        holders = g.nodes_of_type("__main__.Holder")
        self.assertEqual(len(holders), 1500)
        labels = []
        for n in holders:
            for e, target in g.out_edges(n):
                # Before 3.11 the attributes live in the instance's __dict__.
                edges = g.out_edges(target) if g.edge_label(e) == "__dict__" \
                    else [(e, target)]
                labels.extend(g.edge_label(d) for d, t in edges
                              if g.type_name(t) == "list")
        self.assertEqual(labels, [".ref"] * 15)


ORPHAN = """
    import gc, sys
    gc.disable()

    class Orphan:
        pass

    o = Orphan()
    o.me = o      # a cycle nothing else refers to: garbage, kept by gc off
    del o
    print("ready", flush=True)
    for line in sys.stdin:
        print("ok", flush=True)
"""


class UnreferencedChainTest(TempDirTestCase):
    def test_chain_of_garbage_ends_unreferenced(self):
        child = LiveChild(self, script_text=ORPHAN)
        child.wait_ready()
        reply = child.client().call("chain", type="__main__.Orphan")
        result = reply["result"]
        self.assertFalse(result["found"])
        self.assertEqual(result["end"], "unreferenced")
        self.assertEqual(result["chain"][-1]["type"], "__main__.Orphan")
        self.assertIsNone(result["chain"][0]["edge"])


NO_DICTS = """
    import gc, sys, leakscope_agent
    from leakscope_agent import _refs

    class Point:
        def __init__(self):
            self.x = [1]
            self.y = [2]

    _POINTS = [Point() for _ in range(3)]

    def has_dict(p):
        return any(type(r) is dict for r in gc.get_referents(p))

    before = [has_dict(p) for p in _POINTS]
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    chain = _refs.chain_to_root(oid=id(_POINTS[0].y))["chain"]
    after = [has_dict(p) for p in _POINTS]
    print(before == after, [s["edge"] for s in chain][-1])
"""


class InlineValuesTest(TempDirTestCase):
    def test_no_instance_dict_is_materialised(self):
        out = self.path("points.lsnap")
        proc = run_python([write(self.tmp, "points.py", NO_DICTS), out])
        self.assertRan(proc)
        self.assertEqual(proc.stdout, "True .y\n")
        g = Graph(out)
        point = g.nodes_of_type("__main__.Point")[0]
        labels = [g.edge_label(e) for e, _ in g.out_edges(point)]
        if sys.version_info >= (3, 11):
            self.assertEqual(labels, [".x", ".y", "__class__"])
        else:
            self.assertEqual(labels, ["__dict__", "__class__"])


class LabelTest(TempDirTestCase):
    """Labels of single objects, in this process."""

    def test_node_labels_call_no_repr(self):
        from collections import OrderedDict
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))), "resources",
            "python"))
        from leakscope_agent._labels import node_label
        called = []

        class Loud:
            def __repr__(self):
                called.append(1)
                return "loud"

        self.assertIsNone(node_label(Loud()))
        self.assertEqual(called, [])
        self.assertEqual(node_label(OrderedDict(a=1, b=2)),
                         "collections.OrderedDict (2 items)")
        self.assertEqual(node_label("x" * 100), "'" + "x" * 36 + "...")
        self.assertEqual(node_label([1]), "list (1 item)")
