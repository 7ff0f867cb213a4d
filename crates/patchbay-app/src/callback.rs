//! Connect links from outside (`dev.patchbay:/oauth/callback?...`): a browser finishing a
//! connect, or any web page or program. They are untrusted input: the link goes to the core of
//! the world whose connect asked for it, which checks it strictly; a refused link only earns
//! a quiet notice. How links arrive (argv, a second instance, OS events) is the shell's.

use patchbay_core::ConnectOutcome;

use crate::state::AppState;
use crate::views::Notice;

/// Links longer than this are refused before parsing: no real callback comes near it.
pub const MAX_LINK_LEN: usize = 8 * 1024;

/// The app's link scheme.
pub const SCHEME: &str = "dev.patchbay";

/// The link in a command line (program name, then the link as the only argument), exactly
/// as the OS passed it.
pub fn from_args(mut args: impl Iterator<Item = String>) -> Option<String> {
    args.next()?;
    let link = args.next()?;
    if args.next().is_some() {
        return None;
    }
    let scheme = link.split_once(':')?.0;
    scheme.eq_ignore_ascii_case(SCHEME).then_some(link)
}

/// What a link did, for the window.
#[derive(Debug, Clone)]
pub enum LinkOutcome {
    /// An account connected: the window comes to the front (its tiles follow from the
    /// core's connection change).
    Connected { provider_id: String },
    /// The user cancelled in the browser: the window comes to the front and says so.
    Cancelled(Notice),
    /// The link was refused: a notice, and the window stays where it is.
    Refused(Notice),
}

impl LinkOutcome {
    pub fn notice(&self) -> Option<&Notice> {
        match self {
            Self::Connected { .. } => None,
            Self::Cancelled(n) | Self::Refused(n) => Some(n),
        }
    }

    pub fn brings_window_to_front(&self) -> bool {
        !matches!(self, Self::Refused(_))
    }
}

/// Hands a link to the core that expects it. Never logs the link: it carries the
/// authorization code.
pub async fn complete(state: &AppState, url: &str) -> LinkOutcome {
    crate::timing::mark("deeplink_arrived", "");
    if url.len() > MAX_LINK_LEN {
        tracing::warn!(len = url.len(), "deep link refused: too long");
        return LinkOutcome::Refused(Notice::info(
            "Patchbay ignored a link it did not expect.",
            None,
        ));
    }
    // The world whose connect asked for this link; the link goes to that core only, never
    // to the window (no event or command carries its code or state).
    let world = state.world_for_callback(url);
    let core = world.core();
    match core.complete(url).await {
        Ok(ConnectOutcome::Connected {
            provider_id,
            account_id,
            ..
        }) => {
            crate::timing::mark("token", &provider_id);
            tracing::info!(provider = %provider_id, "connected through the deep link");
            crate::records::sync_first_list(state, &world, &provider_id, &account_id);
            LinkOutcome::Connected { provider_id }
        }
        Ok(ConnectOutcome::Cancelled { provider_id }) => {
            let name = crate::error::provider_name(&core, &provider_id);
            LinkOutcome::Cancelled(Notice::info(
                format!("Connecting {name} was cancelled."),
                Some(&provider_id),
            ))
        }
        Err(e) => {
            let view = core.connect_error_view(&e);
            LinkOutcome::Refused(Notice::error(view, e.provider_id()))
        }
    }
}
