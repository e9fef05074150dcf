// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "joblogd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "JobLogProtocol", targets: ["JobLogProtocol"]),
        .library(name: "JobLogClient", targets: ["JobLogClient"]),
        .executable(name: "joblogd", targets: ["joblogd"]),
        .executable(name: "joblog", targets: ["joblog"]),
        .executable(name: "joblog-bench", targets: ["joblog-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Documentation only (`swift package generate-documentation`): adds no code to any product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .target(name: "JobLogJSON", swiftSettings: strict),
        .target(name: "JobLogModel", dependencies: ["JobLogJSON"], swiftSettings: strict),
        .target(name: "JobLogProtocol", dependencies: ["JobLogJSON", "JobLogModel"], swiftSettings: strict),
        // The run rules as a pure state machine: no database, no NIO.
        .target(name: "JobLogRules", dependencies: ["JobLogJSON", "JobLogModel"], swiftSettings: strict),
        .target(
            name: "JobLogStore",
            dependencies: [
                "JobLogJSON",
                "JobLogModel",
                "JobLogRules",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The PostgreSQL store backend (issue 17): the same `StoreBackend` on a shared database.
        .target(
            name: "JobLogPostgres",
            dependencies: [
                "JobLogJSON",
                "JobLogModel",
                "JobLogStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // TLS to the database (`sslmode`, `sslrootcert`): postgres-nio's own TLS library.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // `joblogd copy-store` reads the SQLite store it moves.
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "JobLogServer",
            dependencies: [
                "JobLogProtocol",
                "JobLogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "JobLogHTTP",
            dependencies: [
                "JobLogServer",
                "JobLogProtocol",
                "JobLogJSON",
                "JobLogModel",
                "JobLogStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Web"],
            swiftSettings: strict
        ),
        .target(
            name: "JobLogClient",
            dependencies: [
                "JobLogProtocol",
                "JobLogJSON",
                "JobLogModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "joblogd",
            dependencies: [
                "JobLogModel",
                "JobLogProtocol",
                "JobLogServer",
                "JobLogHTTP",
                "JobLogPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "joblog",
            dependencies: [
                "JobLogClient",
                "JobLogProtocol",
                "JobLogJSON",
                "JobLogModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "joblog-bench",
            dependencies: [
                "JobLogClient",
                "JobLogProtocol",
                "JobLogJSON",
                "JobLogServer",
                "JobLogStore",
                "JobLogPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "user-sync-example", dependencies: ["JobLogClient"], path: "Examples/UserSync",
            swiftSettings: strict),
        .testTarget(name: "JobLogJSONTests", dependencies: ["JobLogJSON"], swiftSettings: strict),
        .testTarget(name: "JobLogModelTests", dependencies: ["JobLogModel"], swiftSettings: strict),
        .testTarget(
            name: "JobLogProtocolTests", dependencies: ["JobLogProtocol", "JobLogJSON", "JobLogModel"],
            swiftSettings: strict),
        .testTarget(
            name: "JobLogRulesTests", dependencies: ["JobLogRules", "JobLogModel", "JobLogJSON"], swiftSettings: strict),
        .testTarget(
            name: "JobLogStoreTests",
            dependencies: ["JobLogStore", "JobLogRules", "JobLogModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "JobLogServerTests",
            dependencies: [
                "JobLogServer", "JobLogProtocol", "JobLogStore", "JobLogModel", "JobLogJSON", "JobLogPostgres",
                "JobLogTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "JobLogTestSupport", dependencies: ["JobLogClient", "JobLogJSON", "JobLogModel"],
            path: "Tests/Support",
            swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["JobLogClient", "JobLogJSON", "JobLogModel", "JobLogProtocol", "JobLogTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CLITests", dependencies: ["JobLogTestSupport", "JobLogJSON"], swiftSettings: strict),
        .testTarget(
            name: "ServiceTests",
            dependencies: ["JobLogTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "JobLogHTTPTests",
            dependencies: [
                "JobLogHTTP", "JobLogServer", "JobLogStore", "JobLogProtocol", "JobLogJSON", "JobLogModel",
                "JobLogTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "JobLogClientTests",
            dependencies: ["JobLogClient", "JobLogJSON", "JobLogModel", "JobLogProtocol", "JobLogTestSupport"],
            swiftSettings: strict),
    ]
)
