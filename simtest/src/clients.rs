//! Simulated clients that behave like `./run`'s.
//!
//! Each client reads and writes keys of its own. A request goes to the
//! leader the client last heard of if it is alive, else to a random live
//! replica, under a fresh MID; a redirect is followed at once with a new
//! MID. Clients never time out. Every answer is checked: at most one per
//! MID (except a put's second `ok` where one of the two was vouched for),
//! none after a redirect. Reads are also held to the simulator's get
//! check, stricter than linearizability: a get must return the value of
//! the client's last put to that key that was answered.

use crate::linearizability::{Kind, Op};
use consensus::{Answer, ClientRequest, NodeId, Operation, Reply};
use rand::seq::SliceRandom;
use rand::Rng;
use statemachine::{KvCommand, KvQuery};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// A request as the core receives it.
pub type Request = ClientRequest<KvCommand, KvQuery>;

#[derive(Clone, Debug)]
struct Attempt {
    client: usize,
    kind: Kind,
    key: String,
    value: Option<String>,
    sent: Duration,
    target: NodeId,
    /// For a get: whether the key had an acknowledged put when the get
    /// was made. `./run` makes gets only of such keys, so only these are
    /// held to its get check (the others still face linearizability).
    key_acknowledged: bool,
}

#[derive(Clone, Debug)]
struct Client {
    id: NodeId,
    leader: Option<NodeId>,
    keys: Vec<String>,
    /// The value of the last put answered `ok`, per key.
    acknowledged: HashMap<String, String>,
}

/// All clients, their outstanding attempts, and what they observed.
#[derive(Debug)]
pub struct Clients {
    clients: Vec<Client>,
    pending: HashMap<String, Attempt>,
    /// The first answer of every MID answered.
    finished: HashMap<String, Answer<String>>,
    next_mid: u64,
    /// Every completed operation, plus puts never answered.
    pub history: Vec<Op>,
    /// Answers that should never have been given.
    pub violations: Vec<String>,
    /// Second `ok`s for one put where one of the two was vouched for by a
    /// replica that did not accept it: the price of never letting a read
    /// reveal a write its client was not told of.
    pub duplicates: usize,
}

impl Clients {
    /// `n` clients with ids from 0x100 up.
    pub fn new(n: usize) -> Self {
        Clients {
            clients: (0..n)
                .map(|i| Client {
                    id: NodeId(0x100 + i as u16),
                    leader: None,
                    keys: Vec::new(),
                    acknowledged: HashMap::new(),
                })
                .collect(),
            pending: HashMap::new(),
            finished: HashMap::new(),
            duplicates: 0,
            next_mid: 0,
            history: Vec::new(),
            violations: Vec::new(),
        }
    }

    fn target(
        &self,
        rng: &mut impl Rng,
        client: usize,
        named: Option<NodeId>,
        alive: &[NodeId],
    ) -> Option<NodeId> {
        let wanted = named.or(self.clients[client].leader);
        match wanted {
            Some(id) if alive.contains(&id) => Some(id),
            _ => alive.choose(rng).copied(),
        }
    }

    fn send(&mut self, now: Duration, mut attempt: Attempt, target: NodeId) -> (NodeId, Request) {
        self.next_mid += 1;
        let mid = format!("m{}", self.next_mid);
        attempt.sent = now;
        attempt.target = target;
        let op = match attempt.kind {
            Kind::Get => Operation::Query(KvQuery {
                key: attempt.key.clone(),
            }),
            Kind::Put => Operation::Command(KvCommand {
                key: attempt.key.clone(),
                value: attempt.value.clone().unwrap_or_default(),
            }),
        };
        let req = ClientRequest {
            client: self.clients[attempt.client].id,
            mid: mid.clone(),
            op,
        };
        self.pending.insert(mid, attempt);
        (target, req)
    }

    /// A new get or put from a random client, and where it goes.
    pub fn new_request(
        &mut self,
        rng: &mut impl Rng,
        now: Duration,
        alive: &[NodeId],
    ) -> Option<(NodeId, Request)> {
        let client = rng.gen_range(0..self.clients.len());
        let c = &mut self.clients[client];
        let (kind, key, value) = if !c.keys.is_empty() && rng.gen_bool(0.4) {
            (
                Kind::Get,
                c.keys.choose(rng).cloned().unwrap_or_default(),
                None,
            )
        } else {
            let key = if !c.keys.is_empty() && rng.gen_bool(0.6) {
                c.keys.choose(rng).cloned().unwrap_or_default()
            } else {
                let k = format!("{}-{}", c.id, c.keys.len());
                c.keys.push(k.clone());
                k
            };
            (Kind::Put, key, Some(format!("v{}", rng.gen::<u32>())))
        };
        let target = self.target(rng, client, None, alive)?;
        let key_acknowledged = self.clients[client].acknowledged.contains_key(&key);
        let attempt = Attempt {
            client,
            key_acknowledged,
            kind,
            key,
            value,
            sent: now,
            target,
        };
        Some(self.send(now, attempt, target))
    }

