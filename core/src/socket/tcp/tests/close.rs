//! Closing (RFC 9293 figure 5, 3.10.4 CLOSE, 3.10.5 ABORT), TIME-WAIT, and
//! the half closes of the socket API.

use super::*;

#[test]
fn rfc9293_established_fin_to_close_wait() {
    let mut h = established();
    h.advance(ms(10));
    // "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT state",
    // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN."
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 1)), None);
    assert_eq!(h.s.state(), State::CloseWait);
    assert!(h.s.peer_closed());
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 2, 8192)]);
    let mut buf = [0u8; 8];
    assert_eq!(h.s.recv_slice(&mut buf), Err(RecvError::Finished));
}

#[test]
fn rfc9293_close_wait_to_last_ack() {
    let mut h = established();
    h.rx(&fin(IRS + 1, ISS + 1));
    h.out();
    assert!(h.s.may_send());
    // "CLOSE-WAIT STATE: Queue this request until all preceding SENDs have
    // been segmentized; then send a FIN segment, enter LAST-ACK state."
    h.s.send_slice(b"bye").must();
    h.s.close();
    assert!(!h.s.may_send());
    assert_eq!(h.s.send_slice(b"more"), Err(SendError::InvalidState));
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 2, FIN_PSH_ACK, 8192, b"bye")]
    );
    assert_eq!(h.s.state(), State::LastAck);
}

#[test]
fn rfc9293_last_ack_to_closed() {
    let mut h = established();
    h.rx(&fin(IRS + 1, ISS + 1));
    h.out();
    h.s.close();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 2, FIN_ACK, 8192, &[])]);
    assert_eq!(h.s.state(), State::LastAck);
    // An ACK that does not cover the FIN changes nothing.
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 1, 65535)), None);
    assert_eq!(h.s.state(), State::LastAck);
    // The FIN is retransmitted on timeout (RTO 300 ms).
    let log = h.run_until(at_ms(450));
    assert_eq!(
        log,
        vec![(at_ms(400), exp(ISS + 1, IRS + 2, FIN_ACK, 8192, &[]))]
    );
    // "If our FIN is now acknowledged, delete the TCB, enter the CLOSED
    // state, and return."
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
}

#[test]
fn rfc9293_fin_wait_1_to_fin_wait_2() {
    let mut h = established();
    // "ESTABLISHED STATE: ... form a FIN segment and send it. In any case,
    // enter FIN-WAIT-1 state."
    h.s.close();
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, FIN_ACK, 8192, &[])]);
    assert_eq!(h.s.state(), State::FinWait1);
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(400)), "the FIN is timed");
    // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2".
    h.advance(ms(50));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    // "FIN-WAIT-2 STATE: Enter the TIME-WAIT state."
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 2)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
}

#[test]
fn rfc9293_fin_wait_1_fin_and_ack_to_time_wait() {
    let mut h = established();
    h.s.close();
    h.out();
    // "FIN-WAIT-1 STATE: If our FIN has been ACKed (perhaps in this segment),
    // then enter TIME-WAIT, start the time-wait timer, turn off the other
    // timers".
    h.advance(ms(50));
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 2)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
    assert_eq!(
        h.s.poll_at(h.now),
        Some(at_ms(150) + Duration::from_secs(60))
    );
}

#[test]
fn rfc9293_closing_to_time_wait() {
    let mut h = established();
    h.s.close();
    h.out();
    // "FIN-WAIT-1 STATE: ... otherwise, enter the CLOSING state."
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Closing);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
    // "CLOSING STATE: ... if the ACK acknowledges our FIN, then enter the
    // TIME-WAIT state; otherwise, ignore the segment."
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Closing);
    assert_eq!(h.out(), vec![]);
    // Our FIN is retransmitted while in CLOSING.
    let log = h.run_until(at_ms(450));
    assert_eq!(
        log,
        vec![(at_ms(400), exp(ISS + 1, IRS + 2, FIN_ACK, 8192, &[]))]
    );
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_simultaneous_close() {
    // RFC 9293 figure 13: both FINs cross.
    let mut h = established();
    h.s.send_slice(b"last").must();
    h.s.close();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, FIN_PSH_ACK, 8192, b"last")]
    );
    assert_eq!(h.s.state(), State::FinWait1);
    // The peer's FIN, sent before ours arrived: it acknowledges our data but
    // not our FIN.
    h.advance(ms(5));
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 5)), None);
    assert_eq!(h.s.state(), State::Closing);
    assert_eq!(h.out(), vec![exp_ack(ISS + 6, IRS + 2, 8192)]);
    // The peer's ACK of our FIN.
    h.advance(ms(5));
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 6, 65535)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![]);
    assert_eq!(
        h.s.poll_at(h.now),
        Some(at_ms(110) + Duration::from_secs(60))
    );
}

