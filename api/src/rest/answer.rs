//! What every REST resource shares: Treeherder's error shapes and its query parameters.
//!
//! Treeherder (Django REST framework) answers a refusal in one of three shapes, and clients
//! read them as such: `{"detail": "..."}` (an unknown project, a count over the cap), a bare
//! JSON string (`"No job with id: 5"`, a missing object in a known project) and, for a filter
//! value of the wrong type, the field's list of messages (`{"push_id": ["Enter a number."]}`).
//! Unknown parameters are ignored, as Django's filter sets ignore them; an empty value is no
//! filter. A failure of ours is logged here and answered 500 with a generic detail.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Value, json};
use std::fmt;
use treeherd_service::{ErrorKind, ServiceError};
use treeherd_store::{IntCondition, Repository, StoreError};

use crate::state::State;

/// A handler's answer: the JSON, or Treeherder's refusal.
pub(crate) type Answer = Result<HttpResponse, RestError>;

/// A refusal in one of Treeherder's shapes.
#[derive(Debug)]
pub(crate) struct RestError {
    status: StatusCode,
    body: Value,
}

impl RestError {
    /// `{"detail": message}` with `status`.
    pub(crate) fn detail(status: StatusCode, message: impl Into<String>) -> RestError {
        RestError {
            status,
            body: json!({ "detail": message.into() }),
        }
    }

    /// A bare JSON string with `status` (Treeherder's "No job with id: 5").
    pub(crate) fn text(status: StatusCode, message: impl Into<String>) -> RestError {
        RestError {
            status,
            body: Value::String(message.into()),
        }
    }

    /// 400 with the field's messages: `{field: [message]}`.
    pub(crate) fn field(field: &str, message: impl Into<String>) -> RestError {
        RestError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ field: [message.into()] }),
        }
    }

    /// Any JSON body with `status` (Perfherder's `{"message": ...}`, a list of messages).
    pub(crate) fn from_body(status: StatusCode, body: Value) -> RestError {
        RestError { status, body }
    }

    /// 404 `{"detail": "No project with name NAME"}`, Treeherder's answer for an unknown
    /// repository.
    pub(crate) fn no_project(name: &str) -> RestError {
        RestError::detail(
            StatusCode::NOT_FOUND,
            format!("No project with name {name}"),
        )
    }
}

impl fmt::Display for RestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.body)
    }
}

impl ResponseError for RestError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(&self.body)
    }
}

impl From<ServiceError> for RestError {
    fn from(error: ServiceError) -> RestError {
        let status = match error.kind() {
            ErrorKind::BadInput => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        // The client message of an internal failure is generic; its detail is logged by it.
        let message = error.client_message();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            RestError::detail(status, "A server error occurred.")
        } else {
            RestError::detail(status, message)
        }
    }
}

impl From<StoreError> for RestError {
    fn from(error: StoreError) -> RestError {
        RestError::from(ServiceError::from(error))
    }
}

/// The repository a `project/{name}/` path names, or Treeherder's 404.
pub(crate) async fn project(state: &State, name: &str) -> Result<Repository, RestError> {
    state
        .service
        .store()
        .repository(name.to_owned())
        .await?
        .ok_or_else(|| RestError::no_project(name))
}

/// 200 with `body` as JSON.
pub(crate) fn ok(body: &impl serde::Serialize) -> Answer {
    Ok(HttpResponse::Ok().json(body))
}

