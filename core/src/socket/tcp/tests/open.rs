//! RFC 9293 3.10.7.1 to 3.10.7.3 (CLOSED, LISTEN, SYN-SENT), SYN-RECEIVED,
//! the handshake's MSS (3.7.1), and the first data of a connection.

use super::*;

#[test]
fn rfc9293_3_10_7_1_closed_port_rst_rules() {
    // "If the ACK bit is off, sequence number zero is used,
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>": SEG.LEN counts SYN and FIN.
    assert_eq!(
        Reply::for_closed(&syn(100)),
        Some(Reply {
            seq: SeqNumber(0),
            ack: SeqNumber(101),
            flags: RST_ACK
        })
    );
    let d = seg(100, None, FIN, 1000, b"hello");
    assert_eq!(
        Reply::for_closed(&d),
        Some(Reply {
            seq: SeqNumber(0),
            ack: SeqNumber(106),
            flags: RST_ACK
        })
    );
    // "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>".
    assert_eq!(
        Reply::for_closed(&data(100, 777, b"abc")),
        Some(Reply {
            seq: SeqNumber(777),
            ack: SeqNumber(0),
            flags: RST
        })
    );
    assert_eq!(
        Reply::for_closed(&syn_ack(100, 4242)),
        Some(Reply {
            seq: SeqNumber(4242),
            ack: SeqNumber(0),
            flags: RST
        })
    );
    // "An incoming segment containing a RST is discarded."
    assert_eq!(Reply::for_closed(&rst(100)), None);
    assert_eq!(Reply::for_closed(&rst_ack(100, 200)), None);
    // A closed socket answers the same way and stays closed.
    let mut h = H::new(1024, 1024);
    assert_eq!(
        h.rx(&syn(100)),
        Some(Reply {
            seq: SeqNumber(0),
            ack: SeqNumber(101),
            flags: RST_ACK
        })
    );
    assert_eq!(h.rx(&rst(100)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_7_2_listen_rst_is_ignored() {
    let mut h = H::new(1024, 1024);
    h.s.listen(80.into()).must();
    assert_eq!(h.rx(&rst(100)), None);
    assert_eq!(h.rx(&rst_ack(100, 200)), None);
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
}

#[test]
fn rfc9293_3_10_7_2_listen_ack_gets_rst_seq_seg_ack() {
    let mut h = H::new(1024, 1024);
    h.s.listen(80.into()).must();
    // "<SEQ=SEG.ACK><CTL=RST>", for any ACK-bearing segment (with a SYN
    // too).
    assert_eq!(
        h.rx(&ack(100, 555, 1000)),
        Some(Reply {
            seq: SeqNumber(555),
            ack: SeqNumber(0),
            flags: RST
        })
    );
    assert_eq!(
        h.rx(&syn_ack(100, 556)),
        Some(Reply {
            seq: SeqNumber(556),
            ack: SeqNumber(0),
            flags: RST
        })
    );
    assert_eq!(h.s.state(), State::Listen);
    // "Fourth, other data or control: ... drop the segment and return."
    assert_eq!(h.rx(&seg(100, None, PSH, 1000, b"data")), None);
    assert_eq!(h.rx(&seg(100, None, FIN, 1000, &[])), None);
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_7_2_listen_syn_gets_syn_ack_with_mss() {
    // "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>", the ISS from RFC 6528's keyed
    // function, our MSS from the interface's MTU (3.7.1).
    let mut h = H::new(4000, 1024);
    h.mss = 1000;
    h.s.listen(80.into()).must();
    h.set_time(at_ms(7));
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.s.state(), State::SynReceived);
    assert_eq!(h.s.remote_endpoint(), REMOTE);
    assert_eq!(h.s.local_endpoint(), LOCAL);
    let iss = TcpSocket::initial_sequence_number(&KEY, LOCAL, REMOTE, h.now).0;
    let mut want = exp(iss, IRS + 1, SYN_ACK, 4000, &[]);
    want.options.mss = Some(1000);
    assert_eq!(h.out(), vec![want]);
    // Our sends are capped by our own MSS too (the peer said 1460).
    assert_eq!(h.s.send_mss(), 1000);
}

#[test]
fn rfc9293_3_10_7_2_listen_syn_text_is_not_kept() {
    // Documented choice: data on a SYN is not queued; the SYN,ACK does not
    // acknowledge it, so the peer sends it again.
    let mut h = H::new(8192, 8192);
    h.s.listen(80.into()).must();
    let mut s = syn(IRS);
    s.payload = b"fast open";
    assert_eq!(h.rx(&s), None);
    let o = h.out();
    assert_eq!((o[0].flags, o[0].ack), (SYN_ACK, IRS + 1));
    let iss = o[0].seq;
    assert_eq!(h.rx(&data(IRS + 1, iss + 1, b"fast open")), None);
    assert_eq!(h.recv_all(), b"fast open".to_vec());
}

#[test]
fn a_syn_with_fin_in_listen_opens_unless_told_to_drop_it() {
    // RFC 9293 3.10.7.2: "any other control or text should be queued for
    // processing later"; FreeBSD's drop_synfin drops such a SYN instead.
    let mut syn_fin = syn(100);
    syn_fin.flags = TcpFlags::SYN | TcpFlags::FIN;
    let mut h = H::new(1024, 1024);
    h.s.listen(80.into()).must();
    assert_eq!(h.rx(&syn_fin), None);
    assert_eq!(h.s.state(), State::SynReceived);

    let mut h = H::new(1024, 1024);
    h.cfg.drop_syn_fin = true;
    h.s.listen(80.into()).must();
    assert_eq!(h.rx(&syn_fin), None);
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_2_send_in_listen_is_refused() {
    // "LISTEN STATE: If the remote socket is specified, then change the
    // connection from passive to active ... If the foreign socket is
    // unspecified, then return "error: foreign socket unspecified"": a
    // listening socket here never has one.
    let mut h = H::new(1024, 1024);
    h.s.listen(80.into()).must();
    assert_eq!(h.s.send_slice(b"x"), Err(SendError::InvalidState));
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.out(), vec![]);
    // In SYN-SENT, data is queued for after the handshake.
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    assert_eq!(h.s.send_slice(b"queued"), Ok(6));
    assert_eq!(h.out().len(), 1, "the SYN alone");
    h.rx(&syn_ack(IRS, ISS + 1));
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"queued")]
    );
}

