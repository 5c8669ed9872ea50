//! The connections the management listener holds, and which one gives way to a new client.
//!
//! Why: the interface must stay usable while idle keep-alive clients, or slow ones that never
//! finish a request head, hold connections. Waiting for their header timeout would keep a
//! new client out for seconds, and refusing new clients would let 512 idle sockets lock
//! the operator out. So the listener accepts at once, and past the cap it closes the
//! oldest connection that has no request being answered (an answer under way is never
//! cut). The number of connections, and so of tasks and descriptors, stays bounded; only
//! when every connection is answering a request at once is the new one closed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// The open connections, oldest first.
#[derive(Debug, Default)]
pub struct Conns {
    inner: Mutex<Inner>,
    shed: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    open: BTreeMap<u64, Entry>,
}

#[derive(Debug)]
struct Entry {
    busy: Arc<AtomicUsize>,
    close: CancellationToken,
}

/// One admitted connection; dropping it forgets the connection.
#[derive(Debug)]
pub struct Admitted {
    conns: Arc<Conns>,
    id: u64,
    busy: Arc<AtomicUsize>,
    /// Cancelled when the connection must give way to a newer one.
    pub close: CancellationToken,
}

/// Held while a request of the connection is being answered.
#[derive(Debug)]
pub struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Admitted {
    /// The counter [`busy`] marks requests on (for the request handler).
    pub fn busy_counter(&self) -> Arc<AtomicUsize> {
        self.busy.clone()
    }
}

/// Marks a request under way on `counter` until the guard drops.
pub fn busy(counter: &Arc<AtomicUsize>) -> Busy {
    counter.fetch_add(1, Ordering::Relaxed);
    Busy(counter.clone())
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.conns.lock().open.remove(&self.id);
    }
}

impl Conns {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        crate::locks::lock(&self.inner)
    }

    /// Admits a new connection, closing the oldest idle one when `max` are open; `None`
    /// when all `max` are answering requests.
    pub fn admit(self: &Arc<Self>, max: usize) -> Option<Admitted> {
        let mut inner = self.lock();
        if inner.open.len() >= max {
            let idle = inner
                .open
                .iter()
                .find(|(_, e)| e.busy.load(Ordering::Relaxed) == 0);
            let id = *idle?.0;
            if let Some(e) = inner.open.remove(&id) {
                e.close.cancel();
            }
            self.shed.fetch_add(1, Ordering::Relaxed);
        }
        let id = inner.next;
        inner.next += 1;
        let (busy, close) = (Arc::new(AtomicUsize::new(0)), CancellationToken::new());
        let entry = Entry {
            busy: busy.clone(),
            close: close.clone(),
        };
        inner.open.insert(id, entry);
        Some(Admitted {
            conns: self.clone(),
            id,
            busy,
            close,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> u64 {
        self.lock().open.len() as u64
    }

    /// Idle connections closed to make room since start.
    pub fn shed(&self) -> u64 {
        self.shed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_idle_connection_gives_way_and_busy_ones_never() {
        let conns = Arc::new(Conns::default());
        let a = conns.admit(2).unwrap();
        let b = conns.admit(2).unwrap();
        let busy_a = busy(&a.busy_counter());
        let c = conns.admit(2).expect("b is idle");
        assert!(b.close.is_cancelled() && !a.close.is_cancelled());
        assert_eq!((conns.open(), conns.shed()), (2, 1));
        drop(b);
        assert_eq!(conns.open(), 2, "a shed connection was forgotten already");
        let _busy_c = busy(&c.busy_counter());
        assert!(conns.admit(2).is_none(), "both answering");
        drop(busy_a);
        let _d = conns.admit(2).expect("a is idle again");
        assert!(a.close.is_cancelled());
        drop(a);
        assert_eq!((conns.open(), conns.shed()), (2, 2));
    }
}
