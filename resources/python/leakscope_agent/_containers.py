"""The container pass of a snapshot (docs/file-format.md, "Containers").

Untracked payloads (str, bytes, bytearray, int, float, tuples of such) are
invisible to a census of gc.get_objects(); only the container that holds
them grows. Every snapshot therefore also records the large containers:
every dict, list, set, frozenset and deque (and subclasses) with at least
MIN_ITEMS items plus the LONGEST longest, with their length (the builtin
base type's own __len__, never a subclass override), shallow size and
payload bytes; and large str/bytes/bytearray values held directly by a
module global (a bytearray that keeps being extended is not a container
and not gc-tracked). For the ones that grew since this process's previous
snapshot it names the holder: the first named step of the chain to a root.

Runs inside the census (scan(), with collection off and the program's
threads held back) on the census' own object list, types and sizes, so it
adds a few C-speed passes and no per-object Python loop. Nothing here runs
the program's code: lengths via dict.__len__ & co., items via
gc.get_referents (NULL slots in lists are skipped) or dict.keys/values
(C iteration), sizes via sys.getsizeof of exact builtin atoms only.
"""

import gc
import sys
import time
from collections import deque
from itertools import compress, filterfalse, islice, repeat
from operator import is_, le, or_
from types import CodeType, FrameType, FunctionType, MethodType, ModuleType

from . import _census
from ._census import _exact_str, type_name
from ._labels import AgentFrames, Labeler

__all__ = ["scan", "take_result", "MIN_ITEMS", "LONGEST", "SAMPLE_ABOVE",
           "HOLDER_BUDGET"]

MIN_ITEMS = 1000          # every container at least this long is recorded
LONGEST = 200             # ... and the LONGEST longest, whatever their length
SAMPLE_ABOVE = 100000     # payloads of longer containers are sampled
SAMPLE_ITEMS = 10000      # about this many items are read from those
ITEM_BUDGET = 4000000     # items read for payloads per snapshot, at most
CANDIDATES = 4000         # containers whose length is measured, about
MIN_VALUE_BYTES = 1000    # module-global str/bytes/bytearray recorded from
HOLDER_BUDGET = 0.050     # seconds of holder naming per snapshot
INSTANCE_BUDGET = 0.010   # seconds finding values held by instance attributes
INSTANCE_LIMIT = 20000    # instances visited for those, at most
INSTANCE_DEPTH = 3        # attribute steps from a root instance, at most
HOLDER_TARGETS = 16       # grown containers named per snapshot, at most
HOLDER_DEPTH = 6          # steps from a container towards a root, at most
SCAN_NS_GUESS = 30.0      # ns per object of one gc.get_referrers heap scan
SCAN_MARGIN = 1.3         # predicted scan time x this must fit the budget

# A container of n items takes at least 8*n bytes (a pointer per item in
# lists and deques, a 16-byte entry per item in dicts and sets).
BYTES_PER_ITEM = 8

_BASES = (dict, list, set, frozenset, deque)
_PAYLOAD = frozenset((str, bytes, bytearray, int, float))
_VALUES = frozenset((str, bytes, bytearray))
_getsizeof = sys.getsizeof
_get_referents = gc.get_referents
_get_referrers = gc.get_referrers
_is_tracked = gc.is_tracked
_MODULE_DICT = ModuleType.__dict__["__dict__"]

# Per-process state, all of it the agent's (module-level, so the census'
# ownership walk leaves it out): the lengths seen at the previous snapshot,
# keyed (id, type name); the measured cost of a heap scan; the last result.
_state = {"previous": {}, "holders": {}, "scan_ns": None, "result": None,
          "types": None, "pid": None}
_base_of = {}


def base_of(tp):
    """The builtin container type tp is (or derives from), or None."""
    found = _base_of.get(tp, _BASES)
    if found is _BASES:
        found = None
        try:
            for base in _BASES:
                # type.__subclasscheck__ of a builtin base: C, no user hook.
                if issubclass(tp, base):
                    found = base
                    break
        except Exception:
            found = None
        _base_of[tp] = found
    return found


def _signed64(value):
    return value - (1 << 64) if value >= (1 << 63) else value


def take_result():
    """The result of the last scan() (and forget it), or None."""
    result = _state["result"]
    _state["result"] = None
    return result


def scan(ctx):
    """The census hook (see _census.census(scan=...)). ctx: objects,
    types, sizes (lists aligned with objects), counts (type -> count),
    excluded (the agent's objects). Never raises."""
    started = time.perf_counter()
    _state["result"] = None
    try:
        result = _scan(ctx, started)
    except Exception as exc:  # the snapshot goes on without containers
        result = {"rows": (), "meta": {"error": "%s: %s" % (
            type(exc).__name__, exc)}, "objects": ()}
    result["meta"]["seconds"] = time.perf_counter() - started
    _state["result"] = result


