//! The journal's default store: an append-only file of JSON lines.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use std::sync::{Mutex, MutexGuard};

use super::memory::MemoryStore;
use super::store::{Claim, JournalStore, Listed, PurchaseKey, StoredRecord};
use crate::failure::{Error, JournalError};
use crate::ids::CustomerId;
use crate::text::Escaped;

/// A journal kept in a file, one JSON record a line, for
/// [`Journal::open`](super::Journal::open).
///
/// - Each record is written whole, then flushed and `fsync`ed before
///   [`append`](JournalStore::append) returns, so that it is on disk before
///   the call it guards is sent. The directory is synced too when the file
///   is created, so that the file itself survives a power cut.
/// - A crash can leave the last line torn (written in part, with no line
///   end). Loading ignores that line and cuts it off, so that the next
///   record starts on a line of its own: the torn record was never
///   acknowledged, so the call it guarded was never sent. A last record
///   written whole but for its line end is kept, and its line ended. Any
///   other line that cannot be read is an error, never skipped.
/// - The file is locked ([`File::try_lock`]) for as long as the store
///   lives: a second process (or a second store in this one) opening the
///   same file is refused with [`JournalError::Locked`]. The lock is the
///   operating system's, so it goes away with the process that held it,
///   a killed one included: no stale lock is ever left behind.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    file: Mutex<File>,
    /// The records read at open and appended since: claims are this
    /// process's, as the file's lock keeps other processes out.
    memory: MemoryStore,
}

impl FileStore {
    /// Opens the journal file at `path`, creating it if needed, and locks
    /// it.
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] with [`JournalError::Locked`] when another
    /// process (or another store) holds the file, or
    /// [`JournalError::Store`] when it cannot be created, opened or locked.
    pub fn open(path: impl AsRef<Path>) -> Result<FileStore, Error> {
        let path = path.as_ref().to_path_buf();
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|error| store_error(&path, "open", error))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(JournalError::Locked { path }.into()),
            Err(TryLockError::Error(error)) => return Err(store_error(&path, "lock", error)),
        }
        if !existed {
            sync_parent(&path).map_err(|error| store_error(&path, "sync the folder of", error))?;
        }
        let mut store = FileStore {
            path,
            file: Mutex::new(file),
            memory: MemoryStore::new(),
        };
        store.load().map_err(JournalError::Store)?;
        Ok(store)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn file(&self) -> MutexGuard<'_, File> {
        self.file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the file into memory.
    fn load(&mut self) -> Result<(), crate::error_kind::BoxError> {
        let mut text = Vec::new();
        let mut file = self.file();
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut text)?;
        let (records, whole) =
            parse_lines(&text).map_err(|problem| format!("{}: {problem}", self.path.display()))?;
        if whole < text.len() {
            log::warn!(
                target: crate::logging::LOG_TARGET,
                "{}: ignoring a torn last line of {} bytes, left by a crash before its call was sent",
                self.path.display(),
                text.len() - whole
            );
            file.set_len(whole as u64)?;
            file.sync_all()?;
        } else if text.last().is_some_and(|byte| *byte != b'\n') {
            // A whole record whose line end was lost: end its line, so that
            // the next record does not glue onto it.
            file.write_all(b"\n")?;
            file.sync_data()?;
        }
        drop(file);
        for (key, record) in records {
            let mut claim = self.memory.claim(&key, "opening")?;
            self.memory.append(&mut claim, &record)?;
            self.memory.release(claim)?;
        }
        Ok(())
    }
}

impl JournalStore for FileStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        self.memory.claim(key, owner)
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        self.memory.read(key)
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        let mut file = self.file();
        let mut line = record.json.clone().into_bytes();
        line.push(b'\n');
        let len = file
            .metadata()
            .map_err(|e| JournalError::Store(e.into()))?
            .len();
        let written = file
            .write_all(&line)
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data());
        if let Err(error) = written {
            // A part written (a full disk, say) would glue the next record
            // onto this one: cut it off, as loading would.
            let _ = file.set_len(len).and_then(|()| file.sync_all());
            return Err(JournalError::Store(error.into()));
        }
        self.memory.append(claim, record)
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        self.memory.release(claim)
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        self.memory.list(customer)
    }
}

/// A record line's purchase and whether it ends it.
fn keyed(content: &[u8]) -> Result<(PurchaseKey, StoredRecord), String> {
    let value: serde_json::Value =
        serde_json::from_slice(content).map_err(|error| error.to_string())?;
    let key = value
        .get("purchase")
        .and_then(serde_json::Value::as_str)
        .and_then(PurchaseKey::from_name)
        .ok_or("no purchase named")?;
    let stage = value.get("stage").and_then(serde_json::Value::as_str);
    let ends = matches!(stage, Some("finished" | "abandoned"));
    let json = String::from_utf8_lossy(content).into_owned();
    Ok((key, StoredRecord { json, ends }))
}

/// Reads the records of a journal file, and how many of its bytes hold
/// whole lines: a last line with no line end that cannot be read is torn,
/// and left out. Any other bad line is an error naming it.
#[allow(clippy::type_complexity)]
fn parse_lines(text: &[u8]) -> Result<(Vec<(PurchaseKey, StoredRecord)>, usize), String> {
    let mut records = Vec::new();
    let mut start = 0;
    for (number, line) in text.split_inclusive(|byte| *byte == b'\n').enumerate() {
        let end = start + line.len();
        let complete = line.ends_with(b"\n");
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if content.iter().all(u8::is_ascii_whitespace) {
            start = end;
            continue;
        }
        match keyed(content) {
            Ok(record) => records.push(record),
            Err(_) if !complete => return Ok((records, start)),
            // The message may quote the line, and so the service's text.
            Err(error) => {
                let error = Escaped(&error).to_string();
                return Err(format!("line {} cannot be read: {error}", number + 1));
            }
        }
        start = end;
    }
    Ok((records, start))
}

/// Syncs the folder holding `path`, so that a new file's entry is durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // Folders cannot be opened as files on every platform; where they can,
    // syncing one makes its entries durable.
    match File::open(parent) {
        Ok(folder) => folder.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

fn store_error(path: &Path, action: &str, error: io::Error) -> Error {
    JournalError::Store(
        format!("could not {action} the journal {}: {error}", path.display()).into(),
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str) -> String {
        let digest = if key == "a" { "0a" } else { "0b" };
        format!(
            r#"{{"purchase":"28045616-f6b9-462f-9701-0d89b5e65c44/{digest}","stage":"created"}}"#
        )
    }

    #[test]
    fn a_torn_last_line_is_left_out_and_any_other_bad_line_is_an_error() {
        let whole = format!("{}\n{}\n", line("a"), line("b"));
        let (records, len) = parse_lines(whole.as_bytes()).unwrap();
        assert_eq!((records.len(), len), (2, whole.len()));

        let torn = format!("{}\n{}", line("a"), &line("b")[..20]);
        let (records, len) = parse_lines(torn.as_bytes()).unwrap();
        assert_eq!((records.len(), len), (1, line("a").len() + 1));

        let bad = format!("{}\n{{\"key\": 1}}\n{}\n", line("a"), line("b"));
        let problem = parse_lines(bad.as_bytes()).unwrap_err();
        assert!(problem.contains("line 2"), "{problem}");
    }
}
