//! Log replication (§5.3), both sides of AppendEntries.
//!
//! ## Leader: who gets what, when
//!
//! Messages are the scarce resource, so a leader does not broadcast every
//! entry. A new entry goes out with the next output (entries proposed
//! together, such as a burst of requests, go out as one batch) to just
//! enough followers to commit it (`eager_count`, a majority with the
//! leader): those that seem to be listening, the one contacted longest ago
//! first. The choice rotates, so while requests flow every follower hears
//! from the leader in turn and each send carries whatever that follower
//! missed since its last turn; no separate catch-up traffic is needed.
//! Those followers normally get the entry one after the other, along a
//! relay chain whose last follower acknowledges for all (`relay.rs`). A
//! follower that was idle for `heartbeat_interval` gets a periodic
//! contact: the entries it lacks, or none (a heartbeat). Only as many
//! followers as the lease needs are asked to answer it (`lease_keepers`).
//!
//! If an entry is still unacknowledged after `retransmit_timeout`, it is
//! sent again, unless it has been committed meanwhile (then it waits for
//! the follower's next turn, `catch_up.rs`) or other followers already
//! cover its commit (`commit_cover.rs`); after twice that without a
//! commit, it also goes to as many of the followers not yet sent it as the
//! commit still needs, along a chain if that is two (`relay.rs`; see
//! `Config::retransmit_timeout` for why the timeout is short).
//!
//! Cursors advance optimistically on send, so entries stream to a follower
//! without waiting for each acknowledgement; a follower that missed one
//! rejects the next (its consistency check fails) and the leader backs up
//! to the follower's hint. The batches behind it are rejected too; those
//! rejections are stale, and change nothing
//! (`Progress::record_rejection`).
//!
//! ## Follower: the consistency check
//!
//! A follower accepts a batch only if its log holds the entry just before
//! it with the same term; then it keeps what agrees, truncates the first
//! conflict and everything after, and appends the rest. It commits only up
//! to what this batch proved to match the leader's log.

use crate::progress::{Pacing, Progress};
use crate::replica::{to_micros, Replica, Role};
use raft_log::Cursor;
use statemachine::StateMachine;
use std::cmp::Reverse;
use std::time::Duration;
use wire::{AppendEntries, AppendResponse, Body, Entry, Index, NodeId, RelayReport, Term};

impl<SM: StateMachine> Replica<SM> {
    /// Won the election: take over the log, append this term's no-op so
    /// that earlier entries can commit (§5.4.2), and tell everyone.
    pub(crate) fn become_leader(&mut self, now: Duration) {
        self.role = Role::Leader;
        self.leader = Some(self.cfg.id);
        self.busy_since = now;
        self.last_client_request = None;
        // Those that answered the winning round are known to be listening
        // (`progress.rs`, "What the election already told").
        let heard = std::mem::take(&mut self.answered);
        self.end_vote_round();
        self.lost_rounds = 0;
        self.taken_over.clear();
        let last = self.log.last_index();
        self.progress = self
            .cfg
            .peers
            .iter()
            .map(|&p| {
                let progress = if heard.contains(&p) {
                    Progress::new(last)
                } else {
                    Progress::new_unheard(last, self.last_heard.get(&p).copied())
                };
                (p, progress)
            })
            .collect();
        let known_answered = self.recent_writes_known_answered();
        self.term_start = self.log.append(Entry::answered(self.term, known_answered));
        self.stalled_since = Some(now);
        self.commit_waiting_since = Some(now);
        for peer in self.cfg.peers.clone() {
            self.send_append(now, peer);
        }
        self.maybe_commit(now);
        for (_, req) in std::mem::take(&mut self.held) {
            self.route(now, req);
        }
    }

