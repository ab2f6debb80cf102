"""The boot hook `leakscope-cli record` installs: BOOTDIR/sitecustomize.py."""

import json
import os
import shutil
import subprocess

from agentutil import (AGENT_DIR, AGENT_PARENT, TempDirTestCase, child_env,
                       count_of, read_snapshots, run_python, write)

CHILD_AWARE = """
    import json, os, subprocess, sys
    sitecustomize = sys.modules.get("sitecustomize")
    class Thing:
        pass
    things = [Thing() for _ in range(250)]
    child = subprocess.run(
        [sys.executable, "-c",
         "import os, json, sys; print(json.dumps(["
         "sorted(k for k in os.environ if k.startswith('LEAKSCOPE')),"
         "getattr(sys.modules.get('sitecustomize'), 'USER_MARK', None),"
         "os.environ.get('PYTHONPATH')]))"],
        stdout=subprocess.PIPE, universal_newlines=True, check=True)
    print(json.dumps({
        "env": sorted(k for k in os.environ if k.startswith("LEAKSCOPE")),
        "user_mark": getattr(sitecustomize, "USER_MARK", None),
        "child": json.loads(child.stdout),
        "pid": os.getpid(),
        "pythonpath": os.environ.get("PYTHONPATH"),
        "agent_on_path": [p for p in sys.path if os.path.exists(
            os.path.join(p or ".", "leakscope_agent", "_boot.py"))],
        "public_agent": "leakscope_agent" in sys.modules,
    }))
    if len(sys.argv) > 1:
        sys.exit(int(sys.argv[1]))
"""


