"""How simulator/bench.py orders its runs and turns them into a row."""

import json
import math
import os
import tempfile
import types
import unittest

from simulator.bench import (FIRST_SEED, cells, floor_median, loss_cells, recorded_floor, save,
                             schedule, select_tests, summarize)


def run(total_msgs, median_latency, passed=True, msgs_tier=0):
    stats = {"total_msgs": total_msgs, "failures": 0, "duplicates": 0,
             "median_latency": median_latency, "put_time_to_ok": {"p90": 0.001}}
    tiers = {"total_msgs": msgs_tier, "failures": 1, "duplicates": 1, "median_latency": 0}
    return {"stats": stats, "passed": passed, "tiers": tiers if passed else None}


class ScheduleTests(unittest.TestCase):
    def test_each_floor_run_comes_just_before_the_replicas_run_with_its_seed(self):
        s = FIRST_SEED
        self.assertEqual(schedule(4, 2), [("floor", s), ("replica", s), ("floor", s + 1),
                                          ("replica", s + 1), ("replica", s + 2), ("replica", s + 3)])

    def test_floor_runs_beyond_the_replicas_still_run(self):
        self.assertEqual(schedule(1, 3), [("floor", FIRST_SEED), ("replica", FIRST_SEED),
                                          ("floor", FIRST_SEED + 1), ("floor", FIRST_SEED + 2)])

    def test_summarizing_recorded_runs_runs_only_the_floor(self):
        self.assertEqual([who for who, _ in schedule(0, 3)], ["floor"] * 3)
        self.assertEqual(schedule(2, 0), [("replica", FIRST_SEED), ("replica", FIRST_SEED + 1)])

    def test_a_later_part_of_a_benchmark_starts_at_its_own_seed(self):
        self.assertEqual(schedule(2, 1, first_seed=1004),
                         [("floor", 1004), ("replica", 1004), ("replica", 1005)])


class SelectTests(unittest.TestCase):
    suite = [types.SimpleNamespace(name=n) for n in ("simple-1", "crash-3", "crash-4")]

    def test_the_named_tests_keep_the_suites_order(self):
        chosen = select_tests(self.suite, "crash-4,simple-1")
        self.assertEqual([c.name for c in chosen], ["simple-1", "crash-4"])

    def test_a_name_that_is_no_tests_is_refused(self):
        with self.assertRaisesRegex(ValueError, "crash-5"):
            select_tests(self.suite, "crash-4,crash-5")


class SummaryTests(unittest.TestCase):
    cfg = types.SimpleNamespace(name="simple-2", requests=500, replicas=5, mix=0.2)

    def test_the_floor_is_the_median_of_the_floor_runs(self):
        self.assertEqual(floor_median([0.0003, 0.0005, 0.0004]), 0.0004)
        self.assertIsNone(floor_median([]))

    def test_a_floor_run_whose_median_fell_among_its_unanswered_requests_ranks_last(self):
        self.assertEqual(floor_median([0.0003, None, 0.0004]), 0.0004)
        self.assertIsNone(floor_median([0.0003, None, None]))

    def test_the_loss_table_lists_only_floors_that_left_requests_unanswered(self):
        runs = [run(1200, 0.0006)]
        lossy = summarize(types.SimpleNamespace(name="unreliable-3", requests=500, replicas=5, mix=0.2),
                          runs, 0.0003, 0.0004)
        lossless = summarize(self.cfg, runs, 0.0003, 0.0003)
        unknown = summarize(self.cfg, runs, 0.0003)
        self.assertEqual(loss_cells([lossless, lossy, unknown]),
                         [("unreliable-3", "0.300", "0.400", "1.50")])

    def test_saved_runs_recorded_floors_counting_unanswered_requests_last(self):
        parts = [dict(run(1200, 0.0006), floor_latency=0.0003, floor_latency_unanswered_last=f)
                 for f in (0.0004, None, 0.0005)]
        self.assertEqual(recorded_floor(parts, "floor_latency_unanswered_last"), 0.0005)
        self.assertIsNone(recorded_floor([run(1200, 0.0006)], "floor_latency_unanswered_last"))

    def test_saved_runs_give_the_median_of_the_floors_they_recorded(self):
        older = run(1200, 0.0006)
        parts = [dict(run(1200, 0.0006), floor_latency=f) for f in (0.0003, 0.0003, 0.0005)]
        self.assertEqual(recorded_floor([older] + parts), 0.0003)
        self.assertIsNone(recorded_floor([older]))

    def test_ratios_are_over_the_traffic_floor_and_the_latency_floor(self):
        row = summarize(self.cfg, [run(1200, 0.0006), run(1300, 0.0004), run(1250, 0.0005)], 0.0004)
        self.assertEqual(row["total_msgs"], (1250, 1300))
        self.assertAlmostEqual(row["msg_ratio"], 1250 / 1000)
        self.assertAlmostEqual(row["lat_ratio"], 0.0005 / 0.0004)
        self.assertEqual(row["tiers"][0], [(0, 3)])

    def test_tiers_count_the_runs_at_each_tier_of_those_that_passed(self):
        runs = [run(900, 0.0004), run(2500, 0.0004, msgs_tier=2), run(950, 0.0004),
                run(5000, 0.0004, passed=False)]
        row = summarize(self.cfg, runs, 0.0004)
        self.assertEqual(row["tiers"][0], [(0, 2), (2, 1)])
        self.assertEqual(cells(row)[7], "0:2,2:1 1:3 1:3 0:3")
        self.assertEqual(row["passed"], 3)

    def test_without_a_floor_the_ratio_is_not_a_number_and_the_cell_a_dash(self):
        row = summarize(self.cfg, [run(1200, 0.0006)], None)
        self.assertTrue(math.isnan(row["lat_ratio"]))
        self.assertEqual(cells(row)[9], "-")


class SaveTests(unittest.TestCase):
    def test_saved_runs_read_back_as_run_json_writes_them(self):
        runs = [dict(run(1200, 0.0005), name="simple-2", seed=FIRST_SEED)]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "new", "runs.json")
            save(path, runs)
            with open(path, encoding="utf-8") as f:
                self.assertEqual(json.load(f), runs)


if __name__ == "__main__":
    unittest.main()
