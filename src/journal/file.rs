//! The journal's store on this machine: one file of JSON lines, which keeps
//! each purchase's latest record and compacts itself.

use std::collections::HashMap;
use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::JournalError;
use super::store::{Claim, JournalStore, Listed, PurchaseKey, StoredRecord};
use crate::error::Error;
use crate::ids::CustomerId;
use crate::logging::LOG_TARGET;
use crate::text::Escaped;

/// The format this release writes, and the newest it reads.
const VERSION: u64 = 1;

/// The field of the header line that names the format.
const HEADER_FIELD: &str = "partner_center_cart_journal";

/// Compaction waits until the file holds at least this many records, so
/// that a small journal is never rewritten for a handful of lines.
const MIN_RECORDS_TO_COMPACT: u64 = 256;

/// Compaction starts when the file holds more than this many records per
/// purchase: superseded records then take most of it.
const RECORDS_PER_PURCHASE_TO_COMPACT: u64 = 2;

/// A journal kept in a file on this machine, one JSON line a record: the
/// default [`JournalStore`].
///
/// - **One process at a time.** The file is locked ([`File::try_lock`],
///   the operating system's lock) for as long as the store lives: a second
///   store on the same file, in this process or another, is refused with
///   [`JournalError::Locked`], which names the file. So is its place: a
///   file beside it named after it with `.lock` added (`purchase.journal.lock`),
///   created empty and left there, is locked too, so that a journal moved
///   away while in use does not let a second process start a new one at
///   its path. The locks go away with the process that held them, a
///   killed one included.
/// - **Claims** are kept in the process: a second claim on a purchase
///   already claimed is refused with [`JournalError::Held`], and an append
///   under a claim that was released, or behind which another record was
///   stored, with [`JournalError::ClaimLost`]. A claim dropped without
///   being released (its thread panicked, say) is released with it.
/// - **Durable.** Each record is written whole and synced
///   ([`File::sync_data`]) before [`append`](JournalStore::append)
///   returns, so that it is on disk before the call it guards is sent.
/// - **Private.** A new file is created readable and writable by its owner
///   only (mode `0600` on Unix): it holds tenant IDs, carts and orders. The
///   mode of an existing file is left as it is, with a warning in the log
///   when other users can read it.
/// - **Small in memory.** The store keeps, for each purchase, where its
///   latest record lies in the file and whether it ended the purchase; it
///   reads the record from the file when asked. Opening reads the file
///   once, line by line; it costs time and memory in proportion to the
///   purchases the file holds, as compaction keeps the records to at most
///   a few per purchase.
///
/// # Format
///
/// The file is UTF-8 text, one JSON object a line, each line ended by a
/// line feed.
///
/// - **Header.** The first line names the format and its version:
///   `{"partner_center_cart_journal":1}`. Opening a file that is not empty
///   and does not start with a header (a settings file given by mistake, a
///   journal of an earlier release) is refused, and the file is left byte
///   for byte as it was. An empty file, or one holding only a cut-short
///   header (a crash while the journal was created), gets a header.
/// - **Records.** Every other line is one record:
///   `{"v":1,"purchase":"<customer>/<digest>","ends":false,"record":{…}}`,
///   where `purchase` is the [`PurchaseKey`]'s name, `ends` says whether
///   the record ends its purchase (finished or abandoned), and `record` is
///   the journal's own record, kept as it was given. Each record is a full
///   snapshot of its purchase's state: only the last one of each purchase
///   counts, and [`read`](JournalStore::read) returns only that one.
/// - **Torn lines.** A crash while a record is written can leave the last
///   line cut short: not valid JSON, and no line end. Opening drops that
///   line (with a warning in the log): its record was never acknowledged,
///   so the call it guarded was never sent. A last line that is a whole
///   record and lost only its line end is kept, and its line ended before
///   the next record. Any other line that cannot be read is an error that
///   names its number, and the file is left as it was.
/// - **Compaction.** When the file holds more than twice as many records
///   as purchases (and at least a few hundred), on opening or after an
///   append, the store writes the header and each purchase's latest record
///   to a new file beside the journal (`<journal>.compacting`, mode
///   `0600`), syncs it, renames it over the journal and syncs the folder.
///   A crash at any point leaves either the old file or the new one whole
///   under the journal's name; a leftover `.compacting` file is
///   overwritten by the next compaction.
/// - **Versions.** The header and each record carry the format's version.
///   A file or record of a newer version than this release reads is
///   refused, naming the version: it was written by a newer release, and
///   this one would misread it.
pub struct FileStore {
    path: PathBuf,
    state: Arc<Mutex<State>>,
    /// The lock on the journal's place, held while the store is open.
    _place: File,
}

/// What the store knows, under one lock: the file, and where each
/// purchase's latest record lies in it.
struct State {
    path: PathBuf,
    /// The journal, opened for reading and writing, and locked.
    file: File,
    /// The bytes of the file that hold whole lines; the next record goes
    /// here.
    len: u64,
    /// Whether the last line lost its line end: the next record starts by
    /// ending it.
    needs_line_end: bool,
    /// The records the file holds, superseded ones included.
    records: u64,
    /// The record count from which the next append compacts.
    compact_at: u64,
    index: HashMap<PurchaseKey, Latest>,
    held: HashMap<PurchaseKey, Hold>,
}

