//! Elections: timeouts (§5.2), pre-vote (§9.6), votes and the election
//! restriction (§5.4.1), and leader stickiness.
//!
//! ## The rounds
//!
//! A follower that hears nothing from a leader for its election timeout
//! (drawn at random from `[T, 2T]` so that replicas rarely time out
//! together) first runs a *pre-vote*: it asks every peer "would you vote
//! for me in term `term + 1`?" without changing its own term. Only if a
//! majority says yes does it increment its term and ask for real votes.
//! A replica cut off by a partition therefore keeps its term; when it
//! comes back it cannot force a healthy leader to step down.
//!
//! The very first election skips the rehearsal. A replica still at term 0
//! has never heard of any leader, and its real election is for term 1: no
//! replica can be pushed past a term some leader has reached, and a leader
//! of term 1 and its followers refuse the request (stickiness, below)
//! without changing anything. So the rehearsal could protect no one, and
//! it would cost every cluster's first election a round trip and eight
//! messages in a cluster of five.
//!
//! An idle leader contacts its followers less often, and says so, from
//! its last contact before it goes idle on (`lease.rs`); a follower that
//! hears it is idle adds the idle heartbeat interval to the timeout it
//! draws, so it still hears two contacts before it would campaign.
//!
//! ## Asking again, and backing off
//!
//! A round needs a majority of answers, and one lost request or answer
//! used to cost a whole election timeout: with 10% loss, a round among
//! the three replicas of a partition's majority failed about one time in
//! three, and the cluster stayed leaderless for seconds. So a round asks
//! again, `response_patience` after it started, every peer that has not
//! answered it yet.
//!
//! A pre-vote round asks again once: it may be held where no majority
//! can be reached (a partition's minority), and there every request is
//! lost. A real round, when pre-vote is on, follows a pre-vote that a
//! majority granted a moment before, so its peers are reachable and a
//! missing answer was lost: it asks again up to three times, waiting
//! twice as long each time (5, 10, 20 ms), before the election timer
//! would start the whole election over. At 30% loss this took the 99th
//! percentile of the time without a leader after a crash from 10 s to
//! about 3 s (`make bench-elections`). Once a round has asked as often
//! as it will, it waits as long again and judges from who answered
//! whether the replica is cut off from a majority (`cut_off.rs`).
//!
//! A round that still does not win was most likely held where a majority
//! cannot be reached, or by a replica whose log is too stale for anyone
//! to vote for it. Repeating it every election timeout only costs
//! messages, so until the replica hears from a leader, a round that
//! starts after a lost one draws its timer from `[2T, 4T]` instead. The
//! lost round's own timer was drawn when it started, before anyone knew
//! it would lose, so the second round still comes `[T, 2T]` after the
//! first; from then on a minority replica asks about half as often, and
//! a stale one leaves the field to the others. In a partition of a few
//! seconds, then, a minority replica's rounds are mostly its first two,
//! and a longer backoff would not save them (see the README's Elections
//! benchmark for what judging a round lost earlier costs).
//!
//! A cut-off replica (one whose last round was answered by fewer than a
//! majority, `cut_off.rs`) asks again only the peers it has heard from,
//! by any message, since that round started. The others stayed silent
//! through two asks and have said nothing since: across a partition, or
//! down, a third ask is one more lost message (three a round for each
//! replica of a minority of two in a cluster of five). A peer that
//! merely lost both asks to drops on the same side is usually heard
//! from again soon: it answers this round, or campaigns itself and asks
//! this replica for its vote. Skipping every ask again once cut off
//! saved as much, but in the elections benchmark it took the time
//! without a leader after an isolation at 30% loss from 3,658 to
//! 3,979 ms at the 90th percentile and from 5,628 to 7,258 ms at the
//! 99th; asking those heard from did not lengthen it.
//!
//! ## Granting a vote
//!
//! A vote (real or pre) is granted only if the candidate's log is at least
//! as up to date as the voter's (§5.4.1): this is what guarantees that a
//! new leader holds every committed entry. A real vote is also granted at
//! most once per term.
//!
//! ## Leader stickiness
//!
//! A replica that has heard from a live leader within the minimum election
//! timeout refuses every vote and pre-vote, without even adopting the
//! candidate's higher term. This is what makes the leader lease safe
//! (`lease.rs`): once a majority has heard from the leader at time `t`, no
//! other replica can win an election before `t + election_timeout`.
//!
//! A leader that refuses a follower's vote request also contacts that
//! follower at once: asking for votes means it has not heard from the
//! leader for an election timeout, so it lost messages, or it is back from
//! a partition and the leader has been probing it only rarely.

