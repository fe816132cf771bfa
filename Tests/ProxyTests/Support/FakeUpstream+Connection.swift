import Foundation

extension FakeUpstream {
    /// Serves one connection until the peer closes, a fault ends it, it idles past
    /// `idleTimeout`, or `stop()` shuts it down. Runs on the connection's own thread and
    /// closes the socket as its last act.
    func serveConnection(_ socket: TestSocket, index: Int) {
        // A client that stops reading must not pin this thread past stop() or forever.
        socket.setSendTimeout(.seconds(30))
        var reader = FakeUpstreamRequestReader(socket: socket, connectionIndex: index)
        var ending = DeliveryOutcome.close
        serving: while !isStopping {
            switch reader.next(idleTimeout: idleTimeout) {
            case .closed:
                break serving
            case .refused(let statusCode):
                let refusal = FakeUpstreamResponse(statusCode: statusCode)
                _ = deliver(refusal, plan: FakeUpstreamDeliveryPlan(), to: socket, isHead: false, keepAlive: false)
                break serving
            case .request(let request):
                let (response, plan) = respond(to: request)
                ending = deliver(
                    response, plan: plan, to: socket, isHead: request.method == "HEAD",
                    keepAlive: Self.wantsKeepAlive(request))
                if ending != .keepOpen { break serving }
            }
        }
        closeConnection(socket, index: index, reset: ending == .reset)
    }

    /// Records `request` and decides its response and delivery plan: authentication first
    /// (a refused request gets no behaviours), then the route's answer, then behaviours.
    func respond(to request: RecordedRequest) -> (FakeUpstreamResponse, FakeUpstreamDeliveryPlan) {
        let (response, plan, gzipWhenAccepted) = state.withLock { state in
            state.requests.append(request)
            var tokenPath = "/token"
            if case .token(let configuration) = state.authentication { tokenPath = configuration.path }
            let route = Route.resolve(path: request.path, tokenPath: tokenPath)
            if route != .token, let refusal = authorizationFailure(for: request, route: route, state: state) {
                return (refusal, FakeUpstreamDeliveryPlan(), false)
            }
            let behaviours = state.takeBehaviours(method: request.method, path: request.path, route: route)
            let normal =
                route == .token
                ? tokenResponse(for: request, state: &state)
                : Self.answer(
                    route: route, request: Self.applyingIgnoreRange(request, behaviours: behaviours), content: state.content,
                    wrongBytes: Self.wrongBytesSubstitution(in: behaviours))
            return Self.shape(normal, request: request, behaviours: behaviours, ownBaseURL: baseURL)
        }
        return (gzipWhenAccepted ? gzipIfAccepted(response, request: request) : response, plan)
    }

    /// `request` without its Range fields when an `ignoreRange` behaviour applies.
    static func applyingIgnoreRange(_ request: RecordedRequest, behaviours: [Behaviour]) -> RecordedRequest {
        guard behaviours.contains(where: { if case .ignoreRange = $0 { true } else { false } }) else { return request }
        return RecordedRequest(
            method: request.method, target: request.target, version: request.version,
            headers: request.headers.filter { $0.name.lowercased() != "range" }, bodyByteCount: request.bodyByteCount,
            connectionIndex: request.connectionIndex)
    }

    /// Persistent connections (RFC 9112 section 9.3): HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`.
    static func wantsKeepAlive(_ request: RecordedRequest) -> Bool {
        let options = request.headerValues("Connection")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if options.contains("close") { return false }
        return request.version == "HTTP/1.1" || options.contains("keep-alive")
    }
}
