//! The credential report: per-user sign-in facts (passwords, keys, MFA, last use)
//! and the root user's, parsed from the CSV IAM generates.

use super::*;
// ---------------------------------------------------------------------------------
// Credential report
// ---------------------------------------------------------------------------------

/// The credential report's rows: the root user's, and the users' by ARN.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct CredentialReport {
    pub(super) root: Option<ReportRow>,
    pub(super) users: HashMap<String, ReportRow>,
}

/// One row of the credential report, by column name.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct ReportRow(pub(super) HashMap<String, String>);

impl ReportRow {
    pub(super) fn get(&self, column: &str) -> Option<&str> {
        self.0.get(column).map(String::as_str)
    }

    /// `true`/`false` columns; anything else (`not_supported`, missing) is unknown.
    pub(super) fn flag(&self, column: &str) -> Option<bool> {
        match self.get(column) {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        }
    }

    /// A timestamp column: `Some(null)` for `N/A`/`no_information` (never, or not
    /// recorded), the UTC timestamp when it parses, `None` when unknown.
    pub(super) fn time(&self, column: &str) -> Option<Value> {
        match self.get(column)? {
            "" | "N/A" | "no_information" | "not_supported" => Some(Value::Null),
            text => report_timestamp(text).map(Value::String),
        }
    }

    /// The last use of the access key created at `created`, when exactly one of the
    /// row's two key slots was created (rotated) at that second.
    pub(super) fn key_last_used(&self, created: &DateTime) -> Option<LastUsed> {
        let created = smithy_timestamp(created)?;
        let mut slots = [1, 2].into_iter().filter(|n| {
            self.get(&format!("access_key_{n}_last_rotated"))
                .and_then(report_timestamp)
                .as_deref()
                == Some(created.as_str())
        });
        let slot = slots.next()?;
        if slots.next().is_some() {
            return None;
        }
        Some(LastUsed {
            date: self.time(&format!("access_key_{slot}_last_used_date"))?,
            service: known_text(self.get(&format!("access_key_{slot}_last_used_service"))),
        })
    }
}

/// A report timestamp (`2025-01-09T10:12:44+00:00`) as RFC 3339 UTC to the second.
pub(super) fn report_timestamp(text: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    })
}

/// An SDK timestamp in the same form as [`report_timestamp`], to compare the two.
pub(super) fn smithy_timestamp(t: &DateTime) -> Option<String> {
    chrono::DateTime::<Utc>::from_timestamp(t.secs(), 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub(super) fn parse_credential_report(content: &[u8]) -> Result<CredentialReport, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(content);
    let headers = reader.headers()?.clone();
    let mut report = CredentialReport::default();
    for record in reader.records() {
        let record = record?;
        let row = ReportRow(
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect(),
        );
        if row.get("user") == Some("<root_account>") {
            report.root = Some(row);
        } else if let Some(arn) = row.get("arn").map(str::to_owned) {
            report.users.insert(arn, row);
        }
    }
    Ok(report)
}

/// Asks IAM to (re)build the credential report, waits briefly while it is being built,
/// and reads it. Any failure is a gap on the account node; users then fall back to
/// per-user calls.
pub(super) async fn credential_report(ctx: &Ctx, client: &Client) -> Option<CredentialReport> {
    let node = crate::account_id(&ctx.account);
    for attempt in 1..=REPORT_ATTEMPTS {
        let out = ctx
            .detail(
                "iam:GenerateCredentialReport",
                &node,
                &[],
                client.generate_credential_report().send(),
            )
            .await
            .ok()
            .flatten()?;
        if matches!(out.state(), Some(ReportStateType::Complete)) || attempt == REPORT_ATTEMPTS {
            break;
        }
        tokio::time::sleep(REPORT_POLL).await;
    }
    let mut attempt = 0;
    let out = loop {
        attempt += 1;
        match ctx
            .call(
                "iam:GetCredentialReport",
                client.get_credential_report().send(),
            )
            .await
        {
            Ok(out) => break out,
            Err(err) if err.code == "ReportInProgress" && attempt < REPORT_ATTEMPTS => {
                tokio::time::sleep(REPORT_POLL).await;
            }
            Err(err) => {
                ctx.gap_resource("iam:GetCredentialReport", &node, &err);
                return None;
            }
        }
    };
    let content = out.content().map(|b| b.as_ref()).unwrap_or_default();
    match parse_credential_report(content) {
        Ok(report) => Some(report),
        Err(err) => {
            ctx.gap_resource(
                "iam:GetCredentialReport",
                &node,
                &CallError {
                    code: "ReportUnreadable".into(),
                    message: format!("the credential report is not valid CSV: {err}"),
                },
            );
            None
        }
    }
}
