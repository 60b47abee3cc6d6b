//! Unit tests, one per RFC rule: ONE socket driven segment by segment with a
//! virtual clock. Each test builds the peer's segments by hand, feeds them to
//! [`TcpSocket::segment_arrives`], collects what [`TcpSocket::dispatch`]
//! sends, and asserts on every field.

use alloc::vec;
use alloc::vec::Vec;
use core::net::SocketAddrV4;

use super::input::{Reply, RxContext};
use super::*;
use crate::rand::SipKey;
use crate::socket::{DispatchError, IcmpErrorKind};
use crate::time::{Duration, Instant};
use crate::wire::{Ipv4Address, SeqNumber, TcpFlags, TcpOptions, TcpRepr};

// ---- the harness --------------------------------------------------------------

/// What a test requires to have succeeded: the value, or the test fails
/// with the error (the test-side counterpart of the crate's no-unwrap rule).
trait Must<T> {
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

static KEY: SipKey = SipKey::new(0x5eed_0001, 0xcafe_0002);
const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 1), 80);
const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Address::new(192, 0, 2, 2), 40000);
/// Our interface's MSS (MTU 1500 - 40).
const MSS: usize = 1460;
/// Our ISS in active opens, and the peer's.
const ISS: u32 = 1_000_000;
const IRS: u32 = 5_000_000;

const ACK: TcpFlags = TcpFlags::ACK;
const SYN: TcpFlags = TcpFlags::SYN;
const RST: TcpFlags = TcpFlags::RST;
const FIN: TcpFlags = TcpFlags::FIN;
const PSH: TcpFlags = TcpFlags::PSH;
const URG: TcpFlags = TcpFlags::URG;

const fn fl(a: TcpFlags, b: TcpFlags) -> TcpFlags {
    TcpFlags::from_bits_truncate(a.bits() | b.bits())
}
const SYN_ACK: TcpFlags = fl(SYN, ACK);
const PSH_ACK: TcpFlags = fl(PSH, ACK);
const FIN_ACK: TcpFlags = fl(FIN, ACK);
const RST_ACK: TcpFlags = fl(RST, ACK);
const FIN_PSH_ACK: TcpFlags = fl(FIN, PSH_ACK);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn at_ms(n: i64) -> Instant {
    Instant::from_millis(n)
}

/// `n` bytes of a recognizable pattern.
fn bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// One segment the socket sent, copied out.
#[derive(Clone, PartialEq, Eq)]
struct Out {
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    window: u16,
    urgent: u16,
    options: TcpOptions,
    payload: Vec<u8>,
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
    fn from_segment(seg: &Segment<'_>) -> Out {
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
fn exp(seq: u32, ack: u32, flags: TcpFlags, window: u16, payload: &[u8]) -> Out {
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
fn exp_ack(seq: u32, ack: u32, window: u16) -> Out {
    exp(seq, ack, ACK, window, &[])
}

/// A segment from the peer.
fn seg(seq: u32, ack: Option<u32>, flags: TcpFlags, wnd: u16, payload: &[u8]) -> TcpRepr<'_> {
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
fn syn(seq: u32) -> TcpRepr<'static> {
    let mut s = seg(seq, None, SYN, 65535, &[]);
    s.options.mss = Some(1460);
    s
}

/// `<SEQ=seq><ACK=ack><CTL=SYN,ACK>` with MSS 1460 and window 65535.
fn syn_ack(seq: u32, ack: u32) -> TcpRepr<'static> {
    let mut s = seg(seq, Some(ack), SYN, 65535, &[]);
    s.options.mss = Some(1460);
    s
}

fn ack(seq: u32, ack: u32, wnd: u16) -> TcpRepr<'static> {
    seg(seq, Some(ack), TcpFlags::empty(), wnd, &[])
}

fn data(seq: u32, ack: u32, payload: &[u8]) -> TcpRepr<'_> {
    seg(seq, Some(ack), PSH, 65535, payload)
}

fn fin(seq: u32, ack: u32) -> TcpRepr<'static> {
    seg(seq, Some(ack), FIN, 65535, &[])
}

