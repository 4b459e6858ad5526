//! `treeherd export --format parquet`: the export's pages as Parquet (Apache Arrow's writer),
//! one record batch per page, row groups of at most [`ROW_GROUP`] rows and
//! [`ROW_GROUP_BYTES`] so that the writer buffers a bounded part of the export,
//! Snappy-compressed. The columns are the NDJSON's,
//! flattened (a job's push is `push_id`, `revision`, `pushed_at`), times as UTC microsecond
//! timestamps; a job's attributes and dependencies are JSON text, its bugs a list of integers.

use arrow_array::types::Int64Type;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::sync::Arc;
use treeherd_service::ServiceError;
use treeherd_service::export::{ExportData, ExportSink};
use treeherd_store::{ExportedJob, ExportedPerfValue, ExportedTestResult};

/// Rows per row group, and its largest size encoded: what the writer holds before it writes
/// one out, whichever comes first.
const ROW_GROUP: usize = 65_536;
const ROW_GROUP_BYTES: usize = 64 * 1024 * 1024;

/// A Parquet file being written.
pub(super) struct Parquet<W: Write + Send> {
    writer: Option<ArrowWriter<W>>,
    schema: SchemaRef,
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn time(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}

fn schema(data: ExportData) -> Schema {
    let int64 = |name: &str| Field::new(name, DataType::Int64, true);
    let boolean = |name: &str| Field::new(name, DataType::Boolean, true);
    match data {
        ExportData::Jobs => Schema::new(vec![
            text("guid"),
            text("repository"),
            int64("push_id"),
            text("revision"),
            time("pushed_at"),
            text("kind"),
            text("name"),
            text("symbol"),
            text("group_symbol"),
            text("group_name"),
            text("platform"),
            text("build_system"),
            text("state"),
            text("result"),
            Field::new("tier", DataType::Int32, true),
            text("machine"),
            time("submitted_at"),
            time("started_at"),
            time("finished_at"),
            text("attributes"),
            text("dependencies"),
            text("classification"),
            boolean("classification_automatic"),
            Field::new(
                "classification_bugs",
                DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
                true,
            ),
        ]),
        ExportData::TestResults => Schema::new(vec![
            text("job"),
            text("repository"),
            text("test"),
            text("subtest"),
            text("status"),
            text("expected"),
            boolean("failed"),
            int64("duration_ms"),
            text("message"),
            text("group"),
        ]),
        ExportData::Perf => Schema::new(vec![
            text("repository"),
            text("framework"),
            text("suite"),
            text("subtest"),
            text("platform"),
            Field::new("value", DataType::Float64, true),
            text("unit"),
            boolean("lower_is_better"),
            int64("push_id"),
            text("revision"),
            time("pushed_at"),
            text("job"),
        ]),
    }
}

fn failed(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("cannot write the Parquet export: {e}"))
}

fn strings<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

fn times(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        values
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}

fn int64s(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<Int64Array>())
}

fn booleans(values: impl Iterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(values.collect::<BooleanArray>())
}

