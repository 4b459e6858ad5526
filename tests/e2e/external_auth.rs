//! Tokens of an external OAuth provider (RS256/ES256 verified against a JWKS) and writes from
//! a trusted build network: what is accepted, and each refusal.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};
use treeherd_tests::{TestApp, error_code};

use treeherd_testkit::documents::{SUBMIT, job};

const RSA_PEM: &[u8] = include_bytes!("../../api/tests/keys/rsa.pem");
const EC_PEM: &[u8] = include_bytes!("../../api/tests/keys/ec.pem");
const ISSUER: &str = "https://auth.example.invalid/";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn jwk(pem: &[u8], algorithm: Algorithm, kid: &str) -> Jwk {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem).unwrap(),
        _ => EncodingKey::from_ec_pem(pem).unwrap(),
    };
    let mut jwk = Jwk::from_encoding_key(&key, algorithm).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

async fn app_with_jwks() -> TestApp {
    let jwks = JwkSet {
        keys: vec![
            jwk(RSA_PEM, Algorithm::RS256, "rsa-1"),
            jwk(EC_PEM, Algorithm::ES256, "ec-1"),
        ],
    };
    let app = TestApp::spawn_with(|config| {
        config.jwks = Some(jwks);
        config.jwt_issuer = Some(ISSUER.to_owned());
    })
    .await;
    app.create_repository("try", &[]).await;
    app
}

fn claims() -> Value {
    json!({"sub": "ci-bot", "iss": ISSUER, "aud": "treeherd", "exp": now() + 600,
           "nbf": now() - 10, "scope": "write:try"})
}