    /// Appends a client's command; it goes to the eager followers with the
    /// next output (`send_proposals`).
    pub(crate) fn propose(
        &mut self,
        now: Duration,
        req: crate::replica::Request<SM>,
        op: SM::Command,
    ) {
        let index = self.append_own(
            now,
            Entry::command(
                self.term,
                wire::ClientCommand {
                    client: req.client,
                    mid: req.mid.clone(),
                    op,
                },
            ),
        );
        self.accepted
            .entry(index)
            .or_default()
            .push((self.term, req));
        self.maybe_commit(now);
    }

    /// Appends a new entry of this leader's term; it goes to the eager
    /// followers with the next output (`send_proposals`).
    pub(crate) fn append_own(&mut self, now: Duration, entry: Entry<SM::Command>) -> Index {
        let index = self.log.append(entry);
        if self.stalled_since.is_none() {
            self.stalled_since = Some(now);
        }
        if self.commit_waiting_since.is_none() {
            self.commit_waiting_since = Some(now);
        }
        self.unsent_proposals = Some(now);
        index
    }

    /// Sends the entries proposed since the last output to the eager
    /// followers, along a relay chain when one serves. The send is dated
    /// by the latest proposal, which is no later than the real send: the
    /// lease (`lease.rs`) counts from that date, so an earlier one is safe.
    pub(crate) fn send_proposals(&mut self) {
        let Some(now) = self.unsent_proposals.take() else {
            return;
        };
        if self.role != Role::Leader {
            return;
        }
        let eager = self.eager_followers(now);
        let chain = self.relay_chain(now, &eager).unwrap_or_default();
        if !chain.is_empty() {
            self.send_relay(now, &chain, true);
        }
        for &peer in &eager[chain.len()..] {
            self.send_append(now, peer);
        }
    }

    /// The followers that get a new entry at once: those that seem to be
    /// listening, the one contacted longest ago first. Rotating through
    /// the followers this way means every follower hears from the leader
    /// while requests flow, so no separate periodic contact is needed, and
    /// each send carries whatever that follower missed since its last turn.
    fn eager_followers(&self, now: Duration) -> Vec<NodeId> {
        let mut ranked = self.followers_by_turn(now);
        ranked.truncate(self.cfg.eager_count());
        ranked
    }

    /// Every follower, in the order they are next in line for new entries:
    /// those that seem to be listening first, then the one contacted
    /// longest ago.
    pub(crate) fn followers_by_turn(&self, now: Duration) -> Vec<NodeId> {
        let patience = self.cfg.response_patience;
        let mut ranked: Vec<(bool, Reverse<Option<Duration>>, NodeId)> = self
            .progress
            .iter()
            .map(|(&peer, p)| (p.responsive(now, patience), Reverse(p.last_sent), peer))
            .collect();
        ranked.sort_by(|a, b| b.cmp(a));
        ranked.into_iter().map(|(_, _, peer)| peer).collect()
    }

    /// Sends `peer` the next batch it lacks (possibly empty: a heartbeat)
    /// and asks for a response.
    pub(crate) fn send_append(&mut self, now: Duration, peer: NodeId) {
        self.send_batch(now, peer, self.cfg.max_batch, false);
    }

    /// Sends `peer` at most `max_entries` of the entries it lacks; with
    /// `quiet`, the follower answers only if it rejects the batch.
    fn send_batch(&mut self, now: Duration, peer: NodeId, max_entries: usize, quiet: bool) {
        let Some(progress) = self.progress.get(&peer) else {
            return;
        };
        let (append, last) = self.build_append(now, progress.cursor, max_entries);
        let append = AppendEntries { quiet, ..append };
        let carried = !append.entries.is_empty();
        if let Some(progress) = self.progress.get_mut(&peer) {
            progress.record_send(now, last, carried, quiet);
        }
        self.send(peer, Body::Append(append));
    }

