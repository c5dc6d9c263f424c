//! Message envelopes and bodies, client and Raft alike.

use crate::{Entry, Index, NodeId, Term};
use serde::{Deserialize, Serialize};

/// One datagram: the four keys every message carries, and a body chosen by
/// `type`. `C` is the state machine's command type, carried by `append`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
pub struct Message<C> {
    /// Sender.
    pub src: NodeId,
    /// Receiver, or [`NodeId::BROADCAST`] for every replica.
    pub dst: NodeId,
    /// Whom the sender believes to be leader; `FFFF` when it does not know.
    /// The simulator learns the leader from this field.
    pub leader: NodeId,
    /// Everything else, tagged by `type`.
    #[serde(flatten)]
    pub body: Body<C>,
}

/// The `type`-specific part of a message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
pub enum Body<C> {
    /// A replica announcing itself to the simulator at start-up.
    Hello {
        /// A unique string.
        #[serde(rename = "MID")]
        mid: String,
    },
    /// A client read.
    Get {
        /// Request id, echoed in the answer.
        #[serde(rename = "MID")]
        mid: String,
        /// The key to read.
        key: String,
    },
    /// A client write.
    Put {
        /// Request id, echoed in the answer.
        #[serde(rename = "MID")]
        mid: String,
        /// The key to write.
        key: String,
        /// The value to store.
        value: String,
    },
    /// Success: carries `value` for a get, nothing for a put.
    Ok {
        /// The request's id.
        #[serde(rename = "MID")]
        mid: String,
        /// The value read, for a get.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// The request failed; the client retries it.
    Fail {
        /// The request's id.
        #[serde(rename = "MID")]
        mid: String,
    },
    /// "Ask the replica named in `leader` instead."
    Redirect {
        /// The request's id.
        #[serde(rename = "MID")]
        mid: String,
    },
    /// RequestVote (§5.2), or its pre-vote rehearsal (§9.6).
    VoteRequest(VoteRequest),
    /// The answer to a [`VoteRequest`].
    VoteResponse(VoteResponse),
    /// AppendEntries (§5.3): log entries, or none as a heartbeat.
    Append(AppendEntries<C>),
    /// The answer to an [`AppendEntries`].
    AppendResponse(AppendResponse),
}

/// A candidate asking for a vote. With `pre_vote` set, nobody changes term
/// or records a vote: the candidate only learns whether it could win.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRequest {
    /// The candidate's term (for a pre-vote: the term it would campaign in).
    pub term: Term,
    /// Index of the candidate's last log entry (§5.4.1).
    pub last_log_index: Index,
    /// Term of the candidate's last log entry (§5.4.1).
    pub last_log_term: Term,
    /// True for a pre-vote.
    #[serde(default)]
    pub pre_vote: bool,
}

/// A vote, granted or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteResponse {
    /// The voter's term, or the requested term for a granted pre-vote.
    pub term: Term,
    /// Whether the vote was granted.
    pub granted: bool,
    /// True when answering a pre-vote.
    #[serde(default)]
    pub pre_vote: bool,
}

/// AppendEntries: the leader's entries after `prev_index`, plus its commit
/// index. An empty `entries` is a heartbeat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "C: Serialize", deserialize = "C: Deserialize<'de>"))]
pub struct AppendEntries<C> {
    /// The leader's term.
    pub term: Term,
    /// Index of the entry just before `entries`.
    pub prev_index: Index,
    /// Term of the entry at `prev_index`, for the consistency check.
    pub prev_term: Term,
    /// New entries, possibly none.
    #[serde(default = "Vec::new")]
    pub entries: Vec<Entry<C>>,
    /// The leader's commit index.
    pub commit: Index,
    /// The leader's clock when it sent this, echoed in the response so the
    /// leader can date the contact for its lease and check-quorum.
    #[serde(default)]
    pub sent_at: u64,
    /// True when the leader wants no response if the batch is accepted (a
    /// rejection is always answered). Saves a message on periodic contacts
    /// the leader needs neither for commit nor for its lease.
    #[serde(default, skip_serializing_if = "is_false")]
    pub quiet: bool,
    /// True when the leader is idle (no client work) and contacts its
    /// followers only every idle heartbeat interval; a follower then waits
    /// that much longer before it campaigns.
    #[serde(default, skip_serializing_if = "is_false")]
    pub idle: bool,
    /// Set when the batch travels along a relay chain instead of going
    /// straight from the leader: who leads, who passes it on next, and what
    /// the followers it already passed did with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<Relay>,
    /// Indices of committed writes whose answers this leader has taken
    /// over from the old leaders that owed them (see
    /// [`AppendResponse::owed`]): those stop reporting them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed_taken: Vec<Index>,
    /// Every write whose answer this leader delegated to a relay chain's
    /// last follower, up to this index, is settled: the leader knows
    /// whether that follower answered it. Followers forget their
    /// [`AppendResponse::answered`] indices up to here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub answers_settled: Index,
    /// Committed writes, at or below `commit`, whose answers this leader
    /// holds until their delegations settle. A follower that applies one
    /// cannot take it as answered, and remembers it as unconfirmed until
    /// an AppendEntries whose `commit` covers it no longer lists it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers_held: Vec<Index>,
}

