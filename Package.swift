// swift-tools-version:6.0
// Cistern: a pull-through cache for OCI / Docker registries on its own epoll loops.
import PackageDescription

/// Release builds of Cistern's targets drop Swift's dynamic exclusivity checks: on a HEAD
/// hit they were about 2,100 of 32,000 instructions (`swift_beginAccess`, its access set and
/// thread-local lookup; callgrind, bench/RESULTS.md "Issue 19, session 8"). The compiler's
/// static checks stay, and debug builds (every test, both sanitizers) keep the dynamic ones.
let proxySettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "cistern",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cistern", targets: ["ProxyMain"]),
        .library(name: "Proxy", targets: ["Proxy"]),
        .executable(name: "cistern-bench", targets: ["cistern-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Mechanism only: syscalls, the HTTP/1.1 parser, OpenSSL, zlib and libcrypt over caller buffers.
        .target(
            name: "CEpoll",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("z"), .linkedLibrary("crypt")]
        ),
        // Cistern's own code, one target per layer; each depends only on the layers listed
        // before it (the compiler enforces the direction).
        // Locks, clocks, errors and files: the mechanics everything else stands on.
        .target(
            name: "ProxySystem",
            dependencies: ["CEpoll"],
            path: "Sources/Proxy/System",
            swiftSettings: proxySettings
        ),
        // The epoll event loop, its timers and threads.
        .target(
            name: "ProxyLoop",
            dependencies: ["ProxySystem", "CEpoll"],
            path: "Sources/Proxy/Loop",
            swiftSettings: proxySettings
        ),
        // The I/O pool: blocking disk work off the loops.
        .target(
            name: "ProxyIO",
            dependencies: ["ProxySystem", "ProxyLoop"],
            path: "Sources/Proxy/IO",
            swiftSettings: proxySettings
        ),
        // Prometheus counters and gauges.
        .target(
            name: "ProxyMetrics",
            dependencies: ["ProxySystem", "CEpoll", .product(name: "Prometheus", package: "swift-prometheus")],
            path: "Sources/Proxy/Metrics",
            swiftSettings: proxySettings
        ),
        // HTTP/1.1 values: request and response heads, ranges (RFC 9110, 9112).
        .target(
            name: "ProxyHTTP",
            dependencies: ["CEpoll"],
            path: "Sources/Proxy/HTTP",
            swiftSettings: proxySettings
        ),
        // Registry values: names, references, digests, media types, routes, errors (OCI distribution spec).
        .target(
            name: "ProxyRegistry",
            dependencies: ["ProxyHTTP", "CEpoll"],
            path: "Sources/Proxy/Registry",
            swiftSettings: proxySettings
        ),
        // Log lines, redaction and the log writer thread.
        .target(
            name: "ProxyLogging",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyHTTP", "ProxyMetrics", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Proxy/Logging",
            swiftSettings: proxySettings
        ),
        // Configuration: flags, YAML, validation.
        .target(
            name: "ProxyConfig",
            dependencies: ["ProxyLogging", "ProxyHTTP", "ProxyRegistry", "CEpoll", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")],
            path: "Sources/Proxy/Config",
            swiftSettings: proxySettings
        ),
        // The cache on disk: blobs, manifests, tags, links.
        .target(
            name: "ProxyStore",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyIO", "ProxyMetrics", "ProxyRegistry", "ProxyConfig", "CEpoll", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Proxy/Store",
            swiftSettings: proxySettings
        ),
        // Cistern's own store of pushed images: repositories, tags, upload sessions (issue 16).
        .target(
            name: "ProxyStorage",
            dependencies: ["ProxySystem", "ProxyIO", "ProxyRegistry", "ProxyStore", "CEpoll"],
            path: "Sources/Proxy/Storage",
            swiftSettings: proxySettings
        ),
        // Client authentication (issue 17): htpasswd users, Cistern's own tokens, access decisions.
        .target(
            name: "ProxyAuth",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyIO", "ProxyRegistry", "ProxyConfig", "CEpoll"],
            path: "Sources/Proxy/Auth",
            swiftSettings: proxySettings
        ),
        // Upstream registries: connections, pool, auth tokens, DNS.
        .target(
            name: "ProxyUpstream",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyRegistry", "ProxyHTTP", "ProxyLogging", "ProxyMetrics", "ProxyConfig", "CEpoll"],
            path: "Sources/Proxy/Upstream",
            swiftSettings: proxySettings
        ),
        // Client connections: bytes, keep-alive, timeouts, behind RequestHandler.
        .target(
            name: "ProxyTransport",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyHTTP", "ProxyMetrics", "ProxyLogging", "ProxyConfig", "CEpoll", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Proxy/Transport",
            swiftSettings: proxySettings
        ),
        // Pull-through: manifest lookups, fills and their waiters (Fill/), the shared services.
        .target(
            name: "ProxyPullThrough",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyIO", "ProxyMetrics", "ProxyRegistry", "ProxyHTTP", "ProxyLogging", "ProxyConfig", "ProxyStore", "ProxyStorage", "ProxyUpstream", "ProxyTransport", "ProxyAuth", "CEpoll", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Proxy/PullThrough",
            swiftSettings: proxySettings
        ),
        // The server and its composition: loops, listeners, request routing.
        .target(
            name: "Proxy",
            dependencies: ["ProxySystem", "ProxyLoop", "ProxyIO", "ProxyMetrics", "ProxyRegistry", "ProxyHTTP", "ProxyLogging", "ProxyConfig", "ProxyStore", "ProxyStorage", "ProxyUpstream", "ProxyTransport", "ProxyPullThrough", "ProxyAuth", "CEpoll", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Proxy/Server",
            swiftSettings: proxySettings
        ),
        // `cistern warm`: pulls images through a running mirror with a small blocking HTTP/1.1
        // client (off the hot path), verifying every digest.
        .target(
            name: "ProxyWarm",
            dependencies: ["ProxySystem", "ProxyRegistry", "ProxyPullThrough", "CEpoll"],
            path: "Sources/Proxy/Warm",
            swiftSettings: proxySettings
        ),
        .executableTarget(
            name: "ProxyMain",
            dependencies: [
                "Proxy", "ProxyConfig", "ProxyPullThrough", "ProxyWarm", "ProxyLogging", "ProxySystem", "ProxyStore", "ProxyStorage", "ProxyRegistry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: proxySettings
        ),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "ProxySystem", "ProxyLoop", "ProxyIO", "ProxyMetrics", "ProxyRegistry", "ProxyHTTP", "ProxyLogging", "ProxyConfig", "ProxyStore", "ProxyStorage", "ProxyUpstream",
                "ProxyTransport", "ProxyPullThrough", "Proxy", "ProxyWarm", "ProxyAuth", "CEpoll",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // bench/: the load harness (issue 5). Load generator, counting origin and report logic.
        .target(
            name: "BenchCore",
            dependencies: ["CEpoll", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "bench/Sources/BenchCore"
        ),
        .executableTarget(
            name: "cistern-bench",
            dependencies: ["BenchCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "bench/Sources/cistern-bench"
        ),
        .testTarget(
            name: "BenchTests",
            dependencies: ["BenchCore"],
            path: "bench/Tests/BenchTests"
        ),
    ]
)
