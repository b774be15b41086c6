//! Sets of ports as sorted, disjoint inclusive ranges, and the IP protocols the
//! reachability analysis tells apart. Security-group and NACL rules are ranges; the
//! analysis intersects and subtracts them, which a handful of ranges makes cheap.

use serde::Serialize;

/// The protocols whose reachability is worked out. TCP and UDP carry ports; ICMP is
/// reachable or not as a whole (an ICMP rule's type and code are not told apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }

    /// Does a rule's protocol (`-1`, a name, or an IANA number as the EC2 API writes
    /// it) cover this one? ICMP is 1 over IPv4 and 58 (`icmpv6`) over IPv6.
    pub fn covered_by(self, rule: &str, ipv6: bool) -> bool {
        let rule = rule.trim().to_ascii_lowercase();
        match rule.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => self == Protocol::Tcp,
            "udp" | "17" => self == Protocol::Udp,
            "icmp" | "1" => self == Protocol::Icmp && !ipv6,
            "icmpv6" | "58" => self == Protocol::Icmp && ipv6,
            _ => false,
        }
    }

    pub fn has_ports(self) -> bool {
        self != Protocol::Icmp
    }
}

/// A set of ports 0..=65535.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ports(Vec<(u16, u16)>);

impl Ports {
    pub fn none() -> Ports {
        Ports(Vec::new())
    }

    pub fn all() -> Ports {
        Ports(vec![(0, u16::MAX)])
    }

    pub fn range(from: u16, to: u16) -> Ports {
        if from <= to {
            Ports(vec![(from, to)])
        } else {
            Ports::none()
        }
    }

    /// The ports of a rule as the collectors record them: `null` (or `-1`) for every
    /// port, else `from_port..=to_port`. ICMP rules carry a type and code there, so
    /// for ICMP the rule covers the whole protocol.
    pub fn of_rule(protocol: Protocol, from: Option<i64>, to: Option<i64>) -> Ports {
        if !protocol.has_ports() {
            return Ports::all();
        }
        match (from, to) {
            (None, None) | (Some(-1), _) | (_, Some(-1)) => Ports::all(),
            (Some(f), Some(t)) => {
                let clamp = |p: i64| p.clamp(0, u16::MAX as i64) as u16;
                Ports::range(clamp(f), clamp(t))
            }
            (Some(p), None) | (None, Some(p)) => {
                let p = p.clamp(0, u16::MAX as i64) as u16;
                Ports::range(p, p)
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn first(&self) -> Option<u16> {
        self.0.first().map(|r| r.0)
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn union(&self, other: &Ports) -> Ports {
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if a as u32 <= last.1 as u32 + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        Ports(out)
    }

    pub fn intersect(&self, other: &Ports) -> Ports {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            for &(c, d) in &other.0 {
                let (lo, hi) = (a.max(c), b.min(d));
                if lo <= hi {
                    out.push((lo, hi));
                }
            }
        }
        Ports(out).union(&Ports::none())
    }

    pub fn minus(&self, other: &Ports) -> Ports {
        let mut out = self.0.clone();
        for &(c, d) in &other.0 {
            out = out
                .into_iter()
                .flat_map(|(a, b)| {
                    let mut parts = Vec::with_capacity(2);
                    if b < c || a > d {
                        parts.push((a, b));
                    } else {
                        if a < c {
                            parts.push((a, c - 1));
                        }
                        if b > d {
                            parts.push((d + 1, b));
                        }
                    }
                    parts
                })
                .collect();
        }
        Ports(out)
    }
}

impl std::fmt::Display for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|&(a, b)| {
                if (a, b) == (0, u16::MAX) {
                    "all".to_owned()
                } else if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let a = Ports::range(20, 30).union(&Ports::range(31, 40));
        assert_eq!(a.ranges(), &[(20, 40)]);
        assert_eq!(a.intersect(&Ports::range(35, 50)).ranges(), &[(35, 40)]);
        assert_eq!(
            Ports::all().minus(&Ports::range(22, 22)).ranges(),
            &[(0, 21), (23, u16::MAX)]
        );
        assert!(Ports::range(22, 22).minus(&Ports::all()).is_empty());
        assert_eq!(Ports::of_rule(Protocol::Tcp, None, None), Ports::all());
        assert_eq!(
            Ports::of_rule(Protocol::Icmp, Some(8), Some(0)),
            Ports::all()
        );
        assert_eq!(Ports::range(0, u16::MAX).to_string(), "all");
    }

    #[test]
    fn protocols_by_name_and_number() {
        assert!(Protocol::Tcp.covered_by("6", false));
        assert!(Protocol::Tcp.covered_by("-1", true));
        assert!(!Protocol::Udp.covered_by("tcp", false));
        assert!(Protocol::Icmp.covered_by("58", true));
        assert!(!Protocol::Icmp.covered_by("1", true));
    }
}
