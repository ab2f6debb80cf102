"""A cached exception that is raised again and again.

lookup() caches its LookupError and re-raises the same object for every
miss. Each raise appends the raising frames to the exception's __traceback__,
so the traceback (and every frame it holds, with its locals) grows by two
entries per call and is kept alive by the module-level _cached_error.

    python3 leaky_traceback.py --iterations 100 --interval 0
"""

import argparse
import time

_cached_error = None


class Query:
    def __init__(self, key):
        self.key = key


def lookup(query):
    global _cached_error
    if _cached_error is None:
        _cached_error = LookupError("no such key")
    raise _cached_error  # the leak: the traceback keeps growing


def fetch(key):
    query = Query(key)
    try:
        return lookup(query)
    except LookupError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=0,
                        help="lookups to make (default: 0, forever)")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between lookups (default: 0.1)")
    args = parser.parse_args()
    i = 0
    while args.iterations <= 0 or i < args.iterations:
        fetch("key%d" % i)
        i += 1
        if args.interval > 0:
            time.sleep(args.interval)
    depth = 0
    tb = _cached_error.__traceback__ if _cached_error else None
    while tb is not None:
        depth += 1
        tb = tb.tb_next
    print("made %d lookups, cached traceback has %d entries" % (i, depth))


if __name__ == "__main__":
    main()
