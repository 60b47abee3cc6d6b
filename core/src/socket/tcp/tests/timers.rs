//! The timers: RFC 6298's retransmission timer with Karn's rule, RFC 9293
//! 3.8.3's limits, the user timeout (3.10.1), the persist timer (3.8.6.1),
//! keep-alive (RFC 1122 4.2.3.6), the SWS override (3.8.6.2.1) and an
//! orphan's FIN-WAIT-2 limit; and the rule that a socket never says "now"
//! with nothing to do.

use super::*;

#[test]
fn rfc6298_retransmit_on_timeout_with_backoff() {
    let mut h = established();
    let d = bytes(100);
    h.s.send_slice(&d).must();
    let seg = exp(ISS + 1, IRS + 1, PSH_ACK, 8192, &d);
    assert_eq!(h.out(), vec![seg.clone()]);
    // "(5.1) ... start it running so that it will expire after RTO seconds";
    // "(5.4) Retransmit the earliest segment that has not been acknowledged
    // ... (5.5) The host MUST set RTO <- RTO * 2 ("back off the timer")".
    let log = h.run_until(at_ms(5000));
    assert_eq!(
        log,
        vec![
            (at_ms(400), seg.clone()),
            (at_ms(1000), seg.clone()),
            (at_ms(2200), seg.clone()),
            (at_ms(4600), seg.clone()),
        ]
    );
    assert_eq!(h.s.rto(), ms(4800));
    // RFC 5681 3.1: after a timeout cwnd is one segment.
    assert_eq!(h.s.congestion_window(), 1460);
    // "(5.2) When all outstanding data has been acknowledged, turn off the
    // retransmission timer."
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 101, 65535)), None);
    assert_eq!(h.s.poll_at(h.now), None);
    // Karn (RFC 6298 section 3 and 5): that ACK may answer any of the five
    // transmissions, so it is no RTT sample, and the backed-off RTO stays
    // "for the next segment" until a valid sample arrives.
    assert_eq!(h.s.rto(), ms(4800), "the backoff stays without a sample");
    // New data, sent once and acknowledged after 100 ms: a valid sample
    // ends the backoff.
    h.s.send_slice(&d).must();
    h.out();
    h.advance(ms(100));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 201, 65535)), None);
    // SRTT 100 ms, RTTVAR 3/4 * 50 = 37.5 ms: RTO = 100 + 4 * 37.5.
    assert_eq!(h.s.rto(), ms(250));
}

#[test]
fn rfc6298_5_3_new_ack_restarts_the_timer() {
    let mut h = established();
    let d = bytes(2920);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 2);
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(400)));
    // "(5.3) When an ACK is received that acknowledges new data, restart the
    // retransmission timer so that it will expire after RTO seconds".
    h.set_time(at_ms(300));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1461, 65535)), None);
    h.out();
    let rto = h.s.rto();
    assert_eq!(rto, Duration::from_micros(362_500));
    // (The timer table counts whole milliseconds: a deadline is the first
    // millisecond at or after the time asked for, never earlier.)
    assert_eq!(h.s.poll_at(h.now), Some(ceil_ms(at_ms(300) + rto)));
}

#[test]
fn rfc6298_karn_no_sample_from_retransmission() {
    let mut h = established();
    assert_eq!(h.s.srtt(), Some(ms(100)));
    h.s.send_slice(b"data").must();
    h.out();
    let log = h.run_until(at_ms(450));
    assert_eq!(log.len(), 1, "retransmitted at 400 ms");
    // The ACK at 450 ms may be for either transmission: no sample (Karn),
    // and the backed-off RTO stays until new data is acknowledged.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 5, 65535)), None);
    assert_eq!(h.s.srtt(), Some(ms(100)));
    assert_eq!(h.s.rto(), ms(600), "backed off once, and it stays");
    // New data, acknowledged after 200 ms: a sample.
    h.s.send_slice(b"more").must();
    h.out();
    h.advance(ms(200));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 9, 65535)), None);
    // SRTT = 7/8 * 100 + 1/8 * 200.
    assert_eq!(h.s.srtt(), Some(Duration::from_micros(112_500)));
}

