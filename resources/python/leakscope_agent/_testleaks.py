"""What a leaking test is, for the pytest plugin: standard library only,
so it imports (and is tested) on interpreters without pytest.

A test leaks a type when the type's count grows by the same positive amount
from each run of the test to the next (warm-up run first). Only the
program's own types count: not builtins, not the standard library's, not the
test machinery's.
"""

import os
import re
import sys

__all__ = ["find_leaks", "is_user_type", "stdlib_names", "chain_expression",
           "MACHINERY"]

# Packages whose types belong to the test machinery, not to the code under
# test: their objects come and go with pytest's bookkeeping.
MACHINERY = frozenset((
    "_pytest", "pytest", "pluggy", "py", "_py", "iniconfig", "exceptiongroup",
    "tomli", "leakscope_agent",
))


def _top_package(name):
    return name.split(".", 1)[0]


def is_user_type(name):
    """A type a leak report can name: not a builtin (those print without a
    module, e.g. 'dict'), not one of pytest's or the agent's own."""
    return "." in name and _top_package(name) not in MACHINERY


def stdlib_names():
    names = getattr(sys, "stdlib_module_names", None)
    if names:
        return frozenset(names)
    # Python < 3.10: modules whose file lies in the standard library folder
    # (outside site-packages), plus the built-in ones.
    import sysconfig
    found = set(sys.builtin_module_names)
    try:
        stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"]) + os.sep
    except Exception:
        return frozenset(found)
    for name, module in list(sys.modules.items()):
        if type(name) is not str or "." in name:
            continue
        try:
            path = vars(module).get("__file__")
        except Exception:
            continue
        if type(path) is str:
            real = os.path.realpath(path)
            if real.startswith(stdlib) and "site-packages" not in real \
                    and "dist-packages" not in real:
                found.add(name)
    return frozenset(found)


def find_leaks(series, max_growth=0, pattern=None, stdlib=frozenset()):
    """User types that grew by the same amount g > max_growth between every
    two consecutive censuses of series (a list of {type name: count}, the
    warm-up run first). Types of the standard library's modules (stdlib:
    top-level module names) are left out: their growth in a test process
    is pytest's own bookkeeping (a session fixture's finalizers are
    functools.partial objects) far more often than the test's leak, and a
    leaked object of the program's own type is what holds them otherwise.
    Returns [(name, g, counts)] by growth, then name."""
    if len(series) < 2:
        return []
    names = set()
    for counts in series:
        names.update(counts)
    leaks = []
    for name in names:
        if not is_user_type(name) or _top_package(name) in stdlib:
            continue
        if pattern is not None and not pattern.search(name):
            continue
        values = [counts.get(name, 0) for counts in series]
        growth = values[1] - values[0]
        if growth <= max_growth or growth <= 0:
            continue
        if all(b - a == growth for a, b in zip(values[1:], values[2:])):
            leaks.append((name, growth, values))
    leaks.sort(key=lambda leak: (-leak[1], leak[0]))
    return leaks


_KEY_EDGE = re.compile(r"^\['([A-Za-z_][A-Za-z0-9_]*)'\]$")


def chain_expression(steps):
    """The chain of _refs.chain_to_root as one expression from its root:
    'sampleapp.store._SESSIONS[3]'. A step reached without a known edge is
    written ' -> type'."""
    if not steps:
        return ""
    text = str(steps[0].get("label") or steps[0].get("type") or "?")
    kind = steps[0].get("kind")
    if kind in ("module", "class") and text.startswith(kind + " "):
        text = text[len(kind) + 1:]
    after_dict = False
    for step in steps[1:]:
        edge = step.get("edge")
        if edge == "__dict__":
            after_dict = True
            continue
        if after_dict and edge:
            match = _KEY_EDGE.match(edge)
            if match:
                edge = "." + match.group(1)
        after_dict = False
        if not edge:
            text += " -> " + str(step.get("type") or "?")
        elif edge.startswith(("[", ".")):
            text += edge
        else:
            text += "." + edge
    return text
