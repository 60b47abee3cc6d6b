//! Regressions found by review: each scenario once jammed, spun or lost
//! something. The pending queue must drain, a closed socket must go quiet, a
//! listener must survive a half-open connection.

mod fragtail {
    use microps_core::iface::{Stack, StackConfig, StackStorage};
    use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
    use microps_core::socket::udp::{UdpPacketBuffer, UdpPacketMetadata, UdpSocket};
    use microps_core::socket::{SocketSet, SocketSlot};
    use microps_core::time::{Duration, Instant};
    use microps_core::wire::*;

    #[derive(Debug)]
    struct Dev {
        budget: usize,
        sent: Vec<Vec<u8>>,
    }
    impl Device for Dev {
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ethernet(1500, EthernetAddress([2, 0, 0, 0, 0, 2]))
        }
        fn receive(
            &mut self,
            _: Instant,
            _: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
        ) -> core::result::Result<bool, DeviceError> {
            Ok(false)
        }
        fn transmit(
            &mut self,
            _: Instant,
            len: usize,
            _: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> core::result::Result<(), DeviceError> {
            if self.budget == 0 {
                return Err(DeviceError::Exhausted);
            }
            self.budget -= 1;
            let mut b = vec![0u8; len];
            f(&mut b);
            self.sent.push(b);
            Ok(())
        }
    }

    #[test]
    fn the_tail_of_a_fragmented_datagram_via_a_gateway_leaves() {
        let mut stack = Stack::new(StackConfig::default(), StackStorage::default_owned());
        let d = stack
            .add_device(DeviceCapabilities::ethernet(
                1500,
                EthernetAddress([2, 0, 0, 0, 0, 2]),
            ))
            .unwrap();
        let i = stack
            .add_interface(d, "192.0.2.2/24".parse().unwrap())
            .unwrap();
        stack
            .set_default_gateway(Ipv4Address::new(192, 0, 2, 1), i)
            .unwrap();
        stack
            .add_static_neighbor(
                Ipv4Address::new(192, 0, 2, 1),
                EthernetAddress([2, 0, 0, 0, 0, 1]),
                d,
            )
            .unwrap();
        let mut sockets = SocketSet::new(vec![SocketSlot::new(), SocketSlot::new()], 1);
        let h = sockets
            .add(UdpSocket::new(
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 16384]),
                UdpPacketBuffer::new(vec![UdpPacketMetadata::EMPTY; 4], vec![0u8; 16384]),
            ))
            .unwrap();
        sockets.bind_udp(h, 5000).unwrap();
        let mut dev = Dev {
            budget: 100,
            sent: vec![],
        };
        let mut t = Instant::from_secs(1);
        stack.poll(t, &mut [&mut dev], &mut sockets); // gratuitous ARP
        dev.sent.clear();
        sockets
            .get_mut::<UdpSocket>(h)
            .unwrap()
            .send_slice(&[1u8; 4000], "198.51.100.7:9".parse().unwrap())
            .unwrap();
        dev.budget = 1; // the device takes one frame, then is busy for this poll
        stack.poll(t, &mut [&mut dev], &mut sockets);
        dev.budget = 1000;
        for _ in 0..100 {
            t += Duration::from_millis(100);
            stack.poll(t, &mut [&mut dev], &mut sockets);
        }
        eprintln!(
            "frames sent: {}, pending: {}, poll_at: {:?}",
            dev.sent.len(),
            stack.pending_datagrams(),
            stack.poll_at(t, &sockets)
        );
        assert_eq!(
            dev.sent.len(),
            3,
            "all three fragments should eventually leave"
        );
    }
}

mod livelock {
    use microps_core::iface::{Stack, StackConfig, StackStorage};
    use microps_core::phy::{Device, DeviceCapabilities, DeviceError, RxMeta, TxMeta, TxSink};
    use microps_core::socket::{SocketSet, SocketSlot};
    use microps_core::time::{Duration, Instant};
    use microps_core::wire::*;
    use std::collections::VecDeque;

