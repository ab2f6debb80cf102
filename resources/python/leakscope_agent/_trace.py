"""Where leaked objects were allocated: tracemalloc in a snapshot
(docs/file-format.md, "Allocations").

`python3 -m leakscope_agent run --trace [FRAMES]` and `leakscope-cli record
--trace` (LEAKSCOPE_RECORD_TRACE=FRAMES) start tracemalloc before the
program's first line; the user asked for it, so this is the one state of
the process the agent changes. Every snapshot of a traced process then
stores

- the tracemalloc statistics grouped by traceback (the TOP_STATS largest),
  without the agent's own allocations (a tracemalloc.Filter on its files);
- for each type and each recorded container that grew since the previous
  snapshot, the tracebacks of up to PER_SUBJECT of its newest instances or
  newest items (tracemalloc.get_object_traceback). CPython 3.11 gives none
  for instances of ordinary classes; a probe says so once per process and
  the snapshot's meta records it.
"""

import gc
import heapq
import os
import sys
import time
from array import array
from itertools import chain, compress
from operator import itemgetter

from . import _census
from ._census import type_name

if not hasattr(compile("", "", "exec"), "co_lines"):
    # Line tables through dis before 3.10: imported now, before the agent
    # starts tracemalloc (an import deep enough under _lines would cut the
    # agent's frames off its tracebacks).
    import dis  # noqa: F401

__all__ = ["is_tracing", "start", "object_tracebacks", "statistics",
           "TOP_STATS", "PER_SUBJECT", "DEFAULT_FRAMES"]

DEFAULT_FRAMES = 16
MAX_FRAMES = 1000        # what the argument may ask for, at most
TOP_STATS = 500
PER_SUBJECT = 20
MAX_TYPES = 20           # grown types with object tracebacks per snapshot
FUNCTION_BUDGET = 0.020  # seconds per snapshot spent naming functions
MAX_SOURCE_BYTES = 4 << 20

_state = {"started_by_agent": False, "probe": None, "types": None,
          "pid": None, "objects": None}

# CPU time of the calling thread: what a phase of a snapshot costs the
# process, whatever else the machine runs meanwhile.
thread_cpu = getattr(time, "thread_time", time.process_time)
_functions = {}  # filename -> {line: function name} or None (unknown)


def _tracemalloc():
    try:
        import tracemalloc
    except ImportError:  # pragma: no cover - every CPython has it
        return None
    return tracemalloc


def is_tracing():
    mod = sys.modules.get("tracemalloc")
    if mod is None:
        return False
    try:
        return bool(mod.is_tracing())
    except Exception:
        return False


