"""Safe labels for heap objects and for the references between them.

Shared by the heap-graph dump (_graph.py) and the live reference ops
(_refs.py). Nothing here calls a method the program could have overridden:
attributes are read through the C descriptors of the built-in types,
containers through the built-in types' own methods, and values are only
repr()'d when their exact type is a built-in atom. Unknown objects get no
label (readers show their type name).

Edge labels follow docs/file-format.md: `.attr`, `['key']`, `[3]`,
`key of ['k']`, `__self__`, `__func__`, `__dict__`, `f_locals`-style local
names, `tb_frame`, `tb_next`, `__class__`, ...
"""

import gc
import os
import sys
import types
from itertools import compress, count, repeat
from operator import is_
from types import (BuiltinFunctionType, CodeType, FrameType, FunctionType,
                   MethodType, ModuleType, TracebackType)

from ._census import _exact_str, agent_module_extras, type_name

__all__ = ["whole", "short_repr", "node_label", "Labeler", "AgentFrames",
           "MODULE_ROOT", "CLASS_ROOT", "THREAD_FRAME", "OTHER_ROOT",
           "key_label", "CellType"]

MODULE_ROOT, CLASS_ROOT, THREAD_FRAME, OTHER_ROOT = 1, 2, 4, 8
MAX_LABEL = 40

CellType = type((lambda x: (lambda: x))(0).__closure__[0])
_MISSING = object()
_get_referents = gc.get_referents

_FUNC_DESCRIPTORS = tuple(
    (name, FunctionType.__dict__[name]) for name in
    ("__code__", "__globals__", "__builtins__", "__closure__", "__defaults__",
     "__kwdefaults__", "__module__", "__doc__", "__name__", "__qualname__")
    if name in FunctionType.__dict__)
_FUNC_QUALNAME = FunctionType.__dict__["__qualname__"]
_BUILTIN_NAME = BuiltinFunctionType.__dict__["__name__"]
_BUILTIN_SELF = BuiltinFunctionType.__dict__["__self__"]
_METHOD_FUNC = MethodType.__dict__["__func__"]
_METHOD_SELF = MethodType.__dict__["__self__"]
_EXC_DESCRIPTORS = tuple(
    (name, BaseException.__dict__[name]) for name in
    ("__traceback__", "__context__", "__cause__", "args"))
_EXC_ARGS = BaseException.__dict__["args"]
_TYPE_DESCRIPTORS = tuple(
    (name, type.__dict__[name]) for name in ("__mro__", "__bases__",
                                            "__base__"))
_TYPE_DICT = type.__dict__["__dict__"]
_MODULE_DICT = ModuleType.__dict__["__dict__"]
_CELL_CONTENTS = CellType.__dict__["cell_contents"]
_OBJECT_GETATTRIBUTE = object.__getattribute__
_MEMBER_TYPES = (types.MemberDescriptorType,)
_ATOMS = (str, int, float, bool, bytes, complex, type(None))
_CONTAINERS = {dict: "dict", list: "list", tuple: "tuple", set: "set",
               frozenset: "frozenset"}
_CONTAINER_BASES = (dict, list, tuple, set, frozenset)
# Types whose referents this module labels itself; everything else is
# treated as a possible user instance.
_SPECIAL = frozenset((dict, list, tuple, set, frozenset, FunctionType,
                      MethodType, BuiltinFunctionType, FrameType,
                      TracebackType, ModuleType, CellType, CodeType))


def whole(seq, refs=None):
    """seq itself when it is an exact list or tuple whose every slot holds an
    object, else None. C code may keep lists and tuples with NULL slots (the
    C ElementTree TreeBuilder's element stack, a tuple being filled): gc
    skips them, but iterating, indexing, enumerate() or reversed() at Python
    level would dereference NULL and crash the program. A NULL slot is not a
    referent, so as many referents as items proves there is none (refs:
    gc.get_referents(seq) when the caller has it already)."""
    tp = type(seq)
    if tp is not list and tp is not tuple:
        return None
    if refs is None:
        refs = _get_referents(seq)
    return seq if len(refs) == len(seq) else None


def cut(text, limit=MAX_LABEL):
    if len(text) <= limit:
        return text
    return text[:limit - 3] + "..."


