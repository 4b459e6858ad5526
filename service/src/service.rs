//! [`Service`]: what every service call works with. Each area of rules adds its calls to it
//! in its own file (`jobs`, `pushes`, `ingest`...), so front doors hold one value.

use treeherd_store::Store;

use std::time::Duration;

use crate::events::Changes;
use crate::metrics::Metrics;

/// What every service call works with: the store, and the channels that announce what was
/// written. Cheap to clone; every way in holds one.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) changes: Changes,
    /// The Bugzilla bugs come from (no trailing `/`), when one is configured.
    pub(crate) bugzilla_url: Option<String>,
    pub(crate) autoclassify: AutoclassifyOptions,
    /// What this process counts about itself (shared by every clone).
    pub(crate) metrics: Metrics,
}

impl Service {
    /// A service over `store` announcing on `changes` (a process nobody subscribes in, such
    /// as `treeherd consume`, passes `Changes::default()`).
    pub fn new(store: Store, changes: Changes) -> Service {
        Service {
            store,
            changes,
            bugzilla_url: None,
            autoclassify: AutoclassifyOptions::default(),
            metrics: Metrics::new(),
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

    /// This service with the autoclassifier configured as `options`.
    pub fn with_autoclassify(mut self, options: AutoclassifyOptions) -> Service {
        self.autoclassify = options;
        self
    }

    /// The store, for reads (queries and loaders read it directly).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What this process counts about itself (`/metrics`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The channels subscribers listen on.
    pub fn changes(&self) -> &Changes {
        &self.changes
    }
}

/// How the autoclassifier runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoclassifyOptions {
    /// How far back a person's classification counts; `None` turns autoclassification off.
    pub window: Option<Duration>,
}

impl Default for AutoclassifyOptions {
    fn default() -> Self {
        AutoclassifyOptions {
            window: Some(Duration::from_secs(14 * 24 * 3600)),
        }
    }
}