def parse_frames(text):
    """FRAMES of --trace / LEAKSCOPE_RECORD_TRACE: an int in 1..MAX_FRAMES
    (empty: the default); raises ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_FRAMES
    value = int(text, 10)
    if not 1 <= value <= MAX_FRAMES:
        raise ValueError("FRAMES must be between 1 and %d" % MAX_FRAMES)
    return value


def start(frames=DEFAULT_FRAMES):
    """Start tracemalloc with `frames` frames per traceback, unless the
    process traces already. Returns True when this call started it."""
    tm = _tracemalloc()
    if tm is None or tm.is_tracing():
        return False
    tm.start(int(frames))
    _state["started_by_agent"] = True
    return True


class _Probe(object):
    pass


def object_tracebacks_work():
    """Whether tracemalloc.get_object_traceback() knows an instance of an
    ordinary class (not on CPython 3.11); probed once per process."""
    known = _state["probe"]
    if known is None and is_tracing():
        tm = _tracemalloc()
        probe = _Probe()
        try:
            known = tm.get_object_traceback(probe) is not None
        except Exception:
            known = False
        del probe
        _state["probe"] = known
    return known


def _agent_prefixes():
    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    real = os.path.realpath(here.rstrip(os.sep)) + os.sep
    return (here,) if real == here else (here, real)


_PREFIXES = _agent_prefixes()
_RUNPY = ("runpy.py",)


def program_frames(frames, whole=True):
    """frames without the agent's own (the runner's frames under every
    stack of `leakscope_agent run`, and runpy's under those); when nothing
    else is left, frames (whole) or ()."""
    kept = tuple(f for f in frames if not f[0].startswith(_PREFIXES))
    while kept and os.path.basename(kept[-1][0]) in _RUNPY:
        kept = kept[:-1]
    return kept or (tuple(frames) if whole else ())


def _frames_of(tm, obj, cache):
    """obj's program frames, innermost first: None when tracemalloc does
    not know it, () when the agent allocated it. cache: raw traceback ->
    frames, for one snapshot (the newest instances of a type mostly share
    a few call stacks)."""
    raw = getattr(tm, "_get_object_traceback", None)
    try:
        if raw is not None:
            # Innermost first already, (filename, lineno) pairs: no
            # Traceback and Frame objects (each a traced allocation).
            tb = raw(obj)
        else:
            tb = tm.get_object_traceback(obj)
            if tb is not None:
                # A Traceback iterates oldest first.
                tb = tuple((f.filename, f.lineno) for f in reversed(list(tb)))
    except Exception:
        return None
    if tb is None:
        return None
    frames = cache.get(tb)
    if frames is None:
        frames = cache[tb] = program_frames(_plain_frames(tb), whole=False)
    return frames


def object_tracebacks(objs, tps, counts, excluded, agent_objects, rows,
                      grown, resolve):
    """Called by the container pass (collection off). Returns a list of
    (subject kind, subject, object id, object type name, frames or None).
    objs and tps (the census' objects and their types) may be None: the
    objects are listed here then. Its cost is left in _state["objects"]
    for the snapshot's meta (see take_object_meta)."""
    tm = _tracemalloc()
    if tm is None:
        return []
    started = time.perf_counter(), thread_cpu()
    result = _object_tracebacks(tm, objs, tps, counts, excluded,
                                agent_objects, rows, grown, resolve)
    _state["objects"] = {"seconds": time.perf_counter() - started[0],
                         "cpu_seconds": thread_cpu() - started[1],
                         "rows": len(result)}
    return result


def take_object_meta():
    """What the last object_tracebacks() call cost (None when there was
    none since the previous call)."""
    meta, _state["objects"] = _state["objects"], None
    return meta


def _object_tracebacks(tm, objs, tps, counts, excluded, agent_objects, rows,
                       grown, resolve):
    if _state["pid"] != os.getpid():
        _state["types"] = None
        _state["pid"] = os.getpid()
    result = []
    cache = {}
    # Types: counts without the agent's objects, remembered by id(type)
    # (holding the types would keep classes alive) in two arrays (two
    # traced blocks between snapshots, not an int per type); names only
    # for the types that grew.
    mine = {}
    _census._count_elements(mine, map(type, compress(
        agent_objects, map(gc.is_tracked, agent_objects))))
    now = dict((id(tp), n - mine.get(tp, 0)) for tp, n in counts.items())
    previous = _state["types"]
    _state["types"] = (array("Q", now.keys()), array("q", now.values()))
    if previous is not None:
        previous = dict(zip(*previous))
        growth = sorted(((now[id(tp)] - previous.get(id(tp), 0), id(tp), tp)
                         for tp in counts
                         if now[id(tp)] > previous.get(id(tp), 0)
                         and not _census._is_ours_type(tp)),
                        key=lambda g: g[:2], reverse=True)
        names = dict((tp, type_name(tp)) for _, _, tp in growth[:MAX_TYPES])
        wanted = set(names)
        del growth
        if wanted:
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            if objs is None:
                # The C census kept no object list: list them now (only
                # when some type grew). The agent's objects made since
                # are dropped below (their tracebacks are the agent's).
                objs = gc.get_objects()
                mask = bytes(map(wanted.__contains__, map(type, objs)))
            else:
                mask = bytes(map(wanted.__contains__, tps))
            # A mask of one byte per object, not positions (an int per
            # object would be a traced allocation each), and only the
            # grown types' instances listed. Newest first: the young
            # generations lead the list, and in the oldest one survivors
            # of later collections come last.
            in_young = mask.count(1, 0, young)
            newest = list(compress(objs, mask))
            del mask, objs, tps
            old = newest[in_young:]
            del newest[in_young:]
            old.reverse()
            newest.extend(old)
            del old
            taken = {}
            full = 0
            for obj in newest:
                if full >= len(wanted):
                    break  # every grown type has its newest instances
                if id(obj) in excluded:
                    continue
                tp = type(obj)
                name = names[tp]
                k = taken.get(tp, 0)
                if k >= PER_SUBJECT:
                    continue
                if k + 1 == PER_SUBJECT:
                    full += 1
                frames = _frames_of(tm, obj, cache)
                if frames == ():
                    continue  # allocated by the agent itself
                taken[tp] = k + 1
                result.append(("type", name, id(obj), name, frames))
            del newest
    # Containers: their newest items.
    for _, r in grown:
        row = rows[r]
        if row["kind"] != "container":
            continue
        obj = resolve(row["index"])
        for item in _newest_items(obj, row["base"]):
            frames = _frames_of(tm, item, cache)
            if frames != ():
                result.append(("container", row["id"], id(item),
                               type_name(type(item)), frames))
    return result


def _newest_items(obj, base):
    from collections import deque
    try:
        if base is dict:
            keys = list(dict.keys(obj))[-PER_SUBJECT:]
            values = list(dict.values(obj))[-PER_SUBJECT:]
            items = []
            for v, k in zip(reversed(values), reversed(keys)):
                items.append(v)
                items.append(k)
            return _unique(items)[:PER_SUBJECT]
        refs = gc.get_referents(obj)
        if base is list:
            # gc visits list items last to first.
            return _unique(refs[:PER_SUBJECT])
        if base is deque:
            return _unique(list(reversed(refs[-PER_SUBJECT:])))
        return _unique(refs[:PER_SUBJECT])
    except Exception:
        return []


def _unique(items):
    seen = set()
    out = []
    for x in items:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)
    return out