    /// An AppendEntries of this term carrying at most `max_entries` from
    /// `cursor.next` on, stamped with the time, the commit index, whether
    /// the next contact comes at the idle pace and the owed answers it
    /// took over (not quiet, not relayed); also returns the last index it
    /// covers.
    pub(crate) fn build_append(
        &self,
        now: Duration,
        cursor: Cursor,
        max_entries: usize,
    ) -> (AppendEntries<SM::Command>, Index) {
        let batch = cursor.batch(&self.log, max_entries);
        let last = batch.last_index();
        let append = AppendEntries {
            term: self.term,
            prev_index: batch.prev_index,
            prev_term: batch.prev_term,
            entries: batch.entries.to_vec(),
            commit: self.commit,
            sent_at: to_micros(now),
            quiet: false,
            idle: self.announces_idle(now),
            relay: None,
            owed_taken: self.owed_taken(),
            answers_settled: self.answers_settled(),
            answers_held: self.answers_held(),
        };
        (append, last)
    }

    /// The followers whose responses keep the lease and check-quorum
    /// alive: as many as a majority needs, chosen among those that seem to
    /// be listening, most recently heard first. Periodic contacts to the
    /// others ask for no response.
    ///
    /// If the quorum contact was not renewed for one and a half heartbeat
    /// intervals (an answer was lost), every follower is asked this time.
    /// Otherwise a few unlucky drops among just the chosen followers'
    /// answers would let check-quorum depose a healthy leader; asking
    /// everyone costs a few answers, and only after a loss.
    fn lease_keepers(&self, now: Duration) -> Vec<NodeId> {
        let patience = self.cfg.response_patience;
        // A round renews the contact every heartbeat interval; half an
        // interval more means a round went unanswered.
        let renewal_due = self.cfg.heartbeat_interval.saturating_mul(3) / 2;
        let renewed = self
            .quorum_contact()
            .is_some_and(|t| now < t.saturating_add(renewal_due));
        let mut ranked: Vec<(bool, Option<Duration>, NodeId)> = self
            .progress
            .iter()
            .map(|(&peer, p)| (p.responsive(now, patience), p.last_response, peer))
            .collect();
        ranked.sort_by(|a, b| b.cmp(a));
        let wanted = if renewed {
            self.cfg.quorum() - 1
        } else {
            ranked.len()
        };
        ranked
            .into_iter()
            .take(wanted)
            .map(|(_, _, peer)| peer)
            .collect()
    }

    /// The leader's timers: retransmission, widening a stalled commit,
    /// periodic batches and heartbeats, and check-quorum.
    pub(crate) fn leader_tick(&mut self, now: Duration) {
        if self.step_down_if_cut_off(now) {
            return;
        }
        self.give_up_on_silent_delegates(now);
        let pacing = self.pacing();
        let stalled = self.stall_deadline().is_some_and(|t| now >= t);
        let last = self.log.last_index();
        // An idle leader asks for no answers (`lease.rs`).
        let keepers = if self.idle_at(now) {
            Vec::new()
        } else {
            self.lease_keepers(now)
        };
        let widen_to = if stalled {
            self.widening_targets(now)
        } else {
            Vec::new()
        };
        self.defer_committed_catch_up(now);
        let mut rechained = self.resend_broken_chain(now);
        rechained.extend(self.widen_along_chain(now, &widen_to));
        let sends = DueSends {
            last,
            pacing,
            keepers,
            widen_to,
            rechained,
        };
        self.send_due_appends(now, sends);
        if stalled {
            // Widened once; wait again before widening again.
            self.stalled_since = Some(now);
        }
        if !self.reads.is_empty() && self.commit >= self.term_start {
            self.renew_lease_for_waiting_reads(now);
            self.serve_reads(now);
        }
    }

