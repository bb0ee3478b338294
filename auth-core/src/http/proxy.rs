//! The client address a request counts against in per-address throttling:
//! [`ProxyPolicy`], re-exported by [`auth_core::http`](crate::http).

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use http::{HeaderMap, HeaderName, header};
use ipnet::IpNet;

/// The client address a request counts against in per-address throttling:
/// the connection's peer, or, only when the peer is a trusted proxy, the
/// address that proxy reports in `Forwarded` (RFC 7239) or `X-Forwarded-For`.
///
/// A client can put anything in those headers, so they are read only from a
/// peer in the configured CIDRs, and walked from the right: each trusted hop
/// is skipped, and the first untrusted address is the client. Entries left of
/// it were written by the client (or by hops nobody vouches for) and are
/// never read. When every hop is trusted, the leftmost one is the client.
///
/// Forwarding headers from a trusted proxy that cannot be read (an entry that
/// is not an address, `for=unknown`, an obfuscated node, an unbalanced quote)
/// fall back to the peer, and so do a `Forwarded` and an `X-Forwarded-For`
/// that name different clients: the request is then counted against the
/// proxy's own address, never against an address the client chose. Nothing
/// here panics on input.
///
/// ```
/// use auth_core::http::ProxyPolicy;
/// use http::HeaderMap;
///
/// let policy: ProxyPolicy = "127.0.0.1/32, 10.0.0.0/8".parse().unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.1.2.3".parse().unwrap());
///
/// // From the trusted proxy: 10.1.2.3 is a trusted hop, 203.0.113.9 the client.
/// let proxy = Some("127.0.0.1:40000".parse().unwrap());
/// assert_eq!(policy.client_addr(proxy, &headers), Some("203.0.113.9".parse().unwrap()));
///
/// // From anyone else the header is ignored: the peer is the client.
/// let direct = Some("192.0.2.7:50000".parse().unwrap());
/// assert_eq!(policy.client_addr(direct, &headers), Some("192.0.2.7".parse().unwrap()));
/// ```
///
/// The default trusts no proxy: the TCP peer is the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyPolicy {
    trusted: Vec<IpNet>,
}

/// An entry of a trusted-proxy list that is not a CIDR or an address.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a CIDR like 10.0.0.0/8 or ::1/128: {entry:?}")]
pub struct InvalidProxy {
    entry: String,
}

impl InvalidProxy {
    /// The entry as configured (cut to 64 characters).
    pub fn entry(&self) -> &str {
        &self.entry
    }
}

impl ProxyPolicy {
    /// Trusts no proxy: the peer is the client (the default).
    pub fn peer_is_client() -> Self {
        Self::default()
    }

    /// Trusts peers in these networks to report the client address:
    /// CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses (`127.0.0.1`).
    /// Host bits of a CIDR are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    ///
    /// ```
    /// use auth_core::http::ProxyPolicy;
    ///
    /// let policy = ProxyPolicy::trusting(["10.0.0.0/8", "::1"]).unwrap();
    /// assert!(policy.trusts("10.200.0.1".parse().unwrap()));
    /// assert!(policy.trusts("::ffff:10.0.0.1".parse().unwrap())); // IPv4-mapped
    /// assert!(!policy.trusts("192.0.2.1".parse().unwrap()));
    /// assert!(ProxyPolicy::trusting(["10.0.0.0/33"]).is_err());
    /// ```
    pub fn trusting<I, S>(proxies: I) -> Result<Self, InvalidProxy>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let trusted = proxies
            .into_iter()
            .map(|entry| parse_network(entry.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { trusted })
    }

    /// Whether any proxy is trusted.
    pub fn trusts_any(&self) -> bool {
        !self.trusted.is_empty()
    }

    /// Whether `addr` is a trusted proxy (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address).
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.trusted.iter().any(|network| network.contains(&addr))
    }

    /// The client address of a request from `peer` with `headers`; `None`
    /// when the peer is unknown. IPv4-mapped IPv6 addresses come back as
    /// IPv4 addresses.
    pub fn client_addr(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let forwarded = self.walk(forwarded_hops(headers));
        let forwarded_for = self.walk(forwarded_for_hops(headers));
        match (forwarded, forwarded_for) {
            (Walk::Absent, Walk::Absent) => Some(peer),
            (Walk::Client(client), Walk::Absent) | (Walk::Absent, Walk::Client(client)) => {
                Some(client)
            }
            (Walk::Client(one), Walk::Client(other)) if one == other => Some(one),
            _ => {
                tracing::debug!(
                    %peer,
                    "unreadable or conflicting forwarding headers from a trusted proxy: counting the proxy"
                );
                Some(peer)
            }
        }
    }

    /// The client a header's hops name: the first untrusted one from the
    /// right, or the leftmost when all are trusted.
    fn walk(&self, hops: Option<Vec<Option<IpAddr>>>) -> Walk {
        let Some(hops) = hops else {
            return Walk::Absent;
        };
        let mut leftmost = None;
        for hop in hops.into_iter().rev() {
            let Some(addr) = hop else {
                return Walk::Unreadable;
            };
            let addr = addr.to_canonical();
            if !self.trusts(addr) {
                return Walk::Client(addr);
            }
            leftmost = Some(addr);
        }
        leftmost.map_or(Walk::Unreadable, Walk::Client)
    }
}

