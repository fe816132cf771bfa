import CEpoll
import Glibc

/// One server thread: accepts on its listener, reads request heads, and pumps responses,
/// throttling bodies that carry a rate with a per-connection token bucket refilled every
/// 2 ms.
///
/// Confinement: everything here belongs to the worker's thread.
final class ServerWorker {
    private static let listenerToken = UInt64.max - 1
    private static let tickNs: Int64 = 2_000_000

    private let listenFD: Int32
    private let responder: BenchResponder
    private let shouldStop: () -> Bool
    private let poller = Poller()
    private var connections: [ServerConnection?] = []
    private var generations: [UInt64] = []
    private var freeSlots: [Int] = []
    private var throttled: [ServerConnection] = []
    private var ready: [ServerConnection] = []
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(listenFD: Int32, responder: BenchResponder, shouldStop: @escaping () -> Bool) {
        self.listenFD = listenFD
        self.responder = responder
        self.shouldStop = shouldStop
    }

    func run() {
        poller.add(fd: listenFD, events: CEP_EPOLLIN, token: ServerWorker.listenerToken)
        var nextTickNs = Int64.max
        while !shouldStop() {
            let count = poller.wait(untilNs: !ready.isEmpty ? Poller.immediately : (throttled.isEmpty ? .max : nextTickNs))
            for i in 0..<count {
                let token = poller.readyTokens[i]
                if token == Poller.timerToken { continue }
                if token == ServerWorker.listenerToken { acceptAll(); continue }
                let slot = Int(truncatingIfNeeded: token & 0xffff_ffff)
                guard slot < connections.count, let connection = connections[slot],
                      connection.token == token else { continue }
                handle(connection, events: poller.readyBits[i])
            }
            if !ready.isEmpty {
                let batch = ready
                ready.removeAll(keepingCapacity: true)
                for connection in batch {
                    connection.isReadyListed = false
                    if !connection.isClosed, connection.isResponding { pump(connection) }
                }
            }
            if !throttled.isEmpty {
                let now = BenchClock.nowNs()
                if nextTickNs == .max || now >= nextTickNs {
                    tick(now: now)
                    nextTickNs = now + ServerWorker.tickNs
                }
            } else {
                nextTickNs = .max
            }
        }
        for case let connection? in connections { close(connection) }
        poller.remove(fd: listenFD)
    }

    private func acceptAll() {
        var peer = [CChar](repeating: 0, count: 64)
        while true {
            let fd = cep_tcp_accept(listenFD, &peer, peer.count)
            guard fd >= 0 else { return }
            _ = cep_tcp_nodelay(fd)
            let slot: Int
            if let free = freeSlots.popLast() {
                slot = free
            } else {
                connections.append(nil)
                generations.append(0)
                slot = connections.count - 1
            }
            // The generation in the token's high half rejects events for an earlier occupant.
            generations[slot] &+= 1
            let connection = ServerConnection(fd: fd, slot: slot, token: UInt64(slot) | (generations[slot] & 0x7fff_ffff) << 32)
            connections[slot] = connection
            poller.add(fd: fd, events: CEP_EPOLLIN | CEP_EPOLLRDHUP, token: connection.token)
        }
    }

    private func handle(_ connection: ServerConnection, events: UInt32) {
        if events & (CEP_EPOLLERR | CEP_EPOLLHUP) != 0 { close(connection); return }
        if events & CEP_EPOLLOUT != 0, connection.isResponding { pump(connection) }
        if events & (CEP_EPOLLIN | CEP_EPOLLRDHUP) != 0 { readAvailable(connection) }
    }

    private func readAvailable(_ connection: ServerConnection) {
        while !connection.isClosed {
            let n = readBuffer.withUnsafeMutableBytes { cep_read(connection.fd, $0.baseAddress, $0.count) }
            if n == -Int(EAGAIN) { break }
            if n <= 0 { close(connection); return }
            readBuffer.withUnsafeBytes { connection.inbound.append(contentsOf: $0[0..<n]) }
            if connection.inbound.count > 256 * 1024 { close(connection); return }
        }
        serveNextRequest(connection)
    }

    private func serveNextRequest(_ connection: ServerConnection) {
        guard !connection.isClosed, !connection.isResponding else { return }
        switch connection.parseRequest() {
        case .partial: return
        case .invalid: close(connection)
        case .request(let request):
            let response = request.method == "GET" || request.method == "HEAD"
                ? responder.respond(to: request)
                : BenchResponse.error(status: 405, code: "UNSUPPORTED", message: "method not allowed")
            connection.begin(response, isHead: request.method == "HEAD", keepAlive: !request.closeRequested)
            pump(connection)
        }
    }

    private func pump(_ connection: ServerConnection) {
        switch connection.pump(now: BenchClock.nowNs(), responder: responder) {
        case .finished:
            if !connection.keepAlive { close(connection); return }
            setWritableInterest(connection, false)
            serveNextRequest(connection)
        case .wouldBlock:
            setWritableInterest(connection, true)
        case .throttled:
            setWritableInterest(connection, false)
            if !connection.isThrottledListed {
                connection.isThrottledListed = true
                throttled.append(connection)
            }
        case .yielded:
            setWritableInterest(connection, false)
            if !connection.isReadyListed {
                connection.isReadyListed = true
                ready.append(connection)
            }
        case .failed:
            close(connection)
        }
    }

    private func tick(now: Int64) {
        let due = throttled
        throttled.removeAll(keepingCapacity: true)
        for connection in due {
            connection.isThrottledListed = false
            if !connection.isClosed, connection.isResponding { pump(connection) }
        }
    }

    private func setWritableInterest(_ connection: ServerConnection, _ writable: Bool) {
        guard connection.wantsWritable != writable, !connection.isClosed else { return }
        connection.wantsWritable = writable
        let events = CEP_EPOLLIN | CEP_EPOLLRDHUP | (writable ? CEP_EPOLLOUT : 0)
        poller.modify(fd: connection.fd, events: events, token: connection.token)
    }

    private func close(_ connection: ServerConnection) {
        guard !connection.isClosed else { return }
        poller.remove(fd: connection.fd)
        _ = cep_close(connection.fd)
        connection.isClosed = true
        connections[connection.slot] = nil
        freeSlots.append(connection.slot)
    }
}
