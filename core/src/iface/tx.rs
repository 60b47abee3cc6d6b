//! Transmission: every frame the stack sends goes through [`Tx`], which
//! reaches each device, the one being read from through its reply sink (so a
//! reply can go while its request is still borrowed), and logs what it sent.

use core::fmt;

use super::interface::DeviceId;
#[cfg(feature = "log")]
use super::interface::MAX_DEVICES;
#[cfg(feature = "log")]
use crate::phy::Medium;
use crate::phy::{Device, DeviceError, TxMeta, TxSink};
use crate::time::Instant;

/// Logs one frame crossing device `$dev` (`$direction` is `input` or
/// `output`): a line in microps's style, then every header decoded. A macro
/// so that the line is prefixed with the caller's function name.
#[cfg(feature = "log")]
macro_rules! log_frame {
    ($dev:expr, $medium:expr, $direction:literal, $frame:expr) => {{
        let (medium, frame): (Medium, &[u8]) = ($medium, $frame);
        net_debug!(
            "dev={}, {}, type={}, len={}",
            $dev,
            $direction,
            crate::iface::tx::FrameType(medium, frame),
            frame.len()
        );
        net_dump!(crate::wire::FrameDump::new(medium, frame));
    }};
}
#[cfg(feature = "log")]
pub(crate) use log_frame;

/// Transmission context: every device, with the one being read from reached
/// through its reply sink.
pub(crate) struct Tx<'d, 'x> {
    pub(crate) before: &'d mut [&'x mut dyn Device],
    pub(crate) after: &'d mut [&'x mut dyn Device],
    /// Index of `after[0]` minus one (the current device's index).
    pub(crate) offset: usize,
    pub(crate) current: Option<(DeviceId, &'d mut dyn TxSink)>,
    pub(crate) now: Instant,
    pub(crate) sent: usize,
    /// Each device's medium, to decode the frames sent in the log.
    #[cfg(feature = "log")]
    pub(crate) media: [Medium; MAX_DEVICES],
}

impl Tx<'_, '_> {
    /// Lends a buffer of `len` bytes on device `dev` to `f` and sends it.
    ///
    /// Every frame the stack sends passes here: with the `log` feature and
    /// debug logging on, the frame `f` wrote is logged (`dev=net0, output,
    /// type=ARP(0x0806), len=42`) and dumped header by header
    /// ([`FrameDump`](crate::wire::FrameDump)). A device that fails with
    /// `Exhausted` after running `f` did not send what was logged.
    pub(crate) fn transmit(
        &mut self,
        dev: DeviceId,
        len: usize,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        #[cfg(feature = "log")]
        if log_frames() {
            let medium = self
                .media
                .get(dev.index())
                .copied()
                .unwrap_or(Medium::Ethernet);
            return self.send(dev, len, &mut |buf: &mut [u8]| {
                f(buf);
                log_frame!(dev, medium, "output", buf);
            });
        }
        self.send(dev, len, f)
    }

    /// [`Tx::transmit`] without the log.
    fn send(
        &mut self,
        dev: DeviceId,
        len: usize,
        f: &mut dyn FnMut(&mut [u8]),
    ) -> Result<(), DeviceError> {
        let i = dev.index();
        let r = match &mut self.current {
            Some((cur, sink)) if *cur == dev => sink.transmit(len, TxMeta::default(), f),
            _ => {
                let d = if i < self.before.len() {
                    self.before.get_mut(i)
                } else {
                    self.after
                        .get_mut(i.wrapping_sub(self.offset).wrapping_sub(1))
                };
                match d {
                    Some(d) => d.transmit(self.now, len, TxMeta::default(), f),
                    None => Err(DeviceError::Down),
                }
            }
        };
        if r.is_ok() {
            self.sent += 1;
        }
        r
    }
}

/// Whether frames are logged: the one-line summary or the dump is on.
#[cfg(feature = "log")]
pub(crate) fn log_frames() -> bool {
    log::log_enabled!(log::Level::Debug)
        || log::log_enabled!(target: "microps_core::dump", log::Level::Debug)
}

/// What a frame carries, for the log line: the EtherType on Ethernet
/// (`IPv4(0x0800)`, `ARP(0x0806)`), `IP` on an IP medium, `?` if the frame is
/// too short to say.
#[cfg(feature = "log")]
pub(crate) struct FrameType<'a>(pub(crate) Medium, pub(crate) &'a [u8]);

#[cfg(feature = "log")]
impl fmt::Display for FrameType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.0 {
            Medium::Ethernet => match crate::wire::EthernetFrame::new_checked(self.1) {
                Ok(frame) => write!(f, "{}", frame.ethertype()),
                Err(_) => f.write_str("?"),
            },
            Medium::Ip => f.write_str("IP"),
        }
    }
}

impl fmt::Debug for Tx<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("Tx")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}
