import CEpoll
import ProxyHTTP
import ProxyLoop
import ProxyPullThrough
import ProxyRegistry
import ProxyStore
import ProxyTransport
import ProxyUpstream

/// Answers `GET`/`HEAD /v2/<name>/manifests/<reference>` (OCI distribution
/// spec, "Pulling manifests", end-3): the stored bytes, byte-identical, with
/// the stored media type as Content-Type, `Docker-Content-Digest`, exact
/// Content-Length and an ETag equal to the digest; `If-None-Match` with the
/// current digest gets 304 (RFC 9110 section 13.1.2). Misses and stale tags
/// go through one manifest flight per (upstream, repository, reference,
/// accepted media types).
enum ManifestResponder {
    /// - Parameter credential: the client's own credential, presented by the upstream
    ///   requests made for it when the upstream takes client credentials (issue 17).
    static func serve(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, upstream: UpstreamRegistry,
                      name: RepositoryName, reference: Reference, credential: ClientCredential? = nil) {
        let shared = context.shared
        let id = connection.requestID
        let repository = upstream.upstreamName(name)
        let request = ClientView(headOnly: head.method == .head, ifNoneMatch: head.ifNoneMatch, reference: reference)
        // The Accept set keys tag records and flights; a hit by digest needs
        // neither, so it is parsed only when used.
        var tagAccept: AcceptedMediaTypes?
        var key: TagKey?
        if case .tag(let tag) = reference {
            let accept = AcceptedMediaTypes(headerValues: head.acceptValues)
            tagAccept = accept
            key = TagKey(upstream: upstream.name, repository: repository, tag: tag.string, acceptKey: accept.manifestCacheKey)
        }
        if let answer = ManifestLookup.cachedAnswer(shared: shared, upstream: upstream.name, repository: repository,
                                                    key: key, reference: reference) {
            respond(connection, id: id, request: request, result: .success(answer), shared: shared)
            return
        }
        let accept = tagAccept ?? AcceptedMediaTypes(headerValues: head.acceptValues)
        let flightKey = "\(upstream.name)|\(repository.string)|\(reference.string)|\(accept.manifestCacheKey)"
        let bound = LoopBound(connection, loop: context.loop)
        let leader = shared.manifestFlights.join(flightKey, loop: context.loop) { result in
            respond(bound.value, id: id, request: request, result: result, shared: shared)
        }
        guard leader else { return }
        var client = connection.trace
        client.credential = credential
        ManifestLookup(context: context, upstream: upstream, repository: repository, reference: reference,
                       accept: accept, client: client).run { result in
            shared.manifestFlights.complete(flightKey, with: result, followerAnswer: FlightTable.joined)
        }
    }

    /// What the response depends on besides the manifest.
    struct ClientView: Sendable {
        var headOnly: Bool
        var ifNoneMatch: String?
        var reference: Reference
    }

    static func respond(_ connection: any ClientResponder, id: UInt64, request: ClientView,
                        result: Result<ManifestAnswer, UpstreamFailure>, shared: SharedServices) {
        let answer: ManifestAnswer
        switch result {
        case .failure(let failure):
            connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: request.headOnly, outcome: .miss)
            return
        case .success(let value):
            answer = value
        }
        let manifest = answer.manifest
        let cacheControl: String
        switch request.reference {
        case .digest:
            cacheControl = "public, max-age=31536000, immutable"
        case .tag:
            var remaining: Int64 = 0
            if let confirmed = answer.confirmedAtNanoseconds, answer.outcome != .stale {
                remaining = max(0, (shared.tagTTL - (shared.clock.nanosecondsSinceEpoch() - confirmed)) / 1_000_000_000)
            }
            cacheControl = "max-age=\(remaining)"
        }
        // Docker-Content-Digest and ETag are written from the digest itself.
        var head = ResponseHead(status: 200, fields: [
            ("Content-Type", manifest.mediaType),
            ("Docker-Distribution-API-Version", "registry/2.0"),
            ("Cache-Control", cacheControl),
        ], contentDigest: manifest.digest.halves)
        for field in answer.rateLimitFields { head.add(Self.canonicalRateLimitName(field.name), field.value) }
        if let ifNoneMatch = request.ifNoneMatch, matches(ifNoneMatch, digest: manifest.digest) {
            head.status = 304
            connection.respond(id, head: head, body: .empty, headOnly: true, outcome: answer.outcome)
            return
        }
        connection.respond(id, head: head, body: .bytes(manifest.bytes), headOnly: request.headOnly, outcome: answer.outcome)
    }

    /// `ratelimit-remaining` → `RateLimit-Remaining`.
    static func canonicalRateLimitName(_ name: String) -> String {
        "RateLimit" + name.dropFirst("ratelimit".count).split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }

    /// Whether an `If-None-Match` list names `digest` (quoted or bare, weak
    /// or strong: RFC 9110 section 13.1.2 uses weak comparison), or is `*`.
    static func matches(_ ifNoneMatch: String, digest: Digest) -> Bool {
        for item in ifNoneMatch.split(separator: ",") {
            var tag = item.drop(while: { $0 == " " || $0 == "\t" })
            while tag.last == " " || tag.last == "\t" { tag = tag.dropLast() }
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            if tag.hasPrefix("\""), tag.hasSuffix("\""), tag.count >= 2 { tag = tag.dropFirst().dropLast() }
            if tag == digest.string { return true }
        }
        return false
    }
}