#[test]
fn rfc6298_5_7_rto_is_3s_after_a_syn_timeout() {
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    let log = h.run_until(at_ms(1500));
    assert_eq!(
        log.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![at_ms(0), at_ms(1000)]
    );
    assert_eq!(h.rx(&syn_ack(IRS, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.s.srtt(), None);
    // "the RTO MUST be re-initialized to 3 seconds when data transmission
    // begins".
    assert_eq!(h.s.rto(), Duration::from_secs(3));
    h.out();
    h.s.send_slice(b"x").must();
    h.out();
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(4500)));
}

#[test]
fn rfc9293_3_8_3_r2_aborts_with_timed_out() {
    // Data: R2 = 15 retransmissions (more than the 100 s the RFC asks for).
    let mut h = established();
    assert_eq!(h.cfg.max_retransmissions, 15);
    let d = bytes(10);
    h.s.send_slice(&d).must();
    h.out();
    let mut t = 100u64;
    let mut rto = 300u64;
    let mut want = Vec::new();
    for _ in 0..15 {
        t += rto;
        want.push(at_ms(t as i64));
        rto = (rto * 2).min(60_000);
    }
    let give_up = at_ms((t + rto) as i64);
    assert!(
        give_up - at_ms(100) >= Duration::from_secs(100),
        "R2 >= 100 s"
    );
    let log = h.run_until(give_up - Duration::from_micros(1));
    assert_eq!(log.iter().map(|(t, _)| *t).collect::<Vec<_>>(), want);
    assert!(log.iter().all(|(_, o)| o.seq == ISS + 1 && o.payload == d));
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.run_until(give_up + Duration::from_secs(100)), vec![]);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
    assert_eq!(h.s.poll_at(h.now), None);

    // SYN: "R2 for a SYN segment MUST be set large enough to provide
    // retransmission of the segment for at least 3 minutes": SYNs at 0, 1,
    // 3, 7, 15, 31, 63 and 123 s (the RTO capped at 60 s), given up at
    // 183 s.
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    let log = h.run_until(at_ms(182_999));
    let secs: Vec<i64> = log.iter().map(|(t, _)| t.total_millis() / 1000).collect();
    assert_eq!(secs, vec![0, 1, 3, 7, 15, 31, 63, 123]);
    assert!(log.iter().all(|(_, o)| o.seq == ISS && o.flags == SYN));
    assert_eq!(h.s.state(), State::SynSent);
    h.run_until(at_ms(183_000));
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc9293_3_10_1_user_timeout() {
    let mut h = established();
    h.s.set_user_timeout(Some(Duration::from_secs(5)));
    // An idle connection never times out.
    h.run_until(at_ms(10_000));
    assert_eq!(h.s.state(), State::Established);
    // Data sent at 10 s and never acknowledged: the connection is aborted
    // when the user timeout expires, 5 s after (not at the next
    // retransmission).
    h.s.send_slice(b"data").must();
    let log = h.run_until(at_ms(14_999));
    assert_eq!(
        log.iter()
            .map(|(t, _)| t.total_millis())
            .collect::<Vec<_>>(),
        vec![10_000, 10_300, 10_900, 12_100, 14_500]
    );
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(15_000)));
    assert_eq!(h.run_until(at_ms(20_000)), vec![]);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc9293_3_10_1_user_timeout_counts_from_progress() {
    let mut h = established();
    h.s.set_user_timeout(Some(Duration::from_secs(5)));
    h.s.set_nagle_enabled(false);
    // Data acknowledged at 3 s moves the deadline: 4 s later, more is
    // unanswered for 5 s.
    h.s.send_slice(b"a").must();
    h.out();
    h.set_time(at_ms(3000));
    h.rx(&ack(IRS + 1, ISS + 2, 65535));
    h.s.send_slice(b"b").must();
    h.out();
    h.run_until(at_ms(7999));
    assert_eq!(h.s.state(), State::Established);
    h.run_until(at_ms(8000));
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc9293_3_8_6_1_zero_window_probe_with_backoff_and_recovery() {
    let mut h = established();
    // The peer closes its window.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    let d = bytes(100);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![], "nothing fits");
    // "The transmitting host SHOULD send the first zero-window probe when a
    // zero window has existed for the retransmission timeout period
    // (SHLD-29), and SHOULD increase exponentially the interval between
    // successive probes (SHLD-30)." Every probe is answered with a zero
    // window; "the sending TCP peer MUST allow the connection to stay open
    // (MUST-37)".
    let probe = exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1]);
    let mut t = 100;
    for interval in [300, 600, 1200, 2400, 4800, 9600, 19200, 19200, 19200, 19200] {
        t += interval;
        assert_eq!(h.next_event(), vec![probe.clone()], "at {}", h.now);
        assert_eq!(h.now, at_ms(t));
        h.advance(ms(50));
        assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
        assert_eq!(h.out(), vec![]);
    }
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(
        h.s.congestion_window(),
        4380,
        "probe answers are not duplicate ACKs"
    );
    // The window opens (the probe byte was not taken): everything goes, from
    // SND.UNA.
    h.advance(ms(100));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 1000)), None);
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, &d)]);
    assert_eq!(
        h.s.poll_at(h.now),
        Some(h.now + ms(300)),
        "the RTO runs again"
    );
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 101, 1000)), None);
    assert_eq!(h.s.send_queue(), 0);
}

