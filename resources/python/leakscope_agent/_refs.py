"""Live reference ops of the server: backrefs, chain, instances, object.

They walk the program's heap while it runs (its threads keep running and
automatic collection stays as the program has it) and never show the
agent's own objects, frames or the lists these walks build: a walk lists
the heap once when it starts, holds that list, and shows only objects in
it.

- backrefs: breadth-first over referrers (gc.get_referrers in batches),
  with caps on depth, nodes and fan-in per node; roots (modules in
  sys.modules, classes, frames on a thread's stack) are not expanded.
- chain: the shortest chain from a root down to an object. It starts like
  objgraph.find_backref_chain, backwards with gc.get_referrers, which is
  fast when the chain is short; past a budget of heap scans it searches
  forwards from all roots instead, one C-level pass per level, so a chain
  hundreds of hops long costs about one walk of the heap rather than one
  heap scan per hop.
"""

import gc
import sys
from itertools import chain, compress, islice, repeat
from operator import and_, indexOf, is_, not_
from types import FrameType, FunctionType, MethodType, ModuleType

from ._census import _agent_objects, safe_getsizeof, type_name
from ._labels import (AgentFrames, Labeler, agent_module_extras,
                      key_label, key_text, node_label, whole)

__all__ = ["LiveError", "backrefs", "chain_to_root", "instances",
           "object_info", "remember_ids"]

_get_referents = gc.get_referents
_get_referrers = gc.get_referrers
_is_tracked = gc.is_tracked
_OBJECT_GETATTRIBUTE = object.__getattribute__
BATCH = 32             # objects per gc.get_referrers call
SCAN_BUDGET = 8        # backward heap scans before the chain goes forwards


class LiveError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


class _Locked(object):
    """The census lock, held for the duration of one walk (read at each
    use: a forked child gets a new one), and the walk's context, whose
    listing of the heap is let go at the end (it refers to every object,
    the context among them)."""

    def __enter__(self):
        from . import _census
        self.lock = _census.LOCK
        self.lock.acquire()
        self.ctx = None
        return self

    def context(self):
        self.ctx = _Context()
        return self.ctx

    def __exit__(self, *exc):
        try:
            if self.ctx is not None:
                self.ctx.close()
                self.ctx = None
        finally:
            self.lock.release()
        return False


