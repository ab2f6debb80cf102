"""Do no harm (docs/safety.md): the agent must not crash, block or change
the program it examines. Each test reproduces one way it once did."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time

from agentutil import (AGENT_PARENT, TIMEOUT, TempDirTestCase, child_env,
                       interpreters, write)
from graphdecode import Graph
from test_server import Client

# A C ElementTree TreeBuilder mid-stream keeps its element stack as a list
# of 20 whose slots past the top are NULL.
ITERPARSE = """
    import os, sys
    import xml.etree.ElementTree as ET
    class F:
        def __init__(self):
            self.n = 0
        def read(self, size):
            self.n += 1
            if self.n == 1:
                return b'<root>'
            return b'<item a="1"><sub/></item>' * 200
    it = ET.iterparse(F(), events=("end",))
    for _ in range(50):
        next(it)
    import leakscope_agent
    leakscope_agent.snapshot(sys.argv[1], graph=True)
    sock = leakscope_agent.start_server()
    print(sock, flush=True)
    sys.stdin.readline()
    print("alive", len([it]), flush=True)
"""


def reap(proc):
    """Cleanup for a child: kill it if it still runs, close its pipes."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(TIMEOUT)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


class NullSlotTest(TempDirTestCase):
    def test_lists_with_null_slots_survive_graph_census_and_live_ops(self):
        script = write(self.tmp, "iterparse.py", ITERPARSE)
        for name, python in interpreters():
            with self.subTest(python=name):
                out = self.path("iter-%s.lsnap" % name.replace(".", ""))
                env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")})
                proc = subprocess.Popen(
                    [python, script, out], env=env, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    universal_newlines=True)
                self.addCleanup(reap, proc)
                path = proc.stdout.readline().strip()
                self.assertTrue(path, proc.stderr.read() if proc.poll()
                                is not None else "no socket")
                client = Client(path)
                self.addCleanup(client.close)
                replies = [client.call("census")]
                for op in ("backrefs", "chain", "instances"):
                    for tp in ("list", "tuple",
                               "xml.etree.ElementTree.TreeBuilder"):
                        replies.append(client.call(op, type=tp))
                items = replies[-1]["result"]["items"]
                replies.append(client.call("object",
                                           object_id=items[0]["id"]))
                lists = client.call("instances", type="list",
                                    limit=100000)["result"]["items"]
                for item in lists:
                    replies.append(client.call("object",
                                               object_id=item["id"]))
                replies.append(client.call("backrefs",
                                           ids=[i["id"] for i in lists[:500]]))
                for reply in replies:
                    self.assertNotIn("error", reply)
                out_text, err = proc.communicate("\n", timeout=TIMEOUT)
                self.assertEqual(proc.returncode, 0, err)
                self.assertEqual(out_text, "alive 1\n")
                self.assertGreater(Graph(out).n, 1000)


# A program with a raised recursion limit whose output the fuzzing must not
# disturb: it prints one numbered line per request on stdin.
FUZZ_TARGET = """
    import sys
    sys.setrecursionlimit(10 ** 6)
    print("ready", flush=True)
    n = 0
    for line in sys.stdin:
        n += 1
        print("line", n, flush=True)
    print("done", n, flush=True)
"""


