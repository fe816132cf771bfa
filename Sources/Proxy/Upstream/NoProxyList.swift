import ProxyConfig

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
        case address(AddressRange, port: UInt16?)
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
            if let range = try? AddressRange(parsing: entry, key: "NO_PROXY") {
                rules.append(.address(range, port: port))
            } else if AddressRange.looksLikeAddress(entry) {
                continue  // an address with a prefix that is not 0 to its bits names nothing
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
        for rule in rules {
            switch rule {
            case .everything:
                return true
            case .domain(let domain, let includesItself, let rulePort):
                guard rulePort == nil || rulePort == port else { continue }
                if name.hasSuffix("." + domain) || (includesItself && name == domain) { return true }
            case .address(let range, let rulePort):
                guard rulePort == nil || rulePort == port else { continue }
                if range.contains(name) { return true }
            }
        }
        return false
    }

    private static let loopback = [try! AddressRange(parsing: "127.0.0.0/8", key: "loopback"), try! AddressRange(parsing: "::1", key: "loopback")]

    /// `localhost` and loopback addresses.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name.hasSuffix(".localhost") || loopback.containsAddress(name)
    }
}
