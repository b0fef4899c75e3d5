//! Exit codes (one per error kind) and the one-line "cause — fix" message every failure
//! ends with, in the spirit of the Specala seed's "Common cases" table.

use std::fmt;
use std::process::ExitCode;

use surefoot::error::codes;
use surefoot::{Error, ErrorKind};

/// The exit codes, one per kind of failure. Documented in `--help` and the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything done.
    Ok = 0,
    /// The run finished, but some items failed (each reported with its line or id).
    ItemsFailed = 1,
    /// Bad command line (clap exits with it itself).
    #[allow(dead_code)]
    Usage = 2,
    /// 401: the key is revoked, expired or mistyped.
    Authentication = 3,
    /// 403: the plan has no API access, the key lacks a scope, or the origin is not allowed.
    Permission = 4,
    /// 404: not in this key's workspace.
    NotFound = 5,
    /// 400/422: the server refused a parameter.
    Validation = 6,
    /// 409: an idempotency key reused with a different body.
    Conflict = 7,
    /// 402: no credit, budget or quota left.
    PaymentRequired = 8,
    /// 429 that retries could not outlast (daily cap, a long Retry-After).
    RateLimited = 9,
    /// 5xx after every retry, or an answer that could not be understood.
    Server = 10,
    /// The API could not be reached.
    Connection = 11,
    /// A request or the deadline timed out.
    Timeout = 12,
    /// Refused before sending: missing key, key with whitespace, bad URL or flag value.
    InvalidRequest = 13,
    /// A local file could not be read or written.
    Io = 14,
    /// Interrupted (Ctrl-C); re-run the same command to finish.
    Interrupted = 130,
}

/// The exit-code table shown in `surefoot --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
    0  done
    1  finished, but some items failed (each reported with its line or id)
    2  bad command line
    3  authentication: key revoked, expired or mistyped (401)
    4  permission: plan without API access, key without the scope, origin not allowed (403)
    5  not found: not in this key's workspace (404)
    6  validation: the server refused a parameter (400/422)
    7  conflict: idempotency key reused with a different body (409)
    8  payment required: no credit, budget or quota left (402)
    9  rate limited: 429s that retries could not outlast (daily cap, long Retry-After)
   10  server error: 5xx after every retry, or an answer that made no sense
   11  connection: the API could not be reached
   12  timeout
   13  invalid request: refused before sending (missing key, key with a space, bad URL)
   14  local I/O error (input file, output directory)
  130  interrupted (Ctrl-C): run the same command again to finish";

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }

    /// The exit code of an error kind.
    pub fn for_kind(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::Authentication => Exit::Authentication,
            ErrorKind::Permission => Exit::Permission,
            ErrorKind::NotFound => Exit::NotFound,
            ErrorKind::Validation => Exit::Validation,
            ErrorKind::Conflict => Exit::Conflict,
            ErrorKind::PaymentRequired => Exit::PaymentRequired,
            ErrorKind::RateLimited => Exit::RateLimited,
            ErrorKind::Server => Exit::Server,
            ErrorKind::Connection => Exit::Connection,
            ErrorKind::Timeout => Exit::Timeout,
            ErrorKind::InvalidRequest => Exit::InvalidRequest,
            // A bulk item the run did not finish: run the same command again.
            ErrorKind::NotDone => Exit::Interrupted,
            _ => Exit::Server,
        }
    }
}

/// What a bulk run does with an item's error once the core's retries are spent: the
/// core's own verdict ([`surefoot::Error::verdict`]); the CLI never re-classifies.
pub use surefoot::retry::Verdict;

/// The verdict on an item's final error.
pub fn verdict(e: &Error) -> Verdict {
    e.verdict()
}

/// Which API a failure came from, and where its key came from (for the message).
#[derive(Debug, Clone)]
pub struct Context {
    /// `Specala` or `PyAI`.
    pub api: &'static str,
    /// Where the key came from: `SPECALA_API_KEY` or `--api-key`.
    pub key_source: String,
    /// The key, masked (`spk…0001`), if there is one.
    pub key_mask: Option<String>,
    /// The variable that sets the base URL.
    pub base_url_env: String,
    /// The base URL in use.
    pub base_url: String,
}

/// A failure the command ends with: an exit code, what went wrong and how to fix it.
#[derive(Debug, Clone)]
pub struct CliError {
    pub exit: Exit,
    pub cause: String,
    pub fix: String,
    /// The full error (code, status, request id, attempts), shown above the one-liner.
    pub detail: Option<String>,
}

