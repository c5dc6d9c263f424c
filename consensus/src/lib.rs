//! # consensus: the Raft state machine of one replica
//!
//! This crate owns every rule of Raft as one replica sees it: terms and
//! elections, log replication and commit, and the client-facing decisions
//! that depend on them (serve, redirect, or hold a request). It is generic
//! over a [`StateMachine`](statemachine::StateMachine): it applies committed
//! commands to it and answers queries from it, without knowing what they
//! mean.
//!
//! ## Shape: a pure step function
//!
//! A [`Replica`] is driven entirely by its caller, in the style of etcd's
//! raft and raft-rs:
//!
//! - [`Replica::step`] hands it a message from another replica;
//! - [`Replica::request`] hands it a client's get or put;
//! - [`Replica::tick`] tells it the time has come for its next timer
//!   ([`Replica::next_deadline`] says when that is);
//! - [`Replica::take_output`] returns what to send to replicas and what to
//!   answer clients.
//!
//! Every call takes `now`, a [`Duration`](std::time::Duration) since an
//! arbitrary epoch chosen by the caller; randomness (election timeouts)
//! comes from an RNG passed to [`Replica::new`]. There are no sockets,
//! clock reads or threads here, so a test can run five replicas in one
//! process on a virtual clock and replay any run from its seed.
//!
//! ## Where each rule lives
//!
//! | file | rules |
//! |---|---|
//! | `election.rs` | election timeouts (§5.2), pre-vote (§9.6), votes and the election restriction (§5.4.1), leader stickiness |
//! | `replication.rs` | AppendEntries on both sides (§5.3): consistency check, truncation, batching, retransmission |
//! | `catch_up.rs` | deferring the resend of entries already committed to the follower's next turn |
//! | `commit_cover.rs` | postponing a resend while other followers already cover the commit |
//! | `relay.rs` | relay chains: a new entry passed from follower to follower, acknowledgements coming back as one |
//! | `delegated_answers.rs` | a chain's last follower answering the put itself (on by default) |
//! | `held_writes.rs` | a follower remembering the writes whose answers its leader holds for a delegate |
//! | `chain_repair.rs` | a broken relay chain resent backwards, and answered early by a follower that holds everyone's results |
//! | `progress.rs` | the leader's view of each follower |
//! | `commit.rs` | quorum commit, the current-term rule (§5.4.2), applying, answering clients |
//! | `lease.rs` | check-quorum and the leader lease that lets a leader answer reads alone |
//! | `clients.rs` | routing client requests: serve, redirect, or hold |
//! | `cut_off.rs` | a replica cut off from a majority sending its held clients elsewhere |
//! | `unconfirmed.rs` | committed writes their client may not have heard of, answered before a read reveals them |
//! | `owed_answers.rs` | an old leader's answers for writes committed after it lost office, handed over to the current leader |
//!
//! What this crate must not do: perform I/O, read a clock, sleep, or spawn.
//! Those are the `node` crate's business.
//!
//! ## Figure 2, rule by rule
//!
//! Files are in `consensus/src` unless a path is given; unqualified
//! functions are methods of `Replica`.
//!
//! State:
//! - `currentTerm`, `votedFor`, `log[]`: `Replica`'s fields `term`,
//!   `voted_for` and `log` (`replica.rs`; `Log` in `log/src/store.rs`).
//!   Kept in memory only, never written to disk: sound only because a
//!   killed replica never restarts. One that came back empty could vote
//!   twice in a term.
//! - `commitIndex`, `lastApplied`: fields `commit` and `applied`
//!   (`replica.rs`).
//! - `nextIndex[]`, `matchIndex[]`: `Progress::cursor` (`progress.rs`), a
//!   `Cursor` (`log/src/cursor.rs`); `become_leader` sets its `next` to
//!   the last index + 1 and `matched` to 0. `next` advances at send
//!   (optimistic); `resend_from` is where a retransmission starts.
//!
//! AppendEntries receiver (`replication.rs`, `on_append`):
//! 1. An older term is refused with the replica's own term, straight to
//!    the leader even when relayed (`relay.rs`).
//! 2. `Log::matches`; a refusal carries a hint a whole term back
//!    (`Log::conflict_hint`, `log/src/store.rs`).
//! 3. `Log::merge` keeps entries whose term agrees and truncates from the
//!    first that conflicts;
//! 4. then appends the rest of the batch.
//! 5. commit = min(leader's commit, `Merge::matched_through`). Writes
//!    whose answers the leader holds are listed with it, and are not
//!    taken as answered (`held_writes.rs`).
//!
//! RequestVote receiver (`election.rs`, `on_vote_request`):
//! 1. Granted only in the current term, after adopting a higher one.
//! 2. `voted_for` empty or the candidate, and `candidate_log_ok`, which
//!    asks `Log::is_up_to_date` (§5.4.1). Added: leader stickiness refuses
//!    every vote, adopting no term, while a leader was heard within the
//!    election timeout; a pre-vote changes neither term nor vote.
//!
//! Rules for servers:
//! - All, apply: `apply_committed` (`commit.rs`), wherever commit moves.
//! - All, higher term: `become_follower` (`replica.rs`), from `on_append`,
//!   `on_append_response`, `on_vote_request`, `on_vote_response`; not for
//!   a pre-vote request or under stickiness. Added: check-quorum deposes
//!   a leader cut off from a majority (`check_quorum_lost`, `lease.rs`).
//! - Followers, respond: `step`. A quiet AppendEntries is answered only if
//!   refused, or while the follower owes answers its leader must take over
//!   or settle (`replication.rs`, `owed_answers.rs`,
//!   `delegated_answers.rs`); a relayed one is passed on with the result
//!   (`pass_on_relay`, `relay.rs`).
//! - Followers, timeout: `tick` calls `election_timeout`; the timer
//!   (`reset_election_timer`) restarts on the leader's contact and on a
//!   granted vote. Departures (`election.rs`): a pre-vote before the term
//!   is incremented (§9.6); twice the timeout after a lost round; longer
//!   for a leader that announced it is idle.
//! - Candidates: `start_election` increments the term and votes for
//!   itself; `start_round` resets the timer and asks every peer, and
//!   silent ones again (`retry_vote_requests`). A majority: `count_votes`
//!   calls `become_leader`. A leader's AppendEntries: `on_append` calls
//!   `become_follower`. A timeout: `election_timeout`, a new round.
//! - Leaders, heartbeats: `become_leader` (`replication.rs`) calls
//!   `send_append` for every peer, carrying this term's no-op (§5.4.2;
//!   it also lists the recent writes known answered, `unconfirmed.rs`);
//!   then `leader_tick` contacts a follower when `Progress::contact_due`.
//!   Only as many as the lease needs must answer (`lease_keepers`); an
//!   idle leader contacts less often (`lease.rs`), and silent followers
//!   rarely (`progress.rs`).
//! - Leaders, client command: `route` (`clients.rs`) and `propose` append
//!   it; `apply_committed` answers it once applied (`answer_own_write`,
//!   `owed_answers.rs`). Gets skip the log: served under the lease.
//! - Leaders, last index >= nextIndex: `send_proposals` sends new entries
//!   to a majority's worth (`eager_followers`), along a relay chain when
//!   one serves (`relay.rs`); the others get them on their turn.
//!   Committed entries wait for that turn (lazy catch-up, `catch_up.rs`);
//!   a resend waits while others cover the commit (`commit_cover.rs`).
//! - Leaders, success: `on_append_response` and `absorb_result` call
//!   `Progress::record_ack`; a relay chain's reports count alike.
//! - Leaders, failure: `Progress::record_rejection` backs `next` up to the
//!   follower's hint (`Cursor::rejected`), not by one: whole terms at a
//!   time (`Log::last_index_with_term_at_most`). Stale ones do nothing.
//! - Leaders, commit: `maybe_commit` (`commit.rs`): the highest index a
//!   majority holds, if its entry is of the current term (§5.4.2).

mod catch_up;
mod chain_repair;
mod clients;
mod commit;
mod commit_cover;
mod config;
mod cut_off;
mod delegated_answers;
mod election;
mod faults;
mod held_writes;
mod lease;
mod owed_answers;
mod progress;
mod relay;
mod replica;
mod replication;
mod request;
mod unconfirmed;

pub use config::{Config, ConfigError};
pub use faults::SafetyRules;
pub use replica::{Replica, Role, MAX_PEER_TERM};
pub use request::{Answer, ClientRequest, Operation, Output, Reply};

/// Re-exported so callers name messages, ids and entries with one import.
pub use wire::{Entry, Index, Message, NodeId, Term};
