//! The core's layers point one way (ARCHITECTURE.md): this test reads every source file of
//! `src/`, resolves each `crate::…`, `$crate::…` and `super::…` path outside comments and
//! `#[cfg(test)]` blocks to the top-level module it lands in (a root re-export such as
//! `crate::Error` or `crate::options` counts as the module it re-exports), and fails when
//! a module names one of a higher layer, names a same-layer module it must not, or is
//! missing from the table below.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer, lowest first.
const LAYERS: &[(&str, u32)] = &[
    // Leaves: header parsing, models, secret masking, the lock.
    ("leaves", 0),
    // The error type, its kinds, codes, shapes and body decoding.
    ("error", 1),
    // Option rules, key and URL checks, rate limits, profiles, paths, field names, runtime.
    ("config", 2),
    // Policy: pacing with its stores; retry with its budget and hold.
    ("pacing", 3),
    ("retry", 3),
    // The generic client: builder, call, send loop, response, pagination, metrics.
    ("client", 4),
    // The APIs, plugged in from above: their profiles, typed clients, bulk work.
    ("pyai", 5),
    ("specala", 5),
    ("catalog", 5),
    ("bulk", 5),
    // Blocking wrappers of everything above.
    ("blocking", 6),
];

/// Same-layer imports that are refused: (from, to).
const REFUSED: &[(&str, &str)] = &[
    // Pacing knows nothing of retries (retry's budget and hold keep their state in
    // pacing's store interface, the one same-layer edge allowed).
    ("pacing", "retry"),
    // One API never reaches into the other.
    ("pyai", "specala"),
    ("specala", "pyai"),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's module path below the crate root (`client/request.rs` → `[client, request]`).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The text without comments and without `#[cfg(test)]` items (tests may use anything).
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // Skip the next item: up to its closing brace or its semicolon.
            let mut depth = 0i32;
            let mut opened = false;
            for l in lines.by_ref() {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The root's re-exports: name → the top-level module it comes from.
fn root_aliases(lib: &str) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    let code = code_of(lib);
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest
            .trim_start_matches("crate::")
            .trim_start_matches("self::");
        let top = ident_at(rest).to_owned();
        let names: Vec<&str> = match rest.find('{') {
            Some(i) => rest[i + 1..].trim_end_matches('}').split(',').collect(),
            None => vec![rest.rsplit("::").next().unwrap()],
        };
        for n in names {
            let n = n.split(" as ").last().unwrap().trim();
            if !n.is_empty() {
                aliases.insert(n.to_owned(), top.clone());
            }
        }
    }
    // `pub mod security { pub use … }`: the highest layer it gathers.
    aliases.insert("security".to_owned(), "config".to_owned());
    aliases
}

/// Every top-level module the code names, with the path as written.
fn targets(code: &str, module: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    for (i, _) in code.match_indices("crate::") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let name = ident_at(&code[i + 7..]);
        out.push((name.to_owned(), format!("crate::{name}")));
    }
    for (i, _) in code.match_indices("super::") {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b':') {
            continue;
        }
        // `super` of module `a::b` (`a/b.rs`) is `a`; of `a` (`a/mod.rs`) the root.
        let mut base: Vec<String> = module.to_vec();
        base.pop();
        let mut rest = &code[i + 7..];
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let name = match base.first() {
            Some(top) => top.clone(),
            None => ident_at(rest).to_owned(),
        };
        out.push((name, format!("super::{}", ident_at(rest))));
    }
    out
}

#[test]
fn no_module_names_a_higher_layer() {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let aliases = root_aliases(&lib);
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in files {
        let rel = path.strip_prefix(src()).unwrap().to_path_buf();
        if rel.file_name().is_some_and(|n| n == "tests.rs") || rel == Path::new("lib.rs") {
            continue;
        }
        let module = module_of(&rel);
        let top = module[0].as_str();
        let Some(&own) = layers.get(top) else {
            problems.push(format!(
                "{}: module `{top}` has no layer in LAYERS",
                rel.display()
            ));
            continue;
        };
        let code = code_of(&fs::read_to_string(&path).unwrap());
        for (name, written) in targets(&code, &module) {
            let target = aliases.get(&name).cloned().unwrap_or(name);
            let Some(&theirs) = layers.get(target.as_str()) else {
                continue; // an item of the root itself (a macro, `Result` of a sub-module)
            };
            checked += 1;
            if theirs > own {
                problems.push(format!(
                    "{}: `{written}` points up from {top} (layer {own}) to {target} (layer {theirs})",
                    rel.display()
                ));
            } else if REFUSED.contains(&(top, target.as_str())) {
                problems.push(format!(
                    "{}: `{written}`: {top} must not import {target}",
                    rel.display()
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} paths checked: is the scan broken?"
    );
    assert!(
        problems.is_empty(),
        "layer violations:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scan_sees_an_upward_path() {
    // The checker itself must catch what it is for: a config file naming the client.
    let code = code_of("use crate::Client;\n// crate::pyai in a comment\n#[cfg(test)]\nmod t {\n    use crate::pyai;\n}\n");
    let module = vec!["config".to_owned(), "options".to_owned()];
    let found = targets(&code, &module);
    assert_eq!(
        found,
        vec![("Client".to_owned(), "crate::Client".to_owned())]
    );
    let lib =
        "pub use client::handle::{Client, ClientBuilder};\npub use config::{options, profile};";
    let aliases = root_aliases(lib);
    assert_eq!(aliases["Client"], "client");
    assert_eq!(aliases["options"], "config");
    let up = targets(
        "use super::super::client::X;",
        &["pacing".into(), "redis".into()],
    );
    assert_eq!(up[0].0, "client");
}
