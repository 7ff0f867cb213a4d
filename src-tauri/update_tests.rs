//! The update commands through the window's IPC on the mock runtime, against a loopback update
//! server. The package is signed by the release tool itself (`tauri signer sign`) with a key
//! pair made for this test (its private key was not kept): found, downloaded with
//! `update-progress` events, verified and saved in the user's folder; with one byte changed
//! it is refused and nothing is saved.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::Listener;

/// `tauri signer generate`'s public key (base64 of the minisign key file).
const TEST_PUBKEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IEQzMUJCQjE2QTY0Q0RGQzMKUldURDMweW1GcnNiMDh6ZlFPcXU2eUlvemt2Q1JUR1I0VCs0Z28wT1NvKzJjNGx3TXptYVZwWEQK";
/// `tauri signer sign` of [`PACKAGE`] with that key.
const SIGNATURE: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkKUlVURDMweW1GcnNiMHo2aXZUWlUwN0pudlNyWDFsdmk3OHpoUnJJK3o5bUVBd2xwMDJXZW9MM3laVGNSM05melRlbVlQRVl5WXRWWDVzRkhBZTUyYVY1ckZ4OTliS3lEK0FRPQp0cnVzdGVkIGNvbW1lbnQ6IHRpbWVzdGFtcDoxNzk2MTIzNzczCWZpbGU6UGF0Y2hiYXlfMC4yLjBfYW1kNjQuZGViCnB1c1NZb3RwTndMYmtqUWIwenlBZXVwREpiMmlOQ1g2OWJ4bUlaUTZ4bm1hREhETWNjSE81TGV6blhjSXZaZkMwNkVDQVpUVlBXSDRJMWY5OTVvWER3PT0K";
const PACKAGE: &[u8] = b"Patchbay 0.2.0, as a test serves it\n";
const FILE: &str = "Patchbay_0.2.0_amd64.deb";
/// The tampered test's name for its package, apart from the signed test's (they share HOME).
const TAMPERED_FILE: &str = "Patchbay_0.2.0_tampered_amd64.deb";

/// A loopback HTTP server answering `/latest.json` and the package, one request per
/// connection, until the test ends.
fn serve(file: &'static str, package: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let manifest = json!({
        "version": "0.2.0",
        "notes": "Faster People search.",
        "platforms": {
            "linux-x86_64-deb": { "url": format!("{base}/{file}"), "signature": SIGNATURE },
            "linux-x86_64": { "url": format!("{base}/{file}"), "signature": SIGNATURE }
        }
    })
    .to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request);
            let body: &[u8] = if line.starts_with("GET /latest.json ") {
                manifest.as_bytes()
            } else if line.starts_with(&format!("GET /{file} ")) {
                &package
            } else {
                b""
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    format!("{base}/latest.json")
}

struct App {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

fn start(endpoint: &str, identifier: &str) -> App {
    let mut context = tauri::test::mock_context(tauri::test::noop_assets());
    context.config_mut().identifier = identifier.into();
    context.config_mut().plugins.0.insert(
        "updater".into(),
        json!({ "pubkey": TEST_PUBKEY, "endpoints": [endpoint] }),
    );
    let mut app = crate::app_builder(tauri::test::mock_builder())
        .build(context)
        .expect("the app builds on the mock runtime");
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    App { app, webview }
}

impl App {
    fn invoke(&self, cmd: &str) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            &self.webview,
            tauri::webview::InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(json!({})),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
    }
}

fn in_keyring_session() {
    assert!(
        std::env::var_os("PATCHBAY_KEYRING_INNER").is_some(),
        "run under scripts/with-keyring.sh: this test writes into its throwaway HOME"
    );
}

#[test]
fn a_signed_update_is_found_downloaded_with_progress_verified_and_saved() {
    in_keyring_session();
    let endpoint = serve(FILE, PACKAGE.to_vec());
    let app = start(&endpoint, "dev.patchbay.update-test-signed");

    let found = app.invoke("check_for_update").expect("check answers");
    assert_eq!(
        found,
        json!({ "version": "0.2.0", "current_version": "0.1.0", "notes": "Faster People search." })
    );

    let (tx, rx) = mpsc::channel();
    app.app.listen_any("update-progress", move |e| {
        let _ = tx.send(e.payload().to_string());
    });
    let ready = app.invoke("install_update").expect("install answers");
    // Events reach listeners on their own threads: gather them, in any order.
    let total = PACKAGE.len();
    let (first, last) = (
        json!({ "downloaded": 0, "total": total }),
        json!({ "downloaded": total, "total": total }),
    );
    let mut progress: Vec<Value> = Vec::new();
    while !(progress.contains(&first) && progress.contains(&last)) {
        let Ok(p) = rx.recv_timeout(Duration::from_secs(5)) else {
            panic!("update-progress from 0 to {total} bytes; heard {progress:?}");
        };
        progress.push(serde_json::from_str(&p).unwrap());
    }

    assert_eq!(ready["version"], "0.2.0");
    let path = std::path::PathBuf::from(ready["path"].as_str().unwrap());
    assert_eq!(path.file_name().unwrap(), FILE);
    assert!(path.starts_with(std::env::var("HOME").unwrap()), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), PACKAGE);
    assert_eq!(
        ready["how_to_install"],
        format!(
            "Close Patchbay, then in a terminal run: sudo apt install '{}'",
            path.display()
        )
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_tampered_update_is_refused_and_nothing_is_saved() {
    in_keyring_session();
    let mut tampered = PACKAGE.to_vec();
    tampered[0] ^= 0x20;
    let endpoint = serve(TAMPERED_FILE, tampered);
    let app = start(&endpoint, "dev.patchbay.update-test-tampered");
    let error = app.invoke("install_update").expect_err("refused");
    assert_eq!(error["code"], "update.bad_signature");
    assert_eq!(
        error["message"],
        "The update does not carry Patchbay's signature, so Patchbay refused it."
    );
    let home = std::path::PathBuf::from(std::env::var("HOME").unwrap());
    for dir in [home.clone(), home.join("Downloads")] {
        assert!(
            !dir.join(TAMPERED_FILE).exists(),
            "nothing saved in {dir:?}"
        );
        assert!(!dir.join(TAMPERED_FILE).with_extension("part").exists());
    }
}