/// The route of an AppendEntries passed from follower to follower (leader
/// to A to B), so that one message per follower both replicates an entry
/// and brings the acknowledgements of all of them back: the last follower
/// answers the leader for everyone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// The leader that built the batch; the last follower answers it.
    pub leader: NodeId,
    /// The followers still to receive the batch, in order, after the one
    /// it is addressed to.
    #[serde(default = "Vec::new")]
    pub path: Vec<NodeId>,
    /// What each follower that already had the batch did with it.
    #[serde(default = "Vec::new")]
    pub reports: Vec<RelayReport>,
    /// Writes of the batch that the last follower answers itself, if the
    /// reports and its own log prove them committed: the leader leaves
    /// their answers to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delegated: Vec<Index>,
}

/// One follower's result for a relayed batch: what its own
/// [`AppendResponse`] to the leader would have said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayReport {
    /// The follower.
    pub follower: NodeId,
    /// Whether it accepted the entries.
    pub success: bool,
    /// As [`AppendResponse::match_index`].
    pub match_index: Index,
    /// As [`AppendResponse::hint_term`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_term: Option<Term>,
    /// As [`AppendResponse::owed`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed: Vec<Index>,
    /// The `sent_at` of the batch this result answers, when it is not the
    /// batch the whole answer is for: a later follower remembered this
    /// result from an earlier pass of the same entries and answers for
    /// it. The leader dates the contact by it, not by the answer's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<u64>,
    /// As [`AppendResponse::answered`]: a follower passing a batch on
    /// states its delegated answers as it would in its own response, so
    /// that a chain run backwards in a repair, with the delegate first,
    /// still settles them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answered: Vec<Index>,
    /// As [`AppendResponse::answers_fence`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub answers_fence: Index,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A follower's answer to [`AppendEntries`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResponse {
    /// The follower's term.
    pub term: Term,
    /// Whether the entries were accepted.
    pub success: bool,
    /// On success, the index up to which the follower's log now matches the
    /// leader's. On failure, a hint: the last index at which the follower's
    /// log may still match the leader's (never beyond its last index).
    pub match_index: Index,
    /// On failure, the term of the follower's entry at the hint (0 for
    /// index 0), so that the leader can skip every entry of a later term
    /// in one step (`Log::conflict_hint`). Absent on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_term: Option<Term>,
    /// The `sent_at` of the request being answered.
    #[serde(default)]
    pub sent_at: u64,
    /// For the last follower of a relay chain: the results of the
    /// followers before it, which answer through it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayed: Vec<RelayReport>,
    /// Indices of committed writes that this follower accepted as leader
    /// of an earlier term and never answered, in log order: it asks the
    /// current leader to answer them for it, until the leader lists them
    /// in [`AppendEntries::owed_taken`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owed: Vec<Index>,
    /// Indices of writes delegated to this follower (as a relay chain's
    /// last follower) that it answered in this term, until the leader
    /// reports them settled ([`AppendEntries::answers_settled`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answered: Vec<Index>,
    /// This follower will never answer a delegated write at or below this
    /// index: for those, `answered` is the whole truth.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub answers_fence: Index,
}

fn is_zero(i: &Index) -> bool {
    *i == 0
}

impl AppendResponse {
    /// This answer as `follower`'s result for a relayed batch: what a
    /// follower passing the batch on adds to it, and how the leader reads
    /// every answer, relayed or not.
    pub fn into_report(self, follower: NodeId) -> RelayReport {
        RelayReport {
            follower,
            success: self.success,
            match_index: self.match_index,
            hint_term: self.hint_term,
            owed: self.owed,
            sent_at: None,
            answered: self.answered,
            answers_fence: self.answers_fence,
        }
    }
}

impl<C> Message<C> {
    /// The request id of a client message, or `None` for replica traffic.
    pub fn mid(&self) -> Option<&str> {
        match &self.body {
            Body::Hello { mid }
            | Body::Get { mid, .. }
            | Body::Put { mid, .. }
            | Body::Ok { mid, .. }
            | Body::Fail { mid }
            | Body::Redirect { mid } => Some(mid),
            _ => None,
        }
    }

    /// The sender's term, carried by every Raft message; `None` for
    /// client traffic.
    pub fn term(&self) -> Option<Term> {
        match &self.body {
            Body::VoteRequest(req) => Some(req.term),
            Body::VoteResponse(resp) => Some(resp.term),
            Body::Append(append) => Some(append.term),
            Body::AppendResponse(resp) => Some(resp.term),
            _ => None,
        }
    }
}
