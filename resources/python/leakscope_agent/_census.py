"""Per-type census of the objects tracked by the cyclic garbage collector.

The census is what objgraph.typestats() computes, plus shallow sizes, done
with C-speed passes (map/Counter/zip) over gc.get_objects() so that a heap of
a million objects is counted in a fraction of a second.

The agent's own objects (its modules, functions, classes, threads, server and
connection objects, and the census' own temporaries) are left out, so that two
censuses in a row in an idle process show zero growth.
"""

import gc
import os
import sys
import threading
import time
from collections import deque
from functools import partial
from itertools import compress
from types import BuiltinFunctionType, FunctionType, ModuleType

__all__ = ["census", "type_name", "process_meta", "AGENT_VERSION"]

AGENT_VERSION = "0.1.0"
_PKG = __name__.rpartition(".")[0] or "leakscope_agent"
_PKG_PREFIX = _PKG + "."

# Read type attributes through type's own descriptors: a metaclass may
# override __getattribute__ or __module__, and the census must never run user
# code just to name a type.
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_NAME = type.__dict__["__name__"]

# Upper bound of the ownership walk; the agent owns a few thousand objects, so
# hitting this means the walk escaped into user data and must stop.
_WALK_LIMIT = 200000

# Containers the agent keeps at module level or in its own instances; anything
# else hanging off a module dict was imported from elsewhere and is not ours.
_PLAIN_CONTAINERS = (dict, list, tuple, set, frozenset, deque, partial)

try:
    # Counter's C helper: Counter(iterable) would first ask whether the
    # iterable is a Mapping, which fills ABC caches on first use and shows
    # up as growth between the first two censuses.
    from collections import _count_elements
except ImportError:  # pragma: no cover - other implementations
    def _count_elements(mapping, iterable):
        get = mapping.get
        for elem in iterable:
            mapping[elem] = get(elem, 0) + 1

# Serialises censuses (and, through snapshot(), census plus file write) across
# threads: the periodic recorder, the live server and the program itself may
# all ask at once.
LOCK = threading.RLock()

# How long a fork in another thread waits for a snapshot in progress to end.
FORK_WAIT_SECONDS = 30.0

_fork_held = [False]

# The agent never turns automatic collection off nor changes the switch
# interval: both are process-wide, and a thread of the program can run at any
# bytecode boundary of a census and see them. Instead a census notices when a
# collection ran at the wrong moment (collections_done() changed) and takes
# its few cheap steps again, and the dump and the live walks hold strong
# references to every object they list (no id is reused while they run).
RETRIES = 3


def collections_done(first=0):
    """How many collections of generation first or older have run so far
    (any thread, automatic or gc.collect()): an int, which the collector
    does not track, so reading it adds nothing to a census."""
    try:
        return sum([s.get("collections", 0) for s in gc.get_stats()[first:]])
    except Exception:
        return None


def _before_fork():
    # No fork in the middle of a census, dump or SQLite write: the child
    # would inherit a held lock, or SQLite's global mutex
    # held by a thread it does not have. Bounded: a finaliser that the
    # census' gc.collect() runs may wait for the forking thread.
    try:
        _fork_held[0] = LOCK.acquire(timeout=FORK_WAIT_SECONDS)
    except Exception:
        _fork_held[0] = False


def _after_fork_in_parent():
    if _fork_held[0]:
        _fork_held[0] = False
        LOCK.release()


def _after_fork_in_child():
    """Leave the child a census lock no vanished thread holds (the agent
    never changes the gc settings, so there are none to restore)."""
    global LOCK
    if _fork_held[0]:
        _fork_held[0] = False
        LOCK.release()
    else:
        LOCK = threading.RLock()
        for name, module in list(sys.modules.items()):
            if _is_ours_name(name) and "LOCK" in getattr(module, "__dict__",
                                                         {}):
                module.LOCK = LOCK


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork,
                        after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)

