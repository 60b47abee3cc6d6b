//! Unit tests, one per RFC rule: ONE socket driven segment by segment with a
//! virtual clock. Each test builds the peer's segments by hand, feeds them to
//! [`TcpSocket::segment_arrives`], collects what `dispatch` sends after
//! [`TcpSocket::handle_timeout`], and asserts on every field.
//!
//! The harness is here; the tests are grouped by RFC section: `open.rs`
//! (3.10.7.1 to 3.10.7.3, SYN-RECEIVED, MSS), `data.rs` (acceptability,
//! text, urgent data, ACK policy, Nagle and SWS), `close.rs` (figure 5,
//! CLOSE, ABORT, TIME-WAIT), `timers.rs` (RFC 6298, R2, the user timeout,
//! persist, keep-alive, SWS override, FIN-WAIT-2), `rfc5961.rs`,
//! `icmp.rs`, `congestion.rs` (RFC 5681, 6582), `rfc7323.rs` (window
//! scaling), `timestamps.rs` (RFC 7323 timestamps and PAWS, SACK and
//! D-SACK blocks).

use alloc::vec;
use alloc::vec::Vec;
use core::net::SocketAddrV4;

use super::input::{Reply, RxContext};
use super::*;

mod close;
mod congestion;
mod data;
mod icmp;
mod open;
mod rfc5961;
mod rfc7323;
mod timers;
mod timestamps;
use crate::rand::SipKey;
use crate::socket::{DispatchError, IcmpErrorKind};
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Address, SeqNumber, TcpFlags, TcpOptions, TcpRepr};

// ---- the harness --------------------------------------------------------------

/// What a test requires to have succeeded: the value, or the test fails
/// with the error (the test-side counterpart of the crate's no-unwrap rule).
pub(super) trait Must<T> {
    fn must(self) -> T;
    fn must_be(self, what: &str) -> T;
}

impl<T, E: core::fmt::Debug> Must<T> for Result<T, E> {
    #[track_caller]
    fn must(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("expected success, got {e:?}"),
        }
    }
    #[track_caller]
    fn must_be(self, what: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("{what}: {e:?}"),
        }
    }
}

impl<T> Must<T> for Option<T> {
    #[track_caller]
    fn must(self) -> T {
        match self {
            Some(v) => v,
            None => panic!("expected a value, got None"),
        }
    }
    #[track_caller]
    fn must_be(self, what: &str) -> T {
        match self {
            Some(v) => v,
            None => panic!("{what}"),
        }
    }
}

pub(super) static KEY: SipKey = SipKey::new(0x5eed_0001, 0xcafe_0002);
pub(super) const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), 80);
pub(super) const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 2), 40000);
/// Our interface's MSS (MTU 1500 - 40).
pub(super) const MSS: usize = 1460;
/// Our ISS in active opens, and the peer's.
pub(super) const ISS: u32 = 1_000_000;
pub(super) const IRS: u32 = 5_000_000;

pub(super) const ACK: TcpFlags = TcpFlags::ACK;
pub(super) const SYN: TcpFlags = TcpFlags::SYN;
pub(super) const RST: TcpFlags = TcpFlags::RST;
pub(super) const FIN: TcpFlags = TcpFlags::FIN;
pub(super) const PSH: TcpFlags = TcpFlags::PSH;
pub(super) const URG: TcpFlags = TcpFlags::URG;

pub(super) const fn fl(a: TcpFlags, b: TcpFlags) -> TcpFlags {
    TcpFlags::from_bits_truncate(a.bits() | b.bits())
}
pub(super) const SYN_ACK: TcpFlags = fl(SYN, ACK);
pub(super) const PSH_ACK: TcpFlags = fl(PSH, ACK);
pub(super) const FIN_ACK: TcpFlags = fl(FIN, ACK);
pub(super) const RST_ACK: TcpFlags = fl(RST, ACK);
pub(super) const FIN_PSH_ACK: TcpFlags = fl(FIN, PSH_ACK);

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn at_ms(n: i64) -> Instant {
    Instant::from_millis(n)
}

/// The first whole millisecond at or after `t` (the timer table's tick).
pub(super) fn ceil_ms(t: Instant) -> Instant {
    Instant::from_micros((t.total_micros() + 999) / 1000 * 1000)
}

/// `n` bytes of a recognizable pattern.
pub(super) fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// One segment the socket sent, copied out.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Out {
    pub(super) seq: u32,
    pub(super) ack: u32,
    pub(super) flags: TcpFlags,
    pub(super) window: u16,
    pub(super) urgent: u16,
    pub(super) options: TcpOptions,
    pub(super) payload: Vec<u8>,
}

impl core::fmt::Debug for Out {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        write!(
            f,
            "<SEQ={} ACK={} {} WND={} UP={} MSS={:?} LEN={}",
            self.seq,
            self.ack,
            self.flags,
            self.window,
            self.urgent,
            self.options.mss,
            self.payload.len()
        )?;
        if self.options
            != (TcpOptions {
                mss: self.options.mss,
                ..TcpOptions::new()
            })
        {
            write!(f, " {:?}", self.options)?;
        }
        if !self.payload.is_empty() {
            let n = self.payload.len().min(8);
            write!(f, " {:02x?}", &self.payload[..n])?;
        }
        f.write_str(">")
    }
}

