"""Do no harm (docs/safety.md): the agent must not crash, block or change
the program it examines. Each test reproduces one way it once did."""

import json
import os
import socket
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
