"""The linearizability checker on hand-written histories."""

import unittest

from simulator.linearizability import check, check_key


def put(v, inv, resp, key="k"):
    return ("put", key, v, inv, resp)


def get(v, inv, resp, key="k"):
    return ("get", key, v, inv, resp)


class LinearizabilityTests(unittest.TestCase):
    def test_sequential_history(self):
        self.assertTrue(check_key([put("a", 0, 1), get("a", 2, 3), put("b", 4, 5), get("b", 6, 7)]))

    def test_reading_the_initial_value(self):
        self.assertTrue(check_key([get("", 0, 1), put("a", 2, 3)]))
        self.assertFalse(check_key([put("a", 0, 1), get("", 2, 3)]))

    def test_stale_read_after_a_completed_put_is_illegal(self):
        self.assertFalse(check_key([put("a", 0, 1), put("b", 2, 3), get("a", 4, 5)]))

    def test_concurrent_put_and_get_may_go_either_way(self):
        self.assertTrue(check_key([put("a", 0, 1), put("b", 2, 6), get("a", 3, 4)]))
        self.assertTrue(check_key([put("a", 0, 1), put("b", 2, 6), get("b", 3, 4)]))

    def test_reads_cannot_go_back_in_time(self):
        ops = [put("a", 0, 1), put("b", 2, 10), get("b", 3, 4), get("a", 5, 6)]
        self.assertFalse(check_key(ops))

    def test_unanswered_put_may_or_may_not_have_happened(self):
        self.assertTrue(check_key([put("a", 0, 1), put("x", 2, None), get("a", 3, 4)]))
        self.assertTrue(check_key([put("a", 0, 1), put("x", 2, None), get("x", 3, 4)]))
        self.assertFalse(check_key([put("a", 0, 1), put("x", 5, None), get("x", 3, 4)]),
                         "an unanswered put cannot take effect before it was sent")

    def test_a_value_never_written_is_illegal(self):
        self.assertFalse(check_key([get("ghost", 0, 1)]))

    def test_check_reports_the_key(self):
        history = [put("a", 0, 1, "k1"), get("a", 2, 3, "k1"), put("a", 0, 1, "k2"), get("", 2, 3, "k2")]
        violations, undecided = check(history)
        self.assertEqual([v.key for v in violations], ["k2"])
        self.assertEqual(undecided, [])
        self.assertIn("key k2", violations[0].describe())


if __name__ == "__main__":
    unittest.main()
