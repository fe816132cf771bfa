/// The local address the proxy accepts client connections on: an IP literal
/// or host name, and a TCP port (0 asks the kernel for an ephemeral port).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// IPv4 or IPv6 literal (without brackets) or a host name, e.g. `0.0.0.0`, `::1`.
    public var host: String
    /// TCP port, host byte order.
    public var port: UInt16

    /// Creates an address from its parts; no validation.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPV6]:PORT`, `:PORT` or a bare `PORT`; the last two
    /// listen on all IPv4 interfaces (`0.0.0.0`). Returns nil for anything else,
    /// including an unbracketed IPv6 literal (its colons are ambiguous).
    public init?(parsing text: String) {
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
            guard !hostText.isEmpty else { return nil }
        } else if let colon = text.lastIndex(of: ":") {
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !hostText.contains(":") else { return nil }
        } else {
            hostText = ""
            portText = text[...]
        }
        guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let port = UInt16(portText)
        else { return nil }
        guard !hostText.contains(where: { $0 == " " || $0 == "/" || $0 == "[" || $0 == "]" }) else { return nil }
        self.host = hostText.isEmpty ? "0.0.0.0" : String(hostText)
        self.port = port
    }

    /// `HOST:PORT`, with an IPv6 literal in brackets (`[::]:5000`).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