impl CliError {
    pub fn new(exit: Exit, cause: impl Into<String>, fix: impl Into<String>) -> CliError {
        CliError {
            exit,
            cause: cause.into(),
            fix: fix.into(),
            detail: None,
        }
    }

    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> CliError {
        CliError::new(Exit::Io, format!("{what}: {err}"), io_fix(err))
    }

    /// The whole-run failure for an API error.
    pub fn from_api(err: &Error, ctx: &Context) -> CliError {
        let (cause, fix) = explain(err, ctx);
        CliError {
            exit: Exit::for_kind(err.kind()),
            cause,
            fix,
            detail: Some(err.to_string()),
        }
    }

    /// Prints the error once: the one line naming cause and fix (which already holds the
    /// code and status); with `-v`, the core's full error (request id, attempts) above it.
    pub fn print(&self, verbose: bool) {
        if let (true, Some(d)) = (verbose, &self.detail) {
            eprintln!("surefoot: {d}");
        }
        eprintln!("{self}");
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {} — fix: {} (exit {})",
            self.cause, self.fix, self.exit as u8
        )
    }
}

fn key_phrase(ctx: &Context) -> String {
    match &ctx.key_mask {
        Some(m) => format!("the {} key {m} (from {})", ctx.api, ctx.key_source),
        None => format!("the {} key (from {})", ctx.api, ctx.key_source),
    }
}

/// The fix of a local I/O failure, by what went wrong (the message names the file and
/// whether it was read or written).
fn io_fix(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::NotFound => "check the path exists, then re-run",
        std::io::ErrorKind::PermissionDenied => "check the file's permissions, then re-run",
        std::io::ErrorKind::IsADirectory => "give a file, not a directory, then re-run",
        _ => "check the path and the disk, then re-run",
    }
}

/// Cause and fix of an API error, by its stable code first and its kind second.
pub fn explain(err: &Error, ctx: &Context) -> (String, String) {
    let code = err.code();
    let status = err
        .status()
        .map(|s| format!("{s} {code}"))
        .unwrap_or_else(|| code.to_string());
    if err.kind() == ErrorKind::InvalidRequest {
        return explain_client_side(err, ctx);
    }
    explain_key(err, ctx, &status)
        .or_else(|| explain_billing(err, ctx, &status))
        .or_else(|| explain_request(err, ctx, &status))
        .or_else(|| explain_service(err, ctx, &status))
        .unwrap_or_else(|| {
            (
                format!("{status}: {}", err.message()),
                "see the message above".into(),
            )
        })
}

/// The key itself: rejected, without API access, publishable, without the scope.
fn explain_key(err: &Error, ctx: &Context, status: &str) -> Option<(String, String)> {
    let msg = err.message();
    Some(match (err.kind(), err.code()) {
        (ErrorKind::Authentication, _) => (
            format!(
                "{} was rejected ({status}): it is revoked, expired, or has a stray character such as a trailing space",
                key_phrase(ctx)
            ),
            "create a fresh key and copy it carefully".into(),
        ),
        (_, codes::API_ACCESS_DENIED) => (
            format!(
                "the plan of {} has no API access ({status})",
                key_phrase(ctx)
            ),
            "upgrade to a plan with API & MCP access (Pro or Expert), or use a key of such a workspace".into(),
        ),
        (_, codes::ORIGIN_NOT_ALLOWED) => (
            format!(
                "{} is a publishable key, usable only from its allowed origins ({status})",
                key_phrase(ctx)
            ),
            "use a secret key for command-line and server-side work".into(),
        ),
        (ErrorKind::Permission, _) => (
            format!(
                "{} may not do this ({status}: {msg})",
                key_phrase(ctx)
            ),
            "use a key with the needed scope (jobs:write to submit, jobs:read to list)".into(),
        ),
        _ => return None,
    })
}