#[test]
fn rfc9293_3_8_6_1_zero_window_probe_byte_taken_when_window_opens() {
    let mut h = established();
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    let d = bytes(100);
    h.s.send_slice(&d).must();
    h.out();
    assert_eq!(
        h.next_event(),
        vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1])]
    );
    // The peer had room after all: it takes the byte and opens.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 1000)), None);
    assert_eq!(h.out(), vec![exp(ISS + 2, IRS + 1, PSH_ACK, 8192, &d[1..])]);
}

#[test]
fn rfc1122_4_2_3_6_keep_alive_probes_and_failure() {
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    // "SEG.SEQ = SND.NXT-1", no data, after the idle interval; unanswered,
    // again every interval; 9 unanswered and the connection is dead.
    let probe = exp_ack(ISS, IRS + 1, 8192);
    let log = h.run_until(at_ms(100_099));
    let want: Vec<_> = (1..=9)
        .map(|k| (at_ms(100 + k * 10_000), probe.clone()))
        .collect();
    assert_eq!(log, want);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.run_until(at_ms(200_000)), vec![]);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc1122_4_2_3_6_keep_alive_answered() {
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    assert_eq!(
        h.run_until(at_ms(10_100)),
        vec![(at_ms(10_100), exp_ack(ISS, IRS + 1, 8192))]
    );
    // The peer answers with an ACK; the connection is idle again from then.
    h.set_time(at_ms(10_150));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 65535)), None);
    let log = h.run_until(at_ms(20_150));
    assert_eq!(log, vec![(at_ms(20_150), exp_ack(ISS, IRS + 1, 8192))]);
    // Traffic keeps it quiet.
    h.set_time(at_ms(25_000));
    h.rx(&data(IRS + 1, ISS + 1, b"x"));
    let log = h.run_until(at_ms(34_999));
    assert_eq!(log, vec![(at_ms(25_040), exp_ack(ISS + 1, IRS + 2, 8191))]);
    assert_eq!(
        h.run_until(at_ms(35_000)),
        vec![(at_ms(35_000), exp_ack(ISS, IRS + 2, 8191))]
    );
}

