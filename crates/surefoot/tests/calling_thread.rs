//! A blocking call is driven on the calling thread's own runtime: plain calls from any
//! number of threads never start the shared runtime's worker threads (named `surefoot`),
//! while a list, whose prefetch goes on in the background, does; and a child after
//! `fork()` makes its own runtime and connections, the async client's included. In its own
//! test binary: it counts the process's threads and forks, which other tests running at
//! once would disturb.

use std::path::Path;

use surefoot::pyai::CreateJob;
use surefoot_emulator::{start_blocking, Config};

/// Threads of this process named as the shared runtime names its workers.
fn shared_runtime_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "surefoot")
        .count()
}

#[test]
fn plain_calls_run_on_the_calling_thread() {
    assert!(Path::new("/proc/self/task").is_dir());
    let emu = start_blocking(Config::pyai().no_rate_limits()).unwrap();
    let client = surefoot::blocking::pyai::Client::from_builder(
        surefoot::pyai::Client::builder()
            .base_url(emu.url())
            .api_key("pyai_sk_full_0001"),
    )
    .unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let client = client.clone();
            s.spawn(move || {
                for i in 0..5 {
                    let job = client
                        .create_job(CreateJob::new(format!("https://example.com/{t}-{i}.wav")))
                        .unwrap();
                    assert_eq!(client.job(job.id()).unwrap().id(), job.id());
                }
            });
        }
    });
    let generic = surefoot::blocking::Client::from(client.as_async().client().clone());
    assert_eq!(
        generic
            .get("/v1/transcription/jobs")
            .send()
            .unwrap()
            .status(),
        200
    );
    assert!(generic.pacing().is_ok());
    assert_eq!(client.as_async().client().metrics().requests_sent, 41);
    assert_eq!(
        shared_runtime_threads(),
        0,
        "a plain call used the shared runtime"
    );

    in_a_child_after_fork(|| {
        let job = client.create_job(CreateJob::new("https://example.com/child.wav"))?;
        client.job(job.id()).map(|_| ())
    });

    // A list runs on the shared runtime: the count above can see its threads.
    assert_eq!(client.jobs_list().limit(100).count(), 21);
    // A worker thread names itself once it first runs: on a loaded machine the second
    // may not have run yet when the list is done.
    let named = std::time::Instant::now();
    while shared_runtime_threads() < 2 && named.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(shared_runtime_threads(), 2);
    the_async_clients_shared_connections_stay_the_parents_after_fork(&emu.url());
}

/// The async client's connections, in the pool its clones share, after a fork: the child
/// drops the client it inherited (as the Python transports rebuild theirs in a child) and
/// makes its own, and the parent's connection keeps working. (Called last by the test
/// above: it starts the shared runtime, whose threads that test counts.)
fn the_async_clients_shared_connections_stay_the_parents_after_fork(url: &str) {
    let build = || {
        surefoot::Client::builder()
            .base_url(url)
            .api_key("pyai_sk_full_0001")
            .max_retries(0)
            .timeout(std::time::Duration::from_secs(5))
            .build()
    };
    // On the shared runtime, through the stack the client's clones share: its connection
    // stays in their pool.
    let call = |client: surefoot::Client| {
        surefoot::runtime::block_on(async move {
            let resp = client.get("/v1/transcription/jobs").send().await?;
            assert_eq!(resp.status(), 200);
            Ok(())
        })
    };
    let inherited = std::sync::Mutex::new(Some(build().unwrap()));
    let client = || inherited.lock().unwrap().clone().expect("the client");
    call(client()).unwrap();
    in_a_child_after_fork(|| {
        // The last reference to the client, with the parent's connection in its pool.
        drop(inherited.lock().unwrap().take());
        call(build()?)
    });
    call(client()).unwrap();
}

/// Runs `call` in a forked child (whose thread inherited this thread's runtime and
/// connections) and checks that it succeeded there.
fn in_a_child_after_fork(call: impl FnOnce() -> surefoot::Result<()>) {
    // SAFETY: the child only runs `call` and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match call() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        };
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child did not exit: {status}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the call failed in the child");
}
