//! Query history sync: rows stream from a source, Hex queries are attributed and parsed on
//! every core, and the result is written with the source's checkpoint in one transaction.
//!
//! Work is proportional to distinct texts, not rows: identical texts (the bulk of any
//! history) are recognised by a 128-bit hash, and a statement shape already parsed in an
//! earlier sync is never parsed again. Memory is bounded by distinct run groups; the text
//! cache is dropped whenever it grows past [`TEXT_CACHE_LIMIT`].

use crate::reads::{reads, table_key, Reads};
use chrono::{DateTime, Duration as Span, Utc};
use history::hex::{parse_payload, CommentError, HexComment};
use history::{Checkpoint, HistoryRequest, HistoryRow, QueryHistory};
use model::hex::RunContext;
use model::WarehouseKind;
use serde::Serialize;
use sql::Dialect;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use store::{HistoryBatch, HistoryCounts, ProjectRecord, QueryRecord, RunRecord, Store};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// Distinct SQL bodies remembered before the cache starts over.
const TEXT_CACHE_LIMIT: usize = 500_000;

/// Stored SQL examples are capped: the whole text is only needed to parse it.
const SQL_SAMPLE_BYTES: usize = 64 * 1024;

/// One history source of one connection.
#[derive(Clone)]
pub struct HistoryTarget {
    /// The connection (already in the store).
    pub connection: String,
    /// The warehouse, which decides the SQL dialect.
    pub kind: WarehouseKind,
    /// The environment's name within the connection.
    pub environment: String,
    /// The source.
    pub source: Arc<dyn QueryHistory>,
    /// How far back the first sync reads.
    pub lookback: Span,
    /// Defaults for rows that carry none.
    pub default_database: Option<String>,
    /// Defaults for rows that carry none.
    pub default_schema: Option<String>,
    /// Another source of the connection that counts these executions one by one (set for
    /// pg_stat_statements beside the server's log): this one then adds only which cells
    /// read which tables, never runs, so no execution counts twice.
    pub runs_counted_by: Option<String>,
}

/// What a history sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HistorySummary {
    /// Rows (query groups) read from the source.
    pub rows: u64,
    /// Executions those rows stand for.
    pub executions: u64,
    /// Rows carrying a Hex comment.
    pub hex_rows: u64,
    /// Rows without one.
    pub other_rows: u64,
    /// Distinct SQL texts (and session defaults) among the Hex rows.
    pub distinct_sql: u64,
    /// Statement shapes parsed for the first time.
    pub parsed: u64,
    /// Of those, how many did not parse.
    pub parse_failed: u64,
    /// Of those, how many are kinds without lineage (SET, SHOW, …), which read no table.
    pub no_lineage: u64,
    /// Hex executions this source added to the counts.
    pub runs_counted: u64,
    /// The source that counts these executions instead (see `HistoryTarget::runs_counted_by`).
    pub runs_counted_by: Option<String>,
    /// Rows that could not be used, by reason.
    pub failed: BTreeMap<String, u64>,
    /// What the store gained.
    pub stored: HistoryCounts,
    /// Wall time.
    pub seconds: f64,
}

impl std::fmt::Debug for HistoryTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryTarget")
            .field("connection", &self.connection)
            .field("environment", &self.environment)
            .field("source", &self.source.describe())
            .finish_non_exhaustive()
    }
}

