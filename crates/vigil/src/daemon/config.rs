//! `vigil.toml`: what the daemon scans, when, where it keeps its state and where its
//! events go. Options are snake_case with units in their names (`jitter_secs`).
//!
//! Loading reports every problem at once, each with the file, the line and the field,
//! because an operator fixing a config file one error per restart gives up on it.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use vigil_sink::SinkConfig;

/// A commented default configuration: `vigil config init` prints it.
pub const TEMPLATE: &str = include_str!("vigil.example.toml");

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub store: StoreConfig,
    pub api: ApiConfig,
    pub scan: ScanConfig,
    pub accounts: Vec<AccountConfig>,
    pub organization: Option<OrganizationConfig>,
    pub schedules: Vec<ScheduleConfig>,
    pub delivery: DeliveryConfig,
    pub sinks: Vec<SinkConfig>,
    pub fleet: FleetConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite file (created with its folder if missing).
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
    /// A PostgreSQL store instead (`postgres://…`), which replicas can share.
    pub url: Option<String>,
    /// The environment variable holding that URL, to keep its password out of the file.
    pub url_env: Option<String>,
    /// Scan rows (and their scores and drift) older than this are deleted.
    #[serde(default = "default_scans_days")]
    pub retention_scans_days: u32,
    /// Resource changes (drift) older than this are deleted.
    #[serde(default = "default_scans_days")]
    pub retention_changes_days: u32,
    /// Delivered events older than this are deleted; undelivered ones never are.
    #[serde(default = "default_delivered_days")]
    pub retention_delivered_events_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Address of the HTTP API. Loopback by default: exposing it is a decision.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// File holding the bearer token (first line).
    pub token_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    /// Regions to scan in every account; empty with `all_regions = false` means the
    /// configured default region.
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub all_regions: bool,
    /// Accounts scanned at once.
    #[serde(default = "default_account_concurrency")]
    pub account_concurrency: usize,
    /// Calls in flight per service within one account.
    #[serde(default = "default_service_concurrency")]
    pub service_concurrency: usize,
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_call_timeout_secs")]
    pub call_timeout_secs: u64,
    /// Only these collectors; empty means all.
    #[serde(default)]
    pub services: Vec<String>,
    /// Extra rule folders, beside the built-in pack.
    #[serde(default)]
    pub rules_dirs: Vec<PathBuf>,
    #[serde(default = "yes")]
    pub builtin_rules: bool,
    pub mutelist: Option<PathBuf>,
    pub attestations: Option<PathBuf>,
    /// How long one rule may take on one resource before its result is ERROR.
    #[serde(default = "default_rule_budget_ms")]
    pub rule_budget_ms: u64,
    /// The team's conventions rules read (`[scan.settings]`): classification and
    /// ownership tag keys, allowed regions, the incident-response role's name pattern.
    #[serde(default)]
    pub settings: vigil_rules::Settings,
}

/// One account to scan, through a profile or a role (or the default chain).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A label for logs and the API; defaults to the account id once known.
    pub name: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// Overrides `[scan] regions` for this account.
    pub regions: Option<Vec<String>>,
}

/// AWS Organizations discovery: list the accounts from the management account or a
/// delegated administrator and scan each through a role of the same name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// Credentials for `organizations:ListAccounts` (the management or
    /// delegated-administrator account): a profile, a role, or the default chain.
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// The role assumed in every member account.
    pub member_role_name: String,
    pub member_external_id: Option<String>,
    /// Only these account ids (empty: all).
    #[serde(default)]
    pub include_accounts: Vec<String>,
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    pub name: Option<String>,
    /// Cron expression, five fields (or six with seconds first), in UTC.
    pub cron: String,
    /// Each run starts up to this many seconds late, at random, so that many daemons
    /// do not hit the AWS APIs in the same second.
    #[serde(default)]
    pub jitter_secs: u64,
}

/// How replicas sharing a PostgreSQL store divide the work (only with `store.url`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// A replica holds an account it scans, or a sink it delivers, this long past its
    /// last heartbeat (every third of it): how soon the work of a killed replica is
    /// taken over.
    #[serde(default = "default_lease_secs")]
    pub lease_secs: u64,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            lease_secs: default_lease_secs(),
        }
    }
}

fn default_lease_secs() -> u64 {
    60
}

