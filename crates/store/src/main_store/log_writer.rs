//! The access log's single writer: group commit, the hash chain and signed checkpoints.
//!
//! Every append goes through one task per process. It takes whatever requests are
//! queued, writes them in one transaction (numbering and chaining them under the
//! table's write lock, so several replicas on one database still form one chain), and
//! answers each waiter only after the commit returned. Concurrent decisions thus share
//! one durable commit instead of queueing for one fsync each.
//!
//! ## Why the head is read inside every transaction
//! Another replica may have appended since our last batch; reading the last sequence
//! and hash under the write lock is one indexed row and keeps the chain a chain.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use supportgate_audit::{
    checkpoint_message, encode_entry, entry_hash, hex, Checkpoint, CheckpointSigner, Hash,
    NewEntry, StoredFields, ENTRY_FORMAT, GENESIS,
};
use supportgate_types::{Clock, SystemClock};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::db::Engine;
use crate::rows::{blob, int};
use crate::time::to_micros;
use crate::StoreError;

/// How the writer batches and checkpoints.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// Signs checkpoints; without one, no checkpoints are written.
    pub signer: Option<Arc<dyn CheckpointSigner>>,
    /// Checkpoint times come from here.
    pub clock: Arc<dyn Clock>,
    /// A checkpoint at least every this many entries.
    pub checkpoint_every: u64,
    /// And at least this often while entries arrive.
    pub checkpoint_interval: Duration,
    /// The most entries one commit takes.
    pub max_batch: usize,
    /// How long a batch may wait for company when the last one was shared (under load);
    /// a lone writer never waits.
    pub batch_window: Duration,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            signer: None,
            clock: Arc::new(SystemClock),
            checkpoint_every: 1024,
            checkpoint_interval: Duration::from_secs(10),
            max_batch: 4096,
            batch_window: Duration::from_millis(1),
        }
    }
}

/// Rows per INSERT statement (see [`insert`]).
const ROWS_PER_STATEMENT: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T, Arc<StoreError>>>;

enum Command {
    Append(Box<NewEntry>, Reply<u64>),
    Checkpoint(Reply<Option<Checkpoint>>),
    Close(oneshot::Sender<()>),
}

/// The handle every `MainStore` clone shares.
#[derive(Clone, Debug)]
pub(crate) struct LogWriter {
    commands: mpsc::Sender<Command>,
    head: watch::Receiver<u64>,
    /// What the writer task has committed, for metrics.
    pub(crate) stats: Arc<super::log_stats::LogStats>,
}

/// The channel's capacity: enough for every request in flight to queue without blocking.
const QUEUE: usize = 65_536;

impl LogWriter {
    /// Starts the writer task for `pool`.
    pub(crate) fn start(pool: AnyPool, engine: Engine, options: LogOptions) -> LogWriter {
        let (commands, receiver) = mpsc::channel(QUEUE);
        let (head_tx, head) = watch::channel(0);
        let stats = Arc::new(super::log_stats::LogStats::default());
        let task = WriterTask {
            pool,
            engine,
            options,
            head: head_tx,
            last_checkpoint: (0, Instant::now()),
            last_batch: 0,
            stats: stats.clone(),
        };
        tokio::spawn(task.run(receiver));
        LogWriter {
            commands,
            head,
            stats,
        }
    }

    fn gone() -> Arc<StoreError> {
        Arc::new(StoreError::Database(sqlx::Error::WorkerCrashed))
    }

    /// Appends one entry; returns its sequence number once it is durable.
    pub(crate) async fn append(&self, entry: NewEntry) -> Result<u64, Arc<StoreError>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Append(Box::new(entry), reply))
            .await
            .map_err(|_| Self::gone())?;
        answer.await.map_err(|_| Self::gone())?
    }

    /// Signs a checkpoint at the current head now (if entries arrived since the last).
    pub(crate) async fn checkpoint(&self) -> Result<Option<Checkpoint>, Arc<StoreError>> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Checkpoint(reply))
            .await
            .map_err(|_| Self::gone())?;
        answer.await.map_err(|_| Self::gone())?
    }

    /// Writes what is queued, signs a last checkpoint and stops the task.
    pub(crate) async fn close(&self) {
        let (reply, done) = oneshot::channel();
        if self.commands.send(Command::Close(reply)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// The last sequence this process committed; changes wake followers.
    pub(crate) fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }
}

