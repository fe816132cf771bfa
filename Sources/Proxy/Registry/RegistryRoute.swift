/// The endpoint a request target addresses (distribution-spec "Endpoints"), plus the mirror's
/// own `/healthz`, `/readyz` and `/metrics`. The method is not part of the route: callers check it (for
/// example answering 405 `UNSUPPORTED` to anything on ``blobUpload(_:)``).
public enum RegistryRoute: Hashable, Sendable {
    /// end-1 `/v2/` (also `/v2`): API version check.
    case base
    /// end-3 `/v2/<name>/manifests/<reference>`.
    case manifest(RepositoryName, Reference)
    /// end-2 `/v2/<name>/blobs/<digest>`.
    case blob(RepositoryName, Digest)
    /// end-8a/8b `/v2/<name>/tags/list`.
    case tagsList(RepositoryName)
    /// end-12a/12b `/v2/<name>/referrers/<digest>`.
    case referrers(RepositoryName, Digest)
    /// `/healthz`: liveness of the mirror itself (200 while the process answers at all).
    case health
    /// `/readyz`: readiness for new clients (200 while serving, 503 while starting or draining).
    case readiness
    /// `/metrics`: Prometheus exposition.
    case metrics
    /// `/token`: Cistern's token endpoint (Docker token authentication specification), the
    /// realm of its Bearer challenges when `auth:` is configured (issue 17).
    case token
    /// end-4a…6, 11, 13 `/v2/<name>/blobs/uploads[/<session>]`: push. `session` is everything
    /// after `/blobs/uploads/` (nil when nothing is): an upload session's id, or text that
    /// names no session.
    case blobUpload(RepositoryName, session: String? = nil)

    /// Parses a request target exactly as received (RFC 9112 section 3.2) into a route and
    /// its query.
    ///
    /// Only origin-form is served. The path is split from its end: a final `/tags/list`,
    /// `/manifests/<reference>`, `/blobs/<digest>` or `/referrers/<digest>` decides the route
    /// and everything between `/v2/` and it is the name; failing those, the first
    /// `/blobs/uploads` segment pair (followed by `/` or the end) marks an upload.
    ///
    /// Nothing is percent-decoded in the path: names, tags and digests never need escapes, and
    /// refusing `%` outright means `%2e%2e` or `%2F` can never turn into traversal or a
    /// different split after some later decoding step.
    /// - Throws:
    ///   - `NOT_FOUND` (404) for a target that is not origin-form (absolute-form, `*`), or a
    ///     path that is none of the endpoints above. The reference registry answers these with
    ///     a bare `404 page not found`; an OCI error body is returned instead so clients that
    ///     always decode one get a readable reason (see ``RegistryError/Code/notFound``).
    ///   - `NAME_INVALID` (400) for a `/v2/…` path holding `%`, `\`, NUL, any control or
    ///     non-ASCII byte or another byte outside RFC 3986 `pchar`, a `.` or `..` segment, an
    ///     empty segment (`//`), or a name breaking the name grammar.
    ///   - `MANIFEST_UNKNOWN` (404) for a manifest reference that is neither a valid tag nor a
    ///     valid digest: it names no manifest (the OCI conformance suite's pull workflow
    ///     expects 404; `MANIFEST_INVALID` is the code for a rejected upload).
    ///   - `DIGEST_INVALID` (400) for a malformed blob or referrers digest.
    ///   - `UNSUPPORTED` (400) for a malformed query (see ``RequestQuery``).
    public static func parse(target: some BidirectionalCollection<UInt8>) throws(RegistryError) -> (route: RegistryRoute, query: RequestQuery) {
        try parseBytes(target)
    }

    /// Parses a request target given as text; same rules as the byte form.
    public static func parse(target: String) throws(RegistryError) -> (route: RegistryRoute, query: RequestQuery) {
        try parse(target: target.utf8)
    }

    /// Parses a request target held in a buffer (the server's per-request form); same rules
    /// as the generic byte form. A concrete entry point so that the generic parsers below
    /// (route, names, references, digests, query) are specialised inside this module: called
    /// through the generic signature from another module they ran unspecialised, through
    /// witness tables and runtime metadata look-ups, about 800 000 instructions per request
    /// (issue 19 profile), against about 20 000 specialised.
    public static func parse(target: UnsafeBufferPointer<UInt8>) throws(RegistryError) -> (route: RegistryRoute, query: RequestQuery) {
        try parseBytes(target)
    }

    private static func parseBytes<Target: BidirectionalCollection<UInt8>>(_ target: Target) throws(RegistryError)
        -> (route: RegistryRoute, query: RequestQuery) {
        let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
        // The path is judged first: its errors say more about a bad request than the query's.
        let route = try route(path: target[..<(questionMark ?? target.endIndex)])
        let query: RequestQuery =
            if let questionMark { try RequestQuery(raw: target[target.index(after: questionMark)...]) } else { .empty }
        return (route, query)
    }

