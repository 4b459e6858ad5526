//! A time as RFC 3339 in UTC, written the way GraphQL's `DateTime` writes it (chrono's
//! `to_rfc3339_opts(SecondsFormat::AutoSi, true)`: a fraction of 3 or 6 digits only when
//! there is one, then `Z`) but into a stack buffer: an export writes four of them per job,
//! and allocating a `String` for each was a visible part of its time.

use serde::{Serialize, Serializer};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Unix microseconds, serialized as an RFC 3339 string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UtcTime(pub i64);

impl Serialize for UtcTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0u8; 32];
        match write(self.0, &mut buffer) {
            Some(text) => serializer.serialize_str(text),
            // Years past 9999 or before 0 take chrono's longer form.
            None => match chrono::DateTime::from_timestamp_micros(self.0) {
                Some(t) => serializer
                    .serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                None => serializer.serialize_none(),
            },
        }
    }
}

/// `micros` written into `buffer`, or `None` for a year outside 0000–9999.
fn write(micros: i64, buffer: &mut [u8; 32]) -> Option<&str> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let seconds = of_day / 1_000_000;
    let fraction = of_day % 1_000_000;
    let mut at = put(buffer, 0, None, year, 4);
    at = put(buffer, at, Some(b'-'), month, 2);
    at = put(buffer, at, Some(b'-'), day, 2);
    at = put(buffer, at, Some(b'T'), seconds / 3600, 2);
    at = put(buffer, at, Some(b':'), seconds / 60 % 60, 2);
    at = put(buffer, at, Some(b':'), seconds % 60, 2);
    if fraction % 1000 != 0 {
        at = put(buffer, at, Some(b'.'), fraction, 6);
    } else if fraction != 0 {
        at = put(buffer, at, Some(b'.'), fraction / 1000, 3);
    }
    buffer[at] = b'Z';
    std::str::from_utf8(&buffer[..=at]).ok()
}

/// Writes `separator` then `value` in `width` decimal digits at `at`; returns where it ended.
fn put(buffer: &mut [u8; 32], at: usize, separator: Option<u8>, value: i64, width: usize) -> usize {
    let mut at = at;
    if let Some(separator) = separator {
        buffer[at] = separator;
        at += 1;
    }
    let mut value = value;
    for i in (0..width).rev() {
        buffer[at + i] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    at + width
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_of(micros: i64) -> String {
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_default()
    }

    fn ours(micros: i64) -> String {
        serde_json::to_value(UtcTime(micros))
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    #[test]
    fn it_writes_what_chrono_writes() {
        let mut cases = vec![
            0,
            -1,
            1,
            999,
            1_000,
            1_000_000,
            -MICROS_PER_DAY,
            951_782_400_000_000,     // 2000-02-29
            4_107_542_400_000_000,   // 2100-03-01
            -62_167_219_200_000_000, // 0000-01-01
            -62_167_219_200_000_001, // before year 0: chrono's form
            253_402_300_799_999_999, // 9999-12-31T23:59:59.999999
            253_402_300_800_000_000, // 10000-01-01: chrono's form
            1_765_000_000_123_000,
            1_765_000_000_123_456,
        ];
        // A pseudo-random walk over four centuries, and every day boundary of a leap year.
        let mut x: i64 = 0x2545_f491;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            cases.push((x >> 8).rem_euclid(12_622_780_800_000_000) - 3_155_695_200_000_000);
        }
        cases.extend((0..366).map(|d| 1_704_067_200_000_000 + d * MICROS_PER_DAY));
        for micros in cases {
            assert_eq!(ours(micros), chrono_of(micros), "{micros}");
        }
    }
}
