"""The pytest plugin (leakscope_agent.pytest_plugin) on the sample suite in
tests/data/pytest_sample, run by pytest in a child process: under the
interpreter running these tests, Debian's /usr/bin/python3, and the oldest
and newest pyenv interpreters when they are there and have a pytest.

An interpreter without pytest of its own may still import Debian's (pure
Python) pytest from /usr/lib/python3/dist-packages; it is then used from
there, and said so. An interpreter that has neither is skipped with a
message naming it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

from agentutil import AGENT_PARENT, SOURCE_DIR, child_env, read_snapshots

SAMPLE = os.path.join(SOURCE_DIR, "tests", "data", "pytest_sample")
DEBIAN_DIST = "/usr/lib/python3/dist-packages"
PYENV = os.path.join(os.path.expanduser("~"), ".pyenv", "versions")
TIMEOUT = 300
PLUGIN = ["-p", "leakscope_agent.pytest_plugin"]
QUIET = ["-p", "no:cacheprovider", "-q"]

SAMPLE_TESTS = [
    "test_sample.py::test_login_leaks",
    "test_sample.py::test_handler_leaks",
    "test_sample.py::test_allocates_and_frees",
    "test_sample.py::test_pytest_fixtures",
    "test_sample.py::test_fixture_cache",
    "test_sample.py::test_parametrized[1]",
    "test_sample.py::test_parametrized[10]",
    "test_sample.py::test_parametrized[100]",
]
LEAKING = SAMPLE_TESTS[:2]

_probes = {}


def find_pytest(python):
    """(pythonpath for the child, None) when python can run pytest, else
    (None, why not)."""
    if python in _probes:
        return _probes[python]
    if not os.path.exists(python):
        result = (None, "%s is not installed" % python)
    else:
        result = None
        tried = [[AGENT_PARENT]]
        if os.path.isdir(os.path.join(DEBIAN_DIST, "pytest")):
            tried.append([AGENT_PARENT, DEBIAN_DIST])
        errors = []
        for path in tried:
            probe = subprocess.run(
                [python, "-c", "import pytest; print(pytest.__version__)"],
                env=child_env(pythonpath=path), stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, universal_newlines=True,
                timeout=TIMEOUT)
            if probe.returncode == 0:
                if len(path) > 1:
                    sys.stderr.write("\nnote: %s has no pytest of its own; "
                                     "using Debian's pytest %s from %s\n"
                                     % (python, probe.stdout.strip(),
                                        DEBIAN_DIST))
                result = (path, None)
                break
            lines = probe.stderr.strip().splitlines()
            errors.append(lines[-1] if lines else "exit %d" % probe.returncode)
        if result is None:
            result = (None, "%s cannot import pytest (%s)"
                      % (python, "; ".join(errors)))
    _probes[python] = result
    return result


def junit_outcomes(path):
    """{test node id: passed|failed|error|skipped} from a JUnit XML file."""
    outcomes = {}
    root = ElementTree.parse(path).getroot()
    for case in root.iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        nodeid = module + "::" + case.get("name", "")
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                # A failing teardown adds an <error> after a <failure>;
                # the first one is what the test did.
                break
        outcomes[nodeid] = outcome
    return outcomes


def leak_lines(stdout):
    """The leak lines of the "Leakscope" summary section."""
    section = stdout.split("= Leakscope =", 1)
    if len(section) < 2:
        return None
    lines = []
    for line in section[1].splitlines()[1:]:
        if line.startswith("="):
            break
        if " leaks: " in line:
            lines.append(line)
    return lines


class PluginTests(object):
    """Mixed into one TestCase per interpreter."""

    PYTHON = None

    @classmethod
    def setUpClass(cls):
        cls.pythonpath, why = find_pytest(cls.PYTHON)
        if cls.pythonpath is None:
            raise unittest.SkipTest("skipped for %s: %s" % (cls.PYTHON, why))

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="leakscope-pytest-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.suite = os.path.join(self.dir, "suite")
        shutil.copytree(SAMPLE, self.suite,
                        ignore=shutil.ignore_patterns("__pycache__"))

    def pytest(self, *args):
        """Run pytest on the suite copy; returns (process, outcomes)."""
        junit = os.path.join(self.dir, "junit-%d.xml" % len(os.listdir(self.dir)))
        proc = subprocess.run(
            [self.PYTHON, "-m", "pytest"] + QUIET + ["--junitxml", junit]
            + list(args), cwd=self.suite,
            env=child_env(pythonpath=self.pythonpath),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=TIMEOUT)
        self.assertTrue(os.path.exists(junit), proc.stdout + proc.stderr)
        return proc, junit_outcomes(junit)

    def test_names_the_leaking_tests_with_types_and_holders(self):
        out = os.path.join(self.dir, "run.lsnap")
        proc, outcomes = self.pytest(*PLUGIN + ["--leakscope=" + out,
                                                "--leakscope-graph",
                                                "test_sample.py"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(outcomes, dict.fromkeys(SAMPLE_TESTS, "passed"))
        lines = leak_lines(proc.stdout)
        self.assertIsNotNone(lines, proc.stdout)
        self.assertEqual(len(lines), 2, proc.stdout)
        login, handler = lines
        self.assertTrue(login.startswith(LEAKING[0] + " leaks: +1 "
                                         "sampleapp.store.Session per run in "
                                         "each of 3 repeats"), login)
        self.assertIn("held by sampleapp.store._SESSIONS (list)", login)
        self.assertTrue(handler.startswith(LEAKING[1] + " leaks: +1 "
                                           "sampleapp.events.Handler per run"),
                        handler)
        self.assertRegex(handler, r"held by sampleapp\.events\._HANDLERS"
                                  r"\['click'\]\[\d+\] \(method\)")
        self.assertIn("open: leakscope " + out, proc.stdout)

        snapshots = read_snapshots(out)
        self.assertEqual(len(snapshots), 4 * len(SAMPLE_TESTS))
        by_test = {}
        for _, label, _, meta, counts in snapshots:
            info = meta["pytest"]
            self.assertEqual(label, "%s run %d" % (info["nodeid"],
                                                   info["run"]))
            self.assertEqual(info["repeat"], 3)
            by_test.setdefault(info["nodeid"], []).append((info, counts))
        self.assertEqual(sorted(by_test), sorted(SAMPLE_TESTS))
        for nodeid, runs in by_test.items():
            self.assertEqual([info["run"] for info, _ in runs], [0, 1, 2, 3])
            self.assertNotIn("leaks", runs[0][0])
            leaks = runs[-1][0]["leaks"]
            if nodeid not in LEAKING:
                self.assertEqual(leaks, [], nodeid)
                continue
            expected = ("sampleapp.store.Session" if nodeid == LEAKING[0]
                        else "sampleapp.events.Handler")
            self.assertEqual(leaks[0]["type"], expected)
            self.assertEqual(leaks[0]["growth"], 1)
            counts = [c.get(expected, (0, 0))[0] for _, c in runs]
            self.assertEqual(leaks[0]["counts"], counts)
            self.assertEqual([b - a for a, b in zip(counts, counts[1:])],
                             [1, 1, 1])
        # The parametrized test and the cache hold no user type more after
        # each repeat: their Record counts end where the warm-up left them.
        for nodeid in SAMPLE_TESTS[2:]:
            runs = by_test[nodeid]
            first = runs[0][1].get("sampleapp.store.Record", (0, 0))[0]
            last = runs[-1][1].get("sampleapp.store.Record", (0, 0))[0]
            self.assertEqual(first, last, nodeid)

    def test_fail_fails_exactly_the_leaking_tests(self):
        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope=" + os.path.join(self.dir, "f.lsnap"),
            "--leakscope-repeat", "2", "--leakscope-fail", "test_sample.py"])
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        expected = dict.fromkeys(SAMPLE_TESTS, "passed")
        expected.update(dict.fromkeys(LEAKING, "failed"))
        self.assertEqual(outcomes, expected)
        # The failure's message is the Leakscope line.
        self.assertIn("Leakscope: " + LEAKING[0] + " leaks: +1 "
                      "sampleapp.store.Session per run in each of 2 repeats",
                      proc.stdout)

    def test_exitfirst_and_keyword_selection(self):
        lsnap = os.path.join(self.dir, "x.lsnap")
        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope=" + lsnap, "--leakscope-repeat", "2",
            "--leakscope-fail", "-x", "test_sample.py"])
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertEqual(outcomes, {LEAKING[0]: "failed"})
        self.assertEqual(len(read_snapshots(lsnap)), 3)

        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope=" + lsnap, "--leakscope-repeat", "2",
            "--leakscope-fail", "-k", "parametrized", "test_sample.py"])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(outcomes, dict.fromkeys(SAMPLE_TESTS[5:], "passed"))
        self.assertIn("no leaking test among 3 checked", proc.stdout)

    def test_no_outcome_changes_without_a_leak(self):
        # Failing, erroring, flaky and clean tests: the same outcomes and
        # exit code with and without the plugin.
        args = ["-k", "not leaks", "test_sample.py", "test_broken.py"]
        plain, plain_outcomes = self.pytest(*args)
        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope=" + os.path.join(self.dir, "b.lsnap"),
            "--leakscope-repeat", "2", "--leakscope-fail"] + args)
        self.assertEqual(plain_outcomes["test_broken.py::test_fails"], "failed")
        self.assertEqual(plain_outcomes["test_broken.py::test_errors"], "error")
        self.assertEqual(plain_outcomes["test_broken.py::test_passes_once"],
                         "passed")
        self.assertEqual(len(plain_outcomes), 9)
        self.assertEqual(outcomes, plain_outcomes)
        self.assertEqual(proc.returncode, plain.returncode)
        self.assertEqual(leak_lines(proc.stdout), [], proc.stdout)
        # The test that fails when repeated keeps its outcome and is named.
        self.assertIn("not judged: test_broken.py::test_passes_once "
                      "(failed in repeat 1)", proc.stdout)


class DefaultInterpreterTests(PluginTests, unittest.TestCase):
    PYTHON = sys.executable


class MarkerAndOptionTests(unittest.TestCase):
    """Marker, default file name and the bare --leakscope form, under the
    interpreter running these tests."""

    PYTHON = sys.executable
    setUpClass = classmethod(PluginTests.setUpClass.__func__)
    setUp = PluginTests.setUp
    pytest = PluginTests.pytest

    def test_marker_fails_a_leak_over_its_budget(self):
        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope=" + os.path.join(self.dir, "m.lsnap"),
            "test_marked.py"])
        self.assertEqual(outcomes, {
            "test_marked.py::test_marked_leak": "failed",
            "test_marked.py::test_marked_within_budget": "passed"})
        lines = leak_lines(proc.stdout)
        self.assertEqual(len(lines), 1, proc.stdout)
        self.assertIn("test_marked.py::test_marked_leak leaks: +1 "
                      "sampleapp.store.Session", lines[0])

    def test_marker_does_nothing_without_leakscope(self):
        proc, outcomes = self.pytest("test_marked.py")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(set(outcomes.values()), {"passed"})
        self.assertNotIn("Leakscope", proc.stdout)

    def test_bare_option_takes_no_path_and_uses_the_default_file(self):
        proc, outcomes = self.pytest(*PLUGIN + [
            "--leakscope", "--leakscope-repeat", "2", "test_sample.py",
            "-k", "leaks"])
        self.assertEqual(outcomes, dict.fromkeys(LEAKING, "passed"),
                         proc.stdout + proc.stderr)
        files = [n for n in os.listdir(self.suite) if n.endswith(".lsnap")]
        self.assertEqual(len(files), 1, files)
        self.assertRegex(files[0], r"^leakscope-pytest-\d+\.lsnap$")
        self.assertIn("open: leakscope " + os.path.join(self.suite, files[0]),
                      proc.stdout)

    def test_entry_point_loads_the_plugin(self):
        # What pip installs from pyproject.toml: a dist-info directory with
        # the pytest11 entry point, on sys.path next to the package.
        try:
            import tomllib
        except ImportError:
            self.skipTest("skipped for %s: no tomllib (Python < 3.11) to "
                          "read pyproject.toml" % sys.executable)
        with open(os.path.join(AGENT_PARENT, "pyproject.toml"), "rb") as f:
            project = tomllib.load(f)["project"]
        points = project["entry-points"]["pytest11"]
        self.assertEqual(points, {"leakscope_agent.pytest_plugin":
                                  "leakscope_agent.pytest_plugin"})
        site = os.path.join(self.dir, "site")
        info = os.path.join(site, "leakscope_agent-%s.dist-info"
                            % project["version"])
        os.makedirs(info)
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                    % (project["name"], project["version"]))
        with open(os.path.join(info, "entry_points.txt"), "w") as f:
            f.write("[pytest11]\n" + "".join(
                "%s = %s\n" % item for item in points.items()))
        pythonpath = self.pythonpath
        self.pythonpath = [site] + pythonpath
        try:
            lsnap = os.path.join(self.dir, "e.lsnap")
            proc, outcomes = self.pytest("--leakscope=" + lsnap,
                                         "--leakscope-repeat", "2",
                                         "-k", "login", "test_sample.py")
            self.assertEqual(outcomes, {LEAKING[0]: "passed"},
                             proc.stdout + proc.stderr)
            self.assertEqual(len(leak_lines(proc.stdout)), 1, proc.stdout)
            # -p on top of the entry point is not a second registration.
            proc, outcomes = self.pytest(*PLUGIN + [
                "--leakscope=" + lsnap, "--leakscope-repeat", "2", "-k",
                "login", "test_sample.py"])
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertEqual(len(leak_lines(proc.stdout)), 1, proc.stdout)
        finally:
            self.pythonpath = pythonpath

    def test_bad_repeat_is_a_usage_error(self):
        proc = subprocess.run(
            [self.PYTHON, "-m", "pytest"] + QUIET + PLUGIN
            + ["--leakscope", "--leakscope-repeat", "0", "test_sample.py"],
            cwd=self.suite, env=child_env(pythonpath=self.pythonpath),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 4, proc.stdout + proc.stderr)
        self.assertIn("--leakscope-repeat must be 1 or more", proc.stderr)


_RULE_CHECK = r"""
import json, re, sys
from leakscope_agent._testleaks import (chain_expression, find_leaks,
                                        is_user_type, stdlib_names)
