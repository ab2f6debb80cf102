"""Leakscope's pytest plugin: name the tests that leak.

    pytest -p leakscope_agent.pytest_plugin --leakscope[=FILE] [--leakscope-repeat N]
           [--leakscope-graph] [--leakscope-fail]

(or without -p when the agent is pip-installed: its pytest11 entry point
loads this module). With --leakscope, every selected test runs once as
usual (that run is the one pytest reports), then N more times; a census is
taken after each run and appended to FILE (default
leakscope-pytest-<pid>.lsnap), labelled "<node id> run <k>" with the node id
and run number in the snapshot's metadata ("pytest" key, see
docs/file-format.md). A test whose user types grow by the same amount in
every repeat leaks; the "Leakscope" section of the terminal summary names it,
and --leakscope-fail or a @pytest.mark.leakscope(max_growth=0, types=REGEX)
marker makes it fail.

This module imports only the standard library: pytest imports it for its
hooks, and the part that needs pytest (_pytestrun) is imported only when
--leakscope is given.
"""

__all__ = []

_MARKER_HELP = (
    "leakscope(max_growth=0, types=None): with --leakscope, fail this test "
    "when a type (matching the regular expression types) grows by more than "
    "max_growth objects in every repeat")


def pytest_addoption(parser):
    group = parser.getgroup("leakscope", "Leakscope: find the tests that leak")
    group.addoption(
        "--leakscope", action="store", nargs="?", const="", default=None,
        metavar="FILE", dest="leakscope",
        help="repeat each test and record a census after every run into FILE "
             "(a .lsnap file; default leakscope-pytest-<pid>.lsnap). Write "
             "--leakscope=FILE: a bare --leakscope takes no value.")
    group.addoption(
        "--leakscope-repeat", action="store", type=int, default=3, metavar="N",
        dest="leakscope_repeat",
        help="runs of each test after the warm-up run (default 3, at least 2 "
             "to judge a leak)")
    group.addoption(
        "--leakscope-graph", action="store_true", default=False,
        dest="leakscope_graph",
        help="for a leaking test, find the chain of references from a root "
             "(module, class, thread) to a leaked object after the last run")
    group.addoption(
        "--leakscope-fail", action="store_true", default=False,
        dest="leakscope_fail",
        help="make a leaking test fail, with the Leakscope line as message")


def pytest_load_initial_conftests(early_config, parser, args):
    # "--leakscope tests/" must not take tests/ as its FILE: a bare
    # --leakscope becomes "--leakscope=" (the default file) before pytest
    # parses the command line. Only the options part is rewritten.
    changed = False
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--leakscope":
            args[i] = "--leakscope="
            changed = True
    if changed:
        # pytest parsed the known options once already (it finds the initial
        # conftests from the paths); parse again so tests/ is a path there.
        try:
            import copy
            early_config.known_args_namespace = parser.parse_known_args(
                args, namespace=copy.copy(early_config.option))
        except Exception:
            pass


def pytest_configure(config):
    config.addinivalue_line("markers", _MARKER_HELP)
    if config.getoption("leakscope", None) is None:
        return
    from ._pytestrun import LeakscopeRun
    LeakscopeRun.install(config)
