"""The live server: JSON lines over a Unix socket (docs/protocol.md).

One daemon thread accepts connections on <dir>/<pid>.sock in a private
per-user directory; each connection gets a daemon thread that reads one JSON
request per line and writes one JSON reply per line. Requests select an
operation from a fixed table; nothing received is ever evaluated. The
threads block in poll()/recv() while idle: no timers, no busy waiting.
"""

import atexit
import json
import os
import re
import select
import socket
import stat
import struct
import sys
import threading
import time
from itertools import accumulate

from ._census import AGENT_VERSION, census
from ._threads import AgentThread, add_fork_participant, \
    remove_fork_participant

__all__ = ["PROTOCOL_VERSION", "MAX_LINE", "socket_dir", "start_server",
           "stop_server", "server_address"]

PROTOCOL_VERSION = 1
MAX_LINE = 1 << 20          # bytes in one request line, newline excluded
_RECV_CHUNK = 1 << 16
_BACKLOG = 64
MAX_CONNECTIONS = 64        # threads are cheap, not free
_RESERVED_OPS = ()
_IMPORTED_AT = time.time()

# The server of this process (at most one).
_server = None
_server_lock = threading.Lock()
_PAUSED = object()
_hooks_registered = False


MAX_DEPTH = 64              # nesting of arrays and objects in one request
MAX_DIGITS = 40             # digits of one JSON integer

# Escapes, then string literals (skipped when counting brackets). The
# closing quote is optional: an unterminated string runs to the end of the
# line, so no match fails and backtracks (linear time).
_JSON_ESCAPE = re.compile(r'\\.', re.S)
_JSON_STRING = re.compile(r'"[^"]*"?')
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _nesting(text):
    """The deepest nesting of [ and { in a JSON text, found with C-level
    passes before json.loads sees it: json's decoder recurses once per
    level, and a program that raised its recursion limit would overflow
    the C stack on a line of 100,000 brackets."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub(
        "", _JSON_ESCAPE.sub("", text)))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)),
               default=0)


def _parse_int(text):
    # int() of a huge digit string is quadratic before Python 3.11 (and
    # refused after it): a bounded request has bounded numbers.
    if len(text) > MAX_DIGITS:
        raise ValueError("integer with %d digits" % len(text))
    return int(text)


IDLE_SECONDS = 300.0        # a connection silent this long is closed
CHECK_SECONDS = 2.0         # how often an idle server checks its descriptors


def fd_identity(fd):
    """(device, inode) of an open descriptor, None when it is closed."""
    try:
        st = os.fstat(fd)
    except (OSError, ValueError, TypeError):
        return None
    return (st.st_dev, st.st_ino)


class OwnedFd(object):
    """A descriptor the agent created, with the identity it had then. The
    program may close any descriptor (os.closerange(3, ...) in daemons) and
    reuse the number for its own files: before each use the agent checks
    the number still names its object, and never writes to or closes one
    that does not."""

    __slots__ = ("fd", "identity")

    def __init__(self, fd):
        self.fd = fd
        self.identity = fd_identity(fd)

    def ours(self):
        return self.identity is not None and \
            fd_identity(self.fd) == self.identity

    def close(self):
        if self.ours():
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.identity = None


def release_socket(sock, owned):
    """Close sock if its descriptor is still ours, else let go of the
    number without closing it (the socket object would close it when
    freed)."""
    try:
        if owned.ours():
            sock.close()
        else:
            sock.detach()
    except OSError:
        pass
    owned.identity = None


class ProtocolError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


def socket_dir():
    """The directory for this user's sockets: $LEAKSCOPE_SOCKET_DIR, else
    $XDG_RUNTIME_DIR/leakscope when XDG_RUNTIME_DIR is usable, else
    /tmp/leakscope-<uid>."""
    override = os.environ.get("LEAKSCOPE_SOCKET_DIR")
    if override:
        return os.path.abspath(override)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        try:
            st = os.stat(runtime)
            if (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
                    and os.access(runtime, os.W_OK | os.X_OK)):
                return os.path.join(runtime, "leakscope")
        except OSError:
            pass
    return "/tmp/leakscope-%d" % os.getuid()


def _private_dir(path):
    """Create path with mode 0700 if missing, then insist it is a real
    directory of ours that nobody else can enter."""
    try:
        os.mkdir(path, 0o700)
        created = True
    except FileExistsError:
        created = False
    except OSError as exc:
        raise RuntimeError("cannot create socket directory %s: %s"
                           % (path, exc.strerror or exc))
    if created:
        # mkdir's mode is filtered by the umask; a strange umask must not
        # leave us with less (or, with chmod, more) than 0700.
        os.chmod(path, 0o700)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise RuntimeError("refusing socket directory %s: it is a symbolic "
                           "link" % path)
    if not stat.S_ISDIR(st.st_mode):
        raise RuntimeError("refusing socket directory %s: not a directory"
                           % path)
    if st.st_uid != os.getuid():
        raise RuntimeError("refusing socket directory %s: owned by uid %d, "
                           "not by this user (uid %d)"
                           % (path, st.st_uid, os.getuid()))
    if st.st_mode & 0o077:
        raise RuntimeError("refusing socket directory %s: mode %04o lets "
                           "group or others in (must be 0700)"
                           % (path, stat.S_IMODE(st.st_mode)))


def _process_start_time():
    """Process start in epoch seconds, from /proc; the agent's import time
    where /proc is missing."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
        start_ticks = int(fields[19])
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    boot = int(line.split()[1])
                    return boot + start_ticks / float(os.sysconf("SC_CLK_TCK"))
    except Exception:
        pass
    return _IMPORTED_AT


