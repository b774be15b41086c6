//! Command-line arguments, parsed by clap, before any validation of their contents.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Cloud-posture scanner for AWS: findings mapped to the CAF Security Perspective, the Well-Architected security pillar, CIS and FSBP",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More logging (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Parsed once per run: the size of the largest variant (the scan's options) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate the rules over an account (or a snapshot) and print findings and the scorecard.
    Scan(ScanArgs),
    /// Read an account into an inventory snapshot, without evaluating it.
    Collect(CollectArgs),
    /// Print the least-privilege IAM policy Vigil needs (read-only actions only).
    Policy,
    /// List, show and test rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write or check the daemon's configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run as a service: scheduled scans, history, SIEM delivery, HTTP API.
    Daemon(DaemonArgs),
    /// Why a principal can or cannot do an action on a resource, statement by
    /// statement, offline from a snapshot (like the IAM policy simulator).
    Explain(ExplainArgs),
    /// Manage the daemon's store: copy a SQLite store into PostgreSQL.
    #[command(subcommand)]
    Store(crate::store_cmd::StoreCommand),
    /// Render any output format from a saved scan (`vigil scan --format scan`),
    /// without AWS access and without rescanning.
    Report(ReportArgs),
    /// Compare two saved scans: new, resolved and changed findings, changed
    /// resources, and the maturity and scores that moved.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier saved scan (`vigil scan --format scan -o OLD`).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later saved scan.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Output format: terminal tables, or the whole diff as JSON
    /// (docs/schemas/diff.schema.json).
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when `new`: a finding fails in NEW that did not fail in OLD
    /// (at or above --severity); `any`: anything differs.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub fail_on: Option<DiffGate>,
    /// With `--fail-on new`: count only new failures at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, requires = "fail_on")]
    pub severity: Option<vigil_rules::Severity>,
    /// Rows each terminal table shows; the JSON output has every row.
    #[arg(long, default_value_t = 50)]
    pub rows: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    Table,
    Json,
}

/// What makes `vigil diff` exit with status 1.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DiffGate {
    /// A new FAIL finding.
    New,
    /// Any difference in findings, resources or scores.
    Any,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The saved scan, written by `vigil scan --format scan -o FILE`.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Html)]
    pub format: OutputFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    /// How many failures the summary lists by name.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// For `compliance-csv` and `compliance-json`: only these frameworks
    /// (comma-separated: cis_aws_v3, cis_aws_v4, cis_aws_v5, fsbp, waf, caf, epics).
    #[arg(long = "framework", value_name = "ID", value_delimiter = ',')]
    pub frameworks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Inventory snapshot(s) to read the principal and the resource from.
    #[arg(long, value_name = "FILE", required = true)]
    pub snapshot: Vec<PathBuf>,
    /// The IAM user or role ARN.
    #[arg(long, value_name = "ARN")]
    pub principal: String,
    /// The action, such as `s3:GetObject`.
    #[arg(long, required_unless_present = "paths", conflicts_with = "paths")]
    pub action: Option<String>,
    /// Instead of one action: the principal's privilege-escalation paths — its
    /// shortest path to administrator, whom it can become and which roles it can
    /// assume, and who can become it. Exit status 0 when it is or can become
    /// administrator, 1 otherwise.
    #[arg(long)]
    pub paths: bool,
    /// The resource ARN (`*` for actions without one).
    #[arg(long, value_name = "ARN", default_value = "*")]
    pub resource: String,
    /// A known request context value, `key=value` (repeatable), such as
    /// `aws:SourceIp=203.0.113.7`; keys not given stay unknown.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// `text` (default) or `json`.
    #[arg(long, default_value = "text")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[arg(long, short, value_name = "FILE", default_value = "vigil.toml")]
    pub config: PathBuf,
    /// Scan once right after starting, before the first scheduled time.
    #[arg(long)]
    pub scan_on_start: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented default configuration.
    Init,
    /// Check a configuration file and report every problem with its line and field.
    Validate {
        #[arg(long, short, value_name = "FILE", default_value = "vigil.toml")]
        config: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Terminal summary.
    Table,
    /// OCSF 1.6 Compliance Findings as a JSON array.
    Ocsf,
    /// OCSF findings, one JSON object per line.
    Ndjson,
    /// One row per finding.
    Csv,
    /// SARIF 2.1.0 log of the failures, for code-scanning dashboards and CI gates.
    Sarif,
    /// JUnit XML, one test case per rule and resource, for CI test reports.
    Junit,
    /// One self-contained HTML file (works offline): scan, scores, maturity,
    /// compliance, findings with search and filters, inventory.
    Html,
    /// The saved scan (JSON) that `vigil report --from FILE` renders any format from.
    Scan,
    /// Compliance per framework, one row per requirement, as CSV.
    ComplianceCsv,
    /// Compliance per framework, one row per requirement, as JSON.
    ComplianceJson,
}

