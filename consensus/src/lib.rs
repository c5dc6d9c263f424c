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
//! | `delegated_answers.rs` | a chain's last follower answering the put itself (off by default) |
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
pub use replica::{Replica, Role};
pub use request::{Answer, ClientRequest, Operation, Output, Reply};

/// Re-exported so callers name messages, ids and entries with one import.
pub use wire::{Entry, Index, Message, NodeId, Term};