def short_repr(value):
    """repr of a built-in atom, cut to ~40 characters; None otherwise."""
    tp = type(value)
    if tp is str:
        return cut(repr(value[:MAX_LABEL + 2]) if len(value) > MAX_LABEL
                   else repr(value))
    if tp is bytes:
        return cut(repr(value[:MAX_LABEL + 2]))
    if tp in _ATOMS:
        return cut(repr(value))
    return None


def key_text(key):
    """A dict key as it appears inside [...] in labels."""
    text = short_repr(key)
    if text is not None:
        return text
    if type(key) is tuple and len(key) <= 4 and whole(key) is not None:
        parts = [short_repr(k) for k in key]
        if None not in parts:
            return cut("(" + ", ".join(parts) + ("," if len(parts) == 1
                                                  else "") + ")")
    return "<%s>" % type_name(type(key))


def key_label(key, kind=0):
    """Label of the edge dict -> value for `key`. kind 1: a module's
    namespace (bare global name), 2: an instance __dict__ (.attr)."""
    if type(key) is str:
        if kind == 1:
            return cut(key)
        if kind == 2:
            return cut("." + key)
    return "[" + key_text(key) + "]"


def _plural(n, what):
    return "%s (%d item%s)" % (what, n, "" if n == 1 else "s")


def _code_where(code, lineno):
    try:
        name = _exact_str(code.co_name) or "?"
        filename = _exact_str(code.co_filename) or "?"
    except Exception:
        return None
    base = os.path.basename(filename) or filename
    if lineno is None:
        return "%s at %s" % (name, base)
    return "%s at %s:%d" % (name, base, lineno)


def node_label(obj, module_names=None):
    """A short label for obj, or None when its type name says enough.
    module_names maps id(module) -> its sys.modules key."""
    tp = type(obj)
    try:
        if tp in _CONTAINERS:
            return _plural(len(obj), _CONTAINERS[tp])
        for base in _CONTAINER_BASES:
            if issubclass(tp, base):
                # The built-in base's own length: a subclass's __len__ is
                # never called.
                return _plural(base.__len__(obj), type_name(tp))
        if issubclass(tp, type):
            return "class " + type_name(obj)
        if tp is FunctionType:
            return _exact_str(_FUNC_QUALNAME.__get__(obj))
        if tp is MethodType:
            func = _METHOD_FUNC.__get__(obj)
            if type(func) is FunctionType:
                return "method " + (_exact_str(_FUNC_QUALNAME.__get__(func))
                                    or "?")
            return None
        if tp is BuiltinFunctionType:
            return _exact_str(_BUILTIN_NAME.__get__(obj))
        if tp is FrameType:
            return _code_where(obj.f_code, obj.f_lineno)
        if tp is CodeType:
            return "code " + (_exact_str(obj.co_name) or "?")
        if tp is TracebackType:
            return _code_where(obj.tb_frame.f_code, obj.tb_lineno)
        if issubclass(tp, ModuleType):
            name = module_names.get(id(obj)) if module_names else None
            if name is None:
                name = _exact_str(_MODULE_DICT.__get__(obj).get("__name__"))
            return "module " + (name or "?")
        if issubclass(tp, BaseException):
            args = whole(_EXC_ARGS.__get__(obj))
            if args and short_repr(args[0]):
                return cut("%s(%s)" % (type_name(tp), short_repr(args[0])))
            return None
        return short_repr(obj)
    except Exception:
        return None


def _by_identity(refs, pairs):
    names = {}
    for value, label in pairs:
        if value is not _MISSING and value is not None:
            names.setdefault(id(value), label)
    return [names.get(id(r)) for r in refs]


def _descriptor_pairs(obj, descriptors, prefix=""):
    for name, desc in descriptors:
        try:
            yield desc.__get__(obj), prefix + name
        except Exception:
            pass


