/// An error answered to a registry client: one entry of the OCI distribution-spec error body
/// (`{"errors":[{"code","message","detail"}]}`, distribution-spec "Error Codes") plus the HTTP
/// status it is sent with.
///
/// The spec does not bind codes to statuses; the statuses here follow the endpoint table and
/// the reference implementation: 400 for `*_INVALID`, 404 for `*_UNKNOWN`, 401 `UNAUTHORIZED`,
/// 403 `DENIED`, 405 `UNSUPPORTED` for push methods, 429 `TOOMANYREQUESTS`. Errors that the
/// spec has no code for (a dead upstream, an unsatisfiable range, an unknown endpoint) use the
/// extra codes on ``Code``, which keep the spec's code shape (uppercase letters and `_`).
///
/// Pure value; safe to create and send from any thread.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `code` field: a distribution-spec error identifier (uppercase letters and `_`).
    ///
    /// A struct rather than an enum so that codes received from an upstream registry, which
    /// may be outside the spec's list, can be carried through unchanged.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The identifier exactly as it appears in the JSON `code` field.
        public let rawValue: String

        /// Wraps an identifier, e.g. one read from an upstream error body.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The identifier, as rendered in the body.
        public var description: String { rawValue }

        /// code-1: blob unknown to registry.
        public static let blobUnknown = Code(rawValue: "BLOB_UNKNOWN")
        /// code-2: blob upload invalid.
        public static let blobUploadInvalid = Code(rawValue: "BLOB_UPLOAD_INVALID")
        /// code-3: blob upload unknown to registry.
        public static let blobUploadUnknown = Code(rawValue: "BLOB_UPLOAD_UNKNOWN")
        /// code-4: provided digest did not match uploaded content (also: malformed digest).
        public static let digestInvalid = Code(rawValue: "DIGEST_INVALID")
        /// code-5: manifest references a manifest or blob unknown to registry.
        public static let manifestBlobUnknown = Code(rawValue: "MANIFEST_BLOB_UNKNOWN")
        /// code-6: manifest invalid.
        public static let manifestInvalid = Code(rawValue: "MANIFEST_INVALID")
        /// code-7: manifest unknown to registry.
        public static let manifestUnknown = Code(rawValue: "MANIFEST_UNKNOWN")
        /// code-8: invalid repository name.
        public static let nameInvalid = Code(rawValue: "NAME_INVALID")
        /// code-9: repository name not known to registry.
        public static let nameUnknown = Code(rawValue: "NAME_UNKNOWN")
        /// code-10: provided length did not match content length.
        public static let sizeInvalid = Code(rawValue: "SIZE_INVALID")
        /// code-11: authentication required.
        public static let unauthorized = Code(rawValue: "UNAUTHORIZED")
        /// code-12: requested access to the resource is denied.
        public static let denied = Code(rawValue: "DENIED")
        /// code-13: the operation is unsupported (missing implementation or invalid parameters).
        public static let unsupported = Code(rawValue: "UNSUPPORTED")
        /// code-14: too many requests.
        public static let tooManyRequests = Code(rawValue: "TOOMANYREQUESTS")

        /// Not in the spec: the upstream registry could not be reached or refused service (503).
        public static let upstreamUnavailable = Code(rawValue: "UPSTREAM_UNAVAILABLE")
        /// Not in the spec: the upstream registry did not answer in time (504).
        public static let upstreamTimeout = Code(rawValue: "UPSTREAM_TIMEOUT")
        /// Not in the spec: the upstream registry sent an invalid or unexpected answer (502).
        public static let upstreamError = Code(rawValue: "UPSTREAM_ERROR")
        /// Not in the spec: a `Range` outside the blob (416, RFC 9110 section 15.5.17).
        public static let rangeNotSatisfiable = Code(rawValue: "RANGE_NOT_SATISFIABLE")
        /// Not in the spec: the request target is no registry endpoint (404). The reference
        /// registry answers a bare `404 page not found` here; an OCI body is friendlier to
        /// clients that always try to decode one, and `NAME_UNKNOWN` would wrongly blame a name.
        public static let notFound = Code(rawValue: "NOT_FOUND")
        /// Not in the spec: the request already passed this mirror (its `Via` names this node),
        /// so answering it would go round a loop of mirrors (508, RFC 5842 section 7.2).
        public static let loopDetected = Code(rawValue: "LOOP_DETECTED")
    }

    /// The spec error code.
    public var code: Code
    /// HTTP status code to answer with (e.g. 400, 404).
    public var status: Int
    /// Human-readable `message` field.
    public var message: String
    /// Optional `detail` field, rendered as a JSON string; omitted from the body when nil.
    public var detail: String?

    /// Creates an error with an explicit status.
    public init(code: Code, status: Int, message: String, detail: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.detail = detail
    }

    /// `CODE (status): message [detail]`, for logs.
    public var description: String {
        var text = "\(code.rawValue) (\(status)): \(message)"
        if let detail { text += " [\(detail)]" }
        return text
    }
}

