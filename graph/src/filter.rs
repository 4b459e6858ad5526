//! Which dependency kinds a question follows: a one-byte set where empty means "all", so the
//! common unfiltered question costs nothing to express.

use treeherd_model::DependencyKind;

/// A set of [`DependencyKind`]s. The empty set (the default) allows every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KindFilter(u8);

impl KindFilter {
    /// Every kind (the empty set).
    pub const ALL: KindFilter = KindFilter(0);

    /// Exactly the given kinds (or all kinds when `kinds` is empty).
    pub fn of(kinds: &[DependencyKind]) -> Self {
        kinds.iter().copied().collect()
    }

    /// Whether no kind was named, so every kind is followed.
    pub const fn is_all(self) -> bool {
        self.0 == 0
    }

    /// Whether an edge of this kind is followed.
    #[inline]
    pub const fn allows(self, kind: DependencyKind) -> bool {
        self.0 == 0 || self.0 & bit(kind) != 0
    }

    /// This set with `kind` added.
    pub const fn with(self, kind: DependencyKind) -> Self {
        KindFilter(self.0 | bit(kind))
    }
}

const fn bit(kind: DependencyKind) -> u8 {
    match kind {
        DependencyKind::Test => 1,
        DependencyKind::Release => 2,
        DependencyKind::L10nRepack => 4,
        DependencyKind::Generic => 8,
    }
}

impl FromIterator<DependencyKind> for KindFilter {
    fn from_iter<I: IntoIterator<Item = DependencyKind>>(iter: I) -> Self {
        iter.into_iter().fold(KindFilter::ALL, KindFilter::with)
    }
}

impl From<DependencyKind> for KindFilter {
    fn from(kind: DependencyKind) -> Self {
        KindFilter::ALL.with(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_allows_everything_and_a_set_only_its_members() {
        for kind in DependencyKind::ALL {
            assert!(KindFilter::ALL.allows(*kind));
            assert!(KindFilter::of(&[]).allows(*kind));
        }
        let f = KindFilter::of(&[DependencyKind::Test, DependencyKind::Release]);
        assert!(f.allows(DependencyKind::Test));
        assert!(f.allows(DependencyKind::Release));
        assert!(!f.allows(DependencyKind::L10nRepack));
        assert!(!f.allows(DependencyKind::Generic));
    }
}
