import Foundation
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto

/// What pylance's `index_statistics(name)` reports about the rows an index covers, plus the
/// partition layout of a vector index.
public struct IndexStatistics: Sendable, Hashable {
    public var name: String
    /// pylance's type name ("IVF_PQ", "IVF_FLAT", "BTree", …).
    public var indexType: String
    /// Segments (delta indices) with this name.
    public var numIndices: Int
    public var numIndexedFragments: Int
    /// Live rows of the fragments the index covers.
    public var numIndexedRows: Int
    public var numUnindexedFragments: Int
    /// Live rows of the fragments it does not cover (appended after the build).
    public var numUnindexedRows: Int
    /// Vector indices: the distance type stored in the index ("l2", "cosine", "dot").
    public var metric: String?
    /// Vector indices: rows per IVF partition (summed over segments with the same partition count).
    public var partitionSizes: [Int]?
    public var numPartitions: Int? { partitionSizes?.count }
}

extension Dataset {
    /// The indices of this version, sorted by name (pylance's `list_indices()`).
    public func listIndices() throws -> [IndexInfo] { try indices() }

    /// Indexed and unindexed row counts of the index `name` (pylance's `index_statistics`).
    /// Throws `notFound` when the version has no index of that name.
    public func indexStats(_ name: String) async throws -> IndexStatistics {
        let segments = indexMetadata.filter { $0.name == name }
        guard let first = segments.first else {
            throw LanceError.notFound("no index named `\(name)` (indices: \(Set(indexMetadata.map(\.name)).sorted().joined(separator: ", ")))")
        }
        let info = try Dataset.indexInfo(first, schema: lanceSchema, path: manifestPath)
        var covered = Set<UInt64>()
        for s in segments {
            let i = try Dataset.indexInfo(s, schema: lanceSchema, path: manifestPath)
            for f in i.fragmentIds ?? [] { covered.insert(UInt64(f)) }
        }
        var stats = IndexStatistics(name: name, indexType: info.type, numIndices: segments.count, numIndexedFragments: 0,
                                    numIndexedRows: 0, numUnindexedFragments: 0, numUnindexedRows: 0)
        for f in fragments {
            let live = try await liveRows(f)
            if covered.contains(f.id) {
                stats.numIndexedFragments += 1
                stats.numIndexedRows += live
            } else {
                stats.numUnindexedFragments += 1
                stats.numUnindexedRows += live
            }
        }
        if info.type.hasPrefix("IVF_") {
            for s in segments {
                let uuid = Dataset.uuidString([UInt8](s.uuid.uuid))
                guard let (metric, lengths) = try await ivfLayout(directory: "_indices/" + uuid) else { continue }
                stats.metric = stats.metric ?? metric
                if let have = stats.partitionSizes, have.count == lengths.count {
                    stats.partitionSizes = zip(have, lengths).map { $0 + $1 }
                } else if stats.partitionSizes == nil {
                    stats.partitionSizes = lengths
                }
            }
        }
        return stats
    }

    /// The distance type and partition lengths recorded in a vector index's `auxiliary.idx`
    /// (nil when the index has no such file, as older layouts).
    func ivfLayout(directory: String) async throws -> (String, [Int])? {
        let path = directory + "/auxiliary.idx"
        let object: any ReadableObject
        do {
            object = try await store.open(path)
        } catch let e as LanceError where e.code == .notFound {
            return nil
        }
        let reader = try await LanceFileReader.open(object)
        let meta = try reader.schema().metadata
        guard let ivfText = meta["lance:ivf"], let gb = Int(ivfText), gb >= 0, gb < reader.globalBuffers.count else {
            throw LanceError.corrupt("vector index file has no `lance:ivf` global buffer", path: path)
        }
        let bytes = try await reader.globalBuffer(gb)
        let ivf = try bytes.withUnsafeBytes { try Lance_Index_Pb_IVF(serializedBytes: Array($0)) }
        return (meta["distance_type"] ?? "l2", ivf.lengths.map(Int.init))
    }
}
