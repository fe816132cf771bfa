import CEpoll
import Glibc

/// A blocking one-shot HTTP/1.1 GET with `Connection: close`, for control requests of the
/// suite and the tests (`/stats`, the manifest, warm-ups). Never used for measurements.
public enum BlockingHTTP {
    /// A response: status, head text and body bytes.
    public struct Response: Sendable {
        /// Status code (0 when the status line could not be read).
        public var status: Int
        /// The head, as text.
        public var head: String
        /// The body bytes (everything after the head up to the connection's close).
        public var body: [UInt8]
        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `method path` to `host:port` and reads until the server closes.
    /// - Throws: `BenchError.system` when the connection fails; `.invalid` when no head arrives
    ///   within `timeoutSeconds`.
    public static func request(host: String = "127.0.0.1", port: UInt16, path: String, method: String = "GET",
                               timeoutSeconds: Int = 30) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError.system("socket", errno) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw BenchError.system("connect to \(host):\(port)", errno) }
        let request = Array("\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: application/vnd.oci.image.manifest.v1+json, */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError.system("send", errno) }
            sent += n
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else {
            throw BenchError.invalid("no response head from \(host):\(port)\(path)")
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let statusField = head.split(separator: " ", maxSplits: 2).dropFirst().first
        return Response(status: statusField.flatMap { Int($0) } ?? 0, head: head, body: Array(bytes[(end + 4)...]))
    }
}