def _peer_uid(sock):
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                struct.calcsize("3i"))
        return struct.unpack("3i", creds)[1]
    except OSError:
        return None


class Connection(object):
    """One client: reads request lines, answers each in order."""

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.owned = OwnedFd(sock.fileno())
        self.busy = False
        self.last_active = time.monotonic()
        self.buffer = bytearray()
        self.request = None
        self.thread = AgentThread(Connection.serve, self)

    def send(self, message):
        data = json.dumps(message, separators=(",", ":"), allow_nan=False)
        data = data.encode("ascii") + b"\n"
        flags = getattr(socket, "MSG_NOSIGNAL", 0)
        self.sock.sendall(data, flags)

    def serve(self):
        try:
            if self._serve() is _PAUSED and self.server.fork_paused(self):
                return  # a fork: a new thread goes on with the socket
        except OSError:
            pass  # the client went away or the server is stopping
        self.buffer = bytearray()
        self.request = None
        self.server.forget(self)
        release_socket(self.sock, self.owned)

    def _wait(self):
        """Until the client sends something (True), the server's wake-up
        pipe is written (a fork or a stop: _PAUSED or False) or the
        connection was idle IDLE_SECONDS (False)."""
        server = self.server
        remaining = self.last_active + IDLE_SECONDS - time.monotonic()
        if remaining <= 0:
            return False
        if not server.wake_r.ours():
            return True  # recv alone, with its timeout
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(server.wake_r.fd, select.POLLIN)
        try:
            events = poller.poll(remaining * 1000)
        except InterruptedError:
            return None
        woken = server.wake_r.fd in [fd for fd, _ in events]
        if woken and server.paused:
            return _PAUSED
        if woken and server.stopping:
            return False
        if events and not woken:
            return True
        return None if woken or events else False

    def _serve(self):
        # An idle client is dropped after IDLE_SECONDS: a pile of silent
        # connections must not keep the slots from everyone else.
        self.sock.settimeout(IDLE_SECONDS)
        while True:
            newline = self.buffer.find(b"\n")
            if newline < 0:
                if len(self.buffer) > MAX_LINE:
                    self._too_large()
                    return
                if not self.owned.ours():
                    return
                if hasattr(select, "poll"):
                    ready = self._wait()
                    if ready is _PAUSED:
                        return ready
                    if ready is None:
                        continue
                    if not ready:
                        return
                try:
                    chunk = self.sock.recv(_RECV_CHUNK)
                except socket.timeout:
                    return
                if not chunk:
                    return  # a line cut off by a disconnect is dropped
                self.last_active = time.monotonic()
                self.buffer.extend(chunk)
                continue
            if newline > MAX_LINE:
                self._too_large()
                return
            line = bytes(self.buffer[:newline])
            del self.buffer[:newline + 1]
            if line.strip():
                self.busy = True
                try:
                    reply = self.server.answer(self, line)
                finally:
                    self.busy = False
                if not self.owned.ours():
                    return
                self.send(reply)
                # A reply's lists and dicts must not outlive it: the next
                # op would list them as the program's objects.
                del reply
                self.last_active = time.monotonic()
                if self.server.stop_requested:
                    stop_server()  # after the reply: detach asked for it
                    return

    def kick(self):
        """Make serve() end (its recv returns) without closing the
        descriptor under it."""
        try:
            if self.owned.ours():
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _too_large(self):
        self.send({"id": None, "error": {
            "code": "too_large",
            "message": "request line longer than %d bytes; closing the "
                       "connection" % MAX_LINE}})
        # Closing with unread input makes the kernel send a reset, which can
        # destroy the reply before the client reads it: end our side, then
        # swallow what the client still sends, briefly and boundedly.
        self.buffer = bytearray()
        self.sock.shutdown(socket.SHUT_WR)
        self.sock.settimeout(1.0)
        drained = 0
        while drained < 8 * MAX_LINE:
            try:
                chunk = self.sock.recv(_RECV_CHUNK)
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            drained += len(chunk)


