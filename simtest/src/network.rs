//! The simulated network: what happens to each message on its way.

use rand::Rng;
use std::collections::BTreeSet;
use std::time::Duration;
use wire::NodeId;

/// How hostile the network is. Every probability applies per message.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Chance a message is lost.
    pub drop: f64,
    /// Chance a delivered message arrives twice.
    pub duplicate: f64,
    /// Shortest one-way delay.
    pub min_delay: Duration,
    /// Longest ordinary one-way delay; delays are uniform in between, so
    /// messages overtake each other.
    pub max_delay: Duration,
    /// Chance a message is held up for much longer (up to `long_delay`).
    pub long_delay_chance: f64,
    /// The longest delay of all.
    pub long_delay: Duration,
}

impl NetConfig {
    /// A perfect network: no loss, no duplication, short delays.
    pub fn calm() -> Self {
        NetConfig {
            drop: 0.0,
            duplicate: 0.0,
            min_delay: Duration::from_micros(100),
            max_delay: Duration::from_micros(600),
            long_delay_chance: 0.0,
            long_delay: Duration::ZERO,
        }
    }
}

/// Links that are cut, and the per-message dice.
#[derive(Clone, Debug)]
pub struct Network {
    /// Current behaviour.
    pub cfg: NetConfig,
    /// Directed links that carry nothing: (from, to).
    cut: BTreeSet<(NodeId, NodeId)>,
}

impl Network {
    /// A network with no cut links.
    pub fn new(cfg: NetConfig) -> Self {
        Network {
            cfg,
            cut: BTreeSet::new(),
        }
    }

    /// True when nothing from `from` reaches `to`.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut.contains(&(from, to))
    }

    /// Separates the groups from each other (both ways); replicas in no
    /// group keep every link.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i != j {
                    for &x in a {
                        for &y in b {
                            self.cut.insert((x, y));
                        }
                    }
                }
            }
        }
    }

    /// Cuts one direction of one link.
    pub fn cut_one_way(&mut self, from: NodeId, to: NodeId) {
        self.cut.insert((from, to));
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// The delays after which copies of one message arrive: none if it is
    /// lost, two if it is duplicated.
    pub fn fate(&self, rng: &mut impl Rng, from: NodeId, to: NodeId) -> Vec<Duration> {
        if self.is_cut(from, to) || rng.gen_bool(self.cfg.drop) {
            return Vec::new();
        }
        let copies = if rng.gen_bool(self.cfg.duplicate) {
            2
        } else {
            1
        };
        (0..copies).map(|_| self.delay(rng)).collect()
    }

    /// The delay of an answer to a client: the shortest delay there is.
    /// Client traffic is never lost and never held up, as in `./run`,
    /// where clients sit in the simulator itself: an answer reaches its
    /// client before anything its replica sends afterwards can make
    /// another replica answer. Answers from different replicas thus
    /// arrive in causal order, which the get check (a read against the
    /// last put answered) needs, and on which delegated answers rely
    /// (`consensus`, `delegated_answers.rs`).
    pub fn client_delay(&self) -> Duration {
        self.cfg.min_delay
    }

    /// One delay, for a message that is not lost.
    pub fn delay(&self, rng: &mut impl Rng) -> Duration {
        if self.cfg.long_delay_chance > 0.0 && rng.gen_bool(self.cfg.long_delay_chance) {
            return rng.gen_range(self.cfg.max_delay..=self.cfg.long_delay.max(self.cfg.max_delay));
        }
        rng.gen_range(self.cfg.min_delay..=self.cfg.max_delay)
    }
}
