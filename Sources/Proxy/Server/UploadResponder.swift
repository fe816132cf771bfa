import ProxyAuth
import ProxyHTTP
import ProxyLoop
import ProxyPullThrough
import ProxyRegistry
import ProxyStorage
import ProxySystem
import ProxyTransport

/// Answers the blob upload endpoints of a storage route (distribution-spec "Pushing blobs"):
/// - `POST /v2/<name>/blobs/uploads/` opens a session: 202 with its `Location`
///   (end-4a); with `?digest=` the body is the whole blob (monolithic, end-4b, 201); with
///   `?mount=<digest>&from=<repository>` the blob is mounted from another repository of this
///   storage that the client may pull (end-11, 201), else a session is opened (202) as the
///   spec says a registry that cannot mount does;
/// - `PATCH <location>` appends a chunk (end-5): `Content-Range: <start>-<end>` must start at
///   the bytes received so far, else 416; 202 with `Range: 0-<last>`;
/// - `PUT <location>?digest=` closes the session with an optional last chunk (end-6): the
///   bytes are verified against the digest (mismatch: 400 DIGEST_INVALID) and committed;
///   201 with the blob's `Location`;
/// - `GET <location>` reports the session (end-13: 204 with `Range`); `DELETE` cancels it.
///
/// Every answer about a session carries `Location`, `Range` and `Docker-Upload-UUID`.
enum UploadResponder {
    static func handle(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, name: RepositoryName,
                       session id: String?, query: RequestQuery, rule: RouteTable.Rule, authentication: RequestAuthentication) {
        let requestID = connection.requestID
        let headOnly = head.method == .head
        guard let storage = context.shared.storage else {
            connection.respond(requestID, error: .unsupported(head.method.token), allow: "", headOnly: headOnly)
            return
        }
        guard let id, !id.isEmpty, !id.contains("/") else {
            guard head.method == .post else {
                connection.respond(requestID, error: .unsupported(head.method.token), allow: "POST", headOnly: headOnly)
                return
            }
            if let mount = query.value(named: "mount"), mountBlob(mount, from: query.value(named: "from"), rule: rule, authentication: authentication, head: head, connection: connection,
                                                                   context: context, storage: storage, name: name) {
                return
            }
            open(head, connection: connection, context: context, storage: storage, name: name, digest: query.value(named: "digest"), rule: rule)
            return
        }
        switch head.method {
        case .get, .head:
            guard let session = storage.uploads.peek(id, repository: name) else {
                return connection.respond(requestID, error: uploadUnknown(id), headOnly: headOnly)
            }
            connection.respond(requestID, head: sessionHead(status: 204, name: name, session: session), body: .empty, headOnly: headOnly, outcome: nil)
        case .patch, .put:
            let session: UploadSession
            switch storage.uploads.acquire(id, repository: name) {
            case .session(let held): session = held
            case .unknown: return connection.respond(requestID, error: uploadUnknown(id), headOnly: false)
            case .busy:
                return connection.respond(requestID, error: RegistryError(code: .blobUploadInvalid, status: 409, message: "upload session busy",
                                                                          detail: "another request is writing to upload \(id)"), headOnly: false)
            }
            if let range = head.contentRange, !chunkStarts(range, at: session.byteCount, contentLength: head.contentLength) {
                storage.uploads.release(session, now: MonotonicClock.now())
                var answer = sessionHead(status: 416, name: name, session: session)
                answer.add("Content-Type", "application/json; charset=utf-8")
                let error = RegistryError(code: .blobUploadInvalid, status: 416, message: "chunk out of order",
                                          detail: "Content-Range \(range); the next chunk starts at \(session.byteCount)")
                return connection.respond(requestID, head: answer, body: .bytes(error.jsonBody()), headOnly: false, outcome: nil)
            }
            let digest = head.method == .put ? query.value(named: "digest") : nil
            if head.method == .put && digest == nil {
                storage.uploads.release(session, now: MonotonicClock.now())
                return connection.respond(requestID, error: .digestInvalid("PUT needs ?digest="), headOnly: false)
            }
            receive(head, connection: connection, context: context, storage: storage, session: session, digest: digest, rule: rule)
        case .delete:
            guard case .session(let session) = storage.uploads.acquire(id, repository: name) else {
                return connection.respond(requestID, error: uploadUnknown(id), headOnly: false)
            }
            storage.uploads.finish(session)
            connection.respond(requestID, head: ResponseHead(status: 204), body: .empty, headOnly: false, outcome: nil)
        default:
            connection.respond(requestID, error: .unsupported(head.method.token), allow: "GET, HEAD, PATCH, PUT, DELETE", headOnly: headOnly)
        }
    }

