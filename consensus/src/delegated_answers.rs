//! Delegated answers: the last follower of a relay chain answers the put.
//!
//! ## Why
//!
//! Along a relay chain (`relay.rs`) a put travels client, leader, A, B,
//! leader, client. But B, the chain's last follower, already knows what
//! the leader will learn only from B's own answer: the leader, A and B,
//! a majority of five, hold the entry in the leader's term, so it is
//! committed (§5.4.2: an entry of the current term stored on a majority).
//! If B answers the client itself, the put's path loses a trip: client,
//! leader, A, B, client, as short as a direct send's. Client messages are
//! not counted, so this costs nothing.
//!
//! ## The follower side
//!
//! - A relay may name writes of its batch as *delegated*. The chain's last
//!   follower answers them only if its proof holds: every follower before
//!   it reports success through the newest delegated index, those
//!   followers, the leader and itself make a majority, and every
//!   delegated entry is of the relay's term (the current-term rule).
//! - It then advances its commit index through them (they are committed)
//!   and applies, so that each answer carries the output of applying its
//!   write, as the leader's would. It does so only if nothing else lies
//!   between its commit index and them: a write it applied without
//!   answering would count as answered by its leader (`unconfirmed.rs`).
//! - It answers all of a relay's delegated writes or none, each at most
//!   once, and never one at or below its *fence*. Every response to a
//!   delegating leader moves the fence past what it says the follower
//!   holds and past the writes delegated by the relay it answers, and
//!   states the fence (`AppendResponse::answers_fence`) and the delegated
//!   writes answered in the term (`AppendResponse::answered`) until the
//!   leader reports them settled (`answers_settled`). It answers even a
//!   quiet contact while that list is not empty.
//! - A follower passing a relayed batch on states the same in its result
//!   (`RelayReport`), which reaches the leader with the chain's answer. A
//!   broken chain is repaired backwards (`chain_repair.rs`), so the
//!   delegate may head the repair and pass it on: its result then tells
//!   the leader whether it answered, and the leader need not wait out
//!   `delegation_patience` to learn it.
//!
//! ## The leader side
//!
//! - A delegation is *unsettled* until a response from the delegate has a
//!   fence at or beyond it: then it answered if `answered` lists it, and
//!   never will otherwise. The leader answers only what it knows the
//!   delegate did not. A delegate whose delegation is unsettled is never
//!   sent quiet contacts, and its retransmissions are neither postponed
//!   nor deferred, nor backed off for its first ten (`progress.rs`,
//!   `settles_delegation`): its answer is what settles it, and the leader
//!   waits for it only `delegation_patience`. Only writes past every
//!   earlier relay's are delegated (the *frontier*), so that
//!   `answers_settled` never covers a write delegated later.
//! - A write whose delegation is unsettled, or that follows an unsettled
//!   delegated write it overlaps (`Footprint::overlaps`), is held when the
//!   leader applies it, and answered once that settles. A client that
//!   wrote the same key twice thus hears the answers in log order. The
//!   leader lists the held writes with its commit index
//!   (`AppendEntries::answers_held`), and a follower remembers each it
//!   applies as unconfirmed until a later commit no longer lists it
//!   (`held_writes.rs`): were the leader to fail, the next one must find
//!   the write unanswered and vouch for it before a read reveals it.
//! - For the same reason, a write is delegated only if no earlier write it
//!   overlaps waits for an answer outside the same relay: the chain's last
//!   follower answers its batch in order, and an answer the leader owes
//!   could otherwise reach the client after a later one.
//! - A read waits while a delegated write it overlaps is not yet applied
//!   here, or its answer is held: a client told `ok` by the delegate must
//!   read its write, and must not read one it was not told of yet.
//!   Answers owed for earlier terms (`owed_answers.rs`) wait for every
//!   delegated write, and nothing is delegated before this term's first
//!   entry is committed or while such answers are owed, since those must
//!   reach their clients first.
//! - A delegate that has not said, within `delegation_patience` (20 ms)
//!   of the relay, whether it answered a write the leader applied is
//!   given up on: the leader vouches for the write. Waiting is not free:
//!   a leader that fails while it holds an answer leaves the write to
//!   the next one, which vouches for it only before a read reveals it,
//!   and a write no read reveals stays unanswered. Giving up is a
//!   duplicate only if the delegate did answer and every word of that
//!   was lost or late. A wait of seconds lost puts whenever a leader
//!   was killed while it waited (README, Performance, Delegated
//!   answers).
//! - A leader that steps down forgets its delegations; the writes whose
//!   answers it held become unconfirmed and owed, as for any leader that
//!   learns of a commit too late.
//!
//! It is on by default (`Config::delegate_answers`). What it costs:
//! under loss it sends more messages, since an unsettled delegate is
//! sent every retransmission, and a vouch after the delegate answered is
//! a duplicate.
//!
//! The proof rests on the simulator's delivery being causal for clients:
//! an answer a replica sends reaches the client before anything the
//! replica sends afterwards can lead another replica to answer.
//!
//! ## Old batches
//!
//! A batch can be held up in the network. One that reached its delegate
//! only after its leader was gone and the next leader had answered a
//! later put of the same client and key would, answered then, give the
//! client a late first `ok` for the older put, and the client would
//! believe the older value (`tests/delegated_answers.rs` tells the
//! story). No next leader can be elected sooner than an election timeout
//! after the batch was sent. The chain and its leader are a bare
//! majority, so a next leader needs the vote of a replica that holds the
//! batch, or must hold it itself (the old leader votes only for a log
//! that does). The chain's other followers heard from their leader
//! through the batch, so for an election timeout after they neither vote
//! nor campaign (stickiness, `election.rs`); the delegate, had it voted
//! or campaigned, would be in the new term and refuse the batch. So a
//! batch answered within an election timeout of its sending is answered
//! before any later leader answers anything.
//!
//! The delegate shares no clock with the leader, but every append
//! carries the leader's clock (`sent_at`), and the least difference
//! between its own clock on receipt and that stamp, over everything it
//! received from that leader, is the clocks' offset plus the quickest
//! delivery. A batch whose difference exceeds that least one by half an
//! election timeout or more (half, for drift and for the quickest
//! delivery's own length) is stored and reported as usual but not
//! answered: the leader answers it, or, if the leader is gone, the next
//! one vouches for it before a read reveals it. A leader restarted with
//! a new clock would look late for good, so its delegates would answer
//! nothing: safe, only slower.
//!
//! ## Late batches
//!
//! A batch held up far less than that is still too late if its leader
//! has already given up on the delegate (`delegation_patience` after the
//! relay left) and vouched for the writes: an answer now would be a
//! second `ok`. That happens when the delegate's process stalls with the
//! batch waiting in its socket, or the batch lingers in the network. So
//! a delegate also declines a batch held up for half the patience or
//! more (half, leaving its report the other half to reach the leader),
//! and the leader, told so by the fence, answers the writes itself if it
//! has not already. Leader and delegate must share the patience setting
//! for this to hold; with different ones, a late answer is a duplicate,
//! never a wrong belief.
//!
//! Safety of the log is untouched: the delegate commits only what a
//! majority holds in the current term, exactly what the leader would.

