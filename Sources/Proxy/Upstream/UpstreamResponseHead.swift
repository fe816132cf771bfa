/// A response head from the upstream: status and fields in order, names
/// lower-cased (RFC 9110 section 5.1: names are case-insensitive).
public struct UpstreamResponseHead: Sendable {
    public var status: Int
    public var fields: [(name: String, value: String)]
    /// `Content-Length`, or nil when the body is chunked or delimited by close.
    public var contentLength: Int64?

    /// The first value of the field `name` (lower-case), if present.
    public func field(_ name: String) -> String? {
        fields.first(where: { $0.name == name })?.value
    }

    /// Every value of the field `name` (lower-case).
    public func fieldValues(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }
}
