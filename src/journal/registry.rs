//! What this user's other file journals on this machine hold: a small
//! record of each purchase whose checkout may have bought, in a folder of
//! the user's, so that a journal opened somewhere else (the same command
//! run from another folder makes a new one) does not buy beside it.
//!
//! Each purchase has one file, named by its customer, its key and its
//! journal, holding a [`Entry`]: written before its checkout is recorded,
//! marked finished when it ends, and dropped 7 days after that or when its
//! journal is gone.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::JournalError;
use super::file::create_private;
use super::state::{self, RECENTLY, millis};
use super::store::PurchaseKey;
use crate::encoding::sha256::hex_digest;
use crate::ids::CustomerId;

/// The variable that names the folder of the record; by default
/// `partner-center-cart` under `$XDG_STATE_HOME`, `~/.local/state` or
/// `%LOCALAPPDATA%`. Without any of them the record is not kept.
pub const STATE_DIR_VARIABLE: &str = "PARTNER_CENTER_STATE_DIR";

/// A purchase of another journal, as the record holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Entry {
    /// The Partner Center it was bought from (the client's base URL).
    pub(super) service: String,
    /// The journal that holds it.
    pub(super) journal: PathBuf,
    /// Its contents, canonical, as [`Purchase::contents`](super::Purchase::contents).
    pub(super) contents: Vec<String>,
    /// The purchase in words.
    pub(super) purchase: String,
    /// When it ended, in milliseconds since the Unix epoch, and whether it
    /// bought anything; `None` while it is unfinished.
    #[serde(default)]
    pub(super) ended: Option<(u64, bool)>,
}

/// The record, as one file journal sees it.
#[derive(Debug, Clone)]
pub(super) struct Registry {
    dir: PathBuf,
    journal: PathBuf,
}

impl Registry {
    /// The record for the file journal at `journal` (which exists); `None`
    /// when the user has no folder to keep it in.
    pub(super) fn for_journal(journal: &Path) -> Option<Registry> {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let dir = var(STATE_DIR_VARIABLE)
            .map(PathBuf::from)
            .or_else(|| {
                var("XDG_STATE_HOME").map(|dir| PathBuf::from(dir).join("partner-center-cart"))
            })
            .or_else(|| {
                var("HOME").map(|home| PathBuf::from(home).join(".local/state/partner-center-cart"))
            })
            .or_else(|| {
                var("LOCALAPPDATA").map(|dir| PathBuf::from(dir).join("partner-center-cart"))
            })?;
        Some(Registry {
            dir: dir.join("purchases"),
            journal: fs::canonicalize(journal).ok()?,
        })
    }

    /// The record could not be `done`, for the journal's errors.
    fn failed(&self, done: &str, error: io::Error) -> JournalError {
        JournalError::Store(
            format!(
                "the record of purchases in {} could not be {done}: {error}",
                self.dir.display()
            )
            .into(),
        )
    }

    fn file(&self, key: &PurchaseKey) -> PathBuf {
        let journal = hex_digest(self.journal.to_string_lossy().as_bytes());
        self.dir.join(format!(
            "{}.{}.{}",
            key.customer(),
            key.digest(),
            &journal[..16]
        ))
    }

    /// Records that `key` of this journal may buy (or, with `ended`, that
    /// it ended), durably.
    pub(super) fn write(
        &self,
        service: &str,
        key: &PurchaseKey,
        contents: &[String],
        purchase: &str,
        ended: Option<(u64, bool)>,
    ) -> Result<(), JournalError> {
        self.write_file(service, key, contents, purchase, ended)
            .map_err(|error| self.failed("written", error))
    }

    fn write_file(
        &self,
        service: &str,
        key: &PurchaseKey,
        contents: &[String],
        purchase: &str,
        ended: Option<(u64, bool)>,
    ) -> io::Result<()> {
        create_private_dir(&self.dir)?;
        let entry = Entry {
            service: service.to_owned(),
            journal: self.journal.clone(),
            contents: contents.to_vec(),
            purchase: purchase.to_owned(),
            ended,
        };
        let json = serde_json::to_vec(&entry).map_err(io::Error::other)?;
        let file = self.file(key);
        let temporary = file.with_extension("new");
        let mut written = create_private(&temporary, true)?;
        written.write_all(&json)?;
        written.sync_all()?;
        fs::rename(&temporary, &file)
    }

