//! Vigil's output formats: findings as OCSF 1.6.0 Compliance Finding events
//! (pretty JSON array or NDJSON), as CSV, and, for CI gates, as SARIF 2.1.0 and
//! JUnit XML.
//!
//! The writers take any `io::Write` and only serialise what is in the findings
//! and the scan metadata, so an output file never carries anything from the
//! environment Vigil ran in.

pub mod compliance;
pub mod coverage;
pub mod csv_out;
pub mod diff;
pub mod html;
pub mod junit;
pub mod lifecycle;
pub mod ocsf;
pub mod sarif;
pub mod saved;
pub mod summary;

#[cfg(test)]
mod test_support;

pub use csv_out::{CSV_HEADER, write_csv};
pub use junit::write_junit;
pub use ocsf::{OCSF_VERSION, ScanInfo, WAF_STANDARD, ocsf_finding, write_ndjson, write_ocsf_json};
pub use sarif::write_sarif;