class Server(object):
    def __init__(self, path):
        self.path = path
        self.pid = os.getpid()
        self.started_at = _process_start_time()
        self.connections = set()
        self._lock = threading.Lock()
        self._stopping = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self.wake_r = OwnedFd(self._wake_r)
        self.wake_w = OwnedFd(self._wake_w)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.owned = OwnedFd(self.sock.fileno())
        self.path_identity = None
        self.gone = False
        self.thread = None
        self.ops = {
            "hello": self.op_hello,
            "ping": self.op_ping,
            "census": self.op_census,
            "backrefs": self.op_backrefs,
            "chain": self.op_chain,
            "instances": self.op_instances,
            "object": self.op_object,
            "graph_dump": self.op_graph_dump,
            "stop_server": self.op_stop_server,
        }
        self.stop_requested = False
        # A fork in progress (3.12+, _threads): the threads end, keeping
        # their sockets, and start again after it.
        self.paused = False
        self._accept_ended = False
        self._paused_connections = []

    @property
    def stopping(self):
        return self._stopping

    def fork_pause(self):
        with self._lock:
            if self._stopping or self.thread is None:
                return []
            self.paused = True
            threads = [self.thread] + [c.thread for c in self.connections]
        if self.wake_w.ours():
            try:
                os.write(self._wake_w, b"p")
            except OSError:
                pass
        return threads

    def fork_paused(self, connection):
        """A connection's thread ends for a fork; False when the fork is
        over already (the thread then closes the connection)."""
        with self._lock:
            if not self.paused or self._stopping:
                return False
            self._paused_connections.append(connection)
            return True

    def fork_resume(self):
        self._drain()
        with self._lock:
            self.paused = False
            connections, self._paused_connections = \
                self._paused_connections, []
            restart = self._accept_ended and not self._stopping
            self._accept_ended = False
        if restart:
            self.thread = AgentThread(Server._accept_loop, self).start(
                wait=False)
        for connection in connections:
            connection.thread = AgentThread(Connection.serve, connection)
            connection.thread.start(wait=False)

    def _drain(self):
        if self.wake_r.ours():
            try:
                while os.read(self._wake_r, 64):
                    pass
            except OSError:
                pass

    def listen(self):
        # Bound and listening under a temporary name, then renamed into
        # place: a client that finds <pid>.sock can connect at once (between
        # bind() and listen() it would be refused).
        staging = self.path + ".new"
        for path in (self.path, staging):
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue
            # Our private directory, our pid: a socket left by a dead
            # process that had this pid before us.
            if not stat.S_ISSOCK(st.st_mode):
                raise RuntimeError("refusing to replace %s: not a socket"
                                   % path)
            if path == staging:
                os.unlink(path)
        self.sock.bind(staging)
        try:
            # The 0700 directory keeps others out while the socket briefly
            # has the umask's mode.
            os.chmod(staging, 0o600)
            self.sock.listen(_BACKLOG)
            os.rename(staging, self.path)
        except BaseException:
            try:
                os.unlink(staging)
            except OSError:
                pass
            raise
        st = os.lstat(self.path)
        self.path_identity = (st.st_dev, st.st_ino)
        # Non-blocking: accept() after a poll timeout must not wait.
        self.sock.setblocking(False)
        self.thread = AgentThread(Server._accept_loop, self).start()

    def _wait_readable(self):
        """Block until a client connects, stop() writes the wake-up pipe or
        CHECK_SECONDS pass; True when woken by the pipe. poll() has no limit
        on descriptor numbers, unlike select() (a program with 1024 open
        files is not unusual)."""
        listen_fd = self.sock.fileno()
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(listen_fd, select.POLLIN)
            poller.register(self._wake_r, select.POLLIN)
            try:
                events = poller.poll(CHECK_SECONDS * 1000)
            except InterruptedError:
                return False
            return self._wake_r in [fd for fd, _ in events]
        ready = select.select([listen_fd, self._wake_r], [], [],
                              CHECK_SECONDS)[0]
        return self._wake_r in ready

    def _accept_loop(self):
        while not self._stopping:
            try:
                woken = self._wait_readable()
            except (OSError, ValueError):
                woken = True
            if self._stopping:
                return
            if not (self.owned.ours() and self.wake_r.ours()):
                # The program closed our descriptors (a daemon's
                # closerange): the server is gone. Touch none of those
                # numbers again; they may be the program's files by now.
                self._abandon()
                return
            if woken:
                with self._lock:
                    if self.paused:
                        self._accept_ended = True
                        return
                if not self._stopping:
                    self._drain()
                continue
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            uid = _peer_uid(client)
            if uid is not None and uid != os.getuid() and uid != 0:
                client.close()
                continue
            connection = Connection(self, client)
            with self._lock:
                if self._stopping:
                    client.close()
                    return
                crowded = len(self.connections) >= MAX_CONNECTIONS
                if crowded:
                    # Make room by dropping the connection idle longest:
                    # idle clients must not lock everyone else out.
                    idle = [c for c in self.connections if not c.busy]
                    if idle:
                        oldest = min(idle, key=lambda c: c.last_active)
                        self.connections.discard(oldest)
                        oldest.kick()
                        crowded = False
                if not crowded:
                    self.connections.add(connection)
            if crowded:
                try:
                    connection.send({"id": None, "error": {
                        "code": "too_many_connections",
                        "message": "%d connections are open already; "
                                   "closing this one" % MAX_CONNECTIONS}})
                except OSError:
                    pass
                client.close()
                continue
            del client
            connection.thread.start()
            del connection

    def forget(self, connection):
        with self._lock:
            self.connections.discard(connection)

    def answer(self, connection, line):
        """The reply to one request line (a dict, ready to send)."""
        request_id = None
        try:
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError("bad_json", "request is not UTF-8: %s"
                                    % exc)
            depth = _nesting(text)
            if depth > MAX_DEPTH:
                raise ProtocolError("bad_json", "request nests %d levels "
                                    "deep (at most %d)" % (depth, MAX_DEPTH))
            try:
                request = json.loads(text, parse_int=_parse_int)
            except (ValueError, RecursionError) as exc:
                raise ProtocolError("bad_json", "request is not JSON: %s"
                                    % exc)
            if not isinstance(request, dict):
                raise ProtocolError("bad_request", "request must be a JSON "
                                    "object")
            raw_id = request.get("id")
            if isinstance(raw_id, (int, str)) and not isinstance(raw_id, bool):
                request_id = raw_id
            elif raw_id is not None:
                raise ProtocolError("bad_request", "id must be an integer or "
                                    "a string")
            op = request.get("op")
            if not isinstance(op, str):
                raise ProtocolError("bad_request", "request has no op")
            handler = self.ops.get(op)
            if handler is None:
                if op in _RESERVED_OPS:
                    raise ProtocolError("not_implemented", "op %r is not "
                                        "implemented by agent %s"
                                        % (op, AGENT_VERSION))
                raise ProtocolError("unknown_op", "unknown op %r" % op[:100])
            connection.request = request
            try:
                result = handler(request)
            finally:
                connection.request = None
            return {"id": request_id, "result": result}
        except ProtocolError as exc:
            return {"id": request_id,
                    "error": {"code": exc.code, "message": exc.message}}
        except Exception as exc:
            return {"id": request_id, "error": {
                "code": "internal",
                "message": "%s: %s" % (type(exc).__name__, exc)}}

    def op_ping(self, request):
        return {"pong": True, "time": time.time()}

    def op_hello(self, request):
        now = time.time()
        return {
            "protocol": PROTOCOL_VERSION,
            "agent": AGENT_VERSION,
            "pid": os.getpid(),
            "python": "%d.%d.%d" % sys.version_info[:3],
            "implementation": sys.implementation.name,
            "argv": [str(a) for a in sys.argv],
            "executable": sys.executable or "",
            "started_at": self.started_at,
            "uptime": max(now - self.started_at, 0.0),
            "ops": sorted(list(self.ops) + list(_RESERVED_OPS)),
        }

    def op_census(self, request):
        collect = request.get("collect", True)
        if not isinstance(collect, bool):
            raise ProtocolError("bad_request", "collect must be true or false")
        remember = _param(request, "remember_ids", bool, False)
        with_containers = _param(request, "containers", bool, False)
        containers = None
        if with_containers:
            # The container pass of a snapshot, under the lock a snapshot
            # holds: its result (and the previous lengths it remembers)
            # is this census's alone.
            from . import _census, _containers
            with _census.LOCK:
                types, meta = census(collect=collect, scan=_containers.scan)
                result = _containers.take_result()
            containers = []
            if result is not None:
                meta["containers"] = result["meta"]
                containers = [
                    [r["id"], r["type"], r["kind"], r["items"], r["size"],
                     r["payload"], bool(r["estimated"]), r["previous"],
                     r["held_by"], r["holder_kind"], r["holder_type"]]
                    for r in result["rows"]]
            del result
        else:
            types, meta = census(collect=collect)
        if remember:
            from ._refs import remember_ids
            meta["remembered_ids"] = remember_ids()
        rows = [[name, count, size] for name, (count, size) in types.items()]
        del types
        rows.sort(key=lambda row: -row[1])
        reply = {
            "taken_at": meta["taken_at"],
            "pid": meta["pid"],
            "rss": meta["rss"],
            "gc_objects": meta["gc_objects"],
            "gc_garbage": meta["gc_garbage"],
            "meta": meta,
            "types": rows,
        }
        if containers is not None:
            reply["containers"] = containers
        return reply

    def _live(self, function, *args, **kwargs):
        from ._refs import LiveError
        try:
            return function(*args, **kwargs)
        except LiveError as exc:
            raise ProtocolError(exc.code, exc.message)

    def op_backrefs(self, request):
        from . import _refs
        name, ids = _target(request, many=True)
        return self._live(
            _refs.backrefs, name, ids,
            k=_param(request, "k", int, 3, 1, 1000),
            depth=_param(request, "depth", int, 4, 0, 1000),
            max_nodes=_param(request, "max_nodes", int, 200, 1, 100000),
            fan_in=_param(request, "fan_in", int, 10, 1, 100000),
            baseline_ids=_int_list(request, "baseline_ids", 10000000),
            use_baseline=_param(request, "baseline", bool, True),
            skip_cycles=_param(request, "skip_cycles", bool, False),
            offset=_param(request, "offset", int, 0, 0, 10000000))

    def op_chain(self, request):
        from . import _refs
        name, oid = _target(request, many=False)
        return self._live(_refs.chain_to_root, name, oid)

    def op_instances(self, request):
        from . import _refs
        name = _param(request, "type", str, None)
        if not name:
            raise ProtocolError("bad_request", "instances needs a type name")
        return self._live(_refs.instances, name,
                          _param(request, "offset", int, 0, 0, 1 << 62),
                          _param(request, "limit", int, 50, 0, 100000))

    def op_object(self, request):
        from . import _refs
        oid = _param(request, "object_id", int, None, 0, 1 << 64)
        if oid is None:
            raise ProtocolError("bad_request", "object needs an object_id")
        return self._live(_refs.object_info, oid)

    def op_graph_dump(self, request):
        from ._record import snapshot
        path = _param(request, "path", str, None)
        if not path or not os.path.isabs(path) or "\0" in path:
            raise ProtocolError("bad_request", "graph_dump needs an absolute "
                                "path")
        label = _param(request, "label", str, None)
        collect = _param(request, "collect", bool, True)
        try:
            snapshot_id = snapshot(path, label=label, collect=collect,
                                   graph=True)
        except (ValueError, RuntimeError) as exc:
            raise ProtocolError("write_failed", str(exc))
        return {"snapshot_id": snapshot_id, "path": path}

    def op_stop_server(self, request):
        # The reply goes out first; then the connection stops the server.
        self.stop_requested = True
        return {"stopping": True, "path": self.path}

    def stop(self, unlink=True):
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            connections = list(self.connections)
        if self.wake_w.ours():
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass
        thread = self.thread
        if thread is not None:
            thread.join(5.0)
        for connection in connections:
            connection.kick()
        release_socket(self.sock, self.owned)
        self.wake_r.close()
        self.wake_w.close()
        if unlink and os.getpid() == self.pid:
            self._unlink()

    def _unlink(self):
        """Remove the socket file if it is still the one we bound."""
        try:
            st = os.lstat(self.path)
            if stat.S_ISSOCK(st.st_mode) and \
                    (st.st_dev, st.st_ino) == self.path_identity:
                os.unlink(self.path)
        except OSError:
            pass

    def _abandon(self):
        """Our listening socket or wake-up pipe was closed behind our back:
        stop serving, let go of every descriptor without closing the
        numbers, and remove the socket file so clients no longer list a
        server that cannot answer."""
        global _server
        with self._lock:
            self._stopping = True
            self.gone = True
        release_socket(self.sock, self.owned)
        self.wake_r.close()
        self.wake_w.close()
        if os.getpid() == self.pid:
            self._unlink()
        remove_fork_participant(self)
        with _server_lock:
            if _server is self:
                _server = None


