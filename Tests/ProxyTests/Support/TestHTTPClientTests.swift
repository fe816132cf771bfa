import Testing

/// `TestHTTPClient` framing against a scripted raw server, for the cases the fake upstream
/// never produces (close-delimited bodies, trailers, interim responses, pipelining).
@Suite("TestHTTPClient framing")
struct TestHTTPClientTests {
    /// Runs a one-connection server that reads one request head, writes `reply`, shuts
    /// down its sending side, and waits (at most 5 s) for the client to close; runs `body`
    /// with its port meanwhile.
    static func withScriptedServer(_ reply: String, _ body: (UInt16) throws -> Void) throws {
        let (listener, port) = try TestSocket.listenOnLoopback()
        let server = TestThread.start {
            guard let connection = try? listener.accept(timeout: .seconds(5)) else { return }
            defer { connection.close() }
            var received: [UInt8] = []
            for _ in 0..<100 where !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
                guard case .bytes(let bytes) = connection.receive(maxByteCount: 4096, timeout: .seconds(5)) else { return }
                received += bytes
            }
            try? connection.sendAll(Array(reply.utf8))
            connection.shutdownWrite()
            _ = connection.receive(maxByteCount: 1, timeout: .seconds(5))
        }
        defer {
            server.join()
            listener.close()
        }
        try body(port)
    }

    @Test("a body without Content-Length or chunking is read until close")
    func closeDelimitedBody() throws {
        try Self.withScriptedServer("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nhello, world") { port in
            let response = try TestHTTPClient.fetch(port: port, "/")
            #expect(response.framing == TestHTTPResponse.Framing.untilClose)
            #expect(response.bodyText == "hello, world" && response.ending == .complete)
        }
    }

    @Test("chunk extensions are skipped and trailers are collected")
    func chunkedWithTrailers() throws {
        let reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Checksum: abc\r\n\r\n"
        try Self.withScriptedServer(reply) { port in
            let response = try TestHTTPClient.fetch(port: port, "/")
            #expect(response.bodyText == "hello!" && response.isComplete)
            #expect(response.trailers == [TestHeaderField("X-Checksum", "abc")])
        }
    }

    @Test("interim 1xx responses are skipped")
    func interimResponsesSkipped() throws {
        try Self.withScriptedServer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok") { port in
            let response = try TestHTTPClient.fetch(port: port, "/")
            #expect(response.statusCode == 201 && response.reasonPhrase == "Created" && response.bodyText == "ok")
        }
    }

    @Test("pipelined responses are read one at a time from buffered bytes")
    func pipelinedResponses() throws {
        let reply = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 204 No Content\r\n\r\n"
        try Self.withScriptedServer(reply) { port in
            let client = try TestHTTPClient(port: port)
            defer { client.close() }
            let first = try client.request("GET", "/1")
            #expect(first.bodyText == "a")
            let second = client.readResponse()
            #expect(second.statusCode == 204 && second.framing == TestHTTPResponse.Framing.none && second.isComplete)
            #expect(second.timeToFirstByte == .zero, "its bytes were already buffered")
        }
    }

    @Test("a close before any byte is an early close with no status line")
    func closeBeforeAnyByte() throws {
        try Self.withScriptedServer("") { port in
            let response = try TestHTTPClient.fetch(port: port, "/")
            #expect(response.ending == .closedEarly)
            #expect(response.statusLine == nil && response.statusCode == nil && response.timeToFirstByte == nil)
        }
    }

    @Test("an unreadable Content-Length is malformed")
    func badContentLength() throws {
        try Self.withScriptedServer("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n") { port in
            let response = try TestHTTPClient.fetch(port: port, "/")
            #expect(response.ending == .malformed("content-length"))
        }
    }

    @Test("the request is written with Host added and headers in the given order")
    func requestBytes() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let client = try TestHTTPClient(port: upstream.port)
        defer { client.close() }
        _ = try client.request("POST", "/v2/", headers: [("B", "2"), ("a", "1")], body: Array("xyz".utf8))
        let recorded = try #require(upstream.requests.first)
        #expect(recorded.headers.map(\.description) == ["Host: 127.0.0.1:\(upstream.port)", "B: 2", "a: 1", "Content-Length: 3"])
        #expect(recorded.bodyByteCount == 3)
    }
}
