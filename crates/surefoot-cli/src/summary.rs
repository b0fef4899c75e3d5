//! The end-of-run summaries: items, requests sent, retries, 429s received, duplicates
//! avoided, time waited, and wall time against the ideal the rate limit allows.

use std::fmt::Write as _;
use std::time::Duration;

use surefoot::{Metrics, RateLimit};

use crate::units::{limiter_wait, secs};
use crate::{export, submit};

/// The least time `requests` can take under `limit`: the burst goes at once, the rest at
/// the sustained rate.
pub fn ideal(requests: usize, limit: Option<RateLimit>) -> Option<Duration> {
    let l = limit?;
    let paced = requests.saturating_sub(l.burst_size() as usize);
    Some(l.emission_interval().mul_f64(paced as f64))
}

/// `wall time 12.1s · ideal at 100/s burst 10: 11.9s (1200 requests) · 1.02× the ideal`.
fn timing(wall: Duration, requests: usize, limit: Option<RateLimit>) -> String {
    let mut s = secs(wall);
    match ideal(requests, limit) {
        Some(ideal) if ideal >= Duration::from_millis(200) => {
            let _ = write!(
                s,
                " · ideal at {}: {} ({requests} requests) · {:.2}× the ideal",
                limit.expect("ideal needs a limit").human(),
                secs(ideal),
                wall.as_secs_f64() / ideal.as_secs_f64()
            );
        }
        Some(ideal) => {
            let _ = write!(
                s,
                " · ideal at {}: {} (too short to compare)",
                limit.expect("ideal needs a limit").human(),
                secs(ideal)
            );
        }
        None => s.push_str(" · ideal unknown: no rate limit known (pass --rate-limit)"),
    }
    s
}

fn trouble(m: &Metrics) -> String {
    format!(
        "{} retries · {} 429s received · {} 5xx · {} connections failed or dropped",
        m.retries, m.rate_limited, m.server_errors, m.connection_errors
    )
}

fn waited(m: &Metrics) -> String {
    format!(
        "limiter {} · backoff {} in all",
        limiter_wait(m),
        secs(m.backoff_wait)
    )
}

/// The summary of an export.
pub fn export(r: &export::Report) -> String {
    let m = &r.metrics;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Specala export → {} ({})",
        r.out.display(),
        r.format.as_str()
    );
    let _ = writeln!(
        s,
        "  transcriptions     {} listed · {} written · {} already there (skipped) · 0 failed",
        r.listed, r.written, r.skipped
    );
    let _ = writeln!(
        s,
        "  requests sent      {} ({} list pages + {} bulk exports of ≤100 ids needed)",
        m.requests_sent, r.pages, r.chunks
    );
    let _ = writeln!(s, "  trouble met        {}", trouble(m));
    let _ = writeln!(
        s,
        "  duplicates avoided {} (files already there are not fetched again)",
        r.skipped
    );
    let _ = writeln!(s, "  waited             {}", waited(m));
    let _ = writeln!(
        s,
        "  wall time          {}",
        timing(r.wall, r.pages + r.chunks, r.limit)
    );
    s
}

/// The summary of a submit.
pub fn submit(r: &submit::Report) -> String {
    let m = &r.metrics;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "PyAI submit {} → {}{}",
        r.input.display(),
        r.output.display(),
        if r.interrupted { " (interrupted)" } else { "" }
    );
    let _ = writeln!(
        s,
        "  lines              {} · {} done now · {} already done (skipped) · {} failed · {} malformed",
        r.lines,
        r.done,
        r.already_done,
        r.failed.len(),
        r.malformed.len()
    );
    if r.repeated > 0 {
        let _ = writeln!(
            s,
            "                     {} line(s) repeat an earlier line's key: one job for each group",
            r.repeated
        );
    }
    if r.requeued > 0 {
        let _ = writeln!(
            s,
            "                     {} line(s) met trouble beyond the retries and went back in the queue (same key)",
            r.requeued
        );
    }
    let _ = writeln!(
        s,
        "  requests sent      {} ({} job creations needed)",
        m.requests_sent, r.submitted
    );
    let _ = writeln!(s, "  trouble met        {}", trouble(m));
    let _ = writeln!(
        s,
        "  duplicates avoided {} (the server replayed the job it had already created for the key)",
        m.replays
    );
    let _ = writeln!(s, "  waited             {}", waited(m));
    // Interrupted runs are compared with the ideal time of what they finished.
    let _ = writeln!(
        s,
        "  wall time          {}",
        timing(r.wall, r.answered, r.limit)
    );
    if !r.failed.is_empty() {
        // Each failed line was reported once as it failed; here only where to find them.
        let _ = writeln!(
            s,
            "  failed lines       {} (each reported above, and in {})",
            r.failed.len(),
            r.output.display()
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideal_time_takes_the_burst_at_once() {
        let l = RateLimit::per_second(100).burst(10);
        assert_eq!(ideal(110, Some(l)), Some(Duration::from_secs(1)));
        assert_eq!(ideal(5, Some(l)), Some(Duration::ZERO));
        assert_eq!(ideal(5, None), None);
        let specala = ideal(61, Some(RateLimit::per_minute(500))).unwrap();
        assert_eq!(specala.as_millis(), 7200, "60 gaps of 120 ms");
    }

    #[test]
    fn learned_limits_read_as_a_rate() {
        let learned = RateLimit::new(1, Duration::from_secs_f64(0.028_763_531));
        let line = timing(Duration::from_secs(10), 1000, Some(learned));
        assert!(line.contains("ideal at ≈35/s:"), "{line}");
    }
}
