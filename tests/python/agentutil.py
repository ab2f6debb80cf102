"""Helpers shared by the agent tests: paths, child processes, .lsnap reading."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
AGENT_PARENT = os.path.join(SOURCE_DIR, "resources", "python")
AGENT_DIR = os.path.join(AGENT_PARENT, "leakscope_agent")
EXAMPLES = os.path.join(SOURCE_DIR, "resources", "examples")
PYTHON = sys.executable
TIMEOUT = 60


def child_env(extra=None, pythonpath=None):
    """Environment for a child interpreter that finds the agent in the
    source tree and nothing of ours otherwise."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("LEAKSCOPE_"):
            del env[key]
    env["PYTHONPATH"] = os.pathsep.join(
        pythonpath if pythonpath is not None else [AGENT_PARENT])
    env.pop("PYTHONSAFEPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra:
        env.update(extra)
    return env


def run_python(args, cwd=None, env=None, timeout=TIMEOUT, input=None):
    return subprocess.run([PYTHON] + list(args), cwd=cwd,
                          env=env if env is not None else child_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout,
                          input=input)


def run_agent(args, cwd=None, env=None, timeout=TIMEOUT):
    return run_python(["-m", "leakscope_agent", "run"] + list(args), cwd=cwd,
                      env=env, timeout=timeout)


def write(directory, name, text):
    path = os.path.join(directory, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def read_snapshots(path):
    """[(id, label, pid, meta, {type name: (count, size)})] in id order."""
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = conn.execute("SELECT id, label, pid, meta_json FROM snapshot "
                            "ORDER BY id").fetchall()
        result = []
        for sid, label, pid, meta in rows:
            counts = dict((name, (count, size)) for name, count, size in
                          conn.execute("SELECT t.name, c.count, c.size FROM "
                                       "type_count c JOIN type t ON "
                                       "t.id = c.type WHERE c.snapshot = ?",
                                       (sid,)))
            result.append((sid, label, pid, json.loads(meta), counts))
        return result
    finally:
        conn.close()


def count_of(snapshot_counts, name):
    return snapshot_counts.get(name, (0, 0))[0]


class TempDirTestCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="leakscope-test-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def assertRan(self, proc, code=0):
        self.assertEqual(proc.returncode, code,
                         "exit %s\nstdout:\n%s\nstderr:\n%s"
                         % (proc.returncode, proc.stdout, proc.stderr))


# Interpreters the multi-version tests run on: this one, and the oldest
# and newest supported ones where this machine has them (pyenv).
_EXTRA_PYTHONS = (
    ("3.8", os.path.expanduser("~/.pyenv/versions/3.8.18/bin/python3")),
    ("3.13", os.path.expanduser("~/.pyenv/versions/3.13.0/bin/python3")),
)


def interpreters():
    """[(name, executable)] of the interpreters present; each missing one
    is reported on stderr by name (never skipped silently). With
    LEAKSCOPE_TEST_ONE_PYTHON=1 (CTest's per-interpreter runs, which run
    the whole suite under each interpreter) only this one."""
    found = [("%d.%d" % sys.version_info[:2], PYTHON)]
    if os.environ.get("LEAKSCOPE_TEST_ONE_PYTHON") == "1":
        return found
    if os.path.exists("/usr/bin/python3") and \
            os.path.realpath("/usr/bin/python3") != os.path.realpath(PYTHON):
        found.append(("system", "/usr/bin/python3"))
    for name, path in _EXTRA_PYTHONS:
        if os.path.exists(path):
            if os.path.realpath(path) != os.path.realpath(PYTHON):
                found.append((name, path))
        else:
            sys.stderr.write("\nskipping Python %s: %s not found\n"
                             % (name, path))
    return found
