import Glibc

extension Configuration {
    /// The node id this process uses in `Via` (RFC 9110 section 7.6.3): ``nodeID`` when set,
    /// else `<host name>:<boundPort>` (the port actually bound, which `listen: :0` only
    /// learns once the socket is open).
    public func resolvedNodeID(boundPort: UInt16) -> String {
        if let nodeID { return nodeID }
        return "\(Self.hostName()):\(boundPort)"
    }

    /// `gethostname(2)`, or `localhost` when it fails.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        return name.isEmpty ? "localhost" : name
    }
}
