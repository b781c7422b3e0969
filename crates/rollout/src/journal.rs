//! The local journal: every event as one JSON line, appended and fsync'd before the run acts
//! on it, so the timeline and the audit survive a crash at any point.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::model::Event;

/// Where events go.
#[derive(Debug)]
pub struct Journal {
    file: Option<File>,
    path: Option<PathBuf>,
    /// Every event written so far (the run's own copy, for the report).
    pub events: Vec<Event>,
    /// Stop (as a crash would) right after this many events are on disk.
    pub crash_after: Option<usize>,
}

/// The orchestrator "died" after writing the given event (a rehearsal's `crash@STEP`, or a
/// test's kill).
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("cannot write the journal {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("crashed on purpose after journal line {0}")]
    Crash(usize),
}

impl Journal {
    /// A journal kept in memory only (tests).
    pub fn memory() -> Self {
        Self {
            file: None,
            path: None,
            events: Vec::new(),
            crash_after: None,
        }
    }

    /// Opens (or creates) the journal file, reading the events already in it. A last line
    /// cut short by a crash mid-write is dropped, and the file is truncated to the last
    /// whole line so appends stay one event per line.
    pub fn open(path: &Path) -> Result<Self, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the state directory {}: {e}", dir.display()))?;
        }
        let mut events = Vec::new();
        let mut good_len = 0u64;
        if path.exists() {
            let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut reader = BufReader::new(file);
            let mut line = String::new();
            let mut number = 0;
            loop {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if n == 0 {
                    break;
                }
                number += 1;
                if !line.ends_with('\n') {
                    break; // torn write: the crash happened mid-line
                }
                match serde_json::from_str::<Event>(line.trim_end()) {
                    Ok(event) => {
                        events.push(event);
                        good_len += n as u64;
                    }
                    Err(e) => {
                        return Err(format!(
                            "{}:{number}: not a journal event ({e}); the journal is append-only, \
                             was it edited?",
                            path.display()
                        ));
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        file.set_len(good_len)
            .map_err(|e| format!("cannot repair {}: {e}", path.display()))?;
        Ok(Self {
            file: Some(file),
            path: Some(path.to_owned()),
            events,
            crash_after: None,
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes one event and waits for the disk.
    pub fn append(&mut self, event: &Event) -> Result<(), AppendError> {
        if let Some(file) = &mut self.file {
            let mut line = serde_json::to_vec(event).expect("events serialize");
            line.push(b'\n');
            let io = |error| AppendError::Io {
                path: self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                error,
            };
            file.write_all(&line).map_err(io)?;
            file.sync_data().map_err(|error| AppendError::Io {
                path: self.path.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                error,
            })?;
        }
        self.events.push(event.clone());
        if self.crash_after.is_some_and(|n| self.events.len() >= n) {
            return Err(AppendError::Crash(self.events.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Outcome};

    #[test]
    fn a_torn_last_line_is_dropped_and_appends_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let mut j = Journal::open(&path).unwrap();
        let e = Event::RollbackFinished { at: 5 };
        j.append(&e).unwrap();
        drop(j);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"event\":\"rollback-fin");
        std::fs::write(&path, text).unwrap();
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.events, vec![e.clone()]);
        let f = Event::RunFinished { at: 6, outcome: Outcome::Succeeded, reason: String::new() };
        j.append(&f).unwrap();
        drop(j);
        assert_eq!(Journal::open(&path).unwrap().events, vec![e, f]);
    }

    #[test]
    fn an_edited_line_is_an_error_with_its_line_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        std::fs::write(&path, "{\"event\":\"rollback-finished\",\"at\":1}\nnot json\n").unwrap();
        let err = Journal::open(&path).unwrap_err();
        assert!(err.contains("run.jsonl:2:"), "{err}");
    }
}