stdlib = stdlib_names()
series = [
    {"app.Session": 1, "dict": 5, "app.Churn": 7, "app.Cache": 1,
     "_pytest.fixtures.SubRequest": 1, "functools.partial": 1,
     "app.Odd": 1, "app.Big": 10},
    {"app.Session": 2, "dict": 6, "app.Churn": 7, "app.Cache": 4,
     "_pytest.fixtures.SubRequest": 2, "functools.partial": 2,
     "app.Odd": 2, "app.Big": 13},
    {"app.Session": 3, "dict": 7, "app.Churn": 7, "app.Cache": 4,
     "_pytest.fixtures.SubRequest": 3, "functools.partial": 3,
     "app.Odd": 4, "app.Big": 16},
]
steps = [{"label": "module app.store", "kind": "module", "type": "module"},
         {"edge": "__dict__", "type": "dict"},
         {"edge": "['_SESSIONS']", "type": "list"},
         {"edge": "[2]", "type": "app.Session"}]
json.dump({
    "stdlib": sorted(n for n in ("functools", "collections", "os", "app")
                     if n in stdlib),
    "all": find_leaks(series, stdlib=stdlib),
    "budget": find_leaks(series, max_growth=1, stdlib=stdlib),
    "pattern": find_leaks(series, pattern=re.compile("Session"),
                          stdlib=stdlib),
    "one_run": find_leaks(series[:1], stdlib=stdlib),
    "user": [is_user_type(n) for n in ("dict", "app.X", "pluggy.HookImpl",
                                       "leakscope_agent._x.Y")],
    "chain": chain_expression(steps),
}, sys.stdout)
"""


class LeakRuleTests(unittest.TestCase):
    """The leak rule (stdlib only) under every interpreter, pytest or not:
    on 3.8 this is the part of the plugin that can be run."""

    def check(self, python):
        if not os.path.exists(python):
            self.skipTest("skipped for %s: not installed" % python)
        proc = subprocess.run([python, "-c", _RULE_CHECK],
                              env=child_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=TIMEOUT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        result = json.loads(proc.stdout)
        self.assertEqual(result["stdlib"], ["collections", "functools", "os"])
        self.assertEqual(result["all"], [["app.Big", 3, [10, 13, 16]],
                                         ["app.Session", 1, [1, 2, 3]]])
        self.assertEqual(result["budget"], [["app.Big", 3, [10, 13, 16]]])
        self.assertEqual(result["pattern"], [["app.Session", 1, [1, 2, 3]]])
        self.assertEqual(result["one_run"], [])
        self.assertEqual(result["user"], [False, True, False, False])
        self.assertEqual(result["chain"], "app.store._SESSIONS[2]")

    def test_default_interpreter(self):
        self.check(sys.executable)

    def test_python38(self):
        self.check(os.path.join(PYENV, "3.8.18", "bin", "python3"))

    def test_python313(self):
        self.check(os.path.join(PYENV, "3.13.0", "bin", "python3"))


def _other(python, name):
    return type(name, (PluginTests, unittest.TestCase), {"PYTHON": python})


# Debian's interpreter (what CI has), then the oldest and newest pyenv ones.
SystemPythonTests = _other("/usr/bin/python3", "SystemPythonTests")
Python38Tests = _other(os.path.join(PYENV, "3.8.18", "bin", "python3"),
                       "Python38Tests")
Python313Tests = _other(os.path.join(PYENV, "3.13.0", "bin", "python3"),
                        "Python313Tests")

if os.path.realpath(sys.executable) == os.path.realpath("/usr/bin/python3"):
    # The same interpreter twice would only double the run time.
    del SystemPythonTests


if __name__ == "__main__":
    unittest.main()
