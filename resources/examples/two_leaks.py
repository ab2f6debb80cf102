"""Two independent leaks in one small "server" (for `leakscope-cli report`).

1. Every handled request is remembered in the module-level dict
   _REQUEST_LOG and never removed: HttpRequest objects (and their headers
   dicts and body lists) pile up.
2. Every request starts a Tracer and subscribes its bound method
   tracer.on_event to the module-level list _SUBSCRIBERS, which nobody
   empties: the list holds `method` objects, each holding a Tracer.

    leakscope-cli record --every 0.2 --graph -o two.lsnap -- python3 two_leaks.py
    leakscope-cli report two.lsnap

Arguments: [REQUESTS] [PAUSE_SECONDS] (default 200 0.01).
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
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01
    for number in range(requests):
        handle(number)
        time.sleep(pause)  # a steady trickle: every snapshot interval grows
    print("handled %d requests" % requests)


if __name__ == "__main__":
    main()
