//! What a scenario's run found: violations, counts and timings, for the
//! tests that demand none and the benchmarks that measure them.

use crate::traffic::MessageKind;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every violated property, safety or liveness; empty if all held.
    pub violations: Vec<String>,
    /// Simulated events processed.
    pub events: u64,
    /// The readable trace, if asked for.
    pub trace: Vec<String>,
    /// When each new leader took over: the first replica to lead a term
    /// higher than any led before. For availability benchmarks.
    pub leaders_elected: Vec<Duration>,
    /// When each vote request or vote answer (real or pre-vote) was sent.
    pub vote_messages: Vec<Duration>,
    /// When each message between replicas, of any kind, was sent.
    pub replica_messages: Vec<Duration>,
    /// How many messages between replicas of each kind were sent.
    pub messages_by_kind: BTreeMap<MessageKind, u64>,
    /// Puts answered twice because a leader vouched for them (see the
    /// `consensus` crate's `unconfirmed.rs`).
    pub duplicates: usize,
    /// Puts left unanswered because a later put of the same key was
    /// answered first (same file).
    pub overtaken_puts: usize,
}

impl Outcome {
    /// How many messages of `kind` went between replicas.
    pub fn messages_of(&self, kind: MessageKind) -> u64 {
        self.messages_by_kind.get(&kind).copied().unwrap_or(0)
    }
}
