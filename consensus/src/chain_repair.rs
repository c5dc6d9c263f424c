//! Repairing a broken relay chain: the chain runs backwards, and a
//! follower that already holds everyone's results answers at once.
//!
//! ## Why
//!
//! A relay chain (`relay.rs`) has three links: leader to A, A to B, B
//! back to the leader. Whichever is lost, the leader hears nothing and
//! resends the batch along the chain again, three more messages. But
//! when the link lost is the last one, both followers already stored the
//! batch, and B even holds A's result, which came with the batch. At 15%
//! loss per message, that is the case in about 28% of broken chains
//! (0.85 x 0.85 x 0.15 of 0.39).
//!
//! ## The rules
//!
//! - The leader resends a broken chain in reverse order: B first, then A
//!   (`order_for_repair`). It cannot tell which link was lost; reversed,
//!   the chain costs the same three messages whatever it was, so nothing
//!   is lost by trying.
//! - A follower passed a batch with the results of the followers before
//!   it remembers those results, each with the `sent_at` of the batch it
//!   answers (only those of the latest such batch).
//! - A follower handed a relayed batch that it accepts, whose remaining
//!   path holds only followers it remembers accepting every entry of the
//!   batch, in the same term from the same leader, answers the leader
//!   itself, for all of them, instead of passing the batch on: two
//!   messages instead of three.
//!
//! ## Why it is sound
//!
//! A remembered result is a response the leader would have had if the
//! last link had held, delivered late; Raft tolerates any delay. Within
//! a term, a follower's log only ever matches its leader's up to a
//! higher index, so a result of that term never overstates what the
//! follower holds while the leader leads it.
//!
//! What must not be overstated is *when* the follower heard from the
//! leader: the leader dates every result for its lease and for
//! check-quorum (`lease.rs`). So a remembered result carries the
//! `sent_at` of the batch it answered ([`RelayReport::sent_at`]), and the
//! leader dates it by that, not by the repair.
//!
//! Left out, so that a remembered result means nothing but "it has these
//! entries": results that list owed answers (`owed_answers.rs` reads an
//! answer's list as the follower's whole current list, and an old copy
//! would be out of date), rejections, and batches whose answers were
//! delegated (`delegated_answers.rs`: the chain's last follower must see
//! those). The leader takes over no owed answers from a remembered
//! result.
//!
//! A repair delegates nothing, but it may pass through a delegate first
//! (B, above, when it was the original chain's last follower): B's result
//! states whether it answered what it was delegated, as its own response
//! would, so that the leader learns it with the repair's answer.

use crate::replica::Replica;
use statemachine::StateMachine;
use std::cmp::Reverse;
use wire::{AppendEntries, NodeId, Relay, RelayReport, Term};

/// The results the latest relayed batch brought a follower from the
/// followers before it, kept so that it can answer for them when a
/// repair brings the same entries to it first (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct RememberedResults {
    term: Term,
    leader: NodeId,
    /// Each with `sent_at` set to the batch it answered.
    results: Vec<RelayReport>,
}

impl<SM: StateMachine> Replica<SM> {
    /// Leader side: the followers of a chain to be repaired, put in
    /// reverse order of their places on the chain they were last sent
    /// along, so that the one most likely to hold everyone's results goes
    /// first.
    pub(crate) fn order_for_repair(&self, chain: &mut [NodeId]) {
        chain.sort_by_key(|peer| Reverse(self.progress.get(peer).map_or(0, |p| p.chain_position)));
    }

    /// Follower side: remembers the results `append`'s relay brought,
    /// dated by the batch they answered. A batch that brings none (this
    /// follower heads its chain) leaves the memory as it was.
    pub(crate) fn remember_results(&mut self, append: &AppendEntries<SM::Command>, relay: &Relay) {
        if relay.reports.is_empty() {
            return;
        }
        let results = relay
            .reports
            .iter()
            .map(|r| RelayReport {
                sent_at: r.sent_at.or(Some(append.sent_at)),
                ..r.clone()
            })
            .collect();
        self.relay_memory = Some(RememberedResults {
            term: append.term,
            leader: relay.leader,
            results,
        });
    }

    /// Follower side: the remembered results of every follower left on
    /// `relay`'s path, if each shows that follower accepted all of
    /// `append`'s entries in its term from its leader; `None` if the
    /// batch must be passed on.
    pub(crate) fn results_for_rest_of_chain(
        &self,
        append: &AppendEntries<SM::Command>,
        relay: &Relay,
    ) -> Option<Vec<RelayReport>> {
        let memory = self.relay_memory.as_ref()?;
        if relay.path.is_empty()
            || !relay.delegated.is_empty()
            || memory.term != append.term
            || memory.leader != relay.leader
        {
            return None;
        }
        let batch_end = append.prev_index + append.entries.len() as u64;
        relay
            .path
            .iter()
            .map(|follower| {
                memory
                    .results
                    .iter()
                    .find(|r| {
                        r.follower == *follower
                            && r.success
                            && r.owed.is_empty()
                            && r.match_index >= batch_end
                    })
                    .cloned()
            })
            .collect()
    }
}
