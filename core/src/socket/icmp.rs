//! ICMP echo sockets: the `ping` client's end (RFC 792 echo and echo reply).
//!
//! A socket is bound to an echo identifier through
//! [`SocketSet::bind_icmp`](super::SocketSet::bind_icmp); it sends echo
//! requests with that identifier and receives the echo replies that carry it,
//! and the ICMP errors (destination unreachable, time exceeded) that quote
//! one of its requests.

use super::{DispatchError, IcmpErrorReport, RecvError, SendError};
use crate::storage::{PacketBuffer, PacketMetadata};
use crate::wire::Ipv4Address;

/// A request to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EchoRequest {
    /// Destination.
    pub dst: Ipv4Address,
    /// Sequence number.
    pub seq_no: u16,
}

/// What arrived for an ICMP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IcmpEvent {
    /// An echo reply; its data is lent alongside.
    Reply {
        /// Who answered.
        from: Ipv4Address,
        /// The sequence number it echoes.
        seq_no: u16,
        /// The TTL it arrived with.
        ttl: u8,
    },
    /// An error about one of our requests.
    Error {
        /// The error.
        report: IcmpErrorReport,
        /// The destination of the request it concerns.
        dst: Ipv4Address,
        /// The sequence number of that request.
        seq_no: u16,
    },
}

/// The transmit queue type of an ICMP socket.
pub type IcmpTxBuffer<'a> = PacketBuffer<'a, EchoRequest>;
/// The receive queue type of an ICMP socket.
pub type IcmpRxBuffer<'a> = PacketBuffer<'a, IcmpEvent>;
/// Metadata slots of an [`IcmpTxBuffer`].
pub type IcmpTxMetadata = PacketMetadata<EchoRequest>;
/// Metadata slots of an [`IcmpRxBuffer`].
pub type IcmpRxMetadata = PacketMetadata<IcmpEvent>;

/// An ICMP echo socket.
#[derive(Debug)]
pub struct IcmpSocket<'a> {
    ident: u16,
    rx: IcmpRxBuffer<'a>,
    tx: IcmpTxBuffer<'a>,
    ttl: Option<u8>,
    rx_dropped: u64,
}

impl<'a> IcmpSocket<'a> {
    /// A socket with these queues.
    pub fn new(rx: IcmpRxBuffer<'a>, tx: IcmpTxBuffer<'a>) -> Self {
        IcmpSocket {
            ident: 0,
            rx,
            tx,
            ttl: None,
            rx_dropped: 0,
        }
    }

    /// The echo identifier (0 while unbound).
    pub fn ident(&self) -> u16 {
        self.ident
    }

    pub(crate) fn set_ident(&mut self, ident: u16) {
        self.ident = ident;
    }

    /// Whether it is bound.
    pub fn is_open(&self) -> bool {
        self.ident != 0
    }

    /// Sets the TTL of requests (`None`: the stack's default).
    pub fn set_ttl(&mut self, ttl: Option<u8>) {
        self.ttl = ttl;
    }

    /// Whether something can be queued now.
    pub fn can_send(&self) -> bool {
        !self.tx.is_full()
    }

    /// Whether something arrived.
    pub fn can_recv(&self) -> bool {
        !self.rx.is_empty()
    }

    /// Requests queued for sending.
    pub fn send_queue(&self) -> usize {
        self.tx.packet_count()
    }

    /// Events dropped because the receive queue was full.
    pub fn rx_dropped(&self) -> u64 {
        self.rx_dropped
    }

    /// Queues an echo request to `dst` with `len` data bytes filled by `f`.
    pub fn send_echo_with(
        &mut self,
        dst: Ipv4Address,
        seq_no: u16,
        len: usize,
        f: impl FnOnce(&mut [u8]),
    ) -> Result<(), SendError> {
        if !self.is_open() {
            return Err(SendError::Unbound);
        }
        if dst.is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        if len > 65535 - 20 - 8 {
            return Err(SendError::TooLarge);
        }
        match self.tx.enqueue(len, EchoRequest { dst, seq_no }) {
            Ok(buf) => {
                f(buf);
                Ok(())
            }
            Err(crate::storage::PacketBufferError::TooLarge) => Err(SendError::TooLarge),
            Err(crate::storage::PacketBufferError::Full) => Err(SendError::BufferFull),
        }
    }

    /// Queues an echo request carrying `data`.
    pub fn send_echo(
        &mut self,
        dst: Ipv4Address,
        seq_no: u16,
        data: &[u8],
    ) -> Result<(), SendError> {
        self.send_echo_with(dst, seq_no, data.len(), |b| {
            crate::storage::copy_prefix(b, data);
        })
    }

    /// Dequeues the next event with its data (the reply's payload; empty for
    /// errors).
    pub fn recv(&mut self) -> Result<(IcmpEvent, &[u8]), RecvError> {
        let (ev, data) = self.rx.dequeue().map_err(|_| RecvError::Exhausted)?;
        Ok((ev, &*data))
    }

    // ---- the stack's side ------------------------------------------------

    pub(crate) fn process(&mut self, event: IcmpEvent, data: &[u8]) {
        match self.rx.enqueue(data.len(), event) {
            Ok(buf) => {
                crate::storage::copy_prefix(buf, data);
            }
            Err(_) => self.rx_dropped = self.rx_dropped.saturating_add(1),
        }
    }

    pub(crate) fn dispatch(
        &mut self,
        f: &mut dyn FnMut(&EchoRequest, u16, &[u8], Option<u8>) -> Result<(), DispatchError>,
    ) -> bool {
        let ident = self.ident;
        let ttl = self.ttl;
        let mut dropped = None;
        let r = self
            .tx
            .dequeue_with(|req, data| match f(req, ident, data, ttl) {
                Ok(()) => Ok(()),
                Err(DispatchError::Exhausted) => Err(()),
                Err(DispatchError::Dropped(why)) => {
                    dropped = Some((*req, why));
                    Ok(())
                }
            });
        if let Some((req, Some(kind))) = dropped {
            let ev = IcmpEvent::Error {
                report: IcmpErrorReport {
                    from: Ipv4Address::UNSPECIFIED,
                    kind,
                },
                dst: req.dst,
                seq_no: req.seq_no,
            };
            self.process(ev, &[]);
        }
        matches!(r, Ok(Ok(())))
    }

    pub(crate) fn has_pending_tx(&self) -> bool {
        !self.tx.is_empty()
    }
}
