//! Raft's safety properties (Figure 3 of the paper), checked after every
//! step of every replica. Each property is one function named after it;
//! each returns a description of the violation, if any.

use consensus::{Entry, Index, NodeId, Replica, Role, Term};
use statemachine::{KvCommand, KvStore, Recorder};
use std::collections::{BTreeMap, HashMap};

/// The replica type under test.
pub type Sm = Recorder<KvStore>;

/// What the checker has seen so far, across all replicas and all time.
#[derive(Default, Debug)]
pub struct Checker {
    leaders: HashMap<Term, NodeId>,
    /// Every entry known committed: its index, the entry, and the highest
    /// term of a replica that reported it committed.
    committed: BTreeMap<Index, (Entry<KvCommand>, Term)>,
    commit_seen: HashMap<NodeId, Index>,
    applied_seen: HashMap<NodeId, Index>,
    applied_commands: Vec<KvCommand>,
}

type Check = Result<(), String>;

impl Checker {
    /// Checks everything that concerns one replica after it stepped, and
    /// Log Matching against the others if its log changed.
    pub fn after_step(
        &mut self,
        r: &Replica<Sm>,
        log_changed: bool,
        others: &[&Replica<Sm>],
    ) -> Check {
        self.election_safety(r)?;
        let previous_commit = self.commit_seen.get(&r.id()).copied().unwrap_or(0);
        self.commit_index_never_falls(r)?;
        self.state_machine_safety(r, previous_commit, log_changed)?;
        self.leader_completeness(r)?;
        if log_changed {
            for o in others {
                log_matching(r, o)?;
            }
        }
        Ok(())
    }

    /// Election Safety: at most one leader per term.
    pub fn election_safety(&mut self, r: &Replica<Sm>) -> Check {
        if r.role() != Role::Leader {
            return Ok(());
        }
        match self.leaders.insert(r.term(), r.id()) {
            Some(other) if other != r.id() => Err(format!(
                "Election Safety: {:?} and {:?} both led term {}",
                other,
                r.id(),
                r.term()
            )),
            _ => Ok(()),
        }
    }

    /// A replica's commit index and applied index never decrease, and
    /// nothing is applied that is not committed.
    pub fn commit_index_never_falls(&mut self, r: &Replica<Sm>) -> Check {
        let before = self
            .commit_seen
            .insert(r.id(), r.commit_index())
            .unwrap_or(0);
        if r.commit_index() < before {
            return Err(format!(
                "{:?}'s commit index fell from {before} to {}",
                r.id(),
                r.commit_index()
            ));
        }
        let applied_before = self
            .applied_seen
            .insert(r.id(), r.last_applied())
            .unwrap_or(0);
        if r.last_applied() < applied_before {
            return Err(format!("{:?} rolled back applied entries", r.id()));
        }
        if r.last_applied() > r.commit_index() {
            return Err(format!("{:?} applied past its commit index", r.id()));
        }
        Ok(())
    }

    /// State Machine Safety: every replica agrees on the entry at each
    /// committed index, and applies the same commands in the same order.
    /// Indices this replica already had committed are compared again only
    /// when its log changed (`full`).
    pub fn state_machine_safety(
        &mut self,
        r: &Replica<Sm>,
        previous_commit: Index,
        full: bool,
    ) -> Check {
        let log = r.log();
        let from = if full { 1 } else { previous_commit + 1 };
        for index in from..=r.commit_index() {
            let Some(entry) = log.get(index) else {
                return Err(format!(
                    "{:?} committed index {index} beyond its log",
                    r.id()
                ));
            };
            match self.committed.get_mut(&index) {
                Some((known, term)) => {
                    if known != entry {
                        return Err(format!(
                            "State Machine Safety: index {index} committed as {known:?} elsewhere but {entry:?} on {:?}",
                            r.id()
                        ));
                    }
                    *term = (*term).max(r.term());
                }
                None => {
                    self.committed.insert(index, (entry.clone(), r.term()));
                }
            }
        }
        let applied = r.state_machine().applied();
        let common = applied.len().min(self.applied_commands.len());
        if applied[..common] != self.applied_commands[..common] {
            return Err(format!(
                "State Machine Safety: {:?} applied commands in another order",
                r.id()
            ));
        }
        if applied.len() > self.applied_commands.len() {
            self.applied_commands.extend_from_slice(&applied[common..]);
        }
        Ok(())
    }

    /// Leader Completeness: a leader holds every entry committed in its
    /// term or before.
    pub fn leader_completeness(&self, r: &Replica<Sm>) -> Check {
        if r.role() != Role::Leader {
            return Ok(());
        }
        for (&index, (entry, term)) in &self.committed {
            if *term <= r.term() && r.log().get(index) != Some(entry) {
                return Err(format!(
                    "Leader Completeness: leader {:?} of term {} lacks committed index {index}",
                    r.id(),
                    r.term()
                ));
            }
        }
        Ok(())
    }
}

/// Log Matching: if two logs hold an entry with the same index and term,
/// they are identical up to that index.
pub fn log_matching(a: &Replica<Sm>, b: &Replica<Sm>) -> Check {
    let (la, lb) = (a.log(), b.log());
    let mut index = la.last_index().min(lb.last_index());
    while index > 0 && la.term_at(index) != lb.term_at(index) {
        index -= 1;
    }
    if la.range(1, index) != lb.range(1, index) {
        return Err(format!(
            "Log Matching: {:?} and {:?} agree on the term at {index} but not on the entries before",
            a.id(),
            b.id()
        ));
    }
    Ok(())
}