class _Context(object):
    """What one walk needs to tell roots, agent objects and names apart."""

    def __init__(self):
        self.frames = AgentFrames()
        thread_frames = self.frames.thread_frames()
        self.thread_frame_ids = set(map(id, thread_frames))
        self.module_names = {}
        module_dicts = set()
        for name, module in list(sys.modules.items()):
            if type(name) is str and issubclass(type(module), ModuleType):
                self.module_names.setdefault(id(module), name)
                try:
                    module_dicts.add(id(ModuleType.__dict__["__dict__"]
                                        .__get__(module)))
                except Exception:
                    pass
        self.labeler = Labeler(module_dicts)
        self.module_dicts = module_dicts
        excluded = _agent_objects()
        excluded.extend(agent_module_extras())
        self.ignore = set(map(id, excluded))
        excluded.clear()
        self.ignore.update((id(excluded), id(thread_frames), id(self),
                            id(self.__dict__), id(self.ignore)))
        self.ignore.update(self.frames.agent_frame_ids)
        self.thread_frames = thread_frames
        # Whatever this walk creates (lists, dicts, tuples, frames) is
        # ours: the walk shows only objects listed now. The list holds
        # them, so none is freed and no later object (of the walk, or of a
        # program thread) can take one of their ids until the walk ends.
        self.listed = gc.get_objects()
        self.start = set(map(id, self.listed))
        self.ignore.update((id(self.listed), id(self.start)))

    def close(self):
        self.listed.clear()
        self.start = frozenset()

    def own(self, *containers):
        for c in containers:
            self.ignore.add(id(c))

    def visible(self, obj):
        if id(obj) in self.ignore or id(obj) not in self.start:
            return False
        if type(obj) is FrameType and self.frames.is_agent_frame(obj):
            self.ignore.add(id(obj))
            return False
        return True

    def kind(self, obj):
        tp = type(obj)
        if issubclass(tp, ModuleType):
            return "module" if id(obj) in self.module_names else "object"
        if issubclass(tp, type):
            return "class"
        if tp is FunctionType or tp is MethodType:
            return "function"
        if tp is FrameType:
            return "frame"
        return "object"

    def is_root(self, obj):
        tp = type(obj)
        if issubclass(tp, ModuleType):
            return id(obj) in self.module_names
        if issubclass(tp, type):
            return True
        return tp is FrameType and id(obj) in self.thread_frame_ids

    def label(self, obj):
        # node_label runs none of the program's code (no __repr__).
        text = node_label(obj, self.module_names)
        return text if text is not None else type_name(type(obj))

    def referents(self, obj):
        refs = _get_referents(obj)
        if id(obj) in self.thread_frame_ids and sys.version_info >= (3, 11):
            # A running frame's locals are not its gc referents on 3.11+.
            try:
                present = set(map(id, refs))
                for value in list(obj.f_locals.values()):
                    if id(value) not in present:
                        present.add(id(value))
                        refs.append(value)
            except Exception:
                pass
        return refs

    def edge_label(self, source, target):
        return self.labeler.label_of(source, self.referents(source), target)

    def referrers(self, objs):
        """Visible referrers of objs: [(referrer, [targets it refers to])]
        in gc order, each referrer once."""
        result = {}
        wanted = set(map(id, objs))
        for start in range(0, len(objs), BATCH):
            batch = tuple(objs[start:start + BATCH])
            self.ignore.add(id(batch))
            found = _get_referrers(*batch)
            self.ignore.add(id(found))
            for r in found:
                if id(r) in result or not self.visible(r):
                    continue
                if type(r) is tuple and len(r) == len(batch) and \
                        whole(r) is not None and all(map(is_, r, batch)):
                    continue  # the argument tuple of the call itself
                refs = self.referents(r)
                hits = list(compress(refs, map(wanted.__contains__,
                                               map(id, refs))))
                del refs
                if hits:
                    result[id(r)] = (r, hits)
            del found, batch
        return list(result.values())


def _objects_of_type(name, ctx):
    objs = ctx.listed
    tps = list(map(type, objs))
    wanted = set(tp for tp in set(tps) if type_name(tp) == name)
    if not wanted:
        del objs, tps
        raise LiveError("unknown_type", "no live object of type %r"
                        % name[:200])
    found = list(compress(objs, map(wanted.__contains__, tps)))
    del objs, tps
    ctx.own(found)
    found = [o for o in found if ctx.visible(o)]
    ctx.own(found)
    return found


def _object_by_id(oid, ctx):
    objs = ctx.listed
    obj = None
    if oid in ctx.start:
        obj = objs[indexOf(map(id, objs), oid)]
    del objs
    if obj is None or not ctx.visible(obj):
        raise LiveError("unknown_object", "no live gc-tracked object with "
                        "id %d" % oid)
    return obj


_baseline = None


def remember_ids():
    """Remember the ids of all live objects (after a census) so that
    backrefs can prefer instances created since: objgraph's get_new_ids."""
    global _baseline
    with _Locked():
        objs = gc.get_objects()
        ids = frozenset(map(id, objs))
        del objs
    _baseline = ids
    return len(ids)


def _sample(found, k, baseline):
    if baseline:
        new = list(compress(found, map(not_, map(baseline.__contains__,
                                                 map(id, found)))))
        if len(new) < k:
            seen = set(map(id, new))
            new.extend(o for o in found if id(o) not in seen)
        return new[:k]
    # gc lists the youngest generation first: recent objects lead.
    return found[:k]


def _node(ctx, obj, kind, depth):
    return {"id": id(obj), "type": type_name(type(obj)),
            "label": ctx.label(obj), "kind": kind, "depth": depth}


