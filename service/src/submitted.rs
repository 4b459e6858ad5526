//! Input as a front door received it, not yet judged. The service authorises the caller
//! before it converts the input, so a caller who may not write learns nothing about what
//! was wrong with it, whichever way it came in.

use crate::error::ServiceError;

/// One item of a submission that converts into `T` (a job, a push, a release...).
pub trait Submitted<T> {
    /// The repository it writes to, when it names one before conversion.
    fn repository(&self) -> Option<&str> {
        None
    }

    /// The checked value; `index` is the item's position in its batch, for messages.
    fn convert(self, index: usize) -> Result<T, ServiceError>;
}
