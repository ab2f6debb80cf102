"""The part of the pytest plugin that runs under pytest (imported from
pytest_plugin.pytest_configure only when --leakscope is given).

Each selected test runs through pytest's own runtestprotocol: once as the
run pytest reports, then `repeat` more times with nothing reported, each run
with the real next item, so that fixtures are set up and torn down exactly as
in a plain run (a module's fixtures are re-created for the repeats of its last
test). A census follows every run; a type whose count grows by the same
positive amount from each run to the next is leaked by the test.
"""

import os
import re
import time

import pytest
from _pytest.runner import runtestprotocol

from ._census import census
from ._lsnap import append_snapshot
from ._testleaks import chain_expression, find_leaks, stdlib_names

__all__ = ["LeakscopeRun"]

MAX_CHAINS = 3        # leaked types per test whose chain is looked up
MAX_OTHERS = 4        # further leaked types named in a reason


class _Verdict(object):
    def __init__(self, nodeid, leaks, repeat, fails):
        self.nodeid = nodeid
        self.leaks = leaks        # [(name, growth, counts)]
        self.repeat = repeat
        self.fails = fails
        self.chains = {}          # name -> chain steps
        self.line = ""

    def reason(self):
        name, growth, _ = self.leaks[0]
        text = "+%d %s per run in each of %d repeats" % (growth, name,
                                                        self.repeat)
        steps = self.chains.get(name)
        if steps and len(steps) >= 2:
            holder = chain_expression(steps[:-1])
            text += ", held by %s (%s)" % (holder, steps[-2].get("type"))
            text += "; chain: %s" % chain_expression(steps)
        others = self.leaks[1:]
        if others:
            text += "; also " + ", ".join(
                "+%d %s" % (g, n) for n, g, _ in others[:MAX_OTHERS])
            if len(others) > MAX_OTHERS:
                text += " and %d more types" % (len(others) - MAX_OTHERS)
        return text

    def record(self):
        """The verdict as stored in the last run's snapshot metadata."""
        result = []
        for name, growth, counts in self.leaks:
            entry = {"type": name, "growth": growth, "counts": counts}
            steps = self.chains.get(name)
            if steps:
                entry["chain"] = chain_expression(steps)
            result.append(entry)
        return result


def _passed(reports):
    return bool(reports) and all(
        rep.passed and not hasattr(rep, "wasxfail") for rep in reports)