fn rst(seq: u32) -> TcpRepr<'static> {
    seg(seq, None, RST, 0, &[])
}

fn rst_ack(seq: u32, ack: u32) -> TcpRepr<'static> {
    seg(seq, Some(ack), RST, 0, &[])
}

/// One socket and a virtual clock.
struct H {
    s: TcpSocket<'static>,
    now: Instant,
    /// The MSS our interface allows (what `RxContext::mss` says).
    mss: usize,
}

impl H {
    fn new(rx: usize, tx: usize) -> H {
        H {
            s: TcpSocket::new(
                SocketBuffer::new(vec![0u8; rx]),
                SocketBuffer::new(vec![0u8; tx]),
            ),
            now: Instant::ZERO,
            mss: MSS,
        }
    }

    fn cx(&self) -> RxContext<'static> {
        RxContext {
            now: self.now,
            isn_key: &KEY,
            mss: self.mss,
            local: LOCAL,
            remote: REMOTE,
        }
    }

    /// A segment arrives now.
    fn rx(&mut self, seg: &TcpRepr<'_>) -> Option<Reply> {
        let cx = self.cx();
        self.s.segment_arrives(&cx, seg)
    }

    /// Everything the socket sends now.
    fn out(&mut self) -> Vec<Out> {
        let mut v = Vec::new();
        for _ in 0..10_000 {
            let mut got = None;
            let sent = self.s.dispatch(self.now, &mut |seg| {
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

    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    fn set_time(&mut self, t: Instant) {
        assert!(t >= self.now, "time runs forward");
        self.now = t;
    }

    /// Runs the socket's timers up to `end`: at every deadline `poll_at`
    /// names, dispatches. Returns what was sent, with the time.
    fn run_until(&mut self, end: Instant) -> Vec<(Instant, Out)> {
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
    fn next_event(&mut self) -> Vec<Out> {
        let t = self.s.poll_at(self.now).must_be("a timer is running");
        assert!(t > self.now, "poll_at says {t} at {} (a spin)", self.now);
        self.now = t;
        self.out()
    }

    fn recv_all(&mut self) -> Vec<u8> {
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
fn connected_with(
    rx: usize,
    tx: usize,
    iss: u32,
    irs: u32,
    peer_mss: Option<u16>,
    peer_wnd: u16,
) -> H {
    let mut h = H::new(rx, tx);
    h.s.connect(LOCAL, REMOTE, SeqNumber(iss), h.mss, h.now)
        .must();
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
fn established() -> H {
    connected_with(8192, 8192, ISS, IRS, Some(1460), 65535)
}

/// A passive open up to SYN-RECEIVED (the SYN at t = 0). Returns our ISS.
fn syn_received(rx: usize, tx: usize) -> (H, u32) {
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
fn passive_established() -> (H, u32) {
    let (mut h, iss) = syn_received(8192, 8192);
    h.advance(ms(100));
    assert_eq!(h.rx(&ack(IRS + 1, iss + 1, 65535)), None);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.out(), vec![]);
    (h, iss)
}

// ---- 3.10.7.1 CLOSED ----------------------------------------------------------

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

// ---- 3.10.7.2 LISTEN -------------------------------------------------------------

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

// ---- 3.10.7.3 SYN-SENT ----------------------------------------------------------

#[test]
fn rfc9293_3_10_1_active_open_sends_syn_with_mss_and_window() {
    let mut h = H::new(3000, 1024);
    h.mss = 1200;
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    assert_eq!(h.s.state(), State::SynSent);
    let mut want = exp(ISS, 0, SYN, 3000, &[]);
    want.options.mss = Some(1200);
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    let mut syn_out = exp(ISS, 0, SYN, 8192, &[]);
    syn_out.options.mss = Some(MSS as u16);
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    h.out();
    h.rx(&syn(IRS));
    h.out();
    assert_eq!(h.rx(&rst(IRS + 1)), None);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), Some(TcpError::Refused));
}

// ---- SYN-RECEIVED ------------------------------------------------------------------

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

// ---- 3.10.7.4 first: sequence number acceptability -------------------------------

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

// ---- RFC 5961 --------------------------------------------------------------------

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
    assert_eq!(h.s.config().challenge_ack_limit, 10);
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

// ---- closing: figure 5 -----------------------------------------------------------

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

// ---- urgent data (RFC 9293 3.8.5, RFC 6093) ----------------------------------------

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

// ---- receiving text ---------------------------------------------------------------

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
fn rfc9293_fin_beyond_a_gap_is_not_processed() {
    let mut h = established();
    let nxt = IRS + 1;
    let mut s = data(nxt + 5, ISS + 1, b"world");
    s.flags |= FIN;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::Established);
    assert!(!h.s.peer_closed());
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt, 8192)]);
    // The gap fills; the data is delivered; the FIN (documented choice: not
    // remembered) waits for the peer to send it again.
    assert_eq!(h.rx(&data(nxt, ISS + 1, b"hello")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 10, 8182)]);
    assert_eq!(h.s.state(), State::Established);
    assert_eq!(h.recv_all(), b"helloworld".to_vec());
    let mut s = seg(nxt + 5, Some(ISS + 1), FIN, 65535, b"world");
    s.flags |= PSH;
    assert_eq!(h.rx(&s), None);
    assert_eq!(h.s.state(), State::CloseWait);
    // The buffer is empty again: the whole of it is offered.
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, nxt + 11, 8192)]);
    let mut buf = [0u8; 4];
    assert_eq!(h.s.recv_slice(&mut buf), Err(RecvError::Finished));
}