impl Out {
    pub(super) fn from_segment(seg: &Segment<'_>) -> Out {
        assert_eq!(
            (seg.local, seg.remote),
            (LOCAL, REMOTE),
            "addressed wrongly"
        );
        let mut payload = seg.payload[0].to_vec();
        payload.extend_from_slice(seg.payload[1]);
        Out {
            seq: seg.seq.0,
            ack: if seg.flags.contains(ACK) {
                seg.ack.0
            } else {
                0
            },
            flags: seg.flags,
            window: seg.window,
            urgent: seg.urgent,
            options: seg.options,
            payload,
        }
    }
}

/// The segment we expect: no options, no urgent pointer.
pub(super) fn exp(seq: u32, ack: u32, flags: TcpFlags, window: u16, payload: &[u8]) -> Out {
    Out {
        seq,
        ack,
        flags,
        window,
        urgent: 0,
        options: TcpOptions::new(),
        payload: payload.to_vec(),
    }
}

/// A pure ACK we expect.
pub(super) fn exp_ack(seq: u32, ack: u32, window: u16) -> Out {
    exp(seq, ack, ACK, window, &[])
}

/// A segment from the peer.
pub(super) fn seg(
    seq: u32,
    ack: Option<u32>,
    flags: TcpFlags,
    wnd: u16,
    payload: &[u8],
) -> TcpRepr<'_> {
    let mut flags = flags;
    if ack.is_some() {
        flags |= ACK;
    }
    TcpRepr {
        src_port: REMOTE.port(),
        dst_port: LOCAL.port(),
        seq_number: SeqNumber(seq),
        ack_number: SeqNumber(ack.unwrap_or(0)),
        flags,
        window_len: wnd,
        urgent_pointer: 0,
        options: TcpOptions::new(),
        payload,
    }
}

/// `<SEQ=seq><CTL=SYN>` with MSS 1460 and window 65535.
pub(super) fn syn(seq: u32) -> TcpRepr<'static> {
    let mut s = seg(seq, None, SYN, 65535, &[]);
    s.options.mss = Some(1460);
    s
}

/// `<SEQ=seq><ACK=ack><CTL=SYN,ACK>` with MSS 1460 and window 65535.
pub(super) fn syn_ack(seq: u32, ack: u32) -> TcpRepr<'static> {
    let mut s = seg(seq, Some(ack), SYN, 65535, &[]);
    s.options.mss = Some(1460);
    s
}

pub(super) fn ack(seq: u32, ack: u32, wnd: u16) -> TcpRepr<'static> {
    seg(seq, Some(ack), TcpFlags::empty(), wnd, &[])
}

pub(super) fn data(seq: u32, ack: u32, payload: &[u8]) -> TcpRepr<'_> {
    seg(seq, Some(ack), PSH, 65535, payload)
}

pub(super) fn fin(seq: u32, ack: u32) -> TcpRepr<'static> {
    seg(seq, Some(ack), FIN, 65535, &[])
}

pub(super) fn rst(seq: u32) -> TcpRepr<'static> {
    seg(seq, None, RST, 0, &[])
}

pub(super) fn rst_ack(seq: u32, ack: u32) -> TcpRepr<'static> {
    seg(seq, Some(ack), RST, 0, &[])
}

/// One socket, the stack's TCP settings, and a virtual clock.
pub(super) struct H {
    pub(super) s: TcpSocket<'static>,
    pub(super) cfg: TcpConfig,
    pub(super) now: Instant,
    /// The MSS our interface allows (what `RxContext::mss` says).
    pub(super) mss: usize,
}

impl H {
    pub(super) fn new(rx: usize, tx: usize) -> H {
        H {
            s: TcpSocket::new(
                SocketBuffer::new(vec![0u8; rx]),
                SocketBuffer::new(vec![0u8; tx]),
            ),
            cfg: TcpConfig::default(),
            now: Instant::ZERO,
            mss: MSS,
        }
    }

    /// A segment arrives now.
    pub(super) fn rx(&mut self, seg: &TcpRepr<'_>) -> Option<Reply> {
        let cx = RxContext::new(self.now, &KEY, self.mss, LOCAL, REMOTE, &self.cfg);
        self.s.segment_arrives(&cx, seg)
    }

    /// An active open with ISS `iss` now.
    pub(super) fn connect(&mut self, iss: u32) -> Result<(), ConnectError> {
        self.s
            .connect(LOCAL, REMOTE, SeqNumber(iss), self.mss, self.now, &self.cfg)
    }