def hostile_lines(rng, count):
    """count request lines meant to hurt a JSON-lines server."""
    ops = ["hello", "ping", "census", "backrefs", "chain", "instances",
           "object", "graph_dump", "nope", "", "__class__", "op" * 50]
    values = [None, True, False, 0, -1, 1 << 70, -(1 << 70), 1e308, "x",
              "", [], {}, [1, "a"], {"a": 1}, "../../etc/passwd",
              "\u202e\x1b[31m", 10 ** 30]
    params = ["type", "ids", "object_id", "k", "depth", "max_nodes",
              "fan_in", "offset", "limit", "path", "collect", "id",
              "baseline_ids", "label", "remember_ids"]
    lines = []
    for i in range(count):
        kind = i % 10
        if kind == 0:
            line = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 200)))
            line = line.replace(b"\n", b" ")
        elif kind == 1:
            depth = rng.choice([65, 1000, 100000])
            opener = rng.choice(["[", "{\"a\":"])
            line = (opener * depth).encode()
        elif kind == 2:
            line = ('{"op":"ping","id":%s}' % ("9" * rng.choice(
                [41, 5000, 100000]))).encode()
        elif kind == 3:
            line = json.dumps({"op": rng.choice(ops),
                               "id": rng.choice(values)}).encode()
        elif kind == 4:
            request = {"op": rng.choice(ops[3:8]), "id": i}
            for _ in range(rng.randint(1, 4)):
                request[rng.choice(params)] = rng.choice(values)
            if request["op"] == "graph_dump":
                request["path"] = rng.choice([None, 3, "relative.lsnap"])
            line = json.dumps(request).encode()
        elif kind == 5:
            line = json.dumps(rng.choice(values)).encode()
        elif kind == 6:
            line = b'{"op":"ping","id":"' + b"\\" * rng.randint(1, 5000) + \
                b'"' + b"[" * rng.randint(0, 1000)
        elif kind == 7:
            line = b"[" * 70 + b'"' + b"]" * 70
        elif kind == 8:
            line = json.dumps({"op": "instances", "type": "list",
                               "limit": rng.choice([0, 1, 5]),
                               "offset": rng.choice([0, 1 << 62]),
                               "id": i}).encode()
        elif i % 100 == 9:
            line = b"x" * ((1 << 20) + 10)  # over MAX_LINE: closes
        else:
            line = b'{"op":"hello","id":%d}' % i + b" " * rng.randint(0, 9000)
        lines.append(line)
    return lines


class ProtocolFuzzTest(TempDirTestCase):
    def test_ten_thousand_hostile_lines(self):
        import random
        from test_server import LiveChild
        child = LiveChild(self, FUZZ_TARGET)
        child.wait_ready()
        rng = random.Random(12)
        lines = hostile_lines(rng, 10000)
        client = Client(child.path)
        answered = closed = 0
        for n, line in enumerate(lines, 1):
            try:
                client.send_raw(line + b"\n")
                reply = client.read_reply()
            except (EOFError, ConnectionError):
                reply = None
            if reply is None or (reply.get("error", {}).get("code")
                                 == "too_large"):
                closed += 1
                client.close()
                client = Client(child.path)
            else:
                answered += 1
                self.assertIn(set(reply) - {"id"}, ({"result"}, {"error"}))
                if line.startswith((b"[" * 65, b'{"a":' * 65)):
                    self.assertEqual(reply["error"]["code"], "bad_json",
                                     line[:80])
            if n % 500 == 0:
                self.assertEqual(child.command("tick"), "line %d" % (n // 500))
                self.assertIn("result", client.call("ping"))
        client.close()
        self.assertEqual(closed, 100)
        self.assertEqual(answered, 9900)
        code, out, err = child.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "done 20\n")
        self.assertEqual(err, "")


class TriggerTest(TempDirTestCase):
    def test_files_with_triggers_or_views_are_refused_untouched(self):
        import sqlite3
        sys.path.insert(0, AGENT_PARENT)
        import leakscope_agent
        for extra in ("CREATE TRIGGER t AFTER INSERT ON snapshot BEGIN "
                      "INSERT INTO meta(key, value) VALUES('pwned', 'x'); END",
                      "CREATE VIEW v AS SELECT * FROM meta"):
            with self.subTest(extra=extra.split()[1]):
                out = self.path("t-%s.lsnap" % extra.split()[1])
                leakscope_agent.snapshot(out, collect=False)
                conn = sqlite3.connect(out)
                conn.execute(extra)
                conn.commit()
                conn.close()
                with open(out, "rb") as f:
                    before = f.read()
                with self.assertRaises(ValueError) as caught:
                    leakscope_agent.snapshot(out, collect=False)
                self.assertIn("refusing", str(caught.exception))
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), before)


# A daemon-style program: closes every descriptor above 2, opens four
# files (which get the numbers the agent's server had) and writes them.
CLOSERANGE = """
    import os, sys, time
    os.closerange(3, 65536)
    files = [open(os.path.join(sys.argv[1], "f%d" % i), "w") for i in range(4)]
    for i, f in enumerate(files):
        f.write("content %d\\n" % i)
    time.sleep(float(sys.argv[2]))
    print("daemon done")
    # The files stay open (buffered) until the interpreter shuts down.
"""