impl StoreConfig {
    /// The PostgreSQL URL, from `url` or the variable `url_env` names; `None` for SQLite.
    /// The daemon and `config validate` both call it, so they accept the same settings.
    pub fn postgres_url(&self, env: EnvLookup<'_>) -> Result<Option<String>, String> {
        let url = match (&self.url, &self.url_env) {
            (Some(_), Some(_)) => return Err("set `url` or `url_env`, not both".into()),
            (Some(url), None) => url.clone(),
            (None, Some(name)) => env(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| format!("environment variable `{name}` is not set"))?,
            (None, None) => return Ok(None),
        };
        let url = url.trim().to_owned();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("the URL must start with postgres:// or postgresql://".into());
        }
        vigil_store::PostgresStore::check_url(&url).map_err(|e| e.to_string())?;
        Ok(Some(url))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// First retry delay after a failed delivery; doubles up to `max_backoff_secs`.
    #[serde(default = "default_min_backoff_secs")]
    pub min_backoff_secs: u64,
    #[serde(default = "default_max_backoff_secs")]
    pub max_backoff_secs: u64,
    /// A warning (log line and metric) when a sink's undelivered events exceed this.
    #[serde(default = "default_backlog_warn_events")]
    pub backlog_warn_events: u64,
    /// On shutdown, how long delivery may go on to flush the outbox.
    #[serde(default = "default_flush_secs")]
    pub shutdown_flush_secs: u64,
    /// On shutdown, how long a running scan may take to finish before it is cancelled.
    #[serde(default = "default_flush_secs")]
    pub shutdown_scan_secs: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_store_path(),
            url: None,
            url_env: None,
            retention_scans_days: default_scans_days(),
            retention_changes_days: default_scans_days(),
            retention_delivered_events_days: default_delivered_days(),
        }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: default_listen(),
            token_env: None,
            token_file: None,
        }
    }
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            regions: Vec::new(),
            all_regions: false,
            account_concurrency: default_account_concurrency(),
            service_concurrency: default_service_concurrency(),
            max_attempts: default_max_attempts(),
            call_timeout_secs: default_call_timeout_secs(),
            services: Vec::new(),
            rule_budget_ms: default_rule_budget_ms(),
            rules_dirs: Vec::new(),
            builtin_rules: true,
            mutelist: None,
            attestations: None,
            settings: vigil_rules::Settings::default(),
        }
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            min_backoff_secs: default_min_backoff_secs(),
            max_backoff_secs: default_max_backoff_secs(),
            backlog_warn_events: default_backlog_warn_events(),
            shutdown_flush_secs: default_flush_secs(),
            shutdown_scan_secs: default_flush_secs(),
        }
    }
}

fn default_store_path() -> PathBuf {
    PathBuf::from("vigil.db")
}
fn default_scans_days() -> u32 {
    180
}
fn default_delivered_days() -> u32 {
    30
}
fn default_listen() -> String {
    "127.0.0.1:9464".to_owned()
}
fn default_account_concurrency() -> usize {
    2
}
fn default_service_concurrency() -> usize {
    4
}
fn default_rule_budget_ms() -> u64 {
    1000
}
fn default_max_attempts() -> u32 {
    6
}
fn default_call_timeout_secs() -> u64 {
    30
}
fn yes() -> bool {
    true
}
fn default_min_backoff_secs() -> u64 {
    5
}
fn default_max_backoff_secs() -> u64 {
    600
}
fn default_backlog_warn_events() -> u64 {
    10_000
}
fn default_flush_secs() -> u64 {
    30
}

impl DeliveryConfig {
    /// The delay before retry number `attempts` (1-based): exponential, capped.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let secs = self
            .min_backoff_secs
            .max(1)
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_secs.max(1));
        Duration::from_secs(secs)
    }
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub line: Option<usize>,
    /// Dotted path of the field (`accounts[2].role_arn`).
    pub field: String,
    pub message: String,
}

