//! Proof that the simulation catches bugs: with one safety rule switched
//! off at a time, some seed among the first few thousand must violate an
//! invariant. If one of these tests fails, the harness has gone blind.

use consensus::SafetyRules;
use simtest::{run_scenario, Scenario};

/// Runs seeds until one violates an invariant; returns that seed and what it found.
fn first_violation(rules: SafetyRules, seeds: u64) -> Option<(u64, String)> {
    (0..seeds).find_map(|seed| {
        let mut scenario = Scenario::random(seed);
        scenario.rules = rules;
        let outcome = run_scenario(&scenario);
        outcome.violations.first().map(|v| (seed, v.clone()))
    })
}

fn assert_caught(rules: SafetyRules, what: &str) {
    match first_violation(rules, 5000) {
        Some((seed, violation)) => println!("without {what}: seed {seed} finds: {violation}"),
        None => panic!("5000 seeds ran without {what} and found nothing"),
    }
}

#[test]
fn without_the_election_restriction_a_violation_is_found() {
    let rules = SafetyRules {
        election_restriction: false,
        ..SafetyRules::ENFORCED
    };
    assert_caught(rules, "the election restriction (5.4.1)");
}

#[test]
fn without_the_current_term_commit_rule_a_violation_is_found() {
    let rules = SafetyRules {
        current_term_commit: false,
        ..SafetyRules::ENFORCED
    };
    assert_caught(rules, "the current-term commit rule (5.4.2)");
}

#[test]
fn without_the_term_check_on_votes_a_violation_is_found() {
    let rules = SafetyRules {
        vote_term_check: false,
        ..SafetyRules::ENFORCED
    };
    assert_caught(rules, "the term check on votes");
}