/// Where a purchase's latest record lies, and what the store knows of it.
#[derive(Debug, Clone, Copy)]
struct Latest {
    /// The offset of its line in the file.
    offset: u64,
    /// The length of its line, without the line end.
    len: u32,
    /// Whether it ends the purchase.
    ended: bool,
    /// How many records of the purchase this store has seen: a claim's
    /// position. Kept through compaction, so that it never goes back while
    /// a claim is held.
    count: u64,
}

/// A claim given and not yet released.
struct Hold {
    id: String,
    owner: String,
}

/// Releases a claim when the [`Claim`] holding it is dropped.
struct Release {
    state: Arc<Mutex<State>>,
    key: PurchaseKey,
    id: String,
}

impl Drop for Release {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if state
            .held
            .get(&self.key)
            .is_some_and(|hold| hold.id == self.id)
        {
            state.held.remove(&self.key);
        }
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .field("purchases", &state.index.len())
            .field("records", &state.records)
            .finish_non_exhaustive()
    }
}

impl FileStore {
    /// Opens the journal file at `path`, creating it (with a header, mode
    /// `0600` on Unix) if needed, locks it for as long as the store lives,
    /// reads where each purchase's latest record lies, and compacts the
    /// file when superseded records dominate it. See the [format](#format).
    ///
    /// # Errors
    ///
    /// [`Error::Journal`] with [`JournalError::Locked`] when another store
    /// (in this process or another) has the file open, or
    /// [`JournalError::Store`] when it cannot be created, opened, locked or
    /// read, is not a journal (no header), was written by a newer release,
    /// or holds a line other than a torn last one that cannot be read.
    pub fn open(path: impl AsRef<Path>) -> Result<FileStore, Error> {
        let path = path.as_ref().to_path_buf();
        let place = lock_place(&path)?;
        let (file, created) = open_locked(&path)?;
        if !created {
            warn_if_readable_by_others(&path, &file);
        }
        let mut state = State {
            path: path.clone(),
            file,
            len: 0,
            needs_line_end: false,
            records: 0,
            compact_at: 0,
            index: HashMap::new(),
            held: HashMap::new(),
        };
        state
            .load()
            .map_err(|problem| store_error(&path, problem))?;
        if created {
            sync_folder(&path).map_err(|error| io_error(&path, "sync the folder of", error))?;
        }
        state.compact_at = state.compaction_threshold();
        if state.records >= state.compact_at {
            state.compact();
            state.compact_at = state.next_compaction();
        }
        Ok(FileStore {
            path,
            state: Arc::new(Mutex::new(state)),
            _place: place,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl JournalStore for FileStore {
    fn claim(&self, key: &PurchaseKey, owner: &str) -> Result<Claim, JournalError> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let mut state = lock(&self.state);
        if let Some(hold) = state.held.get(key) {
            return Err(JournalError::Held {
                purchase: key.name(),
                holder: format!("{} (claim {}, in this process)", hold.owner, hold.id),
            });
        }
        let id = format!(
            "{}.{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let position = state.index.get(key).map_or(0, |latest| latest.count);
        state.held.insert(
            key.clone(),
            Hold {
                id: id.clone(),
                owner: owner.to_owned(),
            },
        );
        let release = Release {
            state: Arc::clone(&self.state),
            key: key.clone(),
            id: id.clone(),
        };
        Ok(Claim::new(key.clone(), id, position).keep_alive(release))
    }

    fn read(&self, key: &PurchaseKey) -> Result<Vec<String>, JournalError> {
        let mut state = lock(&self.state);
        let Some(latest) = state.index.get(key).copied() else {
            return Ok(Vec::new());
        };
        let record = state
            .read_record(latest)
            .map_err(|problem| JournalError::Store(problem.into()))?;
        Ok(vec![record])
    }

    fn append(&self, claim: &mut Claim, record: &StoredRecord) -> Result<(), JournalError> {
        let key = claim.key().clone();
        let lost = |reason: String| JournalError::ClaimLost {
            purchase: key.name(),
            reason,
        };
        let mut state = lock(&self.state);
        match state.held.get(&key) {
            Some(hold) if hold.id == claim.id() => {}
            Some(hold) => {
                return Err(lost(format!(
                    "{} holds it now (claim {})",
                    hold.owner, hold.id
                )));
            }
            None => return Err(lost("the claim was released".to_owned())),
        }
        let count = state.index.get(&key).map_or(0, |latest| latest.count);
        if count != claim.position() {
            return Err(lost(format!(
                "{} records are stored, and the claim expected {}",
                count,
                claim.position()
            )));
        }
        let line = record_line(&key, record).map_err(|problem| {
            JournalError::Store(format!("{}: {problem}", self.path.display()).into())
        })?;
        state
            .write_line(&key, &line, record.ends, count + 1)
            .map_err(|error| {
                JournalError::Store(
                    format!(
                        "could not write to the journal {}: {error}",
                        self.path.display()
                    )
                    .into(),
                )
            })?;
        claim.set_position(count + 1);
        if state.records >= state.compact_at {
            state.compact();
            state.compact_at = state.next_compaction();
        }
        Ok(())
    }

    fn release(&self, claim: Claim) -> Result<(), JournalError> {
        // The claim's `Release` gives the purchase back as it drops.
        drop(claim);
        Ok(())
    }

    fn list(&self, customer: Option<CustomerId>) -> Result<Vec<Listed>, JournalError> {
        let state = lock(&self.state);
        Ok(state
            .index
            .iter()
            .filter(|(key, _)| customer.is_none_or(|customer| key.customer() == customer))
            .map(|(key, latest)| Listed {
                key: key.clone(),
                ended: latest.ended,
            })
            .collect())
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A thread that panicked under the lock left the file whole: a write
    // that failed part-way is cut off before the error returns.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    /// Reads the file: its header, and where each purchase's latest record
    /// lies. An empty file (or a cut-short header alone) gets a header; a
    /// torn last line is cut off. Nothing else is ever changed, and a file
    /// that is not a journal is left as it was.
    fn load(&mut self) -> Result<(), String> {
        let header = header_line();
        let size = self
            .file
            .metadata()
            .map_err(|error| format!("could not read it: {error}"))?
            .len();
        let mut reader = BufReader::with_capacity(1 << 16, &self.file);
        reader
            .seek(SeekFrom::Start(0))
            .map_err(|error| format!("could not read it: {error}"))?;
        let mut line = Vec::new();
        read_line(&mut reader, &mut line)?;
        let first_complete = line.ends_with(b"\n");
        let first = line.strip_suffix(b"\n").unwrap_or(&line);
        if !first_complete && header.as_bytes().starts_with(first) && size == line.len() as u64 {
            // Empty, or a header cut short by a crash as the file was made.
            drop(reader);
            return self
                .write_header()
                .map_err(|error| format!("could not write its header: {error}"));
        }
        check_header(first)?;
        let mut offset = line.len() as u64;
        self.len = offset;
        self.needs_line_end = !first_complete;
        let mut number = 1;
        loop {
            line.clear();
            read_line(&mut reader, &mut line)?;
            if line.is_empty() {
                break;
            }
            number += 1;
            let complete = line.ends_with(b"\n");
            let content = line.strip_suffix(b"\n").unwrap_or(&line);
            if content.iter().all(u8::is_ascii_whitespace) {
                offset += line.len() as u64;
                self.len = offset;
                self.needs_line_end = !complete;
                continue;
            }
            match parse_record(content) {
                Ok((key, ends)) => {
                    let len = u32::try_from(content.len())
                        .map_err(|_| format!("line {number} is too long for a record"))?;
                    let latest = self.index.entry(key).or_insert(Latest {
                        offset,
                        len,
                        ended: ends,
                        count: 0,
                    });
                    latest.offset = offset;
                    latest.len = len;
                    latest.ended = ends;
                    latest.count += 1;
                    self.records += 1;
                    offset += line.len() as u64;
                    self.len = offset;
                    self.needs_line_end = !complete;
                }
                Err(LineProblem::CutShort) if !complete => {
                    drop(reader);
                    log::warn!(
                        target: LOG_TARGET,
                        "{}: dropping a torn last line of {} bytes, left by a crash before its call was sent",
                        Escaped(&self.path.display().to_string()),
                        content.len()
                    );
                    return self
                        .cut_to(offset)
                        .map_err(|error| format!("could not cut off its torn last line: {error}"));
                }
                Err(problem) => return Err(format!("line {number} {}", problem.describe())),
            }
        }
        Ok(())
    }

    /// Writes the header into an empty (or cut-short) file.
    fn write_header(&mut self) -> io::Result<()> {
        let mut header = header_line().into_bytes();
        header.push(b'\n');
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&header)?;
        self.file.sync_all()?;
        self.len = header.len() as u64;
        self.needs_line_end = false;
        Ok(())
    }

    /// Cuts the file back to `len` bytes.
    fn cut_to(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()?;
        self.len = len;
        Ok(())
    }

    /// Appends `line` (without its line end) as the latest record of
    /// `key`, durably.
    fn write_line(
        &mut self,
        key: &PurchaseKey,
        line: &str,
        ends: bool,
        count: u64,
    ) -> io::Result<()> {
        let len = u32::try_from(line.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the record is too long"))?;
        let mut bytes = Vec::with_capacity(line.len() + 2);
        if self.needs_line_end {
            bytes.push(b'\n');
        }
        let offset = self.len + bytes.len() as u64;
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let written = self
            .file
            .seek(SeekFrom::Start(self.len))
            .and_then(|_| self.file.write_all(&bytes))
            .and_then(|()| self.file.sync_data());
        if let Err(error) = written {
            // A part written (a full disk, say) would glue the next record
            // onto this one: cut it off, as opening would.
            let _ = self.file.set_len(self.len);
            return Err(error);
        }
        self.len += bytes.len() as u64;
        self.needs_line_end = false;
        self.records += 1;
        self.index.insert(
            key.clone(),
            Latest {
                offset,
                len,
                ended: ends,
                count,
            },
        );
        Ok(())
    }

    /// The journal's record in the line at `latest`.
    fn read_record(&mut self, latest: Latest) -> Result<String, String> {
        let line = self
            .read_line_at(latest)
            .map_err(|error| format!("could not read {}: {error}", self.path.display()))?;
        record_of(&line).ok_or_else(|| {
            format!(
                "{}: the record at byte {} cannot be read; the file was changed by something else",
                self.path.display(),
                latest.offset
            )
        })
    }

    fn read_line_at(&mut self, latest: Latest) -> io::Result<Vec<u8>> {
        let mut line = vec![0; latest.len as usize];
        self.file.seek(SeekFrom::Start(latest.offset))?;
        self.file.read_exact(&mut line)?;
        Ok(line)
    }

    /// The record count above which the file is compacted.
    fn compaction_threshold(&self) -> u64 {
        let purchases = self.index.len() as u64;
        MIN_RECORDS_TO_COMPACT.max(purchases.saturating_mul(RECORDS_PER_PURCHASE_TO_COMPACT) + 1)
    }

    /// The record count for the next compaction, after one: if it failed,
    /// the next try waits for a few hundred more records.
    fn next_compaction(&self) -> u64 {
        self.compaction_threshold()
            .max(self.records.saturating_add(MIN_RECORDS_TO_COMPACT))
    }

    /// Rewrites the file with each purchase's latest record only. A failure
    /// leaves the journal as it was, and is logged: compaction saves room
    /// and time, and nothing is lost without it.
    fn compact(&mut self) {
        let records = self.records;
        match self.rewrite() {
            Ok(()) => log::info!(
                target: LOG_TARGET,
                "{}: compacted {records} records to {} purchases",
                Escaped(&self.path.display().to_string()),
                self.index.len()
            ),
            Err(error) => log::warn!(
                target: LOG_TARGET,
                "{}: could not compact the journal ({}); it is kept as it is",
                Escaped(&self.path.display().to_string()),
                Escaped(&error.to_string())
            ),
        }
    }

    fn rewrite(&mut self) -> io::Result<()> {
        let temporary = compacting_path(&self.path);
        let new = create_private(&temporary, true)?;
        // Lock the new file before its name is the journal's: a process
        // that opens the journal after the rename finds it locked. See
        // `open_locked` for one that opened the old file before.
        if let Err(error) = lock_file(&new) {
            let _ = fs::remove_file(&temporary);
            return Err(match error {
                TryLockError::WouldBlock => io::Error::other("its new file is locked"),
                TryLockError::Error(error) => error,
            });
        }
        let written = self.write_compacted(&new);
        let moved = written.and_then(|offsets| {
            new.sync_all()?;
            fs::rename(&temporary, &self.path)?;
            Ok(offsets)
        });
        let offsets = match moved {
            Ok(offsets) => offsets,
            Err(error) => {
                let _ = fs::remove_file(&temporary);
                return Err(error);
            }
        };
        // The journal's name holds the new file now: use it whatever the
        // folder's sync says.
        let (len, moves) = offsets;
        for latest in self.index.values_mut() {
            if let Ok(at) = moves.binary_search_by_key(&latest.offset, |(old, _)| *old) {
                latest.offset = moves[at].1;
            }
        }
        self.file = new;
        self.len = len;
        self.needs_line_end = false;
        self.records = self.index.len() as u64;
        sync_folder(&self.path)
    }

    /// Writes the header and each purchase's latest line into `new`, in
    /// the order they lie in the old file. Returns the new length, and
    /// each line's old and new offsets, sorted by the old.
    #[allow(clippy::type_complexity)]
    fn write_compacted(&mut self, new: &File) -> io::Result<(u64, Vec<(u64, u64)>)> {
        let mut lines: Vec<Latest> = self.index.values().copied().collect();
        lines.sort_unstable_by_key(|latest| latest.offset);
        let mut writer = BufWriter::with_capacity(1 << 16, new);
        let mut header = header_line().into_bytes();
        header.push(b'\n');
        writer.write_all(&header)?;
        let mut len = header.len() as u64;
        let mut moves = Vec::with_capacity(lines.len());
        let mut line = Vec::new();
        for latest in lines {
            line.resize(latest.len as usize, 0);
            self.file.seek(SeekFrom::Start(latest.offset))?;
            self.file.read_exact(&mut line)?;
            writer.write_all(&line)?;
            writer.write_all(b"\n")?;
            moves.push((latest.offset, len));
            len += u64::from(latest.len) + 1;
        }
        writer.flush()?;
        Ok((len, moves))
    }
}

/// Locks the place of the journal at `path`: a file beside it, named
/// after it with `.lock` added (created empty, mode `0600`, and left
/// there), locked for as long as the store is open. The journal's own lock
/// moves with the file: a journal moved away while in use let a second
/// process create a new one at the path and run beside the first, each
/// with its own records of the same purchases.
fn lock_place(path: &Path) -> Result<File, Error> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let beside = path.with_file_name(name);
    let file = match create_private(&beside, false) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => OpenOptions::new()
            .read(true)
            .write(true)
            .open(&beside)
            .map_err(|error| io_error(&beside, "open", error))?,
        Err(error) => return Err(io_error(&beside, "create", error)),
    };
    match lock_file(&file) {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
            path: path.to_path_buf(),
        }
        .into()),
        Err(TryLockError::Error(error)) => Err(io_error(&beside, "lock", error)),
    }
}

/// Opens (or creates, mode `0600`) the journal and locks it.
///
/// The journal file is locked too, besides its place ([`lock_place`]),
/// so that a store that finds it by another path (a link) is refused as
/// well. Compaction replaces
/// the file by renaming a new one over it, and locks the new one before
/// the rename, so the lock holds across it; but a process that opened the
/// old file just before the rename may lock that file once the old holder
/// lets it go. So, after locking, the file locked must still be the one
/// the path names; if not, it is opened again.
fn open_locked(path: &Path) -> Result<(File, bool), Error> {
    for _ in 0..8 {
        let (file, created) = match create_private(path, false) {
            Ok(file) => (file, true),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(|error| io_error(path, "open", error))?;
                (file, false)
            }
            Err(error) => return Err(io_error(path, "create", error)),
        };
        match lock_file(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: path.to_path_buf(),
                }
                .into());
            }
            Err(TryLockError::Error(error)) => return Err(io_error(path, "lock", error)),
        }
        if still_named(path, &file).map_err(|error| io_error(path, "open", error))? {
            return Ok((file, created));
        }
    }
    Err(JournalError::Locked {
        path: path.to_path_buf(),
    }
    .into())
}

