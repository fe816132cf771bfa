import Foundation

extension TestHTTPClient {
    /// Reads one response to a request with `method` (HEAD responses have no body; RFC 9110
    /// section 9.3.2). Skips interim 1xx responses. Never throws: every way reading can end is
    /// reported in `TestHTTPResponse.ending`, and every wait is bounded by `options.timeout`.
    func readResponse(method: String = "GET", options: Options = Options()) -> TestHTTPResponse {
        var reader = TestHTTPResponseReader(client: self, options: options)
        let response = reader.read(isHeadRequest: method == "HEAD")
        let closes = response.headerValues("Connection").contains { $0.lowercased().contains("close") }
        if response.ending != .complete || closes || response.framing == .untilClose {
            markNotReusable()
        }
        return response
    }
}

/// One response being read by a `TestHTTPClient`: the head (RFC 9112 sections 4-5), then the
/// body by its framing (section 6.3): Content-Length, chunked (section 7.1), or until close.
struct TestHTTPResponseReader {
    private let client: TestHTTPClient
    private let options: TestHTTPClient.Options
    private let start = ContinuousClock.now
    private let deadline: ContinuousClock.Instant
    private var receivedByteCount = 0
    private var response = TestHTTPResponse()

    /// A reader of the next response on `client`'s connection.
    init(client: TestHTTPClient, options: TestHTTPClient.Options) {
        self.client = client
        self.options = options
        deadline = start + options.timeout
        if !client.pending.isEmpty { response.timeToFirstByte = .zero }
    }

    /// Reads the response; see `TestHTTPClient.readResponse`.
    mutating func read(isHeadRequest: Bool) -> TestHTTPResponse {
        let ending = readMessage(isHeadRequest: isHeadRequest)
        response.ending = ending
        response.elapsed = ContinuousClock.now - start
        return response
    }

