//! Write tokens: HS256 JWTs with `sub`, `exp`, `aud = "treeherd"` and a space-separated
//! `scope` (`write:<repository>`, `write:*`, `admin`). Reads need no token.
//!
//! The signing secret is `TREEHERD_JWT_SECRET` when set; otherwise one generated secret is
//! kept in the database, so `treeherd token issue` beside a server with default settings (and
//! every server process on one database) signs and accepts the same tokens with no setup.

use actix_web::HttpRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use treeherd_schema::{Caller, Scopes};
use treeherd_store::{Store, StoreError};

/// The audience every treeherd token names.
pub const AUDIENCE: &str = "treeherd";
const SECRET_SETTING: &str = "jwt_secret";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    pub scope: String,
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot sign the token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error("the system clock is before 1970")]
    Clock,
}

impl TokenKeys {
    pub fn from_secret(secret: &[u8]) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        subject: &str,
        scopes: &[String],
        ttl: Duration,
    ) -> Result<String, TokenError> {
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
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Caller::Token {
                scopes: Scopes::parse(&data.claims.scope),
                subject: data.claims.sub,
            },
            Err(e) => Caller::Rejected(describe(&e)),
        }
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired".into(),
        ErrorKind::InvalidSignature => "its signature does not match".into(),
        ErrorKind::InvalidAudience => format!("its audience is not {AUDIENCE:?}"),
        ErrorKind::InvalidAlgorithm => "it is not signed with HS256".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it has no {claim:?} claim"),
        _ => "it is not a valid JWT".into(),
    }
}

/// The caller of an HTTP request, from its `Authorization` header.
pub fn caller_of(request: &HttpRequest, keys: &TokenKeys) -> Caller {
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

/// Parses a duration like `30d`, `12h`, `15m` or `3600s` (or bare seconds).
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30d, 12h, 15m or 3600s"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
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
    fn ttls_parse_with_units() {
        assert_eq!(parse_ttl("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_ttl("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("d").is_err());
    }
}
