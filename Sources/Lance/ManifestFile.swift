import Foundation
import LanceArrow
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf

/// Names and framing of the manifest files under `_versions/`.
enum ManifestFile {
    static let directory = "_versions"

    /// How a dataset names its manifests.
    enum Naming: Sendable, Hashable {
        /// `{2^64 - 1 - v}` zero-padded to 20 digits (pylance's default).
        case v2
        /// `{v}.manifest`.
        case v1
    }

    /// The version a manifest file name stands for, or nil for anything that is not a manifest name.
    static func parse(name: String) -> (version: UInt64, naming: Naming)? {
        guard name.hasSuffix(".manifest") else { return nil }
        let stem = name.dropLast(".manifest".count)
        guard !stem.isEmpty, stem.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt64(stem) else { return nil }
        if stem.count == 20 { return (UInt64.max - n, .v2) }
        return (n, .v1)
    }

    static func name(version: UInt64, naming: Naming) -> String {
        switch naming {
        case .v1: return "\(version).manifest"
        case .v2:
            let s = String(UInt64.max - version)
            return String(repeating: "0", count: max(0, 20 - s.count)) + s + ".manifest"
        }
    }

    /// Every manifest in `_versions/`: version → path (relative to the store root).
    static func list(_ store: any ObjectStore, base: String) async throws -> [UInt64: String] {
        let metas = try await store.list(joinPath(base, directory))
        var out: [UInt64: String] = [:]
        for m in metas {
            let name = m.path.split(separator: "/").last.map(String.init) ?? m.path
            guard let (v, _) = parse(name: name) else { continue }
            out[v] = m.path
        }
        return out
    }

    /// A decoded manifest file: the manifest message and the index metadata of its index section.
    struct Decoded: Sendable {
        var manifest: Lance_Table_Manifest
        var indices: [Lance_Table_IndexMetadata]
    }

    /// Decodes the framing (see the format guide §3.2), the Manifest and the IndexSection.
    static func decode(_ bytes: Buffer, path: String) throws -> Decoded {
        let size = bytes.count
        guard size >= 16 + 4 else {
            throw LanceError.corrupt("manifest file is \(size) bytes, too small", path: path)
        }
        guard bytes.slice(size - 4, 4).bytes == Array("LANC".utf8) else {
            throw LanceError.corrupt("manifest file does not end with the LANC magic", path: path, position: UInt64(size - 4))
        }
        let rawPos = bytes.load(Int64.self, byteOffset: size - 16)
        let end = size - 16
        guard rawPos >= 0, rawPos <= Int64(end - 4) else {
            throw LanceError.corrupt("manifest position \(rawPos) lies outside the file (size \(size))", path: path,
                                     position: UInt64(size - 16))
        }
        let pos = Int(rawPos)
        let len = Int(bytes.load(UInt32.self, byteOffset: pos))
        guard pos + 4 + len == end else {
            throw LanceError.corrupt("manifest at \(pos) declares \(len) bytes but \(end - pos - 4) precede the footer",
                                     path: path, position: UInt64(pos))
        }
        let manifest: Lance_Table_Manifest
        do {
            manifest = try bytes.slice(pos + 4, len).withUnsafeBytes { try Lance_Table_Manifest(serializedBytes: Array($0)) }
        } catch {
            throw LanceError.corrupt("manifest is not a valid Manifest protobuf: \(error)", path: path, position: UInt64(pos))
        }
        var indices: [Lance_Table_IndexMetadata] = []
        if manifest.hasIndexSection {
            let o = manifest.indexSection
            guard o <= UInt64(end - 4) else {
                throw LanceError.corrupt("index section offset \(o) lies outside the file", path: path, position: o)
            }
            let io = Int(o)
            let ilen = Int(bytes.load(UInt32.self, byteOffset: io))
            guard ilen <= end - io - 4 else {
                throw LanceError.corrupt("index section at \(io) declares \(ilen) bytes, past the end", path: path, position: o)
            }
            do {
                let section = try bytes.slice(io + 4, ilen).withUnsafeBytes {
                    try Lance_Table_IndexSection(serializedBytes: Array($0))
                }
                indices = section.indices
            } catch {
                throw LanceError.corrupt("index section is not a valid IndexSection protobuf: \(error)", path: path, position: o)
            }
        }
        return Decoded(manifest: manifest, indices: indices)
    }

    /// Reads and decodes one manifest file.
    static func load(_ store: any ObjectStore, path: String) async throws -> Decoded {
        let object = try await store.open(path)
        // Manifests with many fragments are large but still bounded; refuse absurd sizes.
        guard object.size <= 1 << 31 else {
            throw LanceError.corrupt("manifest file is \(object.size) bytes, larger than Lancelet accepts", path: object.path)
        }
        return try decode(try await object.readAll(), path: object.path)
    }
}

/// Reader feature flags (`Manifest.reader_feature_flags`) and which of them Lancelet implements.
public enum FeatureFlags {
    public static let deletionFiles: UInt64 = 1
    public static let stableRowIds: UInt64 = 2
    public static let useV2Format: UInt64 = 4
    public static let tableConfig: UInt64 = 8
    public static let basePaths: UInt64 = 16
    public static let disableTransactionFile: UInt64 = 32
    /// Data overlay files (unreleased in pylance 14): must be refused, ignoring them returns stale values.
    public static let dataOverlayFiles: UInt64 = 64
    /// MemWAL index catch-up tracking.
    public static let memWalIndexCatchup: UInt64 = 128
    /// Fragments of different data file versions coexist (pylance 14 sets it when an append uses
    /// another `data_storage_version`); Lancelet always dispatches on each file's own version.
    public static let mixedFileVersions: UInt64 = 256

    /// The reader flags Lancelet implements.
    public static let understood: UInt64 = deletionFiles | stableRowIds | useV2Format | tableConfig | disableTransactionFile
        | mixedFileVersions

    /// Throws `unsupported` naming the lowest reader flag bit Lancelet does not implement.
    static func check(reader flags: UInt64, path: String) throws {
        let unknown = flags & ~understood
        guard unknown != 0 else { return }
        let bit = UInt64(1) << UInt64(unknown.trailingZeroBitCount)
        let names: [UInt64: String] = [basePaths: "multiple base paths", dataOverlayFiles: "data overlay files",
                                       memWalIndexCatchup: "MemWAL index catch-up"]
        let what = names[bit].map { " (\($0))" } ?? ""
        throw LanceError.unsupported("manifest sets reader feature flag \(bit)\(what), which Lancelet does not implement",
                                     path: path)
    }
}
