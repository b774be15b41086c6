//! The vocabulary findings are mapped to: severity, the CAF Security Perspective
//! (components, capabilities, the ten epics) and the Well-Architected security pillar
//! (areas, best-practice ids). Names follow the source documents in `shared/seeds`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How bad a failure of a rule is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];

    /// Weight in the scorecard: a critical failure outweighs many low ones.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Informational => 0,
            Severity::Low => 1,
            Severity::Medium => 3,
            Severity::High => 7,
            Severity::Critical => 15,
        }
    }

    /// OCSF `severity_id`.
    pub fn ocsf_id(self) -> u8 {
        match self {
            Severity::Informational => 1,
            Severity::Low => 2,
            Severity::Medium => 3,
            Severity::High => 4,
            Severity::Critical => 5,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a severity as written on the command line (`high`, `info`).
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Informational),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The four components of the CAF Security Perspective.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum CafComponent {
    Directive,
    Preventive,
    Detective,
    Responsive,
}

impl CafComponent {
    pub const ALL: [CafComponent; 4] = [
        CafComponent::Directive,
        CafComponent::Preventive,
        CafComponent::Detective,
        CafComponent::Responsive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CafComponent::Directive => "Directive",
            CafComponent::Preventive => "Preventive",
            CafComponent::Detective => "Detective",
            CafComponent::Responsive => "Responsive",
        }
    }

    /// The capabilities the whitepaper lists under this component.
    pub fn capabilities(self) -> &'static [&'static str] {
        match self {
            CafComponent::Directive => &[
                "Account governance",
                "Account ownership and contact information",
                "Control framework",
                "Control ownership",
                "Data classification",
                "Change and asset management",
                "Data locality",
                "Least privilege access",
                "Security operations playbook and runbooks",
            ],
            CafComponent::Preventive => &[
                "Identity and access",
                "Infrastructure protection",
                "Data protection",
            ],
            CafComponent::Detective => &[
                "Logging and monitoring",
                "Security testing",
                "Asset inventory",
                "Change detection",
            ],
            CafComponent::Responsive => &[
                "Incident response",
                "Security incident response simulations",
                "Forensics",
            ],
        }
    }
}

impl fmt::Display for CafComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Well-Architected security pillar areas.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum WafArea {
    #[serde(rename = "IAM")]
    Iam,
    Detective,
    Infrastructure,
    Data,
    IncidentResponse,
}

impl WafArea {
    pub const ALL: [WafArea; 5] = [
        WafArea::Iam,
        WafArea::Detective,
        WafArea::Infrastructure,
        WafArea::Data,
        WafArea::IncidentResponse,
    ];

    /// The id used in rule files and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            WafArea::Iam => "IAM",
            WafArea::Detective => "Detective",
            WafArea::Infrastructure => "Infrastructure",
            WafArea::Data => "Data",
            WafArea::IncidentResponse => "IncidentResponse",
        }
    }

    /// The area's title in the pillar.
    pub fn title(self) -> &'static str {
        match self {
            WafArea::Iam => "Identity and Access Management",
            WafArea::Detective => "Detective Controls",
            WafArea::Infrastructure => "Infrastructure Protection",
            WafArea::Data => "Data Protection",
            WafArea::IncidentResponse => "Incident Response",
        }
    }
}

impl fmt::Display for WafArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Number of best practices in each Well-Architected security question, SEC01..SEC11
/// (2024-06 revision, 63 in all).
const WAF_PRACTICES_PER_QUESTION: [u8; 11] = [8, 6, 9, 4, 4, 5, 4, 4, 3, 8, 8];

/// Is `id` a best-practice id of the current security pillar, such as `SEC04-BP01`?
pub fn is_waf_practice(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 10 || !id.starts_with("SEC") || &id[5..8] != "-BP" {
        return false;
    }
    let (Ok(question), Ok(practice)) = (id[3..5].parse::<usize>(), id[8..10].parse::<u8>()) else {
        return false;
    };
    (1..=11).contains(&question)
        && practice >= 1
        && practice <= WAF_PRACTICES_PER_QUESTION[question - 1]
}

/// The ten security epics: five core, five augmenting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Epic {
    IdentityAndAccessManagement,
    LoggingAndMonitoring,
    InfrastructureSecurity,
    DataProtection,
    IncidentResponse,
    Resilience,
    DevSecOps,
    ComplianceValidation,
    ConfigurationAndVulnerabilityAnalysis,
    SecurityBigData,
}

impl Epic {
    pub const ALL: [Epic; 10] = [
        Epic::IdentityAndAccessManagement,
        Epic::LoggingAndMonitoring,
        Epic::InfrastructureSecurity,
        Epic::DataProtection,
        Epic::IncidentResponse,
        Epic::Resilience,
        Epic::DevSecOps,
        Epic::ComplianceValidation,
        Epic::ConfigurationAndVulnerabilityAnalysis,
        Epic::SecurityBigData,
    ];

