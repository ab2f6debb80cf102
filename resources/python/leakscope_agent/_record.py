"""Recording machinery shared by `python3 -m leakscope_agent run` and the
sitecustomize hook that `leakscope-cli record` installs.

A Recorder takes a "start" snapshot, optionally one every S seconds from a
daemon thread, and an "exit" snapshot from atexit, while the program's
module globals are still alive.
"""

import atexit
import gc
import os
import sys
import threading
import time

from . import _containers, _trace
from ._census import LOCK, census
from ._lsnap import append_snapshot
from ._threads import AgentThread, add_fork_participant
from ._warn import warn

__all__ = ["Recorder", "active_recorder", "snapshot", "warn"]

# The recorder of this process, if any (one per process).
_active = None


def active_recorder():
    return _active


def dump_graph_locked():
    """The heap graph, under the census lock. Automatic collection stays
    as the program has it and its threads keep running: the dump holds
    its own references to what it lists (see _graph.dump_graph)."""
    from ._graph import dump_graph
    with LOCK:
        return dump_graph()


def _phase(since):
    """Wall and thread CPU seconds since `since` ((perf_counter,
    thread_cpu) pair)."""
    return {"seconds": time.perf_counter() - since[0],
            "cpu_seconds": _trace.thread_cpu() - since[1]}


def _now():
    return time.perf_counter(), _trace.thread_cpu()


def _extra(meta):
    """The container pass' result and, in a traced process, the
    tracemalloc statistics: the optional tables of the snapshot."""
    result = _containers.take_result()
    extra = {"containers": (), "objects": (), "stats": (), "functions": {}}
    if result is not None:
        extra["containers"] = result["rows"]
        extra["objects"] = result["objects"]
        meta["containers"] = result["meta"]
    if _trace.is_tracing():
        try:
            stats, trace_meta = _trace.statistics()
        except Exception as exc:
            stats, trace_meta = None, {"tracing": True, "error": "%s: %s" % (
                type(exc).__name__, exc)}
        if stats is not None:
            extra["stats"] = stats
            started = _now()
            # The allocating lines first: objects' newest, then the
            # largest statistics; callers' frames after them.
            frames = [tb[0] for tb in (o[4] for o in extra["objects"]) if tb]
            frames.extend(tb[0] for _, _, tb in stats if tb)
            for tb in (o[4] for o in extra["objects"]):
                frames.extend(tb or ())
            for _, _, tb in stats:
                frames.extend(tb)
            extra["functions"] = _trace.function_names(
                frames, started[0] + _trace.FUNCTION_BUDGET)
            functions = _phase(started)
            trace_meta["function_seconds"] = functions["seconds"]
            trace_meta["function_cpu_seconds"] = functions["cpu_seconds"]
        if trace_meta is not None:
            meta["tracemalloc"] = trace_meta
    return extra


def _trace_phases(meta, census_phase):
    """A traced process' snapshot says what each of its phases cost (wall
    and thread CPU): the census (with its gc.collect() and container pass,
    which includes the object tracebacks), the statistics and the naming
    of functions; the write adds itself (_lsnap.append_snapshot)."""
    trace_meta = meta.get("tracemalloc")
    if not isinstance(trace_meta, dict):
        return
    phases = {"census": census_phase}
    objects = _trace.take_object_meta()
    if objects is not None:
        phases["object_tracebacks"] = objects
    if "cpu_seconds" in trace_meta:
        phases["statistics"] = {"seconds": trace_meta["seconds"],
                                "cpu_seconds": trace_meta["cpu_seconds"]}
    if "function_cpu_seconds" in trace_meta:
        phases["functions"] = {
            "seconds": trace_meta["function_seconds"],
            "cpu_seconds": trace_meta["function_cpu_seconds"]}
    trace_meta["phases"] = phases


def snapshot(path, label=None, collect=True, graph=False):
    """Append one snapshot of this process to the .lsnap file at path
    (created if missing) and return its id; with graph, the heap graph
    too."""
    # One lock around census and write: no other census of this process
    # sees the SQLite objects of a write in progress.
    with LOCK:
        started = _now()
        types, meta = census(collect=collect, scan=_containers.scan)
        census_phase = _phase(started)
        extra = _extra(meta)
        _trace_phases(meta, census_phase)
        heap = None
        if graph:
            heap = dump_graph_locked()
            meta["graph_seconds"] = heap.seconds
            meta["graph_nodes"] = heap.node_count
            meta["graph_edges"] = heap.edge_count
            meta["graph_impl"] = heap.impl
        try:
            return append_snapshot(path, types, meta, label, graph=heap,
                                   extra=extra)
        finally:
            del heap, extra


