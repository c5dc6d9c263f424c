//! The leader's view of each follower.
//!
//! Besides the log [`Cursor`] (what the follower has, what was sent), the
//! leader remembers *when* things happened, because three decisions depend
//! on time: resending entries that were not acknowledged
//! (`retransmit_timeout`), contacting an idle follower
//! (`heartbeat_interval`), and dating the last contact the follower
//! confirmed, for the lease and check-quorum (`lease.rs`).
//!
//! ## Silent followers
//!
//! A follower that has left a message unanswered for `silent_after` is
//! down or cut off by a partition. Probing it every heartbeat interval
//! would cost two and a half messages a second for nothing, for as long
//! as it stays away, so it is contacted only every
//! `silent_probe_interval` (see there for why not less often), and after
//! `long_silence_after`, longer than partitions usually last, only every
//! `long_silent_probe_interval`: by then it is most likely down for good,
//! and a crashed replica would otherwise cost a message a second for the
//! rest of the run (about 5% of a canonical crash test's traffic). Coming back
//! does not wait for that probe: a follower cut off from its leader runs
//! for election within an election timeout, and a leader answers any vote
//! request from one of its followers with an immediate contact
//! (`election.rs`).
//!
//! ## A majority gone quiet at once
//!
//! A leader cut off in a partition's minority hears nothing more from
//! every follower on the far side, all from the same moment. Each of them
//! holds up the commit, so each would keep the short retransmission
//! backoff (see [`RETRIES_BEFORE_PROBING_UNCOMMITTED`]) until
//! check-quorum deposes the leader an election timeout later: about ten
//! resends to each in that second, none of which can arrive. So when as
//! many followers as would leave the leader short of a majority (three in
//! a cluster of five) have each missed more than
//! [`RETRIES_BEFORE_QUIET_TOGETHER`] retransmissions, and went quiet
//! (left a message unanswered for the first time since their last
//! answer) within `silent_after` of one another, those followers are
//! probed as [`probably_down`](Progress::probably_down), commit or no
//! commit ([`majority_went_quiet`]): eight sends to each in that second
//! instead of ten. Followers that went quiet long before, such as a
//! replica killed earlier, do not count towards it: what it looks for is
//! the partition's signature, a majority falling silent together.
//!
//! Loss must not fake it. The price of a false alarm is a commit that
//! waits a heartbeat interval, and a leader that holds its new puts
//! meanwhile (`cut_off.rs`): were it killed then, they would go
//! unanswered. Three of four live followers each missing five round
//! trips in a row comes about once in 6,000 stalled batches at 30% loss,
//! and practically never at 10%. With three missed round trips each it
//! came about once in a hundred at 30% loss: in one traced advanced-3
//! run, three of the leader's four followers had each missed three for
//! most of the 430 ms before the leader was killed.
//!
//! ## What the election already told
//!
//! A new leader starts out knowing nothing of its followers' logs, but it
//! does know who answered the vote request that elected it. A peer that
//! had not answered by the time a majority had is most likely down (a
//! killed leader) or cut off (a partition's minority): until it answers
//! anything it is not counted as listening, so it heads no relay chain and
//! gets no new entry at once. Without this, the first puts after a leader
//! change went along chains headed by the replica that had just died, all
//! of them lost, and waited for their retransmission. Nor is it pardoned
//! (`catch_up.rs`) or resent to on the short retransmission backoff:
//! unless the commit waits for it, it is probed at once as a follower
//! that is [`probably_down`](Progress::probably_down). A live peer whose
//! answer was merely lost or late loses nothing but its first turn: it
//! answers the new leader's first contact a trip later.
//!
//! Its silence counts from when the new leader, then a candidate or a
//! follower, last heard anything from it, not from the new leader's
//! first contact: a leader that died was last heard before the election
//! timer that replaced it ran out, more than `silent_after` ago, so it is
//! probed once a `silent_probe_interval` from the start; and a replica
//! killed in an earlier term, silent for longer than
//! `long_silence_after`, once a `long_silent_probe_interval`. Counted
//! from the first contact, a dead leader drew a probe every heartbeat
//! interval for another `silent_after`, and one dead for good, seconds
//! of probes a second, again after every leader change. A peer never
//! heard from at all is counted from the first contact, as before: at a
//! cluster's first election a live peer may not have spoken yet, and
//! counted silent since the start it would be contacted only once a
//! second until it answered.

use raft_log::Cursor;
use std::time::Duration;

/// Retransmissions left unanswered after which a follower that holds up
/// no commit is treated as probably down: it gets one entry at a time, once
/// a contact interval.
const RETRIES_BEFORE_PROBING: u32 = 2;

