//! The stdout sink: one NDJSON line per event, for containers whose log
//! collector feeds the SIEM, and for trying a configuration out.

use tokio::io::{AsyncWriteExt, Stdout};
use tokio::sync::Mutex;

use crate::config::StdoutConfig;
use crate::error::Checker;
use crate::format::write_envelope;
use crate::{Event, Sink, SinkError};

/// Writes each batch to standard output in one write, so that concurrent
/// batches never interleave their lines.
#[derive(Debug)]
pub struct StdoutSink {
    name: String,
    max_batch: usize,
    out: Mutex<Stdout>,
}

impl StdoutSink {
    pub fn new(config: &StdoutConfig) -> Result<Self, SinkError> {
        let mut check = Checker::new(config.name.as_deref().unwrap_or("stdout"));
        check.batch(config.max_batch_events);
        let name = check.sink().to_owned();
        check.finish()?;
        Ok(Self {
            name,
            max_batch: config.max_batch_events,
            out: Mutex::new(tokio::io::stdout()),
        })
    }
}

/// The NDJSON lines of a batch, in order. Shared by the file sink.
pub(crate) fn ndjson(sink: &str, target: &str, batch: &[Event]) -> Result<Vec<u8>, SinkError> {
    let mut buf = Vec::with_capacity(batch.len() * 1024);
    for event in batch {
        write_envelope(&mut buf, event).map_err(|e| SinkError::Rejected {
            sink: sink.to_owned(),
            endpoint: target.to_owned(),
            status: None,
            event_id: Some(event.id.clone()),
            reason: format!("cannot serialise the event: {e}"),
        })?;
        buf.push(b'\n');
    }
    Ok(buf)
}

#[async_trait::async_trait]
impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "stdout"
    }

    fn endpoint(&self) -> &str {
        "stdout"
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn send(&self, batch: &[Event]) -> Result<(), SinkError> {
        let buf = ndjson(&self.name, "stdout", batch)?;
        let mut out = self.out.lock().await;
        let io = |source| SinkError::Io {
            sink: self.name.clone(),
            target: "stdout".to_owned(),
            action: "writing",
            source,
        };
        out.write_all(&buf).await.map_err(io)?;
        out.flush().await.map_err(io)?;
        tracing::debug!(sink = %self.name, events = batch.len(), "batch written");
        Ok(())
    }
}
