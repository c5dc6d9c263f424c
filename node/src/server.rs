//! The event loop: one UDP socket, one clock, one core.

use crate::cli::Options;
use crate::logging::{log_at, Level};
use crate::translate::{
    client_request, in_sending_order, refusal_if_too_large, GetPutMachine, MAX_CLIENT_REQUEST,
};
use crate::{affinity, tuning, wait};
use anyhow::{Context, Result};
use consensus::{Config, Replica, Role, Term};
use rand::SeedableRng;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use wire::{Body, Message, NodeId};

/// Datagrams are read into a buffer this large, like the simulator's.
const RECV_BUFFER: usize = 65_535;

/// At most this many waiting datagrams are handled before the output is
/// sent, so a flood cannot hold back answers for long.
const BURST: usize = 64;

/// Runs one replica of `machine` on the command line's port and ids until
/// the process is killed. Errors only if it cannot start.
pub fn run<SM: GetPutMachine>(opts: Options, machine: SM) -> Result<()> {
    let mut cfg = Config::new(opts.id, opts.peers.clone());
    tuning::apply_env(&mut cfg).context("bad tuning variable")?;
    let pinning = affinity::from_env().context("bad tuning variable")?;
    if let Some(cpu) = affinity::apply(pinning)? {
        log_at!(Level::Info, "{} pinned to processor {cpu}", opts.id);
    }
    let socket = UdpSocket::bind(("127.0.0.1", 0)).context("cannot open a UDP socket")?;
    let simulator = SocketAddr::from(([127, 0, 0, 1], opts.port));
    let clock = Instant::now();
    let seed = u64::from(opts.id.0)
        ^ u64::from(std::process::id()) << 16
        ^ clock.elapsed().as_nanos() as u64;
    let rng = Box::new(rand::rngs::StdRng::seed_from_u64(seed));
    let mut replica =
        Replica::new(cfg, machine, rng, clock.elapsed()).context("invalid configuration")?;

    // The simulator learns our address from the hello: send it first.
    let hello: Message<SM::Command> = Message {
        src: opts.id,
        dst: NodeId::BROADCAST,
        leader: NodeId::BROADCAST,
        body: Body::Hello {
            mid: format!("hello-{}", opts.id),
        },
    };
    send::<SM>(&socket, simulator, &hello);
    log_at!(Level::Info, "{} up, peers {:?}", opts.id, opts.peers);

    let mut buf = vec![0u8; RECV_BUFFER];
    let mut last_role = (replica.role(), replica.term());
    loop {
        let now = clock.elapsed();
        let deadline = replica.next_deadline();
        if deadline <= now {
            replica.tick(now);
        } else {
            match wait::readable_within(&socket, deadline - now) {
                Ok(true) => receive_burst(&mut replica, &socket, simulator, &clock, &mut buf),
                Ok(false) => {}
                Err(e) => log_at!(Level::Warn, "waiting for the socket failed: {e}"),
            }
        }
        flush(&mut replica, &socket, simulator);
        log_role_change(&replica, &mut last_role);
    }
}

/// Logs the replica's role and term when either changed since `last`.
fn log_role_change<SM: GetPutMachine>(replica: &Replica<SM>, last: &mut (Role, Term)) {
    let role = (replica.role(), replica.term());
    if role == *last {
        return;
    }
    let id = replica.id();
    log_at!(Level::Info, "{id} is {:?} in term {}", role.0, role.1);
    if role.0 == Role::Leader {
        log_at!(
            Level::Info,
            "{id} leads with log of {}",
            replica.log().last_index()
        );
    }
    *last = role;
}

/// Hands the core every datagram already waiting (at most [`BURST`]),
/// then returns so that the output goes out once: puts that arrived
/// together are replicated in one batch (see `Replica::take_output`).
fn receive_burst<SM: GetPutMachine>(
    replica: &mut Replica<SM>,
    socket: &UdpSocket,
    simulator: SocketAddr,
    clock: &Instant,
    buf: &mut [u8],
) {
    for _ in 0..BURST {
        match socket.recv(buf) {
            Ok(n) => {
                if let Some(refusal) = handle_datagram(replica, clock.elapsed(), &buf[..n]) {
                    send::<SM>(socket, simulator, &refusal);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => log_at!(Level::Warn, "receive failed: {e}"),
        }
        if !matches!(wait::readable_within(socket, Duration::ZERO), Ok(true)) {
            return;
        }
    }
}

/// Decodes one datagram and hands it to the core; bad input is logged and
/// dropped. Returns the `fail` owed to a client whose request is too large
/// to replicate, which the core never sees.
fn handle_datagram<SM: GetPutMachine>(
    replica: &mut Replica<SM>,
    now: Duration,
    bytes: &[u8],
) -> Option<Message<SM::Command>> {
    let me = replica.id();
    let msg: Message<SM::Command> = match wire::decode(bytes) {
        Ok(msg) => msg,
        Err(e) => {
            log_at!(
                Level::Warn,
                "dropped datagram: {e}: {:.200}",
                String::from_utf8_lossy(bytes)
            );
            return None;
        }
    };
    if msg.dst != me && msg.dst != NodeId::BROADCAST {
        log_at!(Level::Warn, "dropped message for {} (I am {me})", msg.dst);
        return None;
    }
    log_at!(Level::Trace, "recv {msg:?}");
    if let Some(refusal) = refusal_if_too_large(me, &msg, bytes.len()) {
        log_at!(
            Level::Warn,
            "refused a request of {} bytes from {} (at most {MAX_CLIENT_REQUEST})",
            bytes.len(),
            msg.src
        );
        return Some(refusal);
    }
    if let Some(req) = client_request::<SM>(&msg) {
        log_at!(Level::Debug, "request {} from {}", req.mid, req.client);
        replica.request(now, req);
    } else {
        replica.step(now, msg);
    }
    None
}

/// Sends everything the core produced, client answers first (see
/// [`in_sending_order`]).
fn flush<SM: GetPutMachine>(replica: &mut Replica<SM>, socket: &UdpSocket, simulator: SocketAddr) {
    let out = replica.take_output();
    if out.is_empty() {
        return;
    }
    for msg in in_sending_order::<SM>(replica.id(), replica.leader(), out) {
        send::<SM>(socket, simulator, &msg);
    }
}

fn send<SM: GetPutMachine>(socket: &UdpSocket, to: SocketAddr, msg: &Message<SM::Command>) {
    match wire::encode_datagrams(msg) {
        Ok(datagrams) => {
            for d in datagrams {
                if let Err(e) = socket.send_to(&d, to) {
                    log_at!(Level::Warn, "send to simulator failed: {e}");
                }
            }
            log_at!(Level::Trace, "sent {msg:?}");
        }
        Err(e) => log_at!(
            Level::Warn,
            "cannot send {:.200}: {e}",
            format!("{:?}", msg.body)
        ),
    }
}
