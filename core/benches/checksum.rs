//! Internet checksum speed: the fast path against the byte-pair reference
//! and against `memcpy`, side by side, in GB/s.
//!
//! Run with `cargo bench -p microps-core --bench checksum`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use microps_core::rand::Rng;
use microps_core::wire::checksum;

/// Runs `f` over `bytes` bytes repeatedly for about `budget`; returns GB/s
/// (the best of 5 rounds, to shed noise from the other core).
fn measure(bytes: usize, budget: Duration, mut f: impl FnMut()) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..5 {
        let mut iters = 0u64;
        let start = Instant::now();
        while start.elapsed() < budget / 5 {
            for _ in 0..64 {
                f();
            }
            iters += 64;
        }
        let secs = start.elapsed().as_secs_f64();
        best = best.max(iters as f64 * bytes as f64 / secs / 1e9);
    }
    best
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1000),
    );
    println!("Internet checksum and copy, GB/s (best of 5, cache-hot, one core)");
    println!(
        "{:>7} | {:>10} | {:>10} | {:>9} | {:>13} | {:>12}",
        "bytes", "reference", "fast path", "memcpy", "copy_and_sum", "fast/ref"
    );
    for &size in &[64usize, 576, 1460, 9000, 65535] {
        let mut rng = Rng::new(size as u64);
        let mut src = vec![0u8; size];
        rng.fill(&mut src);
        let mut dst = vec![0u8; size];
        assert_eq!(checksum::data(&src), checksum::data_reference(&src));
        let reference = measure(size, budget, || {
            black_box(checksum::data_reference(black_box(&src)));
        });
        let fast = measure(size, budget, || {
            black_box(checksum::data(black_box(&src)));
        });
        let memcpy = measure(size, budget, || {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        });
        let fused = measure(size, budget, || {
            black_box(checksum::copy_and_sum(black_box(&mut dst), black_box(&src)));
        });
        println!(
            "{size:>7} | {reference:>10.1} | {fast:>10.1} | {memcpy:>9.1} | {fused:>13.1} | {:>11.1}x",
            fast / reference
        );
    }
}
