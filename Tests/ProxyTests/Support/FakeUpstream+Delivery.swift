extension FakeUpstream {
    /// What the connection does after a response.
    enum DeliveryOutcome: Equatable, Sendable {
        /// Read the next request.
        case keepOpen
        /// Close cleanly (FIN).
        case close
        /// Close with a TCP RST (SO_LINGER 0).
        case reset
    }

    /// Sends `response` following `plan`. Framing per RFC 9112 section 6: Content-Length, or
    /// `Transfer-Encoding: chunked` when the plan chunks; no body for HEAD (RFC 9110 section
    /// 9.3.2), 1xx, 204 and 304. Returns what the connection does next.
    func deliver(
        _ response: FakeUpstreamResponse, plan: FakeUpstreamDeliveryPlan, to socket: TestSocket, isHead: Bool,
        keepAlive: Bool
    ) -> DeliveryOutcome {
        if plan.delayBeforeHeaders > .zero, !pause(plan.delayBeforeHeaders) { return .close }
        if plan.closesBeforeAnswer { return .close }
        let closing = !keepAlive || plan.closesConnection
        let statusCode = response.statusCode
        let forbidsBody = (100..<200).contains(statusCode) || statusCode == 204 || statusCode == 304
        var head = plan.statusLineOverride ?? "HTTP/1.1 \(statusCode) \(FakeUpstreamResponse.reasonPhrase(for: statusCode))"
        head += "\r\n"
        for field in response.headers { head += "\(field.name): \(field.value)\r\n" }
        if plan.chunking != nil {
            head += "Transfer-Encoding: chunked\r\n"
        } else if !forbidsBody {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        if closing { head += "Connection: close\r\n" }
        head += "\r\n"
        do {
            try socket.sendAll(Array(head.utf8))
        } catch {
            return .close
        }
        guard !isHead, !forbidsBody else {
            if let stall = plan.stall, stall.afterBodyByteCount == 0, !pause(stall.duration) { return .close }
            return closing ? .close : .keepOpen
        }
        do {
            if let cutOutcome = try sendBody(response.body, plan: plan, to: socket) { return cutOutcome }
        } catch {
            return .close
        }
        return closing ? .close : .keepOpen
    }

    /// Sends the body in slices, applying throttle, stall, cut, chunking and extra bytes.
    /// Returns the outcome when the plan ends the connection early, nil when the body went
    /// out as planned. Throws when the peer is gone.
    private func sendBody(_ body: [UInt8], plan: FakeUpstreamDeliveryPlan, to socket: TestSocket) throws -> DeliveryOutcome? {
        // Slices of 1/20 s at the throttled rate keep the flow smooth but visible.
        let sliceLimit = min(plan.throttleBytesPerSecond.map { max(1, $0 / 20) } ?? 65_536, plan.chunking?.chunkByteCount ?? .max)
        var pendingStall = plan.stall
        var offset = 0
        var chunkCount = 0
        let start = ContinuousClock.now
        while true {
            if let stall = pendingStall, offset >= stall.afterBodyByteCount {
                pendingStall = nil
                guard pause(stall.duration) else { return .close }
            }
            if let cut = plan.cut, offset >= cut.afterBodyByteCount { return self.cut(cut, socket: socket) }
            if offset >= body.count { break }
            var end = min(body.count, offset + sliceLimit)
            if let stall = pendingStall { end = min(end, stall.afterBodyByteCount) }
            if let cut = plan.cut { end = min(end, cut.afterBodyByteCount) }
            let slice = body[offset..<end]
            if let chunking = plan.chunking {
                if chunking.malformedSize && chunkCount == 1 {
                    try socket.sendAll(Array("zz\r\n".utf8) + slice + Array("\r\n".utf8))
                    return .close
                }
                try socket.sendAll(Array((String(slice.count, radix: 16) + "\r\n").utf8) + slice + Array("\r\n".utf8))
                chunkCount += 1
            } else {
                try socket.sendAll(slice)
            }
            offset = end
            if let rate = plan.throttleBytesPerSecond {
                let due = start + .seconds(Double(offset) / Double(rate))
                guard pause(due - ContinuousClock.now) else { return .close }
            }
        }
        if let cut = plan.cut { return self.cut(cut, socket: socket) }
        if let chunking = plan.chunking {
            if chunking.malformedSize {
                try socket.sendAll(Array("zz\r\n".utf8))
                return .close
            }
            try socket.sendAll(Array("0\r\n\r\n".utf8))
        }
        if plan.extraBodyByteCount > 0 {
            try socket.sendAll([UInt8](repeating: UInt8(ascii: "X"), count: plan.extraBodyByteCount))
        }
        return nil
    }

    private func cut(_ cut: FakeUpstreamDeliveryPlan.Cut, socket: TestSocket) -> DeliveryOutcome {
        switch cut {
        case .reset:
            return .reset  // The connection's thread sets SO_LINGER 0 as it closes.
        case .close:
            socket.shutdownWrite()
            return .close
        }
    }
}
