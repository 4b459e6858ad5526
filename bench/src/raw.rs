//! The raw limit of ingestion: the same job rows (and their indexed attribute rows) written
//! as plain multi-row INSERTs in one transaction by the database's own command-line client,
//! into the same schema. No GraphQL, no HTTP, no upsert, no id lookups.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;
use treeherd_store::Backend;
use treeherd_tests::TestApp;

pub struct RawRate {
    pub tool: &'static str,
    pub rows_per_second: f64,
}

/// `text` as an SQL string literal.
pub(crate) fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn opt(value: &Value) -> String {
    value.as_str().map_or_else(|| "NULL".to_owned(), quote)
}

fn micros(value: &Value) -> String {
    // The generated jobs all carry the same fixed times.
    if value.is_string() {
        "1795600800000000".into()
    } else {
        "NULL".into()
    }
}

/// Inserts `count` jobs made by `job` into the app's database through its command-line client,
/// with row ids from `first_id` on, and returns jobs per second, or `None` when the client is
/// not installed. With
/// `with_log_and_link`, each job also gets the log row and artifact row a pulse message
/// carries, so the reference writes the same rows as pulse ingestion does.
pub async fn insert_rate(
    app: &TestApp,
    count: usize,
    first_id: i64,
    job: impl Fn(usize) -> Value,
    with_log_and_link: bool,
) -> anyhow::Result<Option<RawRate>> {
    let push_row = 2; // the second push of the bench repository
    let repository_id = 1;
    let mut sql = String::from("BEGIN;\n");
    let mut attributes = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        sql.push_str("INSERT INTO jobs (id, guid, repository_id, push_row_id, kind, name, symbol, group_symbol, group_name, platform, build_system, state, result, tier, machine, submitted_at, started_at, finished_at, attributes) VALUES\n");
        let rows: Vec<String> = chunk
            .iter()
            .map(|&i| {
                let j = job(i);
                let id = first_id + i as i64;
                attributes.push(format!("({id}, 'owner', 'ffxbld')"));
                attributes.push(format!("({id}, 'labels', 'nightly')"));
                attributes.push(format!("({id}, 'labels', 'e10s')"));
                format!(
                    "({id}, {}, {repository_id}, {push_row}, {}, {}, {}, {}, NULL, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                    opt(&j["guid"]), opt(&j["kind"]), opt(&j["name"]), opt(&j["symbol"]), opt(&j["groupSymbol"]),
                    opt(&j["platform"]), opt(&j["buildSystem"]), opt(&j["state"]), opt(&j["result"]),
                    j["tier"].as_i64().unwrap_or(1), opt(&j["machine"]), micros(&j["submittedAt"]),
                    micros(&j["startedAt"]), micros(&j["finishedAt"]), quote(&j["attributes"].to_string()),
                )
            })
            .collect();
        sql.push_str(&rows.join(",\n"));
        sql.push_str(";\n");
    }
    for chunk in attributes.chunks(1500) {
        sql.push_str("INSERT INTO job_attributes (job_id, key, value) VALUES ");
        sql.push_str(&chunk.join(","));
        sql.push_str(";\n");
    }
    if with_log_and_link {
        let ids: Vec<i64> = (0..count).map(|i| first_id + i as i64).collect();
        for chunk in ids.chunks(1000) {
            let logs: Vec<String> = chunk
                .iter()
                .map(|id| format!("({id}, 'live_backing_log', 'https://logs.example.invalid/{id}/live_backing.log', 'PENDING')"))
                .collect();
            sql.push_str("INSERT INTO job_logs (job_id, name, url, status) VALUES ");
            sql.push_str(&logs.join(","));
            sql.push_str(";\n");
            let links: Vec<String> = chunk
                .iter()
                .map(|id| format!("({id}, 'artifact uploaded', 'ERRORSUMMARY', 'https://logs.example.invalid/{id}/errorsummary.log')"))
                .collect();
            sql.push_str("INSERT INTO artifacts (job_id, name, kind, url) VALUES ");
            sql.push_str(&links.join(","));
            sql.push_str(";\n");
        }
    }
    sql.push_str("COMMIT;\n");
    Ok(pipe_sql(app, &sql)?.map(|(tool, seconds)| RawRate {
        tool,
        rows_per_second: count as f64 / seconds,
    }))
}

/// Pipes `sql` into the app's database through its command-line client
/// the client's name and the seconds it took, or `None` when it is not installed.
pub(crate) fn pipe_sql(app: &TestApp, sql: &str) -> anyhow::Result<Option<(&'static str, f64)>> {
    let (tool, mut command) = match app.store().backend() {
        Backend::Sqlite => {
            let mut c = Command::new("sqlite3");
            c.args(["-bail", app.database_url().trim_start_matches("sqlite://")]);
            ("sqlite3", c)
        }
        Backend::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-q", "-v", "ON_ERROR_STOP=1", app.database_url()]);
            ("psql", c)
        }
    };
    let started = Instant::now();
    let mut child = match command.stdin(Stdio::piped()).stdout(Stdio::null()).spawn() {
        Ok(child) => child,
        Err(_) => return Ok(None),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(sql.as_bytes())?;
    }
    let status = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "{tool} failed inserting the raw rows");
    Ok(Some((tool, seconds)))
}
