//! The shared conformance vectors (`tests/vectors/*.json`) run through
//! `surefoot::conformance::check`, the entry point the C and Python runners wrap too, and
//! the README's "Behaviour" section, generated from what those vectors observe.
//!
//! Every `*.json` file in `tests/vectors/` is picked up: adding a file needs no change here.
//! Regenerate the README section with:
//!
//! ```sh
//! UPDATE_BEHAVIOUR=1 cargo test -p surefoot --test vectors
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;
use surefoot::conformance;

const MIN_VECTORS: usize = 150;
const START: &str = "<!-- behaviour:start -->";
const END: &str = "<!-- behaviour:end -->";
const REGENERATE: &str = "UPDATE_BEHAVIOUR=1 cargo test -p surefoot --test vectors";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every vector file, sorted by name, as (file name, text).
fn vector_files() -> Vec<(String, String)> {
    let dir = repo_root().join("tests/vectors");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (name, text)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no vector files in {}", dir.display());
    files
}

/// Every vector, in file order, as (file name, vector).
fn vectors() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (file, text) in vector_files() {
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: not valid JSON: {e}"));
        let vectors = doc["vectors"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no `vectors` array"));
        assert!(
            doc["description"].is_string(),
            "{file}: no `description` string"
        );
        for v in vectors {
            out.push((file.clone(), v.clone()));
        }
    }
    out
}

fn name_of(v: &Value) -> &str {
    v["name"].as_str().unwrap_or("(unnamed)")
}