fn sign(algorithm: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

async fn write(app: &TestApp, token: &str, guid: &str) -> Value {
    app.graphql_as(
        Some(token),
        SUBMIT,
        json!({"jobs": [job(guid, "BUILD", "PENDING")]}),
    )
    .await
}

#[tokio::test]
async fn provider_tokens_write_within_their_scopes() {
    let app = app_with_jwks().await;
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM).unwrap();
    let ec = EncodingKey::from_ec_pem(EC_PEM).unwrap();
    // The repository `try` has no push with revision 1 here: jobs wait on a placeholder.
    let ok = write(
        &app,
        &sign(Algorithm::RS256, Some("rsa-1"), &rsa, &claims()),
        "a",
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let ok = write(
        &app,
        &sign(Algorithm::ES256, Some("ec-1"), &ec, &claims()),
        "b",
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let mut audience_list = claims();
    audience_list["aud"] = json!(["other", "treeherd"]);
    let ok = write(
        &app,
        &sign(Algorithm::RS256, Some("rsa-1"), &rsa, &audience_list),
        "c",
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
    let create =
        "mutation { createRepository(input: {name: \"x\", vcs: GIT, url: \"u\"}) { name } }";
    let token = sign(Algorithm::RS256, Some("rsa-1"), &rsa, &claims());
    assert_eq!(
        error_code(&app.graphql_as(Some(&token), create, json!({})).await),
        "FORBIDDEN"
    );
}

#[tokio::test]
async fn every_bad_provider_token_is_refused() {
    let app = app_with_jwks().await;
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM).unwrap();
    let ec = EncodingKey::from_ec_pem(EC_PEM).unwrap();
    let with = |key: &str, value: Value| {
        let mut c = claims();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    // The public key as an HMAC secret: the classic algorithm-confusion forgery.
    let public_as_secret = EncodingKey::from_secret(&jwk_public_bytes());
    let unsigned = {
        let header = base64url(r#"{"alg":"none","typ":"JWT","kid":"rsa-1"}"#);
        format!("{header}.{}.", base64url(&claims().to_string()))
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "wrong issuer",
            sign(
                Algorithm::RS256,
                Some("rsa-1"),
                &rsa,
                &with("iss", json!("https://evil.invalid/")),
            ),
        ),
        (
            "no issuer",
            sign(Algorithm::RS256, Some("rsa-1"), &rsa, &without("iss")),
        ),
        (
            "wrong audience",
            sign(
                Algorithm::RS256,
                Some("rsa-1"),
                &rsa,
                &with("aud", json!("someone-else")),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::RS256,
                Some("rsa-1"),
                &rsa,
                &with("exp", json!(now() - 3600)),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::RS256,
                Some("rsa-1"),
                &rsa,
                &with("nbf", json!(now() + 3600)),
            ),
        ),
        (
            "unknown key",
            sign(Algorithm::RS256, Some("rsa-9"), &rsa, &claims()),
        ),
        (
            "key of another algorithm",
            sign(Algorithm::ES256, Some("rsa-1"), &ec, &claims()),
        ),
        (
            "signed by another key",
            sign(
                Algorithm::ES256,
                Some("ec-1"),
                &EncodingKey::from_ec_pem(EC_OTHER).unwrap(),
                &claims(),
            ),
        ),
        (
            "HS256 with the public key as secret",
            sign(
                Algorithm::HS256,
                Some("rsa-1"),
                &public_as_secret,
                &claims(),
            ),
        ),
        (
            "HS256 without kid, public key as secret",
            sign(Algorithm::HS256, None, &public_as_secret, &claims()),
        ),
        (
            "RS256 without kid",
            sign(Algorithm::RS256, None, &rsa, &claims()),
        ),
        ("alg none", unsigned),
    ];
    for (i, (case, token)) in cases.iter().enumerate() {
        let response = write(&app, token, &format!("j{i}")).await;
        assert_eq!(
            error_code(&response),
            "UNAUTHENTICATED",
            "{case}: {response}"
        );
    }
    let data = app
        .data(
            "{ jobs(repository: \"try\", first: 50) { nodes { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["jobs"]["nodes"], json!([]));
}

fn base64url(text: &str) -> String {
    use base64_engine::*;
    encode(text.as_bytes())
}

/// URL-safe unpadded base64, as JWTs use.
mod base64_engine {
    pub fn encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

/// The RSA public key as an attacker would find it: the JWK's modulus text.
fn jwk_public_bytes() -> Vec<u8> {
    serde_json::to_vec(&jwk(RSA_PEM, Algorithm::RS256, "rsa-1")).unwrap()
}

/// A P-256 key the server does not know.
const EC_OTHER: &[u8] = include_bytes!("../../api/tests/keys/ec-other.pem");

async fn anonymous_write(app: &TestApp, forwarded_for: Option<&str>, guid: &str) -> Value {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({"query": SUBMIT, "variables": {"jobs": [job(guid, "BUILD", "PENDING")]}}));
    if let Some(forwarded) = forwarded_for {
        request = request.header("X-Forwarded-For", forwarded);
    }
    request.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn the_build_network_writes_without_a_token() {
    let app = TestApp::spawn_with(|config| {
        config.trusted.networks = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    app.create_repository("try", &[]).await;
    let response = anonymous_write(&app, None, "from-the-build-network").await;
    assert!(response.get("errors").is_none(), "{response}");
}

#[tokio::test]
async fn forwarded_addresses_count_only_through_a_trusted_proxy() {
    let behind_proxy = TestApp::spawn_with(|config| {
        config.trusted.networks = vec!["10.0.0.0/8".parse().unwrap()];
        config.trusted.proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    behind_proxy.create_repository("try", &[]).await;
    assert!(
        anonymous_write(&behind_proxy, Some("10.1.2.3"), "a")
            .await
            .get("errors")
            .is_none()
    );
    for (forwarded, why) in [
        (None, "the proxy itself is not in the build network"),
        (
            Some("192.168.1.1"),
            "the client is outside the build network",
        ),
        (
            Some("10.1.2.3, 192.168.1.1"),
            "a client cannot prepend a trusted address",
        ),
        (Some("not an address"), "a malformed header is not believed"),
    ] {
        let response = anonymous_write(&behind_proxy, forwarded, "b").await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{why}");
    }

    let no_proxy = TestApp::spawn_with(|config| {
        config.trusted.networks = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    no_proxy.create_repository("try", &[]).await;
    let spoofed = anonymous_write(&no_proxy, Some("10.1.2.3"), "c").await;
    assert_eq!(
        error_code(&spoofed),
        "UNAUTHENTICATED",
        "X-Forwarded-For from a non-proxy peer is ignored"
    );
}