    private mutating func readMessage(isHeadRequest: Bool) -> TestHTTPResponse.Ending {
        var statusCode = 100
        while (100..<200).contains(statusCode) && statusCode != 101 {
            if let ending = readHead() { return ending }
            statusCode = response.statusCode!
        }
        let framing: TestHTTPResponse.Framing
        if isHeadRequest || statusCode == 204 || statusCode == 304 {
            framing = .none
        } else if response.headerValues("Transfer-Encoding").contains(where: { $0.lowercased().contains("chunked") }) {
            framing = .chunked
        } else if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { return .malformed("content-length") }
            framing = .contentLength(length)
        } else {
            framing = .untilClose
        }
        response.framing = framing
        switch framing {
        case .none: return .complete
        case .contentLength(let length): return readBody(upTo: length)
        case .untilClose: return readBody(upTo: nil)
        case .chunked: return readChunkedBody()
        }
    }

    /// Reads and parses one head into `response`; returns an ending when it cannot.
    private mutating func readHead() -> TestHTTPResponse.Ending? {
        var searchStart = 0
        while true {
            if let end = Self.find([13, 10, 13, 10], in: client.pending, from: searchStart) {
                let head = String(decoding: client.pending[0..<end], as: UTF8.self)
                client.pending.removeFirst(end + 4)
                response.headByteCount = end + 4
                return parseHead(head)
            }
            guard client.pending.count <= options.maximumHeadByteCount else { return .malformed("head too large") }
            searchStart = max(0, client.pending.count - 3)
            if let ending = fill() { return ending }
        }
    }

    private mutating func parseHead(_ head: String) -> TestHTTPResponse.Ending? {
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = String(lines.removeFirst())
        response.statusLine = statusLine
        response.headers = []
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 section 4)
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let statusCode = Int(parts[1])
        else {
            response.statusCode = nil
            return .malformed("status line")
        }
        response.statusCode = statusCode
        response.reasonPhrase = parts.count == 3 ? String(parts[2]) : ""
        guard let headers = Self.parseFields(lines) else { return .malformed("header line") }
        response.headers = headers
        return nil
    }

    /// Reads body bytes until `length` (nil: until the server closes).
    private mutating func readBody(upTo length: Int?) -> TestHTTPResponse.Ending {
        while true {
            if let length, response.body.count >= length { return .complete }
            if takeBody(atMost: length.map { $0 - response.body.count } ?? .max) { return .stoppedByClient }
            if let length, response.body.count >= length { return .complete }
            if let ending = fill() {
                return length == nil && ending == .closedEarly ? .complete : ending
            }
        }
    }

    private mutating func readChunkedBody() -> TestHTTPResponse.Ending {
        while true {
            let sizeLine: String
            switch readLine() {
            case .line(let line): sizeLine = line
            case .ended(let ending): return ending
            }
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !sizeText.isEmpty, sizeText.allSatisfy(\.isHexDigit), let size = Int(sizeText, radix: 16) else {
                return .malformed("chunk size")
            }
            if size == 0 { return readTrailers() }
            let chunkEnd = response.body.count + size
            while response.body.count < chunkEnd {
                if takeBody(atMost: chunkEnd - response.body.count) { return .stoppedByClient }
                if response.body.count < chunkEnd, let ending = fill() { return ending }
            }
            switch readLine() {
            case .line(let line) where line.isEmpty: continue
            case .line: return .malformed("chunk data")
            case .ended(let ending): return ending
            }
        }
    }

    private mutating func readTrailers() -> TestHTTPResponse.Ending {
        var lines: [Substring] = []
        while true {
            switch readLine() {
            case .line(let line) where line.isEmpty:
                guard let trailers = Self.parseFields(lines) else { return .malformed("header line") }
                response.trailers = trailers
                return .complete
            case .line(let line): lines.append(Substring(line))
            case .ended(let ending): return ending
            }
        }
    }

    /// Moves up to `limit` buffered bytes into the body, never past `stopAfterBodyByteCount`.
    /// Returns true when the client's stop point is reached.
    private mutating func takeBody(atMost limit: Int) -> Bool {
        var count = min(limit, client.pending.count)
        if let stop = options.stopAfterBodyByteCount { count = min(count, max(0, stop - response.body.count)) }
        response.body += client.pending[0..<count]
        client.pending.removeFirst(count)
        if let stop = options.stopAfterBodyByteCount, response.body.count >= stop { return true }
        return false
    }

    private enum LineRead {
        case line(String)
        case ended(TestHTTPResponse.Ending)
    }

    /// One CR LF terminated line (without the CR LF); lines over 64 KiB are malformed.
    private mutating func readLine() -> LineRead {
        var searchStart = 0
        while true {
            if let end = Self.find([13, 10], in: client.pending, from: searchStart) {
                let line = String(decoding: client.pending[0..<end], as: UTF8.self)
                client.pending.removeFirst(end + 2)
                return .line(line)
            }
            guard client.pending.count <= 65_536 else { return .ended(.malformed("chunk size")) }
            searchStart = max(0, client.pending.count - 1)
            if let ending = fill() { return .ended(ending) }
        }
    }

    /// Receives more bytes into `client.pending`, pacing when `readBytesPerSecond` is set.
    /// Returns nil on progress, else how the connection ended.
    private mutating func fill() -> TestHTTPResponse.Ending? {
        var sliceLimit = 65_536
        if let rate = options.readBytesPerSecond, rate > 0 {
            sliceLimit = max(1, rate / 20)
            let due = start + .seconds(Double(receivedByteCount) / Double(rate))
            TestTime.sleep(min(due, deadline) - ContinuousClock.now)
        }
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return .timedOut }
        switch client.socket.receive(maxByteCount: sliceLimit, timeout: remaining) {
        case .bytes(let bytes):
            if response.timeToFirstByte == nil { response.timeToFirstByte = ContinuousClock.now - start }
            receivedByteCount += bytes.count
            client.pending += bytes
            return nil
        case .endOfStream: return .closedEarly
        case .reset: return .reset
        case .timedOut: return .timedOut
        case .failed(let code): return .failed(code)
        }
    }

    /// Header or trailer field lines (RFC 9112 section 5); nil when one has no colon.
    private static func parseFields(_ lines: [Substring]) -> [TestHeaderField]? {
        var fields: [TestHeaderField] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields.append(TestHeaderField(String(line[..<colon]), value))
        }
        return fields
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