use crate::replica::{Replica, Role};
use crate::request::{Answer, Reply};
use crate::unconfirmed::AppliedWrite;
use statemachine::{Footprint, StateMachine};
use std::collections::BTreeSet;
use std::time::Duration;
use wire::{AppendEntries, AppendResponse, Index, NodeId, Relay, RelayReport, Term};

/// Leader side: a delegated write whose delegate has not yet said
/// whether it answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delegation {
    /// The chain's last follower, which may answer it.
    to: NodeId,
    /// When the relay left; after `delegation_patience` the leader stops
    /// waiting.
    since: Duration,
}

/// A follower's record of the delegated writes it answered in one term.
#[derive(Clone, Debug, Default)]
pub(crate) struct DelegateLedger {
    /// The term the record is for; a new term starts an empty one.
    term: Term,
    /// No delegated write at or below it is answered any more: the leader
    /// may already have decided to answer those itself.
    fence: Index,
    /// Delegated writes answered and not yet settled by the leader.
    answered: Vec<Index>,
    /// Delegated writes to answer as `apply_committed` applies them.
    to_answer: BTreeSet<Index>,
}

impl<SM: StateMachine> Replica<SM> {
    /// The ledger of the current term.
    fn ledger(&mut self) -> &mut DelegateLedger {
        if self.ledger.term != self.term {
            self.ledger = DelegateLedger {
                term: self.term,
                ..DelegateLedger::default()
            };
        }
        &mut self.ledger
    }

