//! Writes whose answers the leader holds, as a follower sees them.
//!
//! ## Why
//!
//! A follower that applies a write of the current term takes it as
//! answered: its leader accepted it and answered it the moment it was
//! committed (`unconfirmed.rs`). With delegated answers that is not always
//! so. A leader that applies a write whose delegation has not settled
//! holds its answer until the chain's last follower says whether it
//! answered (`delegated_answers.rs`). Were the leader to fail meanwhile,
//! the next one must find the write unanswered, and vouch for it before a
//! read by its client reveals it, or that read would show a write the
//! client was never told of.
//!
//! ## The rule
//!
//! The leader lists the writes whose answers it holds next to its commit
//! index (`AppendEntries::answers_held`). A follower that applies a write
//! of the current term listed by the append it is handling remembers it
//! as unconfirmed, as it would a write of an earlier term. It forgets it
//! when a later append of the same term has a commit index that covers
//! it and no longer lists it: the leader answered it (or learned that the
//! delegate did) before it sent that append, since a replica sends its
//! answers before its messages.
//!
//! No append can mislead a follower by arriving late. A leader holds a
//! write's answer from the moment it applies the write, which is the
//! moment its commit index covers it, until it releases it for good. So
//! every append whose commit covers the write lists it for as long as it
//! is held, and none lists it after: an old append that lists it is
//! merely stale news of a hold, and keeps the write remembered a little
//! longer.
//!
//! Only the held writes themselves are remembered. Holding back the
//! commit index instead would keep every later write from the followers
//! too, and a leader that failed then would leave all of them to be
//! vouched for (duplicates) or overtaken unanswered.

use crate::replica::Replica;
use statemachine::StateMachine;
use std::collections::BTreeSet;
use wire::{Index, Term};

/// A follower's view of the answers its leader holds, for one term.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeldWrites {
    /// The term of the appends the view comes from.
    term: Term,
    /// The held writes the append being handled lists.
    listed: Vec<Index>,
    /// Writes of this term remembered as unconfirmed because they were
    /// listed when applied.
    remembered: BTreeSet<Index>,
}

impl<SM: StateMachine> Replica<SM> {
    /// Follower side: takes the list of held writes from an append of the
    /// current term, before what it commits is applied.
    pub(crate) fn note_answers_held(&mut self, held: &[Index]) {
        if self.held_writes.term != self.term {
            self.held_writes = HeldWrites {
                term: self.term,
                ..HeldWrites::default()
            };
        }
        self.held_writes.listed.clear();
        self.held_writes.listed.extend_from_slice(held);
    }

    /// Whether the write of term `term` at `index`, applied now, has an
    /// answer the leader holds: the latest append of this term listed it.
    pub(crate) fn answer_held_by_leader(&self, index: Index, term: Term) -> bool {
        term == self.term
            && self.held_writes.term == self.term
            && self.held_writes.listed.contains(&index)
    }

    /// A write held by the leader was applied and remembered as
    /// unconfirmed: to be forgotten once the leader releases it.
    pub(crate) fn remember_held_write(&mut self, index: Index) {
        self.held_writes.remembered.insert(index);
    }

    /// Follower side, after an append of the current term with commit
    /// index `commit`: the remembered held writes it covers and no longer
    /// lists were answered, and are forgotten with the writes they
    /// overtook, as after a vouch.
    pub(crate) fn forget_released_writes(&mut self, commit: Index) {
        if self.held_writes.term != self.term {
            return;
        }
        let listed = &self.held_writes.listed;
        let released: Vec<Index> = self
            .held_writes
            .remembered
            .range(..=commit)
            .filter(|i| !listed.contains(i))
            .copied()
            .collect();
        if released.is_empty() {
            return;
        }
        for index in &released {
            self.held_writes.remembered.remove(index);
        }
        self.unconfirmed.forget_vouched(&released);
    }
}
