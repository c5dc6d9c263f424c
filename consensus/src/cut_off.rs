//! A replica cut off from a majority sends its waiting clients elsewhere.
//!
//! A replica that knows no live leader holds client requests until one
//! makes itself known (`clients.rs`): redirecting them to a leader that
//! may be dead only sends clients bouncing between replicas until an
//! election ends. But a replica on the minority side of a partition
//! hears of no leader until the partition heals, and the clients it
//! holds wait for all of it, seconds, although clients reach every
//! replica and the majority side may have elected a leader long before.
//! (Before the rules below, the slowest puts of the canonical
//! hard-partition tests took 4.3-5.9 s, and one put in ten in
//! partition-4 took 1.4 s or more; see simulator/RESULTS.md.)
//!
//! ## The evidence
//!
//! Two things tell a replica that it is cut off from a majority.
//!
//! *A check-quorum step-down* (`lease.rs`): as leader, it heard from no
//! majority for an election timeout.
//!
//! *A round that too few peers answered.*
//! A replica that lost its leader runs a vote round (a pre-vote, as a
//! rule, `election.rs`), and every peer it can reach answers it, granting
//! or not. When the round has asked its silent peers again as often as
//! it will and still fewer than a majority (itself included) answered,
//! the replica is most likely cut off from the majority: it is *cut
//! off* until it hears from a leader or a later round reaches a majority.
//! Only loss can fool it. A pre-vote asks each silent peer twice, so on
//! the majority side of a partition in a cluster of five, where two
//! peers are reachable, one of them stays silent through both asks (and
//! the replica takes itself for cut off) about 7% of the time at 10%
//! loss per message, and about 15% at 15%.
//!
//! ## What it does about it
//!
//! A cut-off replica still holds each request, but only for
//! `Config::cut_off_hold`; then it redirects the client naming no leader
//! (`FFFF`), and the client retries at a random replica: on the majority
//! side three times in five in a cluster of five. No message between
//! replicas is added.
//!
//! The hold is what keeps this from becoming a storm. If every replica a
//! client can reach believed itself cut off at once (all lost rounds to
//! loss while no leader exists), immediate redirects would bounce each
//! client between them as fast as the network carries it, thousands of
//! times a second, until a leader is elected. With the hold a client is
//! redirected at most once per hold by each of them.
//!
//! Only requests that were held are sent away: a request this replica
//! accepted into its log as leader stays there until the log decides it
//! (`commit.rs`). It may still commit (if it reached the majority side
//! before the cut), and then its client must be answered for that very
//! request: sent elsewhere, the client would have given up on it, and
//! would either read a value it was never told was written or be
//! answered for a request it no longer expects.
//!
//! ## A leader that may be cut off takes no more puts
//!
//! That leaves a leader cut off in a minority, which takes puts into its
//! log (clients and its followers still name it) until check-quorum
//! deposes it, an election timeout after the cut; they wait in its log
//! for the partition to heal. So a leader whose commit index has stood
//! still for `Config::stalled_commit_hold` while entries wait holds new
//! puts instead, and routes them again as soon as its commit moves. If
//! it does not, check-quorum deposes the leader, which takes itself for
//! cut off and sends them elsewhere. Reads are not held: they are
//! answered under the lease, or wait for it, as always.

use crate::replica::Replica;
use crate::request::{Answer, Reply};
use statemachine::StateMachine;
use std::time::Duration;
use wire::NodeId;

impl<SM: StateMachine> Replica<SM> {
    /// The current vote round has asked its silent peers for the last
    /// time and waited as long again: if fewer than a majority (this
    /// replica included) answered, it takes itself for cut off.
    pub(crate) fn judge_reach(&mut self) {
        if !self.round_answered_by_majority() {
            self.cut_off = true;
        }
    }

    /// True once a majority (this replica included) has answered the
    /// current vote round, granting or not.
    pub(crate) fn round_answered_by_majority(&self) -> bool {
        self.answered.len() + 1 >= self.cfg.quorum()
    }

    /// Check-quorum deposed this leader: no majority answered it for an
    /// election timeout, so it takes itself for cut off.
    pub(crate) fn lost_the_majority(&mut self) {
        self.cut_off = true;
    }

    /// True if this leader's commit index has stood still for the stalled
    /// commit hold while entries wait: it holds new puts.
    pub(crate) fn commit_stalled_long(&self, now: Duration) -> bool {
        match (self.cfg.stalled_commit_hold, self.commit_waiting_since) {
            (Some(hold), Some(since)) => now >= since.saturating_add(hold),
            _ => false,
        }
    }

    /// A majority answered a round, or a leader made contact: this
    /// replica is not cut off (any more).
    pub(crate) fn reached_majority(&mut self) {
        self.cut_off = false;
    }

    /// The cut-off hold, if this replica is cut off and one is set: how
    /// long it holds a request before sending the client elsewhere.
    fn hold_while_cut_off(&self) -> Option<Duration> {
        self.cfg.cut_off_hold.filter(|_| self.cut_off)
    }

    /// When the oldest held request has waited out the cut-off hold, if
    /// this replica is cut off and holds any.
    pub(crate) fn cut_off_deadline(&self) -> Option<Duration> {
        let hold = self.hold_while_cut_off()?;
        let (since, _) = self.held.first()?;
        Some(since.saturating_add(hold))
    }

    /// Sends the clients of the held requests that have waited out the
    /// cut-off hold to a random replica (a redirect naming no leader).
    pub(crate) fn send_held_elsewhere(&mut self, now: Duration) {
        let Some(hold) = self.hold_while_cut_off() else {
            return;
        };
        // Held in arrival order, so the ones due are a prefix.
        let due = self
            .held
            .iter()
            .take_while(|(since, _)| since.saturating_add(hold) <= now)
            .count();
        for (_, req) in self.held.drain(..due) {
            self.out.replies.push(Reply {
                client: req.client,
                mid: req.mid,
                answer: Answer::Redirect(NodeId::BROADCAST),
            });
        }
    }
}
