//! patchbay-sandbox: a strict OAuth 2.0 authorization server plus imitations of the five
//! providers' APIs, served on loopback. See README.md.
