//! Findings as CSV, one row per finding, for spreadsheets and ad-hoc filtering.
//!
//! The columns are flat strings: list-valued mappings (epics, CIS and FSBP
//! controls) are joined with `;`, and the evidence is compact JSON in one cell.
//! Quoting is left to the `csv` crate so that commas, quotes and newlines in
//! titles, reasons and evidence never shift a column.

use std::io::{self, Write};

use vigil_rules::Finding;

/// The header row, in column order. Public so readers of the file can be
/// checked against it.
pub const CSV_HEADER: [&str; 20] = [
    "uid",
    "status",
    "severity",
    "rule_id",
    "title",
    "resource_id",
    "resource_type",
    "account",
    "region",
    "caf_component",
    "caf_capability",
    "waf_area",
    "waf_practice",
    "epics",
    "cis_v3",
    "cis_v4",
    "cis_v5",
    "fsbp",
    "reason",
    "evidence",
];

/// Writes a header row and one row per finding.
pub fn write_csv(w: impl Write, findings: &[Finding]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(w);
    writer.write_record(CSV_HEADER)?;
    for finding in findings {
        writer.write_record(row(finding))?;
    }
    writer.flush()
}

fn row(finding: &Finding) -> [String; 20] {
    let rule = &finding.rule;
    let resource = &finding.resource;
    let epics: Vec<&str> = rule.epics.iter().map(|e| e.id()).collect();
    // Evidence is string-keyed maps and JSON values, which always serialise;
    // the empty fallback only keeps this function total.
    let evidence = serde_json::to_string(&finding.evidence).unwrap_or_default();
    [
        finding.uid(),
        finding.status.as_str().to_string(),
        rule.severity.as_str().to_string(),
        rule.id.clone(),
        rule.title.clone(),
        resource.id.clone(),
        resource.resource_type.clone(),
        resource.account.clone(),
        resource.region.clone(),
        rule.caf.component.as_str().to_string(),
        rule.caf.capability.clone(),
        rule.waf.area.as_str().to_string(),
        rule.waf.practice.clone(),
        epics.join(";"),
        rule.compliance.cis_aws_v3.join(";"),
        rule.compliance.cis_aws_v4.join(";"),
        rule.compliance.cis_aws_v5.join(";"),
        rule.compliance.fsbp.join(";"),
        finding.reason.clone().unwrap_or_default(),
        evidence,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{finding, muted};
    use vigil_rules::Status;

    fn read_back(bytes: &[u8]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().unwrap().clone();
        let rows = reader.records().collect::<Result<Vec<_>, _>>().unwrap();
        (header, rows)
    }

    #[test]
    fn csv_round_trips_with_header_and_columns() {
        let findings = [
            finding(Status::Pass),
            finding(Status::Fail),
            muted(Status::Fail),
        ];
        let mut out = Vec::new();
        write_csv(&mut out, &findings).unwrap();
        let (header, rows) = read_back(&out);
        assert_eq!(header.iter().collect::<Vec<_>>(), CSV_HEADER);
        assert_eq!(rows.len(), findings.len());
        for row in &rows {
            assert_eq!(row.len(), CSV_HEADER.len());
        }
        let fail = &rows[1];
        let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).unwrap();
        assert_eq!(
            &fail[col("uid")],
            "vigil:s3_bucket_secure_transport_required:arn:aws:s3:::logs-bucket"
        );
        assert_eq!(&fail[col("status")], "FAIL");
        assert_eq!(&fail[col("severity")], "high");
        assert_eq!(&fail[col("caf_component")], "Preventive");
        assert_eq!(&fail[col("waf_area")], "Data");
        assert_eq!(&fail[col("waf_practice")], "SEC09-BP02");
        assert_eq!(
            &fail[col("epics")],
            "data_protection;infrastructure_security"
        );
        assert_eq!(&fail[col("cis_v3")], "2.1.1");
        assert_eq!(&fail[col("cis_v4")], "2.1.1");
        assert_eq!(&fail[col("cis_v5")], "2.1.1");
        assert_eq!(&fail[col("fsbp")], "S3.5");
        let evidence: serde_json::Value = serde_json::from_str(&fail[col("evidence")]).unwrap();
        assert_eq!(
            evidence["properties"]["policy.denies_insecure_transport"],
            false
        );
        assert_eq!(&rows[2][col("status")], "MUTED");
        assert_eq!(
            &rows[2][col("reason")],
            "accepted risk: legacy bucket, ticket SEC-42"
        );
    }

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        let mut f = finding(Status::Error);
        let awkward = "could not read policy, \"AccessDenied\"\nretry with s3:GetBucketPolicy";
        f.reason = Some(awkward.into());
        f.evidence
            .insert_property("note", serde_json::json!("a,b\nc"));
        let mut out = Vec::new();
        write_csv(&mut out, &[f.clone()]).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("\"could not read policy, \"\"AccessDenied\"\"\nretry"));

        let (_, rows) = read_back(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), CSV_HEADER.len());
        let col = |name: &str| CSV_HEADER.iter().position(|h| *h == name).unwrap();
        assert_eq!(&rows[0][col("reason")], awkward);
        let evidence: serde_json::Value = serde_json::from_str(&rows[0][col("evidence")]).unwrap();
        assert_eq!(evidence, serde_json::to_value(&f.evidence).unwrap());
    }

    #[test]
    fn csv_with_no_findings_is_just_the_header() {
        let mut out = Vec::new();
        write_csv(&mut out, &[]).unwrap();
        let (header, rows) = read_back(&out);
        assert_eq!(header.len(), CSV_HEADER.len());
        assert!(rows.is_empty());
    }
}
