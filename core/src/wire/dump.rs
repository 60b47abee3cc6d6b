//! Whole-frame dumps: every header of a frame, decoded field by field.
//!
//! [`FrameDump`] walks a frame from its first header down to the transport
//! header and prints each one with the `Display` of its view (the way
//! microps's `ether_dump`, `arp_dump`, `ip_dump`, `icmp_dump`, `udp_dump` and
//! `tcp_dump` print them), each block under a title line naming the layer as
//! microps names those functions:
//!
//! ```text
//! ether:
//!         src: 86:3c:2a:0b:61:9d
//!         dst: 02:00:5e:00:53:02
//!        type: 0x0800
//! ip:
//!         vhl: 0x45 [v: 4, hl: 5 (20)]
//!         ...
//!         dst: 192.0.2.2
//! tcp:
//!         src: 40000
//!         ...
//!          up: 0
//! ```
//!
//! The titles are `ether:`, `arp:`, `ip:`, `icmp:`, `udp:` and `tcp:`. Where
//! decoding stops early, one last line in parentheses says why:
//!
//! * `(truncated ip header, 12 bytes)` or `(malformed tcp header, 20 bytes)`
//!   when a header does not pass its view's `new_checked` (the count is the
//!   bytes that were left for that header);
//! * `(not decoded: type 0x86dd, 40 bytes)` for an EtherType other than ARP
//!   and IPv4, `(not decoded: protocol 47, 20 bytes)` for an IP protocol
//!   other than ICMP, UDP and TCP, and `(not decoded: fragment at offset
//!   1480, 1480 bytes)` for an IPv4 fragment other than the first, whose
//!   payload is not a transport header.
//!
//! The first fragment of a UDP datagram carries the UDP header but not all
//! the bytes its length field counts; its header is printed all the same.
//!
//! The dump never ends with a newline, never allocates (it writes straight
//! into the formatter) and never panics, whatever the bytes.

use core::fmt;

use super::{
    ArpPacket, Error, EtherType, EthernetFrame, Icmpv4Packet, IpProtocol, Ipv4Packet, TcpPacket,
    UdpPacket, udp,
};
use crate::phy::Medium;

/// A frame as it goes over a device of some [`Medium`], printed with every
/// header it holds decoded (see the [module documentation](self) for the
/// format).
///
/// ```
/// use microps_core::phy::Medium;
/// use microps_core::wire::FrameDump;
///
/// let frame = [0u8; 5];
/// let text = format!("{}", FrameDump::new(Medium::Ethernet, &frame));
/// assert_eq!(text, "(truncated ether header, 5 bytes)");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FrameDump<'a> {
    medium: Medium,
    frame: &'a [u8],
}

impl<'a> FrameDump<'a> {
    /// A dump of `frame`, which starts with an Ethernet header on
    /// [`Medium::Ethernet`] and with an IPv4 header on [`Medium::Ip`].
    pub const fn new(medium: Medium, frame: &'a [u8]) -> FrameDump<'a> {
        FrameDump { medium, frame }
    }
}

impl fmt::Display for FrameDump<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.medium {
            Medium::Ethernet => ethernet(f, self.frame),
            Medium::Ip => ipv4(f, self.frame),
        }
    }
}

/// The line that ends a dump at a header that did not parse.
fn broken(f: &mut fmt::Formatter, e: Error, name: &str, len: usize) -> fmt::Result {
    write!(f, "({e} {name} header, {len} bytes)")
}

fn ethernet(f: &mut fmt::Formatter, frame: &[u8]) -> fmt::Result {
    let eth = match EthernetFrame::new_checked(frame) {
        Ok(eth) => eth,
        Err(e) => return broken(f, e, "ether", frame.len()),
    };
    write!(f, "ether:\n{eth}\n")?;
    let payload = eth.payload();
    match eth.ethertype() {
        EtherType::Arp => match ArpPacket::new_checked(payload) {
            Ok(arp) => write!(f, "arp:\n{arp}"),
            Err(e) => broken(f, e, "arp", payload.len()),
        },
        EtherType::Ipv4 => ipv4(f, payload),
        other => write!(
            f,
            "(not decoded: type 0x{:04x}, {} bytes)",
            u16::from(other),
            payload.len()
        ),
    }
}

