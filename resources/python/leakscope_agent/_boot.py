"""What leakscope_agent/_sitecustomize.py runs at interpreter start.

Kept apart from the recorder so that processes which only inherit the boot
directory (children of a recorded process) pay for a few imports only.
"""

import os
import sys
from types import FunctionType

from ._warn import warn

__all__ = ["boot_from_environment", "ENV_OUTPUT", "ENV_EVERY", "ENV_COLLECT",
           "ENV_SERVE", "ENV_GRAPH", "ENV_TRACE", "ENV_BOOT_DIR"]

ENV_OUTPUT = "LEAKSCOPE_RECORD_OUTPUT"
ENV_EVERY = "LEAKSCOPE_RECORD_EVERY"
ENV_COLLECT = "LEAKSCOPE_RECORD_COLLECT"
ENV_SERVE = "LEAKSCOPE_RECORD_SERVE"
ENV_GRAPH = "LEAKSCOPE_RECORD_GRAPH"
ENV_TRACE = "LEAKSCOPE_RECORD_TRACE"
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


def _forget_path_entries(environ, dirs):
    """Take the directories the installer put in front of PYTHONPATH (the
    boot directory, the agent's parent) out of PYTHONPATH, sys.path and
    sys.path_importer_cache: the program and its children see the search
    path they would have had without the agent."""
    def ours(entry):
        return bool(entry) and any(_same_dir(entry, d) for d in dirs if d)
    value = environ.get("PYTHONPATH")
    if value is not None:
        entries = value.split(os.pathsep)
        while entries and ours(entries[0]):
            del entries[0]
        if entries:
            environ["PYTHONPATH"] = os.pathsep.join(entries)
        else:
            del environ["PYTHONPATH"]
    for d in dirs:
        if not d:
            continue
        for i, entry in enumerate(sys.path):
            if entry and _same_dir(entry, d):
                del sys.path[i]
                break
    for key in list(sys.path_importer_cache):
        if type(key) is str and ours(key) and key not in sys.path:
            sys.path_importer_cache.pop(key, None)


def boot_from_environment(own_module, agent_parent=None):
    """Entry point of leakscope_agent/_sitecustomize.py.

    Removes every LEAKSCOPE_* variable the installer set and, with
    agent_parent (the directory the agent was loaded from), the
    installer's PYTHONPATH entries, so that the program and its children
    see the environment they would have had; chains to the program's own
    sitecustomize; then, when LEAKSCOPE_RECORD_OUTPUT was set, starts
    recording (children of this process do not record)."""
    environ = os.environ
    boot_dir = environ.get(ENV_BOOT_DIR, "")
    if not boot_dir:
        try:
            boot_dir = os.path.dirname(os.path.abspath(own_module.__file__))
        except Exception:
            boot_dir = ""
    settings = dict((k, v) for k, v in environ.items()
                    if k.startswith(_ENV_PREFIX))
    for key in list(settings) + [ENV_BOOT_DIR]:
        try:
            del environ[key]
        except KeyError:
            pass
    if agent_parent:
        try:
            _forget_path_entries(environ, (boot_dir, agent_parent))
        except Exception as exc:
            warn("cannot restore the search path: %s" % (exc,))
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
    trace = settings.get(ENV_TRACE, "").strip()
    if trace and trace != "0":
        from . import _trace
        try:
            _trace.start(_trace.parse_frames(trace))
        except ValueError as exc:
            warn("ignoring %s=%r: %s" % (ENV_TRACE, trace, exc))
    recorder = Recorder(output, every=every,
                        collect=_env_flag(settings, ENV_COLLECT, True),
                        serve=_env_flag(settings, ENV_SERVE, True),
                        graph=_env_flag(settings, ENV_GRAPH, False))
    recorder.start(strict=False)
    return recorder


PRIVATE_NAME = "_leakscope_agent_boot"
_SUBMODULES = ("_boot", "_census", "_containers", "_graph", "_labels",
               "_lsnap", "_record", "_refs", "_runner", "_server", "_threads",
               "_trace", "_warn")


def hide_public_name():
    """`python3 -m leakscope_agent run`: move the agent's modules from
    sys.modules["leakscope_agent..."] to a private name before the program
    runs, so that the program's own `import leakscope_agent` finds its own
    package (or a fresh copy of ours), as it would without the agent. Every
    submodule is imported first: later relative imports inside the agent
    then resolve under the private name."""
    from . import _census
    public = _census._PKG
    if public == PRIVATE_NAME:
        return
    import importlib
    for name in _SUBMODULES:
        importlib.import_module(public + "." + name)
    for name in [n for n in list(sys.modules)
                 if n == public or n.startswith(public + ".")]:
        module = sys.modules.pop(name)
        new = PRIVATE_NAME + name[len(public):]
        try:
            module.__name__ = new
            module.__package__ = PRIVATE_NAME
            spec = getattr(module, "__spec__", None)
            if spec is not None:
                spec.name = new
        except Exception:
            pass
        sys.modules[new] = module
        # Classes and functions name their module: the census tells the
        # agent's from the program's by that name.
        for value in list(vars(module).values()):
            _rename_module_of(value, name, new)
            if isinstance(value, type):
                for inner in list(vars(value).values()):
                    _rename_module_of(inner, name, new)
    _census._PKG = PRIVATE_NAME
    _census._PKG_PREFIX = PRIVATE_NAME + "."


def _rename_module_of(value, old, new):
    tp = type(value)
    if tp is not FunctionType and not issubclass(tp, type):
        return
    try:
        if value.__module__ == old:
            value.__module__ = new
    except Exception:
        pass
