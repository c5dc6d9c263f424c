//! # simtest: deterministic simulation of a whole cluster
//!
//! This crate runs several replicas of the real [`consensus`] core, over
//! real state machines ([`statemachine::Recorder`] around
//! [`statemachine::KvStore`]), inside one process: a virtual clock, a
//! simulated network and simulated clients, all driven by one seeded RNG.
//! Nothing here sleeps, spawns or opens a socket, so a scenario runs in
//! milliseconds and replays exactly from its seed.
//!
//! - [`network`]: delivery with drops, duplication, variable delay
//!   (hence reordering), partitions of any shape and one-way cuts.
//! - [`clients`]: clients that behave like `./run`'s: gets and puts of
//!   their own keys, fresh MIDs, redirects followed at once.
//! - [`scenario`]: the faults a seed chooses: crashes, partitions, cuts
//!   and process pauses.
//! - [`world`]: the run itself: clock, event queue, replicas, network and
//!   clients, and the checks at the end.
//! - [`outcome`]: what a run found.
//! - [`invariants`]: the safety properties checked after every step.
//! - [`linearizability`]: the per-key register check of the client history.
//! - [`traffic`]: messages between replicas sorted by what they do.
//!
//! `benches/elections.rs` uses the same scenarios to measure availability:
//! how long a cluster goes without a leader after a leader fault, and what
//! the elections cost in messages (`make bench-elections`);
//! `benches/traffic.rs` measures what replication costs in messages, kind
//! by kind, at each loss rate, with delegated answers on and off
//! (`make bench-traffic`).
//!
//! What this crate must not do: reach into the core's internals. It sees
//! replicas only through their public API, as the `node` binary does.

pub mod clients;
pub mod invariants;
pub mod linearizability;
pub mod network;
pub mod outcome;
pub mod scenario;
pub mod traffic;
pub mod world;

pub use outcome::Outcome;
pub use scenario::Scenario;
pub use world::run_scenario;
