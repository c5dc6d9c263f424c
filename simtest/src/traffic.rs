//! Where a run's messages go: every message between replicas sorted by
//! what it does, the same kinds `simulator/traffic.py` reports for runs
//! under `./run`. The simulation is deterministic, so two builds compare
//! exactly, kind by kind (`benches/traffic.rs`).

use wire::{Body, Message};

/// What a message between replicas does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageKind {
    /// A new batch along a relay chain: the leader's send to its first
    /// follower.
    ChainFromLeader,
    /// A relayed batch passed on by a follower.
    ChainPassedOn,
    /// An append with entries sent to one follower directly (a resend, a
    /// probe, a widened commit, a follower's turn to catch up).
    DirectEntries,
    /// An append that asks for no answer.
    QuietBatch,
    /// An append with no entries that asks for an answer.
    Heartbeat,
    /// A follower's answer accepting an append.
    AnswerAccepted,
    /// A follower's answer rejecting one.
    AnswerRejected,
    /// A pre-vote request or its answer.
    PreVote,
    /// A vote request or its answer.
    Vote,
}

impl MessageKind {
    /// Every kind, in the order tables list them.
    pub const ALL: [MessageKind; 9] = [
        MessageKind::ChainFromLeader,
        MessageKind::ChainPassedOn,
        MessageKind::DirectEntries,
        MessageKind::QuietBatch,
        MessageKind::Heartbeat,
        MessageKind::AnswerAccepted,
        MessageKind::AnswerRejected,
        MessageKind::PreVote,
        MessageKind::Vote,
    ];

    /// The kind of a message between replicas; `None` for anything else.
    pub fn of<C>(msg: &Message<C>) -> Option<MessageKind> {
        let kind = match &msg.body {
            Body::Append(a) => match &a.relay {
                Some(relay) if relay.leader == msg.src => MessageKind::ChainFromLeader,
                Some(_) => MessageKind::ChainPassedOn,
                None if a.quiet => MessageKind::QuietBatch,
                None if a.entries.is_empty() => MessageKind::Heartbeat,
                None => MessageKind::DirectEntries,
            },
            Body::AppendResponse(r) if r.success => MessageKind::AnswerAccepted,
            Body::AppendResponse(_) => MessageKind::AnswerRejected,
            Body::VoteRequest(v) if v.pre_vote => MessageKind::PreVote,
            Body::VoteResponse(v) if v.pre_vote => MessageKind::PreVote,
            Body::VoteRequest(_) | Body::VoteResponse(_) => MessageKind::Vote,
            _ => return None,
        };
        Some(kind)
    }

    /// A short column heading.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::ChainFromLeader => "chain",
            MessageKind::ChainPassedOn => "passed",
            MessageKind::DirectEntries => "direct",
            MessageKind::QuietBatch => "quiet",
            MessageKind::Heartbeat => "hbeat",
            MessageKind::AnswerAccepted => "acc",
            MessageKind::AnswerRejected => "rej",
            MessageKind::PreVote => "prevote",
            MessageKind::Vote => "vote",
        }
    }
}
