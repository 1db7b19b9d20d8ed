import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto

/// One data file of a fragment.
public struct DataFileInfo: Sendable, Hashable {
    /// Path relative to the dataset's `data/` directory, as the manifest stores it.
    public var path: String
    /// Field ids, parallel to ``columnIndices`` (-2 marks a tombstoned field).
    public var fields: [Int32]
    public var columnIndices: [Int32]
    public var fileVersion: FileVersion
    public var fileSizeBytes: UInt64
    /// Field id → column index, tombstones and column-less fields dropped.
    public var columnMap: [Int32: Int]

    /// The object path, relative to the dataset root.
    public var objectPath: String { "data/" + path }

    init(_ d: Lance_Table_DataFile, manifestPath: String) throws {
        path = d.path
        fields = d.fields
        columnIndices = d.columnIndices
        fileSizeBytes = d.fileSizeBytes
        guard !d.hasBaseID else {
            throw LanceError.unsupported("data file `\(d.path)` lives under another base path", path: manifestPath)
        }
        guard !d.path.isEmpty, !d.path.hasPrefix("/"), !d.path.split(separator: "/").contains("..") else {
            throw LanceError.corrupt("data file path `\(d.path)` is not a relative path", path: manifestPath)
        }
        switch (d.fileMajorVersion, d.fileMinorVersion) {
        case (0, 3), (2, 0): fileVersion = .v2_0
        case (0, 0), (0, 1), (0, 2):
            throw LanceError.unsupported("data file `\(d.path)` uses the legacy file format (0.1)", path: manifestPath)
        default: fileVersion = FileVersion(d.fileMajorVersion, d.fileMinorVersion)
        }
        guard d.columnIndices.isEmpty || d.columnIndices.count == d.fields.count else {
            throw LanceError.corrupt("data file `\(d.path)` lists \(d.fields.count) fields but \(d.columnIndices.count) column indices",
                                     path: manifestPath)
        }
        var map: [Int32: Int] = [:]
        for (i, f) in d.fields.enumerated() where f >= 0 {
            let c = d.columnIndices.isEmpty ? Int32(i) : d.columnIndices[i]
            if c >= 0 { map[f] = Int(c) }
        }
        columnMap = map
    }

    /// Whether this file stores any of `ids`.
    func holds(any ids: [Int32]) -> Bool {
        ids.contains { fields.contains($0) }
    }
}

/// A fragment's deletion file.
public struct DeletionFileInfo: Sendable, Hashable {
    public enum Kind: String, Sendable { case arrow, bitmap }
    public var kind: Kind
    public var readVersion: UInt64
    public var id: UInt64
    /// Deleted rows as the manifest records them (nil when an old writer left it at 0).
    public var numDeletedRows: Int?

    /// The path of the file relative to the dataset root.
    public func path(fragmentId: UInt64) -> String {
        "_deletions/\(fragmentId)-\(readVersion)-\(id).\(kind == .arrow ? "arrow" : "bin")"
    }
}

/// A fragment: rows split by columns into data files, with an optional deletion file.
public struct Fragment: Sendable {
    public var id: UInt64
    public var physicalRows: Int
    public var files: [DataFileInfo]
    public var deletionFile: DeletionFileInfo?
    let rowIdSource: Lance_Table_DataFragment.OneOf_RowIDSequence?

    /// Deleted rows according to the manifest.
    public var deletedRows: Int { deletionFile?.numDeletedRows ?? 0 }

    init(_ f: Lance_Table_DataFragment, manifestPath: String) throws {
        id = f.id
        guard f.physicalRows <= UInt64(UInt32.max) + 1 else {
            throw LanceError.corrupt("fragment \(f.id) declares \(f.physicalRows) rows, more than a fragment can address",
                                     path: manifestPath)
        }
        physicalRows = Int(f.physicalRows)
        files = try f.files.map { try DataFileInfo($0, manifestPath: manifestPath) }
        if f.hasDeletionFile {
            let d = f.deletionFile
            guard !d.hasBaseID else {
                throw LanceError.unsupported("deletion file of fragment \(f.id) lives under another base path", path: manifestPath)
            }
            let kind: DeletionFileInfo.Kind
            switch d.fileType {
            case .arrowArray: kind = .arrow
            case .bitmap: kind = .bitmap
            case .UNRECOGNIZED(let k):
                throw LanceError.unsupported("fragment \(f.id) has a deletion file of unknown type \(k)", path: manifestPath)
            }
            guard d.numDeletedRows <= f.physicalRows else {
                throw LanceError.corrupt("fragment \(f.id) deletes \(d.numDeletedRows) of \(f.physicalRows) rows", path: manifestPath)
            }
            deletionFile = DeletionFileInfo(kind: kind, readVersion: d.readVersion, id: d.id,
                                            numDeletedRows: d.numDeletedRows == 0 ? nil : Int(d.numDeletedRows))
        } else {
            deletionFile = nil
        }
        rowIdSource = f.rowIDSequence
    }

