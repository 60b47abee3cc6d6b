//! Congestion control: RFC 5681 slow start, fast retransmit and recovery,
//! RFC 6582 NewReno, and the window after a timeout.

use super::*;

#[test]
fn rfc5681_fast_retransmit_and_rfc6582_partial_ack() {
    let mut h = H::new(8192, 16384);
    // RFC 5681 alone: RFC 3042's limited transmit has its own test.
    h.cfg.limited_transmit = false;
    let mut h = connected_with_harness(h, ISS, IRS, Some(1000), 65535);
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

#[test]
fn rfc5681_2_zero_window_probes_are_not_duplicate_acks() {
    // "(b) the incoming acknowledgment carries no data": the peer's
    // zero-window probes carry a byte that our closed window trims away;
    // they are judged as they arrived, so three of them are no fast
    // retransmit.
    let mut h = connected_with(1000, 8192, ISS, IRS, Some(1000), 65535);
    let fill = bytes(1000);
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, &fill)), None);
    let d = bytes(3000);
    h.s.send_slice(&d).must();
    let o = h.out();
    assert_eq!(o.len(), 3, "{o:?}");
    let cwnd = h.s.congestion_window();
    let nxt = IRS + 1001;
    for _ in 0..4 {
        assert_eq!(h.rx(&data(nxt, ISS + 1, b"p")), None);
        assert_eq!(h.out(), vec![exp_ack(ISS + 3001, nxt, 0)]);
    }
    assert!(!h.s.in_fast_recovery());
    assert_eq!(h.s.congestion_window(), cwnd);
}

#[test]
fn rfc6582_3_2_steps_2_and_4_no_fast_retransmit_below_recover_after_a_timeout() {
    // Step 4: "After a retransmit timeout, record the highest sequence
    // number transmitted in the variable recover"; step 2: duplicate ACKs
    // that do not cover more than recover do not enter fast retransmit
    // and do not reduce ssthresh again.
    let mut h = connected_with(8192, 16384, ISS, IRS, Some(1000), 65535);
    let d = bytes(12000);
    h.s.send_slice(&d).must();
    let s = ISS + 1;
    assert_eq!(h.out().len(), 4);
    for k in 1..=4 {
        h.rx(&ack(IRS + 1, s + k * 1000, 65535));
    }
    assert_eq!(h.out().len(), 8, "segments 4000..12000");
    // The first of them is lost and the duplicate ACKs for the other seven
    // are delayed past the retransmission timeout.
    let deadline = h.s.poll_at(h.now).must_be("the retransmission timer runs");
    let log = h.run_until(deadline);
    assert_eq!(log.len(), 1, "one segment again, cwnd = 1 MSS: {log:?}");
    assert_eq!(log[0].1.seq, s + 4000);
    assert_eq!(h.s.congestion_window(), 1000);
    for _ in 0..7 {
        h.rx(&ack(IRS + 1, s + 4000, 65535));
    }
    assert!(!h.s.in_fast_recovery());
    assert_eq!(h.s.congestion_window(), 1000, "no second reduction");
    assert_eq!(h.out(), vec![]);
    // The retransmission arrives: everything up to recover is covered, and
    // slow start goes on from one segment.
    h.rx(&ack(IRS + 1, s + 12000, 65535));
    assert_eq!(h.s.congestion_window(), 2000);
}

#[test]
fn rfc5681_3_1_a_lost_syn_gives_one_segment_but_keeps_ssthresh() {
    // "If the SYN or SYN/ACK is lost, the initial window used by a sender
    // after a correctly transmitted SYN MUST be one segment consisting of
    // at most SMSS bytes." ssthresh stays "arbitrarily high": slow start.
    let mut h = H::new(8192, 65535);
    h.connect(ISS).must();
    let log = h.run_until(at_ms(1500));
    assert_eq!(log.len(), 2, "the SYN and its retransmission");
    let mut sa = syn_ack(IRS, ISS + 1);
    sa.options.mss = Some(1000);
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.congestion_window(), 1000);
    h.out();
    let d = bytes(20000);
    h.s.send_slice(&d).must();
    let mut acked = 0u32;
    for round in 0..4 {
        let o = h.out();
        assert_eq!(o.len(), 1 << round, "slow start doubles: {o:?}");
        for seg in o {
            acked += seg.payload.len() as u32;
            h.rx(&ack(IRS + 1, ISS + 1 + acked, 65535));
        }
    }
    assert_eq!(h.s.congestion_window(), 16_000);
}

#[test]
fn rfc6582_3_2_step_1_recover_starts_at_the_iss() {
    // "When the TCP connection is established, the variable recover MUST
    // be initialized to the initial send sequence number": with an ISS half
    // the sequence space from 0, three duplicate ACKs of the first segment
    // (no new ACK ever moved recover) start a fast retransmit.
    let iss = 0x9000_0000;
    let mut h = connected_with(8192, 16384, iss, IRS, Some(1000), 65535);
    h.s.send_slice(&bytes(4000)).must();
    assert_eq!(h.out().len(), 4);
    for _ in 0..3 {
        h.rx(&ack(IRS + 1, iss + 1, 65535));
    }
    assert!(h.s.in_fast_recovery());
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(o[0].seq, iss + 1);
}

#[test]
fn rfc5681_4_2_one_duplicate_ack_per_out_of_order_segment_in_one_poll() {
    // "A TCP receiver SHOULD send an immediate duplicate ACK when an
    // out-of-order segment arrives": four read in one poll (a burst behind
    // a loss) give three duplicate ACKs, which is what the sender's fast
    // retransmit waits for; the segment that fills the gap, one new ACK.
    let mut h = established();
    for k in 1..=4u32 {
        assert_eq!(h.rx(&data(IRS + 1 + 100 * k, ISS + 1, &bytes(100))), None);
    }
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192); 3]);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, &bytes(100))), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 501, 8192 - 500)]);
}

#[test]
fn rfc3042_limited_transmit_sends_a_new_segment_on_each_of_two_duplicates() {
    // "a TCP SHOULD send a segment of previously unsent data in response to
    // each of the first two duplicate acknowledgments that arrive at the
    // sender, if the receiver's advertised window allows the transmission
    // of the segment and the amount of outstanding data would remain less
    // than or equal to the congestion window plus 2*SMSS bytes".
    let mut h = connected_with(8192, 16384, ISS, IRS, Some(1000), 65535);
    let d = bytes(16000);
    h.s.send_slice(&d).must();
    let s = ISS + 1;
    assert_eq!(h.out().len(), 4, "cwnd 4000");
    let dup = ack(IRS + 1, s, 65535);
    h.rx(&dup);
    let o = h.out();
    assert_eq!(o, vec![exp(s + 4000, IRS + 1, ACK, 8192, &d[4000..5000])]);
    h.rx(&dup);
    let o = h.out();
    assert_eq!(o, vec![exp(s + 5000, IRS + 1, ACK, 8192, &d[5000..6000])]);
    // The third: fast retransmit, no more limited transmit.
    h.rx(&dup);
    assert!(h.s.in_fast_recovery());
    assert_eq!(h.out(), vec![exp(s, IRS + 1, ACK, 8192, &d[..1000])]);
    // Off: the two duplicates send nothing.
    let mut h = H::new(8192, 16384);
    h.cfg.limited_transmit = false;
    let mut h = connected_with_harness(h, ISS, IRS, Some(1000), 65535);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 4);
    h.rx(&dup);
    h.rx(&dup);
    assert_eq!(h.out(), vec![]);
}
