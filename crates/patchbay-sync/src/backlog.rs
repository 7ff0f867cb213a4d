//! The pages fetched but not yet stored, bounded. Fetching is faster than storing (a page's
//! transaction also settles the people its records are), so with an unbounded hand-over a
//! 100,000-record sync held most of its records as JSON values in memory at once, waiting
//! for the writer (the app's peak RSS rose by about 400 MiB). The fetching side now waits
//! when this many pages are waiting: the writer always has the next page ready, and memory
//! stays at a few pages whatever the record count.

use std::sync::mpsc::{sync_channel, Receiver, SendError, SyncSender};

use tokio::runtime::{Handle, RuntimeFlavor};

/// Pages handed to the writer and not yet taken: none, a hand-over (a rendezvous). The fetch
/// waits in `send` holding the next page, parsed, until the writer takes it, so the writer still
/// finds it ready: storing a page of 2,500 leads takes about 500 ms, fetching and parsing the
/// next about 20 on loopback. A capacity of one kept a third parsed page (7.8 MB for 2,500
/// leads) beside the one written and the one held: the app's peak during a 100,000-record
/// sync went 273 / 275 / 272 → 263 / 262 / 264 MiB at 0, no slower. Where the fetch is the
/// slower side, the writer waits whatever the capacity (bench/README.md, "The app's peak
/// during a sync").
pub(crate) const WAITING_PAGES: usize = 0;

/// The fetching side's end.
pub(crate) struct Backlog<T> {
    tx: SyncSender<T>,
}

/// A backlog of at most `capacity` waiting items, and the writer's end.
pub(crate) fn backlog<T>(capacity: usize) -> (Backlog<T>, Receiver<T>) {
    let (tx, rx) = sync_channel(capacity);
    (Backlog { tx }, rx)
}

impl<T> Backlog<T> {
    /// Hands `item` over, waiting while the backlog is full. Called from the fetch's page
    /// callback, which cannot await: on a multi-threaded runtime the wait tells the runtime
    /// this worker is blocked (its other tasks move to another worker); elsewhere (a
    /// current-thread runtime, a plain thread) it simply blocks, as the writer is a thread of
    /// its own and never waits for this one. Fails when the writer has stopped.
    pub(crate) fn send(&self, item: T) -> Result<(), SendError<T>> {
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(|| self.tx.send(item)),
            _ => self.tx.send(item),
        }
    }

    /// Hands `item` over from async code, waiting on a blocking thread while the backlog is
    /// full, so the rest of the calling task runs meanwhile. False when the writer has stopped.
    pub(crate) async fn send_async(&self, item: T) -> bool
    where
        T: Send + 'static,
    {
        let tx = self.tx.clone();
        matches!(
            tokio::task::spawn_blocking(move || tx.send(item)).await,
            Ok(Ok(()))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Sends ten items through a backlog of `capacity` with `spawn_sender`, and checks the
    /// sender gets at most the capacity ahead of the receiver: with an unbounded hand-over,
    /// all ten would be sent before anything is taken.
    fn sender_waits_for_the_receiver(
        capacity: usize,
        spawn_sender: impl FnOnce(Box<dyn FnOnce() + Send>),
    ) {
        let (tx, rx) = backlog::<usize>(capacity);
        let sent = Arc::new(AtomicUsize::new(0));
        {
            let sent = sent.clone();
            spawn_sender(Box::new(move || {
                for i in 0..10 {
                    tx.send(i).unwrap();
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        // The sender fills the backlog (however slowly the machine runs it), then is given
        // every chance to run further ahead before anything is taken.
        for _ in 0..1000 {
            if sent.load(Ordering::SeqCst) >= capacity {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(
            sent.load(Ordering::SeqCst),
            capacity,
            "only the backlog's capacity is sent ahead"
        );
        let mut taken = Vec::new();
        for item in rx.iter() {
            taken.push(item);
            // After each take the sender is at most the capacity ahead, plus the item it may
            // have just handed over.
            assert!(sent.load(Ordering::SeqCst) <= taken.len() + capacity + 1);
        }
        assert_eq!(
            taken,
            (0..10).collect::<Vec<_>>(),
            "every item arrives, in order"
        );
        assert_eq!(sent.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn on_a_plain_thread() {
        sender_waits_for_the_receiver(2, |send| {
            std::thread::spawn(send);
        });
    }

    #[test]
    fn the_apps_hand_over_lets_nothing_wait() {
        // The sender holds its next item until the receiver takes it; none waits between them.
        sender_waits_for_the_receiver(WAITING_PAGES, |send| {
            std::thread::spawn(send);
        });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_a_runtime_worker() {
        // The sender is an async task on a worker (as the fetch is): its waits go through
        // `block_in_place`. The test's own thread takes the items.
        sender_waits_for_the_receiver(WAITING_PAGES, |send| {
            tokio::spawn(async move { send() });
        });
    }

    #[test]
    fn a_stopped_writer_fails_the_send_instead_of_waiting() {
        let (tx, rx) = backlog::<u8>(1);
        tx.send(1).unwrap();
        drop(rx);
        assert!(tx.send(2).is_err());
        // The app's hand-over, which never buffers: a stopped writer fails it too.
        let (tx, rx) = backlog::<u8>(WAITING_PAGES);
        drop(rx);
        assert!(tx.send(1).is_err());
    }
}
