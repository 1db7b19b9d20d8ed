import Foundation
@testable import LanceKernels
import LanceTestSupport

/// Shared helpers for the Zstd tests: vector loading and a seeded generator.
enum ZstdVectors {
    static var directory: URL {
        Bundle.module.url(forResource: "Vectors", withExtension: nil)!.appendingPathComponent("zstd")
    }

    static func load(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// (compressed file, input file) pairs listed in manifest.txt.
    static func manifest() throws -> [(zst: String, bin: String)] {
        let text = try String(contentsOf: directory.appendingPathComponent("manifest.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        }
    }
}

/// SplitMix64: small deterministic generator for seeded tests.
typealias ZstdTestRNG = SplitMix64