#[test]
fn rfc9293_3_10_1_active_open_sends_syn_with_mss_and_window() {
    let mut h = H::new(3000, 1024);
    h.mss = 1200;
    h.connect(ISS).must();
    assert_eq!(h.s.state(), State::SynSent);
    let mut want = exp(ISS, 0, SYN, 3000, &[]);
    want.options.mss = Some(1200);
    // RFC 7323 2.2: window scaling offered in every SYN (a 3000-byte buffer
    // needs no shift); RFC 7323 3.2 timestamps (TSval from the clock, 0 ms,
    // the offset 0 as no stack set one; TSecr 0) and RFC 2018
    // SACK-permitted too.
    want.options.window_scale = Some(0);
    want.options.timestamps = Some((0, 0));
    want.options.sack_permitted = true;
    assert_eq!(h.out(), vec![want]);
    assert_eq!(h.out(), vec![], "one SYN until the timer fires");
    assert_eq!(
        h.s.poll_at(h.now),
        Some(at_ms(1000)),
        "RTO = 1 s (RFC 6298 2.1)"
    );
}

#[test]
fn rfc9293_3_10_7_3_syn_sent_to_established() {
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    h.advance(ms(100));
    let mut sa = syn_ack(IRS, ISS + 1);
    sa.window_len = 20000;
    sa.options.mss = Some(1000);
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.state(), State::Established);
    // "form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
    assert_eq!(h.s.send_mss(), 1000);
    assert_eq!(h.s.srtt(), Some(ms(100)), "the SYN was timed");
    assert_eq!(
        h.s.poll_at(h.now),
        None,
        "no timer runs on an idle connection"
    );
}