# The C census keeps this many of the containers shorter than MIN_ITEMS
# (the LONGEST longest, and room for a few of the agent's own types that
# the ranking below leaves out).
NATIVE_KEEP = LONGEST + 64


def native_args(excluded):
    """The arguments of the container pass inside the C census
    (_native.census_walk): its base types, the ids of the agent's objects
    (never kept), MIN_ITEMS and how many shorter ones to keep."""
    return (_BASES, set(map(id, excluded)), MIN_ITEMS, NATIVE_KEEP)


scan.native_args = native_args


def _rank(entry):
    """Longest first; of equal lengths the one listed first (the C pass
    keeps the same ones)."""
    return (-entry[0], entry[1])


def _young_ids():
    young = gc.get_objects(0)
    ids = set(map(id, young))
    del young
    return ids


def _scan(ctx, started):
    if _state["pid"] != _pid():
        # A forked child starts over: its parent's lengths are not its own.
        _state["previous"] = {}
        _state["holders"] = {}
        _state["types"] = None
        _state["pid"] = _pid()
    young0 = _young_ids()
    if ctx.get("native") is not None:
        return _scan_rest(ctx, started, young0, *_native_candidates(ctx))
    return _scan_rest(ctx, started, young0, *_python_candidates(ctx))


def _native_candidates(ctx):
    """What the C census kept: (pool, pool types, pool sizes, found,
    threshold, exact, ignore, pass_ns, objs, tps) as _python_candidates."""
    pool, lengths, pool_sizes = ctx["native"]
    pool_tps = list(map(type, pool))
    ours = set(tp for tp in set(pool_tps) if _census._is_ours_type(tp))
    found = [(n, i) for i, n in enumerate(lengths)
             if not ours or pool_tps[i] not in ours]
    ignore = {id(ctx), id(pool), id(pool_tps), id(pool_sizes), id(lengths),
              id(ctx["native"])}
    # Every container's length was measured: the ranking is exact.
    return (pool, pool_tps, pool_sizes, found, 0, True, ignore, None,
            ctx.get("n_objects") or 0, None, None)


def _python_candidates(ctx):
    objs = ctx["objects"]
    tps = ctx.get("types")
    sizes = ctx.get("sizes")
    counts = ctx.get("counts")
    if tps is None or sizes is None:
        tps = list(map(type, objs))
        sizes = list(map(_census.safe_getsizeof, objs))
    if counts is None:
        counts = dict.fromkeys(set(tps), 1)
    excluded = set(map(id, ctx.get("excluded") or ()))
    ignore = {id(objs), id(tps), id(sizes), id(ctx), id(excluded)}
    ctypes = {}
    for tp in counts:
        base = base_of(tp)
        if base is not None and not _census._is_ours_type(tp):
            ctypes[tp] = base
    # Candidates: objects big enough to hold MIN_ITEMS items, or among the
    # biggest CANDIDATES objects of all; instances of a container subclass
    # with its own __sizeof__ (sized without it, so too small) always.
    pairs = ctx.get("pairs")
    hist = {}
    if pairs is not None:
        # The census counted (type, size) pairs already: the sizes of the
        # containers alone, without another pass over the objects.
        for (tp, size), n in pairs.items():
            if tp in ctypes:
                hist[size] = hist.get(size, 0) + n
    else:
        _census._count_elements(hist, sizes)
    threshold = BYTES_PER_ITEM * MIN_ITEMS
    above = 0
    for size in sorted(hist, reverse=True):
        if above + hist[size] > CANDIDATES:
            break
        above += hist[size]
        threshold = min(threshold, size)
    del hist
    # Candidates by masks of bools, never by positions: a position is an
    # int object per element, a traced allocation each under tracemalloc.
    pass_started = time.perf_counter()
    mask = list(map(le, repeat(threshold), sizes))
    # One C-speed pass over the objects: what a heap scan of
    # gc.get_referrers costs about (measured 0.5 to 1 times this), the
    # first guess of the holder search before it has timed a scan itself.
    pass_ns = (time.perf_counter() - pass_started) * 1e9 / max(len(sizes), 1)
    slow = set(tp for tp in ctypes if not _census.sizeof_in_c(tp))
    if slow:
        mask = list(map(or_, mask, map(slow.__contains__, tps)))
    pool_tps = list(compress(tps, mask))
    keep = list(map(ctypes.__contains__, pool_tps))
    pool_tps = list(compress(pool_tps, keep))
    pool = list(compress(compress(objs, mask), keep))
    pool_sizes = list(compress(compress(sizes, mask), keep))
    del mask, keep
    ignore.update((id(pool), id(pool_tps), id(pool_sizes)))
    found = []
    for i, obj in enumerate(pool):
        tp = pool_tps[i]
        base = ctypes[tp]
        if id(obj) in excluded:
            continue
        try:
            n = len(obj) if tp is base else base.__len__(obj)
        except Exception:
            continue
        found.append((n, i))
    exact_below = len(found) < LONGEST and threshold <= BYTES_PER_ITEM
    return (pool, pool_tps, pool_sizes, found, threshold, exact_below,
            ignore, pass_ns, len(objs), objs, tps)