/// An empty string is no subtest (the suite's or the test's own row).
fn subtest(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

impl<W: Write + Send> Parquet<W> {
    pub(super) fn new(out: W, data: ExportData) -> Result<Parquet<W>, ServiceError> {
        let schema = Arc::new(schema(data));
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        let writer = ArrowWriter::try_new(out, schema.clone(), Some(properties)).map_err(failed)?;
        Ok(Parquet {
            writer: Some(writer),
            schema,
        })
    }

    fn write(&mut self, columns: Vec<ArrayRef>) -> Result<(), ServiceError> {
        let batch = RecordBatch::try_new(self.schema.clone(), columns).map_err(failed)?;
        self.writer
            .as_mut()
            .ok_or_else(|| failed("already finished"))?
            .write(&batch)
            .map_err(failed)
    }
}

impl<W: Write + Send> ExportSink for Parquet<W> {
    fn jobs(&mut self, page: &[ExportedJob]) -> Result<(), ServiceError> {
        let jobs = || page.iter().map(|e| &e.job);
        let push = |f: fn(&(i64, String, i64)) -> Option<i64>| {
            page.iter().map(move |e| e.push.as_ref().and_then(f))
        };
        let dependencies = page
            .iter()
            .map(|e| {
                let edges: Vec<serde_json::Value> = e
                    .dependencies
                    .iter()
                    .map(|(guid, kind)| serde_json::json!({"guid": guid, "kind": kind}))
                    .collect();
                serde_json::to_string(&edges).map_err(failed)
            })
            .collect::<Result<Vec<String>, _>>()?;
        self.write(vec![
            strings(jobs().map(|j| Some(j.guid.as_str()))),
            strings(page.iter().map(|e| Some(e.repository.as_str()))),
            int64s(push(|p| Some(p.0))),
            strings(page.iter().map(|e| e.push.as_ref().map(|p| p.1.as_str()))),
            times(push(|p| Some(p.2))),
            strings(jobs().map(|j| Some(j.kind.as_str()))),
            strings(jobs().map(|j| Some(j.name.as_str()))),
            strings(jobs().map(|j| j.symbol.as_deref())),
            strings(jobs().map(|j| j.group_symbol.as_deref())),
            strings(jobs().map(|j| j.group_name.as_deref())),
            strings(jobs().map(|j| j.platform.as_deref())),
            strings(jobs().map(|j| j.build_system.as_deref())),
            strings(jobs().map(|j| Some(j.state.as_str()))),
            strings(jobs().map(|j| Some(j.result.as_str()))),
            Arc::new(jobs().map(|j| Some(j.tier)).collect::<Int32Array>()),
            strings(jobs().map(|j| j.machine.as_deref())),
            times(jobs().map(|j| j.submitted_at)),
            times(jobs().map(|j| j.started_at)),
            times(jobs().map(|j| j.finished_at)),
            strings(jobs().map(|j| Some(j.attributes_json.as_str()))),
            strings(dependencies.iter().map(|d| Some(d.as_str()))),
            strings(
                page.iter()
                    .map(|e| e.classification.as_ref().map(|c| c.0.as_str())),
            ),
            booleans(page.iter().map(|e| e.classification.as_ref().map(|c| c.1))),
            Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
                page.iter().map(|e| {
                    e.classification
                        .as_ref()
                        .map(|c| c.2.iter().map(|&bug| Some(bug)).collect::<Vec<_>>())
                }),
            )),
        ])
    }

    fn test_results(&mut self, page: &[ExportedTestResult]) -> Result<(), ServiceError> {
        self.write(vec![
            strings(page.iter().map(|r| Some(r.job.as_str()))),
            strings(page.iter().map(|r| Some(r.repository.as_str()))),
            strings(page.iter().map(|r| Some(r.test.as_str()))),
            strings(page.iter().map(|r| subtest(&r.subtest))),
            strings(page.iter().map(|r| Some(r.status.as_str()))),
            strings(page.iter().map(|r| r.expected.as_deref())),
            booleans(page.iter().map(|r| Some(r.failed))),
            int64s(page.iter().map(|r| r.duration_ms)),
            strings(page.iter().map(|r| r.message.as_deref())),
            strings(page.iter().map(|r| r.group.as_deref())),
        ])
    }

    fn perf_values(&mut self, page: &[ExportedPerfValue]) -> Result<(), ServiceError> {
        self.write(vec![
            strings(page.iter().map(|v| Some(v.repository.as_str()))),
            strings(page.iter().map(|v| Some(v.framework.as_str()))),
            strings(page.iter().map(|v| Some(v.suite.as_str()))),
            strings(page.iter().map(|v| subtest(&v.subtest))),
            strings(page.iter().map(|v| Some(v.platform.as_str()))),
            Arc::new(page.iter().map(|v| Some(v.value)).collect::<Float64Array>()),
            strings(page.iter().map(|v| v.unit.as_deref())),
            booleans(page.iter().map(|v| v.lower_is_better)),
            int64s(page.iter().map(|v| v.push.as_ref().map(|p| p.0))),
            strings(page.iter().map(|v| v.push.as_ref().map(|p| p.1.as_str()))),
            times(page.iter().map(|v| v.push.as_ref().map(|p| p.2))),
            strings(page.iter().map(|v| v.job.as_deref())),
        ])
    }

    fn finish(&mut self) -> Result<(), ServiceError> {
        match self.writer.take() {
            Some(writer) => writer.close().map(|_| ()).map_err(failed),
            None => Ok(()),
        }
    }
}
