/// Where a waiter's next body bytes come from, and up to where: the fill's growing
/// temporary file, its memory window (the cache refused the bytes), or the verified
/// file. Pure: decided from the fill's published phase and written count, so the
/// client connection only asks "how much may I send from where".
///
/// The blob's last byte is held back until the digest verifies (`verified`): a fill
/// that fails never hands anyone a complete-looking wrong body.
enum BodySource: Equatable {
    /// `sendfile` from the fill's temporary file, bytes `[offset, limit)`.
    case growingFile(limit: Int64)
    /// Copy from the fill's memory window, bytes `[offset, limit)`.
    case memoryWindow(limit: Int64)
    /// `sendfile` from the verified file (being committed, committed, or unlinked after a
    /// failed commit), bytes `[offset, limit)`.
    case verifiedFile(limit: Int64)
    /// Nothing new yet: wait for the fill.
    case notYet
    /// Every byte up to `end` was sent.
    case complete
    /// The fill failed (or the bytes are nowhere): abort the response.
    case failed

    /// How many bytes of a response ending at `end` (exclusive) may be sent: `[0, limit)`;
    /// nil once the fill failed. The blob's final byte waits for the verdict.
    static func readableLimit(phase: Fill.Phase, writtenByteCount: Int64, end: Int64) -> Int64? {
        switch phase {
        case .failed:
            return nil
        case .verified:
            return end
        case .awaitingHead:
            return 0
        case .streaming(let size):
            let limit = end >= size ? min(writtenByteCount, size - 1) : min(writtenByteCount, end)
            return max(0, limit)
        }
    }

    /// The source for body offset `offset` of a response ending at `end` (bytes).
    /// - Parameters:
    ///   - hasFile: whether the fill writes a temporary file.
    ///   - windowFirstOffset: the memory window's first body offset, nil without one.
    static func locate(offset: Int64, end: Int64, phase: Fill.Phase, writtenByteCount: Int64,
                       hasFile: Bool, windowFirstOffset: Int64?) -> BodySource {
        if offset >= end { return .complete }
        guard let limit = readableLimit(phase: phase, writtenByteCount: writtenByteCount, end: end) else { return .failed }
        if offset >= limit { return .notYet }
        if let windowFirstOffset, offset >= windowFirstOffset { return .memoryWindow(limit: limit) }
        guard hasFile else { return .failed }
        // Bytes before the window's start are in the file; the window takes over after them.
        let fileLimit = windowFirstOffset.map { min(limit, $0) } ?? limit
        if case .verified = phase, windowFirstOffset == nil { return .verifiedFile(limit: fileLimit) }
        return .growingFile(limit: fileLimit)
    }
}