#[test]
fn rfc9293_3_10_7_3_syn_sent_bad_ack_gets_rst() {
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
    // <SEQ=SEG.ACK><CTL=RST> and discard the segment."
    for bad in [ISS, ISS - 1, ISS + 2, ISS + 100_000] {
        assert_eq!(
            h.rx(&syn_ack(IRS, bad)),
            Some(Reply {
                seq: SeqNumber(bad),
                ack: SeqNumber(0),
                flags: RST
            }),
            "ACK {bad}"
        );
        assert_eq!(
            h.rx(&ack(IRS, bad, 1000)).map(|r| r.seq),
            Some(SeqNumber(bad))
        );
    }
    // "(unless the RST bit is set, if so drop the segment and return)".
    assert_eq!(h.rx(&rst_ack(IRS, ISS + 2)), None);
    assert_eq!(h.s.state(), State::SynSent);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_7_3_syn_sent_rst_with_acceptable_ack_refuses() {
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    // A RST without an ACK is dropped (RFC 5961 3.2: it must acknowledge
    // the SYN).
    assert_eq!(h.rx(&rst(IRS)), None);
    assert_eq!(h.s.state(), State::SynSent);
    // "If the ACK was acceptable, then signal to the user "error: connection
    // reset", drop the segment, enter CLOSED state".
    assert_eq!(h.rx(&rst_ack(0, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Refused));
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    let mut buf = [0u8; 4];
    assert_eq!(
        h.s.recv_slice(&mut buf),
        Err(RecvError::Failed(TcpError::Refused))
    );
    assert_eq!(
        h.s.send_slice(b"x"),
        Err(SendError::Failed(TcpError::Refused))
    );
}

#[test]
fn rfc9293_3_10_7_3_syn_sent_neither_syn_nor_rst_is_dropped() {
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    // "Fifth, if neither of the SYN or RST bits is set, then drop the
    // segment and return."
    assert_eq!(h.rx(&ack(IRS, ISS + 1, 1000)), None);
    assert_eq!(h.rx(&data(IRS, ISS + 1, b"early")), None);
    assert_eq!(h.s.state(), State::SynSent);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_7_3_simultaneous_open() {
    // RFC 9293 figure 8.
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    let mut syn_out = exp(ISS, 0, SYN, 8192, &[]);
    syn_out.options.mss = Some(MSS as u16);
    syn_out.options.window_scale = Some(0);
    syn_out.options.timestamps = Some((0, 0));
    syn_out.options.sack_permitted = true;
    assert_eq!(h.out(), vec![syn_out]);
    // 3. The peer's SYN crosses ours: "Otherwise, enter SYN-RECEIVED, form a
    // SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it."
    h.advance(ms(10));
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.s.state(), State::SynReceived);
    let mut sa = exp(ISS, IRS + 1, SYN_ACK, 8192, &[]);
    sa.options.mss = Some(MSS as u16);
    assert_eq!(h.out(), vec![sa.clone()]);
    // 6. The peer's SYN,ACK acknowledges our SYN: ESTABLISHED.
    h.advance(ms(10));
    assert_eq!(h.rx(&syn_ack(IRS, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.out(), vec![]);
    // Data flows.
    h.s.send_slice(b"hi").must();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"hi")]);
}

#[test]
fn rfc9293_3_10_7_3_simultaneous_open_with_plain_ack_and_rst_refuses() {
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.out().len(), 1);
    // An ACK of our SYN completes the open too.
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Established);

    // An active open in SYN-RECEIVED that is reset was refused: "If this
    // connection was initiated with an active OPEN (i.e., came from SYN-SENT
    // state), then the connection was refused".
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    h.rx(&syn(IRS));
    h.out();
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Refused));
}

#[test]
fn rfc9293_syn_received_ack_establishes() {
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(50));
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
    // continue processing with ... SND.WND <- SEG.WND".
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 2920)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.s.srtt(), Some(ms(50)), "the SYN,ACK was timed");
    assert_eq!(h.out(), vec![]);
    // The window came from that ACK: two full segments may go at once.
    let d = bytes(4000);
    h.s.send_slice(&d).must();
    assert_eq!(
        h.out(),
        vec![
            exp(iss + 1, IRS + 1, ACK, 8192, &d[..1460]),
            exp(iss + 1461, IRS + 1, ACK, 8192, &d[1460..2920]),
        ]
    );
}

#[test]
fn rfc9293_syn_received_passive_rst_returns_to_listen() {
    let (mut h, _iss) = syn_received(8192, 8192);
    // RFC 5961: only a RST at exactly RCV.NXT resets; one elsewhere in the
    // window gets a challenge ACK.
    assert_eq!(h.rx(&rst(IRS + 100)), None);
    assert_eq!(h.s.state(), State::SynReceived);
    // "If this connection was initiated with a passive OPEN (i.e., came from
    // the LISTEN state), then return this connection to LISTEN state".
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.s.error(), None);
    assert_eq!(
        h.s.remote_endpoint(),
        SocketAddrV4::new(Ipv4Address::UNSPECIFIED, 0)
    );
    assert_eq!(h.s.listen_endpoint().port, 80);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None, "no SYN,ACK retransmission");
    // And it accepts a new connection.
    assert_eq!(h.rx(&syn(IRS + 7777)), None);
    assert_eq!(h.s.state(), State::SynReceived);
    assert_eq!(h.out()[0].ack, IRS + 7778);
}

