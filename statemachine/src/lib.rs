//! # statemachine: what the replicated log is replicated *for*
//!
//! Raft only agrees on an order of commands; a state machine gives them a
//! meaning. This crate owns the [`StateMachine`] trait that the `consensus`
//! crate is generic over, and its implementations:
//!
//! - [`KvStore`]: the key-value map served by `3700kvstore`;
//! - [`Recorder`]: a wrapper around any state machine that remembers every
//!   command applied, in order. Tests use it to check that all replicas
//!   applied the same commands, and it shows how to plug in a machine of
//!   your own.
//!
//! It also owns [`Footprint`], the part of the state an operation touches,
//! which a state machine may report so that a leader can tell which
//! earlier writes a read depends on.
//!
//! What this crate must not do: know about terms, logs or the network. A
//! state machine sees only committed commands, each exactly once, in log
//! order, and read-only queries.

mod footprint;
mod kv;
mod recorder;

pub use footprint::Footprint;
pub use kv::{KvCommand, KvQuery, KvStore};
pub use recorder::Recorder;

use serde::{de::DeserializeOwned, Serialize};
use std::fmt::Debug;

/// A deterministic state machine driven by a replicated log.
///
/// Determinism is the contract: two instances that apply the same commands
/// in the same order must answer every query identically. `consensus`
/// calls [`apply`](StateMachine::apply) once per committed entry, in index
/// order, on every replica, and [`query`](StateMachine::query) only on a
/// leader that can prove its state is current.
///
/// A client's request is applied at most once: the replica that accepted
/// it into its log routes it again only once that entry can never commit.
/// A client that sends the same request again on its own (the simulator's
/// clients only do so after a `redirect`, with a new `MID`) has made a new
/// request, applied again; a machine whose commands do not simply
/// overwrite, a counter say, sees both.
///
/// The footprint methods and [`creates_state`](StateMachine::creates_state)
/// never change what is applied or what a query returns. They only decide
/// which answers a leader sends, holds or vouches for after a leader
/// change (`consensus`'s `unconfirmed.rs` and `delegated_answers.rs`), and
/// the defaults are always correct.
pub trait StateMachine {
    /// A command that changes the state; replicated through the log, so it
    /// must travel as JSON.
    type Command: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// A read-only question; never replicated.
    type Query: Clone + Debug;
    /// What applying a command or answering a query produces.
    type Output: Clone + Debug + PartialEq;

    /// Applies one committed command and returns its result.
    fn apply(&mut self, command: &Self::Command) -> Self::Output;

    /// Answers a query from the current state.
    fn query(&self, query: &Self::Query) -> Self::Output;

    /// The part of the state `command` writes. The default, the whole
    /// state, is always correct; a narrower answer lets a leader tell
    /// which earlier writes a read depends on.
    fn command_footprint(_command: &Self::Command) -> Footprint {
        Footprint::Everything
    }

    /// The part of the state `query` reads; see
    /// [`command_footprint`](StateMachine::command_footprint).
    fn query_footprint(_query: &Self::Query) -> Footprint {
        Footprint::Everything
    }

    /// True if no command applied so far wrote any part of what `command`
    /// writes: applied now, it would create state rather than change it.
    /// Asked just before `command` is applied. The default, false, is
    /// always correct; a truer answer spares a client a duplicate `ok`
    /// after a leader fails (the `consensus` crate's `unconfirmed.rs`).
    fn creates_state(&self, _command: &Self::Command) -> bool {
        false
    }
}
