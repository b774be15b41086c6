//! Vigil's output formats: findings as OCSF 1.6.0 Compliance Finding events
//! (pretty JSON array or NDJSON) and as CSV.
//!
//! The writers take any `io::Write` and only serialise what is in the findings
//! and the scan metadata, so an output file never carries anything from the
//! environment Vigil ran in.

pub mod coverage;
pub mod csv_out;
pub mod lifecycle;
pub mod ocsf;
pub mod summary;

#[cfg(test)]
mod test_support;

pub use csv_out::{CSV_HEADER, write_csv};
pub use ocsf::{OCSF_VERSION, ScanInfo, WAF_STANDARD, ocsf_finding, write_ndjson, write_ocsf_json};
