"""./run end to end, against stand-in replicas: a broken one must fail, a
trivially correct one must pass, and bad configs must exit 2."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPLICAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "replicas")
SHORT = {"lifetime": 5, "replicas": 5, "requests": 60, "mix": 0.5, "wait": 1, "end_wait": 1,
         "tests": {"maximum_get_generation_fail_fraction": 0.5,
                   "benchmarks": {"total_msgs": [1000, 2000, 3000], "failures": [1, 2, 3],
                                  "duplicates": [1, 2, 3], "median_latency": [0.01, 0.02, 0.05]}}}


def run(args, config=None):
    with tempfile.TemporaryDirectory() as d:
        if config is not None:
            path = os.path.join(d, "short.json")
            with open(path, "w") as f:
                f.write(config if isinstance(config, str) else json.dumps(config))
            args = [a.replace("CONFIG", path) for a in args]
        return subprocess.run([sys.executable, os.path.join(ROOT, "run")] + args, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)


class EndToEndTests(unittest.TestCase):
    def test_stale_reads_are_caught(self):
        out = run(["--silence", "--seed", "3", "--replica", os.path.join(REPLICAS, "stale_reads.py"),
                   "CONFIG"], SHORT)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("Error: >0 incorrect responses to get()", out.stdout)
        self.assertIn("Correctness Checks Failed", out.stdout)
        self.assertIn("0 passed, 1 failed", out.stdout)

    def test_a_correct_replica_passes_with_the_assignments_report(self):
        with tempfile.TemporaryDirectory() as d:
            report = os.path.join(d, "r.json")
            out = run(["--silence", "--seed", "3", "--json", report, "--replica",
                       os.path.join(REPLICAS, "single_leader.py"), "CONFIG"], SHORT)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            for line in ("# Simulation Finished", "Leaders: FFFF 0000", "Replicas that died/were killed: 0/0",
                         "All correctness tests passed", "## Performance Tests", "Seed: 3",
                         "1 passed, 0 failed"):
                self.assertIn(line, out.stdout)
            with open(report) as f:
                results = json.load(f)
            self.assertEqual(len(results), 1)
            self.assertTrue(results[0]["passed"])
            self.assertEqual(results[0]["stats"]["incorrect_gets"], 0)
            self.assertIn("put() time to ok, first send to ok", out.stdout)
            answered = results[0]["stats"]["put_time_to_ok"]
            self.assertGreater(answered["n"], 0)
            self.assertLessEqual(answered["median"], answered["max"])

    def test_bad_config_is_one_line_and_exit_2(self):
        out = run(["CONFIG"], dict(SHORT, lifetime=1))
        self.assertEqual(out.returncode, 2)
        self.assertEqual(out.stderr.strip().count("\n"), 0, out.stderr)
        self.assertIn("lifetime", out.stderr)
        self.assertNotIn("Traceback", out.stderr)
        out = run(["CONFIG"], "{oops")
        self.assertEqual(out.returncode, 2)
        self.assertNotIn("Traceback", out.stderr)

    def test_help_shows_the_assignments_usage_and_the_extras(self):
        out = run(["--help"])
        self.assertEqual(out.returncode, 0)
        for option in ("--replica", "--silence", "--config_directory", "--seed", "--json", "--repeat"):
            self.assertIn(option, out.stdout)


if __name__ == "__main__":
    unittest.main()