class Recorder(object):
    """Snapshots at start, every `every` seconds, and at exit."""

    def __init__(self, output, every=0.0, collect=True, label_prefix="",
                 serve=False, graph=False):
        self.output = os.path.abspath(output.replace("{pid}", str(os.getpid())))
        self.every = float(every or 0.0)
        self.collect = bool(collect)
        self.label_prefix = label_prefix or ""
        self.serve = bool(serve)
        self.graph = bool(graph)
        self.pid = os.getpid()
        self.count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = None
        self._n = 0
        self._due = 0.0
        self._paused = False
        self._ended_for_fork = False
        self._fork_lock = threading.Lock()
        self._finished = False
        self._errors = set()
        self._stopped_server = None

    def _label(self, text):
        return self.label_prefix + text

    def take(self, text, strict=False):
        """Take one snapshot; errors are reported once each, never raised
        unless strict."""
        with self._lock:
            try:
                snapshot_id = snapshot(self.output, self._label(text),
                                       self.collect, self.graph)
            except Exception as exc:
                if strict:
                    raise
                message = str(exc)
                if message not in self._errors:
                    self._errors.add(message)
                    warn(message)
                return None
            self.count += 1
            return snapshot_id

    def start(self, strict=False):
        """Take the "start" snapshot, start the periodic thread and register
        the exit snapshot. With strict, a failing first snapshot raises (run
        mode stops before the script runs); otherwise it is reported."""
        global _active
        # Active (reachable from this module) before the first census: the
        # census leaves out what the agent's modules reach, and the
        # recorder's __dict__ is no object of the program's.
        previous, _active = _active, self
        try:
            self.take("start", strict=strict)
        except BaseException:
            _active = previous
            raise
        if self.serve:
            try:
                from ._server import start_server
                start_server()
            except Exception as exc:
                warn("cannot start the live server: %s" % (exc,))
        if self.every > 0:
            self._due = time.monotonic() + self.every
            self._thread = AgentThread(Recorder._run, self).start()
            add_fork_participant(self)
        atexit.register(self.finish)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget_in_child)
        _active = self

    def _run(self):
        # Event.wait with a timeout is the schedule itself, not a poll: the
        # thread sleeps until the next snapshot is due, or finish() or a
        # fork (_threads) wakes it. The schedule outlives a fork's pause.
        while True:
            self._wake.wait(max(0.0, self._due - time.monotonic()))
            if self._stop.is_set():
                return
            if self._paused:
                with self._fork_lock:
                    if self._paused:
                        self._ended_for_fork = True
                        return
            if self._wake.is_set():
                self._wake.clear()
                continue
            if time.monotonic() < self._due:
                continue
            self._n += 1
            self.take("every %gs #%d" % (self.every, self._n))
            self._due = time.monotonic() + self.every

    def fork_pause(self):
        thread = self._thread
        if thread is None or self._finished:
            return []
        self._paused = True
        self._wake.set()
        return [thread]

    def fork_resume(self):
        with self._fork_lock:
            self._paused = False
            restart = self._ended_for_fork and not self._finished
            self._ended_for_fork = False
            if restart:
                self._wake.clear()
                self._thread = AgentThread(Recorder._run, self).start(
                    wait=False)

    def _forget_in_child(self):
        # A forked child shares the file name but is not the recorded
        # process: its atexit must not add an "exit" snapshot.
        global _active
        self._finished = True
        self._lock = threading.Lock()
        self._stop.set()
        _active = None

    def finish(self):
        """Stop the periodic thread and take the "exit" snapshot (atexit)."""
        global _active
        if self._finished or os.getpid() != self.pid:
            return
        self._finished = True
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(BUSY_JOIN_SECONDS)
        if self.serve:
            # The exit snapshot is the program's last word: a live census
            # answered while or after it is taken would be newer than it and
            # end the recording in the viewer on a half-exited process.
            # (The server's own atexit hook comes later, and does nothing.)
            # The stopped server stays reachable from the recorder (what
            # the agent's modules reach is left out of every snapshot), so
            # its sockets and threads never show up in the exit snapshot.
            # Its connections too: a connection's thread may still be
            # ending after the server let go of it.
            try:
                from . import _server
                server = _server._server
                connections = []
                if server is not None:
                    with server._lock:
                        connections = list(server.connections)
                self._stopped_server = (server, connections)
                _server.stop_server()
            except Exception as exc:
                warn("cannot stop the live server: %s" % (exc,))
        self.take("exit")
        if _active is self:
            _active = None


BUSY_JOIN_SECONDS = 120.0
