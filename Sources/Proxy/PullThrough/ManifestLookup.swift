import CEpoll
import Logging
import ProxyHTTP
import ProxyLoop
import ProxyRegistry
import ProxyStore
import ProxyUpstream

/// Resolves one manifest request against the cache and, when needed, the
/// upstream (OCI distribution spec, "Pulling manifests"):
/// - by digest: the stored manifest, else one upstream GET verified against
///   the digest; never revalidated;
/// - by tag: the stored record while fresh (`tagTTL`); after that one
///   upstream HEAD with the same Accept set, and a GET only when the digest
///   changed; a stale record is served when the upstream is down, slow,
///   overloaded or rate limiting.
///
/// The leader of a manifest flight runs this; its answer goes to every waiter.
/// Concerns by file: this one runs the lookup and the GET; `+Head` asks with HEAD (tags
/// unknown for an Accept set, revalidation, confirmation for another repository). Members
/// are internal, not private, for that extension; nothing else touches them.
///
/// Confinement: loop-confined.
package final class ManifestLookup {
    let context: LoopContext
    let upstream: UpstreamRegistry
    let repository: RepositoryName
    let reference: Reference
    let accept: AcceptedMediaTypes
    let client: ClientTrace
    private var completion: ((Result<ManifestAnswer, UpstreamFailure>) -> Void)?
    var exchange: UpstreamExchange?
    /// The upstream's `RateLimit-*` fields of its last answer, passed on to the client.
    var rateLimitFields: [(name: String, value: String)] = []
    var shared: SharedServices { context.shared }

    /// - Parameter repository: the name as the upstream knows it (normalised).
    package init(context: LoopContext, upstream: UpstreamRegistry, repository: RepositoryName, reference: Reference,
         accept: AcceptedMediaTypes, client: ClientTrace) {
        self.context = context
        self.upstream = upstream
        self.repository = repository
        self.reference = reference
        self.accept = accept
        self.client = client
    }

    var tagKey: TagKey? {
        guard case .tag(let tag) = reference else { return nil }
        return TagKey(upstream: upstream.name, repository: repository, tag: tag.string, acceptKey: accept.manifestCacheKey)
    }

    /// Answers from the cache alone when that is allowed without asking the
    /// upstream (a stored digest, or a fresh tag). Any thread.
    /// - Parameter repository: the name as the upstream knows it; a manifest
    ///   by digest is served from the cache only for repositories known to
    ///   hold it (see `RepositoryLinks`).
    package static func cachedAnswer(shared: SharedServices, upstream: String, repository: RepositoryName, key: TagKey?,
                             reference: Reference) -> ManifestAnswer? {
        switch reference {
        case .digest(let digest):
            guard shared.links.isLinked(upstream: upstream, repository: repository, digest: digest),
                  let manifest = shared.manifests.read(digest) else { return nil }
            return ManifestAnswer(manifest: manifest, outcome: .hit, confirmedAtNanoseconds: nil)
        case .tag:
            guard let key, let record = shared.tags.record(for: key) else { return nil }
            let age = shared.clock.nanosecondsSinceEpoch() - record.confirmedAtNanoseconds
            guard shared.tagTTL > 0, age >= 0, age < shared.tagTTL,
                  let manifest = shared.manifests.read(record.digest) else { return nil }
            return ManifestAnswer(manifest: manifest, outcome: .hit, confirmedAtNanoseconds: record.confirmedAtNanoseconds)
        }
    }

    package func run(completion: @escaping (Result<ManifestAnswer, UpstreamFailure>) -> Void) {
        self.completion = completion
        if let answer = ManifestLookup.cachedAnswer(shared: shared, upstream: upstream.name, repository: repository,
                                                    key: tagKey, reference: reference) {
            finish(.success(answer))
            return
        }
        // Only content whose bytes hash to its digest crosses repositories and upstreams: a
        // signed schema 1 manifest is named by its payload, its bytes are one upstream's
        // signing of it, so another repository fetches its own.
        if case .digest(let digest) = reference, let stored = shared.manifests.read(digest),
           ManifestIdentity.bytesHashToDigest(stored) {
            confirmRepositoryHolds(stored)
            return
        }
        if let key = tagKey, let record = shared.tags.record(for: key), let stored = shared.manifests.read(record.digest) {
            revalidate(key: key, record: record, stored: stored)
        } else if let key = tagKey {
            resolveWithHead(key: key)
        } else {
            fetch(reference: reference)
        }
    }

    // MARK: Fetch (GET)

    func fetch(reference: Reference) {
        let buffered = BufferedUpstreamResponse(limit: ManifestStore.maximumByteCount) { [self] result in
            switch result {
            case .failure(let error):
                if case .malformedResponse(let reason) = error, reason.contains("over") {
                    finish(.failure(UpstreamFailure(.manifestInvalid("manifest larger than \(ManifestStore.maximumByteCount) bytes"))))
                } else {
                    fetchFailed(UpstreamFailure.transport(error, upstream: upstream.name))
                }
            case .success(let (head, body)):
                noteRateLimit(head)
                shared.metrics.upstreamRequest(method: "GET", status: head.status)
                guard head.status == 200 else {
                    fetchFailed(UpstreamFailure.status(head, body: body, upstream: upstream.name, notFound: .manifestUnknown(reference)))
                    return
                }
                received(head: head, body: body)
            }
        }
        send(method: .get, reference: reference, handler: buffered)
    }

    func fetchFailed(_ failure: UpstreamFailure) {
        // A tag we know but could not refresh is served stale rather than failed.
        if servesStale(after: failure), let key = tagKey, let record = shared.tags.record(for: key),
           let stored = shared.manifests.read(record.digest) {
            serveStaleOrFail(failure, stored: stored, record: record)
            return
        }
        if failure.allowsStale {
            shared.logger.warning("manifest fetch failed: upstream unavailable", metadata: [
                "upstream": "\(upstream.name)", "repository": "\(repository)", "reference": "\(reference)",
                "status": "\(failure.error.status)", "reason": "\(failure.error.detail ?? failure.error.message)",
            ])
        }
        finish(.failure(failure))
    }

    private func received(head: UpstreamResponseHead, body: [UInt8]) {
        var bytes = body
        if let encoding = head.field("content-encoding")?.lowercased(), encoding == "gzip" || encoding == "deflate" {
            guard let inflated = ManifestLookup.inflate(body) else {
                finish(.failure(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent a corrupt compressed manifest"))))
                return
            }
            // The 4 MiB cap is on the manifest, not on its compressed transfer
            // (inflate allows up to twice the cap): refuse as an oversized plain body is.
            guard inflated.count <= ManifestStore.maximumByteCount else {
                finish(.failure(UpstreamFailure(.manifestInvalid("manifest larger than \(ManifestStore.maximumByteCount) bytes"))))
                return
            }
            bytes = inflated
        }
        let mediaType = ManifestLookup.mediaType(sent: head.field("content-type"), bytes: bytes)
        if case .digest(let requested) = reference, !ManifestIdentity.isNamed(bytes, mediaType: mediaType, by: requested) {
            shared.metrics.digestMismatch()
            shared.logger.error("manifest digest mismatch; nothing cached", metadata: [
                "requested": "\(requested)", "upstream": "\(upstream.name)",
            ])
            finish(.failure(UpstreamFailure(.upstreamError("upstream \(upstream.name) sent a manifest that does not match \(requested)"))))
            return
        }
        if case .tag = reference {
            if let problem = UpstreamManifestCheck.problem(
                bytes: bytes, mediaType: mediaType, digestFieldValues: head.fieldValues("docker-content-digest")) {
                if case .digestMismatch = problem { shared.metrics.digestMismatch() }
                shared.logger.error("unusable manifest from upstream; nothing cached", metadata: [
                    "upstream": "\(upstream.name)", "repository": "\(repository)", "reference": "\(reference)",
                    "problem": "\(problem)",
                ])
                fetchFailed(UpstreamFailure(.upstreamError("upstream \(upstream.name) answered \(reference) with an unusable manifest: \(problem)")))
                return
            }
        }
        guard let digest = identity(of: bytes, head: head) else {
            finish(.failure(UpstreamFailure(.upstreamError("cannot hash manifest"))))
            return
        }
        let manifest = StoredManifest(mediaType: mediaType, bytes: bytes, digest: digest)
        // Answered from memory now; the commit (write, fsync, rename) runs on the I/O pool.
        let logger = shared.logger
        shared.manifests.storeInBackground(manifest, on: shared.ioPool) { error in
            // The answer was still correct; it is just not cached.
            logger.error("manifest not cached", metadata: ["digest": "\(digest)", "error": "\(error)"])
        }
        linkWithReferences(manifest)
        var confirmed: Int64?
        if let key = tagKey {
            let record = TagRecord(digest: digest, mediaType: mediaType, confirmedAtNanoseconds: shared.clock.nanosecondsSinceEpoch())
            shared.tags.update(record, for: key)
            confirmed = record.confirmedAtNanoseconds
        }
        finish(.success(ManifestAnswer(manifest: manifest, outcome: .miss, confirmedAtNanoseconds: confirmed)))
        shared.prefetcher?.manifestFetched(manifest, upstream: upstream, repository: repository, context: context)
    }

    /// The digest the upstream names a verified manifest by: the requested one; for a tag its
    /// `Docker-Content-Digest` (already checked against the bytes, and for a signed schema 1
    /// manifest the payload's digest, which a hash of the bytes would not give); else the
    /// sha256 of the bytes.
    private func identity(of bytes: [UInt8], head: UpstreamResponseHead) -> Digest? {
        if case .digest(let requested) = reference { return requested }
        if let value = head.field("docker-content-digest"),
           let advertised = try? Digest(parsing: String(Substring(value).trimmingOWS())) {
            return advertised
        }
        return try? Digest(parsing: ContentHasher.digestString(of: bytes, algorithm: .sha256))
    }

    /// Records that this repository holds `manifest` and everything it references (config,
    /// layers, child manifests): the upstream answered the manifest for this repository, and a
    /// registry serves a manifest only where its references are reachable. A later request
    /// for one of them here is then a hit without asking the upstream, also while it is down.
    func linkWithReferences(_ manifest: StoredManifest) {
        shared.links.link(upstream: upstream.name, repository: repository, digest: manifest.digest)
        let references = ManifestReferences(parsing: manifest.bytes)
        for digest in references.blobs + references.children.map(\.digest) {
            shared.links.link(upstream: upstream.name, repository: repository, digest: digest)
        }
    }

    /// The media type a manifest is stored and served with: its Content-Type; when that is
    /// absent, empty or the generic `application/json`, the type its body declares (as
    /// distribution reads an untyped manifest); schema 1 when neither says anything.
    static func mediaType(sent contentType: String?, bytes: [UInt8]) -> String {
        let sent = contentType.map(mediaTypeWithoutParameters)?.lowercased() ?? ""
        guard sent.isEmpty || sent == "application/json" else { return sent }
        return ManifestIdentity.declaredMediaType(of: bytes) ?? (sent.isEmpty ? MediaType.dockerManifestV1Signed : sent)
    }

    static func mediaTypeWithoutParameters(_ value: String) -> String {
        // Media types hold no white space (RFC 9110 section 8.3.1), so
        // dropping it after cutting the parameters off is exact.
        let base = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(value)
        return String(base.filter { $0 != " " && $0 != "\t" })
    }

    static func inflate(_ bytes: [UInt8]) -> [UInt8]? {
        var capacity = max(64 * 1024, bytes.count * 8)
        while capacity <= ManifestStore.maximumByteCount * 2 {
            var out = [UInt8](repeating: 0, count: capacity)
            let n = bytes.withUnsafeBytes { input in
                out.withUnsafeMutableBytes { cep_gunzip(input.baseAddress, input.count, $0.baseAddress, $0.count) }
            }
            if n >= 0 { return Array(out[..<n]) }
            if n != -2 { return nil }
            capacity *= 2
        }
        return nil
    }

    func send(method: HTTPMethod, reference: Reference, handler: UpstreamResponseHandler) {
        var fields = client.upstreamFields(for: upstream, nodeID: context.nodeID)
        if !accept.mediaTypes.isEmpty { fields.append(("Accept", accept.headerValue)) }
        let request = UpstreamRequest(method: method, origin: upstream.origin,
                                      pathAndQuery: upstream.pathAndQuery("/v2/\(repository.string)/manifests/\(reference.string)"),
                                      fields: fields)
        let exchange = UpstreamExchange(registry: upstream, pool: context.pool, request: request,
                                        scope: UpstreamRegistry.pullScope(repository), client: client.credential, handler: handler)
        self.exchange = exchange
        exchange.start()
    }

    func noteRateLimit(_ head: UpstreamResponseHead) {
        let fields = head.fields.filter { RateLimitFields.passedOn.contains($0.name) }
        if !fields.isEmpty { rateLimitFields = fields }
    }

    func finish(_ result: Result<ManifestAnswer, UpstreamFailure>) {
        var result = result
        if !rateLimitFields.isEmpty, case .success(var answer) = result {
            answer.rateLimitFields = rateLimitFields
            result = .success(answer)
        }
        exchange = nil
        let completion = self.completion
        self.completion = nil
        completion?(result)
    }
}