#[test]
fn rfc9293_syn_received_bad_ack_gets_rst() {
    let (mut h, iss) = syn_received(8192, 8192);
    // "If the segment acknowledgment is not acceptable, form a reset segment
    // <SEQ=SEG.ACK><CTL=RST> and send it."
    for bad in [iss, iss + 2, iss.wrapping_sub(1000)] {
        assert_eq!(
            h.rx(&ack(IRS + 1, bad, 1000)),
            Some(Reply {
                seq: SeqNumber(bad),
                ack: SeqNumber(0),
                flags: RST
            }),
            "ACK {bad}"
        );
        assert_eq!(h.s.state(), State::SynReceived);
    }
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_syn_received_retransmitted_syn_gets_syn_ack_again() {
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(20));
    // The peer's SYN again (our SYN,ACK was lost): not acceptable, answered
    // with our SYN,ACK.
    assert_eq!(h.rx(&syn(IRS)), None);
    let mut want = exp(iss, IRS + 1, SYN_ACK, 8192, &[]);
    want.options.mss = Some(MSS as u16);
    assert_eq!(h.out(), vec![want]);
    assert_eq!(h.s.state(), State::SynReceived);
}

#[test]
fn rfc9293_syn_received_passive_syn_in_window_returns_to_listen() {
    let (mut h, _iss) = syn_received(8192, 8192);
    // "Fourth, check the SYN bit: SYN-RECEIVED STATE: If the connection was
    // initiated with a passive OPEN, then return this connection to the
    // LISTEN state and return."
    assert_eq!(h.rx(&syn(IRS + 10)), None);
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_syn_received_syn_ack_retransmitted_on_timeout() {
    let (mut h, iss) = syn_received(8192, 8192);
    let mut want = exp(iss, IRS + 1, SYN_ACK, 8192, &[]);
    want.options.mss = Some(MSS as u16);
    let log = h.run_until(at_ms(3500));
    assert_eq!(
        log,
        vec![(at_ms(1000), want.clone()), (at_ms(3000), want.clone())]
    );
    // RFC 6298 5.7: after a SYN timed out, data starts with RTO = 3 s.
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(
        h.s.srtt(),
        None,
        "Karn: no sample from a retransmitted SYN,ACK"
    );
    assert_eq!(h.s.rto(), Duration::from_secs(3));
}

#[test]
fn rfc9293_syn_received_ack_with_data_and_fin() {
    // The third segment of the handshake may carry data and a FIN: "enter
    // ESTABLISHED state and continue processing", then "SYN-RECEIVED STATE,
    // ESTABLISHED STATE: Enter the CLOSE-WAIT state".
    let (mut h, iss) = syn_received(8192, 8192);
    let mut s = data(IRS + 1, iss + 1, b"early");
    s.flags |= FIN;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert_eq!(h.out(), vec![exp_ack(iss + 1, IRS + 7, 8186)]);
    assert_eq!(h.recv_all(), b"early".to_vec());
}

#[test]
fn rfc9293_passive_open_transfer_and_close() {
    let (mut h, iss) = passive_established();
    assert_eq!(h.s.srtt(), Some(ms(100)));
    assert_eq!(h.rx(&data(IRS + 1, iss + 1, b"request")), None);
    assert_eq!(h.recv_all(), b"request".to_vec());
    h.s.send_slice(b"response").must();
    h.s.close();
    assert_eq!(
        h.out(),
        vec![exp(iss + 1, IRS + 8, FIN_PSH_ACK, 8192, b"response")]
    );
    assert_eq!(h.s.state(), State::FinWait1);
    assert_eq!(h.rx(&fin(IRS + 8, iss + 10)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(iss + 10, IRS + 9, 8192)]);
}

#[test]
fn rfc9293_3_7_1_mss_536_assumed_if_absent() {
    let mut h = connected_with(8192, 8192, ISS, IRS, None, 65535);
    assert_eq!(h.s.send_mss(), 536);
    let d = bytes(2000);
    h.s.send_slice(&d).must();
    assert_eq!(
        h.out(),
        vec![
            exp(ISS + 1, IRS + 1, ACK, 8192, &d[..536]),
            exp(ISS + 537, IRS + 1, ACK, 8192, &d[536..1072]),
            exp(ISS + 1073, IRS + 1, ACK, 8192, &d[1072..1608]),
        ]
    );
}

/// An MSS option of 0 is taken as none; one below `MIN_SND_MSS` (48) is
/// raised to it (Linux's `tcp_min_snd_mss`), so a peer cannot have us send
/// 1-byte segments.
#[test]
fn rfc9293_3_7_1_an_mss_of_0_is_none_and_below_48_is_48() {
    let h = connected_with(8192, 8192, ISS, IRS, Some(0), 65535);
    assert_eq!(h.s.send_mss(), 536);
    for (announced, used) in [(1, 48), (47, 48), (48, 48), (49, 49)] {
        let h = connected_with(8192, 8192, ISS, IRS, Some(announced), 65535);
        assert_eq!(h.s.send_mss(), used, "MSS option {announced}");
    }
}

#[test]
fn rfc9293_3_7_1_segments_never_exceed_the_peers_mss() {
    let mut h = connected_with(8192, 8192, ISS, IRS, Some(1000), 65535);
    assert_eq!(h.s.send_mss(), 1000);
    h.s.set_nagle_enabled(false);
    let d = bytes(8000);
    h.s.send_slice(&d).must();
    let mut sent = 0;
    for _ in 0..10 {
        for o in h.out() {
            assert!(o.payload.len() <= 1000, "{o:?}");
            assert_eq!(o.seq, ISS + 1 + sent as u32);
            sent += o.payload.len();
        }
        h.rx(&ack(IRS + 1, ISS + 1 + sent as u32, 65535));
    }
    assert_eq!(sent, 8000);
    // Our own MTU limits too: the smaller of the two.
    let mut h = H::new(8192, 8192);
    h.mss = 800;
    h.connect(ISS).must();
    assert_eq!(h.out()[0].options.mss, Some(800));
    h.rx(&syn_ack(IRS, ISS + 1));
    assert_eq!(h.s.send_mss(), 800);
}

#[test]
fn rfc9293_simultaneous_open_acks_the_peers_syn_when_its_syn_ack_comes_first() {
    // Figure 8, with the peer's SYN,ACK arriving before ours has left: the
    // peer's SYN is acknowledged all the same.
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    h.advance(ms(10));
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.rx(&syn_ack(IRS, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
}

#[test]
fn rfc9293_syn_received_retransmitted_syn_with_data_is_a_retransmission() {
    // A bare retransmitted SYN fails the acceptability test and gets our
    // SYN,ACK again; one that carries data passes it, and is a
    // retransmission all the same, not a new attempt to reset.
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(20));
    let mut s = syn(IRS);
    s.payload = b"data";
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::SynReceived);
    let mut want = exp(iss, IRS + 1, SYN_ACK, 8192, &[]);
    want.options.mss = Some(MSS as u16);
    assert_eq!(h.out(), vec![want]);
}

#[test]
fn rfc9293_3_10_7_3_text_and_fin_on_a_syn_ack_are_processed() {
    // "If there are other controls or text in the segment, then continue
    // processing at the sixth step under Section 3.10.7.4".
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    h.advance(ms(10));
    let mut sa = syn_ack(IRS, ISS + 1);
    sa.payload = b"hello";
    sa.flags |= FIN;
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 7, 8187)]);
    assert_eq!(h.recv_all(), b"hello".to_vec());
}

