//! Every AWS call goes through here: errors are classified into the codes a `Gap`
//! records, and an SDK interceptor records each operation the SDK really sends, so that
//! tests can prove Vigil only reads.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A failed call, reduced to what a gap records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// AWS error code (`AccessDenied`), or `Timeout`, `Unreachable`, `ResponseError`.
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Error codes that mean "you may not look" or "this is not here to look at": the
/// result is a gap, never an empty list.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

/// Reduces any SDK error to a code and a message. Messages never carry credentials:
/// the SDK does not put them in errors, and we add nothing from the environment.
pub fn classify<E, R>(err: SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    match &err {
        SdkError::TimeoutError(_) => CallError {
            code: "Timeout".into(),
            message: "the call did not complete within the per-call timeout".into(),
        },
        SdkError::DispatchFailure(d) => CallError {
            code: if d.is_timeout() {
                "Timeout"
            } else {
                "Unreachable"
            }
            .into(),
            message: format!(
                "endpoint unreachable: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&err)
            ),
        },
        SdkError::ServiceError(service) => {
            let e = service.err();
            match e.code() {
                Some(code) => CallError {
                    code: code.to_owned(),
                    message: e.message().unwrap_or("").to_owned(),
                },
                // No error code: most often an answer the SDK could not read (an
                // emulator's timestamp without a zone, a missing required member). The
                // gap says so, with the SDK's own account of what failed.
                None => CallError {
                    code: "UnreadableResponse".into(),
                    message: format!(
                        "{}",
                        aws_smithy_types::error::display::DisplayErrorContext(&err)
                    ),
                },
            }
        }
        _ => CallError {
            code: err.code().unwrap_or("ResponseError").to_owned(),
            message: format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&err)
            ),
        },
    }
}

/// What the SDK did for one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Operation invocations (each page of a listing is one).
    pub calls: u64,
    /// HTTP requests put on the wire, retries included.
    pub attempts: u64,
}

/// Records the operations the SDK actually sends, by service and operation name, so the
/// read-only guarantee rests on what left the process, not on what the code meant to call.
///
/// It reads the operation's `Metadata` from the config bag in `read_before_serialization`:
/// a client interceptor's `read_before_execution` runs before the operation's own
/// configuration (which stores the `Metadata`) is applied, and would see nothing.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    operations: Arc<Mutex<BTreeMap<(String, String), Sent>>>,
}

impl Recorder {
    /// (service, operation) → what was sent.
    pub fn operations(&self) -> BTreeMap<(String, String), Sent> {
        self.operations.lock().expect("recorder lock").clone()
    }

    fn bump(&self, cfg: &ConfigBag, count: impl FnOnce(&mut Sent)) {
        if let Some(meta) = cfg.load::<Metadata>() {
            count(
                self.operations
                    .lock()
                    .expect("recorder lock")
                    .entry((meta.service().to_owned(), meta.name().to_owned()))
                    .or_default(),
            );
        }
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "VigilCallRecorder"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |sent| sent.calls += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |sent| sent.attempts += 1);
        Ok(())
    }
}

/// Outcomes of calls by IAM action: ok, or the error code.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    outcomes: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl CallStats {
    pub(crate) fn record(&self, action: &str, outcome: &str) {
        *self
            .outcomes
            .lock()
            .expect("stats lock")
            .entry((action.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    /// (IAM action, outcome) → count; outcome is `ok` or an error code.
    pub fn outcomes(&self) -> BTreeMap<(String, String), u64> {
        self.outcomes.lock().expect("stats lock").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorder sees the operation even when the endpoint is unreachable: it runs
    /// before the request leaves, so a write call could never slip past it unseen.
    #[tokio::test]
    async fn recorder_records_what_the_sdk_sends() {
        // A port nothing listens on: a real socket that refuses.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let recorder = Recorder::default();
        let conf = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "AKIDVIGILTEST",
                "not-a-secret",
                None,
                None,
                "test",
            ))
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .interceptor(recorder.clone())
            .build();
        let client = aws_sdk_sts::Client::from_conf(conf);
        let err = client
            .get_caller_identity()
            .send()
            .await
            .expect_err("refused");
        assert_eq!(classify(err).code, "Unreachable");
        let ops = recorder.operations();
        assert_eq!(
            ops.get(&("STS".to_owned(), "GetCallerIdentity".to_owned())),
            Some(&Sent {
                calls: 1,
                attempts: 1
            }),
            "{ops:?}"
        );
    }
}
