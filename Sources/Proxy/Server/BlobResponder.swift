/// Answers `GET`/`HEAD /v2/<name>/blobs/<digest>` (OCI distribution spec,
/// "Pulling blobs", end-2): a hit from the store with `sendfile`; otherwise
/// by joining the digest's running fill or starting the only one, streaming
/// bytes to the client as they land. Single ranges (RFC 9110 section 14) are
/// served from hits and from fills; a HEAD never downloads a body.
enum BlobResponder {
    static func serve(_ head: RequestHead, connection: ClientConnection, upstream: UpstreamRegistry,
                      name: RepositoryName, digest: Digest) {
        let shared = connection.context.shared
        let id = connection.requestID
        let headOnly = head.method == .head
        let range = head.range.flatMap { ByteRange.parse($0) }

        if serveHit(connection, id: id, digest: digest, range: range, headOnly: headOnly) { return }
        if let fill = shared.fills.running(digest) {
            attach(connection, id: id, fill: fill, range: range, headOnly: headOnly, outcome: .joined)
            return
        }
        if headOnly {
            UpstreamBlobHead.answer(connection, id: id, upstream: upstream, name: name, digest: digest)
            return
        }
        let lookup: FillTable.Lookup
        do {
            lookup = try shared.fills.joinOrStart(digest, isCommitted: { shared.blobs.blobSize(digest) != nil }) { () throws(SystemError) -> Fill in
                let (path, file) = try shared.blobs.createTemporary(for: digest)
                return Fill(digest: digest, file: file, temporaryPath: path)
            }
        } catch {
            shared.logger.error("cannot start a fill", metadata: ["digest": "\(digest)", "error": "\(error)"])
            connection.respond(id, error: RegistryError(code: .upstreamError, status: 500, message: "cache unavailable", detail: error.description),
                               headOnly: headOnly)
            return
        }
        switch lookup {
        case .committed:
            _ = serveHit(connection, id: id, digest: digest, range: range, headOnly: headOnly)
        case .joined(let fill):
            attach(connection, id: id, fill: fill, range: range, headOnly: headOnly, outcome: .joined)
        case .started(let fill):
            FillDriver(fill: fill, context: connection.context, upstream: upstream)
                .start(repository: name, clientAddress: connection.clientAddress)
            attach(connection, id: id, fill: fill, range: range, headOnly: headOnly, outcome: .miss)
        }
    }

    /// Serves a committed blob; false on a miss.
    private static func serveHit(_ connection: ClientConnection, id: UInt64, digest: Digest, range: ByteRange?, headOnly: Bool) -> Bool {
        guard let file = connection.context.shared.blobs.openBlob(digest), let size = try? file.size() else { return false }
        respond(connection, id: id, digest: digest, size: size, range: range, headOnly: headOnly, outcome: .hit) { offset, end in
            .file(file, offset: offset, end: end)
        }
        return true
    }

    /// Answers from `fill` as soon as its size is known.
    private static func attach(_ connection: ClientConnection, id: UInt64, fill: Fill, range: ByteRange?, headOnly: Bool, outcome: CacheOutcome) {
        func answer(_ fill: Fill) -> Bool {
            switch fill.phase {
            case .awaitingHead:
                return false
            case .streaming(let size), .committed(let size):
                respond(connection, id: id, digest: fill.digest, size: size, range: range, headOnly: headOnly, outcome: outcome) { offset, end in
                    .fill(fill, offset: offset, end: end)
                }
                return true
            case .failed(let failure):
                connection.respond(id, error: failure.error, retryAfter: failure.retryAfter, headOnly: headOnly, outcome: outcome)
                return true
            }
        }
        if !answer(fill) {
            connection.waitForFill(id, fill: fill) { fill in _ = answer(fill) }
        }
    }

    /// Builds the 200/206/416 answer for a blob of `size` bytes.
    private static func respond(_ connection: ClientConnection, id: UInt64, digest: Digest, size: Int64, range: ByteRange?,
                                headOnly: Bool, outcome: CacheOutcome, body: (Int64, Int64) -> ResponseBody) {
        var head = ResponseHead(status: 200, fields: blobFields(digest))
        var offset: Int64 = 0
        var end = size
        if let range {
            switch range.resolve(size: size) {
            case .satisfiable(let first, let last):
                head.status = 206
                head.add("Content-Range", "bytes \(first)-\(last)/\(size)")
                offset = first
                end = last + 1
            case .unsatisfiable:
                connection.respond(id, error: .rangeNotSatisfiable(size: size), headOnly: headOnly, outcome: outcome)
                return
            case .wholeRepresentation:
                break
            }
        }
        connection.respond(id, head: head, body: body(offset, end), headOnly: headOnly, outcome: outcome)
    }

    static func blobFields(_ digest: Digest) -> [(name: String, value: String)] {
        [
            ("Content-Type", "application/octet-stream"),
            ("Docker-Content-Digest", digest.string),
            ("ETag", "\"\(digest.string)\""),
            ("Accept-Ranges", "bytes"),
            ("Cache-Control", "public, max-age=31536000, immutable"),
            ("Docker-Distribution-API-Version", "registry/2.0"),
        ]
    }
}
