"""Agent benchmarks: census pause vs objgraph.typestats() on the same heap, the
container pass and holder naming (issue 14), the cost of `leakscope-cli record
--trace` on top of tracemalloc, and the idle CPU cost of the live server. Prints figures and ratios measured in one run.

    /usr/bin/python3 bench/agent_bench.py            # Debian's python3-objgraph is there
    /usr/bin/python3 bench/agent_bench.py --quick    # 100k objects only
    /usr/bin/python3 bench/agent_bench.py --trace-only --trace-python /usr/bin/python3 \
        --trace-python ~/.pyenv/versions/3.8.18/bin/python3   # record --trace vs tracemalloc

Not a test: timings depend on the machine; the ratios are what to compare.
"""

import argparse
import gc
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nativeagent import agent_parent  # noqa: E402
AGENT_PARENT = agent_parent()
sys.path.insert(0, AGENT_PARENT)

import leakscope_agent  # noqa: E402
from leakscope_agent import _census  # noqa: E402

try:
    import objgraph
except ImportError:
    # objgraph is pure Python: Debian's copy serves every interpreter.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import objgraph
    except ImportError:
        objgraph = None
    del sys.path[-1]


class Node:
    def __init__(self, i):
        self.i = i
        self.children = []


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a):
        self.a = a
        self.b = (a, a)