def backrefs(type_name_=None, ids=None, k=3, depth=4, max_nodes=200,
             fan_in=10, baseline_ids=None, use_baseline=True,
             skip_cycles=False, offset=0):
    with _Locked() as locked:
        ctx = locked.context()
        if ids is not None:
            targets = [_object_by_id(i, ctx) for i in ids]
        else:
            found = _objects_of_type(type_name_, ctx)
            baseline = None
            if baseline_ids is not None:
                baseline = set(baseline_ids)
            elif use_baseline:
                baseline = _baseline
            targets = _sample(found, k, baseline)
            del found
        ctx.own(targets)
        nodes = {}
        edges = []
        ctx.own(nodes, edges)
        for t in targets:
            if id(t) not in nodes:
                nodes[id(t)] = _node(ctx, t, "target", 0)
        truncated = False
        frontier = [t for t in targets if not ctx.is_root(t)]
        ctx.own(frontier)
        level = 0
        collapsed = 0
        skipped = 0
        while frontier and level < depth and not truncated:
            level += 1
            found = ctx.referrers(frontier)
            ctx.own(found)
            per_target = {}
            for r, hits in found:
                for x in hits:
                    per_target.setdefault(id(x), []).append(r)
            next_frontier = []
            ctx.own(next_frontier)
            for x in frontier:
                refs = per_target.get(id(x), [])
                if skip_cycles and id(x) in ctx.module_dicts:
                    # A module's namespace: its functions point back at it
                    # through __globals__ (running frames through
                    # f_globals), but the module is what holds it.
                    modules = [r for r in refs if ctx.kind(r) == "module"]
                    if modules and len(modules) < len(refs):
                        nodes[id(x)]["skipped"] = len(refs) - len(modules)
                        skipped += len(refs) - len(modules)
                        refs = modules
                # Paging through a "+N more" node: the targets' referrers
                # from `offset` on (the order is gc's; objects created
                # since the last page are not shown).
                start = offset if level == 1 else 0
                refs = refs[start:]
                shown = refs[:fan_in]
                for r in shown:
                    if id(r) not in nodes:
                        if len(nodes) >= max_nodes:
                            truncated = True
                            break
                        kind = ctx.kind(r)
                        nodes[id(r)] = _node(ctx, r, kind, level)
                        if not ctx.is_root(r):
                            next_frontier.append(r)
                    edges.append({"from": id(r), "to": id(x),
                                  "label": ctx.edge_label(r, x)})
                if len(refs) > fan_in:
                    collapsed += 1
                    more = len(refs) - fan_in
                    cid = -collapsed
                    nodes[cid] = {"id": cid, "type": "",
                                  "label": "+%d more" % more,
                                  "kind": "collapsed", "depth": level,
                                  "more": more, "offset": start + fan_in}
                    edges.append({"from": cid, "to": id(x), "label": None})
                if truncated:
                    break
            del found, per_target
            frontier = next_frontier
        if frontier and level >= depth:
            pass  # the depth cap is a normal end, not truncation
        result = {"nodes": list(nodes.values()), "edges": edges,
                  "truncated": truncated}
        if skip_cycles:
            result["skipped"] = skipped
        del nodes, frontier, targets
        return result


def _chain_backwards(ctx, target, budget):
    """objgraph's way: breadth-first over gc.get_referrers. Returns the
    path [root, ..., target], or (visited parents, frontier) when the
    budget of heap scans ran out."""
    parent = {id(target): None}
    objs = {id(target): target}
    order = [id(target)]
    referenced = set()
    ctx.own(parent, objs, order, referenced)
    frontier = [target]
    ctx.own(frontier)
    scans = 0
    while frontier:
        scans += (len(frontier) + BATCH - 1) // BATCH
        if scans > budget:
            return None, parent, objs
        found = ctx.referrers(frontier)
        next_frontier = []
        ctx.own(next_frontier)
        for r, hits in found:
            referenced.update(map(id, hits))
            if id(r) in parent:
                continue
            order.append(id(r))
            parent[id(r)] = id(hits[0])
            objs[id(r)] = r
            if ctx.is_root(r):
                path = [r]
                key = parent[id(r)]
                while key is not None:
                    path.append(objs[key])
                    key = parent[key]
                return path, None, None
            next_frontier.append(r)
        frontier = next_frontier
    # No root: start at the nearest object nothing visible refers to (held
    # by C code, or garbage the collector has not freed yet).
    tops = [key for key in order if key not in referenced] or order[-1:]
    path = []
    key = tops[0]
    while key is not None:
        path.append(objs[key])
        key = parent[key]
    ctx.unreferenced = True
    return path, None, None