def _agent_patterns():
    """tracemalloc.Filter patterns of the agent's files and tracemalloc's
    (computed once: realpath costs a system call per path component)."""
    patterns = _state.get("patterns")
    if patterns is None:
        patterns = _state["patterns"] = _find_agent_patterns()
    return list(patterns)


def _find_agent_patterns():
    here = os.path.dirname(os.path.abspath(__file__))
    patterns = [os.path.join(here, "*")]
    real = os.path.realpath(here)
    if real != here:
        patterns.append(os.path.join(real, "*"))
    tm = _tracemalloc()
    if tm is not None:
        patterns.append(tm.__file__)
    return patterns


# The agent's files that run the program's code under their frames: `python3
# -m leakscope_agent run` (runpy -> __main__ -> _runner -> the script) and
# the pytest plugin (each test through _pytestrun's runtestprotocol). A
# stack through them alone is the program's.
_BELOW_PROGRAM = ("__main__.py", "_runner.py", "_pytestrun.py",
                  "pytest_plugin.py")


def _agent_files(filenames):
    """Of filenames (as tracebacks give them), those of the agent's own
    modules that never run below the program: an allocation with one of
    them anywhere on its stack was made by the agent (a census, a write,
    the recorder thread), whichever library frame made it."""
    return set(f for f in filenames if type(f) is str
               and f.startswith(_PREFIXES)
               and os.path.basename(f) not in _BELOW_PROGRAM)


