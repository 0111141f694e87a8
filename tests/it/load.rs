//! Issue 7: `serve` keeps answering /metrics, /readiness and the dashboard
//! under a bounded local load while its scheduler runs the features. The
//! load is a fixed number of requests from a fixed number of clients on
//! 127.0.0.1, within a hard time limit; the figures (p50, p99, max, errors
//! per endpoint, runs completed) are printed, never asserted: speed targets
//! live in benchmarks. What is asserted: no request failed, and scheduled
//! runs kept completing while the load went on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::sandbox;
use crate::support::serve::serve_args;
use crate::support::serve::{Serve, state_file};

const ENDPOINTS: [&str; 3] = ["/metrics", "/readiness", "/"];
/// Requests in all, spread evenly over the endpoints.
const REQUESTS: usize = 3000;
const CLIENTS: usize = 16;
/// No request is sent after this, whatever is left.
const TIME_CAP: Duration = Duration::from_secs(120);
/// Scheduled runs that must complete while the load goes on.
const MIN_RUNS: u64 = 2;

/// One endpoint's latencies (ms) and failures.
#[derive(Default)]
struct Tally {
    ms: Vec<f64>,
    errors: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn runs_so_far(s: &Serve) -> u64 {
    s.json("/healthz").await["environments"]["local"]["runs_this_process"]
        .as_u64()
        .expect("runs_this_process")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(
    clippy::print_stderr,
    reason = "the figures are printed for people (--no-capture), never asserted"
)]
async fn serve_answers_under_a_bounded_load_while_runs_execute() {
    let sb = sandbox(&[], &[]).await;
    let dir = tempfile::tempdir().expect("tmp");
    let state = state_file(dir.path());
    let origin = sb.origin();
    let state = state.to_str().expect("utf8");
    // Back to back: a run of the engine features takes about as long.
    let args = serve_args(&origin, state, &["--schedule", "500ms"]);
    let s = Serve::start(&args, &[]).await;
    // Every page has something to show before the load starts.
    s.runs("local", 1).await;

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let runs_before = runs_so_far(&s).await;
    let started = Instant::now();
    let deadline = started + TIME_CAP;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (client, next, base) = (client.clone(), Arc::clone(&next), s.base.clone());
        clients.spawn(async move {
            let mut tallies: Vec<Tally> = ENDPOINTS.iter().map(|_| Tally::default()).collect();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= REQUESTS || Instant::now() >= deadline {
                    return tallies;
                }
                let which = n % ENDPOINTS.len();
                let sent = Instant::now();
                let outcome = match client
                    .get(format!("{base}{}", ENDPOINTS[which]))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                    }
                    Ok(r) => Err(format!("status {}", r.status())),
                    Err(e) => Err(e.to_string()),
                };
                let t = &mut tallies[which];
                t.ms.push(sent.elapsed().as_secs_f64() * 1000.0);
                if let Err(e) = outcome {
                    t.errors.push(e);
                }
            }
        });
    }
    let mut tallies: Vec<Tally> = ENDPOINTS.iter().map(|_| Tally::default()).collect();
    while let Some(done) = clients.join_next().await {
        for (all, mine) in tallies.iter_mut().zip(done.expect("client task")) {
            all.ms.extend(mine.ms);
            all.errors.extend(mine.errors);
        }
    }
    let elapsed = started.elapsed();
    let runs = runs_so_far(&s).await - runs_before;

    let sent: usize = tallies.iter().map(|t| t.ms.len()).sum();
    eprintln!(
        "serve under load: {sent} requests from {CLIENTS} clients in {:.1} s ({:.0}/s), {runs} scheduled runs completed meanwhile",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    eprintln!(
        "  {:<10} {:>8} {:>9} {:>9} {:>9} {:>7}",
        "endpoint", "requests", "p50 ms", "p99 ms", "max ms", "errors"
    );
    for (endpoint, t) in ENDPOINTS.iter().zip(&mut tallies) {
        t.ms.sort_by(f64::total_cmp);
        eprintln!(
            "  {:<10} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>7}",
            endpoint,
            t.ms.len(),
            percentile(&t.ms, 50.0),
            percentile(&t.ms, 99.0),
            t.ms.last().copied().unwrap_or(f64::NAN),
            t.errors.len()
        );
    }

    for (endpoint, t) in ENDPOINTS.iter().zip(&tallies) {
        assert!(
            t.errors.is_empty(),
            "{endpoint}: {} of {} failed, e.g. {:?}\nlog:\n{}",
            t.errors.len(),
            t.ms.len(),
            &t.errors[..t.errors.len().min(5)],
            s.log()
        );
    }
    assert_eq!(
        sent, REQUESTS,
        "only {sent} requests were sent within {TIME_CAP:?}"
    );
    assert!(
        runs >= MIN_RUNS,
        "{runs} scheduled runs completed during the load (at least {MIN_RUNS} expected): the scheduler stalled?\n{}",
        s.log()
    );
    // And the runs it finished meanwhile are whole: the last one passed.
    let latest = s.json("/runs/latest?env=local").await;
    assert_eq!(latest["summary"]["passed"], 4, "{latest}");
    let (status, log) = s.terminate().await;
    assert!(status.success(), "{log}");
}
