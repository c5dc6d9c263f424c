//! Thousands of seeded fault scenarios, every `cargo test`.
//!
//! `SIMTEST_SEEDS=N` runs N scenarios (default 2000) starting at seed
//! `SIMTEST_START` (default 0), for long soaks. A failing seed is printed
//! with the command that replays it alone, with a trace.

use simtest::{run_scenario, Scenario};
use std::time::Instant;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn env_drop() -> f64 {
    std::env::var("SIMTEST_DROP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.1)
}

#[test]
fn random_fault_scenarios_keep_every_invariant() {
    let count = env_u64("SIMTEST_SEEDS", 2000);
    let start = env_u64("SIMTEST_START", 0);
    let began = Instant::now();
    let mut failures = Vec::new();
    let mut events = 0;
    let mut duplicates = 0;
    let mut overtaken = 0;
    for seed in start..start + count {
        let outcome = run_scenario(&Scenario::random(seed));
        events += outcome.events;
        duplicates += outcome.duplicates;
        overtaken += outcome.overtaken_puts;
        if let Some(first) = outcome.violations.first() {
            failures.push(format!(
                "seed {seed}: {first}\n  replay: SIMTEST_SEED={seed} cargo test --release -p simtest --test seeds replay -- --nocapture"
            ));
        }
    }
    println!(
        "simulated {count} scenarios (seeds {start}..{}), {events} events, {} violations, {duplicates} vouched puts answered twice, {overtaken} puts overtaken unanswered, in {:.1} s",
        start + count,
        failures.len(),
        began.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Replays `SIMTEST_SEED` alone and prints its trace
/// (`SIMTEST_PROFILE=stormy` or `leader_churn` for the bug-hunting scenarios,
/// `leader_crash` or `isolated_leader` for the election benchmark's, at
/// the loss `SIMTEST_DROP`, default 0.1).
#[test]
fn replay() {
    let Ok(seed) = std::env::var("SIMTEST_SEED") else {
        return;
    };
    let seed: u64 = seed.parse().expect("SIMTEST_SEED is a number");
    let mut scenario = match std::env::var("SIMTEST_PROFILE").as_deref() {
        Ok("stormy") => Scenario::stormy(seed),
        Ok("leader_churn") => Scenario::leader_churn(seed),
        Ok("leader_crash") => Scenario::leader_crash(seed, env_drop()),
        Ok("isolated_leader") => Scenario::isolated_leader(seed, env_drop()),
        _ => Scenario::random(seed),
    };
    scenario.trace = true;
    println!("{scenario:#?}");
    let outcome = run_scenario(&scenario);
    for line in &outcome.trace {
        println!("{line}");
    }
    println!("violations: {:#?}", outcome.violations);
    assert!(outcome.violations.is_empty());
}
