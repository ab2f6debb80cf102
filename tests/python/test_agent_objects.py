"""The agent's own objects never appear in the user's data (issue 15;
docs/safety.md): not in a census (recorded or live), a heap graph (recorded
or graph_dump), the container rows, nor in any live op (instances, object,
backrefs, chain), on every interpreter present (3.8, 3.11, 3.13). The ids
are taken inside the recorded process, by identity, while the agent runs
its recorder, its server and a client's connection."""

import json
import os
import sqlite3
import subprocess

from agentutil import TIMEOUT, TempDirTestCase, child_env, interpreters, write
from graphdecode import Graph
from test_server import Client

PROGRAM = r"""
import gc, json, os, sys

class Session:
    def __init__(self, i):
        self.history = ["event %d" % k for k in range(i % 7)]

SESSIONS = [Session(i) for i in range(300)]
LOG = ["line %d" % i for i in range(3000)]

def agent_ids():
    # Everything gc-tracked whose type belongs to the agent, the agent's
    # modules, their namespaces, and the namespaces of its instances.
    ours = {}
    def note(obj, owner=""):
        if obj is not None and gc.is_tracked(obj):
            ours[id(obj)] = type(obj).__module__ + "." + \
                type(obj).__name__ + owner
    agent = set(m for n, m in sys.modules.items()
                if n.split(".")[0] == "_leakscope_agent_boot")
    for module in agent:
        note(module)
        note(module.__dict__, " of " + module.__name__)
    for obj in gc.get_objects():
        module = type(obj).__module__
        if type(module) is str and \
                module.split(".")[0] == "_leakscope_agent_boot":
            note(obj)
            # Its own __dict__ (3.8 to 3.10; 3.11+ keep the attributes
            # inline and a dict made by asking for it here would be one
            # the test created).
            for d in gc.get_referents(obj):
                if type(d) is dict:
                    note(d, " of " + type(obj).__name__)
    return ours

print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "ids":
        ours = agent_ids()
        with open(sys.argv[1], "w") as f:
            json.dump({"ids": sorted(ours), "types": sorted(set(
                v for v in ours.values() if " of " not in v)),
                "kind_of": sorted(ours.items())}, f)
        del ours
        print("noted", flush=True)
    else:
        break
print("bye")
"""


class AgentObjectsTest(TempDirTestCase):
    def test_agent_objects_never_in_census_graph_containers_or_live_ops(self):
        script = write(self.tmp, "prog.py", PROGRAM)
        for name, python in interpreters():
            with self.subTest(python=name):
                self.check(name, python, script)

    def check(self, name, python, script):
        sock_dir = self.path("s-" + name)
        out = self.path("rec-%s.lsnap" % name)
        dump = self.path("dump-%s.lsnap" % name)
        ids_file = self.path("ids-%s.json" % name)
        proc = subprocess.Popen(
            [python, "-m", "leakscope_agent", "run", "--every", "0.2",
             "--graph", "-o", out, script, ids_file],
            env=child_env({"LEAKSCOPE_SOCKET_DIR": sock_dir}),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True)
        try:
            self.assertEqual(proc.stdout.readline(), "ready\n")
            client = Client(os.path.join(sock_dir, "%d.sock" % proc.pid))
            self.addCleanup(client.close)
            self.assertIn("result", client.call("hello"))
            proc.stdin.write("ids\n")
            proc.stdin.flush()
            self.assertEqual(proc.stdout.readline(), "noted\n")
            with open(ids_file) as f:
                noted = json.load(f)
            agent = set(noted["ids"])
            self.kind_of = dict(noted["kind_of"])
            # The noted set is the real thing: recorder, server, this
            # client's connection and the agent's threads.
            for kind in ("_record.Recorder", "_server.Server",
                         "_server.Connection", "_threads.AgentThread"):
                self.assertTrue([t for t in noted["types"]
                                 if t.endswith(kind)], noted["types"])
            self.live_ops(client, agent, noted["types"], dump)
            proc.stdin.write("end\n")
            proc.stdin.flush()
            rest, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual((proc.returncode, rest, err), (0, "bye\n", ""))
        for path in (out, dump):
            self.files(path, agent)

    def live_ops(self, client, agent, agent_types, dump):
        census = client.call("census", 2)["result"]
        names = [row[0] for row in census["types"]]
        self.assertIn("__main__.Session", names)
        self.assertFalse([n for n in names if "leakscope" in n], names)
        for n, tp in enumerate(agent_types):
            reply = client.call("instances", 100 + n, type=tp)
            total = reply.get("result", {}).get("total", 0)
            self.assertEqual(total, 0, (tp, reply))
        for n, oid in enumerate(sorted(agent)[:200]):
            reply = client.call("object", 1000 + n, object_id=oid)
            self.assertEqual(reply.get("error", {}).get("code"),
                             "unknown_object", (self.kind_of[oid], reply))
        reply = client.call("backrefs", 3, type="__main__.Session", k=3,
                            depth=8, max_nodes=2000)["result"]
        self.assertTrue(reply["nodes"])
        self.assertEqual([n for n in reply["nodes"] if n["id"] in agent], [])
        self.assertFalse([n for n in reply["nodes"]
                          if "leakscope" in (n.get("label") or "")])
        reply = client.call("chain", 4, type="__main__.Session")["result"]
        self.assertTrue(reply["found"], reply)
        self.assertEqual([s for s in reply["chain"] if s["id"] in agent], [])
        reply = client.call("graph_dump", 5, path=dump)
        self.assertIn("result", reply, reply)

    def files(self, path, agent):
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            snapshots = [r[0] for r in conn.execute(
                "SELECT snapshot FROM graph ORDER BY snapshot")]
            types = [r[0] for r in conn.execute(
                "SELECT DISTINCT t.name FROM type_count c JOIN type t "
                "ON t.id = c.type")]
            containers = conn.execute(
                "SELECT c.object_id, t.name, c.held_by, c.holder_type "
                "FROM container c JOIN type t ON t.id = c.type").fetchall()
            snaps = {}
            for oid, label in conn.execute(
                    "SELECT c.object_id, s.label FROM container c JOIN "
                    "snapshot s ON s.id = c.snapshot"):
                snaps.setdefault(oid, []).append(label)
        finally:
            conn.close()
        self.assertTrue(snapshots, path)
        self.assertIn("__main__.Session", types)
        self.assertFalse([t for t in types if "leakscope" in t], types)
        self.assertTrue(containers, path)
        self.assertEqual([(c, self.kind_of.get(c[0]), snaps.get(c[0])) for c in containers
                          if c[0] in agent or
                          "leakscope" in "%s %s %s" % c[1:]], [], path)
        for snapshot in snapshots:
            g = Graph(path, snapshot)
            self.assertEqual(sorted(agent.intersection(g.ids)), [], path)
            names = set(g.type_names[t] for t in set(g.types))
            self.assertFalse([n for n in names if "leakscope" in n], names)