def _inside_agent(tb, agent_files, first=itemgetter(0)):
    """Whether the traceback tb ((filename, lineno) pairs) passes through
    one of agent_files."""
    return not agent_files.isdisjoint(map(first, tb))


def _raw_statistics(tm, agent_prefixes):
    """Statistics grouped by traceback from tracemalloc's raw traces,
    counted at C speed: [(size, count, frames innermost first)] without
    the traces whose innermost frame is the agent's or tracemalloc's (what
    tracemalloc.Filter(False, pattern) does), and the number of groups."""
    get = getattr(tm, "_get_traces", None)
    if get is None:
        raise AttributeError("no tracemalloc._get_traces")
    traces = get()
    sizes = {}
    counts = {}
    if _census.native_available():
        # Summed per traceback object in C (one per interned traceback),
        # then merged by value here: a few thousand groups, not a tuple
        # hashed per trace.
        groups = _census._native.group_traces(traces)
        del traces
        for tb, size, n in groups:
            sizes[tb] = sizes.get(tb, 0) + size
            counts[tb] = counts.get(tb, 0) + n
        del groups
    else:
        pairs = {}
        # A raw trace is (domain, size, traceback[, total_nframe]), the
        # traceback a tuple of (filename, lineno), most recent first.
        _census._count_elements(pairs, map(itemgetter(2, 1), traces))
        del traces
        for (tb, size), n in pairs.items():
            sizes[tb] = sizes.get(tb, 0) + size * n
            counts[tb] = counts.get(tb, 0) + n
        del pairs
    # The agent's allocations: those whose innermost frame is the
    # agent's or tracemalloc's, and every one made under an agent frame
    # (sqlite3, json, threading called by the agent), so that neither its
    # groups nor their frames (names compiled from source) cost anything
    # further.
    files = set(map(itemgetter(0), chain.from_iterable(sizes)))
    agent_files = _agent_files(files)
    skip = set()
    for tb in sizes:
        if tb and type(tb[0][0]) is str and tb[0][0].startswith(
                agent_prefixes):
            skip.add(tb)
        elif agent_files and _inside_agent(tb, agent_files):
            skip.add(tb)
    total = len(sizes) - len(skip)
    top = heapq.nlargest(TOP_STATS + len(skip), sizes.items(),
                         key=itemgetter(1))
    kept = [(tb, size) for tb, size in top if tb not in skip][:TOP_STATS]
    # Frames the stored tracebacks leave out: the agent's (under every
    # stack of `leakscope_agent run`) and runpy's. Under `leakscope-cli
    # record` there are none, and the tracebacks are stored as given.
    # Nothing is remembered between snapshots: what the agent keeps is
    # traced too, and each snapshot's _get_traces() would list it again.
    strip = set(f for f in files if type(f) is not str or f.startswith(
        _PREFIXES) or os.path.basename(f) in _RUNPY)
    plain = _all_plain([tb for tb, _ in kept])
    first = itemgetter(0)
    out = []
    for tb, size in kept:
        frames = tb if plain else _plain_frames(tb)
        if strip and not strip.isdisjoint(map(first, frames)):
            frames = program_frames(frames)
        out.append((size, counts[tb], frames))
    return out, total


def _all_plain(tbs):
    """Whether every traceback in tbs is a tuple of (str, int) tuples (as
    _get_traces() gives them), checked in one pass over all frames."""
    if set(map(type, tbs)) - {tuple}:
        return False
    pairs = list(chain.from_iterable(tbs))
    return set(map(type, pairs)) <= {tuple} and \
        set(map(len, pairs)) <= {2} and \
        set(zip(map(type, map(itemgetter(0), pairs)),
                map(type, map(itemgetter(1), pairs)))) <= _FRAME_TYPES


_FRAME_TYPES = frozenset(((str, int),))


