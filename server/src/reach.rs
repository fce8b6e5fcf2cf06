//! Reachability for the `basehttp` command (a module of the binary):
//! `--urls` prints, on stderr, the URLs other machines can open (the
//! `Serving HTTP on :: port 8000 (http://[::]:8000/)` line on stdout stays
//! CPython's and names no address a phone can use), and `--qr` a QR code of
//! the first LAN one, as `serve` and miniserve do. The addresses come from
//! Linux's `/proc/net/fib_trie` (IPv4 local routes) and `/proc/net/if_inet6`
//! (global IPv6), read by pure functions.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The IPv4 addresses of this host's interfaces: the `/32 host LOCAL`
/// routes of `/proc/net/fib_trie`, loopback left out, in order, once each.
pub(crate) fn parse_fib_trie(text: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            last = addr.parse().ok();
        } else if line.starts_with("/32 host LOCAL")
            && let Some(addr) = last.take()
            && !addr.is_loopback()
            && !out.contains(&addr)
        {
            out.push(addr);
        }
    }
    out
}

/// The global IPv6 addresses of `/proc/net/if_inet6` (scope `00`; not
/// loopback, link-local or host), in order.
pub(crate) fn parse_if_inet6(text: &str) -> Vec<Ipv6Addr> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_ascii_whitespace();
            let hex = fields.next()?;
            let scope = fields.nth(2)?;
            if scope != "00" || hex.len() != 32 {
                return None;
            }
            let bits = u128::from_str_radix(hex, 16).ok()?;
            Some(Ipv6Addr::from(bits))
        })
        .filter(|a| !a.is_loopback())
        .collect()
}

/// The URLs a server bound to `bound` answers on: the bound address, or,
/// for all interfaces, loopback and each interface's address (IPv6 ones
/// only when bound to `::`).
pub(crate) fn urls(bound: SocketAddr, scheme: &str) -> Vec<String> {
    let port = bound.port();
    let url = |ip: IpAddr| match ip {
        IpAddr::V4(a) => format!("{scheme}://{a}:{port}/"),
        IpAddr::V6(a) => format!("{scheme}://[{a}]:{port}/"),
    };
    if !bound.ip().is_unspecified() {
        return vec![url(bound.ip())];
    }
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let mut ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    ips.extend(
        parse_fib_trie(&read("/proc/net/fib_trie"))
            .into_iter()
            .map(IpAddr::V4),
    );
    if bound.is_ipv6() {
        ips.extend(
            parse_if_inet6(&read("/proc/net/if_inet6"))
                .into_iter()
                .map(IpAddr::V6),
        );
    }
    ips.into_iter().map(url).collect()
}

/// Modules of light margin around the code (ISO/IEC 18004 asks for 4).
const QUIET_ZONE: i32 = 4;

/// `text` as a QR code for a terminal: two rows of modules per line in
/// half blocks, dark on light whatever the terminal's colours (ANSI black
/// on white), with the quiet zone.
pub(crate) fn qr_lines(text: &str) -> Option<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = qr.size();
    let dark =
        |x: i32, y: i32| (0..size).contains(&x) && (0..size).contains(&y) && qr.get_module(x, y);
    let mut out = String::new();
    let mut y = -QUIET_ZONE;
    while y < size + QUIET_ZONE {
        out.push_str("\x1b[30;47m");
        for x in -QUIET_ZONE..size + QUIET_ZONE {
            out.push(match (dark(x, y), dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        let _ = writeln!(out, "\x1b[0m");
        y += 2;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIB: &str = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n\
        \x20    +-- 127.0.0.0/8 2 0 2\n           |-- 127.0.0.1\n              /32 host LOCAL\n\
        \x20          |-- 192.168.1.23\n              /32 host LOCAL\n\
        \x20       |-- 192.168.1.255\n           /32 link BROADCAST\n\
        \x20          |-- 10.0.0.7\n              /32 host LOCAL\n\
        Local:\n           |-- 192.168.1.23\n              /32 host LOCAL\n";

    #[test]
    fn interface_addresses() {
        assert_eq!(
            parse_fib_trie(FIB),
            [Ipv4Addr::new(192, 168, 1, 23), Ipv4Addr::new(10, 0, 0, 7)]
        );
        assert!(parse_fib_trie("").is_empty());
        assert!(parse_fib_trie("|-- nonsense\n/32 host LOCAL\n").is_empty());
        let inet6 = "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n\
                     00000000000000000000000000000001 01 80 10 80       lo\n\
                     fd000000000000000000000000000002 04 40 00 82     eth0\n\
                     short 01 80 00 80 x\n";
        assert_eq!(
            parse_if_inet6(inet6),
            ["fd00::2".parse::<Ipv6Addr>().unwrap()]
        );
    }

    #[test]
    fn a_bound_address_is_its_own_url() {
        let bound: SocketAddr = "192.168.1.23:8000".parse().unwrap();
        assert_eq!(urls(bound, "http"), ["http://192.168.1.23:8000/"]);
        let bound: SocketAddr = "[::1]:8443".parse().unwrap();
        assert_eq!(urls(bound, "https"), ["https://[::1]:8443/"]);
        let any: SocketAddr = "0.0.0.0:8000".parse().unwrap();
        let all = urls(any, "http");
        assert_eq!(all[0], "http://127.0.0.1:8000/");
        assert!(
            all.iter().all(|u| !u.contains('[')),
            "no IPv6 when bound to 0.0.0.0"
        );
    }

    #[test]
    fn a_qr_code_in_half_blocks() {
        let text = qr_lines("http://192.168.1.23:8000/").unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Version 2 (25 modules) for this length, with a quiet zone of 4.
        let width = 25 + 2 * QUIET_ZONE as usize;
        assert_eq!(lines.len(), width.div_ceil(2));
        for line in &lines {
            let blocks = line
                .trim_start_matches("\x1b[30;47m")
                .trim_end_matches("\x1b[0m");
            assert_eq!(blocks.chars().count(), width, "{line:?}");
        }
        // The finder pattern's top edge: seven dark modules after the margin.
        let first_code_row: Vec<char> = lines[2].chars().skip(8).skip(4).take(7).collect();
        assert!(
            first_code_row
                .iter()
                .all(|&c| c == '█' || c == '▀' || c == '▄')
        );
    }
}