#[test]
fn rfc6528_3_isn_is_a_4_microsecond_clock_plus_a_keyed_hash_of_the_tuple() {
    // "ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
    // where M is the 4 microsecond timer" (RFC 9293 3.4.1, MUST-8, SHLD-1).
    let isn = |key: &SipKey, remote: SocketAddrV4, us: i64| {
        TcpSocket::initial_sequence_number(key, LOCAL, remote, Instant::from_micros(us)).0
    };
    let t = 1_000_000_007;
    let base = isn(&KEY, REMOTE, t);
    // M: one step every 4 us, the same F.
    assert_eq!(isn(&KEY, REMOTE, t + 4), base.wrapping_add(1));
    assert_eq!(
        isn(&KEY, REMOTE, t + 4_000_000),
        base.wrapping_add(1_000_000)
    );
    // F: another tuple or another key moves the ISN by an unrelated amount
    // (MUST-9: not computable without the key); neighbouring ports differ in
    // about half their bits.
    let other_port = SocketAddrV4::new(*REMOTE.ip(), REMOTE.port() + 1);
    let other_key = SipKey::new(0x5eed_0001, 0xcafe_0003);
    for other in [isn(&KEY, other_port, t), isn(&other_key, REMOTE, t)] {
        let bits = (other ^ base).count_ones();
        assert!(
            (8..=24).contains(&bits),
            "{other:#x} vs {base:#x}: {bits} bits"
        );
    }
}
