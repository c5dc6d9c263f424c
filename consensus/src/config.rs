//! Tunable parameters of one replica, and their checks.

use crate::progress::Pacing;
use crate::SafetyRules;
use std::fmt;
use std::time::Duration;
use wire::NodeId;

/// Everything a replica needs to know before it starts.
///
/// The timing defaults are chosen for the simulator: a leader contacts an
/// idle follower every `heartbeat_interval`; a follower that hears nothing
/// for a random time in `[election_timeout, 2 * election_timeout)` starts
/// an election; the lease is shorter than the smallest election timeout, so
/// no other leader can be elected while it holds (see `lease.rs`).
#[derive(Clone, Debug)]
pub struct Config {
    /// This replica's id.
    pub id: NodeId,
    /// The other replicas' ids.
    pub peers: Vec<NodeId>,
    /// How often a leader contacts a follower it has nothing else to send.
    pub heartbeat_interval: Duration,
    /// How often an idle leader (no client work, see `lease.rs`) contacts
    /// its followers. Its contacts say it is idle, from the last one
    /// before it goes idle on (`announces_idle`), and a follower that
    /// hears so waits this much longer before it campaigns, so it still
    /// hears two contacts before its election timer runs out.
    ///
    /// Longer saves messages while nothing happens: before the clients
    /// start and after they stop, a leader of five sends four messages a
    /// second at one second instead of ten at `heartbeat_interval`. The
    /// price is that a leader that dies while idle is replaced this much
    /// later. Must lie between `heartbeat_interval` and `election_timeout`:
    /// if the contact that announced idleness is lost, the first idle
    /// contact must still arrive before a timer the contact before it
    /// started can run out.
    pub idle_heartbeat_interval: Duration,
    /// How long a leader goes without a client request before it is idle
    /// (`lease.rs`): it then asks for no answers, contacts its followers
    /// only every `idle_heartbeat_interval`, and suspends check-quorum.
    /// `None` means the election timeout.
    ///
    /// A busy leader with nothing to replicate spends about six messages
    /// every heartbeat interval on contacts that renew its lease (two
    /// asked, two answers, two quiet). Shorter saves them sooner: at 600
    /// ms (one round of answers after each request, so a client that asks
    /// more often than once a lease still always finds the lease fresh)
    /// six to eight messages came off the end of a canonical test (after
    /// the clients stopped, simple-2 16 to 10, partition-2 18 to 10). It
    /// is not the default because an idle leader cut off by a partition
    /// does not step down until a request wakes it and an election
    /// timeout passes, and a shorter wait leaves more leaders idle when
    /// the cut comes: in the deterministic simulation, where clients are
    /// sparse, puts left unanswered because a later put of the key
    /// overtook them rose from 7,913 to 8,464 (seeds 0-99,999) and from
    /// 7,641 to 8,130 (seeds 100,000-199,999).
    pub idle_after: Option<Duration>,
    /// The smallest election timeout; each timeout is drawn from
    /// `[election_timeout, 2 * election_timeout)`.
    pub election_timeout: Duration,
    /// How long after a contact acknowledged by a majority the leader may
    /// answer reads alone. Must be below `election_timeout`.
    pub lease: Duration,
    /// How long a leader waits for an acknowledgement before resending, and
    /// (twice this) before widening a stalled commit to the followers it
    /// still needs.
    ///
    /// Kept short on purpose. A longer timeout saves messages under loss,
    /// since the next request's sends repair most lost messages for free
    /// (unreliable-3: about 2,150 messages at 60 ms against 2,600 at 5 ms),
    /// but every millisecond an entry waits uncommitted widens a window in
    /// which a leader crash leaves its put unanswered while the next leader
    /// still commits it; a client that then reads the key sees a value it
    /// was never told was written. That history is linearizable, yet the
    /// simulator's get check (last acknowledged put) rejects it.
    ///
    /// Under heavy loss the timeout also sets the median latency: at 30%
    /// loss a relay chain gets through only about one time in three, so
    /// most puts wait out at least one retransmission. 2 ms is about three
    /// times a chain's round trip through the simulator; against 5 ms it
    /// took advanced-3's median put from 5.6 ms to 2.7 ms, and made no
    /// difference to the messages of simple-2 or unreliable-3 that two
    /// runs of each could show.
    pub retransmit_timeout: Duration,
    /// How long a follower may leave a message that asked for a response
    /// unanswered before the leader stops counting on it: it is then
    /// skipped when choosing who gets a new entry first and who keeps the
    /// lease, and a waiting read probes again after this long. A few round
    /// trips of the network.
    pub response_patience: Duration,
    /// How long a follower may leave a message unanswered before its
    /// leader treats it as down or cut off, and probes it only every
    /// `silent_probe_interval` (see `progress.rs`).
    pub silent_after: Duration,
    /// How often a leader contacts a silent follower.
    ///
    /// Longer saves messages to a replica that is down, but delays a
    /// replica back from a partition. If that replica led before, the
    /// entries it accepted may have been committed by its successor, and
    /// it answers their clients only once it hears of the commit: at this
    /// probe, or when it next asks for votes (which prompts a contact at
    /// once, within one to two election timeouts). Until then a client
    /// can read the value its still unanswered put wrote; linearizable,
    /// but the simulator's get check rejects it. One second keeps most of
    /// the saving over probing every heartbeat interval (one probe a
    /// second instead of two and a half) and halves that wait against two
    /// seconds: with two, one of 85 canonical test runs failed that way.
    pub silent_probe_interval: Duration,
    /// How long a follower may stay silent before its leader takes it for
    /// gone for good, and probes it only every
    /// `long_silent_probe_interval`. Longer than a partition usually
    /// lasts (those of the canonical tests last five seconds), so that a
    /// replica back from one is still found within a silent probe
    /// interval; a replica that is down for good costs a probe every
    /// `long_silent_probe_interval` instead of every second.
    pub long_silence_after: Duration,
    /// How often a leader contacts a follower silent for
    /// `long_silence_after`. A replica that comes back after that long
    /// waits at most this long for the leader's contact, or less if it
    /// asks for votes first (which prompts a contact at once).
    pub long_silent_probe_interval: Duration,
    /// At most this many entries in one AppendEntries.
    pub max_batch: usize,
    /// How many followers receive a new entry at once; the others get it
    /// with their next periodic batch. `None` means "as many as a majority
    /// needs" (followers in the cluster divided by two, rounded up).
    pub eager_followers: Option<usize>,
    /// Send each new entry along a relay chain (leader to one follower, on
    /// to the next, the last one answering the leader for all) instead of
    /// to each follower directly: three messages for a put in a cluster of
    /// five instead of four, for one more trip before the commit. See
    /// `relay.rs`.
    pub relay: bool,
    /// Let a relay chain's last follower answer the client for the writes
    /// it can prove committed, one trip sooner than the leader could. See
    /// `delegated_answers.rs`. On by default: it shortens a put's path by
    /// a trip. It costs messages under loss, and now and then a duplicate:
    /// a write its delegate answered is answered again when the leader
    /// stops waiting to hear so (`delegation_patience`), or fails and the
    /// next one vouches for it.
    pub delegate_answers: bool,
    /// How long a leader waits for a delegate (see `delegate_answers`) to
    /// say whether it answered a write before answering it itself, as a
    /// vouch. A write whose answer is held may go unanswered if the leader
    /// fails meanwhile, so the wait trades that against a duplicate when
    /// the delegate did answer and its word was lost or late. The default,
    /// 20 ms, is ten resends to the delegate, one every retransmission
    /// timeout, and well past a message's trip in `./run`, which takes
    /// well under a millisecond or never arrives.
    pub delegation_patience: Duration,
    /// Rehearse elections with a pre-vote round (§9.6), so that a replica
    /// returning from a partition cannot depose a healthy leader.
    pub pre_vote: bool,
    /// How many client requests may wait for a leader to be known.
    pub max_held_requests: usize,
    /// How long a replica that believes itself cut off from a majority
    /// holds a client request before it sends the client to a random
    /// replica instead (a redirect naming no leader, see `cut_off.rs`).
    /// `None` holds every request until a leader is known, however long
    /// that takes.
    ///
    /// Long enough that a client cannot bounce between such replicas
    /// more than a few times a second (none can answer it); short against
    /// the seconds a partition lasts, during which the majority side
    /// elects a leader that can.
    pub cut_off_hold: Option<Duration>,
    /// How long a leader's commit index may stand still while entries
    /// wait before the leader stops taking puts into its log and holds
    /// them until it moves (`cut_off.rs`). `None` takes every put.
    ///
    /// A leader cut off in a minority cannot commit what it takes, and a
    /// put in its log waits for the partition to heal; a held one is sent
    /// elsewhere once check-quorum deposes the leader. Longer than nearly
    /// every commit takes with the loss of the canonical tests: in their
    /// unreliable tests nine puts in ten got their `ok` within 5.3 ms,
    /// and the slowest of a run within 5-181 ms (ten runs of each). A
    /// put held by a leader whose commit then moves waits one more round
    /// trip.
    pub stalled_commit_hold: Option<Duration>,
    /// Safety rules; see [`SafetyRules`]. Only the `fault-injection`
    /// feature lets them be switched off.
    pub rules: SafetyRules,
}