#[test]
fn fin_wait_2_timeout_applies_to_orphans_only() {
    // RFC 9293 leaves FIN-WAIT-2 open forever. A socket the application
    // holds stays there (its peer may send for hours); an orphan is reset
    // `fin_wait2_timeout` after it entered (Linux's `tcp_fin_timeout`), so a
    // peer that never closes cannot hold it.
    let mut h = established();
    assert_eq!(h.cfg.fin_wait2_timeout, Some(Duration::from_secs(60)));
    h.s.close();
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert!(o[0].flags.contains(TcpFlags::FIN));
    assert_eq!(o[0].seq, ISS + 1);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.s.poll_at(h.now), None, "held: no timer");
    assert_eq!(h.run_until(at_ms(3_600_000)), vec![]);
    assert_eq!(h.s.state(), State::FinWait2);

    // The same, orphaned before FIN-WAIT-2: reset 60 s after entry.
    let mut h = established();
    h.s.close();
    h.s.orphan();
    h.out();
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    let deadline = h.now + Duration::from_secs(60);
    assert_eq!(h.s.poll_at(h.now), Some(deadline));
    h.run_until(deadline - ms(1));
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(
        h.run_until(deadline),
        vec![(deadline, exp(ISS + 2, 0, RST, 0, &[]))],
        "the peer learns the connection is gone"
    );
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);

    // Orphaned while in FIN-WAIT-2: 60 s from then.
    let mut h = established();
    h.s.close();
    h.out();
    h.rx(&ack(IRS + 1, ISS + 2, 65535));
    h.set_time(at_ms(30_000));
    h.s.orphan();
    h.out();
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(90_000)));
}

// ---- the second pass's defects: a socket never says "now" for nothing -----------

#[test]
fn rfc9293_syn_received_retransmitted_syn_and_its_ack_in_one_poll_leave_no_send_pending() {
    // The peer's retransmitted SYN asks for our SYN,ACK again; its ACK
    // arrives in the same poll (all input before any output) and completes
    // the handshake. Nothing is owed then: ESTABLISHED and idle.
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(20));
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None, "an idle connection has no timer");
    assert_eq!(h.run_until(at_ms(600_000)), vec![]);
}

#[test]
fn rfc9293_3_8_6_1_persist_timer_stops_when_nothing_is_left_to_probe() {
    // The peer's window is 0; the probe carries the last queued byte; the
    // peer takes it and still says 0. Nothing is left to send: no timer.
    let mut h = established();
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    h.s.send_slice(b"x").must();
    assert_eq!(h.out(), vec![]);
    assert_eq!(
        h.next_event(),
        vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"x")]
    );
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 0)), None);
    assert_eq!(h.s.send_queue(), 0);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    // A FIN then waits for the window like data, probed by the persist
    // timer (the probe is the FIN itself); its acknowledgment ends it.
    h.s.close();
    assert_eq!(h.out(), vec![], "no room for the FIN");
    let t = h.s.poll_at(h.now).must_be("the persist timer runs");
    assert_eq!(t, h.now + h.s.rto());
    assert_eq!(
        h.next_event(),
        vec![exp(ISS + 2, IRS + 1, FIN_ACK, 8192, &[])]
    );
    assert_eq!(h.s.state(), State::FinWait1);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 3, 0)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    assert_eq!(h.run_until(at_ms(600_000)), vec![]);
}

