//! How many of one request's store calls hold a connection at once. A GraphQL request resolves
//! its fields concurrently, so a request of a few hundred aliased fields once took every
//! pooled connection while another client's trivial read waited 17 s. The front door runs
//! each request inside [`crate::Store::bounded`]; every store call made by that request's task waits
//! for one of its permits before it takes a connection (a task-local, so no signature
//! changes). Work outside a bounded request (loaders' batches, which run on tasks of their
//! own and already gather a request's keys into one call; writes; workers) is not counted.

use std::future::Future;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::StoreError;

tokio::task_local! {
    /// The permits of the request this task serves.
    static REQUEST_CALLS: Arc<Semaphore>;
}

/// Runs `request` with `at_once` permits (at least one) for its store calls.
pub(crate) async fn scope<F: Future>(at_once: usize, request: F) -> F::Output {
    REQUEST_CALLS
        .scope(Arc::new(Semaphore::new(at_once.max(1))), request)
        .await
}

/// A permit for one call of the current request, if it is bounded.
pub(crate) async fn permit() -> Result<Option<OwnedSemaphorePermit>, StoreError> {
    let Ok(calls) = REQUEST_CALLS.try_with(Arc::clone) else {
        return Ok(None);
    };
    calls
        .acquire_owned()
        .await
        .map(Some)
        .map_err(|e| StoreError::caused_by("request call permits closed", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// The most of twenty concurrent calls (each holding its permit a while) that ran at once.
    async fn most_at_once(bound: Option<usize>) -> usize {
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let calls = (0..20).map(|_| {
            let (now, most) = (now.clone(), most.clone());
            async move {
                let _permit = permit().await?;
                let held = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(held, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), StoreError>(())
            }
        });
        let all = futures_util::future::join_all(calls);
        let done = match bound {
            Some(n) => scope(n, all).await,
            None => all.await,
        };
        assert!(done.iter().all(Result::is_ok));
        most.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_bounded_request_holds_at_most_its_permits() {
        assert_eq!(most_at_once(Some(2)).await, 2);
        assert_eq!(most_at_once(Some(0)).await, 1);
        assert_eq!(most_at_once(None).await, 20);
    }
}
