//! The daemon on its own, without the emulators: what it accepts (the same as `config
//! validate`), and what it leaves behind when it is stopped or killed before its first
//! call to AWS answers. An endpoint that accepts connections and never replies stands
//! in for a stalled STS (`AWS_ENDPOINT_URL` points every SDK client at it).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const TOKEN: &str = "t0ken-for-tests";

fn path_str(path: &Path) -> String {
    path.to_str().expect("test paths are UTF-8").to_owned()
}

/// Exit status and stderr of `vigil ARGS`.
fn vigil(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_LOG")
        .output()
        .expect("the vigil binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `vigil daemon --config PATH` until it exits or `wait` passes; `None` when it
/// was still running (it was then stopped with SIGKILL).
fn daemon_exit(config: &Path, wait: Duration) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["daemon", "--config", &path_str(config)])
        .env("NO_COLOR", "1")
        .env_remove("VIGIL_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < wait {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return Some((status.code().unwrap_or(-1), stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// `config validate` said "valid" for configurations the daemon then refused: an empty
/// token file, a store or sink path that is a directory, zero batch sizes, a missing
/// rules directory or mutelist, a mutelist that does not parse. Each of these, and a
/// good configuration, goes through both; they must agree. A cron that never fires is
/// refused too: it left a daemon with no schedule and no warning.
#[test]
fn config_validate_accepts_exactly_what_the_daemon_starts_with() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::write(d.join("token"), "t0ken-for-tests\n").unwrap();
    std::fs::write(d.join("empty-token"), "\n").unwrap();
    std::fs::write(
        d.join("bad-mutelist.yaml"),
        "mutes:\n  - reason: all\n    expires: 2099-01-01\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("a-dir")).unwrap();
    let port = free_port();
    let base = |api_token: &str, store: &str, extra: &str| {
        format!(
            "[store]\npath = \"{store}\"\n\n[api]\nlisten = \"127.0.0.1:{port}\"\ntoken_file = \"{api_token}\"\n\n[[accounts]]\nprofile = \"none\"\n\n[[schedules]]\ncron = \"0 3 * * *\"\n{extra}",
        )
    };
    let token = path_str(&d.join("token"));
    let store = path_str(&d.join("vigil.db"));
    let with_store = |settings: &str| {
        base(&token, &store, "").replace(&format!("path = \"{store}\"\n"), &format!("{settings}\n"))
    };
    let mut cases: Vec<(&str, String, bool)> = vec![
        ("good", base(&token, &store, ""), true),
        (
            "empty token file",
            base(&path_str(&d.join("empty-token")), &store, ""),
            false,
        ),
        (
            "store path is a directory",
            base(&token, &path_str(&d.join("a-dir")), ""),
            false,
        ),
        (
            "sink path is a directory",
            base(
                &token,
                &store,
                &format!(
                    "\n[[sinks]]\ntype = \"file\"\npath = \"{}\"\n",
                    path_str(&d.join("a-dir"))
                ),
            ),
            false,
        ),
        (
            "zero batch size",
            base(
                &token,
                &store,
                &format!(
                    "\n[[sinks]]\ntype = \"file\"\npath = \"{}\"\nmax_batch_events = 0\n",
                    path_str(&d.join("events.ndjson"))
                ),
            ),
            false,
        ),
        (
            "missing rules directory",
            base(
                &token,
                &store,
                &format!(
                    "\n[scan]\nrules_dirs = [\"{}\"]\n",
                    path_str(&d.join("no-such-dir"))
                ),
            ),
            false,
        ),
        (
            "missing mutelist",
            base(
                &token,
                &store,
                &format!(
                    "\n[scan]\nmutelist = \"{}\"\n",
                    path_str(&d.join("no-such.yaml"))
                ),
            ),
            false,
        ),
        (
            "catch-all mutelist",
            base(
                &token,
                &store,
                &format!(
                    "\n[scan]\nmutelist = \"{}\"\n",
                    path_str(&d.join("bad-mutelist.yaml"))
                ),
            ),
            false,
        ),
        (
            "cron that never fires",
            base(&token, &store, "\n[[schedules]]\ncron = \"0 0 30 2 *\"\n"),
            false,
        ),
        // A PostgreSQL store (issue 13): `url` or `url_env` instead of `path`, and the
        // URL read as the store reads it (a missing CA file is refused offline).
        (
            "store url and path",
            base(&token, &store, "").replace(
                "[store]\n",
                "[store]\nurl = \"postgres://vigil@127.0.0.1:1/vigil\"\n",
            ),
            false,
        ),
        (
            "store url and url_env",
            with_store("url = \"postgres://vigil@127.0.0.1:1/vigil\"\nurl_env = \"HOME\""),
            false,
        ),
        (
            "store url_env not set",
            with_store("url_env = \"VIGIL_TEST_NO_SUCH_VARIABLE\""),
            false,
        ),
        (
            "store url not postgres",
            with_store("url = \"mysql://vigil@127.0.0.1/vigil\""),
            false,
        ),
        (
            "store url with a missing CA file",
            with_store(&format!(
                "url = \"postgres://vigil@127.0.0.1:1/vigil?sslmode=require&sslrootcert={}\"",
                path_str(&d.join("no-such-ca.pem"))
            )),
            false,
        ),
        (
            "fleet without PostgreSQL",
            base(&token, &store, "\n[fleet]\nlease_secs = 30\n"),
            false,
        ),
    ];
    // A running server: the daemon must connect to start, so this one needs it.
    if let Ok(url) = std::env::var("VIGIL_TEST_POSTGRES_URL") {
        cases.push((
            "store url",
            with_store(&format!("url = \"{url}\"")) + "\n[fleet]\nlease_secs = 30\n",
            true,
        ));
        cases.push((
            "fleet lease too short",
            with_store(&format!("url = \"{url}\"")) + "\n[fleet]\nlease_secs = 1\n",
            false,
        ));
    }
    for (name, text, good) in cases {
        let path = d.join("vigil.toml");
        std::fs::write(&path, &text).unwrap();
        let validate = vigil(&["config", "validate", "--config", &path_str(&path)]);
        let started = daemon_exit(&path, Duration::from_secs(3));
        if good {
            assert_eq!(validate.0, Some(0), "{name}: {}", validate.1);
            assert!(started.is_none(), "{name}: the daemon refused: {started:?}");
        } else {
            assert_eq!(validate.0, Some(2), "{name}: validate accepted it");
            let (code, stderr) = started.unwrap_or_else(|| panic!("{name}: the daemon started"));
            assert_ne!(code, 0, "{name}: {stderr}");
        }
    }
}

/// An endpoint that accepts every connection and never answers: the SDK's first call
/// (`sts:GetCallerIdentity`) waits on it for the whole call timeout.
fn stalled_endpoint() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// A daemon whose only account must be identified (no role ARN, so no account id
/// known in advance), with every AWS call sent to `endpoint`.
fn start_identifying_daemon(dir: &Path, api: u16, endpoint: u16, scan_on_start: bool) -> Child {
    std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
    let config = format!(
        "[store]\npath = \"{store}\"\n\n[api]\nlisten = \"127.0.0.1:{api}\"\ntoken_file = \"{token}\"\n\n\
         [scan]\ncall_timeout_secs = 600\nservices = [\"s3\"]\n\n[[accounts]]\nname = \"stalled\"\n\n\
         [[schedules]]\ncron = \"0 3 * * *\"\n\n[delivery]\nshutdown_scan_secs = 5\nshutdown_flush_secs = 1\n",
        store = path_str(&dir.join("vigil.db")),
        token = path_str(&dir.join("token")),
    );
    let path = dir.join("vigil.toml");
    std::fs::write(&path, config).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    command.args(["daemon", "--config", &path_str(&path)]);
    if scan_on_start {
        command.arg("--scan-on-start");
    }
    command
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{endpoint}"))
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("VIGIL_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil daemon starts")
}

/// The scans the daemon's API lists, or nothing while it does not answer.
fn scans(port: u16) -> Vec<Value> {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return Vec::new();
    };
    let request = format!(
        "GET /api/v1/scans HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {TOKEN}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
}

/// Starts the daemon again (no scan on start) and returns the scans it lists.
fn scans_after_restart(dir: &Path, api: u16, endpoint: u16) -> Vec<Value> {
    let mut again = start_identifying_daemon(dir, api, endpoint, false);
    let mut listed = Vec::new();
    wait_for("the restarted daemon", Duration::from_secs(30), || {
        listed = scans(api);
        !listed.is_empty()
    });
    again.kill().unwrap();
    again.wait().unwrap();
    listed
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Killed with SIGKILL while its first call waited, the daemon left no record of the
/// scan: it began the scan row only once the account was identified. Now the row
/// exists from the start, and the next start marks it interrupted.
#[test]
fn a_daemon_killed_while_identifying_the_account_leaves_an_interrupted_scan() {
    let dir = TempDir::new().unwrap();
    let endpoint = stalled_endpoint();
    let api = free_port();
    let mut daemon = start_identifying_daemon(dir.path(), api, endpoint, true);
    wait_for("the running scan", Duration::from_secs(30), || {
        scans(api).iter().any(|s| s["status"] == "running")
    });
    daemon.kill().unwrap();
    daemon.wait().unwrap();

    let listed = scans_after_restart(dir.path(), api, endpoint);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "interrupted", "{listed:?}");
    assert_eq!(listed[0]["account"], "stalled", "{listed:?}");
}

/// SIGTERM while the first call waits ends the daemon within its shutdown deadlines,
/// and the scan is recorded as cancelled, not left running.
#[test]
fn sigterm_while_identifying_the_account_ends_the_daemon_and_records_a_cancelled_scan() {
    let dir = TempDir::new().unwrap();
    let endpoint = stalled_endpoint();
    let api = free_port();
    let mut daemon = start_identifying_daemon(dir.path(), api, endpoint, true);
    wait_for("the running scan", Duration::from_secs(30), || {
        scans(api).iter().any(|s| s["status"] == "running")
    });
    let status = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let asked = Instant::now();
    let mut exit = None;
    wait_for("the daemon to exit", Duration::from_secs(20), || {
        exit = daemon.try_wait().unwrap();
        exit.is_some()
    });
    assert!(exit.unwrap().success(), "{exit:?}");
    // shutdown_scan_secs = 5 and shutdown_flush_secs = 1; the call timeout is 600 s.
    assert!(
        asked.elapsed() < Duration::from_secs(12),
        "{:?}",
        asked.elapsed()
    );

    let listed = scans_after_restart(dir.path(), api, endpoint);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["status"], "cancelled", "{listed:?}");
}
