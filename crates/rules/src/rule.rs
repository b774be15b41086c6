//! The rule file format (`rules/aws/<service>/<id>.yaml`) and a loaded rule.
//! The JSON Schema for editors, `rules/rule.schema.json`, is generated from
//! [`RuleFile`]; a test fails when the committed copy is stale.

use std::path::PathBuf;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::expr::Expr;
use crate::mapping::{CafComponent, Epic, Severity, WafArea};

/// One rule as written in its YAML file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Vigil rule")]
pub struct RuleFile {
    /// Permanent id, snake_case, starting with the service: `s3_bucket_versioning_enabled`.
    /// Ids are forever: a rule that changes meaning gets a new id.
    pub id: String,
    /// One line saying what holds when the rule passes.
    pub title: String,
    pub severity: Severity,
    /// Resource type the rule evaluates, from the inventory catalogue (`aws.s3.bucket`),
    /// or `aws.iam.principal` for IAM users and roles alike.
    pub resource: String,
    /// What the rule checks.
    pub description: String,
    /// Why it matters.
    pub rationale: String,
    /// CEL expression that is true when the resource passes. It reads `resource`
    /// (id, type, account, region, name, tags, properties) and `properties`.
    pub condition: String,
    /// Optional CEL expression; where it is false the rule does not apply to the
    /// resource and no finding is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_when: Option<String>,
    pub caf: CafMapping,
    pub waf: WafMapping,
    /// The security epics this rule gives evidence for (one or more).
    pub epics: Vec<Epic>,
    #[serde(default)]
    pub compliance: Compliance,
    pub remediation: Remediation,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default)]
    pub status: RuleStatus,
    /// Vigil version the rule arrived in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// The rule judges something that covers a whole AWS Organization (a service
    /// control policy on the root, a delegated administrator, an organisation-wide
    /// aggregator). It is evaluated where that evidence can be seen, usually the
    /// management account, and a PASS there counts for every account of the
    /// organisation in the scorecard, which names the account the evidence lives in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub organization_wide: bool,
}

/// Where the rule sits in the CAF Security Perspective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CafMapping {
    pub component: CafComponent,
    /// One of the component's capabilities, as the whitepaper names them.
    pub capability: String,
}

/// Where the rule sits in the Well-Architected security pillar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WafMapping {
    pub area: WafArea,
    /// Best-practice id, `SEC01-BP01` .. `SEC11-BP08`.
    pub practice: String,
}

/// Control references in compliance frameworks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compliance {
    /// CIS AWS Foundations Benchmark v3.0.0 recommendation numbers (`1.4`, `2.1.1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cis_aws_v3: Vec<String>,
    /// CIS AWS Foundations Benchmark v4.0.1 recommendation numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cis_aws_v4: Vec<String>,
    /// CIS AWS Foundations Benchmark v5.0.0 recommendation numbers. v5.0.0 dropped 1.3
    /// (security questions), so its IAM section is v4.0.1's shifted down by one from
    /// 1.4 on (`1.4` root access keys is `1.3`); sections 2 to 5 keep v4.0.1's numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cis_aws_v5: Vec<String>,
    /// AWS Foundational Security Best Practices control ids (`S3.8`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fsbp: Vec<String>,
}

impl Compliance {
    /// `("CIS AWS Foundations Benchmark v3.0.0", "1.4")` pairs, for outputs.
    pub fn references(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        out.extend(
            self.cis_aws_v3
                .iter()
                .map(|c| ("CIS AWS Foundations Benchmark v3.0.0", c.as_str())),
        );
        out.extend(
            self.cis_aws_v4
                .iter()
                .map(|c| ("CIS AWS Foundations Benchmark v4.0.1", c.as_str())),
        );
        out.extend(
            self.cis_aws_v5
                .iter()
                .map(|c| ("CIS AWS Foundations Benchmark v5.0.0", c.as_str())),
        );
        out.extend(self.fsbp.iter().map(|c| {
            (
                "AWS Foundational Security Best Practices v1.0.0",
                c.as_str(),
            )
        }));
        out
    }
}

/// How to fix a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform: Option<String>,
}

/// A rule's life stage, as ruff keeps it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    Preview,
    #[default]
    Stable,
    Deprecated,
}

/// A rule that loaded and validated, with its compiled conditions.
#[derive(Debug)]
pub struct Rule {
    pub meta: RuleFile,
    /// The file it came from (`rules/aws/s3/s3_bucket_versioning_enabled.yaml`).
    pub source: PathBuf,
    /// Its fixture file, when one sits beside it.
    pub fixtures: Option<crate::load::FixtureSource>,
    pub(crate) condition: Expr,
    pub(crate) applies_when: Option<Expr>,
    /// Property paths the condition reads, for evidence.
    pub reads: Arc<[String]>,
    /// Property paths the condition or `applies_when` reads: a rule reading one that a
    /// service left out of the scan would have written is not judged.
    pub inputs: Vec<String>,
    /// The condition or `applies_when` reads the resource's tags, which some services
    /// return from a call of their own (s3:GetBucketTagging, lambda:ListTags): when
    /// that call failed, the empty tag map was not seen, and the result is ERROR.
    pub reads_tags: bool,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    pub fn condition(&self) -> &Expr {
        &self.condition
    }

    pub fn applies_when(&self) -> Option<&Expr> {
        self.applies_when.as_ref()
    }
}

/// Resource kinds a rule may name that stand for several inventory types: a rule about
/// "a principal" judges users and roles alike, each finding about one of them.
pub const RESOURCE_FAMILIES: &[(&str, &[&str])] =
    &[("aws.iam.principal", &["aws.iam.user", "aws.iam.role"])];

/// The inventory types a rule's `resource` covers: the family's members, or itself.
pub fn resource_types(resource: &str) -> Vec<&str> {
    RESOURCE_FAMILIES
        .iter()
        .find(|(family, _)| *family == resource)
        .map(|(_, members)| members.to_vec())
        .unwrap_or_else(|| vec![resource])
}

/// The rule file's JSON Schema, pretty-printed, as committed in the repository.
pub fn rule_schema() -> String {
    let schema = schemars::schema_for!(RuleFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}
