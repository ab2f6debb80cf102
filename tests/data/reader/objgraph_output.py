"""Produce real objgraph output for tst_objgraphreader (run with the Python
that has objgraph, Debian's /usr/bin/python3).

    objgraph_output.py SCENARIO OUTPUT TRUTH

OUTPUT receives what the program prints, exactly as a user would capture it.
TRUTH receives, per show_growth() call, one JSON line: the lines that call
printed, split into [name, count, delta] (call boundaries are known here, so
this is the ground truth the importer must recover from OUTPUT alone).
Scenarios: mixed, limit, longnames, typestats, typestats-long.
"""

import io
import json
import sys

import objgraph


class Leaky:
    pass


class Other:  # as long as "Leaky": same column width
    pass


class LeakyWithAMuchLongerName:
    pass


class Alpha:
    pass


class Beta:
    pass


class Gamma:
    pass


keep = []


def leak(cls, n):
    keep.extend(cls() for _ in range(n))


def main():
    scenario, output_path, truth_path = sys.argv[1:4]
    out = open(output_path, "w")
    truth = open(truth_path, "w")

    def call(**kwargs):
        buf = io.StringIO()
        objgraph.show_growth(file=buf, **kwargs)
        text = buf.getvalue()
        out.write(text)
        out.flush()
        lines = [line.rsplit(None, 2) for line in text.splitlines()]
        truth.write(json.dumps([[n, int(c), int(d)] for n, c, d in lines]) + "\n")
        truth.flush()

    def say(text):
        out.write(text + "\n")

    if scenario in ("typestats", "typestats-long"):
        leak(Leaky, 123)
        json.dump(objgraph.typestats(shortnames=scenario == "typestats"), out)
        truth.write(json.dumps({"leaky": 123}) + "\n")
        return

    shortnames = scenario != "longnames"
    if scenario == "limit":
        call(limit=3)                 # totals, top 3
        objgraph.growth(limit=None)   # settle objgraph's own allocations, unprinted
        objgraph.growth(limit=None)
        leak(Alpha, 40); leak(Beta, 30); leak(Gamma, 20); leak(Leaky, 10)
        call(limit=3)                 # Alpha, Beta, Gamma; Leaky grew but is not shown
        leak(Leaky, 25); leak(Alpha, 5)
        call(limit=2)                 # Leaky 35 +25 (vs its unprinted peak 10), Alpha
        leak(Beta, 1)
        call(limit=1)
        return

    call(limit=None, shortnames=shortnames)  # the first call prints totals
    objgraph.growth(limit=None, shortnames=shortnames)
    objgraph.growth(limit=None, shortnames=shortnames)
    leak(Leaky, 100)
    call(shortnames=shortnames)
    leak(Leaky, 100)
    call(shortnames=shortnames)            # same width as before: the name repeats
    leak(Other, 150)
    call(shortnames=shortnames)            # same width, new name, larger delta
    say("INFO:server:handled 10 requests in 0.5 s")
    leak(Leaky, 10)
    call(shortnames=shortnames)            # after other log text
    leak(LeakyWithAMuchLongerName, 30)
    call(shortnames=shortnames)            # wider column
    leak(Leaky, 20)
    call(shortnames=shortnames)            # narrower again
    call(shortnames=shortnames)            # nothing grew: prints nothing
    say("")
    leak(Leaky, 7); leak(Other, 3)
    call(shortnames=shortnames)


main()
