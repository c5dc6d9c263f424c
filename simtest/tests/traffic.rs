//! The traffic sort (`simtest::traffic`) accounts for every message
//! between replicas, and tells a relay chain's links apart.

use simtest::traffic::MessageKind;
use simtest::{run_scenario, Scenario};

#[test]
fn every_message_between_replicas_has_a_kind() {
    for seed in 0..5 {
        let outcome = run_scenario(&Scenario::steady_load(seed, 0.15, true));
        let sorted: u64 = outcome.messages_by_kind.values().sum();
        assert_eq!(sorted, outcome.replica_messages.len() as u64, "seed {seed}");
    }
}

#[test]
fn without_loss_every_chain_is_passed_on_once_and_answered() {
    for seed in 0..5 {
        let outcome = run_scenario(&Scenario::steady_load(seed, 0.0, false));
        let count = |kind| outcome.messages_of(kind);
        let chains = count(MessageKind::ChainFromLeader);
        assert!(chains > 100, "seed {seed}: only {chains} chains");
        assert_eq!(count(MessageKind::ChainPassedOn), chains, "seed {seed}");
        assert!(
            count(MessageKind::AnswerAccepted) >= chains,
            "seed {seed}: fewer answers than chains"
        );
    }
}
