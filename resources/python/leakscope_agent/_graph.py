"""The heap-graph dump: every gc-tracked object of the program, its type,
size, root flags and label, and its references (gc.get_referents) as CSR
arrays with edge labels, as docs/file-format.md "Heap graphs (versions 2 and 3)"
stores them.

Speed comes from C-level passes (map/zip/compress/chain over the object
list) instead of a Python loop per object: objects are grouped by kind,
lists, tuples, dicts and the most common classes are labelled per group,
and only the remaining mixed objects get a per-object Python step.

Nodes are the gc-tracked objects; untracked referents (str, int, float,
untracked tuples and dicts, which can hold only such atoms) are not nodes
and their edges are left out, so every edge target is a node. The agent's
own objects and frames are left out, with every edge leading to them.

The program's threads keep running during a dump and automatic collection
stays as the program has it (the agent changes neither). The dump holds the
list of its nodes from start to end, so no node is freed and no id is
reused; each object's referents are read in one C call together with what
proves their count; and referents that are no node (created or tracked
since the listing) are found in the young generations, see _new_ids().
"""

import array
import gc
import sys
from bisect import bisect_right
from itertools import (accumulate, chain, compress, count, filterfalse,
                       repeat)
from operator import add, attrgetter, is_, is_not, ne, not_, sub
from types import FrameType, ModuleType

from ._census import (_OBJECT_SIZEOF, _agent_objects, _count_elements,
                      _is_ours_type, collections_done, find_sizeof,
                      safe_getsizeof, sizeof_in_c, type_name)
from ._labels import (CLASS_ROOT, MAX_LABEL, MODULE_ROOT, THREAD_FRAME,
                      AgentFrames, Labeler, _MODULE_DICT, _SPECIAL,
                      agent_module_extras, cut, key_label, node_label)

__all__ = ["HeapGraph", "dump_graph"]

_get_referents = gc.get_referents
_is_tracked = gc.is_tracked
_getsizeof = sys.getsizeof
_MISSING = object()
INDEX_LABELS = 1 << 16       # list/tuple positions labelled "[i]" up to here
MAX_SIZE = 0xFFFFFFFF
BIG_GROUPS = 4               # classes labelled per group rather than per object
_LITTLE = sys.byteorder == "little"
# Set to a list to collect (phase, seconds) pairs of each dump (benchmarks).
PHASES = None


class HeapGraph(object):
    """The dumped graph. Arrays are array.array objects in native order;
    packed() returns them little-endian as the file wants them."""

    def __init__(self):
        self.node_count = 0
        self.edge_count = 0
        self.ids = array.array("Q")
        self.type_names = []          # per distinct type, see types
        self.types = array.array("i")  # index into type_names
        self.sizes = array.array("I")
        self.flags = bytearray()
        self.edge_offsets = array.array("I")
        self.edge_targets = array.array("Q")  # ids of the targets
        self.node_labels = array.array("i")
        self.edge_labels = array.array("i")
        self.strings = []
        self.seconds = 0.0
        self.impl = "python"   # or "native": which dump made it
        # name -> zlib stream of the array as the file stores it, for the
        # arrays the native dump compressed as it went (no raw copy).
        self.compressed = None

    def packed(self, name, type_ids=None):
        """The named array as little-endian bytes; types are renumbered
        through type_ids (type name -> file type id) when given."""
        if name == "types" and type_ids is not None:
            mapping = [type_ids[n] for n in self.type_names]
            values = array.array("i", map(mapping.__getitem__, self.types))
        elif name == "flags":
            return bytes(self.flags)
        else:
            values = getattr(self, name)
        if type(values) is memoryview:
            # The native dump's arrays: bytes in native order, not copied.
            if _LITTLE:
                return values.obj
            values = array.array(values.format, values)
        if not _LITTLE:
            values = array.array(values.typecode, values)
            values.byteswap()
        return values.tobytes()


