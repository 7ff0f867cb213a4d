//! `patchbay-sandbox`: runs the sandbox until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use patchbay_sandbox::{FaultSpec, Sandbox, SandboxConfig};

/// A strict OAuth 2.0 authorization server and five provider APIs on loopback.
#[derive(Debug, Parser)]
#[command(name = "patchbay-sandbox", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Records in every collection.
    #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    records: u64,
    /// Seed of the generated data and of fault injection.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    access_ttl: u64,
    /// Approve the consent step at once.
    #[arg(long)]
    auto_approve: bool,
    /// Fault injection, e.g. `429=0.1,500=0.05,drop=0.01,latency=5ms..50ms`.
    #[arg(long)]
    faults: Option<FaultSpec>,
    /// The registered public client id.
    #[arg(long, default_value = "patchbay-desktop")]
    client_id: String,
    /// A registered redirect URI (repeatable; replaces the default).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Disable the per-provider rate limits.
    #[arg(long)]
    no_rate_limits: bool,
    /// How provider APIs authenticate: `api-key` (every provider with an API-key scheme:
    /// whatconverts, emailoctopus, webinargeek), `oauth`, or `PROVIDER=api-key|oauth`
    /// (repeatable). Default: OAuth everywhere.
    #[arg(long = "auth")]
    auth: Vec<String>,
    /// `PROVIDER=SECRET`: that provider's token endpoint wants a confidential client with this
    /// client secret (repeatable), e.g. `boomtown=s3cret`.
    #[arg(long = "client-secret")]
    client_secrets: Vec<String>,
    /// PROVIDER: its access tokens last until revoked and come without a refresh token, as
    /// ClickFunnels' do; `expires_in` is informational (repeatable), e.g. `clickfunnels`.
    #[arg(long = "non-expiring", value_name = "PROVIDER")]
    non_expiring: Vec<String>,
    /// Data changes by itself on every changing collection, per minute of the sandbox clock,
    /// e.g. `add=50/min,update=20/min,delete=5/min`.
    #[arg(long, value_parser = patchbay_sandbox::parse_churn)]
    churn: Option<patchbay_sandbox::Churn>,
    /// Daily request quota per credential: `PROVIDER=N/day` (repeatable, or a comma list),
    /// e.g. `whatconverts=1000/day`.
    #[arg(long = "quota")]
    quotas: Vec<String>,
    /// Added before each provider API response, e.g. `80ms` (default none).
    #[arg(long, value_parser = patchbay_sandbox::parse_latency)]
    latency: Option<Duration>,
    /// The sandbox clock moves only through `POST /_sandbox/clock`, not with real time.
    #[arg(long)]
    frozen_clock: bool,
    /// Serve the request log at `/_sandbox/requests` (for tests; it shows states and PKCE
    /// challenges to anyone on this machine).
    #[arg(long)]
    serve_request_log: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = SandboxConfig {
        records: args.records as usize,
        seed: args.seed,
        access_ttl: Duration::from_secs(args.access_ttl),
        auto_approve: args.auto_approve,
        faults: args.faults.unwrap_or_default(),
        client_id: args.client_id,
        rate_limits: !args.no_rate_limits,
        churn: args.churn,
        frozen_clock: args.frozen_clock,
        serve_request_log: args.serve_request_log,
        latency: args.latency.unwrap_or_default(),
        ..SandboxConfig::default()
    };
    for flag in &args.quotas {
        if let Err(e) = config.apply_quota_flag(flag) {
            eprintln!("patchbay-sandbox: error: --quota {flag}: {e}");
            std::process::exit(2);
        }
    }
    if !args.redirect_uris.is_empty() {
        config.redirect_uris = args.redirect_uris;
    }
    for flag in &args.auth {
        if let Err(e) = config.apply_auth_flag(flag) {
            eprintln!("patchbay-sandbox: error: --auth {flag}: {e}");
            std::process::exit(2);
        }
    }
    for flag in &args.non_expiring {
        if let Err(e) = config.apply_non_expiring_flag(flag) {
            eprintln!("patchbay-sandbox: error: --non-expiring {flag}: {e}");
            std::process::exit(2);
        }
    }
    for flag in &args.client_secrets {
        match flag.split_once('=') {
            Some((p, secret)) if patchbay_sandbox::PROVIDERS.contains(&p) && !secret.is_empty() => {
                config
                    .client_secrets
                    .insert(p.to_string(), secret.to_string());
            }
            _ => {
                eprintln!(
                    "patchbay-sandbox: error: --client-secret must be PROVIDER=SECRET with a known provider"
                );
                std::process::exit(2);
            }
        }
    }
    let sandbox = match Sandbox::start(args.addr, config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("patchbay-sandbox: {e}");
            std::process::exit(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    // Callers read this first line to learn the port, so flush it now.
    let _ = writeln!(stdout, "listening on {}", sandbox.url());
    let _ = stdout.flush();
    drop(stdout);
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
}