    /// Follower side: true while some delegated write it answered is not
    /// yet settled by the leader.
    pub(crate) fn has_unsettled_answers(&mut self) -> bool {
        !self.ledger().answered.is_empty()
    }

    /// Follower side: the leader has settled every delegation up to
    /// `settled`.
    pub(crate) fn forget_settled_answers(&mut self, settled: Index) {
        self.ledger().answered.retain(|&i| i > settled);
    }

    /// Follower side: `answer` is about to go to the leader. It moves the
    /// fence past what it says this follower holds, and past the writes
    /// delegated to it by the relay it answers (`declined`: answered or
    /// not, it is done with them), and states the fence and the unsettled
    /// answers below it: the leader decides everything up to the fence.
    /// Only a leader that delegates is told: one whose message listed
    /// what it has settled (`answers_settled`, at least its no-op once it
    /// has delegated anything).
    pub(crate) fn stamp_answers(
        &mut self,
        answer: &mut AppendResponse,
        answers_settled: Index,
        declined: Index,
    ) {
        if answer.term != self.term || answers_settled == 0 {
            return;
        }
        let held = if answer.success {
            answer.match_index
        } else {
            0
        };
        let ledger = self.ledger();
        ledger.fence = ledger.fence.max(held).max(declined);
        answer.answers_fence = ledger.fence;
        answer.answered = ledger.answered.clone();
    }

    /// Follower side, after merging a relayed batch through
    /// `matched_through`: if this follower ends the chain and can prove
    /// the delegated writes committed, commit them and answer them (see
    /// the module docs).
    pub(crate) fn answer_delegated(
        &mut self,
        now: Duration,
        req: &AppendEntries<SM::Command>,
        matched_through: Index,
    ) {
        let Some(relay) = req.relay.as_ref() else {
            return;
        };
        let Some(&newest) = relay.delegated.iter().max() else {
            return;
        };
        if self.next_in_chain(relay).is_some() || req.term != self.term || newest > matched_through
        {
            return;
        }
        if self.too_late_to_answer(self.held_up_for(now, relay.leader, req.sent_at)) {
            return;
        }
        if !self.delegation_proven(relay, newest) {
            return;
        }
        let applied = self.applied;
        let ledger = self.ledger();
        let fresh: Vec<Index> = relay
            .delegated
            .iter()
            .copied()
            .filter(|i| !ledger.answered.contains(i))
            .collect();
        // All or nothing: past the fence the leader may answer some of
        // them, and a client must hear of its writes in log order. One
        // already applied (the leader's commit index got here first) was
        // taken as answered by the leader, and is left to it.
        if fresh.is_empty() || fresh.iter().any(|&i| i <= ledger.fence || i <= applied) {
            return;
        }
        ledger.answered.extend(&fresh);
        ledger.to_answer.extend(&fresh);
        self.commit = self.commit.max(newest);
        self.apply_committed(now);
        self.ledger.to_answer.clear();
    }

    /// Follower side: an append of `leader`'s, stamped `sent_at` by its
    /// clock, arrived at `now`. Keeps the least difference seen between
    /// the two clocks, the baseline `held_up_for` dates a batch against
    /// (see "Old batches" in the module docs).
    pub(crate) fn note_leader_clock(&mut self, now: Duration, leader: NodeId, sent_at: u64) {
        let gap = clock_gap(now, sent_at);
        self.leader_clock_gaps
            .entry(leader)
            .and_modify(|least| *least = (*least).min(gap))
            .or_insert(gap);
    }

    /// Whether a relay held up for `held_up` is too late for its delegate
    /// to answer: an election may have followed it ("Old batches" in the
    /// module docs), or its leader may have given up waiting ("Late
    /// batches").
    fn too_late_to_answer(&self, held_up: Duration) -> bool {
        let limit = self.cfg.election_timeout.min(self.cfg.delegation_patience);
        held_up * 2 >= limit
    }

    /// How much longer than the quickest of `leader`'s appends one
    /// stamped `sent_at` took to arrive at `now`: how long, at the least,
    /// it was held up on the way.
    fn held_up_for(&self, now: Duration, leader: NodeId, sent_at: u64) -> Duration {
        let gap = clock_gap(now, sent_at);
        let least = self.leader_clock_gaps.get(&leader).copied().unwrap_or(gap);
        let micros = u64::try_from(gap - least).unwrap_or(0);
        Duration::from_micros(micros)
    }

