# Issue 14 checks: payloads the census cannot count. Run under
# `leakscope-cli record --every S` with LS_OUT set to the output file: after
# each step the program waits until the recorder wrote one more snapshot, so
# every interval sees one step (no timing in the tests).
import collections
import os
import sqlite3
import sys
import time


def snapshots():
    try:
        c = sqlite3.connect("file:%s?mode=ro" % os.environ["LS_OUT"], uri=True, timeout=30)
        try:
            return c.execute("SELECT count(*) FROM snapshot").fetchone()[0]
        finally:
            c.close()
    except sqlite3.Error:
        return 0


def wait_snapshot():
    start = snapshots()
    deadline = time.time() + 60
    while snapshots() < start + 1 and time.time() < deadline:
        time.sleep(0.005)


_REQUEST_LOG = []            # list of str payloads
BLOBS = {}                   # dict int -> bytes (not gc-tracked)
EVENTS = collections.deque()  # deque without maxlen, tuples of ints
BUFFER = bytearray()         # extended
BOUNDED = {}                 # a cache that fills, then stays flat
CHURN = None                 # freed again
ITEMS = []                   # instances of an ordinary class


class Item:
    def __init__(self, n):
        self.n = n


def handle(n):
    _REQUEST_LOG.append("request %d " % n + "x" * 2000)   # ALLOC-LOG
    BLOBS[n] = b"y" * 300
    EVENTS.append((n, n + 1))
    BOUNDED[n % 1200] = "v%d" % n
    if n % 10 == 0:
        ITEMS.append(Item(n))                                # ALLOC-ITEM


STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
for step in range(STEPS):
    for i in range(300):
        handle(step * 300 + i)
    BUFFER.extend(b"z" * 20000)
    CHURN = ["churn %d" % k for k in range(3000)]
    CHURN = None
    wait_snapshot()
wait_snapshot()
