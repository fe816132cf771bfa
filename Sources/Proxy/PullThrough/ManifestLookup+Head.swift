import ProxyHTTP
import ProxyLoop
import ProxyRegistry
import ProxyStore
import ProxyUpstream

/// The HEADs of a manifest lookup: a tag not known for this Accept set is asked with a HEAD
/// first (free where GETs count as pulls); a known tag past its TTL is revalidated with one; a
/// manifest cached through another repository is confirmed for this one with one.
extension ManifestLookup {
    // MARK: A tag not known for this Accept set (HEAD first)

    /// Asks the upstream with a HEAD (free where GETs are counted: Docker Hub) which digest
    /// the tag names for this client's Accept set; when that manifest is cached already (from
    /// a client with another Accept set, or another tag) and of a type this client accepts,
    /// it is the answer, and no GET is sent. Otherwise the GET follows.
    func resolveWithHead(key: TagKey) {
        let buffered = BufferedUpstreamResponse(limit: 0) { [self] result in
            switch result {
            case .success(let (head, _)) where head.status == 200:
                noteRateLimit(head)
                shared.metrics.upstreamRequest(method: "HEAD", status: 200)
                if let digest = Self.namedDigest(head), answerFromCache(digest, key: key) { return }
                fetch(reference: reference)
            case .success(let (head, _)) where [400, 404, 405, 501].contains(head.status):
                noteRateLimit(head)
                // A HEAD's 404 has no body to say NAME_UNKNOWN or MANIFEST_UNKNOWN: the GET's
                // does. An upstream (or a proxy before it) that does not take HEAD for
                // manifests (405, 501, a bare 400) is asked the usual way.
                shared.metrics.upstreamRequest(method: "HEAD", status: head.status)
                fetch(reference: reference)
            case .success(let (head, _)):
                noteRateLimit(head)
                if head.field(UpstreamExchange.refusalField) == nil { shared.metrics.upstreamRequest(method: "HEAD", status: head.status) }
                // A HEAD the upstream refused (401, 403, 429, 5xx…) would be refused as a GET too.
                fetchFailed(UpstreamFailure.status(head, upstream: upstream.name, notFound: .manifestUnknown(reference)))
            case .failure(let error):
                fetchFailed(UpstreamFailure.transport(error, upstream: upstream.name))
            }
        }
        send(method: .head, reference: reference, handler: buffered)
    }

    /// Whether a known tag is served stale after `failure`: the upstream is down, slow,
    /// overloaded or rate limiting, or (unless `serve_stale_on_denied` is off) it refused the
    /// mirror's own credential with 401/403 — clients never send upstream credentials, so to
    /// them that denial is an outage too. Never on a 401/403 under `credentials: client`
    /// (issue 17 item 3): there the refused credential is the client's, and the refusal its answer.
    func servesStale(after failure: UpstreamFailure) -> Bool {
        let denied = failure.error.status == 401 || failure.error.status == 403
        return failure.allowsStale || (shared.serveStaleOnDenied && denied && !upstream.takesClientCredentials)
    }

    func serveStaleOrFail(_ failure: UpstreamFailure, stored: StoredManifest, record: TagRecord) {
        guard servesStale(after: failure) else {
            finish(.failure(failure))
            return
        }
        let denied = !failure.allowsStale
        shared.metrics.staleServed(denied: denied)
        if failure.error.status == 429 { shared.metrics.upstreamBudget.staleOnRateLimit(upstream: upstream.name) }
        shared.logger.warning(denied ? "serving stale tag: upstream denied the mirror's credential" : "serving stale tag: upstream unavailable", metadata: [
            "upstream": "\(upstream.name)", "repository": "\(repository)", "reference": "\(reference)",
            "digest": "\(record.digest)", "reason": "\(failure.error.detail ?? failure.error.message)",
        ])
        finish(.success(ManifestAnswer(manifest: stored, outcome: .stale, confirmedAtNanoseconds: record.confirmedAtNanoseconds)))
    }

    // MARK: Repository confirmation (HEAD)

    /// The manifest is cached through another repository: serve it here only
    /// once the upstream confirms this repository holds it.
    func confirmRepositoryHolds(_ stored: StoredManifest) {
        let bound = LoopBound(self, loop: context.loop)
        let (upstream, repository, reference) = (upstream, repository, reference)
        UpstreamHead.request(context: context, upstream: upstream, repository: repository, kind: .manifests,
                             digest: stored.digest, mediaType: stored.mediaType, client: client) { answer in
            let lookup = bound.value
            switch answer {
            case .success(let head) where head.status == 200:
                lookup.linkWithReferences(stored)
                lookup.finish(.success(ManifestAnswer(manifest: stored, outcome: .hit, confirmedAtNanoseconds: nil)))
            case .success(let head):
                lookup.finish(.failure(UpstreamFailure.status(head, upstream: upstream.name, notFound: .manifestUnknown(reference))))
            case .failure(let error):
                lookup.finish(.failure(UpstreamFailure.transport(error, upstream: upstream.name)))
            }
        }
    }

    // MARK: Revalidation (HEAD)

    func revalidate(key: TagKey, record: TagRecord, stored: StoredManifest) {
        let buffered = BufferedUpstreamResponse(limit: 0) { [self] result in
            switch result {
            case .success(let (head, _)) where head.status == 200:
                noteRateLimit(head)
                shared.metrics.upstreamRequest(method: "HEAD", status: 200)
                if let digest = Self.namedDigest(head) {
                    if digest == record.digest {
                        var confirmed = record
                        confirmed.confirmedAtNanoseconds = shared.clock.nanosecondsSinceEpoch()
                        shared.tags.update(confirmed, for: key)
                        finish(.success(ManifestAnswer(manifest: stored, outcome: .hit, confirmedAtNanoseconds: confirmed.confirmedAtNanoseconds)))
                        return
                    }
                    if answerFromCache(digest, key: key) { return }
                }
                fetch(reference: reference)
            case .success(let (head, _)):
                noteRateLimit(head)
                shared.metrics.upstreamRequest(method: "HEAD", status: head.status)
                let failure = UpstreamFailure.status(head, upstream: upstream.name, notFound: .manifestUnknown(reference))
                serveStaleOrFail(failure, stored: stored, record: record)
            case .failure(let error):
                serveStaleOrFail(UpstreamFailure.transport(error, upstream: upstream.name), stored: stored, record: record)
            }
        }
        send(method: .head, reference: reference, handler: buffered)
    }


    /// The digest a HEAD's `Docker-Content-Digest` names, if readable.
    static func namedDigest(_ head: UpstreamResponseHead) -> Digest? {
        head.field("docker-content-digest").flatMap { try? Digest(parsing: String(Substring($0).trimmingOWS())) }
    }

    /// Answers the tag with the cached manifest `digest` when there is one of a type this
    /// client accepts: the tag now names it for this Accept set. - Returns: whether it did.
    func answerFromCache(_ digest: Digest, key: TagKey) -> Bool {
        guard let manifest = shared.manifests.read(digest), accept.accepts(manifest.mediaType) else { return false }
        linkWithReferences(manifest)
        let record = TagRecord(digest: digest, mediaType: manifest.mediaType, confirmedAtNanoseconds: shared.clock.nanosecondsSinceEpoch())
        shared.tags.update(record, for: key)
        finish(.success(ManifestAnswer(manifest: manifest, outcome: .hit, confirmedAtNanoseconds: record.confirmedAtNanoseconds)))
        return true
    }
}
