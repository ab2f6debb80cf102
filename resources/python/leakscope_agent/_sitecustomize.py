# Leakscope boot hook. `leakscope-cli record` copies this file verbatim to
# <BOOTDIR>/sitecustomize.py and puts BOOTDIR and the directory holding the
# leakscope_agent package on PYTHONPATH; LEAKSCOPE_RECORD_OUTPUT and friends
# say what to record (docs/protocol.md). The logic lives in
# leakscope_agent/_boot.py; this file only has to survive any interpreter,
# so it keeps to syntax that even Python 2 parses.
import os as _os
import sys as _sys

try:
    if _sys.version_info < (3, 8):
        if _os.environ.get("LEAKSCOPE_RECORD_OUTPUT"):
            raise RuntimeError("cannot record: Python %d.%d is too old (the "
                               "agent needs 3.8 or newer)"
                               % _sys.version_info[:2])
    else:
        try:
            from leakscope_agent import _boot as _leakscope_boot
        except ImportError:
            # Only a process asked to record needs the package; others
            # (children that inherited PYTHONPATH) stay quiet.
            if _os.environ.get("LEAKSCOPE_RECORD_OUTPUT"):
                raise
        else:
            _leakscope_boot.boot_from_environment(_sys.modules[__name__])
except Exception as _exc:
    try:
        _sys.stderr.write("leakscope: %s\n" % (_exc,))
    except Exception:
        pass
