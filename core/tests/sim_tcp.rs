//! TCP between simulated stacks: transfers under loss, duplication,
//! reordering, corruption and delay; every byte once, in order; clean
//! closes; failing seeds print themselves for replay.

mod common;

use common::tcp::*;
use common::*;
use microps_core::phy::FaultConfig;
use microps_core::sim::LinkConfig;
use microps_core::socket::tcp::TcpError;
use microps_core::time::Duration;

#[test]
fn handshake_transfer_and_close_on_a_clean_link() {
    let (outcome, net) = transfer(
        1,
        FaultConfig::none(),
        300_000,
        200_000,
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(matches!(outcome, Outcome::Complete), "{outcome:?}");
    let _ = net;
}

/// A random fault mix with loss up to `max_loss_ppm`.
fn random_faults(rng: &mut microps_core::rand::Rng, max_loss_ppm: u32) -> FaultConfig {
    FaultConfig::none()
        .with_drop(rng.below(max_loss_ppm + 1))
        .with_duplicate(rng.below(50_001))
        .with_reorder(rng.below(50_001))
        .with_corrupt(rng.below(20_001))
        .with_delay(
            rng.below(50_001),
            Duration::from_millis(rng.below(30) as u64 + 1),
        )
}

#[test]
fn every_byte_once_in_order_up_to_10_percent_loss() {
    let seeds: u64 = std::env::var("TCP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let only: Option<u64> = std::env::var("TCP_SEED").ok().and_then(|s| s.parse().ok());
    for seed in (0..seeds).filter(|s| only.is_none_or(|o| o == *s)) {
        let mut rng = microps_core::rand::Rng::new(seed ^ 0xabcd);
        let faults = random_faults(&mut rng, 100_000);
        let ab = rng.below(3 << 20) as usize;
        let ba = rng.below(1 << 20) as usize;
        match transfer(seed, faults, ab, ba, Duration::from_secs(3600)) {
            Ok((Outcome::Complete, net)) => {
                let _ = net;
            }
            Ok((Outcome::Aborted(e), _)) => {
                panic!("seed {seed}: aborted with {e} at {faults:?} (replay: TCP_SEED={seed})")
            }
            Err(e) => panic!("{e} with {faults:?}"),
        }
    }
}

#[test]
fn up_to_30_percent_loss_completes_or_aborts_cleanly() {
    for seed in 100..112u64 {
        let mut rng = microps_core::rand::Rng::new(seed);
        let faults = random_faults(&mut rng, 300_000);
        let ab = rng.below(1 << 20) as usize;
        let ba = rng.below(256 << 10) as usize;
        match transfer(seed, faults, ab, ba, Duration::from_secs(4 * 3600)) {
            Ok((Outcome::Complete, _)) => {}
            Ok((Outcome::Aborted(TcpError::TimedOut), _)) => {}
            Ok((Outcome::Aborted(e), _)) => {
                panic!("seed {seed}: aborted with {e}, not the retry limit")
            }
            Err(e) => panic!("{e} with {faults:?}"),
        }
    }
}

#[test]
fn a_transfer_finishes_soon_after_the_faults_stop() {
    for seed in 200..206u64 {
        let faults = FaultConfig::none().with_drop(250_000).with_reorder(100_000);
        let (mut net, a, b, _da, _db) = pair(
            seed,
            LinkConfig::default()
                .with_latency(Duration::from_millis(5))
                .with_faults(faults),
        );
        let (client, server) = open_connection(&mut net, a, b);
        let mut out = Pipe {
            total: 1 << 20,
            ..Default::default()
        };
        let mut back = Pipe::default();
        let mut got = Pipe::default();
        let mut none = Pipe::default();
        // Ten seconds of heavy faults, then a clean link.
        let _ = net.run_until(Duration::from_secs(10), |net| {
            pump(tcp(net, a, client), &mut out, &mut back, 1, 2);
            pump(tcp(net, b, server), &mut none, &mut got, 2, 1);
            false
        });
        assert!(
            tcp(&mut net, a, client).error().is_none(),
            "seed {seed}: gave up during the faults"
        );
        net.heal();
        let healed_at = net.now();
        net.run_until(Duration::from_secs(200), |net| {
            pump(tcp(net, a, client), &mut out, &mut back, 1, 2);
            pump(tcp(net, b, server), &mut none, &mut got, 2, 1);
            got.eof
        })
        .unwrap_or_else(|e| {
            panic!(
                "seed {seed}: stalled after healing: {e}; got {}",
                got.received
            )
        });
        assert_eq!(got.received, 1 << 20);
        assert!(got.wrong.is_none());
        // Bounded by the backed-off RTO (at most 60 s) plus the transfer.
        assert!(
            net.now() - healed_at < Duration::from_secs(120),
            "seed {seed}: took {}",
            net.now() - healed_at
        );
    }
}

/// A segment at RCV.NXT whose checksum fails is dropped and counted, and
/// nothing of it is read: the real data at that sequence number arrives
/// after it and is what the application gets (a guard for any receive path
/// that copies before it verifies).
#[test]
fn a_corrupt_in_order_segment_is_dropped_and_never_read() {
    use microps_core::socket::tcp::State;
    let (mut net, a, b, da, db) = pair(7, LinkConfig::default());
    let (client, server) = open_connection(&mut net, a, b);
    // Without the pending queue the first SYN is lost to ARP and sent
    // again after the 1 s RTO.
    let handshake = if cfg!(feature = "pending-queue") {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(3)
    };
    net.run_until(handshake, |net| {
        tcp(net, b, server).state() == State::Established
    })
    .unwrap();
    net.start_capture(a, da);
    tcp(&mut net, a, client).send_slice(b"first").unwrap();
    net.run_for(Duration::from_millis(100));
    let data = net
        .captured(a, da)
        .into_iter()
        .map(|(_, f)| f)
        .find(|f| f.windows(5).any(|w| w == b"first"))
        .expect("the first segment");
    let at = data.windows(5).position(|w| w == b"first").unwrap();
    // The same segment, moved on to the next sequence number, with a
    // payload whose checksum no longer holds ("ZZZZZ" for "first").
    let mut forged = data.clone();
    let tcp_start = 14 + 20;
    let seq = u32::from_be_bytes(forged[tcp_start + 4..tcp_start + 8].try_into().unwrap());
    forged[tcp_start + 4..tcp_start + 8].copy_from_slice(&(seq + 5).to_be_bytes());
    forged[at..at + 5].copy_from_slice(b"ZZZZZ");
    let drops = net.node(b).stack.stats().tcp.drop_checksum.get();
    net.inject(b, db, &forged);
    net.run_for(Duration::from_millis(10));
    assert_eq!(net.node(b).stack.stats().tcp.drop_checksum, drops + 1);
    tcp(&mut net, a, client).send_slice(b"again").unwrap();
    net.run_for(Duration::from_millis(100));
    let mut got = [0u8; 32];
    let n = tcp(&mut net, b, server).recv_slice(&mut got).unwrap();
    assert_eq!(&got[..n], b"firstagain");
}
