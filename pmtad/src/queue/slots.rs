//! One queue: a slab of compact jobs plus a FIFO of due jobs and a min-heap of retries.
//!
//! A job is one message's recipients in this queue (one SMTP transaction). It takes 32
//! bytes; the recipient index is stored inline when the message has one recipient in the
//! queue (the bulk-mail case) and in a side table otherwise. The FIFO holds 4-byte slot
//! numbers, the heap 8-byte `(time << 32) | slot` keys. Deleting a waiting job only marks it;
//! its slot is freed when the FIFO or heap reaches it (or on a purge), so no entry in them
//! ever points at a reused slot.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use crate::sched::Mode;

pub const FREE: u8 = 0;
pub const READY: u8 = 1;
pub const RETRY: u8 = 2;
pub const INFLIGHT: u8 = 3;
/// Deleted while referenced from the FIFO or heap.
pub const DELETED: u8 = 4;

/// Marks a job whose recipients are in the side table.
const MULTI: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
pub struct Job {
    pub msg: u64,
    /// Unix seconds (u32 lasts until 2106).
    pub received: u32,
    pub size: u32,
    pub next_attempt: u32,
    rcpt: u32,
    pub nrcpt: u16,
    pub state: u8,
    /// Delivery attempts so far (saturating); fits the struct's padding, so a job stays 32 bytes.
    pub attempts: u16,
}

#[derive(Debug)]
pub struct Queue {
    pub domain: u32,
    pub vmta: u32,
    jobs: Vec<Job>,
    free: Vec<u32>,
    multi: HashMap<u32, Box<[u32]>>,
    ready: VecDeque<u32>,
    retry: BinaryHeap<Reverse<u64>>,
    stale: usize,
    pub rcpts: u64,
    pub bytes: u64,
    pub messages: u64,
    pub in_flight: u64,
    pub paused: bool,
    pub mode: Mode,
    pub last_error: Option<Box<str>>,
    oldest: Cell<Option<u32>>,
    oldest_valid: Cell<bool>,
}

pub fn sat32(v: u64) -> u32 {
    v.min(u64::from(u32::MAX)) as u32
}

impl Queue {
    pub fn new(domain: u32, vmta: u32) -> Self {
        Queue {
            domain,
            vmta,
            jobs: Vec::new(),
            free: Vec::new(),
            multi: HashMap::new(),
            ready: VecDeque::new(),
            retry: BinaryHeap::new(),
            stale: 0,
            rcpts: 0,
            bytes: 0,
            messages: 0,
            in_flight: 0,
            paused: false,
            mode: Mode::Normal,
            last_error: None,
            oldest: Cell::new(None),
            oldest_valid: Cell::new(true),
        }
    }

    pub fn job(&self, slot: u32) -> Option<&Job> {
        self.jobs.get(slot as usize)
    }

    pub fn slots(&self) -> usize {
        self.jobs.len()
    }

    /// Recipient indices of a job.
    pub fn rcpts_of(&self, slot: u32) -> Vec<u32> {
        let j = &self.jobs[slot as usize];
        match j.rcpt {
            MULTI => self.multi.get(&slot).map_or_else(Vec::new, |b| b.to_vec()),
            r => vec![r],
        }
    }

    /// Adds a due job for `msg` with these recipient indices.
    pub fn push(&mut self, msg: u64, received: u64, size: u64, now: u64, rcpts: &[u32]) {
        let job = Job {
            msg,
            received: sat32(received),
            size: sat32(size),
            next_attempt: sat32(now),
            rcpt: if rcpts.len() == 1 { rcpts[0] } else { MULTI },
            nrcpt: rcpts.len() as u16,
            state: READY,
            attempts: 0,
        };
        let slot = self.alloc(job);
        if rcpts.len() != 1 {
            self.multi.insert(slot, rcpts.into());
        }
        self.account_add(&job);
        self.ready.push_back(slot);
    }

