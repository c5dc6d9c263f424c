//! Availability benchmark: how long a cluster of five goes without a
//! leader after one fault, how many vote messages the elections cost,
//! and how many messages the fault's first seconds cost in all.
//!
//!     cargo bench -p simtest --bench elections
//!
//! Each row runs `ELECTION_BENCH_SEEDS` seeds (default 1000) of one
//! scenario at one loss rate: [`Scenario::leader_crash`] (the leader
//! crashes four seconds in) or [`Scenario::isolated_leader`] (the leader
//! is cut off with one follower for three seconds). Replicas run the
//! default timers. "Leaderless" is the time from the fault to the first
//! replica leading a newer term; "votes" counts every vote request and
//! answer, real or pre-vote, sent from the fault to the end of the run
//! (the rounds of a minority cut off included); "msgs" counts every
//! message between replicas sent in the three seconds from the fault on
//! (the isolated leader's whole partition). The simulation is
//! deterministic: the same seeds print the same numbers on any machine,
//! so two builds compare exactly.

use simtest::scenario::ONE_FAULT_AT as FAULT_AT;
use simtest::{run_scenario, Outcome, Scenario};
use std::time::Duration;

/// How long after the fault "msgs" counts: the isolated leader's
/// partition.
const FAULT_WINDOW: Duration = Duration::from_secs(3);

fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// One row: leaderless times (ms), vote counts, and what went wrong.
struct Row {
    leaderless_ms: Vec<u64>,
    votes: Vec<u64>,
    messages: Vec<u64>,
    never_recovered: usize,
    violations: usize,
}

fn measure(outcome: &Outcome, row: &mut Row) {
    if !outcome.violations.is_empty() {
        row.violations += 1;
    }
    match outcome.leaders_elected.iter().find(|&&t| t > FAULT_AT) {
        Some(&t) => row.leaderless_ms.push((t - FAULT_AT).as_millis() as u64),
        None => row.never_recovered += 1,
    }
    let votes = outcome.vote_messages.iter().filter(|&&t| t >= FAULT_AT);
    row.votes.push(votes.count() as u64);
    let window = FAULT_AT..FAULT_AT + FAULT_WINDOW;
    let messages = outcome
        .replica_messages
        .iter()
        .filter(|t| window.contains(t));
    row.messages.push(messages.count() as u64);
}

/// `med/p90/max` of sorted values.
fn spread(sorted: &[u64]) -> String {
    format!(
        "{}/{}/{}",
        percentile(sorted, 0.5),
        percentile(sorted, 0.9),
        sorted.last().copied().unwrap_or(0)
    )
}

fn main() {
    let seeds: u64 = std::env::var("ELECTION_BENCH_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    type Make = fn(u64, f64) -> Scenario;
    let scenarios: [(&str, Make); 2] = [
        ("leader crash", Scenario::leader_crash),
        ("leader isolated", Scenario::isolated_leader),
    ];
    println!(
        "{:<16} {:>5} {:>6}  {:>27}  {:>16}  {:>15}  {:>5} {:>5}",
        "fault",
        "loss",
        "seeds",
        "leaderless ms med/p90/p99/max",
        "votes med/p90/max",
        "msgs med/p90/max",
        "stuck",
        "viol"
    );
    for (name, make) in scenarios {
        for drop in [0.0, 0.10, 0.15, 0.30] {
            let mut row = Row {
                leaderless_ms: Vec::new(),
                votes: Vec::new(),
                messages: Vec::new(),
                never_recovered: 0,
                violations: 0,
            };
            for seed in 0..seeds {
                measure(&run_scenario(&make(seed, drop)), &mut row);
            }
            row.leaderless_ms.sort_unstable();
            row.votes.sort_unstable();
            row.messages.sort_unstable();
            let l = &row.leaderless_ms;
            println!(
                "{:<16} {:>4.0}% {:>6}  {:>27}  {:>16}  {:>15}  {:>5} {:>5}",
                name,
                drop * 100.0,
                seeds,
                format!(
                    "{}/{}/{}/{}",
                    percentile(l, 0.5),
                    percentile(l, 0.9),
                    percentile(l, 0.99),
                    l.last().copied().unwrap_or(0)
                ),
                spread(&row.votes),
                spread(&row.messages),
                row.never_recovered,
                row.violations
            );
        }
    }
}
