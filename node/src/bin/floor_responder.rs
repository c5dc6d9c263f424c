//! A minimal responder with no consensus, to measure the simulator's floor.
//!
//! Usage is the replica's: `floor_responder <UDP port> <own id> <other ids...>`.
//! Replica `0000` acts as leader; the others redirect to it. A get is
//! answered at once from a map: two trips through the simulator. A put
//! costs one round trip to replica `0001` before its answer: four trips,
//! the least any replicated put can take. `simulator/bench.py` runs each
//! configuration against this program and divides the real replica's
//! median latency by this one's. It is written in Rust, like the replica,
//! so that both pay the same per-message cost and the ratio measures the
//! protocol, not the language.
//!
//! Not a key-value store: no replication, no fault tolerance. If `0000`
//! dies, requests go unanswered.

#[path = "../affinity.rs"]
mod affinity;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::UdpSocket;

const LEADER: &str = "0000";

/// A string field of a message, or `""` if it is missing or not a string.
fn text(msg: &Value, key: &str) -> String {
    msg.get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}
const ECHO_PEER: &str = "0001";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: floor_responder <UDP port> <own id> <other ids...>");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().context("port")?;
    // Placed like the replica (`affinity.rs`), so that the ratio of their
    // latencies measures the protocol, not the scheduler.
    affinity::apply(affinity::from_env()?)?;
    let me = args[2].clone();
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    let simulator = ("127.0.0.1", port);
    let send = |msg: Value| -> Result<()> {
        sock.send_to(msg.to_string().as_bytes(), simulator)?;
        Ok(())
    };
    send(json!({"src": me, "dst": "FFFF", "leader": "FFFF", "type": "hello", "MID": "hello"}))?;

    let mut data: HashMap<String, String> = HashMap::new();
    let mut waiting: HashMap<String, Value> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, _) = sock.recv_from(&mut buf)?;
        let Ok(m) = serde_json::from_slice::<Value>(&buf[..n]) else {
            continue;
        };
        let (kind, src, mid) = (text(&m, "type"), text(&m, "src"), text(&m, "MID"));
        match kind.as_str() {
            "echo" if me == LEADER => {
                if let Some(put) = waiting.remove(&mid) {
                    data.insert(text(&put, "key"), text(&put, "value"));
                    send(
                        json!({"src": me, "dst": text(&put, "src"), "leader": LEADER, "type": "ok", "MID": mid}),
                    )?;
                }
            }
            "echo" => {
                send(json!({"src": me, "dst": src, "leader": LEADER, "type": "echo", "MID": mid}))?
            }
            "get" | "put" if me != LEADER => send(
                json!({"src": me, "dst": src, "leader": LEADER, "type": "redirect", "MID": mid}),
            )?,
            "get" => {
                let value = data.get(&text(&m, "key")).cloned().unwrap_or_default();
                send(
                    json!({"src": me, "dst": src, "leader": LEADER, "type": "ok", "MID": mid, "value": value}),
                )?
            }
            "put" => {
                waiting.insert(mid.clone(), m.clone());
                send(
                    json!({"src": me, "dst": ECHO_PEER, "leader": LEADER, "type": "echo", "MID": mid}),
                )?
            }
            _ => {}
        }
    }
}
