"""A request handler that leaks through a module-level cache.

Each iteration handles one request. Three kinds of objects come and go:
  * Session and Request objects are stored in the module-level _CACHE and
    never evicted: the leak (+1 Session, +1 Request per iteration);
  * Response objects are built for every request and freed: churn;
  * CacheEntry objects live in a bounded LRU that fills up to 20 entries and
    then stays flat: not a leak.

    python3 -m leakscope_agent run --every 2 leaky_cache.py          # live demo
    python3 leaky_cache.py --iterations 100 --interval 0             # finite
"""

import argparse
import time
from collections import OrderedDict

_CACHE = {}


class Session:
    def __init__(self, user):
        self.user = user
        self.history = []


class Request:
    def __init__(self, session, path):
        self.session = session
        self.path = path
        self.headers = {"user-agent": "demo", "x-request": path}


class Response:
    def __init__(self, request, body):
        self.request = request
        self.body = body


class CacheEntry:
    def __init__(self, key, value):
        self.key = key
        self.value = value


class LRU:
    """Bounded: keeps the most recent `capacity` entries."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.entries = OrderedDict()

    def put(self, key, value):
        self.entries[key] = CacheEntry(key, value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)


_RECENT = LRU(20)


def handle(i):
    session = Session("user%d" % (i % 7))
    request = Request(session, "/items/%d" % i)
    session.history.append(request.path)
    _CACHE[request.path] = request  # the leak: nothing ever evicts it
    responses = [Response(request, "chunk %d" % n) for n in range(10)]
    _RECENT.put(i, len(responses))
    return len(responses)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=0,
                        help="requests to handle (default: 0, forever)")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between requests (default: 0.1)")
    args = parser.parse_args()
    i = 0
    while args.iterations <= 0 or i < args.iterations:
        handle(i)
        i += 1
        if args.interval > 0:
            time.sleep(args.interval)
    print("handled %d requests, %d cached" % (i, len(_CACHE)))


if __name__ == "__main__":
    main()