def _param(request, name, kind, default, low=None, high=None):
    """A parameter of the expected JSON type (bool is not an int), within
    [low, high] for ints; default when absent or null."""
    value = request.get(name)
    if value is None:
        return default
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ProtocolError("bad_request", "%s must be %s" % (name, {
            int: "an integer", bool: "true or false",
            str: "a string"}.get(kind, kind.__name__)))
    if kind is int and ((low is not None and value < low) or
                        (high is not None and value > high)):
        raise ProtocolError("bad_request", "%s must be between %d and %d"
                            % (name, low, high))
    return value


def _int_list(request, name, limit):
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > limit or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ProtocolError("bad_request", "%s must be a list of integers"
                            % name)
    return value


def _target(request, many):
    """(type name, None) or (None, ids / id) from a request."""
    name = _param(request, "type", str, None)
    if many:
        ids = _int_list(request, "ids", 10000)
        if (name is None) == (ids is None) or (ids is not None and not ids):
            raise ProtocolError("bad_request", "give either type (a type "
                                "name) or ids (a list of object ids)")
        return name, ids
    oid = _param(request, "object_id", int, None, 0, 1 << 64)
    if (name is None) == (oid is None):
        raise ProtocolError("bad_request", "give either type (a type name) "
                            "or object_id (an object id)")
    return name, oid


