//! The daemon's Prometheus metrics, served at `/metrics`: what an operator alerts on
//! (scans failing, throttling, a SIEM falling behind) without reading logs.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Every metric, registered once at start.
pub struct Metrics {
    registry: Registry,
    pub scans: Family<Labels, Counter>,
    pub scan_duration: Family<Labels, Histogram>,
    pub api_calls: Family<Labels, Counter>,
    pub throttled: Family<Labels, Counter>,
    pub gaps: Family<Labels, Gauge>,
    pub findings: Family<Labels, Gauge>,
    pub transitions: Family<Labels, Counter>,
    pub outbox_depth: Family<Labels, Gauge>,
    pub outbox_oldest_age: Family<Labels, Gauge>,
    pub outbox_backlog_exceeded: Family<Labels, Gauge>,
    pub delivered: Family<Labels, Counter>,
    pub sink_errors: Family<Labels, Counter>,
}

fn duration_histogram() -> Histogram {
    // 1 s to about 9 hours.
    Histogram::new(exponential_buckets(1.0, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("vigil");
        let scans = Family::<Labels, Counter>::default();
        registry.register(
            "scans",
            "Account scans finished, by account and status",
            scans.clone(),
        );
        let scan_duration =
            Family::<Labels, Histogram>::new_with_constructor(duration_histogram as fn() -> _);
        registry.register(
            "scan_duration_seconds",
            "Duration of account scans",
            scan_duration.clone(),
        );
        let api_calls = Family::<Labels, Counter>::default();
        registry.register(
            "aws_api_calls",
            "AWS API calls by service, operation (IAM action) and outcome (ok or the error code)",
            api_calls.clone(),
        );
        let throttled = Family::<Labels, Counter>::default();
        registry.register(
            "aws_throttled_calls",
            "AWS calls still throttled after the SDK's retries, by account",
            throttled.clone(),
        );
        let gaps = Family::<Labels, Gauge>::default();
        registry.register(
            "scan_gaps",
            "What the latest scan of an account could not see",
            gaps.clone(),
        );
        let findings = Family::<Labels, Gauge>::default();
        registry.register(
            "findings",
            "Findings of the latest scan, by account, severity and status",
            findings.clone(),
        );
        let transitions = Family::<Labels, Counter>::default();
        registry.register(
            "finding_transitions",
            "Finding lifecycle changes (NEW, RESOLVED, REOPENED, MUTED, OPEN)",
            transitions.clone(),
        );
        let outbox_depth = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_events",
            "Events not yet delivered, by sink",
            outbox_depth.clone(),
        );
        let outbox_oldest_age = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_oldest_event_age_seconds",
            "Age of the oldest undelivered event, by sink",
            outbox_oldest_age.clone(),
        );
        let outbox_backlog_exceeded = Family::<Labels, Gauge>::default();
        registry.register(
            "outbox_backlog_exceeded",
            "1 when a sink's undelivered events exceed delivery.backlog_warn_events",
            outbox_backlog_exceeded.clone(),
        );
        let delivered = Family::<Labels, Counter>::default();
        registry.register(
            "events_delivered",
            "Events delivered, by sink",
            delivered.clone(),
        );
        let sink_errors = Family::<Labels, Counter>::default();
        registry.register(
            "sink_errors",
            "Failed deliveries, by sink and whether they are retried",
            sink_errors.clone(),
        );
        Metrics {
            registry,
            scans,
            scan_duration,
            api_calls,
            throttled,
            gaps,
            findings,
            transitions,
            outbox_depth,
            outbox_oldest_age,
            outbox_backlog_exceeded,
            delivered,
            sink_errors,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Labels from pairs.
pub fn labels<const N: usize>(pairs: [(&'static str, &str); N]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_with_their_labels() {
        let metrics = Metrics::new();
        metrics
            .api_calls
            .get_or_create(&labels([
                ("service", "iam"),
                ("operation", "ListUsers"),
                ("outcome", "ok"),
            ]))
            .inc_by(3);
        metrics
            .outbox_depth
            .get_or_create(&labels([("sink", "splunk")]))
            .set(7);
        let text = metrics.render();
        assert!(
            text.contains(
                r#"vigil_aws_api_calls_total{service="iam",operation="ListUsers",outcome="ok"} 3"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"vigil_outbox_events{sink="splunk"} 7"#),
            "{text}"
        );
    }
}
