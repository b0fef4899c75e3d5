//! How durations, waits and rates read in the CLI's output (progress, summaries, error
//! messages): a leaf every other module may use. Rates use the core's display rule
//! ([`surefoot::RateLimit::human`]).

use std::time::Duration;

use surefoot::Metrics;

/// `1.23s`, `850ms`, `2m05s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{}ms", d.as_millis())
    } else if s < 120.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// Time waited on the limiter: the total over requests (they wait side by side, so it can
/// exceed the wall time) and the average per request.
pub fn limiter_wait(m: &Metrics) -> String {
    let avg = m.pacing_wait.div_f64(m.requests_sent.max(1) as f64);
    format!("{} in all, {} per request", secs(m.pacing_wait), secs(avg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(secs(Duration::from_millis(850)), "850ms");
        assert_eq!(secs(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(secs(Duration::from_secs(125)), "2m05s");
    }
}
