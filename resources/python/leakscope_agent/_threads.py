"""The agent's threads, started with _thread rather than threading.Thread:
they are not the program's, so threading.enumerate() and active_count()
see the program's threads only. A leaf module.

Python 3.12+ warns in os.fork() ("This process (pid=N) is multi-threaded,
use of fork() may lead to deadlocks in the child") when the process has more
than one OS thread (Linux counts them in /proc/self/stat), and our threads
are OS threads. So on 3.12+ the agent's threads are not there during a fork
of a program that is otherwise single-threaded: the fork hooks below ask
each participant (the live server, the recorder) to let its threads end,
wait for them (bounded), and start them again after the fork returns in
the parent. CPython 3.13 counts the threads after running the
after_in_parent hooks, so the restart waits for the first Python event of
the forking frame after os.fork() returned (a one-shot sys.monitoring
callback); where that is impossible the threads start again in the hook
and the warning is what it would be with them. A thread that does not end
in time stays (never waited for beyond FORK_JOIN_SECONDS). Children get no
agent thread (the participants forget themselves there).
"""

import _thread
import os
import sys
import time

__all__ = ["AgentThread", "add_fork_participant", "remove_fork_participant"]

# How long a fork waits for the agent's threads to end (a busy server thread
# finishes its reply first), and then for the OS to reap them.
FORK_JOIN_SECONDS = 5.0
OS_EXIT_SECONDS = 0.5

# Running agent threads (a dict used as a set, keyed by id).
_live = {}


class AgentThread(object):
    """A started thread running function(arg); join(timeout) waits for its end.
    The target must never call threading.current_thread() (that would
    register a dummy Thread for it)."""

    def __init__(self, function, arg):
        # A plain function and its arguments, not a bound method: a bound
        # method made for the thread would be an object of no module that
        # only the running frame holds, counted as the program's.
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self.ident = None
        self._target = function
        self._arg = arg

    def start(self, wait=True):
        """Start the thread and return once it runs (as Thread.start);
        without wait, at once (a restart after a fork: the forking thread
        need not wait until this one is scheduled)."""
        started = _thread.allocate_lock()
        started.acquire()
        _live[id(self)] = self
        try:
            self.ident = _thread.start_new_thread(AgentThread._main,
                                                  (self, started))
        except BaseException:
            _live.pop(id(self), None)
            raise
        if wait:
            started.acquire()
        return self

    def _main(self, started):
        started.release()
        del started
        try:
            self._target(self._arg)
        except BaseException:
            pass
        finally:
            self._target = self._arg = None
            _live.pop(id(self), None)
            self._done.release()

    def is_current(self):
        return self.ident == _thread.get_ident()

    def done(self):
        """True once the target returned."""
        if self._done.acquire(False):
            self._done.release()
            return True
        return False

    def join(self, timeout):
        if self.is_current():
            return
        if self._done.acquire(timeout=max(0.0, timeout)):
            self._done.release()


# Objects with fork_pause() -> [AgentThread that will end], and
# fork_resume(), which starts again what pause ended.
_participants = []
_paused = []
_armed = {}
_FORK_WARNS = sys.version_info >= (3, 12)
# Counters for the tests and the bench: forks seen, forks whose threads were
# paused, and how their restart happened ("deferred", "immediate").
stats = {"forks": 0, "paused": 0, "deferred": 0, "immediate": 0,
         "left_running": 0}


def add_fork_participant(obj):
    if obj not in _participants:
        _participants.append(obj)


def remove_fork_participant(obj):
    try:
        _participants.remove(obj)
    except ValueError:
        pass


