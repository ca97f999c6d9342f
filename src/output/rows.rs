//! Results that stream: a fleet command hands each row over as it is
//! judged, and it reaches stdout at once (JSON, CSV) or is kept for the
//! table only when the table shows it. Memory stays flat however many
//! tenants there are; the JSON is still one document.

use std::io::{BufWriter, StdoutLock, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::{Format, Printer, ignore_closed_pipe};

/// A row that can also be a CSV record (rows of commands without
/// `--format csv` keep the empty defaults).
pub trait Row: Serialize {
    const CSV_HEADER: &'static [&'static str] = &[];

    fn csv_record(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Where rows go as they come.
pub struct Rows<R> {
    sink: Sink<R>,
    /// Set while a JSON document is open (the printer's, for a failure).
    open_document: Arc<AtomicBool>,
}

enum Sink<R> {
    /// `{"<key>": [row, …], <trailer>}`, written as it goes.
    Json {
        out: BufWriter<StdoutLock<'static>>,
        first: bool,
    },
    Csv(Box<csv::Writer<StdoutLock<'static>>>),
    /// The person's table: only the rows it will show.
    Table(Vec<R>),
    /// Another renderer has stdout (Prometheus).
    Nowhere,
}

impl Printer {
    /// Starts streaming rows in `format` (`--json` wins); JSON opens the
    /// document with the array `key`.
    pub fn rows<R: Row>(&self, format: Format, key: &str) -> anyhow::Result<Rows<R>> {
        let format = if self.json { Format::Json } else { format };
        let sink = match format {
            Format::Json => {
                let mut out = BufWriter::new(std::io::stdout().lock());
                ignore_closed_pipe(write!(out, "{{\n  {}: [", serde_json::to_string(key)?))?;
                self.open_document.store(true, Ordering::SeqCst);
                Sink::Json { out, first: true }
            }
            Format::Csv => {
                let mut out = csv::Writer::from_writer(std::io::stdout().lock());
                out.write_record(R::CSV_HEADER)?;
                Sink::Csv(Box::new(out))
            }
            Format::Table => Sink::Table(Vec::new()),
            Format::Ics | Format::Prometheus => Sink::Nowhere,
        };
        Ok(Rows {
            sink,
            open_document: Arc::clone(&self.open_document),
        })
    }
}

impl<R: Row> Rows<R> {
    /// One row; the table keeps it only when `shown`.
    pub fn push(&mut self, row: R, shown: bool) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Json { out, first } => {
                let sep = if *first { "\n    " } else { ",\n    " };
                *first = false;
                ignore_closed_pipe(
                    out.write_all(sep.as_bytes())
                        .and_then(|()| serde_json::to_writer(&mut *out, &row).map_err(Into::into)),
                )
            }
            Sink::Csv(out) => match out.write_record(row.csv_record()) {
                Err(e) if is_closed_pipe(&e) => Ok(()),
                other => Ok(other?),
            },
            Sink::Table(kept) => {
                if shown {
                    kept.push(row);
                }
                Ok(())
            }
            Sink::Nowhere => Ok(()),
        }
    }

    /// The rows kept for the table so far, handed over (a long table is
    /// printed a page at a time).
    pub fn take_kept(&mut self) -> Vec<R> {
        match &mut self.sink {
            Sink::Table(kept) => std::mem::take(kept),
            _ => Vec::new(),
        }
    }

    /// Ends the output with nothing after the array. Returns the rows kept
    /// for the table.
    pub fn close(self) -> anyhow::Result<Vec<R>> {
        #[derive(Serialize)]
        struct Nothing {}
        self.finish(&Nothing {})
    }

    /// Ends the output: JSON gets `trailer`'s fields after the array and
    /// closes. Returns the rows kept for the table.
    pub fn finish<T: Serialize>(self, trailer: &T) -> anyhow::Result<Vec<R>> {
        match self.sink {
            Sink::Json { mut out, first } => {
                let trailer = serde_json::to_value(trailer)?;
                let mut text = String::from(if first { "]" } else { "\n  ]" });
                if let serde_json::Value::Object(fields) = trailer {
                    for (key, value) in fields {
                        text.push_str(&format!(
                            ",\n  {}: {}",
                            serde_json::to_string(&key)?,
                            serde_json::to_string(&value)?
                        ));
                    }
                }
                text.push_str("\n}\n");
                self.open_document.store(false, Ordering::SeqCst);
                ignore_closed_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))?;
                Ok(Vec::new())
            }
            Sink::Csv(mut out) => {
                match out.flush() {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    other => other?,
                }
                Ok(Vec::new())
            }
            Sink::Table(kept) => Ok(kept),
            Sink::Nowhere => Ok(Vec::new()),
        }
    }
}

fn is_closed_pipe(e: &csv::Error) -> bool {
    matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
}
