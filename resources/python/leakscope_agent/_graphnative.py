"""The heap-graph dump through leakscope_agent._native (issue 17).

The same graph as _graph.dump_graph() -- nodes, edges, labels, sizes,
flags -- made in one C pass: each node is traversed with its type's
tp_traverse into C arrays; lists, tuples, exact dicts with str keys, sets,
cells and bound methods are labelled in C by the rules of _labels; every
other object (instances, functions, frames, modules, classes, odd dicts)
through the same Labeler the pure-Python dump uses, one call per object.
Nodes come in another order (not grouped); readers key nodes by id.
"""

import gc
import sys
from types import FrameType, ModuleType

from ._census import (_agent_objects, _is_ours_type, _native,
                      agent_module_extras, type_name)
from ._graph import HeapGraph, Phases, _Dumper, _add_frame_locals
from ._lsnap import ZLIB_LEVEL
from ._labels import (_ATOMS, _SPECIAL, Labeler, cut,
                      node_label)

# Instances of these (and their subclasses) are labelled by the Labeler.
_NOT_PLAIN = (dict, list, tuple, set, frozenset, type, ModuleType,
              BaseException)

__all__ = ["dump_graph_native"]

# The arrays graph_dump compresses itself (types are renumbered on writing).
_STREAMED = ("ids", "sizes", "flags", "edge_offsets", "edge_targets",
             "node_labels", "edge_labels")


class _LabelOne(object):
    """The labels of one object the C pass does not label itself:
    (node label, referents, edge labels), as the pure-Python dump's
    label_mixed makes them."""

    __slots__ = ("names", "frames", "labels", "labeler")

    def __init__(self, dumper):
        self.names = dumper.module_names
        self.frames = dumper.thread_frame_ids
        self.labeler = dumper.labeler
        self.labels = dumper.labeler.labels

    def spec_for(self, tp):
        """What the C pass needs to label instances of tp as
        Labeler._other_labels does: ((member descriptor, label), ...),
        ((attribute name, label), ...); None when tp's instances are
        labelled here (containers, classes, exceptions, modules, the
        types _labels handles itself) -- their node labels too."""
        try:
            if tp in _SPECIAL or tp in _ATOMS or issubclass(tp, _NOT_PLAIN):
                return None
            info = self.labeler.type_info(tp)
            slots = tuple((desc, cut("." + name)) for name, desc in info.slots)
            names = tuple((name, cut("." + name)) for name in info.names) \
                if info.plain else ()
        except Exception:
            return None
        return slots, names

    def __call__(self, obj, refs):
        if id(obj) in self.frames:
            _add_frame_locals(obj, refs)
        return node_label(obj, self.names), refs, self.labels(obj, refs)


class _Texts(object):
    """The labels of a native dump, as the file's graph_string rows want
    them: kept as UTF-8 bytes end to end (a few bytes per label, where a
    str per label took some 60 at the dump's peak) and decoded one at a
    time as the writer reads them."""

    __slots__ = ("data", "ends")

    def __init__(self, data, ends):
        self.data = data
        self.ends = memoryview(ends).cast("I")

    def __len__(self):
        return len(self.ends)

    def _text(self, start, end):
        return self.data[start:end].decode("utf-8", "surrogatepass")

    def __getitem__(self, k):
        if type(k) is slice:
            return [self[i] for i in range(*k.indices(len(self.ends)))]
        n = len(self.ends)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError("label index out of range")
        return self._text(self.ends[k - 1] if k else 0, self.ends[k])

    def __iter__(self):
        start = 0
        for end in self.ends:
            yield self._text(start, end)
            start = end


def _collect(d):
    """_Dumper.collect_nodes() without a list per object: (objs, ids of
    the agent's types); d.skipped holds the ids of the agent's objects and
    frames. The C pass leaves out both."""
    frames = d.agent_frames.thread_frames()
    modules = []
    for name, module in list(sys.modules.items()):
        if type(name) is str:
            d.module_names.setdefault(id(module), name)
            modules.append(module)
    excluded = _agent_objects()
    excluded.extend(agent_module_extras())
    objs = gc.get_objects()
    skip = set(map(id, excluded))
    skip.update((id(excluded), id(frames), id(modules), id(d),
                 id(d.__dict__), id(d.module_names), id(d.module_dicts),
                 id(d.strings), id(d.strings.__dict__), id(d.strings.ids),
                 id(d.strings.texts), id(d.agent_frames),
                 id(d.agent_frames.__dict__), id(d.agent_frames._codes)))
    excluded.clear()
    del excluded
    # Instances of the agent's own classes, wherever they are held.
    ours = set(map(id, filter(_is_ours_type, _native.types_of(objs))))
    for frame in _native.of_type(objs, FrameType):
        if d.agent_frames.is_agent_frame(frame):
            skip.add(id(frame))
    d.skipped = skip
    d.thread_frame_ids = set(map(id, frames))
    del frames
    d.note_modules(modules)
    del modules
    return objs, ours


def dump_graph_native(phases=None):
    """Dump the heap graph with the native pass (callers hold census LOCK;
    the program's threads may run meanwhile). Returns a HeapGraph."""
    # No closure here: its cells would be this frame's, created before the
    # object list is taken, and so nodes of the graph.
    phase = Phases(phases)
    d = _Dumper()
    objs, ours = _collect(d)
    d.labeler = Labeler(d.module_dicts)
    phase("nodes")
    list_cap, tuple_cap = _native.sequence_caps(objs)
    label_one = _LabelOne(d)
    # Compressed in chunks as the pass goes (little-endian machines: the
    # file's byte order), so no whole raw array is ever held. The pass
    # sorts objs by address and drops the edges to anything not listed
    # (the program's threads run meanwhile: objects made since).
    stream = sys.byteorder == "little"
    out = _native.graph_dump(
        objs, label_one, label_one.spec_for, d.skipped, ours, d.module_ids, d.thread_frame_ids, d.module_dicts,
        d.labeler.instance_dicts, ZLIB_LEVEL if stream else -1, list_cap,
        tuple_cap)
    del objs, label_one
    d.skipped = None
    phase("pass")
    graph = HeapGraph()
    graph.impl = "native"
    graph.node_count = out.pop("node_count")
    graph.edge_count = out.pop("edge_count")
    graph.types = memoryview(out.pop("types")).cast("i")
    if stream:
        # (a loop, not a generator: that would make `out` a cell of this
        # frame, listed as a node)
        graph.compressed = {}
        for name in _STREAMED:
            graph.compressed[name] = out.pop(name)
    else:
        for name, code in (("ids", "Q"), ("sizes", "I"),
                           ("edge_offsets", "I"), ("edge_targets", "Q"),
                           ("node_labels", "i"), ("edge_labels", "i")):
            # The bytes themselves: no second copy of a big array.
            setattr(graph, name, memoryview(out.pop(name)).cast(code))
        graph.flags = out.pop("flags")
    graph.type_names = [type_name(tp) for tp in out.pop("type_list")]
    graph.strings = _Texts(*out.pop("strings"))
    del out
    phase("arrays")
    graph.seconds = phase.clock() - phase.started
    return graph
