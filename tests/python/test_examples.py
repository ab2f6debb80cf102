"""The bundled example programs leak what they say they leak."""

import os

from agentutil import (EXAMPLES, TempDirTestCase, count_of, read_snapshots,
                       run_agent)


class ExamplesTest(TempDirTestCase):
    def record(self, name, iterations):
        out = self.path("%s-%d.lsnap" % (name, iterations))
        proc = run_agent(["--no-serve", "-o", out,
                          os.path.join(EXAMPLES, name + ".py"),
                          "--iterations", str(iterations), "--interval", "0"])
        self.assertRan(proc)
        start, end = [s[4] for s in read_snapshots(out)]
        return start, end, proc.stdout

    def test_leaky_cache(self):
        for n in (60, 120):
            with self.subTest(iterations=n):
                start, end, out = self.record("leaky_cache", n)
                self.assertIn("handled %d requests, %d cached" % (n, n), out)
                self.assertEqual(count_of(start, "__main__.Session"), 0)
                self.assertEqual(count_of(end, "__main__.Session"), n)
                self.assertEqual(count_of(end, "__main__.Request"), n)
                self.assertEqual(count_of(end, "__main__.Response"), 0)
                self.assertEqual(count_of(end, "__main__.CacheEntry"), 20)

    def test_leaky_listeners(self):
        start, end, out = self.record("leaky_listeners", 80)
        self.assertEqual(count_of(end, "__main__.Widget"), 80)
        self.assertEqual(count_of(end, "__main__.Label"), 80)
        self.assertGreaterEqual(count_of(end, "method"), 80)

    def test_leaky_traceback(self):
        start, end, out = self.record("leaky_traceback", 70)
        self.assertIn("cached traceback has 140 entries", out)
        self.assertEqual(count_of(end, "__main__.Query"), 70)
        self.assertGreaterEqual(count_of(end, "traceback"), 140)
        self.assertGreaterEqual(count_of(end, "frame") -
                                count_of(start, "frame"), 140)
