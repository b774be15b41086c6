//! What a scan covered: for each collector (service), account and region, whether it
//! was collected, left out on purpose, or failed. Rules are judged only where their
//! inputs were collected: a service left out of the scan is not absent, it is unseen.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How one service was covered in one account and region.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// Every call answered.
    Collected,
    /// At least one call failed: the gaps of this service and scope say which.
    Failed,
    /// Left out on purpose (`--services`, the daemon's `scan.services`): no call made.
    Excluded,
}

impl CoverageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageStatus::Collected => "collected",
            CoverageStatus::Failed => "failed",
            CoverageStatus::Excluded => "excluded",
        }
    }
}

/// One service in one account and region (`global` for services collected once per
/// account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Collector name, as `vigil collect --services` takes it (`guardduty`, `ssm-incidents`).
    pub service: String,
    pub account: String,
    /// Region, or `global`.
    pub region: String,
    pub status: CoverageStatus,
    /// Why a service was excluded (`--services`), or a summary of why it failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// How many gaps this service recorded in this scope.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gaps: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Coverage {
    /// Does this entry speak for `service` in `account` and (when given) `region`? An
    /// entry for `global` covers every region of the account.
    pub fn covers(&self, service: &str, account: &str, region: Option<&str>) -> bool {
        self.service == service
            && self.account == account
            && match region {
                None => true,
                Some(region) => self.region == region || self.region == crate::GLOBAL_REGION,
            }
    }

    /// `guardduty in 111122223333/eu-west-1: excluded (--services)`.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} in {}/{}: {}",
            self.service,
            self.account,
            self.region,
            self.status.as_str()
        );
        if !self.reason.is_empty() {
            text.push_str(&format!(" ({})", self.reason));
        }
        text
    }
}