    struct Dev {
        budget: usize,
        per_poll: usize,
        sent: usize,
        rx: VecDeque<Vec<u8>>,
    }
    impl Device for Dev {
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ethernet(1500, EthernetAddress([2, 0, 0, 0, 0, 2]))
        }
        fn receive(
            &mut self,
            _: Instant,
            f: &mut dyn FnMut(RxMeta, &[u8], &mut dyn TxSink),
        ) -> core::result::Result<bool, DeviceError> {
            let Some(fr) = self.rx.pop_front() else {
                return Ok(false);
            };
            let mut sink = Sink {
                budget: &mut self.budget,
                sent: &mut self.sent,
            };
            f(RxMeta::default(), &fr, &mut sink);
            Ok(true)
        }
        fn transmit(
            &mut self,
            _: Instant,
            len: usize,
            _: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> core::result::Result<(), DeviceError> {
            Sink {
                budget: &mut self.budget,
                sent: &mut self.sent,
            }
            .transmit(len, TxMeta::default(), f)
        }
    }
    struct Sink<'a> {
        budget: &'a mut usize,
        sent: &'a mut usize,
    }
    impl TxSink for Sink<'_> {
        fn transmit(
            &mut self,
            len: usize,
            _: TxMeta,
            f: &mut dyn FnMut(&mut [u8]),
        ) -> core::result::Result<(), DeviceError> {
            if *self.budget == 0 {
                return Err(DeviceError::Exhausted);
            }
            *self.budget -= 1;
            *self.sent += 1;
            let mut b = vec![0u8; len];
            f(&mut b);
            Ok(())
        }
    }

    fn frag(off: usize, more: bool, data: &[u8]) -> Vec<u8> {
        let repr = Ipv4Repr {
            src_addr: Ipv4Address::new(192, 0, 2, 1),
            dst_addr: Ipv4Address::new(192, 0, 2, 2),
            protocol: IpProtocol::Icmp,
            payload_len: data.len(),
            ttl: 64,
            tos: 0,
            ident: 77,
            dont_frag: false,
            more_frags: more,
            frag_offset: off as u16,
        };
        let mut frame = vec![0u8; 14 + 20 + data.len()];
        EthernetRepr {
            src_addr: EthernetAddress([2, 0, 0, 0, 0, 1]),
            dst_addr: EthernetAddress([2, 0, 0, 0, 0, 2]),
            ethertype: EtherType::Ipv4,
        }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
        let mut ip = Ipv4Packet::new_unchecked(&mut frame[14..]);
        repr.emit(&mut ip, &ChecksumCapabilities::all());
        ip.payload_mut().copy_from_slice(data);
        frame
    }

    #[test]
    fn a_queued_reply_with_more_fragments_than_device_buffers_completes() {
        let mut stack = Stack::new(StackConfig::default(), StackStorage::default_owned());
        let d = stack
            .add_device(DeviceCapabilities::ethernet(
                1500,
                EthernetAddress([2, 0, 0, 0, 0, 2]),
            ))
            .unwrap();
        stack
            .add_interface(d, "192.0.2.2/24".parse().unwrap())
            .unwrap();
        stack
            .add_static_neighbor(
                Ipv4Address::new(192, 0, 2, 1),
                EthernetAddress([2, 0, 0, 0, 0, 1]),
                d,
            )
            .unwrap();
        let mut sockets = SocketSet::new(vec![SocketSlot::new()], 1);
        let mut icmp = vec![0u8; 8 + 6000];
        icmp[0] = 8;
        icmp[4] = 1;
        icmp[6] = 1;
        let sum = checksum::finish(checksum::data(&icmp));
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let mut dev = Dev {
            budget: 100,
            per_poll: 2,
            sent: 0,
            rx: VecDeque::new(),
        };
        let mut t = Instant::from_secs(1);
        stack.poll(t, &mut [&mut dev], &mut sockets);
        for (i, chunk) in icmp.chunks(1480).enumerate() {
            let last = (i + 1) * 1480 >= icmp.len();
            dev.rx.push_back(frag(i * 1480, !last, chunk));
        }
        dev.budget = 0; // busy while the request arrives: the reply is queued
        stack.poll(t, &mut [&mut dev], &mut sockets);
        dev.sent = 0;
        for _ in 0..1000 {
            t += Duration::from_millis(1);
            dev.budget = dev.per_poll;
            stack.poll(t, &mut [&mut dev], &mut sockets);
        }
        eprintln!(
            "frames sent in 1000 polls: {}, pending {}",
            dev.sent,
            stack.pending_datagrams()
        );
        assert_eq!(stack.pending_datagrams(), 0);
    }
}

mod pending {
    use microps_core::iface::{StackConfig, StackStorage};
    use microps_core::sim::{LinkConfig, Network};
    use microps_core::time::Duration;
    use microps_core::wire::*;

