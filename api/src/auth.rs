//! Who a request comes from. Reads need nobody; writes need one of:
//!
//! - an HS256 JWT signed with the server's secret (`sub`, `exp`, `aud = "treeherd"`, and a
//!   space-separated `scope`: `write:<repository>`, `write:*`, `admin`). The secret is
//!   `TREEHERD_JWT_SECRET` when set; otherwise one generated secret is kept in the database,
//!   so `treeherd token issue` beside a server with default settings (and every server process
//!   on one database) signs and accepts the same tokens with no setup;
//! - an RS256/ES256 JWT from an external OAuth provider, verified against its JWKS, with
//!   `iss`, `aud`, `exp` and `nbf` checked. The algorithm is pinned per key: a token is tried
//!   only with the key its `kid` names and only in that key's algorithm, and an HS256 token only
//!   ever meets the server's secret, so no `none`, no HS/RS confusion;
//! - a request from a trusted build network (the design notes' proxy idea): configured CIDR
//!   ranges, judged on the direct peer address, and on `X-Forwarded-For` only when the peer is
//!   a configured proxy.

use actix_web::HttpRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ipnet::IpNet;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use treeherd_service::{Caller, Scopes, UnknownScope};
use treeherd_store::{Store, StoreError};

/// The audience every treeherd token names.
pub const AUDIENCE: &str = "treeherd";
const SECRET_SETTING: &str = "jwt_secret";

/// The claims treeherd issues.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    pub scope: String,
}

/// The claims treeherd reads (an external provider's `aud` may be a list).
#[derive(Debug, Deserialize)]
struct Granted {
    sub: String,
    #[serde(default)]
    scope: String,
}

/// A verification key of an external provider, pinned to one algorithm.
#[derive(Clone)]
struct ExternalKey {
    kid: String,
    algorithm: Algorithm,
    key: DecodingKey,
    validation: Validation,
}

/// Signs treeherd's own tokens and verifies every token a request may carry.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    external: Vec<ExternalKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot sign the token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error("the system clock is before 1970")]
    Clock,
    #[error("JWKS key {kid:?}: {reason}")]
    Key { kid: String, reason: String },
    #[error("a JWKS needs an issuer to check tokens against (set TREEHERD_JWT_ISSUER)")]
    NoIssuer,
    /// A scope of no known form: signing it would make a token that grants nothing.
    #[error("refusing to sign a token: {0}")]
    Scope(#[from] UnknownScope),
}

/// The algorithm a JWKS key is used with: its `alg`, or the one its type implies. Only
/// asymmetric signature algorithms are accepted from outside.
fn pinned_algorithm(kid: &str, jwk: &jsonwebtoken::jwk::Jwk) -> Result<Algorithm, TokenError> {
    let refuse = |reason: &str| TokenError::Key {
        kid: kid.to_owned(),
        reason: reason.to_owned(),
    };
    let algorithm = match (jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::RS256), AlgorithmParameters::RSA(_))
        | (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (Some(KeyAlgorithm::RS384), AlgorithmParameters::RSA(_)) => Algorithm::RS384,
        (Some(KeyAlgorithm::RS512), AlgorithmParameters::RSA(_)) => Algorithm::RS512,
        (Some(KeyAlgorithm::ES256), AlgorithmParameters::EllipticCurve(ec))
        | (None, AlgorithmParameters::EllipticCurve(ec))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (Some(KeyAlgorithm::ES384), AlgorithmParameters::EllipticCurve(ec))
            if ec.curve == EllipticCurve::P384 =>
        {
            Algorithm::ES384
        }
        (_, AlgorithmParameters::OctetKey(_)) => {
            return Err(refuse("symmetric keys are not accepted from a JWKS"));
        }
        _ => {
            return Err(refuse(
                "only RS256/RS384/RS512 RSA keys and ES256/ES384 EC keys are supported",
            ));
        }
    };
    Ok(algorithm)
}

