import Foundation
import LanceCore
import LanceFile
import LanceKernels
import LanceProto

/// An index of the dataset, as `list_indices()` in pylance describes it.
public struct IndexInfo: Sendable, Hashable {
    public var name: String
    /// pylance's type name: "BTree", "Bitmap", "IVF_PQ", "IVF_HNSW_SQ", …
    public var type: String
    /// Names of the indexed fields (dotted paths for nested fields).
    public var fields: [String]
    /// Lowercase 8-4-4-4-12 hex.
    public var uuid: String
    /// The version the index was built at.
    public var datasetVersion: UInt64
    /// Fragments the index covers (nil when the bitmap cannot be decoded by this build).
    public var fragmentIds: [UInt32]?
    /// The type URL of the index details (`/lance.table.BTreeIndexDetails`, …).
    public var detailsTypeURL: String
}

extension Dataset {
    /// The indices of this version, sorted by name.
    public func indices() throws -> [IndexInfo] {
        try indexMetadata.map { try Dataset.indexInfo($0, schema: lanceSchema, path: manifestPath) }
            .sorted { ($0.name, $0.uuid) < ($1.name, $1.uuid) }
    }

    static func indexInfo(_ m: Lance_Table_IndexMetadata, schema: LanceSchema, path: String) throws -> IndexInfo {
        var names: [String] = []
        for id in m.fields {
            guard let p = fieldPath(id: id, in: schema.fields, prefix: "") else {
                throw LanceError.corrupt("index `\(m.name)` refers to field id \(id), which is not in the schema", path: path)
            }
            names.append(p)
        }
        var fragmentIds: [UInt32]?
        if !m.fragmentBitmap.isEmpty {
            do {
                fragmentIds = try m.fragmentBitmap.withUnsafeBytes { raw throws(CodecError) in
                    try RoaringBitmap(serialized: raw)
                }.sortedValues
            } catch let error as CodecError {
                if error.kind != .unsupported {
                    throw LanceError.corrupt("fragment bitmap of index `\(m.name)` does not decode: \(error.message)", path: path)
                }
            }
        } else {
            fragmentIds = []
        }
        let url = m.hasIndexDetails ? m.indexDetails.typeURL : ""
        return IndexInfo(name: m.name, type: typeName(url: url, details: m.hasIndexDetails ? [UInt8](m.indexDetails.value) : []),
                         fields: names, uuid: uuidString([UInt8](m.uuid.uuid)), datasetVersion: m.datasetVersion,
                         fragmentIds: fragmentIds, detailsTypeURL: url)
    }

    static func fieldPath(id: Int32, in fields: [LanceField], prefix: String) -> String? {
        for f in fields {
            let name = prefix.isEmpty ? f.name : prefix + "." + f.name
            if f.id == id { return name }
            if let p = fieldPath(id: id, in: f.children, prefix: name) { return p }
        }
        return nil
    }

    static func uuidString(_ b: [UInt8]) -> String {
        let hex = b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        guard hex.count == 16 else { return hex.joined() }
        return [hex[0 ..< 4], hex[4 ..< 6], hex[6 ..< 8], hex[8 ..< 10], hex[10 ..< 16]].map { $0.joined() }.joined(separator: "-")
    }

    /// pylance's name for an index type, from its details' type URL (and, for vector indices, the details).
    static func typeName(url: String, details: [UInt8]) -> String {
        let typeName = url.split(separator: "/").last.map(String.init) ?? url
        let short = typeName.split(separator: ".").last.map(String.init) ?? typeName
        if short == "VectorIndexDetails" {
            // Details fields seen in pylance 14: 3 hnsw, 4 pq, 5 sq, 6 rq, 8 flat.
            let present = topLevelFieldNumbers(details)
            let hnsw = present.contains(3)
            let quantizer: String
            if present.contains(4) { quantizer = "PQ" }
            else if present.contains(5) { quantizer = "SQ" }
            else if present.contains(6) { quantizer = "RQ" }
            else if present.contains(8) { quantizer = "FLAT" }
            else { quantizer = hnsw ? "FLAT" : "PQ" }
            return "IVF_" + (hnsw ? "HNSW_" : "") + quantizer
        }
        if short.isEmpty { return "Unknown" }
        if short.hasSuffix("IndexDetails"), short.count > "IndexDetails".count { return String(short.dropLast("IndexDetails".count)) }
        return short
    }

    /// Field numbers present at the top level of a protobuf message (empty if it does not parse).
    static func topLevelFieldNumbers(_ b: [UInt8]) -> Set<UInt64> {
        var out = Set<UInt64>()
        var i = 0
        func varint() -> UInt64? {
            var r: UInt64 = 0, shift: UInt64 = 0
            while i < b.count, shift < 64 {
                let c = b[i]; i += 1
                r |= UInt64(c & 0x7F) << shift
                if c < 0x80 { return r }
                shift += 7
            }
            return nil
        }
        while i < b.count {
            guard let key = varint() else { return out }
            switch key & 7 {
            case 0: guard varint() != nil else { return out }
            case 1: i += 8
            case 5: i += 4
            case 2:
                guard let n = varint(), n <= UInt64(b.count - i) else { return out }
                i += Int(n)
            default: return out
            }
            out.insert(key >> 3)
        }
        return out
    }
}