def _scan_rest(ctx, started, young0, pool, pool_tps, pool_sizes, found,
               threshold, exact_below, ignore, pass_ns, n_objects, objs,
               tps):
    counts = ctx.get("counts")
    if counts is None:
        counts = dict.fromkeys(set(tps or ()), 1)
    excluded = set(map(id, ctx.get("excluded") or ()))
    ignore.add(id(excluded))
    # Dicts of atoms only (int -> bytes, str -> str) are not gc-tracked and
    # so not in objs: those held by module globals are found there and
    # join the ranking with a negative index into `untracked`.
    untracked, module_values = _module_globals(excluded)
    for k, (n, obj, text) in enumerate(untracked):
        found.append((n, -1 - k))
    found.sort(key=_rank)
    long_ones = [entry for entry in found if entry[0] >= MIN_ITEMS]
    if len(long_ones) < LONGEST:
        long_ones = found[:LONGEST]
    # Exact when nothing below the size threshold could be longer than
    # the shortest one kept.
    exact = exact_below or \
        (bool(long_ones) and long_ones[-1][0] * BYTES_PER_ITEM >= threshold)
    del found
    previous = _state["previous"]
    current = {}
    rows = []
    names = {}  # type -> name, for this scan
    grown = []
    held = {}
    for n, i in long_ones:
        if i < 0:
            _, obj, text = untracked[-1 - i]
            tp = type(obj)
            size = _getsizeof(obj)
            held[i] = text
        else:
            obj = pool[i]
            tp = pool_tps[i]
            size = pool_sizes[i]
        name = names.get(tp)
        if name is None:
            name = names[tp] = type_name(tp)
        key = (id(obj), name)
        before = previous.get(key)
        current[key] = n
        row = {"id": id(obj), "type": name, "kind": "container", "items": n,
               "size": size, "payload": None, "estimated": False,
               "previous": before, "held_by": held.get(i),
               "holder_kind": "module_global" if i in held else None,
               "holder_type": None, "base": base_of(tp), "index": i}
        rows.append(row)
        if before is not None and n > before:
            grown.append((n - before, len(rows) - 1))
    _module_values(module_values, rows, previous, current, grown)
    values_started = time.perf_counter()
    # The grown containers an instance attribute may name (the C walk
    # reports the owners of these only).
    wanted = [pool[rows[r]["index"]] for _, r in grown
              if rows[r]["index"] is not None and rows[r]["index"] >= 0]
    walk_info = {"impl": "python", "visited": None, "out_of_time": None}
    instance_values, owners = _instance_values(excluded, set(
        id(v) for v, _ in module_values), values_started + INSTANCE_BUDGET,
        wanted, walk_info)
    del wanted
    values_seconds = time.perf_counter() - values_started
    _module_values(instance_values, rows, previous, current, grown)
    # Payloads, grown containers first, within the item budget.
    budget = [ITEM_BUDGET]
    order = [r for _, r in sorted(grown, reverse=True)]
    chosen = set(order)
    order.extend(r for r in range(len(rows)) if r not in chosen)
    order = [r for r in order if rows[r]["kind"] == "container"]
    if _census.native_available():
        # All of them in one C call (the same sums and budget as _payload).
        measured, budget[0] = _census._native.payloads(
            [_object(pool, untracked, rows[r]["index"]) for r in order],
            [rows[r]["base"] is dict for r in order],
            [rows[r]["items"] for r in order], budget[0], SAMPLE_ABOVE,
            SAMPLE_ITEMS)
        for r, found in zip(order, measured):
            if found is not None:
                rows[r]["payload"], rows[r]["estimated"] = found
        del measured
    else:
        for r in order:
            row = rows[r]
            _payload(_object(pool, untracked, row["index"]), row, budget)
    # Holders of grown containers (values already have theirs). A holder
    # found at an earlier snapshot for the same (id, type) is kept: the
    # budget goes to the containers not named yet.
    grown.sort(reverse=True)
    known = _state.get("holders") or {}
    reused = 0
    for _, r in grown:
        row = rows[r]
        if row["held_by"] is None:
            found_before = known.get((row["id"], row["type"]))
            if found_before is not None:
                row["held_by"], row["holder_kind"], row["holder_type"] = \
                    found_before
                reused += 1
    for _, r in grown:
        row = rows[r]
        holder = owners.get(row["id"]) if row["held_by"] is None else None
        if holder is not None and row["index"] is not None and \
                row["index"] >= 0:
            # An attribute of an instance the walk above saw.
            name, tp_name = _attribute_name(holder, pool[row["index"]])
            if not name.endswith(" (referent)"):
                row["held_by"], row["holder_kind"], row["holder_type"] = \
                    name, "instance_attribute", tp_name
    del owners
    targets = [rows[r] for _, r in grown
               if rows[r]["held_by"] is None][:HOLDER_TARGETS]
    holder_meta = {"wanted": len(targets), "named": 0, "scans": 0,
                   "reused": reused, "budget_seconds": HOLDER_BUDGET,
                   "exhausted": False}
    if targets:
        holder_started = time.perf_counter()
        ignore.update((id(rows), id(long_ones), id(targets), id(order),
                       id(grown), id(current), id(budget)))
        ignore.update(map(id, rows))
        _Holders(n_objects, pool, targets, ignore, excluded, young0,
                 holder_meta, pass_ns).run(holder_started + HOLDER_BUDGET)
        holder_meta["seconds"] = time.perf_counter() - holder_started
        holder_meta["named"] = sum(1 for t in targets if t["held_by"])
    _state["previous"] = current
    _state["holders"] = dict(
        ((row["id"], row["type"]), (row["held_by"], row["holder_kind"],
                                    row["holder_type"]))
        for row in rows if row["held_by"] is not None)
    trace_objects = None
    from . import _trace
    if _trace.is_tracing():
        trace_objects = _trace.object_tracebacks(
            objs, tps, counts, excluded, ctx.get("excluded") or (), rows,
            grown, lambda index: _object(pool, untracked, index))
    meta = {"recorded": len(rows), "candidates_from_bytes": threshold,
            "longest_exact": bool(exact), "grown": len(grown),
            "min_items": MIN_ITEMS, "longest": LONGEST,
            "sample_above": SAMPLE_ABOVE, "holders": holder_meta,
            "instance_values": dict(walk_info, found=len(instance_values),
                                    seconds=values_seconds,
                                    budget_seconds=INSTANCE_BUDGET),
            "item_budget_left": budget[0],
            "impl": "native" if objs is None else "python"}
    out = []
    for row in rows:
        row = dict(row)
        del row["index"], row["base"]
        out.append(row)
    del rows, long_ones
    return {"rows": out, "meta": meta, "objects": trace_objects or ()}


