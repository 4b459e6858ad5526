//! Who is asking, as the server established it before the request reached the schema: the
//! scopes a verified token granted, or why there is no usable token. Reads need nothing;
//! every mutation asks the caller for the scope it needs.

use crate::ApiError;

/// The permissions of a write token: `write:<repository>`, `write:*`, `admin`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    admin: bool,
    all_repositories: bool,
    repositories: Vec<String>,
}

impl Scopes {
    /// Parses a space-separated `scope` claim; unknown scopes are ignored (a token minted for
    /// a newer server keeps working for what this one knows).
    pub fn parse(scope: &str) -> Scopes {
        let mut scopes = Scopes::default();
        for item in scope.split_whitespace() {
            match item {
                "admin" => scopes.admin = true,
                "write:*" => scopes.all_repositories = true,
                _ => {
                    if let Some(repository) = item.strip_prefix("write:") {
                        scopes.repositories.push(repository.to_owned());
                    }
                }
            }
        }
        scopes
    }

    pub fn is_admin(&self) -> bool {
        self.admin
    }

    pub fn may_write(&self, repository: &str) -> bool {
        self.admin || self.all_repositories || self.repositories.iter().any(|r| r == repository)
    }
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No credentials: may read.
    Anonymous,
    /// Credentials were sent but refused (expired, bad signature...): may read; writes are
    /// refused with the reason.
    Rejected(String),
    /// A verified token.
    Token { subject: String, scopes: Scopes },
    /// A trusted network or the server itself: may do anything.
    Trusted,
}

impl Caller {
    fn authenticated(&self) -> Result<Option<&Scopes>, ApiError> {
        match self {
            Caller::Anonymous => Err(ApiError::Unauthenticated(
                "this operation needs a token: send Authorization: Bearer <JWT>".into(),
            )),
            Caller::Rejected(reason) => Err(ApiError::Unauthenticated(format!(
                "the token was refused: {reason}"
            ))),
            Caller::Token { scopes, .. } => Ok(Some(scopes)),
            Caller::Trusted => Ok(None),
        }
    }

    /// Ok when the caller sent a usable token (or is trusted), whatever its scopes.
    pub fn require_authenticated(&self) -> Result<(), ApiError> {
        self.authenticated().map(|_| ())
    }

    /// Ok when the caller may write to `repository`.
    pub fn require_write(&self, repository: &str) -> Result<(), ApiError> {
        match self.authenticated()? {
            Some(scopes) if !scopes.may_write(repository) => Err(ApiError::Forbidden(format!(
                "the token has no write:{repository} scope"
            ))),
            _ => Ok(()),
        }
    }

    /// Ok when the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.authenticated()? {
            Some(scopes) if !scopes.is_admin() => Err(ApiError::Forbidden(
                "this operation needs the admin scope".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_grant_what_they_name() {
        let s = Scopes::parse("write:try  write:autoland unknown:thing");
        assert!(s.may_write("try") && s.may_write("autoland"));
        assert!(!s.may_write("mozilla-central") && !s.is_admin());
        assert!(Scopes::parse("write:*").may_write("anything"));
        assert!(!Scopes::parse("write:*").is_admin());
        assert!(Scopes::parse("admin").may_write("x"));
        assert!(!Scopes::parse("write:tr").may_write("try"));
    }

    #[test]
    fn callers_are_refused_with_the_right_code() {
        assert_eq!(
            Caller::Anonymous.require_write("x").unwrap_err().code(),
            "UNAUTHENTICATED"
        );
        assert_eq!(
            Caller::Rejected("expired".into())
                .require_write("x")
                .unwrap_err()
                .code(),
            "UNAUTHENTICATED"
        );
        let token = Caller::Token {
            subject: "ci".into(),
            scopes: Scopes::parse("write:try"),
        };
        assert!(token.require_write("try").is_ok());
        assert_eq!(token.require_write("x").unwrap_err().code(), "FORBIDDEN");
        assert_eq!(token.require_admin().unwrap_err().code(), "FORBIDDEN");
        assert!(Caller::Trusted.require_admin().is_ok());
    }
}