struct WriterTask {
    pool: AnyPool,
    engine: Engine,
    options: LogOptions,
    head: watch::Sender<u64>,
    /// `(sequence, when)` of the last checkpoint this process knows of; before the
    /// first, `(0, when the writer started)`, so the time rule applies from the start.
    last_checkpoint: (u64, Instant),
    stats: Arc<super::log_stats::LogStats>,
    last_batch: usize,
}

/// The last entry: `(sequence, hash)`, or `(0, GENESIS)` for an empty log.
async fn read_head(tx: &mut sqlx::AnyConnection) -> Result<(u64, Hash), StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
    let Some(row) = row else {
        return Ok((0, GENESIS));
    };
    let seq =
        u64::try_from(int(&row, "seq")?).map_err(|_| StoreError::Corrupt { what: "sequence" })?;
    let hash = blob(&row, "hash")?
        .try_into()
        .map_err(|_| StoreError::Corrupt { what: "entry hash" })?;
    Ok((seq, hash))
}

impl WriterTask {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        if let Err(error) = self.load_last_checkpoint().await {
            tracing::warn!(error = %error, "cannot read the last log checkpoint; the next batch will sign one");
        }
        loop {
            let first =
                match tokio::time::timeout(self.options.checkpoint_interval, commands.recv()).await
                {
                    Ok(Some(command)) => command,
                    Ok(None) => return self.shut_down().await,
                    Err(_idle) => {
                        self.checkpoint_if_due(true).await;
                        continue;
                    }
                };
            let mut appends = Vec::new();
            let mut others = Vec::new();
            sort(first, &mut appends, &mut others);
            self.gather(&mut commands, &mut appends, &mut others).await;
            if !appends.is_empty() {
                self.commit(appends).await;
            }
            for command in others {
                match command {
                    Command::Checkpoint(reply) => {
                        let _ = reply.send(self.checkpoint_now().await.map_err(Arc::new));
                    }
                    Command::Close(done) => {
                        self.shut_down().await;
                        let _ = done.send(());
                        return;
                    }
                    Command::Append(..) => {}
                }
            }
        }
    }

    /// Takes every queued command, then, under load, waits up to the batch window for
    /// company until the batch is as large as the last one (the concurrency the writer
    /// has been seeing): waiting longer than that would only add latency.
    async fn gather(
        &self,
        commands: &mut mpsc::Receiver<Command>,
        appends: &mut Vec<(Box<NewEntry>, Reply<u64>)>,
        others: &mut Vec<Command>,
    ) {
        let deadline = Instant::now() + self.options.batch_window;
        let expected = self.last_batch.min(self.options.max_batch);
        while appends.len() < self.options.max_batch && others.is_empty() {
            match commands.try_recv() {
                Ok(command) => sort(command, appends, others),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) if appends.len() < expected => {
                    match tokio::time::timeout_at(deadline, commands.recv()).await {
                        Ok(Some(command)) => sort(command, appends, others),
                        Ok(None) | Err(_) => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Empty) => break,
            }
        }
    }

    async fn commit(&mut self, appends: Vec<(Box<NewEntry>, Reply<u64>)>) {
        self.last_batch = appends.len();
        let (entries, replies): (Vec<_>, Vec<_>) = appends.into_iter().unzip();
        let started = Instant::now();
        match self.write(&entries).await {
            Ok(first) => {
                self.stats.committed(&entries, started.elapsed());
                let last = first + entries.len() as u64 - 1;
                for (sequence, reply) in (first..).zip(replies) {
                    let _ = reply.send(Ok(sequence));
                }
                self.head.send_replace(last);
            }
            Err(error) => {
                self.stats.failed();
                tracing::error!(error = %error, entries = entries.len(), "access log commit failed; the accesses are refused");
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
        .map_err(StoreError::Database)?;
        if self.engine == Engine::Postgres {
            // Replicas share the table: one writer at a time keeps one chain. Readers
            // are not blocked by EXCLUSIVE.
            sqlx::query("LOCK TABLE access_log IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(StoreError::Database)?;
        }
        Ok(tx)
    }

    /// Numbers, chains and inserts `entries` in one transaction; returns the first
    /// sequence number.
    async fn write(&mut self, entries: &[Box<NewEntry>]) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let (head, mut prev) = read_head(&mut tx).await?;
        let first = head + 1;
        let mut rows = Vec::with_capacity(entries.len());
        for (sequence, entry) in (first..).zip(entries) {
            let fields = StoredFields::from_new(entry);
            let hash = entry_hash(&prev, &encode_entry(sequence, &fields));
            rows.push(Row {
                sequence,
                fields,
                prev,
                hash,
            });
            prev = hash;
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            insert(&mut tx, self.engine, chunk).await?;
        }
        let last = head + entries.len() as u64;
        let signed = self.sign_if_due(&mut tx, last, prev, false).await?;
        tx.commit().await.map_err(StoreError::Database)?;
        if let Some(checkpoint) = signed {
            self.last_checkpoint = (checkpoint.sequence, Instant::now());
        }
        Ok(first)
    }

    /// Writes a checkpoint of `(sequence, hash)` inside `tx` when one is due (or
    /// `force`d and anything is uncovered).
    async fn sign_if_due(
        &self,
        tx: &mut sqlx::AnyConnection,
        sequence: u64,
        hash: Hash,
        force: bool,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let Some(signer) = &self.options.signer else {
            return Ok(None);
        };
        let (covered, since) = self.last_checkpoint;
        let uncovered = sequence > covered;
        let due = sequence - covered.min(sequence) >= self.options.checkpoint_every
            || since.elapsed() >= self.options.checkpoint_interval;
        if !uncovered || !(due || force) {
            return Ok(None);
        }
        let time = now_micros(self.options.clock.as_ref());
        let signature = signer.sign(&checkpoint_message(sequence, &hash, time));
        let checkpoint = Checkpoint {
            sequence,
            head_hash: hash,
            time,
            key_id: signer.key_id().to_owned(),
            signature,
        };
        sqlx::query(
            "INSERT INTO log_checkpoints (seq, head_hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (seq) DO NOTHING",
        )
        .bind(i64::try_from(sequence).map_err(|_| StoreError::Corrupt { what: "sequence" })?)
        .bind(checkpoint.head_hash.to_vec())
        .bind(to_micros(time))
        .bind(checkpoint.key_id.clone())
        .bind(checkpoint.signature.clone())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        Ok(Some(checkpoint))
    }

    /// Signs a checkpoint at the head in a transaction of its own.
    async fn checkpoint_now(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        self.checkpoint(true).await
    }

    async fn checkpoint(&mut self, force: bool) -> Result<Option<Checkpoint>, StoreError> {
        let mut tx = self.begin().await?;
        let (sequence, hash) = read_head(&mut tx).await?;
        let signed = self.sign_if_due(&mut tx, sequence, hash, force).await?;
        tx.commit().await.map_err(StoreError::Database)?;
        if let Some(checkpoint) = &signed {
            self.last_checkpoint = (checkpoint.sequence, Instant::now());
        }
        Ok(signed)
    }

    async fn checkpoint_if_due(&mut self, idle: bool) {
        if let Err(error) = self.checkpoint(idle).await {
            tracing::warn!(error = %error, "cannot sign a log checkpoint");
        }
    }

    async fn shut_down(&mut self) {
        self.checkpoint_if_due(true).await;
    }

    async fn load_last_checkpoint(&mut self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT seq FROM log_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        if let Some(row) = row {
            let seq = u64::try_from(int(&row, "seq")?)
                .map_err(|_| StoreError::Corrupt { what: "sequence" })?;
            self.last_checkpoint = (seq, Instant::now());
        }
        Ok(())
    }
}

fn sort(
    command: Command,
    appends: &mut Vec<(Box<NewEntry>, Reply<u64>)>,
    others: &mut Vec<Command>,
) {
    match command {
        Command::Append(entry, reply) => appends.push((entry, reply)),
        other => others.push(other),
    }
}

/// A row about to be inserted.
struct Row {
    sequence: u64,
    fields: StoredFields,
    prev: Hash,
    hash: Hash,
}

/// One row as the batch statement reads it (hashes in hex).
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    seq: i64,
    time: i64,
    subject_id: Option<String>,
    role: Option<&'static str>,
    tenant_id: Option<String>,
    action: &'a str,
    data_class: &'static str,
    resource_id: Option<&'a str>,
    case_id: Option<String>,
    purpose: Option<&'static str>,
    decision: &'static str,
    reason: &'a str,
    request_id: String,
    format: u8,
    prev_hash: String,
    hash: String,
}

