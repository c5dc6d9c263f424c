//! The simulated world that runs one scenario: a virtual clock and its
//! event queue, the replicas, the network and the clients. Each event is
//! handled in turn, the invariants are checked after every step, and at
//! the end of the calm phase the liveness and linearizability checks.

use crate::clients::{Clients, Request};
use crate::invariants::{Checker, Sm};
use crate::linearizability;
use crate::network::{NetConfig, Network};
use crate::outcome::Outcome;
use crate::scenario::{Fault, Scenario};
use crate::traffic::MessageKind;
use consensus::{Config, Message, NodeId, Replica, Reply, Role};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use statemachine::{KvCommand, KvStore, Recorder};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;
#[derive(Debug)]
enum Event {
    Deliver(NodeId, Message<KvCommand>),
    /// Client requests that reach one replica together (usually one).
    ClientSend(NodeId, Vec<Request>),
    Answer(NodeId, Reply<String>),
    Wake(NodeId),
    Request,
    Fault(Fault),
    /// Cut off this replica with a minority if it still leads this term.
    Depose(NodeId, consensus::Term),
    Calm,
}

struct Queued {
    at: Duration,
    seq: u64,
    event: Event,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct World {
    now: Duration,
    seq: u64,
    queue: BinaryHeap<Reverse<Queued>>,
    ids: Vec<NodeId>,
    replicas: Vec<Option<Replica<Sm>>>,
    wake_at: Vec<Option<Duration>>,
    /// Until when each replica's process is paused (`Fault::Pause`).
    paused_until: Vec<Duration>,
    /// When each replica's latest answer reaches its client. Answers from
    /// one replica arrive in the order they were sent, as datagrams from
    /// one socket to the simulator's do.
    answers_arrive: Vec<Duration>,
    net: Network,
    clients: Clients,
    checker: Checker,
    rng: StdRng,
    outcome: Outcome,
    trace: bool,
    /// The highest term any replica has led so far.
    newest_leader_term: consensus::Term,
    /// Copied from the scenario, and cleared when the calm phase begins.
    depose_new_leaders: Option<(Duration, Duration)>,
}

impl World {
    fn push(&mut self, at: Duration, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Queued {
            at,
            seq: self.seq,
            event,
        }));
    }

    fn note(&mut self, text: impl FnOnce() -> String) {
        if self.trace {
            let line = format!("{:>10.6} {}", self.now.as_secs_f64(), text());
            self.outcome.trace.push(line);
        }
    }

    fn alive(&self) -> Vec<NodeId> {
        self.ids
            .iter()
            .zip(&self.replicas)
            .filter(|(_, r)| r.is_some())
            .map(|(&id, _)| id)
            .collect()
    }

    fn index(&self, id: NodeId) -> usize {
        id.0 as usize
    }

    /// The replicas of `alive` that do not lead.
    fn live_non_leaders(&self, alive: &[NodeId]) -> Vec<NodeId> {
        let leader = self.leader();
        alive
            .iter()
            .copied()
            .filter(|&id| Some(id) != leader)
            .collect()
    }

    fn leader(&self) -> Option<NodeId> {
        self.replicas
            .iter()
            .flatten()
            .filter(|r| r.role() == Role::Leader)
            .max_by_key(|r| r.term())
            .map(|r| r.id())
    }

    /// Runs `f` on a live replica, then handles what it produced and
    /// checks every invariant that concerns it.
    fn with_replica(&mut self, id: NodeId, f: impl FnOnce(&mut Replica<Sm>, Duration)) {
        let i = self.index(id);
        let now = self.now;
        let Some(r) = self.replicas[i].as_mut() else {
            return;
        };
        let before = (r.log().last_index(), r.log().last_term(), r.commit_index());
        f(r, now);
        let out = r.take_output();
        let after = (r.log().last_index(), r.log().last_term(), r.commit_index());
        let log_changed = before.0 != after.0 || before.1 != after.1;
        let deadline = r.next_deadline();
        for msg in out.messages {
            self.outcome.replica_messages.push(now);
            if let Some(kind) = MessageKind::of(&msg) {
                *self.outcome.messages_by_kind.entry(kind).or_default() += 1;
                if matches!(kind, MessageKind::PreVote | MessageKind::Vote) {
                    self.outcome.vote_messages.push(now);
                }
            }
            let delays = self.net.fate(&mut self.rng, msg.src, msg.dst);
            if delays.is_empty() {
                self.note(|| format!("lost    {:?}->{:?} {:?}", msg.src, msg.dst, msg.body));
            }
            for d in delays {
                self.push(now + d, Event::Deliver(msg.dst, msg.clone()));
            }
        }
        for reply in out.replies {
            let d = self.net.client_delay();
            let at = (now + d).max(self.answers_arrive[i]);
            self.answers_arrive[i] = at;
            self.push(at, Event::Answer(id, reply));
        }
        if self.wake_at[i].is_none_or(|t| deadline < t) {
            self.wake_at[i] = Some(deadline);
            self.push(deadline.max(now), Event::Wake(id));
        }
        let others: Vec<&Replica<Sm>> = self
            .replicas
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, r)| r.as_ref())
            .collect();
        let mut new_leader_term = None;
        if let Some(r) = self.replicas[i].as_ref() {
            if let Err(v) = self.checker.after_step(r, log_changed, &others) {
                self.outcome.violations.push(v);
            }
            if r.role() == Role::Leader && r.term() > self.newest_leader_term {
                new_leader_term = Some(r.term());
            }
        }
        if let Some(term) = new_leader_term {
            self.newest_leader_term = term;
            self.outcome.leaders_elected.push(now);
            if let Some((min, max)) = self.depose_new_leaders {
                let d = self.rng.gen_range(min..max);
                self.push(now + d, Event::Depose(id, term));
            }
        }
    }

    /// Holds back an event for a paused replica until it runs again:
    /// messages and requests at the moment it resumes, in the order they
    /// arrived, and timers just after them, as the node takes the
    /// datagrams that woke it before its timers. Returns the event if its
    /// replica is running.
    fn unless_paused(&mut self, event: Event) -> Option<Event> {
        let to = match &event {
            Event::Deliver(to, _) | Event::ClientSend(to, _) | Event::Wake(to) => *to,
            _ => return Some(event),
        };
        let i = self.index(to);
        let resume = self.paused_until[i];
        if self.now >= resume {
            return Some(event);
        }
        if matches!(event, Event::Wake(_)) {
            let after_messages = resume + Duration::from_nanos(1);
            self.wake_at[i] = Some(after_messages);
            self.push(after_messages, event);
        } else {
            self.push(resume, event);
        }
        None
    }

    fn handle(&mut self, event: Event, scenario: &Scenario) {
        let Some(event) = self.unless_paused(event) else {
            return;
        };
        match event {
            Event::Deliver(to, msg) => {
                self.note(|| format!("deliver {:?}->{:?} {:?}", msg.src, to, msg.body));
                self.with_replica(to, |r, now| r.step(now, msg));
            }
            Event::ClientSend(to, reqs) => {
                for req in &reqs {
                    self.note(|| format!("request {} {:?} -> {:?}", req.mid, req.op, to));
                }
                self.with_replica(to, |r, now| {
                    for req in reqs {
                        r.request(now, req);
                    }
                });
            }
            Event::Answer(from, reply) => {
                self.note(|| format!("answer  {} from {:?}: {:?}", reply.mid, from, reply.answer));
                let alive = self.alive();
                if let Some((to, req)) =
                    self.clients
                        .on_reply(&mut self.rng, self.now, from, reply, &alive)
                {
                    let d = self.net.delay(&mut self.rng);
                    self.push(self.now + d, Event::ClientSend(to, vec![req]));
                }
            }
            Event::Wake(id) => {
                let i = self.index(id);
                self.wake_at[i] = None;
                let due = self.replicas[i]
                    .as_ref()
                    .is_some_and(|r| r.next_deadline() <= self.now);
                if due {
                    self.with_replica(id, |r, now| r.tick(now));
                } else if let Some(deadline) = self.replicas[i].as_ref().map(|r| r.next_deadline())
                {
                    self.wake_at[i] = Some(deadline);
                    self.push(deadline, Event::Wake(id));
                }
            }
            Event::Request => {
                let alive = self.alive();
                let count = if scenario.bursts && self.rng.gen_bool(0.2) {
                    self.rng.gen_range(2..8)
                } else {
                    1
                };
                let mut by_target: Vec<(NodeId, Vec<Request>)> = Vec::new();
                for _ in 0..count {
                    let Some((to, req)) = self.clients.new_request(&mut self.rng, self.now, &alive)
                    else {
                        continue;
                    };
                    match by_target.iter_mut().find(|(t, _)| *t == to) {
                        Some((_, reqs)) => reqs.push(req),
                        None => by_target.push((to, vec![req])),
                    }
                }
                for (to, reqs) in by_target {
                    let d = self.net.delay(&mut self.rng);
                    self.push(self.now + d, Event::ClientSend(to, reqs));
                }
            }
            Event::Fault(fault) => self.fault(fault),
            Event::Depose(id, term) => {
                let leads = self.replicas[self.index(id)]
                    .as_ref()
                    .is_some_and(|r| r.role() == Role::Leader && r.term() == term);
                if leads && self.depose_new_leaders.is_some() {
                    self.isolate(id);
                }
            }
            Event::Calm => {
                self.depose_new_leaders = None;
                self.note(|| "calm: links heal, the network is perfect".into());
                self.net.heal();
                self.net.cfg = NetConfig::calm();
                let _ = scenario;
            }
        }
    }

    fn crash(&mut self, id: NodeId) {
        self.note(|| format!("crash   {id:?}"));
        let i = self.index(id);
        self.replicas[i] = None;
    }

    /// Cuts `leader` off together with a random minority of the others.
    fn isolate(&mut self, leader: NodeId) {
        let mut rest: Vec<NodeId> = self
            .ids
            .iter()
            .copied()
            .filter(|&id| id != leader)
            .collect();
        rest.shuffle(&mut self.rng);
        let minority = (self.ids.len() - 1) / 2 - 1;
        let mut group = vec![leader];
        group.extend(rest.drain(..minority));
        self.note(|| format!("isolate leader with {group:?}"));
        self.net.partition(&[group, rest]);
    }

    fn fault(&mut self, fault: Fault) {
        let alive = self.alive();
        match fault {
            Fault::CrashLeader => {
                if let Some(l) = self.leader() {
                    self.crash(l);
                }
            }
            Fault::CrashFollower => {
                let followers = self.live_non_leaders(&alive);
                if let Some(&f) = followers.choose(&mut self.rng) {
                    self.crash(f);
                }
            }
            Fault::IsolateLeader => {
                if let Some(l) = self.leader() {
                    self.isolate(l);
                }
            }
            Fault::RandomPartition => {
                let mut ids = self.ids.clone();
                ids.shuffle(&mut self.rng);
                let cut = self.rng.gen_range(1..ids.len());
                let (a, b) = ids.split_at(cut);
                self.note(|| format!("partition {a:?} | {b:?}"));
                self.net.partition(&[a.to_vec(), b.to_vec()]);
            }
            Fault::CutOneWay => {
                let from = *self.ids.choose(&mut self.rng).unwrap_or(&NodeId(0));
                let to = *self.ids.choose(&mut self.rng).unwrap_or(&NodeId(1));
                if from != to {
                    self.note(|| format!("cut     {from:?}->{to:?}"));
                    self.net.cut_one_way(from, to);
                }
            }
            Fault::Heal => {
                self.note(|| "heal".into());
                self.net.heal();
            }
            Fault::Pause {
                leader,
                nth,
                lasting,
            } => {
                let others = self.live_non_leaders(&alive);
                let paused = if leader {
                    self.leader()
                } else {
                    others.get(nth % others.len().max(1)).copied()
                };
                if let Some(id) = paused {
                    self.note(|| format!("pause   {id:?} for {lasting:?}"));
                    let i = self.index(id);
                    self.paused_until[i] = self.paused_until[i].max(self.now + lasting);
                }
            }
        }
    }
}