    /// One dispatch now, into `emit`.
    pub(super) fn dispatch_with(
        &mut self,
        emit: &mut dyn FnMut(&Segment<'_>) -> Result<(), DispatchError>,
    ) -> bool {
        self.s.handle_timeout(self.now, &self.cfg);
        self.s.dispatch(self.now, &self.cfg, emit)
    }

    /// Everything the socket sends now.
    pub(super) fn out(&mut self) -> Vec<Out> {
        let mut v = Vec::new();
        self.s.handle_timeout(self.now, &self.cfg);
        for _ in 0..10_000 {
            let mut got = None;
            let sent = self.s.dispatch(self.now, &self.cfg, &mut |seg| {
                got = Some(Out::from_segment(seg));
                Ok(())
            });
            assert_eq!(sent, got.is_some(), "dispatch's result and emit disagree");
            match got {
                Some(o) => v.push(o),
                None => return v,
            }
        }
        panic!("dispatch never stops sending");
    }

    pub(super) fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    pub(super) fn set_time(&mut self, t: Instant) {
        assert!(t >= self.now, "time runs forward");
        self.now = t;
    }

    /// Runs the socket's timers up to `end`: at every deadline `poll_at`
    /// names, dispatches. Returns what was sent, with the time.
    pub(super) fn run_until(&mut self, end: Instant) -> Vec<(Instant, Out)> {
        let mut log = Vec::new();
        loop {
            for o in self.out() {
                log.push((self.now, o));
            }
            match self.s.poll_at(self.now) {
                Some(t) if t <= end => {
                    assert!(
                        t > self.now,
                        "poll_at says {t} at {} but dispatch has nothing to do (a spin)",
                        self.now
                    );
                    self.now = t;
                }
                _ => {
                    self.now = end;
                    for o in self.out() {
                        log.push((self.now, o));
                    }
                    return log;
                }
            }
        }
    }

    /// Moves to the next deadline (which must exist) and dispatches.
    pub(super) fn next_event(&mut self) -> Vec<Out> {
        let t = self.s.poll_at(self.now).must_be("a timer is running");
        assert!(t > self.now, "poll_at says {t} at {} (a spin)", self.now);
        self.now = t;
        self.out()
    }

    pub(super) fn recv_all(&mut self) -> Vec<u8> {
        let mut v = vec![0u8; 70_000];
        let mut n = 0;
        while let Ok(k) = self.s.recv_slice(&mut v[n..]) {
            if k == 0 {
                break;
            }
            n += k;
        }
        v.truncate(n);
        v
    }
}

/// An active open with our ISS `iss` and the peer's `irs`, the peer's MSS
/// option and window: SYN at 0, SYN-ACK at 100 ms (so SRTT = 100 ms and
/// RTO = 100 + 4 * 50 = 300 ms), our ACK. Returns at t = 100 ms in
/// ESTABLISHED.
pub(super) fn connected_with(
    rx: usize,
    tx: usize,
    iss: u32,
    irs: u32,
    peer_mss: Option<u16>,
    peer_wnd: u16,
) -> H {
    connected_with_harness(H::new(rx, tx), iss, irs, peer_mss, peer_wnd)
}

/// [`connected_with`] from a harness whose settings the test chose.
pub(super) fn connected_with_harness(
    mut h: H,
    iss: u32,
    irs: u32,
    peer_mss: Option<u16>,
    peer_wnd: u16,
) -> H {
    let rx = h.s.recv_capacity();
    h.connect(iss).must();
    assert_eq!(h.s.state(), State::SynSent);
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!((o[0].seq, o[0].flags), (iss, SYN));
    h.advance(ms(100));
    let mut sa = syn_ack(irs, iss.wrapping_add(1));
    sa.options.mss = peer_mss;
    sa.window_len = peer_wnd;
    assert_eq!(h.rx(&sa), None);
    assert_eq!(h.s.state(), State::Established);
    let wnd = rx.min(65535) as u16;
    assert_eq!(
        h.out(),
        vec![exp_ack(iss.wrapping_add(1), irs.wrapping_add(1), wnd)]
    );
    assert_eq!(h.s.rto(), ms(300));
    h
}

/// ESTABLISHED by an active open: 8 KiB buffers, the peer's MSS 1460 and
/// window 65535, SND.NXT = ISS + 1, RCV.NXT = IRS + 1, at t = 100 ms.
pub(super) fn established() -> H {
    connected_with(8192, 8192, ISS, IRS, Some(1460), 65535)
}

/// A passive open up to SYN-RECEIVED (the SYN at t = 0). Returns our ISS.
pub(super) fn syn_received(rx: usize, tx: usize) -> (H, u32) {
    let mut h = H::new(rx, tx);
    h.s.listen(LOCAL.port().into()).must();
    assert_eq!(h.s.state(), State::Listen);
    assert_eq!(h.rx(&syn(IRS)), None);
    assert_eq!(h.s.state(), State::SynReceived);
    let iss = TcpSocket::initial_sequence_number(&KEY, LOCAL, REMOTE, h.now).0;
    let mut want = exp(iss, IRS + 1, SYN_ACK, rx.min(65535) as u16, &[]);
    want.options.mss = Some(MSS as u16);
    assert_eq!(h.out(), vec![want]);
    (h, iss)
}

/// A passive open up to ESTABLISHED (the ACK at 100 ms). Returns our ISS.
pub(super) fn passive_established() -> (H, u32) {
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(100));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.out(), vec![]);
    (h, iss)
}
