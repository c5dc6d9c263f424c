//! Check-quorum and the leader lease.
//!
//! ## Confirmed contact
//!
//! Every AppendEntries carries the leader's clock (`sent_at`) and every
//! response echoes it. A response therefore proves that the follower heard
//! from this leader at or after `sent_at`. The leader's *quorum contact* is
//! the latest time `t` such that a majority (itself included) has confirmed
//! contact at or after `t`.
//!
//! ## Lease reads
//!
//! A follower that heard from a live leader refuses every vote for
//! `election_timeout` afterwards, whatever term it adopts meanwhile
//! (leader stickiness, `election.rs`, `in_leader_lease`). So
//! once a majority confirmed contact at `t`, no other leader can be elected
//! before `t + election_timeout`, and until then this leader's applied
//! state is the latest committed state: it may answer reads alone, with no
//! round trip. The lease is `lease < election_timeout` long, the gap
//! covering any difference in how the replicas measure time. Reads also
//! wait until the leader has committed an entry of its own term, so that
//! it has applied everything its predecessors committed.
//!
//! ## Check-quorum
//!
//! A leader whose quorum contact is older than `election_timeout` has
//! probably been cut off from the majority, which may already have elected
//! someone else. It steps down, so that clients stop waiting on it.
//!
//! ## An idle leader asks for no answers
//!
//! Renewing the quorum contact costs answers: two per heartbeat interval,
//! more after a loss. They buy the lease and check-quorum, and both only
//! matter to clients. So a leader with no client request for
//! `idle_after` (an election timeout by default; see there for why not
//! less) and nothing uncommitted or waiting is *idle*: its periodic
//! contacts are all quiet, and check-quorum is suspended. It also contacts
//! its followers less often (`idle_heartbeat_interval`) and tells them so,
//! from its last contact before it goes idle on (`announces_idle`), and
//! they wait correspondingly longer before campaigning. The first
//! request after an idle spell makes the leader busy again and restarts
//! check-quorum's clock from that moment; a get waits for the lease as
//! after any lapse (`lease_probe_targets`). Safety is untouched: reads are
//! only answered under a lease that a majority confirmed, whatever the
//! leader believes, and an idle leader cut off by a partition learns the
//! newer term from the first answer that reaches it, or steps down one
//! election timeout after a request arrives.

use crate::progress::{majority_went_quiet, Pacing};
use crate::replica::{Replica, Role};
use crate::request::Operation;
use statemachine::StateMachine;
use std::time::Duration;

impl<SM: StateMachine> Replica<SM> {
    /// The latest time a majority (this leader included, always in contact
    /// with itself) is known to have heard from this leader. `None` if no
    /// majority ever confirmed contact; `Duration::MAX` in a cluster of one.
    pub(crate) fn quorum_contact(&self) -> Option<Duration> {
        let needed = self.cfg.quorum() - 1;
        if needed == 0 {
            return Some(Duration::MAX);
        }
        let mut contacts: Vec<Option<Duration>> = self
            .progress
            .values()
            .map(|p| p.confirmed_contact)
            .collect();
        contacts.sort_unstable_by(|a, b| b.cmp(a));
        contacts.get(needed - 1).copied().flatten()
    }

    /// True while this leader may answer reads without a round trip.
    pub(crate) fn lease_valid(&self, now: Duration) -> bool {
        self.role == Role::Leader
            && self
                .quorum_contact()
                .is_some_and(|t| now < t.saturating_add(self.cfg.lease))
    }

    /// From when this leader is idle, if nothing changes: `idle_after`
    /// the last client request, provided nothing is
    /// uncommitted or waiting (`None` otherwise). Decided from recorded
    /// times, not the clock, so that a deadline computed early and the
    /// check made when it fires agree.
    pub(crate) fn idle_from(&self) -> Option<Duration> {
        let settled = self.reads.is_empty()
            && self.commit >= self.log.last_index()
            && self.delegations.is_empty();
        settled.then(|| self.requests_idle_from())
    }

    /// From when the clients have left this leader alone for `idle_after`
    /// (at once if none ever asked): the part of `idle_from` that depends
    /// on client requests alone.
    fn requests_idle_from(&self) -> Duration {
        self.last_client_request
            .map_or(Duration::ZERO, |r| r.saturating_add(self.cfg.idle_after()))
    }

    /// True if at `t` this leader is idle: no client request for
    /// `idle_after`, and nothing uncommitted or waiting.
    pub(crate) fn idle_at(&self, t: Duration) -> bool {
        self.idle_from().is_some_and(|from| t >= from)
    }

