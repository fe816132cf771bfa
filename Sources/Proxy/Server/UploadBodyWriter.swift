import ProxyStorage
import ProxyTransport

/// The ``RequestBodySink`` of a blob upload request (`POST ?digest=`, `PATCH`, `PUT`): each
/// piece of the body is appended to the held session's file with `pwrite` on the loop (as
/// fills write theirs: to the page cache, no fsync) and hashed, before the connection reads
/// the next; the blob is never held in memory. `maximumByteCount` (the `max_upload_size`)
/// stops the body past it.
///
/// Confinement: the connection's loop.
final class UploadBodyWriter: RequestBodySink {
    /// How the body ended for the upload.
    enum Outcome {
        case complete
        /// Past `max_upload_size`: 413.
        case tooLarge
        /// The file could not be written: 500.
        case writeFailed
        /// Malformed chunked framing: 400.
        case malformed
        /// The client went away: nobody to answer.
        case gone
    }

    private let session: UploadSession
    private let maximumByteCount: Int64
    private let completion: (Outcome) -> Void
    private var failure: Outcome?

    /// - Parameter maximumByteCount: the largest blob accepted; 0 = no limit.
    init(session: UploadSession, maximumByteCount: Int64, completion: @escaping (Outcome) -> Void) {
        self.session = session
        self.maximumByteCount = maximumByteCount
        self.completion = completion
    }

    func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if maximumByteCount > 0 && session.byteCount + Int64(bytes.count) > maximumByteCount {
            failure = .tooLarge
            return false
        }
        guard session.append(bytes) else {
            failure = .writeFailed
            return false
        }
        return true
    }

    func ended(_ end: RequestBodyEnd) {
        switch end {
        case .complete: completion(.complete)
        case .stopped: completion(failure ?? .writeFailed)
        case .failed(_, let malformed): completion(malformed ? .malformed : .gone)
        }
    }
}

/// The ``RequestBodySink`` of a manifest `PUT`: manifests are small documents (at most
/// ``ManifestStore/maximumByteCount``), gathered whole to be parsed and checked.
final class ManifestBodyCollector: RequestBodySink {
    enum Outcome {
        case complete([UInt8])
        case tooLarge
        case malformed
        case gone
    }

    private var bytes: [UInt8] = []
    private let maximumByteCount: Int
    private let completion: (Outcome) -> Void
    private var tooLarge = false

    init(maximumByteCount: Int, completion: @escaping (Outcome) -> Void) {
        self.maximumByteCount = maximumByteCount
        self.completion = completion
    }

    func received(_ piece: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + piece.count <= maximumByteCount else {
            tooLarge = true
            return false
        }
        bytes.append(contentsOf: piece)
        return true
    }

    func ended(_ end: RequestBodyEnd) {
        switch end {
        case .complete: completion(.complete(bytes))
        case .stopped: completion(tooLarge ? .tooLarge : .malformed)
        case .failed(_, let malformed): completion(malformed ? .malformed : .gone)
        }
    }
}
