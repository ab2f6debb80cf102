"""Two independent leaks in one small "server" (for `leakscope-cli report`).

1. Every handled request is remembered in the module-level dict
   _REQUEST_LOG and never removed: HttpRequest objects (and their headers
   dicts and body lists) pile up.
2. Every request starts a Tracer and subscribes its bound method
   tracer.on_event to the module-level list _SUBSCRIBERS, which nobody
   empties: the list holds `method` objects, each holding a Tracer.

    leakscope-cli record --every 0.2 --graph -o two.lsnap -- python3 two_leaks.py
    leakscope-cli report two.lsnap

Arguments: [ROUNDS] [REQUESTS_PER_ROUND] [PAUSE_SECONDS] (default 8 25 0.25).
"""

import sys
import time

_REQUEST_LOG = {}
_SUBSCRIBERS = []


class HttpRequest:
    def __init__(self, number):
        self.number = number
        self.path = "/items/%d" % number
        self.headers = {"x-request-id": str(number), "accept": "text/html"}
        self.body = [number] * 8


class Tracer:
    def __init__(self, number):
        self.number = number
        self.events = []

    def on_event(self, event):
        self.events.append(event)


def publish(event):
    for subscriber in _SUBSCRIBERS:
        subscriber(event)


def handle(number):
    request = HttpRequest(number)
    _REQUEST_LOG[number] = request          # leak 1: never removed
    tracer = Tracer(number)
    _SUBSCRIBERS.append(tracer.on_event)    # leak 2: never unsubscribed
    scratch = [str(number)] * 50            # freed again: not a leak
    return len(scratch)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    per_round = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.25
    number = 0
    for _ in range(rounds):
        for _ in range(per_round):
            handle(number)
            number += 1
        time.sleep(pause)
    print("handled %d requests" % number)


if __name__ == "__main__":
    main()
