# Leakscope boot hook. `leakscope-cli record` copies this file verbatim to
# <BOOTDIR>/sitecustomize.py and puts BOOTDIR and the directory holding the
# leakscope_agent package on PYTHONPATH; LEAKSCOPE_RECORD_OUTPUT and friends
# say what to record (docs/protocol.md). The logic lives in
# leakscope_agent/_boot.py; this file only has to survive any interpreter,
# so it keeps to syntax that even Python 2 parses.
#
# The agent is loaded under a private module name, never as
# `leakscope_agent`: the program may have a package of that name itself.
import os as _os
import sys as _sys

_LEAKSCOPE_PRIVATE = "_leakscope_agent_boot"


def _leakscope_load():
    """The agent package, loaded as _LEAKSCOPE_PRIVATE from the PYTHONPATH
    entries after the boot directory; (package, its parent dir) or None."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    entries = _os.environ.get("PYTHONPATH", "").split(_os.pathsep)
    seen_boot = False
    for entry in entries:
        if not entry:
            continue
        if _os.path.abspath(entry) == here:
            seen_boot = True
            continue
        package = _os.path.join(entry, "leakscope_agent")
        if seen_boot and _os.path.isfile(_os.path.join(package, "_boot.py")):
            break
    else:
        return None
    module = _sys.modules.get(_LEAKSCOPE_PRIVATE)
    if module is None:
        import importlib.util
        spec = importlib.util.spec_from_file_location(
            _LEAKSCOPE_PRIVATE, _os.path.join(package, "__init__.py"),
            submodule_search_locations=[package])
        module = importlib.util.module_from_spec(spec)
        _sys.modules[_LEAKSCOPE_PRIVATE] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del _sys.modules[_LEAKSCOPE_PRIVATE]
            raise
    return module, _os.path.abspath(entry)


try:
    if _sys.version_info < (3, 8):
        if _os.environ.get("LEAKSCOPE_RECORD_OUTPUT"):
            raise RuntimeError("cannot record: Python %d.%d is too old (the "
                               "agent needs 3.8 or newer)"
                               % _sys.version_info[:2])
    else:
        _found = _leakscope_load()
        if _found is None:
            # Only a process asked to record needs the package.
            if _os.environ.get("LEAKSCOPE_RECORD_OUTPUT"):
                raise ImportError("cannot find the leakscope_agent package "
                                  "on PYTHONPATH")
        else:
            __import__(_LEAKSCOPE_PRIVATE + "._boot")
            _sys.modules[_LEAKSCOPE_PRIVATE + "._boot"].boot_from_environment(
                _sys.modules[__name__], _found[1])
        del _found
except Exception as _exc:
    try:
        _sys.stderr.write("leakscope: %s\n" % (_exc,))
    except Exception:
        pass
