import Glibc
import ProxyPullThrough

/// The platform of this machine in OCI terms (image-index.md `platform`), the default of
/// `cistern warm --platform`: `uname -m` mapped as Go's GOARCH names it (`x86_64` → `amd64`,
/// `aarch64` → `arm64`, `armv7l` → `arm` variant `v7`), OS `linux`.
public enum MachinePlatform {
    /// This machine's platform.
    public static var current: Platform {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: &names.machine) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return platform(machine: machine)
    }

    /// The platform for a `uname -m` value; unknown machines keep their name.
    static func platform(machine: String) -> Platform {
        switch machine {
        case "x86_64", "amd64": Platform(os: "linux", architecture: "amd64", variant: nil)
        case "aarch64", "arm64": Platform(os: "linux", architecture: "arm64", variant: nil)
        case "armv7l", "armv7": Platform(os: "linux", architecture: "arm", variant: "v7")
        case "armv6l": Platform(os: "linux", architecture: "arm", variant: "v6")
        case "i386", "i686": Platform(os: "linux", architecture: "386", variant: nil)
        default: Platform(os: "linux", architecture: machine, variant: nil)
        }
    }
}
