"""The census: type names, exact counts, sizes, and no self-noise."""

import collections
import json
import sys

from agentutil import AGENT_PARENT, TempDirTestCase, run_python, write

sys.path.insert(0, AGENT_PARENT)
import leakscope_agent  # noqa: E402
from leakscope_agent._census import type_name  # noqa: E402


class Outer:
    class Inner:
        pass


class Meta(type):
    def __getattribute__(cls, name):
        if name in ("__module__", "__qualname__", "__name__"):
            raise RuntimeError("user code must not run while naming types")
        return super().__getattribute__(name)


class Guarded(metaclass=Meta):
    pass


class Sneaky(str):
    def __eq__(self, other):
        raise RuntimeError("user __eq__ must not run while naming types")

    __hash__ = str.__hash__

    def __add__(self, other):
        raise RuntimeError("user __add__ must not run while naming types")


class OddModule:
    pass


OddModule.__module__ = Sneaky("odd.place")


class NoModule:
    pass


NoModule.__module__ = 42


def make_local():
    class Local:
        pass
    return Local


class TypeNameTest(TempDirTestCase):
    def test_names(self):
        cases = [
            ("builtin_dict_is_bare", dict, "dict"),
            ("builtin_function_is_bare", type(make_local), "function"),
            ("builtin_type_is_bare", type, "type"),
            ("stdlib_class_has_module", collections.OrderedDict,
             "collections.OrderedDict"),
            ("nested_qualname", Outer.Inner, "test_census.Outer.Inner"),
            ("function_local_class", make_local(),
             "test_census.make_local.<locals>.Local"),
            ("metaclass_getattribute_not_called", Guarded,
             "test_census.Guarded"),
            ("str_subclass_module_methods_not_called", OddModule,
             "odd.place.OddModule"),
            ("non_string_module_is_bare", NoModule, "NoModule"),
        ]
        for name, tp, expected in cases:
            with self.subTest(name):
                self.assertEqual(type_name(tp), expected)

    def test_names_in_a_main_script(self):
        script = write(self.tmp, "names.py", """
            import argparse, collections, json, sys
            import leakscope_agent

            class Thing:
                pass

            class Outer:
                class Inner:
                    pass

            class Sized:
                def __sizeof__(self):
                    raise RuntimeError("no size for you")

            def factory():
                class Made:
                    pass
                return Made

            things = [Thing() for _ in range(1234)]
            inners = [Outer.Inner() for _ in range(7)]
            ordered = [collections.OrderedDict(a=i) for i in range(5)]
            spaces = [argparse.Namespace(n=i) for i in range(3)]
            made = [factory()() for _ in range(4)]  # four classes, one name
            sized = [Sized() for _ in range(2)]
            types_, meta = leakscope_agent.census()
            json.dump({"types": types_, "meta": meta}, sys.stdout)
        """)
        proc = run_python([script])
        self.assertRan(proc)
        counts = json.loads(proc.stdout)["types"]
        expected = {
            "__main__.Thing": 1234,
            "__main__.Outer.Inner": 7,
            "collections.OrderedDict": 5,
            "argparse.Namespace": 3,
            "__main__.factory.<locals>.Made": 4,
            "__main__.Sized": 2,
        }
        for name, count in expected.items():
            with self.subTest(name):
                self.assertEqual(counts[name][0], count)
        self.assertGreater(counts["__main__.Thing"][1], 1234 * 16)
        self.assertIn("dict", counts)
        self.assertIn("type", counts)
        self.assertNotIn("builtins.dict", counts)
        agent_types = [n for n in counts if n.startswith("leakscope_agent")]
        self.assertEqual(agent_types, [])


IDLE = """
    import gc, json, sys, threading, time
    import leakscope_agent
    {setup}
    def growth(a, b):
        return dict((k, b.get(k, (0, 0))[0] - a.get(k, (0, 0))[0])
                    for k in set(a) | set(b)
                    if b.get(k, (0, 0))[0] != a.get(k, (0, 0))[0])
    collect = {collect}
    # Each result is turned into a string at once: without a collection a
    # kept result dict would be counted by the next census.
    first = json.dumps(leakscope_agent.census(collect=collect)[0])
    second = json.dumps(leakscope_agent.census(collect=collect)[0])
    third = json.dumps(leakscope_agent.census(collect=collect)[0])
    first, second, third = json.loads(first), json.loads(second), json.loads(third)
    json.dump({{"first_second": growth(first, second),
               "second_third": growth(second, third),
               "agent_types": [n for n in third if "leakscope" in n]}},
              sys.stdout)
"""


class NoSelfNoiseTest(TempDirTestCase):
    """Censuses in a row in an idle process show no growth at all."""

    def check_idle(self, setup="", collect=True):
        script = write(self.tmp, "idle.py",
                       IDLE.format(setup=setup, collect=collect))
        proc = run_python([script])
        self.assertRan(proc)
        result = json.loads(proc.stdout)
        self.assertEqual(result["second_third"], {})
        # The first collection in a process may still untrack tuples the
        # interpreter created at startup (one nesting level per collection);
        # nothing may grow.
        grew = dict((k, v) for k, v in result["first_second"].items()
                    if v > 0 or k != "tuple")
        self.assertEqual(grew, {})
        self.assertEqual(result["agent_types"], [])

    def test_plain_process(self):
        self.check_idle()

    def test_plain_process_without_collect(self):
        self.check_idle(collect=False)

    def test_with_recorder_thread_running(self):
        self.check_idle(setup="""
    from leakscope_agent._record import Recorder
    r = Recorder(sys.argv[0] + ".lsnap", every=3600, serve=False)
    r.start(strict=True)
    del r
    """)

    def test_objects_created_between_censuses_are_counted(self):
        script = write(self.tmp, "grow.py", """
            import json, sys
            import leakscope_agent
            class Leak:
                pass
            keep = []
            a = leakscope_agent.census()[0]
            keep.extend(Leak() for _ in range(321))
            b = leakscope_agent.census()[0]
            print(json.dumps([a.get("__main__.Leak", (0, 0))[0],
                              b["__main__.Leak"][0], b["list"][0] - a["list"][0]]))
        """)
        proc = run_python([script])
        self.assertRan(proc)
        self.assertEqual(json.loads(proc.stdout), [0, 321, 0])

    def test_meta(self):
        types, meta = leakscope_agent.census(collect=False)
        self.assertIs(meta["collected"], False)
        self.assertNotIn("collect_freed", meta)
        self.assertEqual(meta["gc_objects"], sum(c for c, _ in types.values()))
        self.assertEqual(list(meta["argv"]), sys.argv)
        self.assertGreaterEqual(meta["census_seconds"], 0)
        self.assertTrue(all(c > 0 and s >= 0 for c, s in types.values()))