# The compiled passes (resources/python/native/_native.c), when a build for
# this interpreter is installed next to these files; NATIVE[0] = False (or
# LEAKSCOPE_NATIVE=0 in the environment) keeps the pure-Python ones.
NATIVE_VERSION = 7   # the _native.VERSION these files are written for
try:
    from . import _native
    if getattr(_native, "VERSION", None) != NATIVE_VERSION:
        _native = None   # a stale build next to newer files
except Exception:
    _native = None
NATIVE = [os.environ.get("LEAKSCOPE_NATIVE", "1") != "0"]


def native_available():
    return _native is not None and NATIVE[0]


_getsizeof = sys.getsizeof
_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_C_METHODS = (type(object.__sizeof__), type(object.__init__),
              type(len))
_OBJECT_SIZEOF = object.__sizeof__


class _Probe(object):
    pass


# What sys.getsizeof adds to __sizeof__ for an instance of a plain class
# (the collector's header, and on 3.12+ the pre-header).
_HEADER = _getsizeof(_Probe()) - _Probe().__sizeof__()
if _native is not None:
    _native.set_safe_header(_HEADER)
_sizeof_in_c = {}


def find_sizeof(tp):
    """The __sizeof__ that sys.getsizeof would call for instances of tp,
    found through type's own descriptors (no metaclass hook runs)."""
    mro = _TYPE_MRO.__get__(tp)
    if type(mro) is not tuple or len(_get_referents(mro)) != len(mro):
        return None
    for klass in mro:
        found = _TYPE_DICT.__get__(klass).get("__sizeof__")
        if found is not None:
            return found
    return None


def sizeof_in_c(tp):
    """True when sys.getsizeof on an instance of tp runs no Python code."""
    known = _sizeof_in_c.get(tp)
    if known is None:
        try:
            known = type(find_sizeof(tp)) in _C_METHODS
        except Exception:
            known = False
        _sizeof_in_c[tp] = known
    return known


def safe_getsizeof(obj):
    """sys.getsizeof(obj) without calling a __sizeof__ the program wrote:
    for such classes object.__sizeof__ plus the header."""
    if sizeof_in_c(type(obj)):
        try:
            return _getsizeof(obj, 0)
        except Exception:
            return 0
    try:
        return _OBJECT_SIZEOF(obj) + _HEADER
    except Exception:
        return 0
_is_tracked = gc.is_tracked
_get_referents = gc.get_referents


def _exact_str(value):
    """value as a plain str, or None. A str subclass is copied by str.join,
    which reads its characters without calling any of its methods."""
    if not issubclass(type(value), str):
        return None
    return "".join((value,))


def type_name(tp):
    """Name a type as objgraph and Leakscope print it: builtins bare, others
    'module.qualname'."""
    try:
        qual = _exact_str(_TYPE_QUALNAME.__get__(tp, type))
    except Exception:
        qual = None
    if not qual:
        try:
            qual = _exact_str(_TYPE_NAME.__get__(tp, type))
        except Exception:
            qual = None
        if not qual:
            qual = "<unnamed type>"
    try:
        module = _exact_str(_TYPE_MODULE.__get__(tp, type))
    except Exception:
        module = None
    if not module or module == "builtins":
        return qual
    return module + "." + qual


def _module_name_of(obj):
    try:
        name = obj.__module__
    except Exception:
        return None
    return _exact_str(name)


def _is_ours_name(name):
    return name is not None and (name == _PKG or name.startswith(_PKG_PREFIX))


def _is_ours_type(tp):
    try:
        return _is_ours_name(_exact_str(_TYPE_MODULE.__get__(tp, type)))
    except Exception:
        return False