#[test]
fn rfc1122_4_2_3_6_keep_alive_in_fin_wait_2_for_a_held_socket_never_in_time_wait() {
    // FIN-WAIT-2, the socket held by the application, keep-alive on: probes
    // find a half-closed peer that died (as Linux's keep-alive does).
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    h.s.close();
    assert_eq!(h.out().len(), 1);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    let probe = exp_ack(ISS + 1, IRS + 1, 8192);
    let log = h.run_until(at_ms(200_000));
    let want: Vec<_> = (1..=9)
        .map(|k| (at_ms(110 + k * 10_000), probe.clone()))
        .collect();
    assert_eq!(log, want);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));

    // An orphan in FIN-WAIT-2 sends none (its FIN-WAIT-2 timeout ends it).
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    h.s.close();
    h.s.orphan();
    h.out();
    h.advance(ms(10));
    h.rx(&ack(IRS + 1, ISS + 2, 65535));
    let log = h.run_until(at_ms(59_000));
    assert_eq!(log, vec![]);

    // TIME-WAIT: never.
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    h.s.close();
    h.out();
    h.advance(ms(10));
    h.rx(&fin(IRS + 1, ISS + 2));
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
    assert_eq!(h.s.poll_at(h.now), Some(h.now + Duration::from_secs(60)));
    assert_eq!(h.run_until(at_ms(100_000)), vec![]);
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn rfc1122_4_2_3_6_keep_alive_waits_while_data_is_in_flight() {
    // "Keep-alive packets MUST only be sent when no data or acknowledgement
    // packets have been received for the connection within an interval":
    // with data in flight the retransmission timer watches the peer, and
    // keep-alive probes neither go out nor count.
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(1)));
    let d = bytes(10);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, &d)]);
    let log = h.run_until(at_ms(20_000));
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|(_, o)| o.payload == d),
        "only retransmissions of the data: {log:?}"
    );
    // The data is acknowledged: from then on, idle, the probes come.
    h.rx(&ack(IRS + 1, ISS + 11, 65535));
    let t = h.now;
    let log = h.run_until(t + ms(2500));
    assert_eq!(
        log,
        vec![
            (t + ms(1000), exp_ack(ISS + 10, IRS + 1, 8192)),
            (t + ms(2000), exp_ack(ISS + 10, IRS + 1, 8192)),
        ]
    );
}

#[test]
fn rfc6298_5_backoff_kept_until_a_valid_rtt_sample() {
    // RFC 6298 section 5 and Karn: the backed-off RTO is kept until an RTT
    // sample from a segment sent once arrives. The path's RTT rises from
    // 100 ms to 500 ms (RTO 300 ms): one spurious timeout, then the
    // backed-off RTO lets a segment be timed, and no more timeouts.
    let mut h = established();
    h.s.set_nagle_enabled(false);
    let mut timeouts = 0;
    for k in 0..10u32 {
        let seq = ISS + 1 + 10 * k;
        h.s.send_slice(&bytes(10)).must();
        let sent = h.out();
        assert_eq!(sent.len(), 1, "segment {k}: {sent:?}");
        assert_eq!(sent[0].seq, seq);
        let at = h.now;
        // The peer acknowledges it 500 ms later.
        timeouts += h.run_until(at + ms(500)).len();
        assert_eq!(h.rx(&ack(IRS + 1, seq + 10, 65535)), None);
    }
    assert_eq!(timeouts, 1, "ceil(log2(500 / 300)) = 1 timeout");
    assert!(h.s.srtt().must() > ms(200), "the new RTT was measured");
}

#[test]
fn rfc9293_3_8_6_2_1_sws_override_timer_sends_what_the_window_allows() {
    // "(4) data is PUSHed and the override timeout occurs": the peer's
    // window reopens by less than half its largest, nothing is in flight;
    // without the timer one lost window update would freeze the
    // connection.
    let mut h = connected_with(8192, 8192, ISS, IRS, Some(1460), 1000);
    let d = bytes(3000);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1000])]);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1001, 300)), None);
    assert_eq!(h.out(), vec![], "SWS avoidance holds 300 bytes back");
    let at = h.now + h.cfg.sws_override;
    assert_eq!(h.s.poll_at(h.now), Some(at));
    assert_eq!(
        h.next_event(),
        vec![exp(ISS + 1001, IRS + 1, ACK, 8192, &d[1000..1300])]
    );
    assert_eq!(h.now, at);
    // In flight now: the retransmission timer, not the override.
    assert_eq!(h.s.poll_at(h.now), Some(ceil_ms(h.now + h.s.rto())));
}

#[test]
fn rfc9293_3_8_6_1_fin_into_a_zero_window_is_probed_not_timed_out() {
    // SHLD-17, MUST-35, MUST-37: "As long as the receiving TCP peer
    // continues to send acknowledgments in response to the probe segments,
    // the sending TCP peer MUST allow the connection to stay open." The FIN
    // waits for the window; its probes are answered for an hour, past R2's
    // 15 retransmissions; the window opens, and the close completes.
    let mut h = established();
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    h.s.close();
    assert_eq!(h.out(), vec![]);
    let mut probes = 0;
    while h.now < at_ms(3_600_000) {
        for o in h.next_event() {
            assert_eq!(o, exp(ISS + 1, IRS + 1, FIN_ACK, 8192, &[]));
            probes += 1;
        }
        h.advance(ms(5));
        assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    }
    assert!(probes > 15, "{probes} probes");
    assert_eq!(h.s.state(), State::FinWait1);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 1000)), None);
    assert_eq!(h.s.state(), State::FinWait2);
}

