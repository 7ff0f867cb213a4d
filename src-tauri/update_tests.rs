//! Signed updates through tauri-plugin-updater, driven through the window's IPC on the mock
//! runtime against a loopback server that serves version 0.2.0 to this 0.1.0. Each test makes
//! its own key pair (minisign, in the updater's base64 formats, as `tauri signer` writes them)
//! and signs the package with the trusted comment the Tauri CLI writes. Found; downloaded with
//! `update-progress` events, verified by the plugin and, since a test binary was not installed
//! from a package, saved with its install command; installed by the plugin over an installed
//! copy (a stand-in AppImage); a tampered package, another key's signature, a signature for
//! another version and an unsigned offer are refused, and nothing is saved or replaced.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::Listener;

/// A package-sized payload: several chunks, so progress is reported more than once.
fn package() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 31 % 251) as u8).collect()
}

/// A minisign key pair, public key and signatures in the updater's base64 formats.
struct Keys(minisign::KeyPair);

impl Keys {
    fn new() -> Self {
        Self(minisign::KeyPair::generate_unencrypted_keypair().unwrap())
    }

    fn public_b64(&self) -> String {
        b64(&self.0.pk.to_box().unwrap().into_string())
    }

    /// Signs as `tauri signer sign` does: the trusted comment names the file and the version.
    fn sign_b64(&self, data: &[u8], file: &str, version: &str) -> String {
        let comment = format!("timestamp:1796123773\tfile:{file}\tversion:{version}");
        let sig = minisign::sign(Some(&self.0.pk), &self.0.sk, data, Some(&comment), None).unwrap();
        b64(&sig.into_string())
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A loopback server answering `/latest.json` and `/<file>`, one request per connection,
/// until the test ends. Counts the package downloads.
struct Server {
    endpoint: String,
    downloads: Arc<AtomicUsize>,
    /// Every request's User-Agent.
    user_agents: Arc<Mutex<Vec<String>>>,
}

fn serve(file: &'static str, body: Vec<u8>, signature: String) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let platform = tauri_plugin_updater::target().expect("a platform the updater knows");
    let manifest = json!({
        "version": "0.2.0",
        "notes": "Faster People search.",
        "pub_date": "2026-12-01T10:00:00Z",
        "platforms": { platform: { "url": format!("{base}/{file}"), "signature": signature } }
    })
    .to_string();
    let downloads = Arc::new(AtomicUsize::new(0));
    let counted = downloads.clone();
    let user_agents = Arc::new(Mutex::new(Vec::new()));
    let agents = user_agents.clone();
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
            let agent = line.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("user-agent")
                    .then(|| value.trim().to_string())
            });
            agents.lock().unwrap().extend(agent);
            let answer: &[u8] = if line.starts_with("GET /latest.json ") {
                manifest.as_bytes()
            } else if line.starts_with(&format!("GET /{file} ")) {
                counted.fetch_add(1, Ordering::SeqCst);
                &body
            } else {
                b""
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes());
            // In pieces, as a network delivers a package: progress is reported per chunk.
            for piece in answer.chunks(64 * 1024) {
                let _ = stream.write_all(piece);
                let _ = stream.flush();
            }
        }
    });
    Server {
        endpoint: format!("{base}/latest.json"),
        downloads,
        user_agents,
    }
}

struct App {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

/// The app with the updater plugin as `run()` registers it, configured as a release build is
/// (`pubkey`, `endpoints`), plain http allowed for the loopback server only.
fn start(updater: Value, identifier: &str) -> App {
    let mut context = tauri::test::mock_context(tauri::test::noop_assets());
    context.config_mut().identifier = identifier.into();
    context
        .config_mut()
        .plugins
        .0
        .insert("updater".into(), updater);
    let builder = tauri::test::mock_builder().plugin(crate::updates::plugin());
    let (app, webview) = crate::mock_app::start(builder, context);
    App { app, webview }
}

fn start_against(server: &Server, trusted: &Keys, identifier: &str) -> App {
    start(
        json!({
            "pubkey": trusted.public_b64(),
            "endpoints": [server.endpoint],
            "dangerousInsecureTransportProtocol": true
        }),
        identifier,
    )
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

    /// `update-progress` events, as they arrive.
    fn progress(&self) -> mpsc::Receiver<Value> {
        let (tx, rx) = mpsc::channel();
        self.app.listen_any("update-progress", move |e| {
            let _ = tx.send(serde_json::from_str(e.payload()).unwrap());
        });
        rx
    }
}

fn in_keyring_session() {
    assert!(
        std::env::var_os("PATCHBAY_KEYRING_INNER").is_some(),
        "run under scripts/with-keyring.sh: this test writes into its throwaway HOME"
    );
}

fn home() -> PathBuf {
    PathBuf::from(std::env::var("HOME").unwrap())
}

/// Nothing of `file` in the user's folders: no package, no half-written part.
fn assert_nothing_saved(file: &str) {
    for dir in [home(), home().join("Downloads")] {
        let path = dir.join(file);
        assert!(!path.exists(), "{path:?} was saved");
        assert!(!path.with_extension("part").exists(), "{path:?}.part");
    }
}

/// Install is refused with `code`; nothing is saved.
fn assert_refused(app: &App, file: &str, code: &str) -> Value {
    let error = app.invoke("install_update").expect_err("refused");
    assert_eq!(error["code"], code, "{error}");
    assert_nothing_saved(file);
    error
}

#[test]
fn a_signed_update_is_found_downloaded_with_progress_verified_and_saved() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_signed_amd64.AppImage";
    let keys = Keys::new();
    let body = package();
    let server = serve(FILE, body.clone(), keys.sign_b64(&body, FILE, "0.2.0"));
    let app = start_against(&server, &keys, "dev.patchbay.update-test-signed");

