"""Tiers, the median, and partition construction."""

import random
import unittest

from simulator.config import Event, parse
from simulator.network import decode, udp_receive_overflows
from simulator.clients import Clients
from simulator.scoring import median, median_unanswered_last, quantile, tier, time_to_ok
from simulator.simulation import Simulation
from simulator.tests.test_config import BASE


class TierTests(unittest.TestCase):
    def test_strictly_below_each_threshold(self):
        limits = [10, 20, 30]
        self.assertEqual(tier(9, limits), 0)
        self.assertEqual(tier(10, limits), 1, "equal to a threshold is not below it")
        self.assertEqual(tier(29.9, limits), 2)
        self.assertEqual(tier(30, limits), 3)
        self.assertEqual(tier(0, [0, 1, 2]), 1, "zero is not below a zero threshold")

    def test_median_is_the_references(self):
        self.assertEqual(median([3, 1, 2, 4]), 3, "sorted(l)[n // 2]")
        self.assertEqual(median([5]), 5)
        self.assertEqual(median([]), 0.0)

    def test_unanswered_requests_rank_after_every_answered_one(self):
        self.assertEqual(median_unanswered_last([3, 1, 2, 4], 0), median([3, 1, 2, 4]))
        self.assertEqual(median_unanswered_last([3, 1, 2, 4], 1), 3, "[1 2 3 4 x][2]")
        self.assertEqual(median_unanswered_last([3, 1, 2, 4], 3), 4, "[1 2 3 4 x x x][3]")
        self.assertIsNone(median_unanswered_last([3, 1, 2, 4], 4), "[1 2 3 4 x x x x][4]")
        self.assertEqual(median_unanswered_last([], 0), 0.0)

    def test_quantiles_pick_like_the_median(self):
        values = list(range(100, 0, -1))
        self.assertEqual(quantile(values, 0.5), median(values))
        self.assertEqual(quantile(values, 0.9), 91)
        self.assertEqual(quantile(values, 0.99), 100)
        self.assertEqual(quantile(values, 1.0), 100, "never past the end")
        self.assertEqual(quantile([], 0.9), 0.0)
        summary = time_to_ok([0.004, 0.001, 0.002])
        self.assertEqual(summary, {"n": 3, "median": 0.002, "p90": 0.004, "p99": 0.004,
                                   "max": 0.004})


class TimeToOkTests(unittest.TestCase):
    """A request's time to ok runs from its first attempt, across redirects."""

    def setUp(self):
        self.clients = Clients(["C1"], random.Random(1))

    def answer(self, msg, kind, now, **extra):
        reply = dict({"src": msg["dst"], "dst": msg["src"], "leader": "0001", "type": kind,
                      "MID": msg["MID"]}, **extra)
        return self.clients.on_response(reply, now)

    def test_a_redirected_put_counts_from_its_first_send(self):
        put = self.clients.new_request(mix=0.0)
        first = self.clients.attempt(put, 1.000, "0000")
        retry = self.answer(first, "redirect", 1.001)
        self.assertIs(retry, put)
        second = self.clients.attempt(retry, 1.001, "0001")
        self.assertIsNone(self.answer(second, "ok", 1.005))
        self.assertEqual(self.clients.ok_times["put"], [1.005 - 1.000])
        self.assertEqual(sorted(self.clients.latencies), [1.001 - 1.000, 1.005 - 1.001],
                         "the reference's latency counts each attempt on its own")

    def test_a_response_whose_mid_is_no_string_is_unexpected(self):
        put = self.clients.new_request(mix=0.0)
        self.clients.attempt(put, 1.0, "0000")
        reply = {"src": "0000", "dst": "C1", "leader": "0000", "type": "ok", "MID": ["x"]}
        self.assertIsNone(self.clients.on_response(reply, 1.1))
        self.assertEqual(self.clients.stats["unexpected"], 1)

    def test_a_request_not_answered_ok_has_no_time(self):
        put = self.clients.new_request(mix=0.0)
        self.answer(self.clients.attempt(put, 2.0, "0000"), "fail", 2.1)
        self.assertEqual(self.clients.ok_times, {"get": [], "put": []})
        self.assertEqual(len(self.clients.latencies), 1)