def _object(objs, untracked, index):
    return objs[index] if index >= 0 else untracked[-1 - index][1]


def _module_globals(excluded):
    """What module globals hold that gc.get_objects() does not list:
    (untracked dicts [(length, dict, 'module.NAME')], large values
    [(value, 'module.NAME')]). Dicts of atoms only (int -> bytes) are not
    gc-tracked; str, bytes and bytearray never are. Filtered at C speed:
    the Python loop sees only the globals that qualify."""
    dicts = []
    values = []
    seen = set(excluded)
    if _census.native_available():
        # The same filter in C over every namespace at once.
        spaces = _module_namespaces()
        found = _census._native.module_globals(
            [namespace for _, namespace in spaces], MIN_VALUE_BYTES)
        for index, key, value in found:
            if id(value) in seen:
                continue
            modname = spaces[index][0]
            tp = type(value)
            if tp in _VALUES:
                seen.add(id(value))
                values.append((value, modname + "." + key))
            elif base_of(tp) is dict and not _census._is_ours_type(tp):
                seen.add(id(value))
                dicts.append((dict.__len__(value), value,
                              modname + "." + key))
        del spaces, found
        return dicts, values
    for modname, namespace in _module_namespaces():
        vals = list(dict.values(namespace))
        tps = list(map(type, vals))
        kinds = set(tps)
        wanted = set(tp for tp in kinds if tp in _VALUES or (
            base_of(tp) is dict and not _census._is_ours_type(tp)))
        if not wanted:
            continue
        mask = list(map(wanted.__contains__, tps))
        keys = list(dict.keys(namespace))
        if len(keys) != len(vals):
            continue  # changed under us: skip this module
        for key, value in compress(zip(keys, vals), mask):
            if type(key) is not str or id(value) in seen:
                continue
            tp = type(value)
            if tp in _VALUES:
                if key.startswith("__") or _getsizeof(value) < \
                        MIN_VALUE_BYTES:
                    continue
                seen.add(id(value))
                values.append((value, modname + "." + key))
            elif not _is_tracked(value):
                seen.add(id(value))
                try:
                    n = len(value) if tp is dict else dict.__len__(value)
                except Exception:
                    continue
                dicts.append((n, value, modname + "." + key))
        del vals, tps, keys, mask
    return dicts, values


def _pid():
    import os
    return os.getpid()


def _module_namespaces():
    """[(module name, module dict)] of sys.modules, non-__main__ first."""
    result = []
    main = []
    for name, module in list(sys.modules.items()):
        if type(name) is not str or not issubclass(type(module), ModuleType):
            continue
        if _census._is_ours_name(name):
            continue
        try:
            namespace = _MODULE_DICT.__get__(module)
        except Exception:
            continue
        if type(namespace) is not dict:
            continue
        (main if name == "__main__" else result).append((name, namespace))
    return result + main


