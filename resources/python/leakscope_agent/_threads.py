"""The agent's threads, started with _thread rather than threading.Thread:
they are not the program's, so threading.enumerate() and active_count()
see the program's threads only. (Python 3.12+'s "multi-threaded fork()"
warning counts the OS's threads on Linux, /proc/self/stat, so it still sees
these: an open part of issue 12.) A leaf module."""

import _thread

__all__ = ["AgentThread"]


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

    def start(self):
        """Start the thread and return once it runs (as Thread.start)."""
        started = _thread.allocate_lock()
        started.acquire()
        self.ident = _thread.start_new_thread(AgentThread._main,
                                              (self, started))
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
            self._done.release()

    def is_current(self):
        return self.ident == _thread.get_ident()

    def join(self, timeout):
        if self.is_current():
            return
        if self._done.acquire(timeout=timeout):
            self._done.release()
