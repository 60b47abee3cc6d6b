//! A writer of pcap capture files (the classic libpcap format, microsecond
//! timestamps), readable by `tcpdump -r` and Wireshark.
//!
//! The file starts with a global header (magic `0xa1b2c3d4`, version 2.4,
//! snapshot length [`SNAPLEN`], the link type) followed by one record per
//! frame: seconds and microseconds since the Unix epoch, the captured length,
//! the original length, and the captured bytes. Every field is written
//! little-endian; readers recognise the byte order from the magic number.
//!
//! ```no_run
//! use microps_drivers_linux::pcap::{LinkType, PcapWriter};
//! # fn main() -> std::io::Result<()> {
//! let mut pcap = PcapWriter::create("/tmp/tap0.pcap", LinkType::Ethernet)?;
//! # let frame = [0u8; 60];
//! pcap.write_frame(std::time::SystemTime::now(), &frame)?;
//! pcap.flush()?;
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The magic number of a classic pcap file with microsecond timestamps.
pub const MAGIC: u32 = 0xa1b2_c3d4;

/// The major version of the format written.
pub const VERSION_MAJOR: u16 = 2;

/// The minor version of the format written.
pub const VERSION_MINOR: u16 = 4;

/// The snapshot length: frames longer than this are truncated in the file
/// (their original length is still recorded).
pub const SNAPLEN: u32 = 262_144;

/// The link-layer header type of every frame in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// Ethernet II frames, starting with the destination MAC address
    /// (`LINKTYPE_ETHERNET`, 1): TAP and PF_PACKET devices.
    Ethernet,
    /// Raw IPv4 datagrams without a link-layer header: TUN devices. Written as
    /// `LINKTYPE_RAW` (101), which tcpdump, libpcap and Wireshark all read
    /// (the IPv4-only `LINKTYPE_IPV4`, 228, is rarer in older readers).
    RawIpv4,
}

impl LinkType {
    /// The `LINKTYPE_*` value written into the file header.
    pub const fn code(self) -> u32 {
        match self {
            LinkType::Ethernet => 1,
            LinkType::RawIpv4 => 101,
        }
    }
}