class Phases(object):
    """Seconds per phase of a dump, appended to a list (benchmarks)."""

    def __init__(self, out):
        import time
        self.clock = time.perf_counter
        self.out = out
        self.started = self.last = self.clock()

    def __call__(self, name):
        if self.out is not None:
            now = self.clock()
            self.out.append((name, now - self.last))
            self.last = now


class _Strings(object):
    def __init__(self):
        self.ids = {}
        self.texts = []

    def sid(self, text):
        if text is None:
            return -1
        found = self.ids.get(text)
        if found is None:
            found = self.ids[text] = len(self.texts)
            self.texts.append(text)
        return found




_TYPE_ITEMSIZE = type.__dict__["__itemsize__"]


def _fixed_size(tp, sample):
    """sys.getsizeof of every instance of tp when object.__sizeof__ serves
    it and tp has no per-item part (tp_basicsize plus a per-type header,
    and on 3.13 the type's inline values), else None. Read through type's
    own descriptors: a metaclass hook must not run."""
    try:
        if _TYPE_ITEMSIZE.__get__(tp):
            return None
        if find_sizeof(tp) is not _OBJECT_SIZEOF:
            return None
        size = _getsizeof(sample)
    except Exception:
        return None
    return size if 0 <= size <= MAX_SIZE else None


def _group_sizes(objs, ordered, counts):
    """Sizes in node order; instances of a class group whose size is fixed
    are sized once (no getsizeof call per object). Straight into 32-bit
    values: the rare size above 4 GiB or a failing __sizeof__ falls back
    to _sizes."""
    try:
        sizes = array.array("I")
        start = 0
        for g, n in zip(ordered, counts):
            end = start + n
            fixed = None
            if n and g.tp is not None and g.tp is not list and \
                    g.tp is not tuple and g.tp is not dict:
                fixed = _fixed_size(g.tp, objs[start])
            if fixed is None:
                if g.tp is not None:
                    c_sizes = sizeof_in_c(g.tp)
                else:
                    c_sizes = all(map(sizeof_in_c, set(g.tps)))
                sizes.extend(map(_getsizeof if c_sizes else safe_getsizeof,
                                 objs[start:end]))
            else:
                sizes.extend(repeat(fixed, n))
            start = end
        return sizes
    except Exception:
        return _sizes(objs)


def _sizes(objs):
    sizes = array.array("Q", map(max, map(safe_getsizeof, objs), repeat(0)))
    if sizes and max(sizes) > MAX_SIZE:
        return array.array("I", (min(s, MAX_SIZE) for s in sizes))
    return array.array("I", sizes)


class _Group(object):
    # tp: the type of every object of the group, or None and tps: the type
    # of each object (the mixed group), so types are never looked up twice.
    # refs: a list of referents per object, or None and flat: all the
    # referents in one list, lens: how many per object (lists, tuples).
    __slots__ = ("objs", "refs", "edge_sids", "node_sids", "tp", "tps",
                 "flat", "lens")

    def __init__(self, objs, tp=None, tps=None):
        self.objs = objs
        # Every group takes its referents when it is labelled: lists, tuples
        # and class groups all in one call when they can, the others one
        # object at a time (label_mixed), kept in one flat list (no list
        # per object that would live until the end of the dump: a few
        # hundred thousand of them would set off collections).
        self.refs = None
        self.edge_sids = None
        self.node_sids = None
        self.tp = tp
        self.tps = tps
        self.flat = None
        self.lens = None

    @classmethod
    def part(cls, objs, refs, tp):
        """A group of objects of type tp whose referents are known."""
        group = cls(objs, tp)
        group.refs = refs
        return group


