"""The put paths that simulator/hops.py cuts out of a trace."""

import json
import unittest

from simulator.hops import most_common, put_paths, shape


def datagram(**fields):
    return json.dumps(fields).encode()


class PutPathTests(unittest.TestCase):
    def test_a_path_runs_from_the_request_to_its_answer(self):
        trace = [
            (0.0, "out", "0000", datagram(type="put", MID="m1", src="0010", dst="0000")),
            (0.1, "in", "0000", datagram(type="append", src="0000", dst="0001")),
            (0.2, "out", "0001", datagram(type="append", src="0000", dst="0001")),
            (0.3, "in", "0001", datagram(type="append_response", src="0001", dst="0000")),
            (0.4, "out", "0000", datagram(type="append_response", src="0001", dst="0000")),
            (0.5, "in", "0000", datagram(type="ok", MID="m1", src="0000", dst="0010")),
            # A put answered with a redirect is no put path.
            (1.0, "out", "0001", datagram(type="put", MID="m2", src="0010", dst="0001")),
            (1.1, "in", "0001", datagram(type="redirect", MID="m2", src="0001", dst="0010")),
            # Nor is one never answered.
            (2.0, "out", "0000", datagram(type="put", MID="m3", src="0010", dst="0000")),
            (2.1, "in", "0000", b"not json"),
        ]
        paths = put_paths(trace)
        self.assertEqual(len(paths), 1)
        self.assertEqual([t for t, _, _ in paths[0]], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
        self.assertEqual(shape(paths[0])[1], ("in", "append"))
        self.assertEqual(shape(paths[0])[-1], ("in", "ok"))

    def test_only_the_answer_to_the_put_ends_its_path(self):
        trace = [
            (0.0, "out", "0000", datagram(type="put", MID="m1")),
            (0.1, "in", "0000", datagram(type="ok", MID="other")),
            # A message between replicas may carry the put's MID.
            (0.2, "in", "0000", datagram(type="echo", MID="m1")),
            (0.3, "in", "0000", datagram(type="ok", MID="m1")),
        ]
        (path,) = put_paths(trace)
        self.assertEqual(len(path), 4)

    def test_the_most_common_shape_is_kept(self):
        def path(*types):
            return [(0.0, "in", {"type": t}) for t in types]

        paths = [path("put", "ok"), path("put", "append", "ok"), path("put", "append", "ok")]
        self.assertEqual(most_common(paths), paths[1:])
        self.assertEqual(most_common([]), [])


if __name__ == "__main__":
    unittest.main()
