//! Receiving and sending data: RFC 9293 3.10.7.4's acceptability test and
//! text processing, urgent data (3.8.5, RFC 6093), when to ACK (RFC 1122
//! 4.2.3.2), Nagle and silly window avoidance (RFC 1122 4.2.3.3, 4.2.3.4,
//! RFC 9293 3.8.6.2), sequence number wraparound (3.4), and the dispatch
//! contract.

use super::*;

#[test]
fn rfc9293_3_10_7_4_unacceptable_segment_gets_ack() {
    let mut h = established();
    let nxt = IRS + 1;
    let ack_now = exp_ack(ISS + 1, nxt, 8192);

    // Length 0, window > 0: "RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND".
    for bad in [nxt - 1, nxt + 8192, nxt + 100_000] {
        assert_eq!(h.rx(&ack(bad, ISS + 1, 65535)), None);
        // "If an incoming segment is not acceptable, an acknowledgment should
        // be sent in reply: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
        assert_eq!(h.out(), vec![ack_now.clone()], "SEG.SEQ {bad}");
        // One such ACK per oow_ack_interval when the segment carries no
        // data (rfc9293-3.10.7.4-acks-to-unacceptable-segments-...).
        h.advance(h.cfg.oow_ack_interval);
    }
    for good in [nxt, nxt + 1, nxt + 8191] {
        assert_eq!(h.rx(&ack(good, ISS + 1, 65535)), None);
        assert_eq!(h.out(), vec![], "SEG.SEQ {good}");
    }
    // "(unless the RST bit is set, if so drop the segment and return)"
    assert_eq!(h.rx(&rst(nxt + 9000)), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.state(), State::Established);

    // Length > 0, window > 0: the first or the last byte in the window.
    let d = bytes(20);
    // Entirely old (a retransmission): ACK.
    assert_eq!(h.rx(&data(nxt - 20, ISS + 1, &d)), None);
    assert_eq!(h.out(), vec![ack_now.clone()]);
    // Starting at the right edge: ACK.
    assert_eq!(h.rx(&data(nxt + 8192, ISS + 1, &d)), None);
    assert_eq!(h.out(), vec![ack_now.clone()]);
    // The last byte in the window: acceptable, the old part trimmed.
    assert_eq!(h.rx(&data(nxt - 10, ISS + 1, &d)), None);
    assert_eq!(h.recv_all(), d[10..].to_vec());
    // The first byte in the window, the rest beyond it: acceptable.
    let nxt = nxt + 10;
    let big = bytes(9000);
    assert_eq!(h.rx(&data(nxt, ISS + 1, &big)), None);
    assert_eq!(h.s.recv_queue(), 8192, "trimmed to the window");
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 8192, 0)]);
    assert_eq!(h.recv_all(), big[..8192].to_vec());
}

#[test]
fn rfc9293_3_10_7_4_zero_window_acceptability() {
    // A 1000-byte receive buffer, filled: RCV.WND = 0.
    let mut h = connected_with(1000, 1000, ISS, IRS, Some(1460), 65535);
    // Each unacceptable segment below is answered: the rate limit on ACKs
    // to segments without data has its own script.
    h.cfg.oow_ack_interval = Duration::ZERO;
    let nxt = IRS + 1;
    h.s.send_slice(b"0123456789").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, nxt, PSH_ACK, 1000, b"0123456789")]
    );
    let fill = bytes(1000);
    assert_eq!(h.rx(&data(nxt, ISS + 1, &fill)), None);
    h.advance(ms(40));
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt + 1000, 0)]);
    let nxt = nxt + 1000;

    // Length 0, window 0: "SEG.SEQ = RCV.NXT" is acceptable...
    assert_eq!(h.rx(&ack(nxt, ISS + 1, 65535)), None);
    assert_eq!(h.out(), vec![]);
    // ... and anything else is not.
    assert_eq!(h.rx(&ack(nxt + 1, ISS + 1, 65535)), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt, 0)]);
    assert_eq!(h.rx(&ack(nxt - 1, ISS + 1, 65535)), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt, 0)]);

    // Length > 0, window 0: "not acceptable", and answered with an ACK that
    // shows the window is still closed (this is how the peer's zero-window
    // probes learn it, RFC 9293 3.8.6.1)...
    assert_eq!(h.rx(&data(nxt, ISS + 1, b"p")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt, 0)]);
    assert_eq!(h.rx(&data(nxt + 1, ISS + 1, b"q")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt, 0)]);
    assert_eq!(h.s.recv_queue(), 1000, "no byte taken");
    // ... but "special allowance should be made to accept valid ACKs":
    // the ACK in it is processed.
    assert_eq!(h.rx(&data(nxt, ISS + 11, b"p")), None);
    assert_eq!(h.s.send_queue(), 0, "our 10 bytes are acknowledged");
    assert_eq!(h.out(), vec![exp_ack(ISS + 11, nxt, 0)]);
    assert_eq!(h.s.poll_at(h.now), None, "no retransmission pending");
}