impl HistorySummary {
    /// Rows per second, end to end.
    pub fn rate(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

/// Why a history sync failed (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum HistorySyncError {
    /// The source failed.
    #[error("{source_name}: {error}")]
    Source {
        /// The source's description.
        source_name: String,
        /// Its error.
        error: history::HistoryError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A worker thread failed.
    #[error("history processing stopped: {0}")]
    Worker(String),
    /// Another process runs this source's sync.
    #[error(transparent)]
    Busy(#[from] crate::Busy),
}

/// Rows read so far, for progress displays.
pub type Progress = Arc<AtomicU64>;

/// Runs one history source into the store. On failure the store keeps what it had and the
/// failure is recorded on the connection's status page.
pub async fn sync_history(
    store: &Store,
    target: &HistoryTarget,
    progress: Progress,
) -> Result<HistorySummary, HistorySyncError> {
    let key = format!("history:{}:{}", target.connection, target.environment);
    let what = || {
        format!(
            "history sync of {} / {}",
            target.connection, target.environment
        )
    };
    let body = sync_history_now(store, target, progress);
    crate::exclusive::exclusive(store, &key, what, body).await
}

async fn sync_history_now(
    store: &Store,
    target: &HistoryTarget,
    progress: Progress,
) -> Result<HistorySummary, HistorySyncError> {
    let started = Instant::now();
    let started_at = store::now();
    let result = run(store, target, progress, &started_at, started).await;
    if let Err(error) = &result {
        let source = format!("history:{}", target.environment);
        store
            .record_failure(&target.connection, &source, &started_at, &error.to_string())
            .await?;
    }
    result
}

async fn run(
    store: &Store,
    target: &HistoryTarget,
    progress: Progress,
    started_at: &str,
    started: Instant,
) -> Result<HistorySummary, HistorySyncError> {
    let previous = store
        .history_checkpoint(&target.connection, &target.environment)
        .await?
        .map(Checkpoint);
    let request = request(target, previous.as_ref());
    let known = store.known_queries(&target.connection).await?;
    let (sink, rows) = tokio::sync::mpsc::channel::<Vec<HistoryRow>>(4);
    let aggregator = Aggregator::new(target, known, progress);
    let worker = tokio::task::spawn_blocking(move || aggregator.consume(rows));
    let read = target.source.read(&request, previous.as_ref(), &sink).await;
    drop(sink);
    let aggregator = worker
        .await
        .map_err(|e| HistorySyncError::Worker(e.to_string()))?;
    let checkpoint = read.map_err(|error| HistorySyncError::Source {
        source_name: target.source.describe(),
        error,
    })?;
    tracing::debug!(
        seconds = started.elapsed().as_secs_f64(),
        "history read and aggregated"
    );
    let (batch, mut summary) = aggregator.finish(target, checkpoint, started_at);
    let batch = HistoryBatch {
        previous_checkpoint: previous.map(|c| c.0),
        ..batch
    };
    let mut batch = batch;
    summary.seconds = started.elapsed().as_secs_f64();
    batch.summary = serde_json::to_string(&summary).unwrap_or_default();
    let writing = Instant::now();
    summary.stored = store.write_history(&batch).await?;
    tracing::debug!(
        seconds = writing.elapsed().as_secs_f64(),
        runs = batch.runs.len(),
        "history stored"
    );
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Resume just after the checkpoint, or look back on the first sync.
fn request(target: &HistoryTarget, previous: Option<&Checkpoint>) -> HistoryRequest {
    let until = Utc::now();
    let resume = previous.and_then(|c| history::file::parse_time(&c.0));
    let since = resume.unwrap_or(until - target.lookback);
    HistoryRequest {
        since,
        until,
        page_size: 4096,
    }
}

/// What a Hex comment turned out to be.
#[derive(Clone)]
enum CommentInfo {
    Hex(Arc<HexComment>),
    Failed(&'static str),
}

/// Names are shared (`Arc<str>`, one allocation per distinct name): a wide history has
/// hundreds of thousands of groups over a few hundred projects, users and connections.
struct RunKey {
    query_key: Arc<str>,
    project_id: Arc<str>,
    cell_id: Arc<str>,
    context: RunContext,
    user: Arc<str>,
}

struct RunStats {
    hex_connection: Option<Arc<str>>,
    runs: i64,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl RunStats {
    /// What a source whose runs another counts adds: that the cell read its tables.
    fn evidence_only(self) -> Self {
        RunStats {
            runs: 0,
            first: None,
            last: None,
            ..self
        }
    }
}

/// The SQL of a Hex query (with its session defaults), hashed: the same SQL runs from many
/// cells and many times, so it is fingerprinted and parsed once. Comments are not cached:
/// each execution's differs (`trace_id`).
struct RowKeys {
    body: u128,
    /// Where the SQL ends and the comment's payload sits in the text, found once per row.
    body_len: usize,
    payload: std::ops::Range<usize>,
}

struct Aggregator {
    dialect: Dialect,
    kind: WarehouseKind,
    defaults: (Option<String>, Option<String>),
    known: HashSet<String>,
    bodies: HashMap<u128, Arc<str>>,
    queries: HashMap<Arc<str>, QueryRecord>,
    runs: HashMap<u128, (RunKey, RunStats)>,
    /// One shared copy of each project id, cell id, user and connection name.
    names: HashSet<Arc<str>>,
    /// Each project as its newest run's comment describes it, with that run's time.
    projects: HashMap<String, (Option<DateTime<Utc>>, Arc<HexComment>)>,
    summary: HistorySummary,
    progress: Progress,
    threads: usize,
}

/// SQL not seen before, with the session defaults it ran under.
struct PendingBody<'p> {
    hash: u128,
    sql: &'p str,
    database: Option<&'p str>,
    schema: Option<&'p str>,
    engine_tables: Option<&'p [String]>,
}

/// What a worker made of one new SQL body.
struct UnderstoodBody {
    hash: u128,
    query_key: Arc<str>,
    query: Option<QueryRecord>,
    /// The shape is a statement kind without lineage (SET, SHOW, …).
    without_lineage: bool,
}

impl Aggregator {
    fn new(target: &HistoryTarget, known: HashSet<String>, progress: Progress) -> Self {
        Aggregator {
            dialect: Dialect::from(target.kind),
            kind: target.kind,
            defaults: (
                target.default_database.clone(),
                target.default_schema.clone(),
            ),
            known,
            bodies: HashMap::new(),
            queries: HashMap::new(),
            runs: HashMap::new(),
            names: HashSet::new(),
            projects: HashMap::new(),
            summary: HistorySummary::default(),
            progress,
            threads: crate::parallel::cores(),
        }
    }

    /// Drains the channel; runs on a blocking thread.
    fn consume(mut self, mut rows: tokio::sync::mpsc::Receiver<Vec<HistoryRow>>) -> Self {
        while let Some(page) = rows.blocking_recv() {
            self.page(page);
        }
        self
    }

    fn page(&mut self, page: Vec<HistoryRow>) {
        if self.bodies.len() > TEXT_CACHE_LIMIT {
            self.bodies.clear();
        }
        let keys: Vec<Option<RowKeys>> = page.iter().map(|row| self.keys(row)).collect();
        let comments = self.read_comments(&page, &keys);
        self.understand_bodies(&page, &keys, &comments);
        for ((row, keys), comment) in page.iter().zip(&keys).zip(comments) {
            self.count(row, keys.as_ref(), comment);
        }
    }

    fn keys(&self, row: &HistoryRow) -> Option<RowKeys> {
        if row.problem.is_some() {
            return None;
        }
        let (body, payload) = history::hex::split(&row.text)?;
        let payload_at = payload.as_ptr() as usize - row.text.as_ptr() as usize;
        let database = row
            .database
            .as_deref()
            .or(self.defaults.0.as_deref())
            .unwrap_or("");
        let schema = row
            .schema
            .as_deref()
            .or(self.defaults.1.as_deref())
            .unwrap_or("");
        let mut hasher = Xxh3::new();
        for part in [body, database, schema] {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        Some(RowKeys {
            body: hasher.digest128(),
            body_len: body.len(),
            payload: payload_at..payload_at + payload.len(),
        })
    }

    /// Reads the page's Hex comments on every core.
    fn read_comments(
        &self,
        page: &[HistoryRow],
        keys: &[Option<RowKeys>],
    ) -> Vec<Option<CommentInfo>> {
        let payloads: Vec<Option<&str>> = page
            .iter()
            .zip(keys)
            .map(|(row, k)| k.as_ref().map(|k| &row.text[k.payload.clone()]))
            .collect();
        crate::parallel::map(payloads, self.threads, |payload| {
            payload.map(|p| comment_info(parse_payload(p)))
        })
    }

    /// Fingerprints and parses new SQL on every core.
    fn understand_bodies(
        &mut self,
        page: &[HistoryRow],
        keys: &[Option<RowKeys>],
        comments: &[Option<CommentInfo>],
    ) {
        let mut seen = HashSet::new();
        let pending: Vec<PendingBody<'_>> = page
            .iter()
            .zip(keys)
            .zip(comments)
            .filter_map(|((row, keys), comment)| {
                let keys = keys.as_ref()?;
                // SQL whose comment names no project is never attributed: don't parse it.
                let attributable = matches!(comment, Some(CommentInfo::Hex(_)));
                let fresh =
                    attributable && !self.bodies.contains_key(&keys.body) && seen.insert(keys.body);
                fresh.then(|| PendingBody {
                    hash: keys.body,
                    sql: &row.text[..keys.body_len],
                    database: row.database.as_deref().or(self.defaults.0.as_deref()),
                    schema: row.schema.as_deref().or(self.defaults.1.as_deref()),
                    engine_tables: row.engine_tables.as_deref(),
                })
            })
            .collect();
        self.summary.distinct_sql += pending.len() as u64;
        if pending.is_empty() {
            return;
        }
        let context = Understanding {
            dialect: self.dialect,
            kind: self.kind,
            known: &self.known,
            parsed: &self.queries,
        };
        let results = crate::parallel::map(pending, self.threads, |p| context.body_or_error(&p));
        for body in results {
            if let Some(query) = body.query {
                // Two bodies of one page may share a shape: keep the first parse.
                if !self.queries.contains_key(&body.query_key) {
                    self.summary.parsed += 1;
                    self.summary.parse_failed += u64::from(query.error.is_some());
                    self.summary.no_lineage += u64::from(body.without_lineage);
                    self.queries.insert(body.query_key.clone(), query);
                }
            }
            self.bodies.insert(body.hash, body.query_key);
        }
    }

    fn count(&mut self, row: &HistoryRow, keys: Option<&RowKeys>, comment: Option<CommentInfo>) {
        self.summary.rows += 1;
        self.summary.executions += row.executions;
        self.progress.fetch_add(1, Ordering::Relaxed);
        if let Some(problem) = &row.problem {
            *self.summary.failed.entry(reason(problem)).or_default() += 1;
            return;
        }
        let Some(keys) = keys else {
            self.summary.other_rows += 1;
            return;
        };
        self.summary.hex_rows += 1;
        let query_key = self.bodies.get(&keys.body).cloned();
        match (comment, query_key) {
            (Some(CommentInfo::Hex(hex)), Some(query_key)) => self.attribute(row, hex, query_key),
            (Some(CommentInfo::Failed(why)), _) => {
                *self.summary.failed.entry(why.to_string()).or_default() += 1;
            }
            _ => {
                *self
                    .summary
                    .failed
                    .entry("internal error".to_string())
                    .or_default() += 1;
            }
        }
    }

    fn attribute(&mut self, row: &HistoryRow, hex: Arc<HexComment>, query_key: Arc<str>) {
        let user = hex
            .user_email
            .as_deref()
            .or(row.users.first().map(String::as_str))
            .unwrap_or("");
        let cell = hex.cell_id.as_deref().unwrap_or("");
        // Look up by a hash of the parts: building the owned key for every row would cost
        // five allocations where most rows only add to an existing group.
        let mut hasher = Xxh3::new();
        for part in [
            &*query_key,
            &hex.project_id,
            cell,
            hex.context.as_str(),
            user,
        ] {
            hasher.update(part.as_bytes());
            hasher.update(&[0]);
        }
        let names = &mut self.names;
        let (_, stats) = self.runs.entry(hasher.digest128()).or_insert_with(|| {
            let key = RunKey {
                query_key,
                project_id: intern(names, &hex.project_id),
                cell_id: intern(names, cell),
                context: hex.context.clone(),
                user: intern(names, user),
            };
            let stats = RunStats {
                hex_connection: hex.connection.as_deref().map(|c| intern(names, c)),
                runs: 0,
                first: None,
                last: None,
            };
            (key, stats)
        });
        stats.runs += row.executions as i64;
        stats.first = earliest(stats.first, row.first_seen);
        stats.last = stats.last.max(row.last_seen);
        // The newest run's comment has the project's current name, URL and status. Only the
        // comment is kept (an Arc): most rows are newer than the last, and building the record
        // for each would allocate on every row.
        match self.projects.get_mut(&hex.project_id) {
            Some((seen, comment)) => {
                if row.last_seen >= *seen {
                    *seen = row.last_seen;
                    *comment = hex;
                }
            }
            None => {
                self.projects
                    .insert(hex.project_id.clone(), (row.last_seen, hex));
            }
        }
    }

    fn finish(
        mut self,
        target: &HistoryTarget,
        checkpoint: Checkpoint,
        started_at: &str,
    ) -> (HistoryBatch, HistorySummary) {
        let warnings = self
            .summary
            .failed
            .iter()
            .map(|(why, n)| format!("{n} rows skipped: {why}"))
            .collect();
        let counted = target.runs_counted_by.is_none();
        self.summary.runs_counted_by = target.runs_counted_by.clone();
        let runs = self
            .runs
            .into_values()
            .map(|(key, stats)| {
                (
                    key,
                    if counted {
                        stats
                    } else {
                        stats.evidence_only()
                    },
                )
            })
            .map(|(key, stats)| RunRecord {
                run_key: run_key(target, &key),
                query_key: key.query_key,
                project_id: key.project_id,
                cell_id: key.cell_id,
                context: key.context,
                user_name: key.user,
                hex_connection: stats.hex_connection,
                runs: stats.runs,
                first_seen: stats.first,
                last_seen: stats.last,
            })
            .collect::<Vec<_>>();
        self.summary.runs_counted = runs.iter().map(|r: &RunRecord| r.runs.max(0) as u64).sum();
        let batch = HistoryBatch {
            connection: target.connection.clone(),
            environment: target.environment.clone(),
            checkpoint: checkpoint.0,
            previous_checkpoint: None,
            queries: self.queries.into_values().collect(),
            runs,
            projects: self
                .projects
                .into_values()
                .map(|(_, hex)| project_record(&hex))
                .collect(),
            started_at: started_at.to_string(),
            summary: String::new(),
            warnings,
        };
        (batch, self.summary)
    }
}

/// What the store keeps of a project, from the comment of its newest run.
fn project_record(hex: &HexComment) -> ProjectRecord {
    ProjectRecord {
        project_id: hex.project_id.clone(),
        name: hex.project_name.clone(),
        url: hex
            .project_url
            .as_deref()
            .filter(|u| history::hex::linkable(u))
            .map(history::hex::project_base),
        status: hex.status.clone(),
        categories: hex.categories.clone(),
    }
}

fn comment_info(parsed: Result<HexComment, CommentError>) -> CommentInfo {
    match parsed {
        Ok(hex) => CommentInfo::Hex(Arc::new(hex)),
        Err(CommentError::Truncated) => CommentInfo::Failed("truncated Hex metadata"),
        Err(CommentError::NoProject) => CommentInfo::Failed("Hex metadata without a project"),
        Err(CommentError::Invalid(_)) => CommentInfo::Failed("unreadable Hex metadata"),
    }
}

/// A stable hash identifying a run group across syncs.
fn run_key(target: &HistoryTarget, key: &RunKey) -> u128 {
    let mut hasher = Xxh3::new();
    for part in [
        target.connection.as_str(),
        target.environment.as_str(),
        &key.query_key,
        &key.project_id,
        &key.cell_id,
        key.context.as_str(),
        &key.user,
    ] {
        hasher.update(part.as_bytes());
        hasher.update(&[0]);
    }
    hasher.digest128()
}

/// The shared copy of `name`, made on first sight.
fn intern(names: &mut HashSet<Arc<str>>, name: &str) -> Arc<str> {
    if let Some(shared) = names.get(name) {
        return shared.clone();
    }
    let shared: Arc<str> = Arc::from(name);
    names.insert(shared.clone());
    shared
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The first words of a problem, so counts group by kind ("line 12: …" → the reason).
fn reason(problem: &str) -> String {
    let without_line = match problem.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest,
        _ => problem,
    };
    without_line
        .split(": ")
        .next()
        .unwrap_or(without_line)
        .to_string()
}

/// Shared, read-only state for the workers.
struct Understanding<'a> {
    dialect: Dialect,
    kind: WarehouseKind,
    known: &'a HashSet<String>,
    parsed: &'a HashMap<Arc<str>, QueryRecord>,
}

impl Understanding<'_> {
    /// [`Understanding::body`], with a parser panic turned into that statement's error: one
    /// bad text must not stop a source forever (its checkpoint would never move).
    fn body_or_error(&self, pending: &PendingBody<'_>) -> UnderstoodBody {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.body(pending)))
            .unwrap_or_else(|_| {
                let query_key = query_key(
                    &format!("{:032x}", pending.hash),
                    pending.database,
                    pending.schema,
                );
                UnderstoodBody {
                    hash: pending.hash,
                    query: Some(QueryRecord {
                        query_key: query_key.to_string(),
                        sql_text: sample(pending.sql),
                        statement_kind: "error".into(),
                        tables_from: "parsed".into(),
                        error: Some("internal error while parsing this SQL".into()),
                        tables: Vec::new(),
                    }),
                    query_key,
                    without_lineage: false,
                }
            })
    }

    fn body(&self, pending: &PendingBody<'_>) -> UnderstoodBody {
        let fingerprint = sql::fingerprint(pending.sql, self.dialect);
        let query_key = query_key(&fingerprint, pending.database, pending.schema);
        let new = !self.known.contains(query_key.as_ref()) && !self.parsed.contains_key(&query_key);
        let (query, without_lineage) = match new.then(|| self.parse(pending, &query_key)) {
            Some((query, without_lineage)) => (Some(query), without_lineage),
            None => (None, false),
        };
        UnderstoodBody {
            hash: pending.hash,
            query,
            query_key,
            without_lineage,
        }
    }

    /// The shape's record, and whether it is a kind without lineage.
    fn parse(&self, pending: &PendingBody<'_>, query_key: &str) -> (QueryRecord, bool) {
        let Reads {
            statement_kind,
            mut tables,
            error,
            without_lineage,
        } = reads(
            pending.sql,
            self.dialect,
            self.kind,
            pending.database,
            pending.schema,
        );
        let tables_from = match pending.engine_tables {
            Some(engine) => {
                let parsed = std::mem::take(&mut tables);
                for table in engine {
                    let key = table_key(table, self.kind);
                    let columns = parsed.get(&key).cloned().unwrap_or_default();
                    tables.insert(key, columns);
                }
                "engine"
            }
            None => "parsed",
        };
        let record = QueryRecord {
            query_key: query_key.to_string(),
            sql_text: sample(pending.sql),
            statement_kind: statement_kind.to_string(),
            tables_from: tables_from.to_string(),
            error,
            tables: tables.into_iter().collect(),
        };
        (record, without_lineage)
    }
}

/// One statement shape under one pair of session defaults.
fn query_key(fingerprint: &str, database: Option<&str>, schema: Option<&str>) -> Arc<str> {
    let text = format!(
        "{fingerprint}\u{0}{}\u{0}{}",
        database.unwrap_or(""),
        schema.unwrap_or("")
    );
    Arc::from(format!("{:032x}", xxh3_128(text.as_bytes())))
}

/// The SQL, capped.
fn sample(body: &str) -> String {
    let mut end = body.len().min(SQL_SAMPLE_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_string()
}