def _agent_objects():
    """Collect the objects the agent owns: a walk from its modules that
    follows only into the agent's functions, classes and instances and into
    containers and helper objects (threads, events, sockets) reached from
    those. It stops at foreign modules, classes and functions, so it never
    wanders into the user's heap. The returned list contains itself."""
    modules = [m for name, m in list(sys.modules.items())
               if issubclass(type(m), ModuleType) and _is_ours_name(name)]
    module_dicts = {id(m.__dict__) for m in modules}
    # Other modules' namespaces (e.g. __builtins__ in every module dict) are
    # shared, never ours.
    foreign_dicts = {id(getattr(m, "__dict__", None))
                     for m in list(sys.modules.values())}
    foreign_dicts.difference_update(module_dicts)
    seen = {}
    stack = list(modules)
    while stack and len(seen) < _WALK_LIMIT:
        obj = stack.pop()
        key = id(obj)
        if key in seen:
            continue
        seen[key] = obj
        from_module_dict = key in module_dicts
        for ref in _get_referents(obj):
            if id(ref) in seen or not _is_tracked(ref):
                # An untracked object (str, int, a tuple or dict of such)
                # is never counted, nor is anything it holds: the agent's
                # caches of names and frames cost no walk.
                continue
            tp = type(ref)
            if id(ref) in foreign_dicts:
                continue
            # issubclass on the real type: isinstance would consult a
            # proxy's __class__, which is user code.
            if issubclass(tp, ModuleType):
                try:
                    name = ref.__name__
                except Exception:
                    name = None
                if not _is_ours_name(_exact_str(name)):
                    continue
            elif issubclass(tp, type):
                if not _is_ours_type(ref):
                    continue
            elif tp is FunctionType:
                if not _is_ours_name(_module_name_of(ref)):
                    continue
            elif from_module_dict:
                # A module-level name: ours only if it is one of our
                # instances or a plain container we built; imported
                # objects (os.path.join, sys.getsizeof, ...) are shared.
                if not (_is_ours_type(tp) or tp in _PLAIN_CONTAINERS):
                    continue
            elif tp is BuiltinFunctionType:
                if issubclass(type(ref.__self__), ModuleType):
                    continue
            elif ref is sys.stdout or ref is sys.stderr or ref is sys.stdin \
                    or ref is sys.__stdout__ or ref is sys.__stderr__ \
                    or ref is sys.__stdin__:
                continue
            stack.append(ref)
    result = [obj for obj in seen.values() if _is_tracked(obj)]
    del seen, stack, modules, module_dicts, foreign_dicts
    result.append(result)
    return result


def _counts_and_sizes(objs, keep=None):
    """Count objects and sum sys.getsizeof per type in one C-speed pass:
    counting (type, size) pairs keeps the per-object work inside
    Counter's C helper; the distinct pairs are few (sizes repeat), so the
    Python loop that folds them per type is short. With keep (a dict),
    the per-object types and sizes stay there as lists aligned with objs
    ("types", "sizes"), and the (type, size) -> count pairs ("pairs"), for
    the container pass."""
    counts = {}
    sizes = {}
    try:
        tps = list(map(type, objs))
        slow = set(tp for tp in set(tps) if not sizeof_in_c(tp))
        if slow:
            # Classes with their own __sizeof__: never call it.
            raise TypeError("sizes by hand")
        pairs = {}
        if keep is not None:
            each = list(map(_getsizeof, objs))
            _count_elements(pairs, zip(tps, each))
            keep["types"], keep["sizes"] = tps, each
            keep["pairs"] = pairs
        else:
            del tps
            _count_elements(pairs, zip(map(type, objs),
                                       map(_getsizeof, objs)))
    except Exception:
        # A user __sizeof__ raised: fall back to a guarded per-object loop.
        each = [] if keep is not None else None
        for obj in objs:
            tp = type(obj)
            size = safe_getsizeof(obj)
            counts[tp] = counts.get(tp, 0) + 1
            sizes[tp] = sizes.get(tp, 0) + size
            if each is not None:
                each.append(size)
        if keep is not None:
            keep["types"], keep["sizes"] = list(map(type, objs)), each
        return counts, sizes
    for (tp, size), n in pairs.items():
        counts[tp] = counts.get(tp, 0) + n
        sizes[tp] = sizes.get(tp, 0) + size * n
    return counts, sizes


