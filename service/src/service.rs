//! [`Service`]: what every service call works with. Each area of rules adds its calls to it
//! in its own file (`jobs`, `pushes`, `ingest`...), so front doors hold one value.

use treeherd_store::Store;

use crate::events::Changes;

/// What every service call works with: the store, and the channels that announce what was
/// written. Cheap to clone; every way in holds one.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) changes: Changes,
    /// The Bugzilla bugs come from (no trailing `/`), when one is configured.
    pub(crate) bugzilla_url: Option<String>,
}

impl Service {
    /// A service over `store` announcing on `changes` (a process nobody subscribes in, such
    /// as `treeherd consume`, passes `Changes::default()`).
    pub fn new(store: Store, changes: Changes) -> Service {
        Service {
            store,
            changes,
            bugzilla_url: None,
        }
    }

    /// The same service, knowing the Bugzilla bugs come from (for links to them).
    pub fn with_bugzilla_url(mut self, url: Option<String>) -> Service {
        self.bugzilla_url = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// The Bugzilla bugs come from, without a trailing `/`, when one is configured.
    pub fn bugzilla_url(&self) -> Option<&str> {
        self.bugzilla_url.as_deref()
    }

    /// The store, for reads (queries and loaders read it directly).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The channels subscribers listen on.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }
}