    /// Drops the record of `key` of this journal.
    pub(super) fn forget(&self, key: &PurchaseKey) -> Result<(), JournalError> {
        match fs::remove_file(self.file(key)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(self.failed("updated", error))
            }
            _ => Ok(()),
        }
    }

    /// The purchases of `customer` at `service` that other journals hold,
    /// unfinished or ended within 7 days; records of journals gone, or
    /// older, are dropped.
    pub(super) fn others(
        &self,
        service: &str,
        customer: CustomerId,
    ) -> Result<Vec<Entry>, JournalError> {
        self.read_others(service, customer)
            .map_err(|error| self.failed("read", error))
    }

    fn read_others(&self, service: &str, customer: CustomerId) -> io::Result<Vec<Entry>> {
        let listing = match fs::read_dir(&self.dir) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            listing => listing?,
        };
        let prefix = format!("{customer}.");
        let now = state::now();
        let mut others = Vec::new();
        for found in listing {
            let path = found?.path();
            let named = path.file_name().and_then(|name| name.to_str());
            if !named.is_some_and(|name| name.starts_with(&prefix) && !name.ends_with(".new")) {
                continue;
            }
            // A record that cannot be read is no one's purchase.
            let Ok(entry) = serde_json::from_slice::<Entry>(&fs::read(&path)?) else {
                continue;
            };
            let stale = entry
                .ended
                .is_some_and(|(at, _)| now.saturating_sub(at) >= millis(RECENTLY));
            if stale || !entry.journal.exists() {
                let _ = fs::remove_file(&path);
            } else if entry.journal != self.journal && entry.service == service {
                others.push(entry);
            }
        }
        Ok(others)
    }
}

/// Creates `dir` and its parents, the last readable by its owner only.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "https://api.partnercenter.microsoft.com";

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("registry-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn journal_in(dir: &Path, name: &str, record: &Path) -> Registry {
        let journal = dir.join(name);
        fs::write(&journal, "").unwrap();
        Registry {
            dir: record.to_path_buf(),
            journal: fs::canonicalize(journal).unwrap(),
        }
    }

    #[test]
    fn each_journal_sees_the_others_purchases_of_the_customer_at_its_service() {
        let dir = folder("others");
        let record = dir.join("record");
        let (a, b) = (
            journal_in(&dir, "a", &record),
            journal_in(&dir, "b", &record),
        );
        let key = PurchaseKey::from_name("28045616-f6b9-462f-9701-0d89b5e65c44/ab").unwrap();
        let customer = key.customer();
        let lines = ["CFQ7TTC0LH18:0001 x5 monthly P1M".to_owned()];
        a.write(SERVICE, &key, &lines, "five seats", None).unwrap();
        assert!(a.others(SERVICE, customer).unwrap().is_empty(), "its own");
        let seen = b.others(SERVICE, customer).unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].purchase.as_str(), seen[0].ended),
            ("five seats", None)
        );
        assert!(b.others("http://127.0.0.1:1", customer).unwrap().is_empty());
        let other: CustomerId = "6a1e0b8e-55b5-4b8a-9ad6-0f4e9fbd7cf1".parse().unwrap();
        assert!(b.others(SERVICE, other).unwrap().is_empty());

        // Ended long ago, or its journal gone: dropped.
        let old = state::now() - millis(RECENTLY) - 1;
        a.write(SERVICE, &key, &lines, "five seats", Some((old, true)))
            .unwrap();
        assert!(b.others(SERVICE, customer).unwrap().is_empty());
        a.write(SERVICE, &key, &lines, "five seats", None).unwrap();
        fs::remove_file(dir.join("a")).unwrap();
        assert!(b.others(SERVICE, customer).unwrap().is_empty());
        assert_eq!(fs::read_dir(&record).unwrap().count(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&record).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
