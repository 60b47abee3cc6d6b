//! RFC 6675 loss recovery with SACK, in the simulator, against NewReno
//! (the same stacks with SACK off): a burst of three lost segments in one
//! window, random loss at 1%, 5% and 10%, and a window beyond 64 KiB with
//! RFC 7323 scaling. Every run checks each byte; each row runs 20 seeds
//! (`TCP_MATRIX_SEEDS`), and the sums are printed (`--nocapture`).

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::StackConfig;
use microps_core::phy::FaultConfig;
use microps_core::sim::{DropFilter, LinkConfig};
use microps_core::time::{Duration, Instant};

fn seeds() -> u64 {
    std::env::var("TCP_MATRIX_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// What one transfer did.
#[derive(Debug, Default, Clone)]
struct Run {
    /// cwnd each time it changed, from the start.
    cwnd: Vec<(Duration, u32)>,
    elapsed: Duration,
    timeouts: u64,
    /// The longest stretch A spent in fast recovery.
    longest_recovery: Duration,
    recoveries: u32,
    /// The most bytes A had in flight at once.
    max_flight: usize,
}

/// A sends `bytes` to B over `link` (B's data back is only ACKs), with
/// SACK on or off on both stacks and `drop` on what A sends.
fn one_way(
    seed: u64,
    sack: bool,
    link: LinkConfig,
    buf: usize,
    bytes: usize,
    drop: Option<DropFilter>,
) -> Result<Run, String> {
    let mut config = StackConfig::default();
    config.tcp.sack = sack;
    let (mut net, a, b, da, db) = pair_with(seed, link, config);
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let (client, server) = open_connection_with(&mut net, a, b, buf);
    net.set_drop_filter(a, da, drop);
    let start = net.now();
    let mut out = Pipe {
        total: bytes,
        ..Default::default()
    };
    let mut inn = Pipe::default();
    let (mut idle_out, mut idle_in) = (Pipe::default(), Pipe::default());
    let mut run = Run::default();
    let mut since: Option<Instant> = None;
    let r = net.run_until(Duration::from_secs(600), |net| {
        pump(tcp(net, a, client), &mut out, &mut idle_in, 1, 2);
        pump(tcp(net, b, server), &mut idle_out, &mut inn, 2, 1);
        let now = net.now();
        let s = tcp(net, a, client);
        run.max_flight = run.max_flight.max(s.bytes_in_flight());
        let w = s.congestion_window();
        if run.cwnd.last().is_none_or(|&(_, c)| c != w) {
            run.cwnd.push((now - start, w));
        }
        match (s.in_fast_recovery(), since) {
            (true, None) => {
                since = Some(now);
                run.recoveries += 1;
            }
            (false, Some(t)) => {
                run.longest_recovery = run.longest_recovery.max(now - t);
                since = None;
            }
            _ => {}
        }
        inn.received == bytes || s.error().is_some()
    });
    r.map_err(|e| format!("{e}: {} of {bytes} bytes", inn.received))?;
    if let Some(at) = inn.wrong {
        return Err(format!("wrong byte at {at}"));
    }
    if inn.received != bytes {
        return Err(format!(
            "{} of {bytes} bytes: {:?}",
            inn.received,
            tcp(&mut net, a, client).error()
        ));
    }
    run.elapsed = net.now() - start;
    run.timeouts = net.node(a).stack.stats().tcp.retransmission_timeouts.get();
    Ok(run)
}

/// Drops the `n`th, `n+1`th and `n+2`th data segments A sends for the
/// first time (a retransmission of the same bytes passes).
fn burst_of_three(n: usize) -> DropFilter {
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0usize;
    Box::new(move |frame: &[u8]| {
        let Some((seq, len)) = tcp_data(frame) else {
            return false;
        };
        if len == 0 || !seen.insert(seq) {
            return false;
        }
        count += 1;
        (n..n + 3).contains(&(count - 1))
    })
}

/// A TCP segment's sequence number and data length, from an Ethernet
/// frame.
fn tcp_data(frame: &[u8]) -> Option<(u32, usize)> {
    if ethertype(frame) != 0x0800 || ip_protocol(frame) != 6 {
        return None;
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    let tcp = ip.get(ihl..total)?;
    let seq = u32::from_be_bytes(tcp.get(4..8)?.try_into().ok()?);
    let off = usize::from(tcp.get(12)? >> 4) * 4;
    Some((seq, tcp.len().checked_sub(off)?))
}

/// A 50 ms path (25 ms each way).
fn path() -> LinkConfig {
    LinkConfig::default().with_latency(Duration::from_millis(25))
}

#[test]
fn rfc6675_a_burst_of_three_losses_is_recovered_in_one_round_trip_without_a_timeout() {
    // RTT 50 ms: SACK within 1.5 of it, NewReno at least 2 (one round trip
    // a hole).
    let (mut sack_total, mut reno_total) = (Duration::ZERO, Duration::ZERO);
    let mut failures = Vec::new();
    for seed in 0..seeds() {
        // The burst somewhere in the first 40 segments after slow start
        // opened the window to more than three.
        let n = 12 + (seed as usize * 7) % 28;
        let bytes = 300 * 1448;
        let sack = one_way(
            seed,
            true,
            path(),
            64 * 1024,
            bytes,
            Some(burst_of_three(n)),
        );
        let reno = one_way(
            seed,
            false,
            path(),
            64 * 1024,
            bytes,
            Some(burst_of_three(n)),
        );
        match (sack, reno) {
            (Ok(s), Ok(r)) => {
                sack_total += s.longest_recovery;
                reno_total += r.longest_recovery;
                if s.timeouts != 0 || s.recoveries != 1 {
                    failures.push(format!("seed {seed}: SACK {s:?}"));
                }
                // One round trip for the three retransmissions (and the
                // ACK that ends recovery), not one per hole.
                if s.longest_recovery > Duration::from_millis(75) {
                    failures.push(format!(
                        "seed {seed}: SACK recovery took {:?}",
                        s.longest_recovery
                    ));
                }
                if r.longest_recovery < Duration::from_millis(100) {
                    failures.push(format!(
                        "seed {seed}: NewReno recovered in {:?}?",
                        r.longest_recovery
                    ));
                }
            }
            (s, r) => failures.push(format!("seed {seed}: {s:?} / {r:?}")),
        }
    }
    println!(
        "burst of 3, {} seeds: recovery summed {:?} with SACK, {:?} with NewReno",
        seeds(),
        sack_total,
        reno_total
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Goodput (bytes a second) summed over the seeds, SACK on and off, with
/// `ppm` of A's frames to B dropped at random.
fn goodput(ppm: u32) -> (f64, f64, u64, u64) {
    let bytes = 256 * 1024;
    let (mut on, mut off, mut rto_on, mut rto_off) = (0.0, 0.0, 0, 0);
    for seed in 0..seeds() {
        let link = path().with_faults(FaultConfig::none().with_drop(ppm));
        for (sack, sum, rto) in [
            (true, &mut on, &mut rto_on),
            (false, &mut off, &mut rto_off),
        ] {
            let r = one_way(1000 + seed, sack, link, 64 * 1024, bytes, None)
                .unwrap_or_else(|e| panic!("seed {seed}, SACK {sack}: {e}"));
            *sum += bytes as f64 / r.elapsed.total_micros() as f64 * 1e6;
            *rto += r.timeouts;
        }
    }
    println!(
        "{:.0}% loss, {} seeds: goodput summed {:.0} KB/s with SACK, {:.0} KB/s without; timeouts {rto_on} and {rto_off}",
        f64::from(ppm) / 1e4,
        seeds(),
        on / 1e3,
        off / 1e3
    );
    (on, off, rto_on, rto_off)
}

#[test]
fn rfc6675_goodput_with_sack_beats_newreno_at_5_percent_loss() {
    let (on, off, _, _) = goodput(50_000);
    assert!(on > off, "SACK {on:.0} B/s, NewReno {off:.0} B/s");
}

#[test]
fn rfc6675_every_byte_arrives_at_1_and_10_percent_loss_and_goodput_is_reported() {
    // `goodput` fails on any transfer that does not deliver every byte in
    // order; which of SACK and NewReno is faster is reported only.
    goodput(10_000);
    goodput(100_000);
}

#[test]
fn rfc5681_the_cwnd_trace_shows_slow_start_the_halving_and_the_growth() {
    // One burst of three losses: slow start grows cwnd by one SMSS an ACK
    // (RFC 5681's cwnd += min(N, SMSS); the receiver here acknowledges the
    // segments that arrive in one burst with one ACK, so this is slower
    // than doubling a round trip), recovery at least halves it (RFC 6675:
    // cwnd = ssthresh = FlightSize / 2), and it grows again.
    let r = one_way(
        3,
        true,
        path(),
        256 * 1024,
        600 * 1448,
        Some(burst_of_three(60)),
    )
    .unwrap();
    for (t, c) in &r.cwnd {
        println!("cwnd at {:>6} ms: {c}", t.total_millis());
    }
    // The peak is where cwnd first falls.
    let fall = r
        .cwnd
        .windows(2)
        .position(|w| w[1].1 < w[0].1)
        .expect("a reduction");
    let peak = r.cwnd[fall].1;
    let after: Vec<u32> = r.cwnd[fall + 1..].iter().map(|&(_, c)| c).collect();
    let reduced = after[0];
    let floor = *after.iter().min().unwrap();
    let last = *after.last().unwrap();
    assert!(
        r.cwnd[0].1 <= 3 * 1460,
        "the initial window: {:?}",
        r.cwnd[0]
    );
    assert!(peak >= 8 * r.cwnd[0].1, "slow start grew it: {peak}");
    assert!(reduced <= peak / 2, "at least halved: {peak} -> {reduced}");
    assert!(last > 2 * floor, "and grew again: {floor} -> {last}");
    assert_eq!(r.timeouts, 0);
}

#[test]
fn rfc7323_a_1_mib_buffer_over_50_ms_keeps_more_than_64_kib_in_flight() {
    let r = one_way(7, true, path(), 1 << 20, 8 << 20, None).unwrap();
    assert!(r.max_flight > 64 * 1024, "{r:?}");
    println!(
        "1 MiB buffers, 50 ms: {} bytes in flight at most, 8 MiB in {:?}",
        r.max_flight, r.elapsed
    );
}