#[test]
fn rfc9293_3_8_6_1_data_in_flight_into_a_closing_window_becomes_probes() {
    // The window shrinks to 0 with data in flight: its retransmissions are
    // probes, which do not count towards R2 while they are answered.
    let mut h = established();
    let d = bytes(100);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, &d)]);
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    while h.now < at_ms(3_600_000) {
        let o = h.next_event();
        assert_eq!(o, vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1])]);
        h.advance(ms(5));
        assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    }
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.s.error(), None);
    // Probes that go unanswered end it: R2 of them.
    let log = h.run_until(h.now + Duration::from_secs(3600));
    assert_eq!(log.len(), usize::from(h.cfg.max_retransmissions));
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc9293_3_8_6_1_an_orphan_gives_up_a_closed_window_after_orphan_retries() {
    // MUST-37 allows resource limits: an orphan stops after
    // `orphan_retries` probes, answered or not (Linux's
    // `tcp_orphan_retries`), so a zero-window peer cannot pin it for ever.
    let mut h = established();
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    h.s.send_slice(&bytes(100)).must();
    h.s.close();
    h.s.orphan();
    h.out();
    let mut probes = 0;
    for _ in 0..100 {
        if h.s.state() == State::Closed {
            break;
        }
        probes += h.next_event().len();
        h.advance(ms(5));
        h.rx(&ack(IRS + 1, ISS + 1, 0));
    }
    assert_eq!(probes, usize::from(h.cfg.orphan_retries));
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc6298_5_4_a_timeout_retransmits_what_sws_avoidance_would_hold_back() {
    // "(5.4) Retransmit the earliest segment that has not been acknowledged
    // by the TCP receiver": sent once, it goes again whatever its size.
    // (The simulator matrix found a connection timed out by R2 here: the
    // peer's window update was lost, the SWS override sent 300 bytes, their
    // ACK was lost too, and sender SWS avoidance held back every
    // retransmission.)
    let mut h = connected_with(8192, 8192, ISS, IRS, Some(1460), 1000);
    let d = bytes(3000);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1000])]);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1001, 300)), None);
    let small = exp(ISS + 1001, IRS + 1, ACK, 8192, &d[1000..1300]);
    assert_eq!(h.next_event(), vec![small.clone()], "the SWS override");
    assert_eq!(h.next_event(), vec![small], "the retransmission timeout");
}

#[test]
fn application_calls_arm_the_waiting_timers_before_the_next_poll() {
    // Data queued into a closed window: the socket says "now" until a poll
    // has armed the persist timer, so a loop that sleeps until `poll_at`
    // cannot sleep through it.
    let mut h = established();
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 0)), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    h.s.send_slice(b"queued").must();
    assert_eq!(h.s.poll_at(h.now), Some(h.now));
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), Some(h.now + h.s.rto()));

    // Orphaned in FIN-WAIT-2: the FIN-WAIT-2 limit starts.
    let mut h = established();
    h.s.close();
    h.out();
    h.advance(ms(10));
    h.rx(&ack(IRS + 1, ISS + 2, 65535));
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.s.poll_at(h.now), None);
    h.s.orphan();
    assert_eq!(h.s.poll_at(h.now), Some(h.now));
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), Some(h.now + Duration::from_secs(60)));

    // A user timeout set while data is outstanding counts from then.
    let mut h = established();
    h.s.send_slice(b"x").must();
    h.out();
    h.advance(ms(50));
    h.s.set_user_timeout(Some(Duration::from_secs(2)));
    h.out();
    h.run_until(at_ms(2149));
    assert_eq!(h.s.state(), State::Established);
    h.run_until(at_ms(2150));
    assert_eq!(h.s.error(), Some(TcpError::TimedOut));
}

