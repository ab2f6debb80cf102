"""The heap-graph dump through leakscope_agent._native (issue 17).

The same graph as _graph.dump_graph() -- nodes, edges, labels, sizes,
flags -- made in one C pass: each node is traversed with its type's
tp_traverse into C arrays; lists, tuples, exact dicts with str keys, sets,
cells and bound methods are labelled in C by the rules of _labels; every
other object (instances, functions, frames, modules, classes, odd dicts)
through the same Labeler the pure-Python dump uses, one call per object.
Nodes come in another order (not grouped); readers key nodes by id.
"""

import array
import gc
from itertools import compress, repeat
from types import ModuleType

from ._census import _native, type_name
from ._graph import HeapGraph, Phases, _Dumper, _add_frame_locals
from ._labels import _ATOMS, _SPECIAL, Labeler, cut, node_label

# Instances of these (and their subclasses) are labelled by the Labeler.
_NOT_PLAIN = (dict, list, tuple, set, frozenset, type, ModuleType,
              BaseException)

__all__ = ["dump_graph_native"]


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


def dump_graph_native(phases=None):
    """Dump the heap graph with the native pass (callers hold census LOCK
    and have automatic collection disabled). Returns a HeapGraph."""
    # No closure here: its cells would be this frame's, created before the
    # object list is taken, and so nodes of the graph.
    phase = Phases(phases)
    d = _Dumper()
    objs, tps, drop = d.collect_nodes()
    del tps
    if drop:
        keep = bytearray(repeat(1, len(objs)))
        for i in drop:
            keep[i] = 0
        objs = list(compress(objs, keep))
        del keep
    del drop
    d.labeler = Labeler(d.module_dicts)
    phase("nodes")
    list_cap, tuple_cap = _native.sequence_caps(objs)
    strings = d.strings
    label_one = _LabelOne(d)
    out = _native.graph_dump(
        objs, label_one, label_one.spec_for, strings.ids, strings.texts, d.skipped,
        d.module_ids, d.thread_frame_ids, d.module_dicts,
        d.labeler.instance_dicts, bool(gc.get_freeze_count()), list_cap,
        tuple_cap)
    n = len(objs)
    del objs, label_one
    d.skipped = None
    phase("pass")
    graph = HeapGraph()
    graph.impl = "native"
    graph.node_count = n
    for name, code in (("ids", "Q"), ("types", "i"), ("sizes", "I"),
                       ("edge_offsets", "I"), ("edge_targets", "Q"),
                       ("node_labels", "i"), ("edge_labels", "i")):
        values = array.array(code)
        values.frombytes(out.pop(name))
        setattr(graph, name, values)
    graph.flags = bytearray(out.pop("flags"))
    graph.edge_count = len(graph.edge_targets)
    graph.type_names = [type_name(tp) for tp in out.pop("type_list")]
    graph.strings = out.pop("strings")
    del out
    phase("arrays")
    graph.seconds = phase.clock() - phase.started
    return graph