class _Dumper(object):
    def __init__(self):
        self.strings = _Strings()
        self.agent_frames = AgentFrames()
        self.module_names = {}
        self.module_dicts = set()
        self.labeler = None
        self.skipped = set()

    # -- choosing the nodes ------------------------------------------------

    def note_modules(self, modules):
        """module_dicts: the ids of the namespaces of the modules in
        sys.modules (read without running a module's own code);
        module_ids: the ids of the modules themselves."""
        for module in modules:
            if not issubclass(type(module), ModuleType):
                continue
            try:
                namespace = _MODULE_DICT.__get__(module)
            except Exception:
                continue
            if type(namespace) is dict:
                self.module_dicts.add(id(namespace))
        self.module_ids = set(self.module_names)

    def collect_nodes(self):
        frames = self.agent_frames.thread_frames()
        modules = []
        for name, module in list(sys.modules.items()):
            if type(name) is str:
                self.module_names.setdefault(id(module), name)
                modules.append(module)
        excluded = _agent_objects()
        excluded.extend(agent_module_extras())
        self.old_collections = collections_done(1)
        objs = gc.get_objects()
        self.young = _young_ids()
        skip = set(map(id, excluded))
        skip.update((id(excluded), id(frames), id(modules), id(self),
                     id(self.__dict__), id(self.module_names),
                     id(self.module_dicts), id(self.strings),
                     id(self.strings.__dict__), id(self.strings.ids),
                     id(self.strings.texts), id(self.agent_frames),
                     id(self.agent_frames.__dict__),
                     id(self.agent_frames._codes)))
        excluded.clear()
        del excluded
        tps = list(map(type, objs))
        # Instances of the agent's own classes, wherever they are held.
        ours = set(filter(_is_ours_type, set(tps)))
        if ours:
            skip.update(map(id, compress(objs, map(ours.__contains__, tps))))
        for i in compress(count(), map(is_, tps, repeat(FrameType))):
            if self.agent_frames.is_agent_frame(objs[i]):
                skip.add(id(objs[i]))
        self.skipped = skip
        # Positions to leave out; groups() drops them while it sorts.
        drop = list(compress(count(), map(skip.__contains__, map(id, objs))))
        self.thread_frame_ids = set(map(id, frames))
        del frames
        self.note_modules(modules)
        # sys.modules may hold any object: flags look for them in the
        # groups of these types.
        self.module_types = set(map(type, modules))
        del modules
        return objs, tps, drop

    # -- grouping ------------------------------------------------------------

    def groups(self, objs, tps, drop):
        """[(kind, group)] in node order: per-group lists, tuples and
        common classes, the mixed rest, then dicts (last, because instance
        dicts are known only once their instances have been labelled).
        The objects at the positions drop are left out."""
        counts = {}
        _count_elements(counts, tps)
        for i in drop:
            counts[tps[i]] -= 1
        total = len(objs) - len(drop)
        big = [list, tuple]
        classes = []
        threshold = max(1000, total // 100)
        for tp, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if len(classes) >= BIG_GROUPS or n < threshold:
                break
            if tp in _SPECIAL or issubclass(tp, (type, BaseException)):
                continue
            if self.labeler.type_info(tp).plain:
                classes.append(tp)
        kinds = [tp for tp in big + classes if counts.get(tp)]
        # One stable sort of the positions by group (a small int per
        # object) instead of one compress pass over all objects per group.
        code = dict(zip(kinds, count()))
        mixed = len(kinds)
        code[dict] = mixed + 1
        codes = list(map(code.get, tps, repeat(mixed)))
        for i in drop:
            codes[i] = mixed + 2
        order = sorted(range(len(objs)), key=codes.__getitem__)
        del codes, order[total:]
        parts = []
        start = 0
        for tp in kinds:
            end = start + counts[tp]
            parts.append(list(map(objs.__getitem__, order[start:end])))
            start = end
        end = total - counts.get(dict, 0)
        mixed = order[start:end]
        mixed_tps = list(map(tps.__getitem__, mixed))
        parts.append(list(map(objs.__getitem__, mixed)))
        dicts = list(map(objs.__getitem__, order[end:]))
        # The positions go before the referent lists come (peak memory).
        del mixed, order
        result = [(tp, _Group(part, tp)) for tp, part in zip(kinds, parts)]
        result.append((None, _Group(parts[-1], None, mixed_tps)))
        del parts
        return result, dicts

    # -- labels --------------------------------------------------------------

    def label_sequence(self, group):
        sid = self.strings.sid
        # All referents of the group in one call (no list per object),
        # each object's followed by a private untracked marker: gc visits
        # list and tuple items last to first, so they are the items, each
        # object's reversed, one object after the other; check that, then
        # label each object's referents [n-1] ... [0].
        marker = object()
        flat = _get_referents(*chain.from_iterable(zip(
            group.objs, repeat((marker,)))))
        lens = list(map(len, group.objs))
        # Items are read at Python level (reversed) only once each object's
        # referent count (up to its marker, read in the same call as its
        # referents) equals its length: a list or tuple with NULL slots (C
        # extensions keep such) has fewer referents than items, and
        # reading a NULL slot would crash the program. Per object, not in
        # sum: a program thread may grow another list meanwhile. Each `or`
        # must stay short-circuit.
        flat = _per_object(flat, lens, marker)
        if flat is None or not all(map(
                is_, flat, chain.from_iterable(map(reversed, group.objs)))):
            del flat
            return self.label_mixed(group)
        group.flat = flat
        group.lens = lens
        lens_refs = lens_objs = lens
        distinct = set(lens_refs)
        longest = max(distinct, default=0)
        index_sids = [sid("[%d]" % i) for i in range(min(longest,
                                                           INDEX_LABELS))]
        if longest > INDEX_LABELS:
            index_sids.extend(repeat(-1, longest - INDEX_LABELS))
        # One tuple of labels per distinct length (together no longer than
        # the group's referents): chaining them beats indexing per edge.
        by_len = {}
        for n in distinct:
            by_len[n] = tuple(reversed(index_sids[:n]))
        group.edge_sids = chain.from_iterable(map(by_len.__getitem__,
                                                  lens_refs))
        self.container_node_labels(group, lens_objs, distinct)

    def container_node_labels(self, group, lens, distinct=None):
        sid = self.strings.sid
        if not group.objs:
            group.node_sids = ()
            return
        sample = group.objs[0]
        by_len = {}
        for n in set(lens) if distinct is None else distinct:
            try:
                # Same type for the whole group: label one object per length.
                by_len[n] = sid(_container_label(type(sample), n))
            except Exception:
                by_len[n] = -1
        group.node_sids = map(by_len.__getitem__, lens)

    def label_class(self, tp, group):
        """All instances of one plain class, labelled like the first one
        when a C-level check says each instance has the same layout."""
        objs = group.objs
        width = len(_get_referents(objs[0]))
        step = width + 1
        # All referents of the group in one call (no list per object),
        # each object's followed by a private untracked marker: the markers
        # at every step-th place, and nowhere else, prove that each object
        # has exactly width referents. Column j is then flat[j::step].
        marker = object()
        flat = _get_referents(*chain.from_iterable(zip(objs,
                                                       repeat((marker,)))))
        if len(flat) != step * len(objs) or not all(map(
                is_, flat[width::step], repeat(marker))):
            del flat
            return self.label_mixed(group)
        labels0 = self.labeler.labels(objs[0], flat[:width])
        if None in labels0 and len(labels0) == width:
            # The first instance may hold None where others hold objects (the
            # tail of a linked list): None is no node and gets no label, so
            # ask the first instance whose value in that column is not None.
            labels0 = list(labels0)
            for j in range(width):
                if labels0[j] is not None:
                    continue
                k = next(compress(count(), map(is_not, flat[j::step],
                                               repeat(None))), None)
                if k is None:
                    continue
                other = self.labeler.labels(objs[k],
                                            flat[k * step:k * step + width])
                if len(other) == width:
                    labels0[j] = other[j]
        ok = len(labels0) == width
        dict_positions = []
        attr_positions = []
        names = []
        for j, label in enumerate(labels0):
            if not ok:
                break
            if label is None:
                continue
            if label == "__class__":
                ok = all(map(is_, flat[j::step], repeat(tp)))
            elif label == "__dict__":
                column = flat[j::step]
                ok = all(map(is_, map(type, column), repeat(dict)))
                dict_positions.append(column)
            elif label.startswith(".") and "." not in label[1:]:
                attr_positions.append(j)
                names.append(label[1:])
            else:
                ok = False
        if ok and len(names) == 1:
            ok = all(map(is_, flat[attr_positions[0]::step],
                         map(getattr, objs, repeat(names[0]),
                             repeat(_MISSING))))
        elif ok and names:
            # All attributes in one pass: a tuple per object on each side.
            try:
                ok = all(map(is_, chain.from_iterable(zip(*[
                    flat[j::step] for j in attr_positions])),
                    chain.from_iterable(map(attrgetter(*names), objs))))
            except Exception:
                ok = False
        if not ok:
            del flat, dict_positions
            return self.label_mixed(group)
        for column in dict_positions:
            self.labeler.instance_dicts.update(map(id, column))
        del dict_positions
        # The markers stay in flat: untracked, their edges go with the
        # atoms' (the -1 label is dropped with them).
        group.flat = flat
        group.lens = repeat(step, len(objs))
        sids = [self.strings.sid(label) for label in labels0]
        sids.append(-1)
        group.edge_sids = chain.from_iterable(repeat(sids, len(objs)))
        group.node_sids = repeat(-1, len(objs))

    def label_mixed(self, group):
        """Each object's referents (one gc.get_referents call each, so its
        labels always match what it held at that moment) and labels; the
        referents go into one flat list."""
        sid = self.strings.sid
        labels = self.labeler.labels
        names = self.module_names
        edge_sids = []
        node_sids = []
        flat = []
        lens = []
        for obj in group.objs:
            refs = _get_referents(obj)
            if id(obj) in self.thread_frame_ids:
                _add_frame_locals(obj, refs)
            sids = list(map(sid, labels(obj, refs)))
            if len(sids) != len(refs):
                sids = [-1] * len(refs)
            edge_sids.extend(sids)
            node_sids.append(sid(node_label(obj, names)))
            flat.extend(refs)
            lens.append(len(refs))
        group.refs = None
        group.flat = flat
        group.lens = lens
        group.edge_sids = edge_sids
        group.node_sids = node_sids

    def key_table(self, keys, kind):
        """{key: string id of key_label(key, kind)}. Inlines key_label
        for the usual short str keys: dicts with many distinct keys spend
        most of their labelling time here."""
        strings = self.strings
        ids = strings.ids
        texts = strings.texts
        get = ids.get
        table = {}
        short = MAX_LABEL - 1 if kind == 2 else MAX_LABEL
        for key in keys:
            if type(key) is str and len(key) <= short:
                if kind == 2:
                    label = "." + key
                else:
                    text = repr(key)
                    label = "[" + (text if len(text) <= MAX_LABEL
                                   else cut(text)) + "]"
            else:
                label = key_label(key, kind)
            found = get(label)
            if found is None:
                found = ids[label] = len(texts)
                texts.append(label)
            table[key] = found
        return table

    def label_dicts(self, dicts):
        """Exact dicts: string-keyed dicts (whose referents are their
        values, in order) in C-level passes per group; module namespaces
        and dicts with other keys one by one."""
        special = self.module_dicts
        instance = self.labeler.instance_dicts
        # Referent counts only: each list goes as soon as it is counted.
        counts = list(map(len, map(_get_referents, dicts)))
        lens = list(map(len, dicts))
        ids = list(map(id, dicts))
        # Sub-groups by one stable sort on a code per dict: 0 instance
        # dicts, 1 other dicts whose referents can be their values (as many
        # as items), 2 other dicts, 3 module namespaces.
        codes = list(map(not_, map(instance.__contains__, ids)))
        for i in compress(count(), map(ne, counts, lens)):
            codes[i] = 2
        for i in compress(count(), map(special.__contains__, ids)):
            codes[i] = 3
        del ids, counts
        order = sorted(range(len(dicts)), key=codes.__getitem__)
        bounds = [0, 0, 0, 0, len(dicts)]
        for code in range(1, 4):
            bounds[code] = bounds[code - 1] + codes.count(code - 1)
        del codes
        dicts = list(map(dicts.__getitem__, order))
        lens = list(map(lens.__getitem__, order))
        del order
        parts = [_Group.part(dicts[bounds[c]:bounds[c + 1]], None, dict)
                 for c in range(4)]
        del dicts
        result = []
        for code in (0, 1):
            sub = parts[code]
            if not self.label_plain_dicts(
                    sub, 2 if code == 0 else 0,
                    lens[bounds[code]:bounds[code + 1]]):
                self.label_mixed(sub)
            result.append(sub)
        del lens
        others, namespaces = parts[2], parts[3]
        self.label_mixed(others)
        self.label_mixed(namespaces)
        result.append(others)
        result.append(namespaces)
        return result

    def label_plain_dicts(self, group, kind, lens):
        """Dicts whose referents are their values, in order: referents in
        one call, each dict's followed by a private marker, checked against
        the values and the keys (a program thread may change a dict
        meanwhile); False when they do not match (label_mixed then)."""
        objs = group.objs
        marker = object()
        try:
            flat = _per_object(_get_referents(*chain.from_iterable(zip(
                objs, repeat((marker,))))), lens, marker)
            if flat is None or not all(map(
                    is_, flat, chain.from_iterable(map(dict.values, objs)))):
                return False
            keys = list(chain.from_iterable(objs))
            # Each dict as long as when its referents were read, so the
            # keys line up with the values dict by dict.
            if len(keys) != len(flat) or list(map(len, objs)) != lens:
                return False
        except Exception:
            # A dict changed size while it was read.
            return False
        # Only exact str keys are hashed here (no __hash__ of the program):
        # a program thread may have added another key since the counts.
        if not all(map(is_, map(type, keys), repeat(str))):
            return False
        table = self.key_table(set(keys), kind)
        group.flat = flat
        group.lens = lens
        group.edge_sids = map(table.__getitem__, keys)
        self.container_node_labels(group, lens)
        return True


def _per_object(flat, lens, marker):
    """flat (the referents of some objects, each object's followed by
    marker, from one gc.get_referents call) without the markers when each
    object had exactly lens[i] referents, else None. Checking the markers
    at the expected places is enough: there is one per object."""
    ends = list(accumulate(map(add, lens, repeat(1))))
    if len(flat) != (ends[-1] if ends else 0) or not all(map(
            is_, map(flat.__getitem__, map(sub, ends, repeat(1))),
            repeat(marker))):
        return None
    del ends
    return list(compress(flat, map(is_not, flat, repeat(marker))))


def _container_label(tp, n):
    from ._labels import _CONTAINERS, _plural
    return _plural(n, _CONTAINERS.get(tp, type_name(tp)))


def _add_frame_locals(frame, refs):
    """Python 3.11+ does not report the locals of a running frame as its
    referents; a running frame keeps them alive all the same."""
    if sys.version_info < (3, 11):
        return
    try:
        values = list(frame.f_locals.values())
    except Exception:
        return
    present = set(map(id, refs))
    for value in values:
        if id(value) not in present and gc.is_tracked(value):
            present.add(id(value))
            refs.append(value)


def _young_ids():
    """Ids of the objects in the two young generations, or None where
    generations work otherwise (3.14's incremental collector)."""
    if sys.version_info >= (3, 14):
        return None
    young = gc.get_objects(0)
    young.extend(gc.get_objects(1))
    ids = set(map(id, young))
    del young
    return ids


def used_strings(texts, edge_sids, node_sids):
    """(texts, edge_sids, node_sids) keeping only the strings some label
    uses, in their first order, the label arrays renumbered."""
    used = set(edge_sids)
    used.update(node_sids)
    used.discard(-1)
    if len(used) == len(texts):
        return texts, edge_sids, node_sids
    keep = sorted(used)
    # new id per old id, and -1 stays -1 (the last slot).
    remap = [-1] * (len(texts) + 1)
    for new, old in enumerate(keep):
        remap[old] = new
    get = remap.__getitem__
    return ([texts[i] for i in keep],
            array.array("i", map(get, edge_sids)),
            array.array("i", map(get, node_sids)))


def _drop_edges(offsets, targets, labels, drop):
    """The CSR arrays without the edges at the ascending positions drop:
    C-speed slices between them, so a few strays cost little."""
    kept_targets = array.array(targets.typecode)
    kept_labels = array.array(labels.typecode)
    start = 0
    for position in drop:
        kept_targets.extend(targets[start:position])
        kept_labels.extend(labels[start:position])
        start = position + 1
    kept_targets.extend(targets[start:])
    kept_labels.extend(labels[start:])
    # Offsets past the j-th dropped edge shrink by j + 1.
    bounds = [bisect_right(offsets, position) for position in drop]
    bounds.append(len(offsets))
    new_offsets = offsets[:bounds[0]]
    for j in range(len(drop)):
        new_offsets.extend(map(sub, offsets[bounds[j]:bounds[j + 1]],
                               repeat(j + 1)))
    return new_offsets, kept_targets, kept_labels


def dump_graph():
    """Dump the heap graph of this process (callers hold census LOCK; the
    program's threads may run meanwhile, see the module's docstring). Returns a HeapGraph; made by
    leakscope_agent._native when a build for this interpreter is there."""
    from ._census import native_available
    if native_available():
        from ._graphnative import dump_graph_native
        return dump_graph_native(PHASES)
    return dump_graph_python()


def dump_graph_python():
    """dump_graph() with the pure-Python passes."""
    # No closure here: its cells would be this frame's, created before the
    # object list is taken, and so nodes of the graph.
    phase = Phases(PHASES)
    started = phase.started
    d = _Dumper()
    objs, tps, drop = d.collect_nodes()
    d.labeler = Labeler(d.module_dicts)
    phase('nodes')
    groups, dicts = d.groups(objs, tps, drop)
    phase('groups')
    del objs, tps, drop
    for kind, group in groups:
        if kind is list or kind is tuple:
            d.label_sequence(group)
        elif kind is None:
            d.label_mixed(group)
        else:
            d.label_class(kind, group)
    phase('label groups')
    ordered = [g for _, g in groups] + d.label_dicts(dicts)
    phase('label dicts')
    del groups, dicts
    graph = HeapGraph()
    objs = list(chain.from_iterable(g.objs for g in ordered))
    n = len(objs)
    graph.ids = ids = array.array("Q", map(id, objs))
    sizes = [len(g.objs) for g in ordered]
    # One flat list lets the per-object lists (the dump's largest part) go
    # before the next passes: chaining them twice is a little faster but
    # raises the peak by a tenth.
    lens = []
    flat = []
    for g in ordered:
        if g.refs is None:
            lens.extend(g.lens)
            flat.extend(g.flat)
        else:
            lens.extend(map(len, g.refs))
            flat.extend(chain.from_iterable(g.refs))
        g.refs = g.flat = g.lens = g.objs = None
    # Atoms (str, int, ...) are not nodes: their edges go. Targets are stored
    # as ids (format version 3, target_encoding 'id'): the reader turns them
    # into node indices, which C++ does twenty times faster than a dict here.
    tracked = list(map(_is_tracked, flat))
    targets = array.array("Q", map(id, compress(flat, tracked)))
    # While flat still holds every target (so their ids are still theirs):
    # an object created, or tracked, since the listing entered the youngest
    # generation and, unless an older generation was collected since (which
    # would have moved it on), is still in one of the two young ones.
    newer = None
    if d.young is not None and d.old_collections is not None and \
            collections_done(1) == d.old_collections:
        newer = _young_ids()
        if collections_done(1) == d.old_collections:
            newer.difference_update(d.young)
        else:
            newer = None
    d.young = None
    del flat
    phase('targets')
    edge_sids = array.array("i", compress(chain.from_iterable(
        g.edge_sids for g in ordered), tracked))
    node_sids = array.array("i", chain.from_iterable(g.node_sids
                                                     for g in ordered))
    phase('labels')
    if len(edge_sids) != len(targets):
        raise RuntimeError("heap graph: %d edge labels for %d edges"
                           % (len(edge_sids), len(targets)))
    cum = array.array("I", [0])
    cum.extend(accumulate(tracked))
    del tracked
    offsets = array.array("I", [0])
    offsets.extend(map(cum.__getitem__, accumulate(lens)))
    del cum, lens
    phase('offsets')
    # Tracked referents that are no node: the agent's own objects (left
    # out on purpose), objects a program thread created (or got tracked)
    # since the listing, and objects gc.freeze() moved out of
    # gc.get_objects()' sight. The whole id set (0.4 s at 1M objects) is
    # built only after a freeze, or when an older generation was collected
    # during the dump (the new objects may have moved out of the young
    # generations).
    if gc.get_freeze_count() or newer is None:
        node_ids = set(ids)
        strays = set(filterfalse(node_ids.__contains__, targets))
        del node_ids
    else:
        d.skipped.update(newer)
        strays = d.skipped.intersection(targets)
    del newer
    d.skipped = None
    if strays:
        drop = list(compress(count(), map(strays.__contains__, targets)))
        offsets, targets, edge_sids = _drop_edges(offsets, targets,
                                                  edge_sids, drop)
        del drop
    del strays
    phase('strays')
    # Only the labels a kept edge or a node uses are stored: edges to atoms
    # and strays went with their labels (half the strings of a big heap).
    d.strings.texts, edge_sids, node_sids = used_strings(
        d.strings.texts, edge_sids, node_sids)
    phase('strings')
    graph.node_count = n
    graph.edge_count = len(targets)
    graph.edge_offsets = offsets
    graph.edge_targets = targets
    graph.edge_labels = edge_sids
    graph.node_labels = node_sids
    del targets, edge_sids
    # The groups know their types: only the mixed group's are looked up.
    starts = list(accumulate(chain((0,), sizes)))
    distinct = set(g.tp for g in ordered if g.tp is not None)
    for g in ordered:
        if g.tp is None:
            distinct.update(g.tps)
    distinct = list(distinct)
    type_index = dict(zip(distinct, count()))
    graph.type_names = [type_name(tp) for tp in distinct]
    types = array.array("i")
    for g, size in zip(ordered, sizes):
        if g.tp is None:
            types.extend(map(type_index.__getitem__, g.tps))
        else:
            types.extend(repeat(type_index[g.tp], size))
    graph.types = types
    del types
    graph.sizes = _group_sizes(objs, ordered, sizes)
    phase('types+sizes')
    # Classes and frames are in the mixed group only (class groups never
    # hold types or frames); what sys.modules holds, in the groups of its
    # types.
    flags = bytearray(n)
    metas = set(tp for tp in distinct if issubclass(tp, type))
    ids = graph.ids
    for g, start, size in zip(ordered, starts, sizes):
        end = start + size
        if g.tp is None:
            for i in compress(count(start), map(metas.__contains__, g.tps)):
                flags[i] |= CLASS_ROOT
            for i in compress(count(start), map(
                    d.thread_frame_ids.__contains__, ids[start:end])):
                flags[i] |= THREAD_FRAME
        elif g.tp not in d.module_types:
            continue
        for i in compress(count(start), map(d.module_ids.__contains__,
                                            ids[start:end])):
            flags[i] |= MODULE_ROOT
    del ordered, starts, sizes
    graph.flags = flags
    phase('flags')
    graph.strings = d.strings.texts
    graph.seconds = phase.clock() - started
    del objs
    return graph
