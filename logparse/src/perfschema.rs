//! The checks of Treeherder's `schemas/performance-artifact.json`, written out by hand.
//!
//! A JSON-schema engine would be a large dependency for one small, stable schema. This file
//! applies every constraint the schema states (required fields, types, enums, string lengths,
//! numeric ranges, array sizes, unique items, the tag pattern) plus the one rule Treeherder
//! adds in `validate_perf_data` (at most one extra option longer than 45 characters). Unknown
//! fields are allowed, as the schema allows them. The first problem found is reported, with
//! its path (`suites[0].subtests[2].value`).

use serde_json::{Map, Value};

/// Values inside `value`/`replicates` must stay within ±1e12.
const VALUE_LIMIT: f64 = 1e12;
const APPLICATIONS: &[&str] = &[
    "firefox",
    "chrome",
    "chrome-m",
    "fennec",
    "geckoview",
    "refbrow",
    "fenix",
    "focus",
    "safari",
    "safari-tp",
    "custom-car",
    "cstm-car-m",
];
const CHANGE_TYPES: &[&str] = &["absolute", "percentage"];
const SEVERITIES: &[&str] = &["critical", "subcritical", "normal"];
/// Treeherder's `SECOND_MAX_LENGTH`: only one extra option may be longer.
const LONG_EXTRA_OPTION: usize = 45;

type Checked<T = ()> = Result<T, String>;

/// Checks a parsed PERFHERDER_DATA blob; the error says what is wrong and where.
pub(crate) fn validate(data: &Value) -> Checked {
    let root = object(data, "")?;
    required(root, "", &["framework", "suites"])?;
    if let Some(application) = root.get("application") {
        let fields = object(application, "application")?;
        required(fields, "application", &["name"])?;
        one_of(&fields["name"], "application.name", APPLICATIONS)?;
        string_field(fields, "application", "name", 0, 10)?;
        string_field(fields, "application", "version", 0, 40)?;
    }
    if let Some(os) = root.get("os") {
        let fields = object(os, "os")?;
        string_field(fields, "os", "name", 1, 100)?;
        string_field(fields, "os", "platform_version", 1, 100)?;
    }
    let framework = object(&root["framework"], "framework")?;
    string_field(framework, "framework", "name", 0, usize::MAX)?;
    let suites = array(&root["suites"], "suites", usize::MAX, false)?;
    for (i, suite) in suites.iter().enumerate() {
        check_suite(suite, &format!("suites[{i}]"))?;
    }
    Ok(())
}

fn check_suite(suite: &Value, path: &str) -> Checked {
    let fields = object(suite, path)?;
    required(fields, path, &["name", "subtests"])?;
    string_field(fields, path, "name", 0, 80)?;
    string_field(fields, path, "publicName", 0, 30)?;
    if let Some(tags) = fields.get("tags") {
        let tags_path = format!("{path}.tags");
        for (i, tag) in array(tags, &tags_path, 14, true)?.iter().enumerate() {
            let tag_path = format!("{tags_path}[{i}]");
            let tag = string(tag, &tag_path, 0, usize::MAX)?;
            // `^[a-zA-Z0-9-]{1,24}$`, searched with Python's `re`, whose `$` also matches
            // before a final newline.
            let body = tag.strip_suffix('\n').unwrap_or(tag);
            if !(1..=24).contains(&body.len())
                || !body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Err(format!("{tag_path}: must match ^[a-zA-Z0-9-]{{1,24}}$"));
            }
        }
    }
    if let Some(options) = fields.get("extraOptions") {
        let options_path = format!("{path}.extraOptions");
        let mut long = 0;
        for (i, option) in array(options, &options_path, 8, true)?.iter().enumerate() {
            let len = string(option, &format!("{options_path}[{i}]"), 0, 100)?
                .chars()
                .count();
            if len > LONG_EXTRA_OPTION {
                long += 1;
            }
        }
        if long > 1 {
            return Err(format!(
                "{options_path}: too many extra options longer than {LONG_EXTRA_OPTION}"
            ));
        }
    }
    let subtests_path = format!("{path}.subtests");
    for (i, subtest) in array(&fields["subtests"], &subtests_path, usize::MAX, false)?
        .iter()
        .enumerate()
    {
        check_subtest(subtest, &format!("{subtests_path}[{i}]"))?;
    }
    number_field(fields, path, "value", -VALUE_LIMIT, VALUE_LIMIT)?;
    string_field(fields, path, "unit", 1, 20)?;
    if let Some(replicates) = fields.get("replicates") {
        let replicates_path = format!("{path}.replicates");
        for (i, value) in array(replicates, &replicates_path, usize::MAX, false)?
            .iter()
            .enumerate()
        {
            number(
                value,
                &format!("{replicates_path}[{i}]"),
                -VALUE_LIMIT,
                VALUE_LIMIT,
            )?;
        }
    }
    for flag in ["lowerIsBetter", "shouldAlert", "monitor"] {
        boolean_field(fields, path, flag)?;
    }
    number_field(fields, path, "alertThreshold", 0.0, f64::INFINITY)?;
    enum_field(fields, path, "alertSeverity", SEVERITIES)?;
    enum_field(fields, path, "alertChangeType", CHANGE_TYPES)?;
    for window in ["minBackWindow", "maxBackWindow", "foreWindow"] {
        if let Some(value) = fields.get(window) {
            integer(value, &format!("{path}.{window}"), 1.0, 255.0)?;
        }
    }
    if let Some(emails) = fields.get("alertNotifyEmails") {
        let emails_path = format!("{path}.alertNotifyEmails");
        for (i, email) in array(emails, &emails_path, 8, true)?.iter().enumerate() {
            string(email, &format!("{emails_path}[{i}]"), 0, 100)?;
        }
    }
    Ok(())
}

