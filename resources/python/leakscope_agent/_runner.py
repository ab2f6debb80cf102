"""`python3 -m leakscope_agent run`: run a script or module as __main__,
exactly as `python3 script.py` / `python3 -m module` would, while recording
snapshots and serving the live protocol."""

import atexit
import builtins
import os
import sys
import types

from ._census import AGENT_VERSION

__all__ = ["main"]

USAGE = """\
usage: python3 -m leakscope_agent run [options] (script.py | -m module) [args...]

Run a Python program as __main__ and record .lsnap snapshots of it: one at
start, one every S seconds (--every), one at exit.

options:
  --every S          also take a snapshot every S seconds (default: 0, off)
  -o, --output FILE  snapshot file (default: leakscope-<prog>-<pid>.lsnap)
  --no-collect       do not run gc.collect() before each census
  --graph            store the heap graph with every snapshot
  --trace [FRAMES]   start tracemalloc (FRAMES frames per traceback, default
                     16) before the program's first line, and store where
                     objects were allocated with every snapshot. Here the
                     runner's frames (about 6) sit under every frame of the
                     program, and tracemalloc walks them on each allocation:
                     a shallow program runs several times slower than under
                     tracemalloc alone. `leakscope-cli record --trace` loads
                     the agent through sitecustomize and adds no frame.
  --label-prefix P   prefix for snapshot labels ("start", "every 2s #3", "exit")
  --no-serve         do not serve the live protocol on a Unix socket
  --no-record        serve only, write no snapshot file
  -m module          run a module like `python3 -m module`
  -h, --help         show this help
"""

TOP_USAGE = """\
usage: python3 -m leakscope_agent run [options] (script.py | -m module) [args...]
       python3 -m leakscope_agent --version

Run `python3 -m leakscope_agent run --help` for the options.
"""


class UsageError(Exception):
    pass


class _Options(object):
    def __init__(self):
        self.every = 0.0
        self.output = None
        self.collect = True
        self.graph = False
        self.trace = 0
        self.label_prefix = ""
        self.serve = True
        self.record = True
        self.module = None
        self.script = None
        self.args = []


def _parse_run(argv):
    opts = _Options()
    i = 0

    def value(name, inline):
        nonlocal i
        if inline is not None:
            return inline
        i += 1
        if i >= len(argv):
            raise UsageError("option %s needs a value" % name)
        return argv[i]

    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=")
        inline = inline if eq else None
        if arg == "--":
            i += 1
            if i >= len(argv):
                raise UsageError("no script given after --")
            opts.script = argv[i]
            opts.args = argv[i + 1:]
            break
        if name == "--every":
            text = value(name, inline)
            try:
                opts.every = float(text)
            except ValueError:
                raise UsageError("--every needs a number of seconds, not %r"
                                 % text)
            if not opts.every >= 0 or opts.every == float("inf"):
                raise UsageError("--every needs a number of seconds >= 0")
        elif name in ("-o", "--output"):
            opts.output = value(name, inline)
        elif arg.startswith("-o") and len(arg) > 2 and not eq:
            opts.output = arg[2:]
        elif arg == "--no-collect":
            opts.collect = False
        elif arg == "--graph":
            opts.graph = True
        elif name == "--trace":
            from ._trace import DEFAULT_FRAMES, parse_frames
            text = inline
            if text is None and i + 1 < len(argv) and argv[i + 1].isdigit():
                i += 1
                text = argv[i]
            try:
                opts.trace = parse_frames(text) if text is not None \
                    else DEFAULT_FRAMES
            except ValueError:
                raise UsageError("--trace needs a number of frames from 1 "
                                 "to 1000, not %r" % text)
        elif name == "--label-prefix":
            opts.label_prefix = value(name, inline)
        elif arg == "--no-serve":
            opts.serve = False
        elif arg == "--serve":
            opts.serve = True
        elif arg == "--no-record":
            opts.record = False
        elif arg == "-m" or (arg.startswith("-m") and len(arg) > 2):
            opts.module = arg[2:] if len(arg) > 2 else None
            if opts.module is None:
                i += 1
                if i >= len(argv):
                    raise UsageError("-m needs a module name")
                opts.module = argv[i]
            opts.args = argv[i + 1:]
            break
        elif arg in ("-h", "--help"):
            raise SystemExit(_print_and_return(USAGE, 0))
        elif arg.startswith("-") and arg != "-":
            raise UsageError("unknown option %s" % arg)
        else:
            opts.script = arg
            opts.args = argv[i + 1:]
            break
        i += 1
    if opts.script is None and opts.module is None:
        raise UsageError("no script or -m module given")
    return opts


def _print_and_return(text, code):
    (sys.stdout if code == 0 else sys.stderr).write(text)
    return code


def _default_output(opts):
    if opts.module:
        prog = opts.module
    else:
        prog = os.path.basename(os.path.normpath(opts.script))
        stem, ext = os.path.splitext(prog)
        if ext.lower() in (".py", ".pyw") and stem:
            prog = stem
    prog = "".join(c if (c.isalnum() or c in "._-") else "_" for c in prog)
    return os.path.join(os.getcwd(), "leakscope-%s-%d.lsnap"
                        % (prog or "python", os.getpid()))


