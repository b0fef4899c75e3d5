//! Progress on stderr (indicatif): done/total, rate, ETA, and the client's retries, 429s
//! and limiter wait, refreshed from [`surefoot::Metrics`]. Hidden with `--quiet` or when
//! stderr is not a terminal, so logs and pipes stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use surefoot::Metrics;

/// What the user asked to see.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// `--quiet`: no progress, no summary.
    pub quiet: bool,
}

impl Ui {
    /// Whether progress bars are drawn (not quiet, stderr is a terminal).
    pub fn bars(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// A progress bar (or spinner) following one client's metrics.
pub struct Progress {
    bar: ProgressBar,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

fn counters(m: &Metrics) -> String {
    format!(
        "retries {} · 429s {} · limiter wait {}",
        m.retries,
        m.rate_limited,
        crate::units::limiter_wait(m)
    )
}

impl Progress {
    /// A bar of `len` items.
    pub fn bar(ui: Ui, len: u64, prefix: &str, client: &surefoot::Client) -> Progress {
        let style = ProgressStyle::with_template(
            "{prefix:>8.bold} {wide_bar:.cyan/blue} {pos}/{len} · {rate} · ETA {eta} · {msg}",
        )
        .expect("valid template")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
        Progress::start(ui, ProgressBar::new(len).with_style(style), prefix, client)
    }

    /// A spinner counting items of unknown total.
    pub fn spinner(ui: Ui, prefix: &str, client: &surefoot::Client) -> Progress {
        let style = ProgressStyle::with_template("{spinner} {prefix:>8.bold} {pos} · {msg}")
            .expect("valid template");
        let p = Progress::start(
            ui,
            ProgressBar::no_length().with_style(style),
            prefix,
            client,
        );
        if ui.bars() {
            p.bar.enable_steady_tick(Duration::from_millis(120));
        }
        p
    }

    fn start(ui: Ui, bar: ProgressBar, prefix: &str, client: &surefoot::Client) -> Progress {
        if !ui.bars() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
            return Progress { bar, ticker: None };
        }
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        bar.set_prefix(prefix.to_string());
        let start = client.metrics();
        bar.set_message(counters(&Metrics::default()));
        let (b, c) = (bar.clone(), client.clone());
        let ticker = tokio::spawn(async move {
            loop {
                b.set_message(counters(&c.metrics().since(&start)));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Progress {
            bar,
            ticker: Some(ticker),
        }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Prints a line on stderr above the bar (always, even when the bar is hidden).
    pub fn report(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(t) = &self.ticker {
            t.abort();
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(t) = self.ticker.take() {
            t.abort();
        }
    }
}
