//! The shared conformance vectors (`tests/vectors/*.json`) through Rust's own public API,
//! compared with each vector's `expected` here, in Rust (the C and Python runners do the
//! same through their surfaces): `errors`, `retry_after`, `pagination` and `security` over
//! loopback against the replay server (`surefoot_emulator::replay`), `idempotency` against
//! the PyAI emulator, `retry_decision` through the retry policy, `pacing` through the pacer
//! on a virtual clock (see `vectors/observe.rs`). `options` vectors have runners of their
//! own and are only rendered into the docs here.
//!
//! Every `*.json` file in `tests/vectors/` is picked up: adding a file needs no change here.
//! The docs' behaviour page (`docs/guide/behaviour.md`, between its markers) is generated
//! from the vectors; regenerate it with:
//!
//! ```sh
//! UPDATE_BEHAVIOUR=1 cargo test -p surefoot --test vectors
//! ```

#[path = "vectors/bulk.rs"]
mod bulk;
#[path = "vectors/compare.rs"]
mod compare;
#[path = "vectors/decision.rs"]
mod decision;
#[path = "vectors/idempotency.rs"]
mod idempotency;
#[path = "vectors/observe.rs"]
mod observe;
#[path = "vectors/pacing.rs"]
mod pacing;
#[path = "vectors/readme.rs"]
mod readme;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

const MIN_VECTORS: usize = 150;
const START: &str = "<!-- behaviour:start -->";
const END: &str = "<!-- behaviour:end -->";
/// The page of the docs site that holds the generated tables.
const PAGE: &str = "docs/guide/behaviour.md";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vectors_dir() -> PathBuf {
    repo_root().join("tests/vectors")
}

/// One vector with where it comes from and, unless it is an `options` vector, what the
/// Rust surface showed of it.
struct Run {
    file: String,
    vector: Value,
    observed: Option<Value>,
}

/// Every vector, sorted by file name then in file order, as (file name, stem, index, vector).
fn vectors() -> Vec<(String, String, usize, Value)> {
    let dir = vectors_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vector files in {}", dir.display());
    let mut out = Vec::new();
    for p in paths {
        let file = p.file_name().unwrap().to_string_lossy().into_owned();
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
            .unwrap_or_else(|e| panic!("{file}: not valid JSON: {e}"));
        assert!(
            doc["description"].is_string(),
            "{file}: no `description` string"
        );
        let list = doc["vectors"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no `vectors` array"));
        for (i, v) in list.iter().enumerate() {
            out.push((file.clone(), stem.clone(), i, v.clone()));
        }
    }
    out
}

/// Every vector run once (on a runtime of its own), shared by the tests below.
fn runs() -> &'static [Run] {
    static RUNS: OnceLock<Vec<Run>> = OnceLock::new();
    RUNS.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let replay = surefoot_emulator::replay::Replay::start(
                    vectors_dir(),
                    [127, 0, 0, 1].into(),
                    0,
                )
                .await
                .unwrap_or_else(|e| panic!("the replay server refuses the vectors: {e}"));
                let mut out = Vec::new();
                for (file, stem, index, vector) in vectors() {
                    let observed = if vector["family"] == "options" {
                        None
                    } else {
                        let ctx = observe::Ctx {
                            replay: replay.url(),
                            file: stem,
                            index,
                            session: "rust".into(),
                        };
                        let run = observe::observe(&ctx, &vector);
                        Some(
                            match tokio::time::timeout(std::time::Duration::from_secs(60), run)
                                .await
                            {
                                Ok(o) => o,
                                Err(_) => serde_json::json!({"error": "no result within 60 s"}),
                            },
                        )
                    };
                    out.push(Run {
                        file,
                        vector,
                        observed,
                    });
                }
                replay.shutdown().await;
                out
            })
        })
        .join()
        .expect("the vectors run")
    })
}

fn name_of(v: &Value) -> &str {
    v["name"].as_str().unwrap_or("(unnamed)")
}

#[test]
fn every_vector_matches_what_the_rust_surface_shows() {
    let mut failures = Vec::new();
    let mut run = 0;
    for r in runs() {
        let Some(observed) = &r.observed else {
            continue;
        };
        run += 1;
        if let Err(diff) = compare::compare(&r.vector["expected"], observed) {
            failures.push(format!(
                "{}: {}: {diff}\n    observed: {}",
                r.file,
                name_of(&r.vector),
                compare::show(observed)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {run} vectors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_differing_vector_is_reported() {
    // The runner can fail: a wrong expectation for a real observation is a difference.
    let r = runs()
        .iter()
        .find(|r| r.vector["family"] == "retry_after")
        .expect("a retry_after vector");
    let observed = r.observed.as_ref().unwrap();
    let wrong = serde_json::json!({"wait_ms": 123456789});
    let diff = compare::compare(&wrong, observed).unwrap_err();
    assert!(
        diff.starts_with("wait_ms: expected 123456789, observed "),
        "{diff}"
    );
}

#[test]
fn there_are_at_least_150_vectors() {
    let n = runs().iter().filter(|r| r.observed.is_some()).count();
    assert!(
        n >= MIN_VECTORS,
        "only {n} vectors, want at least {MIN_VECTORS}"
    );
}

#[test]
fn every_family_is_covered_and_every_name_is_unique() {
    let mut per_family: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for r in runs() {
        let v = &r.vector;
        let family = v["family"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {}: no family", r.file, name_of(v)));
        assert!(
            observe::FAMILIES.contains(&family) || family == "options",
            "{}: {}: unknown family {family}",
            r.file,
            name_of(v)
        );
        *per_family.entry(family.to_owned()).or_default() += 1;
        let name = v["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: a vector has no name", r.file));
        if let Some(other) = seen.insert(name.to_owned(), r.file.clone()) {
            panic!(
                "vector name {name:?} is used twice ({other} and {})",
                r.file
            );
        }
        assert!(
            v["expected"].as_object().is_some_and(|e| !e.is_empty()),
            "{}: {name}: `expected` must be a non-empty object",
            r.file
        );
    }
    for family in observe::FAMILIES {
        assert!(per_family.contains_key(family), "no vector for {family}");
    }
}

#[test]
fn docs_behaviour_page_is_generated_from_the_vectors() {
    let rows: Vec<readme::Row<'_>> = runs()
        .iter()
        .map(|r| readme::Row {
            vector: &r.vector,
            observed: r.observed.as_ref(),
        })
        .collect();
    let path = repo_root().join(PAGE);
    let text = std::fs::read_to_string(&path).expect(PAGE);
    let (Some(start), Some(end)) = (text.find(START), text.find(END)) else {
        panic!("{PAGE} has no {START} … {END} markers");
    };
    assert!(start < end, "{PAGE} markers are out of order");
    let current = &text[start + START.len()..end];
    let wanted = format!("\n{}", readme::section(&rows));
    if current == wanted {
        return;
    }
    if std::env::var_os("UPDATE_BEHAVIOUR").is_some() {
        std::fs::write(
            &path,
            format!("{}{START}{wanted}{}", &text[..start], &text[end..]),
        )
        .expect("write the behaviour page");
        return;
    }
    let first = current
        .lines()
        .zip(wanted.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("{PAGE}: {a}\nvectors: {b}"))
        .unwrap_or_else(|| "(one is a prefix of the other)".to_owned());
    panic!(
        "{PAGE} differs from the vectors; regenerate it with\n  {}\nfirst difference:\n{first}",
        readme::REGENERATE
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