def _native_walk(native_scan=None):
    """(counts, sizes, objects, containers) from the C pass of
    leakscope_agent._native over the collector's lists in place, when a
    build for this interpreter is there (and NATIVE[0] is true) and it can
    check their layout; else None. With native_scan (the container pass'
    arguments, see _containers.native_args) containers is what the C
    container pass kept, else None."""
    if _native is not None and NATIVE[0]:
        try:
            return _native.census_walk(native_scan)
        except MemoryError:
            pass
    return None


def _count(objs):
    """(counts, sizes, impl) of the listed objects: the C pass when there
    is one, else the pure-Python passes. Both size as safe_getsizeof does."""
    if _native is not None and NATIVE[0]:
        try:
            counts, sizes, _, _ = _native.census_pass(objs)
            return counts, sizes, "native"
        except MemoryError:
            pass
    counts, sizes = _counts_and_sizes(objs)
    return counts, sizes, "python"


def _rss():
    try:
        with open("/proc/self/statm", "rb") as f:
            fields = f.read().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE"), "current"
    except Exception:
        pass
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # ru_maxrss is in kilobytes on Linux and the BSDs, bytes on macOS.
        return (peak if sys.platform == "darwin" else peak * 1024), "peak"
    except Exception:
        return None, "unknown"


def _argv():
    try:
        return tuple(str(a) for a in sys.argv)
    except Exception:
        return ()


def process_meta():
    """Process metadata that does not depend on the census itself."""
    rss, rss_kind = _rss()
    return {
        "pid": os.getpid(),
        "argv": _argv(),
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "executable": sys.executable or "",
        "platform": sys.platform,
        "rss": rss,
        "rss_kind": rss_kind,
        "gc_counts": tuple(gc.get_count()),
        "gc_garbage": len(gc.garbage),
        "agent": AGENT_VERSION,
    }


_MODULE_DICT = ModuleType.__dict__["__dict__"]
_INNER_TYPES = (dict, list, set)


def agent_module_extras():
    """What the import system keeps for the agent's modules (their specs,
    loaders, __path__ lists, the path finder of the agent's directory in
    sys.path_importer_cache, and those objects' dicts, lists and sets): the
    agent's too, though the ownership walk stops at such foreign classes."""
    result = []
    dirs = []
    for name, module in list(sys.modules.items()):
        if type(name) is not str or not _is_ours_name(name) or \
                not issubclass(type(module), ModuleType):
            continue
        try:
            namespace = _MODULE_DICT.__get__(module)
        except Exception:
            continue
        for key in ("__spec__", "__loader__", "__path__"):
            value = namespace.get(key)
            if value is None or issubclass(type(value), ModuleType):
                continue
            result.append(value)
            if key == "__path__" and type(value) is list and \
                    len(_get_referents(value)) == len(value):
                dirs.extend(d for d in value if type(d) is str)
    cache = getattr(sys, "path_importer_cache", None)
    if type(cache) is dict:
        for d in dirs:
            finder = cache.get(d)
            if finder is not None and gc.is_tracked(finder):
                result.append(finder)
    for value in list(result):
        for inner in _get_referents(value):
            if type(inner) in _INNER_TYPES:
                result.append(inner)
                result.extend(r for r in _get_referents(inner)
                              if type(r) in _INNER_TYPES)
    return result


def census(collect=True, scan=None):
    """Count live gc-tracked objects per type: (types, meta), see below.
    scan: an extra pass over the same objects (the snapshot's container
    pass, _containers.scan), called while collection is still off."""
    with LOCK:
        return _census_locked(collect, scan)