#[test]
fn rfc9293_3_10_7_4_window_update_needs_una_le_seg_ack() {
    let mut h = established();
    h.s.send_slice(&bytes(100)).must();
    h.out();
    assert_eq!(h.rx(&data(IRS + 1, ISS + 101, b"x")), None);
    assert_eq!(h.s.send_queue(), 0);
    // A later segment with an older acknowledgment (within the window of
    // RFC 5961 5.2, so not dropped): "If SND.UNA =< SEG.ACK =< SND.NXT, the
    // send window should be updated" -- here SEG.ACK < SND.UNA, so not,
    // although SND.WL1 < SEG.SEQ.
    assert_eq!(h.rx(&seg(IRS + 2, Some(ISS + 51), PSH, 10, b"y")), None);
    assert_eq!(h.s.recv_queue(), 2, "its data is taken");
    h.s.send_slice(&bytes(2920)).must();
    let o = h.out();
    assert_eq!(
        o.iter().map(|o| o.payload.len()).collect::<Vec<_>>(),
        vec![1460, 1460],
        "the window is still 65535"
    );
}

#[test]
fn rfc9293_urgent_pointer_processed_and_mark_reported() {
    let mut h = established();
    // "RCV.UP <- max(RCV.UP, SEG.UP), and signal the user that the remote
    // side has urgent data"; RFC 6093: the pointer points to the byte after
    // the urgent data, which is delivered in line.
    let mut s = data(IRS + 1, ISS + 1, b"abcdef");
    s.flags |= URG;
    s.urgent_pointer = 3;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.urgent_mark(), Some(3));
    let mut buf = [0u8; 2];
    assert_eq!(h.s.recv_slice(&mut buf), Ok(2));
    assert_eq!(&buf, b"ab");
    assert_eq!(h.s.urgent_mark(), Some(1));
    // A later urgent pointer moves the mark forward: RCV.UP = IRS + 8, the
    // next byte to read IRS + 3.
    let mut s = data(IRS + 7, ISS + 1, b"gh");
    s.flags |= URG;
    s.urgent_pointer = 1;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.urgent_mark(), Some(5));
    // Data without URG leaves it.
    assert_eq!(h.rx(&data(IRS + 9, ISS + 1, b"ij")), None);
    assert_eq!(h.s.urgent_mark(), Some(5));
    let mut buf = [0u8; 4];
    assert_eq!(h.s.recv_slice(&mut buf), Ok(4));
    assert_eq!(&buf, b"cdef");
    assert_eq!(h.s.urgent_mark(), Some(1));
    let mut buf = [0u8; 1];
    assert_eq!(h.s.recv_slice(&mut buf), Ok(1));
    assert_eq!(&buf, b"g");
    assert_eq!(h.s.urgent_mark(), None, "all urgent data read");
    assert_eq!(h.recv_all(), b"hij".to_vec(), "in line");

    // Sending: the pointer is the offset of the byte after the urgent data
    // from SEG.SEQ.
    h.s.send_slice(b"xyz").must();
    h.s.mark_urgent();
    h.s.send_slice(b"tail").must();
    let mut want = exp(ISS + 1, IRS + 11, fl(URG, PSH_ACK), 8192, b"xyztail");
    want.urgent = 3;
    assert_eq!(h.out(), vec![want]);
    // Once the urgent data is acknowledged, no more URG.
    h.rx(&ack(IRS + 11, ISS + 8, 65535));
    h.s.send_slice(b"next").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 8, IRS + 11, PSH_ACK, 8192, b"next")]
    );
}