    /// Whether this follower, at the end of `relay`'s chain and holding
    /// its batch through `newest`, can prove the delegated writes
    /// committed and may apply everything up to `newest` itself: a
    /// majority holds them in the current term, and nothing between its
    /// commit index and `newest` is a write it would not answer.
    fn delegation_proven(&self, relay: &Relay, newest: Index) -> bool {
        let holders: BTreeSet<NodeId> = relay
            .reports
            .iter()
            .filter(|r| r.success && r.match_index >= newest)
            .map(|r| r.follower)
            .filter(|&f| f != self.cfg.id && f != relay.leader)
            .collect();
        // The leader and this follower hold them too.
        if holders.len() + 2 < self.cfg.quorum() {
            return false;
        }
        let term = self.term;
        if !relay
            .delegated
            .iter()
            .all(|&i| self.log.term_at(i) == Some(term))
        {
            return false;
        }
        // Committing early applies everything up to the newest delegated
        // write: only writes it answers itself, or no-ops, may be among
        // them. A write applied here unanswered would count as answered by
        // its leader (`unconfirmed.rs`), which may still fail to answer it.
        !(self.commit + 1..newest).any(|i| {
            !relay.delegated.contains(&i) && self.log.get(i).is_none_or(|e| e.command.is_some())
        })
    }

    /// Follower side, while applying: the answer to a delegated write at
    /// `index`, if it is one to answer now.
    pub(crate) fn delegated_reply(
        &mut self,
        index: Index,
        client: NodeId,
        mid: &str,
        output: &SM::Output,
    ) -> Option<Reply<SM::Output>> {
        self.ledger.to_answer.remove(&index).then(|| Reply {
            client,
            mid: mid.to_string(),
            answer: Answer::Committed(output.clone()),
        })
    }

    /// Leader side: the writes of the batch `(prev_index, last]` that the
    /// last follower of a chain of `chain_len` may answer (see the module
    /// docs), recorded as delegated to `delegate`.
    pub(crate) fn delegate_answers(
        &mut self,
        now: Duration,
        prev_index: Index,
        last: Index,
        chain_len: usize,
        delegate: NodeId,
    ) -> Vec<Index> {
        if !self.cfg.delegate_answers
            || self.role != Role::Leader
            || chain_len + 1 != self.cfg.quorum()
            || self.commit < self.term_start
            || !self.owed.is_empty()
        {
            return Vec::new();
        }
        let mut chosen: Vec<Index> = Vec::new();
        // Only past the frontier: what was passed over once is never
        // delegated later, so that `answers_settled` stays true.
        for index in (prev_index + 1).max(self.delegation_frontier + 1)..=last {
            let Some(footprint) = self.own_write_footprint(index) else {
                continue;
            };
            let waiting_before = self
                .accepted
                .range(..index)
                .map(|(&i, _)| i)
                .chain(self.held_answers.keys().copied())
                .chain(self.delegations.keys().copied())
                .filter(|&i| i < index && !chosen.contains(&i))
                .any(|i| {
                    self.write_footprint(i)
                        .is_none_or(|f| f.overlaps(&footprint))
                });
            if !waiting_before {
                chosen.push(index);
            }
        }
        for &index in &chosen {
            let delegation = Delegation {
                to: delegate,
                since: now,
            };
            self.delegations.insert(index, delegation);
            self.delegated_unapplied.insert(index);
            self.delegation_frontier = index;
        }
        self.mark_awaited_delegates();
        chosen
    }

    /// Leader side: marks in each follower's progress whether its answer
    /// would settle a delegation (`Progress::settles_delegation`), after
    /// the delegations change; the leader's timers read only the mark.
    /// Such a follower is never sent a quiet contact, its resends are
    /// neither postponed nor deferred, and they go out at the
    /// retransmission timeout's pace without backing off: the leader gives
    /// up on it after `delegation_patience` (20 ms), and backing off (2,
    /// 4, 8 ms) left room for only three resends, so that at 10% loss a
    /// few writes a run were vouched for although their delegate had
    /// answered them.
    fn mark_awaited_delegates(&mut self) {
        for p in self.progress.values_mut() {
            p.settles_delegation = false;
        }
        for d in self.delegations.values() {
            if let Some(p) = self.progress.get_mut(&d.to) {
                p.settles_delegation = true;
            }
        }
    }

