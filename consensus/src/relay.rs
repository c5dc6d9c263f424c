//! Relay chains: a new entry passed from follower to follower.
//!
//! ## Why
//!
//! To commit an entry in a cluster of five, the leader needs two followers
//! to store it and needs to hear that they did. Sent to each directly, that
//! is four messages (two appends, two responses). Sent along a chain, it
//! is three: the leader sends the batch to follower A, A stores it and
//! passes it on to B together with its own result, and B stores it and
//! answers the leader for both. The price is one more trip before the
//! leader can commit (leader, A, B, leader instead of leader, A and B,
//! leader); the client's put is answered one trip later.
//!
//! ## The rules
//!
//! - The chain is the first `quorum - 1` of the followers that would get
//!   the entry directly anyway (`eager_followers`: listening, contacted
//!   longest ago first), and only if every one of them seems to be
//!   listening; otherwise the entry goes to each directly, as before. A
//!   follower that went quiet (crashed, cut off) would break the chain for
//!   everyone after it.
//! - One batch serves the whole chain: it starts at the earliest entry any
//!   of them still lacks, so a follower gets some entries it already has,
//!   which the consistency check and merge accept as they would a
//!   duplicate (see `on_append`). If that batch would not reach the new
//!   entry, no chain is used.
//! - A follower handles a relayed batch exactly like a direct one (term
//!   check, consistency check, merge, commit up to what the batch proved),
//!   treating the relay's `leader` as the sender. Instead of answering, it
//!   adds its result to the relay's reports and passes the batch on; the
//!   last follower answers the leader with everyone's results. A follower
//!   whose term is higher answers the leader directly and stops the chain,
//!   as it would answer a stale leader.
//! - The leader counts each report exactly as a response from that
//!   follower, dated by the batch's `sent_at`, for commit, for the lease
//!   and for check-quorum. Each follower really did receive the leader's
//!   batch of that term, so each report proves the same contact a direct
//!   response would.
//! - A lost link anywhere loses the acknowledgement of every follower in
//!   the chain. When their retransmission timers expire together for the
//!   first time, the batch goes along the chain again, backwards (three
//!   messages, not four; two if only the last answer was lost, see
//!   `chain_repair.rs`); after that, each is retransmitted to directly
//!   on its own timer, as for any unacknowledged send (`leader_tick`), so
//!   that a follower that went down cannot keep breaking the chain. A
//!   follower not heard from since it missed its leader's election
//!   (`progress.rs`) is left out of such a chain too.
//! - A stalled commit that still needs a chain's worth of followers is
//!   widened along a chain too (`widen_along_chain`): three messages
//!   instead of four, and, under loss, three links that must all hold
//!   instead of four. It costs the stalled entry one more trip.
//!
//! Nothing here touches safety: a follower stores only what passes the
//! consistency check, and only the leader decides commit, from the same
//! kind of evidence as before.

use crate::replica::Replica;
use raft_log::Cursor;
use statemachine::StateMachine;
use std::time::Duration;
use wire::{AppendEntries, AppendResponse, Body, NodeId, Relay};

impl<SM: StateMachine> Replica<SM> {
    /// The chain that the newest entry should travel along, taken from the
    /// front of `eager` (the followers in line for it), or `None` if the
    /// entry should go to each of them directly.
    pub(crate) fn relay_chain(&self, now: Duration, eager: &[NodeId]) -> Option<Vec<NodeId>> {
        let length = self.cfg.quorum() - 1;
        if !self.cfg.relay || length < 2 || eager.len() < length {
            return None;
        }
        let chain = &eager[..length];
        let patience = self.cfg.response_patience;
        let mut start = u64::MAX;
        for peer in chain {
            let p = self.progress.get(peer)?;
            if !p.responsive(now, patience) {
                return None;
            }
            start = start.min(p.cursor.next);
        }
        self.one_batch_reaches_end(start).then(|| chain.to_vec())
    }

    /// True when one batch starting at index `start` carries every entry
    /// through the newest, so that a single relay serves the whole chain.
    fn one_batch_reaches_end(&self, start: u64) -> bool {
        let span = (self.log.last_index() + 1).saturating_sub(start.max(1));
        span as usize <= self.cfg.max_batch
    }

