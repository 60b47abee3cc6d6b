//! RFC 7323 sections 3 to 5 (timestamps, TS.Recent, RTTM, PAWS) and the
//! receiver's SACK and D-SACK blocks (RFC 2018, RFC 2883).

use super::*;

/// A segment's options with timestamps `(val, ecr)`.
fn ts(mut s: TcpRepr<'_>, val: u32, ecr: u32) -> TcpRepr<'_> {
    s.options.timestamps = Some((val, ecr));
    s
}

/// A passive open whose SYN carries TSval 5000 and SACK-permitted;
/// returns the harness (established at 10 ms) and our ISS.
fn passive_ts() -> (H, u32) {
    let mut h = H::new(8192, 8192);
    h.s.listen(LOCAL.port().into()).must();
    let mut s = ts(syn(IRS), 5000, 0);
    s.options.sack_permitted = true;
    assert_eq!(h.rx(&s), None);
    // Our clock's offset is the keyed hash of the 4-tuple (RFC 7323 7.1);
    // zero here, so that TSval reads as the harness's milliseconds.
    assert_eq!(h.s.ts.offset, TsVars::offset_for(&KEY, LOCAL, REMOTE));
    h.s.ts.offset = 0;
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(
        o[0].options.timestamps,
        Some((0, 5000)),
        "TSecr echoes the SYN"
    );
    assert!(o[0].options.sack_permitted);
    let iss = o[0].seq;
    h.advance(ms(10));
    assert_eq!(h.rx(&ts(ack(IRS + 1, iss + 1, 8192), 5010, 0)), None);
    assert_eq!(h.s.state(), State::Established);
    (h, iss)
}

#[test]
fn rfc7323_3_2_timestamps_only_when_both_syns_carry_them() {
    // "A TCP MAY send the TSopt in an initial <SYN> segment ... and MAY
    // send a TSopt in <SYN,ACK> only if it received a TSopt in the initial
    // <SYN> segment for the connection."
    let (mut h, _) = passive_established();
    h.s.send_slice(b"hi").must();
    let o = h.out();
    assert_eq!(o[0].options, TcpOptions::new(), "no timestamps: {o:?}");
    // Both offered: "the TSopt MUST be sent in every non-<RST> segment".
    let (mut h, iss) = passive_ts();
    h.advance(ms(5));
    h.s.send_slice(b"hi").must();
    let o = h.out();
    let mut want = exp(iss + 1, IRS + 1, PSH_ACK, 8192, b"hi");
    want.options.timestamps = Some((15, 5010));
    assert_eq!(o, vec![want]);
    // Turned off: not offered, not taken.
    let mut h = H::new(8192, 8192);
    h.cfg.timestamps = false;
    h.cfg.sack = false;
    h.s.listen(LOCAL.port().into()).must();
    let mut s = ts(syn(IRS), 5000, 0);
    s.options.sack_permitted = true;
    assert_eq!(h.rx(&s), None);
    let o = h.out();
    assert_eq!(
        (o[0].options.timestamps, o[0].options.sack_permitted),
        (None, false)
    );
}

#[test]
fn rfc7323_3_2_a_segment_without_timestamps_is_dropped_not_the_connection() {
    // "If a non-<RST> segment is received without a TSopt, a TCP SHOULD
    // silently drop the segment. A TCP MUST NOT abort a TCP connection
    // because any segment lacks an expected TSopt."
    let (mut h, iss) = passive_ts();
    assert_eq!(h.rx(&data(IRS + 1, iss + 1, b"abc")), None);
    assert_eq!(h.out(), vec![], "silently");
    assert_eq!(h.s.recv_queue(), 0);
    assert_eq!(h.s.state(), State::Established);
    // A RST without the option is processed.
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn rfc7323_4_3_ts_recent_takes_only_segments_at_or_before_last_ack_sent() {
    // "If SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent, then
    // SEG.TSval is copied to TS.Recent; otherwise, it is ignored."
    let (mut h, iss) = passive_ts();
    // Two segments, one delayed ACK: it echoes the first.
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 100]), 6000, 10));
    h.rx(&ts(data(IRS + 101, iss + 1, &[2; 100]), 6001, 10));
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(o[0].ack, IRS + 201);
    assert_eq!(o[0].options.timestamps, Some((10, 6000)));
    // Out of order (beyond Last.ACK.sent): not taken.
    h.rx(&ts(data(IRS + 301, iss + 1, &[3; 100]), 6100, 10));
    let o = h.out();
    assert_eq!(o[0].options.timestamps, Some((10, 6000)), "{o:?}");
    // An older TSval at RCV.NXT passes PAWS only if not older than
    // TS.Recent; the same is accepted and kept.
    h.rx(&ts(data(IRS + 201, iss + 1, &[4; 100]), 6000, 10));
    let o = h.out();
    assert_eq!(o[0].ack, IRS + 401, "{o:?}");
    assert_eq!(o[0].options.timestamps, Some((10, 6000)));
}

