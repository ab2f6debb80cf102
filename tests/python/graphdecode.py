"""A tiny decoder of the heap-graph tables (docs/file-format.md, "Heap
graphs (versions 2 and 3)"), written from the spec and independent of the agent,
to check what the agent writes."""

import array
import collections
import sqlite3
import sys
import zlib


class SpecError(AssertionError):
    pass


def _array(code, data, count, name):
    values = array.array(code)
    if len(data) != count * values.itemsize:
        raise SpecError("%s: %d bytes, expected %d x %d"
                        % (name, len(data), count, values.itemsize))
    values.frombytes(data)
    if sys.byteorder != "little":
        values.byteswap()
    return values


class Graph(object):
    def __init__(self, path, snapshot=None):
        conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self._load(conn, snapshot)
        finally:
            conn.close()

    def _load(self, conn, snapshot):
        self.version = conn.execute("PRAGMA user_version").fetchone()[0]
        encoding = ", target_encoding" if self.version >= 3 else ", 'index'"
        sql = ("SELECT snapshot, node_count, edge_count, compression, ids, "
               "types, sizes, flags, edge_offsets, edge_targets" + encoding +
               " FROM graph")
        row = conn.execute(sql + " WHERE snapshot = ?", (snapshot,)).fetchone() \
            if snapshot is not None else \
            conn.execute(sql + " ORDER BY snapshot DESC").fetchone()
        if row is None:
            raise SpecError("no graph row")
        self.snapshot, n, m, compression = row[:4]
        if compression not in ("none", "zlib"):
            raise SpecError("compression %r" % compression)
        raw = (lambda b: zlib.decompress(b)) if compression == "zlib" \
            else (lambda b: bytes(b))
        self.n, self.m = n, m
        self.ids = _array("Q", raw(row[4]), n, "ids")
        self.types = _array("i", raw(row[5]), n, "types")
        self.sizes = _array("I", raw(row[6]), n, "sizes")
        self.flags = raw(row[7])
        if len(self.flags) != n:
            raise SpecError("flags: %d bytes for %d nodes"
                            % (len(self.flags), n))
        self.offsets = _array("I", raw(row[8]), n + 1, "edge_offsets")
        self.target_encoding = row[10]
        if row[10] == "index":
            self.targets = _array("I", raw(row[9]), m, "edge_targets")
        elif row[10] == "id":
            target_ids = _array("Q", raw(row[9]), m, "edge_targets")
            index = dict(zip(self.ids, range(n)))
            if len(index) != n:
                raise SpecError("ids are not unique")
            missing = [t for t in target_ids if t not in index]
            if missing:
                raise SpecError("edge_targets: id 0x%x is no node" % missing[0])
            self.targets = array.array("I", map(index.__getitem__,
                                                target_ids))
        else:
            raise SpecError("target_encoding %r" % (row[10],))
        labels = conn.execute("SELECT node_labels, edge_labels FROM "
                              "graph_label WHERE snapshot = ?",
                              (self.snapshot,)).fetchone()
        self.node_labels = _array("i", raw(labels[0]), n, "node_labels")
        self.edge_labels = _array("i", raw(labels[1]), m, "edge_labels")
        rows = conn.execute("SELECT id, text FROM graph_string WHERE "
                            "snapshot = ? ORDER BY id",
                            (self.snapshot,)).fetchall()
        if [r[0] for r in rows] != list(range(len(rows))):
            raise SpecError("graph_string ids are not 0, 1, 2, ...")
        self.strings = [r[1] for r in rows]
        self.type_names = dict(conn.execute("SELECT id, name FROM type"))

    def check(self):
        """Every rule of the spec a reader checks."""
        n, m = self.n, self.m
        if self.offsets[0] != 0 or self.offsets[n] != m:
            raise SpecError("edge_offsets must run from 0 to m")
        for i in range(n):
            if self.offsets[i + 1] < self.offsets[i]:
                raise SpecError("edge_offsets[%d] decreases" % (i + 1))
        if m and max(self.targets) >= n:
            raise SpecError("an edge target is not a node")
        if len(set(self.ids)) != n:
            raise SpecError("ids are not unique")
        missing = set(self.types) - set(self.type_names)
        if missing:
            raise SpecError("type ids %s not in the type table" % missing)
        if any(f & ~0x0F for f in self.flags):
            raise SpecError("unknown flag bits")
        s = len(self.strings)
        for name, labels in (("node_labels", self.node_labels),
                             ("edge_labels", self.edge_labels)):
            if labels and (min(labels) < -1 or max(labels) >= s):
                raise SpecError("%s refer to missing strings" % name)

    def type_name(self, node):
        return self.type_names[self.types[node]]

    def label(self, node):
        k = self.node_labels[node]
        return self.strings[k] if k >= 0 else None

    def edge_label(self, edge):
        k = self.edge_labels[edge]
        return self.strings[k] if k >= 0 else None

    def nodes_of_type(self, name):
        wanted = set(t for t, n in self.type_names.items() if n == name)
        return [i for i in range(self.n) if self.types[i] in wanted]

    def out_edges(self, node):
        for e in range(self.offsets[node], self.offsets[node + 1]):
            yield e, self.targets[e]

    def chain(self, start):
        """Shortest chain from a root (any flag) to start, as
        [(node, label of the edge into it)], root first."""
        incoming = collections.defaultdict(list)
        for s in range(self.n):
            for e, t in self.out_edges(s):
                incoming[t].append((s, e))
        parent = {start: None}
        queue = collections.deque([start])
        while queue:
            x = queue.popleft()
            if self.flags[x] and x != start:
                path = []
                while x is not None:
                    step = parent[x]
                    path.append(x)
                    x = step[0] if step else None
                result = [(path[0], None)]
                for a, b in zip(path, path[1:]):
                    edge = [e for e, t in self.out_edges(a) if t == b][0]
                    result.append((b, self.edge_label(edge)))
                return result
            for s, e in incoming[x]:
                if s not in parent:
                    parent[s] = (x, e)
                    queue.append(s)
        return []