def _module_values(values, rows, previous, current, grown):
    """Large str, bytes and bytearray values of module globals (or of
    instance attributes, _instance_values), as rows of kind 'value' named
    by their global (attribute)."""
    for entry in values:
        value, text = entry[0], entry[1]
        kind, holder_type = (entry[2], entry[3]) if len(entry) > 2 else \
            ("module_global", None)
        tp = type(value)
        name = type_name(tp)
        n = len(value)
        size = _getsizeof(value)
        ident = (id(value), name)
        before = previous.get(ident)
        current[ident] = n
        rows.append({"id": id(value), "type": name, "kind": "value",
                     "items": n, "size": size, "payload": size,
                     "estimated": False, "previous": before,
                     "held_by": text, "holder_kind": kind,
                     "holder_type": holder_type, "base": tp, "index": None})
        if before is not None and n > before:
            grown.append((n - before, len(rows) - 1))


_HEAPTYPE = 1 << 9   # Py_TPFLAGS_HEAPTYPE
_TYPE_FLAGS = type.__dict__["__flags__"]
_plain = {}


def _is_plain_class(tp):
    """A class written in Python (a heap type) whose instances are neither
    containers, nor types, functions or modules, nor the agent's."""
    found = _plain.get(tp)
    if found is None:
        try:
            found = bool(_TYPE_FLAGS.__get__(tp) & _HEAPTYPE) and \
                base_of(tp) is None and not issubclass(tp, type) and \
                not issubclass(tp, ModuleType) and \
                not _census._is_ours_type(tp)
        except Exception:
            found = False
        _plain[tp] = found
    return found


_BOXES = (list, dict, set, deque, tuple)
_SPLIT_DICTS = sys.version_info < (3, 11)   # attributes live in a __dict__


def _instance_values(excluded, seen_values, deadline, wanted=(), info=None):
    """What attributes of the program's instances hold, found without a
    heap scan: the instances held by module globals (__main__ first), by
    module-global containers (up to INSTANCE_LIMIT items each) and by the
    running frames' locals, and those their attributes hold, at most
    INSTANCE_DEPTH steps and INSTANCE_LIMIT instances, within deadline.
    Only gc.get_referents reads them; the labeller names the few that
    matter. Returns (values, owners): large bytearrays (str and bytes
    attributes are new objects when they change: no growth by identity)
    as [(value, 'Class.attr', 'instance_attribute', 'module.Class')], and
    {id(container): (instance, its __dict__ or None)} for the holder
    search (an attribute names a grown container without a heap scan).
    The C walk (_native.instance_values) gives the owners of the wanted
    containers only. info (a dict) gets which walk ran ("impl"), and for
    the C walk the instances it visited and whether time ran out."""
    if info is None:
        info = {}
    if _census.native_available():
        try:
            found, owners = _native_instance_walk(excluded, deadline, wanted,
                                                  info)
        except MemoryError:
            found = None
        if found is not None:
            return _instance_found(found, seen_values), owners
    level = []
    seen = set(excluded)
    owners = {}
    found = []
    namespaces = _module_namespaces()
    if namespaces:
        namespaces.insert(0, namespaces.pop())
    frames_at = 1
    for _, namespace in namespaces:
        if time.perf_counter() > deadline:
            break
        vals = list(dict.values(namespace))
        tps = list(map(type, vals))
        level.extend(compress(vals, map(_is_plain_class, tps)))
        # One step into the module's containers (a list of connections),
        # small ones only.
        boxes = [v for v, tp in zip(vals, tps) if tp in _BOXES and
                 len(v) <= INSTANCE_LIMIT]
        if boxes:
            refs = _get_referents(*boxes)
            level.extend(compress(refs, map(_is_plain_class,
                                            map(type, refs))))
            del refs
        del vals, tps, boxes
        if frames_at:
            frames_at = 0
            try:
                frames = AgentFrames().thread_frames()
                for frame in frames:
                    level.extend(v for v in _get_referents(frame)
                                 if _is_plain_class(type(v)))
                del frames
            except Exception:
                pass
    visited = 0
    depth = 0
    while level and depth < INSTANCE_DEPTH:
        depth += 1
        following = []
        for inst in level:
            key = id(inst)
            if key in seen:
                continue
            seen.add(key)
            visited += 1
            if visited > INSTANCE_LIMIT or (visited & 63 == 0 and
                                            time.perf_counter() > deadline):
                following = level = ()
                break
            for r in _get_referents(inst):
                tp = type(r)
                if tp is dict and _SPLIT_DICTS and id(r) not in owners and \
                        dict.__len__(r) <= 256:
                    # The instance's __dict__ (3.8 to 3.10; 3.11+ keep
                    # the attributes inline): its values are attributes.
                    owners[id(r)] = None
                    holder = (inst, r)
                    for v in list(dict.values(r)):
                        vt = type(v)
                        if vt is bytearray:
                            found.append((v, holder))
                        elif base_of(vt) is not None:
                            owners.setdefault(id(v), holder)
                        elif _is_plain_class(vt):
                            following.append(v)
                elif tp is bytearray:
                    found.append((r, (inst, None)))
                elif _is_plain_class(tp):
                    following.append(r)
                elif base_of(tp) is not None:
                    owners.setdefault(id(r), (inst, None))
        level = following
    del level
    return _instance_found(found, seen_values), owners


