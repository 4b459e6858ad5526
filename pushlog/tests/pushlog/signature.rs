//! `X-Hub-Signature-256`: GitHub's documented example, and each way a header is refused.

use treeherd_pushlog::{SignatureError, sign_github_body, verify_github_signature};

/// From GitHub's "Validating webhook deliveries" page.
const SECRET: &[u8] = b"It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
const HEADER: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

#[test]
fn githubs_documented_example() {
    assert_eq!(sign_github_body(SECRET, BODY), HEADER);
    assert_eq!(verify_github_signature(SECRET, BODY, Some(HEADER)), Ok(()));
}

#[test]
fn each_header_has_its_answer() {
    fn check(header: Option<&str>, expected: Result<(), SignatureError>) {
        assert_eq!(
            verify_github_signature(SECRET, BODY, header),
            expected,
            "{header:?}"
        );
    }
    use SignatureError::{Malformed, Mismatch, Missing};
    let digits = &HEADER["sha256=".len()..];

    check(
        Some(&HEADER.to_uppercase().replace("SHA256=", "sha256=")),
        Ok(()),
    );
    check(Some(&format!(" {HEADER}\t")), Ok(()));
    check(None, Err(Missing));
    check(Some(""), Err(Malformed("expected sha256=<hex>")));
    check(Some(digits), Err(Malformed("expected sha256=<hex>")));
    check(
        Some(&format!("sha1={digits}")),
        Err(Malformed("expected sha256=<hex>")),
    );
    check(
        Some(&format!("SHA256={digits}")),
        Err(Malformed("expected sha256=<hex>")),
    );
    check(
        Some(&HEADER[..HEADER.len() - 2]),
        Err(Malformed("expected 64 hexadecimal digits")),
    );
    check(
        Some(&format!("{HEADER}00")),
        Err(Malformed("expected 64 hexadecimal digits")),
    );
    check(
        Some(&HEADER.replace('7', "g")),
        Err(Malformed("expected 64 hexadecimal digits")),
    );
    check(Some(&HEADER.replace("757", "758")), Err(Mismatch));
    check(
        Some(&sign_github_body(b"another secret", BODY)),
        Err(Mismatch),
    );
    check(
        Some(&sign_github_body(SECRET, b"Hello, World?")),
        Err(Mismatch),
    );
}

#[test]
fn any_secret_and_body_sign_and_verify() {
    let long_secret = [7u8; 200];
    for (secret, body) in [(&b""[..], &b""[..]), (&long_secret[..], b"{\"ref\": 1}")] {
        let header = sign_github_body(secret, body);
        assert_eq!(header.len(), "sha256=".len() + 64);
        assert_eq!(verify_github_signature(secret, body, Some(&header)), Ok(()));
    }
}

#[test]
fn messages() {
    assert_eq!(
        SignatureError::Missing.to_string(),
        "no X-Hub-Signature-256 header"
    );
    assert_eq!(
        SignatureError::Malformed("expected sha256=<hex>").to_string(),
        "malformed X-Hub-Signature-256 header: expected sha256=<hex>"
    );
    assert_eq!(
        SignatureError::Mismatch.to_string(),
        "X-Hub-Signature-256 does not match the body"
    );
}