def _plain_frames(tb):
    """tb's frames as (filename, lineno) tuples of str and int: tb itself
    when it is made of those already (as _get_traces() gives them)."""
    if type(tb) is tuple and set(map(type, tb)) <= {tuple} and \
            set(map(len, tb)) <= {2} and \
            set(zip(map(type, map(itemgetter(0), tb)),
                    map(type, map(itemgetter(1), tb)))) <= _FRAME_TYPES:
        return tb
    return tuple((str(f), int(line)) for f, line in tb)


def _public_statistics(tm, patterns):
    snap = tm.take_snapshot()
    filters = [tm.Filter(False, p) for p in patterns]
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        names = sorted(n for n in os.listdir(here) if n.endswith(".py")
                       and n not in _BELOW_PROGRAM)
    except OSError:
        names = []
    for prefix in _PREFIXES:
        filters.extend(tm.Filter(False, os.path.join(prefix, n),
                                 all_frames=True) for n in names)
    snap = snap.filter_traces(filters)
    stats = snap.statistics("traceback")
    total = len(stats)
    out = []
    for stat in stats[:TOP_STATS]:
        frames = program_frames(tuple((str(f.filename), int(f.lineno))
                                      for f in reversed(list(stat.traceback))))
        out.append((int(stat.size), int(stat.count), frames))
    return out, total


def statistics():
    """The tracemalloc statistics of this moment grouped by traceback,
    largest first, without the agent's own allocations: (stats, meta);
    stats is a list of (size, count, frames innermost first)."""
    tm = _tracemalloc()
    if tm is None or not tm.is_tracing():
        return None, None
    started = time.perf_counter()
    started_cpu = thread_cpu()
    patterns = _agent_patterns()
    prefixes = tuple(p[:-1] if p.endswith("*") else p for p in patterns)
    try:
        out, total = _raw_statistics(tm, prefixes)
        how = "raw"
    except Exception:
        out, total = _public_statistics(tm, patterns)
        how = "snapshot"
    current, peak = tm.get_traced_memory()
    meta = {
        "tracing": True,
        "frames": tm.get_traceback_limit(),
        "started_by": "leakscope" if _state["started_by_agent"]
        else "program",
        "traced_bytes": current,
        "peak_bytes": peak,
        "tracemalloc_bytes": tm.get_tracemalloc_memory(),
        "statistics": total,
        "statistics_kept": len(out),
        "object_tracebacks": bool(object_tracebacks_work()),
        "filtered": patterns,
        "method": how,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": thread_cpu() - started_cpu,
    }
    return out, meta


def function_names(frames, deadline):
    """{(filename, line): function} for what can be named before the
    deadline (source files compiled once each, never imported)."""
    result = {}
    # Each distinct frame once, in the order given (a C-speed pass: the
    # same frames repeat across hundreds of tracebacks).
    for filename, line in dict.fromkeys(frames):
        table = _functions.get(filename, False)
        if table is False:
            if time.perf_counter() > deadline:
                continue
            table = _functions[filename] = _line_table(filename)
        if table:
            name = table.get(line)
            if name is not None:
                result[(filename, line)] = name
    return result


def _line_table(filename):
    if not filename or filename.startswith("<"):
        return None
    try:
        if os.path.getsize(filename) > MAX_SOURCE_BYTES:
            return None
        with open(filename, "rb") as f:
            source = f.read()
        code = compile(source, filename, "exec", dont_inherit=True)
    except Exception:
        return None
    table = {}
    stack = [code]
    while stack:
        co = stack.pop()
        name = getattr(co, "co_qualname", None) or co.co_name
        for line in _lines(co):
            # Parents come first and children overwrite: a line belongs
            # to the innermost code object that runs it.
            table[line] = name
        stack.extend(c for c in reversed(co.co_consts) if type(c) is
                     type(code))
    return table


def _lines(co):
    if hasattr(co, "co_lines"):
        return set(line for _, _, line in co.co_lines() if line)
    return set(line for _, line in dis.findlinestarts(co) if line)
