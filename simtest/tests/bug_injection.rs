//! Proof that the simulation catches bugs: with one safety rule switched
//! off at a time, some seed among the first few thousand must violate an
//! invariant. If one of these tests fails, the harness has gone blind.
//! The scenarios are the harsh `Scenario::stormy` ones, and the same seeds
//! with every rule enforced must find nothing.

use consensus::SafetyRules;
use simtest::{run_scenario, Scenario};

/// Runs seeds until one violates an invariant; returns that seed and what it found.
fn first_violation(rules: SafetyRules, seeds: u64) -> Option<(u64, String)> {
    (0..seeds).find_map(|seed| {
        let mut scenario = Scenario::stormy(seed);
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

#[test]
fn with_every_rule_enforced_the_stormy_scenarios_find_nothing() {
    for seed in 0..300 {
        let outcome = run_scenario(&Scenario::stormy(seed));
        assert!(
            outcome.violations.is_empty(),
            "seed {seed}: {:?}",
            outcome.violations
        );
    }
}

#[test]
#[ignore]
fn stormy_timing() {
    for seed in 0..20 {
        let t = std::time::Instant::now();
        let o = run_scenario(&Scenario::stormy(seed));
        println!(
            "seed {seed}: {} events {:?} {:?}",
            o.events,
            t.elapsed(),
            o.violations.first()
        );
    }
}

#[test]
#[ignore]
fn stormy_range() {
    let from: u64 = std::env::var("FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let to: u64 = std::env::var("TO")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut bad = 0;
    for seed in from..to {
        let o = run_scenario(&Scenario::stormy(seed));
        if let Some(v) = o.violations.first() {
            bad += 1;
            println!("seed {seed}: {v}");
        }
    }
    println!("{bad} of {} stormy seeds violated", to - from);
}
