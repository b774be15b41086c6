//! The mutelist: accepted risks, each with a reason and an expiry date. A muted
//! finding keeps its original status beside MUTED; an expired entry stops muting and
//! is reported, so that acceptances are reviewed rather than forgotten.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::finding::{Finding, Status};

/// The mutelist file as written.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MutelistFile {
    pub mutes: Vec<MuteEntry>,
}

/// One accepted risk. Patterns are globs (`*`, `?`, `[a-z]`); an omitted pattern
/// matches everything. Every listed tag must match.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteEntry {
    #[serde(default = "star")]
    pub rule: String,
    #[serde(default = "star")]
    pub resource: String,
    #[serde(default = "star")]
    pub account: String,
    #[serde(default = "star")]
    pub region: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Why the risk is accepted, and by whom.
    pub reason: String,
    /// Last day the entry mutes (YYYY-MM-DD).
    pub expires: NaiveDate,
}

fn star() -> String {
    "*".to_owned()
}

#[derive(Debug, Error)]
pub enum MutelistError {
    #[error("cannot read mutelist {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("mutelist {path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        path: String,
        line: Option<usize>,
        message: String,
    },
}

/// An entry whose expiry date has passed; it no longer mutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredMute {
    pub index: usize,
    pub rule: String,
    pub resource: String,
    pub reason: String,
    pub expired: NaiveDate,
}

#[derive(Debug)]
struct Compiled {
    entry: MuteEntry,
    rule: GlobMatcher,
    resource: GlobMatcher,
    account: GlobMatcher,
    region: GlobMatcher,
    tags: Vec<(String, GlobMatcher)>,
}

/// A loaded mutelist.
#[derive(Debug, Default)]
pub struct Mutelist {
    entries: Vec<Compiled>,
}

