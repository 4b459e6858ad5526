//! The UI's jobs query (the push grid: the newest 4 pushes of the demo's autoland with all
//! their jobs and classifications, as `ui/pushes.js` sends it) from 64 clients, beside a
//! hand-written endpoint that reads the same rows with one SQL query and writes the same JSON
//! with serde, no GraphQL: what the rows themselves cost on this machine, measured in the
//! same run by the same client. The two answers are checked equal first. The server is the
//! real binary in its own process (`server.rs`), so its resident memory under the load is its
//! own; the reference runs in this process, with as many workers as the server.
//!
//! The goal (issue 21): at least 0.5× the reference, p50 < 20 ms, p99 < 100 ms, RSS < 200 MB.

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde::Serialize;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::time::Duration;

use crate::load;
use crate::report::row;
use crate::server::{RssWatch, Server};

/// The repository and size of the grid, as the UI asks for it.
pub const REPOSITORY: &str = "autoland";
const PUSHES: i64 = 4;

/// `ui/pushes.js`'s `jobsOfPushes` with the sheriffing fields.
const QUERY: &str = "query JobsOfPushes($repo: String!, $first: Int!, $after: String, $jobs: Int!, $filter: JobFilter) {
  repository(name: $repo) {
    pushes(first: $first, after: $after) { edges { node { pushId jobs(first: $jobs, filter: $filter) { pageInfo { hasNextPage endCursor } nodes { guid name symbol groupSymbol groupName platform state result tier classification { classification bugs } } } } } }
  }
}";

/// The same rows in one statement: the newest pushes, their jobs newest first, and each job's
/// classification now.
fn reference_sql() -> String {
    format!(
        "SELECT p.push_id AS push_id, j.id AS id, j.guid AS guid, j.name AS name, \
                j.symbol AS symbol, j.group_symbol AS group_symbol, j.group_name AS group_name, \
                j.platform AS platform, j.state AS state, j.result AS result, j.tier AS tier, \
                c.classification AS classification, c.bugs AS bugs \
         FROM (SELECT p.id AS row_id, p.push_id AS push_id FROM pushes p \
               JOIN repositories r ON r.id = p.repository_id \
               WHERE r.name = '{REPOSITORY}' AND p.push_id IS NOT NULL \
               ORDER BY p.push_id DESC LIMIT {PUSHES}) p \
         LEFT JOIN jobs j ON j.push_row_id = p.row_id \
         LEFT JOIN job_classifications jc ON jc.job_id = j.id \
         LEFT JOIN classifications c ON c.id = jc.classification_id \
         ORDER BY p.push_id DESC, j.id DESC"
    )
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    push_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    guid: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    symbol: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    group_symbol: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    group_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    platform: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    result: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    tier: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    classification: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    bugs: Option<String>,
}

#[derive(Serialize)]
struct Answer {
    data: Data,
}
#[derive(Serialize)]
struct Data {
    repository: RepositoryOut,
}
#[derive(Serialize)]
struct RepositoryOut {
    pushes: PushesOut,
}
#[derive(Serialize)]
struct PushesOut {
    edges: Vec<EdgeOut>,
}
#[derive(Serialize)]
struct EdgeOut {
    node: PushOut,
}
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PushOut {
    push_id: i64,
    jobs: JobsOut,
}
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobsOut {
    page_info: PageInfo,
    nodes: Vec<JobOut>,
}
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobOut {
    guid: String,
    name: String,
    symbol: Option<String>,
    group_symbol: Option<String>,
    group_name: Option<String>,
    platform: Option<String>,
    state: String,
    result: String,
    tier: i32,
    classification: Option<ClassificationOut>,
}
#[derive(Serialize)]
struct ClassificationOut {
    classification: &'static str,
    bugs: Vec<i64>,
}

/// The answer from the rows, as a hand-written endpoint would build it.
fn answer(rows: Vec<Row>) -> Answer {
    let mut edges: Vec<EdgeOut> = Vec::new();
    for row in rows {
        if edges.last().is_none_or(|e| e.node.push_id != row.push_id) {
            edges.push(EdgeOut {
                node: PushOut {
                    push_id: row.push_id,
                    jobs: JobsOut {
                        page_info: PageInfo {
                            has_next_page: false,
                            end_cursor: None,
                        },
                        nodes: Vec::new(),
                    },
                },
            });
        }
        let (Some(edge), Some(id)) = (edges.last_mut(), row.id) else {
            continue;
        };
        let classification = row.classification.and_then(|id| {
            let classification = treeherd_model::FailureClassification::from_id(id.into()).ok()?;
            Some(ClassificationOut {
                classification: classification.as_str(),
                bugs: row
                    .bugs
                    .as_deref()
                    .unwrap_or("")
                    .split(',')
                    .filter_map(|b| b.parse().ok())
                    .collect(),
            })
        });
        let jobs = &mut edge.node.jobs;
        jobs.page_info.end_cursor = Some(URL_SAFE_NO_PAD.encode(format!("k:{id}")));
        jobs.nodes.push(JobOut {
            guid: row.guid.unwrap_or_default(),
            name: row.name.unwrap_or_default(),
            symbol: row.symbol,
            group_symbol: row.group_symbol,
            group_name: row.group_name,
            platform: row.platform,
            state: row.state.unwrap_or_default(),
            result: row.result.unwrap_or_default(),
            tier: row.tier.unwrap_or_default(),
            classification,
        });
    }
    Answer {
        data: Data {
            repository: RepositoryOut {
                pushes: PushesOut { edges },
            },
        },
    }
}

