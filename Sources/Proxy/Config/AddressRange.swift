import Glibc

/// An IP address or a CIDR block (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`, `::1`): one entry of
/// `trusted_proxies`, the peers whose `X-Forwarded-For` is believed.
///
/// Stored as 16 bytes (an IPv4 address as its IPv4-mapped IPv6 form, RFC 4291 section 2.5.5.2)
/// and a prefix length over them, so one comparison serves both families. Pure value.
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    /// The network address, IPv4 mapped into IPv6 (`::ffff:a.b.c.d`).
    private let bytes: [UInt8]
    /// Leading bits of ``bytes`` that must match (0...128; an IPv4 /n is 96 + n).
    private let prefixLength: Int
    /// The text it was parsed from.
    public let description: String

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    /// - Throws: ``ConfigurationError/invalidValue(key:value:reason:)`` under `key` when the
    ///   address is not an IPv4 or IPv6 literal or the prefix is out of range (0...32, 0...128).
    public init(parsing text: String, key: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let invalid = ConfigurationError.invalidValue(
            key: key, value: text, reason: "expected an IP address or CIDR block, e.g. 10.0.0.0/8, 127.0.0.1 or fd00::/8")
        guard let parsed = Self.addressBytes(String(parts[0])) else { throw invalid }
        let maximum = parsed.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { throw invalid }
            length = value
        }
        bytes = parsed.bytes
        prefixLength = parsed.isIPv4 ? 96 + length : length
        description = text
    }

    /// Whether the address `text` (as a peer is written, without port or brackets) lies in
    /// this range; false for text that is no address.
    public func contains(_ text: String) -> Bool {
        guard let address = Self.addressBytes(text)?.bytes else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= 8
            index += 1
        }
        return true
    }

    /// Whether `text`'s part before any `/` is an IP literal (so `text` is meant as a range).
    public static func looksLikeAddress(_ text: String) -> Bool {
        addressBytes(String(text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])) != nil
    }

    /// The 16 bytes of an IPv4 (mapped) or IPv6 literal.
    private static func addressBytes(_ text: String) -> (bytes: [UInt8], isIPv4: Bool)? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            let octets = withUnsafeBytes(of: &v4) { Array($0) }
            return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + octets, true)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return (withUnsafeBytes(of: &v6) { Array($0) }, false)
        }
        return nil
    }
}

extension [AddressRange] {
    /// Whether any range contains the address `text`.
    public func containsAddress(_ text: String) -> Bool {
        contains { $0.contains(text) }
    }
}
