//! The question issue 20 asks of retention on PostgreSQL: chunked deletes or dropping a time
//! partition? Measured on two bare tables shaped like `jobs` (a guid, a time, the attributes'
//! JSON text; no foreign keys, which favours partitions: treeherd's eleven referencing tables
//! would each need the partition key and partitions of their own): one plain with an index on
//! the time, one partitioned by range of time, each with a day of 80,000 old rows. While a
//! writer inserts batches of 100 new rows every 20 ms on its own connection, the day goes by
//! keyset-chunked deletes of 500 (what `store/src/retention.rs` does), or by `DETACH PARTITION
//! CONCURRENTLY` and `DROP TABLE`; the writer's p99 beside its steady p99 is the figure.

use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The boundary between the old day and now, in the tables' time unit.
const DAY_END: i64 = 1_000_000;

fn p99(mut times: Vec<Duration>) -> f64 {
    times.sort_unstable();
    times
        .get(((times.len() as f64 * 0.99) as usize).min(times.len().saturating_sub(1)))
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Inserts 100 new rows into `table` every 20 ms until `stop`; each batch's latency.
fn writer(
    url: String,
    table: &'static str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<anyhow::Result<Vec<Duration>>> {
    std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url)?;
        let mut times = Vec::new();
        let mut n = 0i64;
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            diesel::sql_query(format!(
                "INSERT INTO {table} (guid, submitted_at, attributes) \
                 SELECT 'new-' || {n} || '-' || i, {DAY_END}::bigint + {n} * 100 + i, '{{\"owner\":\"o\"}}' \
                 FROM generate_series(1, 100) i"
            ))
            .execute(&mut conn)?;
            times.push(started.elapsed());
            n += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(times)
    })
}

/// Runs `work` while a writer inserts into `table`; the writer's p99 and what `work` took.
fn under_writes(
    url: &str,
    table: &'static str,
    work: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<(f64, Duration)> {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = writer(url.to_owned(), table, stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let worked = work();
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let times = handle
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
    worked?;
    Ok((p99(times), took))
}

/// Prints the comparison on a fresh database at `url`.
pub fn compare(url: &str, rows: usize) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    for statement in [
        "CREATE TABLE IF NOT EXISTS plain (id BIGSERIAL PRIMARY KEY, guid TEXT NOT NULL, submitted_at BIGINT NOT NULL, attributes TEXT NOT NULL)".to_owned(),
        "CREATE INDEX IF NOT EXISTS plain_by_age ON plain (submitted_at, id)".to_owned(),
        "CREATE TABLE IF NOT EXISTS parted (id BIGSERIAL, guid TEXT NOT NULL, submitted_at BIGINT NOT NULL, attributes TEXT NOT NULL, PRIMARY KEY (submitted_at, id)) PARTITION BY RANGE (submitted_at)".to_owned(),
        format!("CREATE TABLE IF NOT EXISTS parted_old PARTITION OF parted FOR VALUES FROM (MINVALUE) TO ({DAY_END})"),
        format!("CREATE TABLE IF NOT EXISTS parted_now PARTITION OF parted FOR VALUES FROM ({DAY_END}) TO (MAXVALUE)"),
    ] {
        diesel::sql_query(statement).execute(&mut conn)?;
    }
    for table in ["plain", "parted"] {
        diesel::sql_query(format!(
            "INSERT INTO {table} (guid, submitted_at, attributes) \
             SELECT 'old-' || i, i::bigint * {DAY_END} / ({rows} + 1), '{{\"owner\":\"o\"}}' FROM generate_series(1, {rows}) i"
        ))
        .execute(&mut conn)?;
        diesel::sql_query(format!("ANALYZE {table}")).execute(&mut conn)?;
    }
    let (steady_plain, _) = under_writes(url, "plain", || {
        std::thread::sleep(Duration::from_secs(3));
        Ok(())
    })?;
    let (chunked, chunked_took) = under_writes(url, "plain", || {
        let mut conn = PgConnection::establish(url)?;
        let mut after = (i64::MIN, i64::MIN);
        loop {
            #[derive(QueryableByName)]
            struct Last {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                submitted_at: i64,
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let last: Vec<Last> = diesel::sql_query(format!(
                "WITH step AS (SELECT id, submitted_at FROM plain WHERE submitted_at < {DAY_END} \
                   AND (submitted_at, id) > ({}, {}) ORDER BY submitted_at, id LIMIT 500), \
                 gone AS (DELETE FROM plain WHERE id IN (SELECT id FROM step)) \
                 SELECT submitted_at, id FROM step ORDER BY submitted_at DESC, id DESC LIMIT 1",
                after.0, after.1
            ))
            .load(&mut conn)?;
            match last.first() {
                Some(last) => after = (last.submitted_at, last.id),
                None => break,
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })?;
    let (steady_parted, _) = under_writes(url, "parted", || {
        std::thread::sleep(Duration::from_secs(3));
        Ok(())
    })?;
    let (dropped, drop_took) = under_writes(url, "parted", || {
        let mut conn = PgConnection::establish(url)?;
        diesel::sql_query("ALTER TABLE parted DETACH PARTITION parted_old CONCURRENTLY")
            .execute(&mut conn)?;
        diesel::sql_query("DROP TABLE parted_old").execute(&mut conn)?;
        Ok(())
    })?;
    let left: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM plain WHERE submitted_at < {DAY_END}) + (SELECT count(*) FROM parted WHERE submitted_at < {DAY_END})"
    )))
    .get_result(&mut conn)?;
    anyhow::ensure!(left == 0, "{left} old rows left");
    println!(
        "\n# Chunks or partitions (PostgreSQL, bare tables, {rows} old rows, inserts of 100 rows every 20 ms)\n"
    );
    println!("| removing the day | took | writer p99 | writer p99 steady | ratio |");
    println!("|---|---|---|---|---|");
    println!(
        "| keyset-chunked deletes of 500 (treeherd's way) | {:.2} s | {chunked:.1} ms | {steady_plain:.1} ms | {:.2}x |",
        chunked_took.as_secs_f64(),
        chunked / steady_plain
    );
    println!(
        "| DETACH PARTITION CONCURRENTLY + DROP TABLE | {:.2} s | {dropped:.1} ms | {steady_parted:.1} ms | {:.2}x |",
        drop_took.as_secs_f64(),
        dropped / steady_parted
    );
    Ok(())
}
