// swift-tools-version: 6.1
import PackageDescription

// Module graph (A <- B means B depends on A); see ARCHITECTURE.md.
//   LanceKernels (codecs, bit-packing, distance: no dependencies)
//   LanceCore (errors, data types, schema)
//   LanceCore, LanceKernels <- LanceArrow (arrays, RecordBatch, Arrow IPC, JSON rendering)
//   LanceProto (generated protobuf messages) ; LanceArrow <- LanceIO (object stores)
//   LanceArrow, LanceProto, LanceIO <- LanceFile (Lance v2 file reader/writer)
//   LanceFile <- Lance (datasets: manifests, versions, tags, scan, take)
//   Lance <- LanceBench (the benchmark workload) ; Lance, LanceBench <- LanceCLI <- lancelet (executable)
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Lancelet",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "Lance", targets: ["Lance"]),
        .library(name: "LanceArrow", targets: ["LanceArrow"]),
        .library(name: "LanceKernels", targets: ["LanceKernels"]),
        .library(name: "LanceExpr", targets: ["LanceExpr"]),
        .executable(name: "lancelet", targets: ["lancelet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(name: "LanceKernels", swiftSettings: swift6),
        .target(name: "LanceCore", swiftSettings: swift6),
        .target(name: "LanceArrow", dependencies: ["LanceCore", "LanceKernels"], swiftSettings: swift6),
        .target(name: "LanceProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                swiftSettings: swift6),
        .target(name: "LanceExpr", dependencies: ["LanceCore", "LanceArrow"], swiftSettings: swift6),
        .target(name: "LanceIO", dependencies: ["LanceCore", "LanceArrow"], swiftSettings: swift6),
        .target(name: "LanceFile",
                dependencies: ["LanceCore", "LanceArrow", "LanceKernels", "LanceProto", "LanceIO",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                swiftSettings: swift6),
        .target(name: "Lance",
                dependencies: ["LanceCore", "LanceArrow", "LanceKernels", "LanceProto", "LanceIO", "LanceFile", "LanceExpr",
                               .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                swiftSettings: swift6),
        .target(name: "LanceBench", dependencies: ["Lance", "LanceArrow", "LanceCore"], swiftSettings: swift6),
        .target(name: "LanceCLI",
                dependencies: ["Lance", "LanceBench", "LanceDemo", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: swift6),
        .target(name: "LanceDemo", dependencies: ["LanceArrow", "LanceCore"], swiftSettings: swift6),
        .executableTarget(name: "lancelet", dependencies: ["LanceCLI"], swiftSettings: swift6),
        .executableTarget(name: "codec-bench", dependencies: ["LanceKernels"], path: "Benchmarks/CodecBench",
                          swiftSettings: swift6),

        // Shared by the test targets only: the reference Python, child processes, scratch dirs, a seeded PRNG.
        .target(name: "LanceTestSupport", dependencies: ["LanceCore"], path: "Tests/LanceTestSupport",
                swiftSettings: swift6),
        .testTarget(name: "LanceKernelsTests", dependencies: ["LanceKernels", "LanceTestSupport"],
                    resources: [.copy("Vectors")], swiftSettings: swift6),
        .testTarget(name: "LanceArrowTests", dependencies: ["LanceArrow", "LanceTestSupport"], swiftSettings: swift6),
        .testTarget(name: "LanceFileTests", dependencies: ["LanceFile", "LanceIO", "LanceTestSupport"], swiftSettings: swift6),
        .testTarget(name: "LanceTests", dependencies: ["Lance", "LanceIO", "LanceFile", "LanceTestSupport"], swiftSettings: swift6),
        .testTarget(name: "LanceExprTests", dependencies: ["LanceExpr", "LanceArrow", "LanceCore", "LanceTestSupport"], swiftSettings: swift6),
        .testTarget(name: "LanceDemoTests", dependencies: ["LanceDemo", "LanceTestSupport"], swiftSettings: swift6),
        .testTarget(name: "ConformanceTests", dependencies: ["Lance", "LanceArrow", "LanceCLI", "LanceTestSupport"],
                    swiftSettings: swift6),
        .testTarget(name: "WriteCLITests", dependencies: ["Lance", "LanceArrow", "LanceCore", "LanceCLI", "LanceTestSupport"], swiftSettings: swift6),
    ]
)
