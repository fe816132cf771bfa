// swift-tools-version:6.0
// Cistern: a pull-through cache for OCI / Docker registries on its own epoll loops.
import PackageDescription

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
        // Mechanism only: syscalls, the HTTP/1.1 parser, OpenSSL and zlib over caller buffers.
        .target(
            name: "CEpoll",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("z")]
        ),
        .target(
            name: "Proxy",
            dependencies: [
                "CEpoll",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "ProxyMain",
            dependencies: [
                "Proxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy", "CEpoll",
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
