"""The agent's threads, started with _thread rather than threading.Thread:
they are not the program's, so threading.enumerate(), active_count() and
Python 3.12+'s "multi-threaded fork()" warning (which counts
threading._active) see the program's threads only. A leaf module."""

import _thread

__all__ = ["AgentThread"]


class AgentThread(object):
    """A started thread running target(); join(timeout) waits for its end.
    The target must never call threading.current_thread() (that would
    register a dummy Thread for it)."""

    def __init__(self, target):
        self._done = _thread.allocate_lock()
        self._done.acquire()
        self.ident = None
        self._target = target

    def start(self):
        self.ident = _thread.start_new_thread(self._main, ())
        return self

    def _main(self):
        try:
            self._target()
        except BaseException:
            pass
        finally:
            self._target = None
            self._done.release()

    def is_current(self):
        return self.ident == _thread.get_ident()

    def join(self, timeout):
        if self.is_current():
            return
        if self._done.acquire(timeout=timeout):
            self._done.release()