    /// `POST`: a new session; with `digest`, the body is the whole blob.
    private static func open(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, storage: LocalStorage,
                             name: RepositoryName, digest: String?, rule: RouteTable.Rule) {
        let session: UploadSession
        do {
            session = try storage.uploads.create(for: name, now: MonotonicClock.now())
        } catch {
            return connection.respond(connection.requestID, error: storageError(error), headOnly: false)
        }
        if digest != nil {
            receive(head, connection: connection, context: context, storage: storage, session: session, digest: digest, rule: rule)
            return
        }
        storage.uploads.release(session, now: MonotonicClock.now())
        connection.respond(connection.requestID, head: sessionHead(status: 202, name: name, session: session), body: .empty,
                           headOnly: false, outcome: nil)
    }

    /// Reads the request body into the held session, then answers: 202 for a chunk, or (with
    /// `digest`) verifies and commits the blob.
    private static func receive(_ head: RequestHead, connection: any ClientResponder, context: LoopContext, storage: LocalStorage,
                                session: UploadSession, digest: String?, rule: RouteTable.Rule) {
        let requestID = connection.requestID
        let limit = context.shared.configuration.maxUploadSize
        let writer = UploadBodyWriter(session: session, maximumByteCount: limit) { [weak connection] outcome in
            guard let connection else { return storage.uploads.release(session, now: MonotonicClock.now()) }
            switch outcome {
            case .complete:
                if let digest {
                    commit(session, digest: digest, connection: connection, requestID: requestID, context: context, storage: storage, rule: rule)
                } else {
                    storage.uploads.release(session, now: MonotonicClock.now())
                    connection.respond(requestID, head: sessionHead(status: 202, name: session.repository, session: session), body: .empty,
                                       headOnly: false, outcome: nil)
                }
            case .tooLarge:
                storage.uploads.finish(session)
                connection.respond(requestID, error: RegistryError(code: .sizeInvalid, status: 413, message: "blob too large",
                                                                   detail: "max_upload_size is \(limit) bytes"), headOnly: false)
            case .writeFailed:
                storage.uploads.finish(session)
                connection.respond(requestID, error: RegistryError(code: .blobUploadInvalid, status: 500, message: "upload could not be written"),
                                   headOnly: false)
            case .malformed:
                storage.uploads.release(session, now: MonotonicClock.now())
                connection.respond(requestID, error: RegistryError(code: .blobUploadInvalid, status: 400, message: "malformed request body"),
                                   headOnly: false)
            case .gone:
                storage.uploads.release(session, now: MonotonicClock.now())
            }
        }
        connection.readBody(requestID, into: writer)
    }

    /// Verifies the session's bytes against `digestText` and commits them on the I/O pool, unless the
    /// route's `quota:` would be exceeded (403 DENIED, the bytes discarded; see ``StorageQuota``).
    private static func commit(_ session: UploadSession, digest digestText: String, connection: any ClientResponder, requestID: UInt64,
                               context: LoopContext, storage: LocalStorage, rule: RouteTable.Rule) {
        guard let digest = try? Digest(parsing: digestText), digest.algorithm == .sha256 else {
            storage.uploads.finish(session)
            return connection.respond(requestID, error: .digestInvalid("not a sha256 digest: \(digestText)"), headOnly: false)
        }
        let actual = "sha256:" + session.hasher.finalizeHex()
        guard actual == digest.string else {
            storage.uploads.finish(session)
            return connection.respond(requestID, error: .digestInvalid("the uploaded bytes have digest \(actual), not \(digest.string)"),
                                      headOnly: false)
        }
        let bound = LoopBound(connection, loop: context.loop)
        let name = session.repository
        let routes = context.shared.routes
        let cache = context.shared.blobs
        let accepted = context.shared.ioPool.submit(key: digest.hashValue, reportingTo: context.loop, { () -> RegistryError? in
            let quota = StorageQuota.admits(digest, byteCount: session.byteCount, rule: rule, routes: routes, storage: storage)
            guard quota.admitted else {
                storage.uploads.finish(session)
                return StorageQuota.exceeded(rule: rule, usedByteCount: quota.usedByteCount, byteCount: session.byteCount)
            }
            do throws(SystemError) {
                // The cache holds the digest already: one file for both (its link), not two.
                if !storage.blobs.adoptHardLink(from: cache, digest) {
                    try storage.blobs.commitBlob(temporaryPath: session.path, file: session.file, digest: digest)
                }
                try storage.linkBlob(name, digest)
                storage.uploads.finish(session)
                return nil
            } catch {
                storage.uploads.finish(session)
                return storageError(error)
            }
        }, completion: { failure in
            if let failure { return bound.value.respond(requestID, error: failure, headOnly: false) }
            bound.value.respond(requestID, head: blobCreated(name: name, digest: digest), body: .empty, headOnly: false, outcome: nil)
        })
        if !accepted {
            storage.uploads.finish(session)
            connection.respond(requestID, error: RegistryError(code: .blobUploadInvalid, status: 503, message: "storage busy; retry"), headOnly: false)
        }
    }

