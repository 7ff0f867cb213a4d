//! The facade's futures are `Send` (Tauri's async commands need it), and `Patchbay` can live
//! in Tauri's managed state.

use patchbay_core::Patchbay;

fn assert_send<T: Send>(_: &T) {}
fn assert_sync_send<T: Send + Sync + 'static>() {}

#[allow(dead_code)]
fn futures_are_send(core: &Patchbay) {
    assert_sync_send::<Patchbay>();
    assert_send(&core.tiles());
    assert_send(&core.begin_connect("x"));
    assert_send(&core.complete("x"));
    assert_send(&core.wait_loopback("x"));
    assert_send(&core.disconnect("x"));
    assert_send(&core.account("x"));
    assert_send(&core.sync("x", "y", |_| {}));
}

#[test]
fn builds() {}