    /// The id used in rule and maturity files.
    pub fn id(self) -> &'static str {
        match self {
            Epic::IdentityAndAccessManagement => "identity_and_access_management",
            Epic::LoggingAndMonitoring => "logging_and_monitoring",
            Epic::InfrastructureSecurity => "infrastructure_security",
            Epic::DataProtection => "data_protection",
            Epic::IncidentResponse => "incident_response",
            Epic::Resilience => "resilience",
            Epic::DevSecOps => "dev_sec_ops",
            Epic::ComplianceValidation => "compliance_validation",
            Epic::ConfigurationAndVulnerabilityAnalysis => {
                "configuration_and_vulnerability_analysis"
            }
            Epic::SecurityBigData => "security_big_data",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Epic::IdentityAndAccessManagement => "Identity and Access Management",
            Epic::LoggingAndMonitoring => "Logging and Monitoring",
            Epic::InfrastructureSecurity => "Infrastructure Security",
            Epic::DataProtection => "Data Protection",
            Epic::IncidentResponse => "Incident Response",
            Epic::Resilience => "Resilience",
            Epic::DevSecOps => "DevSecOps",
            Epic::ComplianceValidation => "Compliance Validation",
            Epic::ConfigurationAndVulnerabilityAnalysis => {
                "Configuration and Vulnerability Analysis"
            }
            Epic::SecurityBigData => "Security Big Data",
        }
    }

    pub fn is_core(self) -> bool {
        matches!(
            self,
            Epic::IdentityAndAccessManagement
                | Epic::LoggingAndMonitoring
                | Epic::InfrastructureSecurity
                | Epic::DataProtection
                | Epic::IncidentResponse
        )
    }

    pub fn from_id(id: &str) -> Option<Epic> {
        Epic::ALL.into_iter().find(|e| e.id() == id)
    }
}

impl fmt::Display for Epic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// CIS AWS Foundations Benchmark v3.0.0 recommendations (62), with short titles.
pub const CIS_AWS_V3: &[(&str, &str)] = &[
    ("1.1", "Maintain current contact details"),
    ("1.2", "Security contact information is registered"),
    ("1.3", "Security questions are registered"),
    ("1.4", "No root user access key exists"),
    ("1.5", "MFA is enabled for the root user"),
    ("1.6", "Hardware MFA is enabled for the root user"),
    ("1.7", "Eliminate use of the root user"),
    ("1.8", "Password policy requires minimum length of 14"),
    ("1.9", "Password policy prevents reuse"),
    (
        "1.10",
        "MFA is enabled for all IAM users with a console password",
    ),
    (
        "1.11",
        "Do not set up access keys during initial user setup",
    ),
    (
        "1.12",
        "Credentials unused for 45 days or more are disabled",
    ),
    ("1.13", "Only one active access key per IAM user"),
    ("1.14", "Access keys are rotated every 90 days or less"),
    ("1.15", "IAM users receive permissions only through groups"),
    (
        "1.16",
        "No IAM policies with full *:* administrative privileges are attached",
    ),
    (
        "1.17",
        "A support role has been created to manage incidents with AWS Support",
    ),
    (
        "1.18",
        "IAM instance roles are used for AWS resource access from instances",
    ),
    (
        "1.19",
        "Expired SSL/TLS certificates stored in IAM are removed",
    ),
    ("1.20", "IAM Access Analyzer is enabled for all regions"),
    (
        "1.21",
        "IAM users are managed centrally via identity federation or AWS Organizations",
    ),
    ("1.22", "Access to AWSCloudShellFullAccess is restricted"),
    ("2.1.1", "S3 bucket policy denies HTTP requests"),
    ("2.1.2", "MFA Delete is enabled on S3 buckets"),
    (
        "2.1.3",
        "All data in S3 has been discovered, classified and secured",
    ),
    (
        "2.1.4",
        "S3 buckets are configured with Block Public Access",
    ),
    ("2.2.1", "EBS volume encryption is enabled in all regions"),
    ("2.3.1", "Encryption is enabled for RDS instances"),
    (
        "2.3.2",
        "Auto minor version upgrade is enabled for RDS instances",
    ),
    ("2.3.3", "RDS instances are not publicly accessible"),
    ("2.4.1", "Encryption is enabled for EFS file systems"),
    ("3.1", "CloudTrail is enabled in all regions"),
    ("3.2", "CloudTrail log file validation is enabled"),
    ("3.3", "AWS Config is enabled in all regions"),
    (
        "3.4",
        "S3 bucket access logging is enabled on the CloudTrail S3 bucket",
    ),
    (
        "3.5",
        "CloudTrail logs are encrypted at rest using KMS CMKs",
    ),
    (
        "3.6",
        "Rotation for customer-created symmetric CMKs is enabled",
    ),
    ("3.7", "VPC flow logging is enabled in all VPCs"),
    (
        "3.8",
        "Object-level logging for write events is enabled for S3 buckets",
    ),
    (
        "3.9",
        "Object-level logging for read events is enabled for S3 buckets",
    ),
    ("4.1", "Unauthorized API calls are monitored"),
    ("4.2", "Management Console sign-in without MFA is monitored"),
    ("4.3", "Usage of the root account is monitored"),
    ("4.4", "IAM policy changes are monitored"),
    ("4.5", "CloudTrail configuration changes are monitored"),
    (
        "4.6",
        "Management Console authentication failures are monitored",
    ),
    (
        "4.7",
        "Disabling or scheduled deletion of customer-created CMKs is monitored",
    ),
    ("4.8", "S3 bucket policy changes are monitored"),
    ("4.9", "AWS Config configuration changes are monitored"),
    ("4.10", "Security group changes are monitored"),
    (
        "4.11",
        "Changes to Network Access Control Lists are monitored",
    ),
    ("4.12", "Changes to network gateways are monitored"),
    ("4.13", "Route table changes are monitored"),
    ("4.14", "VPC changes are monitored"),
    ("4.15", "AWS Organizations changes are monitored"),
    ("4.16", "AWS Security Hub is enabled"),
    (
        "5.1",
        "No Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
    ),
    (
        "5.2",
        "No security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
    ),
    (
        "5.3",
        "No security groups allow ingress from ::/0 to remote server administration ports",
    ),
    (
        "5.4",
        "The default security group of every VPC restricts all traffic",
    ),
    ("5.5", "Routing tables for VPC peering are least access"),
    ("5.6", "EC2 Metadata Service only allows IMDSv2"),
];

