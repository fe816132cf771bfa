extension FakeUpstream {
    /// Every request received so far, in arrival order, exactly as sent.
    var requests: [RecordedRequest] {
        state.withLock { $0.requests }
    }

    /// How many requests had path `path` (query excluded; exact match) and, when given,
    /// method `method`.
    func requestCount(method: String? = nil, path: String) -> Int {
        state.withLock { state in
            state.requests.count { request in
                request.path == path && (method == nil || request.method == method)
            }
        }
    }

    /// Forgets the requests recorded so far (counts restart at 0; the token request count too).
    func clearRecordedRequests() {
        state.withLock { state in
            state.requests.removeAll()
            state.tokenRequestCount = 0
        }
    }
}
