//! Signed updates against a loopback server serving version 0.2.0 with a key pair made for
//! each test: found, downloaded with progress, verified and saved; a tampered package, a
//! signature by another key and an unsigned offer are refused, and nothing is written.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use base64::Engine;
use patchbay_app::updates::{self, UpdateProgress, UpdateSource};
use patchbay_core::ErrorCode;

const PACKAGE: &str = "Patchbay_0.2.0_amd64.deb";
const PLATFORM: &str = "linux-x86_64-deb";

/// A minisign key pair as the Tauri updater writes it: the base64 of the key files' text.
struct Keys {
    pair: minisign::KeyPair,
}

impl Keys {
    fn new() -> Self {
        Self {
            pair: minisign::KeyPair::generate_unencrypted_keypair().unwrap(),
        }
    }

    fn public_b64(&self) -> String {
        let text = self.pair.pk.to_box().unwrap().into_string();
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    fn sign_b64(&self, data: &[u8]) -> String {
        let sig = minisign::sign(Some(&self.pair.pk), &self.pair.sk, data, None, None).unwrap();
        base64::engine::general_purpose::STANDARD.encode(sig.to_string())
    }
}

#[derive(Clone)]
struct Served {
    manifest: Arc<Mutex<String>>,
    package: Arc<Vec<u8>>,
}

/// Serves `/latest.json` (the manifest `manifest(base)` writes) and the package's bytes.
async fn serve(
    package: Vec<u8>,
    manifest: impl FnOnce(&str) -> serde_json::Value,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let served = Served {
        manifest: Arc::new(Mutex::new(manifest(&base).to_string())),
        package: Arc::new(package),
    };
    let app = Router::new()
        .route(
            "/latest.json",
            get(|State(s): State<Served>| async move {
                let body = s.manifest.lock().unwrap().clone();
                ([(header::CONTENT_TYPE, "application/json")], body)
            }),
        )
        .route(
            &format!("/download/{PACKAGE}"),
            get(
                |State(s): State<Served>| async move { s.package.as_ref().clone().into_response() },
            ),
        )
        .with_state(served);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("{base}/latest.json"), task)
}

fn manifest_for(signature: &str) -> impl FnOnce(&str) -> serde_json::Value + '_ {
    move |base| {
        serde_json::json!({
            "version": "0.2.0",
            "notes": "Faster People search.",
            "pub_date": "2026-12-01T10:00:00Z",
            "platforms": {
                PLATFORM: { "url": format!("{base}/download/{PACKAGE}"), "signature": signature }
            }
        })
    }
}

/// A package-sized payload: several chunks, so progress is reported more than once.
fn package_bytes() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