/// Inserts a batch with one statement whose only parameter is the batch as JSON.
///
/// ## Why JSON
/// A parameter per column per row costs sqlx more per row the longer the statement is
/// (measured on SQLite: 8,000 rows/s at 250 rows a statement); handing the database one
/// JSON array that it unpacks in C (`json_each`, `jsonb_to_recordset`) measured 180,000
/// rows/s. The SQL differs per engine for this one statement.
const INSERT_SQLITE: &str = "INSERT INTO access_log (seq, time, subject_id, role, tenant_id, action, data_class, \
    resource_id, case_id, purpose, decision, reason, request_id, format, prev_hash, hash) \
    SELECT value->>'seq', value->>'time', value->>'subject_id', value->>'role', value->>'tenant_id', \
           value->>'action', value->>'data_class', value->>'resource_id', value->>'case_id', \
           value->>'purpose', value->>'decision', value->>'reason', value->>'request_id', \
           value->>'format', unhex(value->>'prev_hash'), unhex(value->>'hash') \
    FROM json_each($1)";

const INSERT_POSTGRES: &str = "INSERT INTO access_log (seq, time, subject_id, role, tenant_id, action, data_class, \
    resource_id, case_id, purpose, decision, reason, request_id, format, prev_hash, hash) \
    SELECT r.seq, r.time, r.subject_id, r.role, r.tenant_id, r.action, r.data_class, r.resource_id, \
           r.case_id, r.purpose, r.decision, r.reason, r.request_id, r.format, \
           decode(r.prev_hash, 'hex'), decode(r.hash, 'hex') \
    FROM jsonb_to_recordset($1::jsonb) AS r(seq BIGINT, time BIGINT, subject_id TEXT, role TEXT, \
         tenant_id TEXT, action TEXT, data_class TEXT, resource_id TEXT, case_id TEXT, purpose TEXT, \
         decision TEXT, reason TEXT, request_id TEXT, format SMALLINT, prev_hash TEXT, hash TEXT)";

