"""Heap-graph benchmarks of the agent, one run, figures and ratios:

- recording the heap graph of a ~1M-object heap (leakscope_agent.snapshot
  with graph=True) against a plain Python walk that calls gc.get_referents
  once per object collecting ids, types, sizes and referent ids, and against
  the floor of any standard-library dump (the same calls as whole-list
  passes, without labels or a node index);
- bytes per object in the .lsnap file;
- peak memory the dump adds to the process (ru_maxrss before and after);
- the live `chain` op on that heap against objgraph.find_backref_chain on
  the same object (a 5-step chain), and a chain 1,000 hops long.

    /usr/bin/python3 bench/graph_bench.py            # Debian's objgraph is there
    /usr/bin/python3 bench/graph_bench.py --objects 200000
    /usr/bin/python3 bench/graph_bench.py --against deb604a [--rounds 3]

--against REF: the graph dump time of the agent at git commit REF and of this
tree's agent, each in its own process on the same heap, alternating, round
after round; prints the medians and their ratio (this tree / REF), for the
dump's wall-clock time and for the CPU time of the whole snapshot.

Not a test: timings depend on the machine (and on what else runs on it);
the ratios, measured in the same process on the same heap, are what to
compare.
"""

import argparse
import gc
import os
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# --agent-path DIR (used by --against): import the agent from DIR; by
# default the tree's agent with its native module when one is built.
sys.path.insert(0, HERE)
from nativeagent import agent_parent  # noqa: E402
if "--agent-path" in sys.argv:
    _AGENT_PATH = sys.argv[sys.argv.index("--agent-path") + 1]
else:
    _AGENT_PATH = agent_parent()
sys.path.insert(0, _AGENT_PATH)

import leakscope_agent  # noqa: E402
from leakscope_agent import _census, _graph, _refs  # noqa: E402

try:
    import objgraph
except ImportError:
    objgraph = None


class Item:
    def __init__(self, i):
        self.name = "item%d" % i
        self.tags = [i, str(i)]
        self.meta = {"k": i, "v": [i, i + 1]}
        self.owner = None


class Link:
    def __init__(self, nxt):
        self.next = nxt


_CACHE = {}
_LONG = None


