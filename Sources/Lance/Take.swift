import LanceArrow
import LanceCore
import LanceFile

extension Dataset {
    /// The rows at logical `offsets` (positions among the live rows in scan order; deleted rows are
    /// skipped), in request order; duplicates allowed. Only the pages holding those rows are read.
    public func take(offsets: [Int], columns: [String]? = nil, withRowAddress: Bool = false,
                     withRowId: Bool = false) async throws -> RecordBatch {
        let fields = try resolve(columns: columns)
        var starts: [Int] = []  // first logical offset of each fragment
        var total = 0
        for f in fragments {
            starts.append(total)
            total += try await liveRows(f)
        }
        var deletionCache: [Int: DeletionVector?] = [:]
        var targets: [(fragment: Int, row: Int)] = []
        targets.reserveCapacity(offsets.count)
        for o in offsets {
            guard o >= 0 && o < total else {
                throw LanceError.invalid("take offset \(o) is out of range for \(total) rows")
            }
            // The last fragment whose first offset is <= o (skipping empty fragments).
            var lo = 0, hi = starts.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if starts[mid] <= o { lo = mid + 1 } else { hi = mid }
            }
            let fi = lo - 1  // never an empty fragment: a later one would share its start
            let local = o - starts[fi]
            let f = fragments[fi]
            if f.deletionFile == nil {
                targets.append((fi, local))
            } else {
                if deletionCache[fi] == nil { deletionCache[fi] = .some(try await deletionVector(f)) }
                let dv = deletionCache[fi]!
                targets.append((fi, dv?.physical(ofLive: local) ?? local))
            }
        }
        return try await take(targets: targets, fields: fields, withRowAddress: withRowAddress, withRowId: withRowId,
                              deletionCache: deletionCache)
    }

    /// The rows at physical row addresses (`fragment_id << 32 | offset`), in request order.
    public func take(rowAddresses: [UInt64], columns: [String]? = nil, withRowAddress: Bool = false,
                     withRowId: Bool = false) async throws -> RecordBatch {
        let fields = try resolve(columns: columns)
        var byId: [UInt64: Int] = [:]
        for (i, f) in fragments.enumerated() { byId[f.id] = i }
        var targets: [(fragment: Int, row: Int)] = []
        targets.reserveCapacity(rowAddresses.count)
        for a in rowAddresses {
            guard let fi = byId[a >> 32] else {
                throw LanceError.invalid("row address \(a): fragment \(a >> 32) does not exist at version \(version)")
            }
            let row = Int(a & 0xFFFF_FFFF)
            guard row < fragments[fi].physicalRows else {
                throw LanceError.invalid("row address \(a): fragment \(a >> 32) has \(fragments[fi].physicalRows) rows")
            }
            targets.append((fi, row))
        }
        return try await take(targets: targets, fields: fields, withRowAddress: withRowAddress, withRowId: withRowId,
                              deletionCache: [:])
    }

    /// Decodes `fields` at `selection` of one fragment; with several fields and a large selection,
    /// the columns are decoded concurrently (one column's reads and decoding overlap another's).
    func decodeColumns(_ f: Fragment, _ fields: [LanceField], _ selection: RowSelection) async throws -> [ArrayData] {
        if fields.count < 2 || selection.count < 64 {
            var reader = FragmentReader(dataset: self, fragment: f)
            return try await reader.decode(fields, selection)
        }
        return try await withThrowingTaskGroup(of: (Int, ArrayData).self) { group in
            for (k, field) in fields.enumerated() {
                group.addTask {
                    var reader = FragmentReader(dataset: self, fragment: f)
                    return (k, try await reader.decode([field], selection)[0])
                }
            }
            var out = [ArrayData?](repeating: nil, count: fields.count)
            while let (k, a) = try await group.next() { out[k] = a }
            return out.map { $0! }
        }
    }

    /// Decodes the target rows grouped by fragment (ascending physical rows per group) and puts
    /// them back in request order.
    func take(targets: [(fragment: Int, row: Int)], fields: [LanceField], withRowAddress: Bool, withRowId: Bool,
              deletionCache: [Int: DeletionVector?]) async throws -> RecordBatch {
        // Unique rows per fragment, ascending.
        var groups: [Int: [Int]] = [:]
        for t in targets { groups[t.fragment, default: []].append(t.row) }
        var groupRows: [Int: [Int]] = [:]
        var position: [Int: [Int: Int]] = [:]  // fragment → physical row → index in its group
        for (fi, rows) in groups {
            let sorted = Array(Set(rows)).sorted()
            groupRows[fi] = sorted
            var p: [Int: Int] = [:]
            for (i, r) in sorted.enumerated() { p[r] = i }
            position[fi] = p
        }
        // Decode each group.
        var decoded: [Int: [ArrayData]] = [:]
        var groupIds: [Int: [UInt64]] = [:]
        for fi in groupRows.keys.sorted() {
            let rows = groupRows[fi]!
            let f = fragments[fi]
            let selection: RowSelection = rows.last! - rows[0] + 1 == rows.count ? .range(rows[0] ..< rows[0] + rows.count) : .rows(rows)
            decoded[fi] = try await decodeColumns(f, fields, selection)
            if withRowId, usesStableRowIds {
                let dv: DeletionVector?
                if let cached = deletionCache[fi] { dv = cached } else { dv = try await deletionVector(f) }
                if let ids = try await rowIds(f, deletions: dv) { groupIds[fi] = rows.map { ids[$0] } }
            }
        }
        // Runs of consecutive rows of one group become one slice.
        var runs: [(fragment: Int, start: Int, length: Int)] = []
        for t in targets {
            let idx = position[t.fragment]![t.row]!
            if let last = runs.last, last.fragment == t.fragment, last.start + last.length == idx {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((t.fragment, idx, 1))
            }
        }
        var columns: [ArrayData] = []
        for k in fields.indices {
            if runs.isEmpty {
                columns.append(.nulls(fields[k].type, count: 0))
            } else if runs.count == 1, let only = decoded[runs[0].fragment], runs[0].start == 0, runs[0].length == only[k].count {
                columns.append(only[k])
            } else {
                columns.append(.concat(runs.map { decoded[$0.fragment]![k].slice($0.start, $0.length) }))
            }
        }
        let addresses = targets.map { fragments[$0.fragment].id << 32 | UInt64($0.row) }
        var ids: [UInt64]?
        if withRowId {
            ids = targets.map { t in
                if let g = groupIds[t.fragment] { return g[position[t.fragment]![t.row]!] }
                return fragments[t.fragment].id << 32 | UInt64(t.row)
            }
        }
        return try Dataset.assemble(fields: fields, columns: columns, rowAddresses: withRowAddress ? addresses : nil,
                                    rowIds: ids, count: targets.count)
    }
}
