//! RFC 7323 section 2: window scaling, negotiated in the SYNs, the shift
//! from the receive buffer, SYN windows unscaled, no retraction.

use super::*;

/// A passive open from a SYN that offers `shift`, with our `rx` buffer;
/// returns the harness after the handshake and our SYN,ACK.
fn passive(rx: usize, shift: Option<u8>) -> (H, Out) {
    let mut h = H::new(rx, 8192);
    h.s.listen(LOCAL.port().into()).must();
    let mut s = syn(IRS);
    s.options.window_scale = shift;
    assert_eq!(h.rx(&s), None);
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    let syn_ack = o[0].clone();
    let iss = syn_ack.seq;
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 100)), None);
    assert_eq!(h.s.state(), State::Established);
    (h, syn_ack)
}

#[test]
fn rfc7323_2_2_scaling_applies_only_when_both_syns_carry_the_option() {
    // "This option is an offer, not a promise; both sides MUST send
    // Window Scale options in their <SYN> segments to enable window scaling
    // in either direction."
    let (h, syn_ack) = passive(8192, None);
    assert_eq!(syn_ack.options.window_scale, None, "not offered back");
    assert_eq!(h.s.window_scale(), None);
    assert_eq!(h.s.snd.wnd, 100, "the peer's window as it is");

    let (h, syn_ack) = passive(8192, Some(7));
    assert_eq!(
        syn_ack.options.window_scale,
        Some(0),
        "8 KiB needs no shift"
    );
    assert_eq!(h.s.window_scale(), Some((7, 0)));
    assert_eq!(h.s.snd.wnd, 100 << 7, "scaled after the SYN");

    // Turned off: a peer's offer is not taken.
    let mut h = H::new(8192, 8192);
    h.cfg.window_scaling = false;
    h.s.listen(LOCAL.port().into()).must();
    let mut s = syn(IRS);
    s.options.window_scale = Some(7);
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.out()[0].options.window_scale, None);
}

#[test]
fn rfc7323_2_2_the_window_of_a_syn_is_never_scaled() {
    // "The window field in a segment where the SYN bit is set (i.e., a
    // <SYN> or <SYN,ACK>) MUST NOT be scaled."
    let mut h = H::new(1 << 20, 8192);
    h.s.listen(LOCAL.port().into()).must();
    let mut s = syn(IRS);
    s.window_len = 1000;
    s.options.window_scale = Some(3);
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.snd.wnd, 1000, "their SYN's window");
    let o = h.out();
    assert_eq!(o[0].window, 65535, "ours: a 1 MiB buffer, unscaled, capped");
    assert_eq!(
        o[0].options.window_scale,
        Some(5),
        "1 MiB needs a shift of 5"
    );
}

#[test]
fn rfc7323_2_3_the_shift_follows_the_buffer_and_is_at_most_14() {
    // "the maximum shift count ... is 14" and a larger one received "MUST
    // use 14 instead".
    assert_eq!(WindowScale::for_buffer(65535), 0);
    assert_eq!(WindowScale::for_buffer(65536), 1);
    assert_eq!(WindowScale::for_buffer(256 * 1024), 3);
    assert_eq!(WindowScale::for_buffer(1 << 20), 5);
    assert_eq!(WindowScale::for_buffer(usize::MAX), 14);
    let (h, _) = passive(8192, Some(15));
    assert_eq!(h.s.window_scale(), Some((14, 0)));
}

#[test]
fn rfc7323_2_2_a_large_buffer_is_advertised_whole_after_the_handshake() {
    // With a 1 MiB buffer and a shift of 5 the first ACK after the
    // handshake advertises all that is free, to the 32-byte unit (without
    // scaling it would say 65535).
    let (mut h, syn_ack) = passive(1 << 20, Some(7));
    assert_eq!(syn_ack.window, 65535);
    assert_eq!(h.rx(&data(IRS + 1, syn_ack.seq + 1, &bytes(1000))), None);
    h.advance(ms(200));
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    let advertised = usize::from(o[0].window) << 5;
    let free = (1 << 20) - 1000;
    assert!(
        advertised <= free && free - advertised < 32,
        "{advertised} of {free}"
    );
}