#[test]
fn rfc7323_5_3_paws_rejects_an_older_tsval_with_an_ack_and_spares_a_rst() {
    let (mut h, iss) = passive_ts();
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), 6000, 10));
    h.advance(ms(50));
    let o = h.out();
    assert_eq!(o[0].ack, IRS + 11);
    // R1: older, not a RST: "Send an acknowledgment in reply ... and drop
    // the segment."
    h.rx(&ts(data(IRS + 11, iss + 1, &[2; 10]), 5999, 10));
    let mut want = exp_ack(iss + 1, IRS + 11, 8192 - 10);
    want.options.timestamps = Some((60, 6000));
    assert_eq!(h.out(), vec![want]);
    assert_eq!(h.s.recv_queue(), 10, "dropped");
    // An old TSval on a RST at RCV.NXT: not checked.
    assert_eq!(h.rx(&ts(rst(IRS + 11), 1, 0)), None);
    assert_eq!(h.s.state(), State::Closed);
}

#[test]
fn rfc7323_5_5_ts_recent_is_invalid_after_24_days_of_silence() {
    // "If a connection remains idle for more than 24 days, TS.Recent is
    // invalidated": the peer's clock may have wrapped its sign bit.
    let (mut h, iss) = passive_ts();
    h.advance(Duration::from_secs(25 * 24 * 3600));
    let wrapped = 5010u32.wrapping_add(1 << 31);
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), wrapped, 10));
    assert_eq!(h.s.recv_queue(), 10, "taken");
    // Also when a timer set in between moved the timer table's epoch (it
    // moves once its offsets near 2^31 ms, about 24.8 days).
    let (mut h, iss) = passive_ts();
    h.advance(Duration::from_secs(24 * 24 * 3600 + 22 * 3600));
    h.s.timers.set(Timer::DelayedAck, h.now, ms(1));
    h.advance(Duration::from_secs(12 * 3600));
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), wrapped, 10));
    assert_eq!(h.s.recv_queue(), 10, "taken after a rebase too");
    // Within 24 days, the same jump is rejected.
    let (mut h, iss) = passive_ts();
    h.advance(Duration::from_secs(23 * 24 * 3600));
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), wrapped, 10));
    assert_eq!(h.s.recv_queue(), 0, "PAWS");
}

#[test]
fn rfc7323_4_1_the_echo_times_a_retransmitted_segment() {
    // Karn's rule drops the sample of a retransmitted segment; with
    // timestamps "the timestamp option removes the ambiguity" (RFC 6298
    // 3), so the RTO timeout's backoff ends with the first echo of the
    // retransmission.
    let (mut h, iss) = passive_ts();
    h.s.send_slice(&[7; 100]).must();
    assert_eq!(h.out().len(), 1);
    let rto = h.s.rto();
    h.advance(rto);
    let o = h.out();
    assert_eq!(o.len(), 1, "retransmitted: {o:?}");
    let resent_at = o[0].options.timestamps.must().0;
    assert!(h.s.rto() > rto, "backed off");
    // An echo of the first transmission (late, not lost) is no sample while
    // backed off.
    h.advance(ms(30));
    h.rx(&ts(ack(IRS + 1, iss + 51, 8192), 5100, 10));
    assert_eq!(h.s.srtt(), None, "the first transmission's echo");
    // The echo of the retransmission is.
    h.advance(ms(20));
    h.rx(&ts(ack(IRS + 1, iss + 101, 8192), 5200, resent_at));
    assert_eq!(h.s.srtt(), Some(ms(50)));
}