/// Runs one scenario to its end and reports what went wrong.
pub fn run_scenario(scenario: &Scenario) -> Outcome {
    let ids: Vec<NodeId> = (0..scenario.replicas as u16).map(NodeId).collect();
    let replicas = ids
        .iter()
        .map(|&me| {
            let peers = ids.iter().copied().filter(|&p| p != me).collect();
            let mut cfg = Config::new(me, peers);
            cfg.rules = scenario.rules;
            cfg.pre_vote = scenario.pre_vote;
            cfg.max_batch = scenario.max_batch;
            cfg.eager_followers = scenario.eager_followers;
            cfg.relay = scenario.relay;
            cfg.delegate_answers = scenario.delegate_answers;
            if !scenario.send_cut_off_clients_elsewhere {
                cfg.cut_off_hold = None;
            }
            if let Some(t) = scenario.election_timeout {
                cfg.election_timeout = t;
                cfg.heartbeat_interval = t / 3;
                cfg.idle_heartbeat_interval = t * 5 / 6;
                cfg.lease = t * 5 / 6;
                cfg.silent_after = t;
                cfg.silent_probe_interval = t * 5 / 6;
                cfg.long_silence_after = t * 5;
                cfg.long_silent_probe_interval = t * 10 / 3;
            }
            let rng = Box::new(StdRng::seed_from_u64(
                scenario.seed.wrapping_mul(31) + u64::from(me.0),
            ));
            Replica::new(cfg, Recorder::new(KvStore::new()), rng, Duration::ZERO).ok()
        })
        .collect();
    let mut w = World {
        now: Duration::ZERO,
        seq: 0,
        queue: BinaryHeap::new(),
        ids: ids.clone(),
        replicas,
        wake_at: vec![None; ids.len()],
        paused_until: vec![Duration::ZERO; ids.len()],
        answers_arrive: vec![Duration::ZERO; ids.len()],
        net: Network::new(scenario.net.clone()),
        clients: Clients::new(4),
        checker: Checker::default(),
        rng: StdRng::seed_from_u64(scenario.seed),
        outcome: Outcome::default(),
        trace: scenario.trace,
        newest_leader_term: 0,
        depose_new_leaders: scenario.depose_new_leaders,
    };
    for &id in &ids {
        w.push(Duration::ZERO, Event::Wake(id));
    }
    for (at, fault) in &scenario.faults {
        w.push(*at, Event::Fault(fault.clone()));
    }
    let calm_at = scenario.fault_phase;
    let end = calm_at + scenario.calm_phase;
    let requests_end = end - Duration::from_secs(4);
    for _ in 0..scenario.requests {
        let at = Duration::from_micros(w.rng.gen_range(300_000..requests_end.as_micros() as u64));
        w.push(at, Event::Request);
    }
    w.push(calm_at, Event::Calm);
    let mut same_instant = 0u32;
    while let Some(Reverse(q)) = w.queue.pop() {
        if q.at > end {
            break;
        }
        same_instant = if q.at == w.now { same_instant + 1 } else { 0 };
        if same_instant > 10_000 {
            w.outcome.violations.push(format!(
                "Busy loop: 10000 events at {:?} without time moving; last: {:?}",
                w.now, q.event
            ));
            break;
        }
        w.now = q.at;
        w.outcome.events += 1;
        w.handle(q.event, scenario);
        if !w.outcome.violations.is_empty() {
            break;
        }
    }
    w.outcome.duplicates = w.clients.duplicates;
    let committed = committed_mids(&w);
    w.outcome.overtaken_puts = w.clients.overtaken_puts(&committed);
    if w.outcome.violations.is_empty() {
        liveness(&mut w);
        w.outcome
            .violations
            .extend(w.clients.violations.iter().cloned());
        w.outcome
            .violations
            .extend(linearizability::check(&w.clients.full_history()));
    }
    w.outcome
}

/// Once the network is calm and a majority is up, a leader exists and
/// every request sent to a live replica has been answered.
/// The MIDs of every committed client command, as the live replica with
/// the highest commit index knows them.
fn committed_mids(w: &World) -> std::collections::HashSet<String> {
    let most_committed = w.replicas.iter().flatten().max_by_key(|r| r.commit_index());
    most_committed.map_or_else(Default::default, |r| {
        r.log()
            .range(1, r.commit_index())
            .iter()
            .filter_map(|e| e.command.as_ref().map(|c| c.mid.clone()))
            .collect()
    })
}

fn liveness(w: &mut World) {
    let alive = w.alive();
    if w.leader().is_none() {
        w.outcome.violations.push(format!(
            "Liveness: no leader among {alive:?} after the calm phase"
        ));
    }
    let committed = committed_mids(w);
    let stuck: Vec<String> = w
        .clients
        .owed(&committed)
        .filter(|(_, target)| alive.contains(target))
        .map(|(mid, target)| format!("{mid} at {target:?}"))
        .collect();
    if !stuck.is_empty() {
        w.outcome.violations.push(format!(
            "Liveness: unanswered after the calm phase: {}",
            stuck.join(", ")
        ));
    }
}
