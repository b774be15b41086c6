//! Network helpers: CIDR blocks and port ranges as collectors normalise them.

use std::net::IpAddr;

use ipnet::IpNet;

/// Parses `a.b.c.d/n`, an IPv6 prefix, or a bare address (a /32 or /128).
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    // The two blocks that are the whole internet are most of what security groups,
    // network ACLs and routes name: no parse for them.
    match text {
        "0.0.0.0/0" => return Ok(IpNet::V4(ipnet::Ipv4Net::default())),
        "::/0" => return Ok(IpNet::V6(ipnet::Ipv6Net::default())),
        _ => {}
    }
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    text.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{text}` is not a CIDR block or an IP address"))
}

/// Is this block the whole internet (`0.0.0.0/0` or `::/0`)?
pub fn is_internet(text: &str) -> Result<bool, String> {
    Ok(parse_cidr(text)?.prefix_len() == 0)
}

/// Does `outer` contain the address or block `inner`? Mixed families never contain.
pub fn contains(outer: &str, inner: &str) -> Result<bool, String> {
    let outer = parse_cidr(outer)?;
    let inner = parse_cidr(inner)?;
    Ok(outer.contains(&inner))
}

/// Does a security-group or NACL rule with this protocol and port range admit `port`?
///
/// Protocol `-1` (or `all`) admits every port; TCP (`6`/`tcp`) and UDP (`17`/`udp`)
/// admit the range; other protocols (ICMP) carry no ports. A missing range on
/// TCP/UDP means every port, as the EC2 API reports it.
pub fn opens_port(protocol: &str, from: Option<i64>, to: Option<i64>, port: i64) -> bool {
    Opens::of(protocol, from, to).admits(port)
}

/// The ports a security-group or NACL rule admits, read once from its protocol and
/// range ([`opens_port`] for each port asked): `opens_any_port` asks up to two dozen
/// ports of every ingress entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opens {
    Every,
    /// From and to, both included.
    Range(i64, i64),
    One(i64),
    Nothing,
}

impl Opens {
    pub fn of(protocol: &str, from: Option<i64>, to: Option<i64>) -> Opens {
        // Compared without case rather than lowercased into a new string.
        let is = |name: &str| protocol.eq_ignore_ascii_case(name);
        if is("-1") || is("all") {
            return Opens::Every;
        }
        if !(is("tcp") || is("6") || is("udp") || is("17")) {
            return Opens::Nothing;
        }
        match (from, to) {
            (Some(from), Some(to)) if from >= 0 && to >= 0 => Opens::Range(from, to),
            (Some(-1), _) | (_, Some(-1)) | (None, None) => Opens::Every,
            (Some(port), None) | (None, Some(port)) => Opens::One(port),
            _ => Opens::Nothing,
        }
    }

    #[inline]
    pub fn admits(self, port: i64) -> bool {
        match self {
            Opens::Every => true,
            Opens::Range(from, to) => from <= port && port <= to,
            Opens::One(only) => only == port,
            Opens::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_internet_parses_as_the_parser_reads_it() {
        for text in ["0.0.0.0/0", "::/0", " 0.0.0.0/0 "] {
            assert_eq!(
                parse_cidr(text),
                text.trim().parse::<IpNet>().map_err(|e| e.to_string())
            );
        }
    }

    #[test]
    fn internet_blocks() {
        assert!(is_internet("0.0.0.0/0").unwrap());
        assert!(is_internet("::/0").unwrap());
        assert!(!is_internet("10.0.0.0/8").unwrap());
        assert!(!is_internet("1.2.3.4").unwrap());
        assert!(is_internet("banana").is_err());
    }

    #[test]
    fn containment() {
        assert!(contains("10.0.0.0/8", "10.1.2.3").unwrap());
        assert!(contains("10.0.0.0/8", "10.1.0.0/16").unwrap());
        assert!(!contains("10.0.0.0/16", "10.0.0.0/8").unwrap());
        assert!(contains("::/0", "2001:db8::1").unwrap());
        assert!(!contains("0.0.0.0/0", "2001:db8::1").unwrap());
        assert!(contains("10.0.0.0/8", "nope").is_err());
    }

    #[test]
    fn ports() {
        assert!(opens_port("tcp", Some(22), Some(22), 22));
        assert!(opens_port("6", Some(0), Some(65535), 3389));
        assert!(!opens_port("tcp", Some(80), Some(443), 22));
        assert!(opens_port("-1", None, None, 22));
        assert!(opens_port("udp", Some(-1), Some(-1), 53));
        assert!(!opens_port("icmp", Some(-1), Some(-1), 22));
        assert!(opens_port("tcp", None, None, 22));
        // The protocol is compared without case, as the API may spell it either way.
        assert!(opens_port("TCP", Some(22), Some(22), 22));
        assert!(opens_port("All", None, None, 443));
        assert!(!opens_port("ICMP", None, None, 22));
        // Read once per rule: a one-sided range is that port alone, a negative bound
        // other than -1 admits nothing, ICMP's type and code are not ports.
        assert_eq!(Opens::of("6", Some(53), None), Opens::One(53));
        assert_eq!(Opens::of("17", None, Some(53)), Opens::One(53));
        assert_eq!(Opens::of("udp", Some(-1), None), Opens::Every);
        assert_eq!(Opens::of("tcp", Some(-5), Some(22)), Opens::Nothing);
        assert_eq!(Opens::of("icmp", Some(8), Some(0)), Opens::Nothing);
        let range = Opens::of("tcp", Some(20), Some(25));
        assert_eq!(
            [19, 20, 22, 25, 26].map(|p| range.admits(p)),
            [false, true, true, true, false]
        );
    }
}
