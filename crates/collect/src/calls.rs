//! Every AWS call goes through here: errors are classified into the codes a `Gap`
//! records, and an SDK interceptor records each operation the SDK really sends, so that
//! tests can prove Vigil only reads.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;
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
            CallError {
                code: e.code().unwrap_or("UnknownServiceError").to_owned(),
                message: e.message().unwrap_or("").to_owned(),
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

/// Records the operations the SDK actually sends, by service and operation name.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    operations: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl Recorder {
    /// (service, operation) → how many times it was sent (pages count separately).
    pub fn operations(&self) -> BTreeMap<(String, String), u64> {
        self.operations.lock().expect("recorder lock").clone()
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "VigilCallRecorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            *self
                .operations
                .lock()
                .expect("recorder lock")
                .entry((meta.service().to_owned(), meta.name().to_owned()))
                .or_default() += 1;
        }
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