    /// One pass over the followers, each getting at most one append:
    /// a retransmission that is due (unless others cover the commit,
    /// `commit_cover.rs`), the widening of a stalled commit, or its
    /// periodic contact. Followers a chain just reached are skipped.
    fn send_due_appends(&mut self, now: Duration, sends: DueSends) {
        let DueSends {
            last,
            pacing,
            keepers,
            widen_to,
            rechained,
        } = sends;
        // Widening first, then in turn order, so that every send counts
        // when the next due retransmission is weighed (`commit_cover.rs`).
        let mut peers = widen_to.clone();
        peers.extend(
            self.followers_by_turn(now)
                .into_iter()
                .filter(|peer| !widen_to.contains(peer)),
        );
        for peer in peers {
            if rechained.contains(&peer) {
                continue;
            }
            let due = self
                .progress
                .get(&peer)
                .is_some_and(|p| p.cursor.matched < last && p.retransmit_due(now, pacing));
            let covered = due && self.commit_covered_without(now, peer);
            let Some(p) = self.progress.get_mut(&peer) else {
                continue;
            };
            if covered {
                p.postpone_retransmission(now);
            } else if due {
                // A follower that missed this many is probably down: probe
                // it with one entry rather than a whole batch.
                let max_entries = if p.start_retransmission(pacing) {
                    1
                } else {
                    self.cfg.max_batch
                };
                self.send_batch(now, peer, max_entries, false);
            } else if widen_to.contains(&peer) {
                self.send_append(now, peer);
            } else if p.contact_due(now, pacing) {
                // A delegate's answer is what settles its delegations.
                let quiet = !keepers.contains(&peer) && !p.settles_delegation;
                self.send_batch(now, peer, self.cfg.max_batch, quiet);
            }
        }
    }

    /// Reads are waiting on a lapsed lease: renew it now, with an append
    /// to each lease-probe target that has been idle for
    /// `response_patience`, rather than at the next heartbeat (see
    /// `lease_probe_targets`).
    fn renew_lease_for_waiting_reads(&mut self, now: Duration) {
        if self.lease_valid(now) {
            return;
        }
        let idle: Vec<NodeId> = self
            .lease_probe_targets()
            .into_iter()
            .filter(|peer| {
                self.progress
                    .get(peer)
                    .is_some_and(|p| p.idle_for(now, self.cfg.response_patience))
            })
            .collect();
        for peer in idle {
            self.send_append(now, peer);
        }
    }

    /// The followers a stalled commit is widened to: as many as the oldest
    /// entry that can commit next still lacks acknowledgements for, among
    /// those that have not been sent it and are idle, chosen like the eager
    /// followers (listening first, contacted longest ago first). Followers
    /// already sent it are retransmitted to on their own timers; sending to
    /// every other follower at once would cost messages the commit does not
    /// need.
    fn widening_targets(&self, now: Duration) -> Vec<NodeId> {
        // Nothing commits before this term's first entry does (§5.4.2).
        let stalled_index = (self.commit + 1).max(self.term_start);
        let acked = self
            .progress
            .values()
            .filter(|p| p.cursor.matched >= stalled_index)
            .count();
        let needed = (self.cfg.quorum() - 1).saturating_sub(acked);
        let rto = self.cfg.retransmit_timeout;
        let mut targets: Vec<NodeId> = self
            .followers_by_turn(now)
            .into_iter()
            .filter(|peer| {
                self.progress.get(peer).is_some_and(|p| {
                    // Not sent the stalled entry yet (which also means
                    // it has unsent entries: the stalled one is in the log).
                    p.cursor.next <= stalled_index && p.idle_for(now, rto)
                })
            })
            .collect();
        targets.truncate(needed);
        targets
    }

    /// When a commit that has not happened is widened:
    /// two retransmission timeouts after the oldest uncommitted entry,
    /// so that one lost message is repaired by retransmission alone.
    fn stall_deadline(&self) -> Option<Duration> {
        self.stalled_since
            .map(|t| t + self.cfg.retransmit_timeout.saturating_mul(2))
    }