    /// Retransmission along a chain: if at least a chain's worth of
    /// followers are due for their first retransmission, the first of them
    /// in turn order get the batch along a chain again, in reverse order
    /// of their places on the chain that broke (`chain_repair.rs`).
    /// Returns the followers sent to, which `leader_tick` then leaves
    /// alone.
    pub(crate) fn resend_broken_chain(&mut self, now: Duration) -> Vec<NodeId> {
        let length = self.cfg.quorum() - 1;
        if !self.cfg.relay || length < 2 {
            return Vec::new();
        }
        let pacing = self.pacing();
        let last = self.log.last_index();
        let due: Vec<NodeId> = self
            .followers_by_turn(now)
            .into_iter()
            .filter(|peer| {
                self.progress.get(peer).is_some_and(|p| {
                    p.retries == 0
                        && !p.missed_election
                        && p.cursor.matched < last
                        && p.retransmit_due(now, pacing)
                })
            })
            .take(length)
            .collect();
        if due.len() < length {
            return Vec::new();
        }
        let start = due
            .iter()
            .filter_map(|peer| self.progress.get(peer))
            .map(|p| p.cursor.resend_from)
            .min()
            .unwrap_or(1);
        if !self.one_batch_reaches_end(start) {
            return Vec::new();
        }
        for peer in &due {
            if let Some(p) = self.progress.get_mut(peer) {
                p.start_retransmission(pacing);
            }
        }
        let mut chain = due;
        self.order_for_repair(&mut chain);
        self.send_relay(now, &chain, false);
        chain
    }

    /// Widening a stalled commit along a chain: if the followers it is
    /// widened to (`widening_targets`, best first) hold a chain, the
    /// batch travels along it. Returns the followers sent to, which
    /// `leader_tick` then leaves alone.
    pub(crate) fn widen_along_chain(&mut self, now: Duration, targets: &[NodeId]) -> Vec<NodeId> {
        let Some(chain) = self.relay_chain(now, targets) else {
            return Vec::new();
        };
        self.send_relay(now, &chain, false);
        chain
    }

    /// Sends one batch along `chain`: to its first follower, which passes
    /// it on. Every follower of the chain is recorded as sent the batch
    /// and awaiting a response. With `delegate`, the chain's last
    /// follower may answer the batch's writes itself
    /// (`delegated_answers.rs`).
    pub(crate) fn send_relay(&mut self, now: Duration, chain: &[NodeId], delegate: bool) {
        let (Some((&first, rest)), Some(&end)) = (chain.split_first(), chain.last()) else {
            return;
        };
        let start = chain
            .iter()
            .filter_map(|peer| self.progress.get(peer))
            .map(|p| p.cursor.next)
            .min()
            .unwrap_or(1);
        let from = Cursor::starting_at(start);
        let (append, last) = self.build_append(now, from, self.cfg.max_batch);
        let delegated = if delegate {
            self.delegate_answers(now, append.prev_index, last, chain.len(), end)
        } else {
            Vec::new()
        };
        let append = AppendEntries {
            relay: Some(Relay {
                leader: self.cfg.id,
                path: rest.to_vec(),
                reports: Vec::new(),
                delegated,
            }),
            // Settled as of now, after this batch's delegations.
            answers_settled: self.answers_settled(),
            ..append
        };
        let carried = !append.entries.is_empty();
        for (position, peer) in chain.iter().enumerate() {
            if let Some(p) = self.progress.get_mut(peer) {
                p.record_send(now, last, carried, false);
                p.chain_position = position;
            }
        }
        self.send(first, Body::Append(append));
    }

    /// Follower side: the follower to pass `relay` on to, or `None` at the
    /// end of the chain.
    pub(crate) fn next_in_chain(&self, relay: &Relay) -> Option<NodeId> {
        relay.path.first().copied().filter(|&next| {
            next != self.cfg.id && next != relay.leader && self.cfg.peers.contains(&next)
        })
    }

    /// Follower side, after handling a relayed batch: pass it on with this
    /// follower's result added, or, at the end of the chain, answer the
    /// leader for everyone. `answer` is what this follower would have
    /// answered a direct batch.
    pub(crate) fn pass_on_relay(
        &mut self,
        mut append: AppendEntries<SM::Command>,
        mut answer: AppendResponse,
    ) {
        let Some(mut relay) = append.relay.take() else {
            return;
        };
        let leader = relay.leader;
        self.remember_results(&append, &relay);
        // A repair whose rest of chain already answered this follower
        // ends here (`chain_repair.rs`).
        let rest = answer
            .success
            .then(|| self.results_for_rest_of_chain(&append, &relay))
            .flatten();
        let next = match rest {
            Some(_) => None,
            None => self.next_in_chain(&relay),
        };
        let Some(next) = next else {
            // The end of the chain: answer for everyone.
            let delegated = relay.delegated.iter().copied().max().unwrap_or(0);
            let mut answer = AppendResponse {
                relayed: relay
                    .reports
                    .into_iter()
                    .chain(rest.into_iter().flatten())
                    .collect(),
                ..answer
            };
            self.stamp_answers(&mut answer, append.answers_settled, delegated);
            self.send(leader, Body::AppendResponse(answer));
            return;
        };
        relay.path.remove(0);
        // Stated as in a response of its own: in a repair this follower
        // may be the delegate, passing the batch on (`chain_repair.rs`).
        self.stamp_answers(&mut answer, append.answers_settled, 0);
        relay.reports.push(answer.into_report(self.cfg.id));
        append.relay = Some(relay);
        self.send(next, Body::Append(append));
    }
}
