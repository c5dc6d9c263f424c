"""Config validation: every kind of error names its field."""

import json
import os
import tempfile
import unittest

from simulator.config import ConfigError, load, parse

BASE = {"lifetime": 30, "replicas": 5, "requests": 100,
        "tests": {"benchmarks": {"total_msgs": [1, 2, 3], "failures": [0, 1, 2],
                                 "duplicates": [0, 1, 2], "median_latency": [0.1, 0.2, 0.3]}}}


def with_(**changes):
    cfg = json.loads(json.dumps(BASE))
    cfg.update(changes)
    return cfg


class ConfigTests(unittest.TestCase):
    def field_of_error(self, data):
        with self.assertRaises(ConfigError) as ctx:
            parse("t.json", data)
        return ctx.exception.field

    def test_defaults(self):
        cfg = parse("dir/t.json", BASE)
        self.assertEqual(cfg.name, "t")
        self.assertEqual((cfg.mix, cfg.wait, cfg.end_wait, cfg.drops), (0.8, 2.0, 2.0, 0.0))
        self.assertEqual(cfg.fractions["maximum_appends_batched_fraction"], 0.5)
        self.assertEqual(cfg.duration, 34.0)

    def test_wait_and_its_alias(self):
        self.assertEqual(parse("t", with_(start_wait=5)).wait, 5)
        self.assertEqual(parse("t", with_(start_wait=5, wait=1)).wait, 1)

    def test_missing_required_keys(self):
        for key in ("lifetime", "replicas", "requests", "tests"):
            data = with_()
            del data[key]
            self.assertEqual(self.field_of_error(data), key)

    def test_out_of_range_values(self):
        self.assertEqual(self.field_of_error(with_(lifetime=4)), "lifetime")
        self.assertEqual(self.field_of_error(with_(replicas=2)), "replicas")
        self.assertEqual(self.field_of_error(with_(replicas=3.5)), "replicas")
        self.assertEqual(self.field_of_error(with_(mix=1.5)), "mix")
        self.assertEqual(self.field_of_error(with_(drops=-0.1)), "drops")
        self.assertEqual(self.field_of_error(with_(requests="many")), "requests")

    def test_nan_and_infinity_are_not_numbers(self):
        for bad in (float("nan"), float("inf"), float("-inf")):
            for key in ("lifetime", "replicas", "requests", "drops"):
                self.assertEqual(self.field_of_error(with_(**{key: bad})), key, (key, bad))
            data = with_()
            data["tests"]["benchmarks"]["failures"] = [0, bad, 2]
            self.assertEqual(self.field_of_error(data), "tests.benchmarks.failures")
            data = with_()
            data["tests"]["maximum_get_fail_fraction"] = bad
            self.assertEqual(self.field_of_error(data), "tests.maximum_get_fail_fraction")

    def test_events(self):
        self.assertEqual(self.field_of_error(with_(events=[{"type": "meteor", "time": 3}])), "events[0].type")
        self.assertEqual(self.field_of_error(with_(events=[{"type": "kill_leader"}])), "events[0].time")
        late = [{"type": "part_end", "time": 9}, {"type": "kill_leader", "time": -1}]
        self.assertEqual(self.field_of_error(with_(events=late)), "events[1].time")
        cfg = parse("t", with_(events=[{"type": "part_end", "time": 9}, {"type": "part_hard", "time": 2}]))
        self.assertEqual([e.type for e in cfg.events], ["part_hard", "part_end"])

    def test_benchmarks(self):
        data = with_()
        data["tests"]["benchmarks"]["failures"] = [1, 2]
        self.assertEqual(self.field_of_error(data), "tests.benchmarks.failures")
        data = with_()
        del data["tests"]["benchmarks"]["duplicates"]
        self.assertEqual(self.field_of_error(data), "tests.benchmarks.duplicates")

    def test_unknown_key_is_a_warning(self):
        cfg = parse("t", with_(colour="blue"))
        self.assertTrue(any("colour" in w for w in cfg.warnings))

    def test_malformed_json_and_missing_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.json")
            with open(path, "w") as f:
                f.write("{ not json")
            with self.assertRaises(ConfigError) as ctx:
                load(path)
            self.assertEqual(ctx.exception.field, "(json)")
            with self.assertRaises(ConfigError):
                load(os.path.join(d, "absent.json"))
            latin = os.path.join(d, "latin.json")
            with open(latin, "wb") as f:
                f.write(b'{"description": "caf\xe9"}')
            with self.assertRaises(ConfigError) as ctx:
                load(latin)
            self.assertEqual(ctx.exception.field, "(file)")

    def test_canonical_configs_are_valid(self):
        here = os.path.dirname(__file__)
        directory = os.path.join(here, "..", "..", "configs")
        names = sorted(n for n in os.listdir(directory) if n.endswith(".json"))
        self.assertEqual(len(names), 17)
        for n in names:
            cfg = load(os.path.join(directory, n))
            self.assertEqual((cfg.lifetime, cfg.replicas, cfg.wait), (30, 5, 5), n)


if __name__ == "__main__":
    unittest.main()