class DescriptorTest(TempDirTestCase):
    def test_closerange_then_open_leaves_the_programs_files_intact(self):
        script = write(self.tmp, "daemon.py", CLOSERANGE)
        sock_dir = self.path("sock")
        os.mkdir(self.path("files"))
        env = child_env({"LEAKSCOPE_SOCKET_DIR": sock_dir})
        proc = subprocess.run(
            [sys.executable, "-m", "leakscope_agent", "run", "--no-record",
             script, self.path("files"), "3"], env=env, timeout=TIMEOUT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                         (0, "daemon done\n", ""))
        for i in range(4):
            with open(self.path("files", "f%d" % i)) as f:
                self.assertEqual(f.read(), "content %d\n" % i)
        # The server noticed its socket was gone and removed its file.
        self.assertEqual(os.listdir(sock_dir), [])


class ConnectionLimitTest(TempDirTestCase):
    def test_idle_connections_do_not_lock_others_out(self):
        from test_server import LiveChild, LEAKY
        child = LiveChild(self, LEAKY)
        child.wait_ready()
        idle = []
        for _ in range(64):
            c = Client(child.path)
            self.addCleanup(c.close)
            idle.append(c)
        # Each of the 64 is accepted (answers), then falls silent.
        for c in idle:
            self.assertIn("result", c.call("ping"))
        for _ in range(3):
            late = Client(child.path)
            self.addCleanup(late.close)
            self.assertIn("result", late.call("hello"))


# Forks 300 children as fast as it can while the agent records every
# 0.05 s; each child reports its gc state and opens its own SQLite file.
# Load-robust: each fork has its own deadline (a child that hangs is killed
# and counted, so one hang cannot stall the run), and the forker writes its
# progress to a file that a timed-out run reports.
FORKER = """
    import gc, os, select, signal, sqlite3, sys
    out = sys.argv[1]
    step_seconds = float(sys.argv[2])
    bad = 0
    hung = []
    parent_off = 0
    for i in range(300):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            conn = sqlite3.connect(os.path.join(out, "c%d.db" % i))
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("CREATE TABLE t(x)")
            conn.commit()
            conn.close()
            os.write(w, b"1" if gc.isenabled() else b"0")
            os._exit(0)
        os.close(w)
        if select.select([r], [], [], step_seconds)[0]:
            with os.fdopen(r, "rb") as f:
                state = f.read()
        else:
            os.close(r)
            os.kill(pid, signal.SIGKILL)
            hung.append(i)
            state = b"1"
        os.waitpid(pid, 0)
        bad += state != b"1"
        parent_off += not gc.isenabled()
        [object() for _ in range(2000)]
        with open(os.path.join(out, "progress"), "w") as f:
            f.write("%d forks done, hung: %s" % (i + 1, hung))
    print("children with gc off:", bad)
    print("children that hung:", hung)
    print("parent saw gc off:", parent_off)
    print("parent gc:", gc.isenabled())
"""

FORK_STEP_SECONDS = 60.0


class ForkTest(TempDirTestCase):
    def test_300_forks_under_fast_recording_keep_gc_and_never_hang(self):
        script = write(self.tmp, "forker.py", FORKER)
        dbs = self.path("dbs")
        os.mkdir(dbs)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "leakscope_agent", "run",
                 "--every", "0.05", "-o", self.path("f.lsnap"),
                 script, dbs, str(FORK_STEP_SECONDS)],
                env=child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")}),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                universal_newlines=True, timeout=1800)
        except subprocess.TimeoutExpired:
            try:
                with open(os.path.join(dbs, "progress")) as f:
                    progress = f.read()
            except OSError:
                progress = "no fork done"
            self.fail("the forker did not end in 1800 s (%s)" % progress)
        # The agent never turns collection off: neither a child nor the
        # parent (whose main thread runs while the agent counts in its own
        # thread) can see it off; no child hangs; and on 3.12+ no
        # "multi-threaded fork()" warning (the agent's threads are not
        # there during a fork).
        self.assertEqual(
            (proc.returncode, proc.stdout, proc.stderr),
            (0, "children with gc off: 0\nchildren that hung: []\n"
             "parent saw gc off: 0\nparent gc: True\n", ""))
        conn = sqlite3.connect(self.path("f.lsnap"))
        try:
            snapshots = conn.execute(
                "SELECT COUNT(*) FROM snapshot").fetchone()[0]
        finally:
            conn.close()
        self.assertGreater(snapshots, 2)