fn ipv4(f: &mut fmt::Formatter, datagram: &[u8]) -> fmt::Result {
    let ip = match Ipv4Packet::new_checked(datagram) {
        Ok(ip) => ip,
        Err(e) => return broken(f, e, "ip", datagram.len()),
    };
    write!(f, "ip:\n{ip}\n")?;
    let payload = ip.payload();
    if ip.frag_offset() != 0 {
        return write!(
            f,
            "(not decoded: fragment at offset {}, {} bytes)",
            ip.frag_offset(),
            payload.len()
        );
    }
    match ip.protocol() {
        IpProtocol::Icmp => match Icmpv4Packet::new_checked(payload) {
            Ok(icmp) => write!(f, "icmp:\n{icmp}"),
            Err(e) => broken(f, e, "icmp", payload.len()),
        },
        IpProtocol::Udp => {
            let packet = UdpPacket::new_unchecked(payload);
            match packet.check_len() {
                Ok(()) => write!(f, "udp:\n{packet}"),
                // A first fragment holds the header but not the whole
                // datagram its length field counts.
                Err(Error::Truncated)
                    if ip.more_frags() && payload.get(..udp::HEADER_LEN).is_some() =>
                {
                    write!(f, "udp:\n{packet}")
                }
                Err(e) => broken(f, e, "udp", payload.len()),
            }
        }
        IpProtocol::Tcp => match TcpPacket::new_checked(payload) {
            Ok(tcp) => write!(f, "tcp:\n{tcp}"),
            Err(e) => broken(f, e, "tcp", payload.len()),
        },
        IpProtocol::Unknown(v) => {
            write!(f, "(not decoded: protocol {v}, {} bytes)", payload.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    /// The Ethernet header of frames from 192.0.2.1 (86:3c:2a:0b:61:9d) to
    /// 192.0.2.2 (02:00:5e:00:53:02), the hosts of the captures below, with
    /// EtherType IPv4.
    const ETH_A_TO_B_IPV4: [u8; 14] = [
        0x02, 0x00, 0x5e, 0x00, 0x53, 0x02, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0x08, 0x00,
    ];

    /// The ARP request of `wire::arp`'s tests (192.0.2.1 at
    /// 86:3c:2a:0b:61:9d asks for 192.0.2.2) with the Ethernet header it was
    /// captured with (broadcast), padded to 60 bytes as on the wire.
    const ARP_REQUEST_FRAME: [u8; 60] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, 0x08, 0x06, //
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x86, 0x3c, 0x2a, 0x0b, 0x61, 0x9d, //
        0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00,
    ];

    /// The SYN of `wire::tcp`'s captured connection (`nc -p 40000 192.0.2.2
    /// 7`): MSS 1460, SACK-permitted, timestamps, NOP, window scale 10.
    const TCP_SYN_DGRAM: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x8d, 0xc8, 0x40, 0x00, 0x40, 0x06, 0x28, 0xf0, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x5b, 0x2c, 0x9e, 0x46, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, //
        0x6d, 0xb1, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, //
        0x78, 0x84, 0x4d, 0x18, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a, //
    ];

    /// `wire::udp`'s captured `printf 'hello microps' | nc -u -p 40000
    /// 192.0.2.2 7`.
    const UDP_DGRAM: [u8; 41] = [
        0x45, 0x00, 0x00, 0x29, 0xe4, 0xd7, 0x40, 0x00, 0x40, 0x11, 0xd1, 0xe8, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x00, 0x07, //
        0x00, 0x15, 0xe8, 0x39, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x6d, 0x69, //
        0x63, 0x72, 0x6f, 0x70, 0x73, //
    ];

    /// `wire::icmpv4`'s captured `ping -c1 -p 6d6963726f7073 192.0.2.2`.
    const ECHO_REQUEST_DGRAM: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0xf0, 0x24, 0x40, 0x00, 0x40, 0x01, 0xc6, 0x80, //
        0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x08, 0x00, 0xf4, 0xda, //
        0x18, 0x81, 0x00, 0x01, 0xb1, 0xf4, 0x07, 0x6b, 0x00, 0x00, 0x00, 0x00, //
        0x92, 0xac, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63, 0x72, 0x6f, 0x70, //
        0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, //
        0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, //
        0x63, 0x72, 0x6f, 0x70, 0x73, 0x6d, 0x69, 0x63, 0x72, 0x6f, 0x70, 0x73, //
    ];

    /// `dgram` behind [`ETH_A_TO_B_IPV4`], padded to 60 bytes if shorter.
    fn ether(dgram: &[u8]) -> Vec<u8> {
        let mut frame = ETH_A_TO_B_IPV4.to_vec();
        frame.extend_from_slice(dgram);
        if frame.len() < 60 {
            frame.resize(60, 0);
        }
        frame
    }

    fn dump(medium: Medium, frame: &[u8]) -> String {
        format!("{}", FrameDump::new(medium, frame))
    }

    const ARP_REQUEST_GOLDEN: &str = "\
ether:
        src: 86:3c:2a:0b:61:9d
        dst: ff:ff:ff:ff:ff:ff
       type: 0x0806
arp:
        hrd: 0x0001
        pro: 0x0800
        hln: 6
        pln: 4
         op: 1 (Request)
        sha: 86:3c:2a:0b:61:9d
        spa: 192.0.2.1
        tha: 00:00:00:00:00:00
        tpa: 192.0.2.2";

    const TCP_SYN_GOLDEN: &str = "\
ether:
        src: 86:3c:2a:0b:61:9d
        dst: 02:00:5e:00:53:02
       type: 0x0800
ip:
        vhl: 0x45 [v: 4, hl: 5 (20)]
        tos: 0x00
      total: 60 (payload: 40)
         id: 36296
     offset: 0x4000 [flags=2, offset=0]
        ttl: 64
   protocol: 6 (TCP)
        sum: 0x28f0
        src: 192.0.2.1
        dst: 192.0.2.2
tcp:
        src: 40000
        dst: 7
        seq: 1529650758
        ack: 0
        off: 0xa0 (40)
        flg: 0x02 (------S-)
        wnd: 64240
        sum: 0x6db1
         up: 0";

    #[test]
    fn golden_arp_request() {
        assert_eq!(
            dump(Medium::Ethernet, &ARP_REQUEST_FRAME),
            ARP_REQUEST_GOLDEN
        );
    }

    #[test]
    fn golden_tcp_syn_with_options() {
        assert_eq!(
            dump(Medium::Ethernet, &ether(&TCP_SYN_DGRAM)),
            TCP_SYN_GOLDEN
        );
        // On an IP medium the same datagram dumps without the Ethernet block.
        let ip_only = TCP_SYN_GOLDEN
            .split_once("ip:\n")
            .map(|(_, rest)| format!("ip:\n{rest}"))
            .unwrap();
        assert_eq!(dump(Medium::Ip, &TCP_SYN_DGRAM), ip_only);
    }

    #[test]
    fn udp_datagram() {
        let text = dump(Medium::Ethernet, &ether(&UDP_DGRAM));
        let (_, udp) = text.split_once("\nudp:\n").unwrap();
        assert_eq!(
            udp,
            "        src: 40000\n        dst: 7\n        len: 21\n        sum: 0xe839"
        );
        assert!(text.contains("   protocol: 17 (UDP)\n"));
    }

    #[test]
    fn icmp_echo_request() {
        let text = dump(Medium::Ethernet, &ether(&ECHO_REQUEST_DGRAM));
        let (_, icmp) = text.split_once("\nicmp:\n").unwrap();
        assert_eq!(
            icmp,
            "       type: 8 (EchoRequest)\n       code: 0\n        sum: 0xf4da\n         id: 6273\n        seq: 1"
        );
        assert!(text.contains("      total: 84 (payload: 64)\n"));
    }

    #[test]
    fn every_truncation_dumps_something_and_never_panics() {
        let frames = [
            (Medium::Ethernet, ARP_REQUEST_FRAME.to_vec()),
            (Medium::Ethernet, ether(&TCP_SYN_DGRAM)),
            (Medium::Ethernet, ether(&UDP_DGRAM)),
            (Medium::Ethernet, ether(&ECHO_REQUEST_DGRAM)),
            (Medium::Ip, TCP_SYN_DGRAM.to_vec()),
            (Medium::Ip, UDP_DGRAM.to_vec()),
            (Medium::Ip, ECHO_REQUEST_DGRAM.to_vec()),
        ];
        for (medium, frame) in &frames {
            for len in 0..=frame.len() {
                let text = dump(*medium, &frame[..len]);
                assert!(!text.is_empty(), "{medium:?} {len}");
                assert!(!text.ends_with('\n'), "{medium:?} {len}: {text}");
            }
        }
        assert_eq!(dump(Medium::Ip, &[]), "(truncated ip header, 0 bytes)");
        assert!(
            dump(Medium::Ethernet, &ARP_REQUEST_FRAME[..20])
                .ends_with("\n(truncated arp header, 6 bytes)")
        );
        // The IP header is whole but its total length runs past the buffer.
        assert!(
            dump(Medium::Ip, &TCP_SYN_DGRAM[..40]).ends_with("(truncated ip header, 40 bytes)")
        );
    }

    #[test]
    fn every_one_byte_change_dumps_something() {
        let frames = [
            (Medium::Ethernet, ARP_REQUEST_FRAME.to_vec()),
            (Medium::Ethernet, ether(&TCP_SYN_DGRAM)),
            (Medium::Ethernet, ether(&UDP_DGRAM)),
            (Medium::Ip, ECHO_REQUEST_DGRAM.to_vec()),
        ];
        for (medium, frame) in &frames {
            for i in 0..frame.len() {
                for v in [0x00, 0x0f, 0x45, 0xf0, 0xff] {
                    let mut changed = frame.clone();
                    changed[i] = v;
                    let text = dump(*medium, &changed);
                    assert!(!text.is_empty() && !text.ends_with('\n'), "{i} {v}");
                }
            }
        }
    }

    #[test]
    fn malformed_and_undecoded() {
        // Version 6 in an IPv4 EtherType.
        let mut v6 = ether(&ECHO_REQUEST_DGRAM);
        v6[14] = 0x65;
        assert!(dump(Medium::Ethernet, &v6).ends_with("\n(malformed ip header, 84 bytes)"));
        // TCP data offset below 5.
        let mut bad = TCP_SYN_DGRAM;
        bad[32] = 0x40;
        assert!(dump(Medium::Ip, &bad).ends_with("\n(malformed tcp header, 40 bytes)"));
        // An unknown EtherType and an unknown protocol.
        let mut ipv6 = ether(&[0x60, 0, 0, 0]);
        ipv6[12] = 0x86;
        ipv6[13] = 0xdd;
        assert!(
            dump(Medium::Ethernet, &ipv6)
                .ends_with("type: 0x86dd\n(not decoded: type 0x86dd, 46 bytes)")
        );
        let mut gre = UDP_DGRAM;
        gre[9] = 47;
        assert!(dump(Medium::Ip, &gre).ends_with("\n(not decoded: protocol 47, 21 bytes)"));
    }

    #[test]
    fn fragments() {
        // A non-first fragment: the IP header only.
        let mut later = UDP_DGRAM;
        later[6] = 0x00;
        later[7] = 0xb9; // offset 185 * 8 = 1480
        let text = dump(Medium::Ip, &later);
        assert!(text.starts_with("ip:\n"));
        assert!(text.contains("     offset: 0x00b9 [flags=0, offset=185]\n"));
        assert!(text.ends_with("\n(not decoded: fragment at offset 1480, 21 bytes)"));
        assert!(!text.contains("udp:"));
        // A first fragment: the UDP header, though its length runs past
        // the fragment.
        let mut first = UDP_DGRAM;
        first[6] = 0x20; // MF
        first[7] = 0x00;
        first[24] = 0x05; // UDP length 0x05dc
        first[25] = 0xdc;
        let text = dump(Medium::Ip, &first);
        assert!(
            text.ends_with(
                "udp:\n        src: 40000\n        dst: 7\n        len: 1500\n        sum: 0xe839"
            ),
            "{text}"
        );
    }
}
