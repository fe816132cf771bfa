/// Reads HTTP/1.1 requests (RFC 9112 sections 2-3) off one fake-upstream connection, keeping
/// bytes that arrive beyond one request for the next (pipelining, keep-alive).
struct FakeUpstreamRequestReader {
    /// What one read produced.
    enum Outcome {
        /// A complete request (head and any Content-Length body).
        case request(RecordedRequest)
        /// The peer closed, reset, or stayed idle past the timeout before a request began.
        case closed
        /// The request is unusable; answer `statusCode` and close.
        case refused(statusCode: Int)
    }

    /// The largest request head accepted (larger: 431).
    static let maximumHeadByteCount = 1 << 20

    private let socket: TestSocket
    private let connectionIndex: Int
    private var buffer: [UInt8] = []

    /// A reader for `socket`, whose requests are recorded with `connectionIndex`.
    init(socket: TestSocket, connectionIndex: Int) {
        self.socket = socket
        self.connectionIndex = connectionIndex
    }

    /// Reads the next request, waiting at most `idleTimeout` overall.
    mutating func next(idleTimeout: Duration) -> Outcome {
        let deadline = ContinuousClock.now + idleTimeout
        var headEnd = Self.endOfHead(in: buffer)
        while headEnd == nil {
            guard buffer.count <= Self.maximumHeadByteCount else { return .refused(statusCode: 431) }
            // The terminator may straddle old and new bytes: rescan only the last 3 old ones.
            let searchStart = max(0, buffer.count - 3)
            guard receiveMore(until: deadline) else { return .closed }
            headEnd = Self.endOfHead(in: buffer, searchingFrom: searchStart)
        }
        let headBytes = Array(buffer[0..<headEnd!])
        buffer.removeFirst(headEnd! + 4)
        guard var request = Self.parseHead(headBytes, connectionIndex: connectionIndex) else {
            return .refused(statusCode: 400)
        }
        if let encoding = request.header("Transfer-Encoding"), !encoding.isEmpty {
            return .refused(statusCode: 501)  // The fake serves pulls; it reads no chunked bodies.
        }
        if let lengthText = request.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { return .refused(statusCode: 400) }
            while buffer.count < length {
                guard receiveMore(until: deadline) else { return .closed }
            }
            buffer.removeFirst(length)
            request = RecordedRequest(
                method: request.method, target: request.target, version: request.version,
                headers: request.headers, bodyByteCount: length, connectionIndex: connectionIndex)
        }
        return .request(request)
    }

    private mutating func receiveMore(until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return false }
        switch socket.receive(maxByteCount: 65_536, timeout: remaining) {
        case .bytes(let bytes):
            buffer.append(contentsOf: bytes)
            return true
        case .endOfStream, .reset, .timedOut, .failed:
            return false
        }
    }

    /// The offset of the CR LF CR LF that ends the head, or nil.
    private static func endOfHead(in bytes: [UInt8], searchingFrom start: Int = 0) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Parses a request line and header fields; nil when malformed.
    private static func parseHead(_ head: [UInt8], connectionIndex: Int) -> RecordedRequest? {
        let text = String(decoding: head, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, requestLine[1].hasPrefix("/") || requestLine[1] == "*",
            requestLine[2].hasPrefix("HTTP/1.")
        else { return nil }
        var headers: [TestHeaderField] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            let trimmed = value.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            headers.append(TestHeaderField(name, String(trimmed)))
        }
        return RecordedRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), version: String(requestLine[2]),
            headers: headers, bodyByteCount: 0, connectionIndex: connectionIndex)
    }
}
