"""Leakscope's in-process agent: per-type object censuses of a Python
program, written to .lsnap files or served live over a Unix socket.

    import leakscope_agent
    leakscope_agent.snapshot("run.lsnap", label="after 100 requests")

    python3 -m leakscope_agent run --every 2 script.py args...

Standard library only, Python 3.8 or newer.
"""

from ._census import AGENT_VERSION as __version__
from ._census import census as _census_impl

__all__ = ["census", "snapshot", "start_server", "stop_server", "__version__"]


def census(collect=True):
    """Count the live gc-tracked objects per type.

    Returns (types, meta): types maps each type name ("dict",
    "__main__.Session", "collections.OrderedDict") to (count, shallow size
    in bytes); meta is the process metadata (pid, argv, Python version, RSS,
    gc counts, ...) as stored in a snapshot's meta_json. With collect,
    gc.collect() runs first (objgraph does the same); without it, objects
    that only cycles keep alive are counted too. The agent's own objects are
    left out.
    """
    return _census_impl(collect=collect)


def snapshot(path, label=None, collect=True, graph=False):
    """Append one snapshot of this process to the .lsnap file at path,
    creating it if needed, in one transaction, and return the snapshot id.
    With graph, the whole heap graph (objects, references, labels) is
    stored too, and the file becomes format version 3.

    Raises ValueError for a file that is not a Leakscope file or that a
    newer Leakscope wrote (the file is left untouched), RuntimeError when
    SQLite cannot write it.
    """
    from ._record import snapshot as _snapshot
    return _snapshot(path, label=label, collect=collect, graph=graph)


def start_server():
    """Serve this process's censuses on a Unix socket (docs/protocol.md)
    from a daemon thread; returns the socket path. Idempotent."""
    from ._server import start_server as _start
    return _start()


def stop_server():
    """Stop the live server and remove its socket. Idempotent."""
    from ._server import stop_server as _stop
    return _stop()
