//! ICMP errors for a connection (RFC 1122 4.2.3.9, RFC 5927, RFC 1191).

use super::*;

#[test]
fn rfc5927_icmp_error_with_out_of_window_seq_is_ignored() {
    let mut h = established();
    // Nothing in flight: no sequence number is valid ("SND.UNA =< SEG.SEQ <
    // SND.NXT").
    assert!(!h.s.handle_icmp_error(IcmpErrorKind::HostUnreachable, SeqNumber(ISS + 1)));
    h.s.send_slice(&bytes(100)).must();
    h.out();
    for bad in [ISS, ISS + 101, ISS + 5000, ISS - 5000] {
        assert!(!h.s.handle_icmp_error(
            IcmpErrorKind::FragmentationNeeded { mtu: 576 },
            SeqNumber(bad)
        ));
    }
    assert_eq!(h.s.send_mss(), 1460);
    assert_eq!(h.s.soft_error, None);
    for good in [ISS + 1, ISS + 100] {
        assert!(h.s.handle_icmp_error(IcmpErrorKind::HostUnreachable, SeqNumber(good)));
    }
    // A soft error in a synchronized state (RFC 5927 4.2): kept, no abort.
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.s.soft_error, Some(IcmpErrorKind::HostUnreachable));
}

#[test]
fn rfc1122_4_2_3_9_port_unreachable_in_syn_sent_aborts() {
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    // Host unreachable is soft: the SYN is retried.
    assert!(h.s.handle_icmp_error(IcmpErrorKind::HostUnreachable, SeqNumber(ISS)));
    assert_eq!(h.s.state(), State::SynSent);
    // Port (and protocol) unreachable is hard while opening.
    assert!(h.s.handle_icmp_error(IcmpErrorKind::PortUnreachable, SeqNumber(ISS)));
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(
        h.s.error(),
        Some(TcpError::Unreachable(IcmpErrorKind::PortUnreachable))
    );
    assert_eq!(h.out(), vec![]);
    // In a synchronized state it is soft (RFC 5927 4.2).
    let mut h = established();
    h.s.send_slice(b"x").must();
    h.out();
    assert!(h.s.handle_icmp_error(IcmpErrorKind::PortUnreachable, SeqNumber(ISS + 1)));
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn rfc1122_4_2_3_9_soft_error_reported_when_the_connection_times_out() {
    let mut h = established();
    h.s.send_slice(b"x").must();
    h.out();
    assert!(h.s.handle_icmp_error(IcmpErrorKind::HostUnreachable, SeqNumber(ISS + 1)));
    h.run_until(at_ms(2_000_000));
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(
        h.s.error(),
        Some(TcpError::Unreachable(IcmpErrorKind::HostUnreachable))
    );
}

#[test]
fn rfc1191_frag_needed_lowers_the_mss() {
    let mut h = established();
    let d = bytes(1460);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 1);
    // A larger MTU never raises it.
    assert!(h.s.handle_icmp_error(
        IcmpErrorKind::FragmentationNeeded { mtu: 1500 },
        SeqNumber(ISS + 1)
    ));
    assert_eq!(h.s.send_mss(), 1460);
    assert_eq!(h.out(), vec![]);
    // MTU 1000: MSS 960, and what no longer fits goes again at once, the
    // small tail too: it was sent before, so Nagle does not hold it.
    assert!(h.s.handle_icmp_error(
        IcmpErrorKind::FragmentationNeeded { mtu: 1000 },
        SeqNumber(ISS + 1)
    ));
    assert_eq!(h.s.send_mss(), 960);
    assert_eq!(
        h.out(),
        vec![
            exp(ISS + 1, IRS + 1, ACK, 8192, &d[..960]),
            exp(ISS + 961, IRS + 1, PSH_ACK, 8192, &d[960..])
        ]
    );
}

#[test]
fn rfc1122_4_2_3_4_nagle_holds_new_data_not_a_resent_tail() {
    // "If there is unacknowledged data (i.e., SND.NXT > SND.UNA), then the
    // sending TCP buffers all user data": new data. After a timeout the
    // window of one segment sends the first; its ACK opens two, and the
    // small tail, sent once before, goes with the next full one.
    let mut h = connected_with(8192, 8192, ISS, IRS, Some(1000), 65535);
    let d = bytes(2500);
    h.s.set_nagle_enabled(false);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 3);
    h.s.set_nagle_enabled(true);
    let deadline = h.s.poll_at(h.now).must_be("the retransmission timer runs");
    assert_eq!(h.run_until(deadline).len(), 1);
    h.advance(ms(10));
    h.rx(&ack(IRS + 1, ISS + 1001, 65535));
    assert_eq!(
        h.out(),
        vec![
            exp(ISS + 1001, IRS + 1, ACK, 8192, &d[1000..2000]),
            exp(ISS + 2001, IRS + 1, PSH_ACK, 8192, &d[2000..])
        ]
    );
    // New small data behind it waits for the ACK, as Nagle says.
    h.s.send_slice(b"more").must();
    assert_eq!(h.out(), vec![]);
    h.rx(&ack(IRS + 1, ISS + 2501, 65535));
    assert_eq!(
        h.out(),
        vec![exp(ISS + 2501, IRS + 1, PSH_ACK, 8192, b"more")]
    );
}

