//! Loss recovery with SACK in the simulator: RFC 6675 and RFC 8985
//! RACK-TLP against NewReno (the same stacks with SACK off): a burst of
//! three lost segments in one window, a lost tail that the loss probe
//! recovers, random loss at 1%, 5% and 10%, and a window beyond 64 KiB
//! with RFC 7323 scaling. Every run checks each byte; each row runs 20
//! seeds (`TCP_MATRIX_SEEDS`), and the sums are printed (`--nocapture`).
//! The comparisons need the cargo features `tcp-rack` (and `tcp-cubic`),
//! which the lean run leaves out; that every byte arrives is checked in
//! every build.
#![cfg_attr(not(feature = "tcp-rack"), allow(dead_code))]

mod common;

use common::tcp::*;
use common::*;
use microps_core::iface::StackConfig;
use microps_core::phy::FaultConfig;
use microps_core::sim::{DropFilter, LinkConfig};
use microps_core::socket::tcp::Congestion;
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
    /// ssthresh each time it changed.
    ssthresh: Vec<(Duration, u32)>,
    elapsed: Duration,
    timeouts: u64,
    /// Tail loss probe timeouts.
    probes: u64,
    /// The longest stretch A spent in fast recovery.
    longest_recovery: Duration,
    recoveries: u32,
    /// The most bytes A had in flight at once.
    max_flight: usize,
}

/// How the sender recovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// SACK off: RFC 6582 NewReno.
    NewReno,
    /// SACK on, RACK-TLP off: RFC 6675 alone.
    Sack,
    /// SACK on with RFC 8985 RACK-TLP (the default).
    Rack,
}

/// A sends `bytes` to B over `link` (B's data back is only ACKs), with
/// `recovery` on both stacks and `drop` on what A sends; NewReno.
fn one_way(
    seed: u64,
    recovery: Recovery,
    link: LinkConfig,
    buf: usize,
    bytes: usize,
    drop: Option<DropFilter>,
) -> Result<Run, String> {
    one_way_cc(
        seed,
        recovery,
        Congestion::NewReno,
        link,
        (buf, bytes),
        drop,
    )
}