    /// The data files that store `field` or any of its descendants, in the fragment's order. More
    /// than one only for a struct whose members were written at different times (a cast of a nested field).
    func files(holding field: LanceField) -> [DataFileInfo] {
        let ids = field.preorder.map(\.id)
        return files.filter { $0.holds(any: ids) }
    }
}

/// The deleted physical rows of one fragment.
struct DeletionVector: Sendable {
    /// Sorted, unique.
    let sorted: [UInt32]
    /// One bit per physical row, set when deleted.
    let mask: [UInt64]

    init(rows: [UInt32], physicalRows: Int, path: String) throws {
        let s = Array(Set(rows)).sorted()
        if let last = s.last, Int(last) >= physicalRows {
            throw LanceError.corrupt("deletion file deletes row \(last) of a fragment of \(physicalRows) rows", path: path)
        }
        sorted = s
        var m = [UInt64](repeating: 0, count: (physicalRows + 63) / 64)
        for r in s { m[Int(r) >> 6] |= 1 << UInt64(r & 63) }
        mask = m
    }

    var count: Int { sorted.count }

    @inline(__always) func isDeleted(_ row: Int) -> Bool { mask[row >> 6] & (1 << UInt64(row & 63)) != 0 }

    /// Deleted rows in `[0, row)`.
    func deletedBefore(_ row: Int) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(sorted[mid]) < row { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The physical row of the `k`-th live row.
    func physical(ofLive k: Int) -> Int {
        // The smallest p whose live-row count through p reaches k + 1 (that p is itself live).
        var lo = k, hi = k + sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if (mid + 1) - deletedBefore(mid + 1) >= k + 1 { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

extension Dataset {
    /// The deletion vector of a fragment, or nil when it has none.
    func deletionVector(_ f: Fragment) async throws -> DeletionVector? {
        guard let d = f.deletionFile else { return nil }
        let path = d.path(fragmentId: f.id)
        let object = try await store.open(path)
        // A deletion vector of n rows is at most a few bytes per row plus headers.
        guard object.size <= UInt64(f.physicalRows) * 8 + (1 << 20) else {
            throw LanceError.corrupt("deletion file is \(object.size) bytes, too large for \(f.physicalRows) rows", path: object.path)
        }
        let bytes = try await object.readAll()
        let rows: [UInt32]
        switch d.kind {
        case .bitmap:
            do {
                rows = try bytes.withUnsafeBytes { raw throws(CodecError) in try RoaringBitmap(serialized: raw) }.sortedValues
            } catch let error as CodecError {
                throw LanceError(error.kind == .unsupported ? .unsupported : .corruptFile,
                                 "deletion bitmap does not decode: \(error.message)", path: object.path)
            }
        case .arrow:
            rows = try DeletionArrowFile.rows(bytes, path: object.path)
        }
        let vector = try DeletionVector(rows: rows, physicalRows: f.physicalRows, path: object.path)
        // The manifest's count is what countRows() reports; a file that disagrees is corrupt (or the
        // manifest is), and reading it would make a scan disagree with the count.
        if let expected = d.numDeletedRows, expected != vector.count {
            throw LanceError.corrupt("deletion file holds \(vector.count) deleted rows but the manifest records \(expected) for fragment \(f.id)",
                                     path: object.path)
        }
        return vector
    }

    /// The row ids of a fragment's physical rows, or nil when row ids equal row addresses.
    func rowIds(_ f: Fragment, deletions: DeletionVector?) async throws -> [UInt64]? {
        guard usesStableRowIds else { return nil }
        let bytes: [UInt8]
        var path = manifestPath
        switch f.rowIdSource {
        case nil:
            throw LanceError.corrupt("fragment \(f.id) has no row id sequence although stable row ids are on", path: manifestPath)
        case .inlineRowIds(let data)?:
            bytes = [UInt8](data)
        case .externalRowIds(let ext)?:
            path = ext.path
            let object = try await store.open(ext.path)
            guard ext.offset <= object.size, ext.size <= object.size - ext.offset else {
                throw LanceError.corrupt("row id range \(ext.offset)+\(ext.size) lies outside the file", path: object.path)
            }
            bytes = try await object.read(ext.offset ..< ext.offset + ext.size).bytes
        }
        let ids = try RowIdSequence.decode(bytes, path: path, limit: f.physicalRows)
        if ids.count == f.physicalRows { return ids }
        // A sequence that lists only the live rows: spread it over the physical rows.
        if let deletions, ids.count == f.physicalRows - deletions.count {
            var out = [UInt64](repeating: UInt64.max, count: f.physicalRows)
            var k = 0
            for p in 0 ..< f.physicalRows where !deletions.isDeleted(p) {
                out[p] = ids[k]
                k += 1
            }
            return out
        }
        throw LanceError.corrupt("fragment \(f.id) has \(ids.count) row ids for \(f.physicalRows) rows", path: path)
    }
}
