"""How simulator/hops_cpu.py lays context switches over a put's path."""

import unittest

from simulator.hops_cpu import path_roles, run_intervals, step_shares


def switch(cpu, t, prev_pid, next_pid):
    return (f"[{cpu:03d}] {t:.6f}: sched:sched_switch: prev_comm=a prev_pid={prev_pid} "
            f"prev_prio=120 prev_state=S ==> next_comm=b next_pid={next_pid} next_prio=120")


PATH = [
    (1.000000, "out", {"src": "0010", "dst": "0000", "type": "put"}),
    (1.000100, "in", {"src": "0000", "dst": "0001", "type": "append"}),
    (1.000200, "out", {"src": "0000", "dst": "0001", "type": "append"}),
    (1.000300, "in", {"src": "0001", "dst": "0010", "type": "ok"}),
]


class HopsCpuTests(unittest.TestCase):
    def test_intervals_run_from_one_switch_to_the_next_on_each_processor(self):
        lines = [
            switch(1, 1.0, 0, 50),
            "[001] 1.000010: sched:sched_waking: comm=x pid=7",
            switch(0, 1.0, 0, 60),
            switch(1, 1.5, 50, 0),
            switch(0, 2.0, 60, 0),
        ]
        intervals = run_intervals(lines)
        self.assertEqual(intervals[1], [(1.0, 1.5, 50)])
        self.assertEqual(intervals[0], [(1.0, 2.0, 60)])

    def test_replicas_are_named_in_order_of_appearance(self):
        self.assertEqual(path_roles(PATH), {"0000": "R1", "0001": "R2"})

    def test_each_step_counts_what_ran_inside_it(self):
        sim, r1, r2, off_path = 100, 200, 300, 400
        intervals = {
            1: [
                (0.9, 1.000050, sim),  # the simulator, into step 1
                (1.000050, 1.000100, r1),  # the request's replica
                (1.000100, 1.000150, sim),
                (1.000150, 1.000250, r2),  # across steps 2 and 3
                (1.000250, 1.000300, 999),  # some other process
            ],
            0: [(0.9, 1.1, 0), (1.1, 1.2, off_path)],  # idle all along
        }
        pids = {"0000": r1, "0001": r2, "0002": off_path}
        shares = step_shares(PATH, intervals, sim, pids)
        self.assertEqual(len(shares), 3)
        self.assertAlmostEqual(shares[0][(1, "sim")], 50, places=3)
        self.assertAlmostEqual(shares[0][(1, "R1")], 50, places=3)
        self.assertAlmostEqual(shares[0][(0, "idle")], 100, places=3)
        self.assertAlmostEqual(shares[1][(1, "R2")], 50, places=3)
        self.assertAlmostEqual(shares[2][(1, "R2")], 50, places=3)
        self.assertAlmostEqual(shares[2][(1, "other")], 50, places=3)
        self.assertNotIn((0, "replica"), shares[2])


if __name__ == "__main__":
    unittest.main()