class LeakscopeRun(object):
    """The plugin object registered while --leakscope is on."""

    def __init__(self, config, path, repeat, graph, fail):
        self.config = config
        self.path = path
        self.repeat = repeat
        self.graph = graph
        self.fail = fail
        self.verdicts = []
        self.unjudged = []        # (nodeid, why)
        self.checked = 0
        self.snapshots = 0
        self.census_seconds = 0.0
        self.write_seconds = 0.0
        self.chain_seconds = 0.0
        self.errors = []
        self._stdlib = None
        self._last_verdict = None

    @classmethod
    def install(cls, config):
        repeat = config.getoption("leakscope_repeat")
        if repeat is None or repeat < 1:
            raise pytest.UsageError("--leakscope-repeat must be 1 or more "
                                    "(got %r)" % (repeat,))
        path = config.getoption("leakscope") or \
            "leakscope-pytest-%d.lsnap" % os.getpid()
        try:
            base = str(config.invocation_params.dir)
        except AttributeError:  # pytest < 5.1
            base = os.getcwd()
        path = os.path.join(base, os.path.expanduser(path))
        run = cls(config, os.path.abspath(path), repeat,
                  bool(config.getoption("leakscope_graph")),
                  bool(config.getoption("leakscope_fail")))
        config.pluginmanager.register(run, "leakscope-run")
        return run

    # -- the protocol ------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                      location=item.location)
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        verdict = None
        if _passed(reports):
            try:
                verdict = self._repeat(item, nextitem)
            except Exception as exc:
                # Our own failure never changes the test's outcome.
                self._error("%s: %s: %s" % (item.nodeid, type(exc).__name__,
                                            exc))
        if verdict is not None and verdict.fails:
            for rep in reports:
                if rep.when == "call":
                    rep.outcome = "failed"
                    rep.longrepr = "Leakscope: " + verdict.line
        for rep in reports:
            ihook.pytest_runtest_logreport(report=rep)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                       location=item.location)
        return True

    def _repeat(self, item, nextitem):
        nodeid = item.nodeid
        marker = item.get_closest_marker("leakscope")
        max_growth, pattern = 0, None
        if marker is not None:
            max_growth = int(marker.kwargs.get("max_growth", 0) or 0)
            if marker.kwargs.get("types"):
                pattern = re.compile(marker.kwargs["types"])
        self.checked += 1
        series = [self._census(nodeid, 0, None, None)]
        for run in range(1, self.repeat + 1):
            if self.graph and run == self.repeat:
                from ._refs import remember_ids
                started = time.perf_counter()
                remember_ids()
                self.chain_seconds += time.perf_counter() - started
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
            if not _passed(reports):
                outcome = [r for r in reports if not r.passed] or reports
                self.unjudged.append((nodeid, "%s in repeat %d" % (
                    getattr(outcome[0], "outcome", "not passed"), run)))
                del reports
                return None
            del reports
            last = run == self.repeat
            judge = (max_growth, pattern, marker) if last else None
            series.append(self._census(nodeid, run, judge, series))
            if last:
                return self._last_verdict
        return None

    def _census(self, nodeid, run, judge, series):
        started = time.perf_counter()
        types, meta = census(collect=True)
        self.census_seconds += time.perf_counter() - started
        counts = dict((name, value[0]) for name, value in types.items())
        info = {"nodeid": nodeid, "run": run, "repeat": self.repeat}
        self._last_verdict = None
        if judge is not None:
            info["leaks"] = self._judge(nodeid, judge, series + [counts])
        meta["pytest"] = info
        started = time.perf_counter()
        try:
            append_snapshot(self.path, types, meta,
                            label="%s run %d" % (nodeid, run))
            self.snapshots += 1
        except Exception as exc:
            self._error(str(exc))
        self.write_seconds += time.perf_counter() - started
        return counts

    def _judge(self, nodeid, judge, series):
        max_growth, pattern, marker = judge
        if self._stdlib is None:
            self._stdlib = stdlib_names()
        leaks = find_leaks(series, max_growth, pattern, self._stdlib)
        if not leaks:
            return []
        fails = self.fail or marker is not None
        verdict = _Verdict(nodeid, leaks, self.repeat, fails)
        if self.graph:
            started = time.perf_counter()
            from ._refs import chain_to_root
            for name, _, _ in leaks[:MAX_CHAINS]:
                try:
                    verdict.chains[name] = chain_to_root(
                        type_name_=name)["chain"]
                except Exception:
                    pass
            self.chain_seconds += time.perf_counter() - started
        verdict.line = "%s leaks: %s" % (nodeid, verdict.reason())
        self.verdicts.append(verdict)
        self._last_verdict = verdict
        return verdict.record()

    def _error(self, message):
        if message not in self.errors:
            self.errors.append(message)

    # -- reporting ---------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        tr.write_sep("=", "Leakscope")
        for verdict in self.verdicts:
            tr.write_line(("FAILED " if verdict.fails else "") + verdict.line)
        if not self.verdicts:
            tr.write_line("no leaking test among %d checked" % self.checked)
        for nodeid, why in self.unjudged:
            tr.write_line("not judged: %s (%s)" % (nodeid, why))
        for message in self.errors:
            tr.write_line("error: %s" % message)
        tr.write_line(
            "%d tests checked, %d runs each after the warm-up; %d censuses "
            "took %.2f s, writing them %.2f s%s"
            % (self.checked, self.repeat, self.snapshots, self.census_seconds,
               self.write_seconds,
               ", chains %.2f s" % self.chain_seconds if self.graph else ""))
        if self.snapshots:
            tr.write_line("open: leakscope %s   (or: leakscope-cli compare "
                          "--by-test %s)" % (self.path, self.path))