/// `one_way` with A's congestion control `cc`; `size` is the buffers and
/// the bytes to send.
fn one_way_cc(
    seed: u64,
    recovery: Recovery,
    cc: Congestion,
    link: LinkConfig,
    (buf, bytes): (usize, usize),
    drop: Option<DropFilter>,
) -> Result<Run, String> {
    let mut config = StackConfig::default();
    config.tcp.sack = recovery != Recovery::NewReno;
    let (mut net, a, b, da, db) = pair_with(seed, link, config);
    known_to_each_other_without_a_queue(&mut net, (a, da), (b, db));
    let (client, server) = open_connection_with(&mut net, a, b, buf);
    // (Nothing has been sent yet: the switch holds for all the data.)
    assert!(tcp(&mut net, a, client).set_rack(recovery == Recovery::Rack));
    tcp(&mut net, a, client).set_congestion(cc);
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
        let t = s.slow_start_threshold();
        if run.ssthresh.last().is_none_or(|&(_, x)| x != t) {
            run.ssthresh.push((now - start, t));
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
    let stats = net.node(a).stack.stats().tcp;
    run.timeouts = stats.retransmission_timeouts.get();
    run.probes = stats.loss_probe_timeouts.get();
    Ok(run)
}

/// Drops the `n`th, `n+1`th and `n+2`th data segments A sends for the
/// first time (a retransmission of the same bytes passes).
fn burst_of_three(n: usize) -> DropFilter {
    burst(n, 3)
}

/// Drops `k` data segments from the `n`th that A sends for the first time.
fn burst(n: usize, k: usize) -> DropFilter {
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
        (n..n + k).contains(&(count - 1))
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
#[cfg(feature = "tcp-rack")]
fn rfc6675_and_rfc8985_a_burst_of_three_losses_is_recovered_in_one_round_trip_without_a_timeout() {
    // RTT 50 ms: SACK within 1.5 of it, with RACK-TLP and with RFC 6675
    // alone; NewReno at least 2 (one round trip a hole).
    let mut totals = [Duration::ZERO; 3];
    let mut failures = Vec::new();
    let modes = [Recovery::Rack, Recovery::Sack, Recovery::NewReno];
    for seed in 0..seeds() {
        // The burst somewhere in the first 40 segments after slow start
        // opened the window to more than three.
        let n = 12 + (seed as usize * 7) % 28;
        let bytes = 300 * 1448;
        for (mode, total) in modes.iter().zip(totals.iter_mut()) {
            let r = match one_way(
                seed,
                *mode,
                path(),
                64 * 1024,
                bytes,
                Some(burst_of_three(n)),
            ) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("seed {seed}: {mode:?}: {e}"));
                    continue;
                }
            };
            *total += r.longest_recovery;
            if *mode == Recovery::NewReno {
                if r.longest_recovery < Duration::from_millis(100) {
                    failures.push(format!(
                        "seed {seed}: NewReno recovered in {:?}?",
                        r.longest_recovery
                    ));
                }
                continue;
            }
            if r.timeouts != 0 || r.recoveries != 1 {
                failures.push(format!("seed {seed}: {mode:?} {r:?}"));
            }
            // One round trip for the three retransmissions (and the ACK
            // that ends recovery), not one per hole.
            if r.longest_recovery > Duration::from_millis(75) {
                failures.push(format!(
                    "seed {seed}: {mode:?} recovery took {:?}",
                    r.longest_recovery
                ));
            }
        }
    }
    println!(
        "burst of 3, {} seeds: recovery summed {:?} with RACK-TLP, {:?} with RFC 6675 alone, {:?} with NewReno",
        seeds(),
        totals[0],
        totals[1],
        totals[2]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A transfer of `segments` full segments with `lost` of the last ones
/// dropped once: the time it takes, minus the same transfer's without loss.
fn tail_loss(
    seed: u64,
    mode: Recovery,
    segments: usize,
    lost: usize,
) -> Result<(Run, Duration), String> {
    let bytes = segments * 1448;
    let clean = one_way(seed, mode, path(), 64 * 1024, bytes, None)?;
    let r = one_way(
        seed,
        mode,
        path(),
        64 * 1024,
        bytes,
        Some(burst(segments - lost, lost)),
    )?;
    let cost = r.elapsed.saturating_sub(clean.elapsed);
    Ok((r, cost))
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc8985_7_a_lost_last_segment_is_recovered_by_the_loss_probe_not_by_an_rto() {
    // RTT 50 ms. With one segment in flight, PTO = 2 * SRTT + WCDelAckT
    // (200 ms), at most the RTO's time: the probe goes instead of the
    // RTO, resends the last segment, and its ACK ends the transfer: PTO +
    // 1 RTT. RFC 6675 alone needs the RTO (and its cwnd of one segment).
    let mut failures = Vec::new();
    let (mut probe_cost, mut rto_cost) = (Duration::ZERO, Duration::ZERO);
    for seed in 0..seeds() {
        let segments = 20 + (seed as usize * 3) % 30;
        match tail_loss(seed, Recovery::Rack, segments, 1) {
            Ok((r, cost)) => {
                probe_cost += cost;
                // PTO is at most 2 * 50 + 200 ms; a round trip is 50.
                if r.timeouts != 0 || r.probes == 0 || cost > Duration::from_millis(360) {
                    failures.push(format!("seed {seed}: {cost:?} more, {r:?}"));
                }
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
        match tail_loss(seed, Recovery::Sack, segments, 1) {
            Ok((r, cost)) => {
                rto_cost += cost;
                if r.timeouts == 0 {
                    failures.push(format!("seed {seed}: RFC 6675 alone without an RTO? {r:?}"));
                }
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    println!(
        "lost last segment, {} seeds: {:?} more in all with the probe, {:?} with the RTO",
        seeds(),
        probe_cost,
        rto_cost
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc8985_the_last_three_segments_lost_cost_no_rto() {
    // The probe resends the last segment; its SACK shows the two before it
    // delivered nothing while a later segment got through, and RACK marks
    // them lost: recovery, no timeout.
    let mut failures = Vec::new();
    for seed in 0..seeds() {
        let segments = 20 + (seed as usize * 3) % 30;
        match tail_loss(seed, Recovery::Rack, segments, 3) {
            Ok((r, cost)) => {
                if r.timeouts != 0 || r.probes == 0 || cost > Duration::from_millis(450) {
                    failures.push(format!("seed {seed}: {cost:?} more, {r:?}"));
                }
            }
            Err(e) => failures.push(format!("seed {seed}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Goodput (bytes a second) summed over the seeds for each way of
/// recovery (RACK-TLP, RFC 6675 alone, NewReno), with `ppm` of A's frames
/// to B dropped at random; and the timeouts each had.
fn goodput(ppm: u32) -> [(f64, u64); 3] {
    let bytes = 256 * 1024;
    let modes = [Recovery::Rack, Recovery::Sack, Recovery::NewReno];
    let mut sums = [(0.0, 0); 3];
    for seed in 0..seeds() {
        let link = path().with_faults(FaultConfig::none().with_drop(ppm));
        for (mode, (sum, rto)) in modes.iter().zip(sums.iter_mut()) {
            let r = one_way(1000 + seed, *mode, link, 64 * 1024, bytes, None)
                .unwrap_or_else(|e| panic!("seed {seed}, {mode:?}: {e}"));
            *sum += bytes as f64 / r.elapsed.total_micros() as f64 * 1e6;
            *rto += r.timeouts;
        }
    }
    println!(
        "{}% loss, {} seeds: goodput summed {:.0} KB/s with RACK-TLP, {:.0} with RFC 6675 alone, {:.0} with SACK off; timeouts {}, {} and {}",
        f64::from(ppm) / 1e4,
        seeds(),
        sums[0].0 / 1e3,
        sums[1].0 / 1e3,
        sums[2].0 / 1e3,
        sums[0].1,
        sums[1].1,
        sums[2].1
    );
    sums
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc6675_goodput_with_sack_and_rack_beats_sack_off_at_5_percent_loss() {
    let [(rack, _), (sack, _), (off, _)] = goodput(50_000);
    assert!(rack > off, "RACK-TLP {rack:.0} B/s, SACK off {off:.0} B/s");
    assert!(sack > off, "RFC 6675 {sack:.0} B/s, SACK off {off:.0} B/s");
}

#[test]
fn rfc6675_every_byte_arrives_at_0_1_and_10_percent_loss_and_goodput_is_reported() {
    // `goodput` fails on any transfer that does not deliver every byte in
    // order; which way is faster is reported only.
    goodput(0);
    goodput(10_000);
    goodput(100_000);
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc5681_the_cwnd_trace_shows_slow_start_the_halving_and_the_growth() {
    // One burst of three losses: slow start grows cwnd by one SMSS an ACK
    // (RFC 5681's cwnd += min(N, SMSS); the receiver here acknowledges the
    // segments that arrive in one burst with one ACK, so this is slower
    // than doubling a round trip), recovery at least halves it (RFC 6675:
    // cwnd = ssthresh = FlightSize / 2), and it grows again.
    let r = one_way(
        3,
        Recovery::Rack,
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
    let r = one_way(7, Recovery::Rack, path(), 1 << 20, 8 << 20, None).unwrap();
    assert!(r.max_flight > 64 * 1024, "{r:?}");
    println!(
        "1 MiB buffers, 50 ms: {} bytes in flight at most, 8 MiB in {:?}",
        r.max_flight, r.elapsed
    );
}

/// cwnd at `t` in a trace of changes.
fn cwnd_at(trace: &[(Duration, u32)], t: Duration) -> u32 {
    trace
        .iter()
        .take_while(|&&(at, _)| at <= t)
        .last()
        .map_or(0, |&(_, c)| c)
}

#[test]
#[cfg(all(feature = "tcp-rack", feature = "tcp-cubic"))]
fn rfc9438_the_cwnd_trace_shows_0_7_then_concave_then_convex_growth() {
    // One burst of three losses after slow start, then none: CUBIC's
    // ssthresh is 0.7 of the flight at the loss (4.6), and cwnd grows back along
    // Figure 1: concave up to W_max, slowest near t = K, convex beyond it
    // (4.4, 4.5). NewReno on the same path and losses halves the flight
    // and grows linearly.
    // On a 200 ms path, where W_cubic outgrows the Reno-friendly W_est
    // (section 4.3) from about 40 segments.
    let long = LinkConfig::default().with_latency(Duration::from_millis(100));
    let size = (1 << 20, 40 << 20);
    let run = |cc| {
        one_way_cc(
            3,
            Recovery::Rack,
            cc,
            long,
            size,
            Some(burst_of_three(1000)),
        )
        .unwrap()
    };
    let r = run(Congestion::Cubic);
    let n = run(Congestion::NewReno);
    let fall = r
        .cwnd
        .windows(2)
        .position(|w| w[1].1 < w[0].1)
        .expect("a reduction");
    let (loss_at, peak) = r.cwnd[fall];
    let &(_, ssthresh) = r.ssthresh.last().unwrap();
    assert_eq!(r.ssthresh.len(), 2, "one reduction: {:?}", r.ssthresh);
    // Up to the loss both runs are the same slow start, so the flight at
    // the loss is the same: NewReno's ssthresh is half of it, CUBIC's 0.7.
    let &(_, n_ssthresh) = n.ssthresh.last().unwrap();
    let flights = [2 * n_ssthresh, 2 * n_ssthresh + 1];
    assert!(
        flights
            .iter()
            .any(|&f| ssthresh == (u64::from(f) * 7 / 10) as u32),
        "β_cubic = 0.7 of the flight, {}: {ssthresh}",
        2 * n_ssthresh
    );
    // K = cubic_root((W_max - cwnd_epoch) / C), in segments (of the MSS
    // option, 1460), C = 0.4; W_max is cwnd at the loss: the last cwnd
    // seen, or a segment more when the ACK that revealed the loss first
    // grew it.
    let k = |w_max: u32| (f64::from(w_max - ssthresh) / 1460.0 / 0.4).cbrt();
    let k = (k(peak) + k(peak + 1460)) / 2.0;
    let at = |s: f64| cwnd_at(&r.cwnd, loss_at + Duration::from_micros((s * 1e6) as u64));
    let (q1, q2, q3, q4) = (at(k * 0.25), at(k * 0.5), at(k * 0.75), at(k));
    println!(
        "CUBIC: peak {peak} at {} ms, ssthresh {ssthresh} (NewReno's {n_ssthresh}), K {k:.2} s; cwnd at K/4 {q1}, K/2 {q2}, 3K/4 {q3}, K {q4}, 1.5K {}, 2K {}; {:?} for 40 MiB",
        loss_at.total_millis(),
        at(1.5 * k),
        at(2.0 * k),
        r.elapsed
    );
    // Concave: each quarter of K adds less than the one before.
    assert!(
        q2 - q1 > q3 - q2 && q3 - q2 > q4 - q3,
        "{q1} {q2} {q3} {q4}"
    );
    assert!(
        q4.abs_diff(peak) < peak / 20,
        "at W_max at K: {q4} against {peak}"
    );
    // Convex: the second half-K beyond K adds more than the first.
    let (c1, c2) = (at(1.5 * k), at(2.0 * k));
    assert!(c2 - c1 > c1 - q4, "{q4} {c1} {c2}");
    assert_eq!(r.timeouts, 0);
    println!("NewReno: {:?} for 40 MiB", n.elapsed);
}
