import Foundation
import LanceArrow
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf

/// The library name and version Lancelet records as a manifest's writer.
public enum LanceletVersion {
    public static let library = "lancelet"
    public static let version = "0.1.0"
}

extension ManifestFile {
    /// Encodes a manifest file (format guide §3.2): the index section (if any) and the transaction
    /// inline, then the manifest with its u32 length, then the 16-byte tail ending in `LANC`.
    ///
    /// Sets `index_section` and `transaction_section_v2` (field 23) in the manifest to the offsets
    /// it writes them at.
    static func encode(manifest input: Lance_Table_Manifest, transaction: Lance_Table_Transaction,
                       indices: [Lance_Table_IndexMetadata]) throws -> [UInt8] {
        var manifest = input
        var out: [UInt8] = []
        func appendFramed(_ bytes: [UInt8]) throws {
            guard bytes.count <= Int(UInt32.max) else {
                throw LanceError.invalid("manifest section of \(bytes.count) bytes does not fit a u32 length")
            }
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: bytes)
        }
        manifest.clearIndexSection()
        if !indices.isEmpty {
            var section = Lance_Table_IndexSection()
            section.indices = indices
            manifest.indexSection = UInt64(out.count)
            try appendFramed(try section.serializedBytes())
        }
        manifest.clearTransactionSection()
        manifest.transactionSectionV2 = UInt64(out.count)
        try appendFramed(try transaction.serializedBytes())
        let pos = out.count
        try appendFramed(try manifest.serializedBytes())
        withUnsafeBytes(of: Int64(pos).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt16(0).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt16(2).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array("LANC".utf8))
        return out
    }

    /// The transaction a manifest file carries inline, or nil when it has none we can find.
    static func inlineTransaction(_ bytes: Buffer, manifest: Lance_Table_Manifest) -> Lance_Table_Transaction? {
        let offset: UInt64
        if manifest.hasTransactionSectionV2 {
            offset = manifest.transactionSectionV2
        } else if manifest.hasTransactionSection {
            offset = manifest.transactionSection
        } else {
            return nil
        }
        guard offset <= UInt64(bytes.count), bytes.count - Int(offset) >= 4 else { return nil }
        let o = Int(offset)
        let len = Int(bytes.load(UInt32.self, byteOffset: o))
        guard len <= bytes.count - o - 4 else { return nil }
        return try? bytes.slice(o + 4, len).withUnsafeBytes { try Lance_Table_Transaction(serializedBytes: Array($0)) }
    }
}

/// A random RFC 4122 version-4 UUID in lowercase.
func newUUIDString() -> String { UUID().uuidString.lowercased() }

/// The current time as a protobuf timestamp.
func nowTimestamp() -> Google_Protobuf_Timestamp {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = Google_Protobuf_Timestamp()
    t.seconds = Int64(ts.tv_sec)
    t.nanos = Int32(ts.tv_nsec)
    return t
}
