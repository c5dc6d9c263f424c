//! Turning messages into datagrams and back.

use crate::{Body, Message};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;

/// The largest datagram a message may occupy. The simulator reads with a
/// 65,535-byte buffer; staying well below it leaves room for IP/UDP headers.
pub const MAX_DATAGRAM: usize = 60_000;

/// Why a datagram could not be decoded. Every kind of bad input lands here:
/// decoding never panics.
#[derive(Debug)]
pub enum DecodeError {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// Not JSON, not an object, a missing or mistyped key, an unknown `type`.
    Json(serde_json::Error),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NotUtf8 => write!(f, "datagram is not UTF-8"),
            DecodeError::Json(e) => write!(f, "malformed message: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why a message could not be encoded into one datagram.
#[derive(Debug)]
pub enum EncodeError {
    /// Serialization failed (a state-machine command that cannot be JSON).
    Json(serde_json::Error),
    /// Even alone, one part of the message exceeds [`MAX_DATAGRAM`].
    TooLarge(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Json(e) => write!(f, "cannot encode message: {e}"),
            EncodeError::TooLarge(n) => {
                write!(
                    f,
                    "message of {n} bytes exceeds one datagram ({MAX_DATAGRAM})"
                )
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// Decodes one datagram. It accepts what `Message`'s derived `Deserialize`
/// accepts (except a number for `type`), in two cheaper passes (see
/// `two_pass.rs`).
pub fn decode<C: DeserializeOwned>(bytes: &[u8]) -> Result<Message<C>, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)?;
    crate::two_pass::decode_message(text).map_err(DecodeError::Json)
}

/// Encodes one message as JSON, without any size check.
pub fn encode<C: Serialize>(msg: &Message<C>) -> Result<Vec<u8>, EncodeError> {
    serde_json::to_vec(msg).map_err(EncodeError::Json)
}

/// Encodes a message into datagrams that each fit [`MAX_DATAGRAM`]. Almost
/// always one; an `append` whose batch is too large is split into several
/// `append`s covering consecutive ranges, each a valid AppendEntries on its
/// own (its `prev_index`/`prev_term` name the entry before it).
pub fn encode_datagrams<C: Serialize + Clone>(
    msg: &Message<C>,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let bytes = encode(msg)?;
    if bytes.len() <= MAX_DATAGRAM {
        return Ok(vec![bytes]);
    }
    let Body::Append(append) = &msg.body else {
        return Err(EncodeError::TooLarge(bytes.len()));
    };
    if append.entries.len() < 2 {
        return Err(EncodeError::TooLarge(bytes.len()));
    }
    let half = append.entries.len() / 2;
    let mut first = append.clone();
    let rest = first.entries.split_off(half);
    let mut second = append.clone();
    second.prev_index = append.prev_index + half as u64;
    second.prev_term = first.entries[half - 1].term;
    second.entries = rest;
    let mut out = Vec::new();
    for part in [first, second] {
        let piece = Message {
            src: msg.src,
            dst: msg.dst,
            leader: msg.leader,
            body: Body::Append(part),
        };
        out.extend(encode_datagrams(&piece)?);
    }
    Ok(out)
}