    /// Handles an answer from `from`; returns the retry to send, if any.
    pub fn on_reply(
        &mut self,
        rng: &mut impl Rng,
        now: Duration,
        from: NodeId,
        reply: Reply<String>,
        alive: &[NodeId],
    ) -> Option<(NodeId, Request)> {
        let Some(attempt) = self.pending.remove(&reply.mid) else {
            let first = self.finished.get(&reply.mid);
            let vouched_twice = matches!(
                (first, &reply.answer),
                (
                    Some(Answer::Vouched(_)),
                    Answer::Committed(_) | Answer::Vouched(_)
                ) | (Some(Answer::Committed(_)), Answer::Vouched(_))
            );
            if vouched_twice {
                self.duplicates += 1;
                return None;
            }
            let why = if first.is_some() {
                "a second answer"
            } else {
                "an answer to an unknown MID"
            };
            self.violations.push(format!(
                "{from:?} gave {why} for {}: {:?}",
                reply.mid, reply.answer
            ));
            return None;
        };
        self.finished
            .insert(reply.mid.clone(), reply.answer.clone());
        let client = attempt.client;
        if self.clients[client].id != reply.client {
            self.violations.push(format!(
                "{from:?} answered {} to the wrong client {:?}",
                reply.mid, reply.client
            ));
        }
        match reply.answer {
            Answer::Redirect(leader) => {
                self.clients[client].leader = Some(leader);
                let target = self.target(rng, client, Some(leader), alive)?;
                Some(self.send(now, attempt, target))
            }
            Answer::Committed(_) | Answer::Vouched(_) | Answer::Read(_) => {
                self.clients[client].leader = Some(from);
                let value = match (&reply.answer, attempt.kind) {
                    (Answer::Read(v), Kind::Get) => v.clone(),
                    (Answer::Committed(_) | Answer::Vouched(_), Kind::Put) => {
                        attempt.value.clone().unwrap_or_default()
                    }
                    _ => {
                        self.violations.push(format!(
                            "{from:?} answered {} with the wrong kind: {:?}",
                            reply.mid, reply.answer
                        ));
                        return None;
                    }
                };
                let acknowledged = &mut self.clients[client].acknowledged;
                match attempt.kind {
                    Kind::Put => {
                        acknowledged.insert(attempt.key.clone(), value.clone());
                    }
                    Kind::Get if attempt.key_acknowledged => {
                        let expected = acknowledged.get(&attempt.key).map_or("", String::as_str);
                        // `./run`'s get check, stricter than linearizability
                        // (checked separately): a put whose answer has not
                        // arrived must not be visible yet.
                        if value != expected {
                            self.violations.push(format!(
                                "{from:?} answered get {} of {} with {value:?}, but the client's last acknowledged put wrote {expected:?}",
                                reply.mid, attempt.key
                            ));
                        }
                    }
                    Kind::Get => {}
                }
                self.history.push(Op {
                    kind: attempt.kind,
                    key: attempt.key,
                    value,
                    invoked: attempt.sent,
                    responded: Some(now),
                });
                None
            }
        }
    }

    /// Attempts still waiting, with the replica each was sent to.
    pub fn outstanding(&self) -> impl Iterator<Item = (&str, NodeId)> {
        self.pending.iter().map(|(mid, a)| (mid.as_str(), a.target))
    }

    /// Attempts still owed an answer: the outstanding ones, except puts
    /// overtaken by a later put of the same key that was answered after
    /// they were sent, or that was sent after them and committed (its MID
    /// in `committed`). A replica leaves such a put unanswered rather than
    /// risk answering it after the later one (see the `consensus` crate's
    /// `owed_answers.rs`).
    pub fn owed<'a>(
        &'a self,
        committed: &'a HashSet<String>,
    ) -> impl Iterator<Item = (&'a str, NodeId)> + 'a {
        self.pending
            .iter()
            .filter(move |(_, a)| !self.overtaken(a, committed))
            .map(|(mid, a)| (mid.as_str(), a.target))
    }

    /// How many outstanding puts were overtaken (see [`Clients::owed`]).
    pub fn overtaken_puts(&self, committed: &HashSet<String>) -> usize {
        self.pending
            .values()
            .filter(|a| self.overtaken(a, committed))
            .count()
    }

    fn overtaken(&self, a: &Attempt, committed: &HashSet<String>) -> bool {
        let answered_later = self.history.iter().any(|op| {
            op.kind == Kind::Put && op.key == a.key && op.responded.is_some_and(|t| t > a.sent)
        });
        let committed_later = self.pending.iter().any(|(mid, b)| {
            b.kind == Kind::Put && b.key == a.key && b.sent > a.sent && committed.contains(mid)
        });
        a.kind == Kind::Put && (answered_later || committed_later)
    }

    /// The history with unanswered puts added as possibly effective.
    pub fn full_history(&self) -> Vec<Op> {
        let mut h = self.history.clone();
        for a in self.pending.values() {
            if a.kind == Kind::Put {
                h.push(Op {
                    kind: Kind::Put,
                    key: a.key.clone(),
                    value: a.value.clone().unwrap_or_default(),
                    invoked: a.sent,
                    responded: None,
                });
            }
        }
        h
    }
}