use crate::replica::{Replica, Role};
use rand::Rng;
use statemachine::StateMachine;
use std::time::Duration;
use wire::{Body, NodeId, VoteRequest, VoteResponse};

impl<SM: StateMachine> Replica<SM> {
    /// Draws a fresh election timeout starting at `now`: from
    /// `[T, 2T]`, or `[2T, 4T]` once a round was lost (see the module
    /// docs).
    pub(crate) fn reset_election_timer(&mut self, now: Duration) {
        let backoff = if self.lost_rounds > 0 { 2 } else { 1 };
        let base = self.cfg.election_timeout.saturating_mul(backoff);
        let jitter = self.rng.gen_range(0..=base.as_micros() as u64);
        self.election_deadline = now + base + Duration::from_micros(jitter);
    }

    /// The leader said it is idle: it contacts this follower only every
    /// idle heartbeat interval now, so the timer just started waits that
    /// much longer (see `Config::idle_heartbeat_interval`).
    pub(crate) fn expect_idle_leader(&mut self) {
        self.election_deadline = self
            .election_deadline
            .saturating_add(self.cfg.idle_heartbeat_interval);
    }

    /// The election timer fired: rehearse, or campaign directly.
    pub(crate) fn election_timeout(&mut self, now: Duration) {
        if matches!(self.role, Role::PreCandidate | Role::Candidate) {
            // The round this timer was guarding did not win.
            self.lost_rounds = self.lost_rounds.saturating_add(1);
        }
        if self.cfg.pre_vote && self.term > 0 {
            self.start_pre_vote(now);
        } else {
            self.start_election(now);
        }
    }

    /// True while this replica believes a live leader leads: it is that
    /// leader, or it heard from one within the minimum election timeout.
    ///
    /// Hearing from a leader is a promise the leader's lease counts on
    /// (`lease.rs`): no vote for anyone else for an election timeout. So
    /// the promise outlives a newer term adopted meanwhile from a message
    /// that names no leader, such as a refusal of this replica's own
    /// rehearsal that crossed its leader's contact: forgetting the leader
    /// there would let this replica vote a rival in while the leader still
    /// answers reads alone, and a read could miss an answered write.
    pub(crate) fn in_leader_lease(&self, now: Duration) -> bool {
        match self.role {
            Role::Leader => true,
            _ => self
                .leader_contact
                .is_some_and(|t| now < t + self.cfg.election_timeout),
        }
    }

    fn start_pre_vote(&mut self, now: Duration) {
        // A pre-vote deposes nobody: the replica keeps naming the leader it
        // last followed until a real election starts, as etcd's does.
        self.role = Role::PreCandidate;
        self.start_round(now);
    }

    fn start_election(&mut self, now: Duration) {
        self.term += 1;
        self.role = Role::Candidate;
        self.voted_for = Some(self.cfg.id);
        self.leader = None;
        self.start_round(now);
    }

    /// Starts a round of the current role: votes for itself, asks every
    /// peer, and arms the timer that asks again those that stay silent.
    fn start_round(&mut self, now: Duration) {
        self.end_vote_round();
        self.round_starts = [Some(now), self.round_starts[0]];
        self.votes.insert(self.cfg.id);
        self.reset_election_timer(now);
        self.vote_retry_at = Some(now.saturating_add(self.cfg.response_patience));
        if let Some(ask) = self.round_request() {
            for peer in self.cfg.peers.clone() {
                self.send(peer, Body::VoteRequest(ask.clone()));
            }
        }
        self.count_votes(now);
    }

    /// What the current round asks for, if one is running. A candidate's
    /// log and term do not change during its round, so asking again sends
    /// the same request.
    fn round_request(&self) -> Option<VoteRequest> {
        let (term, pre_vote) = match self.role {
            Role::PreCandidate => (self.term + 1, true),
            Role::Candidate => (self.term, false),
            _ => return None,
        };
        Some(VoteRequest {
            term,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
            pre_vote,
        })
    }

    /// How many times a round asks its silent peers again (see the module
    /// docs).
    fn vote_retry_limit(&self) -> u32 {
        match self.role {
            Role::Candidate if self.cfg.pre_vote => 3,
            _ => 1,
        }
    }

    /// The current round's timer fired: it asks its silent peers again
    /// or, once it has as often as it will and waited as long again,
    /// judges from the answers whether this replica is cut off
    /// (`cut_off.rs`).
    pub(crate) fn vote_round_timer(&mut self, now: Duration) {
        if self.vote_retries >= self.vote_retry_limit() {
            self.vote_retry_at = None;
            self.judge_reach();
        } else {
            self.retry_vote_requests(now);
        }
    }