    /// True if a contact sent at `now` tells its follower to expect the
    /// next one only an idle heartbeat interval later. That is so when
    /// this leader will be idle by the time its next busy contact would be
    /// due, counting what it has in flight as committed by then.
    ///
    /// Announcing it one contact early matters: the follower's timer
    /// started by a busy contact runs out after as little as an election
    /// timeout, and the first idle contact comes an idle interval after
    /// it, so a single lost contact would set off a pre-vote round. The
    /// most common case is a leader elected before the clients start: its
    /// first entry is still uncommitted when it goes out, and the leader
    /// is idle the moment it commits. In the simulator at 15% loss, 12 of
    /// 34 short runs had a pre-vote round before the clients started
    /// when only idle contacts said so, and 4 of 34 with this.
    ///
    /// Announcing idleness early, or while work is still in flight, only
    /// makes followers wait longer than they need to if the leader then
    /// dies; safety does not depend on it.
    pub(crate) fn announces_idle(&self, now: Duration) -> bool {
        let busy_due = now.saturating_add(self.cfg.heartbeat_interval);
        self.reads.is_empty()
            && self.delegations.is_empty()
            && busy_due >= self.requests_idle_from()
    }

    /// The clocks for contacting followers. While idle the leader contacts
    /// them only every idle heartbeat interval, and says so in each contact
    /// (`build_append`, from the one before on: `announces_idle`) so that
    /// they wait longer for it. Followers that went quiet together, as a
    /// partition's far side does, are probed rather than resent to
    /// (`progress.rs`, "A majority gone quiet at once").
    pub(crate) fn pacing(&self) -> Pacing {
        let needed = self.cfg.cluster_size() + 1 - self.cfg.quorum();
        Pacing {
            idle_from: self.idle_from(),
            commit: self.commit,
            majority_quiet: majority_went_quiet(
                self.progress.values(),
                needed,
                self.cfg.silent_after,
            ),
            ..self.cfg.pacing()
        }
    }

    /// Records a client request taken by this leader; the first after an
    /// idle spell restarts check-quorum's clock.
    pub(crate) fn note_client_request(&mut self, now: Duration) {
        if self.idle_at(now) {
            self.busy_since = now;
        }
        self.last_client_request = Some(now);
    }

    /// When check-quorum next has to look: an election timeout after the
    /// quorum contact, or after taking office or getting busy if that is
    /// later. `None` if the leader will be idle by then.
    pub(crate) fn check_quorum_deadline(&self) -> Option<Duration> {
        let since = self
            .quorum_contact()
            .map_or(self.busy_since, |t| t.max(self.busy_since));
        let deadline = since.saturating_add(self.cfg.election_timeout);
        (!self.idle_at(deadline)).then_some(deadline)
    }

    /// True when the leader has not confirmed contact with a majority for
    /// an election timeout (counting from when it became leader or busy),
    /// unless it is idle.
    pub(crate) fn check_quorum_lost(&self, now: Duration) -> bool {
        self.check_quorum_deadline().is_some_and(|t| now >= t)
    }

    /// Check-quorum: a leader that lost touch with its majority steps down.
    /// Its timer does this, and so does every message or request that
    /// arrives past the deadline before the timer fired: a process held
    /// up past its deadline handles what waited in its socket before it
    /// runs its timers, and must not commit, and answer, on
    /// acknowledgements as old as that as if it still led. Returns
    /// whether it stepped down.
    pub(crate) fn step_down_if_cut_off(&mut self, now: Duration) -> bool {
        if self.role != Role::Leader || !self.check_quorum_lost(now) {
            return false;
        }
        self.become_follower(now, self.term, None);
        self.lost_the_majority();
        true
    }

    /// The followers worth probing early to renew the lease: those not
    /// awaiting a response to an earlier message, and only if they and this leader make
    /// a majority. A silent follower, or a leader cut off in a minority,
    /// waits for the regular heartbeat instead of retrying in a loop.
    pub(crate) fn lease_probe_targets(&self) -> Vec<wire::NodeId> {
        let responsive: Vec<wire::NodeId> = self
            .progress
            .iter()
            .filter(|(_, p)| p.awaiting_since.is_none())
            .map(|(&peer, _)| peer)
            .collect();
        if responsive.len() + 1 >= self.cfg.quorum() {
            responsive
        } else {
            Vec::new()
        }
    }

    /// While reads wait for the lease, when to probe the followers again.
    pub(crate) fn pending_read_deadline(&self) -> Option<Duration> {
        // Reads that wait for this term's first commit wait for messages,
        // not for a timer: only a lapsed lease is worth probing for.
        // Nor do reads that wait for delegated writes (`delegated_answers.rs`).
        let waits_for_lease = self.reads.iter().any(|r| match &r.op {
            Operation::Query(q) => !self.read_waits_for_delegated(q),
            Operation::Command(_) => false,
        });
        if !waits_for_lease || self.commit < self.term_start {
            return None;
        }
        self.lease_probe_targets()
            .iter()
            .filter_map(|peer| self.progress.get(peer).and_then(|p| p.last_sent))
            .min()
            .map(|t| t + self.cfg.response_patience)
    }
}
