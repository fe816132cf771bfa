import CEpoll
import ProxySystem

/// Replaces a small file so that a crash leaves either the old or the new contents, never
/// a torn one: write a temporary file, fsync it, rename it over `destination`, fsync the
/// directory. Blocks on the disk: the I/O pool or a tool, never a loop thread.
enum DurableReplace {
    /// Writes `bytes` to `destination` by way of `temporaryPath` (same filesystem), creating
    /// the destination's directory when missing. The temporary file is removed on failure.
    /// - Throws: `SystemError` naming the step (create, write, fsync, mkdir, rename).
    static func write(_ bytes: [UInt8], to destination: String, temporaryPath: String) throws(SystemError) {
        let directory = String(destination[..<(destination.lastIndex(of: "/") ?? destination.startIndex)])
        let fd = try SystemError.check(cep_open_create(temporaryPath), "create \(temporaryPath)")
        let file = SharedFile(descriptor: fd)
        do {
            let written = bytes.withUnsafeBytes { cep_pwrite_all(file.descriptor, $0.baseAddress, $0.count, 0) }
            _ = try SystemError.check(written, "write \(temporaryPath)")
            _ = try SystemError.check(cep_fsync(file.descriptor), "fsync \(temporaryPath)")
            _ = try SystemError.check(cep_mkdir_p(directory), "mkdir \(directory)")
            _ = try SystemError.check(cep_rename(temporaryPath, destination), "rename \(temporaryPath)")
        } catch {
            _ = cep_unlink(temporaryPath)
            throw error
        }
        _ = cep_fsync_dir(directory)
    }
}