#[test]
fn rfc7323_2_4_rounding_never_advertises_more_than_the_buffer_and_a_full_one_says_zero() {
    // The window in units of 2^shift is rounded down: the right edge may
    // fall back by less than a unit ("the receiver MAY shrink by less than
    // one unit", section 2.4), never by a unit or more, and it never runs
    // past the buffer, so a full one advertises 0 and the peer probes. One
    // 100-byte segment at a time into a 256 KiB buffer (a shift of 3),
    // unread.
    let (mut h, syn_ack) = passive(256 * 1024, Some(0));
    let mut edge: Option<u32> = None;
    let mut seq = IRS + 1;
    let mut last_window = u16::MAX;
    for _ in 0..(256 * 1024 / 100 + 10) {
        let _ = h.rx(&data(seq, syn_ack.seq + 1, &bytes(100)));
        seq = IRS + 1 + h.s.recv_queue() as u32;
        h.advance(ms(200));
        for o in h.out() {
            let e = o.ack.wrapping_add(u32::from(o.window) << 3);
            let free = (256 * 1024 - h.s.recv_queue()) as u32;
            assert!(u32::from(o.window) << 3 <= free, "beyond the buffer");
            if let Some(prev) = edge {
                assert!(prev.wrapping_sub(e) as i32 <= 7, "{e} retreats from {prev}");
            }
            edge = Some(edge.map_or(e, |p| if (e.wrapping_sub(p) as i32) > 0 { e } else { p }));
            last_window = o.window;
        }
    }
    assert_eq!(h.s.recv_queue(), 256 * 1024, "the buffer is full");
    assert_eq!(last_window, 0, "and says so");
}

#[test]
fn rfc7323_duplicate_acks_compare_the_scaled_window() {
    // RFC 5681's duplicate ACK has "the advertised window ... unchanged":
    // with the peer's shift of 7 its field of 500 is our SND.WND of
    // 64000, and three such ACKs start a fast retransmit.
    let (mut h, syn_ack) = passive(8192, Some(7));
    let iss = syn_ack.seq;
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 500)), None);
    assert_eq!(h.s.snd.wnd, 64000);
    h.s.send_slice(&bytes(4380)).must();
    assert_eq!(h.out().len(), 3);
    for _ in 0..3 {
        assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 500)), None);
    }
    assert!(h.s.in_fast_recovery());
    assert_eq!(h.out()[0].seq, iss + 1, "the first segment again");
}

#[test]
fn rfc7323_2_2_simultaneous_open_with_both_offers_leaves_the_syn_ack_window_unscaled() {
    // Both SYNs offer scaling; the peer's SYN,ACK that completes the
    // simultaneous open has a SYN's window, not scaled by its shift.
    let mut h = H::new(8192, 8192);
    h.connect(ISS).must();
    h.out();
    let mut s = syn(IRS);
    s.options.window_scale = Some(4);
    s.window_len = 1000;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::SynReceived);
    assert_eq!(h.out()[0].options.window_scale, Some(0));
    let mut sa = syn_ack(IRS, ISS + 1);
    sa.options.window_scale = Some(4);
    sa.window_len = 1000;
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.state(), State::Established);
    assert!(
        h.s.snd.wnd <= 1000,
        "unscaled, at most rounded down: {}",
        h.s.snd.wnd
    );
    assert_eq!(h.s.window_scale(), Some((4, 0)));
}

#[test]
fn rfc7323_2_2_an_active_open_offers_scaling_and_takes_the_answer() {
    // Our SYN offers it; a SYN,ACK without the option leaves both
    // directions unscaled, one with it scales both.
    for (answer, want) in [(None, None), (Some(2), Some((2, 0)))] {
        let mut h = H::new(8192, 8192);
        h.connect(ISS).must();
        assert_eq!(h.out()[0].options.window_scale, Some(0));
        h.advance(ms(10));
        let mut sa = syn_ack(IRS, ISS + 1);
        sa.options.window_scale = answer;
        sa.window_len = 1000;
        assert_eq!(h.rx(&sa), None);
        assert_eq!(h.s.state(), State::Established);
        assert_eq!(h.s.window_scale(), want);
        assert_eq!(h.s.snd.wnd, 1000, "a SYN,ACK's window is not scaled");
    }
}