class TypeInfo(object):
    """What is known about one class, computed once per dump: whether
    attributes can be read without running its code, candidate attribute
    names (for Python 3.11+ inline values) and slot descriptors."""

    __slots__ = ("plain", "names", "slots")

    def __init__(self, tp):
        self.plain = False
        self.names = ()
        self.slots = ()
        try:
            mro = whole(_TYPE_DESCRIPTORS[0][1].__get__(tp))
        except Exception:
            return
        if mro is None:
            return
        class_attrs = set()
        names = []
        slots = []
        plain = True
        for klass in mro:
            try:
                namespace = _TYPE_DICT.__get__(klass)
            except Exception:
                plain = False
                continue
            for key, value in list(namespace.items()):
                if type(key) is not str:
                    continue
                class_attrs.add(key)
                if type(value) in _MEMBER_TYPES:
                    slots.append((key, value))
                elif type(value) is FunctionType:
                    try:
                        code = value.__code__
                        names.extend(n for n in code.co_names
                                     if type(n) is str)
                    except Exception:
                        pass
            if klass is not object and ("__getattribute__" in namespace or
                                        "__getattr__" in namespace):
                plain = False
        self.plain = plain
        # Names defined on the class are looked up there first (maybe as
        # properties, which would run user code): never read them.
        seen = set()
        self.names = tuple(n for n in names if n not in class_attrs
                           and not (n in seen or seen.add(n)))
        self.slots = tuple(slots)


class Labeler(object):
    """Edge labels for referents of single objects, with per-type caches.
    module_dicts / instance_dicts are sets of ids of namespaces whose
    string keys become bare global names / `.attr`."""

    def __init__(self, module_dicts=(), instance_dicts=None):
        self.module_dicts = module_dicts
        self.instance_dicts = instance_dicts if instance_dicts is not None \
            else set()
        self._types = {}
        self._frame_locals = sys.version_info >= (3, 13)

    def type_info(self, tp):
        info = self._types.get(tp)
        if info is None:
            info = self._types[tp] = TypeInfo(tp)
        return info

    def dict_kind(self, d):
        key = id(d)
        if key in self.module_dicts:
            return 1
        if key in self.instance_dicts:
            return 2
        return 0

    def labels(self, obj, refs):
        """One label (str or None) per referent, aligned with refs."""
        tp = type(obj)
        try:
            if tp is dict or tp in _CONTAINERS or tp not in _SPECIAL:
                if tp is list or tp is tuple:
                    # gc visits list and tuple items last to first. With
                    # NULL slots (fewer referents than items) the positions
                    # cannot be read safely: no labels.
                    if whole(obj, refs) is None:
                        return [None] * len(refs)
                    n = len(obj)
                    if all(map(is_, refs, reversed(obj))):
                        return ["[%d]" % i for i in range(n - 1, -1, -1)]
                    return _by_identity(refs, (
                        (v, "[%d]" % i) for i, v in enumerate(obj)))
                if issubclass(tp, dict):
                    return self._dict_labels(obj, refs)
                if tp in _CONTAINERS:
                    return [None] * len(refs)
                return self._other_labels(obj, tp, refs)
            if tp is MethodType:
                return _by_identity(refs, _descriptor_pairs(obj, (
                    ("__func__", _METHOD_FUNC), ("__self__", _METHOD_SELF))))
            if tp is FunctionType:
                return _by_identity(refs, _descriptor_pairs(
                    obj, _FUNC_DESCRIPTORS))
            if tp is BuiltinFunctionType:
                return _by_identity(refs, _descriptor_pairs(
                    obj, (("__self__", _BUILTIN_SELF),)))
            if tp is CellType:
                return ["cell_contents"] * len(refs)
            if tp is TracebackType:
                return _by_identity(refs, ((obj.tb_frame, "tb_frame"),
                                           (obj.tb_next, "tb_next")))
            if tp is FrameType:
                return self._frame_labels(obj, refs)
            if tp is ModuleType:
                return _by_identity(refs, ((_MODULE_DICT.__get__(obj),
                                            "__dict__"),))
        except Exception:
            pass
        return [None] * len(refs)

    def label_of(self, obj, refs, target):
        """The label of the reference from obj to target (one of refs),
        without labelling every other referent of a big container."""
        tp = type(obj)
        try:
            if tp is list or tp is tuple:
                if whole(obj, refs) is None:
                    return None
                for i in compress(count(), map(is_, obj, repeat(target))):
                    return "[%d]" % i
                return None
            if tp is dict:
                kind = self.dict_kind(obj)
                for k in compress(dict.keys(obj), map(is_, dict.values(obj),
                                                      repeat(target))):
                    return key_label(k, kind)
                for k in compress(dict.keys(obj), map(is_, dict.keys(obj),
                                                      repeat(target))):
                    return "key of [" + key_text(k) + "]"
                return None
        except Exception:
            return None
        key = id(target)
        for r, label in zip(refs, self.labels(obj, refs)):
            if id(r) == key:
                return label
        return None

    def _dict_labels(self, d, refs):
        kind = self.dict_kind(d)
        items = list(dict.items(d))
        if len(refs) == len(items) and type(d) is dict:
            # Dicts with only str keys report their values, in order.
            if all(map(lambda r, kv: r is kv[1], refs, items)):
                return [key_label(k, kind) for k, _ in items]
        pairs = []
        for k, v in items:
            pairs.append((v, key_label(k, kind)))
        for k, v in items:
            pairs.append((k, "key of [" + key_text(k) + "]"))
        return _by_identity(refs, pairs)

    def _other_labels(self, obj, tp, refs):
        if issubclass(tp, BaseException):
            pairs = list(_descriptor_pairs(obj, _EXC_DESCRIPTORS))
        elif issubclass(tp, type):
            pairs = list(_descriptor_pairs(obj, _TYPE_DESCRIPTORS))
            labels = _by_identity(refs, pairs)
            for i, r in enumerate(refs):
                if labels[i] is None and type(r) is dict:
                    labels[i] = "__dict__"
                    break
            return labels
        else:
            pairs = []
        info = self.type_info(tp)
        for name, desc in info.slots:
            try:
                pairs.append((desc.__get__(obj, tp), cut("." + name)))
            except Exception:
                pass
        if info.plain and info.names:
            for name in info.names:
                try:
                    value = _OBJECT_GETATTRIBUTE(obj, name)
                except Exception:
                    continue
                pairs.append((value, cut("." + name)))
        pairs.append((tp, "__class__"))
        labels = _by_identity(refs, pairs)
        for i, r in enumerate(refs):
            if labels[i] is None and type(r) is dict:
                labels[i] = "__dict__"
                self.instance_dicts.add(id(r))
                break
        return labels

    def _frame_labels(self, frame, refs):
        pairs = [(frame.f_back, "f_back"), (frame.f_code, "f_code"),
                 (frame.f_globals, "f_globals"),
                 (frame.f_builtins, "f_builtins")]
        code = frame.f_code
        if self._frame_locals or not _is_module_code(code):
            # Reading f_locals before 3.13 copies the fast locals into the
            # frame's dict (what locals() does); it runs no user code.
            try:
                local_items = list(frame.f_locals.items())
            except Exception:
                local_items = []
            for name, value in local_items:
                if type(name) is str:
                    pairs.append((value, name))
        return _by_identity(refs, pairs)


