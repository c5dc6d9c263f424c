//! How long decoding takes: `wire::decode` against `Message`'s derived
//! `Deserialize`, on the messages that lie on a put's path.
//!
//!     cargo run --release -p wire --example decode_bench
//!
//! Prints the mean time per decode, warm (the same message decoded again
//! and again), for each message and each decoder.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use wire::Message;

/// The shape of the key-value store's command, without depending on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Command {
    key: String,
    value: String,
}

const SAMPLES: [(&str, &str); 3] = [
    (
        "put from a client",
        r#"{"src":"0019","dst":"0001","leader":"FFFF","type":"put","MID":"15C3F73C06D6C891","key":"99cb132d1e47ebb7f13d1a756e3eff5b","value":"0044a9a0e976c80a783d2542121d3f32"}"#,
    ),
    (
        "relayed append of two puts",
        r#"{"src":"0001","dst":"0002","leader":"0001","type":"append","term":1,"prev_index":343,"prev_term":1,"entries":[{"term":1,"command":{"client":"001B","mid":"AF282F5A72F6FFEA","op":{"key":"542b1b5592f92a10aff18a4db50fa9fd","value":"50050434a876a7274f87a1e7fcb013f7"}}},{"term":1,"command":{"client":"0019","mid":"15C3F73C06D6C891","op":{"key":"99cb132d1e47ebb7f13d1a756e3eff5b","value":"0044a9a0e976c80a783d2542121d3f32"}}}],"commit":344,"sent_at":31039786,"relay":{"leader":"0001","path":["0000"],"reports":[]}}"#,
    ),
    (
        "append_response for a chain",
        r#"{"src":"0000","dst":"0001","leader":"0001","type":"append_response","term":1,"success":true,"match_index":345,"sent_at":31039786,"relayed":[{"follower":"0002","success":true,"match_index":345}]}"#,
    ),
];

const ROUNDS: u32 = 200_000;

fn time(decode: impl Fn() -> Message<Command>) -> Duration {
    let started = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(decode());
    }
    started.elapsed() / ROUNDS
}

fn main() {
    println!("{:<30} {:>12} {:>12}", "message", "wire::decode", "derived");
    for (name, text) in SAMPLES {
        let fast = || wire::decode::<Command>(text.as_bytes()).expect("sample decodes");
        let derived = || serde_json::from_str::<Message<Command>>(text).expect("sample decodes");
        assert_eq!(fast(), derived());
        println!("{name:<30} {:>12.2?} {:>12.2?}", time(fast), time(derived));
    }
}
