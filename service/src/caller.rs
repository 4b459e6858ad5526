//! Who is asking, as the server established it before the request reached the schema: the
//! scopes a verified token granted, or why there is no usable token. Reads need nothing;
//! every write asks the caller for the scope it needs, whichever way it came in.

use crate::error::ServiceError;

/// The forms a scope may take, as refusals name them.
pub const KNOWN_SCOPE_FORMS: &str =
    "admin, write:*, write:<repository>, sheriff:*, sheriff:<repository>";

/// A scope that is none of [`KNOWN_SCOPE_FORMS`]: a typo such as `admni` or `write:` would
/// otherwise grant nothing and pass unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {scope:?}{detail}; the known forms are {KNOWN_SCOPE_FORMS}")]
pub struct UnknownScope {
    scope: String,
    /// Why a `write:` or `sheriff:` scope's repository is not a repository name ("" otherwise).
    detail: String,
}

impl UnknownScope {
    /// The scope as it was written.
    pub fn scope(&self) -> &str {
        &self.scope
    }
}

/// The permissions of a write token: `write:<repository>`, `write:*`, `sheriff:<repository>`
/// (classify its failures), `sheriff:*`, `admin`. Writing jobs and judging them are separate
/// powers: a build system's token cannot classify, a sheriff's cannot submit. The one place
/// scopes are understood: `treeherd token issue` refuses to sign what this refuses, and a
/// token carrying it is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    admin: bool,
    all_repositories: bool,
    repositories: Vec<String>,
    sheriff_all: bool,
    sheriff_of: Vec<String>,
}

impl Scopes {
    /// Parses a space-separated `scope` claim; a scope of no known form is refused, naming
    /// it.
    pub fn parse(scope: &str) -> Result<Scopes, UnknownScope> {
        let mut scopes = Scopes::default();
        for item in scope.split_whitespace() {
            match item {
                "admin" => scopes.admin = true,
                "write:*" => scopes.all_repositories = true,
                "sheriff:*" => scopes.sheriff_all = true,
                _ => {
                    let unknown = |detail: String| UnknownScope {
                        scope: item.to_owned(),
                        detail,
                    };
                    let (list, repository) = if let Some(r) = item.strip_prefix("write:") {
                        (&mut scopes.repositories, r)
                    } else if let Some(r) = item.strip_prefix("sheriff:") {
                        (&mut scopes.sheriff_of, r)
                    } else {
                        return Err(unknown(String::new()));
                    };
                    treeherd_store::check_repository_name(repository)
                        .map_err(|e| unknown(format!(" ({e})")))?;
                    list.push(repository.to_owned());
                }
            }
        }
        Ok(scopes)
    }

    pub fn is_admin(&self) -> bool {
        self.admin
    }

    pub fn may_write(&self, repository: &str) -> bool {
        self.admin || self.all_repositories || self.repositories.iter().any(|r| r == repository)
    }

    /// Whether these scopes may classify `repository`'s failures.
    pub fn may_sheriff(&self, repository: &str) -> bool {
        self.admin || self.sheriff_all || self.sheriff_of.iter().any(|r| r == repository)
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
    fn authenticated(&self) -> Result<Option<&Scopes>, ServiceError> {
        match self {
            Caller::Anonymous => Err(ServiceError::Unauthenticated(
                "this operation needs a token: send Authorization: Bearer <JWT>".into(),
            )),
            Caller::Rejected(reason) => Err(ServiceError::Unauthenticated(format!(
                "the token was refused: {reason}"
            ))),
            Caller::Token { scopes, .. } => Ok(Some(scopes)),
            Caller::Trusted => Ok(None),
        }
    }

    /// Ok when the caller sent a usable token (or is trusted), whatever its scopes.
    pub fn require_authenticated(&self) -> Result<(), ServiceError> {
        self.authenticated().map(|_| ())
    }

    /// Ok when the caller may write to `repository`.
    pub fn require_write(&self, repository: &str) -> Result<(), ServiceError> {
        match self.authenticated()? {
            Some(scopes) if !scopes.may_write(repository) => Err(ServiceError::Forbidden(format!(
                "the token has no write:{repository} scope"
            ))),
            _ => Ok(()),
        }
    }

    /// Ok when the caller may classify `repository`'s failures.
    pub fn require_sheriff(&self, repository: &str) -> Result<(), ServiceError> {
        match self.authenticated()? {
            Some(scopes) if !scopes.may_sheriff(repository) => Err(ServiceError::Forbidden(
                format!("the token has no sheriff:{repository} scope"),
            )),
            _ => Ok(()),
        }
    }

    /// Ok when the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), ServiceError> {
        match self.authenticated()? {
            Some(scopes) if !scopes.is_admin() => Err(ServiceError::Forbidden(
                "this operation needs the admin scope".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(scope: &str) -> Scopes {
        Scopes::parse(scope).unwrap()
    }

    #[test]
    fn scopes_grant_what_they_name() {
        let s = parse("write:try  write:autoland write:mozilla-esr128 write:comm_central.x");
        assert!(s.may_write("try") && s.may_write("autoland"));
        assert!(s.may_write("mozilla-esr128") && s.may_write("comm_central.x"));
        assert!(!s.may_write("mozilla-central") && !s.is_admin());
        assert!(parse("write:*").may_write("anything"));
        assert!(!parse("write:*").is_admin());
        assert!(parse("admin").may_write("x"));
        assert!(!parse("write:tr").may_write("try"));
        assert_eq!(parse(""), Scopes::default());
    }

    #[test]
    fn sheriffing_is_its_own_power() {
        let sheriff = parse("sheriff:try");
        assert!(sheriff.may_sheriff("try") && !sheriff.may_sheriff("autoland"));
        assert!(!sheriff.may_write("try"));
        assert!(!parse("write:try").may_sheriff("try"));
        assert!(parse("sheriff:*").may_sheriff("anything"));
        assert!(parse("admin").may_sheriff("x"));
    }

    #[test]
    fn unknown_scopes_are_refused_naming_them_and_the_known_forms() {
        for bad in [
            "admni",
            "write",
            "write:",
            "write:-try",
            "write:a/b",
            "write:**",
            "read:try",
            "Admin",
            "sheriff:",
            "sheriff",
        ] {
            let error = Scopes::parse(&format!("write:try {bad}")).unwrap_err();
            assert_eq!(error.scope(), bad);
            let message = error.to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            assert!(message.contains(KNOWN_SCOPE_FORMS), "{message}");
        }
        let detail = Scopes::parse("write:a/b").unwrap_err().to_string();
        assert!(detail.contains("letters, digits"), "{detail}");
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
            scopes: parse("write:try"),
        };
        assert!(token.require_write("try").is_ok());
        assert_eq!(token.require_write("x").unwrap_err().code(), "FORBIDDEN");
        assert_eq!(token.require_admin().unwrap_err().code(), "FORBIDDEN");
        assert!(Caller::Trusted.require_admin().is_ok());
    }
}
