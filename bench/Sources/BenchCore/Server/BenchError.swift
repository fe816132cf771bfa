import Glibc

/// Errors the harness reports.
public enum BenchError: Error, CustomStringConvertible {
    /// A system call failed: what was attempted and the errno.
    case system(String, Int32)
    /// A request or run could not be set up.
    case invalid(String)

    public var description: String {
        switch self {
        case .system(let what, let errno): "\(what): \(String(cString: strerror(errno)))"
        case .invalid(let what): what
        }
    }
}
