//! # raft-log: the replicated log
//!
//! This crate owns the sequence of entries every replica keeps and the two
//! rules that keep copies of it consistent:
//!
//! - [`Log`]: append at the end (a leader), or merge a leader's batch after
//!   the consistency check on `prev_index`/`prev_term`, truncating the first
//!   conflicting entry and everything after it (a follower, §5.3). It also
//!   answers the election restriction's question, "is that candidate's log
//!   at least as up to date as mine?" (§5.4.1), and, after a failed check,
//!   where the two logs may still agree ([`Log::conflict_hint`]).
//! - [`Cursor`]: a leader's view of one follower's log (`next`, `matched`
//!   and the probe a retransmission resends from) and the bounded batch of
//!   entries that follower should get next.
//!
//! Indices start at 1; index 0 is the empty prefix, of term 0.
//!
//! What this crate must not do: decide anything that needs a term to be
//! *current*, a quorum, or a clock. Commit, votes and timing belong to
//! `consensus`; the log only stores, compares and slices.

mod cursor;
mod store;

pub use cursor::{Batch, Cursor};
pub use store::{Log, Merge};
pub use wire::{Entry, Index, Term};
