//! RFC 5961: challenge ACKs for RSTs and SYNs in the window, the ACK
//! acceptability range, and the rate limit.

use super::*;

#[test]
fn rfc5961_rst_in_window_not_exact_gets_challenge_ack() {
    let mut h = established();
    for seq in [IRS + 2, IRS + 1000, IRS + 8192] {
        // "If the RST bit is set and the sequence number does not exactly
        // match the next expected sequence value, yet is within the current
        // receive window, TCP MUST send an acknowledgment (challenge ACK):
        // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
        assert_eq!(h.rx(&rst(seq)), None);
        assert_eq!(h.s.state(), State::Established);
        assert_eq!(
            h.out(),
            vec![exp_ack(ISS + 1, IRS + 1, 8192)],
            "RST at {seq}"
        );
    }
    // "If the RST bit is set and the sequence number is outside the current
    // receive window, silently drop the segment." (IRS + 8193 is the first
    // beyond it.)
    for seq in [IRS, IRS + 8193, IRS + 1_000_000] {
        assert_eq!(h.rx(&rst(seq)), None);
        assert_eq!(h.out(), vec![], "RST at {seq}");
    }
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn rfc5961_rst_exact_resets() {
    // "If the RST bit is set and the sequence number exactly matches the
    // next expected sequence number (RCV.NXT), then TCP MUST reset the
    // connection": ESTABLISHED, with or without the ACK bit.
    let mut h = established();
    h.s.send_slice(b"queued").must();
    assert_eq!(h.rx(&rst_ack(IRS + 1, ISS + 1)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
    assert_eq!(h.out(), vec![], "a RST is never answered");
    assert_eq!(h.s.poll_at(h.now), None);
    assert_eq!(
        h.s.send_slice(b"x"),
        Err(SendError::Failed(TcpError::Reset))
    );

    let mut h = established();
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
}

#[test]
fn rfc5961_syn_in_synchronized_state_gets_challenge_ack() {
    let mut h = established();
    // In the window (even at RCV.NXT): "TCP MUST send an ACK (challenge ACK)
    // to the remote peer" and otherwise ignore it.
    for seq in [IRS + 1, IRS + 500] {
        let mut s = syn(seq);
        s.payload = b"data";
        assert_eq!(h.rx(&s), None);
        assert_eq!(h.s.state(), State::Established);
        assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
        assert_eq!(h.s.recv_queue(), 0, "the data on it is not taken");
    }
    // Outside the window (a new connection attempt from the same port): an
    // ACK as for any unacceptable segment.
    assert_eq!(h.rx(&syn(IRS + 100_000)), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn rfc5961_ack_too_old_or_ahead_gets_ack() {
    let mut h = established();
    let d = bytes(100);
    h.s.send_slice(&d).must();
    assert_eq!(h.out().len(), 1);
    // Ahead: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT),
    // then send an ACK, drop the segment, and return."
    assert_eq!(h.rx(&data(IRS + 1, ISS + 102, b"hello")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 101, IRS + 1, 8192)]);
    assert_eq!(h.s.recv_queue(), 0, "the data is dropped with it");
    assert_eq!(h.s.send_queue(), 100, "and nothing acknowledged");
    // Too old: RFC 5961 5.2, "(SND.UNA - MAX.SND.WND) =< SEG.ACK =<
    // SND.NXT" or an ACK and drop.
    let oldest = (ISS + 1) - 65535;
    assert_eq!(h.rx(&data(IRS + 1, oldest - 1, b"hello")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 101, IRS + 1, 8192)]);
    assert_eq!(h.s.recv_queue(), 0);
    // The oldest acceptable one: a duplicate ACK, "it can be ignored", and
    // the data is taken.
    assert_eq!(h.rx(&data(IRS + 1, oldest, b"hello")), None);
    assert_eq!(h.s.recv_queue(), 5);
    assert_eq!(h.s.send_queue(), 100);
    // SEG.ACK = SND.NXT: everything acknowledged.
    assert_eq!(h.rx(&ack(IRS + 6, ISS + 101, 65535)), None);
    assert_eq!(h.s.send_queue(), 0);
}

#[test]
fn rfc5961_challenge_acks_are_rate_limited() {
    let mut h = established();
    assert_eq!(h.cfg.challenge_ack_limit, 10);
    // 15 RSTs in the window within a second: 10 challenge ACKs (section 7).
    let mut acks = 0;
    for i in 0..15 {
        h.rx(&rst(IRS + 100 + i));
        acks += h.out().len();
        h.advance(ms(10));
    }
    assert_eq!(acks, 10);
    // SYNs count against the same budget.
    h.rx(&syn(IRS + 100));
    assert_eq!(h.out(), vec![]);
    // The next second has a fresh budget.
    h.set_time(at_ms(1000));
    h.rx(&syn(IRS + 100));
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn rfc5961_3_without_the_mitigation_an_in_window_rst_resets() {
    // RFC 793's rule, which section 3 replaces: "In all states except
    // SYN-SENT, all reset (RST) segments are validated by checking their
    // SEQ-fields. A reset is valid if its sequence number is in the
    // window." A blind attacker needs to hit the window, not RCV.NXT.
    let mut h = established();
    h.cfg.rfc5961.rst_challenge = false;
    assert_eq!(h.rx(&rst(IRS + 8193)), None, "beyond the window: dropped");
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.rx(&rst(IRS + 1000)), None);
    assert_eq!(h.out(), vec![]);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
}

#[test]
fn rfc5961_4_without_the_mitigation_an_in_window_syn_resets() {
    // RFC 793: "If the SYN is in the window it is an error, send a reset,
    // ... enter the CLOSED state, delete the TCB, and return."
    let mut h = established();
    h.cfg.rfc5961.syn_challenge = false;
    assert_eq!(
        h.rx(&syn(IRS + 500)),
        Some(Reply {
            seq: SeqNumber(0),
            ack: SeqNumber(IRS + 501),
            flags: TcpFlags::RST | TcpFlags::ACK,
        })
    );
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Reset));
    // Outside the window it is an unacceptable segment as before.
    let mut h = established();
    h.cfg.rfc5961.syn_challenge = false;
    assert_eq!(h.rx(&syn(IRS + 100_000)), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 1, 8192)]);
    assert_eq!(h.s.state(), State::Established);
}

#[test]
fn rfc5961_5_without_the_mitigation_data_with_an_old_ack_is_taken() {
    // RFC 793: "If the ACK is a duplicate (SEG.ACK < SND.UNA), it can be
    // ignored", and the segment goes on to its text: a blind attacker
    // injects data with any ACK value half the sequence space behind.
    let mut h = established();
    h.cfg.rfc5961.ack_check = false;
    let too_old = (ISS + 1) - 65535 - 1000;
    assert_eq!(h.rx(&data(IRS + 1, too_old, b"hello")), None);
    assert_eq!(h.s.recv_queue(), 5, "the forged data is taken");
    // Ahead of SND.NXT stays "send an ACK, drop the segment".
    assert_eq!(h.rx(&data(IRS + 6, ISS + 2, b"more")), None);
    assert_eq!(h.s.recv_queue(), 5);
}