/// A pool of connections to the server's database, of either backend.
#[derive(Clone)]
enum Rows {
    Sqlite(Pool<ConnectionManager<SqliteConnection>>),
    Postgres(Pool<ConnectionManager<PgConnection>>),
}

impl Rows {
    fn open(database_url: &str) -> anyhow::Result<Rows> {
        Ok(match database_url.strip_prefix("sqlite://") {
            Some(path) => Rows::Sqlite(
                Pool::builder()
                    .max_size(4)
                    .build(ConnectionManager::new(path))?,
            ),
            None => Rows::Postgres(
                Pool::builder()
                    .max_size(4)
                    .build(ConnectionManager::new(database_url))?,
            ),
        })
    }

    fn read(&self) -> anyhow::Result<Vec<Row>> {
        let sql = reference_sql();
        Ok(match self {
            Rows::Sqlite(pool) => diesel::sql_query(sql).load(&mut pool.get()?)?,
            Rows::Postgres(pool) => diesel::sql_query(sql).load(&mut pool.get()?)?,
        })
    }
}

/// The hand-written endpoint on a free port, with `workers` workers; returns its port.
fn reference_server(rows: Rows, workers: usize) -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new().app_data(web::Data::new(rows.clone())).route(
            "/",
            web::get().to(|rows: web::Data<Rows>| async move {
                let rows = rows.get_ref().clone();
                match web::block(move || rows.read()).await {
                    Ok(Ok(read)) => match serde_json::to_vec(&answer(read)) {
                        Ok(body) => HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body),
                        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
                    },
                    Ok(Err(e)) => HttpResponse::InternalServerError().body(e.to_string()),
                    Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
                }
            }),
        )
    })
    .workers(workers)
    .listen(listener)?
    .run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    Ok(port)
}

/// Where two answers first differ: the path and both values.
fn first_difference(ours: &Value, theirs: &Value, path: String) -> Option<String> {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .chain(b.iter().filter(|(k, _)| !a.contains_key(*k)))
            .find_map(|(k, _)| {
                first_difference(
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    format!("{path}.{k}"),
                )
            }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, format!("{path}[{i}]"))),
        (a, b) if a == b => None,
        (a, b) => Some(format!(
            "at {path}: the server {a:.200}, the reference {b:.200}"
        )),
    }
}

/// The grid query's request body.
pub fn body() -> String {
    json!({"query": QUERY, "variables": {"repo": REPOSITORY, "first": PUSHES, "jobs": 1000, "filter": null}})
        .to_string()
}

pub async fn section(clients: usize, duration: Duration) -> anyhow::Result<()> {
    let server = Server::start_demo()?;
    let rows = Rows::open(&server.database_url)?;
    let reference_port = reference_server(rows, 2)?;
    let client = reqwest::Client::new();
    let ours: Value = client
        .post(server.graphql_url())
        .header("content-type", "application/json")
        .body(body())
        .send()
        .await?
        .json()
        .await?;
    let reference_url = format!("http://127.0.0.1:{reference_port}/");
    let theirs = client.get(&reference_url).send().await?.bytes().await?;
    let theirs_json: Value = serde_json::from_slice(&theirs)?;
    if let Some(difference) = first_difference(&ours["data"], &theirs_json["data"], String::new()) {
        anyhow::bail!("the reference's answer differs from the server's: {difference}");
    }
    let jobs: usize = ours["data"]["repository"]["pushes"]["edges"]
        .as_array()
        .map_or(0, |edges| {
            edges
                .iter()
                .map(|e| e["node"]["jobs"]["nodes"].as_array().map_or(0, Vec::len))
                .sum()
        });
    let idle = server.rss_mb().unwrap_or(0.0);
    let reference = load::run(&reference_url, None, clients, duration).await;
    let watch = RssWatch::start(server.pid());
    let graphql = load::run(&server.graphql_url(), Some(body()), clients, duration).await;
    let peak = watch.stop();
    let after = server.rss_mb().unwrap_or(0.0);
    row(
        &format!(
            "UI jobs query ({PUSHES} pushes, {jobs} jobs, {} KB), {clients} clients (req/s)",
            theirs.len() / 1024
        ),
        format!("{:.0}", graphql.per_second),
        "same rows and JSON, SQL + serde",
        format!("{:.0}", reference.per_second),
        format!("{:.2}x", graphql.per_second / reference.per_second),
    );
    row(
        "  latency p50 (ms), goal < 20",
        format!("{:.1}", graphql.p50_ms),
        "",
        format!("{:.1}", reference.p50_ms),
        String::new(),
    );
    row(
        "  latency p99 (ms), goal < 100",
        format!("{:.1}", graphql.p99_ms),
        "",
        format!("{:.1}", reference.p99_ms),
        String::new(),
    );
    row(
        "  server RSS (MB) idle / peak under load / after, goal < 200",
        format!("{idle:.0} / {peak:.0} / {after:.0}"),
        "",
        String::new(),
        String::new(),
    );
    anyhow::ensure!(
        graphql.errors == 0 && reference.errors == 0,
        "{} requests failed",
        graphql.errors + reference.errors
    );
    Ok(())
}
