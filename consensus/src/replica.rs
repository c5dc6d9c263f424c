//! The replica: its state, its roles, and the entry points that drive it.

use crate::chain_repair::RememberedResults;
use crate::config::Config;
use crate::delegated_answers::{DelegateLedger, Delegation};
use crate::held_writes::HeldWrites;
use crate::progress::Progress;
use crate::request::{ClientRequest, Output, Reply};
use crate::unconfirmed::Unconfirmed;
use crate::SafetyRules;
use raft_log::Log;
use rand::RngCore;
use smallvec::SmallVec;
use statemachine::StateMachine;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use wire::{Body, Index, Message, NodeId, Term};

/// The role a replica plays in its current term (§5.1, plus the pre-vote
/// rehearsal of §9.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Asking whether it could win an election, without changing term.
    PreCandidate,
    /// Campaigning in its current term.
    Candidate,
    /// Leading its current term.
    Leader,
}

/// The largest term a replica takes from a peer. A term grows by one an
/// election round, so no cluster comes within sight of it in earnest; a
/// message that claims more comes from a broken or hostile peer, and
/// adopting its term would leave no room to count the elections after it
/// (the next round's term would overflow). Such a message is ignored.
pub const MAX_PEER_TERM: Term = Term::MAX / 2;

pub(crate) type Request<SM> =
    ClientRequest<<SM as StateMachine>::Command, <SM as StateMachine>::Query>;

/// The requests a replica accepted at one index, each with the term of
/// the entry that carried it (usually one).
pub(crate) type AcceptedAt<SM> = SmallVec<[(Term, Request<SM>); 1]>;

/// One Raft replica over the state machine `SM`. See the crate docs for how
/// it is driven.
pub struct Replica<SM: StateMachine> {
    pub(crate) cfg: Config,
    pub(crate) rules: SafetyRules,
    pub(crate) sm: SM,
    pub(crate) rng: Box<dyn RngCore + Send>,

    // Persistent state in the paper's terms (kept in memory, as allowed).
    pub(crate) term: Term,
    pub(crate) voted_for: Option<NodeId>,
    pub(crate) log: Log<SM::Command>,

    // Volatile state.
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeId>,
    pub(crate) commit: Index,
    pub(crate) applied: Index,
    pub(crate) election_deadline: Duration,
    /// When a live leader was last heard from (followers), the current
    /// one while `leader` names one. It is kept when a newer term is
    /// adopted from a message that names no leader: the promise behind
    /// the leader's lease (`in_leader_lease`, `lease.rs`) holds for an
    /// election timeout from the contact, whatever happens to the term
    /// meanwhile.
    pub(crate) leader_contact: Option<Duration>,
    /// The current leader's latest contact said it is idle, so the next
    /// comes only an idle heartbeat interval later (followers).
    pub(crate) leader_idle: bool,
    /// Votes (or pre-votes) granted to this replica in the current round.
    pub(crate) votes: BTreeSet<NodeId>,
    /// Peers that answered the current round, granting or not.
    pub(crate) answered: BTreeSet<NodeId>,
    /// When the current round asks again the peers that have not answered.
    pub(crate) vote_retry_at: Option<Duration>,
    /// How many times the current round has asked again.
    pub(crate) vote_retries: u32,
    /// Election rounds lost in a row without hearing from a leader; they
    /// lengthen the next election timeout (`election.rs`).
    pub(crate) lost_rounds: u32,
    /// When the current vote round and the one before it started; a
    /// cut-off replica asks again only the peers it has heard from since
    /// the one before (`election.rs`).
    pub(crate) round_starts: [Option<Duration>; 2],
    /// When each peer was last heard from, by any message: whom a
    /// cut-off replica asks again (`election.rs`), and since when a peer
    /// that missed a new leader's election has been silent (`progress.rs`).
    pub(crate) last_heard: BTreeMap<NodeId, Duration>,

    // Leader state.
    pub(crate) progress: BTreeMap<NodeId, Progress>,
    /// When this leader took office or last got work after being idle;
    /// check-quorum counts from no earlier than this (`lease.rs`).
    pub(crate) busy_since: Duration,
    /// When this leader last took a client request.
    pub(crate) last_client_request: Option<Duration>,
    /// Index of this term's first entry; reads wait until it is committed.
    pub(crate) term_start: Index,
    /// Since when the oldest uncommitted entry has waited.
    pub(crate) stalled_since: Option<Duration>,
    /// Since when the commit index has stood still while entries wait
    /// (unlike `stalled_since`, not moved on by widening); a leader holds
    /// new puts once it has for long (`cut_off.rs`).
    pub(crate) commit_waiting_since: Option<Duration>,
    /// Reads waiting for the lease or for this term's first commit.
    pub(crate) reads: Vec<Request<SM>>,
    /// When the latest entry not yet sent to any follower was proposed;
    /// such entries go out together at the next [`Replica::take_output`].
    pub(crate) unsent_proposals: Option<Duration>,

