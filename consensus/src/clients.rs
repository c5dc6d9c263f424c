//! Routing client requests: serve, redirect, or hold.
//!
//! A request is never answered `fail`, and is answered once (a vouch
//! after a leader change may answer a put twice: `unconfirmed.rs`,
//! `owed_answers.rs`):
//!
//! - a leader appends a put to its log (answered when applied, see
//!   `commit.rs`) and answers a get from its state machine while its lease
//!   holds (see `lease.rs`), or queues the get until it does;
//! - a replica that heard from a leader recently redirects to it;
//! - a replica that knows no live leader holds the request and redirects
//!   it as soon as a leader makes itself known, or serves it if it becomes
//!   leader itself. Redirecting to a leader that may be dead would only
//!   send the client bouncing between replicas until an election ends.
//!   A replica that believes itself cut off from a majority holds it only
//!   briefly, then sends the client to a random replica (`cut_off.rs`).

use crate::replica::{Replica, Request, Role};
use crate::request::{Answer, Operation, Reply};
use statemachine::StateMachine;
use std::time::Duration;

impl<SM: StateMachine> Replica<SM> {
    /// Decides what happens to a request now.
    pub(crate) fn route(&mut self, now: Duration, req: Request<SM>) {
        if self.role == Role::Leader {
            self.note_client_request(now);
            match req.op.clone() {
                Operation::Command(_) if self.commit_stalled_long(now) => {
                    self.held.push((now, req));
                }
                Operation::Command(cmd) => self.propose(now, req, cmd),
                Operation::Query(_) => {
                    self.reads.push(req);
                    self.serve_reads(now);
                }
            }
            return;
        }
        match self.live_leader(now) {
            Some(leader) => self.redirect(req, leader),
            None if self.held.len() < self.cfg.max_held_requests => self.held.push((now, req)),
            None => {
                // Too many waiting: the oldest goes wherever we last knew.
                let (_, oldest) = self.held.remove(0);
                self.held.push((now, req));
                let guess = self
                    .leader
                    .or(self.cfg.peers.first().copied())
                    .unwrap_or(crate::NodeId::BROADCAST);
                self.redirect(oldest, guess);
            }
        }
    }

    /// The leader to redirect to: one heard from within about one of its
    /// contact intervals, so that it is probably alive. That is the idle
    /// heartbeat interval if its latest contact said it is idle. Against
    /// the busy one, an idle leader's contact (once a second) counted as
    /// too old for the second half of each second, and the follower held
    /// the request until the next contact, up to half a second (traced:
    /// the first requests of a run, which clients send to random
    /// replicas, waited up to 311 ms that way).
    /// The price: clients sent to a leader that died while idle bounce
    /// between its followers for up to this window (1.25 s rather than
    /// half a second) before they hold requests for the next leader.
    fn live_leader(&self, now: Duration) -> Option<crate::NodeId> {
        let interval = if self.leader_idle {
            self.cfg.idle_heartbeat_interval
        } else {
            self.cfg.heartbeat_interval
        };
        let window = interval + interval / 4;
        let contact = self.leader_contact?;
        (now < contact + window).then_some(self.leader?)
    }

    fn redirect(&mut self, req: Request<SM>, leader: crate::NodeId) {
        self.out.replies.push(Reply {
            client: req.client,
            mid: req.mid,
            answer: Answer::Redirect(leader),
        });
    }

    /// A leader became known, or this leader's commit moved again: every
    /// held request is routed again (redirected, or served).
    pub(crate) fn release_held(&mut self, now: Duration) {
        if self.held.is_empty() {
            return;
        }
        for (_, req) in std::mem::take(&mut self.held) {
            self.route(now, req);
        }
    }

    /// Whether this replica may answer clients from its state machine
    /// now: it leads, its term's first entry is committed and applied (so
    /// its state holds every committed write), and its lease holds (so no
    /// other leader can have answered anything since, `lease.rs`).
    pub(crate) fn may_answer_from_state(&self, now: Duration) -> bool {
        self.role == Role::Leader
            && self.commit >= self.term_start
            && self.applied >= self.commit
            && self.lease_valid(now)
    }

    /// Answers the queued reads if this leader may answer from its state
    /// (`may_answer_from_state`), except those that wait for a delegated
    /// write (`delegated_answers.rs`).
    pub(crate) fn serve_reads(&mut self, now: Duration) {
        if self.reads.is_empty() || !self.may_answer_from_state(now) {
            return;
        }
        let mut vouched = Vec::new();
        for req in std::mem::take(&mut self.reads) {
            if let Operation::Query(q) = &req.op {
                if self.read_waits_for_delegated(q) {
                    self.reads.push(req);
                    continue;
                }
                self.vouch_for_writes_seen_by(req.client, q, &mut vouched);
                let value = self.sm.query(q);
                self.out.replies.push(Reply {
                    client: req.client,
                    mid: req.mid,
                    answer: Answer::Read(value),
                });
            }
        }
        self.record_vouches(now, vouched);
    }
}
