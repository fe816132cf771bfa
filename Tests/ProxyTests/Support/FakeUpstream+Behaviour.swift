extension FakeUpstream {
    /// One fault or deviation the fake applies to the requests a rule matches.
    ///
    /// Several rules may match one request; they combine: the first response-replacing
    /// behaviour (`status`, `htmlErrorPage`, `redirect`, `redirectLoop`) wins, header and
    /// byte changes apply to whatever response results, and for delivery settings the rule
    /// added last wins. Body faults do not apply to HEAD responses (there is no body).
    enum Behaviour: Sendable {
        // Before the response.

        /// Waits this long after reading the request before sending anything (a slow upstream).
        case delayBeforeHeaders(Duration)
        /// Reads the request and closes the connection without sending a byte (a FIN), as a
        /// server does that dropped an idle keep-alive connection just as a request arrived.
        case closeBeforeAnswer
        /// Sends this exact line instead of the status line (then the normal headers and body,
        /// then closes the connection). E.g. `"HTTP/1.1 2OO OK"`.
        case malformedStatusLine(String)

        // Replacing the response.

        /// Answers `statusCode` with these header fields and body instead of the normal answer.
        /// Content-Length is always set from `body`; a non-empty body without a Content-Type
        /// field gets `application/json`.
        case status(Int, headers: [TestHeaderField] = [], body: [UInt8] = [])
        /// Answers 200 with an HTML page (`FakeUpstream.htmlErrorPageBody`, text/html), as
        /// captive portals and misconfigured front ends do.
        case htmlErrorPage
        /// Answers `statusCode` (a 3xx) with a Location field pointing at `target`.
        case redirect(RedirectTarget, statusCode: Int = 307)
        /// Answers `statusCode` with Location set to this very request's URL on this server,
        /// so a client that follows redirects loops until it gives up.
        case redirectLoop(statusCode: Int = 307)

        // Changing fields and bytes.

        /// Serves other bytes under the same digest: `replacement` if given, else the stored
        /// bytes with every byte XOR 0x5A (same length). Applies to blobs and manifests.
        case wrongBytes(replacement: [UInt8]? = nil)
        /// Leaves out the Docker-Content-Digest field.
        case omitDigestHeader
        /// Leaves out the Content-Type field (some registries and proxies send manifests so).
        case omitContentType
        /// Answers a request with a `Range` field as if it had none (200, the whole body), as
        /// a server may (RFC 9110 section 14.2).
        case ignoreRange
        /// Sends this ETag field value instead of the quoted digest.
        case etag(String)
        /// Adds a field `X-Fake-Padding` whose value is `byteCount` bytes of `a`.
        case giantHeader(byteCount: Int)
        /// Compresses a 200 body with gzip (Content-Encoding: gzip, Vary: Accept-Encoding) when
        /// the request's Accept-Encoding allows gzip (RFC 9110 section 12.5.3). The digest field
        /// keeps naming the uncompressed bytes.
        case gzipWhenAccepted

        // Delivering the body.

        /// Sends the body at about `bytesPerSecond` (slices of 1/20 s with sleeps between).
        case throttle(bytesPerSecond: Int)
        /// After `afterBodyByteCount` body bytes (0: right after the head) sends nothing for
        /// `duration`, then carries on.
        case stall(afterBodyByteCount: Int, duration: Duration)
        /// After `bodyByteCount` body bytes resets the connection (SO_LINGER 0, close: a TCP RST).
        case resetAfter(bodyByteCount: Int)
        /// After `bodyByteCount` body bytes closes the connection cleanly (a FIN): the body is
        /// shorter than Content-Length.
        case closeAfter(bodyByteCount: Int)
        /// After the body sends `byteCount` more bytes (`X`) than Content-Length announced, and
        /// keeps the connection open, so they precede the next response on it.
        case extraBodyBytes(byteCount: Int)
        /// Sends the body with Transfer-Encoding: chunked in chunks of `chunkByteCount`
        /// (RFC 9112 section 7.1). When `malformedSize`, the second chunk-size line is `zz`
        /// (not hex) and the connection closes after it.
        case chunked(chunkByteCount: Int = 1024, malformedSize: Bool = false)

        /// 429 Too Many Requests with `Retry-After: <seconds>` and a TOOMANYREQUESTS error body.
        static func tooManyRequests(retryAfterSeconds: Int) -> Behaviour {
            .status(
                429, headers: [TestHeaderField("Retry-After", String(retryAfterSeconds))],
                body: FakeUpstream.errorBody(code: "TOOMANYREQUESTS", message: "too many requests"))
        }

        /// Sends the head, then nothing for `duration`, then the body.
        static func stallAfterHeaders(_ duration: Duration) -> Behaviour {
            .stall(afterBodyByteCount: 0, duration: duration)
        }

        /// A 307 to the same request target on `upstream` (a "CDN" that serves the same blob).
        static func redirect(to upstream: FakeUpstream, statusCode: Int = 307) -> Behaviour {
            .redirect(.sameTargetOn(baseURL: upstream.baseURL), statusCode: statusCode)
        }
    }

    /// Where a `redirect` points.
    enum RedirectTarget: Equatable, Sendable {
        /// This exact absolute URL.
        case url(String)
        /// The request's own target (path and query) on another server: `baseURL` + target.
        case sameTargetOn(baseURL: String)
    }

    /// Which requests a behaviour rule applies to.
    enum Scope: Equatable, Sendable {
        /// Every request except those to the token endpoint (target that with `.route(.token)`).
        case everything
        /// Requests to one kind of endpoint.
        case route(RouteKind)
        /// Requests whose path (query excluded) equals this.
        case path(String)
        /// Requests whose path starts with this.
        case pathPrefix(String)
        /// Blob, manifest and referrers requests for this digest (a manifest requested by tag
        /// matches when the tag resolves to it).
        case digest(String)
        /// Requests addressing this repository name.
        case repository(String)
    }

    /// Identifies one rule added with `setBehaviour`, for `removeBehaviour`.
    struct BehaviourID: Equatable, Hashable, Sendable {
        /// 1 for the first rule of a fake upstream, then 2, 3, ...
        let rawValue: Int
    }

    /// A behaviour with what it applies to and how many more times.
    struct BehaviourRule: Sendable {
        /// Its identity, for `removeBehaviour`.
        let id: BehaviourID
        /// What it does.
        let behaviour: Behaviour
        /// Which requests it applies to.
        let scope: Scope
        /// The only request method it applies to; nil for any.
        let method: String?
        /// Uses left; nil means unlimited. A rule at 0 is removed.
        var remainingUses: Int?
    }

    /// Applies `behaviour` to matching requests from now on: all of them, or only the next
    /// `times` (e.g. `times: 2` with a 503 status: two failures, then normal answers).
    /// `method` restricts the rule to one request method (`"GET"`, `"HEAD"`).
    @discardableResult
    func setBehaviour(_ behaviour: Behaviour, for scope: Scope = .everything, method: String? = nil, times: Int? = nil)
        -> BehaviourID
    {
        precondition(times.map { $0 > 0 } ?? true, "times must be positive")
        return state.withLock { state in
            let id = BehaviourID(rawValue: state.nextRuleNumber)
            state.nextRuleNumber += 1
            state.rules.append(BehaviourRule(id: id, behaviour: behaviour, scope: scope, method: method, remainingUses: times))
            return id
        }
    }

    /// Removes one rule (no-op when it is gone already).
    func removeBehaviour(_ id: BehaviourID) {
        state.withLock { $0.rules.removeAll { $0.id == id } }
    }

    /// Removes every rule: the fake answers normally again.
    func removeAllBehaviours() {
        state.withLock { $0.rules.removeAll() }
    }
}
