import Foundation
import Glibc
import Logging
import Testing
@testable import Proxy
@testable import ProxyConfig
@testable import ProxyHTTP
@testable import ProxyLoop
@testable import ProxyMetrics
@testable import ProxySystem
@testable import ProxyTransport

/// Issue 19, S4: a keep-alive connection idle between requests holds no read buffer and no
/// request-head parser; both went back to its loop's pools, and the next request borrows
/// them again. Over a socketpair, with a handler that answers every request with "ok".
@Suite struct ClientConnectionIdleMemoryTests {
    private struct OKHandler: RequestHandler {
        func handle(_ head: RequestHead, responder: ClientResponder) {
            responder.respond(responder.requestID, head: ResponseHead(status: 200), body: .bytes(Array("ok".utf8)),
                              headOnly: false, outcome: nil)
        }
    }

    /// What the connection holds, read on its loop.
    private struct Holdings: Equatable {
        var readBufferBytes: Int
        var holdsParser: Bool
        var freeReadBuffers: Int
        var freeParsers: Int
    }

    /// Sends one request on `fd` (blocking) and reads until the whole response arrived.
    private func exchange(_ fd: Int32) -> String {
        let request = Array("GET /v2/ HTTP/1.1\r\nHost: a\r\nAccept: application/json\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).hasSuffix("\r\n\r\nok") {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func anIdleKeepAliveConnectionHoldsNoReadBufferAndNoParser() throws {
        let running = try TestEventLoop()
        defer { running.stop() }
        let loop = running.loop
        let context = ConnectionContext(loop: loop, timeouts: Timeouts(), accessLog: false, metrics: Metrics(),
                                        logger: Logger(label: "test"), makeHandler: { OKHandler() })
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let (server, client) = (pair[0], pair[1])
        defer { close(client) }
        #expect(fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK) == 0)
        let started = onLoop(loop) { () -> Bool in
            let connection = ClientConnection(fd: server, peer: "127.0.0.1:1", context: context, handler: OKHandler())
            context.openConnections[ObjectIdentifier(connection)] = connection
            return (try? connection.start()) != nil
        }
        #expect(started == true)
        let holdings: @Sendable () -> Holdings? = {
            guard let connection = context.openConnections.values.first else { return nil }
            return Holdings(readBufferBytes: connection.buffer.capacity, holdsParser: connection.parser != nil,
                            freeReadBuffers: context.readBuffers.freeCount, freeParsers: context.headParsers.freeCount)
        }
        let idle = Holdings(readBufferBytes: 0, holdsParser: false, freeReadBuffers: 1, freeParsers: 1)
        for _ in 0..<3 {
            #expect(exchange(client).hasPrefix("HTTP/1.1 200 OK\r\n"))
            // The response is written from inside the loop turn that read the request, and
            // the buffer and parser go back before it: once the client has the whole answer,
            // the connection is idle.
            #expect(onLoop(loop, holdings) == idle)
        }
        _ = onLoop(loop) { context.closeAll() }
    }
}
