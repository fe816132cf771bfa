import CEpoll

/// An open file descriptor shared by reference: a fill's temporary file or a
/// committed blob being served. The descriptor is closed when the last
/// reference goes away, so a waiter can keep `sendfile`-ing from a fill's file
/// after the fill has renamed (committed) or unlinked (failed) it.
///
/// Sendable: `descriptor` is immutable; the kernel serialises concurrent
/// `pread`/`sendfile`/`pwrite` on it, and none of them use the file offset.
public final class SharedFile: Sendable {
    /// The open descriptor (read/write for fills, read-only for hits).
    public let descriptor: Int32
    /// The committed file this descriptor reads, shared by every descriptor on it, so that an
    /// evicted file's bytes count until the last one closes (``FileHold``); nil for others.
    package let hold: FileHold?

    public init(descriptor: Int32) {
        self.descriptor = descriptor
        hold = nil
    }

    package init(descriptor: Int32, hold: FileHold?) {
        self.descriptor = descriptor
        self.hold = hold
    }

    /// Opens `path` read-only.
    public static func open(readingAt path: String) throws(SystemError) -> SharedFile {
        let fd = try SystemError.check(cep_open_read(path), "open \(path)")
        return SharedFile(descriptor: fd)
    }

    /// The file's current size in bytes.
    public func size() throws(SystemError) -> Int64 {
        try SystemError.check(cep_file_size(descriptor), "fstat")
    }

    deinit {
        _ = cep_close(descriptor)
    }
}