/// Retransmissions each of a majority's worth of followers must have
/// left unanswered, having gone quiet together, before they are treated
/// as probably down even though the commit waits for them (see the
/// module docs, "A majority gone quiet at once").
const RETRIES_BEFORE_QUIET_TOGETHER: u32 = 4;

/// The same for a follower whose unacknowledged entries still wait for
/// their commit.
///
/// Missing a few round trips is no sign of a crash under loss: at 30% loss
/// a live follower misses three in a row one time in eight, and six one
/// time in fifty. If the commit waits for it, the wait keeps doubling from
/// the retransmission timeout (2, 4, 8 ... 256 ms with the defaults)
/// before it settles at the heartbeat interval, so that an entry is not
/// left uncommitted for a whole interval, and its client unanswered, on a
/// run of bad luck. A follower that went down costs nothing extra for it:
/// while other followers cover the commit its resends are postponed
/// (`commit_cover.rs`), and once they committed the entries it falls back
/// to [`RETRIES_BEFORE_PROBING`].
const RETRIES_BEFORE_PROBING_UNCOMMITTED: u32 = 7;

/// How many resends in a row a follower whose answer would settle a
/// delegation (`delegated_answers.rs`) gets at the retransmission
/// timeout's pace before the usual backoff: ten, 20 ms with the defaults,
/// as long as the leader waits for it (`delegation_patience`). Bounded,
/// so that a delegate cut off from a leader that cannot commit costs ten
/// messages, not one every 2 ms until check-quorum deposes the leader.
const RESENDS_TO_AN_AWAITED_DELEGATE: u32 = 10;

/// The leader's clocks for contacting one follower, taken from its
/// configuration; see the module docs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pacing {
    /// The first wait before unacknowledged entries are sent again.
    pub retransmit: Duration,
    /// The longest a listening follower goes without a contact.
    pub heartbeat: Duration,
    /// The same while the leader is idle.
    pub idle_heartbeat: Duration,
    /// From when the leader is idle, if it will be without a change.
    pub idle_from: Option<Duration>,
    /// How long a message may go unanswered before the follower is silent.
    pub silent_after: Duration,
    /// How often a silent follower is contacted.
    pub silent_probe: Duration,
    /// How long a message may go unanswered before the follower is taken
    /// for gone for good.
    pub long_silence_after: Duration,
    /// How often such a follower is contacted.
    pub long_silent_probe: Duration,
    /// The leader's commit index: a follower sent entries beyond it keeps
    /// the short retransmission backoff longer.
    pub commit: u64,
    /// Enough followers went quiet together to leave the leader short of
    /// a majority ([`majority_went_quiet`]): those that did are probed
    /// as probably down even though the commit waits for them.
    pub majority_quiet: bool,
}

/// True when at least `needed` followers heard from in this term have
/// each missed more than [`RETRIES_BEFORE_QUIET_TOGETHER`] retransmissions and
/// went quiet within `together` of the last of them to do so (see the
/// module docs, "A majority gone quiet at once"). Depends on no clock
/// reading, like every other input to [`Pacing`].
///
/// The leader asks this every time it reads its [`Pacing`], about once a
/// millisecond while a commit waits, so it walks the followers twice
/// rather than collect them.
pub(crate) fn majority_went_quiet<'a, I>(followers: I, needed: usize, together: Duration) -> bool
where
    I: IntoIterator<Item = &'a Progress>,
    I::IntoIter: Clone,
{
    let quiet_since = followers
        .into_iter()
        .filter(|p| p.retries > RETRIES_BEFORE_QUIET_TOGETHER && !p.missed_election)
        .filter_map(|p| p.unanswered_since);
    let Some(latest) = quiet_since.clone().max() else {
        return false;
    };
    let quiet_together = quiet_since
        .filter(|&since| since.saturating_add(together) >= latest)
        .count();
    quiet_together >= needed
}