class _Interrupted(object):
    """Exit through SIGINT after an uncaught KeyboardInterrupt, as the
    interpreter itself does, once every atexit handler has run."""
    pending = False

    @classmethod
    def at_exit(cls):
        if not cls.pending:
            return
        import signal
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        except Exception:
            pass


def _new_main_module(file_name, loader, spec, cached, package):
    module = types.ModuleType("__main__")
    module.__dict__.update({
        "__file__": file_name,
        "__loader__": loader,
        "__spec__": spec,
        "__cached__": cached,
        "__package__": package,
        "__builtins__": builtins,
    })
    return module


def _prepare_script(path):
    """Compile the script and build its __main__ module. Returns
    (code, module) or an exit code."""
    import importlib.machinery
    if os.path.isdir(path):
        sys.stderr.write("leakscope: %s is a directory; run a package with "
                         "-m instead\n" % path)
        return 2
    # Python 3.9+ gives __main__ an absolute __file__; 3.8 keeps it as typed.
    file_name = os.path.abspath(path) if sys.version_info >= (3, 9) else path
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        sys.stderr.write("%s: can't open file %r: [Errno %s] %s\n"
                         % (sys.executable, os.path.abspath(path), exc.errno,
                            exc.strerror))
        return 2
    try:
        code = compile(source, file_name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        # The interpreter shows a script's syntax error without frames.
        exc.__traceback__ = None
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, None
        sys.excepthook(type(exc), exc, None)
        return 1
    loader = importlib.machinery.SourceFileLoader("__main__", file_name)
    module = _new_main_module(file_name, loader, None, None, None)
    if not (getattr(sys.flags, "safe_path", False) or sys.flags.isolated):
        script_dir = os.path.dirname(os.path.realpath(path))
        if sys.path:
            sys.path[0] = script_dir
        else:
            sys.path.insert(0, script_dir)
    sys.argv[:] = [path]
    return code, module


def _prepare_module(name):
    import runpy
    try:
        get_details = runpy._get_module_details
    except AttributeError:  # pragma: no cover - runpy always had it so far
        sys.stderr.write("leakscope: -m is not supported on this Python\n")
        return 2
    try:
        mod_name, spec, code = get_details(name)
    except ImportError as exc:
        sys.stderr.write("%s: %s\n" % (sys.executable, exc))
        return 1
    file_name = spec.origin
    cached = spec.cached if spec.has_location else None
    module = _new_main_module(file_name, spec.loader, spec, cached,
                              spec.parent)
    sys.argv[:] = [file_name or name]
    return code, module


def _exec_main(code, module):
    """Run the program; returns 1 after an uncaught exception (printed the
    way the interpreter prints it), lets SystemExit through."""
    try:
        exec(code, module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        tb = exc.__traceback__
        # The first entry is this frame; the user never sees the agent.
        while tb is not None and tb.tb_frame.f_code is _exec_main.__code__:
            tb = tb.tb_next
        exc.__traceback__ = tb
        # The interpreter keeps the last uncaught exception (and so its
        # frames) alive until shutdown; the exit snapshot sees the same.
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
        if sys.version_info >= (3, 12):
            sys.last_exc = exc
        try:
            sys.excepthook(type(exc), exc, tb)
        except Exception:
            pass
        if isinstance(exc, KeyboardInterrupt):
            _Interrupted.pending = True
        del exc, tb
        return 1
    return 0


def run(argv):
    from ._record import Recorder
    from ._warn import warn
    try:
        opts = _parse_run(argv)
    except UsageError as exc:
        sys.stderr.write(USAGE)
        sys.stderr.write("leakscope_agent run: error: %s\n" % exc)
        return 2
    prepared = (_prepare_module(opts.module) if opts.module
                else _prepare_script(opts.script))
    if isinstance(prepared, int):
        return prepared
    code, module = prepared
    sys.argv.extend(opts.args)
    # The agent's own __main__ stays importable under its package name, so
    # the census still knows it as the agent's.
    own_main = sys.modules.get("__main__")
    if own_main is not None and own_main is not module:
        sys.modules.setdefault(__name__.rpartition(".")[0] + ".__main__",
                               own_main)
    sys.modules["__main__"] = module
    from ._boot import hide_public_name
    hide_public_name()
    # Registered first, so it runs last: after the exit snapshot.
    atexit.register(_Interrupted.at_exit)
    if opts.trace:
        from ._trace import start
        start(opts.trace)
    if opts.record:
        output = opts.output or _default_output(opts)
        recorder = Recorder(output, every=opts.every, collect=opts.collect,
                            label_prefix=opts.label_prefix, serve=opts.serve,
                            graph=opts.graph)
        try:
            recorder.start(strict=True)
        except Exception as exc:
            sys.stderr.write("leakscope: %s\n" % (exc,))
            return 2
        del recorder
    elif opts.serve:
        try:
            from ._server import start_server
            start_server()
        except Exception as exc:
            warn("cannot start the live server: %s" % (exc,))
    del opts, prepared
    return _exec_main(code, module)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        return _print_and_return(TOP_USAGE, 0 if argv else 2)
    if argv[0] == "--version":
        sys.stdout.write("leakscope_agent %s\n" % AGENT_VERSION)
        return 0
    if argv[0] == "run":
        return run(argv[1:])
    sys.stderr.write(TOP_USAGE)
    sys.stderr.write("leakscope_agent: error: unknown command %r\n" % argv[0])
    return 2