fn platforms() -> Vec<String> {
    vec![PLATFORM.to_string()]
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Checks against the server as version 0.1.0 and downloads what it offers.
async fn check_and_download(
    endpoint: &str,
    trusted: &Keys,
) -> (
    Result<updates::Verified, patchbay_core::UserError>,
    Vec<UpdateProgress>,
) {
    let source = UpdateSource::new(Some(endpoint), Some(&trusted.public_b64())).unwrap();
    let offer = updates::check(&client(), &source, "0.1.0", &platforms())
        .await
        .unwrap()
        .expect("0.2.0 is offered to 0.1.0");
    assert_eq!(offer.info.version, "0.2.0");
    assert_eq!(offer.info.current_version, "0.1.0");
    assert_eq!(offer.info.notes.as_deref(), Some("Faster People search."));
    let mut seen = Vec::new();
    let verified = updates::download(&client(), &source, &offer, |p| seen.push(p)).await;
    (verified, seen)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_signed_newer_version_is_found_downloaded_with_progress_verified_and_saved() {
    let keys = Keys::new();
    let package = package_bytes();
    let signature = keys.sign_b64(&package);
    let (endpoint, server) = serve(package.clone(), manifest_for(&signature)).await;

    let (verified, progress) = check_and_download(&endpoint, &keys).await;
    let verified = verified.expect("the signature verifies");
    let total = package.len() as u64;
    assert_eq!(
        progress.first(),
        Some(&UpdateProgress {
            downloaded: 0,
            total: Some(total)
        })
    );
    assert_eq!(
        progress.last(),
        Some(&UpdateProgress {
            downloaded: total,
            total: Some(total)
        })
    );
    assert!(
        progress.len() > 2,
        "progress as chunks arrive: {progress:?}"
    );
    assert!(progress
        .windows(2)
        .all(|w| w[0].downloaded <= w[1].downloaded));

    let dir = tempfile::tempdir().unwrap();
    let ready = updates::save(verified, dir.path()).unwrap();
    assert_eq!(ready.version, "0.2.0");
    assert_eq!(files_in(dir.path()), [PACKAGE]);
    assert_eq!(std::fs::read(dir.path().join(PACKAGE)).unwrap(), package);
    assert_eq!(
        ready.how_to_install,
        format!(
            "Close Patchbay, then in a terminal run: sudo apt install '{}'",
            dir.path().join(PACKAGE).display()
        )
    );
    server.abort();
}

#[tokio::test]
async fn the_same_or_an_older_version_is_no_update() {
    let keys = Keys::new();
    let package = package_bytes();
    let signature = keys.sign_b64(&package);
    let (endpoint, server) = serve(package, manifest_for(&signature)).await;
    let source = UpdateSource::new(Some(&endpoint), Some(&keys.public_b64())).unwrap();
    for current in ["0.2.0", "0.3.1"] {
        let found = updates::check(&client(), &source, current, &platforms())
            .await
            .unwrap();
        assert!(found.is_none(), "{current} is offered {found:?}");
    }
    // A newer version for another computer only is not an update for this one.
    let other = vec!["windows-x86_64".to_string()];
    assert!(updates::check(&client(), &source, "0.1.0", &other)
        .await
        .unwrap()
        .is_none());
    server.abort();
}

#[tokio::test]
async fn a_tampered_package_is_refused_and_nothing_is_written() {
    let keys = Keys::new();
    let package = package_bytes();
    let signature = keys.sign_b64(&package);
    let mut tampered = package.clone();
    tampered[1234] ^= 0x01;
    let (endpoint, server) = serve(tampered, manifest_for(&signature)).await;

    let (verified, progress) = check_and_download(&endpoint, &keys).await;
    let err = verified.expect_err("one flipped bit fails the signature");
    assert_eq!(err.code, ErrorCode::UpdateBadSignature);
    assert_eq!(
        err.message,
        "The update does not carry Patchbay's signature, so Patchbay refused it."
    );
    assert!(err.advice.starts_with("Nothing was changed."));
    assert!(!progress.is_empty(), "it was downloaded, then refused");
    server.abort();
}

#[tokio::test]
async fn a_package_signed_with_another_key_is_refused() {
    let trusted = Keys::new();
    let stranger = Keys::new();
    let package = package_bytes();
    let signature = stranger.sign_b64(&package);
    let (endpoint, server) = serve(package, manifest_for(&signature)).await;

    let (verified, _) = check_and_download(&endpoint, &trusted).await;
    assert_eq!(
        verified.expect_err("another key's signature").code,
        ErrorCode::UpdateBadSignature
    );
    server.abort();
}

#[tokio::test]
async fn an_unsigned_or_garbled_signature_is_refused_before_downloading() {
    let keys = Keys::new();
    for (signature, code) in [
        ("", ErrorCode::UpdateUnsigned),
        ("   ", ErrorCode::UpdateUnsigned),
        ("bm90IGEgc2lnbmF0dXJl", ErrorCode::UpdateBadSignature),
    ] {
        let (endpoint, server) = serve(package_bytes(), manifest_for(signature)).await;
        let (verified, progress) = check_and_download(&endpoint, &keys).await;
        assert_eq!(verified.expect_err(signature).code, code, "{signature:?}");
        assert!(progress.is_empty(), "nothing downloaded for {signature:?}");
        server.abort();
    }
}

#[tokio::test]
async fn a_manifest_that_is_not_one_or_no_server_says_so() {
    let keys = Keys::new();
    let (endpoint, server) = serve(Vec::new(), |_| serde_json::json!({ "version": "soon" })).await;
    let source = UpdateSource::new(Some(&endpoint), Some(&keys.public_b64())).unwrap();
    let err = updates::check(&client(), &source, "0.1.0", &platforms())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UpdateBadManifest);
    server.abort();
    // A port nothing listens on (the server just stopped).
    let _ = server.await;
    let err = updates::check(&client(), &source, "0.1.0", &platforms())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::UpdateNetwork);
}

#[test]
fn a_build_without_a_key_or_an_address_cannot_update() {
    let keys = Keys::new();
    for (endpoint, key) in [
        (None, Some(keys.public_b64())),
        (Some("https://example.invalid/latest.json"), None),
        (Some("file:///etc/passwd"), Some(keys.public_b64())),
        (
            Some("https://example.invalid/latest.json"),
            Some("not base64".into()),
        ),
    ] {
        let err = UpdateSource::new(endpoint, key.as_deref()).unwrap_err();
        assert_eq!(err.code, ErrorCode::UpdateNotConfigured, "{endpoint:?}");
    }
}
