//! Authorization codes, access tokens and refresh-token families (grants), with the
//! one-time-use, rotation and reuse-detection rules of RFC 6749 and the OAuth 2.0 Security BCP.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;

use crate::config::AccessLifetime;
use crate::pkce;
use crate::providers::Provider;

/// 32 random bytes, base64url: unguessable and safe in URLs and forms.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the consent step approved, to be bound into the code.
#[derive(Debug, Clone)]
pub struct ApprovedRequest {
    pub provider: Provider,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
}

/// Tokens handed out by a successful grant.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    /// None for a provider whose access tokens do not expire.
    pub refresh_token: Option<String>,
    /// Informational only when there is no refresh token (the token does not expire).
    pub expires_in: u64,
    pub scope: String,
}

/// What a valid access token grants.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub grant_id: u64,
    pub scope: String,
    /// Which of the provider's accounts the caller reaches: 0 for OAuth tokens and the first
    /// API key, 1 for WhatConverts' second account key ([`crate::SandboxConfig::api_key_for_account`]).
    pub account: u64,
}

/// A refresh token as the authorization server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenStatus {
    /// Never issued (by this provider).
    Unknown,
    /// Usable: the next refresh with it succeeds.
    Active,
    /// Rotated away: presenting it again revokes its whole family.
    Retired,
    /// Its family (grant) is revoked.
    Revoked,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GrantError {
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("{0}")]
    InvalidScope(&'static str),
}

#[derive(Debug)]
struct CodeEntry {
    request: ApprovedRequest,
    expires_at: Instant,
    used: bool,
    /// The grant this code produced, revoked if the code is presented again.
    grant_id: Option<u64>,
}

#[derive(Debug)]
struct AccessEntry {
    provider: Provider,
    grant_id: u64,
    scope: String,
    /// None: valid until revoked.
    expires_at: Option<Instant>,
    revoked: bool,
}

#[derive(Debug)]
struct RefreshEntry {
    provider: Provider,
    client_id: String,
    grant_id: u64,
    scope: String,
    retired: bool,
}

#[derive(Debug, Default)]
struct Grant {
    revoked: bool,
}

#[derive(Debug, Default)]
struct Inner {
    codes: HashMap<String, CodeEntry>,
    access: HashMap<String, AccessEntry>,
    refresh: HashMap<String, RefreshEntry>,
    grants: HashMap<u64, Grant>,
    next_grant: u64,
}

#[derive(Debug)]
pub struct TokenStore {
    inner: Mutex<Inner>,
    access_ttl: Mutex<Duration>,
    code_ttl: Duration,
}