fn lock_file(file: &File) -> Result<(), TryLockError> {
    file.try_lock()
}

/// Whether `path` still names `file`.
#[cfg(unix)]
fn still_named(path: &Path, file: &File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (named, open) = (fs::metadata(path), file.metadata()?);
    match named {
        Ok(named) => Ok(named.dev() == open.dev() && named.ino() == open.ino()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whether `path` still names `file`: elsewhere an open file cannot be
/// renamed over, so it does.
#[cfg(not(unix))]
fn still_named(_path: &Path, _file: &File) -> io::Result<bool> {
    Ok(true)
}

/// Creates `path` for reading and writing, readable by its owner only;
/// `replace` truncates a file already there, otherwise one is an error.
pub(super) fn create_private(path: &Path, replace: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    if replace {
        // A leftover file kept its mode: make it private before it is
        // written.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, file: &File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = file.metadata() {
        let mode = metadata.permissions().mode();
        if mode & 0o044 != 0 {
            log::warn!(
                target: LOG_TARGET,
                "{}: other users can read this journal (mode {:o}), which holds tenant IDs, carts and orders; `chmod 600` it",
                Escaped(&path.display().to_string()),
                mode & 0o777
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _file: &File) {}

fn compacting_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".compacting");
    path.with_file_name(name)
}

fn header_line() -> String {
    format!("{{\"{HEADER_FIELD}\":{VERSION}}}")
}

/// Reads one line, with its line end when it has one.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> Result<(), String> {
    reader
        .read_until(b'\n', line)
        .map(|_| ())
        .map_err(|error| format!("could not read it: {error}"))
}

/// Refuses a first line that is not a header of a version this release
/// reads.
fn check_header(line: &[u8]) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Header {
        partner_center_cart_journal: u64,
    }
    let not_journal = || {
        "is not a purchase journal: its first line is not a journal header. It may be \
         another file given by mistake, or a journal of an earlier release (finish its \
         purchases with that release). It was left as it was; give the path of a journal, \
         or of a new file"
            .to_owned()
    };
    match serde_json::from_slice::<Header>(line) {
        Ok(header) if header.partner_center_cart_journal <= VERSION => Ok(()),
        Ok(header) => Err(newer(header.partner_center_cart_journal, "the file")),
        Err(_) => Err(not_journal()),
    }
}

fn newer(version: u64, what: &str) -> String {
    format!(
        "{what} is in journal format {version}, written by a newer release of \
         partner-center-cart; this one reads format {VERSION} and older. Use the newer \
         release; the file was left as it was"
    )
}

/// Why a record line cannot be read.
enum LineProblem {
    /// It ends before its JSON does: a torn write, if it is the last line.
    CutShort,
    /// It is of a newer format.
    Newer(u64),
    /// Anything else.
    Bad(String),
}

impl LineProblem {
    fn describe(&self) -> String {
        match self {
            LineProblem::CutShort => {
                "is cut short, and not the last line: the file was changed by something else"
                    .to_owned()
            }
            LineProblem::Newer(version) => newer(*version, "is a record that"),
            LineProblem::Bad(problem) => format!("cannot be read: {problem}"),
        }
    }
}

/// A record line's purchase and whether it ends it.
fn parse_record(line: &[u8]) -> Result<(PurchaseKey, bool), LineProblem> {
    #[derive(Deserialize)]
    struct Line {
        v: u64,
        purchase: Option<String>,
        ends: Option<bool>,
        record: Option<IgnoredAny>,
    }
    let parsed: Line = serde_json::from_slice(line).map_err(|error| {
        if error.is_eof() {
            LineProblem::CutShort
        } else {
            // The message may quote the line, and so the service's text.
            LineProblem::Bad(Escaped(&error.to_string()).to_string())
        }
    })?;
    if parsed.v > VERSION {
        return Err(LineProblem::Newer(parsed.v));
    }
    let (Some(purchase), Some(ends), Some(_)) = (parsed.purchase, parsed.ends, parsed.record)
    else {
        return Err(LineProblem::Bad(
            "a record needs `purchase`, `ends` and `record`".to_owned(),
        ));
    };
    let key = PurchaseKey::from_name(&purchase).ok_or_else(|| {
        LineProblem::Bad(format!("`{}` is not a purchase's name", Escaped(&purchase)))
    })?;
    Ok((key, ends))
}

/// The line that stores `record` for `key`. The record goes in as given,
/// after the fields the store reads, so that reading it back is a slice.
fn record_line(key: &PurchaseKey, record: &StoredRecord) -> Result<String, String> {
    let json = record.json.trim();
    if json.bytes().any(|byte| byte == b'\n' || byte == b'\r') {
        return Err("a record must be one line of JSON".to_owned());
    }
    if serde_json::from_str::<IgnoredAny>(json).is_err() {
        return Err("a record must be JSON".to_owned());
    }
    Ok(format!(
        "{}{}}}",
        record_prefix(&key.name(), record.ends),
        json
    ))
}

fn record_prefix(name: &str, ends: bool) -> String {
    format!("{{\"v\":{VERSION},\"purchase\":\"{name}\",\"ends\":{ends},\"record\":")
}

/// The journal's record in a record line.
fn record_of(line: &[u8]) -> Option<String> {
    let (key, ends) = parse_record(line).ok()?;
    let text = std::str::from_utf8(line).ok()?;
    let record = text
        .trim_start()
        .strip_prefix(&record_prefix(&key.name(), ends))?
        .trim_end()
        .strip_suffix('}')?
        .trim();
    serde_json::from_str::<IgnoredAny>(record).ok()?;
    Some(record.to_owned())
}

/// Syncs the folder holding `path`, so that a new or renamed entry is
/// durable.
fn sync_folder(path: &Path) -> io::Result<()> {
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

fn io_error(path: &Path, action: &str, error: io::Error) -> Error {
    store_error(path, format!("could not {action} it: {error}"))
}

fn store_error(path: &Path, problem: String) -> Error {
    JournalError::Store(format!("the journal {}: {problem}", path.display()).into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder for one test.
    fn folder(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("pcc-file-store-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn key(n: u32) -> PurchaseKey {
        let customer: CustomerId = format!("28045616-f6b9-462f-9701-{n:012x}").parse().unwrap();
        PurchaseKey::new(customer, format!("{n:08x}"))
    }

    fn record(stage: &str, n: u32, ends: bool) -> StoredRecord {
        StoredRecord {
            json: format!(r#"{{"stage":"{stage}","n":{n},"text":"a \"quoted\" word"}}"#),
            ends,
        }
    }

    /// Appends `stages` records to purchase `n` under one claim.
    fn buy(store: &FileStore, n: u32, stages: &[&str]) {
        let mut claim = store.claim(&key(n), "test").unwrap();
        for (i, stage) in stages.iter().enumerate() {
            let ends = i + 1 == stages.len() && *stage == "finished";
            store.append(&mut claim, &record(stage, n, ends)).unwrap();
        }
        store.release(claim).unwrap();
    }

    fn error_text(error: Error) -> String {
        error.to_string()
    }

    #[test]
    fn a_new_journal_starts_with_its_header_and_is_private() {
        let path = folder("new").join("purchases.journal");
        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.path(), path);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "{\"partner_center_cart_journal\":1}\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        buy(&store, 1, &["started"]);
        let text = fs::read_to_string(&path).unwrap();
        let second = text.lines().nth(1).unwrap();
        assert!(
            second.starts_with(&format!(
                "{{\"v\":1,\"purchase\":\"{}\",\"ends\":false,\"record\":{{",
                key(1).name()
            )),
            "{second}"
        );
    }

    #[test]
    fn a_file_without_a_header_is_refused_and_left_as_it_was() {
        let dir = folder("headerless");
        for (name, content) in [
            ("settings.json", &b"{\"theme\":\"dark\"}"[..]),
            ("notes.txt", b"remember the milk\nand the eggs\n"),
            (
                "old.journal",
                b"{\"key\":\"a\",\"event\":\"created\",\"cartId\":\"3655b1a0-b1c9-4268-9824-577fdbc4d0be\"}\n",
            ),
            ("binary", b"\xff\xfe\x00garbage"),
        ] {
            let path = dir.join(name);
            fs::write(&path, content).unwrap();
            let problem = error_text(FileStore::open(&path).unwrap_err());
            assert!(problem.contains("not a purchase journal"), "{problem}");
            assert!(problem.contains(name), "{problem}");
            assert_eq!(fs::read(&path).unwrap(), content, "{name} was changed");
        }
    }

    #[test]
    fn an_empty_file_or_a_cut_short_header_gets_a_header() {
        let dir = folder("empty");
        for (name, content) in [("empty", ""), ("cut", "{\"partner_center_ca")] {
            let path = dir.join(name);
            fs::write(&path, content).unwrap();
            drop(FileStore::open(&path).unwrap());
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                "{\"partner_center_cart_journal\":1}\n"
            );
        }
    }

    #[test]
    fn a_newer_version_is_refused_naming_it() {
        let dir = folder("newer");
        let header = dir.join("header");
        fs::write(&header, "{\"partner_center_cart_journal\":7}\n").unwrap();
        let problem = error_text(FileStore::open(&header).unwrap_err());
        assert!(problem.contains("format 7"), "{problem}");
        assert!(problem.contains("newer release"), "{problem}");

        let store = FileStore::open(dir.join("record")).unwrap();
        buy(&store, 1, &["started"]);
        drop(store);
        // A whole record of a newer format that lost its line end: refused,
        // never dropped as torn.
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.join("record"))
            .unwrap();
        let newer = format!(
            "{{\"v\":3,\"purchase\":\"{}\",\"state\":{{}}}}",
            key(2).name()
        );
        file.write_all(newer.as_bytes()).unwrap();
        let before = fs::read(dir.join("record")).unwrap();
        let problem = error_text(FileStore::open(dir.join("record")).unwrap_err());
        assert!(problem.contains("line 3"), "{problem}");
        assert!(problem.contains("format 3"), "{problem}");
        assert_eq!(fs::read(dir.join("record")).unwrap(), before);
    }

    #[test]
    fn only_a_cut_short_last_record_is_torn() {
        let dir = folder("torn");
        let path = dir.join("journal");
        let store = FileStore::open(&path).unwrap();
        buy(&store, 1, &["started"]);
        buy(&store, 2, &["started"]);
        drop(store);
        let whole = fs::read_to_string(&path).unwrap();

        // Cut short: dropped, and the next record starts a line of its own.
        let line = whole.lines().nth(2).unwrap().to_owned();
        let kept = whole[..whole.len() - line.len() - 1].to_owned();
        fs::write(&path, format!("{kept}{}", &line[..line.len() / 2])).unwrap();
        let store = FileStore::open(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), kept);
        assert_eq!(store.read(&key(2)).unwrap(), Vec::<String>::new());
        buy(&store, 3, &["started"]);
        assert_eq!(
            store.read(&key(3)).unwrap(),
            [record("started", 3, false).json]
        );
        drop(store);

        // Whole but for its line end: kept, and its line ended before the
        // next record.
        fs::write(&path, whole.trim_end()).unwrap();
        let store = FileStore::open(&path).unwrap();
        assert_eq!(
            store.read(&key(2)).unwrap(),
            [record("started", 2, false).json]
        );
        buy(&store, 4, &["started"]);
        drop(store);
        let store = FileStore::open(&path).unwrap();
        for n in [1, 2, 4] {
            assert_eq!(
                store.read(&key(n)).unwrap(),
                [record("started", n, false).json]
            );
        }
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 4);
        drop(store);

        // A bad line that is not the last: an error naming it, the file
        // untouched.
        let bad = format!("{kept}{{\"v\":1,\"purch\n{line}\n");
        fs::write(&path, &bad).unwrap();
        let problem = error_text(FileStore::open(&path).unwrap_err());
        assert!(problem.contains("line 3"), "{problem}");
        assert_eq!(fs::read_to_string(&path).unwrap(), bad);
    }

    #[test]
    fn a_second_store_on_the_same_file_is_refused() {
        let path = folder("locked").join("journal");
        let store = FileStore::open(&path).unwrap();
        let refused = FileStore::open(&path).unwrap_err();
        assert!(
            matches!(&refused, Error::Journal(JournalError::Locked { path: named }) if *named == path),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("journal"), "{refused}");
        drop(store);
        drop(FileStore::open(&path).unwrap());
    }

    #[test]
    fn a_journal_moved_away_while_in_use_keeps_its_place_locked() {
        let path = folder("moved").join("journal");
        let store = FileStore::open(&path).unwrap();
        fs::rename(&path, path.with_file_name("archived")).unwrap();
        let refused = FileStore::open(&path).unwrap_err();
        assert!(
            matches!(&refused, Error::Journal(JournalError::Locked { path: named }) if *named == path),
            "{refused:?}"
        );
        assert!(!path.exists(), "no new journal was made");
        drop(store);
        drop(FileStore::open(&path).unwrap());
    }

    #[test]
    fn a_claim_keeps_others_out_and_a_lost_claim_cannot_append() {
        let path = folder("claims").join("journal");
        let store = FileStore::open(&path).unwrap();
        let mut first = store.claim(&key(1), "worker one").unwrap();
        match store.claim(&key(1), "worker two") {
            Err(JournalError::Held { purchase, holder }) => {
                assert_eq!(purchase, key(1).name());
                assert!(holder.contains("worker one"), "{holder}");
            }
            other => panic!("{other:?}"),
        }
        // Another purchase is free.
        drop(store.claim(&key(2), "worker two").unwrap());
        store
            .append(&mut first, &record("started", 1, false))
            .unwrap();
        assert_eq!(first.position(), 1);

        // A claim whose position is behind what is stored.
        let mut stale = Claim::new(key(1), first.id(), 0);
        assert!(matches!(
            store.append(&mut stale, &record("created", 1, false)),
            Err(JournalError::ClaimLost { .. })
        ));
        // A claim the store never gave.
        let mut forged = Claim::new(key(1), "someone", 1);
        assert!(matches!(
            store.append(&mut forged, &record("created", 1, false)),
            Err(JournalError::ClaimLost { .. })
        ));
        let id = first.id().to_owned();
        store.release(first).unwrap();
        // Released: the old claim's ID no longer holds.
        let mut released = Claim::new(key(1), id, 1);
        assert!(matches!(
            store.append(&mut released, &record("created", 1, false)),
            Err(JournalError::ClaimLost { .. })
        ));
        // A claim dropped unreleased (its thread panicked) lets go too.
        let dropped = store.claim(&key(1), "worker three").unwrap();
        assert_eq!(dropped.position(), 1);
        drop(dropped);
        let mut again = store.claim(&key(1), "worker four").unwrap();
        store
            .append(&mut again, &record("created", 1, false))
            .unwrap();
        assert_eq!(
            store.read(&key(1)).unwrap(),
            [record("created", 1, false).json]
        );
        // Nothing refused was written.
        let lines = fs::read_to_string(&path).unwrap().lines().count();
        assert_eq!(lines, 3);
    }

    #[test]
    fn compaction_keeps_each_purchases_latest_record_and_shrinks_the_file() {
        let path = folder("compact").join("journal");
        let store = FileStore::open(&path).unwrap();
        // 100 finished purchases of four records and 20 unfinished ones of
        // two: 440 records for 120 purchases, past the threshold once.
        for n in 0..100 {
            buy(
                &store,
                n,
                &["started", "created", "checkout_sent", "finished"],
            );
        }
        for n in 100..120 {
            buy(&store, n, &["started", "created"]);
        }
        let check = |store: &FileStore, more: usize| {
            for n in 0..100 {
                assert_eq!(
                    store.read(&key(n)).unwrap(),
                    [record("finished", n, true).json]
                );
            }
            for n in 100..120 {
                assert_eq!(
                    store.read(&key(n)).unwrap(),
                    [record("created", n, false).json]
                );
            }
            let mut listed = store.list(None).unwrap();
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            assert_eq!(listed.len(), 120 + more);
            assert_eq!(listed.iter().filter(|listed| listed.ended).count(), 100);
            let one = store.list(Some(key(7).customer())).unwrap();
            assert_eq!(
                one,
                [Listed {
                    key: key(7),
                    ended: true
                }]
            );
        };
        check(&store, 0);
        let records = fs::read_to_string(&path).unwrap().lines().count() - 1;
        assert!(
            records < 300,
            "compacted while appending: {records} records"
        );
        drop(store);

        // Written without compaction (as a crash mid-way, or another
        // release, would leave it): compacted on opening.
        let header = header_line();
        let mut text = format!("{header}\n");
        for stage in ["started", "created", "checkout_sent"] {
            for n in 0..120 {
                text.push_str(&record_line(&key(n), &record(stage, n, false)).unwrap());
                text.push('\n');
            }
        }
        for n in 0..100 {
            text.push_str(&record_line(&key(n), &record("finished", n, true)).unwrap());
            text.push('\n');
        }
        for n in 100..120 {
            text.push_str(&record_line(&key(n), &record("created", n, false)).unwrap());
            text.push('\n');
        }
        fs::write(&path, &text).unwrap();
        let store = FileStore::open(&path).unwrap();
        check(&store, 0);
        let compacted = fs::read_to_string(&path).unwrap();
        assert_eq!(compacted.lines().count(), 121);
        assert!(
            compacted.len() * 3 < text.len(),
            "{} of {}",
            compacted.len(),
            text.len()
        );
        assert!(!compacting_path(&path).exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        // The lock holds across the rename, and the store goes on.
        assert!(matches!(
            FileStore::open(&path),
            Err(Error::Journal(JournalError::Locked { .. }))
        ));
        buy(&store, 200, &["started"]);
        drop(store);
        let store = FileStore::open(&path).unwrap();
        check(&store, 1);
        assert_eq!(
            store.read(&key(200)).unwrap(),
            [record("started", 200, false).json]
        );
    }

    #[test]
    fn reopening_after_many_records_keeps_everything() {
        let path = folder("reopen").join("journal");
        for round in 0..4 {
            let store = FileStore::open(&path).unwrap();
            if round > 0 {
                for n in 0..150 {
                    assert_eq!(
                        store.read(&key(n)).unwrap(),
                        [record(&format!("round {}", round - 1), n, false).json]
                    );
                }
                assert_eq!(store.list(None).unwrap().len(), 150);
                // A claim after reopening goes on from the stored records.
                let claim = store.claim(&key(0), "test").unwrap();
                assert!(claim.position() > 0);
                drop(claim);
            }
            for n in 0..150 {
                buy(&store, n, &[&format!("round {round}")]);
            }
        }
    }
}