/// Parses a comma-separated list of CIDRs or addresses, as
/// `AUTH_TRUSTED_PROXIES` holds it; see [`ProxyPolicy::trusting`].
///
/// ```
/// use auth_core::http::ProxyPolicy;
///
/// let policy: ProxyPolicy = "127.0.0.1/32, fd00::/8".parse().unwrap();
/// assert!(policy.trusts("fd12::1".parse().unwrap()));
/// let error = "127.0.0.1/32, proxy.internal".parse::<ProxyPolicy>().unwrap_err();
/// assert_eq!(error.entry(), "proxy.internal");
/// ```
impl FromStr for ProxyPolicy {
    type Err = InvalidProxy;

    fn from_str(list: &str) -> Result<Self, InvalidProxy> {
        Self::trusting(list.split(','))
    }
}

/// What one forwarding header says about the client.
#[derive(Debug, PartialEq, Eq)]
enum Walk {
    /// The header is not there.
    Absent,
    /// The client address it names.
    Client(IpAddr),
    /// It is there but cannot be read.
    Unreadable,
}

fn parse_network(entry: &str) -> Result<IpNet, InvalidProxy> {
    let entry = entry.trim();
    let network = match entry.parse::<IpNet>() {
        Ok(network) => Ok(network.trunc()),
        Err(_) => entry.parse::<IpAddr>().map(IpNet::from),
    };
    let network = network.map_err(|_| InvalidProxy {
        entry: entry.chars().take(64).collect(),
    })?;
    // An IPv4-mapped network matches the IPv4 addresses it maps.
    Ok(match network {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(network),
            None => network,
        },
        other => other,
    })
}

/// The values of every `name` header, in order; `None` when there is none,
/// a list with an unreadable entry when a value is not text.
fn header_values<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<Vec<Option<&'a str>>> {
    let values: Vec<_> = headers
        .get_all(name)
        .iter()
        .map(|value| value.to_str().ok())
        .collect();
    (!values.is_empty()).then_some(values)
}

/// The hops of `X-Forwarded-For: client, proxy1, proxy2`, oldest first;
/// `None` for an entry that is not an address (a port is allowed).
fn forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let name = HeaderName::from_static("x-forwarded-for");
    let values = header_values(headers, &name)?;
    let mut hops = Vec::new();
    for value in values {
        match value {
            Some(value) => hops.extend(value.split(',').map(|entry| node_addr(entry.trim()))),
            None => hops.push(None),
        }
    }
    Some(hops)
}

/// The `for` of each element of `Forwarded: for=a;proto=https, for="[b]:80"`,
/// oldest first; `None` for an element without exactly one `for` that is an
/// address (`unknown` and obfuscated nodes are not).
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let values = header_values(headers, &header::FORWARDED)?;
    let mut hops = Vec::new();
    for value in values {
        let Some(elements) = value.and_then(|value| split_unquoted(value, ',')) else {
            hops.push(None);
            continue;
        };
        hops.extend(elements.into_iter().map(forwarded_for));
    }
    Some(hops)
}

/// The address in the one `for` parameter of a `Forwarded` element.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let mut found = None;
    for pair in split_unquoted(element, ';')? {
        let (name, value) = pair.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("for") {
            if found.is_some() {
                return None;
            }
            found = Some(unquote(value.trim())?);
        }
    }
    node_addr(found?)
}

/// `"text"` without its quotes (and backslash escapes), or a token as is.
fn unquote(value: &str) -> Option<&str> {
    match value.strip_prefix('"') {
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            // An address never needs an escape; anything escaped is not one.
            (!inner.contains('\\')).then_some(inner)
        }
        None => Some(value),
    }
}

/// An address as a forwarding header writes a node: `192.0.2.1`,
/// `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:8080`.
fn node_addr(node: &str) -> Option<IpAddr> {
    if let Ok(addr) = node.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')?
        .strip_suffix(']')?
        .parse::<std::net::Ipv6Addr>()
        .ok()
        .map(IpAddr::V6)
}

