//! What a scan covered, per account: the services collected, those left out on purpose
//! and those that failed somewhere. The terminal summary and the OCSF scan summary both
//! state it, so a reader knows which results could exist at all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vigil_inventory::{Coverage, CoverageStatus};

/// One account's coverage, services sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCoverage {
    pub account: String,
    /// Services collected in every scope they run in.
    pub collected: Vec<String>,
    /// Services left out of the scan: nothing about them is judged.
    pub excluded: Vec<String>,
    /// Services with at least one failed call, as `service in region: codes (n gaps)`.
    pub failed: Vec<String>,
}

/// Groups coverage entries by account. A service counts as failed when any of its
/// scopes failed, and as collected only when every scope was.
pub fn by_account(coverage: &[Coverage]) -> Vec<AccountCoverage> {
    let mut accounts: BTreeMap<&str, BTreeMap<&str, Vec<&Coverage>>> = BTreeMap::new();
    for c in coverage {
        accounts
            .entry(c.account.as_str())
            .or_default()
            .entry(c.service.as_str())
            .or_default()
            .push(c);
    }
    accounts
        .into_iter()
        .map(|(account, services)| {
            let mut out = AccountCoverage {
                account: account.to_owned(),
                ..AccountCoverage::default()
            };
            for (service, scopes) in services {
                let failed: Vec<&&Coverage> = scopes
                    .iter()
                    .filter(|c| c.status == CoverageStatus::Failed)
                    .collect();
                if !failed.is_empty() {
                    for c in failed {
                        out.failed.push(format!(
                            "{service} in {}: {} ({} gap{})",
                            c.region,
                            c.reason,
                            c.gaps,
                            if c.gaps == 1 { "" } else { "s" }
                        ));
                    }
                } else if scopes.iter().all(|c| c.status == CoverageStatus::Excluded) {
                    out.excluded.push(service.to_owned());
                } else {
                    out.collected.push(service.to_owned());
                }
            }
            out
        })
        .collect()
}

/// The summary's lines: one per account, then one per failed service scope.
pub fn lines(coverage: &[AccountCoverage]) -> Vec<String> {
    let mut out = Vec::new();
    for a in coverage {
        let mut line = format!(
            "account {}: {} service(s) collected",
            a.account,
            a.collected.len()
        );
        if !a.failed.is_empty() {
            line.push_str(&format!(", {} with failed calls", a.failed.len()));
        }
        if !a.excluded.is_empty() {
            line.push_str(&format!(
                "; excluded from the scan, so not judged: {}",
                a.excluded.join(", ")
            ));
        }
        out.push(line);
        for f in &a.failed {
            out.push(format!("  failed: {f}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(service: &str, region: &str, status: CoverageStatus, gaps: usize) -> Coverage {
        Coverage {
            service: service.into(),
            account: "111122223333".into(),
            region: region.into(),
            status,
            reason: if gaps > 0 {
                "AccessDenied".into()
            } else {
                String::new()
            },
            gaps,
        }
    }

    #[test]
    fn groups_services_by_how_they_were_covered() {
        let coverage = vec![
            entry("iam", "global", CoverageStatus::Collected, 0),
            entry("guardduty", "us-east-1", CoverageStatus::Excluded, 0),
            entry("guardduty", "eu-west-1", CoverageStatus::Excluded, 0),
            entry("cloudtrail", "us-east-1", CoverageStatus::Collected, 0),
            entry("cloudtrail", "eu-west-1", CoverageStatus::Failed, 2),
        ];
        let grouped = by_account(&coverage);
        assert_eq!(grouped.len(), 1);
        assert_eq!(grouped[0].collected, vec!["iam"]);
        assert_eq!(grouped[0].excluded, vec!["guardduty"]);
        assert_eq!(
            grouped[0].failed,
            vec!["cloudtrail in eu-west-1: AccessDenied (2 gaps)"]
        );
        let text = lines(&grouped).join("\n");
        assert!(
            text.contains("excluded from the scan, so not judged: guardduty"),
            "{text}"
        );
    }
}
