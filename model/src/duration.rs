//! Durations as people write them on a command line or in a query: `30d`, `12h`, `15m`,
//! `3600s` (a bare number is seconds). One parser for the CLI and the API.

use std::time::Duration;

/// Parses `30d`, `12h`, `15m`, `3600s` or `3600`.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30d, 12h, 15m or 3600s"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use s, m, h or d)"
            ));
        }
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_refusals() {
        assert_eq!(parse("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse(" 90 "), Ok(Duration::from_secs(90)));
        assert!(parse("h").is_err());
        assert!(parse("5w").is_err());
        assert!(parse("").is_err());
    }
}
