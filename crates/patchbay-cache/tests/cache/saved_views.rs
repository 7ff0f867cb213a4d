//! Saved views in a real cache file: per list of one account, unique names ignoring case,
//! rename, replace, delete, and kept across a reopen.

use patchbay_cache::{Cache, CacheError};

use crate::{open, A, P, R};

#[test]
fn views_are_kept_per_list_and_account_across_a_reopen() {
    let (dir, cache) = open();
    let a = cache
        .create_view(P, A, R, "  Google, last 30 days ", r#"{"search":""}"#)
        .unwrap();
    assert_eq!(a.name, "Google, last 30 days");
    cache
        .create_view(P, A, R, "Bing", r#"{"search":"x"}"#)
        .unwrap();
    // Another account, another list: not among this list's views.
    cache
        .create_view(P, "agency_south", R, "Bing", "{}")
        .unwrap();
    cache.create_view(P, A, "calls", "Bing", "{}").unwrap();
    drop(cache);

    let cache = Cache::open(&dir.path().join("cache.sqlite3")).unwrap();
    let views = cache.views(P, A, R).unwrap();
    let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["Bing", "Google, last 30 days"]);
    assert_eq!(views[0].settings, r#"{"search":"x"}"#);
}

#[test]
fn names_are_unique_per_list_ignoring_case_and_must_be_real() {
    let (_dir, cache) = open();
    let v = cache.create_view(P, A, R, "Google", "{}").unwrap();
    assert!(matches!(
        cache.create_view(P, A, R, "GOOGLE", "{}"),
        Err(CacheError::ViewNameTaken(n)) if n == "GOOGLE"
    ));
    for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
        assert!(
            matches!(
                cache.create_view(P, A, R, bad, "{}"),
                Err(CacheError::InvalidViewName)
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        cache.create_view(P, A, R, "Broken", "not json"),
        Err(CacheError::InvalidQuery(_))
    ));
    let other = cache.create_view(P, A, R, "Bing", "{}").unwrap();
    assert!(matches!(
        cache.update_view(P, A, R, other.id, Some("google"), None),
        Err(CacheError::ViewNameTaken(_))
    ));
    // Renaming keeps the settings; replacing the settings keeps the name.
    let renamed = cache
        .update_view(P, A, R, v.id, Some("Google ads"), None)
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.settings.as_str()),
        ("Google ads", "{}")
    );
    let replaced = cache
        .update_view(P, A, R, v.id, None, Some(r#"{"search":"new"}"#))
        .unwrap();
    assert_eq!(
        (replaced.name.as_str(), replaced.settings.as_str()),
        ("Google ads", r#"{"search":"new"}"#)
    );
}

#[test]
fn a_view_is_reached_only_through_its_own_list() {
    let (_dir, cache) = open();
    let v = cache.create_view(P, A, R, "Mine", "{}").unwrap();
    assert!(matches!(
        cache.update_view(P, "agency_south", R, v.id, Some("Theirs"), None),
        Err(CacheError::UnknownView(_))
    ));
    assert!(matches!(
        cache.delete_view(P, A, "calls", v.id),
        Err(CacheError::UnknownView(_))
    ));
    cache.delete_view(P, A, R, v.id).unwrap();
    assert!(cache.views(P, A, R).unwrap().is_empty());
    assert!(matches!(
        cache.delete_view(P, A, R, v.id),
        Err(CacheError::UnknownView(_))
    ));
    assert!(matches!(
        cache.views(P, "Bad Account", R),
        Err(CacheError::InvalidId(_))
    ));
}
