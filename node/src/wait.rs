//! Waiting for a datagram or a deadline, whichever comes first, on time.
//!
//! The obvious way, a socket read timeout (`SO_RCVTIMEO`, which is what
//! `UdpSocket::set_read_timeout` sets), is counted by the kernel in
//! scheduler ticks. On a kernel ticking at 100 Hz it wakes up to a tick and
//! more late: measured here, a 5 ms wait lasted 11 ms and a 400 ms one
//! 416 ms. The core's timers are short on purpose (a lost message is
//! resent after 5 ms), so late wake-ups cost latency and messages: a
//! retransmission and the widening meant to follow it 5 ms later fired
//! together. `poll(2)` sleeps on a high-resolution timer instead; its
//! timeout is in whole milliseconds, so a wait is rounded up, at most one
//! millisecond late.

use std::io;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Blocks until `socket` has a datagram to read (true) or `timeout` has
/// passed (false). An interrupted wait counts as a timeout; the caller's
/// loop looks at the clock again either way.
pub fn readable_within(socket: &UdpSocket, timeout: Duration) -> io::Result<bool> {
    let mut fds = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = timeout.as_nanos().div_ceil(1_000_000);
    let millis = libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fds` is one valid, initialised pollfd that outlives the call,
    // and the count passed is 1.
    let ready = unsafe { libc::poll(&mut fds, 1, millis) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(err)
        };
    }
    Ok(ready > 0)
}
