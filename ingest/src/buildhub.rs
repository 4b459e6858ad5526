//! Buildhub records mapped to the model's [`NewBuild`]s, so crash reporting can ask treeherd
//! what a build id is instead of scraping an FTP server.
//!
//! A record is buildhub2's `buildhub.json` (the file published beside every build):
//! `build{id date}`, `target{platform os locale version channel}`,
//! `source{product repository revision}`, `download{url mimetype size date}`; other fields
//! (compilers, `source.tree`...) are ignored. A file holds records as a JSON array, NDJSON or
//! one record, or is buildhub2's Elasticsearch-like search answer
//! (`{"hits": {"hits": [{"_source": record}]}}`); a value wrapped in `_source` is unwrapped
//! wherever it appears.
//!
//! Every record is checked (the model's rules, plus the JSON types and dates here); an error
//! names the record's index among the records and the field's path in it (`target.version`).

use serde_json::{Map, Value};
use treeherd_model::{NewBuild, Revision};

use crate::body::{BodyError, parse_pulse_body};
use crate::record::{RecordError, describe, micros, optional_str, type_name};

/// A file that is not a set of valid buildhub records.
#[derive(Debug, thiserror::Error)]
pub enum BuildhubError {
    /// Not JSON, or not framed as records.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Records that break a rule, in file order (never empty).
    #[error("{}", describe(.0, "buildhub record"))]
    Records(Vec<RecordError>),
}

/// Reads a buildhub file (see the module docs for its shapes): every record, or every
/// invalid one.
pub fn parse_buildhub(body: &[u8]) -> Result<Vec<NewBuild>, BuildhubError> {
    let records = buildhub_records(parse_pulse_body(body)?);
    let mut builds = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match parse_buildhub_record(index, record) {
            Ok(build) => builds.push(build),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(builds)
    } else {
        Err(BuildhubError::Records(errors))
    }
}

/// The records among framed values: a search answer's hits, `_source` unwrapped.
fn buildhub_records(values: Vec<Value>) -> Vec<Value> {
    let mut records = Vec::with_capacity(values.len());
    for value in values {
        match value {
            Value::Object(mut object) if is_search_answer(&object) => {
                if let Some(Value::Object(mut hits)) = object.remove("hits")
                    && let Some(Value::Array(hits)) = hits.remove("hits")
                {
                    records.extend(hits.into_iter().map(unwrap_source));
                }
            }
            other => records.push(unwrap_source(other)),
        }
    }
    records
}

fn is_search_answer(object: &Map<String, Value>) -> bool {
    object
        .get("hits")
        .and_then(Value::as_object)
        .is_some_and(|hits| hits.get("hits").is_some_and(Value::is_array))
}