/// Money and caps: credit, budget, quota, the daily cap, 429s that outlasted the retries.
fn explain_billing(err: &Error, ctx: &Context, status: &str) -> Option<(String, String)> {
    let wait = err
        .retry_after()
        .map(|d| format!(" (the server asks to wait {})", crate::units::secs(d)))
        .unwrap_or_default();
    Some(match (err.kind(), err.code()) {
        (_, codes::CREDIT_EXHAUSTED) => (
            format!(
                "the organisation of {} is out of prepaid credit ({status})",
                key_phrase(ctx)
            ),
            "add credit, then re-run (finished items are skipped)".into(),
        ),
        (_, codes::KEY_BUDGET_EXCEEDED) => (
            format!("{} reached its monthly budget ({status})", key_phrase(ctx)),
            "raise the key's budget or use another key, then re-run".into(),
        ),
        (_, codes::INSUFFICIENT_QUOTA) => (
            format!(
                "the plan quota of {} is used up ({status})",
                key_phrase(ctx)
            ),
            "upgrade the plan, then re-run".into(),
        ),
        (ErrorKind::PaymentRequired, _) => (
            format!("payment required ({status}: {})", err.message()),
            "add credit or upgrade the plan, then re-run".into(),
        ),
        (_, codes::DAILY_CAP_EXCEEDED) => (
            format!(
                "the daily request cap of {} is used up ({status}){wait}",
                key_phrase(ctx)
            ),
            "wait for the reset at midnight UTC, or use a secret key without a daily cap".into(),
        ),
        (ErrorKind::RateLimited, _) => (
            format!(
                "the server kept answering 429 after {} attempt(s){wait}",
                err.attempts()
            ),
            "re-run later (finished items are skipped), or lower --concurrency / --rate-limit"
                .into(),
        ),
        _ => return None,
    })
}

/// The request: not found, conflicts, refused parameters.
fn explain_request(err: &Error, ctx: &Context, status: &str) -> Option<(String, String)> {
    let msg = err.message();
    Some(match (err.kind(), err.code()) {
        (ErrorKind::NotFound, _) if ctx.api == "Specala" => (
            format!("not found in the workspace of {} ({status}: {msg})", key_phrase(ctx)),
            "the transcription is in another workspace: use a key for that workspace".into(),
        ),
        (ErrorKind::NotFound, _) => (
            format!("not found ({status}: {msg})"),
            format!("check the id, and that {} belongs to the right organisation", key_phrase(ctx)),
        ),
        (ErrorKind::Conflict, codes::IDEMPOTENCY_CONFLICT) => (
            "this line was submitted before with different content under the same idempotency key (409 idempotency_conflict)".into(),
            "give the changed line a new `id` (or restore its original content)".into(),
        ),
        (ErrorKind::Conflict, _) => (
            format!("the server reports a conflict ({status}: {msg})"),
            "resolve the conflict named in the message, then re-run".into(),
        ),
        (ErrorKind::Validation, _) => (
            format!("the server refused a parameter ({status}: {msg})"),
            "fix the parameter named in the message".into(),
        ),
        _ => return None,
    })
}

/// The service: answers that made no sense, 5xx, no connection, timeouts.
fn explain_service(err: &Error, ctx: &Context, status: &str) -> Option<(String, String)> {
    let msg = err.message();
    Some(match (err.kind(), err.code()) {
        (ErrorKind::Server, codes::INVALID_RESPONSE) if err.idempotency_key().is_some() => (
            format!("the server's answer could not be read: {msg}"),
            format!(
                "re-run: the server may have done the work, and the same idempotency key replays it instead of doing it twice; if it keeps failing, check that {} points at the {} API",
                ctx.base_url_env, ctx.api
            ),
        ),
        (ErrorKind::Server, codes::INVALID_RESPONSE) => (
            format!("the server's answer made no sense: {msg}"),
            format!("check that {} points at the {} API", ctx.base_url_env, ctx.api),
        ),
        (ErrorKind::Server, _) => (
            format!("the {} server failed ({status}) after {} attempt(s)", ctx.api, err.attempts()),
            "re-run later: finished items are skipped, nothing is done twice".into(),
        ),
        (ErrorKind::Connection, _) => (
            format!("cannot reach {} ({msg})", ctx.base_url),
            format!("check --base-url / {} and the network, then re-run", ctx.base_url_env),
        ),
        (ErrorKind::Timeout, _) => (
            format!("{} did not answer in time ({msg})", ctx.base_url),
            "re-run later: finished items are skipped, nothing is done twice".into(),
        ),
        _ => return None,
    })
}