#[test]
fn rfc5681_4_2_out_of_order_data_held_and_acked_at_once() {
    let mut h = established();
    let nxt = IRS + 1;
    // Out of order: held, and "a TCP receiver SHOULD send an immediate
    // duplicate ACK when an out-of-order segment arrives" (RFC 5681 4.2).
    assert_eq!(h.rx(&data(nxt + 10, ISS + 1, b"klmnopqrst")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt, 8192)]);
    assert_eq!(h.s.recv_queue(), 0);
    assert_eq!(h.rx(&data(nxt + 25, ISS + 1, b"zzzzz")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt, 8192)]);
    // Filling the first hole: "a TCP receiver SHOULD send an immediate ACK
    // when the incoming segment fills in all or part of a gap".
    assert_eq!(h.rx(&data(nxt, ISS + 1, b"abcdefghij")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 20, 8172)]);
    assert_eq!(h.recv_all(), b"abcdefghijklmnopqrst".to_vec());
    // A duplicate of out-of-order data changes nothing.
    assert_eq!(h.rx(&data(nxt + 25, ISS + 1, b"zzzzz")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 20, 8192)]);
    assert_eq!(h.rx(&data(nxt + 20, ISS + 1, b"uvwxy")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 30, 8182)]);
    assert_eq!(h.recv_all(), b"uvwxyzzzzz".to_vec());
}

#[test]
fn rfc9293_data_beyond_the_window_is_trimmed() {
    let mut h = connected_with(1000, 1000, ISS, IRS, Some(1460), 65535);
    let d = bytes(1500);
    let mut s = data(IRS + 1, ISS + 1, &d);
    s.flags |= FIN;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.recv_queue(), 1000);
    assert_eq!(
        h.s.state(),
        State::Established,
        "the FIN beyond the window is cut off"
    );
    h.advance(ms(40));
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1001, 0)]);
    assert_eq!(h.recv_all(), d[..1000].to_vec());
}

#[test]
fn rfc9293_fin_beyond_a_gap_is_remembered() {
    let mut h = established();
    let nxt = IRS + 1;
    let mut s = data(nxt + 5, ISS + 1, b"world");
    s.flags |= FIN;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::Established);
    assert!(!h.s.peer_closed());
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt, 8192)]);
    // Data beyond the remembered FIN is cut off (the stream ends there),
    // and a second FIN elsewhere is ignored.
    let mut beyond = data(nxt + 5, ISS + 1, b"world and more");
    beyond.flags |= FIN;
    assert_eq!(h.rx(&beyond), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt, 8192)]);
    // The gap fills; the data is delivered, and the FIN after it is
    // processed at once: "advance RCV.NXT over the FIN, and send an
    // acknowledgment for the FIN", CLOSE-WAIT.
    assert_eq!(h.rx(&data(nxt, ISS + 1, b"hello")), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert!(h.s.peer_closed());
    // (8181: the right edge stays where it was advertised, nxt + 8192, as
    // receiver SWS avoidance keeps it for small changes.)
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 11, 8181)]);
    assert_eq!(h.recv_all(), b"helloworld".to_vec());
    let mut buf = [0u8; 4];
    assert_eq!(h.s.recv_slice(&mut buf), Err(RecvError::Finished));
    // The peer's retransmission of it is old: answered with an ACK.
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 11, 8192)]);
}