fn unwrap_source(value: Value) -> Value {
    match value {
        Value::Object(mut object) if object.get("_source").is_some_and(Value::is_object) => {
            object.remove("_source").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// Reads one record (`index` is only for errors).
pub fn parse_buildhub_record(index: usize, record: &Value) -> Result<NewBuild, RecordError> {
    let fail = |field: &str, problem: String| RecordError {
        index,
        field: field.to_owned(),
        problem,
    };
    let Value::Object(record) = record else {
        return Err(fail(
            "$",
            format!("must be an object, not {}", type_name(record)),
        ));
    };
    let build = section(record, "build", true).map_err(|p| fail("build", p))?;
    let target = section(record, "target", true).map_err(|p| fail("target", p))?;
    let source = section(record, "source", true).map_err(|p| fail("source", p))?;
    let download = section(record, "download", false).map_err(|p| fail("download", p))?;

    let required = |map: Option<&Map<String, Value>>, section: &str, key: &str| {
        let path = format!("{section}.{key}");
        map.map_or(Ok(None), |map| optional_str(map, key))
            .map_err(|p| fail(&path, p))?
            .map(str::to_owned)
            .ok_or_else(|| fail(&path, "is required".to_owned()))
    };
    let optional = |map: Option<&Map<String, Value>>, section: &str, key: &str| {
        map.map_or(Ok(None), |map| optional_str(map, key))
            .map(|v| v.map(str::to_owned))
            .map_err(|p| fail(&format!("{section}.{key}"), p))
    };
    let date = |map: Option<&Map<String, Value>>, section: &str, key: &str| {
        let path = format!("{section}.{key}");
        map.map_or(Ok(None), |map| optional_str(map, key))
            .map_err(|p| fail(&path, p))?
            .map(|text| {
                micros(text).ok_or_else(|| {
                    fail(
                        &path,
                        format!(
                            "{text:?} is not a date-time (RFC 3339, e.g. 2018-10-29T18:51:05Z)"
                        ),
                    )
                })
            })
            .transpose()
    };

    let revision = optional(source, "source", "revision")?
        .map(|r| {
            r.parse::<Revision>().map_err(|_| {
                fail(
                    "source.revision",
                    format!("{r:?} is not a revision (40 hexadecimal digits)"),
                )
            })
        })
        .transpose()?;
    let size = match download.and_then(|d| d.get("size")) {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().ok_or_else(|| {
            fail(
                "download.size",
                format!("must be a whole number of bytes, not {value}"),
            )
        })?),
    };
    let mut new = NewBuild {
        product: required(source, "source", "product")?,
        build_id: required(build, "build", "id")?,
        version: required(target, "target", "version")?,
        channel: required(target, "target", "channel")?,
        platform: required(target, "target", "platform")?,
        os: optional(target, "target", "os")?,
        locale: required(target, "target", "locale")?,
        repository_url: optional(source, "source", "repository")?,
        revision,
        job: None,
        download_url: optional(download, "download", "url")?,
        mimetype: optional(download, "download", "mimetype")?,
        size,
        published_at: date(download, "download", "date")?,
        built_at: date(build, "build", "date")?,
    };
    new.check()
        .map_err(|e| fail(e.field.buildhub_path(), e.problem))?;
    Ok(new)
}

/// A section of the record: an object, or absent when not `required`.
fn section<'a>(
    record: &'a Map<String, Value>,
    key: &str,
    required: bool,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match record.get(key) {
        Some(Value::Object(section)) => Ok(Some(section)),
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err("is required".to_owned()),
        Some(other) => Err(format!("must be an object, not {}", type_name(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A buildhub2 `buildhub.json` as Firefox's release automation writes it.
    fn record(platform: &str, build_id: &str, version: &str, channel: &str) -> Value {
        json!({
            "build": {
                "as": "/builds/worker/fetches/clang/bin/clang -std=gnu99",
                "cc": "/builds/worker/fetches/clang/bin/clang -std=gnu99",
                "date": "2018-10-29T18:51:05Z",
                "host": "x86_64-pc-linux-gnu",
                "id": build_id,
                "target": "x86_64-pc-linux-gnu"
            },
            "download": {
                "date": "2018-10-29T20:11:35.837932+00:00",
                "mimetype": "application/x-bzip2",
                "size": 62_533_287,
                "url": format!("https://archive.mozilla.org/pub/firefox/candidates/{version}-candidates/build1/{platform}/en-US/firefox-{version}.tar.bz2")
            },
            "source": {
                "product": "firefox",
                "repository": "https://hg.mozilla.org/releases/mozilla-beta",
                "revision": "a7f6c6c6a4a1d9e8b1b0f7e3e2f2b7c0b9d1e8f2",
                "tree": "releases/mozilla-beta"
            },
            "target": {
                "channel": channel,
                "locale": "en-US",
                "os": "linux",
                "platform": platform,
                "version": version
            }
        })
    }

    fn beta() -> Value {
        record("linux-x86_64", "20181029185105", "64.0b4", "beta")
    }

    fn parse(body: &str) -> Result<Vec<NewBuild>, BuildhubError> {
        parse_buildhub(body.as_bytes())
    }

    /// The (index, field, problem) of each invalid record of `body`.
    fn rejected(body: &str) -> Vec<(usize, String, String)> {
        match parse(body) {
            Ok(builds) => panic!("{body} parsed as {builds:?}"),
            Err(BuildhubError::Records(errors)) => errors
                .into_iter()
                .map(|e| (e.index, e.field, e.problem))
                .collect(),
            Err(other) => panic!("{body}: {other}"),
        }
    }

    /// The field and problem of a record of `beta()` after `change`.
    fn check(change: impl FnOnce(&mut Value)) -> (String, String) {
        let mut value = beta();
        change(&mut value);
        let mut errors = rejected(&value.to_string());
        assert_eq!(errors.len(), 1);
        let (index, field, problem) = errors.remove(0);
        assert_eq!(index, 0);
        (field, problem)
    }

    #[test]
    fn reads_every_field_of_a_record() {
        let builds = parse(&beta().to_string()).unwrap();
        assert_eq!(
            builds,
            [NewBuild {
                product: "firefox".into(),
                build_id: "20181029185105".into(),
                version: "64.0b4".into(),
                channel: "beta".into(),
                platform: "linux-x86_64".into(),
                os: Some("linux".into()),
                locale: "en-US".into(),
                repository_url: Some("https://hg.mozilla.org/releases/mozilla-beta".into()),
                revision: Some("a7f6c6c6a4a1d9e8b1b0f7e3e2f2b7c0b9d1e8f2".parse().unwrap()),
                job: None,
                download_url: Some("https://archive.mozilla.org/pub/firefox/candidates/64.0b4-candidates/build1/linux-x86_64/en-US/firefox-64.0b4.tar.bz2".into()),
                mimetype: Some("application/x-bzip2".into()),
                size: Some(62_533_287),
                published_at: Some(1_540_843_895_837_932),
                built_at: Some(1_540_839_065_000_000),
            }]
        );
    }

    #[test]
    fn reads_arrays_ndjson_and_search_answers() {
        let win = record("win64", "20181029185111", "64.0b4", "beta");
        let mac = record("mac", "20181029185122", "64.0b4", "beta");
        let ids = |builds: Vec<NewBuild>| -> Vec<String> {
            builds.into_iter().map(|b| b.build_id).collect()
        };
        let expected = ["20181029185105", "20181029185111", "20181029185122"];
        let array = json!([beta(), win, mac]).to_string();
        assert_eq!(ids(parse(&array).unwrap()), expected);
        let ndjson = format!("{}\n\n{win}\n{mac}\n", beta());
        assert_eq!(ids(parse(&ndjson).unwrap()), expected);
        let search = json!({"took": 3, "hits": {"total": 3, "hits": [
            {"_id": "a", "_source": beta()}, {"_id": "b", "_source": win}, {"_id": "c", "_source": mac}
        ]}});
        assert_eq!(ids(parse(&search.to_string()).unwrap()), expected);
        let sources = format!(
            "{}\n{}\n",
            json!({"_source": beta()}),
            json!({"_source": win})
        );
        assert_eq!(ids(parse(&sources).unwrap()), expected[..2]);
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn names_are_normalised_and_download_and_dates_are_optional() {
        let mut value = record("win64", "20181029185105", "64.0b4", "Aurora");
        value["source"]["product"] = json!("DevEdition");
        value.as_object_mut().unwrap().remove("download");
        value["build"].as_object_mut().unwrap().remove("date");
        let build = parse(&value.to_string()).unwrap().remove(0);
        assert_eq!(
            (build.product.as_str(), build.channel.as_str()),
            ("devedition", "aurora")
        );
        assert_eq!(
            (build.download_url, build.size, build.built_at),
            (None, None, None)
        );
        // Dates without an offset are UTC.
        let mut value = beta();
        value["build"]["date"] = json!("2018-10-29T18:51:05");
        assert_eq!(
            parse(&value.to_string()).unwrap()[0].built_at,
            Some(1_540_839_065_000_000)
        );
    }

    /// A change to a valid record, the field it breaks, and a phrase of the problem.
    type Case = (Box<dyn FnOnce(&mut Value)>, &'static str, &'static str);

    #[test]
    fn refuses_each_broken_field_by_its_path() {
        let cases: Vec<Case> = vec![
            (
                Box::new(|v| v["build"]["id"] = json!("2018102918510")),
                "build.id",
                "is not a build id (14 digits",
            ),
            (
                Box::new(|v| v["build"]["id"] = json!(20181029185105_i64)),
                "build.id",
                "must be a string, not a number",
            ),
            (
                Box::new(|v| {
                    v["build"].as_object_mut().unwrap().remove("id");
                }),
                "build.id",
                "is required",
            ),
            (
                Box::new(|v| v["build"]["date"] = json!("yesterday")),
                "build.date",
                "is not a date-time",
            ),
            (
                Box::new(|v| v["source"]["revision"] = json!("a7f6c6c6a4a1")),
                "source.revision",
                "is not a revision (40 hexadecimal",
            ),
            (
                Box::new(|v| v["source"]["revision"] = json!("z".repeat(40))),
                "source.revision",
                "is not a revision",
            ),
            (
                Box::new(|v| {
                    v["source"].as_object_mut().unwrap().remove("product");
                }),
                "source.product",
                "is required",
            ),
            (
                Box::new(|v| v["source"]["repository"] = json!("ssh://hg.mozilla.org/x")),
                "source.repository",
                "is not an http(s) URL",
            ),
            (
                Box::new(|v| v["download"]["url"] = json!("ftp://ftp.mozilla.org/pub/x")),
                "download.url",
                "is not an http(s) URL",
            ),
            (
                Box::new(|v| v["download"]["size"] = json!("big")),
                "download.size",
                "must be a whole number",
            ),
            (
                Box::new(|v| v["download"]["size"] = json!(-5)),
                "download.size",
                "is negative",
            ),
            (
                Box::new(|v| v["download"]["date"] = json!(12)),
                "download.date",
                "must be a string",
            ),
            (
                Box::new(|v| v["target"]["version"] = json!("sixty-four")),
                "target.version",
                "is not a version",
            ),
            (
                Box::new(|v| v["target"]["locale"] = json!("")),
                "target.locale",
                "must not be empty",
            ),
            (
                Box::new(|v| v["target"]["platform"] = json!(null)),
                "target.platform",
                "is required",
            ),
            (
                Box::new(|v| v["target"] = json!([])),
                "target",
                "must be an object, not an array",
            ),
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("source");
                }),
                "source",
                "is required",
            ),
            (
                Box::new(|v| *v = json!("firefox")),
                "$",
                "must be an object, not a string",
            ),
        ];
        for (change, field, problem) in cases {
            let (got_field, got) = check(change);
            assert_eq!(got_field, field, "{got}");
            assert!(got.contains(problem), "{field}: {got}");
        }
    }

    #[test]
    fn every_invalid_record_is_named_by_its_index() {
        let mut bad = record("win64", "20181029185111", "64.0b4", "beta");
        bad["build"]["id"] = json!("64.0b4");
        let mut worse = record("mac", "20181029185122", "64.0b4", "beta");
        worse["download"]["url"] = json!("archive.mozilla.org/x");
        let body = json!([beta(), bad, worse]).to_string();
        assert_eq!(
            rejected(&body)
                .into_iter()
                .map(|(i, f, _)| (i, f))
                .collect::<Vec<_>>(),
            [(1, "build.id".to_owned()), (2, "download.url".to_owned())]
        );
        let message = parse(&body).unwrap_err().to_string();
        assert!(
            message.starts_with(
                "2 invalid buildhub records:\n  record 1: build.id \"64.0b4\" is not a build id"
            ),
            "{message}"
        );
    }

    #[test]
    fn many_invalid_records_are_counted_not_all_listed() {
        let records: Vec<Value> = (0..12).map(|_| json!({"build": {}})).collect();
        let message = parse(&json!(records).to_string()).unwrap_err().to_string();
        assert!(
            message.starts_with("12 invalid buildhub records:"),
            "{message}"
        );
        assert!(message.ends_with("...and 2 more"), "{message}");
    }

    #[test]
    fn malformed_json_names_the_line() {
        let body = format!("{}\n{{\"build\": \n", beta());
        assert!(
            matches!(
                parse(&body),
                Err(BuildhubError::Body(BodyError::Malformed { line: 3, .. }))
            ),
            "{:?}",
            parse(&body)
        );
    }
}