def _chain_forwards(ctx, target, back_parent, back_objs):
    """Breadth-first from all roots along references, level by level in
    C-level passes, until it meets an object the backward search reached
    (or the target). Returns [root, ..., target] or []."""
    roots = [obj for obj in ctx.listed
             if ctx.is_root(obj) and ctx.visible(obj)]
    roots.extend(o for o in ctx.thread_frames if ctx.visible(o))
    ctx.own(roots)
    # parent: id -> id of the object one step closer to a root (None for
    # roots); the agent's objects count as seen so the walk never enters.
    parent = dict.fromkeys(ctx.ignore, 0)
    parent.update(dict.fromkeys(map(id, roots), None))
    objs = dict(zip(map(id, roots), roots))
    ctx.own(parent, objs)
    frames = ctx.thread_frame_ids
    frontier = roots
    meet = None
    while frontier and meet is None:
        refs = list(map(_get_referents, frontier))
        for i in compress(range(len(frontier)), map(frames.__contains__,
                                                    map(id, frontier))):
            refs[i] = ctx.referents(frontier[i])
        children = list(chain.from_iterable(refs))
        parents = list(chain.from_iterable(map(repeat, map(id, frontier),
                                               map(len, refs))))
        del refs
        # Atoms (str, int, ...) lead nowhere: drop them before any dict
        # work, which halves it on a typical heap.
        tracked = list(map(_is_tracked, children))
        children = list(compress(children, tracked))
        parents = list(compress(parents, tracked))
        del tracked
        keys = list(map(id, children))
        # Objects the walk did not list (created since, by the walk or a
        # program thread) are not entered either.
        fresh = list(compress(range(len(keys)), map(
            and_, map(not_, map(parent.__contains__, keys)),
            map(ctx.start.__contains__, keys))))
        # A child reached twice in one level keeps its first parent.
        first = dict(zip(map(keys.__getitem__, reversed(fresh)),
                         reversed(fresh)))
        picked = sorted(first.values())
        del first, fresh
        new_keys = list(map(keys.__getitem__, picked))
        new_children = list(map(children.__getitem__, picked))
        parent.update(zip(new_keys, map(parents.__getitem__, picked)))
        objs.update(zip(new_keys, new_children))
        del children, parents, keys, picked
        hits = list(compress(new_keys, map(back_parent.__contains__,
                                           new_keys)))
        if hits:
            meet = hits[0]
            break
        frontier = new_children
        ctx.own(frontier)
        del new_keys
    if meet is None:
        return []
    path = []
    key = meet
    while key is not None:
        path.append(objs[key])
        key = parent[key]
    path.reverse()
    key = back_parent[meet]
    while key is not None:
        path.append(back_objs[key])
        key = back_parent[key]
    return path


def chain_to_root(type_name_=None, oid=None, budget=SCAN_BUDGET):
    with _Locked() as locked:
        ctx = locked.context()
        if oid is not None:
            target = _object_by_id(oid, ctx)
        else:
            found = _objects_of_type(type_name_, ctx)
            targets = _sample(found, 1, _baseline)
            target = targets[0]
            del found, targets
        ctx.unreferenced = False
        if ctx.is_root(target):
            path = [target]
        else:
            path, back_parent, back_objs = _chain_backwards(ctx, target,
                                                            budget)
            if path is None:
                path = _chain_forwards(ctx, target, back_parent, back_objs)
        steps = []
        for i, obj in enumerate(path):
            # The edge that leads into this step from the one above it.
            edge = ctx.edge_label(path[i - 1], obj) if i else None
            steps.append({"id": id(obj), "type": type_name(type(obj)),
                          "label": ctx.label(obj), "kind": ctx.kind(obj),
                          "edge": edge})
        del path
        return {"chain": steps, "found": bool(steps) and not ctx.unreferenced,
                "end": "unreferenced" if ctx.unreferenced else
                ("root" if steps else "none")}