    private static func route<Path: BidirectionalCollection<UInt8>>(path: Path) throws(RegistryError) -> RegistryRoute {
        guard path.first == UInt8(ascii: "/") else { throw .notFound("request target must be an absolute path") }
        if bytesEqual(path, "/v2") || bytesEqual(path, "/v2/") { return .base }
        if bytesEqual(path, "/healthz") { return .health }
        if bytesEqual(path, "/readyz") { return .readiness }
        if bytesEqual(path, "/metrics") { return .metrics }
        if bytesEqual(path, "/token") { return .token }
        guard path.starts(with: "/v2/".utf8) else { throw .notFound() }
        let rest = path.dropFirst(4)
        try validateSegments(rest)

        // The final segment and what precedes it.
        guard let lastSlash = rest.lastIndex(of: UInt8(ascii: "/")) else { throw .notFound() }
        let last = rest[rest.index(after: lastSlash)...]
        let head = rest[..<lastSlash]
        if let typeSlash = head.lastIndex(of: UInt8(ascii: "/")) {
            let type = head[head.index(after: typeSlash)...]
            let name = head[..<typeSlash]
            if bytesEqual(type, "tags"), bytesEqual(last, "list") {
                return .tagsList(try RepositoryName(parsing: name))
            }
            if bytesEqual(type, "manifests") {
                let repository = try RepositoryName(parsing: name)
                let reference: Reference
                do {
                    reference = try Reference(parsing: last)
                } catch {
                    throw RegistryError(code: .manifestUnknown, status: 404, message: "manifest unknown",
                                        detail: "not a valid tag or digest: \(error.detail ?? error.message)")
                }
                return .manifest(repository, reference)
            }
            if bytesEqual(type, "blobs"), !bytesEqual(last, "uploads") {
                let repository = try RepositoryName(parsing: name)
                return .blob(repository, try Digest(parsing: last))
            }
            if bytesEqual(type, "referrers") {
                let repository = try RepositoryName(parsing: name)
                return .referrers(repository, try Digest(parsing: last))
            }
        }
        if let uploadName = uploadRepositoryBytes(rest) {
            let after = rest[uploadName.endIndex...].dropFirst("/blobs/uploads/".utf8.count)
            return .blobUpload(try RepositoryName(parsing: uploadName), session: after.isEmpty ? nil : String(decoding: after, as: UTF8.self))
        }
        throw .notFound()
    }

    /// Rejects bytes and segments that must never reach a name, tag or digest. An empty final
    /// segment (a trailing `/`) is allowed: `/v2/<name>/blobs/uploads/` needs it.
    private static func validateSegments<Rest: Collection<UInt8>>(_ rest: Rest) throws(RegistryError) {
        var segmentLength = 0
        var segmentIsDots = true
        var index = rest.startIndex
        while true {
            let isEnd = index == rest.endIndex
            if isEnd || rest[index] == UInt8(ascii: "/") {
                if segmentLength == 0 && !isEnd { throw .nameInvalid("empty path segment") }
                if segmentLength > 0 && segmentLength <= 2 && segmentIsDots { throw .nameInvalid("dot segment in path") }
                if isEnd { return }
                segmentLength = 0
                segmentIsDots = true
            } else {
                let byte = rest[index]
                guard isAllowedPathByte(byte) else { throw .nameInvalid("path contains a byte that is never part of a name, tag or digest") }
                segmentLength += 1
                if byte != UInt8(ascii: ".") { segmentIsDots = false }
            }
            rest.formIndex(after: &index)
        }
    }

    /// RFC 3986 `pchar` without `%` (pct-encoded): unreserved, sub-delims, `:` and `@`
    /// (ALPHA, DIGIT and `-._~!$&'()*+,;=:@`), as a bit per ASCII byte in two masks: every
    /// byte of every registry path goes through this test.
    @inline(__always)
    private static func isAllowedPathByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (allowedPathBytes0to63 >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (allowedPathBytes64to127 >> UInt64(byte - 64)) & 1 == 1 }
        return false
    }

    private static let allowedPathBytes0to63: UInt64 = 0x2fff_7fd2_0000_0000
    private static let allowedPathBytes64to127: UInt64 = 0x47ff_fffe_87ff_ffff

    /// The name before the first `/blobs/uploads` that is followed by `/` or the end.
    private static func uploadRepositoryBytes<Rest: Collection<UInt8>>(_ rest: Rest) -> Rest.SubSequence? {
        let marker = "/blobs/uploads".utf8
        var index = rest.startIndex
        while index != rest.endIndex {
            if rest[index] == UInt8(ascii: "/"), rest[index...].starts(with: marker) {
                let after = rest.index(index, offsetBy: marker.count)
                if after == rest.endIndex || rest[after] == UInt8(ascii: "/") {
                    return rest[..<index]
                }
            }
            rest.formIndex(after: &index)
        }
        return nil
    }
}
