//! The file sink: NDJSON appended to a local file, synced to disk after each
//! batch (so that `Ok` means the events survive a crash), rotated by size.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::FileConfig;
use crate::error::Checker;
use crate::stdout::ndjson;
use crate::{Event, Sink, SinkError};

/// Appends events to `path`. When the next line would take the file past
/// `max_file_bytes`, the file becomes `path.1`, `path.1` becomes `path.2`, and
/// so on; the file past `max_files` in all is deleted.
#[derive(Debug)]
pub struct FileSink {
    inner: Arc<Inner>,
    max_batch: usize,
}

#[derive(Debug)]
struct Inner {
    name: String,
    path: PathBuf,
    display: String,
    max_file_bytes: u64,
    max_files: u32,
    /// The open file and its size; `None` after an error, so that the next
    /// batch reopens it and reads the true size.
    state: Mutex<Option<Open>>,
}

#[derive(Debug)]
struct Open {
    file: File,
    size: u64,
}

impl FileSink {
    /// Checks a configuration without touching the disk: what `vigil config validate`
    /// runs, and the first half of [`FileSink::new`], so that the two cannot disagree.
    pub fn check(config: &FileConfig) -> Result<(), SinkError> {
        let mut check = Checker::new(config.name.as_deref().unwrap_or("file"));
        check.batch(config.max_batch_events);
        if config.max_file_bytes == 0 {
            check.problem("max_file_bytes", "must be at least 1");
        }
        if config.max_files == 0 {
            check.problem("max_files", "must be at least 1 (the file being written)");
        }
        let path = &config.path;
        if path.as_os_str().is_empty() || path.file_name().is_none() {
            check.problem(
                "path",
                "must name a file, such as `/var/log/vigil/events.ndjson`",
            );
        } else if path.is_dir() {
            check.problem(
                "path",
                format!("`{}` is a directory; name a file in it", path.display()),
            );
        } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            check.problem(
                "path",
                format!("directory `{}` does not exist", dir.display()),
            );
        }
        check.finish()
    }

    /// Checks the configuration and opens (or creates) the file now, so that a
    /// wrong path or missing permission stops the daemon at start-up.
    pub fn new(config: &FileConfig) -> Result<Self, SinkError> {
        Self::check(config)?;
        let name = config.name.as_deref().unwrap_or("file").to_owned();
        let path = config.path.clone();

        let inner = Inner {
            display: path.display().to_string(),
            name,
            path,
            max_file_bytes: config.max_file_bytes,
            max_files: config.max_files,
            state: Mutex::new(None),
        };
        let open = inner.open().map_err(|e| {
            SinkError::config(
                &inner.name,
                "path",
                format!("cannot open `{}`: {e}", inner.display),
            )
        })?;
        *inner.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(open);
        Ok(Self {
            inner: Arc::new(inner),
            max_batch: config.max_batch_events,
        })
    }
}

impl Inner {
    /// Opens the file for appending. A file that does not end in a newline (the
    /// process died mid-line) gets one, so that the next line stays parseable.
    fn open(&self) -> io::Result<Open> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)?;
        let mut size = file.metadata()?.len();
        if size > 0 {
            file.seek(SeekFrom::End(-1))?;
            let mut last = [0u8; 1];
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                file.write_all(b"\n")?;
                size += 1;
            }
        }
        Ok(Open { file, size })
    }

    fn numbered(&self, n: u32) -> PathBuf {
        let mut name = OsString::from(self.path.as_os_str());
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    /// Shifts `path` → `path.1` → … and drops what falls past `max_files`.
    fn rotate(&self) -> io::Result<()> {
        if self.max_files == 1 {
            remove_if_present(&self.path)?;
        } else {
            for i in (1..self.max_files).rev() {
                let from = if i == 1 {
                    self.path.clone()
                } else {
                    self.numbered(i - 1)
                };
                match fs::rename(&from, self.numbered(i)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
        }
        // Files a larger `max_files` left behind.
        let mut n = self.max_files;
        while self.numbered(n).exists() {
            remove_if_present(&self.numbered(n))?;
            n += 1;
        }
        sync_dir(&self.path)
    }

    /// Writes the lines, rotating between them as needed, and syncs.
    fn write(&self, lines: &[Vec<u8>]) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let result = self.write_locked(&mut state, lines);
        if result.is_err() {
            *state = None;
        }
        result
    }

    fn write_locked(&self, state: &mut Option<Open>, lines: &[Vec<u8>]) -> io::Result<()> {
        let mut open = match state.take() {
            Some(open) => open,
            None => self.open()?,
        };
        for line in lines {
            let len = line.len() as u64;
            if open.size > 0 && open.size + len > self.max_file_bytes {
                open.file.sync_all()?;
                drop(open);
                self.rotate()?;
                open = self.open()?;
                tracing::debug!(sink = %self.name, path = %self.display, "file rotated");
            }
            open.file.write_all(line)?;
            open.size += len;
        }
        open.file.sync_data()?;
        *state = Some(open);
        Ok(())
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Makes renames durable: on Unix a rename is in the directory, not the file.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[async_trait::async_trait]
impl Sink for FileSink {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> &'static str {
        "file"
    }

    fn endpoint(&self) -> &str {
        &self.inner.display
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn send(&self, batch: &[Event]) -> Result<(), SinkError> {
        let lines = batch
            .iter()
            .map(|e| {
                ndjson(
                    &self.inner.name,
                    &self.inner.display,
                    std::slice::from_ref(e),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let inner = Arc::clone(&self.inner);
        let result = tokio::task::spawn_blocking(move || inner.write(&lines))
            .await
            .unwrap_or_else(|join| Err(io::Error::other(join.to_string())));
        result.map_err(|source| SinkError::Io {
            sink: self.inner.name.clone(),
            target: self.inner.display.clone(),
            action: "appending",
            source,
        })?;
        tracing::debug!(sink = %self.inner.name, events = batch.len(), "batch written");
        Ok(())
    }
}