    fn echo_frame(
        dst_mac: EthernetAddress,
        src_mac: EthernetAddress,
        src: Ipv4Address,
        dst: Ipv4Address,
        seq: u16,
    ) -> Vec<u8> {
        let mut icmp = vec![
            8u8,
            0,
            0,
            0,
            0x12,
            0x34,
            (seq >> 8) as u8,
            seq as u8,
            1,
            2,
            3,
            4,
        ];
        let sum = checksum::finish(checksum::data(&icmp));
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let repr = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            protocol: IpProtocol::Icmp,
            payload_len: icmp.len(),
            ttl: 64,
            tos: 0,
            ident: seq,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
        };
        let mut frame = vec![0u8; 14 + 20 + icmp.len()];
        EthernetRepr {
            src_addr: src_mac,
            dst_addr: dst_mac,
            ethertype: EtherType::Ipv4,
        }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
        let mut ip = Ipv4Packet::new_unchecked(&mut frame[14..]);
        repr.emit(&mut ip, &ChecksumCapabilities::all());
        ip.payload_mut().copy_from_slice(&icmp);
        frame
    }

    #[test]
    fn datagrams_whose_arp_entry_was_evicted_do_not_stay_queued() {
        let mut net = Network::new(1);
        let a = net.add_node(
            StackConfig::default(),
            StackStorage::owned(8, 64, 256 * 1024, 4, 65535),
        );
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, _db) = net.connect(a, b, LinkConfig::default()).unwrap();
        net.node_mut(a)
            .stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        net.run_for(Duration::from_millis(10));
        let mac_a = EthernetAddress([2, 0, 0, 0, 0, 0]);
        let peer_mac = EthernetAddress([2, 0, 0, 0, 9, 9]);
        // 20 pings from 20 non-existent on-link hosts.
        for i in 0..20u8 {
            let f = echo_frame(
                mac_a,
                peer_mac,
                Ipv4Address::new(192, 0, 2, 100 + i),
                Ipv4Address::new(192, 0, 2, 1),
                i as u16,
            );
            net.inject(a, da, &f);
        }
        net.run_for(Duration::from_millis(50));
        eprintln!(
            "pending after burst: {}",
            net.node(a).stack.pending_datagrams()
        );
        net.run_for(Duration::from_secs(600));
        let st = net.node(a).stack.stats();
        eprintln!(
            "pending after 10 min: {} arp entries {} drop_unresolved {} ",
            net.node(a).stack.pending_datagrams(),
            net.node(a).stack.arp_cache().len(),
            st.arp.drop_unresolved
        );
        assert_eq!(
            net.node(a).stack.pending_datagrams(),
            0,
            "datagrams whose ARP entry was evicted stay queued forever"
        );
    }

    #[test]
    fn more_than_32_arp_actions_in_one_poll_are_all_taken() {
        let mut net = Network::new(1);
        let a = net.add_node(
            StackConfig::default(),
            StackStorage::owned(64, 64, 256 * 1024, 4, 65535),
        );
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, _db) = net.connect(a, b, LinkConfig::default()).unwrap();
        net.node_mut(a)
            .stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        net.run_for(Duration::from_millis(10));
        let mac_a = EthernetAddress([2, 0, 0, 0, 0, 0]);
        let peer_mac = EthernetAddress([2, 0, 0, 0, 9, 9]);
        for i in 0..40u8 {
            let f = echo_frame(
                mac_a,
                peer_mac,
                Ipv4Address::new(192, 0, 2, 100 + i),
                Ipv4Address::new(192, 0, 2, 1),
                i as u16,
            );
            net.inject(a, da, &f);
        }
        net.run_for(Duration::from_millis(50));
        let st = net.node(a).stack.stats();
        eprintln!(
            "pending after burst: {} arp tx_requests {}",
            net.node(a).stack.pending_datagrams(),
            st.arp.tx_requests
        );
        net.run_for(Duration::from_secs(600));
        let st = net.node(a).stack.stats();
        eprintln!(
            "pending after 10 min: {} arp entries {} drop_unresolved {} tx_requests {}",
            net.node(a).stack.pending_datagrams(),
            net.node(a).stack.arp_cache().len(),
            st.arp.drop_unresolved,
            st.arp.tx_requests
        );
        assert_eq!(net.node(a).stack.pending_datagrams(), 0);
    }

    #[test]
    fn more_than_32_failed_resolutions_release_their_datagrams() {
        let mut net = Network::new(1);
        let a = net.add_node(
            StackConfig::default(),
            StackStorage::owned(64, 64, 256 * 1024, 4, 65535),
        );
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, _db) = net.connect(a, b, LinkConfig::default()).unwrap();
        net.node_mut(a)
            .stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        net.run_for(Duration::from_millis(10));
        let mac_a = EthernetAddress([2, 0, 0, 0, 0, 0]);
        let peer_mac = EthernetAddress([2, 0, 0, 0, 9, 9]);
        let t0 = net.now();
        for i in 0..16u8 {
            let f = echo_frame(
                mac_a,
                peer_mac,
                Ipv4Address::new(192, 0, 2, 100 + i),
                Ipv4Address::new(192, 0, 2, 1),
                i as u16,
            );
            net.node(a).devices[da.index()].inner().inject(t0, &f);
        }
        for i in 0..40u8 {
            let f = echo_frame(
                mac_a,
                peer_mac,
                Ipv4Address::new(192, 0, 2, 200 + i),
                Ipv4Address::new(192, 0, 2, 1),
                100 + i as u16,
            );
            net.node(a).devices[da.index()]
                .inner()
                .inject(t0 + Duration::from_secs(3), &f);
        }
        net.run_for(Duration::from_secs(600));
        let st = net.node(a).stack.stats();
        eprintln!(
            "pending after 10 min: {} arp entries {} drop_unresolved {} tx_requests {}",
            net.node(a).stack.pending_datagrams(),
            net.node(a).stack.arp_cache().len(),
            st.arp.drop_unresolved,
            st.arp.tx_requests
        );
        assert_eq!(net.node(a).stack.pending_datagrams(), 0);
    }
}

