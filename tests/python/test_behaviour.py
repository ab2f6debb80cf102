"""Target behaviour: a program run plainly and under the agent (run mode
and the sitecustomize injection of `leakscope-cli record`, with and
without the heap graph, recording every 0.05 s) gives the same stdout,
stderr, exit code and files (docs/safety.md)."""

import os
import shutil
import subprocess
import sys

from agentutil import (AGENT_DIR, AGENT_PARENT, TempDirTestCase, child_env,
                       write)

PROGRAMS = {
    # A daemon's descriptor hygiene, then files of its own.
    "closerange": """
        import os, sys, time
        os.closerange(3, 65536)
        files = [open(os.path.join(sys.argv[1], "f%d" % i), "w")
                 for i in range(4)]
        for i, f in enumerate(files):
            f.write("content %d\\n" % i)
        time.sleep(0.3)
        print("daemon done")
    """,
    # Forks with SQLite of their own; each child reports its gc state.
    "fork_sqlite": """
        import gc, os, sqlite3, sys
        states = []
        for i in range(20):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                conn = sqlite3.connect(os.path.join(sys.argv[1], "c%d" % i))
                conn.execute("PRAGMA synchronous = OFF")
                conn.execute("CREATE TABLE t(x)")
                conn.commit()
                conn.close()
                os.write(w, b"1" if gc.isenabled() else b"0")
                os._exit(3)
            os.close(w)
            with os.fdopen(r, "rb") as f:
                states.append(f.read().decode())
            _, status = os.waitpid(pid, 0)
            states.append(str(os.waitstatus_to_exitcode(status)
                              if hasattr(os, "waitstatus_to_exitcode")
                              else status >> 8))
            [object() for _ in range(3000)]
        print("".join(states))
    """,
    # (Not named multiprocessing.py: the program would import itself.)
    "mp_pools": """
        import multiprocessing as mp, sys
        def square(x):
            return x * x
        if __name__ == "__main__":
            for method in ("fork", "spawn"):
                with mp.get_context(method).Pool(2) as pool:
                    print(method, pool.map(square, range(6)))
    """,
    "signals": """
        import os, signal, sys
        def on_term(signum, frame):
            print("got SIGTERM", flush=True)
            sys.exit(7)
        signal.signal(signal.SIGTERM, on_term)
        try:
            os.kill(os.getpid(), signal.SIGINT)
            import time; time.sleep(1)
        except KeyboardInterrupt:
            print("got SIGINT", flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        import time; time.sleep(5)
    """,
    "gc_state": """
        import gc, os, time
        gc.disable()
        gc.freeze()
        keep = [[i] for i in range(20000)]
        time.sleep(0.3)
        pid = os.fork()
        if pid == 0:
            print("child", gc.isenabled(), gc.get_freeze_count() > 0,
                  flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent", gc.isenabled(), gc.get_freeze_count() > 0)
        gc.enable()
        print("enabled", gc.isenabled())
    """,
    "own_package": """
        import leakscope_agent, sys
        print(leakscope_agent.WHO, leakscope_agent.__file__.endswith(
            "prog/leakscope_agent/__init__.py"))
        print(sorted(k for k in sys.modules if "leakscope" in k
                     and not k.startswith("_leakscope_agent_boot")))
    """,
    "own_sitecustomize": """
        import os, subprocess, sys
        print(sys.modules["sitecustomize"].MARK)
        print(sorted(k for k in os.environ if k.startswith("LEAKSCOPE")))
        print(subprocess.run([sys.executable, "-c",
                              "import sys; print(sys.modules["
                              "'sitecustomize'].MARK)"],
                             stdout=subprocess.PIPE,
                             universal_newlines=True).stdout.strip())
    """,
}


class BehaviourTest(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.prog = self.path("prog")
        write(self.prog, "leakscope_agent/__init__.py", "WHO = 'mine'\n")
        self.user = self.path("user")
        write(self.user, "sitecustomize.py", "MARK = 'user sitecustomize'\n")
        self.boot = self.path("boot")
        os.makedirs(self.boot)
        shutil.copyfile(os.path.join(AGENT_DIR, "_sitecustomize.py"),
                        os.path.join(self.boot, "sitecustomize.py"))
        self.cwd = self.path("cwd")
        os.makedirs(self.cwd)

    def run_mode(self, name, script, mode, n):
        files = self.path("files-%s-%d" % (name, n))
        os.makedirs(files)
        out = self.path("rec-%s-%d.lsnap" % (name, n))
        base = child_env({"LEAKSCOPE_SOCKET_DIR": self.path("sock")},
                         pythonpath=[self.user])
        if mode == "plain":
            args, env = [script], base
        elif mode.startswith("run"):
            args = ["-m", "leakscope_agent", "run", "--every", "0.05",
                    "-o", out] + (["--graph"] if "graph" in mode else []) \
                + [script]
            env = dict(base, PYTHONPATH=os.pathsep.join([AGENT_PARENT,
                                                         self.user]))
        else:
            args = [script]
            env = dict(base, PYTHONPATH=os.pathsep.join(
                [self.boot, AGENT_PARENT, self.user]),
                LEAKSCOPE_BOOT_DIR=self.boot,
                LEAKSCOPE_RECORD_OUTPUT=out,
                LEAKSCOPE_RECORD_EVERY="0.05")
            if "graph" in mode:
                env["LEAKSCOPE_RECORD_GRAPH"] = "1"
        proc = subprocess.run([sys.executable] + args + [files],
                              cwd=self.cwd, env=env, timeout=120,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        contents = {}
        for f in sorted(os.listdir(files)):
            with open(os.path.join(files, f), "rb") as fh:
                contents[f] = fh.read() if not f.startswith("c") else b"db"
        stderr = proc.stderr
        if mode != "plain":
            self.assertTrue(os.path.exists(out), (name, mode, proc.stderr))
        return proc.returncode, proc.stdout, stderr, contents

    def test_same_behaviour_plain_and_recorded(self):
        modes = ("plain", "run", "run graph", "sitecustomize",
                 "sitecustomize graph")
        n = 0
        for name, text in sorted(PROGRAMS.items()):
            script = write(self.prog, name + ".py", text)
            results = {}
            for mode in modes:
                n += 1
                results[mode] = self.run_mode(name, script, mode, n)
            for mode in modes[1:]:
                with self.subTest(program=name, mode=mode):
                    self.assertEqual(results[mode], results["plain"])
