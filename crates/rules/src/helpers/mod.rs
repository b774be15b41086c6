//! Pure analysis behind the CEL helper functions, usable and tested without CEL.

pub mod iam;
#[cfg(test)]
mod iam_props;
pub mod net;
