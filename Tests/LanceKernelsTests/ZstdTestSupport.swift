import Foundation
@testable import LanceKernels

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
struct ZstdTestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
