"""Where the benchmarks import the agent from: a temporary copy of
resources/python/leakscope_agent with the native modules the CMake build
made (build/agent_native, or $LEAKSCOPE_NATIVE_DIR), as Leakscope's
installer unpacks it; the source tree itself when there is none for this
interpreter (then only the pure-Python passes run)."""

import atexit
import glob
import os
import shutil
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
AGENT_PARENT = os.path.join(SOURCE, "resources", "python")


def agent_parent():
    native_dir = os.environ.get("LEAKSCOPE_NATIVE_DIR") or os.path.join(
        SOURCE, "build", "agent_native")
    module = os.path.join(native_dir, "leakscope_agent",
                          "_native" + sysconfig.get_config_var("EXT_SUFFIX"))
    if not os.path.exists(module):
        return AGENT_PARENT
    tmp = tempfile.mkdtemp(prefix="leakscope-bench-")
    atexit.register(shutil.rmtree, tmp, True)
    package = os.path.join(tmp, "leakscope_agent")
    os.makedirs(package)
    for path in glob.glob(os.path.join(AGENT_PARENT, "leakscope_agent", "*.py")) + \
            glob.glob(os.path.join(AGENT_PARENT, "leakscope_agent", "*.sql")):
        shutil.copy(path, package)
    shutil.copy(module, package)
    return tmp
