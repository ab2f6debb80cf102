"""What `leakscope-cli attach` runs inside a process started without Leakscope.

The attacher (model/live/agentattacher.cpp) stops the process with gdb, waits until
the main thread runs a pending call (between two bytecodes, with the GIL
held) and from there runs a few lines of bootstrap code in a fresh namespace.
The bootstrap loads this package from the per-user unpacked copy under a
private name (_leakscope_attached_agent), without touching sys.path, so the
program's own `import leakscope_agent` is never shadowed, and calls attach()
below. attach() starts the live server and reports the outcome in a small
JSON file the attacher created in its private directory: nothing is written
to the program's stdout or stderr, and no exception ever leaves it.
"""

import json
import os

__all__ = ["attach", "BOOTSTRAP_NAME"]

# The name the attacher's bootstrap loads this package under.
BOOTSTRAP_NAME = "_leakscope_attached_agent"


def attach(result_path):
    """Start the live server (idempotent) and write {"socket": path} or
    {"error": message} to result_path. True when the server serves. Never
    raises."""
    try:
        from ._server import start_server
        result = {"socket": start_server(), "pid": os.getpid()}
    except BaseException as exc:  # the program must never see our failure
        result = {"error": str(exc) or type(exc).__name__, "pid": os.getpid()}
    write_result(result_path, result)
    return "socket" in result


def write_result(result_path, result):
    """Create result_path (it must not exist: O_EXCL, no symlinks followed),
    write the JSON object, close it. Failures are swallowed: the attacher
    then reports that the agent gave no answer."""
    try:
        flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL
                 | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        fd = os.open(result_path, flags, 0o600)
    except BaseException:
        return
    try:
        os.write(fd, json.dumps(result).encode("ascii"))
    except BaseException:
        pass
    finally:
        try:
            os.close(fd)
        except BaseException:
            pass
