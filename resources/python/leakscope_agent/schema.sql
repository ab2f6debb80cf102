-- The .lsnap schema (docs/file-format.md): the one source of it. The agent
-- reads this file (package data, next to _lsnap.py) and so does Leakscope
-- (compiled in as ":/lsnap/schema.sql", model/lsnap/lsnapformat.cpp). Each
-- section starts with a line "-- [name]"; its statements end with ';'.
-- Nothing else in this file runs.

-- [base] Every file: created with the file (format version 1).
CREATE TABLE meta(
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE snapshot(
    id         INTEGER PRIMARY KEY,
    label      TEXT,
    taken_at   REAL NOT NULL,
    pid        INTEGER NOT NULL,
    rss        INTEGER,
    gc_objects INTEGER NOT NULL,
    gc_garbage INTEGER NOT NULL,
    meta_json  TEXT NOT NULL
);
CREATE TABLE type(
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE type_count(
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    type     INTEGER NOT NULL REFERENCES type(id),
    count    INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    PRIMARY KEY(snapshot, type)
) WITHOUT ROWID;

-- [graph] Heap graphs: created by the first snapshot with one (version 3).
CREATE TABLE IF NOT EXISTS graph(
    snapshot        INTEGER PRIMARY KEY REFERENCES snapshot(id),
    node_count      INTEGER NOT NULL,
    edge_count      INTEGER NOT NULL,
    compression     TEXT NOT NULL,
    ids             BLOB NOT NULL,
    types           BLOB NOT NULL,
    sizes           BLOB NOT NULL,
    flags           BLOB NOT NULL,
    edge_offsets    BLOB NOT NULL,
    edge_targets    BLOB NOT NULL,
    target_encoding TEXT NOT NULL DEFAULT 'index'
);
CREATE TABLE IF NOT EXISTS graph_string(
    snapshot INTEGER NOT NULL,
    id       INTEGER NOT NULL,
    text     TEXT NOT NULL,
    PRIMARY KEY(snapshot, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graph_label(
    snapshot    INTEGER PRIMARY KEY REFERENCES snapshot(id),
    node_labels BLOB NOT NULL,
    edge_labels BLOB NOT NULL
);

-- [extra] Containers and allocations: optional, created by the first
-- snapshot that has them, without a version bump (a reader that does not
-- know them reads every other table unchanged).
CREATE TABLE IF NOT EXISTS container(
    snapshot          INTEGER NOT NULL REFERENCES snapshot(id),
    object_id         INTEGER NOT NULL,
    type              INTEGER NOT NULL REFERENCES type(id),
    kind              TEXT NOT NULL,
    items             INTEGER NOT NULL,
    size              INTEGER NOT NULL,
    payload_bytes     INTEGER,
    payload_estimated INTEGER NOT NULL,
    previous_items    INTEGER,
    held_by           TEXT,
    holder_kind       TEXT,
    holder_type       TEXT,
    PRIMARY KEY(snapshot, object_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_frame(
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    id       INTEGER NOT NULL,
    filename TEXT NOT NULL,
    lineno   INTEGER NOT NULL,
    function TEXT,
    PRIMARY KEY(snapshot, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_traceback(
    snapshot INTEGER NOT NULL REFERENCES snapshot(id),
    id       INTEGER NOT NULL,
    depth    INTEGER NOT NULL,
    frame    INTEGER NOT NULL,
    PRIMARY KEY(snapshot, id, depth)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alloc_stat(
    snapshot  INTEGER NOT NULL REFERENCES snapshot(id),
    rank      INTEGER NOT NULL,
    traceback INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY(snapshot, rank)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_traceback(
    snapshot     INTEGER NOT NULL REFERENCES snapshot(id),
    subject_kind TEXT NOT NULL,
    subject      TEXT NOT NULL,
    rank         INTEGER NOT NULL,
    object_id    INTEGER NOT NULL,
    object_type  INTEGER NOT NULL REFERENCES type(id),
    traceback    INTEGER,
    PRIMARY KEY(snapshot, subject_kind, subject, rank)
) WITHOUT ROWID;
