use std::collections::BTreeMap;
use std::sync::Arc;

use vigil_score::Attestations;

use super::*;
use crate::compliance::{Catalogue, ComplianceInput, reports};
use crate::test_support::{finding, muted, rule, scan};

const HOSTILE_NAME: &str = "</script><script>alert('name')</script><img src=x onerror=alert(1)>";
const HOSTILE_TAG: &str = "\"onerror=\"alert(2)\" x=\"<!--";

fn hostile(status: Status) -> Finding {
    let mut f = finding(status);
    let mut resource = (*f.resource).clone();
    resource.name = Some(HOSTILE_NAME.into());
    resource.id = format!("arn:aws:s3:::{HOSTILE_NAME}");
    resource.tags = BTreeMap::from([(HOSTILE_TAG.to_string(), HOSTILE_TAG.to_string())]);
    f.resource = Arc::new(resource);
    f.reason = Some(HOSTILE_TAG.into());
    f
}

fn card() -> Scorecard {
    Scorecard {
        caf_components: Vec::new(),
        waf_areas: Vec::new(),
        accounts: Vec::new(),
    }
}

fn render(findings: &[Finding]) -> String {
    let catalogue = Catalogue::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standards"),
    )
    .unwrap();
    let scorecard = card();
    let compliance = reports(&ComplianceInput {
        catalogue: &catalogue,
        rules: &[rule()],
        findings,
        scorecard: &scorecard,
        attestations: &Attestations::default(),
    });
    let mut facts = ScanFacts {
        accounts: vec!["123456789012".into()],
        regions: vec!["eu-west-1".into()],
        resources: 1,
        ..ScanFacts::default()
    };
    facts
        .gaps
        .push(format!("s3 in eu-west-1: AccessDenied on {HOSTILE_NAME}"));
    render_html(&HtmlInput {
        scan: &scan("scan-1"),
        facts: &facts,
        findings,
        scorecard: &scorecard,
        compliance: &compliance,
    })
    .unwrap()
}