def _census_locked(collect, scan=None):
    """Count live gc-tracked objects per type (callers hold LOCK).

    Returns (types, meta): types maps a type name to (count, shallow size in
    bytes); meta is the process metadata stored as the snapshot's meta_json.
    All containers in the result are tuples, dicts and strings, which the
    collector untracks, so a kept result does not show up in the next census.
    """
    freed = None
    if collect:
        freed = gc.collect()
    started = time.perf_counter()
    taken_at = time.time()
    excluded = _agent_objects()
    excluded.extend(agent_module_extras())
    # Each object once: the two lists may share some.
    # (it holds itself, and stays in the result once).
    excluded[:] = list(dict(zip(map(id, excluded), excluded)).values())
    # The agent's objects that gc.get_objects() lists are those tracked at
    # that moment. A collection may untrack some (tuples, dicts) at any
    # allocation, in any thread: when one ran between reading their state
    # and listing, read and list again. Both lists hold strong references,
    # so nothing counted is freed (nor its id reused) meanwhile. (bytes:
    # untracked, so the flags are not counted themselves.)
    # The native walk (when there is one) counts the collector's lists in
    # place, holding the GIL and running no Python code, so it is one
    # moment too; the same retry covers it.
    # The container pass runs inside the C census when there is one
    # (scan.native_args gives its arguments), else on the per-object
    # types and sizes of the pure-Python passes.
    native_scan = None
    if scan is not None and native_available():
        native_args = getattr(scan, "native_args", None)
        if native_args is not None:
            native_scan = native_args(excluded)
    objs = tracked = walked = None
    for _ in range(RETRIES):
        before = collections_done()
        tracked = bytes(map(_is_tracked, excluded))
        walked = _native_walk(native_scan) \
            if scan is None or native_scan is not None else None
        objs = gc.get_objects() if walked is None else None
        if before is not None and collections_done() == before:
            break
        objs = tracked = walked = None
    if (objs is None and walked is None) or gc.get_freeze_count():
        # Collections kept running (or gc.freeze() hid some objects from
        # the listing): find the agent's objects in the listing itself.
        objs = gc.get_objects()
        ours = set(map(id, excluded))
        tracked = walked = None
    if walked is None and native_scan is not None:
        try:
            walked = _native.census_pass(objs, native_scan)
        except MemoryError:
            walked = None
    if walked is not None:
        counts, sizes, n_objects, found = walked
        impl = "native"
        if scan is not None:
            keep = {"native": found, "counts": counts, "excluded": excluded,
                    "n_objects": n_objects}
            del found, walked
            scan(keep)
            keep.clear()
            del keep
    elif scan is not None:
        # The container pass needs each object's type and size, which
        # only the pure-Python passes keep (the C pass returns totals).
        keep = {}
        counts, sizes = _counts_and_sizes(objs, keep)
        impl = "python"
        n_objects = len(objs)
        keep.update(objects=objs, counts=counts, excluded=excluded)
        scan(keep)
        keep.clear()
        del keep
    else:
        counts, sizes, impl = _count(objs)
        n_objects = len(objs)
    if tracked is None:
        removed = list(compress(objs, map(ours.__contains__, map(id, objs))))
        del ours
    else:
        removed = list(compress(excluded, tracked))
    del objs, tracked
    for obj in removed:
        tp = type(obj)
        counts[tp] = counts.get(tp, 0) - 1
        sizes[tp] = sizes.get(tp, 0) - safe_getsizeof(obj)
        n_objects -= 1
    # The list no longer needs itself; breaking the cycle lets it be
    # freed by reference counting instead of waiting for the collector.
    del removed
    excluded.clear()
    del excluded
    by_name = {}
    for tp, count in counts.items():
        # Instances of the agent's classes are the agent's wherever they
        # are held (a Recorder in a frame, an _Options in a local).
        if count <= 0 or _is_ours_type(tp):
            continue
        name = type_name(tp)
        size = max(sizes.get(tp, 0), 0)
        previous = by_name.get(name)
        if previous is not None:
            # Distinct classes with one name (a class statement run in a
            # loop) are one row, as objgraph prints them.
            count += previous[0]
            size += previous[1]
        by_name[name] = (count, size)
    del counts, sizes
    meta = process_meta()
    meta.update({
        "taken_at": taken_at,
        "gc_objects": n_objects,
        "collected": bool(collect),
        "origin": "agent",
        "has_sizes": True,
        "census_impl": impl,
    })
    if collect:
        meta["collect_freed"] = freed
    meta["census_seconds"] = time.perf_counter() - started
    return by_name, meta