def server_address():
    """The socket path of the running server, or None."""
    server = _server
    return server.path if server is not None else None


def start_server():
    """Start serving (idempotent); returns the socket path. Raises
    RuntimeError for an unsafe socket directory or a failing bind."""
    global _server, _hooks_registered
    with _server_lock:
        if _server is not None:
            return _server.path
        directory = socket_dir()
        _private_dir(directory)
        path = os.path.join(directory, "%d.sock" % os.getpid())
        if len(path.encode(sys.getfilesystemencoding(), "replace")) > 100:
            raise RuntimeError("socket path %s is too long for a Unix socket"
                               % path)
        server = Server(path)
        try:
            server.listen()
        except Exception as exc:
            server.stop(unlink=False)
            raise RuntimeError("cannot serve on %s: %s" % (path, exc))
        _server = server
        add_fork_participant(server)
        if not _hooks_registered:
            _hooks_registered = True
            atexit.register(stop_server)
            if hasattr(os, "register_at_fork"):
                os.register_at_fork(after_in_child=_forget_in_child)
        return path


def stop_server():
    """Stop serving and remove the socket (idempotent)."""
    global _server
    with _server_lock:
        server, _server = _server, None
    if server is not None:
        remove_fork_participant(server)
        server.stop(unlink=True)


def _forget_in_child():
    # A forked child has no server thread; the socket is the parent's. The
    # lock may have been held by a thread the child does not have.
    global _server, _server_lock
    _server_lock = threading.Lock()
    server, _server = _server, None
    if server is not None:
        server.wake_r.close()
        server.wake_w.close()
        release_socket(server.sock, server.owned)