#[test]
fn rfc1122_4_2_3_2_ack_every_second_full_segment() {
    let mut h = established();
    let nxt = IRS + 1;
    let d = bytes(1460 * 5);
    // "an ACK should be generated for at least every second full-sized
    // segment".
    assert_eq!(h.rx(&data(nxt, ISS + 1, &d[..1460])), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.rx(&data(nxt + 1460, ISS + 1, &d[1460..2920])), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 2920, 5272)]);
    assert_eq!(h.rx(&data(nxt + 2920, ISS + 1, &d[2920..4380])), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.rx(&data(nxt + 4380, ISS + 1, &d[4380..5840])), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 5840, 2352)]);
    assert_eq!(h.s.poll_at(h.now), None, "no delayed ACK left pending");
}

#[test]
fn rfc1122_4_2_3_2_delayed_ack_under_500ms() {
    let mut h = established();
    let delay = h.cfg.ack_delay.must();
    // "the delay MUST be less than 0.5 seconds".
    assert!(delay < ms(500));
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, b"small")), None);
    assert_eq!(h.out(), vec![]);
    let due = h.now + delay;
    assert_eq!(h.s.poll_at(h.now), Some(due));
    h.set_time(due - Duration::from_micros(1));
    assert_eq!(h.out(), vec![]);
    h.set_time(due);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 6, 8187)]);
    assert_eq!(h.s.poll_at(h.now), None);
    // (A second segment, of any size, is acknowledged at once: the code's
    // choice, more often than "every second full-sized segment".)
    assert_eq!(h.rx(&data(IRS + 6, ISS + 1, b"a")), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.rx(&data(IRS + 7, ISS + 1, b"b")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 8, 8185)]);
    // Data we send carries the ACK and cancels the timer.
    assert_eq!(h.rx(&data(IRS + 8, ISS + 1, b"q")), None);
    h.s.send_slice(b"answer").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 9, PSH_ACK, 8184, b"answer")]
    );
    assert_eq!(h.s.poll_at(h.now), Some(h.now + ms(300)), "only the RTO");
    // With delayed ACKs off, every segment is acknowledged at once.
    let mut h = established();
    h.cfg.ack_delay = None;
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, b"small")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 6, 8187)]);
}

#[test]
fn rfc1122_4_2_3_4_nagle_holds_small_segments() {
    let mut h = established();
    assert!(h.s.nagle_enabled());
    h.s.send_slice(b"hello").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"hello")]
    );
    // "If there is unacknowledged data ..., then the sending TCP endpoint
    // buffers all user data ... until the outstanding data has been
    // acknowledged or until the TCP endpoint can send a full-sized segment."
    h.s.send_slice(b"world").must();
    assert_eq!(h.out(), vec![]);
    h.s.send_slice(b"!").must();
    assert_eq!(h.out(), vec![]);
    h.advance(ms(50));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 6, 65535)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 6, IRS + 1, PSH_ACK, 8192, b"world!")]
    );
    // A full segment goes even with data outstanding; the small rest waits.
    let d = bytes(1500);
    h.s.send_slice(&d).must();
    assert_eq!(h.out(), vec![exp(ISS + 12, IRS + 1, ACK, 8192, &d[..1460])]);
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 12, 65535)), None);
    assert_eq!(h.out(), vec![], "1460 bytes still unacknowledged");
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1472, 65535)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1472, IRS + 1, PSH_ACK, 8192, &d[1460..])]
    );
}

#[test]
fn rfc1122_4_2_3_4_nagle_off_sends_at_once() {
    let mut h = established();
    h.s.set_nagle_enabled(false);
    h.s.send_slice(b"hello").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"hello")]
    );
    h.s.send_slice(b"world").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 6, IRS + 1, PSH_ACK, 8192, b"world")]
    );
}