class SitecustomizeTest(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.boot = self.path("boot")
        os.makedirs(self.boot)
        shutil.copyfile(os.path.join(AGENT_DIR, "_sitecustomize.py"),
                        os.path.join(self.boot, "sitecustomize.py"))
        self.user = self.path("user")
        write(self.user, "sitecustomize.py", """
            import sys
            USER_MARK = "user sitecustomize ran"
            sys.stderr.write("")
        """)
        self.script = write(self.tmp, "app.py", CHILD_AWARE)
        self.out = self.path("rec.lsnap")

    def env(self, record=True, user=True, **extra):
        variables = {"LEAKSCOPE_BOOT_DIR": self.boot}
        if record:
            variables.update({"LEAKSCOPE_RECORD_OUTPUT": self.out,
                              "LEAKSCOPE_RECORD_SERVE": "0"})
        variables.update(extra)
        path = [self.boot, AGENT_PARENT] + ([self.user] if user else [])
        return child_env(variables, pythonpath=path)

    def test_records_chains_and_clears_environment(self):
        proc = run_python([self.script, "5"], env=self.env(
            LEAKSCOPE_RECORD_EVERY="30"))
        self.assertEqual(proc.returncode, 5, proc.stderr)
        self.assertEqual(proc.stderr, "")
        result = json.loads(proc.stdout)
        # No agent variable, PYTHONPATH entry or module name is left: the
        # program and its children see what they would see without it, and
        # the user's sitecustomize runs in both.
        self.assertEqual(result["env"], [])
        self.assertEqual(result["pythonpath"], self.user)
        self.assertEqual(result["agent_on_path"], [])
        self.assertFalse(result["public_agent"])
        self.assertEqual(result["user_mark"], "user sitecustomize ran")
        self.assertEqual(result["child"],
                         [[], "user sitecustomize ran", self.user])
        snaps = read_snapshots(self.out)
        self.assertEqual([s[1] for s in snaps], ["start", "exit"])
        self.assertEqual({s[2] for s in snaps}, {result["pid"]})
        self.assertEqual(count_of(snaps[-1][4], "__main__.Thing"), 250)

    def test_without_output_nothing_is_recorded(self):
        proc = run_python([self.script], env=self.env(record=False))
        self.assertRan(proc)
        self.assertEqual(proc.stderr, "")
        self.assertEqual(json.loads(proc.stdout)["user_mark"],
                         "user sitecustomize ran")
        self.assertFalse(os.path.exists(self.out))

    def test_no_user_sitecustomize(self):
        proc = run_python([self.script], env=self.env(user=False))
        self.assertRan(proc)
        self.assertIsNone(json.loads(proc.stdout)["user_mark"])
        self.assertEqual(len(read_snapshots(self.out)), 2)

    def test_failing_user_sitecustomize_is_reported_like_site_does(self):
        write(self.user, "sitecustomize.py", "raise OSError('user hook')\n")
        proc = run_python([self.script], env=self.env())
        self.assertRan(proc)
        self.assertIn("Error in sitecustomize; set PYTHONVERBOSE for "
                      "traceback:\nOSError: user hook\n", proc.stderr)
        self.assertEqual(len(read_snapshots(self.out)), 2)

    def test_agent_errors_do_not_break_the_program(self):
        with open(self.out, "w") as f:
            f.write("this is not a snapshot file\n")
        proc = run_python([self.script, "7"], env=self.env())
        self.assertEqual(proc.returncode, 7)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("leakscope: "), lines)
        self.assertIn(self.out, lines[0])
        with open(self.out) as f:
            self.assertEqual(f.read(), "this is not a snapshot file\n")

    def test_periodic_and_pid_template(self):
        script = write(self.tmp, "wait.py", """
            import time
            time.sleep(0.8)
        """)
        out = self.path("rec-{pid}.lsnap")
        proc = run_python([script], env=self.env(
            LEAKSCOPE_RECORD_OUTPUT=out, LEAKSCOPE_RECORD_EVERY="0.2",
            LEAKSCOPE_RECORD_COLLECT="0"))
        self.assertRan(proc)
        files = [n for n in os.listdir(self.tmp) if n.startswith("rec-")]
        self.assertEqual(len(files), 1)
        snaps = read_snapshots(self.path(files[0]))
        self.assertEqual(files[0], "rec-%d.lsnap" % snaps[0][2])
        labels = [s[1] for s in snaps]
        self.assertGreaterEqual(len(labels), 4, labels)
        self.assertEqual(labels[1], "every 0.2s #1")
        self.assertEqual({s[3]["collected"] for s in snaps}, {False})

    def test_fork_child_adds_no_exit_snapshot(self):
        script = write(self.tmp, "forker.py", """
            import os, sys
            pid = os.fork()
            if pid == 0:
                sys.exit(0)  # a normal exit: atexit handlers run in the child
            os.waitpid(pid, 0)
        """)
        proc = run_python([script], env=self.env())
        self.assertRan(proc)
        snaps = read_snapshots(self.out)
        self.assertEqual([s[1] for s in snaps], ["start", "exit"])
        self.assertEqual(len({s[2] for s in snaps}), 1)

    def test_bad_every_is_reported_and_ignored(self):
        proc = run_python([self.script], env=self.env(
            LEAKSCOPE_RECORD_EVERY="often"))
        self.assertRan(proc)
        self.assertIn("leakscope: ignoring LEAKSCOPE_RECORD_EVERY",
                      proc.stderr)
        self.assertEqual(len(read_snapshots(self.out)), 2)

    def test_serve_flag(self):
        script = write(self.tmp, "served.py", """
            import json, os, sys
            _server = sys.modules.get("_leakscope_agent_boot._server")
            path = _server.server_address() if _server else None
            print(json.dumps([path, bool(path) and os.path.exists(path)]))
        """)
        sockets = self.path("sockets")
        for name, value, served in (("default_serves", None, True),
                                    ("serve_1", "1", True),
                                    ("serve_0", "0", False)):
            with self.subTest(name):
                env = self.env(LEAKSCOPE_SOCKET_DIR=sockets)
                if value is None:
                    del env["LEAKSCOPE_RECORD_SERVE"]
                else:
                    env["LEAKSCOPE_RECORD_SERVE"] = value
                proc = run_python([script], env=env)
                self.assertRan(proc)
                path, exists = json.loads(proc.stdout)
                self.assertEqual(exists, served)
                if served:
                    self.assertEqual(os.path.dirname(path), sockets)
                    self.assertFalse(os.path.exists(path))  # gone at exit

    def test_missing_package_is_quiet_unless_recording(self):
        script = write(self.tmp, "hi.py", "print('hi')\n")
        for name, record, lines in (("not_recording", False, 0),
                                    ("recording", True, 1)):
            with self.subTest(name):
                env = self.env(record=record)
                env["PYTHONPATH"] = os.pathsep.join([self.boot, self.user])
                proc = run_python([script], env=env)
                self.assertRan(proc)
                self.assertEqual(proc.stdout, "hi\n")
                self.assertEqual(len(proc.stderr.splitlines()), lines,
                                 proc.stderr)
                if lines:
                    self.assertIn("leakscope: ", proc.stderr)
                    self.assertIn("leakscope_agent", proc.stderr)

    def test_too_old_python_says_so_and_runs(self):
        old = os.path.join(os.path.expanduser("~"), ".pyenv", "versions",
                           "3.7.16", "bin", "python3")
        if not os.path.exists(old):
            self.skipTest("no Python 3.7 at %s" % old)
        script = write(self.tmp, "hi.py", "print('hi')\n")
        proc = subprocess.run([old, script], env=self.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=60)
        self.assertRan(proc)
        self.assertEqual(proc.stdout, "hi\n")
        self.assertEqual(proc.stderr, "leakscope: cannot record: Python 3.7 "
                         "is too old (the agent needs 3.8 or newer)\n")
        self.assertFalse(os.path.exists(self.out))