def build_heap(n):
    """About n gc-tracked objects in a mix of shapes: instances with and
    without dicts, lists, dicts, tuples."""
    heap = []
    per = 5
    for i in range(n // per):
        node = Node(i)                   # 1 (+ its dict before 3.11)
        node.children.append([i])        # the children list + one list
        heap.append(node)
        heap.append({"k": [i]})          # a dict + a list
        heap.append(Slotted(i))          # not counting its untracked tuple
    return heap


def best_of(runs, fn):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def bench_census(n, runs):
    heap = build_heap(n)
    gc.collect()
    objects = len(gc.get_objects())
    print("\nheap: %d gc-tracked objects (asked for %d), Python %s"
          % (objects, n, sys.version.split()[0]))
    t_floor = best_of(runs, gc.get_objects)
    _census.NATIVE[0] = False
    t_python = best_of(runs, lambda: leakscope_agent.census(collect=False))
    _census.NATIVE[0] = True
    t_census = best_of(runs, lambda: leakscope_agent.census(collect=False))
    impl = leakscope_agent.census(collect=False)[1]["census_impl"]
    print("  gc.get_objects() (the floor)                  : %7.1f ms"
          % (t_floor * 1e3))
    print("  leakscope census, pure-Python passes          : %7.1f ms "
          "(%.2f x floor)" % (t_python * 1e3, t_python / t_floor))
    print("  leakscope census, %-6s                      : %7.1f ms "
          "(%.2f x floor, %.1f x faster than pure Python)"
          % (impl, t_census * 1e3, t_census / t_floor, t_python / t_census))
    t_census_gc = best_of(runs, lambda: leakscope_agent.census(collect=True))
    t_collect = best_of(runs, gc.collect)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.lsnap")
        t_snapshot = best_of(runs, lambda: leakscope_agent.snapshot(
            path, collect=False))
        size = os.path.getsize(path)
    print("  leakscope census (counts + sizes), no collect : %7.1f ms"
          % (t_census * 1e3))
    print("  leakscope census with gc.collect()            : %7.1f ms "
          "(gc.collect alone %.1f ms)" % (t_census_gc * 1e3, t_collect * 1e3))
    print("  leakscope snapshot to .lsnap, no collect      : %7.1f ms "
          "(file %d bytes after %d snapshots)"
          % (t_snapshot * 1e3, size, runs))
    if objgraph is None:
        print("  objgraph not importable under %s: no baseline"
              % sys.executable)
        return
    t_short = best_of(runs, lambda: objgraph.typestats())
    t_long = best_of(runs, lambda: objgraph.typestats(shortnames=False))
    print("  objgraph.typestats() (counts only)            : %7.1f ms"
          % (t_short * 1e3))
    print("  objgraph.typestats(shortnames=False)          : %7.1f ms"
          % (t_long * 1e3))
    print("  ratio census / typestats()                    : %7.2f  "
          "(below 1: the census is faster, and it also sums sizes)"
          % (t_census / t_short))
    print("  ratio census / typestats(shortnames=False)    : %7.2f"
          % (t_census / t_long))
    print("  typestats() / census: census %.1f x faster than objgraph"
          % (t_short / t_census))
    bench_pympler(t_census)
    types, _ = leakscope_agent.census(collect=False)
    ours = dict((name, count) for name, (count, _) in types.items())
    theirs = objgraph.typestats(shortnames=False)
    node = "__main__.Node"
    print("  agreement on %s: leakscope %d, objgraph %d"
          % (node, ours.get(node, 0), theirs.get(node, 0)))
    del heap


PYMPLER = [None]  # the pympler package (--pympler DIR), or None


def bench_pympler(t_census):
    """Pympler's summary of the same heap: muppy.get_objects() (gc objects
    and their untracked referents) and summary.summarize() with sizes, the
    way its docs show a leak hunt. Pympler is not in Debian: --pympler DIR
    takes a checkout of its source (pure Python, imported from DIR, never
    copied into this tree). Slow, so timed once."""
    pympler = PYMPLER[0]
    if pympler is None:
        return
    from pympler import muppy, summary
    start = time.perf_counter()
    rows = summary.summarize(muppy.get_objects())
    t = time.perf_counter() - start
    print("  Pympler summarize(muppy.get_objects())        : %7.1f ms "
          "(%d rows; census %.0f x faster)" % (t * 1e3, len(rows),
                                                t / t_census))


IDLE_CHILD = r"""
import os, resource, socket, sys, time
sys.path.insert(0, sys.argv[1])
import leakscope_agent
serve = sys.argv[2] == "serve"
if serve:
    path = leakscope_agent.start_server()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)   # one idle connection open as well
    client.sendall(b'{"id": 1, "op": "hello"}\n')
    client.recv(65536)
time.sleep(0.2)
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
def switches():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_nvcsw + u.ru_nivcsw
c0, s0, t0 = cpu(), switches(), time.monotonic()
time.sleep(float(sys.argv[3]))
print("%.6f %d %.3f" % (cpu() - c0, switches() - s0, time.monotonic() - t0))
"""


def bench_idle(seconds):
    print("\nidle cost over %.0f s (process CPU time and context switches "
          "while the main thread sleeps)" % seconds)
    agent_parent = os.path.join(os.path.dirname(HERE), "resources", "python")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LEAKSCOPE_SOCKET_DIR=os.path.join(tmp, "s"))
        procs = dict((mode, subprocess.Popen(
            [sys.executable, "-c", IDLE_CHILD, agent_parent, mode,
             str(seconds)], env=env, stdout=subprocess.PIPE,
            universal_newlines=True)) for mode in ("plain", "serve"))
        for mode, proc in procs.items():
            out, _ = proc.communicate(timeout=seconds + 60)
            cpu, switches, wall = out.split()
            results[mode] = (float(cpu), int(switches), float(wall))
    for mode in ("plain", "serve"):
        cpu, switches, wall = results[mode]
        print("  %-28s: %8.3f ms CPU, %4d context switches in %.2f s"
              % ("without server" if mode == "plain"
                 else "server + 1 idle connection", cpu * 1e3, switches, wall))
    extra = results["serve"][0] - results["plain"][0]
    print("  server's extra CPU: %.3f ms over %.0f s (%.4f%% of one core)"
          % (extra * 1e3, seconds, 100.0 * max(extra, 0.0) / seconds))


class Holder:
    def __init__(self):
        self.history = []
        self.buf = bytearray()


GROWING = []
HOLDER = Holder()