/// ESTABLISHED as [`established`], with SACK agreed and a scoreboard with
/// RACK's send log, at t = 100 ms.
#[cfg(feature = "tcp-rack")]
fn established_with_send_log() -> H {
    let mut h = H::new(8192, 8192);
    h.s.set_scoreboard(
        Scoreboard::new(vec![SackRange::EMPTY; 8]).with_send_times(vec![SentSegment::EMPTY; 16]),
    );
    h.connect(ISS).must();
    h.out();
    h.advance(ms(100));
    let mut sa = syn_ack(IRS, ISS + 1);
    sa.options.sack_permitted = true;
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.state(), State::Established);
    h.out();
    assert!(h.s.rack_active());
    h
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc1191_only_the_segments_that_no_longer_fit_go_again_without_a_congestion_response() {
    // As Linux's tcp_simple_retransmit: two segments of 1460 and one of
    // 100 are in flight when the path MTU falls to 1000. The two go again
    // from SND.UNA in segments of 960; the 100 bytes, which fit, do not;
    // cwnd is what it was.
    let mut h = established_with_send_log();
    h.s.set_nagle_enabled(false);
    let d = bytes(3020);
    h.s.send_slice(&d[..2920]).must();
    assert_eq!(h.out().len(), 2);
    h.s.send_slice(&d[2920..]).must();
    assert_eq!(h.out().len(), 1, "the small segment");
    let cwnd = h.s.congestion_window();
    assert!(h.s.handle_icmp_error(
        IcmpErrorKind::FragmentationNeeded { mtu: 1000 },
        SeqNumber(ISS + 1)
    ));
    assert_eq!(h.s.send_mss(), 960);
    let o = h.out();
    let sent: Vec<(u32, usize)> = o.iter().map(|s| (s.seq - ISS, s.payload.len())).collect();
    assert_eq!(sent, vec![(1, 960), (961, 960), (1921, 960), (2881, 40)]);
    assert_eq!(o[3].payload, &d[2880..2920]);
    assert_eq!(h.s.congestion_window(), cwnd, "no congestion response");
    assert_eq!(h.s.bytes_in_flight(), 3020, "SND.NXT is back at SND.MAX");
    // New data goes at the new size from there.
    h.rx(&ack(IRS + 1, ISS + 3021, 65535));
    h.s.send_slice(&bytes(2000)).must();
    let o = h.out();
    assert_eq!((o[0].seq - ISS, o[0].payload.len()), (3021, 960));
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc1191_when_everything_in_flight_fits_nothing_goes_again() {
    let mut h = established_with_send_log();
    h.s.set_nagle_enabled(false);
    h.s.send_slice(&bytes(500)).must();
    assert_eq!(h.out().len(), 1);
    assert!(h.s.handle_icmp_error(
        IcmpErrorKind::FragmentationNeeded { mtu: 1000 },
        SeqNumber(ISS + 1)
    ));
    assert_eq!(h.s.send_mss(), 960);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc1191_a_message_never_takes_the_mss_below_the_552_floor() {
    let mut h = established();
    h.s.send_slice(&bytes(1460)).must();
    h.out();
    for _ in 0..2 {
        assert!(h.s.handle_icmp_error(
            IcmpErrorKind::FragmentationNeeded { mtu: 68 },
            SeqNumber(ISS + 1)
        ));
        assert_eq!(h.s.send_mss(), 512, "552 less 40");
    }
}

#[test]
#[cfg(feature = "tcp-rack")]
fn rfc1191_a_second_drop_that_makes_everything_too_big_resends_everything() {
    // After 1400 the 600-byte tail fits; after 552 it does not, and goes
    // again with the rest.
    let mut h = established_with_send_log();
    h.s.set_nagle_enabled(false);
    h.s.send_slice(&bytes(2920)).must();
    h.out();
    h.s.send_slice(&bytes(600)).must();
    h.out();
    for mtu in [1400, 552] {
        assert!(h.s.handle_icmp_error(
            IcmpErrorKind::FragmentationNeeded { mtu },
            SeqNumber(ISS + 1)
        ));
    }
    let o = h.out();
    let resent: usize = o.iter().map(|s| s.payload.len()).sum();
    assert!(o.iter().all(|s| s.payload.len() <= 512));
    assert_eq!(
        resent,
        3520,
        "the tail too: {:?}",
        o.iter().map(|s| s.seq - ISS).collect::<Vec<_>>()
    );
}