impl Mutelist {
    pub fn load(path: &Path) -> Result<Mutelist, MutelistError> {
        let text = std::fs::read_to_string(path).map_err(|source| MutelistError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Mutelist::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a mutelist; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Mutelist, MutelistError> {
        let invalid = |line, message| MutelistError::Invalid {
            path: origin.to_owned(),
            line,
            message,
        };
        let file: MutelistFile = serde_saphyr::from_str(text).map_err(|e| {
            invalid(
                e.location().map(|l| l.line() as usize),
                e.to_string().lines().next().unwrap_or("").to_owned(),
            )
        })?;
        let glob = |field: &str, index: usize, pattern: &str| {
            Glob::new(pattern)
                .map(|g| g.compile_matcher())
                .map_err(|e| invalid(None, format!("mutes[{index}].{field}: {e}")))
        };
        let mut entries = Vec::new();
        for (index, entry) in file.mutes.into_iter().enumerate() {
            if entry.reason.trim().is_empty() {
                return Err(invalid(
                    None,
                    format!("mutes[{index}].reason: every mute needs a reason"),
                ));
            }
            // An entry with no pattern (or only `*`) would mute every finding of every
            // scan, and `--fail-on` would never fire again.
            let catch_all = |p: &str| p.chars().all(|c| c == '*');
            if entry.tags.is_empty()
                && [&entry.rule, &entry.resource, &entry.account, &entry.region]
                    .iter()
                    .all(|p| catch_all(p))
            {
                return Err(invalid(
                    None,
                    format!(
                        "mutes[{index}]: matches every finding; name at least a rule, resource, account, region or tag"
                    ),
                ));
            }
            let tags = entry
                .tags
                .iter()
                .map(|(k, v)| Ok((k.clone(), glob(&format!("tags.{k}"), index, v)?)))
                .collect::<Result<Vec<_>, MutelistError>>()?;
            entries.push(Compiled {
                rule: glob("rule", index, &entry.rule)?,
                resource: glob("resource", index, &entry.resource)?,
                account: glob("account", index, &entry.account)?,
                region: glob("region", index, &entry.region)?,
                tags,
                entry,
            });
        }
        Ok(Mutelist { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Mutes FAIL and ERROR findings that a live entry matches, and returns the
    /// entries that have expired (as of `today`).
    pub fn apply(&self, findings: &mut [Finding], today: NaiveDate) -> Vec<ExpiredMute> {
        let expired: Vec<ExpiredMute> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, c)| c.entry.expires < today)
            .map(|(index, c)| ExpiredMute {
                index,
                rule: c.entry.rule.clone(),
                resource: c.entry.resource.clone(),
                reason: c.entry.reason.clone(),
                expired: c.entry.expires,
            })
            .collect();
        for expired in &expired {
            tracing::warn!(
                entry = expired.index,
                rule = %expired.rule,
                resource = %expired.resource,
                expired = %expired.expired,
                "mutelist entry has expired and no longer mutes; review it"
            );
        }
        let live: Vec<&Compiled> = self
            .entries
            .iter()
            .filter(|c| c.entry.expires >= today)
            .collect();
        if live.is_empty() {
            return expired;
        }
        for finding in findings.iter_mut() {
            if !matches!(finding.status, Status::Fail | Status::Error) {
                continue;
            }
            if let Some(hit) = live.iter().find(|c| c.matches(finding)) {
                finding.muted_status = Some(finding.status);
                finding.status = Status::Muted;
                finding.reason = Some(format!(
                    "muted until {}: {}",
                    hit.entry.expires, hit.entry.reason
                ));
            }
        }
        expired
    }
}

impl Compiled {
    fn matches(&self, f: &Finding) -> bool {
        self.rule.is_match(&f.rule.id)
            && self.resource.is_match(&f.resource.id)
            && self.account.is_match(&f.resource.account)
            && self.region.is_match(&f.resource.region)
            && self
                .tags
                .iter()
                .all(|(key, value)| f.resource.tags.get(key).is_some_and(|v| value.is_match(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Evidence, ResourceRef};
    use crate::mapping::{CafComponent, Epic, Severity, WafArea};
    use crate::rule::{CafMapping, Compliance, Remediation, RuleFile, RuleStatus, WafMapping};
    use std::sync::Arc;

    fn finding(rule: &str, resource: &str, status: Status, tags: &[(&str, &str)]) -> Finding {
        Finding {
            rule: Arc::new(RuleFile {
                id: rule.into(),
                title: "t".into(),
                severity: Severity::High,
                resource: "aws.s3.bucket".into(),
                description: "d".into(),
                rationale: "r".into(),
                condition: "true".into(),
                applies_when: None,
                caf: CafMapping {
                    component: CafComponent::Preventive,
                    capability: "Data protection".into(),
                },
                waf: WafMapping {
                    area: WafArea::Data,
                    practice: "SEC08-BP04".into(),
                },
                epics: vec![Epic::DataProtection],
                compliance: Compliance::default(),
                remediation: Remediation {
                    text: "fix".into(),
                    cli: None,
                    terraform: None,
                },
                references: vec![],
                status: RuleStatus::Stable,
                since: None,
                organization_wide: false,
            }),
            resource: Arc::new(ResourceRef {
                id: resource.into(),
                resource_type: "aws.s3.bucket".into(),
                account: "111122223333".into(),
                region: "global".into(),
                name: None,
                tags: tags
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            }),
            status,
            reason: None,
            muted_status: None,
            evidence: Evidence::default(),
        }
    }

    const LIST: &str = r#"
mutes:
  - rule: s3_bucket_policy_*
    resource: "arn:aws:s3:::public-*"
    reason: public website, reviewed by the web team
    expires: 2027-03-31
  - rule: "*"
    tags: {env: "sandbox*"}
    reason: sandbox accounts are out of scope
    expires: 2027-01-01
  - rule: s3_bucket_versioning_enabled
    reason: temporary
    expires: 2026-10-31
"#;

    #[test]
    fn mutes_matching_failures_with_reason_and_keeps_the_original_status() {
        let list = Mutelist::parse(LIST, "mutelist.yaml").unwrap();
        let mut findings = vec![
            finding(
                "s3_bucket_policy_not_public",
                "arn:aws:s3:::public-site",
                Status::Fail,
                &[],
            ),
            finding(
                "s3_bucket_policy_not_public",
                "arn:aws:s3:::private",
                Status::Fail,
                &[],
            ),
            finding(
                "s3_bucket_policy_not_public",
                "arn:aws:s3:::public-ok",
                Status::Pass,
                &[],
            ),
            finding(
                "kms_key_rotation_enabled",
                "key",
                Status::Error,
                &[("env", "sandbox-3")],
            ),
        ];
        let expired = list.apply(&mut findings, "2026-11-23".parse().unwrap());
        assert_eq!(findings[0].status, Status::Muted);
        assert_eq!(findings[0].muted_status, Some(Status::Fail));
        assert!(
            findings[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("public website")
        );
        assert_eq!(findings[1].status, Status::Fail, "other resource not muted");
        assert_eq!(findings[2].status, Status::Pass, "passes are never muted");
        assert_eq!(findings[3].status, Status::Muted, "tag pattern matches");
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].rule, "s3_bucket_versioning_enabled");
    }

    #[test]
    fn an_expired_entry_stops_muting() {
        let list = Mutelist::parse(LIST, "mutelist.yaml").unwrap();
        let mut findings = vec![finding(
            "s3_bucket_versioning_enabled",
            "b",
            Status::Fail,
            &[],
        )];
        list.apply(&mut findings, "2026-10-31".parse().unwrap());
        assert_eq!(
            findings[0].status,
            Status::Muted,
            "still live on its last day"
        );
        let mut findings = vec![finding(
            "s3_bucket_versioning_enabled",
            "b",
            Status::Fail,
            &[],
        )];
        let expired = list.apply(&mut findings, "2026-11-01".parse().unwrap());
        assert_eq!(findings[0].status, Status::Fail);
        assert_eq!(expired.len(), 1);
    }

    #[test]
    fn bad_mutelists_are_errors_that_say_where() {
        let err = Mutelist::parse(
            "mutes:\n  - rule: x\n    reason: \"\"\n    expires: 2027-01-01\n",
            "m.yaml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("mutes[0].reason"), "{err}");
        let err = Mutelist::parse("mutes:\n  - rule: x\n    reason: r\n", "m.yaml").unwrap_err();
        assert!(err.to_string().contains("expires"), "{err}");
        let err = Mutelist::parse(
            "mutes:\n  - rule: \"[\"\n    reason: r\n    expires: 2027-01-01\n",
            "m.yaml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("mutes[0].rule"), "{err}");
        let err = Mutelist::parse(
            "mutes:\n  - rule: x\n    reason: r\n    expires: soon\n",
            "m.yaml",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("mutelist m.yaml"), "{err}");
    }

    /// A mutelist entry with no patterns muted every finding (114 FAIL and 15 ERROR),
    /// and `--fail-on low` then exited 0.
    #[test]
    fn a_mutelist_entry_with_no_patterns_is_refused() {
        for entry in [
            "  - reason: accepted\n    expires: 2099-01-01\n",
            "  - rule: \"*\"\n    resource: \"**\"\n    reason: accepted\n    expires: 2099-01-01\n",
        ] {
            let err = Mutelist::parse(&format!("mutes:\n{entry}"), "m.yaml").unwrap_err();
            assert!(err.to_string().contains("matches every finding"), "{err}");
        }
        // One named pattern is enough.
        Mutelist::parse(
            "mutes:\n  - account: \"111122223333\"\n    reason: sandbox\n    expires: 2099-01-01\n",
            "m.yaml",
        )
        .unwrap();
    }
}
