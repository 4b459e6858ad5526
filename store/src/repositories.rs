//! Repositories: created once (names never change), read by every request.

use diesel::prelude::*;
use std::collections::HashMap;

use crate::db::{self, DbConnection};
use crate::schema::repositories;
use crate::types::raw_ids;
use crate::{NewRepository, Repository, RepositoryId, Store, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = repositories)]
struct RepositoryRow {
    id: i64,
    name: String,
    vcs: String,
    url: String,
    indexed_attributes: String,
    branch: Option<String>,
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = StoreError;
    fn try_from(row: RepositoryRow) -> Result<Repository, StoreError> {
        Ok(Repository {
            id: RepositoryId(row.id),
            name: row.name,
            vcs: row.vcs.parse()?,
            url: row.url,
            indexed_attributes: serde_json::from_str(&row.indexed_attributes)?,
            branch: row.branch,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = repositories, treat_none_as_default_value = false)]
struct RepositoryValues<'a> {
    name: &'a str,
    vcs: &'static str,
    url: &'a str,
    indexed_attributes: String,
    branch: Option<&'a str>,
}

/// A repository name: what URLs and scopes (`write:NAME`) are made of.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let valid = (1..=100).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "repository name {name:?} must be 1 to 100 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )))
    }
}

fn check_attribute_keys(keys: &[String]) -> Result<(), StoreError> {
    for (i, key) in keys.iter().enumerate() {
        if key.is_empty() || key.len() > 100 {
            return Err(StoreError::Invalid(format!(
                "indexed attribute key {key:?} must be 1 to 100 characters"
            )));
        }
        if keys[..i].contains(key) {
            return Err(StoreError::Invalid(format!(
                "indexed attribute key {key:?} is listed twice"
            )));
        }
    }
    Ok(())
}

impl Store {
    pub async fn create_repository(&self, new: NewRepository) -> Result<Repository, StoreError> {
        check_name(&new.name)?;
        check_attribute_keys(&new.indexed_attributes)?;
        if new.url.trim().is_empty() {
            return Err(StoreError::Invalid("a repository needs a url".into()));
        }
        self.run(move |conn| {
            db::write(conn, |conn| {
                if find_by_name(conn, &new.name)?.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "repository {:?} exists already",
                        new.name
                    )));
                }
                diesel::insert_into(repositories::table)
                    .values(RepositoryValues {
                        name: &new.name,
                        vcs: new.vcs.as_str(),
                        url: &new.url,
                        indexed_attributes: serde_json::to_string(&new.indexed_attributes)?,
                        branch: new.branch.as_deref(),
                    })
                    .execute(conn)?;
                find_by_name(conn, &new.name)?
                    .ok_or_else(|| StoreError::internal("inserted repository vanished"))
            })
        })
        .await
    }

    /// Every repository, by name.
    pub async fn repositories(&self) -> Result<Vec<Repository>, StoreError> {
        self.run(|conn| {
            repositories::table
                .select(RepositoryRow::as_select())
                .order(repositories::name)
                .load(conn)?
                .into_iter()
                .map(Repository::try_from)
                .collect()
        })
        .await
    }

    pub async fn repository(&self, name: String) -> Result<Option<Repository>, StoreError> {
        self.run(move |conn| find_by_name(conn, &name)).await
    }

    /// The repository at `url`, compared after `normalize` (e.g. GitHub's URL spellings).
    pub async fn repository_by_url(
        &self,
        url: String,
        normalize: fn(&str) -> String,
    ) -> Result<Option<Repository>, StoreError> {
        let wanted = normalize(&url);
        Ok(self
            .repositories()
            .await?
            .into_iter()
            .find(|r| normalize(&r.url) == wanted))
    }

    /// The named repository, or `NotFound`.
    pub async fn existing_repository(&self, name: String) -> Result<Repository, StoreError> {
        self.run(move |conn| existing(conn, &name)).await
    }

    pub async fn repositories_by_id(
        &self,
        ids: Vec<RepositoryId>,
    ) -> Result<HashMap<RepositoryId, Repository>, StoreError> {
        self.run(move |conn| {
            repositories::table
                .filter(repositories::id.eq_any(raw_ids(&ids)))
                .select(RepositoryRow::as_select())
                .load(conn)?
                .into_iter()
                .map(|row| Repository::try_from(row).map(|r| (r.id, r)))
                .collect()
        })
        .await
    }
}

pub(crate) fn find_by_name(
    conn: &mut DbConnection,
    name: &str,
) -> Result<Option<Repository>, StoreError> {
    repositories::table
        .filter(repositories::name.eq(name))
        .select(RepositoryRow::as_select())
        .first(conn)
        .optional()?
        .map(Repository::try_from)
        .transpose()
}

pub(crate) fn existing(conn: &mut DbConnection, name: &str) -> Result<Repository, StoreError> {
    find_by_name(conn, name)?
        .ok_or_else(|| StoreError::NotFound(format!("no repository named {name:?}")))
}

pub(crate) fn by_id(conn: &mut DbConnection, id: i64) -> Result<Repository, StoreError> {
    repositories::table
        .find(id)
        .select(RepositoryRow::as_select())
        .first(conn)?
        .try_into()
}

/// The named repositories, each once; `NotFound` names the first that does not exist.
pub(crate) fn existing_by_name(
    conn: &mut DbConnection,
    names: &[&str],
) -> Result<HashMap<String, Repository>, StoreError> {
    let found: HashMap<String, Repository> = repositories::table
        .filter(repositories::name.eq_any(names))
        .select(RepositoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| Repository::try_from(row).map(|r| (r.name.clone(), r)))
        .collect::<Result<_, StoreError>>()?;
    if let Some(missing) = names.iter().find(|name| !found.contains_key(**name)) {
        return Err(StoreError::NotFound(format!(
            "no repository named {missing:?}"
        )));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_url_and_scope_safe() {
        for good in [
            "mozilla-central",
            "try",
            "mozilla-esr115",
            "a",
            "comm_central.2",
        ] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "has space", "a/b", "write:*", &"x".repeat(101)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_keys_are_unique_and_non_empty() {
        assert!(check_attribute_keys(&["a".into(), "b".into()]).is_ok());
        assert!(check_attribute_keys(&["a".into(), "a".into()]).is_err());
        assert!(check_attribute_keys(&[String::new()]).is_err());
    }
}