/// One follower, as its leader tracks it.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    /// Which entries the follower has, and which were sent.
    pub cursor: Cursor,
    /// When anything was last sent to it.
    pub last_sent: Option<Duration>,
    /// Since when entries it was sent have gone unacknowledged.
    pub unacked_since: Option<Duration>,
    /// Since when a message that asked for a response has gone unanswered.
    pub awaiting_since: Option<Duration>,
    /// The same, but kept through a pardon (`catch_up.rs`): when the
    /// follower went quiet, for telling followers that went quiet
    /// together ([`majority_went_quiet`]).
    pub unanswered_since: Option<Duration>,
    /// The leader-clock send time of the latest message it answered. A
    /// response proves the follower heard from this leader at or after
    /// that time.
    pub confirmed_contact: Option<Duration>,
    /// When its latest response arrived.
    pub last_response: Option<Duration>,
    /// Retransmissions since its last response; each doubles the wait, so
    /// that a crashed follower costs no more than a heartbeat's traffic.
    pub retries: u32,
    /// A missing answer was overlooked to keep the follower in the
    /// rotation (`catch_up.rs`); only an answer earns another pardon.
    pub pardoned: bool,
    /// When entries were last sent to it with a response asked for; a
    /// postponed retransmission (`commit_cover.rs`) leaves it alone.
    pub entries_sent_at: Option<Duration>,
    /// It left the vote request of the round that elected this leader
    /// unanswered: it is not counted as listening until it answers
    /// anything (see the module docs).
    pub missed_election: bool,
    /// Its place (0 first) on the latest relay chain it was sent along; a
    /// broken chain is repaired in reverse order (`chain_repair.rs`).
    pub chain_position: usize,
    /// The latest rejection the leader resent for: when, and the hint it
    /// resent after. Rejections of batches sent before it are stale
    /// ([`record_rejection`](Self::record_rejection)).
    pub resent_for_rejection: Option<(Duration, u64)>,
    /// The leader waits for its answer to settle a delegation
    /// (`delegated_answers.rs`), and gives up waiting after
    /// `delegation_patience`: until then it is resent to every
    /// retransmission timeout, without doubling, at most
    /// [`RESENDS_TO_AN_AWAITED_DELEGATE`] times in a row.
    pub settles_delegation: bool,
}

impl Progress {
    /// A follower of a leader whose log ends at `last_index`.
    pub fn new(last_index: u64) -> Self {
        Progress {
            cursor: Cursor::new(last_index),
            last_sent: None,
            unacked_since: None,
            awaiting_since: None,
            unanswered_since: None,
            confirmed_contact: None,
            last_response: None,
            retries: 0,
            pardoned: false,
            entries_sent_at: None,
            missed_election: false,
            chain_position: 0,
            resent_for_rejection: None,
            settles_delegation: false,
        }
    }

    /// A follower that did not answer the vote request of the round that
    /// elected its leader, and has said nothing since `heard_last`, if
    /// it was ever heard from (see the module docs).
    pub fn new_unheard(last_index: u64, heard_last: Option<Duration>) -> Self {
        Progress {
            missed_election: true,
            awaiting_since: heard_last,
            ..Progress::new(last_index)
        }
    }

    /// True when nothing was sent for `interval`.
    pub fn idle_for(&self, now: Duration, interval: Duration) -> bool {
        self.last_sent.is_none_or(|t| now >= t + interval)
    }

    /// True unless a message that asked for a response has gone
    /// unanswered for `patience`, or the follower has not answered since
    /// it missed its leader's election: a follower that seems to be
    /// listening.
    pub fn responsive(&self, now: Duration, patience: Duration) -> bool {
        !self.missed_election && self.awaiting_since.is_none_or(|t| now < t + patience)
    }

    /// How long a message has gone unanswered by `t`, if one has.
    fn silence_at(&self, t: Duration) -> Option<Duration> {
        self.awaiting_since.map(|since| t.saturating_sub(since))
    }

    /// The time `wait` after `from`, or a probe interval after it if the
    /// follower is silent by then: `silent_probe`, or `long_silent_probe`
    /// after a long silence. Depends on no clock reading, so that a
    /// deadline computed early and the check made when it fires agree.
    fn due_after(&self, from: Duration, wait: Duration, pacing: Pacing) -> Duration {
        let due = from.saturating_add(wait);
        let probe = match self.silence_at(due) {
            Some(silence) if silence >= pacing.long_silence_after => pacing.long_silent_probe,
            Some(silence) if silence >= pacing.silent_after => pacing.silent_probe,
            _ => return due,
        };
        from.saturating_add(wait.max(probe))
    }

    /// When the follower is next due a periodic contact: a heartbeat
    /// interval after the last send (the idle one if the leader is idle
    /// by then), or a silent probe interval.
    pub fn next_contact(&self, pacing: Pacing) -> Option<Duration> {
        self.last_sent.map(|t| {
            let busy_due = t.saturating_add(pacing.heartbeat);
            let idle = pacing.idle_from.is_some_and(|from| busy_due >= from);
            let interval = if idle {
                pacing.idle_heartbeat
            } else {
                pacing.heartbeat
            };
            self.due_after(t, interval, pacing)
        })
    }

