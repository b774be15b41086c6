//! The dashboard served by the real daemon binary over a real SQLite store that holds
//! two scans (written through the store's own API, as the daemon writes them): every
//! page is refused without a session, the wrong token signs nobody in, the right one
//! gives an HttpOnly, SameSite=Strict cookie; then each page renders what the store
//! holds, with the security headers, and no served page names a URL outside the daemon.
//! The browser test (tests/browser/dashboard.test.mjs) drives the same pages in
//! Chromium against scans of a moto server.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::json;
use tempfile::TempDir;
use vigil_store::{
    FindingRecord, ResultCounts, ResultStatus, ScanOutcome, ScanStatus, ScanTrigger, ScoreSummary,
    SqliteStore, Store,
};

const TOKEN: &str = "dashboard-t0ken-for-tests";
const ACCOUNT: &str = "111122223333";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn bucket(name: &str, versioning: bool) -> vigil_inventory::Resource {
    serde_json::from_value(json!({
        "id": format!("arn:aws:s3:::{name}"),
        "type": "aws.s3.bucket",
        "account": ACCOUNT,
        "region": "us-east-1",
        "name": name,
        "tags": { "note": "<script>alert(1)</script>" },
        "properties": { "versioning": { "status": if versioning { "Enabled" } else { "Suspended" } } },
    }))
    .expect("a resource")
}

fn finding(name: &str, status: ResultStatus) -> FindingRecord {
    let resource = format!("arn:aws:s3:::{name}");
    FindingRecord {
        uid: format!("vigil:s3_bucket_versioning_enabled:{resource}"),
        rule_id: "s3_bucket_versioning_enabled".into(),
        resource_id: resource.clone(),
        resource_type: "aws.s3.bucket".into(),
        account: ACCOUNT.into(),
        region: "us-east-1".into(),
        status,
        status_detail: None,
        severity: "medium".into(),
        title: "S3 bucket versioning is enabled".into(),
        caf_component: "data_protection".into(),
        waf_area: "data_protection".into(),
        epics: vec!["data_protection".into()],
        body: json!({
            "resources": [{ "uid": resource, "name": name, "tags": [{ "name": "note", "value": "<script>alert(1)</script>" }] }],
            "unmapped": { "vigil": { "evidence": { "properties": { "versioning.status": "Suspended" } } } },
        }),
    }
}

/// Two scans: `a` fails then passes (RESOLVED, and drifts), `b` fails twice (OPEN),
/// `c` appears failing in the second (NEW).
fn seed(db: &Path) {
    let store = SqliteStore::open(db).unwrap();
    let scans = [
        (
            vec![bucket("a", false), bucket("b", false)],
            vec![
                finding("a", ResultStatus::Fail),
                finding("b", ResultStatus::Fail),
            ],
            1u8,
        ),
        (
            vec![bucket("a", true), bucket("b", false), bucket("c", false)],
            vec![
                finding("a", ResultStatus::Pass),
                finding("b", ResultStatus::Fail),
                finding("c", ResultStatus::Fail),
            ],
            2u8,
        ),
    ];
    for (i, (resources, findings, level)) in scans.into_iter().enumerate() {
        let started = Utc::now() - TimeDelta::minutes(60 - 10 * i as i64);
        let id = store
            .begin_scan(ACCOUNT, ScanTrigger::Schedule, started)
            .unwrap();
        store
            .record_inventory(id, ACCOUNT, &resources, &[])
            .unwrap();
        let present: HashSet<String> = resources.iter().map(|r| r.id.clone()).collect();
        store
            .record_results(id, ACCOUNT, &findings, &present, &mut |_| Vec::new())
            .unwrap();
        let summary = ScoreSummary {
            epic_levels: BTreeMap::from([("data_protection".to_owned(), level)]),
            ..ScoreSummary::default()
        };
        store
            .record_scores(id, ACCOUNT, &json!({}), &summary)
            .unwrap();
        let fail = findings
            .iter()
            .filter(|f| f.status == ResultStatus::Fail)
            .count() as u64;
        store
            .finish_scan(
                id,
                &ScanOutcome {
                    status: ScanStatus::Succeeded,
                    finished_at: started + TimeDelta::seconds(5),
                    counts: ResultCounts {
                        pass: findings.len() as u64 - fail,
                        fail,
                        error: 0,
                        muted: 0,
                    },
                    gaps: Vec::new(),
                    error: None,
                    api_calls: 7,
                },
            )
            .unwrap();
    }
}