def _native_instance_walk(excluded, deadline, wanted, info):
    """_instance_values' walk in C: ([(bytearray, (instance, __dict__ or
    None))], {id(wanted container): (instance, __dict__ or None)})."""
    namespaces = [namespace for _, namespace in _module_namespaces()]
    if namespaces:
        namespaces.insert(0, namespaces.pop())
    try:
        frames = list(AgentFrames().thread_frames())
    except Exception:
        frames = []
    wanted = list(wanted)
    found, owned, visited, late = _census._native.instance_values(
        namespaces, frames, excluded, wanted, _BASES, _census._PKG,
        INSTANCE_LIMIT, INSTANCE_LIMIT, INSTANCE_DEPTH,
        max(deadline - time.perf_counter(), 0.0), _SPLIT_DICTS)
    del namespaces, frames
    info.update(impl="native", visited=visited, out_of_time=bool(late))
    owners = dict((id(wanted[k]), (inst, ns)) for k, inst, ns in owned)
    del owned, wanted
    return [(value, (inst, ns)) for value, inst, ns in found], owners


def _instance_found(found, seen_values):
    """found [(bytearray, holder)] as _instance_values' values."""
    values = []
    for value, holder in found:
        if id(value) in seen_values or _getsizeof(value) < MIN_VALUE_BYTES:
            continue
        seen_values.add(id(value))
        name, tp_name = _attribute_name(holder, value)
        values.append((value, name, "instance_attribute", tp_name))
    return values


def _attribute_name(holder, target):
    """('Class.attr', 'module.Class') for target held by an attribute of
    holder = (instance, its __dict__ or None)."""
    inst, namespace = holder
    labeler = Labeler(set())
    if namespace is not None:
        label = labeler.label_of(namespace, _get_referents(namespace),
                                 target)
        label = "." + label[2:-2] if type(label) is str and \
            label.startswith("['") and label.endswith("']") else None
    else:
        label = labeler.label_of(inst, _get_referents(inst), target)
    tp = type(inst)
    name = type_name(tp)
    qual = name.rpartition(".")[2] if name.startswith("__main__.") \
        else _qualname(tp)
    if not (type(label) is str and label.startswith(".")):
        label = " (referent)"
    return qual + label, name


# sys.getsizeof(x) is x.__sizeof__() plus the collector's header for types
# the collector tracks (of the payload types, tuple only). Calling the
# type's own __sizeof__ descriptor skips the bound method sys.getsizeof
# creates per call: an allocation, and a traced one under tracemalloc.
_TUPLE_HEADER = _getsizeof((0,)) - (0,).__sizeof__()
_ATOM_SIZEOF = tuple((tp, tp.__sizeof__) for tp in
                     (str, bytes, bytearray, int, float))


def _payload_of(items):
    tps = list(map(type, items))
    present = set(tps)
    total = 0
    for tp, sizeof in _ATOM_SIZEOF:
        if tp in present:
            total += sum(map(sizeof, compress(items, map(is_, tps,
                                                          repeat(tp)))))
    if tuple in present:
        tuples = list(filterfalse(_is_tracked, compress(
            items, map(is_, tps, repeat(tuple)))))
        total += sum(map(tuple.__sizeof__, tuples)) + \
            _TUPLE_HEADER * len(tuples)
    return total


