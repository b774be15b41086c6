//! Pure analysis behind the CEL helper functions, usable and tested without CEL.

pub mod iam;
pub mod net;