# Forks in __main__ (directly, through a function's return, with a hook of
# the program's own that runs Python after the fork) while a live client
# stays connected and the agent records every 0.05 s. Python 3.12+ would
# warn "This process (pid=N) is multi-threaded, use of fork() may lead to
# deadlocks in the child" for each fork if the agent's threads (recorder,
# server, the client's connection) were there; with -W always every one
# would print.
FORK_WARNER = """
    import os, sys
    def fork_returned():
        return os.fork()
    hooked = []
    os.register_at_fork(after_in_parent=lambda: hooked.append(sum(range(9))))
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(40):
        pid = fork_returned() if i % 2 else os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    print("forked", len(hooked), flush=True)
    sys.stdin.readline()
    print("bye")
"""


class ForkWarningTest(TempDirTestCase):
    def test_no_multithreaded_fork_warning_and_threads_come_back(self):
        script = write(self.tmp, "warner.py", FORK_WARNER)
        for name, python in interpreters():
            with self.subTest(python=name):
                sock_dir = self.path("s-" + name)
                out = self.path("w-%s.lsnap" % name)
                proc = subprocess.Popen(
                    [python, "-W", "always", "-m", "leakscope_agent", "run",
                     "--every", "0.05", "-o", out, script],
                    env=child_env({"LEAKSCOPE_SOCKET_DIR": sock_dir}),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, universal_newlines=True)
                try:
                    self.assertEqual(proc.stdout.readline(), "ready\n")
                    path = os.path.join(sock_dir, "%d.sock" % proc.pid)
                    client = Client(path)
                    self.addCleanup(client.close)
                    self.assertIn("result", client.call("hello"))
                    before = self._snapshots(out)
                    proc.stdin.write("go\n")
                    proc.stdin.flush()
                    self.assertEqual(proc.stdout.readline(), "forked 40\n")
                    # The same connection (its thread ended for each fork
                    # and started again), a new one, and the recorder.
                    self.assertIn("result", client.call("ping", 2))
                    late = Client(path)
                    self.addCleanup(late.close)
                    self.assertIn("result", late.call("ping", 3))
                    deadline = time.time() + TIMEOUT
                    while self._snapshots(out) < before + 2 and \
                            time.time() < deadline:
                        time.sleep(0.05)
                    self.assertGreaterEqual(self._snapshots(out), before + 2)
                    proc.stdin.write("go\n")
                    proc.stdin.flush()
                    rest, err = proc.communicate(timeout=TIMEOUT)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.communicate()
                self.assertEqual((proc.returncode, rest, err),
                                 (0, "bye\n", ""))

    def _snapshots(self, path):
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM snapshot").fetchone()[0]
        except sqlite3.Error:
            return 0
        finally:
            conn.close()


# A program thread that polls, as fast as it can, what the agent once
# changed while it counted: whether automatic collection is on, the switch
# interval, and gc.callbacks. The main thread keeps allocating (so that the
# collector has work) until the agent has taken enough snapshots.
OBSERVER = """
    import gc, sys, threading, time
    interval = sys.getswitchinterval()
    callbacks = list(gc.callbacks)
    seen = []
    changes = [0]
    polls = [0]
    stop = threading.Event()
    def poll():
        while not stop.is_set():
            polls[0] += 1
            state = (gc.isenabled(), sys.getswitchinterval(),
                     list(gc.callbacks))
            if state != (True, interval, callbacks):
                changes[0] += 1
                if len(seen) < 5:
                    seen.append(state)
    t = threading.Thread(target=poll)
    t.start()
    keep = []
    deadline = time.time() + float(sys.argv[1])
    while time.time() < deadline:
        keep.append([{"i": i} for i in range(200)])
        if len(keep) > 200:
            del keep[:100]
        if not gc.isenabled() or sys.getswitchinterval() != interval:
            changes[0] += 1
    stop.set()
    t.join()
    print("changes seen:", seen, changes[0])
    print("polled:", polls[0] > 1000)
"""


