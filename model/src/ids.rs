//! The store's ids, each its own type, so that a job id, a push's row id and a repository id
//! cannot be swapped without a compile error. Each is the database row id (`i64`) inside,
//! shows and serializes as that number, and converts to and from `i64` only where ids meet
//! the database or the outside (the store's rows, GraphQL cursors and ids). A bug's id is
//! Bugzilla's number, kept as it is.
//!
//! A push has two numbers: [`PushId`], the store's row id (unique across repositories), and
//! its pushlog push id, which orders the pushes of one repository and stays a plain `i64`.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id! {
    /// A job, by the store's id for it.
    JobId
}

id! {
    /// A push, by the store's row id for it (not its pushlog push id).
    PushId
}

id! {
    /// A repository, by the store's id for it.
    RepositoryId
}

id! {
    /// A bug, by its Bugzilla number (which the store keeps as the bug's key).
    BugId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_number_in_text_and_json() {
        assert_eq!(JobId(42).to_string(), "42");
        assert_eq!(serde_json::to_string(&PushId(7)).ok().as_deref(), Some("7"));
        assert_eq!(
            serde_json::from_str::<RepositoryId>("3").ok(),
            Some(RepositoryId(3))
        );
        assert_eq!(i64::from(JobId::from(5)), 5);
    }
}