    /// The earliest time [`Replica::leader_tick`] has work.
    pub(crate) fn leader_deadline(&self) -> Duration {
        let pacing = self.pacing();
        let last = self.log.last_index();
        let mut deadline = self.check_quorum_deadline().unwrap_or(Duration::MAX);
        if let Some(t) = self.stall_deadline() {
            deadline = deadline.min(t);
        }
        for p in self.progress.values() {
            let contact = p.next_contact(pacing);
            // Never contacted: due at once (`contact_due`).
            deadline = deadline.min(contact.unwrap_or(Duration::ZERO));
            if p.cursor.matched < last {
                if let Some(t) = p.retransmit_at(pacing) {
                    deadline = deadline.min(t);
                }
            }
        }
        if let Some(expiry) = self.pending_read_deadline() {
            deadline = deadline.min(expiry);
        }
        if let Some(t) = self.delegation_deadline() {
            deadline = deadline.min(t);
        }
        deadline
    }

    /// Follower side of AppendEntries, sent by the leader or passed on
    /// along a relay chain (`relay.rs`); either way the leader is the
    /// sender that counts.
    pub(crate) fn on_append(
        &mut self,
        now: Duration,
        from: NodeId,
        req: AppendEntries<SM::Command>,
    ) {
        let leader = req.relay.as_ref().map_or(from, |r| r.leader);
        if leader == self.cfg.id || !self.cfg.peers.contains(&leader) {
            return;
        }
        if req.term < self.term {
            // A stale leader: tell it our term so that it steps down.
            let answer = AppendResponse {
                owed: Vec::new(),
                ..self.append_answer(false, self.log.last_index(), None, req.sent_at)
            };
            self.send(leader, Body::AppendResponse(answer));
            return;
        }
        self.hear_from_leader(now, leader, &req);
        let mut answer = if self.log.matches(req.prev_index, req.prev_term) {
            match self.accept_entries(now, &req) {
                Some(answer) => answer,
                None => return,
            }
        } else {
            let (hint, hint_term) = self.log.conflict_hint(req.prev_index, req.prev_term);
            self.append_answer(false, hint, Some(hint_term), req.sent_at)
        };
        if req.relay.is_some() {
            self.pass_on_relay(req, answer);
        } else {
            self.stamp_answers(&mut answer, req.answers_settled, 0);
            self.send(leader, Body::AppendResponse(answer));
        }
    }

    /// The leader of `req`'s term spoke, directly or along a relay chain:
    /// follow it, and take in what its append says besides its entries
    /// (whether it is idle, which owed answers it took over, which
    /// delegated answers are settled).
    fn hear_from_leader(
        &mut self,
        now: Duration,
        leader: NodeId,
        req: &AppendEntries<SM::Command>,
    ) {
        if req.term > self.term || self.role != Role::Follower || self.leader != Some(leader) {
            self.become_follower(now, req.term, Some(leader));
        } else {
            self.leader_contact = Some(now);
            self.reached_majority();
            self.reset_election_timer(now);
            self.release_held(now);
        }
        self.note_leader_clock(now, leader, req.sent_at);
        self.leader_idle = req.idle;
        if req.idle {
            self.expect_idle_leader();
        }
        self.forget_owed_taken(&req.owed_taken);
        self.forget_settled_answers(req.answers_settled);
    }

    /// Stores the entries of an append that matches the log, applies what
    /// the leader's commit proves, answers the puts delegated to this
    /// replica, and returns the answer for the leader: `None` for a quiet
    /// contact that needs none.
    fn accept_entries(
        &mut self,
        now: Duration,
        req: &AppendEntries<SM::Command>,
    ) -> Option<AppendResponse> {
        let merge = self.log.merge(req.prev_index, &req.entries);
        let proven = req.commit.min(merge.matched_through);
        self.note_answers_held(&req.answers_held);
        if proven > self.commit {
            self.commit = proven;
            self.apply_committed(now);
        }
        self.forget_released_writes(req.commit);
        self.answer_delegated(now, req, merge.matched_through);
        // Answers it owes, or gave for the leader, keep it answering
        // (`owed_answers.rs`, `delegated_answers.rs`).
        let unsettled = self.has_unsettled_answers();
        if req.quiet && req.relay.is_none() && self.owed.is_empty() && !unsettled {
            return None;
        }
        Some(self.append_answer(true, merge.matched_through, None, req.sent_at))
    }

