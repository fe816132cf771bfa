import Foundation
import Glibc

/// An htpasswd file for distribution's `auth.htpasswd`, which accepts bcrypt entries only.
///
/// The hash comes from libxcrypt's `crypt_gensalt` / `crypt` with the `$2b$` prefix; Debian's
/// essential `libcrypt1` ships it, so neither apache2-utils' `htpasswd` nor libcrypt-dev is
/// needed (the library is opened with `dlopen`, nothing links against it).
enum HtpasswdFile {
    /// Errors producing a bcrypt hash.
    enum Failure: Error, Equatable {
        /// `libcrypt.so.1` or one of its symbols could not be loaded.
        case libcryptUnavailable(String)
        /// `crypt` returned no bcrypt hash.
        case hashFailed
    }

    /// `char *crypt_gensalt(const char *prefix, unsigned long count, const char *rbytes, int nrbytes)`.
    private typealias GenerateSalt = @convention(c)
        (UnsafePointer<CChar>?, UInt, UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>?
    /// `char *crypt(const char *phrase, const char *setting)`.
    private typealias Crypt = @convention(c)
        (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?

    /// Writes `username:<bcrypt hash of password>` (cost 5, the minimum x/crypt/bcrypt accepts
    /// is 4) to `file`.
    /// - Throws: `Failure` when libcrypt cannot hash, or the write error.
    static func write(username: String, password: String, to file: URL) throws {
        try Data("\(username):\(try bcrypt(password))\n".utf8).write(to: file)
    }

    /// Serialises calls: `crypt_gensalt` and `crypt` return pointers into static buffers.
    private static let staticBufferLock = FixtureLock(())

    /// The `$2b$05$…` bcrypt hash of `password` with a random salt.
    static func bcrypt(_ password: String) throws -> String {
        try staticBufferLock.withLock { _ in try bcryptHoldingLock(password) }
    }

    private static func bcryptHoldingLock(_ password: String) throws -> String {
        guard let library = dlopen("libcrypt.so.1", RTLD_NOW) else {
            throw Failure.libcryptUnavailable(String(cString: dlerror()))
        }
        guard let saltSymbol = dlsym(library, "crypt_gensalt"), let cryptSymbol = dlsym(library, "crypt") else {
            throw Failure.libcryptUnavailable("crypt_gensalt / crypt missing")
        }
        // Both return static buffers: copy each result before the next call.
        guard let salt = unsafeBitCast(saltSymbol, to: GenerateSalt.self)("$2b$", 5, nil, 0).map({ String(cString: $0) }),
              let hash = unsafeBitCast(cryptSymbol, to: Crypt.self)(password, salt).map({ String(cString: $0) }),
              hash.hasPrefix("$2b$")
        else { throw Failure.hashFailed }
        return hash
    }
}
