//! What a scan could not see. A gap is evidence in its own right: rules whose inputs
//! fall in a gap report ERROR instead of passing on data that was never collected.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One thing that could not be collected, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// AWS service, as in its endpoint name (`cloudtrail`, `s3`).
    pub service: String,
    /// API operation that failed (`DescribeTrails`).
    pub operation: String,
    /// Account the call was made for.
    pub account: String,
    /// Region of the call, or `global`.
    pub region: String,
    /// Resource types whose list is incomplete because of this gap. Rules over these
    /// types in this account and region report ERROR.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_types: Vec<String>,
    /// A single resource whose detail call failed; its missing properties are absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// AWS error code (`AccessDenied`, `OptInRequired`, `InternalFailure`, `Timeout`).
    pub error_code: String,
    /// The error message, without credentials.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Gap {
    /// Does this gap make the list of `resource_type` in `account`/`region` incomplete?
    /// A gap recorded for the `global` region covers every region, and a region
    /// of `global` asks about the account as a whole.
    pub fn covers_type(&self, resource_type: &str, account: &str, region: Option<&str>) -> bool {
        self.account == account
            && self.resource_types.iter().any(|t| t == resource_type)
            && match region {
                None => true,
                Some(region) => self.region == region || self.region == crate::GLOBAL_REGION,
            }
    }

    /// A short human description: `cloudtrail:DescribeTrails in 123456789012/us-east-1: AccessDenied`.
    pub fn summary(&self) -> String {
        format!(
            "{}:{} in {}/{}: {}",
            self.service, self.operation, self.account, self.region, self.error_code
        )
    }
}