def instances(type_name_, offset=0, limit=50):
    with _Locked() as locked:
        ctx = locked.context()
        found = _objects_of_type(type_name_, ctx)
        page = found[offset:offset + limit]
        items = [{"id": id(o), "label": ctx.label(o)} for o in page]
        total = len(found)
        del found, page
        return {"total": total, "offset": offset, "items": items}


MAX_FIELDS = 200       # fields listed by object_info
MAX_REFERRERS = 50     # referrers listed by object_info
_MAX_INT_BITS = 256    # larger ints are described, not printed
_VALUE_LIMIT = 80      # characters of a field's value


def safe_value(obj, ctx):
    """A short text for obj that runs none of the program's code: the repr
    of an exact str, bytes, int, float, bool or None (cut), the length of
    a built-in container (read with the base type's own length), or the
    label the heap graph gives it (function and class names, ...)."""
    tp = type(obj)
    try:
        if tp is str:
            text = repr(obj[:_VALUE_LIMIT + 2]) if len(obj) > _VALUE_LIMIT \
                else repr(obj)
        elif tp is bytes:
            text = repr(obj[:_VALUE_LIMIT + 2])
        elif tp is int:
            if obj.bit_length() > _MAX_INT_BITS:
                return "<int of %d bits>" % obj.bit_length()
            text = repr(obj)
        elif tp is float or tp is bool or obj is None:
            text = repr(obj)
        else:
            # node_label reads containers' lengths with the built-in
            # base's own __len__ and names functions, classes, modules.
            return node_label(obj, ctx.module_names)
    except Exception:
        return None
    if len(text) > _VALUE_LIMIT:
        text = text[:_VALUE_LIMIT - 3] + "..."
    return text


def _field(ctx, name, value):
    return {"name": name, "id": id(value), "type": type_name(type(value)),
            "value": safe_value(value, ctx), "size": safe_getsizeof(value)}


def _labelled_referents(ctx, obj, refs, limit):
    """[(label, referent)] of obj, at most `limit`, and how many there are
    in all. Lists, tuples and dicts are read with the built-in types' own
    methods and only as far as needed; everything else through its gc
    referents (a half-built object may have NULL slots: only what gc
    reports is touched)."""
    tp = type(obj)
    if tp is list or tp is tuple:
        if whole(obj, refs) is not None:
            items = obj[:limit]
            return [("[%d]" % i, v) for i, v in enumerate(items)], len(refs)
        return [(None, r) for r in refs[:limit]], len(refs)
    if tp is dict:
        kind = ctx.labeler.dict_kind(obj)
        pairs = []
        for k, v in list(islice(dict.items(obj), limit)):
            pairs.append((key_label(k, kind), v))
            if _is_tracked(k):
                pairs.append(("key of [" + key_text(k) + "]", k))
        return pairs[:limit], len(refs)
    labels = ctx.labeler.labels(obj, refs)
    if not issubclass(tp, type):
        _name_nones(ctx, obj, tp, refs, labels)
    return list(zip(labels, refs))[:limit], len(refs)


def _name_nones(ctx, obj, tp, refs, labels):
    """Python 3.11+ keeps attributes inline: None values are referents
    the graph's labels leave unnamed (so many descriptors return None).
    Name them from the attribute names the labeler reads safely."""
    nones = [i for i, (label, r) in enumerate(zip(labels, refs))
             if label is None and r is None]
    if not nones:
        return
    info = ctx.labeler.type_info(tp)
    if not info.plain:
        return
    for name in info.names:
        if not nones:
            break
        try:
            value = _OBJECT_GETATTRIBUTE(obj, name)
        except Exception:
            continue
        if value is None:
            labels[nones.pop(0)] = "." + name


