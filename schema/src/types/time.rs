//! Stored times (unix microseconds) to and from GraphQL `DateTime`.

use chrono::{DateTime, Utc};

pub(crate) fn to_datetime(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

pub(crate) fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}