// ---- RFC 1122 4.2.3.2: when to send an ACK ---------------------------------------

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
    let delay = h.s.config().ack_delay.must();
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
    let mut c = *h.s.config();
    c.ack_delay = None;
    h.s.config = c;
    assert_eq!(h.rx(&data(IRS + 1, ISS + 1, b"small")), None);
    assert_eq!(h.out(), vec![exp_ack(ISS + 1, IRS + 6, 8187)]);
}

// ---- sending: Nagle and SWS --------------------------------------------------------

#[test]
fn rfc1122_4_2_3_4_nagle_holds_small_segments() {
    let mut h = established();
    assert!(h.s.config().nagle);
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

// ---- RFC 6298: the retransmission timer ---------------------------------------------

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
    assert_eq!(h.s.rto(), ms(300), "the backoff ends with a new ACK");
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
    assert_eq!(h.s.poll_at(h.now), Some(at_ms(300) + rto));
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
    assert_eq!(
        h.s.rto(),
        ms(300),
        "RFC 6298 5.7's note: the computed RTO again"
    );
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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

// ---- RFC 9293 3.8.3: giving up ------------------------------------------------------

#[test]
fn rfc9293_3_8_3_r2_aborts_with_timed_out() {
    // Data: R2 = 15 retransmissions (more than the 100 s the RFC asks for).
    let mut h = established();
    assert_eq!(h.s.config().max_retransmissions, 15);
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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

// ---- zero windows: the persist timer ---------------------------------------------

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

// ---- RFC 1122 4.2.3.6: keep-alive --------------------------------------------------

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

// ---- RFC 5681 / RFC 6582: fast retransmit and NewReno -------------------------------

#[test]
fn rfc5681_fast_retransmit_and_rfc6582_partial_ack() {
    let mut h = connected_with(8192, 16384, ISS, IRS, Some(1000), 65535);
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

// ---- MSS (RFC 9293 3.7.1) -----------------------------------------------------------

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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    assert_eq!(h.out()[0].options.mss, Some(800));
    h.rx(&syn_ack(IRS, ISS + 1));
    assert_eq!(h.s.send_mss(), 800);
}

// ---- ABORT and CLOSE ------------------------------------------------------------------

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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    h.out();
    h.s.close();
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);
    assert_eq!(h.s.poll_at(h.now), None, "no SYN retransmission");
    assert_eq!(h.run_until(at_ms(10_000)), vec![]);
}

