//! The file sink on a real directory.

use std::path::Path;

use crate::support::{config, event, events, toml_path};
use vigil_sink::build;

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect()
}

#[tokio::test]
async fn appends_one_json_line_per_event_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.ndjson");
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"",
        toml_path(&path)
    )))
    .unwrap();
    assert!(path.exists(), "the file is created at build time");
    let batch = events(3);
    sink.send(&batch[..2]).await.unwrap();
    sink.send(&batch[2..]).await.unwrap();
    let got = lines(&path);
    assert_eq!(got.len(), 3);
    for (line, event) in got.iter().zip(&batch) {
        assert_eq!(line["id"], event.id.as_str());
        assert_eq!(line["event"], event.body);
    }
}

#[tokio::test]
async fn rotation_keeps_exactly_max_files_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.ndjson");
    // The length of one line, measured by writing one.
    let line_len = {
        let probe = tempfile::tempdir().unwrap();
        let p = probe.path().join("probe.ndjson");
        let s = build(&config(&format!(
            "[[sinks]]\ntype = \"file\"\npath = \"{}\"",
            toml_path(&p)
        )))
        .unwrap();
        s.send(&[event(10, 4)]).await.unwrap();
        std::fs::metadata(&p).unwrap().len()
    };
    // Room for three lines per file.
    let limit = line_len * 3 + line_len / 2;
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"\nmax_file_bytes = {limit}\nmax_files = 3",
        toml_path(&path)
    )))
    .unwrap();
    // Ids 10..40 all serialise to the same length.
    for chunk in (10..40).collect::<Vec<_>>().chunks(4) {
        let batch: Vec<_> = chunk.iter().map(|&n| event(n, 4)).collect();
        sink.send(&batch).await.unwrap();
    }

    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["vigil.ndjson", "vigil.ndjson.1", "vigil.ndjson.2"]);

    // Newest in the live file, in order; every file within the limit.
    let mut ids = Vec::new();
    for name in ["vigil.ndjson.2", "vigil.ndjson.1", "vigil.ndjson"] {
        let file = dir.path().join(name);
        assert!(std::fs::metadata(&file).unwrap().len() <= limit);
        ids.extend(
            lines(&file)
                .into_iter()
                .map(|l| l["id"].as_str().unwrap().to_owned()),
        );
    }
    let want: Vec<String> = (31..40).map(|n| format!("ev-{n}")).collect();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn a_line_cut_by_a_crash_does_not_swallow_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.ndjson");
    std::fs::write(&path, "{\"id\":\"half").unwrap();
    let sink = build(&config(&format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"",
        toml_path(&path)
    )))
    .unwrap();
    sink.send(&events(1)).await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    let json: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(json["id"], "ev-0");
}

#[tokio::test]
async fn a_missing_directory_is_a_config_error_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("vigil.ndjson");
    let err = build(&config(&format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"\nmax_files = 0",
        toml_path(&path)
    )))
    .unwrap_err();
    let fields: Vec<&str> = err.problems().iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["max_files", "path"]);
}

#[tokio::test]
async fn stdout_takes_a_batch() {
    let sink = build(&config("[[sinks]]\ntype = \"stdout\"")).unwrap();
    assert_eq!(sink.name(), "stdout");
    assert_eq!(sink.max_batch(), 500);
    sink.send(&events(2)).await.unwrap();
}
