//! Switches that turn individual safety rules off, for testing the tests.
//!
//! A deterministic simulation is only as good as its ability to notice a
//! broken protocol. With the `fault-injection` feature, tests may disable a
//! rule and assert that the simulation then finds a safety violation. In a
//! normal build every switch is fixed to "rule enforced".

/// Which safety rules are enforced. All are, by default and always outside
/// the `fault-injection` feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SafetyRules {
    /// §5.4.1: vote only for a candidate whose log is at least as up to date.
    pub election_restriction: bool,
    /// §5.4.2: a leader commits by counting replicas only for entries of
    /// its own term.
    pub current_term_commit: bool,
    /// A candidate counts only votes granted for its current term.
    pub vote_term_check: bool,
}

impl Default for SafetyRules {
    fn default() -> Self {
        SafetyRules::ENFORCED
    }
}

impl SafetyRules {
    /// Every rule enforced: the only value a real replica uses.
    pub const ENFORCED: SafetyRules = SafetyRules {
        election_restriction: true,
        current_term_commit: true,
        vote_term_check: true,
    };

    /// The rules actually applied: as configured under `fault-injection`,
    /// all enforced otherwise.
    pub(crate) fn effective(self) -> SafetyRules {
        if cfg!(feature = "fault-injection") {
            self
        } else {
            SafetyRules::ENFORCED
        }
    }
}
