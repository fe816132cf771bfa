import Testing

extension TestHTTPClient {
    /// Expects the server to send no further byte and to end the connection (FIN or RST)
    /// within 5 s: what a client sees after a final 4xx with `Connection: close`, or after
    /// bytes the server refuses to read as HTTP.
    func expectConnectionEndsWithNothingMore(_ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        let after = readRemaining(timeout: .seconds(5))
        #expect(after.bytes.isEmpty, "\(context) \(after.bytes.count) more bytes: \(String(decoding: after.bytes.prefix(200), as: UTF8.self))",
                sourceLocation: sourceLocation)
        #expect(after.ending == .complete || after.ending == .reset, "\(context) ending \(after.ending)", sourceLocation: sourceLocation)
    }
}
