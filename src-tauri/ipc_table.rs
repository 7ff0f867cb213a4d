// The window's IPC contract, declared once: every command (its arguments, its answer and the
// function in commands.rs that serves it) and every event (its name and payload). `ipc.rs`
// expands it into the Tauri commands, the handler, typed emitters and the contract the
// TypeScript client is generated from; `build.rs` includes this file for the ACL manifest's
// command list; a test checks capabilities/main.json against it.
//
// Why this and not tauri-specta: the TypeScript types already come from ts-rs (12.x, stable,
// the source of every binding); tauri-specta 2 is a release candidate pinned with `=` to a
// prerelease specta, its client imports @tauri-apps/api directly (the window reaches Tauri
// only through ui/src/platform.ts) and wraps every answer, and it would replace all the ts-rs
// derives. A declarative table over ts-rs gives the same single source with neither cost.
//
// Each command: `/// docs` (they become the client's JSDoc), `name(arg: Type, ...) -> Answer
// => adapter;`. The window sends argument keys in camelCase, as Tauri takes them.
macro_rules! ipc_table {
    ($expand:ident) => {
        $expand! {
            commands {
                /// The first screen in one answer: the settings and the tiles. The shell also
                /// hands this to the page at load; a page without it (a reload) asks here.
                initial_state() -> InitialState => commands::initial_state;
                /// Every provider's tile in the world the window shows.
                list_providers() -> Vec<ProviderTile> => commands::list_providers;
                /// Starts a browser connect for a new account of the provider (or a reconnect:
                /// Rust recognises the same account when it comes back). The tiles follow
                /// through `providers-changed`, never through this answer.
                connect(provider_id: String) -> () => commands::connect;
                /// "Test and save" for an API-key provider: Rust tries the key and keeps it only
                /// if it works. A rejected key comes back as a CommandError; the account arrives
                /// by `providers-changed`.
                save_api_key(provider_id: String, values: BTreeMap<String, String>) -> ()
                    => commands::save_api_key;
                /// Opens the provider's page where its API key lives, in the system browser.
                open_key_help(provider_id: String) -> () => commands::open_key_help;
                /// Gives up the provider's connect that waits for the browser.
                cancel_connect(provider_id: String) -> () => commands::cancel_connect;
                /// Forgets one account's sign-in (the provider's other accounts stay); the
                /// records saved on this computer go too unless `keepRecords`.
                disconnect(provider_id: String, account_id: String, keep_records: bool) -> ()
                    => commands::disconnect;
                /// A provider's lists, with their columns.
                list_resources(provider_id: String) -> Vec<ResourceView> => commands::list_resources;
                /// The settings page's model.
                get_settings() -> Settings => commands::get_settings;
                /// Validates, stores and applies the settings page; answers what is now in force.
                save_settings(settings: Settings) -> Settings => commands::save_settings;
                /// Keeps the user's own client secret in the keychain (null forgets it).
                set_client_secret(provider_id: String, secret: Option<String>) -> Settings
                    => commands::set_client_secret;
                /// Refreshes one list of one account, sending `sync-progress` as pages are
                /// stored; it waits for a background refresh of the same account first.
                sync_resource(list: ListRef) -> SyncSummary => commands::sync_resource;
                /// Where the background refresh of each list of one account stands: last
                /// success, next run, the last run's counts, the daily request budget, a pause
                /// or an error.
                sync_statuses(provider_id: String, account_id: String) -> Vec<SyncStatus>
                    => commands::sync_statuses;
                /// A page of a list's table, searched and sorted, from the local cache.
                query_records(list: ListRef, query: RecordQuery) -> RecordPage => commands::query_records;
                /// Every field of one record.
                record_detail(list: ListRef, index: u32) -> RecordDetail => commands::record_detail;
                /// Records per week, for the chart of leads and contacts, of the rows the table
                /// shows (the query's search and filters; its sort and paging are ignored).
                weekly_counts(list: ListRef, query: RecordQuery) -> Vec<WeekCount> => commands::weekly_counts;
                /// Writes the current view (every matched row, in order) as CSV to the
                /// Downloads folder, sending `export-progress`.
                export_csv(list: ListRef, query: RecordQuery) -> ExportResult => commands::export_csv;
                /// The same view as JSON: an array of the records as the provider sent them.
                export_json(list: ListRef, query: RecordQuery) -> ExportResult => commands::export_json;
                /// A page of the People table (one row per person across the tools), searched,
                /// filtered and sorted, from the local cache.
                people(query: PeopleQuery) -> PeoplePage => commands::people;
                /// One person: who they are and every record of theirs from every tool.
                person(person: PersonId) -> PersonDetail => commands::person;
                /// People who may be the same as this one (same name, nothing else shared).
                merge_suggestions(person: PersonId) -> Vec<MergeSuggestion>
                    => commands::merge_suggestions;
                /// People first seen in the range, by first-touch source, medium or campaign.
                attribution(range: DateRange, by: AttributionBy) -> Vec<AttributionRow>
                    => commands::attribution;
                /// Leads, registrations, attendance and orders of the people in the range.
                funnel(range: DateRange) -> Funnel => commands::funnel;
                /// Writes every person the table matches as CSV to the Downloads folder.
                export_people_csv(query: PeopleQuery) -> ExportResult => commands::export_people_csv;
                /// The user says two people are one; answers the decision, to undo it.
                merge_people(a: PersonId, b: PersonId) -> PeopleDecision => commands::merge_people;
                /// The user says these records of a person are someone else's.
                split_person(person: PersonId, records: Vec<RecordRef>) -> PeopleDecision
                    => commands::split_person;
                /// Takes a merge or split back.
                undo_people_decision(decision: DecisionId) -> () => commands::undo_people_decision;
                /// Remembers that the welcome screen was seen (it opens by itself until then;
                /// Help opens it again); answers the settings now in force.
                set_welcome_seen(seen: bool) -> Settings => commands::set_welcome_seen;
                /// Forgets the key saved for one account of an API-key provider in the real
                /// world (Settings' Forget); its records stay. Answers the settings now.
                forget_saved_key(provider_id: String, account_id: String) -> Settings
                    => commands::forget_saved_key;
                /// The most common values of a column among the rows the table shows (the
                /// other filters and the search), with their counts: a one-of filter's choices.
                value_counts(list: ListRef, column: String, query: RecordQuery) -> Vec<ValueCount>
                    => commands::value_counts;
                /// The list's saved views, by name.
                list_views(list: ListRef) -> Vec<SavedView> => commands::list_views;
                /// Saves the table's filters, search, sort and columns as a new view.
                save_view(list: ListRef, name: String, settings: ViewSettings) -> SavedView
                    => commands::save_view;
                /// Renames a view and/or replaces its settings (null keeps what it has).
                update_view(list: ListRef, id: ViewId, name: Option<String>, settings: Option<ViewSettings>)
                    -> SavedView => commands::update_view;
                /// A copy of a view under a new name.
                duplicate_view(list: ListRef, id: ViewId, name: String) -> SavedView
                    => commands::duplicate_view;
                /// Deletes a saved view.
                delete_view(list: ListRef, id: ViewId) -> () => commands::delete_view;
                /// Asks the update server whether a newer Patchbay exists for this computer
                /// (null when this is the newest).
                check_for_update() -> Option<UpdateInfo> => commands::check_for_update;
                /// Downloads the newer Patchbay, sending `update-progress`; only if its signature
                /// verifies, installs it (restart needed) or, for a copy not installed from a
                /// package, saves it and says how to install it.
                install_update() -> UpdateReady => commands::install_update;
                /// Opens one record's own page at its provider in the system browser ("Open in
                /// WhatConverts"), built in Rust from the list's template and the cached record;
                /// the window names the record by its index and never sees the address.
                open_record_page(list: ListRef, index: u32) -> () => commands::open_record_page;
            }
            events {
                /// The active world's tiles, after any connection change (and a world switch).
                ProvidersChanged = "providers-changed": Vec<ProviderTile>;
                /// A sync stored a page, or finished (manual or in the background).
                SyncProgress = "sync-progress": SyncProgress;
                /// A list's refresh started, finished, failed or was rescheduled.
                SyncStatus = "sync-status": SyncStatus;
                /// A quiet, dismissable message (a refused link, a cancelled connect).
                Notice = "notice": Notice;
                /// How far an export has come.
                ExportProgress = "export-progress": ExportProgress;
                /// How far an update's download has come.
                UpdateProgress = "update-progress": UpdateProgress;
            }
        }
    };
}
