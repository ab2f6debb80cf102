# Issue 14 checks that must stay quiet: a bounded cache that fills and stays
# flat, and churn that is freed again. Same stepping as growing.py.
import os
import sqlite3
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


CACHE = {}      # fills to 1500 in the first steps, then stays flat
for step in range(12):
    for i in range(500):
        CACHE[(step * 500 + i) % 1500] = "value %05d" % (i % 1000)
    churn = ["churn %d" % k for k in range(5000)]
    churn = None
    wait_snapshot()
wait_snapshot()