    // Client requests.
    /// Requests this replica put in its log, by index, with the term of
    /// the entry that carries them, until commit decides their fate (see
    /// `commit.rs`). One index may hold requests of several terms.
    pub(crate) accepted: BTreeMap<Index, AcceptedAt<SM>>,
    /// Requests waiting for a leader to be known (or, at a leader, puts
    /// waiting for its stalled commit to move, `cut_off.rs`), each with
    /// when it arrived, oldest first.
    pub(crate) held: Vec<(Duration, Request<SM>)>,
    /// Check-quorum deposed it, or its latest vote round heard from fewer
    /// than a majority, and no leader has made contact since: it is
    /// probably cut off from a majority (`cut_off.rs`).
    pub(crate) cut_off: bool,
    /// Committed writes whose client may not have been told of them
    /// (`unconfirmed.rs`).
    pub(crate) unconfirmed: Unconfirmed<SM::Output>,
    /// Indices of committed writes this replica accepted as leader of an
    /// earlier term and has not answered; the current leader answers them
    /// for it (`owed_answers.rs`).
    pub(crate) owed: Vec<Index>,
    /// Leader: the owed writes it took over, with the follower that
    /// reported each, listed in its AppendEntries until that follower
    /// stops reporting them (`owed_answers.rs`).
    pub(crate) taken_over: BTreeMap<Index, NodeId>,

    // Delegated answers (`delegated_answers.rs`).
    pub(crate) ledger: DelegateLedger,
    pub(crate) delegations: BTreeMap<Index, Delegation>,
    pub(crate) delegated_unapplied: BTreeSet<Index>,
    pub(crate) delegation_frontier: Index,
    /// For each leader heard from, the least difference yet seen between
    /// this replica's clock on receiving an append and the leader's on
    /// sending it (`delegated_answers.rs`, "Old batches").
    pub(crate) leader_clock_gaps: BTreeMap<NodeId, i128>,
    pub(crate) held_answers: BTreeMap<Index, Reply<SM::Output>>,
    /// Follower: the writes whose answers its leader holds (`held_writes.rs`).
    pub(crate) held_writes: HeldWrites,

    /// Follower: the results the latest relayed batch brought from the
    /// followers before it (`chain_repair.rs`).
    pub(crate) relay_memory: Option<RememberedResults>,

    pub(crate) out: Output<SM::Command, SM::Output>,
}

impl<SM: StateMachine> Replica<SM> {
    /// A follower in term 0 with an empty log, whose first election timer
    /// starts at `now`. Fails if the configuration is inconsistent.
    pub fn new(
        cfg: Config,
        sm: SM,
        rng: Box<dyn RngCore + Send>,
        now: Duration,
    ) -> Result<Self, crate::ConfigError> {
        cfg.validate()?;
        let mut r = Replica {
            rules: cfg.rules.effective(),
            cfg,
            sm,
            rng,
            term: 0,
            voted_for: None,
            log: Log::new(),
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            election_deadline: now,
            leader_contact: None,
            leader_idle: false,
            votes: BTreeSet::new(),
            answered: BTreeSet::new(),
            vote_retry_at: None,
            vote_retries: 0,
            lost_rounds: 0,
            round_starts: [None, None],
            last_heard: BTreeMap::new(),
            progress: BTreeMap::new(),
            busy_since: now,
            last_client_request: None,
            term_start: 0,
            stalled_since: None,
            commit_waiting_since: None,
            reads: Vec::new(),
            unsent_proposals: None,
            accepted: BTreeMap::new(),
            held: Vec::new(),
            cut_off: false,
            unconfirmed: Unconfirmed::default(),
            owed: Vec::new(),
            taken_over: BTreeMap::new(),
            ledger: DelegateLedger::default(),
            delegations: BTreeMap::new(),
            delegated_unapplied: BTreeSet::new(),
            delegation_frontier: 0,
            leader_clock_gaps: BTreeMap::new(),
            held_answers: BTreeMap::new(),
            held_writes: HeldWrites::default(),
            relay_memory: None,
            out: Output::default(),
        };
        r.reset_election_timer(now);
        Ok(r)
    }

