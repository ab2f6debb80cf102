"""The agent's one way to speak: a line on stderr. A leaf module (imports
nothing of the agent), so _boot, _record and _server share it without an
import cycle."""

import sys

__all__ = ["warn"]


def warn(message):
    """One line on stderr; the agent never breaks the program it watches."""
    try:
        sys.stderr.write("leakscope: %s\n" % (message,))
        sys.stderr.flush()
    except Exception:
        pass