extension RegistryError {
    /// `NAME_INVALID` 400: the repository name violates the distribution-spec name grammar.
    public static func nameInvalid(_ detail: String) -> RegistryError {
        RegistryError(code: .nameInvalid, status: 400, message: "invalid repository name", detail: detail)
    }

    /// `NAME_UNKNOWN` 404: the repository is not known (upstream said so).
    public static func nameUnknown(_ name: String) -> RegistryError {
        RegistryError(code: .nameUnknown, status: 404, message: "repository name not known to registry", detail: name)
    }

    /// `DIGEST_INVALID` 400: a digest that violates the image-spec digest grammar.
    public static func digestInvalid(_ detail: String) -> RegistryError {
        RegistryError(code: .digestInvalid, status: 400, message: "invalid digest", detail: detail)
    }

    /// `MANIFEST_INVALID` 400: manifest content or a manifest reference (e.g. a tag violating
    /// the tag grammar) is invalid.
    public static func manifestInvalid(_ detail: String) -> RegistryError {
        RegistryError(code: .manifestInvalid, status: 400, message: "manifest invalid", detail: detail)
    }

    /// `MANIFEST_UNKNOWN` 404: no manifest for this tag or digest.
    public static func manifestUnknown(_ reference: Reference) -> RegistryError {
        RegistryError(code: .manifestUnknown, status: 404, message: "manifest unknown", detail: reference.string)
    }

    /// `BLOB_UNKNOWN` 404: no blob with this digest.
    public static func blobUnknown(_ digest: Digest) -> RegistryError {
        RegistryError(code: .blobUnknown, status: 404, message: "blob unknown to registry", detail: digest.string)
    }

    /// `UNSUPPORTED` 405: a method this pull-only mirror does not implement (push, delete).
    public static func unsupported(_ method: String) -> RegistryError {
        RegistryError(code: .unsupported, status: 405, message: "the operation is unsupported", detail: method)
    }

    /// `UNSUPPORTED` 400: query parameters that cannot be used. The spec describes code-13 as
    /// "unsupported due to a missing implementation or invalid set of parameters".
    public static func queryInvalid(_ detail: String) -> RegistryError {
        RegistryError(code: .unsupported, status: 400, message: "invalid query parameters", detail: detail)
    }

    /// `UNAUTHORIZED` 401: authentication required.
    public static func unauthorized(_ detail: String? = nil) -> RegistryError {
        RegistryError(code: .unauthorized, status: 401, message: "authentication required", detail: detail)
    }

    /// `DENIED` 403: access to the resource is denied.
    public static func denied(_ detail: String? = nil) -> RegistryError {
        RegistryError(code: .denied, status: 403, message: "requested access to the resource is denied", detail: detail)
    }

    /// `TOOMANYREQUESTS` 429: rate limited (typically passed on from the upstream).
    public static func tooManyRequests(_ detail: String? = nil) -> RegistryError {
        RegistryError(code: .tooManyRequests, status: 429, message: "too many requests", detail: detail)
    }

    /// `UPSTREAM_UNAVAILABLE` 503: the upstream could not be reached or answered 503.
    public static func upstreamUnavailable(_ detail: String) -> RegistryError {
        RegistryError(code: .upstreamUnavailable, status: 503, message: "upstream registry unavailable", detail: detail)
    }

    /// `UPSTREAM_TIMEOUT` 504: the upstream did not answer in time.
    public static func upstreamTimeout(_ detail: String) -> RegistryError {
        RegistryError(code: .upstreamTimeout, status: 504, message: "upstream registry timed out", detail: detail)
    }

    /// `UPSTREAM_ERROR` 502: the upstream answered with something unusable.
    public static func upstreamError(_ detail: String) -> RegistryError {
        RegistryError(code: .upstreamError, status: 502, message: "invalid answer from upstream registry", detail: detail)
    }

    /// `RANGE_NOT_SATISFIABLE` 416: the `Range` lies outside a representation of `size` bytes;
    /// the response must also carry `Content-Range: bytes */<size>` (RFC 9110 section 14.4).
    public static func rangeNotSatisfiable(size: Int64) -> RegistryError {
        RegistryError(code: .rangeNotSatisfiable, status: 416, message: "range not satisfiable", detail: "size \(size)")
    }

    /// `LOOP_DETECTED` 508: the request's `Via` already names this node (or an upstream mirror
    /// answered 508 for that reason): a misconfigured ring of mirrors.
    public static func loopDetected(_ detail: String) -> RegistryError {
        RegistryError(code: .loopDetected, status: 508, message: "request loop detected between mirrors", detail: detail)
    }

    /// `NOT_FOUND` 404: the request target is not a registry endpoint.
    public static func notFound(_ detail: String? = nil) -> RegistryError {
        RegistryError(code: .notFound, status: 404, message: "not found", detail: detail)
    }
}