fn check_subtest(subtest: &Value, path: &str) -> Checked {
    let fields = object(subtest, path)?;
    required(fields, path, &["name", "value"])?;
    string_field(fields, path, "name", 0, 80)?;
    string_field(fields, path, "publicName", 0, 30)?;
    number_field(fields, path, "value", -VALUE_LIMIT, VALUE_LIMIT)?;
    string_field(fields, path, "unit", 1, 20)?;
    boolean_field(fields, path, "lowerIsBetter")?;
    boolean_field(fields, path, "shouldAlert")?;
    enum_field(fields, path, "alertChangeType", CHANGE_TYPES)?;
    number_field(fields, path, "alertThreshold", 0.0, f64::INFINITY)?;
    enum_field(fields, path, "alertSeverity", SEVERITIES)?;
    // Unlike a suite's, a subtest's windows are "number", not "integer", in the schema.
    for window in ["minBackWindow", "maxBackWindow", "foreWindow"] {
        number_field(fields, path, window, 1.0, 255.0)?;
    }
    Ok(())
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(path: &str) -> &str {
    if path.is_empty() { "the data" } else { path }
}

fn object<'a>(value: &'a Value, path: &str) -> Checked<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| format!("{}: expected an object", describe(path)))
}

fn required(fields: &Map<String, Value>, path: &str, names: &[&str]) -> Checked {
    match names.iter().find(|name| !fields.contains_key(**name)) {
        Some(name) => Err(format!("{}: required field missing", at(path, name))),
        None => Ok(()),
    }
}

fn string<'a>(value: &'a Value, path: &str, min: usize, max: usize) -> Checked<&'a str> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{path}: expected a string"))?;
    // JSON schema lengths count code points, as Python's len() does.
    let len = text.chars().count();
    if len < min {
        return Err(format!("{path}: shorter than {min} characters"));
    }
    if len > max {
        return Err(format!("{path}: longer than {max} characters"));
    }
    Ok(text)
}

fn string_field(
    fields: &Map<String, Value>,
    path: &str,
    key: &str,
    min: usize,
    max: usize,
) -> Checked {
    match fields.get(key) {
        Some(value) => string(value, &at(path, key), min, max).map(drop),
        None => Ok(()),
    }
}

fn number(value: &Value, path: &str, min: f64, max: f64) -> Checked<f64> {
    // serde_json keeps booleans apart from numbers, as jsonschema does.
    let number = value
        .as_f64()
        .ok_or_else(|| format!("{path}: expected a number"))?;
    if number < min {
        return Err(format!("{path}: less than the minimum {min}"));
    }
    if number > max {
        return Err(format!("{path}: greater than the maximum {max}"));
    }
    Ok(number)
}

fn number_field(fields: &Map<String, Value>, path: &str, key: &str, min: f64, max: f64) -> Checked {
    match fields.get(key) {
        Some(value) => number(value, &at(path, key), min, max).map(drop),
        None => Ok(()),
    }
}

/// An integer as current JSON-schema drafts define it: a number with no fractional part.
fn integer(value: &Value, path: &str, min: f64, max: f64) -> Checked {
    let number = value
        .as_f64()
        .filter(|n| n.fract() == 0.0)
        .ok_or_else(|| format!("{path}: expected an integer"))?;
    number_in(number, path, min, max)
}

fn number_in(number: f64, path: &str, min: f64, max: f64) -> Checked {
    if number < min {
        Err(format!("{path}: less than the minimum {min}"))
    } else if number > max {
        Err(format!("{path}: greater than the maximum {max}"))
    } else {
        Ok(())
    }
}

fn boolean_field(fields: &Map<String, Value>, path: &str, key: &str) -> Checked {
    match fields.get(key) {
        Some(value) if !value.is_boolean() => Err(format!("{}: expected a boolean", at(path, key))),
        _ => Ok(()),
    }
}

fn one_of(value: &Value, path: &str, allowed: &[&str]) -> Checked {
    match value.as_str() {
        Some(text) if allowed.contains(&text) => Ok(()),
        _ => Err(format!("{path}: not one of {}", allowed.join(", "))),
    }
}