    /// True when the follower is due a periodic contact at `now`.
    pub fn contact_due(&self, now: Duration, pacing: Pacing) -> bool {
        self.next_contact(pacing).is_none_or(|t| now >= t)
    }

    /// True when entries beyond `commit` were sent to it: the commit may
    /// wait for its answer.
    pub fn sent_uncommitted(&self, commit: u64) -> bool {
        self.cursor.next > commit.saturating_add(1)
    }

    /// True when the follower missed so many retransmissions that it is
    /// more likely down than unlucky: it is then retransmitted to once a
    /// heartbeat interval, one entry at a time. How many it may miss first
    /// depends on whether the commit waits for it (see
    /// [`RETRIES_BEFORE_PROBING_UNCOMMITTED`]). One that missed its
    /// leader's election is taken for down from the start, unless the
    /// commit waits for it.
    pub fn probably_down(&self, pacing: Pacing) -> bool {
        if pacing.majority_quiet && self.retries > RETRIES_BEFORE_QUIET_TOGETHER {
            return true;
        }
        let commit_waits = self.sent_uncommitted(pacing.commit);
        if self.missed_election && !commit_waits {
            return true;
        }
        let limit = if commit_waits {
            RETRIES_BEFORE_PROBING_UNCOMMITTED
        } else {
            RETRIES_BEFORE_PROBING
        };
        self.retries > limit
    }

    /// How long unacknowledged entries wait before they are sent again:
    /// the retransmission timeout, doubled for every retransmission left
    /// unanswered, at most a heartbeat interval; a heartbeat interval
    /// straight away for a follower that is [`probably_down`](Self::probably_down).
    /// A follower whose answer [settles a delegation](Self::settles_delegation)
    /// waits one retransmission timeout each time, for
    /// [`RESENDS_TO_AN_AWAITED_DELEGATE`] resends.
    fn retransmit_wait(&self, pacing: Pacing) -> Duration {
        if self.settles_delegation && self.retries < RESENDS_TO_AN_AWAITED_DELEGATE {
            return pacing.retransmit;
        }
        if self.probably_down(pacing) {
            return pacing.heartbeat;
        }
        pacing
            .retransmit
            .saturating_mul(1 << self.retries.min(RETRIES_BEFORE_PROBING_UNCOMMITTED))
            .min(pacing.heartbeat)
    }

    /// When unacknowledged entries are next due to be sent again, if any are.
    pub fn retransmit_at(&self, pacing: Pacing) -> Option<Duration> {
        self.unacked_since
            .map(|t| self.due_after(t, self.retransmit_wait(pacing), pacing))
    }

    /// True when unacknowledged entries are due to be sent again at `now`.
    pub fn retransmit_due(&self, now: Duration, pacing: Pacing) -> bool {
        self.retransmit_at(pacing).is_some_and(|t| now >= t)
    }

    /// True while the latest entries sent to it may still be answered:
    /// sent, with a response asked for, less than a retransmission wait
    /// ago.
    pub fn entries_in_flight(&self, now: Duration, pacing: Pacing) -> bool {
        self.entries_sent_at
            .is_some_and(|t| now < t.saturating_add(self.retransmit_wait(pacing)))
    }

    /// Restarts the retransmission clock without a resend and without
    /// counting a retry (`commit_cover.rs`).
    pub fn postpone_retransmission(&mut self, now: Duration) {
        self.unacked_since = Some(now);
    }

    /// Readies a resend of everything unacknowledged: the cursor goes back
    /// to where a resend starts (`Cursor::resend_from`: just past what the
    /// follower acknowledged, or the probe it has not answered yet), and
    /// the retry is counted.
    /// Returns whether the follower is now [`probably_down`](Self::probably_down),
    /// judged on what it was sent before the rewind, in which case the
    /// resend should probe with one entry rather than a whole batch.
    pub fn start_retransmission(&mut self, pacing: Pacing) -> bool {
        self.retries += 1;
        let down = self.probably_down(pacing);
        self.cursor.rewind();
        self.unacked_since = None;
        down
    }

    /// Records a send of entries through `last_index` (none for a
    /// heartbeat); `quiet` sends expect no response.
    pub fn record_send(
        &mut self,
        now: Duration,
        last_index: u64,
        carried_entries: bool,
        quiet: bool,
    ) {
        self.cursor.sent(last_index);
        self.last_sent = Some(now);
        if quiet {
            return;
        }
        self.awaiting_since.get_or_insert(now);
        self.unanswered_since.get_or_insert(now);
        if carried_entries {
            self.entries_sent_at = Some(now);
            if self.unacked_since.is_none() {
                self.unacked_since = Some(now);
            }
        }
    }

