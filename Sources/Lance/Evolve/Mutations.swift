import LanceArrow
import LanceCore
import LanceExpr
import LanceFile
import LanceProto

/// What ``Dataset/mergeInsert(_:on:whenMatchedUpdateAll:whenNotMatchedInsertAll:whenNotMatchedBySourceDelete:)`` did.
public struct MergeInsertResult: Sendable {
    public var dataset: Dataset
    public var insertedRows: Int
    public var updatedRows: Int
    public var deletedRows: Int
}

/// What ``Dataset/update(where:set:)`` did.
public struct UpdateResult: Sendable {
    public var dataset: Dataset
    public var updatedRows: Int
}

extension Dataset {
    /// Physical rows per fragment read at a time when evaluating a predicate.
    static let mutationBatchRows = 65536

    /// For each fragment (by index), the live physical rows where `filter` is TRUE (ascending).
    /// Only the filter's columns are read.
    func matchingRows(_ filter: BoundExpr?) async throws -> [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        let fields = try resolve(columns: filter?.referencedColumns ?? [])
        for (fi, f) in fragments.enumerated() {
            if try await liveRows(f) == 0 { continue }
            let dv = try await deletionVector(f)
            var reader = FragmentReader(dataset: self, fragment: f)
            var rows: [Int] = []
            var start = 0
            while start < f.physicalRows {
                let n = min(Dataset.mutationBatchRows, f.physicalRows - start)
                if let filter {
                    let cols = try await reader.decode(fields, .range(start ..< start + n))
                    let batch = try Dataset.assemble(fields: fields, columns: cols, rowAddresses: nil, rowIds: nil, count: n)
                    let mask = try filter.mask(batch)
                    for i in 0 ..< n where mask[i] && !(dv?.isDeleted(start + i) ?? false) { rows.append(start + i) }
                } else {
                    for i in start ..< start + n where !(dv?.isDeleted(i) ?? false) { rows.append(i) }
                }
                start += n
            }
            if !rows.isEmpty { out[fi] = rows }
        }
        return out
    }

    /// Fragments after deleting `rows` (per fragment index): updated with a new deletion file, or
    /// removed when no row is left.
    func deleting(_ rows: [Int: [Int]]) async throws -> (updated: [Lance_Table_DataFragment], removed: [UInt64]) {
        var updated: [Lance_Table_DataFragment] = []
        var removed: [UInt64] = []
        for (fi, list) in rows.sorted(by: { $0.key < $1.key }) where !list.isEmpty {
            let f = fragments[fi]
            var all = Set(list.map { UInt32($0) })
            if let existing = try await deletionVector(f) { all.formUnion(existing.sorted) }
            if all.count >= f.physicalRows {
                removed.append(f.id)
                continue
            }
            var proto = manifest.fragments[fi]
            proto.deletionFile = try await writeDeletionFile(fragmentId: f.id, rows: all.sorted())
            updated.append(proto)
        }
        return (updated, removed)
    }

    // MARK: - Delete where

    /// Deletes the rows where the SQL predicate is TRUE and commits a new version (fragments left
    /// without rows are removed). Returns this dataset unchanged when no row matches.
    /// Throws `invalidInput` for a malformed or ill-typed predicate (nothing is committed).
    public func delete(where predicate: String) async throws -> Dataset {
        let filter = try BoundExpr(filter: predicate, schema: schema)
        let rows = try await matchingRows(filter)
        if rows.isEmpty { return self }
        let (updated, removed) = try await deleting(rows)
        return try await Committer.commit(store: store, uri: uri, readVersion: version,
                                          operation: .delete(updated: updated, deletedIds: removed, predicate: predicate))
    }

    // MARK: - Update