impl TokenKeys {
    /// Keys for the server's own secret only.
    pub fn from_secret(secret: &[u8]) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            external: Vec::new(),
        }
    }

    /// Also accepts tokens signed by the keys of `jwks`, issued by `issuer`.
    pub fn with_jwks(
        mut self,
        jwks: &JwkSet,
        issuer: Option<&str>,
    ) -> Result<TokenKeys, TokenError> {
        if jwks.keys.is_empty() {
            return Ok(self);
        }
        let issuer = issuer.ok_or(TokenError::NoIssuer)?;
        for jwk in &jwks.keys {
            let kid = jwk.common.key_id.clone().ok_or_else(|| TokenError::Key {
                kid: String::new(),
                reason: "every key needs a kid".into(),
            })?;
            let algorithm = pinned_algorithm(&kid, jwk)?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| TokenError::Key {
                kid: kid.clone(),
                reason: e.to_string(),
            })?;
            let mut validation = Validation::new(algorithm);
            validation.set_audience(&[AUDIENCE]);
            validation.set_issuer(&[issuer]);
            validation.set_required_spec_claims(&["exp", "aud", "sub", "iss"]);
            validation.validate_nbf = true;
            validation.leeway = 30;
            self.external.push(ExternalKey {
                kid,
                algorithm,
                key,
                validation,
            });
        }
        Ok(self)
    }

    /// Signs a token for `subject` with `scopes`, each of a known form ([`Scopes::parse`]),
    /// valid for `ttl`.
    pub fn issue(
        &self,
        subject: &str,
        scopes: &[String],
        ttl: Duration,
    ) -> Result<String, TokenError> {
        for scope in scopes {
            // One argument may hold several scopes, as the claim does: judge each.
            Scopes::parse(scope)?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| TokenError::Clock)?
            .as_secs();
        let claims = Claims {
            sub: subject.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(ttl.as_secs()),
            scope: scopes.join(" "),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The caller a bearer token stands for; a bad token is `Rejected` with the reason.
    pub fn caller(&self, token: &str) -> Caller {
        let header = match jsonwebtoken::decode_header(token) {
            Ok(header) => header,
            Err(_) => return Caller::Rejected("it is not a valid JWT".into()),
        };
        let decoded = match &header.kid {
            None if header.alg == Algorithm::HS256 => {
                jsonwebtoken::decode::<Granted>(token, &self.decoding, &self.validation)
            }
            None => {
                return Caller::Rejected(format!(
                    "a {:?} token must name its key (kid)",
                    header.alg
                ));
            }
            Some(kid) => {
                let Some(key) = self.external.iter().find(|k| &k.kid == kid) else {
                    return Caller::Rejected(format!("no key {kid:?} is trusted"));
                };
                if header.alg != key.algorithm {
                    return Caller::Rejected(format!(
                        "key {kid:?} is used with {:?}, not {:?}",
                        key.algorithm, header.alg
                    ));
                }
                jsonwebtoken::decode::<Granted>(token, &key.key, &key.validation)
            }
        };
        match decoded {
            Ok(data) => match Scopes::parse(&data.claims.scope) {
                Ok(scopes) => Caller::Token {
                    scopes,
                    subject: data.claims.sub,
                },
                Err(e) => Caller::Rejected(format!("it carries an {e}")),
            },
            Err(e) => Caller::Rejected(describe(&e)),
        }
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "its signature does not match".into(),
        ErrorKind::InvalidAudience => format!("its audience is not {AUDIENCE:?}"),
        ErrorKind::InvalidIssuer => "its issuer is not trusted".into(),
        ErrorKind::InvalidAlgorithm => "its algorithm is not the one its key is used with".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no {claim:?} claim"),
        _ => "it is not a valid JWT".into(),
    }
}

/// Networks whose requests may write without a token.
#[derive(Clone, Debug, Default)]
pub struct TrustedNetworks {
    pub networks: Vec<IpNet>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub proxies: Vec<IpNet>,
}

impl TrustedNetworks {
    fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
        nets.iter().any(|net| net.contains(&ip))
    }

    /// The address a request comes from: the peer, or, when the peer is a trusted proxy, the
    /// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
    fn client(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        if !Self::contains(&self.proxies, peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .map(|entry| entry.parse::<IpAddr>())
            .collect::<Result<_, _>>()
            .ok()?;
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !Self::contains(&self.proxies, *ip))
                .unwrap_or(peer),
        )
    }

    fn trusts(&self, request: &HttpRequest) -> bool {
        !self.networks.is_empty()
            && self
                .client(request)
                .is_some_and(|ip| Self::contains(&self.networks, ip))
    }
}

