//! Process pauses, the fault the network cannot stage: a replica whose
//! process stops keeps its state but not its timers, and wakes to a
//! backlog. These runs show the pause has the effect the random seeds
//! count on, and that the cluster stays correct through it.

use simtest::scenario::{Fault, ONE_FAULT_AT};
use simtest::{run_scenario, Scenario};
use std::time::Duration;

/// A steady cluster whose leader stops for `lasting`, four seconds in.
fn leader_paused(seed: u64, lasting: Duration) -> Scenario {
    let mut s = Scenario::leader_crash(seed, 0.0);
    s.faults = vec![(
        ONE_FAULT_AT,
        Fault::Pause {
            leader: true,
            nth: 0,
            lasting,
        },
    )];
    s
}

/// Runs seed `seed` with its leader paused for `lasting`, asserts that
/// nothing went wrong, and returns how many leaders took over after the
/// pause began.
fn leaders_after_a_pause(seed: u64, lasting: Duration) -> usize {
    let outcome = run_scenario(&leader_paused(seed, lasting));
    assert!(
        outcome.violations.is_empty(),
        "seed {seed}: {:?}",
        outcome.violations
    );
    outcome
        .leaders_elected
        .iter()
        .filter(|&&at| at > ONE_FAULT_AT)
        .count()
}

#[test]
fn a_leader_paused_past_the_election_timeout_is_replaced_and_no_answer_is_wrong() {
    for seed in 0..20 {
        assert!(
            leaders_after_a_pause(seed, Duration::from_secs(3)) >= 1,
            "seed {seed}: nobody took over from a leader paused for 3 s"
        );
    }
}

#[test]
fn a_short_pause_leaves_the_leader_in_office() {
    for seed in 0..20 {
        assert_eq!(
            leaders_after_a_pause(seed, Duration::from_millis(100)),
            0,
            "seed {seed}: a 100 ms pause, well inside the election timeout, cost the leader its office"
        );
    }
}
