"""A small leaky program that dumps its own heap graph as JSON on stdout.

Test fixture for the heap-graph model (tst_realheap): the real agent's graph
dump is built elsewhere; this walks gc.get_objects() with gc.get_referents()
the same way, so the C++ algorithms can be checked on a real Python heap.
The leaks are the three kinds users hunt: a module-level cache, listeners
kept alive as bound methods, and an exception kept with its traceback.
"""

import gc
import json
import sys


class Entry:
    __slots__ = ("key", "payload")

    def __init__(self, key):
        self.key = key
        self.payload = list(range(100))  # gc-tracked, only the entry holds it


class Listener:
    __slots__ = ("name", "__weakref__")

    def __init__(self, name):
        self.name = name

    def on_event(self, event):
        return event


class Worker:
    __slots__ = ("job",)

    def __init__(self):
        self.job = [0] * 10


_CACHE = {}
_listeners = []
_LAST_ERROR = None


def fill_cache(n):
    for i in range(n):
        _CACHE["k%d" % i] = Entry("k%d" % i)


def subscribe(n):
    for i in range(n):
        _listeners.append(Listener("l%d" % i).on_event)


def fail_with_worker():
    worker = Worker()  # a local of the failing frame
    raise ValueError("boom %d" % len(worker.job))


def remember_error():
    global _LAST_ERROR
    try:
        fail_with_worker()
    except ValueError as exc:
        _LAST_ERROR = exc


MODULE_ROOT, CLASS_ROOT, THREAD_FRAME_ROOT = 0x01, 0x02, 0x04


def type_name(t):
    module = getattr(t, "__module__", "builtins")
    return t.__qualname__ if module == "builtins" else module + "." + t.__qualname__


def dump():
    gc.collect()
    objs = gc.get_objects()
    me = sys._getframe()
    skip = {id(objs), id(me)}
    objs = [o for o in objs if id(o) not in skip]
    index = {id(o): i for i, o in enumerate(objs)}
    module_dicts = {id(m.__dict__) for m in list(sys.modules.values()) if hasattr(m, "__dict__")}
    modules = {id(m) for m in list(sys.modules.values())}
    frames = {id(f) for f in sys._current_frames().values()}

    types, type_ids, nodes, edges = [], {}, [], []
    for i, o in enumerate(objs):
        t = type(o)
        name = type_name(t)
        if name not in type_ids:
            type_ids[name] = len(types)
            types.append(name)
        flags = 0
        label = None
        if id(o) in modules:
            flags |= MODULE_ROOT
            label = o.__name__
        elif isinstance(o, type):
            flags |= CLASS_ROOT
            label = o.__qualname__
        elif callable(o) and hasattr(o, "__qualname__"):
            label = o.__qualname__
        if id(o) in frames:
            flags |= THREAD_FRAME_ROOT
        try:
            size = sys.getsizeof(o)
        except Exception:
            size = 0
        nodes.append([id(o), type_ids[name], size, flags, label])

        names = {}
        if isinstance(o, dict):
            module_dict = id(o) in module_dicts
            for k, v in o.items():
                names.setdefault(id(v), k if module_dict and isinstance(k, str) else "[%r]" % (k,))
                names.setdefault(id(k), "key %r" % (k,))
        elif isinstance(o, (list, tuple)):
            for n, v in enumerate(o):
                names.setdefault(id(v), "[%d]" % n)
        elif id(o) in modules:
            names[id(o.__dict__)] = "__dict__"
        elif type(o).__name__ == "method":
            names[id(o.__self__)] = "__self__"
            names[id(o.__func__)] = "__func__"
        elif type(o).__name__ == "traceback":
            names[id(o.tb_frame)] = "tb_frame"
            if o.tb_next is not None:
                names[id(o.tb_next)] = "tb_next"
        elif type(o).__name__ == "frame":
            for k, v in o.f_locals.items():
                names.setdefault(id(v), k)
            if o.f_back is not None:
                names[id(o.f_back)] = "f_back"
        elif isinstance(o, BaseException):
            if o.__traceback__ is not None:
                names[id(o.__traceback__)] = "__traceback__"
            names.setdefault(id(o.args), "args")
        else:
            for slot in getattr(type(o), "__slots__", ()):
                try:
                    names.setdefault(id(getattr(o, slot)), slot)
                except AttributeError:
                    pass
        for r in gc.get_referents(o):
            j = index.get(id(r))
            if j is not None:
                edges.append([i, j, names.get(id(r))])

    entries = [v for v in _CACHE.values()]
    expected = {
        "cache_dict": id(_CACHE),
        "cache_retained": sys.getsizeof(_CACHE)
        + sum(sys.getsizeof(e) + sys.getsizeof(e.payload) for e in entries),
        "entry_retained": sum(sys.getsizeof(e) + sys.getsizeof(e.payload) for e in entries),
        "entries": len(entries),
        "listeners": len(_listeners),
    }
    json.dump({"types": types, "nodes": nodes, "edges": edges, "expected": expected}, sys.stdout)


if __name__ == "__main__":
    fill_cache(50)
    subscribe(5)
    remember_error()
    dump()
