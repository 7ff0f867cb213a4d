//! The `patchbay-sandbox` binary: first line, serving, and exit code 2 on bad flags.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay-sandbox");

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prints_the_url_first_and_serves() {
    let mut child = Child(
        Command::new(BIN)
            .args([
                "--addr",
                "127.0.0.1:0",
                "--records",
                "12",
                "--seed",
                "3",
                "--auto-approve",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let meta: serde_json::Value = http
        .get(format!(
            "{url}/.well-known/oauth-authorization-server/emailoctopus"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], format!("{url}/emailoctopus").as_str());
}

#[test]
fn bad_flags_exit_with_2_and_a_message() {
    for args in [
        vec!["--records", "many"],
        vec!["--faults", "200=0.5"],
        vec!["--faults", "latency=fast"],
        vec!["--addr", "not-an-address"],
        vec!["--access-ttl", "0"],
        vec!["--frobnicate"],
        vec!["--auth", "bogus"],
        vec!["--auth", "clickfunnels=api-key"],
        vec!["--auth", "nope=oauth"],
        vec!["--client-secret", "boomtown"],
        vec!["--client-secret", "nope=x"],
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
