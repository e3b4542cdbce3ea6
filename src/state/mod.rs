//! Memory across runs: a small record per check set in a state directory,
//! for `--restart-after`, `--start-interval` and `--history` (and the
//! `history` subcommand that shows it). Only the top floor uses this room;
//! the checks never see it, and a run that asks for none of those options
//! never opens it (not one system call: strace shows the plain run
//! unchanged).
//!
//! Rules, from cargo's and tempfile's ways with files that outlive a run:
//! the directory is private and ours or not used (`dir.rs`); records are
//! replaced whole (write beside, rename over) under a lock with a give-up
//! time (`lock.rs`); a record is text with a version, bounded, and a file
//! that is not one is replaced with a note, never trusted (`record.rs`).
//! Measured on tmpfs, side by side with a plain run (500 each): an update
//! (lock, read, write, rename, 27 system calls) adds 0.06 to 0.08 ms with
//! `--restart-after`, 0.1 ms with `--history 20`, 0.5 ms with a full
//! `--history 1000` (so runs are copied on as kept, never re-escaped).

pub mod dir;
pub mod lock;
pub mod record;

use std::path::Path;
use std::time::Duration;

pub use dir::Dir;
pub use record::{MAX_RECORD_BYTES, Record, Run, Unreadable};

use dir::Found;
use lock::Lock;

/// The most records `history` reads from one directory.
pub const MAX_RECORDS: usize = 256;

/// Which check set a record belongs to: a hash of its targets and options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub u64);

impl Key {
    /// The key of everything in `parts`, in order.
    pub fn of(parts: &[&[u8]]) -> Key {
        Key(parts.iter().fold(FNV_OFFSET, |h, p| {
            // Each part's length first: ("ab","c") and ("a","bc") differ.
            let h = fnv(h, &(p.len() as u64).to_le_bytes());
            fnv(h, p)
        }))
    }

    fn record_name(self) -> String {
        format!("{:016x}{RECORD}", self.0)
    }

    fn lock_name(self) -> String {
        format!("{:016x}.lock", self.0)
    }
}

const RECORD: &str = ".rec";
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a: stable across builds and versions (std's hasher promises
/// neither), and the keys need no defence against chosen collisions.
pub fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An open state directory.
pub struct Store {
    dir: Dir,
}

impl Store {
    /// Opens (or makes) the state directory at `path`; `Err` is the note.
    pub fn open(path: &Path) -> Result<Store, String> {
        Dir::open(path).map(|dir| Store { dir })
    }

    /// The record of `key` as it is now, without the lock (a record is
    /// replaced whole, so this is one whole version); `None` if there is
    /// none we can use.
    pub fn peek(&self, key: Key) -> Option<Record> {
        match self.dir.read(&key.record_name(), MAX_RECORD_BYTES) {
            Found::Ours(bytes) => Record::parse(std::str::from_utf8(&bytes).ok()?).ok(),
            _ => None,
        }
    }

    /// Updates the record of `key` under its lock: `change` gets the record
    /// (a fresh one if there was none, or it was not ours) and returns what
    /// to write. Returns the notes for the line: a record that had to be
    /// replaced. `Err`: nothing was recorded, and why.
    pub fn update(
        &self,
        key: Key,
        patience: Duration,
        change: impl FnOnce(Record) -> Record,
    ) -> Result<Vec<String>, String> {
        let _lock = Lock::take(self.dir.lock_file(&key.lock_name())?, patience)?;
        let name = key.record_name();
        let mut notes = Vec::new();
        let record = match self.dir.read(&name, MAX_RECORD_BYTES) {
            Found::Absent => Record::default(),
            Found::Ours(bytes) => match std::str::from_utf8(&bytes)
                .map_err(|_| Unreadable::Corrupt)
                .and_then(Record::parse)
            {
                Ok(record) => record,
                Err(Unreadable::Version(v)) => {
                    notes.push(format!("state file {name} had version {v}: replaced"));
                    Record::default()
                }
                Err(Unreadable::Corrupt) => {
                    notes.push(format!("state file {name} was corrupt: replaced"));
                    Record::default()
                }
            },
            Found::Foreign(why) => {
                notes.push(format!("state file {name} {why}: replaced"));
                Record::default()
            }
        };
        let record = change(record);
        if let Err(why) = self.dir.replace(&name, record.to_text().as_bytes()) {
            // The record on disk now lags this run: left there, a streak it
            // holds would go on past a healthy run that was not recorded
            // (and --restart-after would signal after failures that were
            // not in a row). Removed, the counts start again.
            self.dir.remove(&name);
            return Err(why);
        }
        Ok(notes)
    }

    /// Every record in the directory we can read, at most [`MAX_RECORDS`];
    /// `true` when there were more files than that.
    pub fn records(&self) -> (Vec<(String, Record)>, bool) {
        let mut names = self.dir.names(RECORD, MAX_RECORDS + 1);
        let more = names.len() > MAX_RECORDS;
        names.truncate(MAX_RECORDS);
        let records = names
            .into_iter()
            .filter_map(|name| match self.dir.read(&name, MAX_RECORD_BYTES) {
                Found::Ours(bytes) => {
                    let record = Record::parse(std::str::from_utf8(&bytes).ok()?).ok()?;
                    Some((name, record))
                }
                _ => None,
            })
            .collect();
        (records, more)
    }

    pub fn path(&self) -> &Path {
        &self.dir.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_parts_apart() {
        let a = Key::of(&[b"ab", b"c"]);
        assert_ne!(a, Key::of(&[b"a", b"bc"]));
        assert_eq!(a, Key::of(&[b"ab", b"c"]));
        // FNV-1a's published value for "a".
        assert_eq!(fnv(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