#[derive(Debug, Args)]
pub struct RuleSelection {
    /// Extra rule directory (repeatable); its rules are added to the built-in pack.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave the built-in rule pack out.
    #[arg(long)]
    pub no_builtin_rules: bool,
}

/// Where and how to read AWS. Credentials, endpoints and the default region come from
/// the standard AWS configuration chain (environment, profiles, SSO, web identity,
/// instance metadata; `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`).
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// Named profile from the shared AWS config files.
    #[arg(long, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Region to scan (repeatable); default: the configured region.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Scan every region enabled for the account.
    #[arg(long, conflicts_with = "regions")]
    pub all_regions: bool,
    /// Role to assume for the scan.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// External id for the role's trust policy.
    #[arg(long, requires = "role_arn")]
    pub external_id: Option<String>,
    #[arg(long, default_value = "vigil-scan", requires = "role_arn")]
    pub role_session_name: String,
    /// Attempts per call under the SDK's adaptive retry.
    #[arg(long, default_value_t = 6)]
    pub max_attempts: u32,
    /// Timeout of one call, in seconds.
    #[arg(long, default_value_t = 30)]
    pub call_timeout_secs: u64,
    /// Calls in flight per service.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Only these services (comma-separated collector names, e.g. iam,s3).
    #[arg(long, value_delimiter = ',')]
    pub services: Vec<String>,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Write the snapshot here.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Inventory snapshot to evaluate (written by `vigil collect`); without it, the
    /// account the AWS configuration points at is collected live. Repeat it to score
    /// several accounts together (an organisation's management account and members).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Vec<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub selection: RuleSelection,
    /// Mutelist of accepted risks (YAML).
    #[arg(long, value_name = "FILE")]
    pub mutelist: Option<PathBuf>,
    /// Attestation file of declared evidence (YAML).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
    /// Settings file (YAML) of the team's conventions: classification and ownership
    /// tag keys, allowed regions, the incident-response role's name pattern.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Write the findings here instead of stdout; the summary still goes to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub compliance: ComplianceArgs,
    /// Also write the scorecard as JSON.
    #[arg(long, value_name = "FILE")]
    pub scorecard: Option<PathBuf>,
    /// Exit with status 1 when a failure at or above this severity remains.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<vigil_rules::Severity>,
    /// Evaluate as of this time (RFC 3339) instead of now; for reproducible reports.
    #[arg(long, value_name = "TIME")]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// How many failures the summary lists by name.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// How long one rule may take on one resource before its result is ERROR.
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub rule_budget_ms: u64,
}

fn parse_severity(text: &str) -> Result<vigil_rules::Severity, String> {
    vigil_rules::Severity::parse(text).ok_or_else(|| {
        format!("`{text}` is not a severity: informational, low, medium, high, critical")
    })
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules.
    List {
        #[command(flatten)]
        selection: RuleSelection,
        /// `table` or `json`.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Show one rule: documentation, mappings, condition and fixtures.
    Show {
        id: String,
        #[command(flatten)]
        selection: RuleSelection,
    },
    /// Run rule fixtures: the built-in pack's, and those of DIR when given.
    Test {
        dir: Option<PathBuf>,
        #[arg(long)]
        no_builtin_rules: bool,
    },
    /// List the helper functions conditions can call.
    Functions,
    /// List resource types and relation kinds.
    Types,
    /// Explain the maturity model of every epic and enabler.
    Maturity,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}