    /// Sets columns to SQL expressions (evaluated on each row's old values) in the rows where
    /// `predicate` is TRUE (all rows when nil). As the reference does, the updated rows are deleted
    /// from their fragments and written again into new fragments.
    public func update(where predicate: String? = nil, set assignments: [(column: String, expression: String)]) async throws
        -> UpdateResult
    {
        guard !assignments.isEmpty else { throw LanceError.invalid("update needs at least one column to set") }
        let arrow = schema
        let filter = try predicate.map { try BoundExpr(filter: $0, schema: arrow) }
        var setters: [(index: Int, expr: BoundExpr)] = []
        for a in assignments {
            guard let k = arrow.index(of: a.column) else {
                throw LanceError(.invalidInput, "column `\(a.column)` does not exist in the dataset", column: a.column)
            }
            guard !setters.contains(where: { $0.index == k }) else {
                throw LanceError(.invalidInput, "column `\(a.column)` is set twice", column: a.column)
            }
            setters.append((k, try Dataset.boundValue(a.expression, as: arrow.fields[k], schema: arrow)))
        }
        let rows = try await matchingRows(filter)
        if rows.isEmpty { return UpdateResult(dataset: self, updatedRows: 0) }
        let fields = lanceSchema.fields
        var newBatches: [RecordBatch] = []
        var count = 0
        // With stable row ids the rewritten rows keep their ids (in the order they are written).
        var keptIds: [UInt64] = []
        var keptCreated: [UInt64?] = []
        for (fi, list) in rows.sorted(by: { $0.key < $1.key }) {
            if usesStableRowIds {
                keptIds += try await rowIds(of: fi, rows: list)
                keptCreated += createdAt(of: fi, rows: list)
            }
            var reader = FragmentReader(dataset: self, fragment: fragments[fi])
            var k = 0
            while k < list.count {
                let chunk = Array(list[k ..< min(k + Dataset.mutationBatchRows, list.count)])
                k += chunk.count
                let sel: RowSelection = chunk.last! - chunk[0] + 1 == chunk.count ? .range(chunk[0] ..< chunk[0] + chunk.count) : .rows(chunk)
                var cols = try await reader.decode(fields, sel)
                let old = try Dataset.assemble(fields: fields, columns: cols, rowAddresses: nil, rowIds: nil, count: chunk.count)
                for s in setters { cols[s.index] = try s.expr.evaluate(old) }
                newBatches.append(try RecordBatch(schema: old.schema, columns: cols))
                count += chunk.count
            }
        }
        let (updated, removed) = try await deleting(rows)
        let fileVersion = try fileVersionForWrites()
        let newFrags = try await Dataset.writeFragments(store: store, schema: lanceSchema, batches: ArrayBatches(newBatches),
                                                        version: fileVersion, options: WriteOptions(mode: .append))
        let ds = try await Committer.commit(store: store, uri: uri, readVersion: version,
                                            operation: .update(removed: removed, updated: updated, new: newFrags,
                                                               preservingFields: setters.map { UInt32(bitPattern: fields[$0.index].id) },
                                                               keptRowIds: keptIds, keptCreatedAt: keptCreated))
        return UpdateResult(dataset: ds, updatedRows: count)
    }

    /// The versions that created physical `rows` of fragment `fi` (rewritten rows keep them), from
    /// its inline created-at sequence; nil entries when it has none.
    func createdAt(of fi: Int, rows: [Int]) -> [UInt64?] {
        let proto = manifest.fragments[fi]
        guard case .inlineCreatedAtVersions(let data)? = proto.createdAtVersionSequence,
              let versions = StableRowIds.decodeVersionRuns(data, rows: Int(proto.physicalRows)) else {
            return rows.map { _ in nil }
        }
        return rows.map { $0 >= 0 && $0 < versions.count ? versions[$0] : nil }
    }

    /// The stable row ids of physical `rows` of fragment `fi`.
    func rowIds(of fi: Int, rows: [Int]) async throws -> [UInt64] {
        let f = fragments[fi]
        guard let ids = try await rowIds(f, deletions: try await deletionVector(f)) else {
            throw LanceError.corrupt("fragment \(f.id) has no row ids although stable row ids are on", path: manifestPath)
        }
        return try rows.map { p in
            guard p >= 0, p < ids.count, ids[p] != UInt64.max else {
                throw LanceError.corrupt("fragment \(f.id) has no row id for row \(p)", path: manifestPath)
            }
            return ids[p]
        }
    }