mod spinclosed {
    use core::net::SocketAddrV4;
    use microps_core::iface::{StackConfig, StackStorage};
    use microps_core::phy::FaultConfig;
    use microps_core::rand::SipKey;
    use microps_core::sim::{LinkConfig, Network};
    use microps_core::socket::tcp::input::RxContext;
    use microps_core::socket::tcp::{SocketBuffer, State, TcpSocket};
    use microps_core::time::Duration;
    use microps_core::wire::*;

    #[test]
    fn a_socket_reset_during_fast_retransmit_goes_quiet() {
        let mut net = Network::new(3);
        let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, db) = net.connect(a, b, LinkConfig::default()).unwrap();
        net.node_mut(a)
            .stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        net.node_mut(b)
            .stack
            .add_interface(db, "192.0.2.2/24".parse().unwrap())
            .unwrap();
        let hb = {
            let s = &mut net.node_mut(b).sockets;
            let h = s
                .add(TcpSocket::new(
                    SocketBuffer::new(vec![0; 4096]),
                    SocketBuffer::new(vec![0; 4096]),
                ))
                .unwrap();
            s.tcp_listen(h, 80).unwrap();
            h
        };
        let _ = hb;
        let ha = net
            .node_mut(a)
            .sockets
            .add(TcpSocket::new(
                SocketBuffer::new(vec![0; 4096]),
                SocketBuffer::new(vec![0; 16384]),
            ))
            .unwrap();
        net.run_for(Duration::from_millis(10));
        let now = net.now();
        let remote: SocketAddrV4 = "192.0.2.2:80".parse().unwrap();
        let node = net.node_mut(a);
        let local = node
            .stack
            .tcp_connect(now, &mut node.sockets, ha, remote, 0)
            .unwrap();
        net.run_for(Duration::from_millis(100));
        assert_eq!(
            net.node(a).sockets.get::<TcpSocket>(ha).unwrap().state(),
            State::Established
        );
        net.set_rx_faults(b, db, FaultConfig::none().with_drop(1_000_000));
        net.start_capture(a, da);
        net.node_mut(a)
            .sockets
            .get_mut::<TcpSocket>(ha)
            .unwrap()
            .send_slice(&[7u8; 3000])
            .unwrap();
        net.run_for(Duration::from_millis(5));
        let frames = net.captured(a, da);
        let f = frames
            .iter()
            .find(|(_, f)| f.len() > 100)
            .expect("a data segment")
            .1
            .clone();
        let tcp = TcpPacket::new_checked(&f[34..]).unwrap();
        let (una, rcv_nxt) = (tcp.seq_number(), tcp.ack_number());
        let key = SipKey::new(0, 0);
        let now = net.now();
        let cx = RxContext {
            now,
            isn_key: &key,
            mss: 1460,
            local,
            remote,
        };
        let s = net.node_mut(a).sockets.get_mut::<TcpSocket>(ha).unwrap();
        let dup = TcpRepr {
            src_port: 80,
            dst_port: local.port(),
            seq_number: rcv_nxt,
            ack_number: una,
            flags: TcpFlags::ACK,
            window_len: 4096,
            urgent_pointer: 0,
            options: TcpOptions::new(),
            payload: &[],
        };
        for _ in 0..3 {
            s.segment_arrives(&cx, &dup);
        }
        eprintln!("in recovery: {}", s.in_fast_recovery());
        let rst = TcpRepr {
            flags: TcpFlags::RST,
            ..dup
        };
        s.segment_arrives(&cx, &rst);
        eprintln!("state {} error {:?}", s.state(), s.error());
        eprintln!("socket poll_at {:?} (now {:?})", s.poll_at(now), now);
        let node = net.node_mut(a);
        node.poll(now);
        let later = now + Duration::from_secs(100);
        node.poll(later);
        eprintln!(
            "after polls, stack.poll_at(now+100s) = {:?}",
            node.stack.poll_at(later, &node.sockets)
        );
        let steps = net.steps();
        eprintln!("run_for(1s) starting at step {steps}");
        net.run_for(Duration::from_secs(1));
        eprintln!("run_for returned after {} steps", net.steps() - steps);
    }
}

