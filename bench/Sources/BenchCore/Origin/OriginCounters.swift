/// What the origin has served, per digest: the numbers that show whether a mirror fetched
/// a blob once or once per client.
public struct OriginCounters: Sendable, Equatable {
    /// Counts for one digest (blob or manifest).
    public struct DigestCount: Sendable, Equatable {
        /// GET requests answered (any status).
        public var getCount = 0
        /// HEAD requests answered.
        public var headCount = 0
        /// GET requests that carried a Range field.
        public var rangeCount = 0
        /// Body bytes written to sockets.
        public var bodyByteCount: Int64 = 0

        /// Zero counts.
        public init() {}
    }

    /// All requests the origin answered, including `/v2/` and errors.
    public var requestCount = 0
    /// Per-digest counts, keyed `sha256:<hex>`.
    public var digests: [String: DigestCount] = [:]

    /// Nothing counted yet.
    public init() {}

    /// Counts for `digest` (zero when never requested).
    public subscript(digest: String) -> DigestCount {
        digests[digest] ?? DigestCount()
    }

    /// The counters as text: `requests <n>` then one `<digest> <get> <head> <range> <bytes>`
    /// line per digest, sorted by digest (the `/stats` body).
    public var text: String {
        var out = "requests \(requestCount)\n"
        for (digest, count) in digests.sorted(by: { $0.key < $1.key }) {
            out += "\(digest) \(count.getCount) \(count.headCount) \(count.rangeCount) \(count.bodyByteCount)\n"
        }
        return out
    }

    /// Parses `text` back (what a client of `/stats` does).
    /// - Returns: nil when a line is malformed.
    public static func parse(text: String) -> OriginCounters? {
        var counters = OriginCounters()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "requests", let n = Int(parts[1]) {
                counters.requestCount = n
            } else if parts.count == 5, let get = Int(parts[1]), let head = Int(parts[2]),
                      let range = Int(parts[3]), let bytes = Int64(parts[4]) {
                var count = DigestCount()
                count.getCount = get
                count.headCount = head
                count.rangeCount = range
                count.bodyByteCount = bytes
                counters.digests[String(parts[0])] = count
            } else {
                return nil
            }
        }
        return counters
    }
}