/// Every problem found, with the file they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub path: PathBuf,
    pub issues: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} problem(s) in {}:",
            self.issues.len(),
            self.path.display()
        )?;
        for issue in &self.issues {
            match issue.line {
                Some(line) => write!(f, "  {}:{line}: ", self.path.display())?,
                None => write!(f, "  {}: ", self.path.display())?,
            }
            if issue.field.is_empty() {
                writeln!(f, "{}", issue.message)?;
            } else {
                writeln!(f, "{}: {}", issue.field, issue.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The file as sections, each kept with its position so errors can name a line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    store: Option<Spanned<toml::Value>>,
    api: Option<Spanned<toml::Value>>,
    scan: Option<Spanned<toml::Value>>,
    #[serde(default)]
    accounts: Vec<Spanned<toml::Value>>,
    organization: Option<Spanned<toml::Value>>,
    #[serde(default)]
    schedules: Vec<Spanned<toml::Value>>,
    delivery: Option<Spanned<toml::Value>>,
    #[serde(default)]
    sinks: Vec<Spanned<toml::Value>>,
    fleet: Option<Spanned<toml::Value>>,
}

/// Collects issues while the sections are read.
struct Issues<'a> {
    text: &'a str,
    issues: Vec<ConfigIssue>,
}

impl Issues<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    /// Records an issue. `line` is where its section starts; when the key at fault is
    /// written in that section (the last part of `field`, or the field serde calls
    /// unknown), the issue points at the key's own line instead.
    fn push(&mut self, line: Option<usize>, field: impl Into<String>, message: impl Into<String>) {
        let (field, message) = (field.into(), message.into());
        let key = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
            .or_else(|| field.rsplit_once('.').map(|(_, key)| key))
            .map(str::to_owned);
        let line = match (line, key) {
            (Some(start), Some(key)) => Some(self.key_line(start, &key).unwrap_or(start)),
            (line, _) => line,
        };
        self.issues.push(ConfigIssue {
            line,
            field,
            message,
        });
    }

    /// The line of `key = ...` in the section whose header is on line `start`.
    fn key_line(&self, start: usize, key: &str) -> Option<usize> {
        self.text
            .lines()
            .enumerate()
            .skip(start)
            .take_while(|(_, l)| !l.trim_start().starts_with('['))
            .find(|(_, l)| {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map(|(i, _)| i + 1)
    }

    /// Reads one section as `T`; on failure records the section, its line and serde's
    /// message (which names the field).
    fn section<T: serde::de::DeserializeOwned>(
        &mut self,
        field: &str,
        value: Spanned<toml::Value>,
    ) -> Option<(T, usize)> {
        let line = self.line_of(value.span().start);
        match value.into_inner().try_into::<T>() {
            Ok(parsed) => Some((parsed, line)),
            Err(err) => {
                self.push(Some(line), field, one_line(&err.to_string()));
                None
            }
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Looks variables up; the daemon passes the process environment, tests a map.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads and validates a configuration file; `services` are the collectors'
/// names (`vigil_collect::COLLECTORS`), which `[scan] services` must be among.
pub fn load(path: &Path, services: &[&str]) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigErrors {
        path: path.to_owned(),
        issues: vec![ConfigIssue {
            line: None,
            field: String::new(),
            message: format!("cannot read: {err}"),
        }],
    })?;
    parse(path, &text, &|name| std::env::var(name).ok(), services)
}

/// Validates configuration text; `path` is only for messages and relative paths.
/// The collectors' names come in as data, so that this module needs no AWS SDK (the
/// fuzz targets compile it on its own).
pub fn parse(
    path: &Path,
    text: &str,
    env: EnvLookup<'_>,
    services: &[&str],
) -> Result<Config, ConfigErrors> {
    let fail = |issues| ConfigErrors {
        path: path.to_owned(),
        issues,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        fail(vec![ConfigIssue {
            line,
            field: String::new(),
            message: one_line(err.message()),
        }])
    })?;
    let mut issues = Issues {
        text,
        issues: Vec::new(),
    };

    let path_set = raw
        .store
        .as_ref()
        .is_some_and(|v| v.get_ref().get("path").is_some());
    let (store, store_line) = raw
        .store
        .and_then(|v| issues.section::<StoreConfig>("store", v))
        .map_or((StoreConfig::default(), None), |(s, line)| (s, Some(line)));
    let postgres = match store.postgres_url(env) {
        Ok(url) => url.is_some(),
        Err(message) => {
            let field = if store.url.is_some() {
                "store.url"
            } else {
                "store.url_env"
            };
            issues.push(store_line, field, message);
            true
        }
    };
    if postgres && path_set {
        issues.push(
            store_line,
            "store.path",
            "a store is a SQLite `path` or a PostgreSQL `url`/`url_env`, not both",
        );
    }
    let fleet_line = raw.fleet.as_ref().map(|v| v.span().start);
    let fleet = raw
        .fleet
        .and_then(|v| issues.section::<FleetConfig>("fleet", v))
        .map(|(f, _)| f)
        .unwrap_or_default();
    if let Some(offset) = fleet_line {
        let line = Some(issues.line_of(offset));
        if !postgres {
            issues.push(
                line,
                "fleet",
                "replicas share a PostgreSQL store: set store.url or store.url_env",
            );
        }
        if fleet.lease_secs < 3 {
            issues.push(line, "fleet.lease_secs", "at least 3 seconds");
        }
    }
    let (api, api_line) = raw
        .api
        .and_then(|v| issues.section::<ApiConfig>("api", v))
        .map_or((ApiConfig::default(), None), |(a, line)| (a, Some(line)));
    let (scan, scan_line) = raw
        .scan
        .and_then(|v| issues.section::<ScanConfig>("scan", v))
        .map_or((ScanConfig::default(), None), |(s, line)| (s, Some(line)));
    let delivery = raw
        .delivery
        .and_then(|v| issues.section::<DeliveryConfig>("delivery", v))
        .map(|(d, _)| d)
        .unwrap_or_default();

    let mut accounts = Vec::new();
    for (i, value) in raw.accounts.into_iter().enumerate() {
        let field = format!("accounts[{i}]");
        if let Some((account, line)) = issues.section::<AccountConfig>(&field, value) {
            check_credentials(
                &mut issues,
                line,
                &field,
                account.profile.as_deref(),
                account.role_arn.as_deref(),
                account.external_id.as_deref(),
            );
            if let Some(regions) = &account.regions {
                check_regions(
                    &mut issues,
                    Some(line),
                    &format!("{field}.regions"),
                    regions,
                );
            }
            accounts.push(account);
        }
    }

    let organization = raw.organization.and_then(|value| {
        let (org, line) = issues.section::<OrganizationConfig>("organization", value)?;
        check_credentials(
            &mut issues,
            line,
            "organization",
            org.profile.as_deref(),
            org.role_arn.as_deref(),
            org.external_id.as_deref(),
        );
        if !valid_role_name(&org.member_role_name) {
            issues.push(
                Some(line),
                "organization.member_role_name",
                format!("`{}` is not an IAM role name", org.member_role_name),
            );
        }
        for (key, ids) in [
            ("include_accounts", &org.include_accounts),
            ("exclude_accounts", &org.exclude_accounts),
        ] {
            for id in ids.iter().filter(|id| !is_account_id(id)) {
                issues.push(
                    Some(line),
                    format!("organization.{key}"),
                    format!("`{id}` is not a 12-digit account id"),
                );
            }
        }
        Some(org)
    });
    if accounts.is_empty() && organization.is_none() {
        issues.push(
            None,
            "accounts",
            "nothing to scan: add an [[accounts]] entry or an [organization] section",
        );
    }

    let mut schedules = Vec::new();
    for (i, value) in raw.schedules.into_iter().enumerate() {
        let field = format!("schedules[{i}]");
        if let Some((schedule, line)) = issues.section::<ScheduleConfig>(&field, value) {
            match parse_cron(&schedule.cron) {
                Err(err) => issues.push(Some(line), format!("{field}.cron"), err),
                // `0 0 30 2 *` (30 February) parses, and never fires: a daemon with no
                // schedule and no warning.
                Ok(cron)
                    if cron
                        .find_next_occurrence(&chrono::Utc::now(), false)
                        .is_err() =>
                {
                    issues.push(
                        Some(line),
                        format!("{field}.cron"),
                        format!("`{}` never fires", schedule.cron),
                    )
                }
                Ok(_) => {}
            }
            if schedule.jitter_secs > 86_400 {
                issues.push(
                    Some(line),
                    format!("{field}.jitter_secs"),
                    "more than a day of jitter",
                );
            }
            schedules.push(schedule);
        }
    }

    check_regions(&mut issues, scan_line, "scan.regions", &scan.regions);
    if scan.all_regions && !scan.regions.is_empty() {
        issues.push(
            scan_line,
            "scan.all_regions",
            "give `regions` or `all_regions = true`, not both",
        );
    }
    for (field, value) in [
        ("scan.account_concurrency", scan.account_concurrency),
        ("scan.service_concurrency", scan.service_concurrency),
        ("scan.rule_budget_ms", scan.rule_budget_ms as usize),
    ] {
        if value == 0 {
            issues.push(scan_line, field, "must be at least 1");
        }
    }
    if let Err(err) = scan.settings.validate() {
        issues.push(
            scan_line,
            format!("scan.settings.{}", err.field),
            err.message,
        );
    }
    for service in scan
        .services
        .iter()
        .filter(|s| !services.contains(&s.as_str()))
    {
        issues.push(
            scan_line,
            "scan.services",
            format!(
                "unknown service `{service}`; known: {}",
                services.join(", ")
            ),
        );
    }

    if let Err(err) = SocketAddr::from_str(&api.listen) {
        issues.push(
            api_line,
            "api.listen",
            format!("`{}` is not an address: {err}", api.listen),
        );
    }
    match (&api.token_env, &api.token_file) {
        (None, None) => issues.push(
            api_line,
            "api",
            "set `token_env` or `token_file`: the API requires a bearer token",
        ),
        (Some(_), Some(_)) => issues.push(
            api_line,
            "api",
            "set one of `token_env` and `token_file`, not both",
        ),
        (Some(name), None) if env(name).is_none_or(|v| v.trim().is_empty()) => issues.push(
            api_line,
            "api.token_env",
            format!("environment variable `{name}` is not set"),
        ),
        (None, Some(file)) => match std::fs::read_to_string(file) {
            Err(err) => issues.push(
                api_line,
                "api.token_file",
                format!("`{}` is not a readable file: {err}", file.display()),
            ),
            // The daemon takes the first line: an empty one would be no token at all.
            Ok(text) if text.lines().next().unwrap_or("").trim().is_empty() => issues.push(
                api_line,
                "api.token_file",
                format!("`{}` holds no token on its first line", file.display()),
            ),
            Ok(_) => {}
        },
        _ => {}
    }
    if postgres {
        // No file to check.
    } else if store.path.is_dir() {
        issues.push(
            None,
            "store.path",
            format!(
                "`{}` is a directory; name the SQLite file in it",
                store.path.display()
            ),
        );
    } else if let Some(parent) = store
        .path
        .ancestors()
        .skip(1)
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        && !parent.is_dir()
    {
        issues.push(
            None,
            "store.path",
            format!("`{}` is a file, not a directory", parent.display()),
        );
    }
    for (field, path) in [
        ("scan.mutelist", scan.mutelist.as_ref()),
        ("scan.attestations", scan.attestations.as_ref()),
    ] {
        if let Some(path) = path
            && !path.is_file()
        {
            issues.push(
                scan_line,
                field,
                format!("`{}` is not a readable file", path.display()),
            );
        }
    }
    for (i, dir) in scan.rules_dirs.iter().enumerate() {
        if !dir.is_dir() {
            issues.push(
                scan_line,
                format!("scan.rules_dirs[{i}]"),
                format!("`{}` is not a directory", dir.display()),
            );
        }
    }

    let mut sinks = Vec::new();
    for (i, value) in raw.sinks.into_iter().enumerate() {
        let field = format!("sinks[{i}]");
        if let Some((sink, line)) = issues.section::<SinkConfig>(&field, value) {
            // The same checks as start-up, without creating a file.
            if let Err(err) = vigil_sink::validate_with_env(&sink, env) {
                issues.push(Some(line), field, err.to_string());
            }
            if sinks
                .iter()
                .any(|other: &SinkConfig| other.name() == sink.name())
            {
                issues.push(
                    Some(line),
                    format!("sinks[{i}].name"),
                    format!(
                        "a second sink named `{}`: names key the delivery state",
                        sink.name()
                    ),
                );
            }
            sinks.push(sink);
        }
    }

    if !issues.issues.is_empty() {
        return Err(fail(issues.issues));
    }
    Ok(Config {
        path: path.to_owned(),
        store,
        api,
        scan,
        accounts,
        organization,
        schedules,
        delivery,
        sinks,
        fleet,
    })
}

fn check_credentials(
    issues: &mut Issues<'_>,
    line: usize,
    field: &str,
    profile: Option<&str>,
    role_arn: Option<&str>,
    external_id: Option<&str>,
) {
    if let Some(arn) = role_arn
        && !is_role_arn(arn)
    {
        issues.push(
            Some(line),
            format!("{field}.role_arn"),
            format!("`{arn}` is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"),
        );
    }
    if external_id.is_some() && role_arn.is_none() {
        issues.push(
            Some(line),
            format!("{field}.external_id"),
            "an external id only goes with `role_arn`",
        );
    }
    if profile.is_some_and(str::is_empty) {
        issues.push(Some(line), format!("{field}.profile"), "empty profile name");
    }
}

fn check_regions(issues: &mut Issues<'_>, line: Option<usize>, field: &str, regions: &[String]) {
    for region in regions.iter().filter(|r| !is_region(r)) {
        issues.push(
            line,
            field,
            format!("`{region}` is not a region name (like eu-west-1)"),
        );
    }
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`.
fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && is_account_id(parts[4])
        && parts[5]
            .strip_prefix("role/")
            .and_then(|path| path.rsplit('/').next())
            .is_some_and(valid_role_name)
}

fn valid_role_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// A cron expression as the scheduler reads it: five fields, or six with seconds.
pub fn parse_cron(expression: &str) -> Result<croner::Cron, String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(expression)
        .map_err(|err| format!("`{expression}` is not a cron expression: {err}"))
}

#[cfg(test)]
mod tests;
