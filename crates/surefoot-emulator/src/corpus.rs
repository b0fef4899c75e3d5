//! Specala's deterministic transcriptions. Each workspace holds `transcriptions_per_workspace`
//! items generated from (workspace, index) alone — no storage, no randomness: ids like
//! `tr_alpha_000123`, a title, a language, a duration, a creation time three hours after
//! the previous one (so the highest index is the newest), and a few sentences of text.
//! Exports render the same item as Markdown (`# title`, blank line, text) or plain text.

use serde_json::{json, Value};

/// First creation time: 2024-01-01T00:00:00Z.
const EPOCH_SECS: i64 = 1_704_067_200;
/// Spacing between consecutive transcriptions.
const STEP_SECS: i64 = 3 * 3600;

const TOPICS: [&str; 12] = [
    "Weekly sync",
    "Customer interview",
    "Product review",
    "Design critique",
    "Board update",
    "Sales call",
    "Engineering standup",
    "Research debrief",
    "Hiring panel",
    "Quarterly planning",
    "Support escalation",
    "Podcast episode",
];
const LANGUAGES: [&str; 8] = ["en", "en", "de", "fr", "es", "en", "it", "pt"];
const SPEAKERS: [&str; 8] = [
    "Ana", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana",
];
const VERBS: [&str; 8] = [
    "reviewed",
    "questioned",
    "summarised",
    "proposed",
    "postponed",
    "approved",
    "estimated",
    "rewrote",
];
const OBJECTS: [&str; 10] = [
    "the launch checklist",
    "the pricing page",
    "the onboarding flow",
    "the incident report",
    "the hiring plan",
    "the latency budget",
    "the support backlog",
    "the roadmap for next quarter",
    "the migration script",
    "the customer feedback",
];
const CLOSERS: [&str; 6] = [
    "Everyone agreed to follow up by Friday.",
    "Action items were assigned before the call ended.",
    "The group asked for more data before deciding.",
    "Nobody objected, so it moves forward.",
    "A second session was scheduled for next week.",
    "Notes were shared in the team channel.",
];

/// `ws_alpha` → `alpha` (the part used in transcription ids).
pub(crate) fn short_workspace(workspace: &str) -> &str {
    workspace.strip_prefix("ws_").unwrap_or(workspace)
}

/// The id of item `index` of `workspace`.
pub(crate) fn id_for(workspace: &str, index: usize) -> String {
    format!("tr_{}_{index:06}", short_workspace(workspace))
}

/// The index of `id` if it names one of the `count` items of `workspace`.
pub(crate) fn parse_id(workspace: &str, id: &str, count: usize) -> Option<usize> {
    let rest = id
        .strip_prefix("tr_")?
        .strip_prefix(short_workspace(workspace))?
        .strip_prefix('_')?;
    if rest.len() < 6 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index: usize = rest.parse().ok()?;
    (index < count && id_for(workspace, index) == id).then_some(index)
}

/// FNV-1a, for a stable per-workspace seed.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64 step: a deterministic stream of "random-looking" numbers.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], n: u64) -> &'a str {
    list[(n % list.len() as u64) as usize]
}

fn title(index: usize) -> String {
    format!("{} #{}", TOPICS[index % TOPICS.len()], index + 1)
}

fn text(workspace: &str, index: usize) -> String {
    let mut seed = fnv(workspace) ^ (index as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut next = || {
        seed = mix(seed);
        seed
    };
    let sentences = 2 + (next() % 3) as usize;
    let mut out = Vec::with_capacity(sentences + 1);
    for _ in 0..sentences {
        out.push(format!(
            "{} {} {}.",
            pick(&SPEAKERS, next()),
            pick(&VERBS, next()),
            pick(&OBJECTS, next())
        ));
    }
    out.push(pick(&CLOSERS, next()).to_string());
    out.join(" ")
}

/// The JSON of item `index` of `workspace`.
pub(crate) fn transcription(workspace: &str, index: usize) -> Value {
    let created = EPOCH_SECS + STEP_SECS * index as i64;
    let tenths = mix(fnv(workspace) ^ index as u64) % 36_000 + 300;
    json!({
        "id": id_for(workspace, index),
        "title": title(index),
        "language": LANGUAGES[index % LANGUAGES.len()],
        "duration_seconds": tenths as f64 / 10.0,
        "created_at": crate::clock::rfc3339(created, 0),
        "text": text(workspace, index),
    })
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Markdown,
    Text,
}

impl Format {
    pub(crate) fn parse(s: &str) -> Option<Format> {
        match s {
            "md" => Some(Format::Markdown),
            "txt" => Some(Format::Text),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Text => "txt",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        }
    }
}

/// The exported document of item `index` of `workspace`.
pub(crate) fn export(workspace: &str, index: usize, format: Format) -> String {
    let (title, text) = (title(index), text(workspace, index));
    match format {
        Format::Markdown => format!("# {title}\n\n{text}\n"),
        Format::Text => format!("{title}\n\n{text}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_parseable() {
        assert_eq!(transcription("ws_alpha", 7), transcription("ws_alpha", 7));
        assert_ne!(text("ws_alpha", 7), text("ws_beta", 7));
        assert_eq!(id_for("ws_alpha", 123), "tr_alpha_000123");
        assert_eq!(parse_id("ws_alpha", "tr_alpha_000123", 3000), Some(123));
        assert_eq!(parse_id("ws_beta", "tr_alpha_000123", 3000), None);
        assert_eq!(parse_id("ws_alpha", "tr_alpha_003000", 3000), None);
        assert_eq!(parse_id("ws_alpha", "tr_alpha_0123", 3000), None);
        assert!(export("ws_alpha", 0, Format::Markdown).starts_with("# Weekly sync #1\n\n"));
        assert_eq!(
            transcription("ws_alpha", 1)["created_at"],
            "2024-01-01T03:00:00Z"
        );
    }
}