fn enum_field(fields: &Map<String, Value>, path: &str, key: &str, allowed: &[&str]) -> Checked {
    match fields.get(key) {
        Some(value) => one_of(value, &at(path, key), allowed),
        None => Ok(()),
    }
}

fn array<'a>(
    value: &'a Value,
    path: &str,
    max_items: usize,
    unique: bool,
) -> Checked<&'a Vec<Value>> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{path}: expected an array"))?;
    if items.len() > max_items {
        return Err(format!("{path}: more than {max_items} items"));
    }
    // Only short arrays (at most 14 items) are unique-checked, so the quadratic scan is fine.
    if unique
        && items
            .iter()
            .enumerate()
            .any(|(i, item)| items[..i].contains(item))
    {
        return Err(format!("{path}: items are not unique"));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(data: Value, expected: Result<(), &str>) {
        assert_eq!(validate(&data), expected.map_err(str::to_owned), "{data}");
    }

    #[test]
    fn schema_rules() {
        let suite = |extra: Value| {
            let mut suite = json!({"name": "s", "subtests": [{"name": "t", "value": 1.5}]});
            if let (Some(suite), Some(extra)) = (suite.as_object_mut(), extra.as_object()) {
                suite.extend(extra.clone());
            }
            json!({"framework": {"name": "awsy"}, "suites": [suite]})
        };
        check(suite(json!({})), Ok(()));
        check(json!([]), Err("the data: expected an object"));
        check(
            json!({"suites": []}),
            Err("framework: required field missing"),
        );
        check(
            json!({"framework": {}, "suites": {}}),
            Err("suites: expected an array"),
        );
        check(
            json!({"framework": {"name": 3}, "suites": []}),
            Err("framework.name: expected a string"),
        );
        check(
            json!({"framework": {}, "suites": [], "application": {"name": "opera"}}),
            Err(
                "application.name: not one of firefox, chrome, chrome-m, fennec, geckoview, refbrow, fenix, focus, safari, safari-tp, custom-car, cstm-car-m",
            ),
        );
        check(
            json!({"framework": {}, "suites": [], "os": {"name": ""}}),
            Err("os.name: shorter than 1 characters"),
        );
        check(
            json!({"framework": {}, "suites": [{"name": "s"}]}),
            Err("suites[0].subtests: required field missing"),
        );
        check(
            suite(json!({"value": 2e12})),
            Err("suites[0].value: greater than the maximum 1000000000000"),
        );
        check(
            suite(json!({"value": true})),
            Err("suites[0].value: expected a number"),
        );
        check(
            suite(json!({"unit": ""})),
            Err("suites[0].unit: shorter than 1 characters"),
        );
        check(
            suite(json!({"lowerIsBetter": "yes"})),
            Err("suites[0].lowerIsBetter: expected a boolean"),
        );
        check(
            suite(json!({"alertSeverity": "high"})),
            Err("suites[0].alertSeverity: not one of critical, subcritical, normal"),
        );
        check(suite(json!({"foreWindow": 2.0})), Ok(()));
        check(
            suite(json!({"foreWindow": 2.5})),
            Err("suites[0].foreWindow: expected an integer"),
        );
        check(
            suite(json!({"minBackWindow": 0})),
            Err("suites[0].minBackWindow: less than the minimum 1"),
        );
        check(suite(json!({"tags": ["a-1", "b"]})), Ok(()));
        check(
            suite(json!({"tags": ["a", "a"]})),
            Err("suites[0].tags: items are not unique"),
        );
        check(
            suite(json!({"tags": ["a b"]})),
            Err("suites[0].tags[0]: must match ^[a-zA-Z0-9-]{1,24}$"),
        );
        check(suite(json!({"tags": ["ok\n"]})), Ok(()));
        check(
            suite(json!({"replicates": [1, "2"]})),
            Err("suites[0].replicates[1]: expected a number"),
        );
        let long = "x".repeat(46);
        check(
            suite(json!({"extraOptions": ["fission", long.clone()]})),
            Ok(()),
        );
        check(
            suite(json!({"extraOptions": [long.clone(), format!("{long}y")]})),
            Err("suites[0].extraOptions: too many extra options longer than 45"),
        );
        check(
            json!({"framework": {}, "suites": [{"name": "s", "subtests": [{"name": "t"}]}]}),
            Err("suites[0].subtests[0].value: required field missing"),
        );
        check(
            json!({"framework": {}, "suites": [{"name": "s", "subtests": [{"name": "t", "value": 1, "foreWindow": 2.5}]}]}),
            Ok(()),
        );
        check(
            json!({"framework": {}, "suites": [{"name": "s", "subtests": [{"name": "t".repeat(81), "value": 1}]}]}),
            Err("suites[0].subtests[0].name: longer than 80 characters"),
        );
    }
}
