import Glibc

/// `NO_PROXY`: the hosts reached directly although a proxy is set, with the rules Go's
/// `httpproxy` package applies (distribution and containerd use it):
/// - `*` alone matches every host;
/// - `example.com` matches it and every subdomain; `.example.com` only subdomains;
/// - an IP address matches itself; `10.0.0.0/8` (CIDR, IPv4 or IPv6) matches the addresses in it;
/// - any entry may end in `:port` to match that port only.
/// Names are compared case-insensitively; entries are separated by commas and spaces.
public struct NoProxyList: Sendable, Equatable {
    private enum Rule: Sendable, Equatable {
        case everything
        case domain(String, includesItself: Bool, port: UInt16?)
        case address([UInt8], prefixBits: Int, port: UInt16?)
    }

    private let rules: [Rule]

    public init(_ text: String) {
        var rules: [Rule] = []
        for raw in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            var entry = raw.lowercased()
            if entry == "*" {
                rules.append(.everything)
                continue
            }
            var port: UInt16?
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]"), entry.filter({ $0 == ":" }).count == 1 {
                port = UInt16(entry[entry.index(after: colon)...])
                entry = String(entry[..<colon])
            } else if entry.hasPrefix("["), let close = entry.lastIndex(of: "]") {
                port = UInt16(entry[entry.index(after: close)...].dropFirst())
                entry = String(entry[entry.index(after: entry.startIndex)..<close])
            }
            let parts = entry.split(separator: "/", maxSplits: 1)
            if let first = parts.first, let bytes = Self.addressBytes(String(first)) {
                let bits = parts.count > 1 ? Int(parts[1]) ?? -1 : bytes.count * 8
                // A prefix that is not a number from 0 to the address's bits names nothing.
                guard (0...bytes.count * 8).contains(bits) else { continue }
                rules.append(.address(bytes, prefixBits: bits, port: port))
            } else if entry.hasPrefix(".") {
                rules.append(.domain(String(entry.dropFirst()), includesItself: false, port: port))
            } else if !entry.isEmpty {
                rules.append(.domain(entry, includesItself: true, port: port))
            }
        }
        self.rules = rules
    }

    /// Whether `host` (a name or an IP literal) on `port` is reached directly.
    public func matches(host: String, port: UInt16) -> Bool {
        let name = host.lowercased()
        let address = Self.addressBytes(name)
        for rule in rules {
            switch rule {
            case .everything:
                return true
            case .domain(let domain, let includesItself, let rulePort):
                guard rulePort == nil || rulePort == port else { continue }
                if name.hasSuffix("." + domain) || (includesItself && name == domain) { return true }
            case .address(let network, let prefixBits, let rulePort):
                guard rulePort == nil || rulePort == port, let address, address.count == network.count else { continue }
                if Self.prefix(address, equals: network, bits: prefixBits) { return true }
            }
        }
        return false
    }

    /// `localhost` and loopback addresses.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        guard let bytes = addressBytes(name) else { return false }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    private static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    private static func prefix(_ a: [UInt8], equals b: [UInt8], bits: Int) -> Bool {
        var left = bits
        for index in a.indices where left > 0 {
            let take = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if a[index] & mask != b[index] & mask { return false }
            left -= take
        }
        return true
    }
}
