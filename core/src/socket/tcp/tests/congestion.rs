//! Congestion control: RFC 5681 slow start, fast retransmit and recovery,
//! RFC 6582 NewReno, and the window after a timeout.

use super::*;

#[test]
fn rfc5681_fast_retransmit_and_rfc6582_partial_ack() {
    let mut h = connected_with(8192, 16384, ISS, IRS, Some(1000), 65535);
    assert_eq!(h.s.congestion_window(), 4000);
    let d = bytes(16000);
    assert_eq!(h.s.send_slice(&d), Ok(16000));
    let s = ISS + 1;
    let segment = |off: u32, flags| {
        exp(
            s + off,
            IRS + 1,
            flags,
            8192,
            &d[off as usize..off as usize + 1000],
        )
    };
    let o = h.out();
    assert_eq!(
        o,
        (0..4).map(|k| segment(k * 1000, ACK)).collect::<Vec<_>>()
    );
    // Slow start: four ACKs, cwnd 8000.
    for k in 1..=4 {
        h.rx(&ack(IRS + 1, s + k * 1000, 65535));
    }
    assert_eq!(h.s.congestion_window(), 8000);
    let o = h.out();
    assert_eq!(
        o,
        (4..12).map(|k| segment(k * 1000, ACK)).collect::<Vec<_>>()
    );
    // Segments 4000 and 7000 are lost; the other six produce duplicate ACKs.
    let dup = ack(IRS + 1, s + 4000, 65535);
    h.rx(&dup);
    h.rx(&dup);
    assert_eq!(h.out(), vec![], "two duplicates: nothing yet");
    // "The fast retransmit algorithm uses the arrival of 3 duplicate ACKs
    // ... as an indication that a segment has been lost": "(2) ssthresh =
    // max (FlightSize / 2, 2*SMSS)", "(3) The lost segment starting at
    // SND.UNA MUST be retransmitted and cwnd set to ssthresh plus 3*SMSS."
    h.rx(&dup);
    assert!(h.s.in_fast_recovery());
    assert_eq!(h.s.congestion_window(), 7000);
    assert_eq!(h.out(), vec![segment(4000, ACK)], "only the lost segment");
    // "(4) For each additional duplicate ACK received (after the third),
    // cwnd MUST be incremented by SMSS." "(5) When previously unsent data is
    // available and the new value of cwnd and the receiver's advertised
    // window allow, a TCP SHOULD send 1*SMSS bytes of previously unsent
    // data."
    h.rx(&dup);
    assert_eq!(h.s.congestion_window(), 8000);
    assert_eq!(h.out(), vec![], "FlightSize is 8000");
    h.rx(&dup);
    assert_eq!(h.out(), vec![segment(12_000, ACK)]);
    h.rx(&dup);
    assert_eq!(h.out(), vec![segment(13_000, ACK)]);
    assert_eq!(h.s.congestion_window(), 10_000);
    // RFC 6582 3.2 (3), a partial acknowledgment (up to the second hole):
    // "retransmit the first unacknowledged segment", deflate cwnd by the
    // data acknowledged and add back SMSS, "send a new segment if permitted
    // by the new value of cwnd".
    h.rx(&ack(IRS + 1, s + 7000, 65535));
    assert!(h.s.in_fast_recovery());
    assert_eq!(h.s.congestion_window(), 8000);
    assert_eq!(h.out(), vec![segment(7000, ACK), segment(14_000, ACK)]);
    // The full acknowledgment ends recovery: cwnd = min(ssthresh,
    // max(FlightSize, SMSS) + SMSS).
    h.rx(&ack(IRS + 1, s + 15_000, 65535));
    assert!(!h.s.in_fast_recovery());
    assert_eq!(h.s.congestion_window(), 2000);
    assert_eq!(h.out(), vec![segment(15_000, PSH_ACK)]);
}

#[test]
fn rfc5681_3_1_timeout_resends_one_segment_then_slow_starts() {
    let mut h = established();
    let d = bytes(2920);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 2);
    // The timer fires: cwnd = 1 segment, only the first one goes again.
    let log = h.run_until(at_ms(450));
    assert_eq!(
        log,
        vec![(at_ms(400), exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1460]))]
    );
    // Its ACK opens cwnd to two segments; the second goes again.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1461, 65535)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1461, IRS + 1, PSH_ACK, 8192, &d[1460..])]
    );
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2921, 65535)), None);
    assert_eq!(h.s.poll_at(h.now), None);
}
