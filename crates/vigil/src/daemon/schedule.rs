//! When scans run: each configured cron expression (UTC) fires a scan, started up to
//! its jitter late so that a fleet of daemons does not call AWS in the same second.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use vigil_store::{Cycle, ScanTrigger};

use super::ScanRequest;

use super::config::{ScheduleConfig, parse_cron};

/// The next start of `schedule` after `now`, jitter included (`jitter` in 0..=1 picks
/// where in the window).
pub fn next_start(
    schedule: &ScheduleConfig,
    now: DateTime<Utc>,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    let next = next_fire(schedule, now)?;
    let jitter_ms = (schedule.jitter_secs as f64 * 1000.0 * jitter.clamp(0.0, 1.0)) as i64;
    Some(next + chrono::Duration::milliseconds(jitter_ms))
}

/// The next firing of `schedule` after `now`, before jitter: with the schedule's name,
/// what names a cycle alike on every replica.
pub fn next_fire(schedule: &ScheduleConfig, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(&schedule.cron).ok()?;
    // The occurrence keeps the fraction of a second of `now`: dropped, so that every
    // replica names the same firing alike.
    let next = cron.find_next_occurrence(&now, false).ok()?;
    Some(next.trunc_subsecs(0))
}

/// Sends a scan request each time `schedule` fires, until `stop`.
pub async fn run(
    schedule: ScheduleConfig,
    requests: mpsc::Sender<ScanRequest>,
    stop: CancellationToken,
) {
    let name = schedule
        .name
        .clone()
        .unwrap_or_else(|| schedule.cron.clone());
    loop {
        let now = Utc::now();
        let (Some(fire_at), Some(at)) = (
            next_fire(&schedule, now),
            next_start(&schedule, now, fastrand::f64()),
        ) else {
            tracing::error!(schedule = %name, "the schedule has no next time; it stops");
            return;
        };
        tracing::info!(schedule = %name, next = %at.to_rfc3339(), "next scheduled scan");
        let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => return,
        }
        // A full queue means a scan is already waiting: this one adds nothing.
        let request = ScanRequest {
            trigger: ScanTrigger::Schedule,
            cycle: Some(Cycle {
                schedule: name.clone(),
                fire_at,
            }),
        };
        if requests.try_send(request).is_err() {
            tracing::info!(schedule = %name, "a scan is already queued; this run is skipped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn next_start_follows_the_cron_and_adds_the_jitter() {
        let schedule = ScheduleConfig {
            name: None,
            cron: "0 */6 * * *".into(),
            jitter_secs: 300,
        };
        let now = at("2026-11-23T07:30:00Z");
        assert_eq!(
            next_start(&schedule, now, 0.0),
            Some(at("2026-11-23T12:00:00Z"))
        );
        assert_eq!(
            next_start(&schedule, now, 1.0),
            Some(at("2026-11-23T12:05:00Z"))
        );
        let seconds = ScheduleConfig {
            name: None,
            cron: "*/20 * * * * *".into(),
            jitter_secs: 0,
        };
        assert_eq!(
            next_start(&seconds, at("2026-11-23T07:30:05Z"), 0.5),
            Some(at("2026-11-23T07:30:20Z"))
        );
        // Replicas started at different instants name the same firing.
        assert_eq!(
            next_fire(&seconds, at("2026-11-23T07:30:05.123Z")),
            next_fire(&seconds, at("2026-11-23T07:30:19.987Z"))
        );
        assert_eq!(
            next_fire(&seconds, at("2026-11-23T07:30:05.123Z")),
            Some(at("2026-11-23T07:30:20Z"))
        );
    }
}