async fn insert(
    tx: &mut sqlx::AnyConnection,
    engine: Engine,
    rows: &[Row],
) -> Result<(), StoreError> {
    let mut json_rows = Vec::with_capacity(rows.len());
    for row in rows {
        let f = &row.fields;
        json_rows.push(JsonRow {
            seq: i64::try_from(row.sequence)
                .map_err(|_| StoreError::Corrupt { what: "sequence" })?,
            time: to_micros(f.time),
            subject_id: f.subject.map(|s| s.to_string()),
            role: f.role.map(|r| r.as_str()),
            tenant_id: f.tenant.map(|t| t.to_string()),
            action: &f.action,
            data_class: f.data_class.as_str(),
            resource_id: f.resource_id.as_deref(),
            case_id: f.case_id.map(|c| c.to_string()),
            purpose: f.purpose.map(|p| p.as_str()),
            decision: f.decision.as_str(),
            reason: &f.reason,
            request_id: f.request_id.to_string(),
            format: ENTRY_FORMAT,
            prev_hash: hex(&row.prev),
            hash: hex(&row.hash),
        });
    }
    let json = serde_json::to_string(&json_rows)
        .map_err(|e| StoreError::Database(sqlx::Error::Encode(Box::new(e))))?;
    let sql = match engine {
        Engine::Sqlite => INSERT_SQLITE,
        Engine::Postgres => INSERT_POSTGRES,
    };
    sqlx::query(sql)
        .bind(json)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("access log sequence", e))?;
    Ok(())
}

/// Checkpoint times are kept to the microsecond, as stored and signed.
fn now_micros(clock: &dyn Clock) -> chrono::DateTime<chrono::Utc> {
    let now = clock.now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}