    /// Asks again the peers that have not answered this round, and arms
    /// the round's timer again at twice the wait.
    fn retry_vote_requests(&mut self, now: Duration) {
        self.vote_retries += 1;
        let wait = self
            .cfg
            .response_patience
            .saturating_mul(1 << self.vote_retries);
        self.vote_retry_at = Some(now.saturating_add(wait));
        let Some(ask) = self.round_request() else {
            return;
        };
        let silent: Vec<NodeId> = self
            .cfg
            .peers
            .iter()
            .copied()
            .filter(|p| !self.answered.contains(p) && self.may_answer(p))
            .collect();
        for peer in silent {
            self.send(peer, Body::VoteRequest(ask.clone()));
        }
    }

    /// Whether asking `peer` again could bring an answer. Always, unless
    /// this replica is cut off (its last round heard from too few peers)
    /// and has heard nothing at all from `peer` since that round started:
    /// then `peer` stayed silent through two asks and has said nothing
    /// since, most likely across a partition or down, and a third ask
    /// is another message lost (see the module docs).
    fn may_answer(&self, peer: &NodeId) -> bool {
        if !self.cut_off || self.role != Role::PreCandidate {
            return true;
        }
        self.round_starts[1].is_none_or(|previous| {
            self.last_heard
                .get(peer)
                .is_some_and(|&heard| heard >= previous)
        })
    }

    /// Forgets the current round, if any.
    pub(crate) fn end_vote_round(&mut self) {
        self.votes.clear();
        self.answered.clear();
        self.vote_retry_at = None;
        self.vote_retries = 0;
    }

    /// Moves on once a majority has granted this round.
    fn count_votes(&mut self, now: Duration) {
        if self.votes.len() < self.cfg.quorum() {
            return;
        }
        match self.role {
            Role::PreCandidate => self.start_election(now),
            Role::Candidate => self.become_leader(now),
            _ => {}
        }
    }

    fn candidate_log_ok(&self, req: &VoteRequest) -> bool {
        !self.rules.election_restriction
            || self
                .log
                .is_up_to_date(req.last_log_term, req.last_log_index)
    }

    pub(crate) fn on_vote_request(&mut self, now: Duration, from: NodeId, req: VoteRequest) {
        if self.in_leader_lease(now) {
            // Stickiness: a live leader exists; do not even adopt the term.
            let answer = VoteResponse {
                term: self.term,
                granted: false,
                pre_vote: req.pre_vote,
            };
            self.send(from, Body::VoteResponse(answer));
            if self.role == Role::Leader && self.progress.contains_key(&from) {
                // One of our followers lost touch with us (or just came
                // back from a partition): contact it now rather than at
                // its next periodic contact, which for a silent follower
                // may be seconds away (`progress.rs`).
                self.send_append(now, from);
            }
            return;
        }
        if req.pre_vote {
            let granted = req.term > self.term && self.candidate_log_ok(&req);
            let answer = VoteResponse {
                term: if granted { req.term } else { self.term },
                granted,
                pre_vote: true,
            };
            self.send(from, Body::VoteResponse(answer));
            return;
        }
        if req.term > self.term {
            // Adopting a newer term is not hearing from a leader or granting
            // a vote: the election timer keeps running (Figure 2). Resetting
            // it here would let a candidate with a stale log, which can
            // never win, keep everyone else from ever campaigning.
            let deadline = self.election_deadline;
            self.become_follower(now, req.term, None);
            self.election_deadline = deadline;
        }
        let granted = req.term == self.term
            && self.voted_for.is_none_or(|v| v == from)
            && self.candidate_log_ok(&req);
        if granted {
            self.voted_for = Some(from);
            self.reset_election_timer(now);
        }
        let answer = VoteResponse {
            term: self.term,
            granted,
            pre_vote: false,
        };
        self.send(from, Body::VoteResponse(answer));
    }

    pub(crate) fn on_vote_response(&mut self, now: Duration, from: NodeId, resp: VoteResponse) {
        if resp.term > self.term && !resp.granted {
            // A voter is ahead of us: adopt its term and wait for its leader.
            self.become_follower(now, resp.term, None);
            return;
        }
        let expected_term = match (self.role, resp.pre_vote) {
            (Role::PreCandidate, true) => self.term + 1,
            (Role::Candidate, false) => self.term,
            _ => return,
        };
        let term_ok = resp.term == expected_term || !self.rules.vote_term_check;
        self.answered.insert(from);
        if self.round_answered_by_majority() {
            self.reached_majority();
        }
        if resp.granted && term_ok {
            self.votes.insert(from);
            self.count_votes(now);
        }
    }
}
