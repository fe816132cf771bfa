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
        /// The error status either way.
        var status: Int {
            switch self {
            case .error(let status), .errorOrCutShort(let status): status
            }
        }

        /// Nothing was sent before the fault was known: a complete OCI JSON error response
        /// with exactly this status.
        case error(status: Int)
        /// Either that error, or (when the response head had already gone out) a 200 whose
        /// connection closes or resets before its Content-Length.
        case errorOrCutShort(status: Int)

        /// How `response` falls short of this expectation, nil when it meets it. Never a
        /// redirect; an error is complete, JSON, with an OCI error body
        /// (`{"errors":[{"code":…}]}`, distribution-spec "Error Codes").
        func problem(with response: TestHTTPResponse) -> String? {
            if let status = response.statusCode, (300..<400).contains(status) {
                return "a redirect reached the client: \(response.statusLine ?? "")"
            }
            let status: Int
            switch self {
            case .error(let expected):
                status = expected
            case .errorOrCutShort(let expected):
                status = expected
                if response.statusCode == 200 {
                    guard let declared = response.header("Content-Length").flatMap({ Int($0) }) else {
                        return "a 200 without Content-Length"
                    }
                    if response.body.count >= declared { return "a complete-looking body of \(response.body.count) bytes" }
                    if response.ending != .reset && response.ending != .closedEarly { return "a cut-short 200 ending \(response.ending)" }
                    return nil
                }
            }
            guard response.statusCode == status else {
                return "got \(response.statusLine ?? "no response") (\(response.ending)), expected \(status): \(response.bodyText.prefix(300))"
            }
            if !response.isComplete { return "the \(status) error ended \(response.ending)" }
            if response.header("Content-Type")?.hasPrefix("application/json") != true {
                return "Content-Type \(response.header("Content-Type") ?? "none")"
            }
            if Self.errorCodes(response).isEmpty { return "not an OCI error body: \(response.bodyText.prefix(300))" }
            return nil
        }

        /// The `code` of each entry of an OCI error body (`{"errors":[{"code":…}]}`).
        static func errorCodes(_ response: TestHTTPResponse) -> [String] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                  let errors = object["errors"] as? [[String: Any]]
            else { return [] }
            return errors.compactMap { $0["code"] as? String }
        }
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

    /// Puts the fault in place for GETs of `route` (blobs unless told otherwise) on
    /// `upstream` (or on `origin`, for the faults only it can make); `blob` is the content
    /// the upstream stores for that GET. The stalls last six times `readStallTimeout`, the
    /// timeout Cistern runs with.
    func install(on upstream: FakeUpstream, origin: SwitchableOrigin, blob: [UInt8],
                 readStallTimeout: Duration = Self.readStallTimeout, route: FakeUpstream.RouteKind = .blob) throws {
        let blobByteCount = blob.count
        let blobs = FakeUpstream.Scope.route(route)
        switch self {
        case .connectionRefused:
            try origin.set(.refusing)
        case .resetBeforeHeaders:
            try origin.set(.resettingAfterRequestHead)
        case .noAnswerLongerThanTheReadTimeout:
            upstream.setBehaviour(.delayBeforeHeaders(readStallTimeout * 6), for: blobs, method: "GET")
        // Every response is cut after an eighth of the blob: Cistern resumes a cut fill
        // with a Range request five times, so the first GET and its resumes bring at most
        // 6/8 of it, and the fill fails (an upstream that cuts once is survived instead).
        case .resetMidBody:
            upstream.setBehaviour(.resetAfter(bodyByteCount: blobByteCount / 8), for: blobs, method: "GET")
        case .bodyShorterThanContentLength:
            upstream.setBehaviour(.closeAfter(bodyByteCount: blobByteCount / 8), for: blobs, method: "GET")
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
            upstream.setBehaviour(.stallAfterHeaders(readStallTimeout * 6), for: blobs, method: "GET")
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