    let found = app.invoke("check_for_update").expect("check answers");
    assert_eq!(
        found,
        json!({ "version": "0.2.0", "current_version": "0.1.0", "notes": "Faster People search." })
    );

    let progress = app.progress();
    let ready = app.invoke("install_update").expect("install answers");
    let total = body.len() as u64;
    let last = json!({ "downloaded": total, "total": total });
    let mut heard: Vec<Value> = Vec::new();
    while !heard.contains(&last) {
        let Ok(p) = progress.recv_timeout(Duration::from_secs(5)) else {
            panic!("update-progress up to {total} bytes; heard {heard:?}");
        };
        heard.push(p);
    }
    assert!(heard.len() > 1, "progress per chunk: {heard:?}");
    assert!(heard
        .iter()
        .all(|p| p["total"] == total && p["downloaded"].as_u64().unwrap() <= total));

    // A test binary was not installed from a package: the plugin must not write over it.
    assert_eq!(ready["outcome"], "saved", "{ready}");
    assert_eq!(ready["version"], "0.2.0");
    let path = PathBuf::from(ready["path"].as_str().unwrap());
    assert_eq!(path.file_name().unwrap(), FILE);
    assert!(path.starts_with(home()), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(
        ready["sentence"],
        format!(
            "This copy of Patchbay was not installed from a package, so it cannot replace \
             itself. Patchbay 0.2.0 is saved and its signature verified. Close Patchbay, then \
             in a terminal run: chmod +x '{0}' && '{0}'",
            path.display()
        )
    );
    std::fs::remove_file(&path).unwrap();
    // The manifest twice (check, install) and the package, each as Patchbay.
    assert_eq!(*server.user_agents.lock().unwrap(), ["Patchbay/0.1.0"; 3]);
}

#[test]
fn a_tampered_update_is_refused_and_nothing_is_saved() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_tampered_amd64.AppImage";
    let keys = Keys::new();
    let body = package();
    let signature = keys.sign_b64(&body, FILE, "0.2.0");
    let mut tampered = body;
    tampered[1234] ^= 0x01;
    let server = serve(FILE, tampered, signature);
    let app = start_against(&server, &keys, "dev.patchbay.update-test-tampered");
    let error = assert_refused(&app, FILE, "update.bad_signature");
    assert_eq!(
        error["message"],
        "The update does not carry Patchbay's signature, so Patchbay refused it."
    );
    assert_eq!(
        server.downloads.load(Ordering::SeqCst),
        1,
        "downloaded, then refused"
    );
}

#[test]
fn an_update_signed_with_another_key_is_refused() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_stranger_amd64.AppImage";
    let (trusted, stranger) = (Keys::new(), Keys::new());
    let body = package();
    let server = serve(FILE, body.clone(), stranger.sign_b64(&body, FILE, "0.2.0"));
    let app = start_against(&server, &trusted, "dev.patchbay.update-test-stranger");
    assert_refused(&app, FILE, "update.bad_signature");
}

#[test]
fn an_older_package_announced_as_newer_is_refused() {
    in_keyring_session();
    // Signed by our key, but for 0.1.5: a manifest passing it off as 0.2.0 is not believed.
    const FILE: &str = "Patchbay_0.1.5_amd64.AppImage";
    let keys = Keys::new();
    let body = package();
    let server = serve(FILE, body.clone(), keys.sign_b64(&body, FILE, "0.1.5"));
    let app = start_against(&server, &keys, "dev.patchbay.update-test-downgrade");
    assert_refused(&app, FILE, "update.bad_signature");
}