mod listen {
    use microps_core::iface::{StackConfig, StackStorage};
    use microps_core::sim::{LinkConfig, Network};
    use microps_core::socket::tcp::{SocketBuffer, TcpSocket};
    use microps_core::time::Duration;
    use microps_core::wire::*;

    fn syn_frame(
        dst_mac: EthernetAddress,
        src_mac: EthernetAddress,
        src: Ipv4Address,
        dst: Ipv4Address,
        sport: u16,
        dport: u16,
    ) -> Vec<u8> {
        let mut t = vec![0u8; 20];
        t[0..2].copy_from_slice(&sport.to_be_bytes());
        t[2..4].copy_from_slice(&dport.to_be_bytes());
        t[4..8].copy_from_slice(&1000u32.to_be_bytes());
        t[12] = 5 << 4;
        t[13] = 0x02;
        t[14..16].copy_from_slice(&65535u16.to_be_bytes());
        let sum = checksum::finish(checksum::combine(&[
            checksum::pseudo_header(&src, &dst, 6, 20),
            checksum::data(&t),
        ]));
        t[16..18].copy_from_slice(&sum.to_be_bytes());
        let repr = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            protocol: IpProtocol::Tcp,
            payload_len: t.len(),
            ttl: 64,
            tos: 0,
            ident: 1,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
        };
        let mut frame = vec![0u8; 14 + 20 + t.len()];
        EthernetRepr {
            src_addr: src_mac,
            dst_addr: dst_mac,
            ethertype: EtherType::Ipv4,
        }
        .emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
        let mut ip = Ipv4Packet::new_unchecked(&mut frame[14..]);
        repr.emit(&mut ip, &ChecksumCapabilities::all());
        ip.payload_mut().copy_from_slice(&t);
        frame
    }

    #[test]
    fn an_unanswered_syn_ack_returns_the_listener_to_listen() {
        let mut net = Network::new(1);
        let a = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let b = net.add_node(StackConfig::default(), StackStorage::default_owned());
        let (da, _db) = net.connect(a, b, LinkConfig::default()).unwrap();
        net.node_mut(a)
            .stack
            .add_interface(da, "192.0.2.1/24".parse().unwrap())
            .unwrap();
        let h = {
            let s = &mut net.node_mut(a).sockets;
            let h = s
                .add(TcpSocket::new(
                    SocketBuffer::new(vec![0; 4096]),
                    SocketBuffer::new(vec![0; 4096]),
                ))
                .unwrap();
            s.tcp_listen(h, 80).unwrap();
            h
        };
        net.run_for(Duration::from_millis(10));
        let f = syn_frame(
            EthernetAddress([2, 0, 0, 0, 0, 0]),
            EthernetAddress([2, 0, 0, 0, 9, 9]),
            Ipv4Address::new(192, 0, 2, 77),
            Ipv4Address::new(192, 0, 2, 1),
            1234,
            80,
        );
        net.inject(a, da, &f);
        net.run_for(Duration::from_millis(10));
        eprintln!(
            "after SYN: {}",
            net.node(a).sockets.get::<TcpSocket>(h).unwrap().state()
        );
        net.run_for(Duration::from_secs(400));
        let s = net.node(a).sockets.get::<TcpSocket>(h).unwrap();
        eprintln!("after 400 s: {} error {:?}", s.state(), s.error());
        assert!(
            s.is_listening(),
            "a passive open that timed out should go back to LISTEN"
        );
    }
}