#[test]
fn rfc9293_3_8_6_2_1_sender_sws_avoidance() {
    // The peer offers 1000 bytes (less than one MSS).
    let mut h = connected_with(8192, 8192, ISS, IRS, Some(1460), 1000);
    let d = bytes(3000);
    h.s.send_slice(&d).must();
    // "at least a fraction Fs of the maximum window can be sent": 1000 is
    // the whole window.
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..1000])]);
    // The window reopens by 300 bytes (< max window / 2): wait.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1001, 300)), None);
    assert_eq!(h.out(), vec![]);
    // 600 (>= 500): send.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1001, 600)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1001, IRS + 1, ACK, 8192, &d[1000..1600])]
    );
    // The tail of the data goes even if small (Nagle permitting).
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1601, 1000)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1601, IRS + 1, ACK, 8192, &d[1600..2600])]
    );
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2601, 1000)), None);
    assert_eq!(
        h.out(),
        vec![exp(ISS + 2601, IRS + 1, PSH_ACK, 8192, &d[2600..])]
    );
}

#[test]
fn rfc1122_4_2_3_3_receiver_window_update_after_read() {
    let mut h = connected_with(1000, 1000, ISS, IRS, Some(1460), 65535);
    let d = bytes(1000);
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, &d)), None);
    h.advance(ms(40));
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1001, 0)]);
    // Receiver SWS avoidance: a small read does not reopen the window.
    let mut buf = [0u8; 100];
    assert_eq!(h.s.recv_slice(&mut buf), Ok(100));
    assert_eq!(h.out(), vec![]);
    // Half the buffer (min(buffer/2, MSS) = 500) does, at once.
    let mut buf = [0u8; 400];
    assert_eq!(h.s.recv_slice(&mut buf), Ok(400));
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1001, 500)]);
    // Reading everything opens the whole buffer: no stall.
    assert_eq!(h.recv_all().len(), 500);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1001, 1000)]);
    assert_eq!(h.rx(&data(IRS + 1001, ISS + 1, &d)), None);
    assert_eq!(h.s.recv_queue(), 1000);
}