    /// The footprint of the write at `index`, if it is a client write.
    fn write_footprint(&self, index: Index) -> Option<Footprint> {
        let command = self.log.get(index)?.command.as_ref()?;
        Some(SM::command_footprint(&command.op))
    }

    /// The footprint of the write at `index` if this leader accepted it in
    /// its current term and will answer it (so it may delegate that).
    fn own_write_footprint(&self, index: Index) -> Option<Footprint> {
        let entry = self.log.get(index)?;
        let command = entry.command.as_ref()?;
        let own = entry.term == self.term
            && self.accepted.get(&index).is_some_and(|reqs| {
                reqs.iter().any(|(t, r)| {
                    *t == self.term && r.client == command.client && r.mid == command.mid
                })
            });
        own.then(|| SM::command_footprint(&command.op))
    }

    /// Leader side: the committed writes whose answers it holds, for
    /// AppendEntries. A follower that applies a write of the current term
    /// takes it as answered by its leader (`unconfirmed.rs`), unless it is
    /// listed here (`held_writes.rs`): were this leader to fail before
    /// answering it, the next one must find it unanswered, and vouch for
    /// it before a read reveals it.
    pub(crate) fn answers_held(&self) -> Vec<Index> {
        self.held_answers.keys().copied().collect()
    }

    /// Leader side: every delegation up to this index is settled, and no
    /// write up to it will be delegated any more (for AppendEntries).
    pub(crate) fn answers_settled(&self) -> Index {
        if self.role != Role::Leader {
            return 0;
        }
        self.delegations
            .keys()
            .next()
            .map_or(self.delegation_frontier, |&first| {
                self.delegation_frontier.min(first - 1)
            })
    }

    /// Leader side: each follower's word on its delegated answers in one
    /// response, its own or passed on along the chain, settles what it
    /// covers.
    pub(crate) fn settle_reported_delegations(&mut self, results: &[RelayReport]) {
        for result in results {
            self.settle_delegations(result.follower, result.answers_fence, &result.answered);
        }
    }

    /// Leader side: a word from `from` settles the delegations up to its
    /// fence (see the module docs): what it answered is dropped from this
    /// leader's answers, the rest is this leader's to answer.
    fn settle_delegations(&mut self, from: NodeId, fence: Index, answered: &[Index]) {
        let settled = self.take_delegations(fence, |d| d.to == from);
        if settled.is_empty() {
            return;
        }
        for index in settled {
            if answered.contains(&index) {
                let term = self.term;
                if let Some(reqs) = self.accepted.get_mut(&index) {
                    reqs.retain(|(t, _)| *t != term);
                    if reqs.is_empty() {
                        self.accepted.remove(&index);
                    }
                }
                self.held_answers.remove(&index);
            }
        }
        self.release_held_answers();
    }

    /// Leader side: removes and returns the delegations up to `through`
    /// that `pick` chooses, in index order.
    fn take_delegations(
        &mut self,
        through: Index,
        pick: impl Fn(&Delegation) -> bool,
    ) -> Vec<Index> {
        let taken: Vec<Index> = self
            .delegations
            .range(..=through)
            .filter(|(_, d)| pick(d))
            .map(|(&i, _)| i)
            .collect();
        for index in &taken {
            self.delegations.remove(index);
        }
        if !taken.is_empty() {
            self.mark_awaited_delegates();
        }
        taken
    }

    /// Leader side, applying its own write at `index`: true if its answer
    /// must wait for a delegation to settle (see the module docs).
    pub(crate) fn must_hold_answer(&self, index: Index) -> bool {
        if self.delegations.contains_key(&index) {
            return true;
        }
        let footprint = self.write_footprint(index);
        self.delegations
            .range(..index)
            .any(|(&i, _)| match (&footprint, self.write_footprint(i)) {
                (Some(a), Some(b)) => a.overlaps(&b),
                _ => true,
            })
    }