def build_heap(n, start=0):
    """About n gc-tracked objects: per item an instance (plus its dict
    before 3.11), a list, a dict and a list inside it, all reachable from
    the module-level _CACHE."""
    global _LONG
    per = 4 if sys.version_info >= (3, 11) else 5
    for i in range(start, start + n // per):
        _CACHE["key%d" % i] = Item(i)
    for _ in range(1000):
        _LONG = Link(_LONG)


def deepest_link():
    """The id of the last link (held by no local variable of any frame)."""
    tail = _LONG
    while tail.next is not None:
        tail = tail.next
    return id(tail)


def maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def plain_walk(objs):
    ids = []
    types = []
    sizes = []
    targets = []
    offsets = [0]
    for obj in objs:
        ids.append(id(obj))
        types.append(type(obj))
        sizes.append(sys.getsizeof(obj))
        targets.extend(map(id, gc.get_referents(obj)))
        offsets.append(len(targets))
    return len(ids), len(targets)


def stdlib_floor(objs):
    """The passes any standard-library dump has to make, with no labels,
    no node index and nothing written: one gc.get_referents call per object,
    the ids of the tracked referents, and each object's id, type and size,
    all at C speed over whole lists."""
    from itertools import chain, compress
    import array
    refs = list(map(gc.get_referents, objs))
    lens = array.array("I", map(len, refs))
    flat = list(chain.from_iterable(refs))
    del refs
    targets = array.array("Q", map(id, compress(flat, map(gc.is_tracked,
                                                          flat))))
    ids = array.array("Q", map(id, objs))
    types = list(map(type, objs))
    sizes = array.array("Q", map(sys.getsizeof, objs))
    return len(ids) + len(types) + len(sizes) + len(lens), len(targets)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def dump_only():
    """One snapshot with graph of the heap built here; prints the dump's
    own seconds (meta graph_seconds) and the whole snapshot's."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.lsnap")
        cpu = time.process_time()
        seconds, _ = timed(leakscope_agent.snapshot, path, collect=False,
                           graph=True)
        cpu = time.process_time() - cpu
        import json
        import sqlite3
        conn = sqlite3.connect(path)
        meta = json.loads(conn.execute("SELECT meta_json FROM snapshot"
                                       ).fetchone()[0])
        conn.close()
    # The dump alone, as each agent's snapshot runs it (this tree:
    # dump_graph_locked; older agents: dump_graph_paused), in CPU seconds
    # of this process (steadier than wall-clock time on a shared machine),
    # best of two.
    from leakscope_agent import _record
    dump = getattr(_record, "dump_graph_locked", None) or \
        getattr(_record, "dump_graph_paused")
    best = None
    for _ in range(2):
        gc.collect()
        started = time.process_time()
        graph = dump()
        took = time.process_time() - started
        del graph
        best = took if best is None else min(best, took)
    print("dump %.4f snapshot %.4f nodes %d cpu %.4f dumpcpu %.4f" % (
        meta["graph_seconds"], seconds, meta["graph_nodes"], cpu, best))


def against(ref, objects, rounds, python=False):
    import statistics
    import subprocess
    root = os.path.dirname(HERE)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", root, "archive", ref, "resources/python"],
            stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        agents = [(ref, os.path.join(tmp, "resources", "python")),
                  ("this tree", _AGENT_PATH)]
        times = {name: [] for name, _ in agents}
        cpus = {name: [] for name, _ in agents}
        dumpcpus = {name: [] for name, _ in agents}
        for r in range(rounds):
            for name, path in (agents if r % 2 == 0 else agents[::-1]):
                env = dict(os.environ)
                if python:
                    # The pure-Python dump on both sides (an older agent
                    # may have no native module at all).
                    env["LEAKSCOPE_NATIVE"] = "0"
                out = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "--dump-only",
                     "--objects", str(objects), "--agent-path", path]
                    + (["--python"] if python else []),
                    stdout=subprocess.PIPE, universal_newlines=True,
                    env=env, check=True).stdout.split()
                times[name].append(float(out[1]))
                cpus[name].append(float(out[7]))
                dumpcpus[name].append(float(out[9]))
                print("round %d %-10s dump %6.2f s  snapshot %6.2f s "
                      "(CPU %6.2f s)  dump alone CPU %6.2f s  %s nodes"
                      % (r + 1, name, float(out[1]), float(out[3]),
                         float(out[7]), float(out[9]), out[5]))
                sys.stdout.flush()
    base = statistics.median(times[ref])
    now = statistics.median(times["this tree"])
    print("graph dump median: %s %.2f s, this tree %.2f s, ratio %.3f"
          % (ref, base, now, now / base))
    # CPU seconds of the whole snapshot (census without collect, dump,
    # write): on a shared machine far steadier than wall-clock time.
    base = statistics.median(cpus[ref])
    now = statistics.median(cpus["this tree"])
    print("snapshot CPU median: %s %.2f s, this tree %.2f s, ratio %.3f"
          % (ref, base, now, now / base))
    base = statistics.median(dumpcpus[ref])
    now = statistics.median(dumpcpus["this tree"])
    print("graph dump alone, CPU median: %s %.2f s, this tree %.2f s, "
          "ratio %.3f" % (ref, base, now, now / base))


def linearity(n, rounds=2):
    """Dump time per node at n and 3n objects, measured in one process:
    wall-clock and CPU time of this process (steadier on a shared
    machine), best of rounds each."""
    from leakscope_agent._record import dump_graph_locked
    per_node = []
    cpu_per_node = []
    per = 4 if sys.version_info >= (3, 11) else 5
    for start, step in ((0, n), (n // per, 2 * n)):
        build_heap(step, start)
        gc.collect()
        best = best_cpu = None
        for _ in range(rounds):
            cpu = time.process_time()
            seconds, graph = timed(dump_graph_locked)
            cpu = time.process_time() - cpu
            nodes = graph.node_count
            del graph
            best = seconds if best is None else min(best, seconds)
            best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        per_node.append(best / nodes)
        cpu_per_node.append(best_cpu / nodes)
        print("%s dump: %d nodes in %.2f s (%.0f ns per node; CPU %.2f s, "
              "%.0f ns per node)" % (graph_impl(), nodes, best,
                                     1e9 * best / nodes, best_cpu,
                                     1e9 * best_cpu / nodes))
    print("ratio per node at 3N / at N: %.2f wall-clock, %.2f CPU "
          "(1.00 = linear)" % (per_node[1] / per_node[0],
                               cpu_per_node[1] / cpu_per_node[0]))


def graph_impl():
    return "native" if _census.native_available() else "python"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1000000)
    parser.add_argument("--against", metavar="REF")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dump-only", action="store_true")
    parser.add_argument("--agent-path")
    parser.add_argument("--linearity", action="store_true",
                        help="only the dump at N and at 3N objects, in one "
                        "process (best of two each)")
    parser.add_argument("--linearity-rounds", type=int, default=2,
                        help="dumps at each size with --linearity (the "
                        "best counts)")
    parser.add_argument("--python", action="store_true",
                        help="the pure-Python dump even when the native "
                        "module is there")
    args = parser.parse_args()
    if args.python and hasattr(_census, "NATIVE"):
        _census.NATIVE[0] = False
    if args.linearity:
        return linearity(args.objects, args.linearity_rounds)
    if args.against:
        against(args.against, args.objects, args.rounds, args.python)
        return

    build_heap(args.objects)
    if args.dump_only:
        gc.collect()
        dump_only()
        return
    gc.collect()
    print("Python %s, %d gc objects" % (sys.version.split()[0],
                                         len(gc.get_objects())))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.lsnap")
        rss_before = maxrss()
        _graph.PHASES = []
        seconds, _ = timed(leakscope_agent.snapshot, path, collect=False,
                           graph=True)
        rss_after = maxrss()
        phases = _graph.PHASES
        _graph.PHASES = None
        size = os.path.getsize(path)
        import sqlite3
        conn = sqlite3.connect(path)
        nodes, edges = conn.execute(
            "SELECT node_count, edge_count FROM graph").fetchone()
        meta = conn.execute("SELECT meta_json FROM snapshot").fetchone()[0]
        conn.close()
    import json
    dump = json.loads(meta)["graph_seconds"]
    print("dump: %s (census: %s)" % (json.loads(meta).get("graph_impl"),
                                      json.loads(meta).get("census_impl")))
    print("graph: %d nodes, %d edges" % (nodes, edges))
    print("dump phases: " + ", ".join("%s %.2f" % p for p in phases))

    gc.disable()
    objs = gc.get_objects()
    walk, _ = timed(plain_walk, objs)
    floor, _ = timed(stdlib_floor, objs)
    del objs
    gc.enable()
    objs = gc.get_objects()
    walk_gc, _ = timed(plain_walk, objs)
    del objs

    print("plain walk (gc off):            %6.2f s" % walk)
    print("plain walk (gc on):             %6.2f s" % walk_gc)
    print("stdlib floor (no labels):       %6.2f s   ratio walk(gc off)/floor %.2f"
          % (floor, walk / floor))
    print("graph dump:                     %6.2f s   ratio walk(gc off)/dump %.2f"
          % (dump, walk / dump))
    print("snapshot with graph (census,    %6.2f s   ratio walk(gc off)/snapshot %.2f"
          % (seconds, walk / seconds))
    print("  dump, SQLite write)")
    print("file: %d bytes, %.1f bytes per node" % (size, size / float(nodes)))
    print("peak RSS added by the snapshot: %.1f MB (%.0f bytes per node)"
          % ((rss_after - rss_before) / 1e6,
             (rss_after - rss_before) / float(nodes)))

    target = _CACHE["key%d" % (len(_CACHE) // 2)].tags
    # objgraph sees the target as a local of this frame, a root to the
    # agent: both chains go through the module here.
    live, result = timed(_refs.chain_to_root, oid=id(target))
    steps = result["chain"]
    print("live chain, %d steps:            %6.3f s   (%s)"
          % (len(steps) - 1, live, " -> ".join(
              str(s["edge"]) for s in steps[1:])))
    if objgraph is not None:
        og, chain = timed(objgraph.find_backref_chain, target,
                          objgraph.is_proper_module)
        print("objgraph.find_backref_chain:    %6.3f s   (%d steps)   "
              "ratio objgraph/live %.2f" % (og, len(chain) - 1, og / live))
    else:
        print("objgraph.find_backref_chain:    (objgraph not importable; run "
              "with /usr/bin/python3)")
    oid = deepest_link()
    long_chain, result = timed(_refs.chain_to_root, oid=oid)
    print("live chain, %d steps:          %6.3f s"
          % (len(result["chain"]) - 1, long_chain))


if __name__ == "__main__":
    main()
