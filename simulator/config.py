"""Loading and validating a test configuration.

Every key the assignment documents is accepted. The start delay is read
from `wait`, or from its alias `start_wait` (the reference simulator's
name); `wait` wins when both are given, and the default is 2 seconds as the
assignment says (the reference's own default is 5 s; the canonical configs
state `"wait": 5` explicitly).

A bad configuration raises ConfigError naming the field; ./run prints it
on one line and exits 2.
"""

import json
import math
from dataclasses import dataclass, field

EVENT_TYPES = ("kill_non_leader", "kill_leader", "part_easy", "part_hard", "part_end")
METRICS = ("total_msgs", "failures", "duplicates", "median_latency")
KNOWN_KEYS = {
    "lifetime", "replicas", "requests", "mix", "wait", "start_wait", "end_wait",
    "seed", "drops", "events", "tests", "description",
}
TEST_FRACTIONS = {
    "maximum_get_fail_fraction": 0.5,
    "maximum_put_fail_fraction": 0.5,
    "maximum_get_generation_fail_fraction": 0.1,
    "maximum_appends_batched_fraction": 0.5,
}


class ConfigError(Exception):
    """A configuration problem: `field` names what is wrong."""

    def __init__(self, path, field_name, problem):
        super().__init__(f"{path}: {field_name}: {problem}")
        self.path = path
        self.field = field_name
        self.problem = problem


@dataclass
class Event:
    """One scheduled fault, `time` seconds after the start delay."""
    type: str
    time: float


@dataclass
class Config:
    """A validated test configuration."""
    path: str
    name: str
    description: str
    lifetime: float
    replicas: int
    requests: int
    mix: float = 0.8
    wait: float = 2.0
    end_wait: float = 2.0
    seed: object = None
    drops: float = 0.0
    events: list = field(default_factory=list)
    fractions: dict = field(default_factory=dict)
    benchmarks: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    @property
    def duration(self):
        """Seconds from start to the final measurement."""
        return self.wait + self.lifetime + self.end_wait


def _is_number(value):
    """A finite JSON number: not a boolean, NaN or an infinity (which
    Python's json module accepts as NaN and Infinity)."""
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value))


def _number(path, data, key, default=None, minimum=None, maximum=None, integer=False, where=None):
    """data[key], checked; `where` names the field in messages (default `key`)."""
    where = where or key
    if key not in data:
        if default is None:
            raise ConfigError(path, where, "required key is missing")
        return default
    value = data[key]
    if not _is_number(value):
        raise ConfigError(path, where, f"must be a finite number, got {value!r}")
    if integer and int(value) != value:
        raise ConfigError(path, where, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(path, where, f"must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(path, where, f"must be at most {maximum}, got {value!r}")
    return int(value) if integer else float(value)


def _events(path, data):
    raw = data.get("events", [])
    if not isinstance(raw, list):
        raise ConfigError(path, "events", "must be a list")
    events = []
    for i, ev in enumerate(raw):
        where = f"events[{i}]"
        if not isinstance(ev, dict):
            raise ConfigError(path, where, "must be an object with type and time")
        if ev.get("type") not in EVENT_TYPES:
            raise ConfigError(path, f"{where}.type",
                              f"unknown event {ev.get('type')!r} (valid: {', '.join(EVENT_TYPES)})")
        t = _number(path, ev, "time", minimum=0, where=f"{where}.time")
        events.append(Event(ev["type"], t))
    return sorted(events, key=lambda e: e.time)


def _tests(path, data):
    tests = data.get("tests")
    if not isinstance(tests, dict):
        raise ConfigError(path, "tests", "required object is missing")
    fractions = {}
    for key, default in TEST_FRACTIONS.items():
        fractions[key] = _number(path, tests, key, default=default, minimum=0, maximum=1,
                                 where=f"tests.{key}")
    bench = tests.get("benchmarks")
    if not isinstance(bench, dict):
        raise ConfigError(path, "tests.benchmarks", "required object is missing")
    benchmarks = {}
    for metric in METRICS:
        values = bench.get(metric)
        where = f"tests.benchmarks.{metric}"
        if not isinstance(values, list) or len(values) != 3:
            raise ConfigError(path, where, "must be a list of three thresholds")
        if not all(_is_number(v) for v in values):
            raise ConfigError(path, where, "thresholds must be finite numbers")
        if sorted(values) != list(values):
            raise ConfigError(path, where, "thresholds must not decrease")
        benchmarks[metric] = [float(v) for v in values]
    return fractions, benchmarks


def parse(path, data):
    """Validates a decoded configuration object."""
    if not isinstance(data, dict):
        raise ConfigError(path, "(top level)", "must be a JSON object")
    warnings = [f"{path}: {k}: unknown key ignored" for k in sorted(set(data) - KNOWN_KEYS)]
    cfg = Config(
        path=path,
        name=path.rsplit("/", 1)[-1].removesuffix(".json"),
        description=str(data.get("description", "")),
        lifetime=_number(path, data, "lifetime", minimum=5),
        replicas=_number(path, data, "replicas", minimum=3, maximum=0xFFFF - 32, integer=True),
        requests=_number(path, data, "requests", minimum=0, integer=True),
        mix=_number(path, data, "mix", default=0.8, minimum=0, maximum=1),
        wait=_number(path, data, "wait", default=None, minimum=0) if "wait" in data
        else _number(path, data, "start_wait", default=2.0, minimum=0),
        end_wait=_number(path, data, "end_wait", default=2.0, minimum=0),
        drops=_number(path, data, "drops", default=0.0, minimum=0, maximum=1),
        warnings=warnings,
    )
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, str))):
        raise ConfigError(path, "seed", f"must be an integer or string, got {seed!r}")
    cfg.seed = seed
    cfg.events = _events(path, data)
    cfg.fractions, cfg.benchmarks = _tests(path, data)
    return cfg


def load(path):
    """Reads and validates the configuration file at `path`."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(path, "(file)", e.strerror or str(e)) from None
    except UnicodeDecodeError as e:
        raise ConfigError(path, "(file)", f"not UTF-8 text (byte {e.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(path, "(json)", f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse(path, data)
