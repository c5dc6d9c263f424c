//! # wire: the JSON schema of every message
//!
//! This crate owns the exact shape of every datagram that crosses the
//! simulated network: the client protocol of the assignment (`get`, `put`,
//! `ok`, `fail`, `redirect`, `hello`) and the Raft protocol the replicas
//! speak among themselves (`vote_request`, `vote_response`, `append`,
//! `append_response`), plus the serialized form of a log entry.
//!
//! Every message is one JSON object carrying `src`, `dst`, `leader` and
//! `type`; the remaining keys depend on `type`. Decoding never panics: bad
//! input of any kind becomes a [`DecodeError`]. Encoding guarantees that a
//! datagram fits one UDP packet, splitting an oversized `append` batch into
//! several valid ones ([`encode_datagrams`]).
//!
//! What this crate must not do: hold protocol logic. It knows nothing of
//! terms being compared, votes granted or commits advanced; it only names
//! the fields those rules read and write.

mod codec;
mod entry;
mod id;
mod message;
mod two_pass;

pub use codec::{decode, encode, encode_datagrams, DecodeError, EncodeError, MAX_DATAGRAM};
pub use entry::{ClientCommand, Entry, Index, Term};
pub use id::{NodeId, ParseIdError};
pub use message::{
    AppendEntries, AppendResponse, Body, Message, Relay, RelayReport, VoteRequest, VoteResponse,
};
