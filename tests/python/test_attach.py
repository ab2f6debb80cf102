"""What `leakscope-cli attach` runs in the target (_attach.attach) and the
`stop_server` op that `detach` sends: a real child process, real sockets.
(The gdb side is tested end to end by tests/integration/tst_attach.cpp.)"""

import json
import os
import subprocess
import unittest

from agentutil import PYTHON, TIMEOUT, TempDirTestCase, child_env, write

SCRIPT = """
    import json, os, socket, sys, threading
    from leakscope_agent import _attach, _server

    def call(path, op):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(json.dumps({"id": 1, "op": op}).encode() + b"\\n")
        data = b""
        while not data.endswith(b"\\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        # The server closes the connection after stop_server.
        rest = s.recv(10) if op == "stop_server" else None
        s.close()
        return json.loads(data), rest

    result = sys.argv[1]
    threads = threading.active_count()
    _attach.attach(result)
    with open(result) as f:
        first = json.load(f)
    os.unlink(result)
    _attach.attach(result)  # idempotent: the same socket
    with open(result) as f:
        second = json.load(f)
    hello, _ = call(first["socket"], "hello")
    stopped, rest = call(first["socket"], "stop_server")
    for t in threading.enumerate():
        if t.name.startswith("leakscope"):
            t.join(10)
    # An existing result file is never overwritten (O_EXCL): no exception either.
    _attach.attach(result)
    with open(result) as f:
        kept = json.load(f)
    again = _server.server_address()
    _server.stop_server()
    print(json.dumps({
        "first": first, "second": second, "pid": os.getpid(),
        "stop_op_listed": "stop_server" in hello["result"]["ops"],
        "stopped": stopped.get("result"), "closed": rest == b"",
        "gone": not os.path.exists(first["socket"]),
        "kept": kept == second, "restarted": again == first["socket"],
        "threads": threading.active_count() == threads}))
"""


class AttachTest(TempDirTestCase):
    def test_attach_reports_socket_and_stop_server_stops(self):
        script = write(self.tmp, "attach_api.py", SCRIPT)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")})
        proc = subprocess.run([PYTHON, script, self.path("result.json")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        self.assertEqual(proc.stderr, "")
        out = json.loads(proc.stdout)
        socket_path = os.path.join(self.path("s"), "%d.sock" % out["pid"])
        self.assertEqual(out["first"], {"socket": socket_path, "pid": out["pid"]})
        self.assertEqual(out["second"], out["first"])
        self.assertTrue(out["stop_op_listed"])
        self.assertEqual(out["stopped"], {"stopping": True, "path": socket_path})
        self.assertTrue(out["closed"])
        self.assertTrue(out["gone"])
        self.assertTrue(out["kept"])
        self.assertTrue(out["restarted"])
        self.assertTrue(out["threads"])
        self.assertEqual(os.listdir(self.path("s")), [])

    def test_unsafe_directory_is_reported_in_the_result_not_on_stderr(self):
        script = write(self.tmp, "attach_bad.py", """
            import sys
            from leakscope_agent import _attach
            _attach.attach(sys.argv[1])
            print(open(sys.argv[1]).read())
        """)
        bad = self.path("shared")
        os.mkdir(bad)
        os.chmod(bad, 0o777)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": bad})
        proc = subprocess.run([PYTHON, script, self.path("result.json")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        self.assertEqual(proc.stderr, "")
        result = json.loads(proc.stdout)
        self.assertIn("mode 0777", result["error"])
        self.assertNotIn("socket", result)


if __name__ == "__main__":
    unittest.main()
