/// The `Via` header field (RFC 9110 section 7.6.3): `Via = #( received-protocol RWS
/// received-by [ RWS comment ] )`, one entry per proxy the message passed, oldest first.
///
/// Cistern appends `1.1 <node-id>` to every request it sends upstream and refuses a request
/// whose chain already names its own node id: such a request went round a loop of mirrors.
/// Pure functions over text; any thread.
public enum ViaField {
    /// Whether one entry of `value` (a joined field value) has `receivedBy` as its
    /// received-by part. Comparison is ASCII case-insensitive (a host name, RFC 3986 section
    /// 3.2.2); comments, a protocol name (`HTTP/1.1`) and empty list elements are allowed.
    public static func names(_ value: String, receivedBy: String) -> Bool {
        for entry in value.split(separator: ",") {
            // received-protocol, then received-by; a trailing comment is ignored.
            var parts = entry.split(whereSeparator: { $0 == " " || $0 == "\t" }).makeIterator()
            guard parts.next() != nil, let by = parts.next() else { continue }
            if by.count == receivedBy.count && by.lowercased() == receivedBy.lowercased() { return true }
        }
        return false
    }

    /// The comment that marks a Via entry as a Cistern node's: `1.1 <node-id> (cistern)`.
    public static let cisternComment = "(cistern)"

    /// The `Via` value Cistern puts on its responses (RFC 9110 section 7.6.3 asks proxies for
    /// one in both directions): `1.1 <nodeID> (cistern)`. A downstream mirror learns from it
    /// which node ids stand behind its upstream URL (``cisternNodes(in:)``).
    public static func responseValue(nodeID: String) -> String {
        "1.1 " + nodeID + " " + cisternComment
    }

    /// The received-by parts of the entries of `value` that carry the `(cistern)` comment,
    /// lower-cased. Entries of other proxies (a CDN's `1.1 varnish`) are left out: their names
    /// are not node ids, and a client's own proxy may well share them.
    public static func cisternNodes(in value: String) -> [String] {
        value.split(separator: ",").compactMap { entry in
            let parts = entry.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 3, parts[2] == cisternComment, isValidReceivedBy(String(parts[1])) else { return nil }
            return parts[1].lowercased()
        }
    }

    /// The value to send upstream: the incoming `chain` (nil or empty when the request came
    /// straight from a client) with `1.1 <receivedBy>` appended.
    public static func appending(_ chain: String?, receivedBy: String) -> String {
        guard let chain, !chain.isEmpty else { return "1.1 " + receivedBy }
        return chain + ", 1.1 " + receivedBy
    }

    /// Whether `nodeID` can stand as a Via received-by (a pseudonym is a token, RFC 9110
    /// section 5.6.2; `host:port` is allowed too): visible ASCII with no comma, space,
    /// parenthesis or quote, 1...255 bytes.
    public static func isValidReceivedBy(_ nodeID: String) -> Bool {
        let bytes = nodeID.utf8
        guard (1...255).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ",") && byte != UInt8(ascii: "(")
                && byte != UInt8(ascii: ")") && byte != UInt8(ascii: "\"")
        }
    }
}