struct Daemon {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Daemon {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    seed(&d.join("vigil.db"));
    std::fs::write(d.join("token"), format!("{TOKEN}\n")).unwrap();
    let port = free_port();
    let config = format!(
        "[store]\npath = \"{db}\"\n\n[api]\nlisten = \"127.0.0.1:{port}\"\ntoken_file = \"{token}\"\n\n\
         [scan]\nservices = [\"s3\"]\n\n[[accounts]]\nname = \"never-scanned\"\n\n\
         [[schedules]]\ncron = \"0 0 3 1 1 *\"\n",
        db = d.join("vigil.db").display(),
        token = d.join("token").display(),
    );
    std::fs::write(d.join("vigil.toml"), config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["daemon", "--config"])
        .arg(d.join("vigil.toml"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .env_remove("VIGIL_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil daemon starts");
    let daemon = Daemon {
        child,
        port,
        _dir: dir,
    };
    let started = Instant::now();
    while request(port, "GET", "/readyz", &[], "").0 != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the daemon did not get ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    daemon
}

/// Status, headers (lower-cased names) and body of one HTTP/1.1 request.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, Vec::new(), String::new());
    };
    let mut text = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    // minijinja's autoescape writes `/` as `&#x2f;` in text and attributes alike.
    (status, headers, body.replace("&#x2f;", "/"))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Signs in and returns the `Cookie` header value.
fn sign_in(port: u16) -> String {
    let body = format!("token={TOKEN}");
    let (status, headers, _) = request(
        port,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        &body,
    );
    assert_eq!(status, 303, "the right token signs in");
    assert_eq!(header(&headers, "location"), Some("/"));
    let cookie = header(&headers, "set-cookie").expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains(TOKEN), "the cookie is not the token");
    cookie.split(';').next().unwrap().to_owned()
}

const PAGES: [&str; 7] = [
    "/",
    "/accounts/111122223333",
    "/findings",
    "/findings?account=111122223333&status=RESOLVED",
    "/drift",
    "/drift?account=111122223333&resource=arn%3Aaws%3As3%3A%3A%3Aa",
    "/scans/2",
];

#[test]
fn pages_need_a_session_and_the_token_alone_gives_one() {
    let daemon = start();
    let port = daemon.port;
    for path in PAGES {
        let (status, headers, _) = request(port, "GET", path, &[], "");
        assert_eq!(status, 303, "{path} without a session");
        assert_eq!(header(&headers, "location"), Some("/login"), "{path}");
    }
    // A made-up session and the bearer token as a cookie are no sessions.
    for cookie in [
        "vigil_session=0000".to_owned(),
        format!("vigil_session={TOKEN}"),
    ] {
        let (status, _, _) = request(port, "GET", "/", &[("cookie", &cookie)], "");
        assert_eq!(status, 303, "{cookie}");
    }
    let (status, headers, body) = request(
        port,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        "token=wrong",
    );
    assert_eq!(status, 401);
    assert!(header(&headers, "set-cookie").is_none());
    assert!(body.contains("id=\"login-error\""));
    // Another site's form cannot even try.
    let (status, _, _) = request(
        port,
        "POST",
        "/login",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "https://evil.example"),
        ],
        &format!("token={TOKEN}"),
    );
    assert_eq!(status, 403);
    // The API still wants its bearer token; a session cookie is not one.
    let cookie = sign_in(port);
    let (status, _, _) = request(port, "GET", "/api/v1/scans", &[("cookie", &cookie)], "");
    assert_eq!(status, 401);
    // Signing out ends the session.
    let (status, headers, _) = request(port, "POST", "/logout", &[("cookie", &cookie)], "");
    assert_eq!(status, 303);
    assert!(
        header(&headers, "set-cookie")
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _, _) = request(port, "GET", "/", &[("cookie", &cookie)], "");
    assert_eq!(status, 303, "signed out");
}