    /// Binds a value expression for column `field`, casting the result to the column's type.
    static func boundValue(_ text: String, as field: Field, schema: Schema) throws -> BoundExpr {
        let b = try BoundExpr(text, schema: schema)
        if b.resultType == field.type { return b }
        guard let name = sqlTypeName(field.type) else {
            throw LanceError(.invalidInput, "`\(text)` has type \(b.resultType) but column `\(field.name)` is \(field.type)",
                             column: field.name)
        }
        return try BoundExpr("CAST((\(text)) AS \(name))", schema: schema)
    }

    /// The SQL spelling of a type CAST accepts, if any.
    static func sqlTypeName(_ t: DataType) -> String? {
        switch t {
        case .bool: return "BOOLEAN"
        case .int8: return "TINYINT"
        case .int16: return "SMALLINT"
        case .int32: return "INT"
        case .int64: return "BIGINT"
        case .uint8: return "TINYINT UNSIGNED"
        case .uint16: return "SMALLINT UNSIGNED"
        case .uint32: return "INT UNSIGNED"
        case .uint64: return "BIGINT UNSIGNED"
        case .float32: return "FLOAT"
        case .float64: return "DOUBLE"
        case .utf8: return "STRING"
        case .binary: return "BINARY"
        case .date32: return "DATE"
        case .timestamp(.second, nil): return "TIMESTAMP(0)"
        case .timestamp(.millisecond, nil): return "TIMESTAMP(3)"
        case .timestamp(.microsecond, nil): return "TIMESTAMP(6)"
        case .timestamp(.nanosecond, nil): return "TIMESTAMP(9)"
        default: return nil
        }
    }

    // MARK: - Merge insert (upsert)