#[test]
fn rfc9293_time_wait_expires_after_2msl() {
    let mut h = established();
    h.s.close();
    h.out();
    h.set_time(at_ms(200));
    h.rx(&fin(IRS + 1, ISS + 2));
    h.out();
    assert_eq!(h.s.state(), State::TimeWait);
    let end = at_ms(200) + Duration::from_secs(60);
    assert_eq!(h.s.poll_at(h.now), Some(end));
    h.set_time(end - Duration::from_micros(1));
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.state(), State::TimeWait);
    h.set_time(end);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.s.poll_at(h.now), None);
}

#[test]
fn rfc9293_time_wait_fin_is_acked_and_timer_restarts() {
    let mut h = established();
    h.s.close();
    h.out();
    h.set_time(at_ms(200));
    h.rx(&fin(IRS + 1, ISS + 2));
    h.out();
    // "The only thing that can arrive in this state is a retransmission of
    // the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
    h.set_time(at_ms(30_200));
    assert_eq!(h.rx(&fin(IRS + 1, ISS + 2)), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(90_200)));
    h.set_time(at_ms(60_200));
    h.out();
    assert_eq!(h.s.state(), State::TimeWait);
    h.set_time(at_ms(90_200));
    h.out();
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn rfc9293_time_wait_syn_gets_challenge_ack() {
    // No timestamps, so no RFC 6191 reuse: "For all other cases, RFC 5961
    // provides a mitigation ... TCP MUST send an ACK (challenge ACK)".
    let mut h = established();
    h.s.close();
    h.out();
    h.rx(&fin(IRS + 1, ISS + 2));
    h.out();
    assert_eq!(h.rx(&syn(IRS + 2)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 2, IRS + 2, 8192)]);
}

#[test]
fn rfc9293_rst_in_closing_states_closes_without_error() {
    // "CLOSING, LAST-ACK, TIME-WAIT STATES: If the RST bit is set, then enter
    // the CLOSED state, delete the TCB, and return."
    let mut h = established();
    h.s.close();
    h.out();
    h.rx(&fin(IRS + 1, ISS + 2));
    h.out();
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.rx(&rst(IRS + 2)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);

    let mut h = established();
    h.rx(&fin(IRS + 1, ISS + 1));
    h.s.close();
    h.out();
    assert_eq!(h.s.state(), State::LastAck);
    assert_eq!(h.rx(&rst(IRS + 2)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);

    // FIN-WAIT-2 is like ESTABLISHED: "connection reset".
    let mut h = established();
    h.s.close();
    h.out();
    h.rx(&ack(IRS + 1, ISS + 2, 65535));
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
}

#[test]
fn rfc9293_half_close_data_still_flows() {
    // We close first: data from the peer still arrives in FIN-WAIT-2.
    let mut h = established();
    h.s.send_slice(b"hi").must();
    h.s.close();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, FIN_PSH_ACK, 8192, b"hi")]
    );
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 4, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    assert!(h.s.may_recv());
    assert_eq!(h.rx(&data(IRS + 1, ISS + 4, b"more data")), None);
    assert_eq!(h.recv_all(), b"more data".to_vec());
    h.advance(ms(40));
    assert_eq!(h.out(), vec![exp_ack(ISS + 4, IRS + 10, 8192)]);
    assert_eq!(h.rx(&fin(IRS + 10, ISS + 4)), None);
    assert_eq!(h.s.state(), State::TimeWait);
    assert_eq!(h.out(), vec![exp_ack(ISS + 4, IRS + 11, 8192)]);

    // The peer closes first: we still send in CLOSE-WAIT.
    let mut h = established();
    h.rx(&fin(IRS + 1, ISS + 1));
    h.out();
    assert_eq!(h.s.state(), State::CloseWait);
    h.s.send_slice(b"reply").must();
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 2, PSH_ACK, 8192, b"reply")]
    );
    assert_eq!(h.rx(&ack(IRS + 2, ISS + 6, 65535)), None);
    assert_eq!(h.s.send_queue(), 0);
    assert_eq!(h.s.state(), State::CloseWait);
}

#[test]
fn rfc9293_3_10_5_abort_sends_rst_seq_snd_nxt() {
    let mut h = established();
    h.s.send_slice(&bytes(100)).must();
    h.out();
    h.s.abort();
    assert_eq!(h.s.state(), State::Closed);
    // "<SEQ=SND.NXT><CTL=RST>"
    assert_eq!(h.out(), vec![exp(ISS + 101, 0, RST, 0, &[])]);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);
    assert_eq!(h.s.send_queue(), 0, "queued data dropped");

    // SYN-RECEIVED: a RST too.
    let (mut h, iss) = syn_received(1024, 1024);
    h.s.abort();
    assert_eq!(h.out(), vec![exp(iss + 1, 0, RST, 0, &[])]);

    // SYN-SENT and TIME-WAIT: nothing is sent.
    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    h.s.abort();
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.out(), vec![]);
    let mut h = established();
    h.s.close();
    h.out();
    h.rx(&fin(IRS + 1, ISS + 2));
    h.out();
    assert_eq!(h.s.state(), State::TimeWait);
    h.s.abort();
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.out(), vec![]);
}