/// Splits `text` at `separator` outside double-quoted strings; `None` when a
/// quote is left open.
fn split_unquoted(text: &str, separator: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(&text[start..]);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ProxyPolicy {
        "127.0.0.1/32, 10.0.0.0/8, fd00::/8".parse().unwrap()
    }

    fn client(policy: &ProxyPolicy, peer: &str, headers: &[(&str, &str)]) -> Option<IpAddr> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        policy.client_addr(Some(peer.parse().unwrap()), &map)
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    const PROXY: &str = "127.0.0.1:40000";

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_send() {
        for headers in [
            &[("x-forwarded-for", "203.0.113.9")][..],
            &[("forwarded", "for=203.0.113.9")],
        ] {
            assert_eq!(client(&policy(), "192.0.2.7:1", headers), ip("192.0.2.7"));
            assert_eq!(
                client(&ProxyPolicy::default(), PROXY, headers),
                ip("127.0.0.1")
            );
        }
    }

    #[test]
    fn forwarded_for_is_walked_from_the_right_skipping_trusted_hops() {
        let headers = [("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2")];
        assert_eq!(client(&policy(), PROXY, &headers), ip("203.0.113.9"));
        // Repeated headers are one list, in order.
        let split = [
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9, 10.0.0.2"),
        ];
        assert_eq!(client(&policy(), PROXY, &split), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_elements_are_read_with_quotes_ports_and_other_parameters() {
        let headers = [(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8::17]:4711";proto=https, For=10.0.0.2;by=10.0.0.1"#,
        )];
        assert_eq!(client(&policy(), PROXY, &headers), ip("2001:db8::17"));
        let quoted_comma = [("forwarded", r#"for=198.51.100.3;host="a,b""#)];
        assert_eq!(client(&policy(), PROXY, &quoted_comma), ip("198.51.100.3"));
    }

    #[test]
    fn all_trusted_hops_give_the_leftmost() {
        let headers = [("x-forwarded-for", "10.9.9.9, 10.0.0.2")];
        assert_eq!(client(&policy(), PROXY, &headers), ip("10.9.9.9"));
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let headers = [("x-forwarded-for", "::ffff:203.0.113.9")];
        assert_eq!(client(&policy(), PROXY, &headers), ip("203.0.113.9"));
        assert_eq!(
            client(&policy(), "[::ffff:127.0.0.1]:1", &headers),
            ip("203.0.113.9")
        );
        assert_eq!(
            client(&policy(), "[::ffff:192.0.2.7]:1", &headers),
            ip("192.0.2.7")
        );
        let mapped: ProxyPolicy = "::ffff:127.0.0.0/104".parse().unwrap();
        assert!(mapped.trusts("127.0.0.9".parse().unwrap()));
    }

    #[test]
    fn unreadable_forwarding_headers_fall_back_to_the_peer() {
        for headers in [
            &[("x-forwarded-for", "203.0.113.9, , 10.0.0.2")][..],
            &[("x-forwarded-for", "not-an-address")],
            &[("x-forwarded-for", "")],
            &[("forwarded", "for=unknown")],
            &[("forwarded", "for=_hidden")],
            &[("forwarded", "proto=https")],
            &[("forwarded", "for=203.0.113.9;for=198.51.100.1")],
            &[("forwarded", r#"for="203.0.113.9"#)],
            &[("forwarded", "for")],
            &[("forwarded", r#"for="[2001:db8::1]\"""#)],
        ] {
            assert_eq!(
                client(&policy(), PROXY, headers),
                ip("127.0.0.1"),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn unreadable_entries_left_of_the_client_are_never_read() {
        let headers = [("x-forwarded-for", "garbage, 203.0.113.9")];
        assert_eq!(client(&policy(), PROXY, &headers), ip("203.0.113.9"));
    }

    #[test]
    fn the_two_headers_must_agree() {
        let agree = [
            ("forwarded", "for=203.0.113.9"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(client(&policy(), PROXY, &agree), ip("203.0.113.9"));
        let disagree = [
            ("forwarded", "for=198.51.100.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ];
        assert_eq!(client(&policy(), PROXY, &disagree), ip("127.0.0.1"));
    }

    #[test]
    fn a_missing_peer_has_no_client_address() {
        assert_eq!(policy().client_addr(None, &HeaderMap::new()), None);
    }

    #[test]
    fn proxy_lists_accept_cidrs_and_addresses_and_name_a_bad_entry() {
        let policy: ProxyPolicy = " 10.1.2.3/8 ,::1".parse().unwrap();
        assert!(policy.trusts("10.200.0.1".parse().unwrap()));
        assert!(policy.trusts("::1".parse().unwrap()));
        for (list, bad) in [
            ("10.0.0.0/8,", ""),
            ("10.0.0.0/33", "10.0.0.0/33"),
            ("localhost", "localhost"),
            ("10.0.0.0/8, *", "*"),
        ] {
            let error = list.parse::<ProxyPolicy>().unwrap_err();
            assert_eq!(error.entry(), bad, "{list}");
        }
        assert!(!ProxyPolicy::default().trusts_any());
    }
}
