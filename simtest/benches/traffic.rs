//! Traffic benchmark: what replication costs in messages between
//! replicas, kind by kind, at each loss rate, with delegated answers off
//! and on.
//!
//!     cargo bench -p simtest --bench traffic
//!
//! Each row runs `TRAFFIC_BENCH_SEEDS` seeds (default 300) of
//! [`Scenario::steady_load`]: five replicas on the default timers, no
//! fault but the loss, clients sending about seventeen requests a second
//! for sixteen seconds. The columns are means per run: every message
//! between replicas, then by kind ([`MessageKind`]: the leader's send
//! along a relay chain, a follower passing it on, direct appends with
//! entries, quiet batches, heartbeats, accepting and rejecting answers,
//! pre-vote and vote messages); "dups" and "viol" are totals over the
//! row's seeds: puts answered twice, and runs with any violation. The
//! two rows of a loss rate run the same seeds, and the simulation is
//! deterministic: the same build prints the same numbers on any machine,
//! so a change meant to save messages shows exactly which kind it saved.
//! The absolute counts are the simulation's, not `./run`'s (other
//! delays, 40% reads): compare rows and builds, not tests.

use simtest::traffic::MessageKind;
use simtest::{run_scenario, Scenario};

fn main() {
    let seeds: u64 = std::env::var("TRAFFIC_BENCH_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    print!(
        "{:>5} {:>9} {:>6} {:>9}",
        "loss", "delegate", "seeds", "msgs/run"
    );
    for kind in MessageKind::ALL {
        print!(" {:>8}", kind.label());
    }
    println!(" {:>5} {:>5}", "dups", "viol");
    for drop in [0.0, 0.05, 0.10, 0.15, 0.30] {
        for delegate in [false, true] {
            let mut total = 0u64;
            let mut by_kind = [0u64; MessageKind::ALL.len()];
            let mut duplicates = 0;
            let mut violations = 0;
            for seed in 0..seeds {
                let outcome = run_scenario(&Scenario::steady_load(seed, drop, delegate));
                total += outcome.replica_messages.len() as u64;
                for (i, kind) in MessageKind::ALL.into_iter().enumerate() {
                    by_kind[i] += outcome.messages_of(kind);
                }
                duplicates += outcome.duplicates;
                violations += usize::from(!outcome.violations.is_empty());
            }
            let mean = |n: u64| n as f64 / seeds.max(1) as f64;
            print!(
                "{:>4.0}% {:>9} {:>6} {:>9.1}",
                drop * 100.0,
                if delegate { "on" } else { "off" },
                seeds,
                mean(total)
            );
            for n in by_kind {
                print!(" {:>8.1}", mean(n));
            }
            println!(" {:>5} {:>5}", duplicates, violations);
        }
    }
}
