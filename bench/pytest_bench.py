"""Overhead of the pytest plugin: the sample suite (tests/data/pytest_sample)
with --leakscope --leakscope-repeat 3 against plain pytest, and how much of
the extra time is the census (and writing the snapshots) rather than the
repeated tests or the plugin itself.

    /usr/bin/python3 bench/pytest_bench.py [--rounds 5] [--repeat 3] [--graph]

Not a test: timings depend on the machine; the ratios are what to compare.
Plain and plugin runs alternate, and the median of each is reported.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
AGENT_PARENT = os.path.join(SOURCE_DIR, "resources", "python")
SAMPLE = os.path.join(SOURCE_DIR, "tests", "data", "pytest_sample")

_SESSION = re.compile(r" in ([0-9.]+)s")
_COSTS = re.compile(r"(\d+) censuses took ([0-9.]+) s, writing them ([0-9.]+) s"
                    r"(?:, chains ([0-9.]+) s)?")


def run(python, suite, args):
    env = dict(os.environ)
    env["PYTHONPATH"] = AGENT_PARENT
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    proc = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                          + args, cwd=suite, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit("pytest failed (%d):\n%s" % (proc.returncode, proc.stdout))
    session = _SESSION.findall(proc.stdout)
    costs = _COSTS.search(proc.stdout)
    return {"wall": wall, "session": float(session[-1]) if session else wall,
            "censuses": int(costs.group(1)) if costs else 0,
            "census": float(costs.group(2)) if costs else 0.0,
            "write": float(costs.group(3)) if costs else 0.0,
            "chain": float(costs.group(4) or 0) if costs else 0.0}


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--graph", action="store_true",
                        help="also --leakscope-graph (chains of the leaks)")
    o = parser.parse_args()

    work = tempfile.mkdtemp(prefix="leakscope-pytest-bench-")
    try:
        suite = os.path.join(work, "suite")
        shutil.copytree(SAMPLE, suite,
                        ignore=shutil.ignore_patterns("__pycache__"))
        plain, plugin = [], []
        for i in range(o.rounds):
            plain.append(run(o.python, suite, ["test_sample.py"]))
            args = ["-p", "leakscope_agent.pytest_plugin",
                    "--leakscope=" + os.path.join(work, "r%d.lsnap" % i),
                    "--leakscope-repeat", str(o.repeat), "test_sample.py"]
            if o.graph:
                args.append("--leakscope-graph")
            plugin.append(run(o.python, suite, args))
    finally:
        shutil.rmtree(work, True)

    p_wall, p_sess = median(plain, "wall"), median(plain, "session")
    l_wall, l_sess = median(plugin, "wall"), median(plugin, "session")
    census, write, chain = (median(plugin, "census"), median(plugin, "write"),
                            median(plugin, "chain"))
    extra = l_sess - p_sess
    rest = extra - census - write - chain
    print("python: %s; sample suite: 8 tests, --leakscope-repeat %d%s; "
          "median of %d rounds" % (o.python, o.repeat,
                                    " --leakscope-graph" if o.graph else "",
                                    o.rounds))
    print("plain pytest     : session %.3f s, process %.3f s"
          % (p_sess, p_wall))
    print("pytest --leakscope: session %.3f s, process %.3f s  (%d censuses)"
          % (l_sess, l_wall, plugin[0]["censuses"]))
    print("ratio (session)  : %.1fx   ratio (process): %.1fx"
          % (l_sess / p_sess, l_wall / p_wall))
    print("extra session time %.3f s = census %.3f s (%.0f%%) + writing "
          "snapshots %.3f s (%.0f%%)%s + repeats and plugin %.3f s (%.0f%%)"
          % (extra, census, 100 * census / extra, write, 100 * write / extra,
             (" + chains %.3f s (%.0f%%)" % (chain, 100 * chain / extra))
             if o.graph else "", rest, 100 * rest / extra))
    print("per census: %.1f ms; per snapshot write: %.1f ms"
          % (1000 * census / plugin[0]["censuses"],
             1000 * write / plugin[0]["censuses"]))


if __name__ == "__main__":
    main()
