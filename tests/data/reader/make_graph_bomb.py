"""Add a heap-graph "memory bomb" to snapshot 1 of an existing .lsnap file,
written from docs/file-format.md with sqlite3 and zlib, independently of
Leakscope's writer. Used by tst_heapgraphstore and for issue 12 measurements.

    make_graph_bomb.py PATH KIND COUNT

KIND nodes: node_count = COUNT, no edges, every array a valid zlib stream of
    zeros of exactly the length the counts imply (ids all 0).
KIND edges: 2 nodes with distinct ids, edge_count = COUNT, all edges from
    node 0 to node 1 (offsets 0, COUNT, COUNT), targets and labels zeros.
Zero runs are compressed once per MiB (full flush) and the block repeated, so
a file of a few MB claims gigabytes; the adler32 at the end is computed for
the whole stream, so every array is a valid zlib stream of the right length.
Prints the file size.
"""

import os
import sqlite3
import struct
import sys
import zlib

MIB = 1 << 20


def zeros_stream(length, prefix=b""):
    """A zlib stream of prefix + zeros up to length bytes, built in O(MiB)."""
    c = zlib.compressobj(9)
    out = [c.compress(prefix[:length]), c.flush(zlib.Z_FULL_FLUSH)]
    left = length - min(len(prefix), length)
    if left >= MIB:
        block = c.compress(b"\0" * MIB) + c.flush(zlib.Z_FULL_FLUSH)
        out.append(block * (left // MIB))
        left %= MIB
    out.append(c.compress(b"\0" * left))
    out.append(c.flush())
    stream = b"".join(out)
    # adler32 of prefix + zeros: zeros leave a alone and add a to b each.
    head = prefix[:length]
    checksum = zlib.adler32(head)
    a, b = checksum & 0xFFFF, checksum >> 16
    b = (b + (length - len(head)) * a) % 65521
    return stream[:-4] + struct.pack(">I", (b << 16) | a)


def main():
    path, kind, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = sqlite3.connect(path)
    db.executescript("""
CREATE TABLE IF NOT EXISTS graph(snapshot INTEGER PRIMARY KEY REFERENCES snapshot(id), node_count INTEGER NOT NULL,
    edge_count INTEGER NOT NULL, compression TEXT NOT NULL, ids BLOB NOT NULL, types BLOB NOT NULL,
    sizes BLOB NOT NULL, flags BLOB NOT NULL, edge_offsets BLOB NOT NULL, edge_targets BLOB NOT NULL,
    target_encoding TEXT NOT NULL DEFAULT 'index');
CREATE TABLE IF NOT EXISTS graph_string(snapshot INTEGER NOT NULL, id INTEGER NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY(snapshot, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graph_label(snapshot INTEGER PRIMARY KEY REFERENCES snapshot(id),
    node_labels BLOB NOT NULL, edge_labels BLOB NOT NULL);
""")
    type_id = db.execute("SELECT min(id) FROM type").fetchone()[0]
    if kind == "nodes":
        n, m = count, 0
        ids = zeros_stream(8 * n)
        types = zeros_stream(4 * n, struct.pack("<i", type_id) * min(n, 1024))
        offsets = zeros_stream(4 * (n + 1))
        targets = zeros_stream(0)
    else:
        n, m = 2, count
        ids = zlib.compress(struct.pack("<QQ", 0x1000, 0x2000))
        types = zlib.compress(struct.pack("<ii", type_id, type_id))
        offsets = zlib.compress(struct.pack("<III", 0, m, m))
        targets = zeros_stream(4 * m, struct.pack("<I", 1))
    db.execute("DELETE FROM graph WHERE snapshot = 1")
    db.execute("DELETE FROM graph_label WHERE snapshot = 1")
    db.execute("INSERT INTO graph VALUES (1, ?, ?, 'zlib', ?, ?, ?, ?, ?, ?, 'index')",
               (n, m, ids, types, zeros_stream(4 * n), zeros_stream(n), offsets, targets))
    db.execute("INSERT INTO graph_label VALUES (1, ?, ?)", (zeros_stream(4 * n), zeros_stream(4 * m)))
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    print(os.path.getsize(path))


main()
