//! The minimal answer form (the `minimal` field of [`Config`](crate::Config)): the same API, the
//! same ids and behaviour, but bodies shaped like a server that only promises ids — to
//! prove clients do not depend on the brief's guessed wire format. Specala list items carry
//! only `id` and `title`; a single transcription adds `created_at` as Unix seconds and an
//! unknown `object` member; bulk export items are `id` and `content` (no `format`) plus an
//! unknown member; keys carry numeric `created_at`, a created key no `name`. PyAI list items
//! are `id` and `status` only; a created or fetched job is `id`, `status`, `created_at` as
//! Unix seconds with a fraction and an unknown `object`; a session is its `id` and `object`
//! (no `agent_id`). List envelopes gain unknown members (`object`, `has_more`) and drop
//! `next_cursor` entirely on the last page. Each function maps the brief-format JSON the
//! handlers build to this form.

use serde_json::{json, Map, Value};

/// `YYYY-MM-DDTHH:MM:SS(.mmm)?Z` (the emulator's own format) → Unix seconds.
fn unix_seconds(v: &Value) -> Option<f64> {
    let s = v.as_str()?.as_bytes();
    if s.len() < 20 {
        return None;
    }
    let n =
        |a: usize, b: usize| -> Option<i64> { std::str::from_utf8(&s[a..b]).ok()?.parse().ok() };
    let (y, m, d) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (hh, mm, ss) = (n(11, 13)?, n(14, 16)?, n(17, 19)?);
    let millis = if s.get(19) == Some(&b'.') {
        n(20, 23)?
    } else {
        0
    };
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss) as f64 + millis as f64 / 1000.0)
}

fn pick(full: &Value, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|n| full.get(*n).map(|v| (n.to_string(), v.clone())))
        .collect()
}

fn whole_seconds(full: &Value) -> Value {
    unix_seconds(&full["created_at"]).map_or(Value::Null, |s| json!(s.floor() as i64))
}

/// A Specala list item: `id` and `title` only.
pub(crate) fn transcription_item(full: Value) -> Value {
    Value::Object(pick(&full, &["id", "title"]))
}

/// One Specala transcription: `id`, `title`, `text`, numeric `created_at`, unknown `object`.
pub(crate) fn transcription(full: Value) -> Value {
    let mut m = pick(&full, &["id", "title", "text"]);
    m.insert("created_at".into(), whole_seconds(&full));
    m.insert("object".into(), json!("transcription"));
    Value::Object(m)
}

/// A bulk export item: `id`, `content`, unknown `object` (no `format`).
pub(crate) fn export_item(full: Value) -> Value {
    let mut m = pick(&full, &["id", "content"]);
    m.insert("object".into(), json!("export"));
    Value::Object(m)
}

/// A listed Specala key: `id`, `name`, numeric `created_at`.
pub(crate) fn key(full: Value) -> Value {
    let mut m = pick(&full, &["id", "name"]);
    m.insert("created_at".into(), whole_seconds(&full));
    Value::Object(m)
}

/// A created Specala key: `id`, `key`, numeric `created_at`, unknown `object` (no `name`).
pub(crate) fn created_key(full: Value) -> Value {
    let mut m = pick(&full, &["id", "key"]);
    m.insert("created_at".into(), whole_seconds(&full));
    m.insert("object".into(), json!("api_key"));
    Value::Object(m)
}

/// A PyAI list item: `id` and `status` only.
pub(crate) fn job_item(full: Value) -> Value {
    Value::Object(pick(&full, &["id", "status"]))
}

/// A created or fetched PyAI job: `id`, `status`, `created_at` as fractional Unix seconds,
/// unknown `object`.
pub(crate) fn job(full: Value) -> Value {
    let mut m = pick(&full, &["id", "status"]);
    m.insert(
        "created_at".into(),
        unix_seconds(&full["created_at"]).map_or(Value::Null, |s| json!(s)),
    );
    m.insert("object".into(), json!("transcription.job"));
    Value::Object(m)
}

/// A realtime session: `id` and unknown `object` (no `agent_id`).
pub(crate) fn session(full: Value) -> Value {
    let mut m = pick(&full, &["id"]);
    m.insert("object".into(), json!("realtime.session"));
    Value::Object(m)
}

/// A list envelope: `data`, `next_cursor` only when there is a next page, unknown `object`
/// and `has_more`.
pub(crate) fn list(data: Vec<Value>, next: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert("object".into(), json!("list"));
    m.insert("has_more".into(), json!(next.is_some()));
    m.insert("data".into(), Value::Array(data));
    if let Some(n) = next {
        m.insert("next_cursor".into(), json!(n));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_become_unix_seconds() {
        assert_eq!(
            unix_seconds(&json!("2026-01-01T00:00:00Z")),
            Some(1_767_225_600.0)
        );
        assert_eq!(
            unix_seconds(&json!("2026-01-01T00:00:01.250Z")),
            Some(1_767_225_601.25)
        );
        assert_eq!(unix_seconds(&json!(5)), None);
    }

    #[test]
    fn forms() {
        let full = json!({"id": "job_1", "status": "queued", "audio_url": "u",
                          "language": null, "metadata": null,
                          "created_at": "2026-01-01T00:00:00.500Z"});
        assert_eq!(
            job_item(full.clone()),
            json!({"id": "job_1", "status": "queued"})
        );
        assert_eq!(
            job(full),
            json!({"id": "job_1", "status": "queued", "created_at": 1_767_225_600.5,
                   "object": "transcription.job"})
        );
        assert_eq!(
            list(vec![], None),
            json!({"object": "list", "has_more": false, "data": []})
        );
        assert_eq!(
            list(vec![json!(1)], Some("c".into()))["next_cursor"],
            json!("c")
        );
    }
}
