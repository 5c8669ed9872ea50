//! The spool's in-memory index: where each live message's record is, its recipients' states,
//! and per segment how much is still live (what compaction decides on).
//!
//! Only the writer thread mutates it (so its order is the log's order); readers take the
//! lock just long enough to copy a location out.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::sync::Arc;

use crate::envelope::RcptState;

/// Location and recipient states of one live message.
#[derive(Debug)]
pub struct MsgEntry {
    pub seg: u64,
    pub off: u64,
    pub len: u32,
    pub external: bool,
    pub states: Box<[RcptState]>,
}

impl MsgEntry {
    pub fn all_final(&self) -> bool {
        self.states.iter().all(|s| *s != RcptState::Pending)
    }
}

/// One segment file and its live accounting.
#[derive(Debug)]
pub struct SegInfo {
    pub file: Arc<File>,
    pub len: u64,
    pub live: u32,
    pub live_bytes: u64,
    /// Ids whose PUT is in this segment (some may be dead or moved); compaction walks it.
    pub ids: Vec<u64>,
}

/// Where a message's content can be read from.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<File>,
    pub off: u64,
    pub len: u32,
    pub external: bool,
    /// In the newest segment: written moments ago by this process (or the tail found at
    /// start-up), so almost surely still in the page cache.
    pub newest: bool,
}

#[derive(Debug, Default)]
pub struct Index {
    pub msgs: HashMap<u64, MsgEntry>,
    pub segs: BTreeMap<u64, SegInfo>,
}

/// Final states win over pending: a later copy of a message never un-finishes a recipient.
pub fn merge_states(into: &mut [RcptState], from: &[RcptState]) {
    for (a, b) in into.iter_mut().zip(from) {
        if *a == RcptState::Pending {
            *a = *b;
        }
    }
}

impl Index {
    pub fn add_segment(&mut self, n: u64, file: Arc<File>, len: u64) {
        self.segs.insert(
            n,
            SegInfo {
                file,
                len,
                live: 0,
                live_bytes: 0,
                ids: Vec::new(),
            },
        );
    }

    /// Records a PUT (new message or a compaction copy). A message whose recipients are all
    /// final is not indexed. Returns true when the message is live afterwards.
    pub fn put(&mut self, id: u64, mut entry: MsgEntry) -> bool {
        if let Some(old) = self.msgs.remove(&id) {
            merge_states(&mut entry.states, &old.states);
            self.unaccount(&old);
        }
        if entry.all_final() {
            return false;
        }
        if let Some(seg) = self.segs.get_mut(&entry.seg) {
            seg.live += 1;
            seg.live_bytes += u64::from(entry.len);
            seg.ids.push(id);
        }
        self.msgs.insert(id, entry);
        true
    }

    fn unaccount(&mut self, e: &MsgEntry) {
        if let Some(seg) = self.segs.get_mut(&e.seg) {
            seg.live -= 1;
            seg.live_bytes -= u64::from(e.len);
        }
    }

    /// Applies recipient state changes; returns the entry if the message just became final
    /// (it is then gone from the index).
    pub fn apply(&mut self, id: u64, updates: &[(u32, RcptState)]) -> Option<MsgEntry> {
        let entry = self.msgs.get_mut(&id)?;
        for &(idx, st) in updates {
            if let Some(s) = entry.states.get_mut(idx as usize)
                && *s == RcptState::Pending
            {
                *s = st;
            }
        }
        if !entry.all_final() {
            return None;
        }
        let entry = self.msgs.remove(&id)?;
        self.unaccount(&entry);
        Some(entry)
    }

    pub fn locate(&self, id: u64) -> Option<Location> {
        let e = self.msgs.get(&id)?;
        let seg = self.segs.get(&e.seg)?;
        let newest = self.segs.last_key_value().is_some_and(|(k, _)| *k == e.seg);
        Some(Location {
            file: seg.file.clone(),
            off: e.off,
            len: e.len,
            external: e.external,
            newest,
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.segs.values().map(|s| s.len).sum()
    }

    pub fn live_bytes(&self) -> u64 {
        self.segs.values().map(|s| s.live_bytes).sum()
    }
}