    /// Handles a message from another replica. Client messages are not
    /// accepted here (see [`Replica::request`]); anything else that is not
    /// Raft traffic is ignored.
    pub fn step(&mut self, now: Duration, msg: Message<SM::Command>) {
        if msg.src == self.cfg.id || !self.cfg.peers.contains(&msg.src) {
            return;
        }
        if msg.term().is_some_and(|term| term > MAX_PEER_TERM) {
            return;
        }
        self.step_down_if_cut_off(now);
        self.last_heard.insert(msg.src, now);
        match msg.body {
            Body::VoteRequest(req) => self.on_vote_request(now, msg.src, req),
            Body::VoteResponse(resp) => self.on_vote_response(now, msg.src, resp),
            Body::Append(append) => self.on_append(now, msg.src, append),
            Body::AppendResponse(resp) => self.on_append_response(now, msg.src, resp),
            _ => {}
        }
    }

    /// Handles a client's get or put: served, redirected or held, and
    /// answered, possibly much later. A put this replica accepts is
    /// applied at most once; it is answered once, except that a leader
    /// that cannot know whether it was answered may vouch for it again
    /// ([`Answer::Vouched`](crate::Answer::Vouched)).
    pub fn request(&mut self, now: Duration, req: ClientRequest<SM::Command, SM::Query>) {
        self.step_down_if_cut_off(now);
        self.route(now, req);
    }

    /// Fires every timer that is due at `now`.
    pub fn tick(&mut self, now: Duration) {
        match self.role {
            Role::Leader => self.leader_tick(now),
            _ => {
                if now >= self.election_deadline {
                    self.election_timeout(now);
                } else if self.vote_retry_at.is_some_and(|t| now >= t) {
                    self.vote_round_timer(now);
                }
                if self.cut_off_deadline().is_some_and(|t| now >= t) {
                    self.send_held_elsewhere(now);
                }
            }
        }
    }

    /// When [`Replica::tick`] next has something to do.
    pub fn next_deadline(&self) -> Duration {
        match self.role {
            Role::Leader => self.leader_deadline(),
            _ => [self.vote_retry_at, self.cut_off_deadline()]
                .into_iter()
                .flatten()
                .fold(self.election_deadline, Duration::min),
        }
    }

    /// Takes the messages and replies produced since the last call.
    ///
    /// A leader sends the entries proposed since the last call here, all
    /// in one batch: a caller that hands over every request that arrived
    /// together before taking the output replicates a burst of puts with
    /// the messages of one.
    pub fn take_output(&mut self) -> Output<SM::Command, SM::Output> {
        self.send_proposals();
        std::mem::take(&mut self.out)
    }

    /// This replica's id.
    pub fn id(&self) -> NodeId {
        self.cfg.id
    }

    /// Its current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Its current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// Whom it believes to lead its term, if anyone.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The highest index it knows to be committed.
    pub fn commit_index(&self) -> Index {
        self.commit
    }

    /// The highest index applied to its state machine.
    pub fn last_applied(&self) -> Index {
        self.applied
    }

    /// Its log.
    pub fn log(&self) -> &Log<SM::Command> {
        &self.log
    }

    /// Its state machine.
    pub fn state_machine(&self) -> &SM {
        &self.sm
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Client requests it still owes an answer (held, waiting to be read,
    /// accepted into its log but not yet committed, committed after it
    /// lost office and not yet taken over by the current leader, or
    /// committed with their answer held until the delegated answers
    /// before them settle).
    pub fn pending_requests(&self) -> usize {
        self.held.len()
            + self.reads.len()
            + self.owed.len()
            + self.held_answers.len()
            + self.accepted.values().map(|v| v.len()).sum::<usize>()
    }

    /// Addresses a message to `dst` from this replica.
    pub(crate) fn send(&mut self, dst: NodeId, body: Body<SM::Command>) {
        self.out.messages.push(Message {
            src: self.cfg.id,
            dst,
            leader: NodeId::or_unknown(self.leader),
            body,
        });
    }

    /// Becomes a follower of `term`, with `leader` if known. A step down
    /// from leadership hands every waiting read back to routing.
    pub(crate) fn become_follower(&mut self, now: Duration, term: Term, leader: Option<NodeId>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
        }
        let was_leader = self.role == Role::Leader;
        self.role = Role::Follower;
        self.leader = leader;
        if leader.is_some() {
            self.leader_contact = Some(now);
        }
        self.leader_idle = false;
        self.end_vote_round();
        if leader.is_some() {
            self.lost_rounds = 0;
            self.reached_majority();
        }
        if was_leader {
            self.progress.clear();
            self.unsent_proposals = None;
            self.stalled_since = None;
            self.commit_waiting_since = None;
            self.abandon_delegations();
            for read in std::mem::take(&mut self.reads) {
                self.route(now, read);
            }
        }
        self.reset_election_timer(now);
        if leader.is_some() {
            self.release_held(now);
        }
    }
}

/// Microseconds on the wire for a `Duration` clock reading.
pub(crate) fn to_micros(t: Duration) -> u64 {
    u64::try_from(t.as_micros()).unwrap_or(u64::MAX)
}
