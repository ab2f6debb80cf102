"""What leakscope_agent/_sitecustomize.py runs at interpreter start.

Kept apart from the recorder so that processes which only inherit the boot
directory (children of a recorded process) pay for a few imports only.
"""

import os
import sys

from ._warn import warn

__all__ = ["boot_from_environment", "ENV_OUTPUT", "ENV_EVERY", "ENV_COLLECT",
           "ENV_SERVE", "ENV_GRAPH", "ENV_BOOT_DIR"]

ENV_OUTPUT = "LEAKSCOPE_RECORD_OUTPUT"
ENV_EVERY = "LEAKSCOPE_RECORD_EVERY"
ENV_COLLECT = "LEAKSCOPE_RECORD_COLLECT"
ENV_SERVE = "LEAKSCOPE_RECORD_SERVE"
ENV_GRAPH = "LEAKSCOPE_RECORD_GRAPH"
ENV_BOOT_DIR = "LEAKSCOPE_BOOT_DIR"
_ENV_PREFIX = "LEAKSCOPE_RECORD_"


def _env_flag(environ, name, default):
    value = environ.get(name, "").strip()
    if not value:
        return default
    return value.lower() not in ("0", "false", "no", "off")


def _same_dir(a, b):
    try:
        return os.path.samefile(a or os.curdir, b)
    except OSError:
        return os.path.abspath(a or os.curdir) == os.path.abspath(b)


def _chain_sitecustomize(boot_dir, own_module):
    """Run the sitecustomize that our boot file hides (the user's or the
    distribution's), found on sys.path past the boot directory, and make it
    the module `import sitecustomize` returns."""
    import importlib.machinery
    import importlib.util
    if boot_dir:
        search = [p for p in sys.path if not _same_dir(p, boot_dir)]
    else:
        own_dir = os.path.dirname(os.path.abspath(own_module.__file__))
        search = [p for p in sys.path if not _same_dir(p, own_dir)]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        # What site.py says about a failing sitecustomize.
        sys.stderr.write("Error in sitecustomize; set PYTHONVERBOSE for "
                         "traceback:\n%s: %s\n" % (type(exc).__name__, exc))


def boot_from_environment(own_module):
    """Entry point of leakscope_agent/_sitecustomize.py.

    Chains to the next sitecustomize on sys.path, then, when
    LEAKSCOPE_RECORD_OUTPUT is set, removes the LEAKSCOPE_RECORD_* variables
    (children of this process do not record) and starts recording."""
    environ = os.environ
    boot_dir = environ.get(ENV_BOOT_DIR, "")
    settings = dict((k, v) for k, v in environ.items()
                    if k.startswith(_ENV_PREFIX))
    for key in settings:
        try:
            del environ[key]
        except KeyError:
            pass
    try:
        _chain_sitecustomize(boot_dir, own_module)
    except Exception as exc:
        warn("cannot run the next sitecustomize: %s" % (exc,))
    output = settings.get(ENV_OUTPUT, "")
    if not output:
        return None
    try:
        every = float(settings.get(ENV_EVERY, "") or 0.0)
    except ValueError:
        warn("ignoring %s=%r: not a number of seconds"
              % (ENV_EVERY, settings.get(ENV_EVERY)))
        every = 0.0
    from ._record import Recorder, active_recorder
    if active_recorder() is not None:
        return active_recorder()
    recorder = Recorder(output, every=every,
                        collect=_env_flag(settings, ENV_COLLECT, True),
                        serve=_env_flag(settings, ENV_SERVE, True),
                        graph=_env_flag(settings, ENV_GRAPH, False))
    recorder.start(strict=False)
    return recorder
