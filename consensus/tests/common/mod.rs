//! A hand-driven cluster for scenario tests: the test decides which
//! messages arrive, which are lost, and when time moves.

#![allow(dead_code)]

use consensus::{Answer, ClientRequest, Config, Message, NodeId, Operation, Replica, Reply, Role};
use rand::{rngs::StdRng, SeedableRng};
use statemachine::{KvCommand, KvQuery, KvStore, Recorder};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use wire::Body;

pub type Sm = Recorder<KvStore>;
pub type Msg = Message<KvCommand>;

/// Replicas, the messages in flight between them, and a clock.
pub struct Cluster {
    pub nodes: BTreeMap<NodeId, Replica<Sm>>,
    pub crashed: BTreeSet<NodeId>,
    pub in_flight: Vec<Msg>,
    pub replies: Vec<(NodeId, Reply<String>)>,
    /// Every message any replica sent, delivered or not, in order.
    pub sent: Vec<Msg>,
    pub now: Duration,
}

pub fn id(n: u16) -> NodeId {
    NodeId(n)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Cluster {
    /// `n` replicas `0000..`, default configuration, fixed seeds.
    pub fn new(n: u16) -> Self {
        Self::with_config(n, |_| {})
    }

    /// Like [`Cluster::new`], with each configuration adjusted.
    pub fn with_config(n: u16, adjust: impl Fn(&mut Config)) -> Self {
        let ids: Vec<NodeId> = (0..n).map(NodeId).collect();
        let nodes = ids
            .iter()
            .map(|&me| {
                let peers = ids.iter().copied().filter(|&p| p != me).collect();
                let mut cfg = Config::new(me, peers);
                adjust(&mut cfg);
                let rng = Box::new(StdRng::seed_from_u64(u64::from(me.0) + 7));
                let r = Replica::new(cfg, Recorder::new(KvStore::new()), rng, Duration::ZERO)
                    .expect("valid config");
                (me, r)
            })
            .collect();
        Cluster {
            nodes,
            crashed: BTreeSet::new(),
            in_flight: Vec::new(),
            replies: Vec::new(),
            sent: Vec::new(),
            now: Duration::ZERO,
        }
    }

    /// `n` replicas in which replica `0000` has timed out first and won
    /// the election, with every message of it delivered.
    pub fn led_by_0(n: u16) -> Self {
        Self::elect_0(Self::new(n))
    }

    /// Like [`Cluster::led_by_0`], with delegated answers on: a relay
    /// chain's last follower answers the puts it can prove committed.
    pub fn led_by_0_delegating(n: u16) -> Self {
        Self::led_by_0_with(n, |cfg| cfg.delegate_answers = true)
    }

    /// Like [`Cluster::led_by_0`], with delegated answers off: the leader
    /// answers every put itself, as the stories that follow a put's
    /// answer and count its messages through the leader expect.
    pub fn led_by_0_without_delegation(n: u16) -> Self {
        Self::led_by_0_with(n, |cfg| cfg.delegate_answers = false)
    }

    /// Like [`Cluster::led_by_0`], with each configuration adjusted.
    pub fn led_by_0_with(n: u16, adjust: impl Fn(&mut Config)) -> Self {
        Self::elect_0(Self::with_config(n, adjust))
    }

    /// Like [`Cluster::led_by_0_delegating`], but the messages of the
    /// election that `lost` picks are lost, and no time passes after it.
    pub fn led_by_0_delegating_losing(n: u16, lost: impl Fn(&Msg) -> bool) -> Self {
        let mut c = Self::with_config(n, |cfg| cfg.delegate_answers = true);
        c.time_out(0);
        settle_losing(&mut c, lost);
        assert_eq!(c.leaders(), vec![id(0)]);
        c
    }

    fn elect_0(mut c: Self) -> Self {
        c.time_out(0);
        c.settle();
        assert_eq!(c.leaders(), vec![id(0)]);
        c
    }

    pub fn node(&self, n: u16) -> &Replica<Sm> {
        &self.nodes[&id(n)]
    }

    fn collect(&mut self, who: NodeId) {
        let out = self.nodes.get_mut(&who).expect("known node").take_output();
        self.sent.extend(out.messages.iter().cloned());
        self.in_flight.extend(out.messages);
        self.replies
            .extend(out.replies.into_iter().map(|r| (who, r)));
    }

    /// Makes replica `n` time out now (moving the clock to its deadline if
    /// that is later), without ticking anyone else.
    pub fn time_out(&mut self, n: u16) {
        let who = id(n);
        let deadline = self.nodes[&who].next_deadline();
        self.now = self.now.max(deadline);
        let now = self.now;
        self.nodes.get_mut(&who).expect("known node").tick(now);
        self.collect(who);
    }

    /// Delivers the in-flight messages chosen by `pick` (one pass: replies
    /// they cause stay in flight). Returns how many were delivered.
    pub fn deliver(&mut self, pick: impl Fn(&Msg) -> bool) -> usize {
        let (chosen, rest): (Vec<Msg>, Vec<Msg>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|m| pick(m));
        self.in_flight = rest;
        let mut count = 0;
        for m in chosen {
            if self.crashed.contains(&m.dst) || self.crashed.contains(&m.src) {
                continue;
            }
            let now = self.now;
            let dst = m.dst;
            self.nodes.get_mut(&dst).expect("known node").step(now, m);
            self.collect(dst);
            count += 1;
        }
        count
    }

    /// Drops the in-flight messages chosen by `pick`.
    pub fn drop_where(&mut self, mut pick: impl FnMut(&Msg) -> bool) {
        self.in_flight.retain(|m| !pick(m));
    }

    /// Delivers messages between replicas not separated by `cut` until
    /// none is left; messages across the cut are lost.
    pub fn settle_with(&mut self, cut: &[u16]) {
        let side = |n: NodeId| cut.contains(&n.0);
        for _ in 0..1000 {
            self.drop_where(|m| side(m.src) != side(m.dst));
            if self.deliver(|_| true) == 0 {
                return;
            }
        }
        panic!("messages kept flowing");
    }

    /// Delivers everything until quiet.
    pub fn settle(&mut self) {
        self.settle_with(&[]);
    }

    /// Runs the clock for `d` in 1 ms steps, ticking replicas whose timers
    /// are due and delivering everything except across `cut`.
    pub fn run_with(&mut self, d: Duration, cut: &[u16]) {
        let side = |n: NodeId| cut.contains(&n.0);
        self.run_losing(d, |m| side(m.src) != side(m.dst));
    }

    /// Runs the clock for `d` in 1 ms steps, ticking replicas whose timers
    /// are due and delivering every message that `lost` does not pick.
    pub fn run_losing(&mut self, d: Duration, mut lost: impl FnMut(&Msg) -> bool) {
        let end = self.now + d;
        while self.now < end {
            self.now += ms(1);
            let now = self.now;
            let due: Vec<NodeId> = self
                .nodes
                .iter()
                .filter(|(n, r)| !self.crashed.contains(n) && r.next_deadline() <= now)
                .map(|(&n, _)| n)
                .collect();
            for n in due {
                self.nodes.get_mut(&n).expect("known node").tick(now);
                self.collect(n);
            }
            for _ in 0..1000 {
                self.drop_where(&mut lost);
                if self.deliver(|_| true) == 0 {
                    break;
                }
            }
        }
    }

    pub fn run(&mut self, d: Duration) {
        self.run_with(d, &[]);
    }

    pub fn crash(&mut self, n: u16) {
        self.crashed.insert(id(n));
    }

    /// The replicas that currently consider themselves leader.
    pub fn leaders(&self) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|(n, r)| !self.crashed.contains(n) && r.role() == Role::Leader)
            .map(|(&n, _)| n)
            .collect()
    }

    /// Sends a client put to replica `n`.
    pub fn put(&mut self, n: u16, mid: &str, key: &str, value: &str) {
        let op = Operation::Command(KvCommand {
            key: key.into(),
            value: value.into(),
        });
        self.submit(n, mid, op);
    }

    /// Sends a client get to replica `n`.
    pub fn get(&mut self, n: u16, mid: &str, key: &str) {
        self.submit(n, mid, Operation::Query(KvQuery { key: key.into() }));
    }

    fn submit(&mut self, n: u16, mid: &str, op: Operation<KvCommand, KvQuery>) {
        self.hand_over(n, mid, op);
        self.collect(id(n));
    }

    /// Gives replica `n` several puts (mid, key, value) before taking its
    /// output once, as a node does with requests that arrived together.
    pub fn put_burst(&mut self, n: u16, puts: &[(&str, &str, &str)]) {
        for &(mid, key, value) in puts {
            let op = Operation::Command(KvCommand {
                key: key.into(),
                value: value.into(),
            });
            self.hand_over(n, mid, op);
        }
        self.collect(id(n));
    }

    /// Hands replica `n` a burst of `count` puts of key `k` at once, 10 ms
    /// from now: `p0`..., writing `v0`.... Returns their (mid, value)
    /// pairs, in order.
    pub fn put_burst_of_one_key(&mut self, n: u16, count: usize) -> Vec<(String, String)> {
        self.now += ms(10);
        let burst: Vec<(String, String)> = (0..count)
            .map(|i| (format!("p{i}"), format!("v{i}")))
            .collect();
        self.put_burst_of_key(n, "k", &burst);
        burst
    }

    /// Gives replica `n` puts of `key` at once, one per (mid, value).
    pub fn put_burst_of_key(&mut self, n: u16, key: &str, burst: &[(String, String)]) {
        let puts: Vec<(&str, &str, &str)> = burst
            .iter()
            .map(|(mid, v)| (mid.as_str(), key, v.as_str()))
            .collect();
        self.put_burst(n, &puts);
    }

    fn hand_over(&mut self, n: u16, mid: &str, op: Operation<KvCommand, KvQuery>) {
        let req = ClientRequest {
            client: id(0x100),
            mid: mid.into(),
            op,
        };
        let now = self.now;
        self.nodes
            .get_mut(&id(n))
            .expect("known node")
            .request(now, req);
    }

    /// Every answer given to `mid`, with the replica that gave it.
    pub fn answers(&self, mid: &str) -> Vec<(NodeId, Answer<String>)> {
        self.replies
            .iter()
            .filter(|(_, r)| r.mid == mid)
            .map(|(n, r)| (*n, r.answer.clone()))
            .collect()
    }

    /// The answers to the requests `mids`, in the order they were given.
    pub fn answer_order(&self, mids: &[&str]) -> Vec<String> {
        self.replies
            .iter()
            .filter(|(_, r)| mids.contains(&r.mid.as_str()))
            .map(|(_, r)| r.mid.clone())
            .collect()
    }

    /// The terms of replica `n`'s log, index 1 first.
    pub fn log_terms(&self, n: u16) -> Vec<u64> {
        let log = self.node(n).log();
        log.range(1, log.last_index())
            .iter()
            .map(|e| e.term)
            .collect()
    }
}