def _is_module_code(code):
    try:
        return code.co_name == "<module>"
    except Exception:
        return True


class AgentFrames(object):
    """Tells the agent's own frames from the program's, by the file of
    their code (cached per code object)."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        self.prefixes = (here + os.sep,)
        try:
            real = os.path.realpath(here)
            if real != here:
                self.prefixes += (real + os.sep,)
        except Exception:
            pass
        self._codes = {}

    def is_agent_code(self, code):
        key = id(code)
        known = self._codes.get(key)
        if known is None:
            try:
                filename = _exact_str(code.co_filename) or ""
            except Exception:
                filename = ""
            if filename and not os.path.isabs(filename):
                filename = os.path.abspath(filename)
            known = filename.startswith(self.prefixes)
            # Only a bool: a cache holding the code would show up as one
            # of its referrers. Walks run with collection off and keep the
            # frames alive, so ids stay unique while the cache is used.
            self._codes[key] = known
        return known

    def is_agent_frame(self, frame):
        try:
            return self.is_agent_code(frame.f_code)
        except Exception:
            return False

    def thread_frames(self):
        """Frames on the stacks of all threads except the agent's own
        frames, innermost of each thread first; materialises them on
        Python 3.11+ so that they are gc-tracked objects."""
        result = []
        try:
            current = sys._current_frames()
        except Exception:
            return result
        self.agent_frame_ids = set()
        for frame in list(current.values()):
            while frame is not None:
                if not self.is_agent_frame(frame):
                    result.append(frame)
                else:
                    self.agent_frame_ids.add(id(frame))
                frame = frame.f_back
        del current
        return result
