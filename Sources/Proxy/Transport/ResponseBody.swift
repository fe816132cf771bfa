import ProxySystem

/// Where a response's body bytes come from.
package enum ResponseBody {
    /// No body (errors with empty bodies, 304, HEAD).
    case empty
    /// Small bodies built in memory: manifests, error JSON, `/v2/`.
    case bytes([UInt8])
    /// A committed file, `[offset, end)`, sent with `sendfile` (hits: no allocation).
    case file(SharedFile, offset: Int64, end: Int64)
    /// `length` bytes still arriving (a fill), sent as the body says they may be.
    case streamed(StreamedBody, length: Int64)
    /// Only a declared length: the answer to a HEAD whose GET body we do not
    /// have (an upstream HEAD for an uncached blob). Never sent with a GET.
    case declaredLength(Int64)

    /// The number of body bytes (the Content-Length to declare).
    var length: Int64 {
        switch self {
        case .empty: 0
        case .bytes(let bytes): Int64(bytes.count)
        case .file(_, let offset, let end): end - offset
        case .streamed(_, let length): length
        case .declaredLength(let length): length
        }
    }
}
