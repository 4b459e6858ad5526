//! GitHub push webhooks: the body's signature is verified with the configured secret
//! (`X-Hub-Signature-256`), and a push is stored when it is to the branch the repository's
//! pushlog follows: `Repository.branch`, else GitHub's default branch. A push to another
//! ref, a deletion or another event is ignored with the reason.

use serde_json::Value;
use treeherd_pushlog::{SignatureError, normalize_repository_url};
use treeherd_store::Push;

use crate::error::ServiceError;
use crate::service::Service;

/// A delivery as the webhook route received it.
pub struct Delivery<'a> {
    /// The `X-Hub-Signature-256` header, if any.
    pub signature: Option<&'a str>,
    /// The `X-GitHub-Event` header (`push` when absent).
    pub event: &'a str,
    pub body: &'a [u8],
}

/// What a verified delivery came to.
#[derive(Debug)]
pub enum Handled {
    /// GitHub's `ping` on setting the webhook up.
    Pong,
    /// Nothing to store, and why.
    Ignored(String),
    /// The push, stored (and announced if new).
    Stored {
        repository: String,
        pushes: Vec<Push>,
    },
}

impl Service {
    /// Verifies and handles one delivery; `secret` is `None` when the webhook is not
    /// configured (refused as NOT_FOUND).
    #[tracing::instrument(skip_all, fields(event = delivery.event, bytes = delivery.body.len()))]
    pub async fn github_webhook(
        &self,
        secret: Option<&[u8]>,
        delivery: Delivery<'_>,
    ) -> Result<Handled, ServiceError> {
        let Some(secret) = secret else {
            return Err(ServiceError::NotFound(
                "the GitHub webhook is not configured (set TREEHERD_GITHUB_WEBHOOK_SECRET)".into(),
            ));
        };
        match treeherd_pushlog::verify_github_signature(secret, delivery.body, delivery.signature) {
            Ok(()) => {}
            Err(SignatureError::Missing) => {
                return Err(ServiceError::Unauthenticated(
                    "the body is not signed (X-Hub-Signature-256)".into(),
                ));
            }
            Err(e) => {
                return Err(ServiceError::Forbidden(format!(
                    "the body's signature does not verify: {e}"
                )));
            }
        }
        match delivery.event {
            "push" => {}
            "ping" => return Ok(Handled::Pong),
            other => return Ok(Handled::Ignored(format!("{other} events carry no push"))),
        }
        let body: Value = serde_json::from_slice(delivery.body)
            .map_err(|e| ServiceError::bad_input("body", format!("the body is not JSON: {e}")))?;
        if treeherd_ingest::value_has_nul(&body) {
            return Err(ServiceError::bad_input(
                "body",
                format!("the body {}", treeherd_ingest::NUL_RULE),
            ));
        }
        let push = treeherd_pushlog::parse_github_push(&body)
            .map_err(|e| ServiceError::bad_input("body", e.to_string()))?;
        let mut repository = None;
        for url in &push.repository_urls {
            if let Some(found) = self
                .store()
                .repository_by_url(url.clone(), normalize_repository_url)
                .await?
            {
                repository = Some(found);
                break;
            }
        }
        let Some(repository) = repository else {
            return Err(ServiceError::NotFound(format!(
                "no repository at {}",
                push.repository_urls.join(" or ")
            )));
        };
        let followed = repository
            .branch
            .clone()
            .or_else(|| {
                body["repository"]["default_branch"]
                    .as_str()
                    .map(Into::into)
            })
            .unwrap_or_else(|| "main".into());
        if push.branch.as_deref() != Some(followed.as_str()) {
            return Ok(Handled::Ignored(format!(
                "{} is not refs/heads/{followed}, the branch the pushlog of {} follows",
                push.git_ref, repository.name
            )));
        }
        if push.deleted {
            tracing::info!(repository = %repository.name, branch = %followed, "the followed branch was deleted");
            return Ok(Handled::Ignored(format!("{} was deleted", push.git_ref)));
        }
        let Some(record) = push.push_record() else {
            return Ok(Handled::Ignored("the push brought no commit".into()));
        };
        if push.forced {
            tracing::info!(repository = %repository.name, revision = %record.revision, "a forced push");
        }
        let pushes = self
            .store_pushes(repository.name.clone(), vec![record])
            .await?;
        Ok(Handled::Stored {
            repository: repository.name,
            pushes,
        })
    }
}
