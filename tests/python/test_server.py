"""The live server: a real child process, real Unix sockets."""

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import unittest

from agentutil import (AGENT_PARENT, EXAMPLES, PYTHON, TIMEOUT,
                       interpreters,
                       TempDirTestCase, child_env, run_agent, write)

sys.path.insert(0, AGENT_PARENT)
from leakscope_agent import _server  # noqa: E402

# Leaks on command: "leak N" keeps N more __main__.Leak objects.
LEAKY = """
    import sys
    class Leak:
        pass
    _KEPT = []
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if parts and parts[0] == "leak":
            _KEPT.extend(Leak() for _ in range(int(parts[1])))
        print("ok", len(_KEPT), flush=True)
"""


class Client(object):
    def __init__(self, path, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_reply(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("server closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line.decode("utf-8"))

    def call(self, op, request_id=1, **params):
        message = dict(params, id=request_id, op=op)
        self.send_raw(json.dumps(message).encode() + b"\n")
        return self.read_reply()

    def closed_by_server(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


class LiveChild(object):
    """`python3 -m leakscope_agent run --no-record script` with its socket
    in a test directory."""

    def __init__(self, test, script_text=LEAKY, extra_args=(), env=None,
                 script=None):
        self.test = test
        self.socket_dir = test.path("sock")
        if script is None:
            script = write(test.tmp, "live.py", script_text)
        self.env = env or child_env({"LEAKSCOPE_SOCKET_DIR": self.socket_dir})
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "leakscope_agent", "run", "--no-record"]
            + list(extra_args) + [script],
            env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True)
        test.addCleanup(self.kill)
        self.path = os.path.join(self.socket_dir, "%d.sock" % self.proc.pid)

    def wait_ready(self):
        line = self.proc.stdout.readline()
        self.test.assertEqual(line.strip(), "ready", self.proc.stderr.read()
                              if not line else line)
        self.test.assertTrue(os.path.exists(self.path))

    def command(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def finish(self):
        out, err = self.proc.communicate(timeout=TIMEOUT)
        return self.proc.returncode, out, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    def client(self):
        client = Client(self.path)
        self.test.addCleanup(client.close)
        return client


def unittest_skip_unless_root():
    return unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0,
                               "needs root to switch to user nobody")


def counts(census_result):
    return dict((row[0], row[1]) for row in census_result["types"])


class ServerProtocolTest(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.child = LiveChild(self)
        self.child.wait_ready()

    def test_hello(self):
        before = time.time()
        reply = self.child.client().call("hello", request_id="h-1")
        self.assertEqual(reply["id"], "h-1")
        hello = reply["result"]
        self.assertEqual(hello["protocol"], 1)
        self.assertEqual(hello["agent"], "0.1.0")
        self.assertEqual(hello["pid"], self.child.proc.pid)
        self.assertEqual(hello["python"], "%d.%d.%d" % sys.version_info[:3])
        self.assertEqual(hello["argv"], [self.path_of_script()])
        self.assertEqual(hello["executable"], sys.executable)
        self.assertLessEqual(hello["started_at"], before + 1)
        self.assertGreater(hello["started_at"], before - TIMEOUT)
        self.assertGreaterEqual(hello["uptime"], 0)
        self.assertIn("census", hello["ops"])

    def path_of_script(self):
        return os.path.join(self.tmp, "live.py")

    def test_census_shows_growth_of_the_leaking_type(self):
        client = self.child.client()
        first = client.call("census", request_id=1)["result"]
        self.assertEqual(self.child.command("leak 1500"), "ok 1500")
        second = client.call("census", request_id=2)["result"]
        self.assertEqual(counts(first).get("__main__.Leak", 0), 0)
        self.assertEqual(counts(second)["__main__.Leak"], 1500)
        for key in ("taken_at", "pid", "rss", "gc_objects", "gc_garbage",
                    "meta", "types"):
            self.assertIn(key, second)
        self.assertEqual(second["pid"], self.child.proc.pid)
        self.assertEqual(second["meta"]["pid"], self.child.proc.pid)
        self.assertGreater(second["taken_at"], first["taken_at"])
        self.assertEqual(second["gc_objects"],
                         sum(row[1] for row in second["types"]))
        names = [row[0] for row in second["types"]]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual([n for n in names if "leakscope" in n], [])
        no_collect = client.call("census", request_id=3,
                                 collect=False)["result"]
        self.assertIs(no_collect["meta"]["collected"], False)

    def test_census_with_containers_names_the_growing_list(self):
        client = self.child.client()
        plain = client.call("census", request_id=1)["result"]
        self.assertNotIn("containers", plain)
        self.assertNotIn("containers", plain["meta"])
        self.assertEqual(self.child.command("leak 1200"), "ok 1200")
        client.call("census", request_id=2, containers=True)
        self.assertEqual(self.child.command("leak 300"), "ok 1500")
        result = client.call("census", request_id=3, containers=True)["result"]
        self.assertIn("containers", result["meta"])
        rows = result["containers"]
        for row in rows:
            self.assertEqual(len(row), 11, row)
            self.assertIn(row[2], ("container", "value"))
            self.assertNotIn("leakscope", "%s %s %s" % (row[1], row[8], row[10]))
        kept = [r for r in rows if r[8] == "__main__._KEPT"]
        self.assertEqual(len(kept), 1, [r for r in rows if r[3] >= 1000])
        oid, tp, kind, items, size, payload, estimated, previous = kept[0][:8]
        self.assertEqual((tp, kind, items, previous), ("list", "container", 1500, 1200))
        self.assertEqual(kept[0][9], "module_global")
        bad = client.call("census", request_id=4, containers="yes")
        self.assertEqual(bad["error"]["code"], "bad_request")

    def test_idle_censuses_through_the_server_show_no_growth(self):
        client = self.child.client()
        other = self.child.client()  # an idle second connection
        other.call("ping")
        results = [counts(client.call("census", request_id=i)["result"])
                   for i in range(3)]
        for a, b in zip(results[1:], results[2:]):
            grown = dict((k, b.get(k, 0) - a.get(k, 0)) for k in set(a) | set(b)
                         if b.get(k, 0) != a.get(k, 0))
            self.assertEqual(grown, {})

    def test_garbage_gets_errors_and_the_server_keeps_serving(self):
        cases = [
            ("random_bytes", os.urandom(64).replace(b"\n", b"") + b"\n",
             "bad_json"),
            ("invalid_json", b"{\"id\": 1, \"op\": \n", "bad_json"),
            ("bad_utf8", b"\"\xff\xfe\"\n", "bad_json"),
            ("deep_nesting", b"[" * 100000 + b"]" * 100000 + b"\n",
             "bad_json"),
            ("json_array", b"[1, 2, 3]\n", "bad_request"),
            ("json_string", b"\"hello\"\n", "bad_request"),
            ("missing_op", b"{\"id\": 7}\n", "bad_request"),
            ("op_not_a_string", b"{\"id\": 7, \"op\": 12}\n", "bad_request"),
            ("id_is_an_object", b"{\"id\": {}, \"op\": \"hello\"}\n",
             "bad_request"),
            ("unknown_op", b"{\"id\": 7, \"op\": \"__import__\"}\n",
             "unknown_op"),
            ("backrefs_without_target",
             b"{\"id\": 7, \"op\": \"backrefs\"}\n", "bad_request"),
            ("collect_not_bool",
             b"{\"id\": 7, \"op\": \"census\", \"collect\": \"yes\"}\n",
             "bad_request"),
        ]
        client = self.child.client()
        for name, data, code in cases:
            with self.subTest(name):
                client.send_raw(data)
                reply = client.read_reply()
                self.assertIn("error", reply, reply)
                self.assertEqual(reply["error"]["code"], code)
                self.assertIsInstance(reply["error"]["message"], str)
                if name in ("missing_op", "unknown_op",
                            "backrefs_without_target",
                            "collect_not_bool", "op_not_a_string"):
                    self.assertEqual(reply["id"], 7)
                self.assertEqual(client.call("hello", request_id=name)["id"],
                                 name)

    def test_too_large_line_closes_only_that_connection(self):
        client = self.child.client()
        try:
            client.send_raw(b"{\"id\": 1, \"op\": \"" + b"x" * (1 << 20)
                            + b"\"}")
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = client.read_reply()
        self.assertEqual(reply["error"]["code"], "too_large")
        self.assertTrue(client.closed_by_server())
        self.assertEqual(self.child.client().call("ping")["result"]["pong"],
                         True)

    def test_line_just_under_the_limit_is_parsed(self):
        padding = "p" * ((1 << 20) - 60)
        line = json.dumps({"id": 5, "op": "ping", "pad": padding}).encode()
        self.assertLessEqual(len(line), 1 << 20)
        client = self.child.client()
        client.send_raw(line + b"\n")
        self.assertEqual(client.read_reply()["id"], 5)

    def test_disconnect_mid_line(self):
        client = Client(self.child.path)
        client.send_raw(b"{\"id\": 1, \"op\": \"hel")
        client.close()
        self.assertEqual(self.child.client().call("hello")["result"]["pid"],
                         self.child.proc.pid)

    def test_pipelined_and_concurrent_requests(self):
        client = self.child.client()
        batch = b"".join(json.dumps({"id": i, "op": op}).encode() + b"\n"
                         for i, op in enumerate(["hello", "census", "ping",
                                                 "nope", "ping"]))
        client.send_raw(batch)
        replies = [client.read_reply() for _ in range(5)]
        self.assertEqual([r["id"] for r in replies], [0, 1, 2, 3, 4])
        self.assertIn("types", replies[1]["result"])
        self.assertEqual(replies[3]["error"]["code"], "unknown_op")
        others = [self.child.client() for _ in range(4)]
        for i, other in enumerate(others):
            other.send_raw(json.dumps({"id": i, "op": "hello"}).encode()
                           + b"\n")
        self.assertEqual([o.read_reply()["id"] for o in others],
                         [0, 1, 2, 3])

    def test_permissions(self):
        st = os.lstat(self.child.socket_dir)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o700)
        self.assertEqual(st.st_uid, os.getuid())
        st = os.lstat(self.child.path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, os.getuid())

    def test_socket_removed_at_exit(self):
        code, out, err = self.child.finish()  # closes stdin: the loop ends
        self.assertEqual(code, 0, err)
        self.assertFalse(os.path.exists(self.child.path))

    def test_kill_9_leaves_a_stale_socket(self):
        self.child.proc.send_signal(signal.SIGKILL)
        self.child.proc.wait(TIMEOUT)
        self.assertTrue(stat.S_ISSOCK(os.lstat(self.child.path).st_mode))
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with self.assertRaises(ConnectionRefusedError):
            probe.connect(self.child.path)
        probe.close()

    @unittest_skip_unless_root()
    def test_other_user_cannot_connect(self):
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                os.setgid(65534)
                os.setuid(65534)
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(self.child.path)
                    code = 1
                except PermissionError:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status))
        self.assertEqual(os.WEXITSTATUS(status), 0,
                         "user nobody reached the socket")


