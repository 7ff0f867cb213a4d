//! The facade's futures are `Send` (Tauri's async commands need it), and `Patchbay` can live
//! in Tauri's managed state.

use patchbay_core::{AccountId, Patchbay};

fn assert_send<T: Send>(_: &T) {}
fn assert_sync_send<T: Send + Sync + 'static>() {}

#[allow(dead_code)]
fn futures_are_send(core: &Patchbay, account: &AccountId) {
    assert_sync_send::<Patchbay>();
    assert_send(&core.tiles());
    assert_send(&core.accounts("x"));
    assert_send(&core.begin_connect("x"));
    assert_send(&core.complete("x"));
    assert_send(&core.disconnect("x", account));
    assert_send(&core.account("x", account));
    assert_send(&core.sync("x", account, "y", |_| {}));
    assert_send(&core.sync_stream("x", account, "y", |_, _| {}));
    assert_send(&core.upgrade_single_account());
    assert_send(&core.subscribe());
}

#[test]
fn builds() {}
