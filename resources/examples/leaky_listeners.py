"""Listeners registered as bound methods and never unregistered.

Every Widget subscribes its on_event method to a module-level _listeners
list. A bound method holds its object (__self__), so the list keeps every
Widget, its dict and its Label alive after the code that made it is done.

    python3 leaky_listeners.py --iterations 100 --interval 0
"""

import argparse
import time

_listeners = []


def subscribe(callback):
    _listeners.append(callback)


def publish(event):
    for callback in _listeners:
        callback(event)


class Label:
    def __init__(self, text):
        self.text = text


class Widget:
    def __init__(self, name):
        self.name = name
        self.label = Label(name)
        self.seen = 0
        subscribe(self.on_event)  # the leak: nothing unsubscribes

    def on_event(self, event):
        self.seen += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=0,
                        help="widgets to create (default: 0, forever)")
    parser.add_argument("--interval", type=float, default=0.1,
                        help="seconds between widgets (default: 0.1)")
    args = parser.parse_args()
    i = 0
    while args.iterations <= 0 or i < args.iterations:
        Widget("widget %d" % i)  # dropped at once, yet kept by _listeners
        publish("tick")
        i += 1
        if args.interval > 0:
            time.sleep(args.interval)
    print("created %d widgets, %d listeners" % (i, len(_listeners)))


if __name__ == "__main__":
    main()