#[test]
fn rfc9293_3_10_4_close_in_syn_received_sends_fin_once_established() {
    // Documented deviation: the FIN is queued until ESTABLISHED (RFC 9293
    // would send it at once when nothing is queued).
    let (mut h, iss) = syn_received(8192, 8192);
    h.s.close();
    assert_eq!(h.s.state(), State::SynReceived);
    assert_eq!(h.out(), vec![]);
    h.rx(&ack(IRS + 1, iss + 1, 65535));
    assert_eq!(h.out(), vec![exp(iss + 1, IRS + 1, FIN_ACK, 8192, &[])]);
    assert_eq!(h.s.state(), State::FinWait1);
}

// ---- ICMP errors (RFC 1122 4.2.3.9, RFC 5927, RFC 1191) ----------------------------

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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
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
    // MTU 1000: MSS 960, and what no longer fits goes again at once.
    assert!(h.s.handle_icmp_error(
        IcmpErrorKind::FragmentationNeeded { mtu: 1000 },
        SeqNumber(ISS + 1)
    ));
    assert_eq!(h.s.send_mss(), 960);
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, ACK, 8192, &d[..960])]);
    h.rx(&ack(IRS + 1, ISS + 961, 65535));
    assert_eq!(
        h.out(),
        vec![exp(ISS + 961, IRS + 1, PSH_ACK, 8192, &d[960..])]
    );
}

// ---- sequence number wraparound (RFC 9293 3.4) ----------------------------------

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

// ---- the dispatch contract ------------------------------------------------------------

#[test]
fn dispatch_failure_leaves_the_state_unchanged() {
    let mut h = H::new(1024, 1024);
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    assert!(!h.s.dispatch(h.now, &mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(h.s.poll_at(h.now), Some(h.now), "the SYN is still due");
    assert_eq!(h.out().len(), 1);

    let mut h = established();
    h.s.send_slice(b"data").must();
    assert!(!h.s.dispatch(h.now, &mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(h.s.poll_at(h.now), Some(h.now));
    assert_eq!(h.out(), vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"data")]);
    h.rx(&data(IRS + 1, ISS + 5, b"x"));
    h.advance(ms(40));
    assert!(!h.s.dispatch(h.now, &mut |_| Err(DispatchError::Exhausted)));
    assert_eq!(
        h.out(),
        vec![exp_ack(ISS + 5, IRS + 2, 8191)],
        "the ACK is still owed"
    );
}

// ---- more of figure 5 and 3.10.7 ------------------------------------------------------

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
    h.s.connect(LOCAL, REMOTE, SeqNumber(ISS), h.mss, h.now)
        .must();
    assert_eq!(h.s.send_slice(b"queued"), Ok(6));
    assert_eq!(h.out().len(), 1, "the SYN alone");
    h.rx(&syn_ack(IRS, ISS + 1));
    assert_eq!(
        h.out(),
        vec![exp(ISS + 1, IRS + 1, PSH_ACK, 8192, b"queued")]
    );
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
fn fin_wait_2_timeout_when_configured() {
    // RFC 9293 leaves FIN-WAIT-2 open forever; with a timeout configured
    // (as the hosted runtime does for orphans), silence ends it.
    let mut h = established();
    h.s.set_fin_wait2_timeout(Some(Duration::from_secs(60)));
    h.s.close();
    let o = h.out();
    assert_eq!(o.len(), 1, "{o:?}");
    assert!(o[0].flags.contains(TcpFlags::FIN));
    assert_eq!(o[0].seq, ISS + 1);
    h.advance(ms(10));
    assert_eq!(h.rx(&ack(IRS + 1, ISS + 2, 65535)), None);
    assert_eq!(h.s.state(), State::FinWait2);
    let deadline = h.now + Duration::from_secs(60);
    assert_eq!(h.s.poll_at(h.now), Some(deadline));
    h.run_until(deadline - ms(1));
    assert_eq!(h.s.state(), State::FinWait2);
    h.run_until(deadline);
    assert_eq!(h.s.state(), State::Closed);
    assert_eq!(h.s.error(), None);
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
