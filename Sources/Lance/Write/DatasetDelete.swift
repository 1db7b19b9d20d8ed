import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto

extension Dataset {
    /// Deleted rows per fragment from which pylance writes a roaring `.bin` instead of an Arrow `.arrow` file.
    static let bitmapDeletionThreshold = 5000

    /// Deletes the rows at logical `offsets` (scan order at this version, deleted rows skipped)
    /// and commits a new version. Fragments whose rows are all deleted are dropped.
    /// Throws `invalidInput` for an offset outside `0..<countRows()`.
    public func delete(offsets: [Int]) async throws -> Dataset {
        // Map logical offsets to (fragment, physical row).
        var perFragment: [Int: [UInt32]] = [:]
        let wanted = Array(Set(offsets)).sorted()
        var vectors: [Int: DeletionVector?] = [:]
        var k = 0
        var start = 0
        for (fi, f) in fragments.enumerated() {
            let live = try await liveRows(f)
            let end = start + live
            var dv: DeletionVector?? = nil
            while k < wanted.count, wanted[k] < end {
                guard wanted[k] >= start else {
                    throw LanceError.invalid("row offset \(wanted[k]) is negative")
                }
                if dv == nil { dv = .some(try await deletionVector(f)) }
                let local = wanted[k] - start
                let physical = dv!.map { $0.physical(ofLive: local) } ?? local
                perFragment[fi, default: []].append(UInt32(physical))
                k += 1
            }
            if let dv { vectors[fi] = dv }
            start = end
        }
        if k < wanted.count {
            throw LanceError.invalid("row offset \(wanted[k]) is out of range (the dataset has \(start) rows)")
        }
        if wanted.isEmpty { return self }
        var updated: [Lance_Table_DataFragment] = []
        var dropped: [UInt64] = []
        for (fi, rows) in perFragment.sorted(by: { $0.key < $1.key }) {
            let f = fragments[fi]
            var all = Set(rows)
            if let existing = vectors[fi] ?? nil { all.formUnion(existing.sorted) }
            if all.count >= f.physicalRows {
                dropped.append(f.id)
                continue
            }
            var proto = manifest.fragments.first { $0.id == f.id }!
            proto.deletionFile = try await writeDeletionFile(fragmentId: f.id, rows: all.sorted())
            updated.append(proto)
        }
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .delete(updated: updated, deletedIds: dropped,
                                                             predicate: "_rowoffset in (\(wanted.count) rows)"))
    }

    /// Writes a deletion file for `rows` of fragment `fragmentId` and returns its manifest entry.
    func writeDeletionFile(fragmentId: UInt64, rows: [UInt32]) async throws -> Lance_Table_DeletionFile {
        var d = Lance_Table_DeletionFile()
        d.readVersion = version
        d.id = UInt64.random(in: 1 ... UInt64(Int64.max))
        d.numDeletedRows = UInt64(rows.count)
        let bytes: [UInt8]
        if rows.count >= Dataset.bitmapDeletionThreshold {
            d.fileType = .bitmap
            bytes = RoaringBitmap(rows).serialized()
        } else {
            d.fileType = .arrowArray
            let schema = Schema([Field("row_id", .uint32, nullable: false)])
            let batch = try RecordBatch(schema: schema, columns: [ArrayData.primitive(.uint32, values: rows)])
            // pylance's deletion files declare ZSTD body compression (tiny buffers end up stored raw).
            bytes = try ArrowIPCWriter.file(schema: schema, batches: [batch], compression: .zstd)
        }
        let info = DeletionFileInfo(kind: d.fileType == .bitmap ? .bitmap : .arrow, readVersion: d.readVersion, id: d.id,
                                    numDeletedRows: rows.count)
        try await store.put(info.path(fragmentId: fragmentId), bytes)
        return d
    }

    // MARK: - Restore

    /// Commits a new version whose content is that of `version` (tags and old versions stay).
    public func restore(_ version: UInt64) async throws -> Dataset {
        let old = try await checkout(.number(version))
        return try await Committer.commit(store: store, uri: uri, readVersion: self.version,
                                          operation: .restore(version: version, manifest: old.manifest,
                                                              indices: old.indexMetadata))
    }
}
