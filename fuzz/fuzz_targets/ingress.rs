//! Structured input into a stack that starts with an ESTABLISHED
//! connection, a listener, a UDP socket and a datagram half reassembled
//! (see `common`). Each record of the input is one step: a TCP segment of
//! the connection (flags, sequence and acknowledgment numbers relative to
//! RCV.NXT and SND.UNA, window, options, payload length), a segment to the
//! listener, a UDP datagram, a fragment, an ICMP error about the
//! connection, an ARP packet, a raw frame, an application call, or time.
//! Frames carry valid checksums, so they get past the checksum and reach
//! the synchronized states' processing; the raw-bytes `stack` target keeps
//! the parsers and checksum paths. The invariants are `Harness::check`'s.
#![no_main]

mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use microps_core::time::Duration;
use microps_core::wire::{ArpOperation, EthernetAddress, IpProtocol, Ipv4Address, Ipv4Repr, SeqNumber, TcpFlags, TcpRepr, checksum};

fn listener_segment(h: &mut Harness, input: &mut Input<'_>) {
    let f = flags(input.u8());
    let port = 41000 + u16::from(input.u8() % 8);
    let (mut seq, mut ack) = (input.u32(), input.u32());
    // Mostly, the answer to the last SYN,ACK to that port (completing the
    // handshake, with a cookie or from the SYN queue), a little off.
    let answer = sent_segments(&h.dev.tx)
        .into_iter()
        .rev()
        .find(|s| s.1 == port && s.4.contains(TcpFlags::SYN) && s.4.contains(TcpFlags::ACK));
    if let Some(synack) = answer
        && input.u8() % 4 != 0
    {
        let jitter = u32::from(input.u8() % 4);
        (seq, ack) = (synack.3, synack.2.wrapping_add(1).wrapping_add(jitter / 3));
    }
    let mut seg = TcpRepr {
        src_port: port,
        dst_port: LISTENER_PORT,
        seq_number: SeqNumber(seq),
        ack_number: SeqNumber(ack),
        flags: f,
        window_len: input.u16(),
        urgent_pointer: 0,
        options: Default::default(),
        payload: &[],
    };
    if input.u8() % 2 == 0 {
        seg.options.mss = Some(input.u16());
        seg.options.timestamps = Some((h.ts_val, 0));
    }
    let payload: Vec<u8> = vec![7; usize::from(input.u8())];
    seg.payload = &payload;
    h.deliver(tcp_frame(&seg));
}

fn udp(h: &mut Harness, input: &mut Input<'_>) {
    let dport = if input.u8() % 2 == 0 { UDP_PORT } else { input.u16() };
    let len = usize::from(input.u16() % 2000);
    let payload = vec![0xab; len];
    let dg = udp_datagram(5000, dport, &payload);
    let repr = ip_repr(IpProtocol::Udp, input.u16());
    if dg.len() + 20 <= 1500 {
        h.deliver(ip_frame(repr, &dg));
    }
}

fn fragment(h: &mut Harness, input: &mut Input<'_>) {
    let ident = if input.u8() % 2 == 0 { 0x7777 } else { input.u16() };
    let offset = usize::from(input.u16() % 8192) * 8;
    let more = input.u8() % 2 == 0;
    let len = usize::from(input.u16() % 1480);
    let data = vec![0x5a; len];
    let repr = Ipv4Repr { more_frags: more, frag_offset: offset as u16, ..ip_repr(IpProtocol::Udp, ident) };
    h.deliver(ip_frame(repr, &data));
}

/// An ICMP error quoting a segment of the connection (sequence number
/// relative to SND.UNA): fragmentation needed, unreachable, time exceeded.
fn icmp_error(h: &mut Harness, input: &mut Input<'_>) {
    let (ty, code) = match input.u8() % 4 {
        0 => (3u8, 4u8),
        1 => (3, 3),
        2 => (3, 1),
        _ => (11, 0),
    };
    let mtu = input.u16();
    let seq = h.conn_segment(TcpFlags::ACK, 0, offset(input), 0, &[], false).ack_number;
    let mut quote = vec![0x45, 0, 5, 0xdc, 0, 1, 0x40, 0, 64, 6, 0, 0];
    quote.extend_from_slice(&OUR_IP.octets());
    quote.extend_from_slice(&PEER_IP.octets());
    let sum = checksum::finish(checksum::data(&quote));
    quote[10..12].copy_from_slice(&sum.to_be_bytes());
    quote.extend_from_slice(&CONN_PORT.to_be_bytes());
    quote.extend_from_slice(&PEER_PORT.to_be_bytes());
    quote.extend_from_slice(&seq.0.to_be_bytes());
    let mut icmp = vec![ty, code, 0, 0, 0, 0];
    icmp.extend_from_slice(&mtu.to_be_bytes());
    icmp.extend_from_slice(&quote);
    let sum = checksum::finish(checksum::data(&icmp));
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let router = Ipv4Address::new(192, 0, 2, 1 + input.u8() % 4);
    let repr = Ipv4Repr { src_addr: router, ..ip_repr(IpProtocol::Icmp, 3) };
    h.deliver(ip_frame(repr, &icmp));
}

fn arp(h: &mut Harness, input: &mut Input<'_>) {
    let op = if input.u8() % 2 == 0 { ArpOperation::Request } else { ArpOperation::Reply };
    let spa = Ipv4Address::from_bits(0xc000_0200 | u32::from(input.u8()));
    let spa = if input.u8() % 8 == 0 { Ipv4Address::from_bits(input.u32()) } else { spa };
    let sha = EthernetAddress([2, 0x66, 0, 0, input.u8(), input.u8()]);
    h.deliver(arp_frame(op, spa, sha));
}

fn raw(h: &mut Harness, input: &mut Input<'_>) {
    let len = usize::from(input.u16() % 1600);
    let body = input.bytes(len).to_vec();
    h.deliver(body);
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    let mut input = Input(data);
    let mut steps = 0;
    while !input.is_empty() && steps < 512 {
        steps += 1;
        match input.u8() % 10 {
            0..=2 => connection_segment(&mut h, &mut input),
            3 => listener_segment(&mut h, &mut input),
            4 => udp(&mut h, &mut input),
            5 => fragment(&mut h, &mut input),
            6 => icmp_error(&mut h, &mut input),
            7 => arp(&mut h, &mut input),
            8 => {
                let op = input.u8();
                let n = usize::from(input.u16() % 9000);
                h.app(op, n);
            }
            _ => match input.u8() % 3 {
                0 => raw(&mut h, &mut input),
                _ => {
                    let ms = u64::from(input.u16());
                    h.run_timers(Duration::from_millis(ms));
                }
            },
        }
    }
    // Every timer runs out: retransmissions, TIME-WAIT, reassembly.
    h.run_timers(Duration::from_secs(600));
    h.report("ingress");
});