#[test]
fn rfc9293_3_10_4_close_in_listen_and_syn_sent_just_closes() {
    let mut h = H::new(1024, 1024);
    h.s.listen(80.into()).must();
    h.s.close();
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.out(), vec![]);

    let mut h = H::new(1024, 1024);
    h.connect(ISS).must();
    h.out();
    h.s.close();
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.s.poll_at(h.now), None, "no SYN retransmission");
    assert_eq!(h.run_until(at_ms(10_000)), vec![]);
}

#[test]
fn rfc9293_3_10_4_close_in_syn_received_sends_fin_at_once() {
    // "SYN-RECEIVED STATE: If no SENDs have been issued and there is no
    // pending data to send, then form a FIN segment and send it, and enter
    // FIN-WAIT-1 state".
    let (mut h, iss) = syn_received(8192, 8192);
    h.s.close();
    assert_eq!(h.out(), vec![exp(iss + 1, IRS + 1, FIN_ACK, 8192, &[])]);
    assert_eq!(h.s.state(), State::FinWait1);
    // Our SYN is still unacknowledged: a retransmission resends the
    // SYN,ACK, with the FIN.
    let mut again = exp(iss, IRS + 1, fl(SYN_ACK, FIN), 8192, &[]);
    again.options.mss = Some(MSS as u16);
    assert_eq!(h.run_until(at_ms(1000)), vec![(at_ms(1000), again)]);
    // The peer's ACK of the SYN and the FIN: FIN-WAIT-2.
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.poll_at(h.now), None);

    // An ACK of the SYN alone leaves the FIN outstanding, timed.
    let (mut h, iss) = syn_received(8192, 8192);
    h.s.close();
    h.out();
    h.advance(ms(50));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait1);
    assert_eq!(h.s.srtt(), Some(ms(50)), "the SYN,ACK was timed");
    assert_eq!(h.s.poll_at(h.now), Some(h.now + h.s.rto()));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
}

#[test]
fn rfc9293_3_10_4_close_in_syn_received_with_data_waits_for_established() {
    // "... otherwise, queue for processing after entering ESTABLISHED
    // state": data cannot leave in SYN-RECEIVED.
    let (mut h, iss) = syn_received(8192, 8192);
    h.s.send_slice(b"bye").must();
    h.s.close();
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.state(), State::SynReceived);
    h.rx(&ack(IRS + 1, iss + 1, 65535));
    assert_eq!(
        h.out(),
        vec![exp(iss + 1, IRS + 1, FIN_PSH_ACK, 8192, b"bye")]
    );
    assert_eq!(h.s.state(), State::FinWait1);
}

#[test]
fn shutdown_write_is_a_half_close() {
    let mut h = established();
    h.s.shutdown_write();
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert!(o[0].flags.contains(TcpFlags::FIN));
    // Data from the peer still arrives.
    h.advance(ms(10));
    assert_eq!(h.rx(&data(IRS + 1, ISS + 2, b"still here")), None);
    assert_eq!(h.recv_all(), b"still here");
}

#[test]
fn rfc1122_4_2_2_13_data_after_a_full_close_is_reset() {
    let mut h = established();
    h.s.close();
    h.s.shutdown_read();
    let _ = h.out();
    h.advance(ms(10));
    assert_eq!(h.rx(&data(IRS + 1, ISS + 2, b"nobody reads this")), None);
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert!(o[0].flags.contains(TcpFlags::RST));
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn rfc9293_fin_wait_1_from_syn_received_answers_a_retransmitted_syn_with_its_syn_ack() {
    let (mut h, iss) = syn_received(8192, 8192);
    h.s.close();
    assert_eq!(h.out(), vec![exp(iss + 1, IRS + 1, FIN_ACK, 8192, &[])]);
    assert_eq!(h.s.state(), State::FinWait1);
    // Our SYN,ACK was lost: the peer's SYN again, answered with it (the
    // FIN with it), not with a plain ACK the peer in SYN-SENT would drop.
    h.advance(ms(100));
    assert_eq!(h.rx(&syn(IRS)), None);
    let mut want = exp(iss, IRS + 1, fl(SYN_ACK, FIN), 8192, &[]);
    want.options.mss = Some(MSS as u16);
    assert_eq!(h.out(), vec![want]);
}