    /// Records any response, successful or not.
    pub fn record_response(&mut self, now: Duration, sent_at: Duration) {
        self.last_response = Some(now);
        self.awaiting_since = None;
        self.unanswered_since = None;
        self.retries = 0;
        self.pardoned = false;
        self.missed_election = false;
        self.confirmed_contact = Some(self.confirmed_contact.map_or(sent_at, |c| c.max(sent_at)));
    }

    /// Records a rejection, of a batch sent at `sent_at`, with the
    /// follower's hint (`hint`, and `probe`, where the leader resends
    /// from), and returns whether a resend should follow.
    ///
    /// Several batches are often on their way to a follower that lacks
    /// something, as after an election or a lost message: each is
    /// rejected, and the first rejection's resend fills the gap. The rest
    /// are stale, and acting on each would send the same entries again
    /// once per rejection. A rejection is stale, and changes nothing (as
    /// in etcd's raft, `MaybeDecrTo`), when
    /// - its hint lies below what the follower has acknowledged: the
    ///   batch reached it before the entries it acknowledged since (a
    ///   follower's log never loses an entry that matches its leader's);
    /// - or its batch was sent no later than the resend that answered an
    ///   earlier rejection, and that resend started no later than this
    ///   one would. Had the resend been lost, the retransmission timer,
    ///   which a stale rejection leaves running, sends it again.
    ///
    /// A fresh one was answered, so the retransmission clock stops; the
    /// resend that follows starts it again. Left running, it would fire
    /// one timeout after the rejected batch, most likely before the resend
    /// could be answered.
    pub fn record_rejection(
        &mut self,
        now: Duration,
        sent_at: Duration,
        hint: u64,
        probe: u64,
    ) -> bool {
        let answered = self
            .resent_for_rejection
            .is_some_and(|(at, from)| sent_at <= at && probe >= from);
        if hint < self.cursor.matched || answered {
            return false;
        }
        self.cursor.rejected(probe);
        self.unacked_since = None;
        self.resent_for_rejection = Some((now, probe));
        true
    }

    /// Records an acknowledgement through `match_index`; restarts the
    /// retransmission clock if later sends are still outstanding.
    pub fn record_ack(&mut self, now: Duration, match_index: u64) {
        self.cursor.acknowledged(match_index);
        self.unacked_since = if self.cursor.matched + 1 >= self.cursor.next {
            None
        } else {
            Some(now)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A follower that went quiet at `since` and has missed `retries`
    /// resends since.
    fn quiet(since: u64, retries: u32) -> Progress {
        Progress {
            awaiting_since: Some(ms(since)),
            unanswered_since: Some(ms(since)),
            retries,
            ..Progress::new(10)
        }
    }

    #[test]
    fn a_majority_went_quiet_only_when_enough_followers_fell_silent_together() {
        let window = ms(1200);
        let answering = Progress::new(10);
        let three_at_once = [
            quiet(100, 5),
            quiet(101, 6),
            quiet(103, 5),
            answering.clone(),
        ];
        assert!(majority_went_quiet(&three_at_once, 3, window));

        // Two quiet are not enough in a cluster of five.
        let two = [
            quiet(100, 5),
            quiet(101, 5),
            answering.clone(),
            answering.clone(),
        ];
        assert!(!majority_went_quiet(&two, 3, window));

        // One that has missed only four resends may still be unlucky.
        let one_unlucky = [
            quiet(100, 5),
            quiet(101, 5),
            quiet(102, 4),
            answering.clone(),
        ];
        assert!(!majority_went_quiet(&one_unlucky, 3, window));

        // A follower down for seconds (a killed replica) is no part of
        // two that went quiet just now.
        let one_long_gone = [quiet(100, 9), quiet(5000, 5), quiet(5002, 5), answering];
        assert!(!majority_went_quiet(&one_long_gone, 3, window));
    }

    #[test]
    fn followers_that_went_quiet_together_are_probed_though_the_commit_waits() {
        let pacing = Pacing {
            commit: 5,
            ..crate::Config::new(wire::NodeId(0), vec![wire::NodeId(1)]).pacing()
        };
        let mut p = quiet(100, 5);
        p.cursor.sent(10);
        assert!(p.sent_uncommitted(pacing.commit));
        assert!(!p.probably_down(pacing), "the commit waits: resend soon");
        let quiet_majority = Pacing {
            majority_quiet: true,
            ..pacing
        };
        assert!(p.probably_down(quiet_majority));
        assert!(!quiet(100, 4).probably_down(quiet_majority));
    }
}