/// Writes frames into a pcap stream.
///
/// Nothing here panics: every failure (of the underlying writer, or a
/// timestamp that the format cannot hold) is returned as an [`io::Error`].
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    out: W,
    link: LinkType,
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`, buffered, and writes the
    /// global header.
    ///
    /// # Errors
    ///
    /// If the file cannot be created or the header cannot be written.
    pub fn create(path: impl AsRef<Path>, link: LinkType) -> io::Result<Self> {
        let file = File::create(path)?;
        PcapWriter::new(BufWriter::new(file), link)
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header for `link` into `out` and returns the writer.
    ///
    /// # Errors
    ///
    /// The error of `out`.
    pub fn new(mut out: W, link: LinkType) -> io::Result<Self> {
        let mut header = [0u8; 24];
        header[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        header[4..6].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
        header[6..8].copy_from_slice(&VERSION_MINOR.to_le_bytes());
        // thiszone (8..12) and sigfigs (12..16) stay zero.
        header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
        header[20..24].copy_from_slice(&link.code().to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter { out, link })
    }

    /// The link type given at creation.
    pub fn link_type(&self) -> LinkType {
        self.link
    }

    /// Writes one frame captured at `ts`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `ts` is before the Unix epoch or after 2106 (the
    /// format's seconds field has 32 bits); otherwise the error of the
    /// underlying writer.
    pub fn write_frame(&mut self, ts: SystemTime, frame: &[u8]) -> io::Result<()> {
        let since = ts.duration_since(UNIX_EPOCH).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "pcap timestamp before the Unix epoch",
            )
        })?;
        let secs = u32::try_from(since.as_secs()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "pcap timestamp beyond the 32-bit seconds range",
            )
        })?;
        self.write_frame_at(secs, since.subsec_micros(), frame)
    }

    /// Writes one frame captured `secs` seconds and `micros` microseconds
    /// after the Unix epoch. A frame longer than [`SNAPLEN`] is truncated to
    /// it, with its original length recorded.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `micros` is a million or more; otherwise the error of
    /// the underlying writer.
    pub fn write_frame_at(&mut self, secs: u32, micros: u32, frame: &[u8]) -> io::Result<()> {
        if micros >= 1_000_000 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "pcap timestamp microseconds out of range",
            ));
        }
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let incl_len = orig_len.min(SNAPLEN);
        let captured = frame.get(..incl_len as usize).unwrap_or(frame);
        let mut header = [0u8; 16];
        header[0..4].copy_from_slice(&secs.to_le_bytes());
        header[4..8].copy_from_slice(&micros.to_le_bytes());
        header[8..12].copy_from_slice(&incl_len.to_le_bytes());
        header[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(captured)
    }

    /// Flushes the underlying writer (a capture written through a
    /// [`BufWriter`] is complete on disk only after this or a drop).
    ///
    /// # Errors
    ///
    /// The error of the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// A reference to the underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer, without flushing it.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microps_core::wire::checksum;
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::Duration;

    const MAC_A: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x01];
    const MAC_B: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x02];
    const IP_A: [u8; 4] = [192, 0, 2, 2];
    const IP_B: [u8; 4] = [192, 0, 2, 1];

    /// An Ethernet frame: ARP request "who-has 192.0.2.1 tell 192.0.2.2".
    fn arp_request() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&MAC_A);
        f.extend_from_slice(&[0x08, 0x06]);
        f.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
        f.extend_from_slice(&MAC_A);
        f.extend_from_slice(&IP_A);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&IP_B);
        f.resize(60, 0);
        f
    }

    /// An IPv4 datagram carrying an ICMP echo request (id 0x1234, seq 1,
    /// 8 bytes of data), with valid checksums.
    fn icmp_echo_datagram() -> Vec<u8> {
        let mut icmp = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
        icmp.extend_from_slice(b"microps!");
        let sum = checksum::finish(checksum::data(&icmp)).to_be_bytes();
        icmp[2..4].copy_from_slice(&sum);

        let total = (20 + icmp.len()) as u16;
        let mut ip = vec![0x45, 0x00];
        ip.extend_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[0x00, 0x80, 0x00, 0x00, 64, 1, 0, 0]);
        ip.extend_from_slice(&IP_A);
        ip.extend_from_slice(&IP_B);
        let sum = checksum::finish(checksum::data(&ip)).to_be_bytes();
        ip[10..12].copy_from_slice(&sum);
        ip.extend_from_slice(&icmp);
        ip
    }

    fn icmp_echo_frame() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&MAC_B);
        f.extend_from_slice(&MAC_A);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&icmp_echo_datagram());
        f
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "microps-pcap-test-{}-{name}.pcap",
            std::process::id()
        ))
    }

    /// `tcpdump -r path -nn` output, or `None` (with the reason printed) when
    /// tcpdump is not installed; under `CI=true` a missing tcpdump fails.
    fn tcpdump(path: &Path) -> Option<String> {
        match Command::new("tcpdump")
            .arg("-r")
            .arg(path)
            .arg("-nn")
            .output()
        {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "tcpdump failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("tcpdump is required under CI=true: {e}");
                }
                eprintln!("skipping the tcpdump check: cannot run tcpdump: {e}");
                None
            }
        }
    }

    #[test]
    fn global_and_record_headers() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
        assert_eq!(w.link_type(), LinkType::Ethernet);
        w.write_frame_at(0x0102_0304, 999_999, &[0xaa, 0xbb, 0xcc])
            .unwrap();
        let bytes = w.into_inner();
        let expected: Vec<u8> = [
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0][..],
            &[0; 8],
            &[0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0],
            &[0x04, 0x03, 0x02, 0x01, 0x3f, 0x42, 0x0f, 0x00],
            &[3, 0, 0, 0, 3, 0, 0, 0],
            &[0xaa, 0xbb, 0xcc],
        ]
        .concat();
        assert_eq!(bytes, expected);

        let w = PcapWriter::new(Vec::new(), LinkType::RawIpv4).unwrap();
        assert_eq!(w.get_ref()[20..24], [101, 0, 0, 0]);
    }

    #[test]
    fn long_frame_is_truncated_to_snaplen() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
        let frame = vec![0x5a; SNAPLEN as usize + 10];
        w.write_frame_at(1, 0, &frame).unwrap();
        let bytes = w.into_inner();
        assert_eq!(bytes.len(), 24 + 16 + SNAPLEN as usize);
        assert_eq!(bytes[24 + 8..24 + 12], SNAPLEN.to_le_bytes());
        assert_eq!(bytes[24 + 12..24 + 16], (SNAPLEN + 10).to_le_bytes());
    }

    #[test]
    fn bad_timestamps_and_writer_errors_are_returned() {
        let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet).unwrap();
        let before = UNIX_EPOCH - Duration::from_secs(1);
        let e = w.write_frame(before, &[1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let after_2106 = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX) + 1);
        let e = w.write_frame(after_2106, &[1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let e = w.write_frame_at(0, 1_000_000, &[1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        // Nothing was written for the rejected frames.
        assert_eq!(w.get_ref().len(), 24);

        // A writer with room for the global header only.
        let mut buf = [0u8; 30];
        let mut w = PcapWriter::new(&mut buf[..], LinkType::RawIpv4).unwrap();
        let e = w.write_frame_at(0, 0, &[0; 40]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
        let mut none = [0u8; 10];
        let e = PcapWriter::new(&mut none[..], LinkType::Ethernet).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);

        // A path that cannot be created.
        let e = PcapWriter::create("/nonexistent-dir/x.pcap", LinkType::Ethernet).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn tcpdump_reads_ethernet_capture() {
        let path = temp_path("ethernet");
        let t0 = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        let mut w = PcapWriter::create(&path, LinkType::Ethernet).unwrap();
        w.write_frame(t0, &arp_request()).unwrap();
        w.write_frame(t0 + Duration::from_millis(1), &icmp_echo_frame())
            .unwrap();
        w.flush().unwrap();
        drop(w);
        let out = tcpdump(&path);
        let _ = std::fs::remove_file(&path);
        let Some(out) = out else { return };
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].contains("ARP, Request who-has 192.0.2.1 tell 192.0.2.2, length 46"),
            "{out}"
        );
        assert!(
            lines[1]
                .contains("IP 192.0.2.2 > 192.0.2.1: ICMP echo request, id 4660, seq 1, length 16"),
            "{out}"
        );
        // The microsecond part of the timestamp survives.
        assert!(lines[0].contains(".123456 "), "{out}");
        assert!(lines[1].contains(".124456 "), "{out}");
    }

    #[test]
    fn tcpdump_reads_raw_ipv4_capture() {
        let path = temp_path("rawipv4");
        let mut w = PcapWriter::create(&path, LinkType::RawIpv4).unwrap();
        w.write_frame_at(1_700_000_000, 42, &icmp_echo_datagram())
            .unwrap();
        w.write_frame_at(1_700_000_001, 0, &icmp_echo_datagram())
            .unwrap();
        w.flush().unwrap();
        drop(w);
        let out = tcpdump(&path);
        let _ = std::fs::remove_file(&path);
        let Some(out) = out else { return };
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        for line in lines {
            assert!(
                line.contains(
                    "IP 192.0.2.2 > 192.0.2.1: ICMP echo request, id 4660, seq 1, length 16"
                ),
                "{out}"
            );
        }
    }
}
