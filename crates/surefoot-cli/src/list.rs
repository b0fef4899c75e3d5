//! `surefoot specala transcriptions list` and `surefoot pyai jobs list`: every item through
//! the core's lazy pagination, as a table or a JSON array.

use std::io::Write;

use futures::{Stream, TryStreamExt};
use serde::Serialize;

use crate::cli::ListArgs;
use crate::exit::{CliError, Context};

/// Collects up to `max` items of a paginated list.
async fn collect<T>(
    mut items: impl Stream<Item = surefoot::Result<T>> + Unpin,
    max: Option<usize>,
    ctx: &Context,
) -> Result<Vec<T>, CliError> {
    let mut out = Vec::new();
    while max.is_none_or(|m| out.len() < m) {
        match items.try_next().await {
            Ok(Some(item)) => out.push(item),
            Ok(None) => break,
            Err(e) => return Err(CliError::from_api(&e, ctx)),
        }
    }
    Ok(out)
}

/// Writes rows as aligned columns; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    let line = |cells: Vec<&str>, s: &mut String| {
        let last = cells.len() - 1;
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        s.push('\n');
    };
    line(header.to_vec(), &mut s);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut s);
    }
    s
}

fn print_out(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // `surefoot … list | head`: the reader left; that is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("cannot write to stdout", &e)),
    }
}

/// A field as the server sent it, for a table cell (text as is, other JSON as JSON,
/// nothing when absent).
fn shown(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

fn print_json<T: Serialize>(items: &[T]) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(items).expect("items serialise");
    text.push('\n');
    print_out(&text)
}

/// Lists Specala transcriptions.
pub async fn transcriptions(
    client: &surefoot::specala::Client,
    ctx: &Context,
    args: &ListArgs,
) -> Result<(), CliError> {
    let page = args.max.map_or(100, |m| m.clamp(1, 100) as u32);
    let items = collect(client.transcriptions().list().limit(page), args.max, ctx).await?;
    if args.json {
        return print_json(&items);
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|t| {
            vec![
                t.id().to_string(),
                shown(t.created_at_raw()),
                t.language().unwrap_or_default().to_string(),
                t.duration_seconds()
                    .map(|d| format!("{d:.1}s"))
                    .unwrap_or_default(),
                t.title().unwrap_or_default().to_string(),
            ]
        })
        .collect();
    print_out(&table(
        &["ID", "CREATED", "LANG", "DURATION", "TITLE"],
        &rows,
    ))
}

/// Lists PyAI jobs.
pub async fn jobs(
    client: &surefoot::pyai::Client,
    ctx: &Context,
    args: &ListArgs,
) -> Result<(), CliError> {
    let page = args.max.map_or(100, |m| m.clamp(1, 100) as u32);
    let items = collect(client.jobs().list().limit(page), args.max, ctx).await?;
    if args.json {
        return print_json(&items);
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|j| {
            vec![
                j.id().to_string(),
                j.status().unwrap_or_default().to_string(),
                shown(j.created_at_raw()),
                j.language().unwrap_or_default().to_string(),
                j.audio_url().unwrap_or_default().to_string(),
            ]
        })
        .collect();
    print_out(&table(
        &["ID", "STATUS", "CREATED", "LANG", "AUDIO_URL"],
        &rows,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aligns_columns() {
        let t = super::table(
            &["ID", "NAME"],
            &[
                vec!["a".into(), "x".into()],
                vec!["long-id".into(), "y".into()],
            ],
        );
        assert_eq!(t, "ID       NAME\na        x\nlong-id  y\n");
    }
}