/// The Content-Security-Policy, unescaped as the browser reads the attribute.
fn csp_of(html: &str) -> String {
    regex::Regex::new(r#"http-equiv="Content-Security-Policy" content="([^"]+)""#)
        .unwrap()
        .captures(html)
        .expect("a Content-Security-Policy")[1]
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x2b;", "+")
}

/// The page without the data element's content, and that content.
fn split_data(html: &str) -> (String, &str) {
    let marker = r#"<script type="application/json" id="vigil-data">"#;
    let start = html.find(marker).unwrap() + marker.len();
    let end = start + html[start..].find("</script>").unwrap();
    (
        format!("{}{}", &html[..start], &html[end..]),
        &html[start..end],
    )
}

/// The text between `<script type="application/json" id="vigil-data">` and its end.
fn data_of(html: &str) -> serde_json::Value {
    let start = html
        .find(r#"<script type="application/json" id="vigil-data">"#)
        .expect("the data element");
    let rest = &html[start..];
    let open_end = rest.find('>').unwrap() + 1;
    let close = rest.find("</script>").unwrap();
    serde_json::from_str(&rest[open_end..close]).expect("the data is JSON")
}

#[test]
fn the_report_holds_every_finding_worst_first() {
    let findings = [
        finding(Status::Pass),
        finding(Status::Fail),
        muted(Status::Fail),
    ];
    let html = render(&findings);
    for id in [
        "scan",
        "scores",
        "maturity",
        "compliance",
        "findings",
        "inventory",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "no section {id}"
        );
    }
    let data = data_of(&html);
    let rows = data["findings"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let statuses: Vec<&str> = rows.iter().map(|r| r["s"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["FAIL", "MUTED", "PASS"]);
    assert_eq!(
        data["rules"][0]["id"],
        "s3_bucket_secure_transport_required"
    );
    assert_eq!(rows[0]["sv"], "s3");
    // The compliance section names the failing CIS recommendation.
    assert!(html.contains("CIS AWS Foundations Benchmark v5.0.0"));
}

/// Resource names, tags and reasons are attacker-controlled: none of it may become
/// markup, in the server-rendered sections or in the data the script reads.
#[test]
fn hostile_names_and_tags_stay_text() {
    let html = render(&[hostile(Status::Fail), hostile(Status::Error)]);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the data and the script"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    // Inside the data element no `<` or `>` can appear at all...
    let (markup, data) = split_data(&html);
    assert!(!data.contains('<') && !data.contains('>'), "{data}");
    // ...and in the markup the hostile text is escaped.
    assert!(!markup.contains("<img"), "an injected element survived");
    assert!(!markup.contains("alert('name')"));
    assert!(
        !markup.contains("\"onerror="),
        "an injected attribute survived"
    );
    assert!(
        !markup.contains("<!--"),
        "an injected comment opener survived"
    );
    // The gap line is rendered by the template, escaped.
    assert!(html.contains("&lt;&#x2f;script&gt;") || html.contains("&lt;/script&gt;"));
    // The data still carries the exact text, for the script to show with textContent.
    let data = data_of(&html);
    assert_eq!(data["findings"][0]["n"], HOSTILE_NAME);
    assert_eq!(data["findings"][0]["tg"][HOSTILE_TAG], HOSTILE_TAG);
}

/// Nothing in the page points outside it: no `src`, `href`, `action` or CSS `url()`
/// with a scheme or a protocol-relative `//`, and the policy forbids fetches anyway.
#[test]
fn the_report_references_no_url_outside_itself() {
    let mut f = finding(Status::Fail);
    let mut resource = (*f.resource).clone();
    resource.name = Some("https://evil.example/x.js".into());
    f.resource = Arc::new(resource);
    let html = render(&[f]);
    let attribute = regex::Regex::new(
        r#"(?i)(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)"#,
    )
    .unwrap();
    let css_url = regex::Regex::new(r#"(?i)url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)"#).unwrap();
    let import = regex::Regex::new(r#"(?i)@import"#).unwrap();
    for re in [&attribute, &css_url, &import] {
        let hits: Vec<&str> = re.find_iter(&html).map(|m| m.as_str()).collect();
        assert!(hits.is_empty(), "{re}: {hits:?}");
    }
    // References (documentation URLs) are in the data as text, never as links.
    assert!(!html.contains("href=\"https://docs.aws.amazon.com"));
    let csp = csp_of(&html);
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

/// The policy admits exactly the inline stylesheet and script the page holds, so a
/// change to either without its hash would leave the report unstyled and dead.
#[test]
fn the_policy_hashes_are_those_of_the_inline_style_and_script() {
    let html = render(&[finding(Status::Fail)]);
    let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    let script_start = html.rfind("<script>").unwrap() + 8;
    let script = &html[script_start..html.rfind("</script>").unwrap()];
    assert_eq!(style, STYLESHEET);
    assert_eq!(script, SCRIPT);
    let csp = csp_of(&html);
    assert!(
        csp.contains(&format!("style-src {}", csp_hash(style))),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("script-src {}", csp_hash(script))),
        "{csp}"
    );
}

#[test]
fn script_safe_json_means_the_same() {
    let value = serde_json::json!({ "a": "</script><!-- & \u{2028}", "<k>": 1 });
    let text = script_safe(&value.to_string());
    assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        value
    );
}

#[test]
fn attack_paths_come_from_path_properties() {
    let mut f = finding(Status::Fail);
    f.evidence.insert_property(
        "admin_path_text",
        serde_json::json!("dev --[sts_assume_role]--> admin"),
    );
    f.evidence.insert_property(
        "escalation_path",
        serde_json::json!(["dev", "deployer", "admin"]),
    );
    assert_eq!(
        attack_path(&f),
        vec!["dev --[sts_assume_role]--> admin", "dev\ndeployer\nadmin"]
    );
    let html = render(&[f, finding(Status::Fail)]);
    let data = data_of(&html);
    assert_eq!(data["findings"][0]["p"][1], "dev\ndeployer\nadmin");
    assert!(data["findings"][1].get("p").is_none());
    assert!(html.contains("1 failure(s) with an attack path"));
}

/// Every template parses (the environment only logs a broken one).
#[test]
fn every_template_parses() {
    let env = environment();
    for (name, _) in TEMPLATES {
        env.get_template(name)
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    }
}
