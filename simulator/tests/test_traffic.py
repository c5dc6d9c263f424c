"""How simulator/traffic.py sorts a run's messages."""

import argparse
import types
import unittest

from simulator.traffic import Measured, brief_row, kind_of, parse_seeds, phase_of, tally


def append(**fields):
    return {"type": "append", "src": "0000", "dst": "0001", "entries": [], **fields}


class KindTests(unittest.TestCase):
    def test_a_chain_is_the_leaders_send_then_each_follower_passing_it_on(self):
        relay = {"leader": "0000", "path": ["0002"], "reports": []}
        self.assertEqual(kind_of(append(relay=relay, entries=[{}])), "chain: leader's send")
        passed = append(src="0001", dst="0002", relay=relay, entries=[{}])
        self.assertEqual(kind_of(passed), "chain: passed on")

    def test_a_direct_append_is_entries_a_quiet_batch_or_a_heartbeat(self):
        self.assertEqual(kind_of(append(entries=[{}])), "append: entries, direct")
        self.assertEqual(kind_of(append(entries=[{}], quiet=True)), "append: quiet batch")
        self.assertEqual(kind_of(append()), "append: heartbeat")

    def test_answers_and_votes(self):
        self.assertEqual(kind_of({"type": "append_response", "success": True}), "answer: accepted")
        self.assertEqual(kind_of({"type": "append_response", "success": False}), "answer: rejected")
        self.assertEqual(kind_of({"type": "vote_request", "pre_vote": True}), "pre-vote request")
        self.assertEqual(kind_of({"type": "vote_response", "pre_vote": True}), "pre-vote answer")
        self.assertEqual(kind_of({"type": "vote_request", "pre_vote": False}), "vote request")
        self.assertEqual(kind_of({"type": "vote_response"}), "vote answer")

    def test_anything_else_keeps_its_type(self):
        self.assertEqual(kind_of({"type": "gossip"}), "gossip")
        self.assertEqual(kind_of({}), "?")


class PhaseTests(unittest.TestCase):
    EVENTS = [(10.0, "part_hard", True), (13.0, "part_end", None)]

    def test_a_phase_runs_from_its_event_to_the_next(self):
        self.assertEqual(phase_of(0.0, self.EVENTS), 0)
        self.assertEqual(phase_of(9.99, self.EVENTS), 0)
        self.assertEqual(phase_of(10.0, self.EVENTS), 1)
        self.assertEqual(phase_of(12.5, self.EVENTS), 1)
        self.assertEqual(phase_of(40.0, self.EVENTS), 2)

    def test_tally_counts_by_kind_by_phase_and_what_the_partition_cut(self):
        routed = [
            (1.0, "chain: leader's send", False),
            (11.0, "append: entries, direct", True),
            (11.5, "answer: accepted", False),
            (12.0, "append: entries, direct", True),
            (14.0, "chain: leader's send", False),
        ]
        by_kind, by_phase, cut_by_kind, cut_by_phase = tally(routed, self.EVENTS)
        self.assertEqual(by_kind["append: entries, direct"], 2)
        self.assertEqual(by_kind["chain: leader's send"], 2)
        self.assertEqual(dict(by_phase), {0: 1, 1: 3, 2: 1})
        self.assertEqual(dict(cut_by_kind), {"append: entries, direct": 2})
        self.assertEqual(dict(cut_by_phase), {1: 2})


class MeasuredTests(unittest.TestCase):
    def test_counts_are_means_per_run_and_phases_say_where_the_leader_stood(self):
        events = [(10.0, "part_hard", True), (13.0, "part_end", None)]
        first = types.SimpleNamespace(events_seen=events, routed=[
            (1.0, "chain: leader's send", False),
            (1.0, "chain: passed on", False),
            (11.0, "pre-vote request", True),
            (11.0, "pre-vote request", True),
        ])
        second = types.SimpleNamespace(events_seen=[(10.0, "part_hard", False), events[1]], routed=[
            (1.0, "chain: leader's send", False),
            (14.0, "answer: accepted", False),
        ])
        m = Measured(runs=2)
        m.add(first)
        m.add(second)
        self.assertEqual(m.per_run(["chain: leader's send", "chain: passed on"]), 1.5)
        self.assertEqual(m.per_run(["pre-vote request"]), 1.0)
        # The partition cut the leader off in one of the two runs.
        self.assertEqual(m.labels[1], [10.0, "part_hard", 2, 1])
        self.assertEqual(m.labels[2], [13.0, "part_end", 0, 0])
        row = brief_row("advanced-1", m).split()
        # Name, all messages, chains, direct, contacts, answers, votes, cut.
        self.assertEqual(row, ["advanced-1", "3.0", "1.5", "0.0", "0.0", "0.5", "1.0", "1.0"])


class SeedTests(unittest.TestCase):
    def test_a_seed_or_a_range(self):
        self.assertEqual(parse_seeds("7"), [7])
        self.assertEqual(parse_seeds("1000-1002"), [1000, 1001, 1002])

    def test_a_range_backwards_is_refused(self):
        with self.assertRaises(argparse.ArgumentTypeError):
            parse_seeds("5-3")


if __name__ == "__main__":
    unittest.main()
