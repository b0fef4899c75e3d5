//! The docs' behaviour page (`docs/guide/behaviour.md`), rendered from the conformance vectors marked `readme`
//! (with what the Rust runner observed for them) and from every `options` vector (with its
//! `expected`: those vectors have runners of their own). `tests/vectors.rs` fails when
//! the page differs and rewrites it under `UPDATE_BEHAVIOUR=1`.
//!
//! ```ignore
//! let section = readme::section(&runs);
//! ```

use serde_json::Value;

pub const REGENERATE: &str = "UPDATE_BEHAVIOUR=1 cargo test -p surefoot --test vectors";

/// One vector and, unless it is an `options` vector, what Rust observed for it.
pub struct Row<'a> {
    pub vector: &'a Value,
    pub observed: Option<&'a Value>,
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn human_ms(v: &Value) -> String {
    let Some(ms) = v.as_f64() else {
        return "–".to_owned();
    };
    let secs = ms / 1000.0;
    let s = format!("{secs:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if secs >= 3600.0 && (secs / 3600.0).fract() == 0.0 {
        format!("{s} s ({} h)", secs / 3600.0)
    } else {
        format!("{s} s")
    }
}

/// The observed results of `family`'s vectors marked `readme`, with their labels. A member
/// the vector compares within a `<member>_tolerance` (a wait from an HTTP-date, which
/// depends on the clock) is shown as the vector expects it, so the page stays stable.
fn labelled(rows: &[Row<'_>], family: &str) -> Vec<(String, Value)> {
    rows.iter()
        .filter(|r| r.vector["family"] == family)
        .filter_map(|r| {
            let mut o = r.observed?.clone();
            if let (Some(e), Some(obj)) = (r.vector["expected"].as_object(), o.as_object_mut()) {
                for key in e.keys().filter_map(|k| k.strip_suffix("_tolerance")) {
                    if let Some(v) = e.get(key) {
                        obj.insert(key.to_owned(), v.clone());
                    }
                }
            }
            Some((r.vector["readme"].as_str()?.to_owned(), o))
        })
        .collect()
}

/// A JSON value of an `options` vector as the page shows it.
fn option_value(v: &Value) -> String {
    match v.get("special").and_then(Value::as_str) {
        Some("nan") => "NaN".to_owned(),
        Some("inf") => "+∞".to_owned(),
        Some("-inf") => "−∞".to_owned(),
        _ => format!("`{}`", v.to_string().replace('`', "'")),
    }
}

pub fn section(rows: &[Row<'_>]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Generated from the conformance vectors in `tests/vectors/` (the vectors marked `readme`; \
         the files hold every case; `tests/vectors/README.md` says which languages run which \
         family). Regenerate with `{REGENERATE}`. A retryable error is retried within the policy \
         of the third table.\n\n"
    ));

    out.push_str("| The server answers | `code` | `kind` | Retryable? | `retry_after` |\n|---|---|---|---|---|\n");
    for (label, o) in labelled(rows, "errors") {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            cell(&label),
            o["code"].as_str().unwrap_or("?"),
            o["kind"].as_str().unwrap_or("?"),
            if o["retryable"] == true { "yes" } else { "no" },
            human_ms(&o["retry_after_ms"]),
        ));
    }

    out.push_str("\n| Header | Wait before the retry |\n|---|---|\n");
    for (label, o) in labelled(rows, "retry_after") {
        let wait = match &o["wait_ms"] {
            Value::String(_) => "ignored (the backoff applies)".to_owned(),
            v => human_ms(v),
        };
        out.push_str(&format!("| {} | {wait} |\n", cell(&label)));
    }

    out.push_str("\n| After a failed attempt (default policy) | Decision |\n|---|---|\n");
    for (label, o) in labelled(rows, "retry_decision") {
        let decision = if o["decision"] == "retry" {
            format!("retry after {}", human_ms(&o["after_ms"]))
        } else {
            let mut d = format!("fail now: `{}`", o["reason"].as_str().unwrap_or("?"));
            if !o["retry_after_ms"].is_null() {
                d.push_str(&format!(
                    ", `retry_after` {}",
                    human_ms(&o["retry_after_ms"])
                ));
            }
            d
        };
        out.push_str(&format!("| {} | {decision} |\n", cell(&label)));
    }

    let wire = labelled(rows, "retries");
    if !wire.is_empty() {
        out.push_str("\n| A real call meets | Attempts | Result |\n|---|---|---|\n");
        for (label, o) in wire {
            let result = if o["outcome"] == "ok" {
                format!("{}", o["status"])
            } else {
                let mut r = format!(
                    "`{}`, `{}`",
                    o["error_code"].as_str().unwrap_or("?"),
                    o["stop_reason"].as_str().unwrap_or("?")
                );
                if !o["retry_after_ms"].is_null() {
                    r.push_str(&format!(
                        ", `retry_after` {}",
                        human_ms(&o["retry_after_ms"])
                    ));
                }
                r
            };
            out.push_str(&format!(
                "| {} | {} | {result} |\n",
                cell(&label),
                o["attempts"]
            ));
        }
    }

    out.push_str("\n| While paginating | Outcome |\n|---|---|\n");
    for (label, o) in labelled(rows, "pagination") {
        let items = match o["items"].as_array().map_or(0, Vec::len) {
            1 => "1 item".to_owned(),
            n => format!("{n} items"),
        };
        let outcome = if o["stopped"] == "end" {
            format!("{items}, then the end")
        } else {
            format!(
                "{items}, then `{}`: {}",
                o["error_code"].as_str().unwrap_or("?"),
                cell(o["error_message"].as_str().unwrap_or("?"))
            )
        };
        out.push_str(&format!("| {} | {outcome} |\n", cell(&label)));
    }

    out.push_str("\n| Checked before sending | Result |\n|---|---|\n");
    for (label, o) in labelled(rows, "security") {
        let result = if o["accepted"] == true {
            "accepted".to_owned()
        } else {
            format!(
                "`{}`: {}",
                o["code"].as_str().unwrap_or("?"),
                cell(o["message"].as_str().unwrap_or("?"))
            )
        };
        out.push_str(&format!("| {} | {result} |\n", cell(&label)));
    }

    let idem = labelled(rows, "idempotency");
    if !idem.is_empty() {
        out.push_str(
            "\n| Creating a job when | Jobs created | Requests | Result |\n|---|---|---|---|\n",
        );
        for (label, o) in idem {
            let result = if o["outcome"] == "created" {
                match o["idempotent_replays"].as_u64() {
                    Some(1) => "the job (1 replay)".to_owned(),
                    n => format!("the job ({} replays)", n.unwrap_or(0)),
                }
            } else {
                format!(
                    "`{}`, with the key to retry with",
                    o["error_code"].as_str().unwrap_or("?")
                )
            };
            out.push_str(&format!(
                "| {} | {} | {} | {result} |\n",
                cell(&label),
                o["jobs_created"],
                o["requests"]
            ));
        }
    }

    let pacing = labelled(rows, "pacing");
    if !pacing.is_empty() {
        out.push_str("\n| Pacing (virtual clock) | Waits before each send |\n|---|---|\n");
        for (label, o) in pacing {
            let mut waits: Vec<(String, usize)> = Vec::new();
            for w in o["waits_ms"].as_array().into_iter().flatten().map(human_ms) {
                match waits.last_mut() {
                    Some((last, n)) if *last == w => *n += 1,
                    _ => waits.push((w, 1)),
                }
            }
            let waits: Vec<String> = waits
                .into_iter()
                .map(|(w, n)| {
                    if n > 3 {
                        format!("{w} ×{n}")
                    } else {
                        vec![w; n].join(", ")
                    }
                })
                .collect();
            out.push_str(&format!("| {} | {} |\n", cell(&label), waits.join(", ")));
        }
    }

    let options: Vec<&Value> = rows
        .iter()
        .map(|r| r.vector)
        .filter(|v| v["family"] == "options")
        .collect();
    if !options.is_empty() {
        out.push_str("\n| Option | Value | Result |\n|---|---|---|\n");
        for v in options {
            let input = &v["input"];
            let value = match v["readme"].as_str() {
                Some(label) => cell(label),
                None => cell(&option_value(&input["value"])),
            };
            let e = &v["expected"];
            let result = if e["accepted"] == true {
                cell(e["meaning"].as_str().unwrap_or("accepted"))
            } else {
                format!("refused: {}", cell(e["message"].as_str().unwrap_or("?")))
            };
            out.push_str(&format!(
                "| `{}` | {value} | {result} |\n",
                input["option"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_are_rendered_generically() {
        let vs = [
            json!({"family": "options", "name": "a", "input": {"option": "max_retries", "value": 0},
                   "expected": {"accepted": true, "meaning": "no retries"}}),
            json!({"family": "options", "name": "b", "input": {"option": "timeout", "value": {"special": "nan"}},
                   "expected": {"accepted": false, "code": "invalid_request", "message": "timeout must be a number | finite"}}),
            json!({"family": "options", "name": "c", "readme": "10 000 spaces", "input": {"option": "api_key", "value": "          "},
                   "expected": {"accepted": false, "code": "invalid_request", "message": "API key is empty"}}),
        ];
        let rows: Vec<Row<'_>> = vs
            .iter()
            .map(|v| Row {
                vector: v,
                observed: None,
            })
            .collect();
        let s = section(&rows);
        assert!(
            s.contains("\n| Option | Value | Result |\n|---|---|---|\n"),
            "{s}"
        );
        assert!(s.contains("| `max_retries` | `0` | no retries |\n"), "{s}");
        assert!(
            s.contains("| `timeout` | NaN | refused: timeout must be a number \\| finite |\n"),
            "{s}"
        );
        assert!(
            s.contains("| `api_key` | 10 000 spaces | refused: API key is empty |\n"),
            "{s}"
        );
        let without: Vec<Row<'_>> = Vec::new();
        assert!(!section(&without).contains("| Option |"));
    }
}