/// A comparison's suffix (`__lt`...) and how it makes a condition.
pub(crate) type Comparison = (&'static str, fn(i64) -> IntCondition);

/// The comparisons Django's lookups name: exact (no suffix), then the four orders.
pub(crate) const COMPARISONS: [Comparison; 5] = [
    ("", IntCondition::Eq),
    ("__lt", IntCondition::Lt),
    ("__lte", IntCondition::Lte),
    ("__gt", IntCondition::Gt),
    ("__gte", IntCondition::Gte),
];

/// The query parameters of a request, in order (a repeated name's last value counts, as
/// Django's `QueryDict.get` takes it).
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn of(request: &HttpRequest) -> Result<Params, RestError> {
        web::Query::<Vec<(String, String)>>::from_query(request.query_string())
            .map(|query| Params(query.into_inner()))
            .map_err(|e| {
                RestError::detail(
                    StatusCode::BAD_REQUEST,
                    format!("Malformed query string: {e}"),
                )
            })
    }

    /// The value of `name`; an empty value is none.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every parameter, in order (a repeated name's last value), for `meta.filter_params`.
    pub(crate) fn all(&self) -> serde_json::Map<String, Value> {
        self.0
            .iter()
            .map(|(n, v)| (n.clone(), Value::String(v.clone())))
            .collect()
    }

    /// An integer filter: Django's "Enter a number." for anything else.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, RestError> {
        self.get(name)
            .map(|v| parse_int(v).ok_or_else(|| RestError::field(name, "Enter a number.")))
            .transpose()
    }

    /// A comma-separated list of integers (`id__in=1,2`).
    pub(crate) fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, RestError> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|p| parse_int(p.trim()))
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| RestError::field(name, "Enter a number."))
            })
            .transpose()
    }

    /// A comma-separated list of texts (`job_guid__in=a,b`).
    pub(crate) fn texts(&self, name: &str) -> Option<Vec<String>> {
        self.get(name)
            .map(|v| v.split(',').map(|p| p.trim().to_owned()).collect())
    }

    /// The conditions `NAME`, `NAME__lt`, `NAME__lte`, `NAME__gt`, `NAME__gte` on an integer.
    pub(crate) fn int_conditions(&self, name: &str) -> Result<Vec<IntCondition>, RestError> {
        self.conditions(name, parse_int, "Enter a number.")
    }

    /// The conditions on a value that `parse` reads (`Err` message: Django's for the type).
    pub(crate) fn conditions(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<i64>,
        message: &str,
    ) -> Result<Vec<IntCondition>, RestError> {
        let mut conditions = Vec::new();
        for (suffix, make) in COMPARISONS {
            let key = format!("{name}{suffix}");
            if let Some(value) = self.get(&key) {
                let value = parse(value).ok_or_else(|| RestError::field(&key, message))?;
                conditions.push(make(value));
            }
        }
        Ok(conditions)
    }

    /// Treeherder's paging: `offset` (default 0) and `count` (default `default`), refused
    /// with its message when not a whole number, negative or over `max`.
    pub(crate) fn paging(&self, default: usize, max: usize) -> Result<(usize, usize), RestError> {
        let invalid =
            || RestError::text(StatusCode::BAD_REQUEST, "Invalid value for offset or count");
        let read = |name: &str, default: usize| -> Result<usize, RestError> {
            match self.get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse::<usize>().map_err(|_| invalid()),
            }
        };
        let offset = read("offset", 0)?;
        let count = read("count", default)?;
        if count > max {
            return Err(RestError::detail(
                StatusCode::BAD_REQUEST,
                format!("Specified count exceeds API MAX_JOBS_COUNT value: {max}"),
            ));
        }
        Ok((offset, count))
    }
}

/// A stored URL as a client can fetch it: one without a host (the demo's logs) is on this
/// server, at the address the request came to.
pub(crate) fn absolute(url: &str, request: &HttpRequest) -> String {
    if url.starts_with('/') && !url.starts_with("//") {
        let info = request.connection_info();
        format!("{}://{}{url}", info.scheme(), info.host())
    } else {
        url.to_owned()
    }
}

/// A whole number as Django reads one (surrounding blanks allowed).
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// Unix microseconds as Treeherder's whole seconds.
pub(crate) fn seconds(micros: i64) -> i64 {
    micros.div_euclid(1_000_000)
}

/// Unix microseconds as the ISO 8601 text Django gives a naive UTC datetime.
pub(crate) fn iso(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
        .unwrap_or_default()
}

/// An ISO 8601 date or datetime (`2024-05-01`, `2024-05-01T10:00:00`, with or without a
/// zone) as unix microseconds, as `dateutil` reads one.
pub(crate) fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_micros());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    parse_date(text)
}

/// A `YYYY-MM-DD` day as unix microseconds at its start (UTC).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_print_as_treeherder_does() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:01"), Some(1_000_000));
        assert_eq!(parse_datetime("1970-01-01T00:00:01+00:00"), Some(1_000_000));
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(iso(1_500_000), "1970-01-01T00:00:01.500000");
        assert_eq!(seconds(1_999_999), 1);
    }
}