/// True for an append message (entries or heartbeat).
pub fn is_append(m: &Msg) -> bool {
    matches!(m.body, Body::Append(_))
}

/// True for an answer to a vote request (real or pre-vote).
pub fn is_vote_response(m: &Msg) -> bool {
    matches!(m.body, Body::VoteResponse(_))
}

/// Delivers everything except what `lost` says is lost, until quiet.
pub fn settle_losing(c: &mut Cluster, lost: impl Fn(&Msg) -> bool) {
    loop {
        c.drop_where(&lost);
        if c.deliver(|_| true) == 0 {
            return;
        }
    }
}

/// How many vote requests (real or pre-vote) `from` sent `to`.
pub fn vote_requests(c: &Cluster, from: u16, to: u16) -> usize {
    c.sent
        .iter()
        .filter(|m| m.src == id(from) && m.dst == id(to))
        .filter(|m| matches!(m.body, Body::VoteRequest(_)))
        .count()
}

/// Involves replica `n`, as sender or receiver.
pub fn touches(m: &Msg, n: u16) -> bool {
    m.src == id(n) || m.dst == id(n)
}

/// The followers an append reaches: its receiver and, for a relayed
/// batch, everyone further down the chain.
pub fn reached_by(m: &Msg) -> Vec<wire::NodeId> {
    let mut reached = vec![m.dst];
    if let Body::Append(a) = &m.body {
        reached.extend(a.relay.iter().flat_map(|r| r.path.iter().copied()));
    }
    reached
}