#[test]
fn an_unsigned_update_is_refused_before_it_is_downloaded() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_unsigned_amd64.AppImage";
    let keys = Keys::new();
    let server = serve(FILE, package(), String::new());
    let app = start_against(&server, &keys, "dev.patchbay.update-test-unsigned");
    let error = assert_refused(&app, FILE, "update.unsigned");
    assert_eq!(
        error["message"],
        "The update is not signed, so Patchbay refused it."
    );
    assert_eq!(server.downloads.load(Ordering::SeqCst), 0);
}

/// A stand-in for an AppImage of `version`: an ELF header (the plugin installs nothing else
/// over an AppImage), then a package's worth of bytes.
#[cfg(target_os = "linux")]
fn appimage(version: &str) -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.extend_from_slice(version.as_bytes());
    bytes.extend(package());
    bytes
}

/// An installed AppImage of 0.1.0 in a folder of its own, executable as installed; the app is
/// told to update it (the test binary itself is not the plugin's to replace).
#[cfg(target_os = "linux")]
fn installed_appimage(app: &App) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    use tauri::Manager;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Patchbay.AppImage");
    std::fs::write(&path, appimage("0.1.0")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    app.app.manage(crate::updates::Destination::ThisCopy {
        executable: Some(path.clone()),
    });
    (dir, path)
}

#[cfg(target_os = "linux")]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(target_os = "linux")]
#[test]
fn an_installed_copy_is_replaced_by_the_verified_update_and_asks_for_a_restart() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_installed_amd64.AppImage";
    let keys = Keys::new();
    let body = appimage("0.2.0");
    let server = serve(FILE, body.clone(), keys.sign_b64(&body, FILE, "0.2.0"));
    let app = start_against(&server, &keys, "dev.patchbay.update-test-installed");
    let (dir, installed) = installed_appimage(&app);

    let ready = app.invoke("install_update").expect("installed");
    assert_eq!(
        ready,
        json!({
            "outcome": "installed",
            "version": "0.2.0",
            "sentence": "Patchbay 0.2.0 is installed. Restart Patchbay to use it."
        })
    );
    assert_eq!(std::fs::read(&installed).unwrap(), body);
    assert_eq!(mode(&installed), 0o755);
    // Replaced in place: no backup or package left beside it, nothing in Downloads.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    assert_nothing_saved(FILE);
}

#[cfg(target_os = "linux")]
#[test]
fn a_tampered_update_leaves_the_installed_copy_as_it_was() {
    in_keyring_session();
    const FILE: &str = "Patchbay_0.2.0_tampered_installed_amd64.AppImage";
    let keys = Keys::new();
    let body = appimage("0.2.0");
    let signature = keys.sign_b64(&body, FILE, "0.2.0");
    let mut tampered = body;
    tampered[4321] ^= 0x01;
    let server = serve(FILE, tampered, signature);
    let app = start_against(
        &server,
        &keys,
        "dev.patchbay.update-test-tampered-installed",
    );
    let (dir, installed) = installed_appimage(&app);

    assert_refused(&app, FILE, "update.bad_signature");
    assert_eq!(std::fs::read(&installed).unwrap(), appimage("0.1.0"));
    assert_eq!(mode(&installed), 0o755);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_build_without_an_update_address_does_not_update_itself() {
    let keys = Keys::new();
    let app = start(
        json!({ "pubkey": keys.public_b64() }),
        "dev.patchbay.update-test-no-address",
    );
    for cmd in ["check_for_update", "install_update"] {
        let error = app.invoke(cmd).expect_err("no address");
        assert_eq!(error["code"], "update.not_configured", "{cmd}");
        assert_eq!(
            error["message"],
            "This build of Patchbay does not update itself."
        );
    }
}

/// The committed configuration: the project's public key, and no guessed address (the
/// release workflow passes the real one at build time).
#[test]
fn the_committed_config_has_the_key_and_no_address() {
    let conf: Value =
        serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
    let updater = &conf["plugins"]["updater"];
    assert!(updater.get("endpoints").is_none(), "{updater}");
    let key = base64::engine::general_purpose::STANDARD
        .decode(updater["pubkey"].as_str().expect("a pubkey"))
        .expect("base64");
    let key = String::from_utf8(key).unwrap();
    assert!(
        key.starts_with("untrusted comment: minisign public key"),
        "{key}"
    );
    assert_eq!(key.lines().nth(1).map(str::len), Some(56), "{key}");
}
