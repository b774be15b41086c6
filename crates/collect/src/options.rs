//! What a collection is asked to do, resolved from the command line.

use std::time::Duration;

/// Options for one collection run.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Named profile from the shared config files.
    pub profile: Option<String>,
    /// Regions to scan; empty means the configured default region.
    pub regions: Vec<String>,
    /// Scan every region enabled for the account (`ec2:DescribeRegions`).
    pub all_regions: bool,
    /// Role to assume for the scan.
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub role_session_name: String,
    /// Attempts per call under the SDK's adaptive retry (1 = no retry).
    pub max_attempts: u32,
    /// Per-call timeout.
    pub call_timeout: Duration,
    /// Calls in flight per service at once.
    pub concurrency_per_service: usize,
    /// Only these services (by collector name); empty means all.
    pub services: Vec<String>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            profile: None,
            regions: Vec::new(),
            all_regions: false,
            role_arn: None,
            external_id: None,
            role_session_name: "vigil-scan".to_owned(),
            max_attempts: 6,
            call_timeout: Duration::from_secs(30),
            concurrency_per_service: 4,
            services: Vec::new(),
        }
    }
}
