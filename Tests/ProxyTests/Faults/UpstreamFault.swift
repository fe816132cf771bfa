import Foundation
import Testing

/// One way an upstream can fail a blob GET (issue 6, item 1), with what the client must get
/// for it. The rows of `UpstreamFaultTests`' table.
enum UpstreamFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case connectionRefused
    case resetBeforeHeaders
    case noAnswerLongerThanTheReadTimeout
    case resetMidBody
    case bodyShorterThanContentLength
    case contentLengthShorterThanTheBlob
    case htmlErrorPageWith200
    case tooManyRequestsWithRetryAfter
    case status500
    case status502
    case status503
    case stallAfterHeadersLongerThanTheReadTimeout
    case redirectLoop
    case redirectToAHostThatRefuses
    case giantResponseHeader
    case malformedChunkSize
    case malformedStatusLine

    var testDescription: String { rawValue }

    /// What the client must see.
    enum Expectation: Equatable {
        /// Nothing was sent before the fault was known: a complete OCI JSON error response
        /// with exactly this status.
        case error(status: Int)
        /// Either that error, or (when the response head had already gone out) a 200 whose
        /// connection closes or resets before its Content-Length.
        case errorOrCutShort(status: Int)
    }

    /// The upstream read-stall timeout the tests configure (shrunk from 30 s).
    static let readStallTimeout = Duration.milliseconds(500)

    var expectation: Expectation {
        switch self {
        case .connectionRefused, .redirectToAHostThatRefuses: .error(status: 503)
        case .resetBeforeHeaders, .redirectLoop, .giantResponseHeader, .malformedStatusLine, .status500, .status502:
            .error(status: 502)
        case .status503: .error(status: 503)
        case .tooManyRequestsWithRetryAfter: .error(status: 429)
        case .noAnswerLongerThanTheReadTimeout: .error(status: 504)
        case .stallAfterHeadersLongerThanTheReadTimeout: .errorOrCutShort(status: 504)
        case .resetMidBody, .bodyShorterThanContentLength, .contentLengthShorterThanTheBlob, .htmlErrorPageWith200,
            .malformedChunkSize:
            .errorOrCutShort(status: 502)
        }
    }

    /// Whether Cistern must talk to a `SwitchableOrigin` (faults `FakeUpstream` cannot make).
    var needsSwitchableOrigin: Bool {
        self == .connectionRefused || self == .resetBeforeHeaders
    }

    /// Puts the fault in place for blob GETs on `upstream` (or on `origin`, for the faults
    /// only it can make); `blob` is the content the upstream stores.
    func install(on upstream: FakeUpstream, origin: SwitchableOrigin, blob: [UInt8]) throws {
        let blobByteCount = blob.count
        let blobs = FakeUpstream.Scope.route(.blob)
        switch self {
        case .connectionRefused:
            try origin.set(.refusing)
        case .resetBeforeHeaders:
            try origin.set(.resettingAfterRequestHead)
        case .noAnswerLongerThanTheReadTimeout:
            upstream.setBehaviour(.delayBeforeHeaders(Self.readStallTimeout * 6), for: blobs, method: "GET")
        case .resetMidBody:
            upstream.setBehaviour(.resetAfter(bodyByteCount: blobByteCount / 2), for: blobs, method: "GET")
        case .bodyShorterThanContentLength:
            upstream.setBehaviour(.closeAfter(bodyByteCount: blobByteCount / 2), for: blobs, method: "GET")
        case .contentLengthShorterThanTheBlob:
            // Content-Length announces half the blob; the other half follows as extra bytes.
            upstream.setBehaviour(.wrongBytes(replacement: Array(blob.prefix(blobByteCount / 2))), for: blobs, method: "GET")
            upstream.setBehaviour(.extraBodyBytes(byteCount: blobByteCount - blobByteCount / 2), for: blobs, method: "GET")
        case .htmlErrorPageWith200:
            upstream.setBehaviour(.htmlErrorPage, for: blobs, method: "GET")
        case .tooManyRequestsWithRetryAfter:
            upstream.setBehaviour(.tooManyRequests(retryAfterSeconds: 17), for: blobs, method: "GET")
        case .status500:
            upstream.setBehaviour(.status(500), for: blobs, method: "GET")
        case .status502:
            upstream.setBehaviour(.status(502), for: blobs, method: "GET")
        case .status503:
            upstream.setBehaviour(.status(503), for: blobs, method: "GET")
        case .stallAfterHeadersLongerThanTheReadTimeout:
            upstream.setBehaviour(.stallAfterHeaders(Self.readStallTimeout * 6), for: blobs, method: "GET")
        case .redirectLoop:
            upstream.setBehaviour(.redirectLoop(), for: blobs, method: "GET")
        case .redirectToAHostThatRefuses:
            let closedPort = try FreePort.loopback()
            upstream.setBehaviour(.redirect(.sameTargetOn(baseURL: "http://127.0.0.1:\(closedPort)")), for: blobs, method: "GET")
        case .giantResponseHeader:
            upstream.setBehaviour(.giantHeader(byteCount: 300 * 1024), for: blobs, method: "GET")
        case .malformedChunkSize:
            upstream.setBehaviour(.chunked(chunkByteCount: 4096, malformedSize: true), for: blobs, method: "GET")
        case .malformedStatusLine:
            upstream.setBehaviour(.malformedStatusLine("HTTP/1.1 2OO OK"), for: blobs, method: "GET")
        }
    }

    /// Takes the fault away again.
    func remove(from upstream: FakeUpstream, origin: SwitchableOrigin) throws {
        upstream.removeAllBehaviours()
        if needsSwitchableOrigin { try origin.set(.relaying(toPort: upstream.port)) }
    }
}