def os_thread_count():
    """The process' OS threads as Linux counts them (/proc/self/stat,
    field 20, as CPython's warning does), or None."""
    try:
        fd = os.open("/proc/self/stat", os.O_RDONLY | getattr(
            os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        # The command name (field 2) may hold spaces and parentheses.
        return int(data[data.rindex(b")") + 2:].split()[17])
    except (ValueError, IndexError):
        return None


def _before_fork():
    stats["forks"] += 1
    if not _FORK_WARNS or not _participants or not _live:
        return
    try:
        ours = len(_live)
        total = os_thread_count()
        if total is not None and total - ours > 1:
            return  # the program's own threads make it warn anyway
        threads = []
        for participant in list(_participants):
            try:
                threads.extend(participant.fork_pause())
            except Exception:
                pass
            _paused.append(participant)
        deadline = time.monotonic() + FORK_JOIN_SECONDS
        for thread in threads:
            thread.join(deadline - time.monotonic())
        stats["paused"] += 1
        if _live:
            stats["left_running"] += 1
        elif total is not None:
            # The threads returned; wait (briefly) until the OS has them
            # gone too, as the warning counts them there.
            want = total - ours
            deadline = time.monotonic() + OS_EXIT_SECONDS
            while time.monotonic() < deadline:
                now = os_thread_count()
                if now is None or now <= want:
                    break
                time.sleep(0.0002)
    except Exception:
        pass


def _resume():
    paused = _paused[:]
    del _paused[:]
    for participant in paused:
        try:
            participant.fork_resume()
        except Exception:
            pass


def _disarm():
    tool = _armed.pop("tool", None)
    _armed.clear()
    if tool is None:
        return
    monitoring = sys.monitoring
    try:
        monitoring.set_events(tool, 0)
        for event in _EVENTS:
            monitoring.register_callback(tool, event, None)
        monitoring.free_tool_id(tool)
    except Exception:
        pass


def _on_event(*args):
    # Called for events of every thread while armed; only one that shows
    # the fork has returned in the forking frame (its current instruction
    # moved on: an event there or deeper, or its return) restarts.
    try:
        if "tool" not in _armed:
            return None
        frame = _armed.get("frame")
        if frame is not None and _thread.get_ident() == _armed["thread"] \
                and frame.f_lasti == _armed["lasti"]:
            return None  # still inside os.fork() (an after-fork hook)
        _disarm()
        stats["deferred"] += 1
        _resume()
    except Exception:
        pass
    return None


_EVENTS = ()


def _arm():
    """A one-shot sys.monitoring callback that resumes after os.fork()
    returned in the forking frame; False when that is not possible."""
    global _EVENTS
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None:
        return False
    try:
        frame = sys._getframe(2)  # the caller of os.fork()
    except ValueError:
        return False
    events = monitoring.events
    _EVENTS = (events.LINE, events.PY_START, events.PY_RETURN,
               events.PY_RESUME, events.PY_YIELD, events.RAISE)
    for tool in (5, 4, 3):
        try:
            monitoring.use_tool_id(tool, "leakscope fork")
        except ValueError:
            continue
        try:
            for event in _EVENTS:
                monitoring.register_callback(tool, event, _on_event)
            _armed.update(tool=tool, frame=frame, lasti=frame.f_lasti,
                          thread=_thread.get_ident())
            mask = 0
            for event in _EVENTS:
                mask |= event
            monitoring.set_events(tool, mask)
            return True
        except Exception:
            _armed["tool"] = tool
            _disarm()
            return False
    return False


def _after_fork_in_parent():
    if not _paused:
        return
    try:
        if "tool" in _armed:
            # Another fork before the restart (a pool forking its
            # workers): the restart waits for this one to return.
            frame = sys._getframe(1)
            _armed.update(frame=frame, lasti=frame.f_lasti,
                          thread=_thread.get_ident())
            return
        if _arm():
            return
    except Exception:
        pass
    stats["immediate"] += 1
    _resume()


def _after_fork_in_child():
    # No agent thread runs in a child; the participants forget themselves
    # through their own child hooks.
    _live.clear()
    del _paused[:]
    del _participants[:]
    # Armed in the parent by an earlier fork: not in the child.
    if "tool" in _armed:
        _disarm()
    else:
        _armed.clear()


if hasattr(os, "register_at_fork"):
    # Registered when the agent loads, after the census lock's hooks: the
    # before hooks run in reverse order, so the threads end before the
    # forking thread takes the census lock (a busy server thread may need
    # it to finish its reply).
    os.register_at_fork(before=_before_fork,
                        after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)
