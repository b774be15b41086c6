//! The event envelope shared by the stdout, file and HTTP sinks, and gzip.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression as Level;
use flate2::write::GzEncoder;
use serde::Serialize;

use crate::Event;

/// What the line-oriented and webhook sinks write for one event: the id and kind
/// beside the untouched OCSF body, so that a receiver can deduplicate and route
/// without parsing OCSF.
#[derive(Debug, Serialize)]
struct Envelope<'a> {
    id: &'a str,
    kind: &'a str,
    time: String,
    event: &'a serde_json::Value,
}

/// RFC 3339 in UTC with milliseconds, the form SIEMs parse without a format hint.
pub(crate) fn rfc3339(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Appends the event's envelope as compact JSON, without a newline.
pub(crate) fn write_envelope(out: &mut Vec<u8>, event: &Event) -> Result<(), serde_json::Error> {
    let envelope = Envelope {
        id: &event.id,
        kind: &event.kind,
        time: rfc3339(&event.time),
        event: &event.body,
    };
    serde_json::to_writer(out, &envelope)
}

/// Gzips a whole request body in memory (batches are small, and a length-known
/// body is what every endpoint handles best).
pub(crate) fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Level::default());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn envelope_has_id_kind_time_and_body() {
        let event = Event {
            id: "e1".into(),
            kind: "finding.new".into(),
            time: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            body: serde_json::json!({"class_uid": 2003}),
        };
        let mut out = Vec::new();
        write_envelope(&mut out, &event).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"e1","kind":"finding.new","time":"2026-01-02T03:04:05.000Z","event":{"class_uid":2003}}"#
        );
    }
}