#[test]
fn rfc1122_4_2_3_6_only_acceptable_segments_reset_keep_alive_idleness() {
    // Segments outside the window (anyone who knows the addresses can send
    // them) do not keep a dead peer's connection looking alive.
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    h.out();
    let mut probes = 0;
    for k in 1..=8 {
        h.set_time(at_ms(100 + k * 5000));
        h.rx(&ack(IRS + 100_000, ISS + 1, 65535));
        probes += h
            .out()
            .iter()
            .filter(|o| o.seq == ISS && o.payload.is_empty())
            .count();
    }
    assert!(probes >= 3, "{probes} keep-alive probes in 40 s");
}

#[test]
fn rfc6298_3_one_rtt_sample_per_round_trip_in_a_bulk_transfer() {
    // "TCP MUST use Karn's algorithm ... [and] SHOULD take at least one RTT
    // measurement per RTT": the path's RTT rises to 180 ms (below the RTO,
    // at least 200 ms) under a transfer of one window per round trip; SRTT
    // follows it every round trip (at most 7/8 of the old error left each
    // time), none missed, and the timers run meanwhile.
    let mut h = established();
    h.s.set_nagle_enabled(false);
    let rtt = 180_000i64;
    let mut srtt = h.s.srtt().must().total_micros() as i64;
    assert!(srtt + 50_000 < rtt, "the handshake's sample: {srtt} us");
    for k in 0..6u32 {
        let seq = ISS + 1 + 2000 * k;
        h.s.send_slice(&bytes(2000)).must();
        assert_eq!(h.out().len(), 2, "round trip {k}");
        let until = h.now + ms(180);
        assert_eq!(h.run_until(until), vec![], "no timeout in round trip {k}");
        assert_eq!(h.rx(&ack(IRS + 1, seq + 2000, 65535)), None);
        let now = h.s.srtt().must().total_micros() as i64;
        assert!(
            (rtt - now) * 8 <= (rtt - srtt) * 7 + 8,
            "round trip {k}: SRTT {srtt} -> {now} us"
        );
        srtt = now;
    }
}

#[test]
fn rfc9293_3_8_3_r1_is_3_retransmissions_and_r2_over_100_seconds() {
    // "The value of R1 SHOULD correspond to at least 3 retransmissions, at
    // the current RTO (SHLD-10). The value of R2 SHOULD correspond to at
    // least 100 seconds (SHLD-11)." R2 counted in doublings from the
    // smallest RTO reaches past 100 s.
    let c = TcpConfig::default();
    assert!(c.r1 >= 3);
    let mut rto = c.rto_min;
    let mut total = Duration::ZERO;
    for _ in 0..=c.max_retransmissions {
        total += rto;
        rto = (rto + rto).min(c.rto_max);
    }
    assert!(total >= Duration::from_secs(100), "R2 = {total}");
    assert!(c.max_retransmissions > c.r1);
}

#[test]
fn rfc1122_4_2_3_6_keep_alive_is_turned_on_and_off_per_connection() {
    // "an application MUST be able to turn them on or off for each TCP
    // connection" (MUST-24), and the idle time "MUST default to no less
    // than two hours" (MUST-28) where the application names none.
    assert!(TcpSocket::DEFAULT_KEEP_ALIVE_IDLE >= Duration::from_secs(7200));
    let mut h = established();
    h.s.set_keep_alive(Some(Duration::from_secs(10)));
    let probe = exp_ack(ISS, IRS + 1, 8192);
    assert_eq!(h.run_until(at_ms(10_100)), vec![(at_ms(10_100), probe)]);
    h.s.set_keep_alive(None);
    assert_eq!(h.out(), vec![], "the next poll takes the change");
    assert_eq!(h.s.poll_at(h.now), None, "off: no timer");
    assert_eq!(h.run_until(at_ms(3_600_000)), vec![]);
    assert_eq!(h.s.state(), State::Established);
}