def _fields(ctx, obj):
    """The object's fields as the graph labels them: an instance's
    attributes (from its __dict__) first, then its other referents."""
    fields = []
    total = 0
    refs = ctx.referents(obj)
    ctx.own(refs)
    pairs, count = _labelled_referents(ctx, obj, refs, MAX_FIELDS)
    total += count
    is_module = issubclass(type(obj), ModuleType)
    for name, value in pairs:
        if name == "__dict__" and type(value) is dict and not is_module \
                and value is not obj and id(value) not in ctx.ignore:
            inner_refs = _get_referents(value)
            inner, inner_count = _labelled_referents(
                ctx, value, inner_refs, MAX_FIELDS)
            del inner_refs
            total += inner_count
            for inner_name, inner_value in inner:
                if _shown(ctx, inner_value):
                    fields.append(_field(ctx, inner_name, inner_value))
            del inner
    for name, value in pairs:
        if _shown(ctx, value):
            fields.append(_field(ctx, name, value))
    del pairs, refs
    truncated = len(fields) > MAX_FIELDS or total > len(fields)
    return fields[:MAX_FIELDS], max(total, len(fields)), truncated


def _shown(ctx, value):
    """Untracked values (str, int, ...) always; tracked ones when the walk
    listed them and they are not the agent's."""
    if id(value) in ctx.ignore:
        return False
    if not _is_tracked(value):
        return True
    return ctx.visible(value)


def _referrers(ctx, obj):
    """Up to MAX_REFERRERS referrers of obj with the label of their edge to
    it. One more batched scan names what holds each referrer that is not a
    root: an instance's __dict__ names its instance (owner, and the edge
    becomes the attribute), a module global its name (held_as)."""
    found = ctx.referrers([obj])
    ctx.own(found)
    total = len(found)
    result = []
    inner = []
    for r, _ in found[:MAX_REFERRERS]:
        entry = {"id": id(r), "type": type_name(type(r)),
                 "label": ctx.label(r), "kind": ctx.kind(r),
                 "edge": ctx.edge_label(r, obj)}
        result.append(entry)
        if not ctx.is_root(r) and id(r) not in ctx.module_dicts:
            inner.append((r, entry))
    if inner:
        wanted = [r for r, _ in inner]
        ctx.own(wanted, inner)
        namespaces = None
        for holder, hits in ctx.referrers(wanted):
            module_dict = id(holder) in ctx.module_dicts
            if issubclass(type(holder), ModuleType):
                continue
            if module_dict and namespaces is None:
                namespaces = _namespace_names(ctx)
            for held in hits:
                for candidate, entry in inner:
                    if candidate is not held:
                        continue
                    if module_dict:
                        name = ctx.edge_label(holder, held)
                        if name and "held_as" not in entry:
                            entry["held_as"] = "%s.%s" % (
                                namespaces.get(id(holder), "?"), name)
                    elif type(held) is dict and "owner" not in entry and \
                            ctx.edge_label(holder, held) == "__dict__":
                        # Its string keys are attribute names (".current").
                        ctx.labeler.instance_dicts.add(id(held))
                        entry["owner"] = {"id": id(holder),
                                          "type": type_name(type(holder))}
                        entry["edge"] = ctx.edge_label(held, obj)
        del wanted, inner
    del found
    return result, total


def _namespace_names(ctx):
    """id of a module's namespace -> the module's name in sys.modules."""
    names = {}
    for name, module in list(sys.modules.items()):
        if type(name) is str and issubclass(type(module), ModuleType):
            try:
                names.setdefault(id(ModuleType.__dict__["__dict__"]
                                    .__get__(module)), name)
            except Exception:
                pass
    return names


def object_info(oid):
    with _Locked() as locked:
        ctx = locked.context()
        obj = _object_by_id(oid, ctx)
        size = safe_getsizeof(obj)
        refs = [r for r in ctx.referents(obj) if _is_tracked(r)]
        referents_count = len(refs)
        del refs
        fields, fields_count, fields_truncated = _fields(ctx, obj)
        referrers, referrers_count = _referrers(ctx, obj)
        result = {"id": oid, "type": type_name(type(obj)),
                  "label": ctx.label(obj), "kind": ctx.kind(obj),
                  "size": size, "root": ctx.is_root(obj),
                  "referents_count": referents_count,
                  "referrers_count": referrers_count,
                  "fields": fields, "fields_count": fields_count,
                  "fields_truncated": fields_truncated,
                  "referrers": referrers,
                  "referrers_truncated": referrers_count > len(referrers)}
        del obj
        return result
