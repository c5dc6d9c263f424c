//! End-to-end: real `3700kvstore` processes behind a tiny in-test router
//! that plays the simulator's part (hello registration, routing by `dst`).
//! The checks are about behaviour, not speed: generous time limits only.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_3700kvstore");

struct Router {
    socket: UdpSocket,
    addrs: HashMap<String, SocketAddr>,
    children: Vec<Child>,
}

impl Drop for Router {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn field(v: &serde_json::Value, k: &str) -> String {
    v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
}

impl Router {
    fn start(n: usize) -> Router {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let ids: Vec<String> = (0..n).map(|i| format!("{i:04X}")).collect();
        let children = ids
            .iter()
            .map(|me| {
                let mut args = vec![port.to_string(), me.clone()];
                args.extend(ids.iter().filter(|o| *o != me).cloned());
                Command::new(BIN)
                    .args(&args)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        Router {
            socket,
            addrs: HashMap::new(),
            children,
        }
    }

    /// Routes replica traffic until `until` returns a value or time runs out;
    /// messages for the client `0100` are offered to `until`.
    fn pump<T>(
        &mut self,
        limit: Duration,
        mut until: impl FnMut(&serde_json::Value) -> Option<T>,
    ) -> Option<T> {
        let end = Instant::now() + limit;
        let mut buf = vec![0u8; 65_535];
        while Instant::now() < end {
            let Ok((len, from)) = self.socket.recv_from(&mut buf) else {
                continue;
            };
            let msg: serde_json::Value =
                serde_json::from_slice(&buf[..len]).expect("replica sent JSON");
            for key in ["src", "dst", "leader", "type"] {
                assert!(msg.get(key).is_some(), "message without {key}: {msg}");
            }
            let (src, dst) = (field(&msg, "src"), field(&msg, "dst"));
            if field(&msg, "type") == "hello" {
                self.addrs.insert(src, from);
                continue;
            }
            if dst == "0100" {
                if let Some(t) = until(&msg) {
                    return Some(t);
                }
                continue;
            }
            let targets: Vec<SocketAddr> = if dst == "FFFF" {
                self.addrs
                    .iter()
                    .filter(|(id, _)| **id != src)
                    .map(|(_, a)| *a)
                    .collect()
            } else {
                self.addrs.get(&dst).copied().into_iter().collect()
            };
            for t in targets {
                self.socket.send_to(&buf[..len], t).unwrap();
            }
        }
        None
    }

    fn send(&self, to: &str, body: serde_json::Value) {
        let mut msg = serde_json::json!({"src": "0100", "dst": to, "leader": "FFFF"});
        for (k, v) in body.as_object().unwrap() {
            msg[k] = v.clone();
        }
        let addr = self.addrs[to];
        self.socket
            .send_to(msg.to_string().as_bytes(), addr)
            .unwrap();
    }

    /// Sends a request, following redirects, until it gets `ok`.
    fn request(&mut self, body: serde_json::Value, first: &str) -> serde_json::Value {
        let mut target = first.to_string();
        for attempt in 0..50 {
            let mid = format!("{}-{attempt}", field(&body, "key"));
            let mut b = body.clone();
            b["MID"] = mid.clone().into();
            self.send(&target, b);
            let answer = self
                .pump(Duration::from_secs(10), |m| {
                    (field(m, "MID") == mid).then(|| m.clone())
                })
                .expect("an answer");
            match field(&answer, "type").as_str() {
                "ok" => return answer,
                "redirect" => target = field(&answer, "leader"),
                other => panic!("unexpected answer {other}: {answer}"),
            }
        }
        panic!("no ok after 50 redirects");
    }
}

#[test]
fn three_replicas_elect_a_leader_and_serve_puts_and_gets() {
    let mut r = Router::start(3);
    r.pump(Duration::from_secs(5), |_| None::<()>);
    assert_eq!(r.addrs.len(), 3, "every replica said hello");
    // Junk must not kill anyone.
    for junk in [
        &b"\xff\xfe"[..],
        b"{}",
        b"not json",
        br#"{"src":"0100","dst":"0000","leader":"FFFF","type":"bogus"}"#,
    ] {
        let a = r.addrs["0000"];
        r.socket.send_to(junk, a).unwrap();
    }
    let put = r.request(
        serde_json::json!({"type": "put", "key": "k", "value": "v1"}),
        "0001",
    );
    assert!(put.get("value").is_none());
    let leader = field(&put, "src");
    let get = r.request(serde_json::json!({"type": "get", "key": "k"}), &leader);
    assert_eq!(field(&get, "value"), "v1");
    let missing = r.request(serde_json::json!({"type": "get", "key": "nope"}), &leader);
    assert_eq!(field(&missing, "value"), "");
    // A request addressed to another replica that reaches the leader's
    // socket anyway is not the leader's to answer.
    let other = if leader == "0000" { "0001" } else { "0000" };
    let misrouted = serde_json::json!({"src": "0100", "dst": other, "leader": "FFFF",
        "type": "get", "key": "k", "MID": "misrouted"});
    r.socket
        .send_to(misrouted.to_string().as_bytes(), r.addrs[&leader])
        .unwrap();
    let answered = r.pump(Duration::from_secs(1), |m| {
        (field(m, "MID") == "misrouted").then(|| m.clone())
    });
    assert_eq!(answered, None, "answered a request addressed to {other}");
    // A put too large to replicate is refused at once, and the log goes on.
    let huge = "x".repeat(wire::MAX_DATAGRAM - 1_000);
    r.send(
        &leader,
        serde_json::json!({"type": "put", "key": "k", "value": huge, "MID": "huge"}),
    );
    let refusal = r
        .pump(Duration::from_secs(10), |m| {
            (field(m, "MID") == "huge").then(|| m.clone())
        })
        .expect("an answer to the huge put");
    assert_eq!(field(&refusal, "type"), "fail");
    r.request(
        serde_json::json!({"type": "put", "key": "k", "value": "v2"}),
        &leader,
    );
    let get = r.request(serde_json::json!({"type": "get", "key": "k"}), &leader);
    assert_eq!(field(&get, "value"), "v2");
    for c in &mut r.children {
        assert!(c.try_wait().unwrap().is_none(), "a replica exited");
    }
}

#[test]
fn a_bad_command_line_prints_usage_and_exits_2() {
    for args in [
        &[][..],
        &["5555"],
        &["5555", "0000"],
        &["x", "0000", "0001"],
        &["5555", "zz", "0001"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "args {args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage: 3700kvstore"));
    }
    let not_text = std::ffi::OsStr::from_bytes(b"\xff");
    let out = Command::new(BIN)
        .args([not_text, "0001".as_ref(), "0002".as_ref()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a port that is not UTF-8");
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: 3700kvstore"));
}

#[test]
fn a_bad_tuning_variable_is_named_and_the_replica_does_not_start() {
    // Nothing listens on this port; the replica must stop before it matters.
    for (name, value) in [
        ("KVSTORE_ELECTION_MS", "1e300"),
        ("KVSTORE_LEASE_MS", "-5"),
        ("KVSTORE_RELAY", "yes"),
    ] {
        let out = Command::new(BIN)
            .args(["5555", "0000", "0001", "0002"])
            .env(name, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
}

#[test]
fn a_bad_processor_choice_is_named_and_the_replica_does_not_start() {
    // Nothing listens on this port; the replica must stop before it matters.
    for value in ["one", "-1", "100000"] {
        let out = Command::new(BIN)
            .args(["5555", "0000", "0001", "0002"])
            .env("KVSTORE_CPU", value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "KVSTORE_CPU={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("KVSTORE_CPU"), "{value}: {stderr}");
    }
}