    /// Leader side: holds the answer to its own write at `index` until the
    /// delegations before it settle.
    pub(crate) fn hold_answer(&mut self, index: Index, write: &AppliedWrite<SM>) {
        self.held_answers.insert(
            index,
            Reply {
                client: write.client,
                mid: write.mid.clone(),
                answer: Answer::Committed(write.output.clone()),
            },
        );
    }

    /// Leader side: sends the held answers that need wait no more, in
    /// index order.
    fn release_held_answers(&mut self) {
        let ready: Vec<Index> = self
            .held_answers
            .keys()
            .copied()
            .filter(|&i| !self.must_hold_answer(i))
            .collect();
        for index in ready {
            if let Some(reply) = self.held_answers.remove(&index) {
                self.out.replies.push(reply);
            }
        }
    }

    /// A leader stepping down: delegations it cannot settle any more are
    /// forgotten, and the writes whose answers it held become unconfirmed
    /// (`unconfirmed.rs`) and owed, for whoever leads next to answer
    /// (`owed_answers.rs`), or to vouch for before a read reveals them.
    /// The delegate may have answered them too: a possible duplicate,
    /// never a lost answer.
    pub(crate) fn abandon_delegations(&mut self) {
        self.delegations.clear();
        self.mark_awaited_delegates();
        self.delegated_unapplied.clear();
        self.delegation_frontier = 0;
        for (index, reply) in std::mem::take(&mut self.held_answers) {
            let (Answer::Committed(output), Some(footprint)) =
                (reply.answer, self.write_footprint(index))
            else {
                continue;
            };
            // Whether it created state is no longer known once applied:
            // taken as not, it is vouched for as before.
            self.unconfirmed.remember_unanswered(
                reply.client,
                index,
                reply.mid,
                footprint,
                output,
                false,
            );
            self.owed.push(index);
        }
        self.owed.sort_unstable();
        self.owed.dedup();
    }

    /// Leader side: true while the read `query` must wait for delegated
    /// writes (see the module docs): one it overlaps is not yet applied
    /// here, or its answer is held. Without either, the query's footprint
    /// is not even computed: this runs for every queued read at every
    /// turn of the event loop (`pending_read_deadline`).
    pub(crate) fn read_waits_for_delegated(&self, query: &SM::Query) -> bool {
        if !self.delegated_writes_pending() {
            return false;
        }
        let footprint = SM::query_footprint(query);
        self.delegated_unapplied
            .iter()
            .chain(self.held_answers.keys())
            .any(|&i| {
                self.write_footprint(i)
                    .is_none_or(|f| f.overlaps(&footprint))
            })
    }

    /// Leader side: true while any delegated write is unapplied or any
    /// answer held. Answers owed for earlier terms wait for that.
    pub(crate) fn delegated_writes_pending(&self) -> bool {
        !self.delegated_unapplied.is_empty() || !self.held_answers.is_empty()
    }

    /// Leader side: a delegate silent for `delegation_patience` about a
    /// write the leader has applied is most likely down, and whatever it
    /// was sent then has long arrived or been lost. The leader stops
    /// waiting and answers the write itself, as a vouch
    /// ([`Answer::Vouched`]): the delegate may have answered it before it
    /// went silent (a duplicate, never a wrong belief: it answers nothing
    /// more about it).
    pub(crate) fn give_up_on_silent_delegates(&mut self, now: Duration) {
        let patience = self.cfg.delegation_patience;
        let expired =
            self.take_delegations(self.applied, |d| now >= d.since.saturating_add(patience));
        if expired.is_empty() {
            return;
        }
        for index in expired {
            if let Some(reply) = self.held_answers.get_mut(&index) {
                if let Answer::Committed(output) = &reply.answer {
                    reply.answer = Answer::Vouched(output.clone());
                }
            }
        }
        self.release_held_answers();
    }

    /// Leader side: when `give_up_on_silent_delegates` next has work.
    pub(crate) fn delegation_deadline(&self) -> Option<Duration> {
        self.delegations
            .range(..=self.applied)
            .map(|(_, d)| d.since.saturating_add(self.cfg.delegation_patience))
            .min()
    }
}

/// This replica's clock at `now` less a leader's stamp `sent_at` (both in
/// microseconds), wide enough that no stamp can overflow it.
fn clock_gap(now: Duration, sent_at: u64) -> i128 {
    i128::try_from(now.as_micros()).unwrap_or(i128::MAX / 2) - i128::from(sent_at)
}
