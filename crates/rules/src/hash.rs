//! Hash maps for the analyses' indexes: foldhash instead of the standard SipHash.
//!
//! The escalation, reachability and data-access analyses index principals, policies
//! and network pieces by ARN, account and id, hundreds of thousands of lookups on a
//! large estate, where SipHash was a tenth of their time. foldhash's `RandomState` is
//! seeded per map, so keys chosen in an account (resource names) cannot be crafted
//! offline to collide.

/// A `HashMap` hashed with foldhash.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// `HashMap::new()` for [`HashMap`], as for the standard one.
pub(crate) trait New {
    fn new() -> Self;
}

impl<K, V> New for HashMap<K, V> {
    fn new() -> Self {
        HashMap::default()
    }
}