#[test]
fn every_vector_matches_the_core() {
    let all = vectors();
    let mut failures = Vec::new();
    for (file, v) in &all {
        let (ok, verdict) = conformance::check(&v.to_string());
        if !ok {
            let verdict: Value = serde_json::from_str(&verdict).expect("verdict is JSON");
            failures.push(format!(
                "{file}: {}: {}\n    observed: {}",
                name_of(v),
                verdict["diff"].as_str().unwrap_or("?"),
                verdict["observed"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ from the core:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn whole_files_check_like_single_vectors() {
    // The C runner hands over whole files; the verdict must agree with vector-by-vector runs.
    for (file, text) in vector_files() {
        let (ok, verdict) = conformance::check(&text);
        let verdict: Value = serde_json::from_str(&verdict).expect("verdict is JSON");
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            verdict["total"].as_u64(),
            Some(doc["vectors"].as_array().unwrap().len() as u64),
            "{file}"
        );
        assert!(ok, "{file}:\n{}", verdict["report"].as_str().unwrap_or("?"));
    }
}

#[test]
fn there_are_at_least_150_vectors() {
    let n = vectors().len();
    assert!(
        n >= MIN_VECTORS,
        "only {n} vectors, want at least {MIN_VECTORS}"
    );
}

#[test]
fn every_family_is_covered_and_every_name_is_unique() {
    let mut per_family: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (file, v) in vectors() {
        let family = v["family"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: {}: no family", name_of(&v)));
        assert!(
            conformance::FAMILIES.contains(&family),
            "{file}: {}: unknown family {family}",
            name_of(&v)
        );
        *per_family.entry(family.to_owned()).or_default() += 1;
        let name = v["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: a vector has no name"));
        if let Some(other) = seen.insert(name.to_owned(), file.clone()) {
            panic!("vector name {name:?} is used twice ({other} and {file})");
        }
        assert!(
            v["expected"].as_object().is_some_and(|e| !e.is_empty()),
            "{file}: {name}: `expected` must be a non-empty object"
        );
    }
    for family in conformance::FAMILIES {
        assert!(per_family.contains_key(family), "no vector for {family}");
    }
}

// ----- the README's Behaviour section -------------------------------------------------------

fn observed(v: &Value) -> Value {
    serde_json::from_str(&conformance::run_vector(&v.to_string())).expect("observed is JSON")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn human_ms(v: &Value) -> String {
    let Some(ms) = v.as_f64() else {
        return "–".to_owned();
    };
    let secs = ms / 1000.0;
    let mut s = format!("{secs:.4}");
    s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    if secs >= 3600.0 && (secs / 3600.0).fract() == 0.0 {
        format!("{s} s ({} h)", secs / 3600.0)
    } else {
        format!("{s} s")
    }
}

fn behaviour_section() -> String {
    let all = vectors();
    let labelled = |family: &str| -> Vec<(String, Value)> {
        all.iter()
            .filter(|(_, v)| v["family"] == family)
            .filter_map(|(_, v)| Some((v["readme"].as_str()?.to_owned(), observed(v))))
            .collect()
    };
    let mut out = String::new();
    out.push_str("#### Behaviour\n\n");
    out.push_str(&format!(
        "Generated from the conformance vectors in `tests/vectors/` that the Rust, C and Python \
         suites all run (the vectors marked `readme`; the files hold every case). Regenerate \
         with `{REGENERATE}`. A retryable error is retried within the policy of the third \
         table.\n\n"
    ));

    out.push_str("| The server answers | `code` | `kind` | Retryable? | `retry_after` |\n");
    out.push_str("|---|---|---|---|---|\n");
    for (label, o) in labelled("errors") {
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
    for (label, o) in labelled("retry_after") {
        let wait = match &o["wait_ms"] {
            Value::String(_) => "ignored (the backoff applies)".to_owned(),
            v => human_ms(v),
        };
        out.push_str(&format!("| {} | {wait} |\n", cell(&label)));
    }

    out.push_str("\n| After a failed attempt (default policy) | Decision |\n|---|---|\n");
    for (label, o) in labelled("retry_decision") {
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

    out.push_str("\n| While paginating | Outcome |\n|---|---|\n");
    for (label, o) in labelled("pagination") {
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
    for (label, o) in labelled("security") {
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
    out
}

#[test]
fn readme_behaviour_section_is_generated_from_the_vectors() {
    let path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no {START} … {END} markers");
    };
    assert!(start < end, "README.md markers are out of order");
    let current = &readme[start + START.len()..end];
    let wanted = format!("\n{}", behaviour_section());
    if current == wanted {
        return;
    }
    if std::env::var_os("UPDATE_BEHAVIOUR").is_some() {
        let updated = format!("{}{START}{wanted}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    let first_difference = current
        .lines()
        .zip(wanted.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("README: {a}\nvectors: {b}"))
        .unwrap_or_else(|| "(one is a prefix of the other)".to_owned());
    panic!(
        "README.md's Behaviour section differs from what the vectors observe; regenerate it with\n  {REGENERATE}\nfirst difference:\n{first_difference}"
    );
}

/// Specala's and PyAI's profiles carry error-shape hints; on every error vector of their
/// own API they decode exactly what the general decoding does (the hints name where the
/// documented shapes put each part, so they never disagree with it).
#[test]
fn the_profiles_error_shapes_agree_with_the_vectors_of_their_api() {
    let mut checked = 0;
    for (file, profile) in [
        ("errors-pyai.json", surefoot::pyai::profile()),
        ("errors-specala.json", surefoot::specala::profile()),
    ] {
        let text = std::fs::read_to_string(repo_root().join("tests/vectors").join(file)).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let input = &v["input"];
            let status = input["status"].as_u64().unwrap() as u16;
            let mut headers = http::HeaderMap::new();
            for pair in input["headers"].as_array().into_iter().flatten() {
                headers.append(
                    http::HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap(),
                    pair[1].as_str().unwrap().parse().unwrap(),
                );
            }
            if let Some(ct) = input["content_type"].as_str() {
                headers.insert("content-type", ct.parse().unwrap());
            }
            let body = match (&input["body_json"], &input["body"]) {
                (Value::Null, Value::String(s)) => s.clone().into_bytes(),
                (Value::Null, _) => Vec::new(),
                (j, _) => serde_json::to_vec(j).unwrap(),
            };
            let general = surefoot::Error::from_response(status, &headers, &body, false);
            let shaped = profile.error_shape().decode(status, &headers, &body, false);
            let what = format!("{file}: {}", name_of(v));
            assert_eq!(shaped.code(), general.code(), "{what}");
            assert_eq!(shaped.kind(), general.kind(), "{what}");
            assert_eq!(shaped.message(), general.message(), "{what}");
            assert_eq!(shaped.request_id(), general.request_id(), "{what}");
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked} vectors");
}