    /// Upserts `batches` (the dataset's columns) into the dataset by `key`: rows whose key exists are
    /// replaced (`whenMatchedUpdateAll`), rows with a new key are added (`whenNotMatchedInsertAll`),
    /// and rows of the dataset whose key is not in `batches` are deleted (`whenNotMatchedBySourceDelete`).
    /// Replaced rows are deleted from their fragments and written with the new ones into new fragments.
    /// Throws `invalidInput` when two source rows match the same row, or the columns differ.
    public func mergeInsert(_ batches: [RecordBatch], on key: String, whenMatchedUpdateAll: Bool = false,
                            whenNotMatchedInsertAll: Bool = false, whenNotMatchedBySourceDelete: Bool = false) async throws
        -> MergeInsertResult
    {
        guard let keyField = lanceSchema.field(named: key) else {
            throw LanceError(.invalidInput, "the dataset has no key column `\(key)`", column: key)
        }
        guard KeyIndex.supports(keyField.type) else {
            throw LanceError(.unsupported, "merge insert on a \(keyField.type) key is not supported", column: key)
        }
        // The source in the dataset's column order.
        let mine = schema
        var source = RecordBatch(emptyWithCount: 0)
        if !batches.isEmpty {
            let all = batches.count == 1 ? batches[0] : try RecordBatch.concat(batches)
            for f in all.schema.fields where mine.index(of: f.name) == nil {
                throw LanceError(.invalidInput, "column `\(f.name)` of the source is not in the dataset", column: f.name)
            }
            var cols: [ArrayData] = []
            for f in mine.fields {
                guard let c = all.column(f.name) else {
                    throw LanceError(.invalidInput, "the source has no column `\(f.name)` (merge insert needs every column)", column: f.name)
                }
                guard c.type == f.type else {
                    throw LanceError(.invalidInput, "column `\(f.name)` is \(c.type) in the source but \(f.type) in the dataset", column: f.name)
                }
                cols.append(c)
            }
            source = try RecordBatch(schema: mine, columns: cols)
        }
        let sourceKey = source.count > 0 ? source.column(key)! : ArrayData.nulls(keyField.type, count: 0)
        let index = KeyIndex(sourceKey)
        // Scan the dataset's keys.
        var matchedSource = [Bool](repeating: false, count: source.count)
        // With stable row ids: the id of the dataset row each source row replaces.
        let stable = usesStableRowIds
        var replacedId = [UInt64](repeating: 0, count: stable ? source.count : 0)
        var replacedCreated = [UInt64?](repeating: nil, count: stable ? source.count : 0)
        var toDelete: [Int: [Int]] = [:]
        var deletedNotMatched = 0
        for (fi, f) in fragments.enumerated() {
            if try await liveRows(f) == 0 { continue }
            let dv = try await deletionVector(f)
            let ids = stable ? try await rowIds(f, deletions: dv) : nil
            let created: [UInt64?] = stable ? createdAt(of: fi, rows: Array(0 ..< f.physicalRows)) : []
            if stable && ids == nil {
                throw LanceError.corrupt("fragment \(f.id) has no row ids although stable row ids are on", path: manifestPath)
            }
            var reader = FragmentReader(dataset: self, fragment: f)
            var start = 0
            while start < f.physicalRows {
                let n = min(Dataset.mutationBatchRows, f.physicalRows - start)
                let keys = try await reader.decode([keyField], .range(start ..< start + n))[0]
                let hits = index.lookup(keys)
                for i in 0 ..< n where !(dv?.isDeleted(start + i) ?? false) {
                    let s = hits[i]
                    if s >= 0 {
                        if whenMatchedUpdateAll {
                            if matchedSource[s] {
                                throw LanceError(.invalidInput, "ambiguous merge insert: several rows of the dataset match key \(KeyIndex.describe(sourceKey, s))",
                                                 column: key)
                            }
                            toDelete[fi, default: []].append(start + i)
                            if let ids {
                                guard start + i < ids.count else {
                                    throw LanceError.corrupt("fragment \(f.id) has no row id for row \(start + i)", path: manifestPath)
                                }
                                replacedId[s] = ids[start + i]
                                replacedCreated[s] = created[start + i]
                            }
                        }
                        matchedSource[s] = true
                    } else if whenNotMatchedBySourceDelete {
                        toDelete[fi, default: []].append(start + i)
                        deletedNotMatched += 1
                    }
                }
                start += n
            }
        }
        if whenMatchedUpdateAll, index.duplicate != nil {
            // A key given twice is ambiguous only when it matches a row (unmatched ones are all
            // inserted, as the reference does). The index maps a key to its last source row.
            let owner = index.lookup(sourceKey)
            for s in 0 ..< source.count where owner[s] >= 0 && owner[s] != s && matchedSource[owner[s]] {
                throw LanceError(.invalidInput, "ambiguous merge insert: several source rows match the same dataset row "
                    + "(\(key) = \(KeyIndex.describe(sourceKey, s))); each row of the dataset may be matched by one source row at most",
                    column: key)
            }
        }
        // New rows as the reference writes them: the updated ones, then the inserted ones, each in
        // source order (with stable row ids the updated rows keep their ids, the others get new ones).
        var take: [Int] = []
        var keptIds: [UInt64] = []
        var keptCreated: [UInt64?] = []
        if whenMatchedUpdateAll {
            for s in 0 ..< source.count where matchedSource[s] {
                take.append(s)
                if stable {
                    keptIds.append(replacedId[s])
                    keptCreated.append(replacedCreated[s])
                }
            }
        }
        let updatedCount = take.count
        if whenNotMatchedInsertAll {
            for s in 0 ..< source.count where !matchedSource[s] { take.append(s) }
        }
        let inserted = take.count - updatedCount
        if take.isEmpty && toDelete.isEmpty {
            return MergeInsertResult(dataset: self, insertedRows: 0, updatedRows: 0, deletedRows: 0)
        }
        var newFrags: [Lance_Table_DataFragment] = []
        if !take.isEmpty {
            let rows = take == Array(0 ..< source.count) ? source
                : try RecordBatch(schema: mine, columns: source.columns.map { $0.gather(take) })
            newFrags = try await Dataset.writeFragments(store: store, schema: lanceSchema, batches: ArrayBatches([rows]),
                                                        version: try fileVersionForWrites(), options: WriteOptions(mode: .append))
        }
        let (updated, removed) = try await deleting(toDelete)
        let ds = try await Committer.commit(store: store, uri: uri, readVersion: version,
                                            operation: .update(removed: removed, updated: updated, new: newFrags,
                                                               preservingFields: lanceSchema.fields.map { UInt32(bitPattern: $0.id) },
                                                               keptRowIds: keptIds, keptCreatedAt: keptCreated))
        return MergeInsertResult(dataset: ds, insertedRows: inserted, updatedRows: updatedCount, deletedRows: deletedNotMatched)
    }
}