/// The caller of an HTTP request: trusted network, else its `Authorization` header.
pub fn caller_of(request: &HttpRequest, keys: &TokenKeys, trusted: &TrustedNetworks) -> Caller {
    if trusted.trusts(request) {
        return Caller::Trusted;
    }
    let Some(header) = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
    else {
        return Caller::Anonymous;
    };
    let Some(token) = header.to_str().ok().and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    }) else {
        return Caller::Rejected("the Authorization header is not \"Bearer <JWT>\"".into());
    };
    keys.caller(token.trim())
}

/// The signing secret: the configured one, else the database's (generated on first use).
pub async fn signing_secret(
    configured: Option<&str>,
    store: &Store,
) -> Result<Vec<u8>, StoreError> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let secret = store
        .setting_or_insert(SECRET_SETTING, || {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            STANDARD.encode(bytes)
        })
        .await?;
    Ok(secret.into_bytes())
}

/// Checks one `--scope` argument (one or more space-separated scopes) as [`Scopes::parse`]
/// does, so the command line refuses a typo before anything is signed.
pub fn parse_scope(text: &str) -> Result<String, String> {
    Scopes::parse(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

/// Parses a duration like `30d`, `12h`, `15m` or `3600s` (or bare seconds).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    treeherd_model::duration::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_with_their_scopes() {
        let keys = TokenKeys::from_secret(b"s3cret");
        let token = keys
            .issue("ci", &["write:try".into()], Duration::from_secs(60))
            .unwrap();
        match keys.caller(&token) {
            Caller::Token { subject, scopes } => {
                assert_eq!(subject, "ci");
                assert!(scopes.may_write("try"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_secrets_and_expired_tokens_are_rejected() {
        let keys = TokenKeys::from_secret(b"one");
        let token = TokenKeys::from_secret(b"two")
            .issue("ci", &[], Duration::from_secs(60))
            .unwrap();
        assert!(matches!(keys.caller(&token), Caller::Rejected(r) if r.contains("signature")));
        let expired = keys.issue("ci", &[], Duration::ZERO).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        // Leeway is 30 s: an expired-long-ago token is needed to see the refusal.
        let mut validation_keys = keys.clone();
        validation_keys.validation.leeway = 0;
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            matches!(validation_keys.caller(&expired), Caller::Rejected(r) if r.contains("expired"))
        );
        assert!(matches!(keys.caller("garbage"), Caller::Rejected(_)));
    }

    #[test]
    fn unknown_scopes_are_neither_signed_nor_accepted() {
        let keys = TokenKeys::from_secret(b"s3cret");
        let refused = keys
            .issue(
                "ci",
                &["write:try".into(), "admni".into()],
                Duration::from_secs(60),
            )
            .unwrap_err()
            .to_string();
        assert!(refused.contains("\"admni\""), "{refused}");
        assert!(
            refused.contains(treeherd_service::KNOWN_SCOPE_FORMS),
            "{refused}"
        );
        // A token signed elsewhere with the same secret but a scope of no known form.
        let claims = Claims {
            sub: "ci".into(),
            aud: AUDIENCE.into(),
            iat: 0,
            exp: u64::MAX / 2,
            scope: "write:try write:".into(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(
            matches!(keys.caller(&token), Caller::Rejected(r) if r.contains("unknown scope \"write:\"")),
        );
    }

    #[test]
    fn ttls_parse_with_units() {
        assert_eq!(parse_ttl("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_ttl("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("d").is_err());
    }
}