    /// Mounts `digest` from `from` when the client may pull it there (a storage route whose
    /// `pull:` allows this client, and with a token one that grants pull on `from`, holding
    /// the blob): links it on the I/O pool and answers 201. Returns false when it cannot, so
    /// a session is opened instead (end-11). This is how a pushed manifest's blobs need pull
    /// on every repository they were mounted from: a manifest may only name blobs its own
    /// repository holds.
    private static func mountBlob(_ digestText: String, from: String?, rule target: RouteTable.Rule, authentication: RequestAuthentication,
                                  head: RequestHead, connection: any ClientResponder,
                                  context: LoopContext, storage: LocalStorage, name: RepositoryName) -> Bool {
        guard let from, let source = try? RepositoryName(parsing: from), let digest = try? Digest(parsing: digestText),
              let rule = try? context.shared.routes.route(for: source, tag: nil, ns: nil),
              rule.kind == .storage, mayPull(source, rule: rule, authentication, context), storage.hasBlob(source, digest)
        else { return false }
        let requestID = connection.requestID
        let bound = LoopBound(connection, loop: context.loop)
        let routes = context.shared.routes
        let accepted = context.shared.ioPool.submit(key: digest.hashValue, reportingTo: context.loop, { () -> RegistryError? in
            let size = storage.blobs.blobSize(digest) ?? 0
            let quota = StorageQuota.admits(digest, byteCount: size, rule: target, routes: routes, storage: storage)
            guard quota.admitted else { return StorageQuota.exceeded(rule: target, usedByteCount: quota.usedByteCount, byteCount: size) }
            do throws(SystemError) { try storage.linkBlob(name, digest) } catch { return storageError(error) }
            return nil
        }, completion: { failure in
            if let failure { return bound.value.respond(requestID, error: failure, headOnly: false) }
            bound.value.respond(requestID, head: blobCreated(name: name, digest: digest), body: .empty, headOnly: false, outcome: nil)
        })
        return accepted
    }

    /// Whether the client may pull `name` on `rule`: its principals (and token grants) allow it.
    private static func mayPull(_ name: RepositoryName, rule: RouteTable.Rule, _ authentication: RequestAuthentication, _ context: LoopContext) -> Bool {
        guard let authenticator = context.shared.authenticator else { return rule.pull.allows(.anonymous) }
        return authenticator.decide(authentication, rule: rule, name: name, action: .pull) == .allowed
    }

    /// Whether `Content-Range: <start>-<end>` (distribution-spec: no unit, inclusive end)
    /// starts at `offset` and agrees with a declared `Content-Length`.
    static func chunkStarts(_ range: String, at offset: Int64, contentLength: Int64) -> Bool {
        var text = Substring(range)
        if text.hasPrefix("bytes ") { text = text.dropFirst(6) }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0]), let end = Int64(parts[1].prefix { $0 != "/" }), end >= start else { return false }
        guard start == offset else { return false }
        return contentLength < 0 || contentLength == end - start + 1
    }

    static func sessionHead(status: Int, name: RepositoryName, session: UploadSession) -> ResponseHead {
        ResponseHead(status: status, fields: [
            ("Location", "/v2/\(name.string)/blobs/uploads/\(session.id)"),
            ("Range", session.rangeText),
            ("Docker-Upload-UUID", session.id),
            ("Docker-Distribution-API-Version", "registry/2.0"),
        ])
    }

    static func blobCreated(name: RepositoryName, digest: Digest) -> ResponseHead {
        ResponseHead(status: 201, fields: [
            ("Location", "/v2/\(name.string)/blobs/\(digest.string)"),
            ("Docker-Distribution-API-Version", "registry/2.0"),
        ], contentDigest: digest.halves)
    }

    static func uploadUnknown(_ id: String) -> RegistryError {
        RegistryError(code: .blobUploadUnknown, status: 404, message: "blob upload unknown to registry", detail: id)
    }

    static func storageError(_ error: SystemError) -> RegistryError {
        RegistryError(code: .blobUploadInvalid, status: 500, message: "storage failed", detail: error.description)
    }
}