class SocketDirectoryTest(TempDirTestCase):
    def run_with_dir(self, directory):
        script = write(self.tmp, "plain.py", "print('program ran')\n")
        env = child_env({"LEAKSCOPE_SOCKET_DIR": directory})
        return run_agent(["--no-record", script], env=env)

    def assertRefused(self, directory, reason):
        proc = self.run_with_dir(directory)
        self.assertRan(proc)
        self.assertEqual(proc.stdout, "program ran\n")
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("leakscope: "), lines[0])
        self.assertIn("refusing socket directory", lines[0])
        self.assertIn(reason, lines[0])

    def test_unsafe_directories_are_refused(self):
        open_dir = self.path("open")
        os.mkdir(open_dir)
        os.chmod(open_dir, 0o777)
        group_dir = self.path("group")
        os.mkdir(group_dir)
        os.chmod(group_dir, 0o750)
        target = self.path("target")
        os.mkdir(target, 0o700)
        link = self.path("link")
        os.symlink(target, link)
        cases = [("mode_0777", open_dir, "mode 0777"),
                 ("mode_0750", group_dir, "mode 0750"),
                 ("symlink", link, "symbolic link")]
        for name, directory, reason in cases:
            with self.subTest(name):
                self.assertRefused(directory, reason)
                self.assertEqual(os.listdir(directory), [])

    @unittest_skip_unless_root()
    def test_directory_of_another_user_is_refused(self):
        theirs = self.path("theirs")
        os.mkdir(theirs, 0o700)
        os.chown(theirs, 65534, 65534)
        self.assertRefused(theirs, "owned by uid 65534")

    def test_created_with_mode_0700_under_any_umask(self):
        fresh = self.path("fresh")
        script = write(self.tmp, "mode.py", """
            import os, stat, sys
            print(oct(stat.S_IMODE(os.lstat(sys.argv[1]).st_mode)))
        """)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": fresh})
        proc = subprocess.run(
            ["/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"", PYTHON, "-m",
             "leakscope_agent", "run", "--no-record", script, fresh],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        self.assertEqual(proc.stdout.strip(), "0o700")

    def test_default_locations(self):
        xdg = self.path("xdg")
        os.mkdir(xdg, 0o700)
        saved = dict(os.environ)
        try:
            os.environ.pop("LEAKSCOPE_SOCKET_DIR", None)
            os.environ["XDG_RUNTIME_DIR"] = xdg
            self.assertEqual(_server.socket_dir(),
                             os.path.join(xdg, "leakscope"))
            os.environ["XDG_RUNTIME_DIR"] = self.path("missing")
            self.assertEqual(_server.socket_dir(),
                             "/tmp/leakscope-%d" % os.getuid())
            del os.environ["XDG_RUNTIME_DIR"]
            self.assertEqual(_server.socket_dir(),
                             "/tmp/leakscope-%d" % os.getuid())
            os.environ["LEAKSCOPE_SOCKET_DIR"] = self.path("mine")
            self.assertEqual(_server.socket_dir(), self.path("mine"))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_xdg_runtime_dir_is_used(self):
        xdg = self.path("xdg")
        os.mkdir(xdg, 0o700)
        script = write(self.tmp, "where.py", """
            import leakscope_agent
            print(leakscope_agent.start_server())
        """)
        env = child_env({"XDG_RUNTIME_DIR": xdg})
        proc = run_agent(["--no-record", script], env=env)
        self.assertRan(proc)
        path = proc.stdout.strip()
        self.assertEqual(os.path.dirname(path), os.path.join(xdg, "leakscope"))
        self.assertFalse(os.path.exists(path))  # removed at exit


class InProcessServerTest(TempDirTestCase):
    def test_start_stop_and_restart(self):
        script = write(self.tmp, "api.py", """
            import json, os, socket, sys
            import leakscope_agent
            def hello(path):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.sendall(b'{"id": 1, "op": "hello"}\\n')
                data = b""
                while not data.endswith(b"\\n"):
                    data += s.recv(4096)
                s.close()
                return json.loads(data)["result"]["pid"]
            path = leakscope_agent.start_server()
            again = leakscope_agent.start_server()
            first = hello(path)
            leakscope_agent.stop_server()
            leakscope_agent.stop_server()
            gone = not os.path.exists(path)
            path2 = leakscope_agent.start_server()
            print(json.dumps([path == again, first == os.getpid(), gone,
                              path2 == path, hello(path2) == os.getpid()]))
        """)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")})
        proc = subprocess.run([PYTHON, script], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        self.assertEqual(json.loads(proc.stdout), [True] * 5)
        self.assertEqual(os.listdir(self.path("s")), [])

    def test_socket_name_appears_only_once_listening(self):
        # A client that finds <pid>.sock must be able to connect at once: the
        # window polls for that name while the program starts and took a
        # refusal (the file exists between bind() and listen()) for good.
        script = write(self.tmp, "early.py", """
            import json, os, socket
            import leakscope_agent
            seen = []
            final = os.path.join(os.environ["LEAKSCOPE_SOCKET_DIR"],
                                 "%d.sock" % os.getpid())
            real_listen = socket.socket.listen
            def listen(self, *args):
                seen.append(os.path.exists(final))
                return real_listen(self, *args)
            socket.socket.listen = listen
            path = leakscope_agent.start_server()
            socket.socket.listen = real_listen
            print(json.dumps([path == final, seen, os.path.exists(final)]))
            leakscope_agent.stop_server()
        """)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")})
        proc = subprocess.run([PYTHON, script], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        self.assertEqual(json.loads(proc.stdout), [True, [False], True])
        self.assertEqual(os.listdir(self.path("s")), [])

    def test_leaky_cache_example_grows_between_censuses(self):
        child = LiveChild(self, script=os.path.join(EXAMPLES, "leaky_cache.py"),
                          extra_args=["--every", "0"])
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(child.path):
            self.assertLess(time.monotonic(), deadline)
            self.assertIsNone(child.proc.poll())
            time.sleep(0.05)
        client = Client(child.path)
        self.addCleanup(client.close)
        first = counts(client.call("census", request_id=1)["result"])
        while True:
            second = counts(client.call("census", request_id=2)["result"])
            if second.get("__main__.Session", 0) > first.get(
                    "__main__.Session", 0) + 3:
                break
            self.assertLess(time.monotonic(), deadline)
        self.assertEqual(second["__main__.Session"],
                         second["__main__.Request"])
        self.assertLessEqual(second.get("__main__.CacheEntry", 0), 20)

    def test_serves_with_descriptors_above_1024(self):
        script = write(self.tmp, "manyfds.py", """
            import json, os, resource, socket, sys
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if hard != resource.RLIM_INFINITY and hard < 2048:
                print(json.dumps("skip"))
                sys.exit(0)
            resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
            held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
            import leakscope_agent
            path = leakscope_agent.start_server()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(30)
            s.connect(path)
            s.sendall(b'{"id": 9, "op": "ping"}\\n')
            data = b""
            while not data.endswith(b"\\n"):
                data += s.recv(4096)
            print(json.dumps([s.fileno() > 1024, json.loads(data)["id"]]))
        """)
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("s")})
        proc = subprocess.run([PYTHON, script], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertRan(proc)
        result = json.loads(proc.stdout)
        if result == "skip":
            self.skipTest("RLIMIT_NOFILE hard limit below 2048")
        self.assertEqual(result, [True, 9])


class ConnectionLimitTest(TempDirTestCase):
    def test_connections_beyond_the_limit_evict_the_longest_idle(self):
        child = LiveChild(self)
        child.wait_ready()
        held = []
        for i in range(_server.MAX_CONNECTIONS):
            held.append(child.client())
            self.assertEqual(held[-1].call("ping", request_id=i)["id"], i)
        # One more: the connection idle longest (the first) makes room.
        extra = child.client()
        self.assertEqual(extra.call("ping", request_id="extra")["id"],
                         "extra")
        self.assertTrue(held[0].closed_by_server())
        self.assertEqual(held[-1].call("ping", request_id="last")["id"],
                         "last")


# The object op's fields and referrers (issue 15): a request kept in a
# module-level dict, with attributes of every kind and a hostile class whose
# methods record any call.
INSPECTED = r"""
import sys

CALLED = []

class Hostile:
    def __repr__(self):
        CALLED.append("__repr__"); return "hostile"
    def __eq__(self, other):
        CALLED.append("__eq__"); return False
    def __hash__(self):
        CALLED.append("__hash__"); return 1
    def __len__(self):
        CALLED.append("__len__"); return 1
    def __sizeof__(self):
        CALLED.append("__sizeof__"); return 1

class HostileList(list):
    def __len__(self):
        CALLED.append("list.__len__"); return 0
    def __repr__(self):
        CALLED.append("list.__repr__"); return "[]"

class HostileKey(str):
    def __hash__(self):
        CALLED.append("key.__hash__"); return 1
    def __eq__(self, other):
        CALLED.append("key.__eq__"); return False
    def __repr__(self):
        CALLED.append("key.__repr__"); return "k"

class Session:
    def hold(self, request):
        self.current = request

class Request:
    def __init__(self, session):
        self.path = "/api/items/" + "x" * 300
        self.status = 200
        self.ratio = 0.5
        self.done = None
        self.huge = 7 ** 1000
        self.blob = b"\x00\x01payload"
        self.hostile = Hostile()
        self.parts = HostileList([1, 2, 3])
        self.headers = {HostileKey("host"): "example.org"}
        self.session = session
        self.callback = self.finish
    def finish(self):
        pass

SESSION = Session()
_REQUEST_LOG = {}
for i in range(3):
    _REQUEST_LOG["r%d" % i] = Request(SESSION)
SESSION.hold(_REQUEST_LOG["r0"])
WIDE = [Session() for _ in range(500)]
del CALLED[:]  # building the headers dicts hashed their keys
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "ids":
        print(id(_REQUEST_LOG["r0"]), id(SESSION), id(WIDE), flush=True)
    elif line.strip() == "called":
        print(",".join(CALLED) or "none", flush=True)
    else:
        break
"""


class ObjectFieldsTest(TempDirTestCase):
    def test_fields_and_referrers_without_running_program_code(self):
        script = write(self.tmp, "inspected.py", INSPECTED)
        for name, python in interpreters():
            with self.subTest(python=name):
                self.check(name, python, script)

    def check(self, name, python, script):
        sock_dir = self.path("s-" + name)
        proc = subprocess.Popen(
            [python, "-m", "leakscope_agent", "run", "--no-record", script],
            env=child_env({"LEAKSCOPE_SOCKET_DIR": sock_dir}),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True)
        try:
            self.assertEqual(proc.stdout.readline(), "ready\n",
                             proc.stderr.read() if proc.poll() else "")
            client = Client(os.path.join(sock_dir, "%d.sock" % proc.pid))
            self.addCleanup(client.close)
            proc.stdin.write("ids\n")
            proc.stdin.flush()
            request_id, session_id, wide_id = map(
                int, proc.stdout.readline().split())

            info = client.call("object", 1, object_id=request_id)["result"]
            self.assertEqual(info["type"], "__main__.Request")
            fields = dict((f["name"], f) for f in info["fields"])
            self.assertEqual(fields[".status"]["value"], "200")
            self.assertEqual(fields[".status"]["type"], "int")
            self.assertEqual(fields[".ratio"]["value"], "0.5")
            self.assertEqual(fields[".done"]["value"], "None")
            self.assertEqual(fields[".blob"]["value"],
                             repr(b"\x00\x01payload"))
            path = fields[".path"]["value"]
            self.assertTrue(path.startswith("'/api/items/xxx"), path)
            self.assertLessEqual(len(path), 80)
            self.assertTrue(fields[".huge"]["value"].startswith("<int of"))
            self.assertIsNone(fields[".hostile"]["value"])
            self.assertEqual(fields[".hostile"]["type"], "__main__.Hostile")
            # The base type's own length, not the subclass's __len__.
            self.assertEqual(fields[".parts"]["value"],
                             "__main__.HostileList (3 items)")
            self.assertEqual(fields[".session"]["id"], session_id)
            self.assertEqual(fields[".callback"]["type"], "method")
            for f in info["fields"]:
                self.assertEqual(sorted(f), ["id", "name", "size", "type",
                                             "value"])
            self.assertFalse(info["fields_truncated"])
            self.assertGreaterEqual(info["fields_count"], 11)

            # Referrers: the log dict by key, the session by attribute
            # (through its __dict__ on 3.8-3.10), the bound method.
            edges = dict((r["edge"], r) for r in info["referrers"])
            self.assertEqual(edges["['r0']"]["type"], "dict")
            self.assertEqual(edges["['r0']"]["held_as"], "__main__._REQUEST_LOG")
            self.assertIn("__self__", edges)
            self.assertEqual(edges["__self__"]["type"], "method")
            holder = edges[".current"]
            if holder["type"] == "dict":
                self.assertEqual(holder["owner"], {
                    "id": session_id, "type": "__main__.Session"})
            else:
                self.assertEqual(holder["id"], session_id)
            self.assertEqual(info["referrers_count"], len(info["referrers"]))
            self.assertFalse(info["referrers_truncated"])

            # The session: referred to by every request, listed fields.
            info = client.call("object", 2, object_id=session_id)["result"]
            self.assertIn(".current", [f["name"] for f in info["fields"]])
            self.assertGreaterEqual(info["referrers_count"], 4)

            # Caps: a list of 500 gives its first 200 items in order.
            info = client.call("object", 3, object_id=wide_id)["result"]
            self.assertEqual(len(info["fields"]), 200)
            self.assertEqual([f["name"] for f in info["fields"][:3]],
                             ["[0]", "[1]", "[2]"])
            self.assertTrue(info["fields_truncated"])
            self.assertEqual(info["fields_count"], 500)
            self.assertEqual(info["referrers"][0]["edge"], "WIDE")
            self.assertEqual(info["referrers"][0]["kind"], "object")

            proc.stdin.write("called\n")
            proc.stdin.flush()
            self.assertEqual(proc.stdout.readline(), "none\n")
            proc.stdin.write("end\n")
            proc.stdin.flush()
            out, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual((proc.returncode, out, err), (0, "", ""))
