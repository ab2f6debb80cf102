"""`python3 -m leakscope_agent run` behaves like `python3 script.py`."""

import json
import os
import sqlite3

from agentutil import (TempDirTestCase, child_env, count_of, read_snapshots,
                       run_agent, run_python, write)

PROBE = """
    import json, os, sys
    class Thing:
        pass
    things = [Thing() for _ in range(1000)]
    print(json.dumps({"argv": sys.argv, "path0": sys.path[0],
                      "name": __name__, "file": __file__,
                      "thing_module": Thing.__module__,
                      "main_is_me": sys.modules["__main__"].__dict__ is globals(),
                      "spec": __spec__.name if __spec__ else None, "package": __package__,
                      "env": sorted(k for k in os.environ
                                    if k.startswith("LEAKSCOPE_RECORD"))}))
    if __name__ == "__main__":
        action = sys.argv[1] if len(sys.argv) > 1 else ""
        if action == "code":
            sys.exit(int(sys.argv[2]))
        if action == "string":
            sys.exit("goodbye from the script")
        if action == "interrupt":
            raise KeyboardInterrupt
        if action == "raise":
            def inner():
                raise ValueError("boom from the script")
            inner()
"""


class RunFidelityTest(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.script = write(self.tmp, os.path.join("prog", "probe.py"), PROBE)
        self.out = self.path("out.lsnap")

    def both(self, *args):
        """The same program run plainly and under the agent."""
        plain = run_python([self.script] + list(args), cwd=self.tmp)
        agent = run_agent(["--no-serve", "-o", self.out, self.script]
                          + list(args), cwd=self.tmp)
        return plain, agent

    def test_probe_matches_plain_python(self):
        plain, agent = self.both("x", "--flag", "-m")
        self.assertRan(plain)
        self.assertRan(agent)
        self.assertEqual(json.loads(agent.stdout), json.loads(plain.stdout))
        probe = json.loads(agent.stdout)
        self.assertEqual(probe["argv"], [self.script, "x", "--flag", "-m"])
        self.assertEqual(probe["path0"], os.path.dirname(self.script))
        self.assertEqual(probe["name"], "__main__")
        self.assertEqual(probe["thing_module"], "__main__")
        self.assertTrue(probe["main_is_me"])

    def test_relative_script_path(self):
        plain = run_python([os.path.join("prog", "probe.py"), "a"],
                           cwd=self.tmp)
        agent = run_agent(["--no-serve", "-o", self.out,
                           os.path.join("prog", "probe.py"), "a"],
                          cwd=self.tmp)
        self.assertRan(agent)
        self.assertEqual(json.loads(agent.stdout), json.loads(plain.stdout))

    def test_exit_codes(self):
        cases = [
            ("returns_normally", [], 0),
            ("sys_exit_3", ["code", "3"], 3),
            ("sys_exit_0", ["code", "0"], 0),
            ("sys_exit_string", ["string"], 1),
            ("uncaught_exception", ["raise"], 1),
            # The interpreter re-raises SIGINT on itself after shutdown.
            ("uncaught_keyboard_interrupt", ["interrupt"], -2),
        ]
        for name, args, code in cases:
            with self.subTest(name):
                plain, agent = self.both(*args)
                self.assertEqual(plain.returncode, code)
                self.assertEqual(agent.returncode, code, agent.stderr)
                self.assertEqual(agent.stderr, plain.stderr)

    def test_traceback_has_no_agent_frames(self):
        _, agent = self.both("raise")
        self.assertIn("Traceback (most recent call last):", agent.stderr)
        self.assertIn("ValueError: boom from the script", agent.stderr)
        self.assertIn('probe.py", line', agent.stderr)
        self.assertIn("in inner", agent.stderr)
        self.assertNotIn("leakscope_agent", agent.stderr)
        self.assertNotIn("runpy", agent.stderr)

    def test_exit_string_printed(self):
        _, agent = self.both("string")
        self.assertEqual(agent.stderr, "goodbye from the script\n")

    def test_module_mode(self):
        write(self.tmp, os.path.join("pkg", "__init__.py"), "")
        write(self.tmp, os.path.join("pkg", "mod.py"), PROBE)
        plain = run_python(["-m", "pkg.mod", "code", "4"], cwd=self.tmp)
        agent = run_agent(["--no-serve", "-o", self.out, "-m", "pkg.mod",
                           "code", "4"], cwd=self.tmp)
        self.assertEqual(plain.returncode, 4, plain.stderr)
        self.assertEqual(agent.returncode, 4, agent.stderr)
        self.assertEqual(json.loads(agent.stdout), json.loads(plain.stdout))
        probe = json.loads(agent.stdout)
        self.assertEqual(probe["argv"][0],
                         os.path.join(self.tmp, "pkg", "mod.py"))
        self.assertEqual(probe["package"], "pkg")
        self.assertEqual(probe["spec"], "pkg.mod")
        snaps = read_snapshots(self.out)
        self.assertEqual(count_of(snaps[-1][4], "__main__.Thing"), 1000)

    def test_missing_module_and_script(self):
        agent = run_agent(["--no-serve", "-o", self.out, "-m", "no_such_mod"],
                          cwd=self.tmp)
        self.assertEqual(agent.returncode, 1)
        self.assertIn("No module named no_such_mod", agent.stderr)
        agent = run_agent(["--no-serve", "-o", self.out, "missing.py"],
                          cwd=self.tmp)
        self.assertEqual(agent.returncode, 2)
        self.assertIn("can't open file", agent.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_syntax_error(self):
        bad = write(self.tmp, "bad.py", "def broken(:\n    pass\n")
        plain = run_python([bad])
        agent = run_agent(["--no-serve", "-o", self.out, bad])
        self.assertEqual(agent.returncode, 1)
        self.assertEqual(agent.stderr, plain.stderr)


class RecordingTest(TempDirTestCase):
    def test_exit_snapshot_sees_module_globals(self):
        script = write(self.tmp, "fill.py", """
            class Thing:
                pass
            things = []
            def fill():
                for _ in range(1000):
                    things.append(Thing())
            fill()
        """)
        out = self.path("fill.lsnap")
        proc = run_agent(["--no-serve", "-o", out, script])
        self.assertRan(proc)
        snaps = read_snapshots(out)
        self.assertEqual([s[1] for s in snaps], ["start", "exit"])
        self.assertEqual(count_of(snaps[0][4], "__main__.Thing"), 0)
        self.assertEqual(count_of(snaps[1][4], "__main__.Thing"), 1000)
        self.assertEqual(snaps[1][3]["argv"], [script])

    def test_exit_snapshot_after_uncaught_exception_and_user_atexit(self):
        script = write(self.tmp, "crash.py", """
            import atexit
            class Thing:
                pass
            keep = [Thing() for _ in range(10)]
            atexit.register(lambda: keep.extend(Thing() for _ in range(5)))
            raise RuntimeError("crash")
        """)
        out = self.path("crash.lsnap")
        proc = run_agent(["--no-serve", "-o", out, script])
        self.assertEqual(proc.returncode, 1)
        snaps = read_snapshots(out)
        self.assertEqual(snaps[-1][1], "exit")
        self.assertEqual(count_of(snaps[-1][4], "__main__.Thing"), 15)

    def test_serving_ends_before_the_exit_snapshot(self):
        # A live census answered during the exit snapshot would be newer
        # than the program's last snapshot (a viewer then ends on it): the
        # server stops first. The script watches the recorder's snapshot
        # function to see whether the server still serves when "exit" is taken.
        script = write(self.tmp, "served.py", """
            import json, os, sys
            # The running agent's own modules (run mode moves them to a
            # private name, see _boot.hide_public_name).
            _record = sys.modules["_leakscope_agent_boot._record"]
            _server = sys.modules["_leakscope_agent_boot._server"]
            served = _server._server.path if _server._server else None
            original = _record.snapshot
            def watched(path, label, *args, **kwargs):
                if label.endswith("exit"):
                    with open(sys.argv[1], "w") as f:
                        json.dump({"served": served,
                                   "serving": _server._server is not None,
                                   "socket_file": bool(served) and os.path.exists(served)}, f)
                return original(path, label, *args, **kwargs)
            _record.snapshot = watched
        """)
        out = self.path("served.lsnap")
        seen = self.path("seen.json")
        env = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("sock")})
        self.assertRan(run_agent(["-o", out, script, seen], env=env))
        with open(seen) as f:
            state = json.load(f)
        self.assertTrue(state["served"], state)  # it served while the program ran
        self.assertFalse(state["serving"], state)
        self.assertFalse(state["socket_file"], state)
        self.assertEqual([s[1] for s in read_snapshots(out)], ["start", "exit"])

    def test_periodic_snapshots_and_labels(self):
        script = write(self.tmp, "slow.py", """
            import time
            class Thing:
                pass
            keep = []
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                keep.append(Thing())
                time.sleep(0.01)
        """)
        out = self.path("slow.lsnap")
        proc = run_agent(["--no-serve", "--every", "0.2", "--label-prefix",
                          "t:", "-o", out, script])
        self.assertRan(proc)
        labels = [s[1] for s in read_snapshots(out)]
        self.assertEqual(labels[0], "t:start")
        self.assertEqual(labels[-1], "t:exit")
        middle = labels[1:-1]
        self.assertGreaterEqual(len(middle), 2, labels)
        self.assertEqual(middle, ["t:every 0.2s #%d" % (i + 1)
                                  for i in range(len(middle))])
        counts = [count_of(s[4], "__main__.Thing") for s in read_snapshots(out)]
        self.assertEqual(counts, sorted(counts))
        self.assertGreater(counts[-1], counts[1])

    def test_no_collect_is_recorded(self):
        script = write(self.tmp, "nop.py", "pass\n")
        out = self.path("nop.lsnap")
        self.assertRan(run_agent(["--no-serve", "--no-collect", "-o", out,
                                  script]))
        self.assertEqual([s[3]["collected"] for s in read_snapshots(out)],
                         [False, False])

    def test_default_output_name(self):
        script = write(self.tmp, "named.py", "import os\nprint(os.getpid())\n")
        proc = run_agent(["--no-serve", script], cwd=self.tmp)
        self.assertRan(proc)
        expected = self.path("leakscope-named-%s.lsnap" % proc.stdout.strip())
        self.assertTrue(os.path.exists(expected), os.listdir(self.tmp))
        self.assertEqual(len(read_snapshots(expected)), 2)

    def test_foreign_output_stops_before_running(self):
        out = self.path("foreign.db")
        conn = sqlite3.connect(out)
        conn.execute("CREATE TABLE t(x)")
        conn.commit()
        conn.close()
        with open(out, "rb") as f:
            before = f.read()
        script = write(self.tmp, "side.py", "print('ran')\n")
        proc = run_agent(["--no-serve", "-o", out, script])
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn("ran", proc.stdout)
        self.assertIn("not a Leakscope file", proc.stderr)
        self.assertIn(out, proc.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_usage_errors(self):
        cases = [
            ("no_script", [], "no script"),
            ("unknown_option", ["--bogus", "x.py"], "unknown option"),
            ("every_not_a_number", ["--every", "soon", "x.py"], "--every"),
            ("every_negative", ["--every", "-1", "x.py"], "--every"),
            ("output_without_value", ["-o"], "needs a value"),
        ]
        for name, args, text in cases:
            with self.subTest(name):
                proc = run_agent(args)
                self.assertEqual(proc.returncode, 2)
                self.assertIn(text, proc.stderr)