    /// An answer in this replica's term to an append sent at `sent_at`,
    /// listing the writes it owes (`owed_answers.rs`); relayed results and
    /// delegated answers are added where they apply.
    fn append_answer(
        &self,
        success: bool,
        match_index: Index,
        hint_term: Option<Term>,
        sent_at: u64,
    ) -> AppendResponse {
        AppendResponse {
            term: self.term,
            success,
            match_index,
            hint_term,
            sent_at,
            relayed: Vec::new(),
            owed: self.owed.clone(),
            answered: Vec::new(),
            answers_fence: 0,
        }
    }

    /// Leader side: a follower's answer, possibly carrying the results of
    /// the followers before it on a relay chain.
    pub(crate) fn on_append_response(
        &mut self,
        now: Duration,
        from: NodeId,
        mut resp: AppendResponse,
    ) {
        if resp.term > self.term {
            self.become_follower(now, resp.term, None);
            return;
        }
        if self.role != Role::Leader || resp.term < self.term {
            return;
        }
        let sent_at = Duration::from_micros(resp.sent_at).min(now);
        let mut results: Vec<RelayReport> = std::mem::take(&mut resp.relayed)
            .into_iter()
            .filter(|r| r.follower != from)
            .collect();
        results.push(resp.into_report(from));
        self.settle_reported_delegations(&results);
        let mut any_success = false;
        for result in &results {
            any_success |= result.success;
            // A result remembered from an earlier batch is dated by that
            // batch (`chain_repair.rs`).
            let dated = result
                .sent_at
                .map_or(sent_at, |t| Duration::from_micros(t).min(sent_at));
            self.absorb_result(now, result, dated);
        }
        if any_success {
            self.maybe_commit(now);
        }
        // A remembered result says nothing of what its follower owes now.
        for result in results.iter().filter(|r| r.sent_at.is_none()) {
            self.take_over_owed(now, result.follower, &result.owed);
        }
        self.serve_reads(now);
    }

    /// One follower's result for a batch sent at `sent_at`: progress,
    /// contact for the lease, and a resend if it fell behind or rejected.
    fn absorb_result(&mut self, now: Duration, result: &RelayReport, sent_at: Duration) {
        let max_batch = self.cfg.max_batch as u64;
        let last = self.log.last_index();
        let match_index = result.match_index.min(last);
        // A rejection names the follower's term at its hint: skip our own
        // entries of any later term too (`Log::conflict_hint`).
        let probe = match result.hint_term {
            Some(term) => self.log.last_index_with_term_at_most(match_index, term),
            None => match_index,
        };
        let Some(p) = self.progress.get_mut(&result.follower) else {
            return;
        };
        p.record_response(now, sent_at);
        let resend = if result.success {
            p.record_ack(now, match_index);
            // Keep streaming to a follower that is far behind; a nearly
            // caught-up one waits for its next periodic batch.
            p.cursor.next <= last && last + 1 - p.cursor.next >= max_batch
        } else {
            p.record_rejection(now, sent_at, match_index, probe)
        };
        if resend {
            self.send_append(now, result.follower);
        }
    }
}

/// What one leader tick decided before its pass over the followers
/// (`Replica::send_due_appends`), taken together because they are
/// weighed before the tick's first send changes any follower's state.
struct DueSends {
    /// The leader's last log index when the tick began.
    last: Index,
    /// The retransmission and contact pacing (`Replica::pacing`).
    pacing: Pacing,
    /// The followers asked to answer their contact, for the lease.
    keepers: Vec<NodeId>,
    /// The followers a stalled commit is widened to this tick.
    widen_to: Vec<NodeId>,
    /// The followers a chain (repaired or widened) already reached.
    rechained: Vec<NodeId>,
}
