//! A test hook at the token endpoint: the next refresh-token request of a provider is held at
//! a chosen point until the test releases it, so a test can stop a client at an exact moment
//! of a refresh (kill the process with its request in flight) instead of guessing with a timer.

use parking_lot::Mutex;

use tokio::sync::oneshot;

use crate::providers::Provider;

/// Where a held refresh request waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldPoint {
    /// The request arrived and waits before the grant is looked at. Once released it is
    /// answered 503 `temporarily_unavailable` without touching the grant, as if the
    /// connection had died before the server acted: the old refresh token stays valid.
    BeforeGrant,
    /// The refresh token is rotated (the old one retired, a new one issued); the response
    /// carrying the new one waits, then goes to whoever is still listening.
    AfterRotation,
}

#[derive(Debug)]
struct Armed {
    provider: Provider,
    point: HoldPoint,
    held: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// Holds armed by tests, each used by one request.
#[derive(Debug, Default)]
pub struct Holds {
    armed: Mutex<Vec<Armed>>,
}

/// The handler's side of one hold.
#[derive(Debug)]
pub struct Taken {
    pub point: HoldPoint,
    held: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

impl Taken {
    /// Says the request is held, then waits for the release (or for the test to drop it).
    pub async fn wait(self) {
        let _ = self.held.send(());
        let _ = self.release.await;
    }
}

impl Holds {
    pub fn arm(&self, provider: Provider, point: HoldPoint) -> RefreshHold {
        let (held_tx, held_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        self.armed.lock().push(Armed {
            provider,
            point,
            held: held_tx,
            release: release_rx,
        });
        RefreshHold {
            held: Some(held_rx),
            release: Some(release_tx),
        }
    }

    /// The hold armed for `provider`'s next refresh request, if any (used up by it).
    pub fn take(&self, provider: Provider) -> Option<Taken> {
        let mut armed = self.armed.lock();
        let i = armed.iter().position(|a| a.provider == provider)?;
        let a = armed.remove(i);
        Some(Taken {
            point: a.point,
            held: a.held,
            release: a.release,
        })
    }
}

/// The test's side of one hold ([`crate::Sandbox::hold_next_refresh`]). Dropping it releases.
#[derive(Debug)]
pub struct RefreshHold {
    held: Option<oneshot::Receiver<()>>,
    release: Option<oneshot::Sender<()>>,
}

impl RefreshHold {
    /// Resolves once a refresh request is held at the hold's point: true then, false if the
    /// sandbox went away first. Put a timeout around it.
    pub async fn held(&mut self) -> bool {
        match self.held.take() {
            Some(rx) => rx.await.is_ok(),
            None => true,
        }
    }

    /// Lets the held request go on (see [`HoldPoint`] for what it then does).
    pub fn release(mut self) {
        if let Some(tx) = self.release.take() {
            let _ = tx.send(());
        }
    }
}