/// Cause and fix of a request refused before sending: decided on the core's reason
/// ([`Error::invalid_reason`]), never on its message text, which is only shown.
fn explain_client_side(err: &Error, ctx: &Context) -> (String, String) {
    use surefoot::error::InvalidRequestReason as Why;
    let key = key_phrase(ctx);
    let msg = err.message();
    let Some(why) = err.invalid_reason() else {
        return (msg.to_string(), "fix the value named in the message".into());
    };
    match why {
        Why::ApiKeyMissing | Why::ApiKeyEmpty => (
            format!("no {} API key", ctx.api),
            format!("set {} or pass --api-key", ctx.key_source),
        ),
        Why::ApiKeyTrailingWhitespace => (
            format!("{key} ends with whitespace (a trailing space or tab)"),
            "copy the key again without the trailing space".into(),
        ),
        Why::ApiKeyLeadingWhitespace => (
            format!("{key} starts with whitespace"),
            "copy the key again without the leading space".into(),
        ),
        Why::ApiKeyLineBreak => (
            format!("{key} contains a line break (often a trailing newline from a file)"),
            "strip the newline, e.g. export the key with `tr -d '\\n'`".into(),
        ),
        w if w.is_api_key() => (
            format!("{key}: {}", msg.trim_start_matches("API key ")),
            "copy the key again carefully".into(),
        ),
        Why::BaseUrl | Why::InsecureHttp => (
            format!("the base URL is not usable: {msg}"),
            format!(
                "pass an https:// URL with --base-url or {}",
                ctx.base_url_env
            ),
        ),
        Why::RateLimit => (
            msg.to_string(),
            "write it like 500/min or '20/s burst 5'".into(),
        ),
        _ => (msg.to_string(), "fix the value named in the message".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            api: "Specala",
            key_source: "SPECALA_API_KEY".into(),
            key_mask: Some("spk…0001".into()),
            base_url_env: "SPECALA_BASE_URL".into(),
            base_url: "https://api.specala.ai/".into(),
        }
    }

    #[test]
    fn one_line_per_common_case() {
        let h = Default::default();
        let revoked = Error::from_response(401, &h, br#"{"detail": "Invalid API key"}"#, false);
        let e = CliError::from_api(&revoked, &ctx());
        assert_eq!(e.exit, Exit::Authentication);
        assert!(e.to_string().contains("create a fresh key"), "{e}");
        assert!(!e.to_string().contains('\n'));

        let plan = Error::from_response(
            403,
            &h,
            br#"{"detail": {"code": "api_access_denied", "message": "no API"}}"#,
            false,
        );
        let e = CliError::from_api(&plan, &ctx());
        assert_eq!(e.exit, Exit::Permission);
        assert!(e.to_string().contains("Pro or Expert"), "{e}");

        let other =
            Error::from_response(404, &h, br#"{"detail": "Transcription not found"}"#, false);
        let e = CliError::from_api(&other, &ctx());
        assert_eq!(e.exit, Exit::NotFound);
        assert!(e.to_string().contains("another workspace"), "{e}");

        let space = surefoot::security::validate_api_key("spk_live_0001 ").unwrap_err();
        let e = CliError::from_api(&space, &ctx());
        assert_eq!(e.exit, Exit::InvalidRequest);
        assert!(e.to_string().contains("trailing space"), "{e}");
    }

    #[test]
    fn verdicts() {
        let h = Default::default();
        let e = |status: u16, body: &[u8]| Error::from_response(status, &h, body, false);
        assert_eq!(verdict(&e(401, b"")), Verdict::StopRun);
        assert_eq!(
            verdict(&e(402, br#"{"error": {"code": "credit_exhausted"}}"#)),
            Verdict::StopRun
        );
        assert_eq!(
            verdict(&e(429, br#"{"error": {"code": "daily_cap_exceeded"}}"#)),
            Verdict::StopRun
        );
        assert_eq!(verdict(&e(429, b"")), Verdict::TryLater);
        assert_eq!(verdict(&e(503, b"")), Verdict::TryLater);
        assert_eq!(
            verdict(&Error::connection("reset", true)),
            Verdict::TryLater
        );
        assert_eq!(
            verdict(&Error::connection("refused", false)),
            Verdict::StopRun
        );
        assert_eq!(verdict(&e(422, b"")), Verdict::ItemFailed);
        assert_eq!(
            verdict(&e(409, br#"{"type": "x/problems/idempotency_conflict"}"#)),
            Verdict::ItemFailed
        );
    }

    #[test]
    fn codes_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        // `not_done` shares the exit of an interrupted run (run the same command again).
        for kind in ErrorKind::ALL
            .into_iter()
            .filter(|k| *k != ErrorKind::NotDone)
        {
            assert!(seen.insert(Exit::for_kind(kind) as u8), "{kind}");
        }
        assert_eq!(Exit::for_kind(ErrorKind::NotDone), Exit::Interrupted);
        for extra in [
            Exit::Ok,
            Exit::ItemsFailed,
            Exit::Usage,
            Exit::Io,
            Exit::Interrupted,
        ] {
            assert!(seen.insert(extra as u8));
        }
    }
}
