//! The IPC contract expanded (`ipc_table.rs` declares it): one `#[tauri::command]` per
//! command, each taking the app handle and calling its adapter in `commands.rs`; the invoke
//! handler; a typed emitter per event; and, for the tests that generate the TypeScript client
//! and check the capability file, the contract as data.

use std::collections::BTreeMap;

use patchbay_app::first_screen::InitialState;
use patchbay_app::people::{
    AttributionBy, AttributionRow, DateRange, DecisionId, Funnel, MergeSuggestion, PeoplePage,
    PeopleQuery, PersonDetail, RecordRef,
};
use patchbay_app::settings::Settings;
use patchbay_app::updates::{UpdateInfo, UpdateProgress, UpdateReady};
use patchbay_app::views::{
    ExportProgress, ExportResult, ListRef, Notice, PeopleDecision, PersonId, ProviderTile,
    RecordDetail, RecordPage, RecordQuery, ResourceView, SavedView, SyncSummary, ValueCount,
    ViewId, ViewSettings, WeekCount,
};
use patchbay_core::views::SyncProgress;
use patchbay_sync::SyncStatus;
use tauri::{AppHandle, Emitter, Runtime};

use crate::commands;
use crate::error::CommandError;

/// An event the app sends the window: its name and the one payload type it carries.
pub trait Event {
    const NAME: &'static str;
    type Payload: serde::Serialize + Clone;
}

/// Sends `E` to the window. A payload that cannot be sent is logged, not fatal: the window
/// catches up on its next command.
pub fn emit<E: Event, R: Runtime>(app: &AppHandle<R>, payload: E::Payload) {
    if let Err(e) = app.emit(E::NAME, payload) {
        tracing::warn!(event = E::NAME, error = %e, "could not send an event to the window");
    }
}

/// One argument of a command, as the window sends it.
#[cfg(test)]
pub struct ArgSpec {
    /// The key (camelCase, as Tauri takes it).
    pub key: String,
    pub ts: String,
}

#[cfg(test)]
pub struct CommandSpec {
    pub name: &'static str,
    pub docs: Vec<&'static str>,
    pub args: Vec<ArgSpec>,
    pub result: String,
}

#[cfg(test)]
pub struct EventSpec {
    pub name: &'static str,
    pub docs: Vec<&'static str>,
    pub payload: String,
    /// ts-rs's inline TypeScript of the payload, for checking what is really emitted.
    pub inline: String,
}

/// A type's TypeScript name, as ts-rs writes it where the type is used.
#[cfg(test)]
fn ts<T: ts_rs::TS + ?Sized>() -> String {
    T::name(&crate::bindings::config())
}

macro_rules! expand_ipc {
    (
        commands { $(
            $(#[doc = $doc:expr])*
            $name:ident ( $($arg:ident : $ty:ty),* ) -> $res:ty => $adapter:path;
        )* }
        events { $(
            $(#[doc = $edoc:expr])*
            $event:ident = $event_name:literal : $payload:ty;
        )* }
    ) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            async fn $name<R: Runtime>(
                app: AppHandle<R>,
                $($arg: $ty),*
            ) -> Result<$res, CommandError> {
                $adapter(&app, $($arg),*).await
            }
        )*

        /// Serves every command of the table.
        pub fn invoke_handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// The commands' names, in the table's order.
        #[cfg(test)]
        pub const COMMAND_NAMES: &[&str] = &[$(stringify!($name)),*];

        /// The events, one type each (see [`Event`]).
        pub mod event {
            $( $(#[doc = $edoc])* pub struct $event; )*
        }
        $(
            impl Event for event::$event {
                const NAME: &'static str = $event_name;
                type Payload = $payload;
            }
        )*

        /// Every command, as the window calls it.
        #[cfg(test)]
        pub fn contract() -> Vec<CommandSpec> {
            use heck::ToLowerCamelCase;
            vec![$(CommandSpec {
                name: stringify!($name),
                docs: vec![$($doc),*],
                args: vec![$(ArgSpec {
                    key: stringify!($arg).to_lower_camel_case(),
                    ts: ts::<$ty>(),
                }),*],
                result: ts::<$res>(),
            }),*]
        }

        /// Every event, as the window hears it.
        #[cfg(test)]
        pub fn events() -> Vec<EventSpec> {
            vec![$(EventSpec {
                name: $event_name,
                docs: vec![$($edoc),*],
                payload: ts::<$payload>(),
                inline: <$payload as ts_rs::TS>::inline(&crate::bindings::config()),
            }),*]
        }
    };
}

ipc_table!(expand_ipc);
