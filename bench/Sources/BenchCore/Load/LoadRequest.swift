/// One request the load generator sends: method, path, optional Range, and how the body is
/// checked. Rendered to bytes once, before the run.
public struct LoadRequest: Sendable, Equatable {
    /// The methods the harness drives.
    public enum Method: String, Sendable { case get = "GET", head = "HEAD" }

    /// GET or HEAD.
    public var method: Method
    /// Origin-form request target, e.g. `/v2/bench/r4096k/blobs/sha256:…`.
    public var path: String
    /// A Range field value (e.g. `bytes=-1048576`), if any.
    public var range: String?
    /// When set (`sha256:<hex>` or bare hex), the body's SHA-256 must match, else the
    /// request counts as a verification failure; when nil the body is discarded unread.
    public var expectedDigest: String?

    /// A request.
    public init(method: Method = .get, path: String, range: String? = nil, expectedDigest: String? = nil) {
        self.method = method
        self.path = path
        self.range = range
        self.expectedDigest = expectedDigest
    }

    /// The request head as sent (RFC 9112 section 3), with the Accept field registries
    /// need for manifests.
    public func headBytes(host: String, port: UInt16) -> [UInt8] {
        var text = "\(method.rawValue) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: cistern-bench\r\n"
        text += "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, */*\r\n"
        if let range { text += "Range: \(range)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The expected digest's hex part, if verifying.
    var expectedHex: String? {
        guard let expectedDigest else { return nil }
        return expectedDigest.hasPrefix("sha256:") ? String(expectedDigest.dropFirst(7)) : expectedDigest
    }
}
