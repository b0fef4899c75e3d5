//! The `options` vectors (`tests/vectors/options.json`) through the Rust builder: each
//! vector's value becomes an `OptionValue` given to `ClientBuilder::set` on a generic
//! builder (base URL `http://127.0.0.1:9` unless the vector sets `base_url`), then
//! `build()`; a refusal must carry the vector's code and message, an acceptance must read
//! back the vector's meaning through `Client::describe_option`. The typed builder methods
//! are checked to refuse through the same rules.

use std::time::Duration;

use serde_json::Value;
use surefoot::options::OptionValue;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/options.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/vectors/options.json");
    let doc: Value = serde_json::from_str(&text).expect("options.json is JSON");
    doc["vectors"].as_array().expect("a vectors array").clone()
}

/// A vector's JSON value as the Rust surface gives it.
fn value(v: &Value) -> OptionValue {
    match v {
        Value::Null => OptionValue::None,
        Value::Bool(b) => OptionValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => OptionValue::Int(i128::from(i)),
            None => OptionValue::Float(n.as_f64().expect("a number")),
        },
        Value::String(s) => OptionValue::Text(s.clone()),
        Value::Array(items) => OptionValue::List(items.iter().map(value).collect()),
        Value::Object(m) => match m.get("special").and_then(Value::as_str) {
            Some("nan") => OptionValue::Float(f64::NAN),
            Some("inf") => OptionValue::Float(f64::INFINITY),
            Some("-inf") => OptionValue::Float(f64::NEG_INFINITY),
            Some(other) => panic!("unknown special value {other:?}"),
            None => OptionValue::Map(m.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        },
    }
}

/// What the builder makes of one vector, as `expected` would say it.
fn observe(option: &str, v: &Value) -> Value {
    let mut b = surefoot::Client::builder();
    if option != "base_url" {
        b = b.base_url("http://127.0.0.1:9");
    }
    let refused = |e: surefoot::Error| serde_json::json!({"accepted": false, "code": e.code(), "message": e.message()});
    if let Err(e) = b.set(option, value(v)) {
        return refused(e);
    }
    match b.build() {
        Err(e) => refused(e),
        Ok(client) => serde_json::json!({
            "accepted": true,
            "meaning": client.describe_option(option),
        }),
    }
}

/// Held by each test of this binary: one removes a variable the other's builds read.
static ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_option_vector_through_the_builder() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    // The default pacing store is the in-process one only without this variable.
    // SAFETY: the only other thread of this binary that reads the environment is the other
    // test, and it waits for `ENV`.
    unsafe { std::env::remove_var(surefoot::PACING_STORE_ENV) };
    let vectors = vectors();
    assert!(
        vectors.len() >= 100,
        "only {} option vectors",
        vectors.len()
    );
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for v in &vectors {
        let name = v["name"].as_str().expect("a name");
        assert!(names.insert(name.to_owned()), "{name}: name used twice");
        assert_eq!(v["family"], "options", "{name}");
        for member in v.as_object().expect("an object").keys() {
            assert!(
                ["family", "name", "readme", "input", "expected"].contains(&member.as_str()),
                "{name}: unknown member {member}"
            );
        }
        let option = v["input"]["option"].as_str().expect("input.option");
        let observed = observe(option, &v["input"]["value"]);
        if observed != v["expected"] {
            failures.push(format!(
                "{name}:\n    expected {}\n    observed {observed}",
                v["expected"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn the_typed_builder_methods_refuse_by_the_same_rules() {
    let _env = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let base = || surefoot::Client::builder().base_url("http://127.0.0.1:9");
    let message = |b: surefoot::ClientBuilder| b.build().unwrap_err().message().to_owned();
    assert_eq!(
        message(base().max_concurrent_sessions(0)),
        "max_concurrent_sessions must be between 1 and 4294967295, or none for no cap (got 0)"
    );
    assert_eq!(
        message(base().timeout(Duration::ZERO)),
        "timeout must be greater than zero, or none for no timeout (got 0.0 s)"
    );
    assert_eq!(
        message(base().connect_timeout(Duration::ZERO)),
        "connect_timeout must be greater than zero (got 0.0 s)"
    );
    assert_eq!(
        message(base().backoff(Duration::from_secs(2), Duration::from_secs(1))),
        "backoff cap must not be below its base (got base 2.0 s, cap 1.0 s)"
    );
    assert_eq!(
        message(base().deadline(Duration::from_secs(400 * 86400))),
        "deadline must be at most 31536000 s (365 days) (got 34560000.0 s)"
    );
    assert_eq!(
        message(base().max_response_bytes(0)),
        "max_response_bytes must be between 1 and 9223372036854775807 (got 0)"
    );
    // The first refusal is the one reported; later settings do not hide it.
    assert_eq!(
        message(base().user_agent("").max_retries(2)),
        "user_agent must not be empty or blank, or none for the default"
    );
    // Accepted values read back as the vectors say.
    let client = base()
        .timeout(Duration::from_millis(250))
        .max_concurrent_sessions(3)
        .rate_limit(surefoot::RateLimit::per_second(20).burst(5))
        .build()
        .unwrap();
    assert_eq!(client.describe_option("timeout").as_deref(), Some("0.25 s"));
    assert_eq!(
        client.describe_option("max_concurrent_sessions").as_deref(),
        Some("3")
    );
    assert_eq!(
        client.describe_option("rate_limit").as_deref(),
        Some("20/s burst 5")
    );
    assert_eq!(client.describe_option("nope"), None);
}