#[test]
fn rfc9293_3_4_sequence_numbers_wrap_around() {
    let iss = u32::MAX - 1000;
    let irs = u32::MAX - 500;
    let w = |x: u32, n: u32| x.wrapping_add(n);
    let mut h = connected_with(8192, 8192, iss, irs, Some(1460), 65535);
    let d = bytes(3000);
    h.s.send_slice(&d).must();
    assert_eq!(
        h.out(),
        vec![
            exp(w(iss, 1), w(irs, 1), ACK, 8192, &d[..1460]),
            exp(460, w(irs, 1), ACK, 8192, &d[1460..2920]),
        ]
    );
    assert_eq!(h.rx(&ack(w(irs, 1), 1920, 65535)), None);
    assert_eq!(
        h.out(),
        vec![exp(1920, w(irs, 1), PSH_ACK, 8192, &d[2920..])]
    );
    let r = bytes(1000);
    assert_eq!(h.rx(&data(w(irs, 1), 2000, &r)), None);
    assert_eq!(h.s.send_queue(), 0);
    h.advance(ms(40));
    assert_eq!(h.out(), vec![exp_ack(2000, 500, 7192)]);
    // Out of order across the wrap.
    assert_eq!(h.rx(&data(510, 2000, b"0123456789")), None);
    assert_eq!(h.out(), vec![exp_ack(2000, 500, 7192)]);
    assert_eq!(h.rx(&data(500, 2000, b"abcdefghij")), None);
    assert_eq!(h.out(), vec![exp_ack(2000, 520, 7172)]);
    let mut got = h.recv_all();
    assert_eq!(got.len(), 1020);
    assert_eq!(got.split_off(1000), b"abcdefghij0123456789".to_vec());
    assert_eq!(got, r);
    assert_eq!(h.rx(&fin(520, 2000)), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert_eq!(h.out(), vec![exp_ack(2000, 521, 8192)]);
    h.s.close();
    assert_eq!(h.out(), vec![exp(2000, 521, FIN_ACK, 8192, &[])]);
    assert_eq!(h.rx(&ack(521, 2001, 65535)), None);
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn dispatch_failure_leaves_the_state_unchanged() {
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    assert!(!h.dispatch_with(&mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(h.s.poll_at(h.now), Some(h.now), "the SYN is still due");
    assert_eq!(h.out().len(), 1);

    let mut h = established();
    h.s.send_slice(b"data").must();
    assert!(!h.dispatch_with(&mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(h.s.poll_at(h.now), Some(h.now));
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"data")]);
    h.rx(&data(IRS + 1, ISS + 5, b"x"));
    h.advance(ms(40));
    assert!(!h.dispatch_with(&mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(
        h.out(),
        vec![exp_ack(ISS + 5, IRS + 2, 8191)],
        "the ACK is still owed"
    );
}

#[test]
fn rfc9293_data_held_beyond_the_fin_is_not_delivered() {
    // Out-of-order data held, then a FIN inside it (an inconsistent or
    // forged peer): when the gap fills, the stream ends at the FIN.
    let mut h = established();
    let nxt = IRS + 1;
    assert_eq!(h.rx(&data(nxt + 2, ISS + 1, b"cdefghij")), None);
    assert_eq!(h.rx(&fin(nxt + 5, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.rx(&data(nxt, ISS + 1, b"ab")), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert_eq!(h.recv_all(), b"abcde".to_vec());
    let o = h.out();
    assert_eq!(o.last().map(|o| o.ack), Some(nxt + 6), "{o:?}");
}

#[test]
fn rfc6093_urgent_mark_counts_data_only_after_the_fin() {
    let mut h = established();
    let mut s = data(IRS + 1, ISS + 1, b"abcdef");
    s.flags |= URG | FIN;
    s.urgent_pointer = 3;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert_eq!(h.s.urgent_mark(), Some(3));
}

#[test]
fn rfc9293_3_10_7_4_a_zero_window_still_takes_urg_and_rst() {
    // "If the RCV.WND is zero, no segments will be acceptable, but special
    // allowance should be made to accept valid ACKs, URGs, and RSTs"
    // (MUST-66).
    let mut h = connected_with(1000, 8192, ISS, IRS, Some(1460), 65535);
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, &bytes(1000))), None);
    let mut urg = ack(IRS + 1001, ISS + 1, 65535);
    urg.flags |= URG;
    urg.urgent_pointer = 20;
    assert_eq!(h.rx(&urg), None);
    assert_eq!(h.s.urgent_mark(), Some(1020), "the pointer is taken");
    assert_eq!(h.rx(&rst(IRS + 1001)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
}

#[test]
fn rfc9293_3_8_5_urgent_data_of_any_length() {
    // "A TCP implementation MUST support a sequence of urgent data of any
    // length" (MUST-31): sent, every segment before the pointer carries
    // URG and points to the byte after the urgent data; received, a
    // pointer beyond the segment is kept whole.
    let mut h = established();
    h.s.set_nagle_enabled(false);
    h.s.send_slice(&bytes(3000)).must();
    h.s.mark_urgent();
    let out = h.out();
    let urgent: Vec<_> = out
        .iter()
        .map(|o| (o.flags.contains(URG), o.urgent, o.payload.len()))
        .collect();
    assert_eq!(
        urgent,
        vec![(true, 3000, 1460), (true, 1540, 1460), (true, 80, 80)]
    );
    let mut s = data(IRS + 1, ISS + 1, b"0123456789");
    s.flags |= URG;
    s.urgent_pointer = 5000;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.urgent_mark(), Some(5000));
}

/// URGENT/11's underflow: an urgent pointer of 0 with URG set points
/// before the segment's first byte (RFC 6093: to the byte after the urgent
/// data, so there is none in this segment). Nothing urgent is signalled,
/// nothing underflows, and the data is delivered in line.
#[test]
fn rfc6093_an_urgent_pointer_of_0_marks_nothing() {
    let mut h = established();
    let mut s = data(IRS + 1, ISS + 1, b"0123456789");
    s.flags |= URG;
    s.urgent_pointer = 0;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.urgent_mark(), None);
    assert_eq!(h.recv_all(), b"0123456789".to_vec());
    // And the same with no data at all.
    let mut s = ack(IRS + 11, ISS + 1, 65535);
    s.flags |= URG;
    s.urgent_pointer = 0;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.urgent_mark(), None);
}