impl TokenStore {
    pub fn new(access_ttl: Duration, code_ttl: Duration) -> Self {
        TokenStore {
            inner: Mutex::new(Inner::default()),
            access_ttl: Mutex::new(access_ttl),
            code_ttl,
        }
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, Inner> {
        self.inner.lock()
    }

    pub fn set_access_ttl(&self, ttl: Duration) {
        *self.access_ttl.lock() = ttl;
    }

    /// Every access token issued so far is expired from now on, as if its lifetime had
    /// passed; a token that does not expire keeps working, as it would.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for entry in self.lock().access.values_mut() {
            entry.expires_at = entry.expires_at.map(|at| at.min(now));
        }
    }

    pub fn issue_code(&self, request: ApprovedRequest) -> String {
        let code = random_token();
        let entry = CodeEntry {
            request,
            expires_at: Instant::now() + self.code_ttl,
            used: false,
            grant_id: None,
        };
        self.lock().codes.insert(code.clone(), entry);
        code
    }

    /// Redeems a code. The code is consumed by this attempt whatever its outcome, and a
    /// code seen before revokes the grant it produced (RFC 6749 section 4.1.2).
    pub fn redeem_code(
        &self,
        provider: Provider,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        lifetime: AccessLifetime,
    ) -> Result<Issued, GrantError> {
        let ttl = *self.access_ttl.lock();
        let mut inner = self.lock();
        let entry = match inner.codes.get_mut(code) {
            Some(e) if e.request.provider == provider => e,
            _ => return Err(GrantError::InvalidGrant("unknown authorization code")),
        };
        if entry.used {
            let grant = entry.grant_id;
            if let Some(grant_id) = grant {
                revoke_grant(&mut inner, grant_id);
                tracing::warn!(
                    provider = provider.slug(),
                    grant_id,
                    "authorization code reused: grant revoked"
                );
            }
            return Err(GrantError::InvalidGrant("authorization code already used"));
        }
        entry.used = true;
        if Instant::now() >= entry.expires_at {
            return Err(GrantError::InvalidGrant("authorization code expired"));
        }
        if entry.request.client_id != client_id {
            return Err(GrantError::InvalidGrant(
                "authorization code was issued to another client",
            ));
        }
        if entry.request.redirect_uri != redirect_uri {
            return Err(GrantError::InvalidGrant(
                "redirect_uri does not match the authorization request",
            ));
        }
        if !pkce::verify(verifier, &entry.request.code_challenge) {
            return Err(GrantError::InvalidGrant(
                "code_verifier does not match the code_challenge",
            ));
        }
        let scope = entry.request.scope.clone();
        let client_id = entry.request.client_id.clone();
        let grant_id = inner.next_grant;
        inner.next_grant += 1;
        inner.grants.insert(grant_id, Grant::default());
        if let Some(e) = inner.codes.get_mut(code) {
            e.grant_id = Some(grant_id);
        }
        Ok(mint(
            &mut inner, provider, &client_id, grant_id, scope, ttl, lifetime,
        ))
    }

    /// Rotates a refresh token. A retired one presented again revokes its whole family.
    pub fn refresh(
        &self,
        provider: Provider,
        client_id: &str,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<Issued, GrantError> {
        let ttl = *self.access_ttl.lock();
        let mut inner = self.lock();
        let (grant_id, granted_scope, retired) = match inner.refresh.get(refresh_token) {
            Some(e) if e.provider == provider && e.client_id == client_id => {
                (e.grant_id, e.scope.clone(), e.retired)
            }
            Some(e) if e.provider == provider => {
                return Err(GrantError::InvalidGrant(
                    "refresh token was issued to another client",
                ))
            }
            _ => return Err(GrantError::InvalidGrant("unknown refresh token")),
        };
        if inner.grants.get(&grant_id).is_none_or(|g| g.revoked) {
            return Err(GrantError::InvalidGrant("refresh token revoked"));
        }
        if retired {
            revoke_grant(&mut inner, grant_id);
            tracing::warn!(
                provider = provider.slug(),
                grant_id,
                "retired refresh token reused: family revoked"
            );
            return Err(GrantError::InvalidGrant(
                "refresh token already used; all tokens of this grant are revoked",
            ));
        }
        let new_scope = match scope {
            Some(requested) => {
                let granted: Vec<&str> = granted_scope.split(' ').collect();
                if requested.split(' ').any(|s| !granted.contains(&s)) {
                    return Err(GrantError::InvalidScope("scope exceeds what was granted"));
                }
                requested.to_string()
            }
            None => granted_scope,
        };
        if let Some(e) = inner.refresh.get_mut(refresh_token) {
            e.retired = true;
        }
        // Only an expiring grant has refresh tokens, so this one expires too.
        Ok(mint(
            &mut inner,
            provider,
            client_id,
            grant_id,
            new_scope,
            ttl,
            AccessLifetime::Expiring,
        ))
    }

    pub fn refresh_status(&self, provider: Provider, token: &str) -> RefreshTokenStatus {
        let inner = self.lock();
        match inner.refresh.get(token) {
            Some(e) if e.provider == provider => {
                if inner.grants.get(&e.grant_id).is_none_or(|g| g.revoked) {
                    RefreshTokenStatus::Revoked
                } else if e.retired {
                    RefreshTokenStatus::Retired
                } else {
                    RefreshTokenStatus::Active
                }
            }
            _ => RefreshTokenStatus::Unknown,
        }
    }

    /// RFC 7009: a refresh token takes its whole grant with it; an access token only itself.
    /// Unknown tokens are ignored (the caller answers 200 anyway).
    pub fn revoke(&self, provider: Provider, token: &str) {
        let mut inner = self.lock();
        let grant = match inner.refresh.get(token) {
            Some(e) if e.provider == provider => Some(e.grant_id),
            _ => None,
        };
        if let Some(grant_id) = grant {
            revoke_grant(&mut inner, grant_id);
            return;
        }
        if let Some(e) = inner.access.get_mut(token) {
            if e.provider == provider {
                e.revoked = true;
            }
        }
    }

    /// The grant behind a usable access token of `provider`, or why it is not usable.
    pub fn check_access(
        &self,
        provider: Provider,
        token: &str,
    ) -> Result<AccessGrant, &'static str> {
        let inner = self.lock();
        let entry = match inner.access.get(token) {
            Some(e) if e.provider == provider => e,
            _ => return Err("unknown access token"),
        };
        if entry.revoked || inner.grants.get(&entry.grant_id).is_none_or(|g| g.revoked) {
            return Err("access token revoked");
        }
        if entry.expires_at.is_some_and(|at| Instant::now() >= at) {
            return Err("access token expired");
        }
        Ok(AccessGrant {
            grant_id: entry.grant_id,
            scope: entry.scope.clone(),
            account: 0,
        })
    }
}

fn revoke_grant(inner: &mut Inner, grant_id: u64) {
    inner.grants.entry(grant_id).or_default().revoked = true;
}

fn mint(
    inner: &mut Inner,
    provider: Provider,
    client_id: &str,
    grant_id: u64,
    scope: String,
    ttl: Duration,
    lifetime: AccessLifetime,
) -> Issued {
    let access_token = random_token();
    let expires_at = match lifetime {
        // A lifetime past what an Instant holds (tests ask for `u64::MAX` seconds, to see what
        // a client makes of such an `expires_in`) never runs out here.
        AccessLifetime::Expiring => Instant::now().checked_add(ttl),
        AccessLifetime::UntilRevoked => None,
    };
    inner.access.insert(
        access_token.clone(),
        AccessEntry {
            provider,
            grant_id,
            scope: scope.clone(),
            expires_at,
            revoked: false,
        },
    );
    let refresh_token = (lifetime == AccessLifetime::Expiring).then(|| {
        let token = random_token();
        inner.refresh.insert(
            token.clone(),
            RefreshEntry {
                provider,
                client_id: client_id.to_string(),
                grant_id,
                scope: scope.clone(),
                retired: false,
            },
        );
        token
    });
    Issued {
        access_token,
        refresh_token,
        expires_in: ttl.as_secs(),
        scope,
    }
}