def bench_containers(n, runs):
    """Issue 14: the census with and without the container pass, and the
    holder naming against its 50 ms budget, on the same heap."""
    from leakscope_agent import _containers
    from leakscope_agent._census import census
    heap = build_heap(n)
    gc.collect()
    print("\ncontainer pass, heap of %d gc-tracked objects"
          % len(gc.get_objects()))

    def with_pass():
        census(collect=False, scan=_containers.scan)
        return _containers.take_result()
    # Alternating, best of runs each: both see the same load of a shared
    # machine. Wall-clock and this process' CPU time (which a busy
    # machine's preemptions do not inflate).
    best = {}

    def timed_both(key, fn):
        cpu = time.process_time()
        wall = time.perf_counter()
        fn()
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
        for k, v in (((key, "wall"), wall), ((key, "cpu"), cpu)):
            best[k] = v if k not in best else min(best[k], v)
    for _ in range(runs):
        timed_both("plain", lambda: census(collect=False))
        timed_both("pass", with_pass)
    t_plain, t_pass = best["plain", "wall"], best["pass", "wall"]
    c_plain, c_pass = best["plain", "cpu"], best["pass", "cpu"]
    print("  census without the container pass : %7.1f ms (CPU %.1f ms)"
          % (t_plain * 1e3, c_plain * 1e3))
    print("  census with the container pass    : %7.1f ms (CPU %.1f ms)"
          % (t_pass * 1e3, c_pass * 1e3))
    print("  ratio with / without              : %7.2f  CPU %.2f  "
          "(target <= 1.3)" % (t_pass / t_plain, c_pass / c_plain))
    named = []
    for k in range(runs):
        GROWING.extend("line %d" % i for i in range(2000))
        HOLDER.history.extend(range(2000))
        HOLDER.buf.extend(b"x" * 4000)
        heap[len(heap) // 2].children.extend(range(2000))
        result = with_pass()
        named.append((result["meta"]["holders"],
                      result["meta"].get("instance_values"),
                      sorted(r["held_by"] for r in result["rows"]
                             if r["held_by"] and r["previous"] is not None
                             and r["items"] > r["previous"])))
    for h, values, grown in named:
        print("  holder naming: %d of %d named in %.1f ms, %d heap scans, "
              "%d kept from before (budget %.0f ms%s)"
              % (h["named"], h["wanted"], h.get("seconds", 0) * 1e3,
                 h["scans"], h.get("reused", 0), h["budget_seconds"] * 1e3,
                 ", exhausted" if h["exhausted"] else ""))
        if values is not None:
            print("  values held by instance attributes: %d found in "
                  "%.1f ms (budget %.0f ms; %s walk, %s instances%s); "
                  "grown and named: %s"
                  % (values["found"], values["seconds"] * 1e3,
                     values["budget_seconds"] * 1e3,
                     values.get("impl", "?"), values.get("visited", "?"),
                     ", out of time" if values.get("out_of_time") else "",
                     ", ".join(grown)))
    del heap


TRACE_LOOP = r"""
import sys, time
def work():
    keep = []
    for i in range(%d):
        s = "x%%d" %% i * 3
        t = (i, s)
        d = {"k": t}
        keep.append(d)
        if len(keep) > 1000:
            del keep[:500]
start, wall = time.process_time(), time.perf_counter()
work()
sys.stderr.write("%%.6f %%.6f\n" %% (time.process_time() - start,
                                   time.perf_counter() - wall))
"""

# The phases a traced snapshot times (meta_json "tracemalloc"/"phases",
# wall and thread CPU); the census includes its gc.collect() and the
# container pass, the container pass includes the object tracebacks.
TRACE_PHASES = ("census", "containers", "object_tracebacks", "statistics",
                "functions", "write")


def _trace_run(cmd, env):
    """One run of the loop: (process wall, loop CPU, loop wall) seconds.
    The loop's CPU is the process' (the recorder thread included)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    wall = time.perf_counter() - start
    # The loop's line; leakscope-cli prints its summary after it.
    for line in reversed(proc.stderr.splitlines()):
        fields = line.split()
        try:
            if len(fields) == 2:
                return wall, float(fields[0]), float(fields[1])
        except ValueError:
            pass
    raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd),
                                              proc.returncode,
                                              proc.stderr[-2000:]))


def _snapshot_phases(lsnap):
    """Per periodic snapshot (those taken while the loop runs): the
    phases' (wall, cpu) seconds, the statistics kept and the census
    implementation."""
    import json
    import sqlite3
    conn = sqlite3.connect(lsnap)
    try:
        metas = [(label, json.loads(m)) for label, m in conn.execute(
            "SELECT label, meta_json FROM snapshot ORDER BY id")]
    finally:
        conn.close()
    out = []
    for label, meta in metas:
        if not label.startswith("every"):
            continue
        trace = meta.get("tracemalloc") or {}
        phases = dict((name, (p.get("seconds", 0.0), p.get("cpu_seconds")))
                      for name, p in (trace.get("phases") or {}).items())
        if not phases and trace:
            # An agent before the phases: its own wall figures.
            phases["census"] = (meta.get("census_seconds", 0.0), None)
            phases["statistics"] = (trace.get("seconds", 0.0), None)
            phases["functions"] = (trace.get("function_seconds", 0.0), None)
        if "containers" in meta:
            phases["containers"] = (meta["containers"].get("seconds", 0.0),
                                    None)
        out.append({"phases": phases, "impl": meta.get("census_impl"),
                    "stats": trace.get("statistics_kept"),
                    "groups": trace.get("statistics")})
    return out


def _median(values):
    values = sorted(values)
    n = len(values)
    return (values[n // 2] + values[(n - 1) // 2]) / 2.0


def bench_trace(loops, cli, pythons, runs, run_mode=True):
    """Issue 14: a CPU-bound allocation loop under `leakscope-cli record
    --trace --every 1 --no-serve` (the agent the CLI unpacks, with its
    native module) against the same loop under `python3 -X
    tracemalloc=16` (the same 16 frames), runs alternating, per
    interpreter. With run_mode, also `python3 -m leakscope_agent run
    --trace --every 1` once, printed apart: that path puts the agent's
    runner frames under the program, which tracemalloc walks on every
    allocation (not the issue's command)."""
    print("\ntracemalloc cost: %d iterations of an allocation loop, %d "
          "alternating runs each, CLI %s" % (loops, runs, cli))
    if not os.access(cli, os.X_OK):
        print("  no leakscope-cli at %s (build it, or pass --cli): skipped"
              % cli)
        return
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "loop.py")
        with open(script, "w") as f:
            f.write(TRACE_LOOP % loops)
        lsnap = os.path.join(tmp, "t.lsnap")
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        for python in pythons:
            version = subprocess.run(
                [python, "-c", "import sys; print(sys.version.split()[0])"],
                stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
            print("  Python %s (%s)" % (version, python))
            commands = (
                ("python3 -X tracemalloc=16 loop.py",
                 [python, "-X", "tracemalloc=16", script]),
                ("leakscope-cli record --trace --every 1",
                 [cli, "record", "--trace", "--every", "1", "--no-serve",
                  "-o", lsnap, "--", python, script]))
            results = dict((name, []) for name, _ in commands)
            snapshots = []
            for _ in range(runs):
                for name, cmd in commands:
                    if os.path.exists(lsnap):
                        os.remove(lsnap)
                    results[name].append(_trace_run(cmd, env))
                    if os.path.exists(lsnap):
                        snapshots.extend(_snapshot_phases(lsnap))
            for name, _ in commands:
                r = results[name]
                print("    %-40s: loop CPU best %6.2f s median %6.2f s; loop "
                      "wall best %6.2f s median %6.2f s; process wall median "
                      "%6.2f s" % (name, min(x[1] for x in r),
                                   _median([x[1] for x in r]),
                                   min(x[2] for x in r),
                                   _median([x[2] for x in r]),
                                   _median([x[0] for x in r])))
            base = results[commands[0][0]]
            ours = results[commands[1][0]]
            print("    extra cost of Leakscope on top of tracemalloc (target "
                  "<= 10%%): loop CPU %+.1f%% best, %+.1f%% median; loop wall "
                  "%+.1f%% best, %+.1f%% median"
                  % (100.0 * (min(x[1] for x in ours) /
                              min(x[1] for x in base) - 1),
                     100.0 * (_median([x[1] for x in ours]) /
                              _median([x[1] for x in base]) - 1),
                     100.0 * (min(x[2] for x in ours) /
                              min(x[2] for x in base) - 1),
                     100.0 * (_median([x[2] for x in ours]) /
                              _median([x[2] for x in base]) - 1)))
            if snapshots:
                impls = sorted(set(str(s["impl"]) for s in snapshots))
                print("    %d snapshots during the loops (%.1f per run), "
                      "census %s, %s statistics groups kept; mean per "
                      "snapshot, wall / thread CPU:"
                      % (len(snapshots), len(snapshots) / float(runs),
                         "/".join(impls),
                         _median([s["stats"] or 0 for s in snapshots])))
                per_run = len(snapshots) / float(runs)
                extra = (_median([x[1] for x in ours]) -
                         _median([x[1] for x in base])) / per_run
                # The number of snapshots follows the loop's wall time (a
                # loaded machine takes more): the extra CPU per snapshot
                # is the figure that does not, and at one snapshot per
                # second of loop it is the extra share itself.
                print("    extra loop CPU per snapshot (medians): %.1f ms, "
                      "i.e. %+.1f%% at one snapshot per second of loop"
                      % (extra * 1e3, extra * 100.0))
                if impls != ["native"]:
                    print("    WARNING: the CLI's agent ran without its "
                          "native module for this interpreter")
                for phase in TRACE_PHASES:
                    got = [s["phases"][phase] for s in snapshots
                           if phase in s["phases"]]
                    if not got:
                        continue
                    wall = sum(g[0] for g in got) / len(got)
                    cpus = [g[1] for g in got if g[1] is not None]
                    cpu = ("%6.1f ms" % (sum(cpus) / len(cpus) * 1e3)
                           if cpus else "     -   ")
                    print("      %-18s %6.1f ms / %s%s"
                          % (phase, wall * 1e3, cpu,
                             "  (of the census)" if phase == "containers"
                             else "  (of the container pass)"
                             if phase == "object_tracebacks" else ""))
            if not run_mode:
                continue
            # Not the command: the pure agent started by -m, whose
            # runner frames sit under every allocation of the program.
            agent_env = dict(env, PYTHONPATH=AGENT_PARENT
                             if python == sys.executable else
                             os.path.join(os.path.dirname(HERE), "resources",
                                          "python"))
            run_cmd = [python, "-m", "leakscope_agent", "run", "--trace",
                       "--every", "1", "--no-serve", "-o", lsnap, script]
            base_one = _trace_run(commands[0][1], env)
            run_one = _trace_run(run_cmd, agent_env)
            print("    (apart) python3 -m leakscope_agent run --trace --every"
                  " 1, one run: loop CPU %.2f s vs %.2f s under plain "
                  "tracemalloc (%+.0f%%): its runner's frames under the "
                  "program cost every traced allocation"
                  % (run_one[1], base_one[1],
                     100.0 * (run_one[1] / base_one[1] - 1)))
            if os.path.exists(lsnap):
                os.remove(lsnap)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="100k objects only, shorter idle measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--containers-only", action="store_true",
                        help="only the container pass and holder naming "
                        "at 1M objects")
    parser.add_argument("--census-only", action="store_true",
                        help="only the census section (100k and 1M objects)")
    parser.add_argument("--pympler", metavar="DIR",
                        help="a checkout of Pympler's source: also time "
                        "its summarize() on the census heaps")
    parser.add_argument("--cli", default=os.path.join(
        os.path.dirname(HERE), "build", "bin", "leakscope-cli"),
        help="leakscope-cli for the trace benchmark (default build/bin)")
    parser.add_argument("--trace-python", action="append", default=[],
                        help="interpreter for the trace benchmark "
                        "(repeatable; default this one)")
    parser.add_argument("--trace-runs", type=int, default=5,
                        help="alternating runs per command (default 5)")
    parser.add_argument("--trace-only", action="store_true",
                        help="only the tracemalloc benchmark")
    parser.add_argument("--no-run-mode", action="store_true",
                        help="trace benchmark without the `run --trace` "
                        "figure")
    args = parser.parse_args()
    if args.pympler:
        sys.path.insert(0, os.path.abspath(args.pympler))
        try:
            import pympler
            PYMPLER[0] = pympler
        except ImportError as exc:
            parser.error("--pympler %s: %s" % (args.pympler, exc))
    if args.census_only:
        for n in [100000] if args.quick else [100000, 1000000]:
            bench_census(n, args.runs)
        return
    if args.containers_only:
        bench_containers(1000000, args.runs)
        return
    trace_args = (200000 if args.quick else 1000000, args.cli,
                  args.trace_python or [sys.executable],
                  max(args.trace_runs, 1), not args.no_run_mode)
    if args.trace_only:
        bench_trace(*trace_args)
        return
    sizes = [100000] if args.quick else [100000, 1000000]
    for n in sizes:
        bench_census(n, args.runs)
    for n in sizes:
        bench_containers(n, args.runs)
    bench_trace(*trace_args)
    bench_idle(2.0 if args.quick else 5.0)


if __name__ == "__main__":
    main()
