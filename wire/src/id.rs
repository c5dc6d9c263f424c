//! Replica and client identifiers: four hexadecimal digits on the wire.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The identity of a replica or a client, written as four upper-case hex
/// digits (`"0A1F"`). Kept as a `u16` so it is `Copy` and cheap to compare;
/// [`NodeId::BROADCAST`] (`"FFFF"`) means "every replica" as a destination
/// and "unknown" as a leader.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u16);

impl NodeId {
    /// `FFFF`: the broadcast destination, and the "no known leader" value.
    pub const BROADCAST: NodeId = NodeId(0xFFFF);

    /// The `leader` field's value for "unknown": `FFFF` when `None`.
    pub fn or_unknown(leader: Option<NodeId>) -> NodeId {
        leader.unwrap_or(NodeId::BROADCAST)
    }

    /// `None` for `FFFF`, the id otherwise: how a received `leader` field is read.
    pub fn known(self) -> Option<NodeId> {
        (self != NodeId::BROADCAST).then_some(self)
    }
}

/// Why a string is not a valid four-hex-digit id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError(pub String);

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid id {:?}: expected four hexadecimal digits",
            self.0
        )
    }
}

impl std::error::Error for ParseIdError {}

impl FromStr for NodeId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseIdError(s.to_string()));
        }
        u16::from_str_radix(s, 16)
            .map(NodeId)
            .map_err(|_| ParseIdError(s.to_string()))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 4];
        let digits = b"0123456789ABCDEF";
        for (i, slot) in buf.iter_mut().enumerate() {
            *slot = digits[((self.0 >> (12 - 4 * i)) & 0xF) as usize];
        }
        // The buffer holds ASCII hex digits only, so it is valid UTF-8.
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or("FFFF"))
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_four_upper_hex_digits() {
        let id: NodeId = "0a1f".parse().unwrap();
        assert_eq!(id, NodeId(0x0A1F));
        assert_eq!(id.to_string(), "0A1F");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0A1F\"");
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        for bad in ["", "123", "12345", "00G0", "+123", " 123"] {
            assert!(bad.parse::<NodeId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn broadcast_means_unknown_leader() {
        assert_eq!(NodeId::BROADCAST.known(), None);
        assert_eq!(NodeId(3).known(), Some(NodeId(3)));
        assert_eq!(NodeId::or_unknown(None), NodeId::BROADCAST);
    }
}
