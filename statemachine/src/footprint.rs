//! What part of the state an operation touches.

/// The part of a state machine's state that a command writes or a query
/// reads.
///
/// `consensus` uses it for one thing: to find the committed writes a read
/// depends on, so that a leader answers those writes' clients before it
/// answers the read (see `consensus`'s `unconfirmed.rs`). A state machine
/// that does not say treats every operation as touching everything, which
/// is always safe and only costs precision.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Footprint {
    /// The whole state.
    Everything,
    /// One key, and nothing else.
    Key(String),
}

impl Footprint {
    /// True when an operation with this footprint and one with `other`
    /// may touch the same data.
    pub fn overlaps(&self, other: &Footprint) -> bool {
        match (self, other) {
            (Footprint::Key(a), Footprint::Key(b)) => a == b,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Footprint;

    fn key(k: &str) -> Footprint {
        Footprint::Key(k.into())
    }

    #[test]
    fn keys_overlap_only_when_equal() {
        assert!(key("a").overlaps(&key("a")));
        assert!(!key("a").overlaps(&key("b")));
    }

    #[test]
    fn everything_overlaps_everything() {
        assert!(Footprint::Everything.overlaps(&key("a")));
        assert!(key("a").overlaps(&Footprint::Everything));
        assert!(Footprint::Everything.overlaps(&Footprint::Everything));
    }
}