class ProcessStateTest(TempDirTestCase):
    def test_program_threads_never_see_gc_or_switch_interval_change(self):
        script = write(self.tmp, "observer.py", OBSERVER)
        for name, python in interpreters():
            for graph in ([], ["--graph"]):
                with self.subTest(python=name, graph=bool(graph)):
                    out = self.path("o-%s-%d.lsnap" % (name, len(graph)))
                    proc = subprocess.run(
                        [python, "-m", "leakscope_agent", "run", "--every",
                         "0.05", "-o", out] + graph + [script, "4"],
                        env=child_env({"LEAKSCOPE_SOCKET_DIR":
                                       self.path("s")}),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        universal_newlines=True, timeout=300)
                    self.assertEqual(
                        (proc.returncode, proc.stdout, proc.stderr),
                        (0, "changes seen: [] 0\npolled: True\n", ""))
                    # The agent did record while the program ran: periodic
                    # snapshots between start and exit (how many depends on
                    # the machine's load).
                    conn = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
                    try:
                        n = conn.execute("SELECT count(*) FROM snapshot "
                                         "WHERE label LIKE 'every %'"
                                         ).fetchone()[0]
                    finally:
                        conn.close()
                    self.assertGreaterEqual(n, 1)


# Program threads that keep changing lists, dicts and instances, creating
# and dropping objects, while the agent dumps the heap graph every 0.05 s
# (the dump no longer holds them back).
MUTATOR = """
    import sys, threading, time
    class Node:
        def __init__(self, i):
            self.i = i
            self.peer = None
    shared_list = []
    shared_dict = {}
    anchor = {"anchor_key": Node(-1)}
    stop = threading.Event()
    def churn(k):
        i = 0
        while not stop.is_set():
            i += 1
            node = Node(i)
            node.peer = [node, (i, node)]
            shared_list.append(node)
            shared_dict["k%d_%d" % (k, i % 500)] = node
            if len(shared_list) > 2000:
                del shared_list[:1000]
            if i % 7 == 0:
                shared_dict.pop("k%d_%d" % (k, (i * 3) % 500), None)
    threads = [threading.Thread(target=churn, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    time.sleep(float(sys.argv[1]))
    stop.set()
    for t in threads:
        t.join()
    print("done", type(anchor["anchor_key"]).__name__)
"""


class ConcurrentDumpTest(TempDirTestCase):
    def test_graphs_stay_valid_while_program_threads_mutate(self):
        script = write(self.tmp, "mutator.py", MUTATOR)
        for name, python in interpreters():
            with self.subTest(python=name):
                out = self.path("m-%s.lsnap" % name)
                proc = subprocess.run(
                    [python, "-m", "leakscope_agent", "run", "--every",
                     "0.05", "--graph", "-o", out, script, "3"],
                    env=child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")}),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    universal_newlines=True, timeout=300)
                # No snapshot failed (the agent reports each failure once
                # on stderr) and the program ran as it would alone.
                self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                                 (0, "done Node\n", ""))
                conn = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
                try:
                    sids = [r[0] for r in conn.execute(
                        "SELECT snapshot FROM graph ORDER BY snapshot")]
                    # The "start" snapshot is taken before the program runs.
                    running = set(r[0] for r in conn.execute(
                        "SELECT id FROM snapshot WHERE label != 'start'"))
                    total = conn.execute("SELECT count(*) FROM snapshot"
                                         ).fetchone()[0]
                finally:
                    conn.close()
                # start, exit and at least one periodic snapshot between.
                self.assertGreaterEqual(len(sids), 3)
                self.assertEqual(len(sids), total)
                for sid in sids:
                    graph = Graph(out, sid)
                    graph.check()
                    if sid not in running:
                        continue
                    self.assertGreater(
                        len(graph.nodes_of_type("__main__.Node")), 100)
                    # Labels still name what they lead to: the anchor
                    # dict's value by its key, every Node's .peer a list.
                    anchor = []
                    peers = set()
                    for node in range(graph.n):
                        for e, t in graph.out_edges(node):
                            label = graph.edge_label(e)
                            if label == "['anchor_key']":
                                anchor.append(graph.type_name(t))
                            elif label == ".peer":
                                peers.add(graph.type_name(t))
                    self.assertEqual(anchor, ["__main__.Node"])
                    self.assertEqual(peers, {"list"})