class PartitionTests(unittest.TestCase):
    def setUp(self):
        self.sim = Simulation(parse("t", BASE), "/bin/true", True, seed=1, log=lambda _: None)
        self.sim.rng = random.Random(7)

    def tearDown(self):
        self.sim.net.close()

    def test_easy_partition_keeps_the_leader_in_the_majority(self):
        for leader in self.sim.ids:
            self.sim.leader = leader
            self.sim.apply_event(Event("part_easy", 0))
            self.assertIn(leader, self.sim.net.group)
            self.assertEqual(len(self.sim.net.group), 3)

    def test_hard_partition_is_a_random_majority_and_clients_forget(self):
        self.sim.clients.leader = {c: "0001" for c in self.sim.clients.leader}
        groups = set()
        for _ in range(30):
            self.sim.apply_event(Event("part_hard", 0))
            self.assertEqual(len(self.sim.net.group), 3)
            groups.add(frozenset(self.sim.net.group))
        self.assertGreater(len(groups), 1)
        self.assertTrue(all(v == "FFFF" for v in self.sim.clients.leader.values()))

    def test_killing_a_believed_leader_already_dead_still_makes_clients_forget(self):
        self.sim.clients.leader = {c: "0001" for c in self.sim.clients.leader}
        self.sim.net.dead.add("0001")
        self.sim.leader = "0001"
        self.sim.apply_event(Event("kill_leader", 0))
        self.assertTrue(all(v == "FFFF" for v in self.sim.clients.leader.values()))
        self.sim.clients.leader = {c: "0002" for c in self.sim.clients.leader}
        self.sim.leader = "FFFF"
        self.sim.apply_event(Event("kill_leader", 0))
        self.assertTrue(all(v == "0002" for v in self.sim.clients.leader.values()),
                        "nothing happens while the simulator believes FFFF")

    def test_a_message_routed_before_hello_marks_the_replica_dead_even_if_dropped(self):
        net = self.sim.net
        net.drops = 1.0
        net.route("0000", "0003", b"{}", "append")
        self.assertIn("0003", net.dead)
        self.assertEqual(net.dropped, 1)

    def test_messages_cross_only_within_a_side(self):
        self.sim.net.group = {"0000", "0001", "0002"}
        self.assertFalse(self.sim.net.crosses("0000", "0002"))
        self.assertFalse(self.sim.net.crosses("0003", "0004"))
        self.assertTrue(self.sim.net.crosses("0000", "0004"))
        self.sim.apply_event(Event("part_end", 0))
        self.assertFalse(self.sim.net.crosses("0000", "0004"))


class DecodeTests(unittest.TestCase):
    def test_an_id_is_exactly_four_hex_digits(self):
        ok = b'{"src": "0001", "dst": "0002", "leader": "FFFF", "type": "x"}'
        self.assertIsNone(decode(ok)[1])
        for bad in ('"0001\\n"', '"001"', '"00011"', '"00G1"', '1'):
            data = ('{"src": %s, "dst": "0002", "leader": "FFFF", "type": "x"}' % bad).encode()
            self.assertIsNotNone(decode(data)[1], bad)


class SocketOverflowTests(unittest.TestCase):
    SNMP = (
        "Ip: Forwarding DefaultTTL\n"
        "Ip: 1 64\n"
        "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "Udp: 1052487 0 34 1052522 34 0\n"
        "UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n"
        "UdpLite: 0 0 0 0 7 0\n"
    )

    def test_reads_the_udp_receive_buffer_errors(self):
        self.assertEqual(udp_receive_overflows(self.SNMP), 34, "Udp, not UdpLite")

    def test_unknown_without_the_counter(self):
        self.assertIsNone(udp_receive_overflows("Udp: InDatagrams\nUdp: 5\n"))
        self.assertIsNone(udp_receive_overflows(""))


if __name__ == "__main__":
    unittest.main()