def _payload(obj, row, budget):
    """Summed sys.getsizeof of the payload items (exact str, bytes,
    bytearray, int, float, untracked tuple); dict keys and values both."""
    n = row["items"]
    left = budget[0]
    if left <= 0:
        return
    if _census.native_available():
        # The same sums in C, on the container's own storage.
        try:
            measured = _census._native.payload(
                obj, row["base"] is dict, n, left, SAMPLE_ABOVE,
                SAMPLE_ITEMS)
        except Exception:
            measured = None
        if measured is None:
            return
        total, sampled, read = measured
        budget[0] = left - read
        row["payload"] = total
        row["estimated"] = sampled
        return
    try:
        if row["base"] is dict:
            sampled = n > SAMPLE_ABOVE or 2 * n > left
            if sampled:
                step = max(n // max(min(SAMPLE_ITEMS, left // 2), 1), 1)
                keys = list(islice(dict.keys(obj), 0, None, step))
                values = list(islice(dict.values(obj), 0, None, step))
                read = len(keys) + len(values)
                total = _payload_of(keys) + _payload_of(values)
                scale = float(n) / max(len(keys), 1)
            else:
                keys = list(dict.keys(obj))
                values = list(dict.values(obj))
                read = len(keys) + len(values)
                total = _payload_of(keys) + _payload_of(values)
                scale = 1.0
            del keys, values
        else:
            refs = _get_referents(obj)
            m = len(refs)
            sampled = m > SAMPLE_ABOVE or m > left
            if sampled:
                step = max(m // max(min(SAMPLE_ITEMS, left), 1), 1)
                sample = refs[::step]
                del refs
                read = len(sample)
                total = _payload_of(sample)
                scale = float(m) / max(read, 1)
                del sample
            else:
                read = m
                total = _payload_of(refs)
                scale = 1.0
                del refs
    except Exception:
        # Changed size during iteration, or anything else: unmeasured.
        return
    budget[0] = left - read
    row["payload"] = int(round(total * scale))
    row["estimated"] = bool(sampled)


class _Holders(object):
    """Names who holds each target container: the first named step of the
    chain to a root, searched backwards within a time budget."""

    def __init__(self, n_objects, pool, targets, ignore, excluded, young0,
                 meta, pass_ns=None):
        self.pass_ns = pass_ns
        self.pool = pool
        self.n_objects = n_objects
        self.targets = targets
        self.ignore = ignore
        self.excluded = excluded
        self.young0 = young0
        self.meta = meta
        self.frames = AgentFrames()
        self.namespaces = _module_namespaces()
        self.module_dicts = dict((id(d), name) for name, d in self.namespaces)
        self.labeler = Labeler(set(self.module_dicts))
        ignore.update((id(self.namespaces), id(self), id(self.__dict__)))

    def run(self, deadline):
        # state per target: [row, head object, suffix steps (text list)]
        pool = self.pool
        pending = [[row, pool[row["index"]], []] for row in self.targets
                   if row["index"] >= 0]
        self.ignore.add(id(pending))
        # Each state holds its head: never a step of a chain (a collection
        # may have moved them out of the young generation already).
        self.ignore.update(map(id, pending))
        pending = self._level0(pending)
        depth = 0
        while pending and depth < HOLDER_DEPTH:
            depth += 1
            predicted = self._predicted_scan()
            if time.perf_counter() + predicted > deadline:
                self.meta["exhausted"] = True
                if _state["scan_ns"] is not None:
                    # Not measured again while skipped: let the estimate
                    # fall so that a later snapshot tries once more.
                    _state["scan_ns"] *= 0.8
                break
            pending = self._level(pending)
        del pending

    def _predicted_scan(self):
        per = _state["scan_ns"]
        if per is None:
            per = max(self.pass_ns or 0.0, SCAN_NS_GUESS)
        # A margin for what the scan's variance and the work on its
        # result add: the budget is a limit, not a target.
        return SCAN_MARGIN * per * 1e-9 * self.n_objects

    def _name(self, state, text, kind, holder_type=None):
        row, _, suffix = state
        row["held_by"] = text + "".join(reversed(suffix))
        row["holder_kind"] = kind
        row["holder_type"] = holder_type

    def _level0(self, pending):
        """Module globals and running frames' locals, without a heap scan."""
        heads = dict((id(s[1]), s) for s in pending)
        if _census.native_available():
            # The same search in C: no int per global of every module.
            found = _census._native.globals_holding(
                [namespace for _, namespace in self.namespaces],
                [s[1] for s in pending])
            for index, key, k in found:
                state = heads.pop(id(pending[k][1]), None)
                if state is None:
                    continue  # held by an earlier global already
                modname = self.namespaces[index][0]
                if key == "__warningregistry__":
                    self._name(state, "warnings registry of module "
                               + modname, "warnings_registry")
                else:
                    self._name(state, modname + "." + key, "module_global")
            del found
            if heads:
                self._frame_locals(heads)
            return [s for s in pending if s[0]["held_by"] is None]
        for modname, namespace in self.namespaces:
            if not heads:
                break
            if set(heads).isdisjoint(map(id, dict.values(namespace))):
                continue
            for key, value in list(dict.items(namespace)):
                state = heads.get(id(value))
                if state is None or type(key) is not str:
                    continue
                if key == "__warningregistry__":
                    self._name(state, "warnings registry of module "
                               + modname, "warnings_registry")
                else:
                    self._name(state, modname + "." + key, "module_global")
                del heads[id(value)]
        if heads:
            self._frame_locals(heads)
        return [s for s in pending if s[0]["held_by"] is None]

    def _frame_locals(self, heads):
        try:
            frames = self.frames.thread_frames()
        except Exception:
            return
        self.ignore.add(id(frames))
        for frame in frames:
            if not heads:
                break
            try:
                code = frame.f_code
                if code.co_name == "<module>":
                    continue  # its locals are a module namespace
                local_items = list(frame.f_locals.items())
            except Exception:
                continue
            for name, value in local_items:
                state = heads.get(id(value))
                if state is not None and type(name) is str:
                    self._name(state, "local %s of %s" % (
                        name, _where(code, frame.f_lineno)), "local")
                    del heads[id(value)]
        del frames

    def _visible(self, r):
        key = id(r)
        if key in self.ignore or key in self.excluded or key in self.ours:
            return False
        if type(r) is FrameType and self.frames.is_agent_frame(r):
            return False
        return True

    def _level(self, pending):
        heads = tuple(s[1] for s in pending)
        young = gc.get_objects(0)
        self.ours = set(map(id, young)).difference(self.young0)
        del young
        started = time.perf_counter()
        found = _get_referrers(*heads)
        took = time.perf_counter() - started
        self.meta["scans"] += 1
        per = took * 1e9 / max(self.n_objects, 1)
        _state["scan_ns"] = per if _state["scan_ns"] is None else \
            max(per, 0.5 * (per + _state["scan_ns"]))
        self.ours.update((id(found), id(heads)))
        by_head = dict((id(s[1]), s) for s in pending)
        next_pending = []
        done = set()
        # Named steps first: an instance attribute or a class attribute
        # wins over an anonymous container holding the same object.
        choices = {}
        for r in found:
            if not self._visible(r):
                continue
            refs = _get_referents(r)
            if id(r) in self.module_dicts:
                hits = [h for h in refs if id(h) in by_head]
            else:
                hits = list(compress(refs, map(by_head.__contains__,
                                               map(id, refs))))
            for head in hits:
                state = by_head[id(head)]
                rank, step = self._step(r, refs, head, state)
                old = choices.get(id(head))
                if old is None or rank < old[0]:
                    choices[id(head)] = (rank, step, r)
            del refs, hits
        del found
        for key, state in by_head.items():
            choice = choices.get(key)
            if choice is None or key in done:
                continue
            rank, step, r = choice
            if rank == 0:
                self._name(state, step[0], step[1], step[2])
            else:
                state[1] = r
                state[2].append(step)
                next_pending.append(state)
        del choices, by_head
        return next_pending

    def _step(self, r, refs, head, state):
        """(0, (text, kind, holder type)) when r names head, else
        (1, suffix text) to continue from r."""
        tp = type(r)
        label = self.labeler.label_of(r, refs, head)
        suffix = state[2]
        if id(r) in self.module_dicts:
            modname = self.module_dicts[id(r)]
            if label == "__warningregistry__":
                return 0, ("warnings registry of module " + modname,
                           "warnings_registry", None)
            return 0, (modname + "." + (label or "?"), "module_global",
                       None)
        if issubclass(tp, type):
            if label == "__dict__" and suffix:
                _attr(suffix)
                return 0, (type_name(r), "class_attribute", None)
            return 0, (type_name(r) + " " + (label or "(referent)"),
                       "class", None)
        if tp is FrameType:
            return 0, ("local %s of %s" % (label or "?", _where(
                r.f_code, r.f_lineno)), "local", None)
        if tp is _CellType:
            return 1, ""
        if tp in (dict, list, tuple, set, frozenset, deque) or \
                base_of(tp) is not None:
            return 1, label or "[?]"
        if tp is FunctionType or tp is MethodType or tp is CodeType:
            return 0, ("%s of %s" % (label or "reference", _func_name(r)),
                       "function", None)
        # An instance: its attribute (inline values, slots) or its
        # __dict__ (then the step before is the attribute's key).
        holder = type_name(tp)
        qual = holder.rpartition(".")[2] if holder.startswith("__main__.") \
            else _qualname(tp)
        if label == "__dict__" and suffix:
            _attr(suffix)
            return 0, (qual, "instance_attribute", holder)
        if label and label.startswith("."):
            return 0, (qual + label, "instance_attribute", holder)
        return 0, ("%s%s" % (qual, label or " (referent)"),
                   "instance_attribute", holder)


_CellType = type((lambda x: (lambda: x))(0).__closure__[0])
_TYPE_QUALNAME = type.__dict__["__qualname__"]


def _qualname(tp):
    try:
        return _exact_str(_TYPE_QUALNAME.__get__(tp)) or type_name(tp)
    except Exception:
        return type_name(tp)


def _func_name(f):
    try:
        if type(f) is MethodType:
            f = f.__func__
        if type(f) is CodeType:
            return _exact_str(f.co_name) or "?"
        return _exact_str(FunctionType.__dict__["__qualname__"].__get__(f)) \
            or "?"
    except Exception:
        return "?"


def _attr(suffix):
    """The last step (the key of a namespace dict) as an attribute."""
    last = suffix[-1]
    if last.startswith("['") and last.endswith("']"):
        suffix[-1] = "." + last[2:-2]


def _where(code, lineno):
    import os
    try:
        name = _exact_str(getattr(code, "co_qualname", None)) or \
            _exact_str(code.co_name) or "?"
        filename = os.path.basename(_exact_str(code.co_filename) or "?")
    except Exception:
        return "?"
    return "%s (%s:%s)" % (name, filename, lineno)
