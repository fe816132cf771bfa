import Foundation

/// What a client can rely on in one manifest response (distribution-spec "Pulling
/// manifests"), in the form two responses are compared: a mirror must give the same view as
/// the upstream answering the same request directly.
///
/// For a success that is status, Content-Type, Docker-Content-Digest, Content-Length and the
/// exact body bytes. For an error it is status, Content-Type and the OCI error code (the
/// message and detail are free text, so bodies and lengths of errors legitimately differ).
struct ManifestResponseView: Equatable, Sendable, CustomStringConvertible {
    /// The status code, nil when no status line arrived.
    let statusCode: Int?
    /// The Content-Type field.
    let contentType: String?
    /// Docker-Content-Digest (successes only).
    let digest: String?
    /// Content-Length as sent (successes only).
    let contentLength: String?
    /// The body (successes of GET only; empty for HEAD).
    let body: [UInt8]
    /// The first `errors[].code` of an error body (GET errors only).
    let errorCode: String?

    /// Projects `response` (a HEAD response has no body, so neither has its view).
    init(_ response: TestHTTPResponse) {
        statusCode = response.statusCode
        contentType = response.header("Content-Type")
        if let status = response.statusCode, (200..<300).contains(status) {
            digest = response.header("Docker-Content-Digest")
            contentLength = response.header("Content-Length")
            body = response.body
            errorCode = nil
        } else {
            digest = nil
            contentLength = nil
            body = []
            errorCode = OCIErrorDocument(response.body)?.codes.first
        }
    }

    var description: String {
        var text = "\(statusCode.map(String.init) ?? "no status") \(contentType ?? "-")"
        if let digest { text += " \(digest)" }
        if let contentLength { text += " length \(contentLength)" }
        if let errorCode { text += " \(errorCode)" }
        if !body.isEmpty { text += " body \(TestSHA256.digest(body))" }
        return text
    }
}