/// CIS v3.0.0 recommendations that no API can show (they need a person to look):
/// 1.1 contact details are current, 1.3 security questions, 1.21 central identity
/// management as a practice.
pub const CIS_AWS_V3_MANUAL: &[&str] = &["1.1", "1.3", "1.21"];

/// CIS AWS Foundations Benchmark v4.0.1 recommendation numbers (64).
pub const CIS_AWS_V4: &[&str] = &[
    "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12", "1.13",
    "1.14", "1.15", "1.16", "1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "2.1.1", "2.1.2",
    "2.1.3", "2.1.4", "2.2.1", "2.2.2", "2.2.3", "2.2.4", "2.3.1", "3.1", "3.2", "3.3", "3.4",
    "3.5", "3.6", "3.7", "3.8", "3.9", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8",
    "4.9", "4.10", "4.11", "4.12", "4.13", "4.14", "4.15", "4.16", "5.1.1", "5.1.2", "5.2", "5.3",
    "5.4", "5.5", "5.6", "5.7",
];

/// CIS AWS Foundations Benchmark v5.0.0 recommendation numbers (63): v4.0.1 without
/// 1.3 (security questions), its 1.4..1.22 renumbered 1.3..1.21.
pub const CIS_AWS_V5: &[&str] = &[
    "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12", "1.13",
    "1.14", "1.15", "1.16", "1.17", "1.18", "1.19", "1.20", "1.21", "2.1.1", "2.1.2", "2.1.3",
    "2.1.4", "2.2.1", "2.2.2", "2.2.3", "2.2.4", "2.3.1", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6",
    "3.7", "3.8", "3.9", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10",
    "4.11", "4.12", "4.13", "4.14", "4.15", "4.16", "5.1.1", "5.1.2", "5.2", "5.3", "5.4", "5.5",
    "5.6", "5.7",
];

/// Is `id` shaped like an FSBP control id (`S3.8`, `CloudTrail.2`)?
pub fn is_fsbp_control(id: &str) -> bool {
    match id.split_once('.') {
        Some((service, number)) => {
            !service.is_empty()
                && service.chars().all(|c| c.is_ascii_alphanumeric())
                && service.starts_with(|c: char| c.is_ascii_uppercase())
                && !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waf_practice_ids() {
        assert!(is_waf_practice("SEC01-BP01"));
        assert!(is_waf_practice("SEC03-BP09"));
        assert!(is_waf_practice("SEC11-BP08"));
        assert!(!is_waf_practice("SEC09-BP04"), "SEC09 has three practices");
        assert!(!is_waf_practice("SEC12-BP01"));
        assert!(!is_waf_practice("SEC1-BP01"));
        assert!(!is_waf_practice("SEC01-BP1"));
        assert!(!is_waf_practice("sec01-bp01"));
        let total: u32 = WAF_PRACTICES_PER_QUESTION
            .iter()
            .map(|&n| u32::from(n))
            .sum();
        assert_eq!(total, 63);
    }

    #[test]
    fn epics_round_trip_through_ids() {
        for epic in Epic::ALL {
            assert_eq!(Epic::from_id(epic.id()), Some(epic));
            let json = serde_json::to_string(&epic).unwrap();
            assert_eq!(json, format!("\"{}\"", epic.id()));
        }
        assert_eq!(Epic::ALL.iter().filter(|e| e.is_core()).count(), 5);
    }
}