#[test]
fn every_page_renders_the_store_and_names_no_outside_url() {
    let daemon = start();
    let port = daemon.port;
    let cookie = sign_in(port);
    let url = regex_lite_urls;
    for path in PAGES {
        let (status, headers, body) = request(port, "GET", path, &[("cookie", &cookie)], "");
        assert_eq!(status, 200, "{path}: {body}");
        let csp = header(&headers, "content-security-policy").expect("a CSP");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
        assert_eq!(header(&headers, "cache-control"), Some("no-store"));
        assert!(
            !body.contains("<script>alert(1)"),
            "{path}: markup from a tag is escaped"
        );
        assert!(!body.contains(TOKEN), "{path}: the token is in no page");
        let external = url(&body);
        assert!(external.is_empty(), "{path} names {external:?}");
    }
    let (_, _, overview) = request(port, "GET", "/", &[("cookie", &cookie)], "");
    assert!(overview.contains("data-account=\"111122223333\""));
    assert!(overview.contains("href=\"/scans/2\""));
    let (_, _, account) = request(port, "GET", PAGES[1], &[("cookie", &cookie)], "");
    assert_eq!(
        account.matches("class=\"dot \"").count(),
        2,
        "maturity over two scans"
    );
    let (_, _, findings) = request(port, "GET", "/findings", &[("cookie", &cookie)], "");
    for tab in [
        "All (3)",
        "Active (2)",
        "New (1)",
        "Open (1)",
        "Resolved (1)",
    ] {
        assert!(findings.contains(tab), "{tab}");
    }
    assert!(findings.contains("<script src=\"/assets/report.js\"></script>"));
    assert!(findings.contains("id=\"f-lifecycle\""));
    let (_, _, resolved) = request(port, "GET", PAGES[3], &[("cookie", &cookie)], "");
    assert_eq!(resolved.matches("\"lc\":\"RESOLVED\"").count(), 1);
    assert!(!resolved.contains("\"lc\":\"OPEN\""));
    let (_, _, drift) = request(port, "GET", "/drift", &[("cookie", &cookie)], "");
    assert!(
        drift.contains("data-resources=\"2\""),
        "a modified, c added"
    );
    assert!(drift.contains("/properties/versioning/status"));
    let (_, _, scan) = request(port, "GET", "/scans/2", &[("cookie", &cookie)], "");
    assert!(scan.contains("id=\"scan-status\">succeeded<"));
    let (status, _, _) = request(port, "GET", "/scans/99", &[("cookie", &cookie)], "");
    assert_eq!(status, 404);
    // The assets are the report's, served from the binary.
    for (name, kind) in [("vigil.css", "text/css"), ("report.js", "text/javascript")] {
        let (status, headers, body) = request(port, "GET", &format!("/assets/{name}"), &[], "");
        assert_eq!(status, 200);
        assert!(header(&headers, "content-type").unwrap().starts_with(kind));
        assert!(!body.is_empty());
        assert!(url(&body).is_empty(), "{name}");
    }
}

/// Every absolute URL (`scheme:` or `//`) in an attribute or a CSS `url()`.
fn regex_lite_urls(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["src=\"", "href=\"", "action=\"", "url("] {
        for (i, _) in text.match_indices(marker) {
            let rest = &text[i + marker.len()..];
            let value: String = rest
                .chars()
                .take_while(|c| !matches!(c, '"' | ')' | ' '))
                .collect();
            let scheme = value.split_once(':').is_some_and(|(s, _)| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            });
            if scheme || value.starts_with("//") {
                found.push(value);
            }
        }
    }
    found
}
