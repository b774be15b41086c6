//! What a scan actually evaluated, so that a partial scan resolves nothing it did not
//! look at.
//!
//! The store resolves an open finding "by absence" when the scan did not report it and
//! did not see its resource: the resource is taken to be gone. That inference only
//! holds where the scan looked. A resource in a region this scan did not cover (the
//! account's `regions` changed), of a type whose listing failed (a gap) or whose
//! service was left out (`scan.services`), or judged by a rule this daemon no longer
//! loads, was not seen because nobody looked, and its findings must stay as they are:
//! otherwise every sink, Security Hub first, would close them (and archive them) and
//! reopen them on the next full scan.
//!
//! [`out_of_view`] lists the resources of such findings; the scanner adds them to the
//! resources the store treats as present.

use std::collections::HashSet;

use vigil_inventory::{Coverage, CoverageStatus, GLOBAL_REGION, Gap};
use vigil_store::{FindingFilter, MAX_PAGE_SIZE, PageRequest, StatusFilter, Store};

/// The reach of one account's scan.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    /// Regions the collection covered.
    pub regions: HashSet<String>,
    pub gaps: Vec<Gap>,
    pub coverage: Vec<Coverage>,
    /// Rules the daemon evaluates.
    pub rules: HashSet<String>,
}

impl Scope {
    /// Did the scan evaluate `rule` on resources of `resource_type` in `region`?
    pub fn evaluated(&self, rule: &str, resource_type: &str, region: &str) -> bool {
        let service = service_of(resource_type);
        self.rules.contains(rule)
            && (region.is_empty() || region == GLOBAL_REGION || self.regions.contains(region))
            && !self
                .gaps
                .iter()
                .any(|g| g.covers_type(resource_type, &self.account, Some(region)))
            && !self.coverage.iter().any(|c| {
                c.status == CoverageStatus::Excluded
                    && c.covers(service, &self.account, Some(region))
            })
    }
}

/// The collector a resource type comes from: `aws.<service>.<kind>` (`aws.s3.bucket`
/// comes from `s3`).
fn service_of(resource_type: &str) -> &str {
    resource_type
        .strip_prefix("aws.")
        .and_then(|rest| rest.split('.').next())
        .unwrap_or(resource_type)
}

/// Resources of the account's open findings that the scan did not evaluate.
pub fn out_of_view(store: &dyn Store, scope: &Scope) -> vigil_store::Result<HashSet<String>> {
    let filter = FindingFilter {
        account: Some(scope.account.clone()),
        status: Some(StatusFilter::Active),
        ..Default::default()
    };
    let mut page = PageRequest {
        limit: MAX_PAGE_SIZE,
        after: None,
    };
    let mut out = HashSet::new();
    loop {
        let found = store.list_findings(&filter, &page)?;
        for f in found.items {
            if !scope.evaluated(&f.rule_id, &f.resource_type, &f.region) {
                out.insert(f.resource_id);
            }
        }
        match found.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            account: "111111111111".into(),
            regions: ["us-east-1".to_owned()].into(),
            gaps: vec![Gap {
                service: "ec2".into(),
                operation: "DescribeSecurityGroups".into(),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                resource_types: vec!["aws.ec2.security_group".into()],
                resource: None,
                error_code: "AccessDenied".into(),
                message: String::new(),
            }],
            coverage: vec![Coverage {
                service: "sqs".into(),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                status: CoverageStatus::Excluded,
                reason: "scan.services".into(),
                gaps: 0,
            }],
            rules: [
                "s3_rule".to_owned(),
                "ec2_rule".to_owned(),
                "sqs_rule".to_owned(),
            ]
            .into(),
        }
    }

    #[test]
    fn only_what_the_scan_looked_at_counts_as_evaluated() {
        let s = scope();
        assert!(s.evaluated("s3_rule", "aws.s3.bucket", "us-east-1"));
        assert!(s.evaluated("s3_rule", "aws.iam.user", GLOBAL_REGION));
        // A region the scan did not cover.
        assert!(!s.evaluated("s3_rule", "aws.s3.bucket", "eu-west-1"));
        // A rule this daemon does not load.
        assert!(!s.evaluated("retired_rule", "aws.s3.bucket", "us-east-1"));
        // A type whose listing failed.
        assert!(!s.evaluated("ec2_rule", "aws.ec2.security_group", "us-east-1"));
        assert!(s.evaluated("ec2_rule", "aws.ec2.instance", "us-east-1"));
        // A service left out of the scan.
        assert!(!s.evaluated("sqs_rule", "aws.sqs.queue", "us-east-1"));
    }

    fn record(
        rule: &str,
        resource: &str,
        resource_type: &str,
        region: &str,
    ) -> vigil_store::FindingRecord {
        vigil_store::FindingRecord {
            uid: format!("vigil:{rule}:{resource}"),
            rule_id: rule.into(),
            resource_id: resource.into(),
            resource_type: resource_type.into(),
            account: "111111111111".into(),
            region: region.into(),
            status: vigil_store::ResultStatus::Fail,
            status_detail: None,
            severity: "high".into(),
            title: "t".into(),
            caf_component: "Preventive".into(),
            waf_area: "Data protection".into(),
            epics: vec![],
            body: serde_json::json!({}),
        }
    }

    /// The store resolves by absence what is not in `present`; with the resources
    /// `out_of_view` adds, a scan of us-east-1 only, whose security-group listing
    /// failed, resolves the bucket that is gone and nothing it did not look at.
    #[test]
    fn a_partial_scan_resolves_only_what_it_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let store = vigil_store::SqliteStore::open(dir.path().join("v.db")).unwrap();
        let now = chrono::Utc::now();
        let everything = [
            record("s3_rule", "arn:aws:s3:::gone", "aws.s3.bucket", "us-east-1"),
            record("s3_rule", "arn:aws:s3:::eu", "aws.s3.bucket", "eu-west-1"),
            record("ec2_rule", "sg-1", "aws.ec2.security_group", "us-east-1"),
            record("sqs_rule", "q-1", "aws.sqs.queue", "us-east-1"),
            record(
                "retired_rule",
                "arn:aws:s3:::kept",
                "aws.s3.bucket",
                "us-east-1",
            ),
        ];
        let first = store
            .begin_scan("111111111111", vigil_store::ScanTrigger::Api, now)
            .unwrap();
        let all: HashSet<String> = everything.iter().map(|r| r.resource_id.clone()).collect();
        store
            .record_results(first, "111111111111", &everything, &all, &mut |_| {
                Vec::new()
            })
            .unwrap();

        // The second scan saw nothing: the bucket in us-east-1 is gone, the rest was
        // out of its view.
        let second = store
            .begin_scan("111111111111", vigil_store::ScanTrigger::Api, now)
            .unwrap();
        let present = out_of_view(&store, &scope()).unwrap();
        let expected: HashSet<String> = ["arn:aws:s3:::eu", "sg-1", "q-1", "arn:aws:s3:::kept"]
            .map(String::from)
            .into();
        assert_eq!(present, expected);
        let transitions = store
            .record_results(second, "111111111111", &[], &present, &mut |_| Vec::new())
            .unwrap();
        let resolved: Vec<&str> = transitions.iter().map(|t| t.uid.as_str()).collect();
        assert_eq!(resolved, ["vigil:s3_rule:arn:aws:s3:::gone"]);
    }
}