#[test]
fn rfc2018_4_without_timestamps_four_blocks_fit_newest_first() {
    // "The first SACK block ... MUST specify the contiguous block of data
    // containing the segment which triggered this ACK"; then "the most
    // recently reported SACK blocks"; four fit without timestamps.
    let mut h = H::new(8192, 8192);
    h.cfg.timestamps = false;
    h.s.listen(LOCAL.port().into()).must();
    let mut s = syn(IRS);
    s.options.sack_permitted = true;
    h.rx(&s);
    let iss = h.out()[0].seq;
    h.rx(&ack(IRS + 1, iss + 1, 8192));
    let base = IRS + 1;
    for k in [1u32, 3, 5, 7, 9] {
        h.rx(&data(base + 10 * k, iss + 1, &[k as u8; 10]));
    }
    let o = h.out();
    let last = o.last().must();
    let b = |k: u32| Some((SeqNumber(base + 10 * k), SeqNumber(base + 10 * k + 10)));
    assert_eq!(
        last.options.sack_blocks,
        [b(9), b(7), b(5), b(1)],
        "the newest three, then the oldest held: {o:?}"
    );
    // SACK off: no blocks.
    let mut h = H::new(8192, 8192);
    h.cfg.sack = false;
    h.s.listen(LOCAL.port().into()).must();
    let mut s = syn(IRS);
    s.options.sack_permitted = true;
    h.rx(&s);
    let o = h.out();
    assert!(!o[0].options.sack_permitted);
    let iss = o[0].seq;
    h.rx(&ack(IRS + 1, iss + 1, 8192));
    h.rx(&data(base + 10, iss + 1, &[1; 10]));
    assert_eq!(h.out()[0].options.sack_blocks, [None; 4]);
}

#[test]
fn rfc2883_a_d_sack_is_reported_once_and_not_when_switched_off() {
    let (mut h, iss) = passive_ts();
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), 6000, 10));
    h.out();
    h.rx(&ts(data(IRS + 1, iss + 1, &[1; 10]), 6001, 10));
    let o = h.out();
    let d = Some((SeqNumber(IRS + 1), SeqNumber(IRS + 11)));
    assert_eq!(o[0].options.sack_blocks, [d, None, None, None], "{o:?}");
    h.rx(&ts(ack(IRS + 11, iss + 1, 8192), 6002, 10));
    h.s.send_slice(b"x").must();
    let o = h.out();
    assert_eq!(o[0].options.sack_blocks, [None; 4], "once: {o:?}");
    // Off: the duplicate is acknowledged without a block.
    h.cfg.dsack = false;
    h.rx(&ts(data(IRS + 1, iss + 2, &[1; 10]), 6003, 10));
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(o[0].options.sack_blocks, [None; 4]);
}

#[test]
fn rfc7323_3_2_a_syn_sent_again_without_timestamps_takes_the_offer_back() {
    // Our SYN,ACK was lost and the peer retries its SYN without options:
    // it is answered, and without timestamps (the peer no longer offers
    // them), rather than dropped as a segment that lacks the option.
    let mut h = H::new(8192, 8192);
    h.s.listen(LOCAL.port().into()).must();
    assert_eq!(h.rx(&ts(syn(IRS), 5000, 0)), None);
    let o = h.out();
    assert!(o[0].options.timestamps.is_some());
    h.advance(ms(300));
    assert_eq!(h.rx(&syn(IRS)), None);
    let o = h.out();
    assert_eq!(o.len(), 1, "the SYN,ACK again: {o:?}");
    assert_eq!((o[0].flags, o[0].options.timestamps), (SYN_ACK, None));
}