/// A configuration that cannot work, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// The defaults for `id` in a cluster with `peers`.
    pub fn new(id: NodeId, peers: Vec<NodeId>) -> Self {
        Config {
            id,
            peers,
            heartbeat_interval: Duration::from_millis(400),
            idle_heartbeat_interval: Duration::from_millis(1000),
            idle_after: None,
            election_timeout: Duration::from_millis(1200),
            lease: Duration::from_millis(1000),
            retransmit_timeout: Duration::from_millis(2),
            response_patience: Duration::from_millis(5),
            silent_after: Duration::from_millis(1200),
            silent_probe_interval: Duration::from_millis(1000),
            long_silence_after: Duration::from_secs(6),
            long_silent_probe_interval: Duration::from_secs(4),
            max_batch: 64,
            eager_followers: None,
            relay: true,
            delegate_answers: true,
            delegation_patience: Duration::from_millis(20),
            pre_vote: true,
            max_held_requests: 10_000,
            cut_off_hold: Some(Duration::from_millis(50)),
            stalled_commit_hold: Some(Duration::from_millis(100)),
            rules: SafetyRules::ENFORCED,
        }
    }

    /// Checks the relations the protocol depends on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |s: &str| Err(ConfigError(s.to_string()));
        if self.peers.contains(&self.id) {
            return err("peers must not include the replica's own id");
        }
        if self.peers.contains(&NodeId::BROADCAST) || self.id == NodeId::BROADCAST {
            return err("FFFF is the broadcast address, not a replica id");
        }
        let mut sorted = self.peers.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != self.peers.len() {
            return err("peers must be distinct");
        }
        if self.lease >= self.election_timeout {
            return err("lease must be shorter than the election timeout");
        }
        if self.heartbeat_interval >= self.election_timeout {
            return err("heartbeat interval must be shorter than the election timeout");
        }
        if self.idle_heartbeat_interval < self.heartbeat_interval
            || self.idle_heartbeat_interval >= self.election_timeout
        {
            return err(
                "the idle heartbeat interval must lie between the heartbeat interval and the election timeout",
            );
        }
        if self.retransmit_timeout.is_zero()
            || self.response_patience.is_zero()
            || self.heartbeat_interval.is_zero()
            || self.idle_after.is_some_and(|d| d.is_zero())
            || self.cut_off_hold.is_some_and(|d| d.is_zero())
            || self.stalled_commit_hold.is_some_and(|d| d.is_zero())
            || self.silent_after.is_zero()
            || self.delegation_patience.is_zero()
        {
            return err("timeouts must be positive");
        }
        if self.silent_probe_interval < self.heartbeat_interval {
            return err(
                "the silent probe interval must not be shorter than the heartbeat interval",
            );
        }
        if self.long_silence_after < self.silent_after
            || self.long_silent_probe_interval < self.silent_probe_interval
        {
            return err("a long silence must not be shorter than a silence, nor probed more often");
        }
        if self.max_batch == 0 {
            return err("max_batch must be at least 1");
        }
        if self.max_held_requests == 0 {
            return err("max_held_requests must be at least 1");
        }
        Ok(())
    }

    /// The leader's clocks for contacting a follower, for a leader that is
    /// not idle (`Replica::pacing` adds when it will be).
    pub(crate) fn pacing(&self) -> Pacing {
        Pacing {
            retransmit: self.retransmit_timeout,
            heartbeat: self.heartbeat_interval,
            idle_heartbeat: self.idle_heartbeat_interval,
            idle_from: None,
            silent_after: self.silent_after,
            silent_probe: self.silent_probe_interval,
            long_silence_after: self.long_silence_after,
            long_silent_probe: self.long_silent_probe_interval,
            commit: 0,
            majority_quiet: false,
        }
    }

    /// How long a leader goes without a client request before it is idle:
    /// `idle_after`, or the election timeout if unset.
    pub fn idle_after(&self) -> Duration {
        self.idle_after.unwrap_or(self.election_timeout)
    }

    /// Replicas in the cluster, this one included.
    pub fn cluster_size(&self) -> usize {
        self.peers.len() + 1
    }

    /// Votes or acknowledgements (this replica's included) that make a majority.
    pub fn quorum(&self) -> usize {
        self.cluster_size() / 2 + 1
    }

    /// How many followers get each new entry immediately.
    pub fn eager_count(&self) -> usize {
        self.eager_followers
            .unwrap_or(self.quorum() - 1)
            .clamp(self.quorum().saturating_sub(1), self.peers.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_majority_is_computed() {
        let c = Config::new(NodeId(0), (1..5).map(NodeId).collect());
        c.validate().unwrap();
        assert_eq!(c.quorum(), 3);
        assert_eq!(c.eager_count(), 2);
    }

    #[test]
    fn idle_heartbeat_must_lie_between_heartbeat_and_election_timeout() {
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        c.idle_heartbeat_interval = c.election_timeout;
        assert!(c.validate().is_err());
        c.idle_heartbeat_interval = c.heartbeat_interval / 2;
        assert!(c.validate().is_err());
        c.idle_heartbeat_interval = c.heartbeat_interval;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn a_long_silence_is_no_shorter_and_probed_no_more_often_than_a_silence() {
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        c.long_silence_after = c.silent_after / 2;
        assert!(c.validate().is_err());
        c.long_silence_after = c.silent_after;
        c.long_silent_probe_interval = c.silent_probe_interval / 2;
        assert!(c.validate().is_err());
        c.long_silent_probe_interval = c.silent_probe_interval;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn a_zero_timeout_is_rejected() {
        let fields: [fn(&mut Config) -> &mut Duration; 5] = [
            |c| &mut c.retransmit_timeout,
            |c| &mut c.response_patience,
            |c| &mut c.heartbeat_interval,
            |c| &mut c.silent_after,
            |c| &mut c.delegation_patience,
        ];
        for field in fields {
            let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
            *field(&mut c) = Duration::ZERO;
            assert!(c.validate().is_err());
        }
    }

    #[test]
    fn idle_after_defaults_to_the_election_timeout_and_must_be_positive() {
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        assert_eq!(c.idle_after(), c.election_timeout);
        c.idle_after = Some(Duration::from_millis(600));
        assert_eq!(c.idle_after(), Duration::from_millis(600));
        c.idle_after = Some(Duration::ZERO);
        assert!(c.validate().is_err());
    }

    #[test]
    fn a_zero_count_is_rejected() {
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        c.max_batch = 0;
        assert!(c.validate().is_err());
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        c.max_held_requests = 0;
        assert!(c.validate().is_err());
    }

    #[test]
    fn lease_must_be_shorter_than_election_timeout() {
        let mut c = Config::new(NodeId(0), vec![NodeId(1), NodeId(2)]);
        c.lease = c.election_timeout;
        assert!(c.validate().is_err());
    }

    #[test]
    fn own_id_or_duplicates_in_peers_are_rejected() {
        assert!(Config::new(NodeId(0), vec![NodeId(0)]).validate().is_err());
        assert!(Config::new(NodeId(0), vec![NodeId(1), NodeId(1)])
            .validate()
            .is_err());
    }
}
