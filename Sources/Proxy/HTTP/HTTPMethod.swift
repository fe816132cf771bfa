/// The request methods Cistern distinguishes (RFC 9110 section 9). A pull-side
/// mirror serves GET and HEAD; the push methods are refused with 405.
public enum HTTPMethod: Sendable, Equatable {
    case get, head, post, put, patch, delete, options, other

    /// Classifies the method token at `bytes` (case-sensitive, RFC 9110 9.1).
    init(token bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 3 where bytes.elementsEqual("GET".utf8): self = .get
        case 3 where bytes.elementsEqual("PUT".utf8): self = .put
        case 4 where bytes.elementsEqual("HEAD".utf8): self = .head
        case 4 where bytes.elementsEqual("POST".utf8): self = .post
        case 5 where bytes.elementsEqual("PATCH".utf8): self = .patch
        case 6 where bytes.elementsEqual("DELETE".utf8): self = .delete
        case 7 where bytes.elementsEqual("OPTIONS".utf8): self = .options
        default: self = .other
        }
    }

    /// The method token as sent upstream and in logs.
    public var token: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .patch: "PATCH"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .other: "OTHER"
        }
    }
}