    fn alloc(&mut self, job: Job) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.jobs[slot as usize] = job;
                slot
            }
            None => {
                self.jobs.push(job);
                (self.jobs.len() - 1) as u32
            }
        }
    }

    fn account_add(&mut self, job: &Job) {
        self.rcpts += u64::from(job.nrcpt);
        self.bytes += u64::from(job.size);
        self.messages += 1;
        if self.oldest_valid.get() {
            let o = self
                .oldest
                .get()
                .map_or(job.received, |o| o.min(job.received));
            self.oldest.set(Some(o));
        }
    }

    fn account_remove(&mut self, slot: u32) {
        let job = self.jobs[slot as usize];
        self.rcpts -= u64::from(job.nrcpt);
        self.bytes -= u64::from(job.size);
        self.messages -= 1;
        if self.oldest.get() == Some(job.received) {
            self.oldest_valid.set(false);
        }
    }

    fn release(&mut self, slot: u32) {
        self.jobs[slot as usize].state = FREE;
        self.multi.remove(&slot);
        self.free.push(slot);
    }

    /// Pops the next due job (due retries first, then new arrivals) and marks it in flight.
    pub fn pop_due(&mut self, now: u32) -> Option<u32> {
        while let Some(&Reverse(key)) = self.retry.peek() {
            if (key >> 32) as u32 > now {
                break;
            }
            self.retry.pop();
            let slot = key as u32;
            if let Some(s) = self.claim(slot, RETRY) {
                return Some(s);
            }
        }
        while let Some(slot) = self.ready.pop_front() {
            if let Some(s) = self.claim(slot, READY) {
                return Some(s);
            }
        }
        None
    }

    /// A slot popped from the FIFO or heap: in flight if still waiting, freed if deleted.
    fn claim(&mut self, slot: u32, expect: u8) -> Option<u32> {
        let state = self.jobs[slot as usize].state;
        if state == DELETED {
            self.stale -= 1;
            self.release(slot);
            return None;
        }
        debug_assert_eq!(state, expect);
        self.jobs[slot as usize].state = INFLIGHT;
        self.in_flight += 1;
        Some(slot)
    }

    /// Ends an in-flight job: all its recipients are final.
    pub fn finish(&mut self, slot: u32) {
        self.account_remove(slot);
        self.in_flight -= 1;
        self.release(slot);
    }

    /// Puts an in-flight job back with the recipients still pending; none left = finish.
    /// `attempted` is false when the work goes back untried (a limit stopped it).
    pub fn requeue(&mut self, slot: u32, pending: &[u32], at: u32, attempted: bool) {
        if pending.is_empty() {
            return self.finish(slot);
        }
        self.in_flight -= 1;
        let nrcpt = pending.len() as u16;
        let job = &mut self.jobs[slot as usize];
        if attempted {
            job.attempts = job.attempts.saturating_add(1);
        }
        self.rcpts = self.rcpts - u64::from(job.nrcpt) + u64::from(nrcpt);
        job.nrcpt = nrcpt;
        job.next_attempt = at;
        job.state = RETRY;
        if pending.len() == 1 {
            job.rcpt = pending[0];
            self.multi.remove(&slot);
        } else {
            job.rcpt = MULTI;
            self.multi.insert(slot, pending.into());
        }
        self.retry
            .push(Reverse((u64::from(at) << 32) | u64::from(slot)));
    }

    /// Deletes a waiting job; returns false for in-flight or free slots.
    pub fn delete(&mut self, slot: u32) -> bool {
        let state = self.jobs[slot as usize].state;
        if state != READY && state != RETRY {
            return false;
        }
        self.account_remove(slot);
        self.jobs[slot as usize].state = DELETED;
        self.stale += 1;
        if self.stale > 1024 && self.stale * 2 > self.ready.len() + self.retry.len() {
            self.purge();
        }
        true
    }

    /// Makes every job waiting for a retry due at `now` (`pmtactl schedule`); returns how
    /// many. Heap keys of deleted jobs are kept as they are so their slots are freed as usual.
    pub fn retry_now(&mut self, now: u32) -> u64 {
        let mut moved = 0;
        let keys = std::mem::take(&mut self.retry).into_vec();
        let mut heap = Vec::with_capacity(keys.len());
        for Reverse(key) in keys {
            let slot = key as u32;
            let job = &mut self.jobs[slot as usize];
            if job.state == RETRY && job.next_attempt > now {
                job.next_attempt = now;
                moved += 1;
                heap.push(Reverse((u64::from(now) << 32) | u64::from(slot)));
            } else {
                heap.push(Reverse(key));
            }
        }
        self.retry = BinaryHeap::from(heap);
        moved
    }

    /// Drops FIFO and heap entries of deleted jobs and frees their slots.
    fn purge(&mut self) {
        let jobs = &self.jobs;
        self.ready.retain(|&s| jobs[s as usize].state != DELETED);
        self.retry
            .retain(|&Reverse(k)| jobs[k as u32 as usize].state != DELETED);
        let dead: Vec<u32> = (0..self.jobs.len() as u32)
            .filter(|&s| self.jobs[s as usize].state == DELETED)
            .collect();
        for slot in dead {
            self.release(slot);
        }
        self.stale = 0;
    }

    /// Arrival time of the oldest message in the queue (recomputed lazily after removals).
    pub fn oldest(&self) -> Option<u32> {
        if !self.oldest_valid.get() {
            let o = self
                .jobs
                .iter()
                .filter(|j| matches!(j.state, READY | RETRY | INFLIGHT))
                .map(|j| j.received)
                .min();
            self.oldest.set(o);
            self.oldest_valid.set(true);
        }
        self.oldest.get()
    }

    /// When the next waiting job is due: the head of the FIFO or the earliest retry.
    pub fn next_due(&self) -> Option<u32> {
        let head = self
            .ready
            .iter()
            .find(|&&s| self.jobs[s as usize].state == READY)
            .map(|&s| self.jobs[s as usize].next_attempt);
        let retry = self
            .retry
            .iter()
            .filter(|Reverse(k)| self.jobs[*k as u32 as usize].state == RETRY)
            .map(|Reverse(k)| (k >> 32) as u32);
        let retry = match self.retry.peek() {
            Some(Reverse(k)) if self.jobs[*k as u32 as usize].state == RETRY => {
                Some((k >> 32) as u32)
            }
            Some(_) => retry.min(),
            None => None,
        };
        match (head, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Heap bytes held by this queue's structures (capacity based).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let multi: usize = self.multi.values().map(|b| b.len() * 4 + 32).sum();
        self.jobs.capacity() * size_of::<Job>()
            + self.free.capacity() * 4
            + self.ready.capacity() * 4
            + self.retry.capacity() * 8
            + self.multi.capacity() * (size_of::<(u32, Box<[u32]>)>() + 1)
            + multi
    }
}
